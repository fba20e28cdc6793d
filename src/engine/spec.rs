//! Spec files (`proton: EnvironmentSpec` / `proton: ServiceSpec`): parse them and validate every input
//! against the bundle's schema, reporting all problems at once with their path in the spec. Plain
//! scalars resolve as YAML 1.1 readers (PyYAML) resolve them: `y` is a string, `yes` a boolean, `0777`
//! the number 511 (see [`super::yaml11`]).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::bundle::{Analysis, BundleKind};
use super::finding::Finding;
use super::node::Node;
use super::schema::InputType;
use super::yaml11::{parse_yaml11, Tags};

pub use crate::proton::format::{is_valid_name, MAX_INSTANCES, MAX_NAME_LEN};

/// A validated spec with schema defaults merged in.
#[derive(Clone, Debug, PartialEq)]
pub enum Spec {
    Environment {
        inputs: Map<String, Value>,
    },
    Service {
        pipeline: Option<Map<String, Value>>,
        instances: Vec<InstanceSpec>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct InstanceSpec {
    pub name: String,
    pub environment: String,
    pub inputs: Map<String, Value>,
}

/// Parse and validate a spec for a bundle. `file` names the spec in findings.
pub fn parse_spec(text: &str, file: &str, analysis: &Analysis) -> Result<Spec, Vec<Finding>> {
    let mut v = SpecValidator { findings: Vec::new() };
    let spec = match parse_yaml11(text, Tags::JsonTypes) {
        Ok(root) => v.root(&root, analysis),
        Err(e) => {
            v.findings
                .push(Finding::error(format!("invalid YAML: {}", e.message)).at_line(e.line));
            None
        }
    };
    let mut findings: Vec<Finding> = v.findings.into_iter().map(|f| f.in_file(file)).collect();
    findings.sort_by_key(|f| f.line);
    match spec {
        Some(spec) if !findings.iter().any(Finding::is_error) => Ok(spec),
        _ => {
            findings.retain(Finding::is_error);
            Err(findings)
        }
    }
}

struct SpecValidator {
    findings: Vec<Finding>,
}

impl SpecValidator {
    fn error(&mut self, line: usize, message: String) {
        self.findings.push(Finding::error(message).at_line(line));
    }

    fn root(&mut self, root: &Node, analysis: &Analysis) -> Option<Spec> {
        let expected = match analysis.kind {
            BundleKind::Service { .. } => "ServiceSpec",
            _ => "EnvironmentSpec",
        };
        if root.as_map().is_none() {
            self.error(
                root.line,
                format!(
                    "expected a mapping starting with `proton: {expected}`, got {}",
                    root.kind_name()
                ),
            );
            return None;
        }
        match root.get("proton") {
            None => {
                self.error(
                    root.line,
                    format!(
                        "proton: missing; expected `proton: {expected}` for {}",
                        analysis.kind.describe_with_article()
                    ),
                );
                return None;
            }
            Some(p) if p.as_str() == Some(expected) => {}
            Some(p) if matches!(p.as_str(), Some("EnvironmentSpec" | "ServiceSpec")) => {
                self.error(
                    p.line,
                    format!(
                        "proton: {} does not match the bundle, {}; expected {expected}",
                        p.key_text(),
                        analysis.kind.describe_with_article()
                    ),
                );
                return None;
            }
            Some(p) => {
                self.error(
                    p.line,
                    format!("proton: unknown kind {}; expected {expected}", p.to_json()),
                );
                return None;
            }
        }
        match analysis.kind {
            BundleKind::Service { .. } => self.service(root, analysis),
            _ => self.environment(root, analysis),
        }
    }

    fn unknown_keys(&mut self, node: &Node, path: &str, allowed: &[&str], what: &str) {
        for (k, _) in node.as_map().unwrap_or_default() {
            let key = k.key_text();
            if !allowed.contains(&key.as_str()) {
                let at = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                self.error(
                    k.line,
                    format!("{at}: unknown key in {what} (expected {})", allowed.join(", ")),
                );
            }
        }
    }

    fn input_type<'a>(analysis: &'a Analysis, name: &Option<String>) -> Option<&'a InputType> {
        name.as_ref().and_then(|n| analysis.schema.types.get(n))
    }

    fn inputs(&mut self, ty: Option<&InputType>, values: Option<&Node>, path: &str) -> Map<String, Value> {
        match ty {
            Some(ty) => {
                ty.validate(values, path, &mut self.findings);
                ty.merged(values)
            }
            None => Map::new(),
        }
    }

