//! Bundle synthesis: the IaC files (checked for Jinja variables), `schema/schema.yaml`, manifests, the
//! deterministic `.tar.gz`, the template-sync layout, sample specs and plain CloudFormation, with Proton's
//! limits enforced.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use proton_synth_constructs::synth::JINJA_KEY;
use proton_synth_constructs::{Diagnostic, Diagnostics, Mode};
use serde_json::{json, Map, Value as J};

use super::input::{InputSpec, InputType, Kind};
use super::template::{EnvironmentInterface, EnvironmentTemplate, Part, ServiceTemplate, INSTANCES_LIST, INSTANCE_VAR};
use super::writer::{jinja_text, loop_body, loop_items, to_bundle_yaml, to_plain_yaml};

/// The manifest of every CloudFormation IaC folder, byte-identical to AWS's samples.
pub const MANIFEST_YAML: &str = "infrastructure:\n  templates:\n    - file: \"cloudformation.yaml\"\n      rendering_engine: jinja\n      template_language: cloudformation\n";
/// File name of the IaC file in each infrastructure folder.
pub const IAC_FILE: &str = "cloudformation.yaml";

/// Proton's limits (format notes, section 9).
pub mod limits {
    pub const MAX_BUNDLE_BYTES: usize = 5 * 1024 * 1024;
    pub const MAX_FILES: usize = 10;
    pub const MAX_MANIFEST_OR_SCHEMA_BYTES: usize = 50 * 1024;
    pub const MAX_OTHER_FILE_BYTES: usize = 200 * 1024;
    pub const MAX_NAME_LEN: usize = 100;
    pub const MAX_INSTANCES: usize = 20;
    pub const MAX_COMPATIBLE_ENVIRONMENTS: usize = 10;
}

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

/// Environment or service template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateKind {
    Environment,
    Service,
}

impl TemplateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::Environment => "environment",
            TemplateKind::Service => "service",
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
    pub inputs: Vec<(Kind, String, InputType)>,
    /// Declared outputs (environment outputs, or instance outputs of a service).
    pub outputs: Vec<String>,
    /// Compatible environments (`name:major`) of a service.
    pub compatible: Vec<String>,
    pub warnings: Vec<Diagnostic>,
}

/// True for `[A-Za-z0-9]{1,255}`.
pub fn is_logical_id(s: &str) -> bool {
    proton_synth_constructs::logical_id::is_valid_logical_id(s)
}

/// Proton names: 1–100 characters, `[0-9A-Za-z]+[0-9A-Za-z_-]*`.
pub fn check_name(what: &str, name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok {
        Err(format!("{what} {name:?} must match [0-9A-Za-z]+[0-9A-Za-z_-]*"))
    } else if name.len() > limits::MAX_NAME_LEN {
        Err(format!(
            "{what} {name:?} is {} characters; AWS Proton allows at most {}",
            name.len(),
            limits::MAX_NAME_LEN
        ))
    } else {
        Ok(())
    }
}

/// Validate a value against an input's schema constraints (type, enum, unanchored pattern, lengths, range).
pub fn validate_input_value(spec: &InputSpec, v: &J) -> Result<(), String> {
    let name = &spec.name;
    match (spec.ty, v) {
        (InputType::String, J::String(s)) => {
            if !spec.enum_values.is_empty() && !spec.enum_values.contains(s) {
                return Err(format!("{name}: {s:?} is not one of {:?}", spec.enum_values));
            }
            let len = s.chars().count() as u64;
            if spec.min_length.is_some_and(|m| len < m) || spec.max_length.is_some_and(|m| len > m) {
                return Err(format!(
                    "{name}: {s:?} has {len} characters, outside minLength/maxLength"
                ));
            }
            if let Some(p) = &spec.pattern {
                // Proton's patterns are ECMA-262, compiled as `check` and `render` compile them.
                match crate::engine::Pattern::new(p) {
                    Ok(re) if re.is_match(s) => {}
                    Ok(_) => return Err(format!("{name}: {s:?} does not match the pattern {p:?}")),
                    Err(why) => {
                        return Err(format!(
                            "{name}: the pattern {p:?} is not a valid regular expression ({why}); fix the pattern given to .pattern(…)"
                        ))
                    }
                }
            }
            Ok(())
        }
        (InputType::Number, J::Number(n)) => {
            let n = n.as_f64().unwrap_or(f64::NAN);
            if spec.minimum.is_some_and(|m| n < m) || spec.maximum.is_some_and(|m| n > m) {
                return Err(format!("{name}: {n} is outside minimum/maximum"));
            }
            Ok(())
        }
        (InputType::Boolean, J::Bool(_)) => Ok(()),
        (InputType::StringList, J::Array(items)) if items.iter().all(J::is_string) => Ok(()),
        _ => {
            let ty = match spec.ty {
                InputType::String => "a string",
                InputType::Number => "a number",
                InputType::Boolean => "a boolean",
                InputType::StringList => "a list of strings",
            };
            Err(format!(
                "{name}: {v} is not {ty}, the input's type; give a value of that type"
            ))
        }
    }
}

