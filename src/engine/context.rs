//! What Proton knew from its own state and a spec lacks: names, the repository, environment account IDs
//! and outputs, instance and component outputs. It comes from command-line flags and/or a context file.
//!
//! Context file (YAML or JSON; every key optional; unknown keys are errors):
//!
//! ```yaml
//! environment:
//!   name: Beta                   # environment.name in an environment template
//! service:                       # service templates
//!   name: front-end
//!   repository_connection_arn: arn:aws:codestar-connections:us-east-1:111122223333:connection/0123
//!   repository_id: my-org/front-end
//!   branch_name: main
//! account_id: "111122223333"     # default account of every environment below
//! environments:                  # by environment name, as instances name them in the spec
//!   Beta:
//!     account_id: "111122223333"
//!     outputs:                   # inline key/value map, or:
//!       ClusterName: my-cluster
//!     # outputs_file: beta.json  # relative to this file: `aws cloudformation describe-stacks` JSON or a map
//! instances:                     # by service instance name
//!   frontend-dev:
//!     outputs: {ServiceEndpoint: "http://..."}   # or outputs_file; for the pipeline's service_instances
//!     component:                 # a directly defined component attached to the instance
//!       name: my-component
//!       outputs: {TableName: t}  # or outputs_file
//! ```
//!
//! An outputs file is either what `aws cloudformation describe-stacks --stack-name X` prints
//! (`{"Stacks": [{"Outputs": [{"OutputKey": .., "OutputValue": ..}]}]}`, one stack), a bare `Outputs` list
//! (`--query 'Stacks[0].Outputs'`), or a flat key/value map in YAML or JSON. Scalar values become strings,
//! spelt as written: `account_id: 012345678901` is `012345678901`, `Version: 1.10` is `1.10`.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::finding::Finding;
use super::limits;
use super::node::{Node, NodeValue};
use super::read::read_text_bounded;
use super::spec::{invalid_name, is_valid_name};
use super::yaml11::parse_yaml_as_text;

