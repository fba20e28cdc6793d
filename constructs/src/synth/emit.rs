//! The template emitter: [`Resolver`] walks the typed elements once and builds the resolved [`Node`] tree,
//! which holds both spellings of what is late-bound (the writers pick one).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::resource::check_props;
use crate::stack::{ResourceEntry, Stack};
use crate::value::{ElementKind, ElementRef};

use super::tree::{LoopHeader, Node};
use super::*;

pub(super) struct Resolver<'a> {
    pub(super) stack: &'a Stack,
    pub(super) ids: &'a Ids,
    pub(super) diags: Vec<Diagnostic>,
    /// Construct path of the element being resolved (for messages).
    pub(super) path: String,
    /// Resource → resources it references or depends on.
    pub(super) edges: Vec<BTreeSet<usize>>,
    pub(super) current: Option<usize>,
    /// The loop whose body is being resolved.
    pub(super) cur_loop: Option<u32>,
    /// The header of every loop of the stack, shared by the nodes that repeat.
    pub(super) loops: Vec<LoopHeader>,
    /// Whether problems of the plain spelling of placeholders go with the others (or to `plain_diags`).
    pub(super) merge_plain: bool,
    /// Problems found only in the plain spelling of placeholders (when not merged).
    pub(super) plain_diags: Vec<Diagnostic>,
    /// Resolving the plain spelling of a placeholder.
    pub(super) in_plain: bool,
}

/// A string node.
pub(super) fn s(v: impl Into<Cow<'static, str>>) -> Node {
    Node::Str(v.into())
}

