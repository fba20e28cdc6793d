//! Values inside templates: parsing (short-form tags to long form), differences between two values as
//! paths, and the resources and parameters a value references.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::engine::{parse_yaml, Node, NodeValue};

/// Parse a template: JSON, or YAML whose CloudFormation short-form tags become long-form functions.
pub fn parse_template(text: &str, file: &str) -> Result<Value, String> {
    let yaml = || {
        parse_yaml(text).map(|node| long_form(&node)).map_err(|e| match e.line {
            Some(l) => format!("{file}:{l}: invalid YAML: {}", e.message),
            None => format!("{file}: invalid YAML: {}", e.message),
        })
    };
    // JSON first when it looks like JSON (exact numbers, fast); a YAML flow mapping falls back to YAML.
    let body = if text.trim_start().starts_with('{') {
        match serde_json::from_str::<Value>(text) {
            Ok(v) => v,
            Err(e) => yaml().map_err(|_| format!("{file}:{}: invalid JSON: {e}", e.line()))?,
        }
    } else {
        yaml()?
    };
    match body.get("Resources") {
        Some(Value::Object(resources)) => match resources.iter().find_map(|(id, r)| resource_problem(id, r)) {
            Some(problem) => Err(format!("{file}: {problem}")),
            None => Ok(body),
        },
        _ if !body.is_object() => Err(format!("{file}: not a CloudFormation template (expected a mapping)")),
        _ => Err(format!(
            "{file}: not a CloudFormation template (no `Resources` mapping)"
        )),
    }
}

/// What CloudFormation itself would refuse in a resource's shape: it is a mapping with a `Type` string and,
/// when present, a `Properties` mapping.
fn resource_problem(id: &str, resource: &Value) -> Option<String> {
    let Value::Object(r) = resource else {
        return Some(format!("resource `{id}` is not a mapping"));
    };
    if !r.get("Type").is_some_and(Value::is_string) {
        return Some(format!(
            "resource `{id}` has no `Type` (a string such as AWS::SQS::Queue)"
        ));
    }
    match r.get("Properties") {
        None | Some(Value::Object(_)) => None,
        Some(_) => Some(format!("resource `{id}`: `Properties` is not a mapping")),
    }
}

/// A YAML node as JSON, with `!Ref X` → `{"Ref": "X"}`, `!GetAtt A.B` → `{"Fn::GetAtt": ["A", "B"]}`,
/// `!Condition C` → `{"Condition": "C"}` and `!Fn X` → `{"Fn::Fn": X}`.
fn long_form(node: &Node) -> Value {
    let plain = match &node.value {
        NodeValue::Seq(items) => Value::Array(items.iter().map(long_form).collect()),
        NodeValue::Map(entries) => Value::Object(entries.iter().map(|(k, v)| (k.key_text(), long_form(v))).collect()),
        _ => node.to_json(),
    };
    let Some(tag) = node.tag.as_deref().and_then(|t| t.strip_prefix('!')) else {
        return plain;
    };
    let (key, value) = match (tag, plain) {
        ("Ref", v) => ("Ref".to_owned(), v),
        ("Condition", v) => ("Condition".to_owned(), v),
        ("GetAtt", Value::String(s)) => {
            let parts = match s.split_once('.') {
                Some((r, a)) => vec![Value::from(r), Value::from(a)],
                None => vec![Value::from(s)],
            };
            ("Fn::GetAtt".to_owned(), Value::Array(parts))
        }
        (other, v) => (format!("Fn::{other}"), v),
    };
    Value::Object(Map::from_iter([(key, value)]))
}

/// Whether a value is an intrinsic function call (`{"Ref": …}`, `{"Fn::…": …}`): compared as a whole.
pub fn is_intrinsic(v: &Value) -> bool {
    matches!(v, Value::Object(m) if intrinsic_map(m))
}

/// One difference: where (keys and list indexes), old and new value (`None`: absent).
pub type Leaf = (Vec<String>, Option<Value>, Option<Value>);

/// Every difference between two values, as deep as both sides are objects (or lists of the same length);
/// intrinsic functions are compared whole. Sorted by path, keys in the new value's order first.
pub fn leaf_diffs(old: Option<&Value>, new: Option<&Value>) -> Vec<Leaf> {
    let mut out = Vec::new();
    walk(&mut Vec::new(), old, new, &mut out);
    out
}

fn walk(path: &mut Vec<String>, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<Leaf>) {
    match (old, new) {
        (Some(a), Some(b)) if a == b => {}
        (Some(Value::Object(a)), Some(Value::Object(b))) if !intrinsic_map(a) && !intrinsic_map(b) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                path.push(k.clone());
                walk(path, a.get(k), b.get(k), out);
                path.pop();
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                path.push(i.to_string());
                walk(path, Some(x), Some(y), out);
                path.pop();
            }
        }
        (None, None) => {}
        (a, b) => out.push((path.clone(), a.cloned(), b.cloned())),
    }
}

fn intrinsic_map(m: &Map<String, Value>) -> bool {
    m.len() == 1
        && m.keys()
            .all(|k| k == "Ref" || k.starts_with("Fn::") || k == "Condition")
}

