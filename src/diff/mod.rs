//! `diff`: what deploying a new synthesis or rendering would change, offline (like `cdk diff` without an AWS
//! account).
//!
//! Both sides are [`Snapshot`]s: the CloudFormation templates of a synth output folder, a render output
//! folder or a single template file, plus the AWS Proton schemas of the bundles it holds. [`diff_sets`]
//! pairs templates and schemas by name and returns a typed [`Diff`]:
//!
//! - per template ([`diff_templates`]), resources added, removed, modified or renamed. A modification says
//!   whether it replaces the resource ([`Replacement`]): a changed `createOnlyProperties` path of the vendored
//!   registry schema replaces it, a `conditionalCreateOnlyProperties` path may, a type without a vendored
//!   schema is [`Replacement::Unknown`]. A changed `Type` replaces. A property that references a replaced
//!   resource (`Ref`, `Fn::GetAtt`, `Fn::Sub`) in a create-only path is replaced with it, and one that
//!   references a parameter whose default changed may be. A removed and an added resource of the same type
//!   with equal or near-equal properties are reported as one [`ChangeKind::Renamed`] (a logical ID change:
//!   CloudFormation creates the new resource and deletes the old one). The registry schemas say nothing about
//!   interruptions ("Some interruptions"), so every other modification is an update: [`Replacement::Never`].
//! - exports removed or renamed while a template of the new set still imports them (`Fn::ImportValue`), and
//!   exports whose value changes while imported (CloudFormation refuses to update those).
//! - AWS Proton schema changes ([`diff_schemas`]), each marked breaking or not with Proton's rules for a
//!   minor version.
//!
//! The library returns values; printing (text or the JSON of [`to_json`]) is the CLI's.

mod cli;
mod outputs;
#[rustfmt::skip]
mod registry;
mod render;
mod replacement;
mod schema;
mod source;
mod template;
mod values;

use serde_json::Value;

use crate::engine;

pub use cli::{compare, run_diff, DiffArgs, FailOn, OutputFormat};
pub use outputs::{
    changed_exports_in_use, export_issues, ExportIssue, ExportIssueKind, OutputChange, ParameterChange, SideChange,
};
pub use render::{render_text, to_json};
pub use replacement::{Replacement, ResourceSchemas};
pub use schema::{diff_schemas, SchemaChange, SchemaChangeKind};
pub use source::{BundleRender, Snapshot, SnapshotKind};
pub use template::diff_templates;

/// A CloudFormation template, parsed (long-form intrinsic functions: `{"Ref": …}`, `{"Fn::GetAtt": […]}`).
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateDoc {
    /// The name templates are paired by (`public-vpc`, `lb-fargate-service.instance`, `environment`).
    pub name: String,
    /// The template body.
    pub body: Value,
}

impl TemplateDoc {
    /// A template from its parsed body.
    pub fn new(name: impl Into<String>, body: Value) -> TemplateDoc {
        TemplateDoc {
            name: name.into(),
            body,
        }
    }

    /// Parse JSON or YAML text (CloudFormation's short-form tags `!Ref`, `!GetAtt`, `!Sub`, … become their
    /// long form). `file` names the text in errors.
    pub fn parse(name: impl Into<String>, text: &str, file: &str) -> Result<TemplateDoc, String> {
        values::parse_template(text, file).map(|body| TemplateDoc::new(name, body))
    }
}

/// One resource change.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// Logical ID in the new template (in the old one for [`ChangeKind::Removed`]).
    pub logical_id: String,
    /// `Type` in the new template (in the old one for [`ChangeKind::Removed`]).
    pub resource_type: String,
    pub kind: ChangeKind,
}

impl Change {
    /// Whether this resource is or may be replaced: renamed, or modified with a replacement other than
    /// [`Replacement::Never`].
    pub fn replaces(&self) -> bool {
        match &self.kind {
            ChangeKind::Renamed { .. } => true,
            ChangeKind::Modified { replacement, .. } => *replacement != Replacement::Never,
            ChangeKind::Added | ChangeKind::Removed => false,
        }
    }
}

