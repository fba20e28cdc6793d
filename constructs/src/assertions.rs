//! Assertions for users' own tests, modelled on AWS CDK's `assertions` module.
//!
//! ```
//! use proton_synth_constructs::assertions::{Match, Template};
//! use serde_json::json;
//!
//! let t = Template::from_json(json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue",
//!     "Properties": {"SqsManagedSseEnabled": true, "QueueName": "jobs"}}}}));
//! t.resource_count_is("AWS::SQS::Queue", 1).unwrap();
//! t.has_resource_properties("AWS::SQS::Queue", Match::object_like(json!({"SqsManagedSseEnabled": true}))).unwrap();
//! ```
//!
//! Every assertion returns `Result<(), String>`; the error names the closest candidate and what differed, so
//! `.unwrap()` in a test prints a useful failure.

use serde_json::{Map, Value as J};

use crate::diag::Diagnostics;
use crate::stack::Stack;

/// A synthesized template to query.
#[derive(Clone, Debug)]
pub struct Template {
    json: J,
}

/// A pattern a JSON value must match.
#[derive(Clone, Debug)]
pub enum Match {
    /// Equal to this value, compared deeply; objects inside are matched exactly.
    Exact(J),
    /// An object with at least these members; nested objects are matched `object_like` too, arrays exactly
    /// by position with patterns.
    ObjectLike(Map<String, J>),
    /// An array containing items that match these patterns, in order, possibly with others between.
    ArrayWith(Vec<Match>),
    /// Any value that is present.
    AnyValue,
    /// The member must be absent (only meaningful inside `ObjectLike` via [`Match::members`]).
    Absent,
    /// The value must not match.
    Not(Box<Match>),
    /// An object whose members match these patterns (absent members allowed via [`Match::Absent`]).
    Members(Vec<(String, Match)>),
}

impl Match {
    pub fn exact(v: J) -> Self {
        Match::Exact(v)
    }
    /// Partial match of an object.
    pub fn object_like(v: J) -> Self {
        match v {
            J::Object(m) => Match::ObjectLike(m),
            other => Match::Exact(other),
        }
    }
    pub fn array_with(items: Vec<Match>) -> Self {
        Match::ArrayWith(items)
    }
    pub fn any_value() -> Self {
        Match::AnyValue
    }
    pub fn absent() -> Self {
        Match::Absent
    }
    #[allow(clippy::should_implement_trait)] // mirrors CDK's `Match.not`
    pub fn not(m: Match) -> Self {
        Match::Not(Box::new(m))
    }
    /// An object matched member by member with patterns.
    pub fn members<K: Into<String>>(members: impl IntoIterator<Item = (K, Match)>) -> Self {
        Match::Members(members.into_iter().map(|(k, m)| (k.into(), m)).collect())
    }

    /// Test `actual` (None = absent); on mismatch, a message with the JSON path.
    pub fn test(&self, actual: Option<&J>, path: &str) -> Result<(), String> {
        match (self, actual) {
            (Match::Absent, None) => Ok(()),
            (Match::Absent, Some(v)) => Err(format!("{path}: expected absent, found {v}")),
            (Match::Not(inner), a) => match inner.test(a, path) {
                Ok(()) => Err(format!("{path}: expected not to match {inner:?}")),
                Err(_) => Ok(()),
            },
            (_, None) => Err(format!("{path}: missing")),
            (Match::AnyValue, Some(_)) => Ok(()),
            (Match::Exact(e), Some(a)) => {
                if json_eq(e, a) {
                    Ok(())
                } else {
                    Err(format!("{path}: expected {e}, found {a}"))
                }
            }
            (Match::ObjectLike(expected), Some(a)) => object_like(expected, a, path),
            (Match::Members(members), Some(J::Object(obj))) => {
                for (k, m) in members {
                    m.test(obj.get(k), &format!("{path}.{k}"))?;
                }
                Ok(())
            }
            (Match::Members(_), Some(a)) => Err(format!("{path}: expected an object, found {a}")),
            (Match::ArrayWith(patterns), Some(J::Array(items))) => {
                let mut start = 0;
                for (pi, p) in patterns.iter().enumerate() {
                    let found = items[start..].iter().position(|item| p.test(Some(item), path).is_ok());
                    match found {
                        Some(i) => start += i + 1,
                        None => return Err(format!("{path}: no item (in order) matches pattern #{pi}: {p:?}")),
                    }
                }
                Ok(())
            }
            (Match::ArrayWith(_), Some(a)) => Err(format!("{path}: expected an array, found {a}")),
        }
    }
}

