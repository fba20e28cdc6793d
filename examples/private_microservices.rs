//! Private microservices on Fargate: an AWS Proton environment template `private-vpc` and two service
//! templates written against it.
//!
//! - `private-vpc` (environment): a VPC over two Availability Zones with public subnets and private subnets
//!   that reach the internet through one NAT gateway per AZ, VPC flow logs, an ECS cluster, a Cloud Map
//!   private DNS namespace, a bucket for load-balancer access logs, and the **frontend security group**: the
//!   identity of "callers allowed into the private services" (egress: HTTPS only, plus what each private
//!   service opens). Its outputs are the contract of the two service templates ([`PrivateVpc`]).
//! - `public-web-svc` (service): an internet-facing ALB (HTTPS with the `certificate_arn` input, HTTP
//!   redirected, access logs to the environment's bucket, deletion protection on) in the public subnets in
//!   front of Fargate tasks in the private subnets without public IPs. The tasks wear the environment's
//!   frontend security group in addition to their own (which only the ALB may reach). Deletion protection
//!   means an instance's stack can only be deleted after turning it off on the load balancer.
//! - `private-api-svc` (service): Fargate tasks in the private subnets, registered in Cloud Map
//!   (`<discovery_name>.<namespace>`, A records), whose security group accepts exactly one ingress: the
//!   container port from the frontend security group. The matching egress rule on the frontend group is
//!   created by this template too, so nothing else in the frontend group's egress is opened.
//!
//! The wiring is typed: both service templates read the environment through [`PrivateVpc::read`], which
//! turns the output names declared once in [`outputs`] into a `VpcRef`, a `Cluster` and a `SecurityGroup`;
//! synthesis fails if the environment template stops exporting any of them.
//!
//! Constructs: L2 everywhere (VPC, cluster, namespace, security groups, ALB, task definitions, services,
//! bucket) except the Cloud Map service of `private-api-svc`: the L2 `servicediscovery::Service` needs a
//! namespace built in the same template and a literal name (here the namespace is an environment output and
//! the name an input), so it is the L1 resource, registered in the ECS service with
//! `FargateServiceProps::service_registry_arns`.
//!
//! Neither service template has a pipeline: create the services in Proton with
//! `--pipeline-provisioning CUSTOMER_MANAGED` (or `proton-synth render` them and deploy with your own CI).
//!
//! ```sh
//! cargo run --example private_microservices -- synth --out out/private_microservices
//! ```

use proton_synth::app::App;
use proton_synth::constructs::cfn;
use proton_synth::constructs::ec2::{
    Connectable, Peer, Port, SecurityGroup, SecurityGroupProps, Vpc, VpcProps, VpcRef,
};
use proton_synth::constructs::ecs::{
    Cluster, ClusterProps, ContainerImage, ContainerProps, FargateService, FargateServiceProps, FargateTaskDefinition,
    FargateTaskDefinitionProps,
};
use proton_synth::constructs::elbv2::{
    AccessLogs, AlbProps, ApplicationLoadBalancer, ApplicationProtocol, ApplicationTargetGroup, HealthCheck,
    ListenerAction, ListenerProps, TargetGroupProps, TargetType,
};
use proton_synth::constructs::s3::Bucket;
use proton_synth::constructs::servicediscovery::{PrivateDnsNamespace, PrivateDnsNamespaceProps};
use proton_synth::constructs::{fns, Scope, Value};
use proton_synth::proton::{EnvironmentTemplate, Input, InputDef, Instance, ServiceTemplate};

/// Output names of `private-vpc`: declared by the environment template and read by the service templates
/// from these constants only.
pub mod outputs {
    pub const VPC_ID: &str = "VpcId";
    pub const PUBLIC_SUBNETS: [&str; 2] = ["PublicSubnetOne", "PublicSubnetTwo"];
    pub const PRIVATE_SUBNETS: [&str; 2] = ["PrivateSubnetOne", "PrivateSubnetTwo"];
    pub const CLUSTER_NAME: &str = "ClusterName";
    pub const NAMESPACE_ID: &str = "NamespaceId";
    pub const NAMESPACE_NAME: &str = "NamespaceName";
    pub const FRONTEND_SECURITY_GROUP: &str = "FrontendSecurityGroupId";
    pub const LOAD_BALANCER_LOGS_BUCKET: &str = "LoadBalancerLogsBucket";
}

/// Key prefix of load-balancer access logs in the environment's log bucket.
pub const LOAD_BALANCER_LOGS_PREFIX: &str = "alb";

