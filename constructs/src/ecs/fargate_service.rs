//! [`Service`]: an ECS service (private networking, circuit breaker, load-balancer targets), on Fargate
//! ([`FargateService`], here) or on EC2 ([`Ec2Service`], built in `ec2_service.rs`); both share the steps below.

use crate::autoscaling::{ScalableTarget, ScalableTargetProps};
use crate::cfn;
use crate::ec2::{Connectable, Connections, Peer, Port, SecurityGroup, SecurityGroupProps};
use crate::elbv2::{ApplicationTargetGroup, NetworkTargetGroup, TargetType};
use crate::iam::{self, PolicyStatement, Role};
use crate::nag::{self, Tool};
use crate::stack::{Construct, Handle, NodeId, Scope, Stack};
use crate::value::{fns, Expr, Value};

use super::*;

/// Properties of [`FargateService`].
#[derive(Clone, Debug)]
pub struct FargateServiceProps {
    pub cluster: Cluster,
    pub task_definition: FargateTaskDefinition,
    /// Tasks to run (may be a late-bound value; default 1).
    pub desired_count: Value<i64>,
    /// Subnets of the tasks (private subnets unless `assign_public_ip`); 1–16.
    pub subnets: Vec<Value<String>>,
    /// The VPC: needed to create a security group when `security_groups` is empty.
    pub vpc_id: Option<Value<String>>,
    /// Security groups of the tasks; empty creates one (restricted egress) in `vpc_id`.
    pub security_groups: Vec<SecurityGroup>,
    /// Default false (CT.ECS.PR.9). True records a suppression with the reason.
    pub assign_public_ip: bool,
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
    /// Default `LATEST` (CT.ECS.PR.1).
    pub platform_version: String,
    /// Cloud Map services (their ARNs) the tasks register in (A records for `awsvpc`).
    pub service_registry_arns: Vec<Value<String>>,
}

impl FargateServiceProps {
    pub fn new(cluster: Cluster, task_definition: FargateTaskDefinition, subnets: Vec<Value<String>>) -> Self {
        FargateServiceProps {
            cluster,
            task_definition,
            desired_count: Value::from(1),
            subnets,
            vpc_id: None,
            security_groups: Vec::new(),
            assign_public_ip: false,
            circuit_breaker_rollback: Some(true),
            min_healthy_percent: 100,
            max_percent: 200,
            service_name: None,
            enable_execute_command: false,
            health_check_grace_period_secs: None,
            platform_version: "LATEST".to_owned(),
            service_registry_arns: Vec::new(),
        }
    }
}

/// A service built by [`FargateService::new`]; the same type as an EC2 one.
pub type FargateService = Service;

/// An ECS service running the tasks of one task definition, on Fargate ([`FargateService::new`]) or on EC2
/// ([`Ec2Service::new`]).
#[derive(Clone, Debug)]
pub struct Service {
    pub(super) handle: Handle<cfn::ecs::Service>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
    pub(super) cluster: Cluster,
    pub(super) task_definition: TaskDefinition,
    pub(super) security_groups: Vec<SecurityGroup>,
    pub(super) desired_count: Value<i64>,
}

/// How a service's tasks are placed: what differs between Fargate and EC2.
#[derive(Clone, Debug)]
pub(super) enum Launch {
    Fargate {
        platform_version: String,
        assign_public_ip: bool,
    },
    /// The capacity provider strategy (names; empty: the cluster's default strategy).
    Ec2 { capacity_providers: Vec<Value<String>> },
}

/// The properties both kinds of service share, as the steps below take them.
#[derive(Clone, Debug)]
pub(super) struct ServiceSpec {
    pub(super) cluster: Cluster,
    pub(super) task_arn: Value<String>,
    pub(super) task_role: Role,
    pub(super) desired_count: Value<i64>,
    pub(super) subnets: Vec<Value<String>>,
    pub(super) vpc_id: Option<Value<String>>,
    pub(super) security_groups: Vec<SecurityGroup>,
    pub(super) circuit_breaker_rollback: Option<bool>,
    pub(super) min_healthy_percent: u32,
    pub(super) max_percent: u32,
    pub(super) service_name: Option<Value<String>>,
    pub(super) enable_execute_command: bool,
    pub(super) health_check_grace_period_secs: Option<u32>,
    pub(super) service_registry_arns: Vec<Value<String>>,
    pub(super) launch: Launch,
}

impl Service {
    /// A Fargate service.
    pub fn new(scope: &mut Scope, id: &str, props: FargateServiceProps) -> Self {
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
            launch: Launch::Fargate {
                platform_version: props.platform_version,
                assign_public_ip: props.assign_public_ip,
            },
        };
        build_service(scope, id, spec, props.task_definition, Compatibility::Fargate)
    }
}

