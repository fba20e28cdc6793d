//! Classify a change set's resource changes for review: what is replaced comes first.
//!
//! [`ClassifyChanges`] is the seam for the offline template diff (`proton_synth::diff::diff_templates`, being
//! written in parallel): once it is merged, an adapter implementing this trait over `TemplateDiff` replaces
//! [`CreateOnlyFallback`]. Meanwhile [`ChangeSetFields`] reads CloudFormation's own `Action`/`Replacement`,
//! and [`CreateOnlyFallback`] fills in `Replacement` when CloudFormation did not compute it (moto never does)
//! by comparing the current and proposed templates: a changed `Type` or create-only property replaces.

use std::fmt;

use serde_json::Value;

use super::cfn_client::ResourceChange;
use super::create_only::create_only;

/// What a change does to a resource, in review order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    Replace,
    /// CloudFormation's `Replacement: Conditional`: replaced if a changed value resolves differently.
    MayReplace,
    Remove,
    Modify,
    Add,
    Other,
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Impact::Replace => "REPLACE",
            Impact::MayReplace => "MAY REPLACE",
            Impact::Remove => "REMOVE",
            Impact::Modify => "MODIFY",
            Impact::Add => "ADD",
            Impact::Other => "OTHER",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classified {
    pub impact: Impact,
    pub change: ResourceChange,
    /// Why, when it is not CloudFormation's own verdict (e.g. which create-only property changed).
    pub note: Option<String>,
}

/// Classify a change set. `old` is the stack's current template (None for a new stack), `new` the proposed
/// one, both as long-form JSON. The result is sorted: replacements first, then removals, modifications, adds.
pub trait ClassifyChanges {
    fn classify(&self, old: Option<&Value>, new: &Value, changes: &[ResourceChange]) -> Vec<Classified>;
}

/// CloudFormation's own `Action` and `Replacement` fields.
pub struct ChangeSetFields;

impl ChangeSetFields {
    fn one(change: &ResourceChange) -> Classified {
        let (impact, note) = match (change.action.as_str(), change.replacement.as_deref()) {
            ("Add", _) => (Impact::Add, None),
            ("Remove", _) => (Impact::Remove, None),
            ("Modify", Some("True")) => (Impact::Replace, None),
            ("Modify", Some("Conditional")) => (Impact::MayReplace, None),
            ("Modify", Some(_)) => (Impact::Modify, None),
            ("Modify", None) => (
                Impact::Modify,
                Some("CloudFormation did not say whether this replaces".to_owned()),
            ),
            (other, _) => (Impact::Other, Some(format!("action {other}"))),
        };
        Classified {
            impact,
            change: change.clone(),
            note,
        }
    }
}

impl ClassifyChanges for ChangeSetFields {
    fn classify(&self, _old: Option<&Value>, _new: &Value, changes: &[ResourceChange]) -> Vec<Classified> {
        sorted(changes.iter().map(ChangeSetFields::one).collect())
    }
}

/// [`ChangeSetFields`], plus a template comparison where CloudFormation left `Replacement` out.
pub struct CreateOnlyFallback;

impl ClassifyChanges for CreateOnlyFallback {
    fn classify(&self, old: Option<&Value>, new: &Value, changes: &[ResourceChange]) -> Vec<Classified> {
        let mut out: Vec<Classified> = changes.iter().map(ChangeSetFields::one).collect();
        for c in &mut out {
            if c.change.action != "Modify" || c.change.replacement.is_some() {
                continue;
            }
            let id = &c.change.logical_id;
            let before = old.and_then(|t| t.get("Resources")).and_then(|r| r.get(id));
            let after = new.get("Resources").and_then(|r| r.get(id));
            if let (Some(before), Some(after)) = (before, after) {
                (c.impact, c.note) = compare(before, after);
            }
        }
        sorted(out)
    }
}

