//! Reference integrity of an emitted CloudFormation template, checked by walking its JSON: every `Ref`,
//! `Fn::GetAtt`, `Fn::Sub` variable, `DependsOn`, condition name and `Fn::FindInMap` map names something the
//! same template declares (or a pseudo parameter).

use serde_json::{Map, Value as J};

pub const PSEUDO_PARAMETERS: [&str; 8] = [
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

struct Names<'a> {
    resources: &'a Map<String, J>,
    parameters: Option<&'a Map<String, J>>,
    conditions: Option<&'a Map<String, J>>,
    mappings: Option<&'a Map<String, J>>,
}

impl Names<'_> {
    fn is_resource(&self, id: &str) -> bool {
        self.resources.contains_key(id)
    }

    fn is_refable(&self, id: &str) -> bool {
        self.is_resource(id) || self.parameters.is_some_and(|p| p.contains_key(id)) || PSEUDO_PARAMETERS.contains(&id)
    }

    fn is_condition(&self, id: &str) -> bool {
        self.conditions.is_some_and(|c| c.contains_key(id))
    }
}

/// Every dangling reference of `template`, as readable messages (empty when all resolve).
pub fn dangling_references(template: &J) -> Vec<String> {
    let mut out = Vec::new();
    let Some(resources) = template.get("Resources").and_then(J::as_object) else {
        return vec!["the template has no Resources object".to_owned()];
    };
    let names = Names {
        resources,
        parameters: template.get("Parameters").and_then(J::as_object),
        conditions: template.get("Conditions").and_then(J::as_object),
        mappings: template.get("Mappings").and_then(J::as_object),
    };
    for (id, resource) in resources {
        let at = format!("Resources.{id}");
        if !resource.get("Type").is_some_and(J::is_string) {
            out.push(format!("{at}: no Type"));
        }
        match resource.get("DependsOn") {
            None => {}
            Some(J::String(d)) => check_depends_on(&names, &at, id, d, &mut out),
            Some(J::Array(ds)) => {
                for d in ds {
                    match d.as_str() {
                        Some(d) => check_depends_on(&names, &at, id, d, &mut out),
                        None => out.push(format!("{at}: DependsOn item {d} is not a string")),
                    }
                }
            }
            Some(other) => out.push(format!("{at}: DependsOn {other} is neither a string nor a list")),
        }
        if let Some(c) = resource.get("Condition") {
            if !c.as_str().is_some_and(|c| names.is_condition(c)) {
                out.push(format!("{at}: Condition {c} is not declared"));
            }
        }
        walk(&names, &at, resource, &mut out);
    }
    for section in ["Outputs", "Conditions"] {
        if let Some(items) = template.get(section).and_then(J::as_object) {
            for (id, v) in items {
                walk(&names, &format!("{section}.{id}"), v, &mut out);
            }
        }
    }
    out
}

fn check_depends_on(names: &Names, at: &str, id: &str, target: &str, out: &mut Vec<String>) {
    if target == id {
        out.push(format!("{at}: depends on itself"));
    } else if !names.is_resource(target) {
        out.push(format!("{at}: DependsOn {target:?} is not a resource"));
    }
}

fn walk(names: &Names, at: &str, v: &J, out: &mut Vec<String>) {
    match v {
        J::Array(items) => items.iter().for_each(|i| walk(names, at, i, out)),
        J::Object(m) => {
            if m.len() == 1 {
                let (k, arg) = m.iter().next().expect("one member");
                check_intrinsic(names, at, k, arg, out);
            }
            m.values().for_each(|i| walk(names, at, i, out));
        }
        _ => {}
    }
}

