//! [`Ec2Service`]: an ECS service on the EC2 container instances of a cluster.

use crate::ec2::SecurityGroup;
use crate::stack::Scope;
use crate::value::Value;

use super::*;

/// Properties of [`Ec2Service`]. Tasks use `awsvpc` networking (see [`Ec2TaskDefinition`]), so a service
/// has its own security groups, like a Fargate service.
#[derive(Clone, Debug)]
pub struct Ec2ServiceProps {
    pub cluster: Cluster,
    /// A task definition from [`Ec2TaskDefinition::new`].
    pub task_definition: TaskDefinition,
    /// Tasks to run (may be a late-bound value; default 1).
    pub desired_count: Value<i64>,
    /// Subnets of the tasks' network interfaces (the instances' subnets or others of their VPC); 1–16.
    pub subnets: Vec<Value<String>>,
    /// The VPC: needed to create a security group when `security_groups` is empty.
    pub vpc_id: Option<Value<String>>,
    /// Security groups of the tasks; empty creates one (restricted egress: HTTPS only) in `vpc_id`.
    pub security_groups: Vec<SecurityGroup>,
    /// Where the tasks are placed: the names of capacity providers of the cluster (equal weights; e.g.
    /// [`AsgCapacityProvider::name`] or an AWS Proton environment output). Empty: the cluster's default
    /// capacity provider strategy (see [`Cluster::add_capacity_provider`]). Launch type `EC2` without a
    /// capacity provider is not offered: managed scaling would not see those tasks.
    pub capacity_providers: Vec<Value<String>>,
    /// Deployment circuit breaker: `Some(true)` (default) rolls back failed deployments; `None` turns it off.
    pub circuit_breaker_rollback: Option<bool>,
    /// Default 100.
    pub min_healthy_percent: u32,
    /// Default 200.
    pub max_percent: u32,
    pub service_name: Option<Value<String>>,
    /// ECS Exec (default false); true grants the task role the SSM messages permissions.
    pub enable_execute_command: bool,
    /// Seconds to ignore load-balancer health checks after a task starts (only with a load balancer).
    pub health_check_grace_period_secs: Option<u32>,
    /// Cloud Map services (their ARNs) the tasks register in (A records for `awsvpc`).
    pub service_registry_arns: Vec<Value<String>>,
}

impl Ec2ServiceProps {
    /// A service running `task_definition` on the cluster's default capacity providers (see
    /// [`Ec2ServiceProps::capacity_providers`]).
    pub fn new(cluster: Cluster, task_definition: TaskDefinition, subnets: Vec<Value<String>>) -> Self {
        Ec2ServiceProps {
            cluster,
            task_definition,
            desired_count: Value::from(1),
            subnets,
            vpc_id: None,
            security_groups: Vec::new(),
            capacity_providers: Vec::new(),
            circuit_breaker_rollback: Some(true),
            min_healthy_percent: 100,
            max_percent: 200,
            service_name: None,
            enable_execute_command: false,
            health_check_grace_period_secs: None,
            service_registry_arns: Vec::new(),
        }
    }
}

/// Builds EC2 services (CDK's `Ec2Service`): [`Ec2Service::new`] returns a [`Service`] placed by capacity
/// providers.
#[derive(Clone, Copy, Debug)]
pub struct Ec2Service;

impl Ec2Service {
    /// An EC2 service, with the secure defaults of [`FargateService`]: no public IPs, a security group whose
    /// only egress is HTTPS, a circuit breaker that rolls back, 100 % healthy during deployments.
    ///
    /// ```
    /// use proton_synth_constructs::ecs::*;
    /// use proton_synth_constructs::{Mode, Stack, Value};
    ///
    /// let mut stack = Stack::new("App");
    /// let cluster = Cluster::from_name(Value::from("shared"));
    /// let task = Ec2TaskDefinition::new(&mut stack.root(), "Task", Ec2TaskDefinitionProps::default());
    /// let image = ContainerImage::registry("public.ecr.aws/nginx/nginx:1.27");
    /// task.add_container(&mut stack, "web", ContainerProps::new(image));
    /// let mut props = Ec2ServiceProps::new(cluster, task, vec![Value::from("subnet-1")]);
    /// props.vpc_id = Some(Value::from("vpc-1"));
    /// Ec2Service::new(&mut stack.root(), "Service", props);
    /// stack.synth(Mode::Plain).expect("a valid template");
    /// ```
    #[allow(clippy::new_ret_no_self)]
    pub fn new(scope: &mut Scope, id: &str, props: Ec2ServiceProps) -> Service {
        let spec = ServiceSpec {
            cluster: props.cluster,
            task_arn: props.task_definition.arn(),
            task_role: props.task_definition.task_role.clone(),
            desired_count: props.desired_count,
            subnets: props.subnets,
            vpc_id: props.vpc_id,
            security_groups: props.security_groups,
            circuit_breaker_rollback: props.circuit_breaker_rollback,
            min_healthy_percent: props.min_healthy_percent,
            max_percent: props.max_percent,
            service_name: props.service_name,
            enable_execute_command: props.enable_execute_command,
            health_check_grace_period_secs: props.health_check_grace_period_secs,
            service_registry_arns: props.service_registry_arns,
            launch: Launch::Ec2 {
                capacity_providers: props.capacity_providers,
            },
        };
        build_service(scope, id, spec, props.task_definition, Compatibility::Ec2)
    }
}
