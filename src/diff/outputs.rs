//! Parameters, outputs and exports: what changed, and exports removed or renamed while a template of the set
//! still imports them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::TemplateDoc;

/// Whether an entry was added, removed or modified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideChange {
    Added,
    Removed,
    Modified,
}

impl SideChange {
    pub fn as_str(self) -> &'static str {
        match self {
            SideChange::Added => "added",
            SideChange::Removed => "removed",
            SideChange::Modified => "modified",
        }
    }
}

/// A parameter added, removed or modified (`old`/`new`: its whole definition).
#[derive(Clone, Debug, PartialEq)]
pub struct ParameterChange {
    pub name: String,
    pub kind: SideChange,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

impl ParameterChange {
    /// Whether the parameter's `Default` changed: resources referencing it change when a stack uses it.
    pub fn default_changed(&self) -> bool {
        let default = |v: &Option<Value>| v.as_ref().and_then(|d| d.get("Default")).cloned();
        self.kind == SideChange::Modified && default(&self.old) != default(&self.new)
    }
}

/// An output added, removed or modified, with its export names (as written: `${EnvironmentName}-VpcId`).
#[derive(Clone, Debug, PartialEq)]
pub struct OutputChange {
    pub name: String,
    pub kind: SideChange,
    pub old: Option<Value>,
    pub new: Option<Value>,
    pub old_export: Option<String>,
    pub new_export: Option<String>,
}

/// An export of the old set that the new set no longer has, while a template of the new set imports it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExportIssue {
    /// The template that exported it.
    pub template: String,
    /// Its output.
    pub output: String,
    /// The export name (as written).
    pub export: String,
    pub kind: ExportIssueKind,
    /// Templates of the new set that import it, sorted.
    pub importers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExportIssueKind {
    /// The output or its export is gone.
    Removed,
    /// The same output now exports another name.
    Renamed { to: String },
    /// The export stays but its value changes (CloudFormation refuses to update an export in use).
    ValueChanged { reason: String },
}

fn section<'a>(body: &'a Value, key: &str, empty: &'a Map<String, Value>) -> &'a Map<String, Value> {
    body.get(key).and_then(Value::as_object).unwrap_or(empty)
}

/// Entries of a section (`Parameters`, `Outputs`) on each side: name, kind, old, new; sorted by name.
fn entries(old: &Value, new: &Value, key: &str) -> Vec<(String, SideChange, Option<Value>, Option<Value>)> {
    let empty = Map::new();
    let (o, n) = (section(old, key, &empty), section(new, key, &empty));
    let names: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let kind = match (o.get(name), n.get(name)) {
                (None, Some(_)) => SideChange::Added,
                (Some(_), None) => SideChange::Removed,
                (Some(a), Some(b)) if a != b => SideChange::Modified,
                _ => return None,
            };
            Some((name.clone(), kind, o.get(name).cloned(), n.get(name).cloned()))
        })
        .collect()
}

/// Parameters added, removed or modified, sorted by name.
pub fn diff_parameters(old: &Value, new: &Value) -> Vec<ParameterChange> {
    entries(old, new, "Parameters")
        .into_iter()
        .map(|(name, kind, old, new)| ParameterChange { name, kind, old, new })
        .collect()
}

/// Outputs added, removed or modified, sorted by name.
pub fn diff_outputs(old: &Value, new: &Value) -> Vec<OutputChange> {
    let export = |v: &Option<Value>| {
        v.as_ref()
            .and_then(|o| o.get("Export")?.get("Name"))
            .and_then(export_key)
    };
    entries(old, new, "Outputs")
        .into_iter()
        .map(|(name, kind, old, new)| OutputChange {
            name,
            kind,
            old_export: export(&old),
            new_export: export(&new),
            old,
            new,
        })
        .collect()
}

/// An export name as text: a literal, a `Ref` (as `${Name}`), an `Fn::Sub` (its variables substituted when
/// they are such texts themselves), or an `Fn::Join` of those. Other expressions cannot be compared and give
/// `None`.
pub fn export_key(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(m) if m.len() == 1 => {
            let (k, x) = m.iter().next()?;
            match (k.as_str(), x) {
                ("Ref", Value::String(r)) => Some(format!("${{{r}}}")),
                ("Fn::Sub", Value::String(s)) => Some(s.clone()),
                ("Fn::Sub", Value::Array(p)) if !p.is_empty() => {
                    let mut text = p[0].as_str()?.to_owned();
                    let vars = p.get(1).map_or(Some(&Map::new()), Value::as_object)?.clone();
                    for (name, value) in &vars {
                        text = text.replace(&format!("${{{name}}}"), &export_key(value)?);
                    }
                    Some(text)
                }
                ("Fn::Join", Value::Array(p)) if p.len() == 2 => {
                    let sep = p[0].as_str()?;
                    let parts: Option<Vec<String>> = p[1].as_array()?.iter().map(export_key).collect();
                    Some(parts?.join(sep))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The exports of a template: export name → output name.
fn exports(t: &TemplateDoc) -> BTreeMap<String, String> {
    let empty = Map::new();
    section(&t.body, "Outputs", &empty)
        .iter()
        .filter_map(|(name, o)| Some((export_key(o.get("Export")?.get("Name")?)?, name.clone())))
        .collect()
}

/// Every `Fn::ImportValue` name of a template.
fn imports(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| imports(x, out)),
        Value::Object(m) => {
            for (k, x) in m {
                if k == "Fn::ImportValue" {
                    if let Some(key) = export_key(x) {
                        out.insert(key);
                    }
                }
                imports(x, out);
            }
        }
        _ => {}
    }
}

/// Export name → the templates that import it.
fn importers<'a>(templates: impl IntoIterator<Item = &'a TemplateDoc>) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in templates {
        let mut found = BTreeSet::new();
        imports(&t.body, &mut found);
        for k in found {
            out.entry(k).or_default().insert(t.name.clone());
        }
    }
    out
}

