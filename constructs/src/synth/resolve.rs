//! Reference resolution: `Ref`/`Fn::GetAtt` to logical IDs (same template only), intrinsics, loops and `Fn::Sub` checks.

use indexmap::IndexMap;

use crate::stack::CondExpr;
use crate::value::{ElementKind, ElementRef, Expr, LoopRef, Placeholder, Pseudo};

use super::emit::s;
use super::tree::Node;
use super::*;

impl Resolver<'_> {
    pub(super) fn condition(&mut self, c: &CondExpr) -> Node {
        match c {
            CondExpr::Equals(a, b) => {
                let pair = vec![self.resolve(a.clone()), self.resolve(b.clone())];
                Node::func("Fn::Equals", Node::List(pair))
            }
            CondExpr::And(items) | CondExpr::Or(items) => {
                let name = if matches!(c, CondExpr::And(_)) {
                    "Fn::And"
                } else {
                    "Fn::Or"
                };
                if !(2..=10).contains(&items.len()) {
                    self.error(format!("{name} takes 2 to 10 conditions, got {}", items.len()));
                }
                let items: Vec<Node> = items.iter().map(|i| self.condition(i)).collect();
                Node::func(name, Node::List(items))
            }
            CondExpr::Not(inner) => {
                let inner = self.condition(inner);
                Node::func("Fn::Not", Node::List(vec![inner]))
            }
            CondExpr::Condition(e) => match self.element_id(*e, ElementKind::Condition, "Condition") {
                Some(id) => Node::func("Condition", s(id)),
                None => Node::Null,
            },
        }
    }

    /// Resolve an expression (taken by value: its strings move into the tree).
    pub(super) fn resolve(&mut self, e: Expr) -> Node {
        match e {
            Expr::Null => Node::Null,
            Expr::Bool(b) => Node::Bool(b),
            Expr::Int(i) => Node::Int(i),
            // Whole numbers print without a fraction (`10`, not `10.0`): schema `integer` properties take
            // `Value<f64>`-typed values too (e.g. a Proton number input), and `10.0` fails their type check.
            Expr::Float(f) if f.is_finite() => number(f),
            Expr::Float(f) => {
                self.error(format!("{f} is not a number CloudFormation accepts"));
                Node::Null
            }
            Expr::Str(v) => s(v),
            Expr::List(items) => self.resolve_list(items),
            Expr::Loop(..) => {
                self.error("loop items (LoopHandle::items) can only be placed as an item of a list".to_owned());
                Node::Null
            }
            Expr::Map(m) => Node::Map(m.into_iter().map(|(k, v)| (k.into(), self.resolve(v))).collect()),
            Expr::Ref(el) => self.resolve_ref(el),
            Expr::RefName(name) => self.resolve_ref_name(name),
            Expr::Pseudo(p) => Node::func("Ref", s(p.name())),
            Expr::GetAtt(el, attr) => {
                let id = self.resource_ref(el, "Fn::GetAtt").unwrap_or_else(|| s(""));
                Node::func("Fn::GetAtt", Node::List(vec![id, s(attr)]))
            }
            Expr::Sub(template, vars) => {
                self.check_sub(&template, &vars);
                if vars.is_empty() {
                    Node::func("Fn::Sub", s(template))
                } else {
                    let vars = vars.into_iter().map(|(k, v)| (k.into(), self.resolve(v))).collect();
                    Node::func("Fn::Sub", Node::List(vec![s(template), Node::Map(vars)]))
                }
            }
            Expr::Join(d, list) => {
                let list = self.resolve(*list);
                Node::func("Fn::Join", Node::List(vec![s(d), list]))
            }
            Expr::Select(i, list) => {
                let list = self.resolve(*list);
                Node::func("Fn::Select", Node::List(vec![Node::Int(i64::from(i)), list]))
            }
            Expr::Split(d, v) => {
                let v = self.resolve(*v);
                Node::func("Fn::Split", Node::List(vec![s(d), v]))
            }
            Expr::GetAzs(region) => match *region {
                Expr::Pseudo(Pseudo::Region) => Node::func("Fn::GetAZs", s("")),
                other => {
                    let region = self.resolve(other);
                    Node::func("Fn::GetAZs", region)
                }
            },
            Expr::If(c, a, b) => {
                let cid = self.element_id(c, ElementKind::Condition, "Fn::If").unwrap_or_default();
                let (a, b) = (self.resolve(*a), self.resolve(*b));
                Node::func("Fn::If", Node::List(vec![s(cid), a, b]))
            }
            Expr::ImportValue(name) => {
                let name = self.resolve(*name);
                Node::func("Fn::ImportValue", name)
            }
            Expr::FindInMap(m, a, b) => {
                let mid = self
                    .element_id(m, ElementKind::Mapping, "Fn::FindInMap")
                    .unwrap_or_default();
                let (a, b) = (self.resolve(*a), self.resolve(*b));
                Node::func("Fn::FindInMap", Node::List(vec![s(mid), a, b]))
            }
            Expr::Base64(v) => {
                let v = self.resolve(*v);
                Node::func("Fn::Base64", v)
            }
            Expr::Placeholder(p) => self.resolve_placeholder(p),
        }
    }

    /// `Ref` to a resource or parameter of the template.
    fn resolve_ref(&mut self, el: ElementRef) -> Node {
        let id = match el.kind {
            ElementKind::Resource => self.resource_ref(el, "Ref"),
            ElementKind::Parameter => self.element_id(el, ElementKind::Parameter, "Ref").map(s),
            kind => {
                self.error(format!("Ref cannot point to a {kind:?}"));
                None
            }
        };
        Node::func("Ref", id.unwrap_or_else(|| s("")))
    }

    /// `Ref` by logical ID: it must name a parameter or a resource of the template.
    fn resolve_ref_name(&mut self, name: String) -> Node {
        let known = self.ids.parameters.contains(&name) || self.ids.resources.contains(&name);
        if !known {
            self.error(format!(
                "Ref to {name:?}, which is neither a parameter nor a resource of this template"
            ));
        }
        Node::func("Ref", s(name))
    }

    /// A late-bound value: both spellings (its plain one resolved, with plain-only problems kept apart).
    fn resolve_placeholder(&mut self, p: std::sync::Arc<Placeholder>) -> Node {
        let outer = std::mem::replace(&mut self.in_plain, true);
        let plain = self.resolve(p.plain.clone());
        self.in_plain = outer;
        Node::Placeholder(p, Box::new(plain))
    }

    fn resolve_list(&mut self, items: Vec<Expr>) -> Node {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Expr::Loop(lp, body) => {
                    if let Some(node) = self.resolve_loop(lp, body) {
                        out.push(node);
                    }
                }
                other => out.push(self.resolve(other)),
            }
        }
        Node::List(out)
    }

    /// Loop items ([`crate::LoopHandle::items`]) as an item of a list.
    fn resolve_loop(&mut self, lp: LoopRef, body: Vec<Expr>) -> Option<Node> {
        if lp.stack != self.stack.id || lp.index as usize >= self.stack.loops.len() {
            self.error("loop items of another template's loop".to_owned());
            return None;
        }
        if self.cur_loop.is_some() {
            self.error("loop items inside a loop: loops do not nest".to_owned());
        }
        let saved = self.cur_loop.replace(lp.index);
        let items: Vec<Node> = body.into_iter().map(|i| self.resolve(i)).collect();
        self.cur_loop = saved;
        Some(Node::Loop(self.loops[lp.index as usize].clone(), items))
    }

    /// Every `${Name}` in a `Fn::Sub` string must be a declared variable or a pseudo parameter.
    pub(super) fn check_sub(&mut self, template: &str, vars: &IndexMap<String, Expr>) {
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
