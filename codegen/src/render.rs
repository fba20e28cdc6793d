//! Rust source of the generated types: structs (fields, `new`, `PROPS`), enums, property maps.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::model::{EnumDef, Field, StructDef, Ty};

/// Which imports a generated module needs.
#[derive(Default)]
pub(crate) struct Uses {
    pub(crate) value: bool,
    pub(crate) json: bool,
    pub(crate) index_map: bool,
    pub(crate) prop_spec: bool,
}

impl Uses {
    pub(crate) fn header(&self, indent: &str) -> String {
        let mut crate_items = Vec::new();
        if self.json {
            crate_items.push("Json");
        }
        if self.prop_spec {
            crate_items.push("PropSpec");
        }
        if self.value {
            crate_items.push("Value");
        }
        let mut s = String::new();
        match crate_items.len() {
            0 => {}
            1 => writeln!(s, "{indent}use crate::{};", crate_items[0]).unwrap(),
            _ => writeln!(s, "{indent}use crate::{{{}}};", crate_items.join(", ")).unwrap(),
        }
        if self.index_map {
            writeln!(s, "{indent}use indexmap::IndexMap;").unwrap();
        }
        s
    }
}

fn value_type(t: &Ty, uses: &mut Uses) -> String {
    uses.value = true;
    match t {
        Ty::Str(_) => "Value<String>".into(),
        Ty::Int => "Value<i64>".into(),
        Ty::Float => "Value<f64>".into(),
        Ty::Bool => "Value<bool>".into(),
        Ty::Json => {
            uses.json = true;
            "Value<Json>".into()
        }
        Ty::List(inner) => {
            let i = value_type(inner, uses);
            format!("Value<Vec<{}>>", &i["Value<".len()..i.len() - 1])
        }
        _ => unreachable!("not a Value type: {t:?}"),
    }
}

/// The Rust type of a field; `prefix` qualifies nested structs (`vpc::` from the service module).
pub(crate) fn rust_type(t: &Ty, prefix: &str, uses: &mut Uses) -> String {
    match t {
        Ty::Struct(n) => format!("{prefix}{n}"),
        Ty::StructList(n) => format!("Vec<{prefix}{n}>"),
        Ty::StrMap => {
            uses.index_map = true;
            uses.value = true;
            "IndexMap<String, Value<String>>".into()
        }
        _ => value_type(t, uses),
    }
}

fn is_value(t: &Ty) -> bool {
    !matches!(t, Ty::Struct(_) | Ty::StructList(_) | Ty::StrMap)
}

