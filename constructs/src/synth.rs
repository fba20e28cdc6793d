//! Synthesis: resolve → validate → emit. The build phase ([`crate::stack`]) produced an arena of elements;
//! here logical IDs are assigned, references resolved (and checked to stay inside the template), dependency
//! cycles and CloudFormation's limits checked, and the template emitted as JSON. Every problem is collected;
//! nothing is emitted when any is an error.

use std::collections::{BTreeSet, HashMap};

use indexmap::IndexMap;
use serde_json::{json, Map, Value as J};

use crate::diag::{Diagnostic, Diagnostics};
use crate::logical_id::{is_valid_logical_id, make_unique_id};
use crate::resource::check_props;
use crate::stack::{CondExpr, NamedEntry, Stack};
use crate::value::{ElementKind, ElementRef, Expr, PlaceholderKind, Pseudo};

/// Key of the single-member object that stands for raw Jinja text in [`Mode::Bundle`] output.
/// Bundle writers print its value verbatim instead of the object.
pub const JINJA_KEY: &str = "::jinja";

/// Loops ([`crate::Stack::add_loop`]) in [`Mode::Bundle`] output. A list item
/// `{"::for": "<var> in <iterable>", "::items": [...]}` stands for its items repeated once per loop item;
/// a member of the `Resources` object whose key starts with `::for` has the value
/// `{"::for": "<var> in <iterable>", "::body": {<raw key>: resource, ...}}`, whose keys are printed raw
/// (they carry the [`LOOP_INDEX_SUFFIX`]). Bundle writers wrap both in `{% for %}` … `{% endfor %}`.
pub const LOOP_KEY: &str = "::for";
/// Key of the repeated list items of a loop (see [`LOOP_KEY`]).
pub const LOOP_ITEMS_KEY: &str = "::items";
/// Key of the repeated `Resources` members of a loop (see [`LOOP_KEY`]).
pub const LOOP_BODY_KEY: &str = "::body";
/// Identifies the stack of a loop in the build-phase [`Expr`] form of loop items.
pub const LOOP_STACK_KEY: &str = "::stack";
/// Appended to the logical ID of a looped resource in [`Mode::Bundle`] output.
pub const LOOP_INDEX_SUFFIX: &str = "{{ loop.index }}";

/// Which spelling late-bound placeholders take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Plain CloudFormation: placeholders become their plain expression (parameter `Ref`s, imports).
    #[default]
    Plain,
    /// AWS Proton bundle: placeholders become Jinja text (see [`JINJA_KEY`]).
    Bundle,
}

/// CloudFormation template limits (per template).
pub mod limits {
    pub const MAX_PARAMETERS: usize = 200;
    pub const MAX_OUTPUTS: usize = 200;
    pub const MAX_MAPPINGS: usize = 200;
    pub const MAX_MAPPING_ATTRIBUTES: usize = 200;
    pub const MAX_BODY_BYTES: usize = 1_000_000;
    /// Above this a template body must be uploaded to S3 instead of passed inline.
    pub const MAX_INLINE_BODY_BYTES: usize = 51_200;
}

/// Counts of a synthesized template, printed by the CLI so growth is visible.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TemplateStats {
    pub resources: usize,
    pub parameters: usize,
    pub outputs: usize,
    pub mappings: usize,
    pub conditions: usize,
    /// Size of the pretty-printed JSON body.
    pub bytes: usize,
}

/// A synthesized template.
#[derive(Clone, Debug)]
pub struct Synthesized {
    pub template: J,
    pub stats: TemplateStats,
    pub warnings: Vec<Diagnostic>,
    /// Logical ID of every resource, by construct path (for snapshotting ID stability).
    pub logical_ids: IndexMap<String, String>,
}

/// The length of [`to_json_string`]'s output, without building it.
fn json_len(template: &J) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer_pretty(&mut count, template);
    count.0 + 1
}

/// Deterministic pretty JSON with a trailing newline.
pub fn to_json_string(template: &J) -> String {
    let mut s = serde_json::to_string_pretty(template).unwrap_or_default();
    s.push('\n');
    s
}

struct Ids {
    resources: Vec<String>,
    parameters: Vec<String>,
    conditions: Vec<String>,
    mappings: Vec<String>,
    outputs: Vec<String>,
}