fn check_intrinsic(names: &Names, at: &str, key: &str, arg: &J, out: &mut Vec<String>) {
    match key {
        "Ref" => match arg.as_str() {
            Some(t) if names.is_refable(t) => {}
            _ => out.push(format!(
                "{at}: Ref {arg} names no resource, parameter or pseudo parameter"
            )),
        },
        "Fn::GetAtt" => {
            let target = match arg {
                J::Array(a) if a.len() == 2 && a[1].is_string() => a[0].as_str().map(str::to_owned),
                J::String(s) => s.split_once('.').map(|(r, _)| r.to_owned()),
                _ => None,
            };
            if !target.as_deref().is_some_and(|t| names.is_resource(t)) {
                out.push(format!("{at}: Fn::GetAtt {arg} names no resource"));
            }
        }
        "Fn::Sub" => check_sub(names, at, arg, out),
        "Fn::If" => match arg.as_array().and_then(|a| a.first()).and_then(J::as_str) {
            Some(c) if names.is_condition(c) => {}
            _ => out.push(format!("{at}: Fn::If {arg} names no declared condition")),
        },
        "Condition" if arg.as_str().is_some_and(|c| !names.is_condition(c)) => {
            out.push(format!("{at}: Condition {arg} is not declared"));
        }
        "Fn::FindInMap" => {
            if let Some(map) = arg.as_array().and_then(|a| a.first()).and_then(J::as_str) {
                if !names.mappings.is_some_and(|m| m.contains_key(map)) {
                    out.push(format!("{at}: Fn::FindInMap names no mapping {map:?}"));
                }
            }
        }
        _ => {}
    }
}

/// `Fn::Sub`: every `${Name}` is a variable of the Sub, a resource/parameter/pseudo parameter, or
/// `${Resource.Attribute}`; `${!…}` is a literal.
fn check_sub(names: &Names, at: &str, arg: &J, out: &mut Vec<String>) {
    let (text, vars) = match arg {
        J::String(s) => (s.as_str(), None),
        J::Array(a) if a.len() == 2 => match (a[0].as_str(), a[1].as_object()) {
            (Some(s), Some(vars)) => (s, Some(vars)),
            _ => return out.push(format!("{at}: malformed Fn::Sub {arg}")),
        },
        _ => return out.push(format!("{at}: malformed Fn::Sub {arg}")),
    };
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return out.push(format!("{at}: Fn::Sub {text:?} has an unclosed ${{"));
        };
        let name = &after[..end];
        rest = &after[end + 1..];
        if name.starts_with('!') || vars.is_some_and(|v| v.contains_key(name)) {
            continue;
        }
        let ok = match name.split_once('.') {
            Some((resource, _)) => names.is_resource(resource),
            None => names.is_refable(name),
        };
        if !ok {
            out.push(format!("{at}: Fn::Sub variable ${{{name}}} resolves to nothing"));
        }
    }
}

#[test]
fn the_checker_finds_dangling_references() {
    let t = serde_json::json!({
        "Parameters": {"P": {"Type": "String"}},
        "Conditions": {"C": {"Fn::Equals": [{"Ref": "P"}, "x"]}, "D": {"Condition": "Nope"}},
        "Resources": {
            "A": {"Type": "X::Y", "DependsOn": ["B", "A"], "Condition": "C",
                  "Properties": {"R": {"Ref": "Gone"}, "G": {"Fn::GetAtt": ["P", "Arn"]},
                                 "S": {"Fn::Sub": ["${V}${AWS::Region}${Q}${!Lit}${B.Arn}${A.X}", {"V": "v"}]},
                                 "I": {"Fn::If": ["Z", 1, 2]}, "M": {"Fn::FindInMap": ["Map", "a", "b"]}}},
            "B": {"Properties": {"Ok": {"Ref": "A"}}}
        },
        "Outputs": {"O": {"Value": {"Fn::GetAtt": "Missing.Arn"}}}
    });
    assert_eq!(
        dangling_references(&t),
        [
            "Resources.A: depends on itself",
            "Resources.A: Ref \"Gone\" names no resource, parameter or pseudo parameter",
            "Resources.A: Fn::GetAtt [\"P\",\"Arn\"] names no resource",
            "Resources.A: Fn::Sub variable ${Q} resolves to nothing",
            "Resources.A: Fn::If [\"Z\",1,2] names no declared condition",
            "Resources.A: Fn::FindInMap names no mapping \"Map\"",
            "Resources.B: no Type",
            "Outputs.O: Fn::GetAtt \"Missing.Arn\" names no resource",
            "Conditions.D: Condition \"Nope\" is not declared",
        ]
    );
}
