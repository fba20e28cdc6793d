//! [`Compute`]: where the tasks of the ECS patterns run, one enum prop. Everything that depends on the kind
//! of capacity (the task definition, the service, the run-task target of a schedule) is built here, so a new
//! kind of capacity is a new variant and new arms in this file only.

use crate::ec2::SecurityGroup;
use crate::ecs::{
    task_security_group, Cluster, FargateService, FargateServiceProps, FargateTaskDefinition,
    FargateTaskDefinitionProps,
};
use crate::events::EcsTaskTarget;
use crate::iam::Role;
use crate::stack::{NodeId, Scope, Stack};
use crate::value::Value;

/// Where a pattern's tasks run.
#[derive(Clone, Debug)]
pub enum Compute {
    /// AWS Fargate: `awsvpc` tasks with their own network interface in `subnets`.
    Fargate(FargateCompute),
}

impl Compute {
    /// Fargate tasks of 256 CPU units and 512 MiB in `subnets` (see [`FargateCompute`]).
    pub fn fargate(subnets: Vec<Value<String>>) -> Compute {
        Compute::Fargate(FargateCompute::new(subnets))
    }
}

/// Fargate capacity of a pattern.
#[derive(Clone, Debug)]
pub struct FargateCompute {
    /// Task CPU units (default 256; may be late-bound, e.g. [`crate::ecs::TaskSizeMapping::cpu`]).
    pub cpu: Value<i64>,
    /// Task memory in MiB (default 512).
    pub memory_mib: Value<i64>,
    /// Subnets of the tasks, 1–16 (private subnets unless `assign_public_ip`).
    pub subnets: Vec<Value<String>>,
    /// Default false (CT.ECS.PR.9); true records a suppression with the reason.
    pub assign_public_ip: bool,
    /// Default `LATEST` (CT.ECS.PR.1).
    pub platform_version: String,
}

impl FargateCompute {
    pub fn new(subnets: Vec<Value<String>>) -> Self {
        FargateCompute {
            cpu: Value::from(256),
            memory_mib: Value::from(512),
            subnets,
            assign_public_ip: false,
            platform_version: "LATEST".to_owned(),
        }
    }
}

/// What the patterns' task definitions share, whatever the compute.
#[derive(Clone, Debug, Default)]
pub(super) struct TaskRoles {
    pub family: Option<Value<String>>,
    pub execution_role: Option<Role>,
    pub task_role: Option<Role>,
}

/// The task definition (child `TaskDef`) for `compute`.
pub(super) fn task_definition(scope: &mut Scope, compute: &Compute, roles: TaskRoles) -> FargateTaskDefinition {
    match compute {
        Compute::Fargate(f) => FargateTaskDefinition::new(
            scope,
            "TaskDef",
            FargateTaskDefinitionProps {
                cpu: f.cpu.clone(),
                memory_mib: f.memory_mib.clone(),
                family: roles.family,
                execution_role: roles.execution_role,
                task_role: roles.task_role,
                ephemeral_storage_gib: None,
            },
        ),
    }
}

/// The security groups of the tasks: the given ones, or one (child `SecurityGroup`) with nothing in and
/// HTTPS out.
pub(super) fn security_groups(
    scope: &mut Scope,
    given: &[SecurityGroup],
    vpc_id: &Value<String>,
    what: &str,
) -> Vec<SecurityGroup> {
    if given.is_empty() {
        let description = format!("{what} {}", scope.full_path());
        vec![task_security_group(scope, "SecurityGroup", vpc_id.clone(), description)]
    } else {
        given.to_vec()
    }
}

/// The long-running service of a pattern (child `Service` of `node`).
pub(super) struct ServiceSpec {
    pub cluster: Cluster,
    pub task_definition: FargateTaskDefinition,
    pub security_groups: Vec<SecurityGroup>,
    pub desired_count: Value<i64>,
    pub service_name: Option<Value<String>>,
    pub min_healthy_percent: u32,
    pub max_percent: u32,
}

pub(super) fn service(stack: &mut Stack, node: NodeId, compute: &Compute, spec: ServiceSpec) -> FargateService {
    match compute {
        Compute::Fargate(f) => {
            let mut sp = FargateServiceProps::new(spec.cluster, spec.task_definition, f.subnets.clone());
            sp.security_groups = spec.security_groups;
            sp.desired_count = spec.desired_count;
            sp.service_name = spec.service_name;
            sp.min_healthy_percent = spec.min_healthy_percent;
            sp.max_percent = spec.max_percent;
            sp.assign_public_ip = f.assign_public_ip;
            sp.platform_version = f.platform_version.clone();
            FargateService::new(&mut stack.scope(node), "Service", sp)
        }
    }
}

/// What a schedule runs: the task definition on `compute` in `cluster`.
pub(super) fn run_task_target(
    compute: &Compute,
    cluster: Cluster,
    task_definition: FargateTaskDefinition,
    security_groups: Vec<SecurityGroup>,
    task_count: Value<i64>,
) -> EcsTaskTarget {
    match compute {
        Compute::Fargate(f) => {
            let mut t = EcsTaskTarget::new(cluster, task_definition, f.subnets.clone(), security_groups);
            t.task_count = task_count;
            t.assign_public_ip = f.assign_public_ip;
            t.platform_version = f.platform_version.clone();
            t
        }
    }
}