/// Deep equality where numbers compare by value (`50` equals `50.0`).
fn json_eq(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (J::Array(x), J::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y)),
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn object_like(expected: &Map<String, J>, actual: &J, path: &str) -> Result<(), String> {
    let J::Object(actual) = actual else {
        return Err(format!("{path}: expected an object, found {actual}"));
    };
    for (k, e) in expected {
        let p = format!("{path}.{k}");
        let a = actual.get(k).ok_or_else(|| format!("{p}: missing"))?;
        match e {
            J::Object(inner) => object_like(inner, a, &p)?,
            other if json_eq(other, a) => {}
            other => return Err(format!("{p}: expected {other}, found {a}")),
        }
    }
    Ok(())
}

impl Template {
    /// Synthesize a stack (plain mode) for assertions; synthesis errors are returned.
    pub fn from_stack(stack: &Stack) -> Result<Self, Diagnostics> {
        Ok(Template {
            json: stack.synth()?.to_json(),
        })
    }

    pub fn from_json(json: J) -> Self {
        Template { json }
    }

    pub fn json(&self) -> &J {
        &self.json
    }

    fn section(&self, name: &str) -> impl Iterator<Item = (&String, &J)> {
        self.json
            .get(name)
            .and_then(J::as_object)
            .into_iter()
            .flat_map(|m| m.iter())
    }

    /// Resources of a type, by logical ID.
    pub fn find_resources(&self, type_name: &str) -> Vec<(&str, &J)> {
        self.section("Resources")
            .filter(|(_, r)| r.get("Type").and_then(J::as_str) == Some(type_name))
            .map(|(id, r)| (id.as_str(), r))
            .collect()
    }

    pub fn resource_count_is(&self, type_name: &str, count: usize) -> Result<(), String> {
        let n = self.find_resources(type_name).len();
        if n == count {
            Ok(())
        } else {
            Err(format!("expected {count} resource(s) of type {type_name}, found {n}"))
        }
    }

    /// Some resource of the type has `Properties` matching the pattern.
    pub fn has_resource_properties(&self, type_name: &str, pattern: Match) -> Result<(), String> {
        self.has_matching(type_name, |r| {
            pattern.test(r.get("Properties").or(Some(&J::Null)), "Properties")
        })
    }

    /// Some resource of the type matches the pattern as a whole (DependsOn, policies, Metadata included).
    pub fn has_resource(&self, type_name: &str, pattern: Match) -> Result<(), String> {
        self.has_matching(type_name, |r| pattern.test(Some(r), "Resource"))
    }

    /// Every resource of the type has `Properties` matching the pattern (and there is at least one).
    pub fn all_resources_properties(&self, type_name: &str, pattern: Match) -> Result<(), String> {
        let found = self.find_resources(type_name);
        if found.is_empty() {
            return Err(format!("no resource of type {type_name}"));
        }
        for (id, r) in found {
            pattern
                .test(r.get("Properties"), "Properties")
                .map_err(|e| format!("{id}: {e}"))?;
        }
        Ok(())
    }

