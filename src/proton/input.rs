//! Typed template inputs, declared once: the schema property, the Jinja placeholder and the plain
//! CloudFormation parameter all come from one [`InputDef`].

use std::marker::PhantomData;

use proton_synth_constructs::stack::ParameterSpec;
use proton_synth_constructs::{Expr, Placeholder, PlaceholderKind, Value};
use serde_json::{json, Map, Value as J};

use super::format::{is_identifier, InfraKind};

/// Marker: an environment template (`environment.inputs.*`).
#[derive(Clone, Copy, Debug)]
pub enum Env {}
/// Marker: a service template's instance infrastructure (`service_instance.inputs.*`).
#[derive(Clone, Copy, Debug)]
pub enum Instance {}
/// Marker: a service template's pipeline (`pipeline.inputs.*`).
#[derive(Clone, Copy, Debug)]
pub enum Pipeline {}

/// Type-level template kind of an [`Input`].
pub trait KindMarker {
    const KIND: InfraKind;
}
impl KindMarker for Env {
    const KIND: InfraKind = InfraKind::Environment;
}
impl KindMarker for Instance {
    const KIND: InfraKind = InfraKind::ServiceInstance;
}
impl KindMarker for Pipeline {
    const KIND: InfraKind = InfraKind::Pipeline;
}

/// The schema type of an input (the subset of section 3.2 of the format notes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputType {
    String,
    Number,
    Boolean,
    StringList,
}

/// Types an input can carry.
pub trait InputValue {
    const TYPE: InputType;
}
impl InputValue for String {
    const TYPE: InputType = InputType::String;
}
impl InputValue for f64 {
    const TYPE: InputType = InputType::Number;
}
impl InputValue for bool {
    const TYPE: InputType = InputType::Boolean;
}
impl InputValue for Vec<String> {
    const TYPE: InputType = InputType::StringList;
}

/// The untyped declaration of an input.
#[derive(Clone, Debug, PartialEq)]
pub struct InputSpec {
    pub name: String,
    pub ty: InputType,
    pub title: Option<String>,
    pub description: Option<String>,
    pub default: Option<J>,
    pub example: Option<J>,
    pub enum_values: Vec<String>,
    pub pattern: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub required: bool,
    /// Each service instance needs its own value (see [`InputDef::unique_per_instance`]); not part of the
    /// Proton schema, used by generated sample specs only.
    pub unique_per_instance: bool,
}

/// Builder of an input declaration: `InputDef::string("vpc_cidr").default("10.0.0.0/16")`.
#[derive(Clone, Debug)]
pub struct InputDef<T> {
    pub(crate) spec: InputSpec,
    _t: PhantomData<fn() -> T>,
}

impl<T: InputValue> InputDef<T> {
    fn of(name: &str) -> Self {
        InputDef {
            spec: InputSpec {
                name: name.to_owned(),
                ty: T::TYPE,
                title: None,
                description: None,
                default: None,
                example: None,
                enum_values: Vec::new(),
                pattern: None,
                min_length: None,
                max_length: None,
                minimum: None,
                maximum: None,
                required: false,
                unique_per_instance: false,
            },
            _t: PhantomData,
        }
    }
    pub fn description(mut self, d: &str) -> Self {
        self.spec.description = Some(d.to_owned());
        self
    }
    /// The form label (`title`).
    pub fn title(mut self, t: &str) -> Self {
        self.spec.title = Some(t.to_owned());
        self
    }
    /// Listed in the type's `required`: a spec must set it unless it has a default.
    pub fn required(mut self) -> Self {
        self.spec.required = true;
        self
    }
}

