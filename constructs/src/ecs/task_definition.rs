//! [`TaskDefinition`]: an ECS task definition (`awsvpc`) with separate execution and task roles, for Fargate
//! ([`FargateTaskDefinition::new`]) or EC2 container instances ([`Ec2TaskDefinition::new`], in
//! `ec2_task_definition.rs`): CDK's `TaskDefinition` with its `compatibility`, one implementation.

use indexmap::IndexMap;

use crate::cfn;
use crate::iam::{Principal, Role, RoleProps};
use crate::stack::{Construct, Handle, NodeId, Scope, Stack};
use crate::value::{Expr, Value};

use cfn::ecs::task_definition as td;

use super::*;

/// Properties of [`FargateTaskDefinition`].
#[derive(Clone, Debug)]
pub struct FargateTaskDefinitionProps {
    /// CPU units (256 … 16384), or a late-bound value (e.g. [`TaskSizeMapping::cpu`]).
    pub cpu: Value<i64>,
    /// Memory in MiB, validated against `cpu` when both are literals.
    pub memory_mib: Value<i64>,
    pub family: Option<Value<String>>,
    /// Role ECS uses to pull images, write logs and read secrets. `None` creates one with exactly what the
    /// containers need; an imported role (e.g. an AWS Proton environment output) must already allow it.
    pub execution_role: Option<Role>,
    /// Role the containers' code runs as. `None` creates a separate role without permissions.
    pub task_role: Option<Role>,
    /// Ephemeral storage in GiB (21–200; default 20).
    pub ephemeral_storage_gib: Option<u32>,
}

impl Default for FargateTaskDefinitionProps {
    fn default() -> Self {
        FargateTaskDefinitionProps {
            cpu: Value::from(256),
            memory_mib: Value::from(512),
            family: None,
            execution_role: None,
            task_role: None,
            ephemeral_storage_gib: None,
        }
    }
}

/// Where the tasks of a [`TaskDefinition`] (and its services) run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compatibility {
    /// AWS Fargate.
    #[default]
    Fargate,
    /// The EC2 container instances of the cluster (an Auto Scaling group capacity provider).
    Ec2,
}

impl Compatibility {
    /// The `RequiresCompatibilities` / `LaunchType` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Compatibility::Fargate => "FARGATE",
            Compatibility::Ec2 => "EC2",
        }
    }

    /// How messages name it (`Fargate`, `EC2`).
    pub(super) fn label(self) -> &'static str {
        match self {
            Compatibility::Fargate => "Fargate",
            Compatibility::Ec2 => "EC2",
        }
    }

    /// With its article (`a Fargate`, `an EC2`).
    pub(super) fn a_label(self) -> &'static str {
        match self {
            Compatibility::Fargate => "a Fargate",
            Compatibility::Ec2 => "an EC2",
        }
    }
}

/// A task definition built by [`FargateTaskDefinition::new`] (`FARGATE`); the same type as an EC2 one.
pub type FargateTaskDefinition = TaskDefinition;

/// An ECS task definition in `awsvpc` network mode (every task gets its own network interface and security
/// groups; `bridge` and `host` modes, which share the instance's security group, are not offered), for
/// Fargate ([`FargateTaskDefinition::new`]) or EC2 ([`Ec2TaskDefinition::new`]).
#[derive(Clone, Debug)]
pub struct TaskDefinition {
    pub(super) handle: Handle<cfn::ecs::TaskDefinition>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
    pub(super) cpu: Value<i64>,
    pub(super) memory_mib: Value<i64>,
    pub(super) execution_role: Role,
    pub(super) task_role: Role,
    pub(super) compatibility: Compatibility,
}

/// A task-definition property value of CloudFormation type string from a number (literal or intrinsic).
pub(super) fn as_string_value(v: &Value<i64>) -> Value<String> {
    match v.expr() {
        Expr::Int(i) => Value::from(i.to_string()),
        other => Value::from_expr(other.clone()),
    }
}

impl TaskDefinition {
    /// A Fargate task definition (cpu and memory from Fargate's table).
    pub fn new(scope: &mut Scope, id: &str, props: FargateTaskDefinitionProps) -> Self {
        let mut child = scope.child(id);
        if let (Some(cpu), Some(mem)) = (literal_int(&props.cpu), literal_int(&props.memory_mib)) {
            if let Some(p) = check_fargate_size(cpu, mem) {
                child.error(p);
            }
        } else if let Some(cpu) = literal_int(&props.cpu) {
            if fargate_memory_options(cpu).is_none() {
                child.error(check_fargate_size(cpu, 0).unwrap_or_default());
            }
        }
        if let Some(g) = props.ephemeral_storage_gib {
            if !(21..=200).contains(&g) {
                child.error(format!("ephemeral storage {g} GiB is not in the range 21-200"));
            }
        }
        let ephemeral = props.ephemeral_storage_gib;
        let common = TaskCommon {
            cpu: props.cpu,
            memory_mib: props.memory_mib,
            family: props.family,
            execution_role: props.execution_role,
            task_role: props.task_role,
        };
        build_task(child, common, Compatibility::Fargate, |task| {
            task.ephemeral_storage = ephemeral.map(|g| td::EphemeralStorage {
                size_in_gi_b: Some(g.into()),
            });
        })
    }
}

/// What every task definition has, whatever its compatibility.
pub(super) struct TaskCommon {
    pub(super) cpu: Value<i64>,
    pub(super) memory_mib: Value<i64>,
    pub(super) family: Option<Value<String>>,
    pub(super) execution_role: Option<Role>,
    pub(super) task_role: Option<Role>,
}