impl Resolver<'_> {
    pub(super) fn new<'a>(stack: &'a Stack, ids: &'a Ids, merge_plain: bool) -> Resolver<'a> {
        let loops = (0..)
            .zip(&stack.loops)
            .map(|(index, spec)| LoopHeader {
                index,
                spec: Arc::new(spec.clone()),
            })
            .collect();
        Resolver {
            stack,
            ids,
            diags: Vec::new(),
            path: String::new(),
            edges: vec![BTreeSet::new(); stack.resources.len()],
            current: None,
            cur_loop: None,
            loops,
            merge_plain,
            plain_diags: Vec::new(),
            in_plain: false,
        }
    }

    /// Whether what is being resolved is in both spellings (not only in the plain one, kept apart).
    fn shared(&self) -> bool {
        self.merge_plain || !self.in_plain
    }

    pub(super) fn error(&mut self, message: String) {
        let path = self.stack.full_path(&self.path);
        let d = Diagnostic::error(path, message);
        if self.shared() {
            self.diags.push(d);
        } else {
            self.plain_diags.push(d);
        }
    }

    pub(super) fn emit_template(&mut self) -> Node {
        let s = self.stack;
        let mut t = Vec::with_capacity(7);
        t.push(("AWSTemplateFormatVersion".into(), self::s("2010-09-09")));
        if let Some(d) = &s.description {
            t.push(("Description".into(), self::s(d.clone())));
        }
        if !s.metadata.is_empty() {
            t.push(("Metadata".into(), json_members(&s.metadata)));
        }
        if !s.parameters.is_empty() {
            let params = s.parameters.iter().zip(&self.ids.parameters);
            let params = params.map(|(p, id)| (id.clone().into(), emit_parameter(&p.value)));
            t.push(("Parameters".into(), Node::Map(params.collect())));
        }
        if !s.mappings.is_empty() {
            let maps = s.mappings.iter().zip(&self.ids.mappings);
            let maps = maps.map(|(m, id)| {
                let top = m
                    .value
                    .iter()
                    .map(|(k, second)| (k.clone().into(), json_members(second)));
                (id.clone().into(), Node::Map(top.collect()))
            });
            t.push(("Mappings".into(), Node::Map(maps.collect())));
        }
        if !s.conditions.is_empty() {
            let mut conds = Vec::with_capacity(s.conditions.len());
            for (c, id) in s.conditions.iter().zip(&self.ids.conditions) {
                self.path = c.path.clone();
                let v = self.condition(&c.value);
                conds.push((id.clone().into(), v));
            }
            t.push(("Conditions".into(), Node::Map(conds)));
        }
        let resources = self.emit_resources();
        t.push(("Resources".into(), resources));
        if !s.outputs.is_empty() {
            let outputs = self.emit_outputs();
            t.push(("Outputs".into(), outputs));
        }
        Node::Map(t)
    }

    /// Every resource, in insertion order; a looped resource is a [`Node::Repeat`] of its loop.
    fn emit_resources(&mut self) -> Node {
        let s = self.stack;
        let mut resources = Vec::with_capacity(s.resources.len());
        for (i, (r, id)) in s.resources.iter().zip(&self.ids.resources).enumerate() {
            self.current = Some(i);
            let resource = self.emit_resource(r);
            let resource = match r.in_loop {
                Some(l) => Node::Repeat(self.loops[l as usize].clone(), Box::new(resource)),
                None => resource,
            };
            resources.push((id.clone().into(), resource));
        }
        self.current = None;
        self.cur_loop = None;
        Node::Map(resources)
    }

    /// One resource: its typed body as a property map (checked against the schema constraints, then
    /// resolved) and its attributes, with the overrides applied.
    fn emit_resource(&mut self, r: &ResourceEntry) -> Node {
        self.path.clone_from(&r.path);
        self.cur_loop = r.in_loop;
        let mut o = Vec::with_capacity(4);
        o.push(("Type".into(), s(r.body.type_name().to_owned())));
        let raw = r.body.to_properties();
        let mut problems = Vec::new();
        check_props(&raw, r.body.prop_specs(), "", &mut problems);
        for p in problems {
            self.error(format!("{}: {p}", r.body.type_name()));
        }
        let props = self.resolve(raw);
        if props.as_map().is_some_and(|m| !m.is_empty()) {
            o.push(("Properties".into(), props));
        }
        let mut deps: Vec<Node> = Vec::new();
        for d in &r.depends_on {
            if let Some(dep) = self.resource_ref(*d, "DependsOn") {
                if !deps.contains(&dep) {
                    deps.push(dep);
                }
            }
        }
        if !deps.is_empty() {
            o.push(("DependsOn".into(), Node::List(deps)));
        }
        if let Some(c) = r.condition {
            if let Some(cid) = self.element_id(c, ElementKind::Condition, "Condition") {
                o.push(("Condition".into(), s(cid)));
            }
        }
        if !r.metadata.is_empty() {
            o.push(("Metadata".into(), json_members(&r.metadata)));
        }
        if let Some(p) = r.deletion_policy {
            o.push(("DeletionPolicy".into(), s(p.as_str())));
        }
        if let Some(p) = r.update_replace_policy {
            o.push(("UpdateReplacePolicy".into(), s(p.as_str())));
        }
        let mut resource = Node::Map(o);
        for (path, value) in &r.overrides {
            apply_override(&mut resource, path, Node::from(value));
        }
        resource
    }

    fn emit_outputs(&mut self) -> Node {
        let s = self.stack;
        let mut outs = Vec::with_capacity(s.outputs.len());
        for (o, id) in s.outputs.iter().zip(&self.ids.outputs) {
            self.path.clone_from(&o.path);
            let mut m = Vec::with_capacity(4);
            if let Some(d) = &o.value.description {
                m.push(("Description".into(), self::s(d.clone())));
            }
            m.push(("Value".into(), self.resolve(o.value.value.expr().clone())));
            if let Some(e) = &o.value.export_name {
                let name = self.resolve(e.expr().clone());
                m.push(("Export".into(), Node::func("Name", name)));
            }
            if let Some(c) = &o.value.condition {
                if let Some(cid) = self.element_id(c.element(), ElementKind::Condition, "Condition") {
                    m.push(("Condition".into(), self::s(cid)));
                }
            }
            outs.push((id.clone().into(), Node::Map(m)));
        }
        Node::Map(outs)
    }

    /// The logical ID of an element, checking it belongs to this stack and is of the expected kind.
    pub(super) fn element_id(&mut self, e: ElementRef, kind: ElementKind, what: &str) -> Option<String> {
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

    pub(super) fn resource_id(&mut self, e: ElementRef, what: &str) -> Option<String> {
        let id = self.element_id(e, ElementKind::Resource, what)?;
        if let Some(cur) = self.current.filter(|_| self.shared()) {
            self.edges[cur].insert(e.index as usize);
        }
        Some(id)
    }

    /// A reference to a resource as emitted (`Ref`, `Fn::GetAtt`, `DependsOn`): its logical ID, or for a
    /// looped resource a [`Node::LoopId`]. A looped resource can only be referenced from inside the same loop.
    pub(super) fn resource_ref(&mut self, e: ElementRef, what: &str) -> Option<Node> {
        let id = self.resource_id(e, what)?;
        let target_loop = self.stack.resources.get(e.index as usize).and_then(|r| r.in_loop);
        match target_loop {
            None => Some(s(id)),
            Some(l) => {
                if self.cur_loop != Some(l) {
                    let spec = &self.stack.loops[l as usize];
                    self.error(format!(
                        "{what} to {id:?}, which is repeated once per {} (loop over {}); it can only be referenced from inside the same loop",
                        spec.var, spec.iterable
                    ));
                }
                Some(Node::LoopId(id.into()))
            }
        }
    }
}