    fn has_matching(&self, type_name: &str, test: impl Fn(&J) -> Result<(), String>) -> Result<(), String> {
        let found = self.find_resources(type_name);
        if found.is_empty() {
            return Err(format!("no resource of type {type_name}"));
        }
        let mut closest: Option<(usize, String)> = None;
        for (id, r) in &found {
            match test(r) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    // The closest candidate is the one whose failure is deepest in the tree.
                    let depth = e.split(':').next().unwrap_or("").matches('.').count();
                    if closest.as_ref().is_none_or(|(d, _)| depth > *d) {
                        closest = Some((depth, format!("{id}: {e}")));
                    }
                }
            }
        }
        let detail = closest.map(|(_, e)| e).unwrap_or_default();
        Err(format!(
            "none of the {} {type_name} resource(s) matches; closest: {detail}",
            found.len()
        ))
    }

    pub fn has_output(&self, id: &str, pattern: Match) -> Result<(), String> {
        let out = self.json.get("Outputs").and_then(|o| o.get(id));
        pattern.test(out, &format!("Outputs.{id}"))
    }

    pub fn has_parameter(&self, id: &str, pattern: Match) -> Result<(), String> {
        let p = self.json.get("Parameters").and_then(|o| o.get(id));
        pattern.test(p, &format!("Parameters.{id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t() -> Template {
        Template::from_json(json!({
            "Resources": {
                "A": {"Type": "AWS::ECS::Service", "Properties": {"LaunchType": "FARGATE", "DesiredCount": 2,
                      "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "DISABLED"}}}},
                "B": {"Type": "AWS::ECS::Service", "Properties": {"LaunchType": "EC2", "Tags": [{"Key": "a"}, {"Key": "b"}]}},
                "C": {"Type": "AWS::SQS::Queue", "DependsOn": ["A"]}
            },
            "Outputs": {"Url": {"Value": "x"}},
            "Parameters": {"P": {"Type": "String"}}
        }))
    }

    #[test]
    fn counts_and_partial_matches() {
        let t = t();
        t.resource_count_is("AWS::ECS::Service", 2).unwrap();
        assert_eq!(
            t.resource_count_is("AWS::SQS::Queue", 2).unwrap_err(),
            "expected 2 resource(s) of type AWS::SQS::Queue, found 1"
        );
        t.has_resource_properties(
            "AWS::ECS::Service",
            Match::object_like(
                json!({"NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "DISABLED"}}}),
            ),
        )
        .unwrap();
        let err = t
            .has_resource_properties(
                "AWS::ECS::Service",
                Match::object_like(
                    json!({"NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "ENABLED"}}}),
                ),
            )
            .unwrap_err();
        assert_eq!(
            err,
            "none of the 2 AWS::ECS::Service resource(s) matches; closest: A: Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp: expected \"ENABLED\", found \"DISABLED\""
        );
    }

    #[test]
    fn matchers() {
        let t = t();
        t.has_resource_properties(
            "AWS::ECS::Service",
            Match::members([
                ("LaunchType", Match::exact(json!("EC2"))),
                ("Tags", Match::array_with(vec![Match::object_like(json!({"Key": "b"}))])),
                ("DesiredCount", Match::absent()),
            ]),
        )
        .unwrap();
        t.has_resource("AWS::SQS::Queue", Match::object_like(json!({"DependsOn": ["A"]})))
            .unwrap();
        t.all_resources_properties(
            "AWS::ECS::Service",
            Match::members([("LaunchType", Match::any_value())]),
        )
        .unwrap();
        assert!(t
            .all_resources_properties(
                "AWS::ECS::Service",
                Match::members([("LaunchType", Match::not(Match::exact(json!("EC2"))))])
            )
            .is_err());
        t.has_output("Url", Match::object_like(json!({"Value": "x"}))).unwrap();
        t.has_parameter("P", Match::any_value()).unwrap();
        assert_eq!(
            t.has_parameter("Q", Match::any_value()).unwrap_err(),
            "Parameters.Q: missing"
        );
    }
}
