//! Environment and service templates: typed inputs, Proton resource parameters, the environment-output
//! contract (the pipeline and its loop over service instances: `pipeline.rs`).

use std::collections::BTreeSet;

use indexmap::IndexMap;
use proton_synth_constructs::{CondHandle, Expr, Output, Parameter, Placeholder, PlaceholderKind, Scope, Stack, Value};

use super::input::{jinja_attr, parameter_name, Env, Input, InputDef, InputSpec, InputValue, Instance, KindMarker};

pub use super::format::namespace::{INSTANCES_LIST, INSTANCE_VAR};
pub use super::pipeline::{InstanceLoop, PipelineTemplate};
/// Default name of an environment template's schema input type.
pub const DEFAULT_ENVIRONMENT_INPUT_TYPE: &str = "EnvironmentInput";
/// Default name of a service template's schema input type (service instance inputs).
pub const DEFAULT_SERVICE_INPUT_TYPE: &str = "ServiceInstanceInput";
/// Default name of a service template's schema pipeline input type.
pub const DEFAULT_PIPELINE_INPUT_TYPE: &str = "PipelineInput";

/// The schema input type of a part: its name (or `default`) and its description (or `fallback`).
pub(super) fn schema_type<'a>(
    part: &'a Part,
    default: &'a str,
    fallback: Option<&'a str>,
) -> (&'a str, Option<&'a str>) {
    (
        part.input_type_name.as_deref().unwrap_or(default),
        part.input_type_description.as_deref().or(fallback),
    )
}

/// What a service template may rely on from an environment template: its name, major version and the
/// outputs it declares. Get it from [`EnvironmentTemplate::interface`], or declare one for an environment
/// template defined elsewhere (or a customer-managed one) with [`EnvironmentInterface::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentInterface {
    pub name: String,
    pub major: u32,
    pub outputs: Vec<String>,
}

impl EnvironmentInterface {
    pub fn new<S: AsRef<str>>(name: &str, major: u32, outputs: impl IntoIterator<Item = S>) -> Self {
        EnvironmentInterface {
            name: name.to_owned(),
            major,
            outputs: outputs.into_iter().map(|s| s.as_ref().to_owned()).collect(),
        }
    }

    /// `name:major`, as in `.template-registration.yaml`.
    pub fn reference(&self) -> String {
        format!("{}:{}", self.name, self.major)
    }
}

/// A late-bound string value with a Jinja spelling and a plain spelling.
pub(crate) fn placeholder_str(jinja: String, plain: Expr) -> Value<String> {
    Value::placeholder(Placeholder {
        jinja,
        kind: PlaceholderKind::String,
        plain,
    })
}

/// State shared by the three IaC files: a stack, its inputs and the parameters that exist only in plain
/// CloudFormation (inputs and resource parameters).
#[derive(Debug)]
pub(crate) struct Part {
    pub(crate) stack: Stack,
    pub(crate) inputs: Vec<InputSpec>,
    /// Logical IDs of parameters that stand for Proton inputs / resource parameters.
    pub(crate) managed_params: BTreeSet<String>,
    pub(crate) template: String,
    /// Name of the schema input type of this part's inputs (`None`: the default of its kind).
    pub(crate) input_type_name: Option<String>,
    /// Description of the schema input type (`None`: see the template's `description`).
    pub(crate) input_type_description: Option<String>,
}

impl Part {
    pub(crate) fn new(stack_name: &str, template: &str) -> Self {
        Part {
            stack: Stack::new(stack_name),
            inputs: Vec::new(),
            managed_params: BTreeSet::new(),
            template: template.to_owned(),
            input_type_name: None,
            input_type_description: None,
        }
    }

    pub(super) fn add_input<K: KindMarker, T: InputValue>(&mut self, def: InputDef<T>) -> Input<K, T> {
        let spec = def.spec;
        let name = spec.name.clone();
        let param = parameter_name(&name);
        if self.inputs.iter().any(|i| i.name == name) {
            self.stack.error(
                "",
                format!(
                    "{} input {name:?} is declared twice in template {:?}",
                    K::KIND.noun(),
                    self.template
                ),
            );
        } else if let Some(other) = self.inputs.iter().find(|i| parameter_name(&i.name) == param) {
            self.stack.error(
                "",
                format!(
                    "inputs {:?} and {name:?} of template {:?} both map to the CloudFormation parameter {param:?}; rename one",
                    other.name, self.template
                ),
            );
        } else if self.managed_params.contains(&param) {
            self.stack.error(
                "",
                format!(
                    "input {name:?} of template {:?} maps to the CloudFormation parameter {param:?}, which a Proton resource parameter already uses; rename it",
                    self.template
                ),
            );
        } else {
            let mut p = Parameter::<String>::string();
            p.spec = spec.cfn_parameter();
            // The construct path stays out of the resources' way; the logical ID is the PascalCase name.
            let h = self.stack.root().add_parameter(&format!("input:{name}"), p);
            self.stack.set_parameter_logical_id(&h, &param);
            self.managed_params.insert(param);
        }
        self.inputs.push(spec);
        Input::new(&name, &self.template)
    }

