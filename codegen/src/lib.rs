//! proton-synth-codegen: generates the typed L1 resource structs of `proton-synth-constructs`
//! (`constructs/src/cfn/`) from the CloudFormation registry schemas vendored in `constructs/schemas/`.
//!
//! [`generate`] works offline from the vendored files only; [`vendor`] refreshes them from an installed
//! cfn-lint package.

pub mod doc;
pub mod naming;
pub mod update;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value as J};

use naming::{field_ident, schema_file_name, service_module, snake, upper_camel, variant_ident};

/// The list of resource types to generate (one type name per line; `#` starts a comment).
pub const SERVICES_FILE: &str = "codegen/services.txt";
/// The vendored registry schemas and their README.
pub const SCHEMA_DIR: &str = "constructs/schemas";
/// Where the generated modules go.
pub const OUT_DIR: &str = "constructs/src/cfn";
/// The provider map (region) used to pick a schema per type.
pub const PROVIDER_REGION: &str = "us-east-1";
/// Maximum length of a generated doc comment line (characters of the schema description).
const DOC_MAX: usize = 200;

/// Read `codegen/services.txt`.
pub fn read_services(root: &Path) -> Result<Vec<String>, String> {
    let path = root.join(SERVICES_FILE);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out: Vec<String> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.split('#').next().unwrap_or_default().trim();
        if t.is_empty() {
            continue;
        }
        let parts: Vec<&str> = t.split("::").collect();
        if parts.len() != 3
            || parts
                .iter()
                .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(format!("{}:{}: not a resource type name: {t:?}", path.display(), n + 1));
        }
        if out.iter().any(|x| x == t) {
            return Err(format!("{}:{}: duplicate type {t}", path.display(), n + 1));
        }
        out.push(t.to_owned());
    }
    Ok(out)
}

/// The cfn-lint version recorded in `constructs/schemas/README.md` by [`vendor`].
pub fn vendored_version(root: &Path) -> Result<String, String> {
    let path = root.join(SCHEMA_DIR).join("README.md");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let marker = "PyPI package `cfn-lint` version ";
    let start = text
        .find(marker)
        .ok_or_else(|| format!("{}: no line with {marker:?}", path.display()))?;
    let version: String = text[start + marker.len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    if version.is_empty() {
        return Err(format!("{}: empty cfn-lint version", path.display()));
    }
    Ok(version)
}

/// Copy the schema of every type of `services.txt` from an installed cfn-lint package
/// (`<site-packages>/cfnlint/data/schemas`) into `constructs/schemas/`, remove stale schema files and
/// rewrite `constructs/schemas/README.md`. Returns the cfn-lint version.
pub fn vendor(root: &Path, cfnlint_schemas: &Path) -> Result<String, String> {
    let types = read_services(root)?;
    let version_py = cfnlint_schemas.join("../../version.py");
    let version_text = fs::read_to_string(&version_py).map_err(|e| format!("{}: {e}", version_py.display()))?;
    let version = version_text
        .lines()
        .find_map(|l| l.trim().strip_prefix("__version__ = "))
        .map(|v| v.trim_matches(|c| c == '"' || c == '\'').to_owned())
        .ok_or_else(|| format!("{}: no __version__", version_py.display()))?;
    let provider_path = cfnlint_schemas.join(format!("providers/{PROVIDER_REGION}.json"));
    let provider: Map<String, J> = serde_json::from_str(
        &fs::read_to_string(&provider_path).map_err(|e| format!("{}: {e}", provider_path.display()))?,
    )
    .map_err(|e| format!("{}: {e}", provider_path.display()))?;
    let dir = root.join(SCHEMA_DIR);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut rows = String::new();
    let mut keep = BTreeSet::new();
    for t in &types {
        let hash = provider
            .get(t)
            .and_then(J::as_str)
            .ok_or_else(|| format!("{t}: not in {}", provider_path.display()))?;
        let src = cfnlint_schemas.join(format!("resources/{hash}.json"));
        let file = schema_file_name(t);
        fs::copy(&src, dir.join(&file)).map_err(|e| format!("{}: {e}", src.display()))?;
        writeln!(rows, "| `{t}` | `{hash}` | [`{file}`]({file}) |").unwrap();
        keep.insert(file);
    }
    for entry in fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let name = entry
            .map_err(|e| e.to_string())?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".json") && !keep.contains(&name) {
            fs::remove_file(dir.join(&name)).map_err(|e| format!("{name}: {e}"))?;
        }
    }
    let readme = format!(
        "# Vendored CloudFormation resource schemas\n\n\
         Source: PyPI package `cfn-lint` version {version}, files `cfnlint/data/schemas/resources/<hash>.json`, \
         chosen through the {PROVIDER_REGION} provider map `cfnlint/data/schemas/providers/{PROVIDER_REGION}.json`. \
         cfn-lint ships the AWS CloudFormation registry resource schemas with its own corrections applied. \
         The files are byte-identical copies, renamed after the type (`AWS::EC2::VPC` → `AWS_EC2_VPC.json`).\n\n\
         License: MIT-0 (cfn-lint, <https://github.com/aws-cloudformation/cfn-lint>).\n\n\
         These files are the only input of the code generator (`cargo run -p proton-synth-codegen`), which works \
         offline. To add a type: add a line to `codegen/services.txt`, then re-vendor and regenerate with\n\
         `cargo run -p proton-synth-codegen -- --vendor <site-packages>/cfnlint/data/schemas`\n\
         (this also updates this file).\n\n\
         | Type | Hash | File |\n|---|---|---|\n{rows}"
    );
    let readme_path = dir.join("README.md");
    fs::write(&readme_path, readme).map_err(|e| format!("{}: {e}", readme_path.display()))?;
    Ok(version)
}

