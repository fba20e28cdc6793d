//! The type model of one resource: its schema turned into a struct with typed fields, the nested structs
//! and enums those fields need, and the attributes `Fn::GetAtt` reads (`readOnlyProperties`).

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::{Map, Value as J};

use crate::doc;
use crate::naming::{self, field_ident, snake, upper_camel, variant_ident};
use crate::DOC_MAX;

#[derive(Clone, Debug, PartialEq)]
/// The Rust type of a property.
pub(crate) enum Ty {
    /// A string, with the generated enum of its allowed values if any.
    Str(Option<EnumRef>),
    Int,
    Float,
    Bool,
    /// A list of a primitive (`Str`/`Int`/`Float`/`Bool`).
    List(Box<Ty>),
    Struct(String),
    StructList(String),
    StrMap,
    Json,
}

/// A generated enum: its name and whether it sits in the service module (enums of the resource's own
/// properties) or in the resource's submodule.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EnumRef {
    pub(crate) name: String,
    pub(crate) top: bool,
}

/// The literal constraints of a property, checked at synthesis (`PropSpec`).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Spec {
    pub(crate) allowed: Vec<String>,
    pub(crate) min_len: Option<u64>,
    pub(crate) max_len: Option<u64>,
    pub(crate) minimum: Option<f64>,
    pub(crate) maximum: Option<f64>,
}

impl Spec {
    pub(crate) fn is_empty(&self) -> bool {
        *self == Spec::default()
    }
}

/// A property of a generated struct.
pub(crate) struct Field {
    pub(crate) prop: String,
    pub(crate) ident: String,
    pub(crate) ty: Ty,
    pub(crate) required: bool,
    pub(crate) doc: Option<String>,
    pub(crate) spec: Spec,
}

/// A generated struct: the resource's own, or a nested property type.
pub(crate) struct StructDef {
    pub(crate) name: String,
    pub(crate) doc: Option<String>,
    pub(crate) fields: Vec<Field>,
}

/// A generated enum of the allowed values of a string property.
pub(crate) struct EnumDef {
    pub(crate) name: String,
    /// (variant, value)
    pub(crate) values: Vec<(String, String)>,
}

/// Names that generated types must not take (they are used unqualified in generated code).
pub(crate) const RESERVED: &[&str] = &[
    "Value", "Json", "IndexMap", "PropSpec", "Option", "Some", "None", "Vec", "String", "Box", "Default", "Self",
    "Result", "Ok", "Err", "Clone", "Debug",
];

/// What is generated for one resource type.
pub(crate) struct ResourceModel {
    /// The resource struct.
    pub(crate) top: StructDef,
    /// Enums of the resource's own properties (in the service module).
    pub(crate) top_enums: Vec<EnumDef>,
    /// Enums of nested properties (in the resource's submodule).
    pub(crate) sub_enums: Vec<EnumDef>,
    /// Nested structs, in discovery order.
    pub(crate) structs: Vec<StructDef>,
    /// `Fn::GetAtt` attributes (`Endpoint.Address`) and their schemas.
    pub(crate) attrs: Vec<(String, J)>,
    /// The schema's `definitions`.
    pub(crate) defs: Map<String, J>,
}

