//! [`LoadBalancedFargateService`] (alias [`LoadBalancedService`]): an ECS service behind an application load
//! balancer, on Fargate or on EC2 ([`Compute`]).

use indexmap::IndexMap;

use crate::autoscaling::{ScalingStep, StepScalingPolicy};
use crate::cfn::applicationautoscaling as aas;
use crate::ec2::{Connectable, Port, RulePlace, SecurityGroup, VpcRef};
use crate::ecs::{
    Cluster, ContainerHealthCheck, ContainerImage, ContainerProps, FargateService, FargateTaskDefinition, Logging,
    ScalableTaskCount, Secret, DEFAULT_CONTAINER_USER,
};

use super::compute::{self, Compute, ServiceSpec, TaskRoles};
use crate::elbv2::{
    AccessLogs, AlbProps, ApplicationListener, ApplicationLoadBalancer, ApplicationProtocol, ApplicationTargetGroup,
    HealthCheck, ListenerAction, ListenerProps, TargetGroupProps, TargetType,
};
use crate::iam::Role;
use crate::logs::LogGroup;
use crate::stack::{Construct, Handle, NodeId, Output, Scope, Stack};
use crate::value::{fns, Value};

/// The container of a [`LoadBalancedFargateService`] built by the pattern (CDK's `taskImageOptions`).
#[derive(Clone, Debug)]
pub struct TaskImageOptions {
    pub image: ContainerImage,
    /// Default `web`.
    pub container_name: String,
    /// Default 80 (may be a late-bound value such as a Proton input).
    pub container_port: Value<i64>,
    pub environment: IndexMap<String, Value<String>>,
    pub secrets: IndexMap<String, Secret>,
    /// Default: a log group created by the task definition (one year, retained).
    pub log_group: Option<LogGroup>,
    pub stream_prefix: Option<String>,
    /// Default `Some("1000")`; see [`ContainerProps::user`].
    pub user: Option<String>,
    /// Default true.
    pub readonly_root_filesystem: bool,
    pub writable_paths: Vec<String>,
    pub health_check: Option<ContainerHealthCheck>,
    pub command: Option<Vec<String>>,
}

impl TaskImageOptions {
    pub fn new(image: ContainerImage) -> Self {
        TaskImageOptions {
            image,
            container_name: "web".to_owned(),
            container_port: Value::from(80),
            environment: IndexMap::new(),
            secrets: IndexMap::new(),
            log_group: None,
            stream_prefix: None,
            user: Some(DEFAULT_CONTAINER_USER.to_owned()),
            readonly_root_filesystem: true,
            writable_paths: Vec::new(),
            health_check: None,
            command: None,
        }
    }
}

/// Auto scaling of a [`LoadBalancedFargateService`]; every target given adds a policy.
#[derive(Clone, Debug, Default)]
pub struct AutoScalingOptions {
    pub min_capacity: u32,
    pub max_capacity: u32,
    /// Target tracking on average CPU (%).
    pub cpu_target_percent: Option<f64>,
    /// Target tracking on average memory (%).
    pub memory_target_percent: Option<f64>,
    /// Target tracking on ALB requests per target.
    pub requests_per_target: Option<u32>,
    /// Step scaling on CPU with alarms (AWS's sample: [`crate::ecs::aws_sample_cpu_steps`]).
    pub cpu_steps: Option<Vec<ScalingStep>>,
}

/// Where the pattern's task comes from: one of the two, so "both" or "neither" cannot be written.
#[derive(Clone, Debug)]
pub enum TaskSource {
    /// A task definition with one container built from these options.
    Image(TaskImageOptions),
    /// A task definition built by the caller, and its target container (name and port).
    Definition {
        task_definition: FargateTaskDefinition,
        container: String,
        port: Value<i64>,
    },
}

