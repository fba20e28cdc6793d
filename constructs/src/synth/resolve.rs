//! Reference resolution: `Ref`/`Fn::GetAtt` to logical IDs (same template only), intrinsics, loops and `Fn::Sub` checks.

use indexmap::IndexMap;
use serde_json::{json, Map, Value as J};

use crate::stack::CondExpr;
use crate::value::{ElementKind, ElementRef, Expr, Placeholder, PlaceholderKind, Pseudo};

use super::*;

impl Resolver<'_> {
    pub(super) fn condition(&mut self, c: &CondExpr) -> J {
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

    pub(super) fn resolve(&mut self, e: &Expr) -> J {
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
            Expr::Ref(el) => self.resolve_ref(*el),
            Expr::RefName(name) => self.resolve_ref_name(name),
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
            Expr::Placeholder(p) => self.resolve_placeholder(p),
        }
    }

    /// `Ref` to a resource or parameter of the template.
    fn resolve_ref(&mut self, el: ElementRef) -> J {
        let id = match el.kind {
            ElementKind::Resource => self.resource_ref(el, "Ref"),
            ElementKind::Parameter => self.element_id(el, ElementKind::Parameter, "Ref").map(J::String),
            kind => {
                self.error(format!("Ref cannot point to a {kind:?}"));
                None
            }
        };
        json!({ "Ref": id.unwrap_or_else(|| json!("")) })
    }

    /// `Ref` by logical ID: it must name a parameter or a resource of the template.
    fn resolve_ref_name(&mut self, name: &String) -> J {
        let known = self.ids.parameters.contains(name) || self.ids.resources.contains(name);
        if !known {
            self.error(format!(
                "Ref to {name:?}, which is neither a parameter nor a resource of this template"
            ));
        }
        json!({ "Ref": name })
    }

    /// A late-bound value: its plain spelling, or its Jinja expression in a bundle.
    fn resolve_placeholder(&mut self, p: &Placeholder) -> J {
        match self.mode {
            Mode::Plain => self.resolve(&p.plain),
            Mode::Bundle => {
                let text = match p.kind {
                    PlaceholderKind::Number => format!("{{{{ {} }}}}", p.jinja),
                    _ => format!("{{{{ {} | tojson }}}}", p.jinja),
                };
                json!({ JINJA_KEY: text })
            }
        }
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
