//! `schema/schema.yaml`: parse it, check it against the keyword subset Proton uses, and validate input
//! values (spec inputs) against its types.
//!
//! `pattern` is an ECMA-262 regex and, as in OpenAPI, is **not** anchored: it may match anywhere in the
//! value. It is translated to a Rust regex with ECMA's ASCII meaning of `\d` and `\w`.

use indexmap::IndexMap;
use serde_json::{Map, Number, Value};

use super::finding::Finding;
use super::node::{Node, NodeValue};
use super::yaml11::{parse_yaml11, Tags};

mod pattern;
mod validate;

pub use pattern::Pattern;

pub use crate::proton::format::MAX_PARAMETER_NAME;

/// A parsed schema. Built even when the file has problems, so that `check` can go on and report more.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub environment_input_type: Option<String>,
    pub service_input_type: Option<String>,
    pub pipeline_input_type: Option<String>,
    pub types: IndexMap<String, InputType>,
}

/// One of `types`: an object whose properties are the inputs.
#[derive(Clone, Debug, Default)]
pub struct InputType {
    pub name: String,
    pub line: usize,
    pub properties: IndexMap<String, Property>,
    pub required: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropType {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    /// The schema gives no usable type (already reported); the input still counts as declared.
    Invalid,
}

impl PropType {
    fn parse(s: &str) -> Option<PropType> {
        Some(match s {
            "string" => PropType::String,
            "number" => PropType::Number,
            "integer" => PropType::Integer,
            "boolean" => PropType::Boolean,
            "array" => PropType::Array,
            _ => return None,
        })
    }

    fn article_name(self) -> &'static str {
        match self {
            PropType::String => "a string",
            PropType::Number => "a number",
            PropType::Integer => "an integer",
            PropType::Boolean => "a boolean",
            PropType::Array => "a list",
            PropType::Invalid => "a value",
        }
    }
}

/// An input declared in a type's `properties` (or the `items` of an array input).
#[derive(Clone, Debug)]
pub struct Property {
    pub name: String,
    pub line: usize,
    pub ty: PropType,
    pub default: Option<Value>,
    pub enum_values: Option<Vec<Value>>,
    pub pattern: Option<Pattern>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub minimum: Option<Number>,
    pub maximum: Option<Number>,
    pub exclusive_minimum: bool,
    pub exclusive_maximum: bool,
    pub items: Option<Box<Property>>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
}

/// Parse `schema.yaml` text. `file` names it in findings. Problems that keep a part from being used are
/// errors; keywords outside Proton's subset are warnings.
pub fn parse_schema(text: &str, file: &str) -> (Schema, Vec<Finding>) {
    let mut p = SchemaParser {
        file,
        findings: Vec::new(),
    };
    let schema = match parse_yaml11(text, Tags::Any) {
        Ok(root) => p.root(&root),
        Err(e) => {
            p.error(e.line, format!("invalid YAML: {}", e.message));
            Schema::default()
        }
    };
    (schema, p.findings)
}

struct SchemaParser<'a> {
    file: &'a str,
    findings: Vec<Finding>,
}

const TYPE_KEYS: &[&str] = &["type", "description", "title", "properties", "required"];
const PROPERTY_KEYS: &[&str] = &[
    "type",
    "description",
    "title",
    "default",
    "enum",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "example",
];
const UNSUPPORTED_KEYS: &[&str] = &["$ref", "oneOf", "anyOf", "allOf", "not", "additionalProperties"];

