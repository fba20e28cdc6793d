//! The checks of a template's declarations and of what its IaC files read: every Jinja variable against
//! the namespace table of its kind ([`super::format::namespace`]) and the declared inputs, loop headers,
//! logical IDs repeated per instance, input defaults and samples, unused inputs, input type names.

use std::collections::{BTreeMap, BTreeSet};

use proton_synth_constructs::fasthash::FastHashMap;
use proton_synth_constructs::synth::Node;
use proton_synth_constructs::Diagnostic;
use serde_json::{Map, Value as J};

use super::bundle::IAC_FILE;
use super::format::namespace::{self, OutputsOf, Shape, INSTANCES_LIST, INSTANCE_VAR};
use super::format::scan::{scan, ScanResult, Segment, Target};
use super::format::{check_name, is_identifier, InfraKind, TemplateKind};
use super::input::{InputSpec, InputType};
use super::schema::SchemaType;
use super::writer::{placeholder_text, LOOP_INDEX_SUFFIX};

/// One variable read of a Jinja text: as written, and whether it falls back with `| default(…)` (what
/// [`super::input::Input::value_or_empty`] writes).
#[derive(Clone, Copy)]
struct Reading<'a> {
    text: &'a str,
    with_default: bool,
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
pub(super) struct Usage {
    pub(super) inputs: BTreeSet<(InfraKind, String)>,
    pub(super) env_outputs: BTreeSet<(String, String)>,
    pub(super) instance_outputs: BTreeSet<(String, String)>,
    /// (Jinja path, output) of `service_instance.components.default.outputs.<output>` reads.
    pub(super) component_outputs: BTreeSet<(String, String)>,
}

/// Context of checking one IaC file.
pub(super) struct FileCheck<'a> {
    pub(super) template_kind: TemplateKind,
    pub(super) template: &'a str,
    pub(super) kind: InfraKind,
    pub(super) inputs: BTreeMap<InfraKind, &'a [InputSpec]>,
    /// The scan of each Jinja text checked so far: an input's or output's placeholder recurs all over a file.
    pub(super) scans: std::cell::RefCell<FastHashMap<String, std::rc::Rc<ScanResult>>>,
}

