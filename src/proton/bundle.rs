//! What one template's synthesis produces ([`TemplateOutput`]), and its IaC files: the bundle YAML of a
//! stack (checked by [`super::check`]) and its plain CloudFormation. The template-level steps are in
//! [`super::synth`], the schema in [`super::schema`], the archive in [`super::archive`].

use std::collections::{BTreeMap, BTreeSet};

use proton_synth_constructs::synth::Node;
use proton_synth_constructs::{Diagnostic, Diagnostics, TemplateStats};

pub use super::archive::deterministic_tar_gz;
pub use super::check::validate_input_value;
use super::check::{check_loop_ids, FileCheck, Usage};
use super::format::{BundleKind, InfraKind, TemplateKind};
use super::input::{InputSpec, InputType};
use super::pipeline_plain::declare_instance_params;
use super::template::Part;
use super::writer::to_bundle_yaml;
use crate::engine::{check_templates, Analysis, Detail, Finding, IacTemplate};

/// The manifest of every CloudFormation IaC folder, byte-identical to AWS's samples.
pub const MANIFEST_YAML: &str = "infrastructure:\n  templates:\n    - file: \"cloudformation.yaml\"\n      rendering_engine: jinja\n      template_language: cloudformation\n";
/// File name of the IaC file in each infrastructure folder.
pub const IAC_FILE: &str = "cloudformation.yaml";

/// Settings of sample spec generation.
#[derive(Clone, Debug)]
pub struct SpecSettings {
    /// Environment name used by every instance of generated service specs.
    pub environment: String,
    /// Instance counts of the generated service specs (each ≤ 20).
    pub instance_counts: Vec<usize>,
}

impl Default for SpecSettings {
    fn default() -> Self {
        SpecSettings {
            environment: "Beta".into(),
            instance_counts: vec![1, 20],
        }
    }
}

/// Everything synthesized for one Proton template.
#[derive(Clone, Debug)]
pub struct TemplateOutput {
    pub name: String,
    pub kind: TemplateKind,
    pub major: u32,
    /// Bundle files by path relative to the bundle root (`schema/schema.yaml`, …).
    pub bundle: BTreeMap<String, Vec<u8>>,
    /// The bundle as `.tar.gz` with one wrapping folder named after the template.
    pub tar_gz: Vec<u8>,
    /// `.template-registration.yaml` (services).
    pub registration: Option<String>,
    /// Sample spec files: (file name, content).
    pub specs: Vec<(String, String)>,
    /// Plain CloudFormation templates: (file name, JSON text).
    pub plain: Vec<(String, String)>,
    /// Input summaries: (kind, name, type).
    pub inputs: Vec<(InfraKind, String, InputType)>,
    /// Declared outputs (environment outputs, or instance outputs of a service).
    pub outputs: Vec<String>,
    /// Compatible environments (`name:major`) of a service.
    pub compatible: Vec<String>,
    pub warnings: Vec<Diagnostic>,
    /// The schema as `check` and `render` read `schema/schema.yaml`, built from the typed declarations.
    pub schema: crate::engine::Schema,
}

impl TemplateOutput {
    /// The checker's verdict on the bundle, as `proton-synth check` would give it: Jinja syntax, functions,
    /// filters and tests, and every variable of each IaC file against its kind's namespace and the schema.
    /// The schema comes from the typed model ([`Self::schema`]) and the layout and manifests are the
    /// writer's by construction (and Proton's limits were checked on the files and archive), so nothing is
    /// parsed back. Returns the errors, each on the template.
    pub fn self_check(&self) -> Vec<Diagnostic> {
        let kind = match self.kind {
            TemplateKind::Environment => BundleKind::Environment,
            TemplateKind::Service => BundleKind::Service {
                pipeline: self.schema.pipeline_input_type.is_some(),
            },
        };
        let templates = kind
            .infra_kinds()
            .iter()
            .filter_map(|&k| {
                let path = format!("{}/{IAC_FILE}", k.folder());
                // The writer's own YAML: valid UTF-8 (the lossy decoding is never taken).
                let bytes = self.bundle.get(&path)?;
                let text = match std::str::from_utf8(bytes) {
                    Ok(text) => text.to_owned(),
                    Err(_) => String::from_utf8_lossy(bytes).into_owned(),
                };
                let display = format!("{}/{path}", self.name);
                Some(IacTemplate {
                    kind: k,
                    path,
                    display,
                    text,
                })
            })
            .collect();
        let analysis = Analysis {
            kind,
            schema: self.schema.clone(),
            templates,
        };
        check_templates(&analysis, Detail::ErrorsOnly)
            .0
            .into_iter()
            .filter(Finding::is_error)
            .map(|f| Diagnostic::error(&self.name, format!("bundle check: {f}")))
            .collect()
    }
}