/// What a service of `private-vpc` gets from its environment, typed.
pub struct PrivateVpc {
    pub vpc: VpcRef,
    pub cluster: Cluster,
    /// Tasks that may call the private services wear this group.
    pub frontend: SecurityGroup,
    pub namespace_id: Value<String>,
    pub namespace_name: Value<String>,
    /// Where load balancers write their access logs.
    pub load_balancer_logs: AccessLogs,
}

impl PrivateVpc {
    /// Read the environment's outputs in a service template (`environment.outputs.*` in the bundle,
    /// `Fn::ImportValue` in plain CloudFormation).
    pub fn read(svc: &mut ServiceTemplate) -> PrivateVpc {
        let vpc = VpcRef {
            vpc_id: svc.env_output(outputs::VPC_ID),
            public_subnet_ids: outputs::PUBLIC_SUBNETS.iter().map(|o| svc.env_output(o)).collect(),
            private_subnet_ids: outputs::PRIVATE_SUBNETS.iter().map(|o| svc.env_output(o)).collect(),
            isolated_subnet_ids: Vec::new(),
        };
        PrivateVpc {
            vpc,
            cluster: Cluster::from_name(svc.env_output(outputs::CLUSTER_NAME)),
            frontend: SecurityGroup::from_id(svc.env_output(outputs::FRONTEND_SECURITY_GROUP)),
            namespace_id: svc.env_output(outputs::NAMESPACE_ID),
            namespace_name: svc.env_output(outputs::NAMESPACE_NAME),
            load_balancer_logs: AccessLogs::new(
                svc.env_output(outputs::LOAD_BALANCER_LOGS_BUCKET),
                Some(LOAD_BALANCER_LOGS_PREFIX),
            ),
        }
    }
}