/// A map of user-supplied JSON values (metadata, mapping entries), verbatim.
fn json_members<'a>(m: impl IntoIterator<Item = (&'a String, &'a serde_json::Value)>) -> Node {
    Node::Map(m.into_iter().map(|(k, v)| (k.clone().into(), Node::from(v))).collect())
}

pub(super) fn emit_parameter(p: &crate::stack::ParameterSpec) -> Node {
    let mut o: Vec<(tree::Text, Node)> = Vec::with_capacity(4);
    o.push(("Type".into(), s(p.type_name.clone())));
    if let Some(d) = &p.description {
        o.push(("Description".into(), s(d.clone())));
    }
    if let Some(d) = &p.default {
        o.push(("Default".into(), Node::from(d)));
    }
    if !p.allowed_values.is_empty() {
        o.push((
            "AllowedValues".into(),
            Node::List(p.allowed_values.iter().map(Node::from).collect()),
        ));
    }
    if let Some(v) = &p.allowed_pattern {
        o.push(("AllowedPattern".into(), s(v.clone())));
    }
    if let Some(v) = p.min_length {
        o.push(("MinLength".into(), Node::UInt(v)));
    }
    if let Some(v) = p.max_length {
        o.push(("MaxLength".into(), Node::UInt(v)));
    }
    if let Some(v) = p.min_value {
        o.push(("MinValue".into(), number(v)));
    }
    if let Some(v) = p.max_value {
        o.push(("MaxValue".into(), number(v)));
    }
    if let Some(v) = &p.constraint_description {
        o.push(("ConstraintDescription".into(), s(v.clone())));
    }
    if p.no_echo {
        o.push(("NoEcho".into(), Node::Bool(true)));
    }
    Node::Map(o)
}

/// A finite number, printed as an integer when it is one.
pub(crate) fn number(v: f64) -> Node {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Node::Int(v as i64)
    } else {
        Node::Float(v)
    }
}

pub(super) fn apply_override(target: &mut Node, path: &str, value: Node) {
    let mut cur = target;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if !matches!(cur, Node::Map(_)) {
            return;
        }
        if parts.peek().is_none() {
            cur.insert(part.to_owned(), value);
            return;
        }
        if cur.get(part).is_none() {
            cur.insert(part.to_owned(), Node::Map(Vec::new()));
        }
        let Some(next) = cur.get_mut(part) else { return };
        cur = next;
    }
}
