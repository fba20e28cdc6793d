//! Directly defined AWS Proton components: a manifest and one CloudFormation IaC file, attached to one
//! service instance (`aws proton create-component --manifest … --template-file …`), and the service side
//! that reads a component's outputs.
//!
//! A component has no schema and no inputs of its own. Its IaC file may use `component.name`,
//! `environment.name`, `environment.account_id`, `environment.outputs.<n>`, `service.name`,
//! `service_instance.name` and `service_instance.inputs.<n>` (format notes, section 4.1). A service template
//! reads the outputs of the component attached to an instance as
//! `service_instance.components.default.outputs.<n>`, which is missing (a strict-undefined render error)
//! when no component is attached: [`ServiceTemplate::component_output`] therefore always writes a default.
//!
//! ```
//! use proton_synth::proton::{ComponentTemplate, EnvironmentTemplate, InputDef, ServiceTemplate, SpecSettings};
//! use proton_synth::constructs::Expr;
//!
//! let mut env = EnvironmentTemplate::new("env");
//! let cidr = env.input(InputDef::string("cidr").default("10.0.0.0/16"));
//! let vpc = env.root().add_untyped("Vpc", "AWS::EC2::VPC",
//!     Expr::Map([("CidrBlock".to_owned(), cidr.value().into_expr())].into_iter().collect()));
//! env.output("VpcId", vpc.r#ref());
//!
//! // The component: a parameter holding the component's name, exposed as an output.
//! let mut comp = ComponentTemplate::new("notes", &[env.interface()]);
//! let name = comp.component_name();
//! let p = comp.root().add_untyped("Note", "AWS::SSM::Parameter", Expr::Map([
//!     ("Type".to_owned(), Expr::Str("String".into())),
//!     ("Value".to_owned(), name.into_expr()),
//! ].into_iter().collect()));
//! comp.output("NoteName", p.r#ref());
//!
//! // The service: written against the component's outputs, with a default when none is attached.
//! let mut svc = ServiceTemplate::new("svc", &[env.interface()]);
//! svc.supports_component(comp.interface());
//! let port = svc.instance_input(InputDef::number("port").default(80.0));
//! let note = svc.component_output("NoteName", "none");
//! svc.instance().add_untyped("P", "AWS::SSM::Parameter", Expr::Map([
//!     ("Type".to_owned(), Expr::Str("String".into())),
//!     ("Value".to_owned(), note.into_expr()),
//!     ("Description".to_owned(), port.value().into_expr()),
//! ].into_iter().collect()));
//! let out = svc.synth(&SpecSettings::default(), None).unwrap();
//! let iac = String::from_utf8(out.bundle["instance_infrastructure/cloudformation.yaml"].clone()).unwrap();
//! assert!(iac.contains(r#"service_instance.components.default.outputs.NoteName | default("none") | tojson"#));
//! assert!(comp.synth().is_ok());
//! ```

use std::collections::{BTreeMap, BTreeSet};

use proton_synth_constructs::synth::{to_json_string, Mode};
use proton_synth_constructs::{
    Diagnostic, Diagnostics, Output, Parameter, Placeholder, Scope, Stack, TemplateStats, Value,
};
use serde_json::Value as J;

use super::bundle::{is_logical_id, strip_plain_only, synth_plain, IAC_FILE, MANIFEST_YAML};
use super::format::check_name;
use super::format::scan::{scan, Segment, Target};
use super::input::{jinja_attr, parameter_name, placeholder_kind, Input, InputSpec, InputValue, Instance};
use super::template::{export_name, placeholder_str, EnvironmentInterface, Part, ServiceTemplate};
use super::writer::{jinja_text, loop_body, loop_items, to_bundle_yaml};
use crate::assembly::Sink;

/// What a service template may rely on from the component attached to its instances: the component
/// template's name (for messages) and the outputs it declares. From [`ComponentTemplate::interface`], or
/// declared by hand for a component written elsewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentInterface {
    pub name: String,
    pub outputs: Vec<String>,
}