/// Properties of [`LoadBalancedFargateService`].
#[derive(Clone, Debug)]
pub struct LoadBalancedFargateServiceProps {
    pub cluster: Cluster,
    pub vpc: VpcRef,
    /// Subnets of the load balancer; default: the public subnets for a public ALB, else the private ones.
    pub load_balancer_subnets: Option<Vec<Value<String>>>,
    /// Internet-facing ALB (default true).
    pub public_load_balancer: bool,
    /// The task: one container built from options (what `new` sets), or a caller-built task definition.
    pub task: TaskSource,
    /// Where the tasks run, with their size and subnets: default Fargate tasks of 256 CPU units and 512 MiB in
    /// the VPC's private subnets ([`Compute::fargate`]); [`Compute::ec2`] runs them on the cluster's EC2
    /// capacity providers. A caller-built task definition must be built for the same compute.
    pub compute: Compute,
    pub family: Option<Value<String>>,
    /// Default: created with exactly what the container needs.
    pub execution_role: Option<Role>,
    pub task_role: Option<Role>,
    /// Default 1 (may be a late-bound value).
    pub desired_count: Value<i64>,
    pub service_name: Option<Value<String>>,
    /// ACM certificates: when given, the listener is HTTPS on 443 and port 80 redirects to it.
    pub certificate_arns: Vec<Value<String>>,
    /// Listener port (default 80 for HTTP, 443 for HTTPS).
    pub listener_port: Option<u16>,
    pub ssl_policy: Option<String>,
    /// Domain name for [`LoadBalancedFargateService::service_url`] (default: the ALB's DNS name).
    pub domain_name: Option<String>,
    pub health_check: HealthCheck,
    pub target_group_name: Option<Value<String>>,
    pub load_balancer_name: Option<String>,
    /// Default true (see [`AlbProps::deletion_protection`]).
    pub deletion_protection: bool,
    pub access_logs: Option<AccessLogs>,
    pub idle_timeout_secs: Option<u32>,
    /// Security groups of the tasks (e.g. an environment's container security group, `SecurityGroup::from_id`);
    /// empty (default) creates one. The load balancer is allowed in on the container port either way; a group
    /// the tasks should wear without that rule goes through [`LoadBalancedFargateService::add_security_group`].
    pub service_security_groups: Vec<SecurityGroup>,
    pub min_healthy_percent: u32,
    pub max_percent: u32,
    /// Default 60 s.
    pub health_check_grace_period_secs: Option<u32>,
    pub enable_execute_command: bool,
    /// Cloud Map services the tasks register in (see [`FargateServiceProps::service_registry_arns`]).
    pub service_registry_arns: Vec<Value<String>>,
    pub auto_scaling: Option<AutoScalingOptions>,
    /// Add the `LoadBalancerDNS` and `ServiceURL` outputs (default true).
    pub outputs: bool,
}

impl LoadBalancedFargateServiceProps {
    /// A public HTTP service running `image` in the private subnets of `vpc`.
    pub fn new(cluster: Cluster, vpc: VpcRef, image: ContainerImage) -> Self {
        let compute = Compute::fargate(vpc.private_subnet_ids.clone());
        LoadBalancedFargateServiceProps {
            cluster,
            vpc,
            load_balancer_subnets: None,
            public_load_balancer: true,
            task: TaskSource::Image(TaskImageOptions::new(image)),
            compute,
            family: None,
            execution_role: None,
            task_role: None,
            desired_count: Value::from(1),
            service_name: None,
            certificate_arns: Vec::new(),
            listener_port: None,
            ssl_policy: None,
            domain_name: None,
            health_check: HealthCheck::default(),
            target_group_name: None,
            load_balancer_name: None,
            deletion_protection: true,
            access_logs: None,
            idle_timeout_secs: None,
            service_security_groups: Vec::new(),
            min_healthy_percent: 100,
            max_percent: 200,
            health_check_grace_period_secs: Some(60),
            enable_execute_command: false,
            service_registry_arns: Vec::new(),
            auto_scaling: None,
            outputs: true,
        }
    }
}

/// [`LoadBalancedFargateService`] by what it is once its compute may be EC2.
pub type LoadBalancedService = LoadBalancedFargateService;

/// [`LoadBalancedFargateServiceProps`] by what they are once their compute may be EC2.
pub type LoadBalancedServiceProps = LoadBalancedFargateServiceProps;

