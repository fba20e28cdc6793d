//! `schema/schema.yaml`: the OpenAPI input types of a template, written from its typed input declarations.

use serde_json::{json, Map, Value as J};

use super::input::InputSpec;
use super::writer::to_plain_yaml;

/// One input type of a schema: its key (`environment_input_type`, …), name, description and inputs.
pub(super) struct SchemaType<'a> {
    pub(super) key: &'a str,
    pub(super) name: &'a str,
    pub(super) description: Option<&'a str>,
    pub(super) inputs: &'a [InputSpec],
}

pub(super) fn schema_yaml(main: SchemaType<'_>, extra: Option<SchemaType<'_>>) -> String {
    let mut schema = Map::new();
    schema.insert("format".into(), json!({ "openapi": "3.0.0" }));
    let mut types = Map::new();
    for t in std::iter::once(&main).chain(extra.as_ref()) {
        schema.insert(t.key.into(), json!(t.name));
        types.insert(t.name.into(), input_type(t.description, t.inputs));
    }
    schema.insert("types".into(), J::Object(types));
    to_plain_yaml(&json!({ "schema": schema }))
}

fn input_type(description: Option<&str>, inputs: &[InputSpec]) -> J {
    let mut t = Map::new();
    t.insert("type".into(), json!("object"));
    if let Some(d) = description {
        t.insert("description".into(), json!(d));
    }
    let props: Map<String, J> = inputs.iter().map(|i| (i.name.clone(), i.schema_property())).collect();
    t.insert("properties".into(), J::Object(props));
    let required: Vec<&str> = inputs.iter().filter(|i| i.required).map(|i| i.name.as_str()).collect();
    if !required.is_empty() {
        t.insert("required".into(), json!(required));
    }
    J::Object(t)
}