impl ComponentInterface {
    pub fn new<S: AsRef<str>>(name: &str, outputs: impl IntoIterator<Item = S>) -> Self {
        ComponentInterface {
            name: name.to_owned(),
            outputs: outputs.into_iter().map(|s| s.as_ref().to_owned()).collect(),
        }
    }
}

/// A directly defined component: one CloudFormation template, rendered by Proton with the namespace of the
/// instance it is attached to. Synthesized into `proton/components/<name>/` (`manifest.yaml` and
/// `cloudformation.yaml`, the two files `create-component` takes) and
/// `proton/cloudformation/<name>.component.template.json` (plain CloudFormation: the namespace values are
/// parameters `ComponentName`, `EnvironmentName`, `ServiceName`, `ServiceInstanceName`; environment outputs
/// are imports of `<EnvironmentName>-<output>`, as in service instance templates).
#[derive(Debug)]
pub struct ComponentTemplate {
    name: String,
    part: Part,
    outputs: Vec<String>,
    compatible: Vec<EnvironmentInterface>,
}

/// Everything synthesized for one component.
#[derive(Clone, Debug)]
pub struct ComponentOutput {
    pub name: String,
    /// `manifest.yaml` and `cloudformation.yaml`.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The plain CloudFormation template.
    pub plain: J,
    pub outputs: Vec<String>,
    pub stats: TemplateStats,
    pub warnings: Vec<Diagnostic>,
}

const COMPONENT_NAMESPACE: &str = "component.name, environment.name, environment.account_id, \
     environment.outputs.<n>, service.name, service_instance.name, service_instance.inputs.<n>";

impl ComponentTemplate {
    /// A component template; the environment outputs it reads must be declared by every environment
    /// template in `compatible` (the environments of the instances it will be attached to; may be empty when
    /// it reads none).
    pub fn new(name: &str, compatible: &[EnvironmentInterface]) -> Self {
        ComponentTemplate {
            name: name.to_owned(),
            part: Part::new(&format!("{name}-component"), name),
            outputs: Vec::new(),
            compatible: compatible.to_vec(),
        }
    }

    /// The `Description` of the component's CloudFormation template.
    pub fn description(mut self, d: &str) -> Self {
        self.part.stack.set_description(d);
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn outputs(&self) -> &[String] {
        &self.outputs
    }

    /// The root scope of the component's CloudFormation template.
    pub fn root(&mut self) -> Scope<'_> {
        self.part.stack.root()
    }

    pub fn stack_mut(&mut self) -> &mut Stack {
        &mut self.part.stack
    }

    /// The component's CloudFormation stack.
    pub fn stack(&self) -> &Stack {
        &self.part.stack
    }

    /// `component.name` (plain: parameter `ComponentName`).
    pub fn component_name(&mut self) -> Value<String> {
        self.part.param_value(
            "component.name",
            "ComponentName",
            "Name of the component (AWS Proton component.name)",
        )
    }

    /// `environment.name` (plain: parameter `EnvironmentName`).
    pub fn environment_name(&mut self) -> Value<String> {
        self.part.param_value(
            "environment.name",
            "EnvironmentName",
            "Name of the environment (AWS Proton environment.name)",
        )
    }

    /// `service.name` (plain: parameter `ServiceName`).
    pub fn service_name(&mut self) -> Value<String> {
        self.part.param_value(
            "service.name",
            "ServiceName",
            "Name of the service (AWS Proton service.name)",
        )
    }

    /// `service_instance.name` (plain: parameter `ServiceInstanceName`).
    pub fn service_instance_name(&mut self) -> Value<String> {
        self.part.param_value(
            "service_instance.name",
            "ServiceInstanceName",
            "Name of the service instance the component is attached to (AWS Proton service_instance.name)",
        )
    }