impl Stack {
    /// Synthesize the template. Returns every error at once; warnings ride along with a success.
    pub fn synth(&self, mode: Mode) -> Result<Synthesized, Diagnostics> {
        let mut diags: Vec<Diagnostic> = self.diagnostics.clone();
        let ids = self.assign_logical_ids(&mut diags);
        let mut r = Resolver {
            stack: self,
            ids: &ids,
            mode,
            diags: Vec::new(),
            path: String::new(),
            edges: vec![BTreeSet::new(); self.resources.len()],
            current: None,
            cur_loop: None,
        };
        let template = r.emit_template();
        let edges = std::mem::take(&mut r.edges);
        diags.append(&mut r.diags);
        self.check_cycles(&ids, &edges, &mut diags);
        for (path, validation) in &self.validations {
            diags.extend(validation(self).into_iter().map(|m| Diagnostic::error(path.clone(), m)));
        }
        let body_len = json_len(&template);
        let stats = TemplateStats {
            resources: self.resources.len(),
            parameters: self.parameters.len(),
            outputs: self.outputs.len(),
            mappings: self.mappings.len(),
            conditions: self.conditions.len(),
            bytes: body_len,
        };
        self.check_limits(&stats, &mut diags);
        let (errors, warnings): (Vec<_>, Vec<_>) = diags.into_iter().partition(Diagnostic::is_error);
        if !errors.is_empty() {
            let mut all = errors;
            all.extend(warnings);
            return Err(Diagnostics(all));
        }
        let logical_ids = self
            .resources
            .iter()
            .zip(&ids.resources)
            .map(|(e, id)| (e.path.clone(), id.clone()))
            .collect();
        Ok(Synthesized {
            template,
            stats,
            warnings,
            logical_ids,
        })
    }

    fn assign_logical_ids(&self, diags: &mut Vec<Diagnostic>) -> Ids {
        let mut used_renames = BTreeSet::new();
        let mut assign = |path: &str, pinned: &Option<String>, diags: &mut Vec<Diagnostic>| -> String {
            if let Some(id) = pinned {
                return id.clone();
            }
            let components: Vec<&str> = path.split('/').collect();
            let computed = match make_unique_id(&components) {
                Some(id) => id,
                None => {
                    diags.push(Diagnostic::error(
                        self.full_path(path),
                        "the path has only `Default` components, so no logical ID can be derived; give the construct another id",
                    ));
                    return String::new();
                }
            };
            match self.renames.get(&computed) {
                Some(new) => {
                    used_renames.insert(computed);
                    new.clone()
                }
                None => computed,
            }
        };
        #[allow(clippy::type_complexity)]
        fn all<T>(
            entries: &[NamedEntry<T>],
            diags: &mut Vec<Diagnostic>,
            f: &mut dyn FnMut(&str, &Option<String>, &mut Vec<Diagnostic>) -> String,
        ) -> Vec<String> {
            entries.iter().map(|e| f(&e.path, &e.logical_id, diags)).collect()
        }
        let resources = self
            .resources
            .iter()
            .map(|e| assign(&e.path, &e.logical_id, diags))
            .collect();
        let parameters = all(&self.parameters, diags, &mut assign);
        let conditions = all(&self.conditions, diags, &mut assign);
        let mappings = all(&self.mappings, diags, &mut assign);
        let outputs = all(&self.outputs, diags, &mut assign);
        for old in self.renames.keys() {
            if !used_renames.contains(old) {
                diags.push(Diagnostic::error(
                    self.name.clone(),
                    format!("rename_logical_id({old:?}, …) matched no element; check the old ID"),
                ));
            }
        }
        let ids = Ids {
            resources,
            parameters,
            conditions,
            mappings,
            outputs,
        };
        // Resources and parameters share the namespace `Ref` reads from; the other sections are separate.
        let resource_paths = self.resources.iter().map(|e| e.path.as_str());
        let param_paths = self.parameters.iter().map(|e| e.path.as_str());
        self.check_id_section(
            "Resources/Parameters",
            resource_paths
                .chain(param_paths)
                .zip(ids.resources.iter().chain(&ids.parameters)),
            diags,
        );
        self.check_id_section(
            "Conditions",
            self.conditions.iter().map(|e| e.path.as_str()).zip(&ids.conditions),
            diags,
        );
        self.check_id_section(
            "Mappings",
            self.mappings.iter().map(|e| e.path.as_str()).zip(&ids.mappings),
            diags,
        );
        self.check_id_section(
            "Outputs",
            self.outputs.iter().map(|e| e.path.as_str()).zip(&ids.outputs),
            diags,
        );
        ids
    }

