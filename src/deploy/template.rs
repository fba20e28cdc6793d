//! What is sent to CloudFormation for one stack: the rendered template as compact JSON (short-form YAML
//! tags turned into their long form), with the proton-synth record in its `Metadata`, and the same record
//! as stack tags. CloudFormation is the only state store: `status` reads these tags back.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::config::Version;
use crate::engine::{parse_yaml, Node, NodeValue};

pub const TAG_TEMPLATE: &str = "proton-synth:template";
pub const TAG_VERSION: &str = "proton-synth:template-version";
pub const TAG_SPEC_HASH: &str = "proton-synth:spec-hash";
/// Largest `TemplateBody` CloudFormation accepts inline; larger ones need `TemplateURL` (an S3 object).
pub const MAX_TEMPLATE_BODY: usize = 51_200;

/// The record kept on each stack (tags and template Metadata).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub template: String,
    pub version: Version,
    pub spec_hash: String,
}

impl Record {
    pub fn tags(&self) -> Vec<(String, String)> {
        vec![
            (TAG_TEMPLATE.to_owned(), self.template.clone()),
            (TAG_VERSION.to_owned(), self.version.to_string()),
            (TAG_SPEC_HASH.to_owned(), self.spec_hash.clone()),
        ]
    }

    /// The record read back from a stack's tags; `None` when the stack has none (never deployed by us).
    pub fn from_tags<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<Record> {
        let (mut template, mut version, mut hash) = (None, None, None);
        for (k, v) in tags {
            match k {
                TAG_TEMPLATE => template = Some(v.to_owned()),
                TAG_VERSION => version = Version::parse(v),
                TAG_SPEC_HASH => hash = Some(v.to_owned()),
                _ => {}
            }
        }
        Some(Record {
            template: template?,
            version: version?,
            spec_hash: hash.unwrap_or_default(),
        })
    }
}

/// Hash of the part of a spec a stack was rendered from (its validated inputs as JSON): 16 hex digits of SHA-256.
pub fn spec_hash(part: &Value) -> String {
    let digest = Sha256::digest(part.to_string().as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Turn a rendered template (YAML with CloudFormation short-form tags, or JSON) into a JSON value with
/// long-form intrinsics, and record `record` under `Metadata.proton-synth`.
pub fn prepare(rendered: &str, record: &Record) -> Result<Value, String> {
    let root = parse_yaml(rendered).map_err(|e| match e.line {
        Some(l) => format!("line {l}: {}", e.message),
        None => e.message,
    })?;
    let mut value = long_form(&root);
    let Value::Object(map) = &mut value else {
        return Err("the rendered template is not a mapping".to_owned());
    };
    let metadata = map.entry("Metadata").or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(metadata) = metadata else {
        return Err("the template's Metadata is not a mapping".to_owned());
    };
    metadata.insert(
        "proton-synth".to_owned(),
        serde_json::json!({
            "template": record.template,
            "template-version": record.version.to_string(),
            "spec-hash": record.spec_hash,
        }),
    );
    Ok(value)
}

/// A node as JSON, with `!Ref x` → `{"Ref": x}`, `!Condition c` → `{"Condition": c}`, `!GetAtt A.B` →
/// `{"Fn::GetAtt": ["A", "B"]}` and every other `!Fn v` → `{"Fn::Fn": v}`.
pub fn long_form(node: &Node) -> Value {
    let inner = match &node.value {
        NodeValue::Seq(items) => Value::Array(items.iter().map(long_form).collect()),
        NodeValue::Map(entries) => Value::Object(entries.iter().map(|(k, v)| (k.key_text(), long_form(v))).collect()),
        _ => node.to_json(),
    };
    let Some(tag) = node.tag.as_deref().and_then(|t| t.strip_prefix('!')) else {
        return inner;
    };
    let (key, value) = match (tag, inner) {
        ("Ref" | "Condition", v) => (tag.to_owned(), v),
        ("GetAtt", Value::String(s)) => {
            let parts = match s.split_once('.') {
                Some((resource, attribute)) => vec![resource.into(), attribute.into()],
                None => vec![Value::String(s)],
            };
            ("Fn::GetAtt".to_owned(), Value::Array(parts))
        }
        (_, v) => (format!("Fn::{tag}"), v),
    };
    let mut map = Map::new();
    map.insert(key, value);
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            template: "public-vpc".into(),
            version: Version { major: 1, minor: 2 },
            spec_hash: "00ff".into(),
        }
    }

    #[test]
    fn short_form_tags_become_long_form_and_the_record_is_added() {
        let yaml = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub '${AWS::StackName}-b'\n\
                    Outputs:\n  A:\n    Value: !GetAtt B.Arn\n  R:\n    Value: !Ref B\n  Z:\n    Value: !Select [0, !GetAZs '']\n";
        let v = prepare(yaml, &record()).unwrap();
        assert_eq!(
            v["Resources"]["B"]["Properties"]["BucketName"],
            serde_json::json!({"Fn::Sub": "${AWS::StackName}-b"})
        );
        assert_eq!(
            v["Outputs"]["A"]["Value"],
            serde_json::json!({"Fn::GetAtt": ["B", "Arn"]})
        );
        assert_eq!(v["Outputs"]["R"]["Value"], serde_json::json!({"Ref": "B"}));
        assert_eq!(
            v["Outputs"]["Z"]["Value"],
            serde_json::json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]})
        );
        assert_eq!(v["Metadata"]["proton-synth"]["template-version"], "1.2");
    }

    #[test]
    fn existing_metadata_is_kept_and_a_non_mapping_is_an_error() {
        let v = prepare("{\"Metadata\": {\"x\": 1}, \"Resources\": {}}", &record()).unwrap();
        assert_eq!(v["Metadata"]["x"], 1);
        assert_eq!(v["Metadata"]["proton-synth"]["spec-hash"], "00ff");
        assert!(prepare("Metadata: 3\nResources: {}\n", &record())
            .unwrap_err()
            .contains("Metadata"));
        assert!(prepare("[1]", &record()).unwrap_err().contains("not a mapping"));
    }

    #[test]
    fn records_round_trip_through_tags_and_hashes_are_stable() {
        let tags = record().tags();
        let back = Record::from_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert_eq!(back, Some(record()));
        assert_eq!(Record::from_tags([("other", "x")]), None);
        let a = spec_hash(&serde_json::json!({"a": 1}));
        assert_eq!(a.len(), 16);
        assert_eq!(a, spec_hash(&serde_json::json!({"a": 1})));
        assert_ne!(a, spec_hash(&serde_json::json!({"a": 2})));
    }
}