fn fmt_f64(f: f64) -> String {
    let s = format!("{f:?}");
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// Structs (by name) whose `PROPS` are non-empty.
pub(crate) fn structs_with_props(structs: &[StructDef]) -> HashSet<String> {
    let by_name: HashMap<&str, &StructDef> = structs.iter().map(|s| (s.name.as_str(), s)).collect();
    fn has(name: &str, by_name: &HashMap<&str, &StructDef>, memo: &mut HashMap<String, bool>, depth: usize) -> bool {
        if let Some(v) = memo.get(name) {
            return *v;
        }
        let Some(s) = by_name.get(name) else {
            return false;
        };
        let v = depth < 64
            && s.fields.iter().any(|f| {
                !f.spec.is_empty()
                    || match &f.ty {
                        Ty::Struct(n) | Ty::StructList(n) => has(n, by_name, memo, depth + 1),
                        _ => false,
                    }
            });
        memo.insert(name.to_owned(), v);
        v
    }
    let mut memo = HashMap::new();
    structs
        .iter()
        .filter(|s| has(&s.name, &by_name, &mut memo, 0))
        .map(|s| s.name.clone())
        .collect()
}

pub(crate) fn render_specs(
    fields: &[Field],
    prefix: &str,
    with_props: &HashSet<String>,
    indent: &str,
    uses: &mut Uses,
) -> String {
    let mut out = String::new();
    for f in fields {
        let nested = match &f.ty {
            Ty::Struct(n) | Ty::StructList(n) if with_props.contains(n) => Some(n),
            _ => None,
        };
        if f.spec.is_empty() && nested.is_none() {
            continue;
        }
        uses.prop_spec = true;
        let mut parts = vec![format!("name: {:?}", f.prop)];
        if !f.spec.allowed.is_empty() {
            let vals: Vec<String> = f.spec.allowed.iter().map(|v| format!("{v:?}")).collect();
            parts.push(format!("allowed: &[{}]", vals.join(", ")));
        }
        if let Some(v) = f.spec.min_len {
            parts.push(format!("min_len: Some({v})"));
        }
        if let Some(v) = f.spec.max_len {
            parts.push(format!("max_len: Some({v})"));
        }
        if let Some(v) = f.spec.minimum {
            parts.push(format!("minimum: Some({})", fmt_f64(v)));
        }
        if let Some(v) = f.spec.maximum {
            parts.push(format!("maximum: Some({})", fmt_f64(v)));
        }
        if let Some(n) = nested {
            parts.push(format!("nested: Some({prefix}{n}::PROPS)"));
        }
        writeln!(
            out,
            "{indent}    PropSpec {{ {}, ..PropSpec::NONE }},",
            parts.join(", ")
        )
        .unwrap();
    }
    out
}

/// A struct, its `new`, and (for nested structs) its `PROPS`. `type_doc` is the resource type name of a
/// resource struct (`None` for nested structs); `prefix` qualifies nested types (`vpc::`).
pub(crate) fn render_struct(
    s: &StructDef,
    type_doc: Option<&str>,
    prefix: &str,
    with_props: &HashSet<String>,
    indent: &str,
    uses: &mut Uses,
) -> String {
    let i = indent;
    let mut out = String::new();
    match (type_doc, &s.doc) {
        (Some(t), Some(d)) => writeln!(out, "{i}/// `{t}`: {d}").unwrap(),
        (Some(t), None) => writeln!(out, "{i}/// `{t}`.").unwrap(),
        (None, Some(d)) => writeln!(out, "{i}/// {d}").unwrap(),
        (None, None) => {}
    }
    let all_optional = s.fields.iter().all(|f| !f.required);
    let derives = if all_optional {
        "Clone, Debug, Default"
    } else {
        "Clone, Debug"
    };
    writeln!(out, "{i}#[derive({derives})]").unwrap();
    writeln!(out, "{i}pub struct {} {{", s.name).unwrap();
    for f in &s.fields {
        out.push_str(&render_field(f, prefix, indent, uses));
    }
    writeln!(out, "{i}}}").unwrap();
    writeln!(out, "{i}impl {} {{", s.name).unwrap();
    out.push_str(&render_new(&s.fields, prefix, indent, uses));
    if type_doc.is_none() {
        // Nested: PROPS as an associated const.
        if with_props.contains(&s.name) {
            writeln!(out, "{i}    pub const PROPS: &'static [PropSpec] = &[").unwrap();
            out.push_str(&render_specs(&s.fields, prefix, with_props, i, uses));
            writeln!(out, "{i}    ];").unwrap();
        }
    }
    writeln!(out, "{i}}}").unwrap();
    out
}

/// One field of a struct: its doc (with the enum of its allowed values), name and type (`Option` unless
/// required).
fn render_field(f: &Field, prefix: &str, indent: &str, uses: &mut Uses) -> String {
    let i = indent;
    let mut out = String::new();
    if let Some(d) = &f.doc {
        writeln!(out, "{i}    /// {d}").unwrap();
    }
    let e = match &f.ty {
        Ty::List(inner) => match inner.as_ref() {
            Ty::Str(Some(e)) => Some(e),
            _ => None,
        },
        Ty::Str(Some(e)) => Some(e),
        _ => None,
    };
    if let Some(e) = e {
        let path = if e.top {
            e.name.clone()
        } else {
            format!("{prefix}{}", e.name)
        };
        if f.doc.is_some() {
            writeln!(out, "{i}    ///").unwrap();
        }
        writeln!(out, "{i}    /// Allowed values: [`{path}`].").unwrap();
    }
    let t = rust_type(&f.ty, prefix, uses);
    if f.required {
        writeln!(out, "{i}    pub {}: {t},", f.ident).unwrap();
    } else {
        writeln!(out, "{i}    pub {}: Option<{t}>,", f.ident).unwrap();
    }
    out
}

/// A struct's `new`: the required fields are its arguments (`impl Into` for values), the others `None`.
fn render_new(fields: &[Field], prefix: &str, indent: &str, uses: &mut Uses) -> String {
    let i = indent;
    let mut out = String::new();
    if fields.iter().all(|f| !f.required) {
        writeln!(out, "{i}    pub fn new() -> Self {{ Self::default() }}").unwrap();
        return out;
    }
    let params: Vec<String> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| {
            let t = rust_type(&f.ty, prefix, uses);
            if is_value(&f.ty) {
                format!("{}: impl Into<{t}>", f.ident)
            } else {
                format!("{}: {t}", f.ident)
            }
        })
        .collect();
    writeln!(out, "{i}    pub fn new({}) -> Self {{", params.join(", ")).unwrap();
    writeln!(out, "{i}        Self {{").unwrap();
    for f in fields {
        if !f.required {
            writeln!(out, "{i}            {}: None,", f.ident).unwrap();
        } else if is_value(&f.ty) {
            writeln!(out, "{i}            {}: {}.into(),", f.ident, f.ident).unwrap();
        } else {
            writeln!(out, "{i}            {},", f.ident).unwrap();
        }
    }
    writeln!(out, "{i}        }}").unwrap();
    writeln!(out, "{i}    }}").unwrap();
    out
}

