//! The resources of two versions of one template: added, removed, modified (with replacement) and renamed.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::outputs::{diff_outputs, diff_parameters};
use super::values::{display_path, is_intrinsic, leaf_diffs, references};
use super::{Change, ChangeKind, PropChange, Replacement, ResourceSchemas, TemplateDiff, TemplateDoc};

/// Top-level sections compared as a whole (`Resources`, `Parameters` and `Outputs` are compared in detail).
const SECTIONS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Transform",
    "Conditions",
    "Mappings",
    "Rules",
];

/// Compare two versions of a template: resources (sorted by logical ID), parameters, outputs and the other
/// top-level sections. The result's `name` is the new template's.
pub fn diff_templates(old: &TemplateDoc, new: &TemplateDoc, schemas: &ResourceSchemas) -> TemplateDiff {
    let empty = Map::new();
    let resources = |d: &TemplateDoc| {
        d.body
            .get("Resources")
            .and_then(Value::as_object)
            .unwrap_or(&empty)
            .clone()
    };
    let (old_res, new_res) = (resources(old), resources(new));
    let mut changes = Vec::new();
    for (id, n) in &new_res {
        if let Some(o) = old_res.get(id) {
            let props = resource_changes(o, n, schemas);
            if !props.is_empty() {
                changes.push(modified(id, n, props));
            }
        }
    }
    let removed: Vec<&String> = old_res.keys().filter(|k| !new_res.contains_key(*k)).collect();
    let added: Vec<&String> = new_res.keys().filter(|k| !old_res.contains_key(*k)).collect();
    let renames = detect_renames(&old_res, &new_res, &removed, &added);
    let renamed_new: BTreeSet<&String> = renames.values().collect();
    for (from, to) in &renames {
        let canon = canonical(&old_res[from], &renames);
        let props = leaf_diffs(Some(&canon), Some(&new_res[to]))
            .into_iter()
            .map(|(p, o, n)| prop_change(&p, o, n, type_of(&new_res[to]), schemas))
            .collect();
        changes.push(change(
            to,
            &new_res[to],
            ChangeKind::Renamed {
                from: from.clone(),
                props,
            },
        ));
    }
    for id in removed.into_iter().filter(|r| !renames.contains_key(*r)) {
        changes.push(change(id, &old_res[id], ChangeKind::Removed));
    }
    for id in added.into_iter().filter(|a| !renamed_new.contains(a)) {
        changes.push(change(id, &new_res[id], ChangeKind::Added));
    }
    let parameters = diff_parameters(&old.body, &new.body);
    let changed_defaults: BTreeSet<String> = parameters
        .iter()
        .filter(|p| p.default_changed())
        .map(|p| p.name.clone())
        .collect();
    propagate(&mut changes, &old_res, &new_res, &changed_defaults, schemas);
    changes.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
    TemplateDiff {
        name: new.name.clone(),
        changes,
        parameters,
        outputs: diff_outputs(&old.body, &new.body),
        sections: SECTIONS
            .iter()
            .filter(|s| old.body.get(**s) != new.body.get(**s))
            .map(|s| (*s).to_owned())
            .collect(),
    }
}

fn type_of(def: &Value) -> &str {
    def.get("Type").and_then(Value::as_str).unwrap_or("")
}

fn change(id: &str, def: &Value, kind: ChangeKind) -> Change {
    Change {
        logical_id: id.to_owned(),
        resource_type: type_of(def).to_owned(),
        kind,
    }
}

fn modified(id: &str, def: &Value, props: Vec<PropChange>) -> Change {
    let replacement = props.iter().map(|p| p.replacement).max().unwrap_or(Replacement::Never);
    change(id, def, ChangeKind::Modified { props, replacement })
}

/// A definition with `Properties` present (empty when absent), so property paths are always below it.
fn with_properties(def: &Value) -> Value {
    let mut d = def.clone();
    if let Value::Object(m) = &mut d {
        m.entry("Properties").or_insert_with(|| Value::Object(Map::new()));
    }
    d
}

/// The differences inside one resource kept under the same logical ID.
fn resource_changes(old: &Value, new: &Value, schemas: &ResourceSchemas) -> Vec<PropChange> {
    let ty = type_of(new);
    leaf_diffs(Some(&with_properties(old)), Some(&with_properties(new)))
        .into_iter()
        .map(|(p, o, n)| prop_change(&p, o, n, ty, schemas))
        .collect()
}

