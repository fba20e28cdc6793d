//! Which Jinja variables each kind of template may use (the matrix of section 4.1 of the format notes),
//! and the check of a referenced path against it.
//!
//! | Variable | Environment | Service instance | Pipeline |
//! |---|---|---|---|
//! | `environment.name` | yes | yes | loop item |
//! | `environment.inputs.<input>` | yes | – | – |
//! | `environment.outputs.<output>`, `environment.account_id` | – | yes | loop item |
//! | `service.name` | – | yes | yes |
//! | `service.branch_name`, `.repository_id`, `.repository_connection_arn` | – | – | yes |
//! | `service_instance.name`, `.inputs.<input>` | – | yes | loop item |
//! | `service_instance.components.default.name`, `.outputs.<output>` | – | yes | – |
//! | `pipeline.inputs.<input>` | – | – | yes |
//! | `service_instances[*]` (`name`, `inputs`, `outputs`, `environment{name, account_id, outputs}`) | – | – | yes |

use std::collections::BTreeSet;

use super::bundle::TemplateKind;
use super::scan::Segment;
use super::schema::{InputType, PropType, Schema};

/// The shape of a value in a template's context.
#[derive(Clone, Debug)]
pub enum Shape {
    /// A string or number: nothing below it is checked.
    Leaf,
    /// Fixed keys.
    Object(Vec<(&'static str, Shape)>),
    /// The inputs of a schema type; keys must be declared properties.
    Inputs {
        role: &'static str,
        ty: Option<InputType>,
    },
    /// Any keys (outputs).
    AnyMap,
    List(Box<Shape>),
}

/// Which `(type role, property)` pairs a template references; `(role, None)` means the whole inputs object.
pub type InputUse = BTreeSet<(&'static str, Option<String>)>;

/// The global names of a template kind and their shapes.
pub fn globals(kind: TemplateKind, schema: &Schema) -> Vec<(&'static str, Shape)> {
    let ty = |name: &Option<String>| name.as_ref().and_then(|n| schema.types.get(n)).cloned();
    let env_inputs = Shape::Inputs {
        role: "environment_input_type",
        ty: ty(&schema.environment_input_type),
    };
    let svc_inputs = || Shape::Inputs {
        role: "service_input_type",
        ty: ty(&schema.service_input_type),
    };
    let pipe_inputs = Shape::Inputs {
        role: "pipeline_input_type",
        ty: ty(&schema.pipeline_input_type),
    };
    let env_of_instance = || {
        Shape::Object(vec![
            ("name", Shape::Leaf),
            ("account_id", Shape::Leaf),
            ("outputs", Shape::AnyMap),
        ])
    };
    match kind {
        TemplateKind::Environment => {
            vec![(
                "environment",
                Shape::Object(vec![("name", Shape::Leaf), ("inputs", env_inputs)]),
            )]
        }
        TemplateKind::ServiceInstance => vec![
            ("environment", env_of_instance()),
            ("service", Shape::Object(vec![("name", Shape::Leaf)])),
            (
                "service_instance",
                Shape::Object(vec![
                    ("name", Shape::Leaf),
                    ("inputs", svc_inputs()),
                    (
                        "components",
                        Shape::Object(vec![(
                            "default",
                            Shape::Object(vec![("name", Shape::Leaf), ("outputs", Shape::AnyMap)]),
                        )]),
                    ),
                ]),
            ),
        ],
        TemplateKind::Pipeline => vec![
            (
                "service",
                Shape::Object(vec![
                    ("name", Shape::Leaf),
                    ("branch_name", Shape::Leaf),
                    ("repository_id", Shape::Leaf),
                    ("repository_connection_arn", Shape::Leaf),
                ]),
            ),
            ("pipeline", Shape::Object(vec![("inputs", pipe_inputs)])),
            (
                "service_instances",
                Shape::List(Box::new(Shape::Object(vec![
                    ("name", Shape::Leaf),
                    ("inputs", svc_inputs()),
                    ("outputs", Shape::AnyMap),
                    ("environment", env_of_instance()),
                ]))),
            ),
        ],
    }
}

/// Check a path (first segment = a global name) against the kind's namespace. Records input uses in
/// `used`; returns a message when the path cannot exist in that kind of template.
pub fn check_path(
    kind: TemplateKind,
    schema: &Schema,
    path: &[Segment],
    text: &str,
    used: &mut InputUse,
) -> Result<(), String> {
    walk(kind, schema, path, text, used).map_err(|(msg, missing_namespace)| {
        if missing_namespace {
            format!("{msg}{}", elsewhere(kind, schema, path))
        } else {
            msg
        }
    })
}

/// The check itself; an error says whether a namespace (rather than an input) is missing.
fn walk(
    kind: TemplateKind,
    schema: &Schema,
    path: &[Segment],
    text: &str,
    used: &mut InputUse,
) -> Result<(), (String, bool)> {
    let Some(Segment::Attr(root)) = path.first() else {
        return Ok(());
    };
    let globals = globals(kind, schema);
    let Some((_, shape)) = globals.iter().find(|(n, _)| n == root) else {
        return Err((
            format!("`{text}`: `{root}` is not available in {}", kind.describe()),
            true,
        ));
    };
    let mut shape = shape;
    let mut walked = root.clone();
    for (i, seg) in path.iter().enumerate().skip(1) {
        match (shape, seg) {
            (Shape::Object(fields), Segment::Attr(a)) => match fields.iter().find(|(n, _)| n == a) {
                Some((_, s)) => shape = s,
                None => {
                    let known: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
                    return Err((
                        format!(
                            "`{text}`: `{walked}` has no `{a}` in {} (it has {})",
                            kind.describe(),
                            known.join(", ")
                        ),
                        true,
                    ));
                }
            },
            (Shape::Inputs { role, ty }, Segment::Attr(a)) => {
                let Some(ty) = ty else { return Ok(()) };
                if let Some(p) = ty.properties.get(a) {
                    used.insert((role, Some(a.clone())));
                    return scalar_attribute(&p.ty, &path[i + 1..], text, &format!("{walked}.{a}"));
                }
                let declared: Vec<&str> = ty.properties.keys().map(String::as_str).collect();
                let list = if declared.is_empty() {
                    "no inputs".to_owned()
                } else {
                    declared.join(", ")
                };
                return Err((
                    format!(
                        "`{text}`: `{a}` is not an input of {} ({role}); it declares {list}",
                        ty.name
                    ),
                    false,
                ));
            }
            (Shape::Leaf, Segment::Attr(_)) => {
                return scalar_attribute(&PropType::String, std::slice::from_ref(seg), text, &walked);
            }
            (Shape::List(item), Segment::Each | Segment::Index(_)) => shape = item,
            (Shape::List(_), Segment::Attr(a)) => {
                return Err((
                    format!("`{text}`: `{walked}` is a list; it has no `{a}` (loop over it or index it)"),
                    false,
                ));
            }
            _ => return Ok(()),
        }
        match seg {
            Segment::Attr(a) => {
                walked.push('.');
                walked.push_str(a);
            }
            _ => walked.push_str("[*]"),
        }
    }
    if let Shape::Inputs { role, .. } = shape {
        used.insert((role, None));
    }
    Ok(())
}

/// A path that continues below a scalar with an attribute (`name.foo`, where `name` is a string) is
/// undefined when rendered; a method call (`name.upper()`) is not part of the path and an index
/// (`name[0]`) is fine.
fn scalar_attribute(ty: &PropType, rest: &[Segment], text: &str, walked: &str) -> Result<(), (String, bool)> {
    let what = match ty {
        PropType::String => "a string",
        PropType::Number | PropType::Integer => "a number",
        PropType::Boolean => "a boolean",
        PropType::Array | PropType::Invalid => return Ok(()),
    };
    match rest.iter().find_map(|s| match s {
        Segment::Attr(a) => Some(a),
        _ => None,
    }) {
        Some(a) => Err((format!("`{text}`: `{walked}` is {what}; it has no `{a}`"), false)),
        None => Ok(()),
    }
}

/// `; it is available in pipeline templates` when another kind has the path.
fn elsewhere(kind: TemplateKind, schema: &Schema, path: &[Segment]) -> String {
    let others: Vec<&str> = TemplateKind::ALL
        .into_iter()
        .filter(|k| *k != kind)
        .filter(|k| walk(*k, schema, path, "", &mut InputUse::new()).is_ok())
        .map(TemplateKind::describe)
        .collect();
    let root_is_item = matches!(path.first(), Some(Segment::Attr(r)) if r == "service_instance" || r == "environment");
    if kind == TemplateKind::Pipeline && root_is_item {
        return "; a pipeline reaches instances and their environments only through its loop, \
                `{% for service_instance in service_instances %}`"
            .to_owned();
    }
    if others.is_empty() {
        String::new()
    } else {
        format!("; it is available in {} only", others.join(" and "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::schema::parse_schema;

    fn attr_path(s: &str) -> Vec<Segment> {
        s.split('.')
            .map(|p| {
                if p == "*" {
                    Segment::Each
                } else {
                    Segment::Attr(p.to_owned())
                }
            })
            .collect()
    }

    #[test]
    fn matrix() {
        let (schema, _) = parse_schema(
            "schema:\n  format: {openapi: \"3.0.0\"}\n  service_input_type: S\n  pipeline_input_type: P\n  types:\n    S: {type: object, properties: {port: {type: number}}}\n    P: {type: object, properties: {df: {type: string}}}\n",
            "s",
        );
        let mut used = InputUse::new();
        let ok = |k, p: &str, used: &mut InputUse| check_path(k, &schema, &attr_path(p), p, used);
        assert!(ok(TemplateKind::ServiceInstance, "service_instance.inputs.port", &mut used).is_ok());
        assert!(ok(TemplateKind::Pipeline, "service_instances.*.inputs.port", &mut used).is_ok());
        assert!(ok(TemplateKind::Pipeline, "pipeline.inputs.df", &mut used).is_ok());
        let e = ok(TemplateKind::ServiceInstance, "pipeline.inputs.df", &mut used).unwrap_err();
        assert_eq!(e, "`pipeline.inputs.df`: `pipeline` is not available in service instance templates; it is available in pipeline templates only");
        let e = ok(TemplateKind::ServiceInstance, "service_instance.inputs.prt", &mut used).unwrap_err();
        assert_eq!(
            e,
            "`service_instance.inputs.prt`: `prt` is not an input of S (service_input_type); it declares port"
        );
        assert!(used.contains(&("service_input_type", Some("port".to_owned()))));
        let e = ok(TemplateKind::Pipeline, "pipeline.inputs.df.x", &mut used).unwrap_err();
        assert_eq!(
            e,
            "`pipeline.inputs.df.x`: `pipeline.inputs.df` is a string; it has no `x`"
        );
        let e = ok(TemplateKind::ServiceInstance, "service.name.first", &mut used).unwrap_err();
        assert_eq!(e, "`service.name.first`: `service.name` is a string; it has no `first`");
    }
}