/// Output values by name, and where they came from (for messages).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outputs {
    pub values: IndexMap<String, String>,
    pub source: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceInfo {
    pub name: Option<String>,
    pub repository_connection_arn: Option<String>,
    pub repository_id: Option<String>,
    pub branch_name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvironmentInfo {
    pub account_id: Option<String>,
    pub outputs: Option<Outputs>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComponentInfo {
    pub name: Option<String>,
    pub outputs: Outputs,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstanceInfo {
    pub outputs: Option<Outputs>,
    pub component: Option<ComponentInfo>,
}

/// Which templates of a service bundle to render. Proton deployed the instances first and rendered the
/// pipeline afterwards with the instances' outputs; `Instances` then `Pipeline` reproduces that order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Only {
    /// Every template (default).
    #[default]
    All,
    /// The service instance templates only.
    Instances,
    /// The pipeline template only.
    Pipeline,
}

/// Everything a render needs besides the bundle and the spec.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RenderContext {
    /// Which templates of a service bundle to render (environment bundles ignore it).
    pub only: Only,
    /// `environment.name` when rendering an environment template.
    pub environment_name: Option<String>,
    pub service: ServiceInfo,
    /// Account of every environment that has none of its own.
    pub default_account_id: Option<String>,
    pub environments: IndexMap<String, EnvironmentInfo>,
    pub instances: IndexMap<String, InstanceInfo>,
    /// Render values that change a template's structure, with a warning (`--allow-unsafe-values`).
    pub allow_unsafe_values: bool,
}

impl RenderContext {
    /// The account id of an environment: its own, else the default.
    pub fn account_id(&self, environment: &str) -> Option<&str> {
        self.environments
            .get(environment)
            .and_then(|e| e.account_id.as_deref())
            .or(self.default_account_id.as_deref())
    }

    pub fn environment_outputs(&self, environment: &str) -> Option<&Outputs> {
        self.environments.get(environment).and_then(|e| e.outputs.as_ref())
    }

    pub fn instance_outputs(&self, instance: &str) -> Option<&Outputs> {
        self.instances.get(instance).and_then(|i| i.outputs.as_ref())
    }

    pub fn component(&self, instance: &str) -> Option<&ComponentInfo> {
        self.instances.get(instance).and_then(|i| i.component.as_ref())
    }
}

/// Read outputs from a file (see the module doc for the accepted forms).
pub fn load_outputs_file(path: &Path) -> Result<Outputs, Finding> {
    let shown = path.display().to_string();
    let text = read_text_bounded(path, limits::MAX_OUTPUTS_BYTES)
        .map_err(|e| Finding::error(e.message("the outputs file")).in_file(&shown))?;
    let values = parse_outputs(&text).map_err(|(line, msg)| Finding::error(msg).in_file(&shown).at_line(line))?;
    Ok(Outputs { values, source: shown })
}

/// Parse outputs text: describe-stacks JSON, a bare `Outputs` list, or a flat map.
pub fn parse_outputs(text: &str) -> Result<IndexMap<String, String>, (Option<usize>, String)> {
    let root = parse_yaml_as_text(text).map_err(|e| (e.line, format!("invalid YAML/JSON: {}", e.message)))?;
    outputs_from_node(&root)
}

fn outputs_from_node(root: &Node) -> Result<IndexMap<String, String>, (Option<usize>, String)> {
    if let Some(stacks) = root.get("Stacks") {
        let items = stacks.as_seq().unwrap_or_default();
        return match items {
            [stack] => Ok(match stack.get("Outputs") {
                Some(list) => output_list(list)?,
                None => IndexMap::new(),
            }),
            _ => Err((
                Some(stacks.line),
                format!("`Stacks` holds {} stacks; give the outputs of exactly one", items.len()),
            )),
        };
    }
    if let (Some(list), 1) = (root.get("Outputs"), root.as_map().map_or(0, <[_]>::len)) {
        return output_list(list);
    }
    match &root.value {
        NodeValue::Seq(_) => output_list(root),
        NodeValue::Map(entries) => {
            let mut out = IndexMap::new();
            for (k, v) in entries {
                out.insert(k.key_text(), scalar_text(v)?);
            }
            Ok(out)
        }
        NodeValue::Null => Ok(IndexMap::new()),
        _ => Err((
            Some(root.line),
            format!(
                "expected outputs (describe-stacks JSON, an Outputs list or a key/value map), got {}",
                root.kind_name()
            ),
        )),
    }
}

fn output_list(list: &Node) -> Result<IndexMap<String, String>, (Option<usize>, String)> {
    let Some(items) = list.as_seq() else {
        return Err((
            Some(list.line),
            format!("`Outputs`: expected a list, got {}", list.kind_name()),
        ));
    };
    let mut out = IndexMap::new();
    for item in items {
        match (item.get("OutputKey").and_then(Node::as_str), item.get("OutputValue")) {
            (Some(k), Some(v)) => {
                out.insert(k.to_owned(), scalar_text(v)?);
            }
            _ => {
                return Err((
                    Some(item.line),
                    "each output needs `OutputKey` and `OutputValue`".to_owned(),
                ))
            }
        }
    }
    Ok(out)
}

fn scalar_text(v: &Node) -> Result<String, (Option<usize>, String)> {
    match &v.value {
        NodeValue::String(_) | NodeValue::Number(_) | NodeValue::Bool(_) => Ok(v.key_text()),
        _ => Err((
            Some(v.line),
            format!("an output value must be a string, got {}", v.kind_name()),
        )),
    }
}

/// Load a context file.
pub fn load_context_file(path: &Path) -> Result<RenderContext, Vec<Finding>> {
    let shown = path.display().to_string();
    let text = read_text_bounded(path, limits::MAX_CONTEXT_BYTES)
        .map_err(|e| vec![Finding::error(e.message("the context file")).in_file(&shown)])?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse_context(&text, &shown, &base)
}

/// Parse context text; `file` names it in findings, `base` resolves `outputs_file` paths.
pub fn parse_context(text: &str, file: &str, base: &Path) -> Result<RenderContext, Vec<Finding>> {
    let mut p = ContextParser {
        file,
        base,
        findings: Vec::new(),
    };
    let ctx = match parse_yaml_as_text(text) {
        Ok(root) => p.root(&root),
        Err(e) => {
            p.error(e.line.unwrap_or(0), format!("invalid YAML/JSON: {}", e.message));
            RenderContext::default()
        }
    };
    if p.findings.is_empty() {
        Ok(ctx)
    } else {
        Err(p.findings)
    }
}

struct ContextParser<'a> {
    file: &'a str,
    base: &'a Path,
    findings: Vec<Finding>,
}