/// Generate every file of `constructs/src/cfn/`, plus the update table of `proton-synth diff`
/// ([`update::UPDATE_TABLE`]), in memory: path (relative to `root`) → content.
pub fn generate(root: &Path) -> Result<BTreeMap<PathBuf, String>, String> {
    generate_with_notes(root).map(|(files, _)| files)
}

/// [`generate`], plus notes on schema oddities met on the way (recursion, name clashes, fallbacks).
pub fn generate_with_notes(root: &Path) -> Result<(BTreeMap<PathBuf, String>, Vec<String>), String> {
    let types = read_services(root)?;
    let version = vendored_version(root)?;
    let mut by_service: BTreeMap<String, Vec<(String, J)>> = BTreeMap::new();
    for t in types {
        let path = root.join(SCHEMA_DIR).join(schema_file_name(&t));
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("{}: {e} (vendor it: see {SCHEMA_DIR}/README.md)", path.display()))?;
        let schema: J = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if schema.get("typeName").and_then(J::as_str) != Some(t.as_str()) {
            return Err(format!("{}: typeName is not {t}", path.display()));
        }
        by_service.entry(service_module(&t)).or_default().push((t, schema));
    }
    let mut files = BTreeMap::new();
    let all: Vec<(&str, &J)> = by_service.values().flatten().map(|(t, s)| (t.as_str(), s)).collect();
    files.insert(
        PathBuf::from(update::UPDATE_TABLE),
        update::render_update_table(&all, &version)?,
    );
    let mut notes = Vec::new();
    let out = PathBuf::from(OUT_DIR);
    let mut mod_rs = format!(
        "// Generated by `cargo run -p proton-synth-codegen` from the CloudFormation registry schemas vendored in\n\
         // constructs/schemas/ (cfn-lint {version}). Do not edit.\n\
         //! L1 resource types generated from the CloudFormation registry schemas: one module per service\n\
         //! namespace, each behind the cargo feature of the same name (all enabled by `all-services`).\n"
    );
    for (service, mut resources) in by_service {
        resources.sort_by(|a, b| a.0.cmp(&b.0));
        let text = render_service(&service, &resources, &version, &mut notes)?;
        files.insert(out.join(format!("{service}.rs")), text);
        write!(
            mod_rs,
            "\n#[cfg(feature = \"{service}\")]\n#[rustfmt::skip]\npub mod {service};\n"
        )
        .unwrap();
    }
    files.insert(out.join("mod.rs"), mod_rs);
    Ok((files, notes))
}