/// The task definition below `child` (`Resource`, and the two roles unless given), with the family check and
/// the container validation; `customize` sets what only this compatibility has.
pub(super) fn build_task(
    mut child: Scope<'_>,
    props: TaskCommon,
    compatibility: Compatibility,
    customize: impl FnOnce(&mut cfn::ecs::TaskDefinition),
) -> TaskDefinition {
    if let Some(f) = props.family.as_ref().and_then(Value::as_literal) {
        if f.is_empty() || f.len() > 255 || !f.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            child.error(format!(
                "family {f:?} must be 1-255 letters, digits, hyphens and underscores"
            ));
        }
    }
    let ecs_tasks = || RoleProps {
        assumed_by: Principal::service("ecs-tasks.amazonaws.com"),
        ..RoleProps::default()
    };
    let execution_role = match props.execution_role {
        Some(r) => r,
        None => Role::new(&mut child, "ExecutionRole", ecs_tasks()),
    };
    let task_role = match props.task_role {
        Some(r) => r,
        None => Role::new(&mut child, "TaskRole", ecs_tasks()),
    };
    let mut task = cfn::ecs::TaskDefinition::new();
    task.cpu = Some(as_string_value(&props.cpu));
    task.memory = Some(as_string_value(&props.memory_mib));
    task.network_mode = Some("awsvpc".into());
    task.requires_compatibilities = Some(Value::from(vec![compatibility.as_str()]));
    task.family = props.family;
    task.execution_role_arn = Some(execution_role.arn());
    task.task_role_arn = Some(task_role.arn());
    customize(&mut task);
    task.container_definitions = Some(Vec::new());
    let handle = child.add("Resource", task);
    let node = child.node_id();
    let path = child.path();
    let memory = props.memory_mib.clone();
    let cpu = props.cpu.clone();
    child
        .stack()
        .add_validation(&path, move |s| validate_task(s, &handle, &cpu, &memory));
    TaskDefinition {
        handle,
        path,
        node: Some(node),
        cpu: props.cpu,
        memory_mib: props.memory_mib,
        execution_role,
        task_role,
        compatibility,
    }
}

impl TaskDefinition {
    /// Where its tasks run.
    pub fn compatibility(&self) -> Compatibility {
        self.compatibility
    }

    /// The task definition ARN (`Ref`).
    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }

    pub fn handle(&self) -> Handle<cfn::ecs::TaskDefinition> {
        self.handle
    }

    pub fn cpu(&self) -> &Value<i64> {
        &self.cpu
    }

    pub fn memory_mib(&self) -> &Value<i64> {
        &self.memory_mib
    }

    pub fn execution_role(&self) -> &Role {
        &self.execution_role
    }

    pub fn task_role(&self) -> &Role {
        &self.task_role
    }
}
/// Checks that need the final containers of a task definition.
pub(super) fn validate_task(
    s: &Stack,
    h: &Handle<cfn::ecs::TaskDefinition>,
    cpu: &Value<i64>,
    memory: &Value<i64>,
) -> Vec<String> {
    let mut out = Vec::new();
    let Some(task) = s.l1(h) else { return out };
    let containers = task.container_definitions.as_deref().unwrap_or_default();
    if containers.is_empty() {
        out.push("a task definition needs at least one container (add_container)".to_owned());
        return out;
    }
    let mut names: Vec<&str> = Vec::new();
    let mut mem_sum = Some(0i64);
    let mut cpu_sum = 0i64;
    let mut essential = false;
    for c in containers {
        if let Some(n) = c.name.as_literal() {
            if names.contains(&n) {
                out.push(format!("container name {n:?} is used twice"));
            }
            names.push(n);
        }
        mem_sum = match (mem_sum, c.memory.as_ref().map(Value::expr)) {
            (Some(sum), Some(Expr::Int(v))) => Some(sum + v),
            _ => None,
        };
        if let Some(Expr::Int(v)) = c.cpu.as_ref().map(Value::expr) {
            cpu_sum += v;
        }
        if c.essential.as_ref().map(Value::expr) != Some(&Expr::Bool(false)) {
            essential = true;
        }
    }
    if !essential {
        out.push("a task definition needs at least one essential container".to_owned());
    }
    if let (Some(sum), Some(task)) = (mem_sum, literal_int(memory)) {
        if sum > task {
            out.push(format!(
                "the containers' hard memory limits add up to {sum} MiB, above the task memory of {task} MiB; set memory_limit_mib on each container"
            ));
        }
    }
    if let Some(task) = literal_int(cpu) {
        if cpu_sum > task {
            out.push(format!(
                "the containers' cpu add up to {cpu_sum} units, above the task cpu of {task}"
            ));
        }
    }
    out
}

/// Container names and literal ports of a task definition in its final state.
pub(super) fn container_ports(s: &Stack, h: &Handle<cfn::ecs::TaskDefinition>) -> IndexMap<String, Vec<Expr>> {
    let mut out = IndexMap::new();
    let Some(task) = s.l1(h) else { return out };
    for c in task.container_definitions.as_deref().unwrap_or_default() {
        let Some(name) = c.name.as_literal() else { continue };
        let ports = c
            .port_mappings
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter_map(|pm| pm.container_port.as_ref().map(|p| p.expr().clone()))
            .collect();
        out.insert(name.to_owned(), ports);
    }
    out
}

impl Construct for TaskDefinition {
    fn node_id(&self) -> Option<NodeId> {
        self.node
    }
    fn path(&self) -> &str {
        &self.path
    }
}