/// An application-load-balanced ECS service on Fargate or EC2 (see the module documentation).
#[derive(Clone, Debug)]
pub struct LoadBalancedFargateService {
    pub(super) load_balancer: ApplicationLoadBalancer,
    pub(super) listener: ApplicationListener,
    pub(super) redirect_listener: Option<ApplicationListener>,
    pub(super) target_group: ApplicationTargetGroup,
    pub(super) service: FargateService,
    pub(super) task_definition: FargateTaskDefinition,
    pub(super) scaling: Option<ScalableTaskCount>,
    pub(super) scaling_policies: Vec<Handle<aas::ScalingPolicy>>,
    pub(super) step_scaling: Option<StepScalingPolicy>,
    pub(super) url: Value<String>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
}

impl LoadBalancedFargateService {
    pub fn new(scope: &mut Scope, id: &str, props: LoadBalancedFargateServiceProps) -> Self {
        let mut child = scope.child(id);
        let node = child.node_id();
        let path = child.path();
        let https = !props.certificate_arns.is_empty();

        check_props(&mut child, &props, https);
        let lb_subnets = subnets(&mut child, &props);

        // Task definition and container.
        let (task_definition, container_name, container_port) = task_definition(&mut child, &props);

        // Load balancer, target group, listeners.
        let alb = ApplicationLoadBalancer::new(
            &mut child,
            "LB",
            AlbProps {
                vpc_id: props.vpc.vpc_id.clone(),
                subnets: lb_subnets,
                internet_facing: props.public_load_balancer,
                name: props.load_balancer_name.clone(),
                drop_invalid_header_fields: true,
                deletion_protection: props.deletion_protection,
                access_logs: props.access_logs.clone(),
                idle_timeout_secs: props.idle_timeout_secs,
                security_group: None,
            },
        );
        let target_group = ApplicationTargetGroup::new(
            &mut child,
            "TargetGroup",
            TargetGroupProps {
                vpc_id: props.vpc.vpc_id.clone(),
                port: container_port.clone(),
                protocol: ApplicationProtocol::Http,
                target_type: TargetType::Ip,
                health_check: props.health_check.clone(),
                name: props.target_group_name.clone(),
                deregistration_delay_secs: None,
            },
        );
        let stack = child.stack();
        let (listener, redirect_listener) = add_listeners(stack, &path, &props, &alb, &target_group, https);

        // Service.
        let service = add_service(
            stack,
            node,
            &props,
            (&task_definition, &container_name, &container_port),
            (&alb, &target_group),
        );

        // Auto scaling.
        let (scaling, scaling_policies, step_scaling) = add_auto_scaling(stack, &path, &props, &service, &target_group);

        let scheme = if https { "https" } else { "http" };
        let url = match &props.domain_name {
            Some(d) => Value::from(format!("{scheme}://{d}")),
            None => fns::sub(&format!("{scheme}://${{Dns}}"), [("Dns", alb.dns_name().into_expr())]),
        };
        if props.outputs {
            add_outputs(stack, node, &alb, &url);
        }
        LoadBalancedFargateService {
            load_balancer: alb,
            listener,
            redirect_listener,
            target_group,
            service,
            task_definition,
            scaling,
            scaling_policies,
            step_scaling,
            url,
            path,
            node: Some(node),
        }
    }

    /// `http(s)://<load balancer DNS name or domain name>`.
    pub fn service_url(&self) -> Value<String> {
        self.url.clone()
    }

    pub fn load_balancer(&self) -> &ApplicationLoadBalancer {
        &self.load_balancer
    }

    /// The listener forwarding to the target group (HTTPS when a certificate is given).
    pub fn listener(&self) -> &ApplicationListener {
        &self.listener
    }

    /// The port-80 HTTP→HTTPS redirect listener, when a certificate is given.
    pub fn redirect_listener(&self) -> Option<&ApplicationListener> {
        self.redirect_listener.as_ref()
    }

    pub fn target_group(&self) -> &ApplicationTargetGroup {
        &self.target_group
    }

    pub fn service(&self) -> &FargateService {
        &self.service
    }

