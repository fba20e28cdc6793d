//! A service template's pipeline (`pipeline_infrastructure/`): its inputs, the resources created once and
//! once per service instance, and [`InstanceLoop`], the per-instance values of the loop over
//! `service_instances`.

use proton_synth_constructs::stack::LoopHandle;
use proton_synth_constructs::{Expr, Placeholder, PlaceholderKind, Scope, Stack, Value};

use super::format::namespace::{INSTANCES_LIST, INSTANCE_VAR};
use super::input::{jinja_attr, placeholder_kind, Input, InputDef, InputSpec, InputValue, Instance, Pipeline};
use super::template::{placeholder_str, schema_type, stack_name, Part, DEFAULT_PIPELINE_INPUT_TYPE};

/// The plain parameters standing for the pipeline's `service.*` values: (parameter, attribute).
const SERVICE_PARAMS: [(&str, &str); 4] = [
    ("ServiceName", "name"),
    ("BranchName", "branch_name"),
    ("RepositoryId", "repository_id"),
    ("RepositoryConnectionArn", "repository_connection_arn"),
];

/// The pipeline of a service template, rendered once per service with all its instances.
#[derive(Debug)]
pub struct PipelineTemplate {
    pub(crate) part: Part,
    pub(crate) instances: LoopHandle,
}

impl PipelineTemplate {
    pub(super) fn new(service: &str) -> Self {
        let mut part = Part::new(&stack_name(service, "pipeline"), service);
        let instances = part.stack.add_loop(INSTANCE_VAR, INSTANCES_LIST);
        // The plain pipeline's parameters for `service.*`; dropped from the plain template when unused.
        for (id, attr) in SERVICE_PARAMS {
            part.resource_param(
                id,
                &format!("AWS Proton service.{attr} (plain CloudFormation parameter)"),
            );
        }
        PipelineTemplate { part, instances }
    }

    pub fn inputs(&self) -> &[InputSpec] {
        &self.part.inputs
    }

    /// The `Description` of the pipeline's CloudFormation template. Unlike the templates' `description`, it
    /// does not describe the schema input type: see [`PipelineTemplate::input_type_description`].
    pub fn description(&mut self, d: &str) -> &mut Self {
        self.part.stack.set_description(d);
        self
    }

    /// The name of the schema's pipeline input type (`pipeline_input_type`; default
    /// [`DEFAULT_PIPELINE_INPUT_TYPE`]). Must be an identifier (`[A-Za-z_][A-Za-z0-9_]*`) other than the
    /// service instance input type's name; synthesis fails otherwise.
    pub fn input_type_name(&mut self, name: &str) -> &mut Self {
        self.part.input_type_name = Some(name.to_owned());
        self
    }

    /// The description of the schema's pipeline input type (none by default).
    pub fn input_type_description(&mut self, d: &str) -> &mut Self {
        self.part.input_type_description = Some(d.to_owned());
        self
    }

    /// The schema's pipeline input type: (name, description).
    pub fn schema_input_type(&self) -> (&str, Option<&str>) {
        schema_type(&self.part, DEFAULT_PIPELINE_INPUT_TYPE, None)
    }

    /// Declare a pipeline input (`pipeline.inputs.<name>`).
    pub fn input<T: InputValue>(&mut self, def: InputDef<T>) -> Input<Pipeline, T> {
        self.part.add_input(def)
    }

    /// The root scope of the pipeline template (resources created once).
    pub fn root(&mut self) -> Scope<'_> {
        self.part.stack.root()
    }

    /// A scope whose resources are created once per service instance; their logical IDs get a
    /// `{{ loop.index }}` suffix.
    pub fn per_instance(&mut self) -> Scope<'_> {
        let lp = self.instances;
        self.part.stack.root_in_loop(&lp)
    }

    pub fn stack_mut(&mut self) -> &mut Stack {
        &mut self.part.stack
    }

    /// The loop over service instances: per-instance values and list splicing.
    pub fn instances(&self) -> InstanceLoop {
        InstanceLoop { handle: self.instances }
    }

    fn service_param(&self, attr: &str, plain: &str) -> Value<String> {
        placeholder_str(format!("service.{attr}"), Expr::RefName(plain.to_owned()))
    }

    /// `service.name`.
    pub fn service_name(&self) -> Value<String> {
        self.service_param("name", "ServiceName")
    }
    /// `service.branch_name`.
    pub fn branch_name(&self) -> Value<String> {
        self.service_param("branch_name", "BranchName")
    }
    /// `service.repository_id` (`owner/repo`).
    pub fn repository_id(&self) -> Value<String> {
        self.service_param("repository_id", "RepositoryId")
    }
    /// `service.repository_connection_arn`.
    pub fn repository_connection_arn(&self) -> Value<String> {
        self.service_param("repository_connection_arn", "RepositoryConnectionArn")
    }
}

/// Per-instance values inside a pipeline's loop over `service_instances`. Valid only in resources created
/// through [`PipelineTemplate::per_instance`] and in [`InstanceLoop::items`]; synthesis rejects them
/// elsewhere.
#[derive(Clone, Copy, Debug)]
pub struct InstanceLoop {
    handle: LoopHandle,
}

impl InstanceLoop {
    pub fn handle(&self) -> LoopHandle {
        self.handle
    }

    /// List entries repeated once per instance (e.g. one pipeline stage each), to put into a list.
    pub fn items(&self, items: impl IntoIterator<Item = Expr>) -> Expr {
        self.handle.items(items)
    }

    /// `loop.index` (1-based).
    pub fn index(&self) -> Value<f64> {
        self.handle.index_value()
    }

    /// A per-instance value: `service_instance.<path>` in the bundle; in the plain pipeline (written for one
    /// instance, see [`super::pipeline_plain`]) a `Ref` to the parameter `ServiceInstance<Path>`, which that
    /// synthesis declares.
    fn value<T>(&self, path: String, kind: PlaceholderKind) -> Value<T> {
        let plain = super::pipeline_plain::instance_param_ref(&path);
        Value::placeholder(Placeholder {
            jinja: format!("{INSTANCE_VAR}.{path}"),
            kind,
            plain,
        })
    }

    /// The instance's value of a service instance input: `service_instance.inputs.<name>`.
    pub fn input<T: InputValue>(&self, input: &Input<Instance, T>) -> Value<T> {
        self.value(format!("inputs{}", jinja_attr(input.name())), placeholder_kind(T::TYPE))
    }

    /// `service_instance.name`.
    pub fn name(&self) -> Value<String> {
        self.value("name".into(), PlaceholderKind::String)
    }

    /// An output of the instance template (`service_instance.outputs.<name>`); must be declared with
    /// [`ServiceTemplate::instance_output`].
    pub fn output(&self, name: &str) -> Value<String> {
        self.value(format!("outputs{}", jinja_attr(name)), PlaceholderKind::String)
    }

    /// `service_instance.environment.name`.
    pub fn environment_name(&self) -> Value<String> {
        self.value("environment.name".into(), PlaceholderKind::String)
    }

    /// `service_instance.environment.account_id`.
    pub fn environment_account_id(&self) -> Value<String> {
        self.value("environment.account_id".into(), PlaceholderKind::String)
    }

    /// An output of the instance's environment (`service_instance.environment.outputs.<name>`).
    pub fn env_output(&self, name: &str) -> Value<String> {
        self.value(
            format!("environment.outputs{}", jinja_attr(name)),
            PlaceholderKind::String,
        )
    }
}