/// A path for people: `Properties.Tags[0].Value`.
pub fn display_path(path: &[String]) -> String {
    let mut s = String::new();
    for seg in path {
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            s.push_str(&format!("[{seg}]"));
        } else {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(seg);
        }
    }
    s
}

/// The logical names a value references: `Ref`, `Fn::GetAtt`, and `${X}` / `${X.Attr}` in `Fn::Sub`
/// (`${!X}` is literal; pseudo parameters `AWS::…` are skipped).
pub fn references(v: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    collect_refs(v, &mut out);
    out
}

fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, out)),
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("Ref", Value::String(name)) => {
                        out.insert(name.clone());
                    }
                    ("Fn::GetAtt", Value::Array(parts)) => {
                        if let Some(Value::String(r)) = parts.first() {
                            out.insert(r.clone());
                        }
                    }
                    ("Fn::GetAtt", Value::String(s)) => {
                        out.insert(s.split('.').next().unwrap_or(s).to_owned());
                    }
                    ("Fn::Sub", Value::String(s)) => sub_refs(s, out),
                    ("Fn::Sub", Value::Array(parts)) => {
                        if let Some(Value::String(s)) = parts.first() {
                            let local: BTreeSet<&String> = parts
                                .get(1)
                                .and_then(Value::as_object)
                                .map(|m| m.keys().collect())
                                .unwrap_or_default();
                            let mut found = BTreeSet::new();
                            sub_refs(s, &mut found);
                            out.extend(found.into_iter().filter(|f| !local.contains(f)));
                        }
                        parts.iter().skip(1).for_each(|p| collect_refs(p, out));
                    }
                    _ => {}
                }
                if !matches!(k.as_str(), "Ref" | "Fn::GetAtt" | "Fn::Sub") {
                    collect_refs(x, out);
                }
            }
            out.retain(|r| !r.starts_with("AWS::"));
        }
        _ => {}
    }
}

/// `${Name}` and `${Name.Attr}` variables of an `Fn::Sub` string.
fn sub_refs(s: &str, out: &mut BTreeSet<String>) {
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        rest = &rest[i + 2..];
        let Some(end) = rest.find('}') else { break };
        let var = &rest[..end];
        if !var.starts_with('!') {
            let name = var.split('.').next().unwrap_or(var).trim();
            if !name.is_empty() && !name.starts_with("AWS::") {
                out.insert(name.to_owned());
            }
        }
        rest = &rest[end + 1..];
    }
}

/// A short one-line rendering of a value for people (JSON, cut at `max` characters).
pub fn short(v: Option<&Value>, max: usize) -> String {
    let Some(v) = v else {
        return "(absent)".to_owned();
    };
    let s = serde_json::to_string(v).unwrap_or_default();
    if s.chars().count() <= max {
        s
    } else {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_forms_become_long_forms() {
        let yaml = "Resources:\n  A:\n    Type: T\n    Properties:\n      X: !Ref P\n      G: !GetAtt B.Arn\n      Z: !Sub '${B}-x'\n      W: !Select [0, !GetAZs '']\n";
        let v = parse_template(yaml, "t.yaml").unwrap();
        let p = &v["Resources"]["A"]["Properties"];
        assert_eq!(p["X"], json!({"Ref": "P"}));
        assert_eq!(p["G"], json!({"Fn::GetAtt": ["B", "Arn"]}));
        assert_eq!(p["Z"], json!({"Fn::Sub": "${B}-x"}));
        assert_eq!(p["W"], json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]}));
        let e = parse_template("a: [1\n", "t.yaml").unwrap_err();
        assert!(e.starts_with("t.yaml:"), "{e}");
        assert!(parse_template("{\"A\": 1}", "t.json")
            .unwrap_err()
            .contains("no `Resources`"));
    }

    #[test]
    fn leaves_and_paths() {
        let old = json!({"A": 1, "Tags": [{"Key": "k", "Value": "a"}], "R": {"Ref": "X"}, "L": [1]});
        let new = json!({"A": 1, "Tags": [{"Key": "k", "Value": "b"}], "R": {"Ref": "Y"}, "L": [1, 2], "N": true});
        let got: Vec<String> = leaf_diffs(Some(&old), Some(&new))
            .iter()
            .map(|(p, _, _)| display_path(p))
            .collect();
        assert_eq!(got, ["L", "N", "R", "Tags[0].Value"]);
    }

    #[test]
    fn references_of_values() {
        let v = json!({"a": {"Ref": "P"}, "b": {"Fn::GetAtt": "R.Arn"}, "c": {"Fn::Sub": "${S}-${AWS::Region}-${!Lit}-${T.Arn}"},
            "d": {"Fn::Sub": ["${x}-${U}", {"x": {"Ref": "V"}}]}, "e": {"Ref": "AWS::StackName"}});
        let got: Vec<String> = references(&v).into_iter().collect();
        assert_eq!(got, ["P", "R", "S", "T", "U", "V"]);
    }
}