    /// Declare (once) a plain string parameter standing for a Proton resource parameter.
    pub(crate) fn resource_param(&mut self, id: &str, description: &str) -> Expr {
        if self.managed_params.insert(id.to_owned()) {
            let p = Parameter::<String>::string().description(description);
            let h = self.stack.root().add_parameter(&format!("proton:{id}"), p);
            self.stack.set_parameter_logical_id(&h, id);
        }
        Expr::RefName(id.to_owned())
    }

    pub(crate) fn param_value(&mut self, jinja: &str, id: &str, description: &str) -> Value<String> {
        let plain = self.resource_param(id, description);
        placeholder_str(jinja.to_owned(), plain)
    }
}

/// Name of the export of an environment output in plain CloudFormation: `${EnvironmentName}-<output>`.
pub(crate) fn export_name(output: &str) -> Value<String> {
    let mut vars = IndexMap::new();
    vars.insert(
        "EnvironmentName".to_owned(),
        Expr::RefName("EnvironmentName".to_owned()),
    );
    Value::from_expr(Expr::Sub(format!("${{EnvironmentName}}-{output}"), vars))
}

/// An AWS Proton environment template (`infrastructure/`).
///
/// ```
/// use proton_synth::proton::{EnvironmentTemplate, InputDef};
/// use proton_synth::constructs::{Expr, Value};
///
/// let mut env = EnvironmentTemplate::new("vpc-env");
/// let cidr = env.input(InputDef::string("vpc_cidr").default("10.0.0.0/16").title("VPC CIDR"));
/// let props = Expr::Map([("CidrBlock".to_owned(), cidr.value().into_expr())].into_iter().collect());
/// let vpc = env.root().add_untyped("Vpc", "AWS::EC2::VPC", props);
/// env.output("VpcId", vpc.r#ref());
/// ```
#[derive(Debug)]
pub struct EnvironmentTemplate {
    pub(crate) name: String,
    pub(crate) major: u32,
    pub(crate) description: Option<String>,
    pub(crate) part: Part,
    pub(crate) outputs: Vec<String>,
}

impl EnvironmentTemplate {
    /// A new environment template, major version 1. `name` is the Proton template name.
    pub fn new(name: &str) -> Self {
        EnvironmentTemplate {
            name: name.to_owned(),
            major: 1,
            description: None,
            part: Part::new(&stack_name(name, ""), name),
            outputs: Vec::new(),
        }
    }

    /// The major version (template-sync folder `v<major>`, `compatible_environments` entries).
    pub fn major_version(mut self, major: u32) -> Self {
        self.major = major;
        self
    }

    /// The template's description: the `Description` of its CloudFormation template. It is also the
    /// description of the schema input type unless [`EnvironmentTemplate::input_type_description`] sets
    /// that one.
    pub fn description(mut self, d: &str) -> Self {
        self.description = Some(d.to_owned());
        self.part.stack.set_description(d);
        self
    }

    /// The name of the schema input type (`environment_input_type`; default [`DEFAULT_ENVIRONMENT_INPUT_TYPE`]).
    /// Must be an identifier (`[A-Za-z_][A-Za-z0-9_]*`); synthesis fails otherwise.
    pub fn input_type_name(mut self, name: &str) -> Self {
        self.part.input_type_name = Some(name.to_owned());
        self
    }

    /// The description of the schema input type, independent of the template's
    /// [`description`](EnvironmentTemplate::description).
    pub fn input_type_description(mut self, d: &str) -> Self {
        self.part.input_type_description = Some(d.to_owned());
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn major(&self) -> u32 {
        self.major
    }
    /// The template's description (see [`EnvironmentTemplate::description`]).
    pub fn template_description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// The schema input type: (name, description).
    pub fn schema_input_type(&self) -> (&str, Option<&str>) {
        schema_type(&self.part, DEFAULT_ENVIRONMENT_INPUT_TYPE, self.description.as_deref())
    }
    pub fn inputs(&self) -> &[InputSpec] {
        &self.part.inputs
    }
    pub fn outputs(&self) -> &[String] {
        &self.outputs
    }

    /// Declare an input (`environment.inputs.<name>`).
    pub fn input<T: InputValue>(&mut self, def: InputDef<T>) -> Input<Env, T> {
        self.part.add_input(def)
    }

    /// The root scope of the CloudFormation template.
    pub fn root(&mut self) -> Scope<'_> {
        self.part.stack.root()
    }

