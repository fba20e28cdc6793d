//! Suppressions of security-checker findings, written into a resource's `Metadata` in the format the
//! security gate (`scripts/security-check`) reads. Every suppression carries a written reason.
//!
//! - checkov: `Metadata.checkov.skip: [{id, comment}]`
//! - cfn-guard (Control Tower rules): `Metadata.guard.SuppressedRules: [CT.X.PR.n]` plus
//!   `Metadata.guard.Reasons: {CT.X.PR.n: reason}`

use serde_json::{json, Value as J};

use crate::stack::ResourceEntry;

/// The checker whose finding is suppressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// checkov (`CKV_AWS_nn`, `CKV2_AWS_nn`).
    Checkov,
    /// cfn-guard with the AWS Control Tower proactive rules (`CT.<SERVICE>.PR.<n>`).
    Guard,
}

/// Suppress finding `id` of `tool` on this resource with a written reason, merging into existing metadata.
/// Suppressing the same id twice keeps one entry (the latest reason).
pub fn suppress(entry: &mut ResourceEntry, tool: Tool, id: &str, reason: &str) {
    match tool {
        Tool::Checkov => {
            let ck = entry.metadata.entry("checkov".to_owned()).or_insert_with(|| json!({}));
            if !ck.is_object() {
                *ck = json!({});
            }
            let skip = ck
                .as_object_mut()
                .expect("object")
                .entry("skip")
                .or_insert_with(|| json!([]));
            if !skip.is_array() {
                *skip = json!([]);
            }
            let list = skip.as_array_mut().expect("array");
            list.retain(|e| e.get("id").and_then(J::as_str) != Some(id));
            list.push(json!({"id": id, "comment": reason}));
        }
        Tool::Guard => {
            let gd = entry.metadata.entry("guard".to_owned()).or_insert_with(|| json!({}));
            if !gd.is_object() {
                *gd = json!({});
            }
            let obj = gd.as_object_mut().expect("object");
            let rules = obj.entry("SuppressedRules").or_insert_with(|| json!([]));
            if !rules.is_array() {
                *rules = json!([]);
            }
            let list = rules.as_array_mut().expect("array");
            if !list.iter().any(|r| r.as_str() == Some(id)) {
                list.push(J::String(id.to_owned()));
            }
            let reasons = obj.entry("Reasons").or_insert_with(|| json!({}));
            if !reasons.is_object() {
                *reasons = json!({});
            }
            reasons
                .as_object_mut()
                .expect("object")
                .insert(id.to_owned(), J::String(reason.to_owned()));
        }
    }
}

/// Several suppressions at once: `(tool, id)` pairs sharing one reason.
pub fn suppress_all(entry: &mut ResourceEntry, ids: &[(Tool, &str)], reason: &str) {
    for (tool, id) in ids {
        suppress(entry, *tool, id, reason);
    }
}

/// The metadata keys written by [`suppress`], for tests.
pub fn suppressed_ids(entry: &ResourceEntry, tool: Tool) -> Vec<String> {
    match tool {
        Tool::Checkov => entry
            .metadata
            .get("checkov")
            .and_then(|c| c.get("skip"))
            .and_then(J::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|e| e.get("id").and_then(J::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        Tool::Guard => entry
            .metadata
            .get("guard")
            .and_then(|g| g.get("SuppressedRules"))
            .and_then(J::as_array)
            .map(|l| l.iter().filter_map(|e| e.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
    }
}