impl InputDef<String> {
    pub fn string(name: &str) -> Self {
        Self::of(name)
    }
    pub fn default(mut self, v: &str) -> Self {
        self.spec.default = Some(json!(v));
        self
    }
    /// A sample value (schema `example`), used in generated sample specs.
    pub fn example(mut self, v: &str) -> Self {
        self.spec.example = Some(json!(v));
        self
    }
    pub fn enum_values<S: AsRef<str>>(mut self, values: impl IntoIterator<Item = S>) -> Self {
        self.spec.enum_values = values.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self
    }
    /// An ECMA-262 regex; not implicitly anchored (OpenAPI semantics).
    pub fn pattern(mut self, p: &str) -> Self {
        self.spec.pattern = Some(p.to_owned());
        self
    }
    pub fn min_length(mut self, n: u64) -> Self {
        self.spec.min_length = Some(n);
        self
    }
    pub fn max_length(mut self, n: u64) -> Self {
        self.spec.max_length = Some(n);
        self
    }
    /// Each service instance must have its own value (a name unique in a shared namespace, such as a Cloud
    /// Map service name). Generated sample specs with several instances give instance N > 1 the sample value
    /// with `-N` appended (the sample value shortened to keep within `max_length`); synth reports an error
    /// when such a value fails the input's pattern. The Proton schema is unchanged (it has no such keyword).
    pub fn unique_per_instance(mut self) -> Self {
        self.spec.unique_per_instance = true;
        self
    }
}

impl InputDef<f64> {
    pub fn number(name: &str) -> Self {
        Self::of(name)
    }
    pub fn default(mut self, v: f64) -> Self {
        self.spec.default = Some(proton_number(v));
        self
    }
    pub fn example(mut self, v: f64) -> Self {
        self.spec.example = Some(proton_number(v));
        self
    }
    pub fn minimum(mut self, n: f64) -> Self {
        self.spec.minimum = Some(n);
        self
    }
    pub fn maximum(mut self, n: f64) -> Self {
        self.spec.maximum = Some(n);
        self
    }
}

impl InputDef<bool> {
    pub fn boolean(name: &str) -> Self {
        Self::of(name)
    }
    pub fn default(mut self, v: bool) -> Self {
        self.spec.default = Some(json!(v));
        self
    }
}

impl InputDef<Vec<String>> {
    pub fn string_list(name: &str) -> Self {
        Self::of(name)
    }
    pub fn default<S: AsRef<str>>(mut self, v: impl IntoIterator<Item = S>) -> Self {
        self.spec.default = Some(J::Array(v.into_iter().map(|s| json!(s.as_ref())).collect()));
        self
    }
}