    pub fn stack_mut(&mut self) -> &mut Stack {
        &mut self.part.stack
    }

    /// `environment.name` (plain: parameter `EnvironmentName`).
    pub fn environment_name(&mut self) -> Value<String> {
        self.part.param_value(
            "environment.name",
            "EnvironmentName",
            "Name of the environment (AWS Proton environment.name)",
        )
    }

    /// Declare an environment output, readable by service templates as `environment.outputs.<name>`. In
    /// plain CloudFormation it is exported as `<EnvironmentName>-<name>`.
    pub fn output(&mut self, name: &str, value: impl Into<Value<String>>) -> &mut Self {
        self.output_with_description(name, value, None)
    }

    pub fn output_with_description(
        &mut self,
        name: &str,
        value: impl Into<Value<String>>,
        description: Option<&str>,
    ) -> &mut Self {
        self.part.resource_param(
            "EnvironmentName",
            "Name of the environment (AWS Proton environment.name)",
        );
        let mut o = Output::new(value).export(export_name(name));
        if let Some(d) = description {
            o = o.description(d);
        }
        if !super::bundle::is_logical_id(name) {
            self.part.stack.error(
                "",
                format!("environment output name {name:?} must be alphanumeric (a CloudFormation output logical ID)"),
            );
        }
        self.part.stack.root().add_output(name, o);
        self.outputs.push(name.to_owned());
        self
    }

    /// The contract a service template is written against.
    pub fn interface(&self) -> EnvironmentInterface {
        EnvironmentInterface {
            name: self.name.clone(),
            major: self.major,
            outputs: self.outputs.clone(),
        }
    }
}

/// Name of the construct-tree stack of a template part (`my-env` → `my-env`, `svc` + `Pipeline`).
pub(super) fn stack_name(template: &str, part: &str) -> String {
    if part.is_empty() {
        template.to_owned()
    } else {
        format!("{template}-{part}")
    }
}

/// An AWS Proton service template: `instance_infrastructure/`, optionally `pipeline_infrastructure/`.
#[derive(Debug)]
pub struct ServiceTemplate {
    pub(crate) name: String,
    pub(crate) major: u32,
    pub(crate) description: Option<String>,
    pub(crate) compatible: Vec<EnvironmentInterface>,
    pub(crate) instance: Part,
    pub(crate) instance_outputs: Vec<String>,
    pub(crate) pipeline: Option<PipelineTemplate>,
    /// The component contracts ([`ServiceTemplate::supports_component`]).
    pub(crate) components: Vec<super::component::ComponentInterface>,
}

impl ServiceTemplate {
    /// A new service template (major version 1) compatible with the given environment templates. Environment
    /// outputs read by the template must be declared by every one of them.
    pub fn new(name: &str, compatible: &[EnvironmentInterface]) -> Self {
        ServiceTemplate {
            name: name.to_owned(),
            major: 1,
            description: None,
            compatible: compatible.to_vec(),
            instance: Part::new(&stack_name(name, "instance"), name),
            instance_outputs: Vec::new(),
            pipeline: None,
            components: Vec::new(),
        }
    }

    pub fn major_version(mut self, major: u32) -> Self {
        self.major = major;
        self
    }

    /// The template's description: the `Description` of its instance CloudFormation template. It is also
    /// the description of the schema's service input type unless [`ServiceTemplate::input_type_description`]
    /// sets that one. (The pipeline has its own: [`PipelineTemplate::description`].)
    pub fn description(mut self, d: &str) -> Self {
        self.description = Some(d.to_owned());
        self.instance.stack.set_description(d);
        self
    }

    /// The name of the schema's service instance input type (`service_input_type`; default
    /// [`DEFAULT_SERVICE_INPUT_TYPE`]). Must be an identifier (`[A-Za-z_][A-Za-z0-9_]*`) other than the
    /// pipeline input type's name; synthesis fails otherwise. The pipeline's: [`PipelineTemplate::input_type_name`].
    pub fn input_type_name(mut self, name: &str) -> Self {
        self.instance.input_type_name = Some(name.to_owned());
        self
    }