    fn check_id_section<'a>(
        &self,
        section: &str,
        items: impl Iterator<Item = (&'a str, &'a String)>,
        diags: &mut Vec<Diagnostic>,
    ) {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for (path, id) in items {
            if id.is_empty() {
                continue;
            }
            if !is_valid_logical_id(id) {
                diags.push(Diagnostic::error(
                    self.full_path(path),
                    format!("logical ID {id:?} is invalid: it must match ^[A-Za-z0-9]{{1,255}}$"),
                ));
            }
            if let Some(other) = seen.insert(id, path) {
                if other == path {
                    continue; // already reported as a duplicate construct id
                }
                diags.push(Diagnostic::error(
                    self.full_path(path),
                    format!(
                        "logical ID {id:?} in {section} is produced by both {:?} and {:?}; rename one construct or pin an ID with override_logical_id",
                        self.full_path(other),
                        self.full_path(path)
                    ),
                ));
            }
        }
    }

    fn check_cycles(&self, ids: &Ids, edges: &[BTreeSet<usize>], diags: &mut Vec<Diagnostic>) {
        // Iterative DFS with colours; the first back edge found from each root yields one reported cycle.
        let n = edges.len();
        let mut colour = vec![0u8; n]; // 0 new, 1 on stack, 2 done
        for root in 0..n {
            if colour[root] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, Vec<usize>)> = vec![(root, edges[root].iter().copied().collect())];
            colour[root] = 1;
            while let Some((node, pending)) = stack.last_mut() {
                let node = *node;
                match pending.pop() {
                    Some(next) if colour[next] == 0 => {
                        colour[next] = 1;
                        stack.push((next, edges[next].iter().copied().collect()));
                    }
                    Some(next) if colour[next] == 1 => {
                        let start = stack.iter().position(|(n, _)| *n == next).unwrap_or(0);
                        let mut names: Vec<String> = stack[start..]
                            .iter()
                            .map(|(n, _)| {
                                format!("{} ({})", ids.resources[*n], self.full_path(&self.resources[*n].path))
                            })
                            .collect();
                        names.push(ids.resources[next].clone());
                        diags.push(Diagnostic::error(
                            self.full_path(&self.resources[node].path),
                            format!("dependency cycle: {}", names.join(" -> ")),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        colour[node] = 2;
                        stack.pop();
                    }
                }
            }
        }
    }

    fn check_limits(&self, stats: &TemplateStats, diags: &mut Vec<Diagnostic>) {
        use limits::*;
        let name = &self.name;
        let mut count = |what: &str, n: usize, max: usize| {
            if n > max {
                diags.push(Diagnostic::error(
                    name.clone(),
                    format!("the template has {n} {what}; CloudFormation allows at most {max} per template: split it into several templates"),
                ));
            } else if n * 10 > max * 9 {
                diags.push(Diagnostic::warning(
                    name.clone(),
                    format!("the template has {n} {what}, over 90% of CloudFormation's limit of {max}"),
                ));
            }
        };
        count("resources", stats.resources, self.resource_limit);
        count("parameters", stats.parameters, MAX_PARAMETERS);
        count("outputs", stats.outputs, MAX_OUTPUTS);
        count("mappings", stats.mappings, MAX_MAPPINGS);
        for m in &self.mappings {
            if m.value.len() > MAX_MAPPING_ATTRIBUTES {
                diags.push(Diagnostic::error(
                    self.full_path(&m.path),
                    format!(
                        "the mapping has {} top-level keys; CloudFormation allows at most {MAX_MAPPING_ATTRIBUTES}",
                        m.value.len()
                    ),
                ));
            }
        }
        if stats.bytes > MAX_BODY_BYTES {
            diags.push(Diagnostic::error(
                name.clone(),
                format!(
                    "the template body is {} bytes; CloudFormation accepts at most {MAX_BODY_BYTES}",
                    stats.bytes
                ),
            ));
        } else if stats.bytes > MAX_INLINE_BODY_BYTES {
            diags.push(Diagnostic::warning(
                name.clone(),
                format!(
                    "the template body is {} bytes, over {MAX_INLINE_BODY_BYTES}: deploy it through an S3 bucket (aws cloudformation deploy --s3-bucket …)",
                    stats.bytes
                ),
            ));
        }
    }
}