/// True for `[A-Za-z0-9]{1,255}`.
pub fn is_logical_id(s: &str) -> bool {
    proton_synth_constructs::logical_id::is_valid_logical_id(s)
}

/// Every `Ref: <name>` of the tree, in the bundle spelling (`plain: false`: placeholders as Jinja, which
/// refers to nothing) or the plain one.
fn refs<'a>(v: &'a Node, plain: bool, out: &mut Vec<&'a str>) {
    match v {
        Node::Map(m) => {
            for (k, x) in m {
                if let (true, Node::Str(r) | Node::LoopId(r)) = (k == "Ref", x) {
                    out.push(r);
                }
                refs(x, plain, out);
            }
        }
        Node::List(a) | Node::Loop(_, a) => a.iter().for_each(|x| refs(x, plain, out)),
        Node::Repeat(_, x) => refs(x, plain, out),
        Node::Placeholder(_, x) if plain => refs(x, plain, out),
        _ => {}
    }
}

/// Remove what exists only in plain CloudFormation: parameters standing for Proton inputs or resource
/// parameters, and output exports (Proton passes outputs itself).
pub(super) fn strip_plain_only(tree: &mut Node, managed: &BTreeSet<String>) -> Vec<String> {
    // A `Ref` to an input's plain parameter would dangle in the bundle: inputs are read through `value()`.
    if let Some(params) = tree.get_mut("Parameters").and_then(Node::as_map_mut) {
        params.retain(|(k, _)| !managed.contains(k.as_ref()));
        if params.is_empty() {
            tree.remove("Parameters");
        }
    }
    if let Some(outputs) = tree.get_mut("Outputs").and_then(Node::as_map_mut) {
        for (_, o) in outputs {
            o.remove("Export");
        }
    }
    let mut all = Vec::new();
    refs(tree, false, &mut all);
    let mut dangling: Vec<String> = Vec::new();
    for r in all {
        if managed.contains(r) && !dangling.iter().any(|d| d == r) {
            dangling.push(r.to_owned());
        }
    }
    dangling
}

/// A part's stack resolved once: the bundle tree (plain-only parts stripped) and the plain JSON text.
pub(super) struct Resolved {
    /// The bundle tree, without the plain-only parameters and exports.
    pub(super) tree: Node,
    /// The plain CloudFormation JSON text (when asked for and its spelling has no errors).
    pub(super) plain: Option<String>,
    /// Errors of the plain spelling only, to report after the bundle's own.
    pub(super) plain_errors: Vec<Diagnostic>,
    /// `Ref`s of the bundle tree to plain-only parameters (they would dangle in the bundle).
    pub(super) dangling: Vec<String>,
    /// Statistics of the full plain template (before unused parameters are dropped).
    pub(super) stats: TemplateStats,
}