/// What happens to a resource.
#[derive(Clone, Debug, PartialEq)]
pub enum ChangeKind {
    Added,
    Removed,
    /// Same logical ID, different definition. `replacement` is the strongest of `props`.
    Modified {
        props: Vec<PropChange>,
        replacement: Replacement,
    },
    /// The logical ID changed (`from` is the old one) and the definition is equal or near-equal (`props`
    /// lists the differences). CloudFormation creates a new resource and deletes the old one: a replacement.
    Renamed {
        from: String,
        props: Vec<PropChange>,
    },
}

/// One changed value inside a resource.
#[derive(Clone, Debug, PartialEq)]
pub struct PropChange {
    /// Where: `Properties.CidrBlock`, `Properties.Tags[0].Value`, `Type`, `DeletionPolicy`, `Metadata.x`.
    pub path: String,
    /// Old value (`None`: absent).
    pub old: Option<Value>,
    /// New value (`None`: absent).
    pub new: Option<Value>,
    pub replacement: Replacement,
    /// Why an unchanged value changes at deploy time: `references VPCB9E5F0B4, which is replaced`.
    pub cause: Option<String>,
}

/// How two versions of a template differ.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TemplateDiff {
    pub name: String,
    /// Resource changes, sorted by logical ID.
    pub changes: Vec<Change>,
    pub parameters: Vec<ParameterChange>,
    pub outputs: Vec<OutputChange>,
    /// Other top-level sections that changed (`Conditions`, `Mappings`, `Description`, …).
    pub sections: Vec<String>,
}

impl TemplateDiff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.parameters.is_empty() && self.outputs.is_empty() && self.sections.is_empty()
    }
}

/// A template present on one side only, or on both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateStatus {
    Added,
    Removed,
    Changed,
}

/// The differences between two snapshots.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diff {
    /// Templates with differences (an added or removed template lists all its resources), sorted by name.
    pub templates: Vec<(TemplateStatus, TemplateDiff)>,
    /// Exports removed or renamed while still imported, sorted.
    pub exports: Vec<ExportIssue>,
    /// AWS Proton schema changes by bundle name, sorted.
    pub schemas: Vec<(String, Vec<SchemaChange>)>,
    /// What could not be compared (a side without templates, a bundle whose templates are Jinja).
    pub notes: Vec<String>,
}

impl Diff {
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.templates.is_empty() && self.exports.is_empty() && self.schemas.is_empty()
    }

    /// The differences of one template, by name.
    pub fn template(&self, name: &str) -> Option<&TemplateDiff> {
        self.templates.iter().map(|(_, t)| t).find(|t| t.name == name)
    }

    /// Whether a resource is or may be replaced (`--fail-on replace`): a rename, a changed type, or a
    /// modification whose replacement is anything but [`Replacement::Never`].
    pub fn has_replacement(&self) -> bool {
        self.templates
            .iter()
            .flat_map(|(_, t)| &t.changes)
            .any(|c| match &c.kind {
                ChangeKind::Renamed { .. } => true,
                ChangeKind::Modified { replacement, .. } => *replacement != Replacement::Never,
                ChangeKind::Added | ChangeKind::Removed => false,
            })
    }

    /// Whether something breaks users (`--fail-on breaking`): a breaking Proton schema change, or an export
    /// removed, renamed or changing value while still imported.
    pub fn has_breaking(&self) -> bool {
        !self.exports.is_empty() || self.schemas.iter().flat_map(|(_, c)| c).any(|c| c.breaking)
    }
}