/// Exports of the old set missing from the new set while a template of the new set imports them. Names are
/// compared as written (`${EnvironmentName}-VpcId` on both sides), so an export built from a parameter
/// matches an import built from the same parameter name.
pub fn export_issues<'a>(
    old: impl IntoIterator<Item = &'a TemplateDoc>,
    new: impl IntoIterator<Item = &'a TemplateDoc> + Clone,
) -> Vec<ExportIssue> {
    let new_exports: BTreeSet<String> = new.clone().into_iter().flat_map(|t| exports(t).into_keys()).collect();
    let importers = importers(new.clone());
    let mut issues = Vec::new();
    for t in old {
        let renamed_to: BTreeMap<String, String> = new
            .clone()
            .into_iter()
            .filter(|n| n.name == t.name)
            .flat_map(|n| exports(n).into_iter().map(|(k, o)| (o, k)))
            .collect();
        for (export, output) in exports(t) {
            let Some(users) = importers.get(&export).filter(|_| !new_exports.contains(&export)) else {
                continue;
            };
            let kind = match renamed_to.get(&output) {
                Some(to) => ExportIssueKind::Renamed { to: to.clone() },
                None => ExportIssueKind::Removed,
            };
            issues.push(ExportIssue {
                template: t.name.clone(),
                output,
                export,
                kind,
                importers: users.iter().cloned().collect(),
            });
        }
    }
    issues.sort();
    issues
}

/// Exports kept under their name whose value changes while another template of the new set imports them:
/// the output's `Value` changed, or it references a resource that is (or may be) replaced. `diffs` pairs
/// each changed template of the new set with the IDs of its replaced resources.
pub fn changed_exports_in_use<'a>(
    diffs: impl IntoIterator<Item = (&'a TemplateDoc, &'a [OutputChange], BTreeSet<String>)>,
    new: impl IntoIterator<Item = &'a TemplateDoc> + Clone,
) -> Vec<ExportIssue> {
    let importers_of = importers(new);
    let mut issues = Vec::new();
    for (doc, outputs, replaced) in diffs {
        let empty = Map::new();
        for (output, o) in section(&doc.body, "Outputs", &empty) {
            let Some(export) = o.get("Export").and_then(|e| e.get("Name")).and_then(export_key) else {
                continue;
            };
            let importers: Vec<String> = importers_of
                .get(&export)
                .into_iter()
                .flatten()
                .filter(|t| **t != doc.name)
                .cloned()
                .collect();
            if importers.is_empty() {
                continue;
            }
            let changed = outputs.iter().any(|c| {
                c.name == *output
                    && c.kind == SideChange::Modified
                    && c.old.as_ref().and_then(|v| v.get("Value")) != o.get("Value")
            });
            let via = o.get("Value").map(super::values::references).unwrap_or_default();
            let reason = if changed {
                "its Value changed".to_owned()
            } else if let Some(r) = via.iter().find(|r| replaced.contains(*r)) {
                format!("it references {r}, which is replaced or may be")
            } else {
                continue;
            };
            issues.push(ExportIssue {
                template: doc.name.clone(),
                output: output.clone(),
                export,
                kind: ExportIssueKind::ValueChanged { reason },
                importers,
            });
        }
    }
    issues.sort();
    issues
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn export_names_as_text() {
        let cases = [
            (json!("a-b"), Some("a-b")),
            (json!({"Fn::Sub": "${Env}-Vpc"}), Some("${Env}-Vpc")),
            (json!({"Fn::Join": ["-", [{"Ref": "Env"}, "Vpc"]]}), Some("${Env}-Vpc")),
            (
                json!({"Fn::Sub": ["${E}-Vpc", {"E": {"Ref": "Env"}}]}),
                Some("${Env}-Vpc"),
            ),
            (json!({"Fn::Sub": ["${E}-${K}", {"E": "x", "K": "y"}]}), Some("x-y")),
            (json!({"Fn::Sub": ["${E}", {"E": {"Fn::GetAtt": ["A", "B"]}}]}), None),
            (json!({"Fn::GetAtt": ["A", "B"]}), None),
        ];
        for (v, want) in cases {
            assert_eq!(export_key(&v).as_deref(), want, "{v}");
        }
    }
}
