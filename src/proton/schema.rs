//! `schema/schema.yaml`: the OpenAPI input types of a template, written from its typed input declarations.

use serde_json::{json, Map, Value as J};

use super::input::{proton_number, InputSpec, InputType};
use super::writer::to_plain_yaml;
use crate::engine::{Pattern, PropType, Property, Schema};

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

/// The schema as `check` and `render` see it, built from the typed declarations instead of parsing
/// `schema.yaml` back (the synthesizer's self-check). Lines are 0: there is no file.
pub(super) fn checker_schema(types: &[&SchemaType<'_>]) -> Schema {
    let mut schema = Schema::default();
    for t in types {
        let name = Some(t.name.to_owned());
        match t.key {
            "environment_input_type" => schema.environment_input_type = name,
            "service_input_type" => schema.service_input_type = name,
            _ => schema.pipeline_input_type = name,
        }
        let ty = crate::engine::InputType {
            name: t.name.to_owned(),
            line: 0,
            properties: t.inputs.iter().map(|i| (i.name.clone(), checker_property(i))).collect(),
            required: t.inputs.iter().filter(|i| i.required).map(|i| i.name.clone()).collect(),
        };
        schema.types.insert(t.name.to_owned(), ty);
    }
    schema
}

fn checker_property(i: &InputSpec) -> Property {
    let scalar = |ty| Property {
        name: i.name.clone(),
        line: 0,
        ty,
        default: None,
        enum_values: None,
        pattern: None,
        min_length: None,
        max_length: None,
        minimum: None,
        maximum: None,
        exclusive_minimum: false,
        exclusive_maximum: false,
        items: None,
        min_items: None,
        max_items: None,
    };
    let ty = match i.ty {
        InputType::String => PropType::String,
        InputType::Number => PropType::Number,
        InputType::Boolean => PropType::Boolean,
        InputType::StringList => PropType::Array,
    };
    Property {
        default: i.default.clone(),
        enum_values: (!i.enum_values.is_empty()).then(|| i.enum_values.iter().map(|v| json!(v)).collect()),
        pattern: i.pattern.as_deref().and_then(|p| Pattern::new(p).ok()),
        min_length: i.min_length,
        max_length: i.max_length,
        minimum: i.minimum.and_then(|n| proton_number(n).as_number().cloned()),
        maximum: i.maximum.and_then(|n| proton_number(n).as_number().cloned()),
        items: (i.ty == InputType::StringList).then(|| Box::new(scalar(PropType::String))),
        ..scalar(ty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::parse_schema;
    use crate::proton::InputDef;

    /// What the checker reads of a schema, comparable.
    fn summary(s: &Schema) -> Vec<String> {
        let mut out = vec![format!(
            "{:?} {:?} {:?}",
            s.environment_input_type, s.service_input_type, s.pipeline_input_type
        )];
        for (name, t) in &s.types {
            out.push(format!("type {name} {} required {:?}", t.name, t.required));
            for (n, p) in &t.properties {
                out.push(format!(
                    "  {n}: {:?} default {:?} enum {:?} pattern {:?} len {:?}..{:?} range {:?}..{:?} items {:?}",
                    p.ty,
                    p.default,
                    p.enum_values,
                    p.pattern.as_ref().map(|p| &p.source),
                    p.min_length,
                    p.max_length,
                    p.minimum,
                    p.maximum,
                    p.items.as_ref().map(|i| i.ty)
                ));
            }
        }
        out
    }

    #[test]
    fn the_typed_schema_is_what_check_parses_from_the_written_file() {
        let service = [
            InputDef::string("cidr")
                .default("10.0.0.0/16")
                .pattern("^[0-9./]+$")
                .min_length(9)
                .spec,
            InputDef::string("size").enum_values(["s", "m"]).required().spec,
            InputDef::number("port")
                .default(80.0)
                .minimum(1.0)
                .maximum(65535.0)
                .spec,
            InputDef::boolean("public").default(false).spec,
            InputDef::string_list("subnets").spec,
        ];
        let pipeline = [InputDef::string("dockerfile")
            .default("Dockerfile")
            .max_length(200)
            .spec];
        let s = SchemaType {
            key: "service_input_type",
            name: "ServiceInput",
            description: Some("d"),
            inputs: &service,
        };
        let p = SchemaType {
            key: "pipeline_input_type",
            name: "PipelineInput",
            description: None,
            inputs: &pipeline,
        };
        let typed = checker_schema(&[&s, &p]);
        let (parsed, findings) = parse_schema(&schema_yaml(s, Some(p)), "schema.yaml");
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(summary(&typed), summary(&parsed));
    }
}