/// The service below `scope.child(id)`: checks, security groups, the L1 and what goes with it.
pub(super) fn build_service(
    scope: &mut Scope,
    id: &str,
    spec: ServiceSpec,
    task_definition: TaskDefinition,
    compatibility: Compatibility,
) -> Service {
    let mut child = scope.child(id);
    for p in service_problems(&spec, compatibility) {
        child.error(p);
    }
    if task_definition.compatibility != compatibility {
        child.error(format!(
            "task definition {} is for {}; {} service needs one built for it",
            task_definition.path,
            task_definition.compatibility.label(),
            compatibility.a_label()
        ));
    }
    let security_groups = service_security_groups(&mut child, &spec, compatibility);
    let svc = service_l1(&spec, &security_groups);
    let handle = child.add("Resource", svc);
    let node = child.node_id();
    let path = child.path();
    service_extras(child.stack(), &path, handle, &spec);
    Service {
        handle,
        path,
        node: Some(node),
        cluster: spec.cluster,
        task_definition,
        security_groups,
        desired_count: spec.desired_count,
    }
}

impl Service {
    /// The service ARN (`Ref`).
    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }

    /// The service name (`Fn::GetAtt Name`).
    pub fn name(&self) -> Value<String> {
        self.handle.attr_name()
    }

    pub fn handle(&self) -> Handle<cfn::ecs::Service> {
        self.handle
    }

    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    pub fn task_definition(&self) -> &TaskDefinition {
        &self.task_definition
    }

    pub fn security_groups(&self) -> &[SecurityGroup] {
        &self.security_groups
    }

    /// Adds `group` to the tasks' security groups, after the existing ones (CDK's
    /// `service.connections.addSecurityGroup`), e.g. an environment's shared container group that other
    /// services admit. Rules opened through [`FargateService::connections`] before this call do not apply to
    /// `group`; later ones do. A service imported without its L1 only records the group.
    pub fn add_security_group(&mut self, stack: &mut Stack, group: SecurityGroup) {
        self.security_groups.push(group);
        let ids: Vec<Value<String>> = self.security_groups.iter().map(SecurityGroup::id).collect();
        let awsvpc = stack
            .l1_mut(&self.handle)
            .and_then(|l1| l1.network_configuration.as_mut())
            .and_then(|n| n.awsvpc_configuration.as_mut());
        if let Some(awsvpc) = awsvpc {
            awsvpc.security_groups = Some(Value::from(ids));
        }
    }

    /// Register `container`:`port` of the tasks in an application target group (of type `ip`). The service
    /// is created after the listeners forwarding to the group. The caller opens the security groups (e.g.
    /// `service.connections().allow_from(stack, &alb, Port::tcp(port), ...)`).
    pub fn attach_to_target_group(
        &self,
        stack: &mut Stack,
        target_group: &ApplicationTargetGroup,
        container: &str,
        port: impl Into<Value<i64>>,
    ) {
        if target_group.target_type() != TargetType::Ip {
            stack.error(
                &self.path,
                format!(
                    "target group {} must have target type ip for {} service",
                    target_group.path(),
                    self.task_definition.compatibility.a_label()
                ),
            );
        }
        self.add_load_balancer(stack, target_group.arn(), container, port.into());
        target_group.add_dependent(stack, &self.handle);
    }

    /// Register `container`:`port` in a network target group (of type `ip`).
    pub fn attach_to_network_target_group(
        &self,
        stack: &mut Stack,
        target_group: &NetworkTargetGroup,
        container: &str,
        port: impl Into<Value<i64>>,
    ) {
        self.add_load_balancer(stack, target_group.arn(), container, port.into());
        target_group.add_dependent(stack, &self.handle);
    }

    pub(super) fn add_load_balancer(
        &self,
        stack: &mut Stack,
        tg_arn: Value<String>,
        container: &str,
        port: Value<i64>,
    ) {
        let lb = cfn::ecs::service::LoadBalancer {
            container_name: Some(container.into()),
            container_port: Some(port.clone()),
            target_group_arn: Some(tg_arn),
            ..Default::default()
        };
        if let Some(svc) = stack.l1_mut(&self.handle) {
            svc.load_balancers.get_or_insert_with(Vec::new).push(lb);
        }
        let td = self.task_definition.handle;
        let td_path = stack.full_path(&self.task_definition.path);
        let container = container.to_owned();
        stack.add_validation(&self.path, move |s| {
            let containers = container_ports(s, &td);
            match containers.get(&container) {
                None => vec![format!(
                    "load balancer target: container {container:?} is not defined in task definition {td_path}"
                )],
                Some(ports) if port.expr().is_literal() && !ports.contains(port.expr()) => {
                    let p = match port.expr() {
                        Expr::Int(i) => i.to_string(),
                        other => format!("{other:?}"),
                    };
                    vec![format!(
                        "load balancer target: container {container:?} has no port mapping for port {p}"
                    )]
                }
                _ => Vec::new(),
            }
        });
    }

    /// Auto scaling of the task count between `min` and `max` (construct id `TaskCount` below the service).
    /// A literal desired count must lie in the range.
    pub fn auto_scale_task_count(&self, stack: &mut Stack, min: u32, max: u32) -> ScalableTaskCount {
        let resource_id = fns::sub(
            "service/${Cluster}/${Service}",
            [
                ("Cluster", self.cluster.name().into_expr()),
                ("Service", self.name().into_expr()),
            ],
        );
        let target = ScalableTarget::new(
            &mut stack.scope(self.node),
            "TaskCount",
            ScalableTargetProps {
                service_namespace: "ecs".to_owned(),
                resource_id,
                scalable_dimension: "ecs:service:DesiredCount".to_owned(),
                min_capacity: min,
                max_capacity: max,
            },
        );
        if let Some(d) = literal_int(&self.desired_count) {
            if d < i64::from(min) || d > i64::from(max) {
                stack.error(
                    target.path(),
                    format!("desired count {d} is outside the auto scaling range {min}-{max}"),
                );
            }
        }
        ScalableTaskCount {
            target,
            cluster_name: self.cluster.name(),
            service_name: self.name(),
        }
    }
}