/// What the IaC files of a bundle read.
#[derive(Default, Debug)]
struct Usage {
    inputs: BTreeSet<(Kind, String)>,
    env_outputs: BTreeSet<(String, String)>,
    instance_outputs: BTreeSet<(String, String)>,
}

/// Context of checking one IaC file.
struct FileCheck<'a> {
    template_kind: TemplateKind,
    template: &'a str,
    kind: Kind,
    inputs: BTreeMap<Kind, &'a [InputSpec]>,
}

impl FileCheck<'_> {
    fn file(&self) -> String {
        format!("{}/{IAC_FILE}", self.kind.folder())
    }

    fn error(&self, msg: String) -> Diagnostic {
        Diagnostic::error(
            self.template,
            format!(
                "{} template {:?}, {}: {msg}",
                self.template_kind.as_str(),
                self.template,
                self.file()
            ),
        )
    }

    /// Check every Jinja variable of the tree and record usage.
    fn check_tree(&self, v: &J, loop_var: Option<&str>, usage: &mut Usage, diags: &mut Vec<Diagnostic>) {
        if let Some(text) = jinja_text(v) {
            self.check_text(text, loop_var, usage, diags);
            return;
        }
        if let Some((header, body)) = loop_body(v) {
            let var = self.loop_header(header, loop_var, diags);
            for (k, item) in body {
                self.check_text(k, var.as_deref(), usage, diags);
                self.check_tree(item, var.as_deref(), usage, diags);
            }
            return;
        }
        if let Some((header, items)) = loop_items(v) {
            let var = self.loop_header(header, loop_var, diags);
            for item in items {
                self.check_tree(item, var.as_deref(), usage, diags);
            }
            return;
        }
        match v {
            J::Array(items) => items.iter().for_each(|i| self.check_tree(i, loop_var, usage, diags)),
            J::Object(o) => o.values().for_each(|i| self.check_tree(i, loop_var, usage, diags)),
            _ => {}
        }
    }

    fn loop_header(&self, header: &str, outer: Option<&str>, diags: &mut Vec<Diagnostic>) -> Option<String> {
        let expected = format!("{INSTANCE_VAR} in {INSTANCES_LIST}");
        if self.kind != Kind::Pipeline || header != expected {
            diags.push(self.error(format!(
                "loop `{{% for {header} %}}` is not allowed here; only a pipeline may loop, over `{expected}`"
            )));
        }
        if outer.is_some() {
            diags.push(self.error("loops do not nest".into()));
        }
        header.split(" in ").next().map(str::to_owned)
    }

    fn check_text(&self, text: &str, loop_var: Option<&str>, usage: &mut Usage, diags: &mut Vec<Diagnostic>) {
        for path in jinja_paths(text) {
            if let Err(msg) = self.check_path(&path, loop_var, usage) {
                diags.push(self.error(format!("`{}`: {msg}", path.join("."))));
            }
        }
    }

    fn input(&self, kind: Kind, name: &str, usage: &mut Usage) -> Result<(), String> {
        let declared = self.inputs.get(&kind).copied().unwrap_or(&[]);
        let Some(spec) = declared.iter().find(|i| i.name == name) else {
            return Err(format!(
                "{} input {name:?} is not declared by {} template {:?} (declared: {})",
                kind.describe(),
                self.template_kind.as_str(),
                self.template,
                list(declared.iter().map(|i| i.name.as_str()))
            ));
        };
        if spec.default.is_none() && !spec.required {
            return Err(format!(
                "input {name:?} is used but is neither required nor has a default; a spec that omits it would make rendering fail (strict undefined): give it a default or mark it required"
            ));
        }
        usage.inputs.insert((kind, name.to_owned()));
        Ok(())
    }

    fn check_path(&self, path: &[String], loop_var: Option<&str>, usage: &mut Usage) -> Result<(), String> {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        let not_here = |what: &str| {
            Err(format!(
                "{what} is not available in {} ({} templates)",
                self.file(),
                self.kind.describe()
            ))
        };
        if let (Some(var), Some(first)) = (loop_var, p.first()) {
            if *first == "loop" {
                return Ok(());
            }
            if *first == var {
                return match &p[1..] {
                    ["name"] => Ok(()),
                    ["inputs", n] => self.input(Kind::ServiceInstance, n, usage),
                    ["outputs", n] => {
                        usage.instance_outputs.insert((path.join("."), (*n).to_owned()));
                        Ok(())
                    }
                    ["environment", "name" | "account_id"] => Ok(()),
                    ["environment", "outputs", n] => {
                        usage.env_outputs.insert((path.join("."), (*n).to_owned()));
                        Ok(())
                    }
                    _ => Err(format!("unknown attribute of the loop item {var}")),
                };
            }
        }
        match (self.kind, p.as_slice()) {
            (_, ["loop", ..]) | (_, [INSTANCE_VAR, ..]) if self.kind == Kind::Pipeline => Err(format!(
                "only available inside the loop over {INSTANCES_LIST} (use PipelineTemplate::per_instance / InstanceLoop::items)"
            )),
            (Kind::Environment, ["environment", "name"]) => Ok(()),
            (Kind::Environment, ["environment", "inputs", n]) => self.input(Kind::Environment, n, usage),
            (Kind::ServiceInstance, ["environment", "name" | "account_id"]) => Ok(()),
            (Kind::ServiceInstance, ["environment", "outputs", n]) => {
                usage.env_outputs.insert((path.join("."), (*n).to_owned()));
                Ok(())
            }
            (Kind::ServiceInstance, ["service", "name"]) => Ok(()),
            (Kind::ServiceInstance, ["service_instance", "name"]) => Ok(()),
            (Kind::ServiceInstance, ["service_instance", "inputs", n]) => self.input(Kind::ServiceInstance, n, usage),
            (Kind::Pipeline, ["service", "name" | "branch_name" | "repository_id" | "repository_connection_arn"]) => {
                Ok(())
            }
            (Kind::Pipeline, ["pipeline", "inputs", n]) => self.input(Kind::Pipeline, n, usage),
            (_, [_, "inputs", _]) => not_here(&format!("the {} input namespace `{}.{}`", p[0], p[0], p[1])),
            _ => not_here("this variable"),
        }
    }
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = items.collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// The variable paths of the `{{ … }}` expressions of a Jinja text: `{{ a.b["c-d"] | tojson }}` →
/// `[a, b, c-d]`. Expressions starting with a string literal (escapes) are skipped.
pub fn jinja_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        rest = &rest[start + 2..];
        let end = rest.find("}}").unwrap_or(rest.len());
        let expr = rest[..end].trim_start();
        rest = &rest[end..];
        let b = expr.as_bytes();
        let mut i = 0;
        let ident = |i: &mut usize| {
            let s = *i;
            while *i < b.len() && (b[*i].is_ascii_alphanumeric() || b[*i] == b'_') {
                *i += 1;
            }
            expr[s..*i].to_owned()
        };
        let first = ident(&mut i);
        if first.is_empty() {
            continue;
        }
        let mut path = vec![first];
        loop {
            if i < b.len() && b[i] == b'.' {
                i += 1;
                path.push(ident(&mut i));
            } else if expr[i..].starts_with("[\"") {
                let Some(close) = expr[i + 2..].find("\"]") else {
                    break;
                };
                path.push(expr[i + 2..i + 2 + close].to_owned());
                i += close + 4;
            } else {
                break;
            }
        }
        out.push(path);
    }
    out
}