    /// The description of the schema's service instance input type, independent of the template's
    /// [`description`](ServiceTemplate::description).
    pub fn input_type_description(mut self, d: &str) -> Self {
        self.instance.input_type_description = Some(d.to_owned());
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn major(&self) -> u32 {
        self.major
    }
    /// The template's description (see [`ServiceTemplate::description`]).
    pub fn template_description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// The schema's service instance input type: (name, description).
    pub fn schema_input_type(&self) -> (&str, Option<&str>) {
        schema_type(&self.instance, DEFAULT_SERVICE_INPUT_TYPE, self.description.as_deref())
    }
    pub fn compatible_environments(&self) -> &[EnvironmentInterface] {
        &self.compatible
    }
    pub fn instance_inputs(&self) -> &[InputSpec] {
        &self.instance.inputs
    }
    pub fn instance_outputs(&self) -> &[String] {
        &self.instance_outputs
    }
    pub fn pipeline_ref(&self) -> Option<&PipelineTemplate> {
        self.pipeline.as_ref()
    }

    /// Declare a service instance input (`service_instance.inputs.<name>`).
    pub fn instance_input<T: InputValue>(&mut self, def: InputDef<T>) -> Input<Instance, T> {
        self.instance.add_input(def)
    }

    /// The root scope of the instance template.
    pub fn instance(&mut self) -> Scope<'_> {
        self.instance.stack.root()
    }

    pub fn instance_stack_mut(&mut self) -> &mut Stack {
        &mut self.instance.stack
    }

    /// `environment.name` (plain: parameter `EnvironmentName`).
    pub fn environment_name(&mut self) -> Value<String> {
        self.instance.param_value(
            "environment.name",
            "EnvironmentName",
            "Name of the environment (AWS Proton environment.name)",
        )
    }

    /// `environment.account_id` (plain: the stack's account).
    pub fn environment_account_id(&mut self) -> Value<String> {
        placeholder_str(
            "environment.account_id".into(),
            Value::<String>::account_id().into_expr(),
        )
    }

    /// `service.name` (plain: parameter `ServiceName`).
    pub fn service_name(&mut self) -> Value<String> {
        self.instance.param_value(
            "service.name",
            "ServiceName",
            "Name of the service (AWS Proton service.name)",
        )
    }

    /// `service_instance.name` (plain: parameter `ServiceInstanceName`).
    pub fn service_instance_name(&mut self) -> Value<String> {
        self.instance.param_value(
            "service_instance.name",
            "ServiceInstanceName",
            "Name of the service instance (AWS Proton service_instance.name)",
        )
    }

    /// An output of the compatible environment templates: `environment.outputs.<name>` in the bundle,
    /// `Fn::ImportValue` of `<EnvironmentName>-<name>` in plain CloudFormation. Synthesis fails when a
    /// compatible environment template does not declare it.
    pub fn env_output(&mut self, name: &str) -> Value<String> {
        self.instance.resource_param(
            "EnvironmentName",
            "Name of the environment (AWS Proton environment.name)",
        );
        let plain = Expr::ImportValue(Box::new(export_name(name).into_expr()));
        placeholder_str(format!("environment.outputs{}", jinja_attr(name)), plain)
    }

    /// Declare an output of the instance template (readable in the pipeline loop as
    /// `service_instance.outputs.<name>`).
    pub fn instance_output(&mut self, name: &str, value: impl Into<Value<String>>) -> &mut Self {
        self.instance_output_with_description(name, value, None)
    }

    /// [`ServiceTemplate::instance_output`] with the output's `Description`.
    pub fn instance_output_with_description(
        &mut self,
        name: &str,
        value: impl Into<Value<String>>,
        description: Option<&str>,
    ) -> &mut Self {
        let mut o = Output::new(value);
        if let Some(d) = description {
            o = o.description(d);
        }
        self.declare_instance_output(name, o)
    }

    /// [`ServiceTemplate::instance_output`] under a template condition: the output exists only when
    /// `condition` holds (e.g. the output of a resource that the condition leaves out). A pipeline must not
    /// read it for instances where it does not hold.
    pub fn instance_output_when(
        &mut self,
        name: &str,
        value: impl Into<Value<String>>,
        condition: &CondHandle,
    ) -> &mut Self {
        let mut o = Output::new(value);
        o.condition = Some(*condition);
        self.declare_instance_output(name, o)
    }

    fn declare_instance_output(&mut self, name: &str, o: Output) -> &mut Self {
        if !super::bundle::is_logical_id(name) {
            self.instance.stack.error(
                "",
                format!("instance output name {name:?} must be alphanumeric (a CloudFormation output logical ID)"),
            );
        }
        self.instance.stack.root().add_output(name, o);
        self.instance_outputs.push(name.to_owned());
        self
    }

    /// The pipeline (`pipeline_infrastructure/`), created on first use. A service template without one is
    /// created in Proton with `--pipeline-provisioning CUSTOMER_MANAGED`.
    pub fn pipeline(&mut self) -> &mut PipelineTemplate {
        let name = self.name.clone();
        self.pipeline.get_or_insert_with(|| PipelineTemplate::new(&name))
    }
}
