//! Classify a change set's resource changes for review, in `diff`'s words: what is replaced comes first.
//!
//! [`TemplateDiffClassifier`] compares the stack's current template (`GetTemplate`) with the new rendered one
//! through [`crate::diff::diff_templates`] and the vendored [`ResourceSchemas`], the one table of create-only
//! properties. CloudFormation's own `Replacement` wins when the change set has one (it knows more: resolved
//! parameters, dynamic references); where it left `Replacement` out (moto always does), the template diff
//! decides, including `Conditional`/`Unknown`, renames and replacement through references.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use super::cfn_client::ResourceChange;
use crate::diff::{diff_templates, Change, ChangeKind, Replacement, ResourceSchemas, TemplateDoc};

/// What a change does to a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impact {
    /// Same logical ID, changed definition, and whether that replaces the resource.
    Modify(Replacement),
    /// A new logical ID for a resource that is otherwise (nearly) the same: a replacement.
    Rename,
    Remove,
    Add,
    /// An action this classifier does not know (`Import`, `Dynamic`).
    Other,
}

impl Impact {
    /// The review order of `diff`: replaced, possibly replaced, removed, updated, added.
    pub fn rank(self) -> u8 {
        match self {
            Impact::Rename | Impact::Modify(Replacement::Always) => 0,
            Impact::Modify(Replacement::Conditional | Replacement::Unknown) => 1,
            Impact::Remove => 2,
            Impact::Modify(Replacement::Never) => 3,
            Impact::Add => 4,
            Impact::Other => 5,
        }
    }

    /// Whether the resource is certainly replaced.
    pub fn replaces(self) -> bool {
        self.rank() == 0
    }
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Impact::Modify(r) => r.label(),
            Impact::Rename => "renamed (replacement)",
            Impact::Remove => "remove",
            Impact::Add => "add",
            Impact::Other => "other",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classified {
    pub impact: Impact,
    pub change: ResourceChange,
    /// Why, when it is not CloudFormation's own verdict (which values replace, what a rename came from).
    pub note: Option<String>,
}

/// Classify a change set. `old` is the stack's current template (None for a new stack), `new` the proposed
/// one, both as long-form JSON. The result is sorted: replacements first, then removals, updates, adds.
pub trait ClassifyChanges {
    fn classify(&self, old: Option<&Value>, new: &Value, changes: &[ResourceChange]) -> Vec<Classified>;
}

/// CloudFormation's `Replacement` where it gave one, else `diff`'s template comparison.
pub struct TemplateDiffClassifier {
    schemas: ResourceSchemas,
}

impl TemplateDiffClassifier {
    /// Over the vendored registry schemas.
    pub fn vendored() -> TemplateDiffClassifier {
        TemplateDiffClassifier::new(ResourceSchemas::vendored())
    }

