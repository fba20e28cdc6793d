//! The check of a referenced path against the namespace of its kind of template: a walk over
//! [`crate::proton::format::namespace`]'s table, with the bundle's parsed schema for the inputs.

use std::collections::BTreeSet;

use super::bundle::InfraKind;
use super::schema::{InputType, PropType, Schema};
use crate::proton::format::namespace::{field, global, Shape};
use crate::proton::format::scan::Segment;

/// Which `(type role, property)` pairs a template references; `(role, None)` means the whole inputs object.
pub type InputUse = BTreeSet<(&'static str, Option<String>)>;

/// The schema input type of `kind`'s inputs, when the schema declares one.
fn input_type(schema: &Schema, kind: InfraKind) -> Option<&InputType> {
    let name = match kind {
        InfraKind::Environment => &schema.environment_input_type,
        InfraKind::ServiceInstance => &schema.service_input_type,
        InfraKind::Pipeline => &schema.pipeline_input_type,
    };
    name.as_ref().and_then(|n| schema.types.get(n))
}

/// Check a path (first segment = a global name) against the kind's namespace. Records input uses in
/// `used`; returns a message when the path cannot exist in that kind of template.
pub fn check_path(
    kind: InfraKind,
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
    kind: InfraKind,
    schema: &Schema,
    path: &[Segment],
    text: &str,
    used: &mut InputUse,
) -> Result<(), (String, bool)> {
    let Some(Segment::Attr(root)) = path.first() else {
        return Ok(());
    };
    let Some(mut shape) = global(kind, root) else {
        return Err((
            format!("`{text}`: `{root}` is not available in {}", kind.describe()),
            true,
        ));
    };
    let mut walked = root.clone();
    for (i, seg) in path.iter().enumerate().skip(1) {
        match (shape, seg) {
            (Shape::Object(fields), Segment::Attr(a)) => match field(fields, a) {
                Some(s) => shape = s,
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
            (Shape::Inputs(k), Segment::Attr(a)) => {
                let role = k.input_type_key();
                let Some(ty) = input_type(schema, k) else { return Ok(()) };
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
            (Shape::List(item), Segment::Each | Segment::Index(_)) => shape = *item,
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
    if let Shape::Inputs(k) = shape {
        used.insert((k.input_type_key(), None));
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
fn elsewhere(kind: InfraKind, schema: &Schema, path: &[Segment]) -> String {
    let others: Vec<&str> = InfraKind::ALL
        .into_iter()
        .filter(|k| *k != kind)
        .filter(|k| walk(*k, schema, path, "", &mut InputUse::new()).is_ok())
        .map(InfraKind::describe)
        .collect();
    let root_is_item = matches!(path.first(), Some(Segment::Attr(r)) if r == "service_instance" || r == "environment");
    if kind == InfraKind::Pipeline && root_is_item {
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
        assert!(ok(InfraKind::ServiceInstance, "service_instance.inputs.port", &mut used).is_ok());
        assert!(ok(InfraKind::Pipeline, "service_instances.*.inputs.port", &mut used).is_ok());
        assert!(ok(InfraKind::Pipeline, "pipeline.inputs.df", &mut used).is_ok());
        let e = ok(InfraKind::ServiceInstance, "pipeline.inputs.df", &mut used).unwrap_err();
        assert_eq!(e, "`pipeline.inputs.df`: `pipeline` is not available in service instance templates; it is available in pipeline templates only");
        let e = ok(InfraKind::ServiceInstance, "service_instance.inputs.prt", &mut used).unwrap_err();
        assert_eq!(
            e,
            "`service_instance.inputs.prt`: `prt` is not an input of S (service_input_type); it declares port"
        );
        assert!(used.contains(&("service_input_type", Some("port".to_owned()))));
        let e = ok(InfraKind::Pipeline, "pipeline.inputs.df.x", &mut used).unwrap_err();
        assert_eq!(
            e,
            "`pipeline.inputs.df.x`: `pipeline.inputs.df` is a string; it has no `x`"
        );
        let e = ok(InfraKind::ServiceInstance, "service.name.first", &mut used).unwrap_err();
        assert_eq!(e, "`service.name.first`: `service.name` is a string; it has no `first`");
    }
}