    /// The attached instance's value of a service instance input (`service_instance.inputs.<name>`; a
    /// component has no inputs of its own). Plain: a parameter named like the input's own (`vpc_cidr` →
    /// `VpcCidr`), of the input's CloudFormation type, without default. The input must have a default or be
    /// required in its service template, as for the service's own use of it.
    pub fn instance_input<T: InputValue>(&mut self, input: &Input<Instance, T>) -> Value<T> {
        let id = parameter_name(input.name());
        if self.part.managed_params.insert(id.clone()) {
            let mut p = Parameter::<String>::string();
            p.spec = InputSpec {
                name: input.name().to_owned(),
                ty: T::TYPE,
                title: None,
                description: Some(format!(
                    "Input {} of the service instance the component is attached to (AWS Proton service_instance.inputs.{})",
                    input.name(),
                    input.name()
                )),
                default: None,
                example: None,
                enum_values: Vec::new(),
                pattern: None,
                min_length: None,
                max_length: None,
                minimum: None,
                maximum: None,
                required: true,
                unique_per_instance: false,
            }
            .cfn_parameter();
            let h = self
                .part
                .stack
                .root()
                .add_parameter(&format!("input:{}", input.name()), p);
            self.part.stack.set_parameter_logical_id(&h, &id);
        }
        Value::placeholder(Placeholder {
            jinja: format!("service_instance.inputs{}", jinja_attr(input.name())),
            kind: placeholder_kind(T::TYPE),
            plain: proton_synth_constructs::Expr::RefName(id),
        })
    }

    /// An output of the instance's environment: `environment.outputs.<name>` in the bundle, `Fn::ImportValue`
    /// of `<EnvironmentName>-<name>` in plain CloudFormation. Synthesis fails when a compatible environment
    /// template does not declare it.
    pub fn env_output(&mut self, name: &str) -> Value<String> {
        self.part.resource_param(
            "EnvironmentName",
            "Name of the environment (AWS Proton environment.name)",
        );
        let plain = proton_synth_constructs::Expr::ImportValue(Box::new(export_name(name).into_expr()));
        placeholder_str(format!("environment.outputs{}", jinja_attr(name)), plain)
    }

    /// Declare an output, readable by the service instance as `service_instance.components.default.outputs.<name>`.
    pub fn output(&mut self, name: &str, value: impl Into<Value<String>>) -> &mut Self {
        if !is_logical_id(name) {
            self.part.stack.error(
                "",
                format!("component output name {name:?} must be alphanumeric (a CloudFormation output logical ID)"),
            );
        }
        self.part.stack.root().add_output(name, Output::new(value));
        self.outputs.push(name.to_owned());
        self
    }

    /// The contract a service template reads component outputs against.
    pub fn interface(&self) -> ComponentInterface {
        ComponentInterface {
            name: self.name.clone(),
            outputs: self.outputs.clone(),
        }
    }

    /// Synthesize the manifest, the IaC file (its Jinja variables checked against the component namespace and
    /// the environment outputs against the compatible environment templates) and plain CloudFormation.
    pub fn synth(&self) -> Result<ComponentOutput, Diagnostics> {
        let mut diags = Vec::new();
        if let Err(e) = check_name("component name", &self.name) {
            diags.push(Diagnostic::error(&self.name, e));
        }
        let iac = match self.part.stack.synth(Mode::Bundle) {
            Ok(s) => {
                diags.extend(s.warnings);
                let mut tree = s.template;
                for r in strip_plain_only(&mut tree, &self.part.managed_params) {
                    diags.push(self.error(format!(
                        "`Ref: {r}` points to the plain-CloudFormation parameter of a Proton value, which the component's IaC file does not have; use the value's placeholder instead"
                    )));
                }
                let mut env_outputs = BTreeSet::new();
                self.check_tree(&tree, &mut env_outputs, &mut diags);
                self.check_env_outputs(&env_outputs, &mut diags);
                Some(to_bundle_yaml(&tree))
            }
            Err(Diagnostics(d)) => {
                diags.extend(d);
                None
            }
        };
        let plain = synth_plain(&self.part, &mut diags);
        // The statistics of the plain template, as for plain stacks (`list`, manifest.json).
        let stats = self.part.stack.synth(Mode::Plain).map(|s| s.stats).unwrap_or_default();
        if diags.iter().any(Diagnostic::is_error) {
            return Err(Diagnostics(diags));
        }
        let files = [
            ("manifest.yaml".to_owned(), MANIFEST_YAML.as_bytes().to_vec()),
            (IAC_FILE.to_owned(), iac.unwrap_or_default().into_bytes()),
        ]
        .into_iter()
        .collect();
        Ok(ComponentOutput {
            name: self.name.clone(),
            files,
            plain: plain.unwrap_or(J::Null),
            outputs: self.outputs.clone(),
            stats,
            warnings: diags,
        })
    }