    fn environment(&mut self, root: &Node, analysis: &Analysis) -> Option<Spec> {
        self.unknown_keys(root, "", &["proton", "spec"], "an EnvironmentSpec");
        let spec = root.get("spec");
        if spec.is_none() {
            self.error(
                root.line,
                "spec: missing; an EnvironmentSpec gives the environment's inputs under `spec:`".to_owned(),
            );
        }
        let ty = Self::input_type(analysis, &analysis.schema.environment_input_type);
        let inputs = self.inputs(ty, spec, "spec");
        Some(Spec::Environment { inputs })
    }

    fn service(&mut self, root: &Node, analysis: &Analysis) -> Option<Spec> {
        self.unknown_keys(root, "", &["proton", "pipeline", "instances"], "a ServiceSpec");
        let pipeline = self.pipeline(root, analysis);
        let instances = match root.get("instances") {
            None => {
                self.error(
                    root.line,
                    "instances: missing; a ServiceSpec lists its service instances".to_owned(),
                );
                Vec::new()
            }
            Some(list) => self.instances(list, analysis),
        };
        Some(Spec::Service { pipeline, instances })
    }

    fn pipeline(&mut self, root: &Node, analysis: &Analysis) -> Option<Map<String, Value>> {
        let declared = analysis.schema.pipeline_input_type.as_ref();
        match (root.entry("pipeline"), declared) {
            (Some((key, _)), None) => {
                self.error(
                    key.line,
                    "pipeline: the template has no pipeline (no pipeline_input_type); remove this key".to_owned(),
                );
                None
            }
            (None, Some(t)) => {
                self.error(root.line, format!("pipeline: missing; the template has a pipeline (pipeline_input_type {t}), so the spec needs `pipeline:` with its inputs"));
                None
            }
            (None, None) => None,
            (Some((_, p)), Some(_)) => {
                let ty = Self::input_type(analysis, &analysis.schema.pipeline_input_type);
                Some(self.inputs(ty, Some(p), "pipeline"))
            }
        }
    }

    fn instances(&mut self, list: &Node, analysis: &Analysis) -> Vec<InstanceSpec> {
        let Some(items) = list.as_seq() else {
            self.error(
                list.line,
                format!("instances: expected a list, got {}", list.kind_name()),
            );
            return Vec::new();
        };
        if items.len() > MAX_INSTANCES {
            self.error(
                list.line,
                format!(
                    "instances: {} instances; Proton allows at most {MAX_INSTANCES} per service",
                    items.len()
                ),
            );
        }
        let ty = Self::input_type(analysis, &analysis.schema.service_input_type);
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("instances[{i}]");
            if item.as_map().is_none() {
                self.error(
                    item.line,
                    format!(
                        "{path}: expected a mapping with name, environment and spec, got {}",
                        item.kind_name()
                    ),
                );
                continue;
            }
            self.unknown_keys(item, &path, &["name", "environment", "spec"], "a service instance");
            let name = self.name(item, &path, "name");
            let environment = self.name(item, &path, "environment");
            if let Some(n) = &name {
                match seen.get(n) {
                    Some(first) => self.error(
                        item.get("name").map_or(item.line, |n| n.line),
                        format!("{path}.name: \"{n}\" is used twice (also by instances[{first}]); instance names must be unique"),
                    ),
                    None => {
                        seen.insert(n.clone(), i);
                    }
                }
            }
            let spec = item.get("spec");
            if spec.is_none() {
                self.error(
                    item.line,
                    format!("{path}.spec: missing; give the instance's inputs under `spec:` (`spec: {{}}` for none)"),
                );
            }
            let inputs = self.inputs(ty, spec, &format!("{path}.spec"));
            if let (Some(name), Some(environment)) = (name, environment) {
                out.push(InstanceSpec {
                    name,
                    environment,
                    inputs,
                });
            }
        }
        out
    }

    fn name(&mut self, item: &Node, path: &str, key: &str) -> Option<String> {
        let Some(node) = item.get(key) else {
            self.error(item.line, format!("{path}.{key}: missing"));
            return None;
        };
        match node.as_str() {
            Some(s) if is_valid_name(s) => Some(s.to_owned()),
            Some(s) => {
                self.error(node.line, invalid_name(&format!("{path}.{key}"), s));
                None
            }
            None => {
                self.error(
                    node.line,
                    format!("{path}.{key}: expected a string, got {}", node.kind_name()),
                );
                None
            }
        }
    }
}

/// The message for a Proton name (environment, service, instance) that breaks the name rule, given `where`
/// it came from (a spec path, a context-file key or a flag).
pub fn invalid_name(place: &str, name: &str) -> String {
    format!(
        "{place}: \"{}\" is not a valid name (1-{MAX_NAME_LEN} characters: letters, digits, `-` and `_`, \
         starting with a letter or digit)",
        name.escape_debug()
    )
}