impl Connectable for Service {
    fn connections(&self) -> Connections {
        Connections::new(self.security_groups.clone())
    }
}

impl Construct for Service {
    fn node_id(&self) -> Option<NodeId> {
        self.node
    }
    fn path(&self) -> &str {
        &self.path
    }
}

// Steps of `Service::new`.

/// Problems of the props (subnets, deployment percentages, desired count, name, where the group goes).
/// A Fargate platform version is `LATEST` or a version such as `1.4.0` (ECS refuses anything else at deploy).
pub fn platform_version_problem(version: &str) -> Option<String> {
    let numbered = {
        let parts: Vec<&str> = version.split('.').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    };
    (version != "LATEST" && !numbered)
        .then(|| format!("platform_version {version:?} must be LATEST or a Fargate platform version such as 1.4.0"))
}

fn service_problems(props: &ServiceSpec, compatibility: Compatibility) -> Vec<String> {
    let mut problems = Vec::new();
    let kind = compatibility.a_label();
    if props.subnets.is_empty() {
        problems.push(format!("{kind} service needs at least one subnet"));
    }
    if props.subnets.len() > 16 {
        problems.push(format!(
            "{kind} service allows at most 16 subnets; {} given",
            props.subnets.len()
        ));
    }
    if let Launch::Fargate { platform_version, .. } = &props.launch {
        problems.extend(platform_version_problem(platform_version));
    }
    if props.min_healthy_percent > 100 {
        problems.push(format!(
            "min_healthy_percent {} is above 100",
            props.min_healthy_percent
        ));
    }
    if props.max_percent <= props.min_healthy_percent || props.max_percent < 100 {
        problems.push(format!(
            "max_percent {} must be at least 100 and above min_healthy_percent {}",
            props.max_percent, props.min_healthy_percent
        ));
    }
    if let Some(n) = literal_int(&props.desired_count) {
        if n < 0 {
            problems.push(format!("desired count {n} must not be negative"));
        }
    }
    if let Some(n) = props.service_name.as_ref().and_then(Value::as_literal) {
        if n.is_empty() || n.len() > 255 || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            problems.push(format!(
                "service name {n:?} must be 1-255 letters, digits, hyphens and underscores"
            ));
        }
    }
    if props.security_groups.is_empty() && props.vpc_id.is_none() {
        problems.push(format!(
            "{kind} service needs security_groups or a vpc_id to create its security group in"
        ));
    }
    problems
}

/// The given security groups, or a new one whose only egress is HTTPS.
fn service_security_groups(child: &mut Scope, props: &ServiceSpec, compatibility: Compatibility) -> Vec<SecurityGroup> {
    let description = format!("{} service {}", compatibility.label(), child.full_path());
    if props.security_groups.is_empty() {
        let vpc_id = props.vpc_id.clone().unwrap_or_else(|| Value::from(""));
        vec![task_security_group(child, "SecurityGroup", vpc_id, description)]
    } else {
        props.security_groups.clone()
    }
}