    fn error(&self, msg: String) -> Diagnostic {
        Diagnostic::error(&self.name, format!("component {:?}, {IAC_FILE}: {msg}", self.name))
    }

    /// Every Jinja variable of the bundle tree against the component namespace; environment outputs read.
    fn check_tree(&self, v: &J, env_outputs: &mut BTreeSet<String>, diags: &mut Vec<Diagnostic>) {
        if let Some(text) = jinja_text(v) {
            for r in scan(text).references {
                let Target::Global(path) = &r.target else { continue };
                let p: Vec<&str> = path
                    .iter()
                    .map(|s| match s {
                        Segment::Attr(a) => a.as_str(),
                        _ => "[…]",
                    })
                    .collect();
                match p.as_slice() {
                    ["component", "name"]
                    | ["environment", "name" | "account_id"]
                    | ["service", "name"]
                    | ["service_instance", "name"]
                    | ["service_instance", "inputs", _] => {}
                    ["environment", "outputs", n] => {
                        env_outputs.insert((*n).to_owned());
                    }
                    _ => diags.push(self.error(format!(
                        "`{}` is not available in a component (it may use {COMPONENT_NAMESPACE})",
                        r.text
                    ))),
                }
            }
            return;
        }
        if loop_body(v).is_some() || loop_items(v).is_some() {
            diags.push(self.error(
                "a component has no loop; only a service template's pipeline loops over service_instances".into(),
            ));
            return;
        }
        match v {
            J::Array(items) => items.iter().for_each(|i| self.check_tree(i, env_outputs, diags)),
            J::Object(o) => o.values().for_each(|i| self.check_tree(i, env_outputs, diags)),
            _ => {}
        }
    }

    fn check_env_outputs(&self, read: &BTreeSet<String>, diags: &mut Vec<Diagnostic>) {
        for out in read {
            for env in &self.compatible {
                if !env.outputs.contains(out) {
                    diags.push(self.error(format!(
                        "reads environment output {out:?} (`environment.outputs.{out}`), which environment template {:?} does not declare (it declares: {})",
                        env.reference(),
                        env.outputs.join(", ")
                    )));
                }
            }
        }
    }
}

impl ServiceTemplate {
    /// Allow directly defined components on the service's instances (`supported_component_sources:
    /// [DIRECTLY_DEFINED]` in `.template-registration.yaml`) and add `component` to the component templates
    /// the instance template is written against: like compatible environment templates, every one of them
    /// must declare each output the instance template reads, or synthesis fails.
    pub fn supports_component(&mut self, component: ComponentInterface) -> &mut Self {
        self.components.push(component);
        self
    }

    /// The component contracts declared with [`ServiceTemplate::supports_component`].
    pub fn components(&self) -> &[ComponentInterface] {
        &self.components
    }

    /// An output of the component attached to the instance:
    /// `{{ service_instance.components.default.outputs.<name> | default("<default>") | tojson }}` in the
    /// bundle (`default` when no component is attached, or it lacks the output); in plain CloudFormation the
    /// parameter `Component<Name>` with `default` as its `Default`. Synthesis fails when the service declares
    /// no component ([`ServiceTemplate::supports_component`]) or the component does not declare `name`, and
    /// when `default` holds `{`, `}` or a control character (it is written into the Jinja expression).
    pub fn component_output(&mut self, name: &str, default: &str) -> Value<String> {
        if default.chars().any(|c| c == '{' || c == '}' || c.is_control()) {
            self.instance.stack.error(
                "",
                format!(
                    "the default {default:?} of component output {name:?} holds `{{`, `}}` or a control character; give a plain string"
                ),
            );
        }
        let id = format!("Component{}", parameter_name(name));
        if self.instance.managed_params.insert(id.clone()) {
            let p = Parameter::<String>::string()
                .description(&format!(
                    "Output {name} of the component attached to the service instance (AWS Proton service_instance.components.default.outputs.{name})"
                ))
                .default_value(default);
            let h = self.instance.stack.root().add_parameter(&format!("proton:{id}"), p);
            self.instance.stack.set_parameter_logical_id(&h, &id);
        }
        let literal = serde_json::to_string(default).unwrap_or_default();
        placeholder_str(
            format!(
                "service_instance.components.default.outputs{} | default({literal})",
                jinja_attr(name)
            ),
            proton_synth_constructs::Expr::RefName(id),
        )
    }
}