fn prop_change(path: &[String], old: Option<Value>, new: Option<Value>, ty: &str, s: &ResourceSchemas) -> PropChange {
    let replacement = match path.first().map(String::as_str) {
        Some("Type") => Replacement::Always,
        Some("Properties") => s.replacement_of(ty, &path[1..], old.as_ref(), new.as_ref()),
        _ => Replacement::Never,
    };
    PropChange {
        path: display_path(path),
        old,
        new,
        replacement,
        cause: None,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Renames

/// Pair removed and added resources of the same type whose definitions are equal once references to
/// already paired resources are mapped (repeated until nothing new pairs, so a renamed VPC pairs before its
/// subnets), then near-equal ones (at most a quarter of their values differ). `Tags` are not compared: a
/// construct's `Name` tag usually carries the path that changed. Returns old ID → new ID.
fn detect_renames(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    removed: &[&String],
    added: &[&String],
) -> BTreeMap<String, String> {
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    let mut taken: BTreeSet<&String> = BTreeSet::new();
    let targets: Vec<(&String, Value)> = added.iter().map(|a| (*a, comparable(&new[a.as_str()]))).collect();
    loop {
        let mut found = false;
        for &r in removed {
            if renames.contains_key(r) {
                continue;
            }
            let canon = comparable(&canonical(&old[r.as_str()], &renames));
            let hit = targets.iter().find(|(a, v)| {
                !taken.contains(a) && type_of(&new[a.as_str()]) == type_of(&old[r.as_str()]) && *v == canon
            });
            if let Some((a, _)) = hit {
                renames.insert(r.clone(), (*a).clone());
                taken.insert(a);
                found = true;
            }
        }
        if !found {
            break;
        }
    }
    near_equal_pairs(old, new, removed, added, &mut renames);
    renames
}

fn near_equal_pairs(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    removed: &[&String],
    added: &[&String],
    renames: &mut BTreeMap<String, String>,
) {
    let mut candidates: Vec<(usize, &String, &String)> = Vec::new();
    for &r in removed.iter().filter(|r| !renames.contains_key(**r)) {
        let o = comparable(&canonical(&old[r.as_str()], renames));
        for &a in added
            .iter()
            .filter(|a| type_of(&new[a.as_str()]) == type_of(&old[r.as_str()]))
        {
            let n = comparable(&new[a.as_str()]);
            let diffs = leaf_diffs(Some(&o), Some(&n)).len();
            let size = leaf_count(&o).max(leaf_count(&n));
            if diffs * 4 <= size {
                candidates.push((diffs, r, a));
            }
        }
    }
    candidates.sort();
    for (_, r, a) in candidates {
        if !renames.contains_key(r) && !renames.values().any(|v| v == a) {
            renames.insert(r.clone(), a.clone());
        }
    }
}

/// What rename detection compares: the definition without `Properties.Tags`.
fn comparable(def: &Value) -> Value {
    let mut d = with_properties(def);
    if let Some(Value::Object(p)) = d.get_mut("Properties") {
        p.remove("Tags");
    }
    d
}

fn leaf_count(v: &Value) -> usize {
    match v {
        Value::Object(m) if !is_intrinsic(v) => m.values().map(leaf_count).sum(),
        Value::Array(a) => a.iter().map(leaf_count).sum(),
        _ => 1,
    }
}

/// An old definition with its references to renamed resources rewritten to their new IDs.
fn canonical(v: &Value, renames: &BTreeMap<String, String>) -> Value {
    let map = |s: &str| renames.get(s).cloned().unwrap_or_else(|| s.to_owned());
    match v {
        Value::Array(items) => Value::Array(items.iter().map(|i| canonical(i, renames)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let x = match (k.as_str(), x) {
                        ("Ref", Value::String(s)) => Value::String(map(s)),
                        ("Fn::GetAtt", Value::Array(p)) if !p.is_empty() => {
                            let mut p = p.clone();
                            if let Value::String(s) = &p[0] {
                                p[0] = Value::String(map(s));
                            }
                            Value::Array(p)
                        }
                        ("Fn::Sub", Value::String(s)) => Value::String(rename_sub(s, renames)),
                        _ => canonical(x, renames),
                    };
                    (k.clone(), x)
                })
                .collect(),
        ),
        _ => v.clone(),
    }
}

fn rename_sub(s: &str, renames: &BTreeMap<String, String>) -> String {
    let mut out = s.to_owned();
    for (from, to) in renames {
        out = out
            .replace(&format!("${{{from}}}"), &format!("${{{to}}}"))
            .replace(&format!("${{{from}."), &format!("${{{to}."));
    }
    out
}

// ---------------------------------------------------------------------------------------------------------
// Replacement through references

/// Resources whose values reference a replaced resource (or a parameter whose default changed) change at
/// deploy time although their text does not: add those values, with their cause, until nothing new is
/// replaced.
fn propagate(
    changes: &mut Vec<Change>,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    changed_defaults: &BTreeSet<String>,
    schemas: &ResourceSchemas,
) {
    let mut done: BTreeSet<String> = BTreeSet::new();
    for _ in 0..=new.len() {
        let mut sources: BTreeMap<String, (Replacement, String)> = changed_defaults
            .iter()
            .map(|p| {
                (
                    p.clone(),
                    (
                        Replacement::Conditional,
                        format!("parameter {p}, whose default changed"),
                    ),
                )
            })
            .collect();
        for c in changes.iter() {
            if let Some(r) = replaced(c) {
                sources.insert(
                    c.logical_id.clone(),
                    (r, format!("{}, which is {}", c.logical_id, replaced_word(r))),
                );
            }
        }
        let mut grew = false;
        for (id, def) in new {
            if old.get(id).is_none_or(|o| type_of(o) != type_of(def)) {
                continue;
            }
            for (path, value, refs) in reference_sites(def) {
                let key = format!("{id} {}", display_path(&path));
                let Some((dep, cause)) = refs.iter().filter_map(|r| sources.get(r)).max_by_key(|s| s.0) else {
                    continue;
                };
                if done.contains(&key) || recorded(changes, id, &path) {
                    continue;
                }
                done.insert(key);
                let schema = schemas.replacement(type_of(def), &path[1..]);
                let replacement = match (schema, dep) {
                    (Replacement::Never, _) => Replacement::Never,
                    (Replacement::Always, Replacement::Always) => Replacement::Always,
                    (Replacement::Unknown, _) => Replacement::Unknown,
                    _ => Replacement::Conditional,
                };
                let prop = PropChange {
                    path: display_path(&path),
                    old: Some(value.clone()),
                    new: Some(value),
                    replacement,
                    cause: Some(format!("references {cause}")),
                };
                add_prop(changes, id, def, prop);
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
}

fn replaced(c: &Change) -> Option<Replacement> {
    match &c.kind {
        ChangeKind::Renamed { .. } => Some(Replacement::Always),
        ChangeKind::Modified { replacement, .. } if *replacement != Replacement::Never => Some(*replacement),
        _ => None,
    }
}

fn replaced_word(r: Replacement) -> &'static str {
    match r {
        Replacement::Always => "replaced",
        _ => "possibly replaced",
    }
}

fn recorded(changes: &[Change], id: &str, path: &[String]) -> bool {
    let shown = display_path(path);
    changes.iter().any(|c| {
        c.logical_id == id
            && matches!(&c.kind, ChangeKind::Modified { props, .. } | ChangeKind::Renamed { props, .. }
                if props.iter().any(|p| within(&shown, &p.path)))
    })
}

/// Whether the displayed path `inner` is `outer` or below it (`outer.x`, `outer[0]`).
fn within(inner: &str, outer: &str) -> bool {
    inner
        .strip_prefix(outer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

fn add_prop(changes: &mut Vec<Change>, id: &str, def: &Value, prop: PropChange) {
    match changes.iter_mut().find(|c| c.logical_id == id) {
        Some(Change {
            kind: ChangeKind::Modified { props, replacement },
            ..
        }) => {
            *replacement = (*replacement).max(prop.replacement);
            props.push(prop);
            props.sort_by(|a, b| a.path.cmp(&b.path));
        }
        Some(_) => {}
        None => changes.push(modified(id, def, vec![prop])),
    }
}

/// Every intrinsic value below `Properties` that references something: (path, value, names).
fn reference_sites(def: &Value) -> Vec<(Vec<String>, Value, BTreeSet<String>)> {
    fn walk(path: &mut Vec<String>, v: &Value, out: &mut Vec<(Vec<String>, Value, BTreeSet<String>)>) {
        match v {
            _ if is_intrinsic(v) => {
                let refs = references(v);
                if !refs.is_empty() {
                    out.push((path.clone(), v.clone(), refs));
                }
            }
            Value::Object(m) => m.iter().for_each(|(k, x)| {
                path.push(k.clone());
                walk(path, x, out);
                path.pop();
            }),
            Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| {
                path.push(i.to_string());
                walk(path, x, out);
                path.pop();
            }),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(p) = def.get("Properties") {
        walk(&mut vec!["Properties".to_owned()], p, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_reference_inside_a_changed_list_is_not_listed_twice() {
        let vpc = |cidr: &str| json!({"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr}});
        let ep = |ids: Value| json!({"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcId": "v", "ServiceName": "s", "RouteTableIds": ids}});
        let old = TemplateDoc::new(
            "t",
            json!({"Resources": {"V": vpc("10.0.0.0/16"), "E": ep(json!([{"Ref": "V"}]))}}),
        );
        let new = TemplateDoc::new(
            "t",
            json!({"Resources": {"V": vpc("10.1.0.0/16"), "E": ep(json!([{"Ref": "V"}, "rtb-1"]))}}),
        );
        let d = diff_templates(&old, &new, &ResourceSchemas::vendored());
        let ChangeKind::Modified { props, replacement } = &d.changes[0].kind else {
            panic!("{d:?}")
        };
        let paths: Vec<&str> = props.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            (paths, *replacement),
            (vec!["Properties.RouteTableIds"], Replacement::Never)
        );
        assert!(within("a.b[0]", "a.b") && within("a.b.c", "a.b") && within("a.b", "a.b") && !within("a.bc", "a.b"));
    }
}