/// The model of resource type `type_name` (struct `struct_name`): read-only properties become attributes,
/// the others fields. Generated type names in the service module are taken from `service_names`.
pub(crate) fn model_resource(
    type_name: &str,
    schema: &J,
    struct_name: &str,
    service_names: &mut BTreeSet<String>,
    notes: &mut Vec<String>,
) -> ResourceModel {
    let defs = schema
        .get("definitions")
        .and_then(J::as_object)
        .cloned()
        .unwrap_or_default();
    let mut ctx = ResCtx {
        type_name,
        defs: defs.clone(),
        struct_json: HashMap::new(),
        by_loc: HashMap::new(),
        structs: Vec::new(),
        sub_names: RESERVED.iter().map(|s| s.to_string()).collect(),
        sub_enums: Vec::new(),
        top_enums: Vec::new(),
        service_names,
        read_only: HashSet::new(),
        visiting: Vec::new(),
        notes,
    };
    let ro = str_list(schema.get("readOnlyProperties"));
    let mut attrs: Vec<(String, J)> = Vec::new();
    for p in &ro {
        match walk_pointer(schema, &defs, p) {
            Some(chain) => {
                let (loc, prop, leaf) = chain.last().cloned().unwrap();
                ctx.read_only.insert((loc, prop));
                let attr = chain.iter().map(|(_, p, _)| p.as_str()).collect::<Vec<_>>().join(".");
                attrs.push((attr, leaf));
            }
            None => ctx.note(format!("readOnlyProperties {p} does not resolve; ignored")),
        }
    }
    let top = ctx.build_struct(schema, "", struct_name, true);
    ResourceModel {
        top,
        top_enums: std::mem::take(&mut ctx.top_enums),
        sub_enums: std::mem::take(&mut ctx.sub_enums),
        structs: ctx.structs.drain(..).flatten().collect(),
        attrs,
        defs,
    }
}

/// Per-resource generation state.
struct ResCtx<'a> {
    type_name: &'a str,
    defs: Map<String, J>,
    /// Struct name → its canonical schema text (to share identical nested types).
    struct_json: HashMap<String, String>,
    /// Schema location → struct name.
    by_loc: HashMap<String, String>,
    /// Nested structs in discovery order (slots reserved before the fields are resolved).
    structs: Vec<Option<StructDef>>,
    /// Names taken in the resource's submodule.
    sub_names: BTreeSet<String>,
    sub_enums: Vec<EnumDef>,
    /// Enums of top-level properties (go next to the resource struct).
    top_enums: Vec<EnumDef>,
    /// Names taken in the service module.
    service_names: &'a mut BTreeSet<String>,
    /// Read-only (location, property) pairs; location `""` is the resource itself.
    read_only: HashSet<(String, String)>,
    visiting: Vec<String>,
    notes: &'a mut Vec<String>,
}