/// The errors of component outputs read by a service instance template (`reads`: (Jinja path, output)).
pub(crate) fn check_component_reads(
    svc: &ServiceTemplate,
    reads: &BTreeSet<(String, String)>,
    diags: &mut Vec<Diagnostic>,
) {
    for (path, out) in reads {
        if svc.components.is_empty() {
            diags.push(Diagnostic::error(
                &svc.name,
                format!(
                    "service template {:?} reads component output {out:?} (`{path}`) but declares no component; call ServiceTemplate::supports_component with the component's interface",
                    svc.name
                ),
            ));
        }
        for c in svc.components.iter().filter(|c| !c.outputs.contains(out)) {
            diags.push(Diagnostic::error(
                &svc.name,
                format!(
                    "service template {:?} reads component output {out:?} (`{path}`), which component template {:?} does not declare (it declares: {})",
                    svc.name,
                    c.name,
                    if c.outputs.is_empty() { "none".to_owned() } else { c.outputs.join(", ") }
                ),
            ));
        }
    }
}

/// Synthesize a component and put its files into `sink`: `proton/components/<name>/{manifest.yaml,
/// cloudformation.yaml}` and `proton/cloudformation/<name>.component.template.json`. Returns the paths and
/// sizes written and the warnings.
pub fn emit_component(
    c: &ComponentTemplate,
    sink: &dyn Sink,
) -> Result<(ComponentOutput, Vec<(String, usize)>), Diagnostics> {
    let out = c.synth()?;
    let mut written = Vec::new();
    let mut errors = Vec::new();
    let mut put = |path: String, body: Vec<u8>| {
        written.push((path.clone(), body.len()));
        if let Err(e) = sink.put(path, body) {
            errors.push(Diagnostic::error(&out.name, e));
        }
    };
    for (rel, body) in &out.files {
        put(format!("proton/components/{}/{rel}", out.name), body.clone());
    }
    put(
        format!("proton/cloudformation/{}.component.template.json", out.name),
        to_json_string(&out.plain).into_bytes(),
    );
    if errors.is_empty() {
        Ok((out, written))
    } else {
        Err(Diagnostics(errors))
    }
}

/// What Proton knew when it rendered a component: the names and the outputs of the instance's environment.
#[derive(Clone, Debug, Default)]
pub struct ComponentContext {
    pub component: String,
    pub environment: String,
    pub account_id: String,
    pub environment_outputs: BTreeMap<String, String>,
    pub service: String,
    pub service_instance: String,
    pub instance_inputs: serde_json::Map<String, J>,
}

/// Render a component's IaC file (`cloudformation.yaml` of [`ComponentOutput::files`]) as Proton did, with
/// the Jinja settings of `render` (strict undefined, Proton's filters), and parse the result. `Err` says what
/// failed.
pub fn render_component(iac: &str, ctx: &ComponentContext) -> Result<String, String> {
    let env = crate::engine::jinja_environment();
    let template = env
        .template_from_str(iac)
        .map_err(|e| format!("the component's IaC file does not compile: {e}"))?;
    let value = serde_json::json!({
        "component": { "name": ctx.component },
        "environment": { "name": ctx.environment, "account_id": ctx.account_id, "outputs": ctx.environment_outputs },
        "service": { "name": ctx.service },
        "service_instance": { "name": ctx.service_instance, "inputs": ctx.instance_inputs },
    });
    let text = template
        .render(minijinja::Value::from(minijinja::value::Serde(&value)))
        .map_err(|e| format!("rendering the component failed: {e}"))?;
    crate::engine::parse_yaml(&text).map_err(|e| format!("the rendered component is not valid YAML: {e}"))?;
    Ok(text)
}