/// The cargo features `constructs/Cargo.toml` must declare for the generated modules.
pub fn features(root: &Path) -> Result<Vec<String>, String> {
    let set: BTreeSet<String> = read_services(root)?.iter().map(|t| service_module(t)).collect();
    Ok(set.into_iter().collect())
}

// ---------------------------------------------------------------------------------------------------------
// Type model

#[derive(Clone, Debug, PartialEq)]
enum Ty {
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
struct EnumRef {
    name: String,
    top: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Spec {
    allowed: Vec<String>,
    min_len: Option<u64>,
    max_len: Option<u64>,
    minimum: Option<f64>,
    maximum: Option<f64>,
}

impl Spec {
    fn is_empty(&self) -> bool {
        *self == Spec::default()
    }
}

struct Field {
    prop: String,
    ident: String,
    ty: Ty,
    required: bool,
    doc: Option<String>,
    spec: Spec,
}

struct StructDef {
    name: String,
    doc: Option<String>,
    fields: Vec<Field>,
}

struct EnumDef {
    name: String,
    /// (variant, value)
    values: Vec<(String, String)>,
}

/// Which imports a generated module needs.
#[derive(Default)]
struct Uses {
    value: bool,
    json: bool,
    index_map: bool,
    prop_spec: bool,
}

impl Uses {
    fn header(&self, indent: &str) -> String {
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

/// Names that generated types must not take (they are used unqualified in generated code).
const RESERVED: &[&str] = &[
    "Value", "Json", "IndexMap", "PropSpec", "Option", "Some", "None", "Vec", "String", "Box", "Default", "Self",
    "Result", "Ok", "Err", "Clone", "Debug",
];

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

fn str_list(v: Option<&J>) -> Vec<String> {
    v.and_then(J::as_array)
        .map(|a| a.iter().filter_map(J::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn has_properties(s: &J) -> bool {
    s.get("properties")
        .and_then(J::as_object)
        .is_some_and(|p| !p.is_empty())
}

/// The single JSON type of a schema (`"string"`, or `["string"]`); `Err(())` for several types.
fn single_type(s: &J) -> Result<Option<&str>, ()> {
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

// ---------------------------------------------------------------------------------------------------------
// Rendering

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
fn rust_type(t: &Ty, prefix: &str, uses: &mut Uses) -> String {
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
fn structs_with_props(structs: &[StructDef]) -> HashSet<String> {
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

fn render_specs(fields: &[Field], prefix: &str, with_props: &HashSet<String>, indent: &str, uses: &mut Uses) -> String {
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

/// A struct, its `new`, and (for nested structs) its `PROPS` and `IntoExpr`.
fn render_struct(
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
    }
    writeln!(out, "{i}}}").unwrap();
    // new()
    writeln!(out, "{i}impl {} {{", s.name).unwrap();
    if all_optional {
        writeln!(out, "{i}    pub fn new() -> Self {{ Self::default() }}").unwrap();
    } else {
        let req: Vec<&Field> = s.fields.iter().filter(|f| f.required).collect();
        let params: Vec<String> = req
            .iter()
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
        for f in &s.fields {
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
    }
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

fn render_prop_map(fields: &[Field], indent: &str) -> String {
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

fn render_enum(e: &EnumDef, indent: &str, uses: &mut Uses) -> String {
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

/// The type of a `Fn::GetAtt` attribute; `None` for objects with properties (not an attribute leaf).
fn attr_type(s: &J, defs: &Map<String, J>, uses: &mut Uses) -> Option<String> {
    let mut s = s.clone();
    for _ in 0..8 {
        match s
            .get("$ref")
            .and_then(J::as_str)
            .and_then(|r| r.strip_prefix("#/definitions/"))
        {
            Some(name) => s = defs.get(name)?.clone(),
            None => break,
        }
    }
    uses.value = true;
    let prim = |t: Option<&str>| match t {
        Some("integer") => Some("i64"),
        Some("number") => Some("f64"),
        Some("boolean") => Some("bool"),
        Some("string") | None => Some("String"),
        _ => None,
    };
    Some(match single_type(&s) {
        Ok(Some("object")) if has_properties(&s) => return None,
        Ok(Some("object")) | Err(()) => {
            uses.json = true;
            "Value<Json>".into()
        }
        Ok(Some("array")) => {
            let items = s.get("items").cloned().unwrap_or(J::Null);
            let items = match items
                .get("$ref")
                .and_then(J::as_str)
                .and_then(|r| r.strip_prefix("#/definitions/"))
            {
                Some(name) => defs.get(name).cloned().unwrap_or(J::Null),
                None => items,
            };
            match single_type(&items).ok().and_then(&prim) {
                Some(p) if !has_properties(&items) => format!("Value<Vec<{p}>>"),
                _ => {
                    uses.json = true;
                    "Value<Json>".into()
                }
            }
        }
        Ok(t) => format!("Value<{}>", prim(t).unwrap_or("String")),
    })
}

fn render_service(
    service: &str,
    resources: &[(String, J)],
    version: &str,
    notes: &mut Vec<String>,
) -> Result<String, String> {
    let namespace = resources[0]
        .0
        .rsplit_once("::")
        .map(|(a, _)| a)
        .unwrap_or_default()
        .to_owned();
    let mut uses = Uses::default();
    let mut body = String::new();
    let struct_name_of = |t: &str| upper_camel(t.rsplit("::").next().unwrap_or_default());
    let mut names: BTreeSet<String> = RESERVED.iter().map(|s| s.to_string()).collect();
    for (type_name, _) in resources {
        let struct_name = struct_name_of(type_name);
        if !names.insert(struct_name.clone()) {
            return Err(format!(
                "{type_name}: struct name {struct_name} clashes in module {service}"
            ));
        }
    }
    for (type_name, schema) in resources {
        let struct_name = struct_name_of(type_name);
        let sub = field_ident(&snake(&struct_name));
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
            service_names: &mut names,
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
        let top = ctx.build_struct(schema, "", &struct_name, true);
        let top_enums = std::mem::take(&mut ctx.top_enums);
        let sub_enums = std::mem::take(&mut ctx.sub_enums);
        let structs: Vec<StructDef> = ctx.structs.drain(..).flatten().collect();
        drop(ctx);
        let with_props = structs_with_props(&structs);

        // The resource struct.
        let prefix = format!("{sub}::");
        body.push_str(&render_struct(
            &top,
            Some(type_name),
            &prefix,
            &with_props,
            "",
            &mut uses,
        ));
        writeln!(body, "impl crate::CfnResource for {struct_name} {{").unwrap();
        writeln!(body, "    const TYPE_NAME: &'static str = {type_name:?};").unwrap();
        let specs = render_specs(&top.fields, &prefix, &with_props, "    ", &mut uses);
        if specs.is_empty() {
            writeln!(body, "    const PROPS: &'static [crate::PropSpec] = &[];").unwrap();
        } else {
            writeln!(body, "    const PROPS: &'static [PropSpec] = &[").unwrap();
            body.push_str(&specs);
            writeln!(body, "    ];").unwrap();
        }
        writeln!(body, "    fn into_properties(self) -> crate::Expr {{").unwrap();
        body.push_str(&render_prop_map(&top.fields, "        "));
        writeln!(body, "    }}").unwrap();
        writeln!(body, "}}").unwrap();

        // GetAtt.
        let mut methods = String::new();
        let mut method_names = HashSet::new();
        for (attr, leaf) in &attrs {
            let Some(t) = attr_type(leaf, &defs, &mut uses) else {
                notes.push(format!("{type_name}: read-only {attr} is an object; no attr_ method"));
                continue;
            };
            let mut m = format!("attr_{}", snake(attr));
            if !method_names.insert(m.clone()) {
                m.push_str("_2");
                method_names.insert(m.clone());
                notes.push(format!(
                    "{type_name}: attribute method name clash for {attr}; named {m}"
                ));
            }
            let d = leaf
                .get("description")
                .and_then(J::as_str)
                .and_then(|d| doc::doc_line(d, DOC_MAX))
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            writeln!(methods, "    /// `Fn::GetAtt` `{attr}`{d}").unwrap();
            writeln!(
                methods,
                "    pub fn {m}(&self) -> {t} {{ self.get_att_unchecked({attr:?}) }}"
            )
            .unwrap();
        }
        if !methods.is_empty() {
            writeln!(body, "impl crate::Handle<{struct_name}> {{").unwrap();
            body.push_str(&methods);
            writeln!(body, "}}").unwrap();
        }

        // Enums of top-level properties.
        for e in &top_enums {
            body.push_str(&render_enum(e, "", &mut uses));
        }

        // Nested types.
        if !structs.is_empty() || !sub_enums.is_empty() {
            let mut sub_uses = Uses::default();
            let mut sub_body = String::new();
            for s in &structs {
                sub_body.push_str(&render_struct(s, None, "", &with_props, "    ", &mut sub_uses));
                writeln!(sub_body, "    impl crate::IntoExpr for {} {{", s.name).unwrap();
                writeln!(sub_body, "        fn into_expr(self) -> crate::Expr {{").unwrap();
                sub_body.push_str(&render_prop_map(&s.fields, "            "));
                writeln!(sub_body, "        }}").unwrap();
                writeln!(sub_body, "    }}").unwrap();
            }
            for e in &sub_enums {
                sub_body.push_str(&render_enum(e, "    ", &mut sub_uses));
            }
            writeln!(body, "/// Property types of [`{struct_name}`].").unwrap();
            writeln!(body, "pub mod {sub} {{").unwrap();
            body.push_str(&sub_uses.header("    "));
            body.push_str(&sub_body);
            writeln!(body, "}}").unwrap();
        }
    }
    let mut out = String::new();
    writeln!(
        out,
        "// Generated by `cargo run -p proton-synth-codegen` from the CloudFormation registry schemas vendored in\n\
         // constructs/schemas/ (PyPI cfn-lint {version}, cfnlint/data/schemas/resources). Do not edit."
    )
    .unwrap();
    writeln!(out, "//! L1 resource types of the `{namespace}` namespace.").unwrap();
    writeln!(
        out,
        "#![allow(clippy::too_many_arguments, clippy::new_without_default, clippy::large_enum_variant)]\n\
         #![allow(clippy::enum_variant_names, clippy::upper_case_acronyms, clippy::module_inception)]"
    )
    .unwrap();
    out.push_str(&uses.header(""));
    out.push_str(&body);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{generate_with_notes, join_names};
    use std::fs;

    /// A throwaway workspace with one synthetic schema exercising the type mapping rules.
    fn synthetic() -> (String, Vec<String>) {
        let root = std::env::temp_dir().join(format!("proton-synth-codegen-test-{}", std::process::id()));
        fs::create_dir_all(root.join("codegen")).unwrap();
        fs::create_dir_all(root.join("constructs/schemas")).unwrap();
        fs::write(root.join("codegen/services.txt"), "# test\nAWS::Test::Thing\n").unwrap();
        fs::write(
            root.join("constructs/schemas/README.md"),
            "PyPI package `cfn-lint` version 9.9.9, ...",
        )
        .unwrap();
        let schema = serde_json::json!({
            "typeName": "AWS::Test::Thing",
            "description": "A [thing] <b>bold</b>. See https://example.com/x.\n Second paragraph.",
            "definitions": {
                "Node": {"type": "object", "properties": {
                    "Name": {"type": "string", "minLength": 1},
                    "Children": {"type": "array", "items": {"$ref": "#/definitions/Node"}},
                    "Parent": {"$ref": "#/definitions/Node"}
                }, "required": ["Name"]},
                "Endpoint": {"type": "object", "properties": {
                    "Address": {"type": "string"}, "Port": {"type": "integer", "minimum": 1, "maximum": 65535}
                }},
                "Mode": {"type": "string", "enum": ["fast-mode", "slow_mode"]}
            },
            "properties": {
                "Type": {"type": "string", "enum": ["a", "b"]},
                "Count": {"type": "integer", "enum": [1, 2]},
                "Labels": {"type": "object", "patternProperties": {".*": {"type": "string"}}},
                "Either": {"type": ["object", "string"]},
                "Ids": {"type": "array", "items": {"type": "string", "maxLength": 5}},
                "Root": {"$ref": "#/definitions/Node"},
                "Endpoint": {"$ref": "#/definitions/Endpoint"},
                "Mode": {"$ref": "#/definitions/Mode"},
                "Arn": {"type": "string"}
            },
            "required": ["Type", "Root"],
            "readOnlyProperties": ["/properties/Arn", "/properties/Endpoint/Address"]
        });
        fs::write(root.join("constructs/schemas/AWS_Test_Thing.json"), schema.to_string()).unwrap();
        let (files, notes) = generate_with_notes(&root).unwrap();
        fs::remove_dir_all(&root).unwrap();
        (
            files[&std::path::PathBuf::from("constructs/src/cfn/test.rs")].clone(),
            notes,
        )
    }

    #[test]
    fn type_mapping() {
        let (code, notes) = synthetic();
        for expected in [
            "/// `AWS::Test::Thing`: A \\[thing\\] &lt;b&gt;bold&lt;/b&gt;. See <https://example.com/x>.\n",
            "pub struct Thing {",
            "    pub r#type: Value<String>,",
            "    pub count: Option<Value<i64>>,",
            "    pub labels: Option<IndexMap<String, Value<String>>>,",
            "    pub either: Option<Value<Json>>,",
            "    pub ids: Option<Value<Vec<String>>>,",
            "    pub root: thing::Node,",
            "    pub endpoint: Option<thing::Endpoint>,",
            "    /// Allowed values: [`thing::Mode`].",
            "pub fn new(r#type: impl Into<Value<String>>, root: thing::Node) -> Self {",
            "PropSpec { name: \"Type\", allowed: &[\"a\", \"b\"], ..PropSpec::NONE },",
            "PropSpec { name: \"Count\", allowed: &[\"1\", \"2\"], ..PropSpec::NONE },",
            "PropSpec { name: \"Ids\", max_len: Some(5), ..PropSpec::NONE },",
            "PropSpec { name: \"Root\", nested: Some(thing::Node::PROPS), ..PropSpec::NONE },",
            "PropSpec { name: \"Endpoint\", nested: Some(thing::Endpoint::PROPS), ..PropSpec::NONE },",
            "pub enum ThingType { A, B }",
            "pub fn attr_arn(&self) -> Value<String> { self.get_att_unchecked(\"Arn\") }",
            "pub fn attr_endpoint_address(&self) -> Value<String> { self.get_att_unchecked(\"Endpoint.Address\") }",
            // Recursion falls back to Json.
            "        pub children: Option<Value<Json>>,",
            "        pub parent: Option<Value<Json>>,",
            // Nested read-only properties are not fields.
            "    #[derive(Clone, Debug, Default)]\n    pub struct Endpoint {\n        pub port: Option<Value<i64>>,\n    }",
            "minimum: Some(1.0), maximum: Some(65535.0)",
            "pub enum Mode { FastMode, SlowMode }",
        ] {
            assert!(code.contains(expected), "missing {expected:?} in:\n{code}");
        }
        assert!(!code.contains("pub arn"), "read-only property became a field");
        assert_eq!(notes.iter().filter(|n| n.contains("recursive")).count(), 2, "{notes:?}");
    }

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