    /// Adds `group` to the tasks' security groups, after `service_security_groups` (or the created group),
    /// without opening it to the load balancer: for a group the tasks wear as an identity, such as an
    /// environment's shared container group (see [`FargateService::add_security_group`]).
    pub fn add_security_group(&mut self, stack: &mut Stack, group: SecurityGroup) {
        self.service.add_security_group(stack, group);
    }

    pub fn task_definition(&self) -> &FargateTaskDefinition {
        &self.task_definition
    }

    pub fn scaling(&self) -> Option<&ScalableTaskCount> {
        self.scaling.as_ref()
    }

    pub fn scaling_policies(&self) -> &[Handle<aas::ScalingPolicy>] {
        &self.scaling_policies
    }

    pub fn step_scaling(&self) -> Option<&StepScalingPolicy> {
        self.step_scaling.as_ref()
    }
}

impl Construct for LoadBalancedFargateService {
    fn node_id(&self) -> Option<NodeId> {
        self.node
    }
    fn path(&self) -> &str {
        &self.path
    }
}

// Steps of `LoadBalancedFargateService::new`.

/// Pattern-level checks; the constructs below record their own.
fn check_props(child: &mut Scope, props: &LoadBalancedFargateServiceProps, https: bool) {
    // Pattern-level checks; the constructs below record their own.
    if https && props.listener_port == Some(80) {
        child.error("with a certificate the listener is HTTPS; port 80 is taken by the HTTP->HTTPS redirect");
    }
}

/// The task definition with its container (or the caller's), and the target container's name and port.
fn task_definition(
    child: &mut Scope,
    props: &LoadBalancedFargateServiceProps,
) -> (FargateTaskDefinition, String, Value<i64>) {
    match &props.task {
        TaskSource::Image(opts) => {
            let roles = TaskRoles {
                family: props.family.clone(),
                execution_role: props.execution_role.clone(),
                task_role: props.task_role.clone(),
            };
            let td = compute::task_definition(child, &props.compute, roles);
            let mut c = ContainerProps::new(opts.image.clone());
            c.port_mappings = vec![opts.container_port.clone()];
            c.environment = opts.environment.clone();
            c.secrets = opts.secrets.clone();
            c.logging = Logging::AwsLogs {
                log_group: opts.log_group.clone(),
                stream_prefix: opts.stream_prefix.clone(),
            };
            c.user = opts.user.clone();
            c.readonly_root_filesystem = opts.readonly_root_filesystem;
            c.writable_paths = opts.writable_paths.clone();
            c.health_check = opts.health_check.clone();
            c.command = opts.command.clone();
            td.add_container(child.stack(), &opts.container_name, c);
            (td, opts.container_name.clone(), opts.container_port.clone())
        }
        TaskSource::Definition {
            task_definition,
            container,
            port,
        } => (task_definition.clone(), container.clone(), port.clone()),
    }
}

/// The HTTPS listener and the HTTP redirect (with certificates), or one HTTP listener.
fn add_listeners(
    stack: &mut Stack,
    path: &str,
    props: &LoadBalancedFargateServiceProps,
    alb: &ApplicationLoadBalancer,
    target_group: &ApplicationTargetGroup,
    https: bool,
) -> (ApplicationListener, Option<ApplicationListener>) {
    if https {
        let port = props.listener_port.unwrap_or(443);
        let mut lp = ListenerProps::https(
            port,
            props.certificate_arns.clone(),
            ListenerAction::forward(target_group),
        );
        lp.ssl_policy = props.ssl_policy.clone();
        lp.open = props.public_load_balancer;
        let l = alb.add_listener(stack, "HttpsListener", lp);
        let mut redirect = ListenerProps::http(80, ListenerAction::redirect_to_https(port));
        redirect.open = props.public_load_balancer;
        let r = alb.add_listener(stack, "RedirectHttp", redirect);
        (l, Some(r))
    } else {
        let mut lp = ListenerProps::http(props.listener_port.unwrap_or(80), ListenerAction::forward(target_group));
        lp.open = props.public_load_balancer;
        if props.ssl_policy.is_some() {
            stack.error(path, "ssl_policy needs certificate_arns (an HTTPS listener)");
        }
        (alb.add_listener(stack, "Listener", lp), None)
    }
}