impl ContextParser<'_> {
    fn error(&mut self, line: usize, msg: String) {
        self.findings.push(Finding::error(msg).in_file(self.file).at_line(line));
    }

    fn mapping<'n>(&mut self, node: &'n Node, path: &str, allowed: &[&str]) -> &'n [(Node, Node)] {
        match node.as_map() {
            Some(entries) => {
                for (k, _) in entries {
                    let key = k.key_text();
                    if !allowed.is_empty() && !allowed.contains(&key.as_str()) {
                        self.error(
                            k.line,
                            format!("{path}{key}: unknown key (expected {})", allowed.join(", ")),
                        );
                    }
                }
                entries
            }
            None if node.is_null() => &[],
            None => {
                self.error(
                    node.line,
                    format!(
                        "{}: expected a mapping, got {}",
                        path.trim_end_matches('.'),
                        node.kind_name()
                    ),
                );
                &[]
            }
        }
    }

    fn string(&mut self, node: Option<&Node>, path: &str) -> Option<String> {
        let node = node?;
        match &node.value {
            NodeValue::String(_) | NodeValue::Number(_) => Some(node.key_text()),
            _ => {
                self.error(
                    node.line,
                    format!("{path}: expected a string, got {}", node.kind_name()),
                );
                None
            }
        }
    }

    /// A Proton name (`environment.name`, `service.name`): a string that follows the name rule.
    fn name(&mut self, node: Option<&Node>, path: &str) -> Option<String> {
        let name = self.string(node, path)?;
        if is_valid_name(&name) {
            return Some(name);
        }
        self.error(node.map_or(0, |n| n.line), invalid_name(path, &name));
        None
    }

    fn root(&mut self, root: &Node) -> RenderContext {
        let mut ctx = RenderContext::default();
        self.mapping(
            root,
            "",
            &["environment", "service", "account_id", "environments", "instances"],
        );
        if let Some(env) = root.get("environment") {
            self.mapping(env, "environment.", &["name"]);
            ctx.environment_name = self.name(env.get("name"), "environment.name");
        }
        if let Some(svc) = root.get("service") {
            self.mapping(
                svc,
                "service.",
                &["name", "repository_connection_arn", "repository_id", "branch_name"],
            );
            ctx.service = ServiceInfo {
                name: self.name(svc.get("name"), "service.name"),
                repository_connection_arn: self.string(
                    svc.get("repository_connection_arn"),
                    "service.repository_connection_arn",
                ),
                repository_id: self.string(svc.get("repository_id"), "service.repository_id"),
                branch_name: self.string(svc.get("branch_name"), "service.branch_name"),
            };
        }
        ctx.default_account_id = self.string(root.get("account_id"), "account_id");
        if let Some(envs) = root.get("environments") {
            for (k, v) in self.mapping(envs, "environments.", &[]) {
                let name = k.key_text();
                let path = format!("environments.{name}");
                self.mapping(v, &format!("{path}."), &["account_id", "outputs", "outputs_file"]);
                let info = EnvironmentInfo {
                    account_id: self.string(v.get("account_id"), &format!("{path}.account_id")),
                    outputs: self.outputs(v, &path),
                };
                ctx.environments.insert(name, info);
            }
        }
        if let Some(instances) = root.get("instances") {
            for (k, v) in self.mapping(instances, "instances.", &[]) {
                let name = k.key_text();
                let path = format!("instances.{name}");
                self.mapping(v, &format!("{path}."), &["outputs", "outputs_file", "component"]);
                let component = v.get("component").map(|c| {
                    let cpath = format!("{path}.component");
                    self.mapping(c, &format!("{cpath}."), &["name", "outputs", "outputs_file"]);
                    ComponentInfo {
                        name: self.string(c.get("name"), &format!("{cpath}.name")),
                        outputs: self.outputs(c, &cpath).unwrap_or_default(),
                    }
                });
                let info = InstanceInfo {
                    outputs: self.outputs(v, &path),
                    component,
                };
                ctx.instances.insert(name, info);
            }
        }
        ctx
    }

    /// `outputs:` (inline) or `outputs_file:` (a path relative to the context file).
    fn outputs(&mut self, node: &Node, path: &str) -> Option<Outputs> {
        match (node.get("outputs"), node.get("outputs_file")) {
            (Some(inline), None) => match outputs_from_node(inline) {
                Ok(values) => Some(Outputs {
                    values,
                    source: format!("{}: {path}.outputs", self.file),
                }),
                Err((line, msg)) => {
                    self.error(line.unwrap_or(inline.line), format!("{path}.outputs: {msg}"));
                    None
                }
            },
            (None, Some(f)) => {
                let rel = self.string(Some(f), &format!("{path}.outputs_file"))?;
                let full: PathBuf = self.base.join(rel);
                match load_outputs_file(&full) {
                    Ok(o) => Some(o),
                    Err(e) => {
                        self.findings.push(e);
                        None
                    }
                }
            }
            (Some(o), Some(_)) => {
                self.error(
                    o.line,
                    format!("{path}: give either `outputs` or `outputs_file`, not both"),
                );
                None
            }
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_describe_stacks_and_maps() {
        let json = r#"{"Stacks": [{"StackName": "x", "Outputs": [{"OutputKey": "VpcId", "OutputValue": "vpc-1"}, {"OutputKey": "Port", "OutputValue": "80"}]}]}"#;
        let o = parse_outputs(json).unwrap();
        assert_eq!(o.get("VpcId").map(String::as_str), Some("vpc-1"));
        assert_eq!(o.keys().collect::<Vec<_>>(), ["VpcId", "Port"]);
        let o = parse_outputs("A: x\nB: 3\n").unwrap();
        assert_eq!(o.get("B").map(String::as_str), Some("3"));
        assert!(parse_outputs("A: [1]\n").is_err());
    }

    #[test]
    fn context_values_are_spelt_as_written() {
        let ctx = parse_context(
            "account_id: 012345678901\nservice: {name: y, branch_name: 1.10}\nenvironments:\n  Beta:\n    outputs: {Port: 080}\n",
            "ctx.yaml",
            Path::new("."),
        )
        .unwrap();
        assert_eq!(ctx.default_account_id.as_deref(), Some("012345678901"));
        assert_eq!(ctx.service.name.as_deref(), Some("y"));
        assert_eq!(ctx.service.branch_name.as_deref(), Some("1.10"));
        let outputs = ctx.environment_outputs("Beta").unwrap();
        assert_eq!(outputs.values.get("Port").map(String::as_str), Some("080"));
    }

    #[test]
    fn context_rejects_unknown_keys() {
        let e = parse_context("servise:\n  name: x\n", "ctx.yaml", Path::new(".")).unwrap_err();
        assert_eq!(e[0].to_string(), "error: ctx.yaml:1: servise: unknown key (expected environment, service, account_id, environments, instances)");
    }
}
