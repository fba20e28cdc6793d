//! The template emitter: [`Resolver`] walks the typed elements and writes JSON (per [`Mode`]).

use std::collections::BTreeSet;

use indexmap::IndexMap;
use serde_json::{json, Map, Value as J};

use crate::diag::Diagnostic;
use crate::resource::check_props;
use crate::stack::{ResourceEntry, Stack};
use crate::value::{ElementKind, ElementRef, Expr};

use super::*;

pub(super) struct Resolver<'a> {
    pub(super) stack: &'a Stack,
    pub(super) ids: &'a Ids,
    pub(super) mode: Mode,
    pub(super) diags: Vec<Diagnostic>,
    /// Construct path of the element being resolved (for messages).
    pub(super) path: String,
    /// Resource → resources it references or depends on.
    pub(super) edges: Vec<BTreeSet<usize>>,
    pub(super) current: Option<usize>,
    /// The loop whose body is being resolved.
    pub(super) cur_loop: Option<u32>,
}

impl Resolver<'_> {
    pub(super) fn error(&mut self, message: String) {
        let path = self.stack.full_path(&self.path);
        self.diags.push(Diagnostic::error(path, message));
    }

    pub(super) fn emit_template(&mut self) -> J {
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
        let resources = self.emit_resources();
        t.insert("Resources".into(), J::Object(resources));
        if !s.outputs.is_empty() {
            let outputs = self.emit_outputs();
            t.insert("Outputs".into(), J::Object(outputs));
        }
        J::Object(t)
    }

    /// Every resource, in insertion order; in bundle mode a looped resource goes into its loop's group.
    fn emit_resources(&mut self) -> Map<String, J> {
        let s = self.stack;
        let mut resources = Map::new();
        for (i, (r, id)) in s.resources.iter().zip(&self.ids.resources).enumerate() {
            self.current = Some(i);
            let resource = self.emit_resource(r);
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
        resources
    }

    /// One resource: its typed body as a property map (checked against the schema constraints, then
    /// resolved) and its attributes, with the overrides applied.
    fn emit_resource(&mut self, r: &ResourceEntry) -> J {
        self.path = r.path.clone();
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
        resource
    }

    fn emit_outputs(&mut self) -> Map<String, J> {
        let s = self.stack;
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
        outs
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
        if let Some(cur) = self.current {
            self.edges[cur].insert(e.index as usize);
        }
        Some(id)
    }

    /// A reference to a resource as emitted (`Ref`, `Fn::GetAtt`, `DependsOn`): its logical ID, or for a
    /// looped resource in bundle output the raw Jinja ID with the loop index. A looped resource can only be
    /// referenced from inside the same loop.
    pub(super) fn resource_ref(&mut self, e: ElementRef, what: &str) -> Option<J> {
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
    pub(super) fn loop_items_of<'e>(&mut self, m: &'e IndexMap<String, Expr>) -> Option<(u32, &'e [Expr])> {
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

    pub(super) fn resolve_list(&mut self, items: &[Expr]) -> J {
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
}
pub(super) fn emit_parameter(p: &crate::stack::ParameterSpec) -> J {
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

pub(super) fn apply_override(target: &mut J, path: &str, value: J) {
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