pub(crate) fn str_list(v: Option<&J>) -> Vec<String> {
    v.and_then(J::as_array)
        .map(|a| a.iter().filter_map(J::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

pub(crate) fn has_properties(s: &J) -> bool {
    s.get("properties")
        .and_then(J::as_object)
        .is_some_and(|p| !p.is_empty())
}

/// The single JSON type of a schema (`"string"`, or `["string"]`); `Err(())` for several types.
pub(crate) fn single_type(s: &J) -> Result<Option<&str>, ()> {
    match s.get("type") {
        None => Ok(None),
        Some(J::String(t)) => Ok(Some(t)),
        Some(J::Array(a)) if a.len() == 1 => Ok(a[0].as_str()),
        Some(_) => Err(()),
    }
}

impl ResCtx<'_> {
    fn note(&mut self, msg: String) {
        self.notes.push(format!("{}: {msg}", self.type_name));
    }

    fn def(&self, r: &str) -> Option<(String, J)> {
        let name = r.strip_prefix("#/definitions/")?;
        self.defs.get(name).map(|d| (name.to_owned(), d.clone()))
    }

    /// For a schema without `type` whose `oneOf`/`anyOf` is one `$ref` plus JSON-text fallbacks
    /// (`{"format": "json", "type": ["object", "string"]}`), the `$ref` branch.
    fn ref_branch(&self, s: &J) -> Option<J> {
        let branches = s.get("oneOf").or_else(|| s.get("anyOf"))?.as_array()?;
        let refs: Vec<&J> = branches.iter().filter(|b| b.get("$ref").is_some()).collect();
        let fallbacks_json = branches
            .iter()
            .filter(|b| b.get("$ref").is_none())
            .all(|b| b.get("format").and_then(J::as_str) == Some("json"));
        (refs.len() == 1 && fallbacks_json).then(|| refs[0].clone())
    }

    /// Resolve the Rust type of a property schema. `hint` names generated types (struct or enum);
    /// `owner` is the name of the struct holding the property (`""` when the type comes from a definition).
    fn resolve(&mut self, s: &J, loc: &str, hint: &str, owner: &str, top: bool) -> Ty {
        if let Some(r) = s.get("$ref").and_then(J::as_str) {
            let Some((dname, def)) = self.def(r) else {
                self.note(format!("{loc}: unresolvable $ref {r}; using Json"));
                return Ty::Json;
            };
            let dloc = format!("#/definitions/{dname}");
            if self.visiting.contains(&dloc) {
                self.note(format!("{loc}: recursive reference to {dname}; using Json"));
                return Ty::Json;
            }
            self.visiting.push(dloc.clone());
            let t = self.resolve(&def, &dloc, &dname, "", false);
            self.visiting.pop();
            return t;
        }
        let ty = match single_type(s) {
            Ok(t) => t,
            Err(()) => return Ty::Json,
        };
        match ty {
            None => match self.ref_branch(s) {
                Some(b) => {
                    self.note(format!(
                        "{loc}: no type, oneOf/anyOf of a $ref and JSON text; typed from the $ref"
                    ));
                    self.resolve(&b, loc, hint, owner, top)
                }
                None => Ty::Json,
            },
            Some("string") => Ty::Str(self.enum_for(s, hint, owner, top)),
            Some("integer") => Ty::Int,
            Some("number") => Ty::Float,
            Some("boolean") => Ty::Bool,
            Some("array") => {
                let Some(items) = s.get("items") else {
                    return Ty::Json;
                };
                match self.resolve(items, &format!("{loc}/items"), hint, owner, top) {
                    t @ (Ty::Str(_) | Ty::Int | Ty::Float | Ty::Bool) => Ty::List(Box::new(t)),
                    Ty::Struct(n) => Ty::StructList(n),
                    _ => Ty::Json,
                }
            }
            Some("object") => {
                if has_properties(s) {
                    match self.struct_for(s, loc, hint, owner) {
                        Some(n) => Ty::Struct(n),
                        None => Ty::Json,
                    }
                } else if self.is_string_map(s) {
                    Ty::StrMap
                } else {
                    Ty::Json
                }
            }
            Some(_) => Ty::Json,
        }
    }

    /// An object without `properties` whose values (`patternProperties`/`additionalProperties`) are strings.
    fn is_string_map(&self, s: &J) -> bool {
        let mut values: Vec<J> = Vec::new();
        if let Some(pp) = s.get("patternProperties").and_then(J::as_object) {
            values.extend(pp.values().cloned());
        }
        if let Some(ap @ J::Object(_)) = s.get("additionalProperties") {
            values.push(ap.clone());
        }
        !values.is_empty()
            && values.iter().all(|v| {
                let v = match v.get("$ref").and_then(J::as_str).and_then(|r| self.def(r)) {
                    Some((_, d)) => d,
                    None => v.clone(),
                };
                matches!(single_type(&v), Ok(Some("string")))
            })
    }

    fn enum_for(&mut self, s: &J, hint: &str, owner: &str, top: bool) -> Option<EnumRef> {
        let values = s.get("enum")?.as_array()?;
        let mut pairs = Vec::new();
        let mut seen = HashSet::new();
        for v in values {
            let value = v.as_str()?;
            let Some(variant) = variant_ident(value) else {
                self.note(format!(
                    "enum value {value:?} of {hint} is not an identifier; no enum generated"
                ));
                return None;
            };
            if !seen.insert(variant.clone()) {
                self.note(format!("enum values of {hint} collide as {variant}; no enum generated"));
                return None;
            }
            pairs.push((variant, value.to_owned()));
        }
        if pairs.is_empty() {
            return None;
        }
        let mut candidates = vec![join_names(owner, hint)];
        candidates.push(format!("{}{}", upper_camel(owner), upper_camel(hint)));
        let enums = if top { &self.top_enums } else { &self.sub_enums };
        let names = if top { &*self.service_names } else { &self.sub_names };
        let mut chosen = None;
        for c in candidates {
            if let Some(e) = enums.iter().find(|e| e.name == c) {
                if e.values == pairs {
                    return Some(EnumRef { name: c, top });
                }
            } else if !names.contains(&c) && !RESERVED.contains(&c.as_str()) {
                chosen = Some(c);
                break;
            }
        }
        let Some(name) = chosen else {
            self.note(format!("enum for {owner}.{hint}: name taken; no enum generated"));
            return None;
        };
        let names = if top {
            &mut *self.service_names
        } else {
            &mut self.sub_names
        };
        names.insert(name.clone());
        let enums = if top { &mut self.top_enums } else { &mut self.sub_enums };
        enums.push(EnumDef {
            name: name.clone(),
            values: pairs,
        });
        Some(EnumRef { name, top })
    }

    /// The nested struct for an object schema with properties, created on first use. `None` on recursion.
    fn struct_for(&mut self, s: &J, loc: &str, hint: &str, owner: &str) -> Option<String> {
        // `resolve` pushes a definition on `visiting` before getting here: one occurrence is this one.
        if self.visiting.iter().filter(|l| *l == loc).count() > usize::from(loc.starts_with("#/definitions/")) {
            self.note(format!("{loc}: recursive object; using Json"));
            return None;
        }
        if let Some(n) = self.by_loc.get(loc) {
            return Some(n.clone());
        }
        let canonical = s.to_string();
        let base = upper_camel(hint);
        let mut candidates = vec![base.clone(), format!("{owner}{base}")];
        candidates.extend((2..100).map(|i| format!("{base}{i}")));
        let mut chosen = None;
        for c in candidates {
            if c.is_empty() || RESERVED.contains(&c.as_str()) {
                continue;
            }
            match self.struct_json.get(&c) {
                Some(j) if *j == canonical => {
                    self.by_loc.insert(loc.to_owned(), c.clone());
                    return Some(c);
                }
                Some(_) => continue,
                None if self.sub_names.contains(&c) => continue,
                None => {
                    chosen = Some(c);
                    break;
                }
            }
        }
        let name = chosen?;
        if name != base {
            self.note(format!(
                "{loc}: struct name {base} taken by a different type; named {name}"
            ));
        }
        self.struct_json.insert(name.clone(), canonical);
        self.sub_names.insert(name.clone());
        self.by_loc.insert(loc.to_owned(), name.clone());
        let slot = self.structs.len();
        self.structs.push(None);
        let pushed = !loc.starts_with("#/definitions/");
        if pushed {
            self.visiting.push(loc.to_owned());
        }
        let def = self.build_struct(s, loc, &name, false);
        if pushed {
            self.visiting.pop();
        }
        self.structs[slot] = Some(def);
        Some(name)
    }

    fn build_struct(&mut self, s: &J, loc: &str, name: &str, top: bool) -> StructDef {
        let empty = Map::new();
        let props = s.get("properties").and_then(J::as_object).unwrap_or(&empty);
        let required = str_list(s.get("required"));
        for r in &required {
            if !props.contains_key(r) {
                self.note(format!("{loc}: required property {r} is not declared; ignored"));
            }
        }
        let mut fields: Vec<Field> = Vec::new();
        let mut idents = HashSet::new();
        for (pname, ps) in props {
            if self.read_only.contains(&(loc.to_owned(), pname.clone())) {
                continue;
            }
            let ploc = format!("{loc}/properties/{pname}");
            let ty = self.resolve(ps, &ploc, pname, name, top);
            let mut ident = field_ident(&snake(pname));
            if !idents.insert(ident.clone()) {
                ident = format!("{ident}_2");
                idents.insert(ident.clone());
                self.note(format!("{ploc}: field name clash; named {ident}"));
            }
            fields.push(Field {
                prop: pname.clone(),
                ident,
                doc: ps
                    .get("description")
                    .and_then(J::as_str)
                    .and_then(|d| doc::doc_line(d, DOC_MAX)),
                spec: self.spec(ps),
                required: required.contains(pname),
                ty,
            });
        }
        StructDef {
            name: name.to_owned(),
            doc: s
                .get("description")
                .and_then(J::as_str)
                .and_then(|d| doc::doc_line(d, DOC_MAX)),
            fields,
        }
    }

    /// The literal constraints of a property (of its items for a list). A property's own keys override
    /// those of its definition.
    fn spec(&self, s: &J) -> Spec {
        let mut cur = s.clone();
        if single_type(&cur) == Ok(None) && cur.get("$ref").is_none() {
            if let Some(b) = self.ref_branch(&cur) {
                cur = b;
            }
        }
        let mut layers: Vec<J> = Vec::new();
        for _ in 0..8 {
            let is_array = single_type(&cur) == Ok(Some("array"));
            if !is_array {
                layers.push(cur.clone());
            }
            if let Some((_, d)) = cur.get("$ref").and_then(J::as_str).and_then(|r| self.def(r)) {
                cur = d;
            } else if is_array && cur.get("items").is_some() {
                cur = cur["items"].clone();
            } else {
                break;
            }
        }
        if single_type(&cur) == Ok(Some("object")) || has_properties(&cur) {
            return Spec::default();
        }
        let find = |key: &str| layers.iter().find_map(|l| l.get(key));
        let num = |key: &str| find(key).and_then(J::as_f64);
        let uint = |key: &str| find(key).and_then(J::as_u64);
        Spec {
            allowed: find("enum")
                .and_then(J::as_array)
                .map(|a| {
                    a.iter()
                        .map(|v| match v {
                            J::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            min_len: uint("minLength"),
            max_len: uint("maxLength"),
            minimum: num("minimum"),
            maximum: num("maximum"),
        }
    }
}

/// `owner` + `name` in UpperCamel without repeating the words they share: `Key` + `KeySpec` → `KeySpec`,
/// `LoadBalancer` + `Scheme` → `LoadBalancerScheme`.
fn join_names(owner: &str, name: &str) -> String {
    let o = naming::words(owner);
    let n = naming::words(name);
    let lower = |w: &[String]| w.iter().map(|x| x.to_ascii_lowercase()).collect::<Vec<_>>();
    let overlap = (1..=o.len().min(n.len()))
        .rev()
        .find(|&k| lower(&o[o.len() - k..]) == lower(&n[..k]))
        .unwrap_or(0);
    format!("{}{}", upper_camel(owner), upper_camel(&n[overlap..].join("_")))
}

/// Walk a `readOnlyProperties` pointer; returns (location of the owning object, property, leaf schema).
fn walk_pointer(schema: &J, defs: &Map<String, J>, pointer: &str) -> Option<Vec<(String, String, J)>> {
    let segs: Vec<&str> = pointer.strip_prefix("/properties/")?.split('/').collect();
    let mut cur = schema.clone();
    let mut loc = String::new();
    let mut out = Vec::new();
    for (n, seg) in segs.iter().enumerate() {
        if *seg == "*" {
            cur = cur.get("items")?.clone();
            loc.push_str("/items");
            continue;
        }
        let p = cur.get("properties")?.get(*seg)?.clone();
        out.push((loc.clone(), (*seg).to_owned(), p.clone()));
        if n + 1 == segs.len() {
            break;
        }
        loc = format!("{loc}/properties/{seg}");
        cur = p;
        for _ in 0..8 {
            if let Some(name) = cur
                .get("$ref")
                .and_then(J::as_str)
                .and_then(|r| r.strip_prefix("#/definitions/"))
            {
                loc = format!("#/definitions/{name}");
                cur = defs.get(name)?.clone();
            } else {
                break;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::join_names;

    #[test]
    fn enum_names() {
        assert_eq!(join_names("LoadBalancer", "Scheme"), "LoadBalancerScheme");
        assert_eq!(join_names("Key", "KeySpec"), "KeySpec");
        assert_eq!(join_names("VpcEndpoint", "VpcEndpointType"), "VpcEndpointType");
        assert_eq!(
            join_names("RetryConfiguration", "RetryMode"),
            "RetryConfigurationRetryMode"
        );
        assert_eq!(join_names("", "EncryptionType"), "EncryptionType");
    }
}
