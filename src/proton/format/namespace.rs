//! Which Jinja variables each kind of infrastructure file may use: the matrix of section 4.1 of the format
//! notes, as one table ([`globals`]) that the bundle writer's check and the engine's `check`/`render` both
//! walk.
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

use super::kind::InfraKind;

/// The name a pipeline's loop over its instances binds: `{% for service_instance in service_instances %}`.
pub const INSTANCE_VAR: &str = "service_instance";
/// The list a pipeline loops over.
pub const INSTANCES_LIST: &str = "service_instances";

/// Whose outputs a map of outputs holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputsOf {
    Environment,
    Instance,
    Component,
}

/// The shape of a value in a template's context.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    /// A string or number: nothing below it.
    Leaf,
    /// Fixed keys.
    Object(&'static [(&'static str, Shape)]),
    /// The inputs of the schema input type of this kind; keys must be declared properties.
    Inputs(InfraKind),
    /// Any keys: outputs.
    Outputs(OutputsOf),
    List(&'static Shape),
}

const ENV_OF_INSTANCE: Shape = Shape::Object(&[
    ("name", Shape::Leaf),
    ("account_id", Shape::Leaf),
    ("outputs", Shape::Outputs(OutputsOf::Environment)),
]);

const INSTANCE_ITEM: Shape = Shape::Object(&[
    ("name", Shape::Leaf),
    ("inputs", Shape::Inputs(InfraKind::ServiceInstance)),
    ("outputs", Shape::Outputs(OutputsOf::Instance)),
    ("environment", ENV_OF_INSTANCE),
]);

const ENVIRONMENT: &[(&str, Shape)] = &[(
    "environment",
    Shape::Object(&[("name", Shape::Leaf), ("inputs", Shape::Inputs(InfraKind::Environment))]),
)];

const SERVICE_INSTANCE: &[(&str, Shape)] = &[
    ("environment", ENV_OF_INSTANCE),
    ("service", Shape::Object(&[("name", Shape::Leaf)])),
    (
        "service_instance",
        Shape::Object(&[
            ("name", Shape::Leaf),
            ("inputs", Shape::Inputs(InfraKind::ServiceInstance)),
            (
                "components",
                Shape::Object(&[(
                    "default",
                    Shape::Object(&[("name", Shape::Leaf), ("outputs", Shape::Outputs(OutputsOf::Component))]),
                )]),
            ),
        ]),
    ),
];

const PIPELINE: &[(&str, Shape)] = &[
    (
        "service",
        Shape::Object(&[
            ("name", Shape::Leaf),
            ("branch_name", Shape::Leaf),
            ("repository_id", Shape::Leaf),
            ("repository_connection_arn", Shape::Leaf),
        ]),
    ),
    (
        "pipeline",
        Shape::Object(&[("inputs", Shape::Inputs(InfraKind::Pipeline))]),
    ),
    (INSTANCES_LIST, Shape::List(&INSTANCE_ITEM)),
];

/// The global names of a kind of infrastructure file and their shapes.
pub fn globals(kind: InfraKind) -> &'static [(&'static str, Shape)] {
    match kind {
        InfraKind::Environment => ENVIRONMENT,
        InfraKind::ServiceInstance => SERVICE_INSTANCE,
        InfraKind::Pipeline => PIPELINE,
    }
}

/// The shape of the global `name` in `kind`, if it has one.
pub fn global(kind: InfraKind, name: &str) -> Option<Shape> {
    globals(kind).iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// The field `name` of an object shape's `fields`.
pub fn field(fields: &[(&'static str, Shape)], name: &str) -> Option<Shape> {
    fields.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_items_have_inputs_and_environments() {
        let Some(Shape::List(Shape::Object(item))) = global(InfraKind::Pipeline, INSTANCES_LIST) else {
            panic!("service_instances is a list of objects");
        };
        assert!(matches!(
            field(item, "inputs"),
            Some(Shape::Inputs(InfraKind::ServiceInstance))
        ));
        assert!(global(InfraKind::Environment, "service").is_none());
        assert!(matches!(
            global(InfraKind::ServiceInstance, "environment"),
            Some(Shape::Object(f)) if field(f, "inputs").is_none()
        ));
    }
}