/// The environment template `private-vpc`.
pub fn environment() -> EnvironmentTemplate {
    let mut env = EnvironmentTemplate::new("private-vpc").description(
        "VPC with public and private subnets, ECS cluster and Cloud Map namespace for private microservices",
    );
    let namespace_name = env.input(
        InputDef::string("namespace_name")
            .title("Service discovery namespace")
            .description("Private DNS namespace the private services register in (<service>.<namespace>)")
            .default("svc.internal")
            .pattern("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
            .max_length(253),
    );

    let mut root = env.root();
    // Default layout: a public and a private (NAT) /24 in each of 2 AZs, one NAT gateway per AZ, flow logs.
    let vpc = Vpc::new(&mut root, "Vpc", VpcProps::default());
    let cluster = Cluster::new(&mut root, "Cluster", ClusterProps::default());
    let namespace = PrivateDnsNamespace::new(
        &mut root,
        "Namespace",
        PrivateDnsNamespaceProps {
            name: namespace_name.value(),
            vpc_id: vpc.vpc_id(),
            description: Some("Service discovery for the private services of this environment".to_owned()),
        },
    );
    let frontend = SecurityGroup::new(
        &mut root,
        "FrontendSecurityGroup",
        SecurityGroupProps {
            vpc_id: vpc.vpc_id(),
            description: "Frontend tasks: the only callers the private services accept".to_owned(),
            ..SecurityGroupProps::default()
        },
    );
    // Image pulls, logs and AWS APIs through the NAT gateways. Egress to each private service is added by
    // that service's template.
    frontend
        .connections()
        .allow_to_any_ipv4(root.stack(), Port::tcp(443), "HTTPS to AWS APIs and registries");

    // Access logs of the services' load balancers (SSE-S3: load balancers cannot write SSE-KMS objects).
    let lb_logs = Bucket::new_access_log_bucket(&mut root, "LoadBalancerLogs");
    lb_logs.allow_elb_access_logs(root.stack(), Some(LOAD_BALANCER_LOGS_PREFIX));

    let public = vpc.public_subnet_ids();
    let private = vpc.private_subnet_ids();
    env.output_with_description(outputs::VPC_ID, vpc.vpc_id(), Some("The VPC"));
    for (name, id) in outputs::PUBLIC_SUBNETS.iter().zip(public) {
        env.output_with_description(name, id, Some("A public subnet (load balancers)"));
    }
    for (name, id) in outputs::PRIVATE_SUBNETS.iter().zip(private) {
        env.output_with_description(name, id, Some("A private subnet with NAT egress (tasks)"));
    }
    env.output_with_description(outputs::CLUSTER_NAME, cluster.name(), Some("The ECS cluster"));
    env.output_with_description(outputs::NAMESPACE_ID, namespace.id(), Some("Cloud Map namespace id"));
    env.output_with_description(
        outputs::NAMESPACE_NAME,
        namespace.name(),
        Some("Cloud Map namespace (DNS suffix of the private services)"),
    );
    env.output_with_description(
        outputs::FRONTEND_SECURITY_GROUP,
        frontend.id(),
        Some("Security group of the tasks allowed to call the private services"),
    );
    env.output_with_description(
        outputs::LOAD_BALANCER_LOGS_BUCKET,
        lb_logs.name(),
        Some("Bucket for load-balancer access logs (prefix alb)"),
    );
    env
}

/// Inputs both service templates declare.
struct TaskInputs {
    image: Input<Instance, String>,
    port: Input<Instance, f64>,
    desired_count: Input<Instance, f64>,
}

fn task_inputs(svc: &mut ServiceTemplate, default_image: &str) -> TaskInputs {
    TaskInputs {
        image: svc.instance_input(
            InputDef::string("image")
                .title("Container image")
                .description("Image reference; the container runs as user 1000 with a read-only root filesystem")
                .default(default_image)
                .min_length(1)
                .max_length(255),
        ),
        port: svc.instance_input(
            InputDef::number("port")
                .title("Container port")
                .default(8080.0)
                .minimum(1024.0)
                .maximum(65535.0),
        ),
        desired_count: svc.instance_input(
            InputDef::number("desired_count")
                .title("Number of tasks")
                .default(2.0)
                .minimum(1.0)
                .maximum(10.0),
        ),
    }
}

/// A task definition with one container `app` listening on the `port` input.
fn task_definition(
    svc: &mut ServiceTemplate,
    inputs: &TaskInputs,
    env_vars: &[(&str, Value<String>)],
) -> FargateTaskDefinition {
    let td = FargateTaskDefinition::new(&mut svc.instance(), "TaskDef", FargateTaskDefinitionProps::default());
    let mut c = ContainerProps::new(ContainerImage::registry(inputs.image.value()));
    c.port_mappings = vec![inputs.port.as_integer()];
    c.writable_paths = vec!["/tmp".to_owned()];
    for (k, v) in env_vars {
        c.environment.insert((*k).to_owned(), v.clone());
    }
    td.add_container(svc.instance_stack_mut(), "app", c);
    td
}

/// The internet-facing load balancer in the public subnets (access logs to the environment's bucket): HTTPS on
/// 443 with `certificate` forwarding to the tasks' target group on `port`, HTTP redirected to HTTPS.
fn https_load_balancer(
    root: &mut Scope,
    env: &PrivateVpc,
    certificate: Value<String>,
    port: Value<i64>,
) -> (ApplicationLoadBalancer, ApplicationTargetGroup) {
    let alb = ApplicationLoadBalancer::new(
        root,
        "LoadBalancer",
        AlbProps {
            access_logs: Some(env.load_balancer_logs.clone()),
            ..AlbProps::new(env.vpc.vpc_id.clone(), env.vpc.public_subnet_ids.clone(), true)
        },
    );
    let target_group = ApplicationTargetGroup::new(
        root,
        "TargetGroup",
        TargetGroupProps {
            protocol: ApplicationProtocol::Http,
            target_type: TargetType::Ip,
            health_check: HealthCheck::http("/"),
            ..TargetGroupProps::new(env.vpc.vpc_id.clone(), port)
        },
    );
    let stack = root.stack();
    alb.add_listener(
        stack,
        "HttpsListener",
        ListenerProps::https(443, vec![certificate], ListenerAction::forward(&target_group)),
    );
    alb.redirect_http_to_https(stack, 443);
    (alb, target_group)
}

/// The service template `public-web-svc`: internet-facing ALB → Fargate tasks in the private subnets.
pub fn public_service(env: &EnvironmentTemplate) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new("public-web-svc", &[env.interface()]).description(
        "Public web service: HTTPS load balancer in the public subnets, Fargate tasks in the private subnets",
    );
    let env = PrivateVpc::read(&mut svc);
    let inputs = task_inputs(&mut svc, "public.ecr.aws/nginx/nginx-unprivileged:stable");
    let certificate = svc.instance_input(
        InputDef::string("certificate_arn")
            .title("ACM certificate")
            .description("Certificate of the HTTPS listener")
            .pattern("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$")
            .example("arn:aws:acm:us-east-1:111122223333:certificate/0123abcd-4567-89ab-cdef-0123456789ab")
            .required(),
    );
    let backend_url = svc.instance_input(
        InputDef::string("backend_url")
            .title("Private service URL")
            .description("Where the tasks reach the private service: http://<discovery_name>.<namespace>:<port>")
            .default("http://api.svc.internal:8080")
            .pattern("^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[^ ]*)?$"),
    );
    let port = inputs.port.as_integer();
    let (alb, target_group) = https_load_balancer(&mut svc.instance(), &env, certificate.value(), port.clone());
    let td = task_definition(&mut svc, &inputs, &[("BACKEND_URL", backend_url.value())]);
    let mut root = svc.instance();
    // The tasks' own group: reachable from the load balancer only.
    let task_sg = SecurityGroup::new(
        &mut root,
        "TaskSecurityGroup",
        SecurityGroupProps {
            vpc_id: env.vpc.vpc_id.clone(),
            description: "Public web tasks: ingress from their load balancer only".to_owned(),
            ..SecurityGroupProps::default()
        },
    );
    task_sg.connections().allow_from(
        root.stack(),
        &alb,
        Port::tcp_value(port.clone()),
        "Load balancer to the container port",
    );
    let mut props = FargateServiceProps::new(env.cluster.clone(), td, env.vpc.private_subnet_ids.clone());
    // The environment's frontend group is what lets these tasks into the private services.
    props.security_groups = vec![task_sg, env.frontend.clone()];
    props.desired_count = inputs.desired_count.as_integer();
    props.health_check_grace_period_secs = Some(60);
    let service = FargateService::new(&mut root, "Service", props);
    service.attach_to_target_group(svc.instance_stack_mut(), &target_group, "app", port);

    svc.instance_output(
        "ServiceURL",
        fns::sub("https://${Dns}", [("Dns", alb.dns_name().into_expr())]),
    );
    svc
}