impl SchemaParser<'_> {
    fn error(&mut self, line: impl Into<Option<usize>>, message: impl Into<String>) {
        self.findings
            .push(Finding::error(message).in_file(self.file).at_line(line));
    }

    fn warning(&mut self, line: impl Into<Option<usize>>, message: impl Into<String>) {
        self.findings
            .push(Finding::warning(message).in_file(self.file).at_line(line));
    }

    fn root(&mut self, root: &Node) -> Schema {
        let mut schema = Schema::default();
        let Some(entries) = root.as_map() else {
            self.error(
                root.line,
                format!("expected a mapping with a `schema` key, got {}", root.kind_name()),
            );
            return schema;
        };
        for (k, _) in entries {
            if k.key_text() != "schema" {
                self.warning(
                    k.line,
                    format!("unknown top-level key `{}`; Proton reads only `schema`", k.key_text()),
                );
            }
        }
        let Some(body) = root.get("schema") else {
            self.error(root.line, "missing the top-level `schema` key");
            return schema;
        };
        let Some(body_entries) = body.as_map() else {
            self.error(
                body.line,
                format!("schema: expected a mapping, got {}", body.kind_name()),
            );
            return schema;
        };
        self.format(body);
        for (k, v) in body_entries {
            let key = k.key_text();
            match key.as_str() {
                "format" | "types" => {}
                "environment_input_type" => schema.environment_input_type = self.type_name(&key, v),
                "service_input_type" => schema.service_input_type = self.type_name(&key, v),
                "pipeline_input_type" => schema.pipeline_input_type = self.type_name(&key, v),
                _ => self.warning(k.line, format!("schema.{key}: unknown key, Proton ignores it")),
            }
        }
        match body.get("types") {
            None => self.error(body.line, "schema.types: missing; it declares the input types"),
            Some(types) => schema.types = self.types(types),
        }
        self.check_input_type_refs(&schema, body);
        schema
    }

    fn format(&mut self, body: &Node) {
        match body.get("format").map(|f| (f, f.get("openapi"))) {
            None => self.error(
                body.line,
                "schema.format: missing; write `format: {openapi: \"3.0.0\"}`",
            ),
            Some((f, None)) => self.error(f.line, "schema.format.openapi: missing; it must be \"3.0.0\""),
            Some((_, Some(v))) if v.key_text() != "3.0.0" || v.as_str().is_none() => self.error(
                v.line,
                format!(
                    "schema.format.openapi: must be the string \"3.0.0\", got {}",
                    v.to_json()
                ),
            ),
            Some(_) => {}
        }
    }

    fn type_name(&mut self, key: &str, v: &Node) -> Option<String> {
        match v.as_str() {
            Some(s) if !s.is_empty() => Some(s.to_owned()),
            _ => {
                self.error(
                    v.line,
                    format!("schema.{key}: expected the name of a type, got {}", v.kind_name()),
                );
                None
            }
        }
    }

    fn check_input_type_refs(&mut self, schema: &Schema, body: &Node) {
        let refs = [
            ("environment_input_type", &schema.environment_input_type),
            ("service_input_type", &schema.service_input_type),
            ("pipeline_input_type", &schema.pipeline_input_type),
        ];
        for (key, name) in refs {
            if let Some(name) = name {
                if !schema.types.contains_key(name) {
                    let line = body.get(key).map(|n| n.line);
                    self.error(
                        line,
                        format!("schema.{key}: names the type `{name}`, which schema.types does not declare"),
                    );
                }
            }
        }
        let used: Vec<&String> = refs.iter().filter_map(|(_, n)| n.as_ref()).collect();
        for t in schema.types.values() {
            if !used.contains(&&t.name) {
                self.warning(t.line, format!("schema.types.{}: not used by any *_input_type", t.name));
            }
        }
    }

    fn types(&mut self, types: &Node) -> IndexMap<String, InputType> {
        let mut out = IndexMap::new();
        let Some(entries) = types.as_map() else {
            self.error(
                types.line,
                format!("schema.types: expected a mapping of types, got {}", types.kind_name()),
            );
            return out;
        };
        for (k, v) in entries {
            let name = k.key_text();
            let t = self.input_type(&name, v, k.line);
            out.insert(name, t);
        }
        out
    }

    fn input_type(&mut self, name: &str, node: &Node, line: usize) -> InputType {
        let path = format!("schema.types.{name}");
        let mut t = InputType {
            name: name.to_owned(),
            line,
            ..InputType::default()
        };
        let Some(entries) = node.as_map() else {
            self.error(line, format!("{path}: expected a mapping, got {}", node.kind_name()));
            return t;
        };
        self.keywords(&path, entries, TYPE_KEYS);
        match node.get("type") {
            None => self.error(line, format!("{path}: missing `type: object`")),
            Some(ty) if ty.as_str() != Some("object") => self.error(
                ty.line,
                format!("{path}.type: an input type must be `object`, got {}", ty.to_json()),
            ),
            Some(_) => {}
        }
        if let Some(props) = node.get("properties") {
            match props.as_map() {
                Some(props) => {
                    for (k, v) in props {
                        let pname = k.key_text();
                        if let Some(p) = self.property(&format!("{path}.properties.{pname}"), &pname, v, k.line) {
                            t.properties.insert(pname, p);
                        }
                    }
                }
                None if props.is_null() => {}
                None => self.error(
                    props.line,
                    format!("{path}.properties: expected a mapping, got {}", props.kind_name()),
                ),
            }
        }
        if let Some(req) = node.get("required") {
            self.required(&path, req, &mut t);
        }
        t
    }

    fn required(&mut self, path: &str, req: &Node, t: &mut InputType) {
        let Some(items) = req.as_seq() else {
            self.error(
                req.line,
                format!(
                    "{path}.required: expected a list of property names, got {}",
                    req.kind_name()
                ),
            );
            return;
        };
        for item in items {
            match item.as_str() {
                Some(n) if t.properties.contains_key(n) => t.required.push(n.to_owned()),
                Some(n) => self.error(item.line, format!("{path}.required: `{n}` is not a declared property")),
                None => self.error(
                    item.line,
                    format!("{path}.required: expected a property name, got {}", item.kind_name()),
                ),
            }
        }
    }

    fn keywords(&mut self, path: &str, entries: &[(Node, Node)], known: &[&str]) {
        for (k, _) in entries {
            let key = k.key_text();
            if UNSUPPORTED_KEYS.contains(&key.as_str()) {
                self.error(
                    k.line,
                    format!("{path}: `{key}` is not supported (Proton bundles use plain properties only)"),
                );
            } else if !known.contains(&key.as_str()) {
                self.warning(
                    k.line,
                    format!("{path}: `{key}` is outside the keyword subset Proton templates use; it is ignored"),
                );
            }
        }
    }

    fn property(&mut self, path: &str, name: &str, node: &Node, line: usize) -> Option<Property> {
        if name.chars().count() > MAX_PARAMETER_NAME {
            self.error(
                line,
                format!("{path}: property names are limited to {MAX_PARAMETER_NAME} characters"),
            );
        }
        let Some(entries) = node.as_map() else {
            self.error(line, format!("{path}: expected a mapping, got {}", node.kind_name()));
            return None;
        };
        self.keywords(path, entries, PROPERTY_KEYS);
        let ty = self.prop_type(path, node, line);
        let mut p = Property {
            name: name.to_owned(),
            line,
            ty,
            default: node.get("default").map(Node::to_json),
            enum_values: None,
            pattern: None,
            min_length: self.count(path, node, "minLength"),
            max_length: self.count(path, node, "maxLength"),
            minimum: self.number(path, node, "minimum"),
            maximum: self.number(path, node, "maximum"),
            exclusive_minimum: self.flag(path, node, "exclusiveMinimum"),
            exclusive_maximum: self.flag(path, node, "exclusiveMaximum"),
            items: None,
            min_items: self.count(path, node, "minItems"),
            max_items: self.count(path, node, "maxItems"),
        };
        self.enum_and_pattern(path, node, &mut p);
        if ty == PropType::Array {
            match node.get("items") {
                Some(items) => {
                    p.items = self
                        .property(&format!("{path}.items"), name, items, items.line)
                        .map(Box::new)
                }
                None => self.error(line, format!("{path}: an array input needs `items`")),
            }
        }
        self.check_default(path, node, &p);
        Some(p)
    }

    /// `type`: one of Proton's input types (`integer` with a warning); `Invalid` after an error.
    fn prop_type(&mut self, path: &str, node: &Node, line: usize) -> PropType {
        let ty = match node.get("type") {
            None => {
                self.error(
                    line,
                    format!("{path}: missing `type` (string, number, boolean or array)"),
                );
                PropType::Invalid
            }
            Some(t) => match t.as_str().and_then(PropType::parse) {
                Some(ty) => ty,
                None if t.as_str() == Some("object") => {
                    self.error(t.line, format!("{path}.type: nested `object` inputs are not supported"));
                    PropType::Invalid
                }
                None => {
                    self.error(
                        t.line,
                        format!(
                            "{path}.type: unknown type {}; use string, number, integer, boolean or array",
                            t.to_json()
                        ),
                    );
                    PropType::Invalid
                }
            },
        };
        if ty == PropType::Integer {
            self.warning(
                line,
                format!("{path}.type: no Proton sample uses `integer`; `number` is the usual choice"),
            );
        }
        ty
    }

    /// `enum` (a non-empty list) and `pattern` (an ECMA-262 regex) of a property.
    fn enum_and_pattern(&mut self, path: &str, node: &Node, p: &mut Property) {
        if let Some(e) = node.get("enum") {
            match e.as_seq() {
                Some(items) if !items.is_empty() => p.enum_values = Some(items.iter().map(Node::to_json).collect()),
                _ => self.error(e.line, format!("{path}.enum: expected a non-empty list of values")),
            }
        }
        if let Some(pat) = node.get("pattern") {
            match pat.as_str().map(Pattern::new) {
                Some(Ok(compiled)) => p.pattern = Some(compiled),
                Some(Err(e)) => self.error(pat.line, format!("{path}.pattern: cannot be compiled: {e}")),
                None => self.error(
                    pat.line,
                    format!("{path}.pattern: expected a string, got {}", pat.kind_name()),
                ),
            }
        }
    }

    fn check_default(&mut self, path: &str, node: &Node, p: &Property) {
        if let Some(d) = node.get("default") {
            let mut problems = Vec::new();
            p.validate(d, &format!("{path}.default"), &mut problems);
            for f in problems {
                self.error(f.line, f.message);
            }
        }
    }

    fn count(&mut self, path: &str, node: &Node, key: &str) -> Option<u64> {
        let v = node.get(key)?;
        match &v.value {
            NodeValue::Number(n) if n.as_u64().is_some() => n.as_u64(),
            _ => {
                self.error(
                    v.line,
                    format!("{path}.{key}: expected a non-negative integer, got {}", v.to_json()),
                );
                None
            }
        }
    }

    fn number(&mut self, path: &str, node: &Node, key: &str) -> Option<Number> {
        let v = node.get(key)?;
        match &v.value {
            NodeValue::Number(n) => Some(n.clone()),
            _ => {
                self.error(v.line, format!("{path}.{key}: expected a number, got {}", v.to_json()));
                None
            }
        }
    }

    fn flag(&mut self, path: &str, node: &Node, key: &str) -> bool {
        match node.get(key).map(|v| (v, &v.value)) {
            None => false,
            Some((_, NodeValue::Bool(b))) => *b,
            Some((v, _)) => {
                self.error(
                    v.line,
                    format!(
                        "{path}.{key}: expected true or false (OpenAPI 3.0), got {}",
                        v.to_json()
                    ),
                );
                false
            }
        }
    }
}
