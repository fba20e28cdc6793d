//! [`ContainerDefinition`]: a container of a task definition, as [`FargateTaskDefinition::add_container`]
//! returns it.

use crate::cfn;
use crate::elbv2::check_port;
use crate::iam::{Grant, Role};
use crate::logs::LogGroup;
use crate::stack::{Handle, Stack};
use crate::value::Value;

use cfn::ecs::task_definition as td;

use super::*;

/// A container added to a [`FargateTaskDefinition`] (CDK's `ContainerDefinition`): a typed reference to its
/// entry in the task definition, to add port mappings, environment variables and secrets after creation.
/// Each addition is checked by the rules [`ContainerProps`] is checked by, reported at the container's path
/// (`<task definition>/<name>`).
///
/// ```
/// use proton_synth_constructs::ecs::{ContainerImage, ContainerProps, FargateTaskDefinition, Secret};
/// use proton_synth_constructs::{Stack, Value};
/// let mut stack = Stack::new("S");
/// let td = FargateTaskDefinition::new(&mut stack.root(), "Task", Default::default());
/// let web = td.add_container(&mut stack, "web", ContainerProps::new(ContainerImage::registry("nginx:1.27")));
/// web.add_port_mappings(&mut stack, [Value::from(8080)]);
/// web.add_environment(&mut stack, "MODE", "production");
/// let grant = web.add_secret(&mut stack, "DB_PASSWORD", Secret::ssm_parameter_name("/app/db-password"));
/// assert!(grant.success());
/// assert_eq!(web.container_port(&stack), Some(Value::from(8080)));
/// assert!(stack.synth(Default::default()).is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct ContainerDefinition {
    pub(super) task: Handle<cfn::ecs::TaskDefinition>,
    /// Position in the task definition's `ContainerDefinitions` (containers are only ever appended).
    pub(super) index: usize,
    pub(super) name: String,
    pub(super) path: String,
    pub(super) execution_role: Role,
    pub(super) log_group: Option<LogGroup>,
}

impl ContainerDefinition {
    /// The container name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `<task definition path>/<name>`: where the container's problems are reported.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The task definition the container belongs to.
    pub fn task_definition(&self) -> Handle<cfn::ecs::TaskDefinition> {
        self.task
    }

    /// The log group of its awslogs driver (`None` with [`Logging::None`]).
    pub fn log_group(&self) -> Option<&LogGroup> {
        self.log_group.as_ref()
    }

    /// The container port of its first port mapping as it is now (CDK's `containerPort`).
    pub fn container_port(&self, stack: &Stack) -> Option<Value<i64>> {
        self.current(stack)?
            .port_mappings
            .as_deref()?
            .first()?
            .container_port
            .clone()
    }

    /// Add TCP port mappings (1-65535 when literal).
    pub fn add_port_mappings(&self, stack: &mut Stack, ports: impl IntoIterator<Item = Value<i64>>) {
        let ports: Vec<Value<i64>> = ports.into_iter().collect();
        for problem in ports.iter().filter_map(|p| check_port("container", p)) {
            stack.error(&self.path, problem);
        }
        self.edit(stack, |c| {
            let list = c.port_mappings.get_or_insert_with(Vec::new);
            list.extend(ports.iter().map(port_mapping));
        });
    }

    /// Add an environment variable. Credentials in plain text ([`FORBIDDEN_ENV`]) and a name that is already
    /// a secret of the container are errors.
    pub fn add_environment(&self, stack: &mut Stack, name: &str, value: impl Into<Value<String>>) {
        if let Some(p) = plain_env_problem(name) {
            stack.error(&self.path, p);
        }
        let is_secret = self
            .current(stack)
            .and_then(|c| c.secrets.as_deref())
            .is_some_and(|s| s.iter().any(|s| s.name.as_literal() == Some(name)));
        if is_secret {
            stack.error(&self.path, env_and_secret_problem(name));
        }
        let var = env_var(name, value.into());
        self.edit(stack, |c| c.environment.get_or_insert_with(Vec::new).push(var));
    }

    /// Add `secret` as the environment variable `name`; the execution role is granted to read it (the
    /// returned [`Grant`]). A name that is already a plain environment variable is an error.
    pub fn add_secret(&self, stack: &mut Stack, name: &str, secret: Secret) -> Grant {
        let is_env = self
            .current(stack)
            .and_then(|c| c.environment.as_deref())
            .is_some_and(|e| {
                e.iter()
                    .any(|kv| kv.name.as_ref().and_then(Value::as_literal) == Some(name))
            });
        if is_env {
            stack.error(&self.path, env_and_secret_problem(name));
        }
        let entry = secret.entry(name);
        self.edit(stack, |c| c.secrets.get_or_insert_with(Vec::new).push(entry));
        secret.grant_read(stack, &self.path, &mut self.execution_role.clone())
    }

    /// The container's entry as it is now (`None` for a task definition of another template or made untyped).
    fn current<'s>(&self, stack: &'s Stack) -> Option<&'s td::ContainerDefinition> {
        stack.l1(&self.task)?.container_definitions.as_deref()?.get(self.index)
    }

    /// Edit the container's entry (an error is recorded when the task definition is not editable).
    fn edit(&self, stack: &mut Stack, f: impl FnOnce(&mut td::ContainerDefinition)) {
        let task = stack.l1_mut(&self.task);
        if let Some(c) = task.and_then(|t| t.container_definitions.as_mut()?.get_mut(self.index)) {
            f(c);
        }
    }
}