struct Resolver<'a> {
    stack: &'a Stack,
    ids: &'a Ids,
    mode: Mode,
    diags: Vec<Diagnostic>,
    /// Construct path of the element being resolved (for messages).
    path: String,
    /// Resource → resources it references or depends on.
    edges: Vec<BTreeSet<usize>>,
    current: Option<usize>,
    /// The loop whose body is being resolved.
    cur_loop: Option<u32>,
}

impl Resolver<'_> {
    fn error(&mut self, message: String) {
        let path = self.stack.full_path(&self.path);
        self.diags.push(Diagnostic::error(path, message));
    }

    fn emit_template(&mut self) -> J {
        let s = self.stack;
        let mut t = Map::new();
        t.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
        if let Some(d) = &s.description {
            t.insert("Description".into(), json!(d));
        }
        if !s.metadata.is_empty() {
            t.insert("Metadata".into(), J::Object(s.metadata.clone().into_iter().collect()));
        }
        if !s.parameters.is_empty() {
            let params = s
                .parameters
                .iter()
                .zip(&self.ids.parameters)
                .map(|(p, id)| (id.clone(), emit_parameter(&p.value)))
                .collect();
            t.insert("Parameters".into(), J::Object(params));
        }
        if !s.mappings.is_empty() {
            let maps = s
                .mappings
                .iter()
                .zip(&self.ids.mappings)
                .map(|(m, id)| (id.clone(), serde_json::to_value(&m.value).unwrap_or(J::Null)))
                .collect();
            t.insert("Mappings".into(), J::Object(maps));
        }
        if !s.conditions.is_empty() {
            let mut conds = Map::new();
            for (c, id) in s.conditions.iter().zip(&self.ids.conditions) {
                self.path = c.path.clone();
                let v = self.condition(&c.value);
                conds.insert(id.clone(), v);
            }
            t.insert("Conditions".into(), J::Object(conds));
        }
        let mut resources = Map::new();
        for (i, (r, id)) in s.resources.iter().zip(&self.ids.resources).enumerate() {
            self.path = r.path.clone();
            self.current = Some(i);
            self.cur_loop = r.in_loop;
            let mut o = Map::new();
            o.insert("Type".into(), json!(r.body.type_name()));
            let raw = r.body.to_properties();
            let mut problems = Vec::new();
            check_props(&raw, r.body.prop_specs(), "", &mut problems);
            for p in problems {
                self.error(format!("{}: {p}", r.body.type_name()));
            }
            let props = self.resolve(&raw);
            if props.as_object().is_some_and(|m| !m.is_empty()) {
                o.insert("Properties".into(), props);
            }
            let mut deps: Vec<J> = Vec::new();
            for d in &r.depends_on {
                if let Some(dep) = self.resource_ref(*d, "DependsOn") {
                    if !deps.contains(&dep) {
                        deps.push(dep);
                    }
                }
            }
            if !deps.is_empty() {
                o.insert("DependsOn".into(), J::Array(deps));
            }
            if let Some(c) = r.condition {
                if let Some(cid) = self.element_id(c, ElementKind::Condition, "Condition") {
                    o.insert("Condition".into(), json!(cid));
                }
            }
            if !r.metadata.is_empty() {
                o.insert("Metadata".into(), J::Object(r.metadata.clone().into_iter().collect()));
            }
            if let Some(p) = r.deletion_policy {
                o.insert("DeletionPolicy".into(), json!(p.as_str()));
            }
            if let Some(p) = r.update_replace_policy {
                o.insert("UpdateReplacePolicy".into(), json!(p.as_str()));
            }
            let mut resource = J::Object(o);
            for (path, value) in &r.overrides {
                apply_override(&mut resource, path, value.clone());
            }
            match (r.in_loop, self.mode) {
                (Some(l), Mode::Bundle) => {
                    let spec = &s.loops[l as usize];
                    let group = resources.entry(format!("{LOOP_KEY}:{l}")).or_insert_with(
                        || json!({ LOOP_KEY: format!("{} in {}", spec.var, spec.iterable), LOOP_BODY_KEY: {} }),
                    );
                    if let Some(body) = group.get_mut(LOOP_BODY_KEY).and_then(J::as_object_mut) {
                        body.insert(format!("{id}{LOOP_INDEX_SUFFIX}"), resource);
                    }
                }
                _ => {
                    resources.insert(id.clone(), resource);
                }
            }
        }
        self.current = None;
        self.cur_loop = None;
        t.insert("Resources".into(), J::Object(resources));
        if !s.outputs.is_empty() {
            let mut outs = Map::new();
            for (o, id) in s.outputs.iter().zip(&self.ids.outputs) {
                self.path = o.path.clone();
                let mut m = Map::new();
                if let Some(d) = &o.value.description {
                    m.insert("Description".into(), json!(d));
                }
                m.insert("Value".into(), self.resolve(o.value.value.expr()));
                if let Some(e) = &o.value.export_name {
                    m.insert("Export".into(), json!({ "Name": self.resolve(e.expr()) }));
                }
                if let Some(c) = &o.value.condition {
                    if let Some(cid) = self.element_id(c.element(), ElementKind::Condition, "Condition") {
                        m.insert("Condition".into(), json!(cid));
                    }
                }
                outs.insert(id.clone(), J::Object(m));
            }
            t.insert("Outputs".into(), J::Object(outs));
        }
        J::Object(t)
    }

    /// The logical ID of an element, checking it belongs to this stack and is of the expected kind.
    fn element_id(&mut self, e: ElementRef, kind: ElementKind, what: &str) -> Option<String> {
        if e.stack != self.stack.id {
            self.error(format!(
                "{what} refers to an element of another template; templates share values only through an Output export read with Fn::ImportValue (or Proton environment outputs)"
            ));
            return None;
        }
        if e.kind != kind {
            self.error(format!("{what} expects a {kind:?}, got a {:?}", e.kind));
            return None;
        }
        let list = match kind {
            ElementKind::Resource => &self.ids.resources,
            ElementKind::Parameter => &self.ids.parameters,
            ElementKind::Condition => &self.ids.conditions,
            ElementKind::Mapping => &self.ids.mappings,
        };
        list.get(e.index as usize).cloned()
    }

    fn resource_id(&mut self, e: ElementRef, what: &str) -> Option<String> {
        let id = self.element_id(e, ElementKind::Resource, what)?;
        if let Some(cur) = self.current {
            self.edges[cur].insert(e.index as usize);
        }
        Some(id)
    }

    /// A reference to a resource as emitted (`Ref`, `Fn::GetAtt`, `DependsOn`): its logical ID, or for a
    /// looped resource in bundle output the raw Jinja ID with the loop index. A looped resource can only be
    /// referenced from inside the same loop.
    fn resource_ref(&mut self, e: ElementRef, what: &str) -> Option<J> {
        let id = self.resource_id(e, what)?;
        let target_loop = self.stack.resources.get(e.index as usize).and_then(|r| r.in_loop);
        match target_loop {
            None => Some(json!(id)),
            Some(l) => {
                if self.cur_loop != Some(l) {
                    let spec = &self.stack.loops[l as usize];
                    self.error(format!(
                        "{what} to {id:?}, which is repeated once per {} (loop over {}); it can only be referenced from inside the same loop",
                        spec.var, spec.iterable
                    ));
                }
                match self.mode {
                    Mode::Plain => Some(json!(id)),
                    Mode::Bundle => Some(json!({ JINJA_KEY: format!("{id}{LOOP_INDEX_SUFFIX}") })),
                }
            }
        }
    }

    /// The loop of a build-phase loop-items map ([`crate::LoopHandle::items`]), if `m` is one.
    fn loop_items_of<'e>(&mut self, m: &'e IndexMap<String, Expr>) -> Option<(u32, &'e [Expr])> {
        let Expr::Int(l) = m.get(LOOP_KEY)? else { return None };
        let stack = match m.get(LOOP_STACK_KEY) {
            Some(Expr::Int(s)) => *s,
            _ => -1,
        };
        let items = match m.get(LOOP_ITEMS_KEY) {
            Some(Expr::List(items)) => items.as_slice(),
            _ => &[],
        };
        if stack != i64::from(self.stack.id.0) || *l < 0 || *l as usize >= self.stack.loops.len() {
            self.error("loop items of another template's loop".to_owned());
            return None;
        }
        Some((*l as u32, items))
    }

    fn resolve_list(&mut self, items: &[Expr]) -> J {
        let mut out = Vec::new();
        for item in items {
            if let Expr::Map(m) = item {
                if m.contains_key(LOOP_KEY) {
                    let Some((l, body)) = self.loop_items_of(m) else {
                        continue;
                    };
                    if self.cur_loop.is_some() {
                        self.error("loop items inside a loop: loops do not nest".to_owned());
                    }
                    let saved = self.cur_loop.replace(l);
                    let resolved: Vec<J> = body.iter().map(|i| self.resolve(i)).collect();
                    self.cur_loop = saved;
                    match self.mode {
                        Mode::Plain => out.extend(resolved),
                        Mode::Bundle => {
                            let spec = &self.stack.loops[l as usize];
                            out.push(json!({
                                LOOP_KEY: format!("{} in {}", spec.var, spec.iterable),
                                LOOP_ITEMS_KEY: resolved,
                            }));
                        }
                    }
                    continue;
                }
            }
            out.push(self.resolve(item));
        }
        J::Array(out)
    }

    fn condition(&mut self, c: &CondExpr) -> J {
        match c {
            CondExpr::Equals(a, b) => json!({ "Fn::Equals": [self.resolve(a), self.resolve(b)] }),
            CondExpr::And(items) | CondExpr::Or(items) => {
                let name = if matches!(c, CondExpr::And(_)) {
                    "Fn::And"
                } else {
                    "Fn::Or"
                };
                if !(2..=10).contains(&items.len()) {
                    self.error(format!("{name} takes 2 to 10 conditions, got {}", items.len()));
                }
                let items: Vec<J> = items.iter().map(|i| self.condition(i)).collect();
                json!({ name: items })
            }
            CondExpr::Not(inner) => json!({ "Fn::Not": [self.condition(inner)] }),
            CondExpr::Condition(e) => match self.element_id(*e, ElementKind::Condition, "Condition") {
                Some(id) => json!({ "Condition": id }),
                None => J::Null,
            },
        }
    }

    fn resolve(&mut self, e: &Expr) -> J {
        match e {
            Expr::Null => J::Null,
            Expr::Bool(b) => json!(b),
            Expr::Int(i) => json!(i),
            // Whole numbers print without a fraction (`10`, not `10.0`): schema `integer` properties take
            // `Value<f64>`-typed values too (e.g. a Proton number input), and `10.0` fails their type check.
            Expr::Float(f) if f.is_finite() => number(*f),
            Expr::Float(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => J::Number(n),
                None => {
                    self.error(format!("{f} is not a number CloudFormation accepts"));
                    J::Null
                }
            },
            Expr::Str(s) => json!(s),
            Expr::List(items) => self.resolve_list(items),
            Expr::Map(m) if m.contains_key(LOOP_KEY) => {
                self.error("loop items (LoopHandle::items) can only be placed as an item of a list".to_owned());
                J::Null
            }
            Expr::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), self.resolve(v))).collect()),
            Expr::Ref(el) => {
                let id = match el.kind {
                    ElementKind::Resource => self.resource_ref(*el, "Ref"),
                    ElementKind::Parameter => self.element_id(*el, ElementKind::Parameter, "Ref").map(J::String),
                    kind => {
                        self.error(format!("Ref cannot point to a {kind:?}"));
                        None
                    }
                };
                json!({ "Ref": id.unwrap_or_else(|| json!("")) })
            }
            Expr::RefName(name) => {
                let known = self.ids.parameters.contains(name) || self.ids.resources.contains(name);
                if !known {
                    self.error(format!(
                        "Ref to {name:?}, which is neither a parameter nor a resource of this template"
                    ));
                }
                json!({ "Ref": name })
            }
            Expr::Pseudo(p) => json!({ "Ref": p.name() }),
            Expr::GetAtt(el, attr) => {
                let id = self.resource_ref(*el, "Fn::GetAtt").unwrap_or_else(|| json!(""));
                json!({ "Fn::GetAtt": [id, attr] })
            }
            Expr::Sub(template, vars) => {
                self.check_sub(template, vars);
                if vars.is_empty() {
                    json!({ "Fn::Sub": template })
                } else {
                    let vars: Map<String, J> = vars.iter().map(|(k, v)| (k.clone(), self.resolve(v))).collect();
                    json!({ "Fn::Sub": [template, vars] })
                }
            }
            Expr::Join(d, list) => json!({ "Fn::Join": [d, self.resolve(list)] }),
            Expr::Select(i, list) => json!({ "Fn::Select": [i, self.resolve(list)] }),
            Expr::Split(d, s) => json!({ "Fn::Split": [d, self.resolve(s)] }),
            Expr::GetAzs(region) => match region.as_ref() {
                Expr::Pseudo(Pseudo::Region) => json!({ "Fn::GetAZs": "" }),
                other => json!({ "Fn::GetAZs": self.resolve(other) }),
            },
            Expr::If(c, a, b) => {
                let cid = self
                    .element_id(*c, ElementKind::Condition, "Fn::If")
                    .unwrap_or_default();
                json!({ "Fn::If": [cid, self.resolve(a), self.resolve(b)] })
            }
            Expr::ImportValue(name) => json!({ "Fn::ImportValue": self.resolve(name) }),
            Expr::FindInMap(m, a, b) => {
                let mid = self
                    .element_id(*m, ElementKind::Mapping, "Fn::FindInMap")
                    .unwrap_or_default();
                json!({ "Fn::FindInMap": [mid, self.resolve(a), self.resolve(b)] })
            }
            Expr::Base64(v) => json!({ "Fn::Base64": self.resolve(v) }),
            Expr::Placeholder(p) => match self.mode {
                Mode::Plain => self.resolve(&p.plain),
                Mode::Bundle => {
                    let text = match p.kind {
                        PlaceholderKind::Number => format!("{{{{ {} }}}}", p.jinja),
                        _ => format!("{{{{ {} | tojson }}}}", p.jinja),
                    };
                    json!({ JINJA_KEY: text })
                }
            },
        }
    }

    /// Every `${Name}` in a `Fn::Sub` string must be a declared variable or a pseudo parameter.
    fn check_sub(&mut self, template: &str, vars: &IndexMap<String, Expr>) {
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            rest = &rest[start + 2..];
            if rest.starts_with('!') {
                continue;
            }
            let Some(end) = rest.find('}') else {
                self.error(format!("Fn::Sub string {template:?} has an unclosed ${{"));
                return;
            };
            let name = &rest[..end];
            if !name.starts_with("AWS::") && !vars.contains_key(name) {
                self.error(format!(
                    "Fn::Sub variable ${{{name}}} is not defined; pass it in the variables map (logical IDs are not known when writing a template)"
                ));
            }
            rest = &rest[end + 1..];
        }
    }
}

