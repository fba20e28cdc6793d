//! What one template's synthesis produces ([`TemplateOutput`]), and its IaC files: the bundle YAML of a
//! stack (checked by [`super::check`]) and its plain CloudFormation. The template-level steps are in
//! [`super::synth`], the schema in [`super::schema`], the archive in [`super::archive`].

use std::collections::{BTreeMap, BTreeSet};

use proton_synth_constructs::synth::JINJA_KEY;
use proton_synth_constructs::{Diagnostic, Diagnostics, Mode};
use serde_json::Value as J;

pub use super::archive::deterministic_tar_gz;
pub use super::check::validate_input_value;
use super::check::{check_loop_ids, FileCheck, Usage};
use super::format::{BundleKind, InfraKind, TemplateKind};
use super::input::{InputSpec, InputType};
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
    /// Plain CloudFormation templates: (file name, template).
    pub plain: Vec<(String, J)>,
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
                let text = String::from_utf8_lossy(self.bundle.get(&path)?).into_owned();
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

/// Remove what exists only in plain CloudFormation: parameters standing for Proton inputs or resource
/// parameters, and output exports (Proton passes outputs itself).
pub(super) fn strip_plain_only(tree: &mut J, managed: &BTreeSet<String>) -> Vec<String> {
    fn refs(v: &J, managed: &BTreeSet<String>, out: &mut Vec<String>) {
        match v {
            J::Object(o) => {
                if let Some(J::String(r)) = o.get("Ref") {
                    if managed.contains(r) && !out.contains(r) {
                        out.push(r.clone());
                    }
                }
                o.values().for_each(|x| refs(x, managed, out));
            }
            J::Array(a) => a.iter().for_each(|x| refs(x, managed, out)),
            _ => {}
        }
    }
    // A `Ref` to an input's plain parameter would dangle in the bundle: inputs are read through `value()`.
    let mut dangling = Vec::new();
    let Some(t) = tree.as_object_mut() else {
        return dangling;
    };
    if let Some(J::Object(params)) = t.get_mut("Parameters") {
        params.retain(|k, _| !managed.contains(k));
        if params.is_empty() {
            t.shift_remove("Parameters");
        }
    }
    if let Some(J::Object(outputs)) = t.get_mut("Outputs") {
        for o in outputs.values_mut() {
            if let Some(o) = o.as_object_mut() {
                o.shift_remove("Export");
            }
        }
    }
    refs(tree, managed, &mut dangling);
    dangling
}

/// Synthesize one IaC file: bundle YAML text, with its Jinja variables checked.
pub(super) fn synth_iac(
    part: &Part,
    check: &FileCheck<'_>,
    usage: &mut Usage,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    match part.stack.synth(Mode::Bundle) {
        Ok(s) => {
            diags.extend(s.warnings);
            let mut tree = s.template;
            for r in strip_plain_only(&mut tree, &part.managed_params) {
                diags.push(check.error(format!(
                    "`Ref: {r}` points to the plain-CloudFormation parameter of an input or Proton parameter, which bundles do not have; use the input's value() instead"
                )));
            }
            if let Some(params) = tree.get("Parameters").and_then(J::as_object) {
                for (id, p) in params {
                    if p.get("Default").is_none() {
                        diags.push(check.error(format!(
                            "CloudFormation parameter {id:?} has no Default; AWS Proton passes no parameters to its stacks: give it a default or declare an input instead"
                        )));
                    }
                }
            }
            check.check_tree(&tree, None, usage, diags);
            check_loop_ids(&tree, check, diags);
            Some(to_bundle_yaml(&tree))
        }
        Err(Diagnostics(d)) => {
            diags.extend(d);
            None
        }
    }
}

/// Drop parameters of unused inputs from a plain template (cfn-lint W2001), keeping user parameters.
fn strip_unreferenced(tree: &mut J, managed: &BTreeSet<String>) {
    fn refs(v: &J, out: &mut BTreeSet<String>) {
        match v {
            J::Object(o) => {
                if let Some(J::String(r)) = o.get("Ref") {
                    out.insert(r.clone());
                }
                o.values().for_each(|x| refs(x, out));
            }
            J::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut used = BTreeSet::new();
    refs(tree, &mut used);
    let Some(t) = tree.as_object_mut() else {
        return;
    };
    if let Some(J::Object(params)) = t.get_mut("Parameters") {
        params.retain(|k, _| !managed.contains(k) || used.contains(k));
        if params.is_empty() {
            t.shift_remove("Parameters");
        }
    }
}

pub(super) fn synth_plain(part: &Part, diags: &mut Vec<Diagnostic>) -> Option<J> {
    match part.stack.synth(Mode::Plain) {
        Ok(s) => {
            let mut t = s.template;
            strip_unreferenced(&mut t, &part.managed_params);
            super::pipeline_plain::declare_instance_params(&mut t);
            Some(t)
        }
        Err(Diagnostics(d)) => {
            // Errors were already reported by the bundle synthesis; report only new ones.
            let new: Vec<Diagnostic> = d.into_iter().filter(|x| !diags.contains(x)).collect();
            diags.extend(new);
            None
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

/// Raw Jinja placeholder text of a bundle-mode JSON value, re-exported for tests and tools.
pub fn is_jinja(v: &J) -> bool {
    v.as_object().is_some_and(|o| o.len() == 1 && o.contains_key(JINJA_KEY))
}
