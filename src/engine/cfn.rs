//! Checks on rendered CloudFormation before it is written: it must parse (YAML with CloudFormation's
//! short-form tags, or JSON), be a mapping with `Resources`, and use only known tags.

use super::finding::Finding;
use super::node::{parse_yaml, Node};

/// CloudFormation's short-form intrinsic function tags.
pub const CFN_TAGS: &[&str] = &[
    "!Ref",
    "!Sub",
    "!GetAtt",
    "!Join",
    "!Select",
    "!Split",
    "!FindInMap",
    "!GetAZs",
    "!ImportValue",
    "!Base64",
    "!Cidr",
    "!If",
    "!Equals",
    "!And",
    "!Or",
    "!Not",
    "!Condition",
    "!Transform",
    "!Length",
    "!ToJsonString",
];

/// Validate rendered text. `output` names the rendered file and `source` the bundle template it came
/// from; findings are located in `output`.
pub fn check_rendered(text: &str, output: &str, source: &str) -> Vec<Finding> {
    let at = |line: Option<usize>, msg: String| {
        Finding::error(format!("{msg} (rendered from {source})"))
            .in_file(output)
            .at_line(line)
    };
    let root = if output.ends_with(".json") {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(_) => parse_yaml(text).ok(),
            Err(e) => {
                // serde_json's text ends with ` at line L column C`; the finding carries the line.
                let text = e.to_string();
                let what = text.rfind(" at line ").map_or(text.as_str(), |i| &text[..i]);
                return vec![at(Some(e.line()), format!("invalid JSON: {what}"))];
            }
        }
    } else {
        match parse_yaml(text) {
            Ok(root) => Some(root),
            Err(e) => return vec![at(e.line, format!("invalid YAML: {}", e.message))],
        }
    };
    let Some(root) = root else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    match root.get("Resources") {
        _ if root.as_map().is_none() => findings.push(at(
            Some(root.line),
            format!("a CloudFormation template must be a mapping, got {}", root.kind_name()),
        )),
        None => findings.push(at(None, "the template has no `Resources` section".to_owned())),
        Some(r) if r.as_map().is_none_or(<[_]>::is_empty) => {
            findings.push(at(Some(r.line), "`Resources` must be a non-empty mapping".to_owned()))
        }
        Some(_) => {}
    }
    root.walk(&mut |n: &Node| {
        if let Some(tag) = n.tag.as_deref() {
            if !tag.starts_with("tag:yaml.org,2002:") && !CFN_TAGS.contains(&tag) {
                findings.push(at(
                    Some(n.line),
                    format!("unknown tag `{tag}`; CloudFormation knows {}", CFN_TAGS.join(", ")),
                ));
            }
        }
    });
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_short_forms_and_rejects_typos() {
        let ok = "Resources:\n  A:\n    Type: X\n    Properties:\n      B: !Ref C\n      D: !FindInMap [M, k, v]\n";
        assert!(check_rendered(ok, "t.yaml", "src").is_empty());
        let bad = "Resources:\n  A:\n    Type: X\n    Properties:\n      B: !Reff C\n";
        let f = check_rendered(bad, "t.yaml", "src");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].line, Some(5));
        let broken = check_rendered("Resources:\n  A: b\n c: d\n", "t.yaml", "src");
        assert_eq!(broken[0].line, Some(3), "{broken:?}");
    }
}