pub(crate) fn render_prop_map(fields: &[Field], indent: &str) -> String {
    let i = indent;
    let mut out = String::new();
    if fields.is_empty() {
        writeln!(out, "{i}crate::PropMap::new().finish()").unwrap();
        return out;
    }
    writeln!(out, "{i}let mut m = crate::PropMap::new();").unwrap();
    for f in fields {
        let method = if f.required { "set" } else { "opt" };
        writeln!(out, "{i}m.{method}({:?}, self.{});", f.prop, f.ident).unwrap();
    }
    writeln!(out, "{i}m.finish()").unwrap();
    out
}

pub(crate) fn render_enum(e: &EnumDef, indent: &str, uses: &mut Uses) -> String {
    uses.value = true;
    let i = indent;
    let mut out = String::new();
    writeln!(
        out,
        "{i}/// Allowed values of a string property (`as_str` gives the CloudFormation spelling)."
    )
    .unwrap();
    writeln!(out, "{i}#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]").unwrap();
    let variants: Vec<&str> = e.values.iter().map(|(v, _)| v.as_str()).collect();
    writeln!(out, "{i}pub enum {} {{ {} }}", e.name, variants.join(", ")).unwrap();
    writeln!(out, "{i}impl {} {{", e.name).unwrap();
    writeln!(out, "{i}    pub fn as_str(&self) -> &'static str {{").unwrap();
    writeln!(out, "{i}        match self {{").unwrap();
    for (v, s) in &e.values {
        writeln!(out, "{i}            Self::{v} => {s:?},").unwrap();
    }
    writeln!(out, "{i}        }}").unwrap();
    writeln!(out, "{i}    }}").unwrap();
    writeln!(out, "{i}}}").unwrap();
    writeln!(
        out,
        "{i}impl From<{0}> for Value<String> {{ fn from(v: {0}) -> Self {{ Value::from(v.as_str()) }} }}",
        e.name
    )
    .unwrap();
    out
}