impl FileCheck<'_> {
    fn file(&self) -> String {
        format!("{}/{IAC_FILE}", self.kind.folder())
    }

    pub(super) fn error(&self, msg: String) -> Diagnostic {
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

    /// Check every Jinja variable of the tree (its bundle spelling) and record usage.
    pub(super) fn check_tree(&self, v: &Node, loop_var: Option<&str>, usage: &mut Usage, diags: &mut Vec<Diagnostic>) {
        match v {
            Node::Placeholder(p, _) => self.check_text(&placeholder_text(p), loop_var, usage, diags),
            Node::LoopId(id) => self.check_text(&format!("{id}{LOOP_INDEX_SUFFIX}"), loop_var, usage, diags),
            Node::Loop(header, items) => {
                let var = self.loop_header(&header.for_text(), loop_var, diags);
                for item in items {
                    self.check_tree(item, var.as_deref(), usage, diags);
                }
            }
            Node::List(items) => items.iter().for_each(|i| self.check_tree(i, loop_var, usage, diags)),
            Node::Map(members) => {
                // The repeated members of one loop are one `{% for %}` block: its header is checked once.
                let mut loops: Vec<(u32, Option<String>)> = Vec::new();
                for (k, item) in members {
                    let Node::Repeat(header, inner) = item else {
                        self.check_tree(item, loop_var, usage, diags);
                        continue;
                    };
                    let var = match loops.iter().find(|(i, _)| *i == header.index) {
                        Some((_, var)) => var.clone(),
                        None => {
                            let var = self.loop_header(&header.for_text(), loop_var, diags);
                            loops.push((header.index, var.clone()));
                            var
                        }
                    };
                    self.check_text(&format!("{k}{LOOP_INDEX_SUFFIX}"), var.as_deref(), usage, diags);
                    self.check_tree(inner, var.as_deref(), usage, diags);
                }
            }
            _ => {}
        }
    }

    fn loop_header(&self, header: &str, outer: Option<&str>, diags: &mut Vec<Diagnostic>) -> Option<String> {
        let expected = format!("{INSTANCE_VAR} in {INSTANCES_LIST}");
        if self.kind != InfraKind::Pipeline || header != expected {
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
        let cached = self.scans.borrow().get(text).cloned();
        let scanned = cached.unwrap_or_else(|| {
            let scanned = std::rc::Rc::new(scan(text));
            self.scans.borrow_mut().insert(text.to_owned(), scanned.clone());
            scanned
        });
        for r in &scanned.references {
            if let Target::Global(path) = &r.target {
                // `x | default(…)`: the template allows `x` to be undefined (Input::value_or_empty).
                let reading = Reading {
                    text: &r.text,
                    with_default: scanned.guarded.contains(&r.text),
                };
                if let Err(msg) = self.check_path(path, reading, loop_var, usage) {
                    diags.push(self.error(format!("`{}`: {msg}", r.text)));
                }
            }
        }
    }

    fn input(&self, kind: InfraKind, name: &str, with_default: bool, usage: &mut Usage) -> Result<(), String> {
        let declared = self.inputs.get(&kind).copied().unwrap_or(&[]);
        let Some(spec) = declared.iter().find(|i| i.name == name) else {
            return Err(format!(
                "{} input {name:?} is not declared by {} template {:?} (declared: {})",
                kind.noun(),
                self.template_kind.as_str(),
                self.template,
                list(declared.iter().map(|i| i.name.as_str()))
            ));
        };
        if spec.default.is_none() && !spec.required && !(with_default && spec.is_optional_text()) {
            return Err(format!(
                "input {name:?} is used but is neither required nor has a default; a spec that omits it would make rendering fail (strict undefined): give it a default or mark it required (or, for free text, read it with Input::value_or_empty)"
            ));
        }
        usage.inputs.insert((kind, name.to_owned()));
        Ok(())
    }

    /// Check one variable path against the namespace table of this file's kind, recording what it reads.
    fn check_path(
        &self,
        path: &[Segment],
        reading: Reading,
        loop_var: Option<&str>,
        usage: &mut Usage,
    ) -> Result<(), String> {
        let text = reading.text;
        let Some(Segment::Attr(first)) = path.first() else {
            return Ok(());
        };
        let in_loop = loop_var == Some(first.as_str());
        if loop_var.is_some() && first == "loop" {
            return Ok(());
        }
        if self.kind == InfraKind::Pipeline && !in_loop && (first == "loop" || first == INSTANCE_VAR) {
            return Err(format!(
                "only available inside the loop over {INSTANCES_LIST} (use PipelineTemplate::per_instance / InstanceLoop::items)"
            ));
        }
        // Inside the loop, the item stands for an element of the list it iterates over.
        let looped: Vec<Segment>;
        let path = if in_loop {
            looped = [Segment::Attr(INSTANCES_LIST.to_owned()), Segment::Each]
                .into_iter()
                .chain(path[1..].iter().cloned())
                .collect();
            &looped
        } else {
            path
        };
        match reach(self.kind, path) {
            Reached::Leaf => Ok(()),
            Reached::Input(kind, name) => self.input(kind, name, reading.with_default, usage),
            Reached::Output(OutputsOf::Environment, name) => {
                usage.env_outputs.insert((text.to_owned(), name.to_owned()));
                Ok(())
            }
            Reached::Output(OutputsOf::Instance, name) => {
                usage.instance_outputs.insert((text.to_owned(), name.to_owned()));
                Ok(())
            }
            Reached::Output(OutputsOf::Component, name) => {
                usage.component_outputs.insert((text.to_owned(), name.to_owned()));
                Ok(())
            }
            Reached::Unknown if in_loop => Err(format!("unknown attribute of the loop item {first}")),
            Reached::Unknown => {
                let what = match path.get(1) {
                    Some(Segment::Attr(a)) if a == "inputs" => format!("the {first} input namespace `{first}.inputs`"),
                    _ => "this variable".to_owned(),
                };
                Err(format!(
                    "{what} is not available in {} ({} templates)",
                    self.file(),
                    self.kind.noun()
                ))
            }
        }
    }
}

/// Where a variable path leads in the namespace table of a kind of file.
enum Reached<'p> {
    /// A name, an account ID, a branch: a scalar.
    Leaf,
    Input(InfraKind, &'p str),
    Output(OutputsOf, &'p str),
    /// Not in the table, or not a scalar (a whole object or list).
    Unknown,
}

fn reach(kind: InfraKind, path: &[Segment]) -> Reached<'_> {
    let Some(Segment::Attr(root)) = path.first() else {
        return Reached::Unknown;
    };
    let Some(mut shape) = namespace::global(kind, root) else {
        return Reached::Unknown;
    };
    for seg in &path[1..] {
        shape = match (shape, seg) {
            (Shape::Object(fields), Segment::Attr(a)) => match namespace::field(fields, a) {
                Some(s) => s,
                None => return Reached::Unknown,
            },
            (Shape::Inputs(k), Segment::Attr(a)) => return Reached::Input(k, a),
            (Shape::Outputs(o), Segment::Attr(a)) => return Reached::Output(o, a),
            (Shape::List(item), Segment::Each | Segment::Index(_)) => *item,
            _ => return Reached::Unknown,
        };
    }
    match shape {
        Shape::Leaf => Reached::Leaf,
        _ => Reached::Unknown,
    }
}

pub(super) fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = items.collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// Looped logical IDs get the loop index appended (`Deploy` → `Deploy1` … `Deploy20`); reject IDs that
/// can collide after rendering (`Deploy1` next to a looped `Deploy`, or looped `A` and `A1`).
pub(super) fn check_loop_ids(tree: &Node, check: &FileCheck<'_>, diags: &mut Vec<Diagnostic>) {
    let Some(resources) = tree.get("Resources").and_then(Node::as_map) else {
        return;
    };
    let mut fixed = Vec::new();
    let mut looped = Vec::new();
    for (k, v) in resources {
        match v {
            Node::Repeat(..) => looped.push(k.to_string()),
            _ => fixed.push(k.to_string()),
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

/// Check the declarations of a set of inputs: names, default/example validity, sample derivation.
pub(super) fn check_inputs(
    template: &str,
    kind: InfraKind,
    inputs: &[InputSpec],
    diags: &mut Vec<Diagnostic>,
) -> Map<String, J> {
    let mut sample = Map::new();
    for i in inputs {
        if let Err(e) = check_name(&format!("{} input", kind.noun()), &i.name) {
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
pub(super) fn check_usage(
    template: &str,
    declared: &[(InfraKind, &[InputSpec])],
    usage: &Usage,
    diags: &mut Vec<Diagnostic>,
) {
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
                        kind.noun(),
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

/// Check the names of a schema's input types: identifiers, and distinct.
pub(super) fn check_type_names(
    kind: TemplateKind,
    template: &str,
    types: &[&SchemaType<'_>],
    diags: &mut Vec<Diagnostic>,
) {
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
