//! The contract between generated resource types and the stack, plus schema-driven literal checks.

use std::any::Any;

use crate::value::Expr;

/// A CloudFormation resource type: implemented by every generated L1 struct.
pub trait CfnResource {
    /// The CloudFormation type name, e.g. `AWS::EC2::VPC`.
    const TYPE_NAME: &'static str;
    /// Constraints of the top-level properties, from the registry schema.
    const PROPS: &'static [PropSpec];
    /// The `Properties` map.
    fn into_properties(self) -> Expr;
}

/// A resource as the construct tree stores it until synthesis: a generated L1 struct (any [`CfnResource`])
/// or an [`UntypedResource`]. Constructs edit the typed struct ([`crate::Stack::l1_mut`]); the property map
/// is produced, and checked against the schema constraints, only when the template is synthesized.
pub trait AnyResource: Any + Send + Sync + std::fmt::Debug {
    /// The CloudFormation type name, e.g. `AWS::EC2::VPC`.
    fn type_name(&self) -> &str;
    /// Constraints of the top-level properties (empty for untyped resources).
    fn prop_specs(&self) -> &'static [PropSpec];
    /// The `Properties` map of the resource in its current state.
    fn to_properties(&self) -> Expr;
    /// The body itself (to downcast to its concrete type).
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// The generated L1 struct: the body itself, or the L1 inside a construct's own body (so that
    /// [`crate::Stack::l1_mut`] reaches the L1 whichever body holds it).
    fn l1_any(&self) -> &dyn Any {
        self.as_any()
    }
    fn l1_any_mut(&mut self) -> &mut dyn Any {
        self.as_any_mut()
    }
}

impl<R: CfnResource + Clone + Any + Send + Sync + std::fmt::Debug> AnyResource for R {
    fn type_name(&self) -> &str {
        R::TYPE_NAME
    }
    fn prop_specs(&self) -> &'static [PropSpec] {
        R::PROPS
    }
    fn to_properties(&self) -> Expr {
        self.clone().into_properties()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// A resource of a type without generated bindings (custom resources, new types), or an L1 whose property
/// map was taken over with [`crate::ResourceEntry::properties_mut`].
#[derive(Clone, Debug)]
pub struct UntypedResource {
    pub type_name: String,
    pub properties: Expr,
}

impl AnyResource for UntypedResource {
    fn type_name(&self) -> &str {
        &self.type_name
    }
    fn prop_specs(&self) -> &'static [PropSpec] {
        &[]
    }
    fn to_properties(&self) -> Expr {
        self.properties.clone()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// Schema constraints of one property, checked against literal values at synthesis.
#[derive(Debug)]
pub struct PropSpec {
    pub name: &'static str,
    /// Allowed values of a string enum (empty: any).
    pub allowed: &'static [&'static str],
    pub min_len: Option<u64>,
    pub max_len: Option<u64>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    /// Constraints of a nested property type (applies to each item of a list).
    pub nested: Option<&'static [PropSpec]>,
}

impl PropSpec {
    /// A property without constraints (used by generated code as the base of struct-update syntax).
    pub const NONE: PropSpec = PropSpec {
        name: "",
        allowed: &[],
        min_len: None,
        max_len: None,
        minimum: None,
        maximum: None,
        nested: None,
    };
}

/// Check the literal parts of a property map against `specs`; messages are prefixed with the property path.
pub fn check_props(props: &Expr, specs: &[PropSpec], prefix: &str, out: &mut Vec<String>) {
    let root = PropPath::Root(prefix);
    check_map(props, specs, &root, out);
}

/// Where a value is in the property map, spelled out only for a message (`Tags[0].Key`).
enum PropPath<'a> {
    Root(&'a str),
    Member(&'a PropPath<'a>, &'a str),
    Item(&'a PropPath<'a>, usize),
}

impl std::fmt::Display for PropPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PropPath::Root(prefix) => f.write_str(prefix),
            PropPath::Member(PropPath::Root(""), name) => f.write_str(name),
            PropPath::Member(parent, name) => write!(f, "{parent}.{name}"),
            PropPath::Item(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

fn check_map(props: &Expr, specs: &[PropSpec], at: &PropPath<'_>, out: &mut Vec<String>) {
    let Expr::Map(map) = props else { return };
    for spec in specs {
        if let Some(v) = map.get(spec.name) {
            check_value(v, spec, &PropPath::Member(at, spec.name), out);
        }
    }
}

fn check_value(v: &Expr, spec: &PropSpec, path: &PropPath<'_>, out: &mut Vec<String>) {
    match v {
        Expr::List(items) => {
            for (i, item) in items.iter().enumerate() {
                check_value(item, spec, &PropPath::Item(path, i), out);
            }
        }
        Expr::Map(_) => {
            if let Some(nested) = spec.nested {
                check_map(v, nested, path, out);
            }
        }
        Expr::Str(s) => {
            if !spec.allowed.is_empty() && !spec.allowed.contains(&s.as_str()) {
                out.push(format!(
                    "property {path}: {s:?} is not one of the allowed values: {}",
                    spec.allowed.join(", ")
                ));
            }
            if spec.min_len.is_some() || spec.max_len.is_some() {
                let len = s.chars().count() as u64;
                if let Some(min) = spec.min_len {
                    if len < min {
                        out.push(format!("property {path}: {s:?} is shorter than {min} characters"));
                    }
                }
                if let Some(max) = spec.max_len {
                    if len > max {
                        out.push(format!("property {path}: {len} characters, at most {max} allowed"));
                    }
                }
            }
            if spec.minimum.is_some() || spec.maximum.is_some() {
                if let Ok(n) = s.parse::<f64>() {
                    check_range(n, spec, path, out);
                }
            }
        }
        Expr::Int(_) | Expr::Float(_) => {
            if let Some(n) = v.as_f64() {
                check_range(n, spec, path, out);
            }
        }
        _ => {}
    }
}

fn check_range(n: f64, spec: &PropSpec, path: &PropPath<'_>, out: &mut Vec<String>) {
    if let Some(min) = spec.minimum {
        if n < min {
            out.push(format!("property {path}: {n} is below the minimum {min}"));
        }
    }
    if let Some(max) = spec.maximum {
        if n > max {
            out.push(format!("property {path}: {n} is above the maximum {max}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_nested_property_and_item() {
        const TAG: &[PropSpec] = &[PropSpec {
            name: "Key",
            max_len: Some(3),
            ..PropSpec::NONE
        }];
        const SPECS: &[PropSpec] = &[
            PropSpec {
                name: "Tags",
                nested: Some(TAG),
                ..PropSpec::NONE
            },
            PropSpec {
                name: "Port",
                maximum: Some(10.0),
                ..PropSpec::NONE
            },
        ];
        let tag = |k: &str| Expr::Map([("Key".to_owned(), Expr::Str(k.to_owned()))].into_iter().collect());
        let props = Expr::Map(
            [
                ("Tags".to_owned(), Expr::List(vec![tag("ok"), tag("long")])),
                ("Port".to_owned(), Expr::Int(11)),
            ]
            .into_iter()
            .collect(),
        );
        let mut out = Vec::new();
        check_props(&props, SPECS, "", &mut out);
        assert_eq!(
            out,
            [
                "property Tags[1].Key: 4 characters, at most 3 allowed",
                "property Port: 11 is above the maximum 10",
            ]
        );
        out.clear();
        check_props(&props, SPECS, "Outer", &mut out);
        assert_eq!(out[0], "property Outer.Tags[1].Key: 4 characters, at most 3 allowed");
    }
}
