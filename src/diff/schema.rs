//! AWS Proton schema compatibility: what a new minor version may change. Proton refused a minor version
//! whose schema could reject a spec the previous version accepted; those changes are `breaking`.

use serde_json::{Number, Value};

use crate::engine::{InputType, PropType, Property, Schema};

/// One schema change.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SchemaChange {
    /// `environment`, `service_instance`, `pipeline` or `template`.
    pub role: &'static str,
    /// The input type's name in the new schema (the old one's when removed): `EnvironmentInput`.
    pub input_type: String,
    /// The input (`name`, `name[]` for an array's items); empty for changes of the type itself.
    pub input: String,
    pub kind: SchemaChangeKind,
    /// Whether a spec valid for the old schema may be invalid for the new one.
    pub breaking: bool,
    /// What changed, for people: `minLength 1 → 3`.
    pub detail: String,
}

/// The kinds of schema change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SchemaChangeKind {
    TemplateRemoved,
    InputTypeRemoved,
    InputTypeAdded,
    InputRemoved,
    InputAdded,
    BecameRequired,
    BecameOptional,
    TypeChanged,
    EnumChanged,
    PatternChanged,
    LimitChanged,
    DefaultChanged,
}

impl SchemaChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaChangeKind::TemplateRemoved => "template-removed",
            SchemaChangeKind::InputTypeRemoved => "input-type-removed",
            SchemaChangeKind::InputTypeAdded => "input-type-added",
            SchemaChangeKind::InputRemoved => "input-removed",
            SchemaChangeKind::InputAdded => "input-added",
            SchemaChangeKind::BecameRequired => "became-required",
            SchemaChangeKind::BecameOptional => "became-optional",
            SchemaChangeKind::TypeChanged => "type-changed",
            SchemaChangeKind::EnumChanged => "enum-changed",
            SchemaChangeKind::PatternChanged => "pattern-changed",
            SchemaChangeKind::LimitChanged => "limit-changed",
            SchemaChangeKind::DefaultChanged => "default-changed",
        }
    }
}

impl SchemaChange {
    /// The whole bundle is gone from the new side.
    pub fn template_removed() -> SchemaChange {
        SchemaChange {
            role: "template",
            input_type: String::new(),
            input: String::new(),
            kind: SchemaChangeKind::TemplateRemoved,
            breaking: true,
            detail: "the template is not in the new set".to_owned(),
        }
    }
}

/// Compare two schemas input type by input type (paired by role: `environment_input_type`,
/// `service_input_type`, `pipeline_input_type`; the names come from each file). Sorted.
pub fn diff_schemas(old: &Schema, new: &Schema) -> Vec<SchemaChange> {
    let roles = [
        ("environment", &old.environment_input_type, &new.environment_input_type),
        ("service_instance", &old.service_input_type, &new.service_input_type),
        ("pipeline", &old.pipeline_input_type, &new.pipeline_input_type),
    ];
    let mut out = Vec::new();
    let empty = InputType::default();
    for (role, o, n) in roles {
        let ot = o.as_ref().map(|t| old.types.get(t).unwrap_or(&empty));
        let nt = n.as_ref().map(|t| new.types.get(t).unwrap_or(&empty));
        let name = n.as_ref().or(o.as_ref()).cloned().unwrap_or_default();
        let mut cx = Cx {
            role,
            input_type: name,
            out: &mut out,
        };
        match (ot, nt) {
            (None, None) => {}
            (Some(_), None) => cx.push(
                "",
                SchemaChangeKind::InputTypeRemoved,
                true,
                "the input type is gone".into(),
            ),
            (None, Some(t)) => {
                cx.push("", SchemaChangeKind::InputTypeAdded, false, "a new input type".into());
                cx.types(&empty, t);
            }
            (Some(a), Some(b)) => cx.types(a, b),
        }
    }
    out.sort();
    out
}

struct Cx<'a> {
    role: &'static str,
    input_type: String,
    out: &'a mut Vec<SchemaChange>,
}

fn required_without_default(t: &InputType, name: &str) -> bool {
    t.required.iter().any(|r| r == name) && t.properties.get(name).is_some_and(|p| p.default.is_none())
}