/// Remove what exists only in plain CloudFormation: parameters standing for Proton inputs or resource
/// parameters, and output exports (Proton passes outputs itself).
fn strip_plain_only(tree: &mut J, managed: &BTreeSet<String>) -> Vec<String> {
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

/// Looped logical IDs get the loop index appended (`Deploy` → `Deploy1` … `Deploy20`); reject IDs that
/// can collide after rendering (`Deploy1` next to a looped `Deploy`, or looped `A` and `A1`).
fn check_loop_ids(tree: &J, check: &FileCheck<'_>, diags: &mut Vec<Diagnostic>) {
    use proton_synth_constructs::synth::LOOP_INDEX_SUFFIX;
    let Some(resources) = tree.get("Resources").and_then(J::as_object) else {
        return;
    };
    let mut fixed = Vec::new();
    let mut looped = Vec::new();
    for (k, v) in resources {
        match loop_body(v) {
            Some((_, body)) => looped.extend(body.keys().map(|b| b.trim_end_matches(LOOP_INDEX_SUFFIX).to_owned())),
            None => fixed.push(k.clone()),
        }
    }
    let digits_after = |id: &str, base: &str| {
        id.len() > base.len() && id.starts_with(base) && id[base.len()..].bytes().all(|b| b.is_ascii_digit())
    };
    for base in &looped {
        for other in fixed.iter().chain(looped.iter()) {
            if digits_after(other, base) {
                diags.push(check.error(format!(
                    "logical ID {other:?} can collide with {base:?} repeated per instance ({base}1, {base}2, …); rename one"
                )));
            }
        }
    }
}

/// Synthesize one IaC file: bundle YAML text, with its Jinja variables checked.
fn synth_iac(part: &Part, check: &FileCheck<'_>, usage: &mut Usage, diags: &mut Vec<Diagnostic>) -> Option<String> {
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

fn synth_plain(part: &Part, diags: &mut Vec<Diagnostic>) -> Option<J> {
    match part.stack.synth(Mode::Plain) {
        Ok(s) => {
            let mut t = s.template;
            strip_unreferenced(&mut t, &part.managed_params);
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

fn input_type(description: Option<&str>, inputs: &[InputSpec]) -> J {
    let mut t = Map::new();
    t.insert("type".into(), json!("object"));
    if let Some(d) = description {
        t.insert("description".into(), json!(d));
    }
    let props: Map<String, J> = inputs.iter().map(|i| (i.name.clone(), i.schema_property())).collect();
    t.insert("properties".into(), J::Object(props));
    let required: Vec<&str> = inputs.iter().filter(|i| i.required).map(|i| i.name.as_str()).collect();
    if !required.is_empty() {
        t.insert("required".into(), json!(required));
    }
    J::Object(t)
}

/// Check the declarations of a set of inputs: names, default/example validity, sample derivation.
fn check_inputs(template: &str, kind: Kind, inputs: &[InputSpec], diags: &mut Vec<Diagnostic>) -> Map<String, J> {
    let mut sample = Map::new();
    for i in inputs {
        if let Err(e) = check_name(&format!("{} input", kind.describe()), &i.name) {
            diags.push(Diagnostic::error(template, e));
        }
        for (what, v) in [("default", &i.default), ("example", &i.example)] {
            if let Some(v) = v {
                if let Err(e) = validate_input_value(i, v) {
                    diags.push(Diagnostic::error(template, format!("the {what} of input {e}")));
                }
            }
        }
        match i.sample_value() {
            Ok(v) => {
                if let Err(e) = validate_input_value(i, &v) {
                    diags.push(Diagnostic::error(
                        template,
                        format!("no sample value passes the constraints of input {e}; add .example(…)"),
                    ));
                }
                sample.insert(i.name.clone(), v);
            }
            Err(e) => diags.push(Diagnostic::error(template, e)),
        }
    }
    sample
}

/// Warn about unused inputs; error when the bundle's IaC reads no schema property at all.
fn check_usage(template: &str, declared: &[(Kind, &[InputSpec])], usage: &Usage, diags: &mut Vec<Diagnostic>) {
    let mut any = false;
    for (kind, inputs) in declared {
        for i in inputs.iter() {
            if usage.inputs.contains(&(*kind, i.name.clone())) {
                any = true;
            } else {
                diags.push(Diagnostic::warning(
                    template,
                    format!(
                        "{} input {:?} is declared but no template file uses it",
                        kind.describe(),
                        i.name
                    ),
                ));
            }
        }
    }
    if !any {
        diags.push(Diagnostic::error(
            template,
            "the template's IaC files reference no schema input; AWS Proton requires at least one: declare an input and use it",
        ));
    }
}

fn check_sizes(template: &str, files: &BTreeMap<String, Vec<u8>>, tar_gz: &[u8], diags: &mut Vec<Diagnostic>) {
    use limits::*;
    if files.len() > MAX_FILES {
        diags.push(Diagnostic::error(
            template,
            format!(
                "the bundle has {} files; AWS Proton allows at most {MAX_FILES}",
                files.len()
            ),
        ));
    }
    for (path, body) in files {
        let max = if path.ends_with("manifest.yaml") || path.ends_with("schema.yaml") {
            MAX_MANIFEST_OR_SCHEMA_BYTES
        } else {
            MAX_OTHER_FILE_BYTES
        };
        if body.len() > max {
            diags.push(Diagnostic::error(
                template,
                format!("{path} is {} bytes; AWS Proton allows at most {max}", body.len()),
            ));
        }
    }
    if tar_gz.len() > MAX_BUNDLE_BYTES {
        diags.push(Diagnostic::error(
            template,
            format!(
                "the bundle archive is {} bytes; AWS Proton allows at most {MAX_BUNDLE_BYTES}",
                tar_gz.len()
            ),
        ));
    }
}

/// A deterministic `.tar.gz` of `files` under one wrapping folder `root`: sorted entries, GNU headers,
/// mtime 0, uid/gid 0, empty owner names, modes 0644/0755, gzip level 1 (pinned: the bytes depend on it;
/// bundles are small text, level 6 saves little and costs three times the time) with header mtime 0.
pub fn deterministic_tar_gz(root: &str, files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<Vec<u8>> {
    let mut entries: BTreeMap<String, Option<&[u8]>> = BTreeMap::new();
    entries.insert(format!("{root}/"), None);
    for (path, body) in files {
        let full = format!("{root}/{path}");
        let mut dir = full.as_str();
        while let Some(pos) = dir.rfind('/') {
            dir = &dir[..pos];
            entries.insert(format!("{dir}/"), None);
        }
        entries.insert(full, Some(body));
    }
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::new(1));
    let mut builder = tar::Builder::new(gz);
    for (path, body) in &entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        match body {
            Some(data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(data.len() as u64);
                builder.append_data(&mut h, path, *data)?;
            }
            None => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                builder.append_data(&mut h, path, std::io::empty())?;
            }
        }
    }
    let mut gz = builder.into_inner()?;
    gz.flush()?;
    gz.finish()
}

fn finish_bundle(name: &str, files: &BTreeMap<String, Vec<u8>>, diags: &mut Vec<Diagnostic>) -> Vec<u8> {
    match deterministic_tar_gz(name, files) {
        Ok(t) => {
            check_sizes(name, files, &t, diags);
            t
        }
        Err(e) => {
            diags.push(Diagnostic::error(
                name,
                format!(
                    "cannot build the archive: {}; report this as a bug",
                    crate::engine::io_words(&e)
                ),
            ));
            Vec::new()
        }
    }
}

fn split(diags: Vec<Diagnostic>) -> Result<Vec<Diagnostic>, Diagnostics> {
    if diags.iter().any(Diagnostic::is_error) {
        let (mut e, w): (Vec<_>, Vec<_>) = diags.into_iter().partition(Diagnostic::is_error);
        e.extend(w);
        Err(Diagnostics(e))
    } else {
        Ok(diags)
    }
}

/// One input type of a schema: its key (`environment_input_type`, …), name, description and inputs.
struct SchemaType<'a> {
    key: &'a str,
    name: &'a str,
    description: Option<&'a str>,
    inputs: &'a [InputSpec],
}

fn schema_yaml(main: SchemaType<'_>, extra: Option<SchemaType<'_>>) -> String {
    let mut schema = Map::new();
    schema.insert("format".into(), json!({ "openapi": "3.0.0" }));
    let mut types = Map::new();
    for t in std::iter::once(&main).chain(extra.as_ref()) {
        schema.insert(t.key.into(), json!(t.name));
        types.insert(t.name.into(), input_type(t.description, t.inputs));
    }
    schema.insert("types".into(), J::Object(types));
    to_plain_yaml(&json!({ "schema": schema }))
}

/// True for identifiers: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Check the names of a schema's input types: identifiers, and distinct.
fn check_type_names(kind: TemplateKind, template: &str, types: &[&SchemaType<'_>], diags: &mut Vec<Diagnostic>) {
    for (i, t) in types.iter().enumerate() {
        if !is_identifier(t.name) {
            diags.push(Diagnostic::error(
                template,
                format!(
                    "{} template {template:?}: the schema input type name {:?} ({}) must be an identifier ([A-Za-z_][A-Za-z0-9_]*)",
                    kind.as_str(),
                    t.name,
                    t.key
                ),
            ));
        }
        if let Some(other) = types[..i].iter().find(|o| o.name == t.name) {
            diags.push(Diagnostic::error(
                template,
                format!(
                    "{} template {template:?}: {} and {} are both named {:?}; give the input types different names",
                    kind.as_str(),
                    other.key,
                    t.key,
                    t.name
                ),
            ));
        }
    }
}

fn summaries(kind: Kind, inputs: &[InputSpec]) -> impl Iterator<Item = (Kind, String, InputType)> + '_ {
    inputs.iter().map(move |i| (kind, i.name.clone(), i.ty))
}

impl EnvironmentTemplate {
    /// Synthesize the bundle, archive, sample spec and plain CloudFormation.
    pub fn synth(&self, _settings: &SpecSettings) -> Result<TemplateOutput, Diagnostics> {
        let mut diags = Vec::new();
        if let Err(e) = check_name("template name", &self.name) {
            diags.push(Diagnostic::error(&self.name, e));
        }
        let check = FileCheck {
            template_kind: TemplateKind::Environment,
            template: &self.name,
            kind: Kind::Environment,
            inputs: [(Kind::Environment, self.part.inputs.as_slice())].into_iter().collect(),
        };
        let mut usage = Usage::default();
        let iac = synth_iac(&self.part, &check, &mut usage, &mut diags);
        let plain = synth_plain(&self.part, &mut diags);
        // A template that failed to synthesize has an incomplete usage record: its unused-input findings
        // would only echo the error already reported.
        if iac.is_some() {
            check_usage(
                &self.name,
                &[(Kind::Environment, &self.part.inputs)],
                &usage,
                &mut diags,
            );
        }
        let sample = check_inputs(&self.name, Kind::Environment, &self.part.inputs, &mut diags);
        let (type_name, type_description) = self.schema_input_type();
        let env_type = SchemaType {
            key: "environment_input_type",
            name: type_name,
            description: type_description,
            inputs: &self.part.inputs,
        };
        check_type_names(TemplateKind::Environment, &self.name, &[&env_type], &mut diags);
        let mut files = BTreeMap::new();
        files.insert(
            "schema/schema.yaml".to_owned(),
            schema_yaml(env_type, None).into_bytes(),
        );
        files.insert(
            "infrastructure/manifest.yaml".to_owned(),
            MANIFEST_YAML.as_bytes().to_vec(),
        );
        files.insert(
            format!("infrastructure/{IAC_FILE}"),
            iac.unwrap_or_default().into_bytes(),
        );
        let tar_gz = finish_bundle(&self.name, &files, &mut diags);
        let spec = to_plain_yaml(&json!({ "proton": "EnvironmentSpec", "spec": sample }));
        let warnings = split(diags)?;
        Ok(TemplateOutput {
            name: self.name.clone(),
            kind: TemplateKind::Environment,
            major: self.major,
            bundle: files,
            tar_gz,
            registration: None,
            specs: vec![(format!("{}.env-spec.yaml", self.name), spec)],
            plain: plain
                .map(|p| (format!("{}.template.json", self.name), p))
                .into_iter()
                .collect(),
            inputs: summaries(Kind::Environment, &self.part.inputs).collect(),
            outputs: self.outputs.clone(),
            compatible: Vec::new(),
            warnings,
        })
    }
}

impl ServiceTemplate {
    /// Synthesize the bundle, archive, registration, sample specs and plain CloudFormation. `compatible`
    /// are the environment contracts to check against (by default [`ServiceTemplate::compatible_environments`];
    /// the app passes the environment templates it synthesizes itself).
    pub fn synth(
        &self,
        settings: &SpecSettings,
        compatible: Option<&[EnvironmentInterface]>,
    ) -> Result<TemplateOutput, Diagnostics> {
        let compatible = compatible.unwrap_or(&self.compatible);
        let mut diags = Vec::new();
        if let Err(e) = check_name("template name", &self.name) {
            diags.push(Diagnostic::error(&self.name, e));
        }
        if compatible.is_empty() || compatible.len() > limits::MAX_COMPATIBLE_ENVIRONMENTS {
            diags.push(Diagnostic::error(
                &self.name,
                format!(
                    "a service template needs 1 to {} compatible environment templates, it has {}",
                    limits::MAX_COMPATIBLE_ENVIRONMENTS,
                    compatible.len()
                ),
            ));
        }
        let pipeline_inputs: &[InputSpec] = self.pipeline.as_ref().map(|p| p.part.inputs.as_slice()).unwrap_or(&[]);
        let inputs: BTreeMap<Kind, &[InputSpec]> = [
            (Kind::ServiceInstance, self.instance.inputs.as_slice()),
            (Kind::Pipeline, pipeline_inputs),
        ]
        .into_iter()
        .collect();
        let mut usage = Usage::default();
        let instance_check = FileCheck {
            template_kind: TemplateKind::Service,
            template: &self.name,
            kind: Kind::ServiceInstance,
            inputs: inputs.clone(),
        };
        let iac = synth_iac(&self.instance, &instance_check, &mut usage, &mut diags);
        let plain = synth_plain(&self.instance, &mut diags);
        let pipeline_iac = self.pipeline.as_ref().map(|p| {
            let check = FileCheck {
                template_kind: TemplateKind::Service,
                template: &self.name,
                kind: Kind::Pipeline,
                inputs: inputs.clone(),
            };
            synth_iac(&p.part, &check, &mut usage, &mut diags)
        });
        for (path, out) in &usage.env_outputs {
            for env in compatible {
                if !env.outputs.contains(out) {
                    diags.push(Diagnostic::error(
                        &self.name,
                        format!(
                            "service template {:?} reads environment output {out:?} (`{path}`), which environment template {:?} does not declare (it declares: {})",
                            self.name,
                            env.reference(),
                            list(env.outputs.iter().map(String::as_str))
                        ),
                    ));
                }
            }
        }
        for (path, out) in &usage.instance_outputs {
            if !self.instance_outputs.contains(out) {
                diags.push(Diagnostic::error(
                    &self.name,
                    format!(
                        "the pipeline of service template {:?} reads instance output {out:?} (`{path}`), which its instance template does not declare (it declares: {})",
                        self.name,
                        list(self.instance_outputs.iter().map(String::as_str))
                    ),
                ));
            }
        }
        let mut declared: Vec<(Kind, &[InputSpec])> = vec![(Kind::ServiceInstance, &self.instance.inputs)];
        if self.pipeline.is_some() {
            declared.push((Kind::Pipeline, pipeline_inputs));
        }
        if iac.is_some() && pipeline_iac.as_ref().is_none_or(Option::is_some) {
            check_usage(&self.name, &declared, &usage, &mut diags);
        }
        let instance_sample = check_inputs(&self.name, Kind::ServiceInstance, &self.instance.inputs, &mut diags);
        let pipeline_sample = check_inputs(&self.name, Kind::Pipeline, pipeline_inputs, &mut diags);

        let mut files = BTreeMap::new();
        let (type_name, type_description) = self.schema_input_type();
        let service_type = SchemaType {
            key: "service_input_type",
            name: type_name,
            description: type_description,
            inputs: &self.instance.inputs,
        };
        let pipeline_type = self.pipeline.as_ref().map(|p| {
            let (name, description) = p.schema_input_type();
            SchemaType {
                key: "pipeline_input_type",
                name,
                description,
                inputs: pipeline_inputs,
            }
        });
        let types: Vec<&SchemaType<'_>> = std::iter::once(&service_type).chain(pipeline_type.as_ref()).collect();
        check_type_names(TemplateKind::Service, &self.name, &types, &mut diags);
        files.insert(
            "schema/schema.yaml".to_owned(),
            schema_yaml(service_type, pipeline_type).into_bytes(),
        );
        files.insert(
            "instance_infrastructure/manifest.yaml".to_owned(),
            MANIFEST_YAML.as_bytes().to_vec(),
        );
        files.insert(
            format!("instance_infrastructure/{IAC_FILE}"),
            iac.unwrap_or_default().into_bytes(),
        );
        if let Some(p) = pipeline_iac {
            files.insert(
                "pipeline_infrastructure/manifest.yaml".to_owned(),
                MANIFEST_YAML.as_bytes().to_vec(),
            );
            files.insert(
                format!("pipeline_infrastructure/{IAC_FILE}"),
                p.unwrap_or_default().into_bytes(),
            );
        } else {
            diags.push(Diagnostic::warning(
                &self.name,
                "the service template has no pipeline: create it with `--pipeline-provisioning CUSTOMER_MANAGED`",
            ));
        }
        let tar_gz = finish_bundle(&self.name, &files, &mut diags);
        let compat_refs: Vec<String> = compatible.iter().map(EnvironmentInterface::reference).collect();
        let registration = to_plain_yaml(&json!({ "compatible_environments": compat_refs }));

        let mut specs = Vec::new();
        if let Err(e) = check_name("environment name", &settings.environment) {
            diags.push(Diagnostic::error(&self.name, e));
        }
        for &n in &settings.instance_counts {
            if n == 0 || n > limits::MAX_INSTANCES {
                diags.push(Diagnostic::error(
                    &self.name,
                    format!(
                        "a sample spec with {n} instances: AWS Proton allows 1 to {} per service",
                        limits::MAX_INSTANCES
                    ),
                ));
                continue;
            }
            let instances: Vec<J> = (1..=n)
                .map(|i| json!({ "name": format!("instance-{i}"), "environment": settings.environment, "spec": instance_sample }))
                .collect();
            let mut spec = Map::new();
            spec.insert("proton".into(), json!("ServiceSpec"));
            if self.pipeline.is_some() {
                spec.insert("pipeline".into(), J::Object(pipeline_sample.clone()));
            }
            spec.insert("instances".into(), J::Array(instances));
            specs.push((
                format!("{}.svc-spec-{n}.yaml", self.name),
                to_plain_yaml(&J::Object(spec)),
            ));
        }
        let warnings = split(diags)?;
        let mut inputs_summary: Vec<_> = summaries(Kind::ServiceInstance, &self.instance.inputs).collect();
        inputs_summary.extend(summaries(Kind::Pipeline, pipeline_inputs));
        Ok(TemplateOutput {
            name: self.name.clone(),
            kind: TemplateKind::Service,
            major: self.major,
            bundle: files,
            tar_gz,
            registration: Some(registration),
            specs,
            plain: plain
                .map(|p| (format!("{}.instance.template.json", self.name), p))
                .into_iter()
                .collect(),
            inputs: inputs_summary,
            outputs: self.instance_outputs.clone(),
            compatible: compat_refs,
            warnings,
        })
    }
}

/// Raw Jinja placeholder text of a bundle-mode JSON value, re-exported for tests and tools.
pub fn is_jinja(v: &J) -> bool {
    v.as_object().is_some_and(|o| o.len() == 1 && o.contains_key(JINJA_KEY))
}

#[cfg(test)]
mod message_tests {
    use serde_json::json;

    use super::*;
    use crate::proton::InputDef;

    #[test]
    fn a_bad_pattern_is_one_line_in_our_words() {
        let spec = InputDef::string("cidr").pattern("([0-9]").spec;
        let e = validate_input_value(&spec, &json!("10.0.0.0/16")).unwrap_err();
        assert!(!e.contains('\n'), "{e}");
        assert!(
            e == "cidr: the pattern \"([0-9]\" is not a valid regular expression (unclosed group); fix the pattern \
                  given to .pattern(…)",
            "{e}"
        );
        assert!(!e.contains("regex parse error"), "{e}");
    }

    #[test]
    fn a_value_of_the_wrong_type_names_the_type_in_words() {
        let mut spec = InputDef::string("subnets").spec;
        spec.ty = InputType::StringList;
        let e = validate_input_value(&spec, &json!("a")).unwrap_err();
        assert_eq!(
            e,
            "subnets: \"a\" is not a list of strings, the input's type; give a value of that type"
        );
        spec.ty = InputType::Number;
        let e = validate_input_value(&spec, &json!(true)).unwrap_err();
        assert_eq!(
            e,
            "subnets: true is not a number, the input's type; give a value of that type"
        );
    }
}