/// Resolve a part's stack once: the plain template first (the bundle drops more parameters than it does;
/// [`declare_instance_params`] adds the per-instance parameters of a plain pipeline), then the bundle tree.
/// Synthesis errors and warnings go to `diags`; `None` when it failed.
pub(super) fn resolve_part(part: &Part, plain: bool, diags: &mut Vec<Diagnostic>) -> Option<Resolved> {
    let s = match part.stack.synth_late_bound() {
        Ok(s) => s,
        Err(Diagnostics(d)) => {
            diags.extend(d);
            return None;
        }
    };
    diags.extend(s.warnings);
    let mut tree = s.template;
    let plain_errors = if plain { s.plain_errors } else { Vec::new() };
    let plain = (plain && plain_errors.is_empty()).then(|| {
        strip_unreferenced(&mut tree, &part.managed_params);
        let declared = declare_instance_params(&mut tree);
        let text = tree.to_json_string();
        undeclare(&mut tree, &declared);
        text
    });
    let dangling = strip_plain_only(&mut tree, &part.managed_params);
    Some(Resolved {
        tree,
        plain,
        plain_errors,
        dangling,
        stats: s.stats,
    })
}

/// Remove the parameters `names` (declared for the plain template only), and `Parameters` when it empties.
fn undeclare(tree: &mut Node, names: &[String]) {
    if names.is_empty() {
        return;
    }
    if let Some(params) = tree.get_mut("Parameters").and_then(Node::as_map_mut) {
        params.retain(|(k, _)| !names.iter().any(|n| n == k));
        if params.is_empty() {
            tree.remove("Parameters");
        }
    }
}

/// Synthesize one IaC file, resolving its stack once: the bundle YAML text, with its Jinja variables checked,
/// and (with `plain`) the plain CloudFormation JSON text.
pub(super) fn synth_iac(
    part: &Part,
    check: &FileCheck<'_>,
    usage: &mut Usage,
    diags: &mut Vec<Diagnostic>,
    plain: bool,
) -> (Option<String>, Option<String>) {
    let Some(r) = resolve_part(part, plain, diags) else {
        return (None, None);
    };
    for d in &r.dangling {
        diags.push(check.error(format!(
            "`Ref: {d}` points to the plain-CloudFormation parameter of an input or Proton parameter, which bundles do not have; use the input's value() instead"
        )));
    }
    if let Some(params) = r.tree.get("Parameters").and_then(Node::as_map) {
        for (id, p) in params {
            if p.get("Default").is_none() {
                diags.push(check.error(format!(
                    "CloudFormation parameter {id:?} has no Default; AWS Proton passes no parameters to its stacks: give it a default or declare an input instead"
                )));
            }
        }
    }
    check.check_tree(&r.tree, None, usage, diags);
    check_loop_ids(&r.tree, check, diags);
    diags.extend(r.plain_errors);
    (Some(to_bundle_yaml(&r.tree)), r.plain)
}

/// Drop parameters of unused inputs from a plain template (cfn-lint W2001), keeping user parameters.
fn strip_unreferenced(tree: &mut Node, managed: &BTreeSet<String>) {
    if managed.is_empty() {
        return;
    }
    let mut all = Vec::new();
    refs(tree, true, &mut all);
    let used: BTreeSet<String> = all
        .into_iter()
        .filter(|r| managed.contains(*r))
        .map(str::to_owned)
        .collect();
    if let Some(params) = tree.get_mut("Parameters").and_then(Node::as_map_mut) {
        params.retain(|(k, _)| !managed.contains(k.as_ref()) || used.contains(k.as_ref()));
        if params.is_empty() {
            tree.remove("Parameters");
        }
    }
}

pub(super) fn split(diags: Vec<Diagnostic>) -> Result<Vec<Diagnostic>, Diagnostics> {
    if diags.iter().any(Diagnostic::is_error) {
        let (mut e, w): (Vec<_>, Vec<_>) = diags.into_iter().partition(Diagnostic::is_error);
        e.extend(w);
        Err(Diagnostics(e))
    } else {
        Ok(diags)
    }
}

pub(super) fn summaries(
    kind: InfraKind,
    inputs: &[InputSpec],
) -> impl Iterator<Item = (InfraKind, String, InputType)> + '_ {
    inputs.iter().map(move |i| (kind, i.name.clone(), i.ty))
}