/// The security group ECS tasks get by default (child `id` of `scope`): nothing in, HTTPS out. Tasks reach
/// ECR, CloudWatch Logs and Secrets Manager/SSM over HTTPS (through a NAT gateway, an internet gateway or
/// interface endpoints); nothing else leaves by default.
pub fn task_security_group(scope: &mut Scope, id: &str, vpc_id: Value<String>, description: String) -> SecurityGroup {
    let sg = SecurityGroup::new(
        scope,
        id,
        SecurityGroupProps {
            vpc_id,
            description,
            allow_all_outbound: false,
            group_name: None,
        },
    );
    sg.egress_rule(
        scope,
        Peer::any_ipv4(),
        Port::tcp(443),
        "HTTPS to AWS APIs and container registries (image pulls, logs, secrets)",
    );
    sg
}

/// The L1 service: Fargate on the given platform or EC2 through capacity providers, private networking,
/// circuit breaker, propagated tags.
fn service_l1(props: &ServiceSpec, security_groups: &[SecurityGroup]) -> cfn::ecs::Service {
    let mut awsvpc = cfn::ecs::service::AwsVpcConfiguration::new();
    // EC2 tasks in awsvpc mode never get a public IP (ECS rejects `AssignPublicIp` for them).
    if let Launch::Fargate { assign_public_ip, .. } = &props.launch {
        awsvpc.assign_public_ip = Some(if *assign_public_ip { "ENABLED" } else { "DISABLED" }.into());
    }
    awsvpc.subnets = Some(Value::from(props.subnets.clone()));
    awsvpc.security_groups = Some(Value::from(
        security_groups.iter().map(SecurityGroup::id).collect::<Vec<_>>(),
    ));
    let mut deployment = cfn::ecs::service::DeploymentConfiguration::new();
    deployment.minimum_healthy_percent = Some(props.min_healthy_percent.into());
    deployment.maximum_percent = Some(props.max_percent.into());
    deployment.deployment_circuit_breaker = props
        .circuit_breaker_rollback
        .map(|rollback| cfn::ecs::service::DeploymentCircuitBreaker::new(true, rollback));
    let mut svc = cfn::ecs::Service::new();
    svc.cluster = Some(props.cluster.name());
    match &props.launch {
        Launch::Fargate { platform_version, .. } => {
            svc.launch_type = Some("FARGATE".into());
            svc.platform_version = Some(platform_version.as_str().into());
        }
        // Neither launch type nor strategy: the cluster's default capacity provider strategy.
        Launch::Ec2 { capacity_providers } if capacity_providers.is_empty() => {}
        Launch::Ec2 { capacity_providers } => {
            svc.capacity_provider_strategy = Some(
                capacity_providers
                    .iter()
                    .map(|cp| cfn::ecs::service::CapacityProviderStrategyItem {
                        capacity_provider: Some(cp.clone()),
                        weight: Some(1.into()),
                        ..Default::default()
                    })
                    .collect(),
            );
        }
    }
    svc.task_definition = Some(props.task_arn.clone());
    svc.desired_count = Some(props.desired_count.clone());
    svc.deployment_configuration = Some(deployment);
    svc.network_configuration = Some(cfn::ecs::service::NetworkConfiguration {
        awsvpc_configuration: Some(awsvpc),
    });
    svc.service_name = props.service_name.clone();
    svc.enable_execute_command = Some(props.enable_execute_command.into());
    svc.health_check_grace_period_seconds = props.health_check_grace_period_secs.map(Value::from);
    svc.propagate_tags = Some("SERVICE".into());
    if !props.service_registry_arns.is_empty() {
        svc.service_registries = Some(
            props
                .service_registry_arns
                .iter()
                .map(|arn| cfn::ecs::service::ServiceRegistry {
                    registry_arn: Some(arn.clone()),
                    ..cfn::ecs::service::ServiceRegistry::new()
                })
                .collect(),
        );
    }
    svc
}

/// Suppressions, ECS Exec permissions and the grace-period validation.
fn service_extras(stack: &mut Stack, path: &str, handle: Handle<cfn::ecs::Service>, props: &ServiceSpec) {
    if matches!(
        props.launch,
        Launch::Fargate {
            assign_public_ip: true,
            ..
        }
    ) {
        nag::suppress(
            stack.resource_mut(&handle),
            Tool::Guard,
            "CT.ECS.PR.9",
            "tasks get public IPs on purpose (FargateServiceProps.assign_public_ip = true)",
        );
    }
    if props.enable_execute_command {
        let mut role = props.task_role.clone();
        iam::grant(
            stack,
            path,
            &mut role,
            PolicyStatement::allow(
                &[
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
                [Value::from("*")],
            ),
        );
    }
    if props.health_check_grace_period_secs.is_some() {
        stack.add_validation(path, move |s| {
            let has_lb = s.l1(&handle).is_some_and(|svc| svc.load_balancers.is_some());
            if has_lb {
                Vec::new()
            } else {
                vec!["health_check_grace_period_secs only applies to a service behind a load balancer".to_owned()]
            }
        });
    }
}