/// Compare two snapshots: templates paired by name (two single templates are paired whatever their names),
/// Proton schemas paired by bundle name, and exports checked across the whole new set.
pub fn diff_sets(old: &Snapshot, new: &Snapshot, schemas: &ResourceSchemas) -> Diff {
    let mut diff = Diff {
        notes: old.notes.iter().chain(&new.notes).cloned().collect(),
        ..Diff::default()
    };
    let unrendered = |s: &Snapshot| s.kind == SnapshotKind::Bundle && s.templates.is_empty();
    if unrendered(old) || unrendered(new) {
        // An unrendered bundle's templates are Jinja: only schemas compare (its note says so).
        diff_bundles(old, new, &mut diff);
        return diff;
    }
    let single = old.kind == SnapshotKind::Template && new.kind == SnapshotKind::Template;
    let empty = TemplateDoc::new("", Value::Object(Default::default()));
    let pairs: Vec<(Option<&TemplateDoc>, Option<&TemplateDoc>)> = if single {
        vec![(old.templates.values().next(), new.templates.values().next())]
    } else {
        let names: std::collections::BTreeSet<&String> = old.templates.keys().chain(new.templates.keys()).collect();
        names
            .into_iter()
            .map(|n| (old.templates.get(n), new.templates.get(n)))
            .collect()
    };
    let both = !old.templates.is_empty() && !new.templates.is_empty();
    if !single && both && !pairs.iter().any(|(o, n)| o.is_some() && n.is_some()) {
        let names = |s: &Snapshot| s.templates.keys().cloned().collect::<Vec<_>>().join(", ");
        diff.notes.push(format!(
            "no template name is on both sides ({}: {}; {}: {}); templates pair by name",
            old.source,
            names(old),
            new.source,
            names(new)
        ));
    }
    for (o, n) in pairs {
        let status = match (o, n) {
            (None, _) => TemplateStatus::Added,
            (_, None) => TemplateStatus::Removed,
            _ => TemplateStatus::Changed,
        };
        let mut t = diff_templates(o.unwrap_or(&empty), n.unwrap_or(&empty), schemas);
        t.name = n.or(o).map(|d| d.name.clone()).unwrap_or_default();
        if !t.is_empty() || status != TemplateStatus::Changed {
            diff.templates.push((status, t));
        }
    }
    diff.exports = export_issues(old.templates.values(), new.templates.values());
    let changed = diff.templates.iter().filter_map(|(status, t)| {
        let doc = new
            .templates
            .get(&t.name)
            .filter(|_| *status == TemplateStatus::Changed)?;
        let replaced = t
            .changes
            .iter()
            .filter(|c| c.replaces())
            .map(|c| c.logical_id.clone())
            .collect();
        Some((doc, t.outputs.as_slice(), replaced))
    });
    diff.exports
        .extend(changed_exports_in_use(changed, new.templates.values()));
    diff.exports.sort();
    diff_bundles(old, new, &mut diff);
    diff
}

/// Proton schemas paired by bundle name (two single bundles whatever their names), and a note for each
/// changed Jinja template of two bundles.
fn diff_bundles(old: &Snapshot, new: &Snapshot, diff: &mut Diff) {
    let bundles = old.kind == SnapshotKind::Bundle && new.kind == SnapshotKind::Bundle;
    let pairs: Vec<(String, Option<&engine::Schema>, Option<&engine::Schema>)> = if bundles {
        let name = new.schemas.keys().next().cloned().unwrap_or_default();
        vec![(name, old.schemas.values().next(), new.schemas.values().next())]
    } else {
        let names: std::collections::BTreeSet<&String> = old.schemas.keys().chain(new.schemas.keys()).collect();
        names
            .into_iter()
            .map(|n| (n.clone(), old.schemas.get(n), new.schemas.get(n)))
            .collect()
    };
    for (name, o, n) in pairs {
        let changes = match (o, n) {
            (Some(o), Some(n)) => diff_schemas(o, n),
            (Some(_), None) => vec![SchemaChange::template_removed()],
            (None, _) => continue,
        };
        if !changes.is_empty() {
            diff.schemas.push((name, changes));
        }
    }
    if bundles {
        let strip = |p: &String| p.split_once('/').map_or(p.clone(), |(_, rest)| rest.to_owned());
        let o: std::collections::BTreeMap<String, &String> =
            old.bundle_files.iter().map(|(p, t)| (strip(p), t)).collect();
        for (path, text) in &new.bundle_files {
            if o.get(&strip(path)) != Some(&text) {
                diff.notes.push(format!("{path}: the Jinja template changed"));
            }
        }
    }
}