/// The service, registered in the target group and reachable from the load balancer.
fn add_service(
    stack: &mut Stack,
    node: NodeId,
    props: &LoadBalancedFargateServiceProps,
    (task_definition, container_name, container_port): (&FargateTaskDefinition, &str, &Value<i64>),
    (alb, target_group): (&ApplicationLoadBalancer, &ApplicationTargetGroup),
) -> FargateService {
    let spec = ServiceSpec {
        vpc_id: Some(props.vpc.vpc_id.clone()),
        desired_count: props.desired_count.clone(),
        min_healthy_percent: props.min_healthy_percent,
        max_percent: props.max_percent,
        service_name: props.service_name.clone(),
        enable_execute_command: props.enable_execute_command,
        health_check_grace_period_secs: props.health_check_grace_period_secs,
        service_registry_arns: props.service_registry_arns.clone(),
        ..ServiceSpec::new(
            props.cluster.clone(),
            task_definition.clone(),
            props.service_security_groups.clone(),
        )
    };
    let service = compute::service(stack, node, &props.compute, spec);
    service.attach_to_target_group(stack, target_group, container_name, container_port.clone());
    service.connections().allow_from_at(
        stack,
        RulePlace::Node(node),
        alb,
        Port::tcp_value(container_port.clone()),
        "Load balancer to the service's container port",
    );
    service
}

type Scaling = (
    Option<ScalableTaskCount>,
    Vec<Handle<aas::ScalingPolicy>>,
    Option<StepScalingPolicy>,
);

/// The auto-scaled task count and its policies, when `auto_scaling` is set.
fn add_auto_scaling(
    stack: &mut Stack,
    path: &str,
    props: &LoadBalancedFargateServiceProps,
    service: &FargateService,
    target_group: &ApplicationTargetGroup,
) -> Scaling {
    let mut scaling = None;
    let mut scaling_policies = Vec::new();
    let mut step_scaling = None;
    if let Some(a) = &props.auto_scaling {
        let count = service.auto_scale_task_count(stack, a.min_capacity, a.max_capacity);
        if let Some(t) = a.cpu_target_percent {
            scaling_policies.push(count.scale_on_cpu_utilization(stack, t));
        }
        if let Some(t) = a.memory_target_percent {
            scaling_policies.push(count.scale_on_memory_utilization(stack, t));
        }
        if let Some(r) = a.requests_per_target {
            scaling_policies.push(count.scale_on_request_count(stack, r, target_group));
        }
        if let Some(steps) = &a.cpu_steps {
            step_scaling = Some(count.scale_on_cpu_steps(stack, steps.clone()));
        }
        if a.cpu_target_percent.is_none()
            && a.memory_target_percent.is_none()
            && a.requests_per_target.is_none()
            && a.cpu_steps.is_none()
        {
            stack.warning(
                path,
                "auto_scaling has no policy: the task count only stays within its range",
            );
        }
        scaling = Some(count);
    }
    (scaling, scaling_policies, step_scaling)
}

fn add_outputs(stack: &mut Stack, node: NodeId, alb: &ApplicationLoadBalancer, url: &Value<String>) {
    let mut out_scope = stack.scope(node);
    out_scope.add_output(
        "LoadBalancerDNS",
        Output::new(alb.dns_name()).description("DNS name of the load balancer"),
    );
    out_scope.add_output(
        "ServiceURL",
        Output::new(url.clone()).description("The URL to access the service"),
    );
}

/// The load balancer's subnets (public or private by `public_load_balancer`); the tasks' are the compute's.
fn subnets(child: &mut Scope, props: &LoadBalancedFargateServiceProps) -> Vec<Value<String>> {
    let lb_subnets = props.load_balancer_subnets.clone().unwrap_or_else(|| {
        if props.public_load_balancer {
            props.vpc.public_subnet_ids.clone()
        } else {
            props.vpc.private_subnet_ids.clone()
        }
    });
    if props.compute.subnets().is_empty() {
        child.error("the VPC has no private subnets for the tasks; give the compute its subnets");
    }
    lb_subnets
}