/// A number as JSON, an integer when it is one.
pub(crate) fn proton_number(v: f64) -> J {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

/// A declared input of a template of kind `K`, carrying type `T`.
#[derive(Debug)]
pub struct Input<K, T> {
    pub(crate) name: String,
    pub(crate) template: String,
    _p: PhantomData<fn() -> (K, T)>,
}

impl<K, T> Clone for Input<K, T> {
    fn clone(&self) -> Self {
        Input {
            name: self.name.clone(),
            template: self.template.clone(),
            _p: PhantomData,
        }
    }
}

impl<K: KindMarker, T: InputValue> Input<K, T> {
    pub(crate) fn new(name: &str, template: &str) -> Self {
        Input {
            name: name.to_owned(),
            template: template.to_owned(),
            _p: PhantomData,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The template that declared the input.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// The input's value in its own template: `{{ <kind>.inputs.<name> }}` in bundles, a `Ref` to the
    /// input's parameter in plain CloudFormation.
    pub fn value(&self) -> Value<T> {
        Value::placeholder(Placeholder {
            jinja: format!("{}{}", K::KIND.inputs_namespace(), jinja_attr(&self.name)),
            kind: placeholder_kind(T::TYPE),
            plain: Expr::RefName(parameter_name(&self.name)),
        })
    }
}

impl<K: KindMarker> Input<K, String> {
    /// The value of an optional input without a default, empty when the spec leaves it out: `{{ <kind>.inputs.
    /// <name> | default('') }}` in bundles (the one way a template may read such an input: Proton renders with
    /// strict undefined), a `Ref` to the input's parameter in plain CloudFormation, whose `Default` is then
    /// the empty string (see [`InputSpec::cfn_parameter`]).
    pub fn value_or_empty(&self) -> Value<String> {
        Value::placeholder(Placeholder {
            jinja: format!("{}{} | default('')", K::KIND.inputs_namespace(), jinja_attr(&self.name)),
            kind: PlaceholderKind::String,
            plain: Expr::RefName(parameter_name(&self.name)),
        })
    }
}

impl<K: KindMarker> Input<K, f64> {
    /// The value as an integer-typed CloudFormation value (for integer properties such as ports). The schema
    /// type stays `number` (AWS's samples never use `integer`); specs must supply whole numbers.
    pub fn as_integer(&self) -> Value<i64> {
        Value::from_expr(self.value().into_expr())
    }
}

pub(crate) fn placeholder_kind(t: InputType) -> PlaceholderKind {
    match t {
        InputType::String => PlaceholderKind::String,
        InputType::Number => PlaceholderKind::Number,
        InputType::Boolean => PlaceholderKind::Bool,
        InputType::StringList => PlaceholderKind::StringList,
    }
}

/// `.name` when `name` is a Jinja identifier, otherwise `["name"]` (input names may contain `-` or start
/// with a digit).
pub fn jinja_attr(name: &str) -> String {
    if is_identifier(name) {
        format!(".{name}")
    } else {
        format!("[{}]", serde_json::to_string(name).unwrap_or_default())
    }
}

/// The plain CloudFormation parameter of an input: `vpc_cidr` → `VpcCidr`.
pub fn parameter_name(input: &str) -> String {
    let mut out = String::new();
    for part in input.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(f) = chars.next() {
            out.push(f.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'P');
    }
    out
}

impl InputSpec {
    /// The schema property (OpenAPI 3.0 subset).
    pub fn schema_property(&self) -> J {
        let mut o = Map::new();
        let ty = match self.ty {
            InputType::String => "string",
            InputType::Number => "number",
            InputType::Boolean => "boolean",
            InputType::StringList => "array",
        };
        o.insert("type".into(), json!(ty));
        if self.ty == InputType::StringList {
            o.insert("items".into(), json!({ "type": "string" }));
        }
        if let Some(t) = &self.title {
            o.insert("title".into(), json!(t));
        }
        if let Some(d) = &self.description {
            o.insert("description".into(), json!(d));
        }
        if let Some(d) = &self.default {
            o.insert("default".into(), d.clone());
        }
        if let Some(e) = &self.example {
            o.insert("example".into(), e.clone());
        }
        if !self.enum_values.is_empty() {
            o.insert("enum".into(), json!(self.enum_values));
        }
        if let Some(p) = &self.pattern {
            o.insert("pattern".into(), json!(p));
        }
        if let Some(n) = self.min_length {
            o.insert("minLength".into(), json!(n));
        }
        if let Some(n) = self.max_length {
            o.insert("maxLength".into(), json!(n));
        }
        if let Some(n) = self.minimum {
            o.insert("minimum".into(), proton_number(n));
        }
        if let Some(n) = self.maximum {
            o.insert("maximum".into(), proton_number(n));
        }
        J::Object(o)
    }

    /// The plain CloudFormation parameter.
    pub fn cfn_parameter(&self) -> ParameterSpec {
        let mut p = ParameterSpec {
            type_name: match self.ty {
                InputType::String | InputType::Boolean => "String",
                InputType::Number => "Number",
                InputType::StringList => "CommaDelimitedList",
            }
            .to_owned(),
            description: self.description.clone().or_else(|| self.title.clone()),
            allowed_pattern: self.pattern.as_deref().map(cfn_allowed_pattern),
            min_length: self.min_length,
            max_length: self.max_length,
            min_value: self.minimum,
            max_value: self.maximum,
            ..ParameterSpec::default()
        };
        p.default = self.default.as_ref().map(|d| match (self.ty, d) {
            (InputType::Boolean, J::Bool(b)) => json!(b.to_string()),
            (InputType::StringList, J::Array(items)) => {
                json!(items.iter().filter_map(J::as_str).collect::<Vec<_>>().join(","))
            }
            _ => d.clone(),
        });
        if self.is_optional_text() {
            // A spec may leave it out (templates read it with `Input::value_or_empty`): empty means unset.
            p.default = Some(json!(""));
            p.min_length = None;
        }
        if self.ty == InputType::Boolean {
            p.allowed_values = vec![json!("true"), json!("false")];
        } else {
            p.allowed_values = self.enum_values.iter().map(|v| json!(v)).collect();
        }
        p
    }

    /// The value of instance `n` (1-based) in a sample spec, from the template's sample value: `sample`
    /// itself unless the input is [`InputDef::unique_per_instance`] and `n > 1`, then `<sample>-n` within
    /// `max_length`.
    pub fn instance_sample_value(&self, sample: &J, n: usize) -> J {
        match sample {
            J::String(base) if self.unique_per_instance && n > 1 => {
                let suffix = format!("-{n}");
                let max = self.max_length.map_or(usize::MAX, |m| m as usize);
                let mut base = base.clone();
                while base.len() + suffix.len() > max && base.pop().is_some() {}
                json!(format!("{base}{suffix}"))
            }
            _ => sample.clone(),
        }
    }

    /// An optional free-text input without a default (no enum, no pattern): a spec may leave it out, and
    /// templates read it with [`Input::value_or_empty`].
    pub fn is_optional_text(&self) -> bool {
        self.ty == InputType::String
            && !self.required
            && self.default.is_none()
            && self.enum_values.is_empty()
            && self.pattern.is_none()
    }

    /// A value for a sample spec: the default, else the example, else a value built to pass the
    /// constraints. `Err` when no such value can be derived (a pattern without example).
    pub fn sample_value(&self) -> Result<J, String> {
        if let Some(d) = &self.default {
            return Ok(d.clone());
        }
        if let Some(e) = &self.example {
            return Ok(e.clone());
        }
        Ok(match self.ty {
            InputType::String => {
                if let Some(first) = self.enum_values.first() {
                    json!(first)
                } else if self.pattern.is_some() {
                    return Err(format!(
                        "input {:?} has a pattern but neither a default nor an example; add .example(…) so sample specs can be generated",
                        self.name
                    ));
                } else {
                    let min = self.min_length.unwrap_or(1) as usize;
                    let max = self.max_length.map(|m| m as usize).unwrap_or(usize::MAX);
                    let mut s = String::from("example");
                    while s.len() < min {
                        s.push('x');
                    }
                    s.truncate(max.max(min));
                    json!(s)
                }
            }
            InputType::Number => {
                let v = match (self.minimum, self.maximum) {
                    (Some(lo), _) => lo,
                    (None, Some(hi)) => hi.min(1.0),
                    (None, None) => 1.0,
                };
                proton_number(v)
            }
            InputType::Boolean => json!(false),
            InputType::StringList => json!([]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_jinja_spelling() {
        assert_eq!(parameter_name("vpc_cidr"), "VpcCidr");
        assert_eq!(parameter_name("my-input"), "MyInput");
        assert_eq!(parameter_name("9lives"), "P9lives");
        assert_eq!(jinja_attr("vpc_cidr"), ".vpc_cidr");
        assert_eq!(jinja_attr("my-input"), "[\"my-input\"]");
        assert_eq!(jinja_attr("9lives"), "[\"9lives\"]");
    }

    #[test]
    fn cfn_parameters_of_each_type() {
        let b = InputDef::boolean("flag").default(true).description("d").spec;
        let p = b.cfn_parameter();
        assert_eq!(p.type_name, "String");
        assert_eq!(p.default, Some(json!("true")));
        assert_eq!(p.allowed_values, vec![json!("true"), json!("false")]);
        let l = InputDef::string_list("subnets").default(["a", "b"]).spec;
        let p = l.cfn_parameter();
        assert_eq!(p.type_name, "CommaDelimitedList");
        assert_eq!(p.default, Some(json!("a,b")));
        assert_eq!(
            l.schema_property(),
            json!({"type": "array", "items": {"type": "string"}, "default": ["a", "b"]})
        );
        let s = InputDef::string("size")
            .enum_values(["small", "large"])
            .min_length(1)
            .spec;
        let p = s.cfn_parameter();
        assert_eq!(p.allowed_values, vec![json!("small"), json!("large")]);
        assert_eq!(p.min_length, Some(1));
        let n = InputDef::number("ratio").default(0.5).minimum(0.0).maximum(1.0).spec;
        assert_eq!(
            n.schema_property(),
            json!({"type": "number", "default": 0.5, "minimum": 0, "maximum": 1})
        );
        assert_eq!(n.cfn_parameter().type_name, "Number");
    }

    #[test]
    fn unique_inputs_get_one_value_per_instance() {
        let s = InputDef::string("discovery_name")
            .max_length(9)
            .unique_per_instance()
            .spec;
        let sample = s.sample_value().unwrap();
        assert_eq!(s.instance_sample_value(&sample, 1), json!("example"));
        assert_eq!(s.instance_sample_value(&sample, 2), json!("example-2"));
        assert_eq!(s.instance_sample_value(&sample, 20), json!("exampl-20"));
        let plain = InputDef::string("image").spec;
        assert_eq!(plain.instance_sample_value(&json!("nginx"), 7), json!("nginx"));
    }

    #[test]
    fn sample_values_pass_constraints() {
        let s = InputDef::string("name").min_length(10).max_length(12).spec;
        assert_eq!(s.sample_value().unwrap(), json!("examplexxx"));
        let s = InputDef::string("size").enum_values(["small", "large"]).spec;
        assert_eq!(s.sample_value().unwrap(), json!("small"));
        let s = InputDef::string("cidr").pattern("^[0-9.]+/[0-9]+$").spec;
        assert!(s.sample_value().unwrap_err().contains("add .example"));
        let n = InputDef::number("count").minimum(3.0).spec;
        assert_eq!(n.sample_value().unwrap(), json!(3));
    }
}

/// An OpenAPI `pattern` (ECMA-262, matched anywhere in the value) as a CloudFormation `AllowedPattern`
/// (matched against the whole value): wrapped in `[\s\S]*(?:…)[\s\S]*` unless it is anchored at both ends
/// already, so the plain template accepts exactly the values Proton's schema accepts.
pub fn cfn_allowed_pattern(pattern: &str) -> String {
    let anchored = pattern.starts_with('^') && pattern.ends_with('$') && !pattern.ends_with("\\$");
    if anchored {
        pattern.to_owned()
    } else {
        format!("[\\s\\S]*(?:{pattern})[\\s\\S]*")
    }
}

#[cfg(test)]
mod pattern_tests {
    use super::cfn_allowed_pattern;

    #[test]
    fn unanchored_patterns_keep_their_meaning_in_allowed_pattern() {
        assert_eq!(cfn_allowed_pattern("^[a-z]+$"), "^[a-z]+$");
        assert_eq!(cfn_allowed_pattern("^https?://"), "[\\s\\S]*(?:^https?://)[\\s\\S]*");
        let re = regex::Regex::new(&format!("^(?:{})$", cfn_allowed_pattern("^https?://"))).unwrap();
        assert!(re.is_match("https://example.com"));
        assert!(!re.is_match("ftp://example.com"));
        let sample = cfn_allowed_pattern(r"([0-9]{1,3}\.){3}[0-9]{1,3}($|/(16|24))");
        let re = regex::Regex::new(&format!("^(?:{sample})$")).unwrap();
        assert!(re.is_match("10.0.0.0/16"));
        assert!(!re.is_match("10.0.0.0/8"));
    }
}