/// Replacement of one resource from its two definitions.
fn compare(before: &Value, after: &Value) -> (Impact, Option<String>) {
    let type_of = |v: &Value| v.get("Type").and_then(Value::as_str).unwrap_or_default().to_owned();
    let (old_type, new_type) = (type_of(before), type_of(after));
    if old_type != new_type {
        return (
            Impact::Replace,
            Some(format!("type changes from {old_type} to {new_type}")),
        );
    }
    let Some(paths) = create_only(&new_type) else {
        return (
            Impact::Modify,
            Some(format!(
                "replacement unknown: no schema for {new_type} (CloudFormation did not say)"
            )),
        );
    };
    let props = |v: &Value| v.get("Properties").cloned().unwrap_or(Value::Null);
    let (old_props, new_props) = (props(before), props(after));
    let changed: Vec<&str> = paths
        .filter(|p| old_props.pointer(p) != new_props.pointer(p))
        .map(|p| p.trim_start_matches('/'))
        .collect();
    if changed.is_empty() {
        (Impact::Modify, Some("no create-only property changes".to_owned()))
    } else {
        (
            Impact::Replace,
            Some(format!("create-only {} changed", changed.join(", "))),
        )
    }
}

fn sorted(mut changes: Vec<Classified>) -> Vec<Classified> {
    changes.sort_by_key(|c| c.impact);
    changes
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

    #[test]
    fn change_set_fields_put_replacements_first() {
        let changes = [
            change("Add", "A", None),
            change("Modify", "M", Some("False")),
            change("Modify", "R", Some("True")),
            change("Remove", "D", None),
            change("Modify", "C", Some("Conditional")),
        ];
        let out = ChangeSetFields.classify(None, &json!({}), &changes);
        let order: Vec<(Impact, &str)> = out.iter().map(|c| (c.impact, c.change.logical_id.as_str())).collect();
        assert_eq!(
            order,
            [
                (Impact::Replace, "R"),
                (Impact::MayReplace, "C"),
                (Impact::Remove, "D"),
                (Impact::Modify, "M"),
                (Impact::Add, "A")
            ]
        );
    }

    #[test]
    fn the_fallback_finds_create_only_changes_where_cloudformation_said_nothing() {
        let vpc = |cidr: &str, dns: bool| json!({"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr, "EnableDnsSupport": dns}});
        let old = json!({"Resources": {"V": vpc("10.0.0.0/16", true), "W": vpc("10.0.0.0/16", true),
                                       "Q": {"Type": "AWS::SQS::Queue"}, "X": {"Type": "Custom::Thing"}}});
        let new = json!({"Resources": {"V": vpc("10.1.0.0/16", true), "W": vpc("10.0.0.0/16", false),
                                       "Q": {"Type": "AWS::SNS::Topic"}, "X": {"Type": "Custom::Thing", "Properties": {"a": 1}}}});
        let changes = [
            change("Modify", "W", None),
            change("Modify", "X", None),
            change("Modify", "V", None),
            change("Modify", "Q", None),
        ];
        let out = CreateOnlyFallback.classify(Some(&old), &new, &changes);
        let summary: Vec<(Impact, &str, &str)> = out
            .iter()
            .map(|c| (c.impact, c.change.logical_id.as_str(), c.note.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            summary,
            [
                (Impact::Replace, "V", "create-only CidrBlock changed"),
                (
                    Impact::Replace,
                    "Q",
                    "type changes from AWS::SQS::Queue to AWS::SNS::Topic"
                ),
                (Impact::Modify, "W", "no create-only property changes"),
                (
                    Impact::Modify,
                    "X",
                    "replacement unknown: no schema for Custom::Thing (CloudFormation did not say)"
                ),
            ]
        );
        // CloudFormation's own verdict wins.
        let out = CreateOnlyFallback.classify(Some(&old), &new, &[change("Modify", "V", Some("False"))]);
        assert_eq!(out[0].impact, Impact::Modify);
    }
}