fn emit_parameter(p: &crate::stack::ParameterSpec) -> J {
    let mut o = Map::new();
    o.insert("Type".into(), json!(p.type_name));
    if let Some(d) = &p.description {
        o.insert("Description".into(), json!(d));
    }
    if let Some(d) = &p.default {
        o.insert("Default".into(), d.clone());
    }
    if !p.allowed_values.is_empty() {
        o.insert("AllowedValues".into(), J::Array(p.allowed_values.clone()));
    }
    if let Some(v) = &p.allowed_pattern {
        o.insert("AllowedPattern".into(), json!(v));
    }
    if let Some(v) = p.min_length {
        o.insert("MinLength".into(), json!(v));
    }
    if let Some(v) = p.max_length {
        o.insert("MaxLength".into(), json!(v));
    }
    if let Some(v) = p.min_value {
        o.insert("MinValue".into(), number(v));
    }
    if let Some(v) = p.max_value {
        o.insert("MaxValue".into(), number(v));
    }
    if let Some(v) = &p.constraint_description {
        o.insert("ConstraintDescription".into(), json!(v));
    }
    if p.no_echo {
        o.insert("NoEcho".into(), json!(true));
    }
    J::Object(o)
}

/// A number printed as an integer when it is one.
pub(crate) fn number(v: f64) -> J {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

fn apply_override(target: &mut J, path: &str, value: J) {
    let mut cur = target;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let Some(obj) = cur.as_object_mut() else { return };
        if i == parts.len() - 1 {
            obj.insert((*part).to_owned(), value);
            return;
        }
        cur = obj.entry(*part).or_insert_with(|| J::Object(Map::new()));
    }
}