/// The service template `private-api-svc`: Fargate tasks reachable only from the frontend security group.
pub fn private_service(env: &EnvironmentTemplate) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new("private-api-svc", &[env.interface()])
        .description("Private microservice: Fargate tasks in the private subnets, reachable only from the frontend security group through Cloud Map");
    let env = PrivateVpc::read(&mut svc);
    let inputs = task_inputs(&mut svc, "public.ecr.aws/nginx/nginx-unprivileged:stable");
    let discovery_name = svc.instance_input(
        InputDef::string("discovery_name")
            .title("Service discovery name")
            .description("DNS label in the environment's namespace; unique per environment")
            .default("api")
            .pattern("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
            .unique_per_instance(),
    );
    let port = inputs.port.as_integer();

    let mut root = svc.instance();
    let task_sg = SecurityGroup::new(
        &mut root,
        "TaskSecurityGroup",
        SecurityGroupProps {
            vpc_id: env.vpc.vpc_id.clone(),
            description: "Private service tasks: ingress from the frontend security group only".to_owned(),
            ..SecurityGroupProps::default()
        },
    );
    task_sg.add_ingress_rule(
        root.stack(),
        Peer::security_group(&env.frontend),
        Port::tcp_value(port.clone()),
        "Frontend tasks to the container port",
    );
    // The frontend group restricts egress: open it towards this service only.
    env.frontend.add_egress_rule(
        root.stack(),
        Peer::security_group(&task_sg),
        Port::tcp_value(port.clone()),
        "Frontend tasks to the private service",
    );
    task_sg
        .connections()
        .allow_to_any_ipv4(root.stack(), Port::tcp(443), "HTTPS to AWS APIs and registries");

    let mut discovery = cfn::servicediscovery::Service::new();
    discovery.name = Some(discovery_name.value());
    discovery.description = Some("Tasks of the private service".into());
    discovery.dns_config = Some(cfn::servicediscovery::service::DnsConfig {
        namespace_id: Some(env.namespace_id.clone()),
        routing_policy: Some("MULTIVALUE".into()),
        ..cfn::servicediscovery::service::DnsConfig::new(vec![cfn::servicediscovery::service::DnsRecord::new(10, "A")])
    });
    discovery.health_check_custom_config = Some(cfn::servicediscovery::service::HealthCheckCustomConfig {
        failure_threshold: Some(1.into()),
    });
    let registry = root.add("Discovery", discovery);

    let td = task_definition(&mut svc, &inputs, &[]);
    let mut root = svc.instance();
    let mut props = FargateServiceProps::new(env.cluster.clone(), td, env.vpc.private_subnet_ids.clone());
    props.security_groups = vec![task_sg];
    props.desired_count = inputs.desired_count.as_integer();
    props.service_registry_arns = vec![registry.attr_arn()];
    FargateService::new(&mut root, "Service", props);

    svc.instance_output(
        "DiscoveryName",
        fns::sub(
            "${Name}.${Namespace}",
            [
                ("Name", discovery_name.value().into_expr()),
                ("Namespace", env.namespace_name.clone().into_expr()),
            ],
        ),
    );
    svc
}

/// The program's templates; `main` hands them to the CLI, tests snapshot them.
pub fn app() -> App {
    let env = environment();
    let public = public_service(&env);
    let private = private_service(&env);
    let mut app = App::new("private-microservices");
    app.add_environment(env);
    app.add_service(public);
    app.add_service(private);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(proton_synth::cli::run_lazily(app));
}