impl Cx<'_> {
    fn push(&mut self, input: &str, kind: SchemaChangeKind, breaking: bool, detail: String) {
        self.out.push(SchemaChange {
            role: self.role,
            input_type: self.input_type.clone(),
            input: input.to_owned(),
            kind,
            breaking,
            detail,
        });
    }

    fn types(&mut self, old: &InputType, new: &InputType) {
        use SchemaChangeKind as K;
        for name in old.properties.keys() {
            if !new.properties.contains_key(name) {
                self.push(name, K::InputRemoved, true, "specs that set it are rejected".into());
            }
        }
        for (name, p) in &new.properties {
            let strict = required_without_default(new, name);
            let Some(o) = old.properties.get(name) else {
                let detail = if strict {
                    "required, without a default"
                } else {
                    "optional or with a default"
                };
                self.push(name, K::InputAdded, strict, detail.into());
                continue;
            };
            let was_required = old.required.contains(name);
            let is_required = new.required.contains(name);
            if is_required && !was_required {
                let detail = if p.default.is_some() {
                    "required, with a default"
                } else {
                    "required, without a default"
                };
                self.push(name, K::BecameRequired, strict, detail.into());
            } else if was_required && !is_required {
                self.push(name, K::BecameOptional, false, "no longer required".into());
            } else if strict && o.default.is_some() {
                self.push(
                    name,
                    K::DefaultChanged,
                    true,
                    "the default of a required input was removed".into(),
                );
            }
            self.property(name, o, p);
        }
    }

    fn property(&mut self, name: &str, old: &Property, new: &Property) {
        use SchemaChangeKind as K;
        if old.ty != new.ty {
            let widened = old.ty == PropType::Integer && new.ty == PropType::Number;
            self.push(
                name,
                K::TypeChanged,
                !widened,
                format!("{:?} → {:?}", old.ty, new.ty).to_lowercase(),
            );
        }
        self.enums(name, old, new);
        match (&old.pattern, &new.pattern) {
            (None, Some(p)) => self.push(name, K::PatternChanged, true, format!("pattern added: {}", p.source)),
            (Some(p), None) => self.push(name, K::PatternChanged, false, format!("pattern removed: {}", p.source)),
            (Some(a), Some(b)) if a.source != b.source => self.push(
                name,
                K::PatternChanged,
                true,
                format!(
                    "pattern {} → {} (may reject values the old one accepted)",
                    a.source, b.source
                ),
            ),
            _ => {}
        }
        self.counts(name, "minLength", old.min_length, new.min_length, Bound::Lower);
        self.counts(name, "maxLength", old.max_length, new.max_length, Bound::Upper);
        self.counts(name, "minItems", old.min_items, new.min_items, Bound::Lower);
        self.counts(name, "maxItems", old.max_items, new.max_items, Bound::Upper);
        self.range(
            name,
            "minimum",
            (&old.minimum, old.exclusive_minimum),
            (&new.minimum, new.exclusive_minimum),
            Bound::Lower,
        );
        self.range(
            name,
            "maximum",
            (&old.maximum, old.exclusive_maximum),
            (&new.maximum, new.exclusive_maximum),
            Bound::Upper,
        );
        if old.default != new.default && !(old.default.is_some() && new.default.is_none() && self.already_strict(name))
        {
            let show = |d: &Option<Value>| d.as_ref().map_or("none".to_owned(), Value::to_string);
            self.push(
                name,
                K::DefaultChanged,
                false,
                format!(
                    "default {} → {} (specs that omit it get the new value)",
                    show(&old.default),
                    show(&new.default)
                ),
            );
        }
        match (&old.items, &new.items) {
            (Some(a), Some(b)) => self.property(&format!("{name}[]"), a, b),
            (None, Some(_)) | (Some(_), None) => {}
            (None, None) => {}
        }
    }

    fn already_strict(&self, name: &str) -> bool {
        self.out
            .iter()
            .any(|c| c.input == name && c.kind == SchemaChangeKind::DefaultChanged && c.breaking)
    }

    fn enums(&mut self, name: &str, old: &Property, new: &Property) {
        let (breaking, detail) = match (&old.enum_values, &new.enum_values) {
            (None, Some(n)) => (true, format!("enum added: {}", list(n))),
            (Some(o), None) => (false, format!("enum removed (was {})", list(o))),
            (Some(o), Some(n)) if o != n => {
                let gone: Vec<Value> = o.iter().filter(|v| !n.contains(v)).cloned().collect();
                if gone.is_empty() {
                    (false, format!("enum widened: {} → {}", list(o), list(n)))
                } else {
                    (true, format!("enum values removed: {}", list(&gone)))
                }
            }
            _ => return,
        };
        self.push(name, SchemaChangeKind::EnumChanged, breaking, detail);
    }

    fn counts(&mut self, name: &str, key: &str, old: Option<u64>, new: Option<u64>, bound: Bound) {
        if old == new {
            return;
        }
        let narrowed = match (bound, old, new) {
            (_, None, Some(_)) => true,
            (_, Some(_), None) => false,
            (Bound::Lower, Some(a), Some(b)) => b > a,
            (Bound::Upper, Some(a), Some(b)) => b < a,
            (_, None, None) => false,
        };
        let show = |v: Option<u64>| v.map_or("none".to_owned(), |n| n.to_string());
        self.push(
            name,
            SchemaChangeKind::LimitChanged,
            narrowed,
            format!("{key} {} → {}", show(old), show(new)),
        );
    }

    fn range(
        &mut self,
        name: &str,
        key: &str,
        old: (&Option<Number>, bool),
        new: (&Option<Number>, bool),
        bound: Bound,
    ) {
        let value = |n: &Option<Number>| n.as_ref().and_then(Number::as_f64);
        let (a, b) = (value(old.0), value(new.0));
        if a == b && old.1 == new.1 {
            return;
        }
        let narrowed = match (a, b) {
            (None, Some(_)) => true,
            (Some(_), None) | (None, None) => false,
            (Some(a), Some(b)) => {
                let tighter = match bound {
                    Bound::Lower => b > a,
                    Bound::Upper => b < a,
                };
                tighter || (a == b && new.1 && !old.1)
            }
        };
        let show = |(n, excl): (&Option<Number>, bool)| match n {
            None => "none".to_owned(),
            Some(n) if excl => format!("{n} (exclusive)"),
            Some(n) => n.to_string(),
        };
        self.push(
            name,
            SchemaChangeKind::LimitChanged,
            narrowed,
            format!("{key} {} → {}", show(old), show(new)),
        );
    }
}

#[derive(Clone, Copy)]
enum Bound {
    Lower,
    Upper,
}

fn list(values: &[Value]) -> String {
    let items: Vec<String> = values.iter().map(Value::to_string).collect();
    format!("[{}]", items.join(", "))
}
