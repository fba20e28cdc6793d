//! [`Compute`]: where the tasks of the ECS patterns run, one enum prop. Everything that depends on the kind
//! of capacity (the task definition, the service, the run-task target of a schedule) is built here, so a new
//! kind of capacity is a new variant and new arms in this file only.

use crate::ec2::SecurityGroup;
use crate::ecs::{
    task_security_group, Cluster, Ec2Service, Ec2ServiceProps, Ec2TaskDefinition, Ec2TaskDefinitionProps,
    FargateService, FargateServiceProps, FargateTaskDefinition, FargateTaskDefinitionProps,
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
    /// The EC2 container instances of the cluster (capacity providers): `awsvpc` tasks too, with their own
    /// network interface in `subnets` and no public IP.
    Ec2(Ec2Compute),
}

impl Compute {
    /// Fargate tasks of 256 CPU units and 512 MiB in `subnets` (see [`FargateCompute`]).
    pub fn fargate(subnets: Vec<Value<String>>) -> Compute {
        Compute::Fargate(FargateCompute::new(subnets))
    }

    /// EC2 tasks of 256 CPU units and 512 MiB in `subnets`, on the cluster's default capacity provider
    /// strategy (see [`Ec2Compute`]).
    pub fn ec2(subnets: Vec<Value<String>>) -> Compute {
        Compute::Ec2(Ec2Compute::new(subnets))
    }

    /// Set the tasks' CPU units and memory in MiB (literal or late-bound, e.g. [`crate::ecs::TaskSizeMapping`]).
    pub fn set_size(&mut self, cpu: impl Into<Value<i64>>, memory_mib: impl Into<Value<i64>>) {
        let (c, m) = match self {
            Compute::Fargate(f) => (&mut f.cpu, &mut f.memory_mib),
            Compute::Ec2(e) => (&mut e.cpu, &mut e.memory_mib),
        };
        *c = cpu.into();
        *m = memory_mib.into();
    }

    /// The subnets of the tasks.
    pub fn subnets(&self) -> &[Value<String>] {
        match self {
            Compute::Fargate(f) => &f.subnets,
            Compute::Ec2(e) => &e.subnets,
        }
    }
}

/// EC2 capacity of a pattern: the instances of the cluster's capacity providers.
#[derive(Clone, Debug)]
pub struct Ec2Compute {
    /// Task CPU units (default 256; may be late-bound, e.g. [`crate::ecs::TaskSizeMapping::cpu`]).
    pub cpu: Value<i64>,
    /// Task memory in MiB (default 512).
    pub memory_mib: Value<i64>,
    /// Subnets of the tasks' network interfaces, 1–16 (in the zones of the instances).
    pub subnets: Vec<Value<String>>,
    /// Capacity provider names of a service (equal weights); empty (default): the cluster's default strategy.
    /// Scheduled tasks always run on the cluster's default strategy.
    pub capacity_providers: Vec<Value<String>>,
}

impl Ec2Compute {
    pub fn new(subnets: Vec<Value<String>>) -> Self {
        Ec2Compute {
            cpu: Value::from(256),
            memory_mib: Value::from(512),
            subnets,
            capacity_providers: Vec::new(),
        }
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
        Compute::Ec2(e) => Ec2TaskDefinition::new(
            scope,
            "TaskDef",
            Ec2TaskDefinitionProps {
                cpu: e.cpu.clone(),
                memory_mib: e.memory_mib.clone(),
                family: roles.family,
                execution_role: roles.execution_role,
                task_role: roles.task_role,
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
    /// Where a created security group goes (patterns that pass theirs leave it `None`).
    pub vpc_id: Option<Value<String>>,
    pub health_check_grace_period_secs: Option<u32>,
    pub enable_execute_command: bool,
    pub service_registry_arns: Vec<Value<String>>,
}

impl ServiceSpec {
    pub fn new(cluster: Cluster, task_definition: FargateTaskDefinition, security_groups: Vec<SecurityGroup>) -> Self {
        ServiceSpec {
            cluster,
            task_definition,
            security_groups,
            desired_count: Value::from(1),
            service_name: None,
            min_healthy_percent: 100,
            max_percent: 200,
            vpc_id: None,
            health_check_grace_period_secs: None,
            enable_execute_command: false,
            service_registry_arns: Vec::new(),
        }
    }
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
            sp.vpc_id = spec.vpc_id;
            sp.health_check_grace_period_secs = spec.health_check_grace_period_secs;
            sp.enable_execute_command = spec.enable_execute_command;
            sp.service_registry_arns = spec.service_registry_arns;
            FargateService::new(&mut stack.scope(node), "Service", sp)
        }
        Compute::Ec2(e) => {
            let mut sp = Ec2ServiceProps::new(spec.cluster, spec.task_definition, e.subnets.clone());
            sp.capacity_providers = e.capacity_providers.clone();
            sp.security_groups = spec.security_groups;
            sp.desired_count = spec.desired_count;
            sp.service_name = spec.service_name;
            sp.min_healthy_percent = spec.min_healthy_percent;
            sp.max_percent = spec.max_percent;
            sp.vpc_id = spec.vpc_id;
            sp.health_check_grace_period_secs = spec.health_check_grace_period_secs;
            sp.enable_execute_command = spec.enable_execute_command;
            sp.service_registry_arns = spec.service_registry_arns;
            Ec2Service::new(&mut stack.scope(node), "Service", sp)
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
        // On the cluster's default capacity provider strategy (see `Ec2Compute::capacity_providers`).
        Compute::Ec2(e) => {
            let mut t = EcsTaskTarget::new(cluster, task_definition, e.subnets.clone(), security_groups);
            t.task_count = task_count;
            t
        }
    }
}