    pub fn new(schemas: ResourceSchemas) -> TemplateDiffClassifier {
        TemplateDiffClassifier { schemas }
    }
}

impl Default for TemplateDiffClassifier {
    fn default() -> Self {
        TemplateDiffClassifier::vendored()
    }
}

impl ClassifyChanges for TemplateDiffClassifier {
    fn classify(&self, old: Option<&Value>, new: &Value, changes: &[ResourceChange]) -> Vec<Classified> {
        let empty = Value::Object(Default::default());
        let old = TemplateDoc::new("current", old.cloned().unwrap_or_else(|| empty.clone()));
        let diff = diff_templates(&old, &TemplateDoc::new("new", new.clone()), &self.schemas);
        let by_id: BTreeMap<&str, &Change> = diff.changes.iter().map(|c| (c.logical_id.as_str(), c)).collect();
        let renamed_to: BTreeMap<&str, &str> = diff
            .changes
            .iter()
            .filter_map(|c| match &c.kind {
                ChangeKind::Renamed { from, .. } => Some((from.as_str(), c.logical_id.as_str())),
                _ => None,
            })
            .collect();
        let mut out: Vec<Classified> = changes
            .iter()
            .map(|change| {
                let id = change.logical_id.as_str();
                let (impact, note) = one(change, by_id.get(id).copied(), renamed_to.get(id).copied());
                Classified {
                    impact,
                    change: change.clone(),
                    note,
                }
            })
            .collect();
        out.sort_by(|a, b| (a.impact.rank(), &a.change.logical_id).cmp(&(b.impact.rank(), &b.change.logical_id)));
        out
    }
}

/// One change set entry: `diffed` is the template diff's change of the same logical ID, `renamed_to` the new
/// ID when the diff found this removed resource renamed.
fn one(change: &ResourceChange, diffed: Option<&Change>, renamed_to: Option<&str>) -> (Impact, Option<String>) {
    match change.action.as_str() {
        "Add" => match diffed.map(|c| &c.kind) {
            Some(ChangeKind::Renamed { from, .. }) => (Impact::Rename, Some(format!("renamed from {from}"))),
            _ => (Impact::Add, None),
        },
        "Remove" => (Impact::Remove, renamed_to.map(|to| format!("renamed to {to}"))),
        "Modify" => modify(change, diffed),
        other => (Impact::Other, Some(format!("action {other}"))),
    }
}

fn modify(change: &ResourceChange, diffed: Option<&Change>) -> (Impact, Option<String>) {
    let from_cfn = match change.replacement.as_deref() {
        Some("True") => Some(Replacement::Always),
        Some("Conditional") => Some(Replacement::Conditional),
        Some("False") => Some(Replacement::Never),
        _ => None,
    };
    if let Some(r) = from_cfn {
        return (Impact::Modify(r), None);
    }
    match diffed.map(|c| &c.kind) {
        Some(ChangeKind::Modified { props, replacement }) => {
            let why: Vec<String> = props
                .iter()
                .filter(|p| p.replacement != Replacement::Never)
                .map(|p| match &p.cause {
                    Some(cause) => format!("{}: {}, {cause}", p.path, p.replacement.label()),
                    None => format!("{}: {}", p.path, p.replacement.label()),
                })
                .collect();
            (Impact::Modify(*replacement), (!why.is_empty()).then(|| why.join("; ")))
        }
        _ => (
            Impact::Modify(Replacement::Conditional),
            Some("CloudFormation did not say whether this replaces, and the templates show no change here".into()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(action: &str, id: &str, replacement: Option<&str>) -> ResourceChange {
        ResourceChange {
            action: action.into(),
            logical_id: id.into(),
            resource_type: "AWS::EC2::VPC".into(),
            replacement: replacement.map(str::to_owned),
            ..ResourceChange::default()
        }
    }

    fn summary(out: &[Classified]) -> Vec<(String, &str, &str)> {
        out.iter()
            .map(|c| {
                let note = c.note.as_deref().unwrap_or("");
                (c.impact.to_string(), c.change.logical_id.as_str(), note)
            })
            .collect()
    }

    #[test]
    fn cloudformations_own_replacement_wins_and_replacements_come_first() {
        let vpc = |cidr: &str| json!({"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr}});
        let old = json!({"Resources": {"R": vpc("10.0.0.0/16"), "M": vpc("10.0.0.0/16"),
                                       "C": vpc("10.0.0.0/16"), "D": vpc("10.0.0.0/16")}});
        let new = json!({"Resources": {"R": vpc("10.0.0.0/16"), "M": vpc("10.1.0.0/16"),
                                       "C": vpc("10.0.0.0/16"), "A": {"Type": "AWS::SQS::Queue"}}});
        let changes = [
            change("Add", "A", None),
            change("Modify", "M", Some("False")),
            change("Modify", "R", Some("True")),
            change("Remove", "D", None),
            change("Modify", "C", Some("Conditional")),
            change("Dynamic", "X", None),
        ];
        let out = TemplateDiffClassifier::vendored().classify(Some(&old), &new, &changes);
        let order: Vec<(String, &str)> = summary(&out).into_iter().map(|(i, id, _)| (i, id)).collect();
        let expected = [
            ("replace", "R"),
            ("may replace", "C"),
            ("remove", "D"),
            ("update", "M"),
            ("add", "A"),
            ("other", "X"),
        ];
        assert_eq!(order, expected.map(|(i, id)| (i.to_owned(), id)));
    }

    #[test]
    fn the_template_diff_decides_where_cloudformation_said_nothing() {
        let vpc = |cidr: &str, dns: bool| json!({"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr, "EnableDnsSupport": dns}});
        let subnet =
            json!({"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "V"}, "CidrBlock": "10.0.0.0/24"}});
        let queue = |n: &str| json!({"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 5, "Tags": [{"Key": "n", "Value": n}]}});
        let old = json!({"Resources": {"V": vpc("10.0.0.0/16", true), "W": vpc("10.0.0.0/16", true),
                                       "S": subnet, "X": {"Type": "Custom::Thing"}, "Q1": queue("a")}});
        let new = json!({"Resources": {"V": vpc("10.1.0.0/16", true), "W": vpc("10.0.0.0/16", false),
                                       "S": subnet, "X": {"Type": "Custom::Thing", "Properties": {"a": 1}},
                                       "Q2": queue("a")}});
        let changes = [
            change("Modify", "W", None),
            change("Modify", "X", None),
            change("Modify", "V", None),
            change("Modify", "S", None),
            change("Add", "Q2", None),
            change("Remove", "Q1", None),
        ];
        let out = TemplateDiffClassifier::vendored().classify(Some(&old), &new, &changes);
        let s = summary(&out);
        let expected = [
            ("renamed (replacement)", "Q2", "renamed from Q1"),
            ("replace", "S", ""),
            ("replace", "V", "Properties.CidrBlock: replace"),
            ("may replace (no schema for this type)", "X", ""),
            ("remove", "Q1", "renamed to Q2"),
            ("update", "W", ""),
        ];
        for (got, (impact, id, note)) in s.iter().zip(expected) {
            assert_eq!((got.0.as_str(), got.1), (impact, id), "{s:?}");
            if !note.is_empty() {
                assert_eq!(got.2, note, "{s:?}");
            }
        }
        assert_eq!(s.len(), expected.len());
        assert!(s[1].2.contains("Properties.VpcId: replace, references V"), "{s:?}");
    }
}
