//! AWS's catalog set `public-private-fargate-microservices` (aws-proton-cloudformation-sample-templates):
//! the environment `microservices-env` (`microservices_env.rs`, included below) and its two service templates,
//! `loadbalanced-public-svc` and `private-fargate-svc`, rewritten with typed constructs. What they share with
//! the catalog's other Fargate services (inputs, log group, names, pipeline) comes from
//! `backend_fargate_svc.rs`, included below.
//!
//! At input parity with the samples: the instance inputs `port` (default 80 for the public service, 8080 for
//! the private one), `desired_count`, `task_size`, `image` and the required `service_discovery_name`; the
//! pipeline inputs `dockerfile`, `unit_test_command`; the outputs `ServiceEndpoint` (public) and
//! `ServiceDiscovery` (both). What they build:
//!
//! - `loadbalanced-public-svc`, with the L3 `patterns::LoadBalancedFargateService`: an internet-facing load
//!   balancer on port 80 in the public subnets in front of Fargate tasks, registered in Cloud Map as
//!   `service_discovery_name` in the environment's namespace, scaling 1–10 tasks in the sample's CPU steps
//!   (≤ 20 %: −1; ≥ 70 %: +1, ≥ 85 %: +2, ≥ 95 %: +3).
//! - `private-fargate-svc`: Fargate tasks in the private subnets, registered in Cloud Map as
//!   `service_discovery_name` (A records, 60 s), reachable on `port` from the tasks of the environment (its
//!   container security group) and from nothing else.
//!
//! `service_discovery_name` keeps the sample's free text (3–24 characters, no `pattern`: a pattern would refuse
//! specs the sample accepted, and the parity rules allow a deviation to narrow an enum only); Cloud Map refuses
//! a name that is not a DNS label when the instance is deployed. It is declared `unique_per_instance()`, so the
//! generated specs give each instance its own name (Cloud Map names are unique per namespace).
//!
//! Deviations, and why:
//!
//! - The public service's tasks run in the private subnets without public IPs (the sample: public subnets with
//!   public IPs, reachable directly); its load balancer admits port 80 from the internet only (the sample:
//!   every protocol and port) and reaches the tasks on their container port only (the sample: every protocol
//!   into the environment's shared container group, so every task of the environment); it drops invalid
//!   headers and writes access logs to its own bucket.
//! - The private service's tasks admit `port` from the environment's container group, whose egress this
//!   template opens towards them on that port (the sample's private tasks admitted nothing: its own public
//!   service could not call them). Both services' tasks wear the container group (the callers' identity) and
//!   a group of their own; out: HTTPS only.
//! - Task roles without permissions (the sample: none); log groups below `/proton/<environment>/` (one year),
//!   where the environment's execution role may write; read-only root filesystems; the default nginx image
//!   runs as its own (root) user: suppressed with that reason. The deployments roll back on failure and keep
//!   100 % of the tasks healthy.
//! - Kept, with the reason in the metadata: HTTP only (the sample has no certificate input), no deletion
//!   protection on the load balancer (it is deleted with its instance).
//! - Containers are named `app` (the sample: the instance's name); outputs `ServiceName` and `TaskRoleArn` are
//!   added for the pipeline, which is the one of `lb_fargate_svc.rs` (build, push to ECR, one ECS deploy stage
//!   per instance) without Proton API calls and with least-privilege roles.
//!
//! ```sh
//! cargo run --example public_private_fargate_microservices -- synth --out out/public_private_fargate_microservices
//! ```

#[path = "backend_fargate_svc.rs"]
pub mod backend_fargate_svc;
// microservices_env includes its own copy of fargate_env (for the execution role; each example is a
// standalone program), as backend_fargate_svc does: two separate modules, which is harmless.
#[allow(clippy::duplicate_mod)]
#[path = "microservices_env.rs"]
pub mod microservices_env;

use backend_fargate_svc::{
    desired_count_input, image_input, lb_fargate_svc, log_group, task_size_input, Names, ROOT_USER_REASON,
};
use lb_fargate_svc::{docker_ecs_pipeline, DockerPipeline, CONTAINER_NAME};
use microservices_env::outputs;
use proton_synth::app::App;
use proton_synth::constructs::ec2::{Peer, Port, SecurityGroup, VpcRef};
use proton_synth::constructs::ecs::{
    aws_sample_cpu_steps, task_security_group, Cluster, ContainerImage, ContainerProps, FargateService,
    FargateServiceProps, FargateTaskDefinition, FargateTaskDefinitionProps, Logging, TaskSizeMapping,
};
use proton_synth::constructs::elbv2::{AccessLogs, HealthCheck};
use proton_synth::constructs::iam::Role;
use proton_synth::constructs::logs::LogGroup;
use proton_synth::constructs::nag::{self, Tool};
use proton_synth::constructs::patterns::{
    AutoScalingOptions, LoadBalancedFargateService, LoadBalancedFargateServiceProps, TaskImageOptions, TaskSource,
};
use proton_synth::constructs::{cfn, s3, Handle, Scope, Stack, Value};
use proton_synth::proton::{EnvironmentInterface, Input, InputDef, Instance, ServiceTemplate};

/// The Proton template names.
pub const PUBLIC_TEMPLATE_NAME: &str = "loadbalanced-public-svc";
pub const PRIVATE_TEMPLATE_NAME: &str = "private-fargate-svc";

/// What a service of `microservices-env` reads from its environment (`environment.outputs.*`).
pub struct MicroservicesEnv {
    pub vpc: VpcRef,
    pub cluster: Cluster,
    pub execution_role: Role,
    /// Worn by every task of the environment: the callers the private services admit.
    pub container_sg: SecurityGroup,
    pub namespace_id: Value<String>,
}

impl MicroservicesEnv {
    pub fn read(svc: &mut ServiceTemplate) -> MicroservicesEnv {
        MicroservicesEnv {
            vpc: VpcRef {
                vpc_id: svc.env_output(outputs::VPC_ID),
                public_subnet_ids: outputs::PUBLIC_SUBNETS.iter().map(|o| svc.env_output(o)).collect(),
                private_subnet_ids: outputs::PRIVATE_SUBNETS.iter().map(|o| svc.env_output(o)).collect(),
                isolated_subnet_ids: Vec::new(),
            },
            cluster: Cluster::from_name(svc.env_output(outputs::CLUSTER_NAME)),
            execution_role: Role::from_arn_granted_elsewhere(
                svc.env_output(outputs::EXECUTION_ROLE),
                "microservices-env's task execution role: the environment template grants it ECR pulls and log writes below /proton/<environment>/",
            ),
            container_sg: SecurityGroup::from_id(svc.env_output(outputs::CONTAINER_SECURITY_GROUP)),
            namespace_id: svc.env_output(outputs::NAMESPACE),
        }
    }
}

/// The inputs both samples share, in their order.
pub struct Inputs {
    pub port: Input<Instance, f64>,
    pub desired_count: Input<Instance, f64>,
    pub task_size: Input<Instance, String>,
    pub image: Input<Instance, String>,
    pub service_discovery_name: Input<Instance, String>,
}

impl Inputs {
    pub fn declare(svc: &mut ServiceTemplate, default_port: f64) -> Inputs {
        let port = svc.instance_input(
            InputDef::number("port")
                .title("Port")
                .description("The port to route traffic to")
                .default(default_port)
                .minimum(0.0)
                .maximum(65535.0),
        );
        let desired_count = desired_count_input(svc);
        let task_size = task_size_input(svc);
        let image = image_input(svc);
        let service_discovery_name = svc.instance_input(
            InputDef::string("service_discovery_name")
                .title("Service discovery namespace")
                .description("The name of the service to register in service discovery")
                .min_length(3)
                .max_length(24)
                .required()
                // Cloud Map service names are unique in the environment's namespace.
                .unique_per_instance(),
        );
        Inputs {
            port,
            desired_count,
            task_size,
            image,
            service_discovery_name,
        }
    }
}

/// The Cloud Map service `service_discovery_name` in the environment's namespace (A records, 60 s, like the
/// samples).
pub fn discovery_service(
    root: &mut Scope,
    env: &MicroservicesEnv,
    inputs: &Inputs,
) -> Handle<cfn::servicediscovery::Service> {
    use cfn::servicediscovery::service::{DnsConfig, DnsRecord, HealthCheckCustomConfig};
    let mut discovery = cfn::servicediscovery::Service::new();
    discovery.name = Some(inputs.service_discovery_name.value());
    discovery.description = Some("Tasks of the service instance".into());
    discovery.namespace_id = Some(env.namespace_id.clone());
    discovery.dns_config = Some(DnsConfig {
        namespace_id: Some(env.namespace_id.clone()),
        routing_policy: Some("MULTIVALUE".into()),
        ..DnsConfig::new(vec![DnsRecord::new(60, "A")])
    });
    discovery.health_check_custom_config = Some(HealthCheckCustomConfig {
        failure_threshold: Some(1.into()),
    });
    root.add("DiscoveryService", discovery)
}

/// The container of both services: the `image` input on the `port` input, logs to the instance's log group,
/// a read-only root filesystem with the paths the default nginx image writes, the image's own user.
fn container(inputs: &Inputs, logs: proton_synth::constructs::logs::LogGroup) -> ContainerProps {
    let mut c = ContainerProps::new(ContainerImage::registry(inputs.image.value()));
    c.port_mappings = vec![inputs.port.as_integer()];
    c.logging = Logging::AwsLogs {
        log_group: Some(logs),
        stream_prefix: Some("service".to_owned()),
    };
    c.writable_paths = vec!["/tmp".to_owned(), "/var/cache/nginx".to_owned(), "/var/run".to_owned()];
    c.user = None;
    c
}

/// The tasks' own security group (child `ServiceSecurityGroup`): nothing in, HTTPS out.
fn own_security_group(root: &mut Scope, env: &MicroservicesEnv, what: &str) -> SecurityGroup {
    task_security_group(root, "ServiceSecurityGroup", env.vpc.vpc_id.clone(), what.to_owned())
}

/// The service template `loadbalanced-public-svc`, compatible with `microservices-env:1`.
pub fn public_service(env_interface: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(PUBLIC_TEMPLATE_NAME, std::slice::from_ref(env_interface))
        .description(
            "A service on AWS Fargate behind a public load balancer, registered in Cloud Map (proton-synth port of \
             AWS's loadbalanced-public-svc sample)",
        )
        .input_type_name("LoadBalancedServiceInput")
        .input_type_description("Input properties for a loadbalanced Fargate service");
    let inputs = Inputs::declare(&mut svc, 80.0);
    let env = MicroservicesEnv::read(&mut svc);
    let names = Names::read(&mut svc);

    let mut root = svc.instance();
    let sizes = TaskSizeMapping::aws_sample(&mut root, "TaskSize");
    let logs = log_group(&mut root, &names);
    let registry = discovery_service(&mut root, &env, &inputs);
    let own_sg = own_security_group(
        &mut root,
        &env,
        "Public service tasks: their load balancer on the container port",
    );
    // Access logs of the load balancer: an SSE-S3 bucket Elastic Load Balancing may write to (one year).
    let access_logs = s3::Bucket::new_access_log_bucket(&mut root, "LoadBalancerAccessLogs");
    access_logs.allow_elb_access_logs(root.stack(), Some("alb"));

    let task = task_image(&inputs, logs);
    let mut props = LoadBalancedFargateServiceProps::new(env.cluster.clone(), env.vpc.clone(), task.image.clone());
    props.task = TaskSource::Image(task);
    props.compute.set_size(
        sizes.cpu(inputs.task_size.value()),
        sizes.memory(inputs.task_size.value()),
    );
    props.family = Some(names.qualified());
    props.execution_role = Some(env.execution_role.clone());
    props.desired_count = inputs.desired_count.as_integer();
    props.service_name = Some(names.qualified());
    props.health_check = HealthCheck::http("/");
    props.deletion_protection = false;
    props.access_logs = Some(AccessLogs::bucket(&access_logs, Some("alb")));
    props.service_security_groups = vec![own_sg];
    props.service_registry_arns = vec![registry.attr_arn()];
    props.auto_scaling = Some(AutoScalingOptions {
        min_capacity: 1,
        max_capacity: 10,
        cpu_steps: Some(aws_sample_cpu_steps()),
        ..AutoScalingOptions::default()
    });
    props.outputs = false;
    let mut web = LoadBalancedFargateService::new(&mut root, "Service", props);

    adjust(root.stack(), &mut web, &env);

    svc.instance_output_with_description(
        "ServiceEndpoint",
        web.service_url(),
        Some("The URL to access the service"),
    );
    svc.instance_output_with_description(
        "ServiceDiscovery",
        registry.r#ref(),
        Some("The registered service discovery Service Id"),
    );
    svc.instance_output("ServiceName", web.service().name());
    svc.instance_output("TaskRoleArn", web.task_definition().task_role().arn());
    pipeline(&mut svc, "load-balanced public");
    svc
}

/// The load-balanced pattern's task image options: [`container`]'s image, user and writable paths, named
/// [`CONTAINER_NAME`] on the `port` input, logging to `logs`.
fn task_image(inputs: &Inputs, logs: LogGroup) -> TaskImageOptions {
    let c = container(inputs, logs.clone());
    let mut task = TaskImageOptions::new(c.image.clone());
    task.container_name = CONTAINER_NAME.to_owned();
    task.container_port = inputs.port.as_integer();
    task.log_group = Some(logs);
    task.stream_prefix = Some("service".to_owned());
    task.user = c.user;
    task.writable_paths = c.writable_paths;
    task
}

/// What the pattern leaves to the public service: the environment's container group on its tasks, and the
/// reasons for its findings.
fn adjust(stack: &mut Stack, web: &mut LoadBalancedFargateService, env: &MicroservicesEnv) {
    // The environment's container group besides their own: the callers' identity the private services admit.
    web.add_security_group(stack, env.container_sg.clone());
    nag::suppress(
        stack.resource_mut(&web.task_definition().handle()),
        Tool::Guard,
        "CT.ECS.PR.3",
        ROOT_USER_REASON,
    );
    nag::suppress(
        stack.resource_mut(&web.load_balancer().handle()),
        Tool::Guard,
        "CT.ELASTICLOADBALANCING.PR.5",
        "the load balancer belongs to one service instance and is deleted with it; deletion protection would make \
         deleting the instance fail",
    );
}

/// The service template `private-fargate-svc`, compatible with `microservices-env:1`.
pub fn private_service(env_interface: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(PRIVATE_TEMPLATE_NAME, std::slice::from_ref(env_interface))
        .description(
            "A backend service on AWS Fargate in the private subnets, reachable through Cloud Map from the \
             environment's tasks (proton-synth port of AWS's private-fargate-svc sample)",
        )
        .input_type_name("PrivateServiceInput")
        .input_type_description("Input properties for a Private Fargate service");
    let inputs = Inputs::declare(&mut svc, 8080.0);
    let env = MicroservicesEnv::read(&mut svc);
    let names = Names::read(&mut svc);

    let mut root = svc.instance();
    let sizes = TaskSizeMapping::aws_sample(&mut root, "TaskSize");
    let logs = log_group(&mut root, &names);
    let registry = discovery_service(&mut root, &env, &inputs);
    let port = Port::tcp_value(inputs.port.as_integer());
    let own_sg = own_security_group(
        &mut root,
        &env,
        "Private service tasks: the environment tasks on the container port",
    );
    own_sg.add_ingress_rule(
        root.stack(),
        Peer::security_group(&env.container_sg),
        port.clone(),
        "The environment's tasks to the container port (Cloud Map)",
    );
    // The container group restricts egress: open it towards this service's port only.
    env.container_sg.add_egress_rule(
        root.stack(),
        Peer::security_group(&own_sg),
        port,
        "The environment's tasks to the private service",
    );

    let task_definition = FargateTaskDefinition::new(
        &mut root,
        "TaskDef",
        FargateTaskDefinitionProps {
            cpu: sizes.cpu(inputs.task_size.value()),
            memory_mib: sizes.memory(inputs.task_size.value()),
            family: Some(names.qualified()),
            execution_role: Some(env.execution_role.clone()),
            task_role: None,
            ephemeral_storage_gib: None,
        },
    );
    task_definition.add_container(root.stack(), CONTAINER_NAME, container(&inputs, logs));
    nag::suppress(
        root.stack().resource_mut(&task_definition.handle()),
        Tool::Guard,
        "CT.ECS.PR.3",
        ROOT_USER_REASON,
    );
    let mut props = FargateServiceProps::new(env.cluster.clone(), task_definition, env.vpc.private_subnet_ids.clone());
    props.security_groups = vec![own_sg, env.container_sg.clone()];
    props.desired_count = inputs.desired_count.as_integer();
    props.service_name = Some(names.qualified());
    props.service_registry_arns = vec![registry.attr_arn()];
    let service = FargateService::new(&mut root, "Service", props);

    svc.instance_output_with_description(
        "ServiceDiscovery",
        registry.r#ref(),
        Some("The registered service discovery Service Id"),
    );
    svc.instance_output("ServiceName", service.name());
    svc.instance_output("TaskRoleArn", service.task_definition().task_role().arn());
    pipeline(&mut svc, "private Fargate");
    svc
}

/// The samples' pipeline inputs (`dockerfile`, `unit_test_command`) and the pipeline of `lb_fargate_svc.rs`.
fn pipeline(svc: &mut ServiceTemplate, kind: &str) {
    let pipe = svc.pipeline();
    pipe.description(&format!(
        "Continuous delivery of a {kind} service: source (CodeStar connection), build and push to ECR, one ECS \
         deploy stage per service instance"
    ))
    .input_type_name("PipelineInputs")
    .input_type_description("Pipeline input properties");
    let dockerfile = pipe.input(
        InputDef::string("dockerfile")
            .title("Dockerfile")
            .description("The location of the Dockerfile to build")
            .default("Dockerfile")
            .min_length(1)
            .max_length(100),
    );
    let unit_test_command = pipe.input(
        InputDef::string("unit_test_command")
            .title("Unit test command")
            .description("The command to run to unit test the application code")
            .default("echo 'add your unit test command here'")
            .min_length(1)
            .max_length(200),
    );
    docker_ecs_pipeline(
        pipe,
        DockerPipeline {
            dockerfile: dockerfile.value(),
            unit_test_command: unit_test_command.value(),
            source_dir: None,
            cluster_output: outputs::CLUSTER_NAME,
            execution_role_output: outputs::EXECUTION_ROLE,
            deploy_stages: true,
        },
    );
}

/// The program's templates: the environment and the two services written against it.
pub fn app() -> App {
    let env = microservices_env::environment();
    let public = public_service(&env.interface());
    let private = private_service(&env.interface());
    let mut app = App::new("public-private-fargate-microservices");
    app.add_environment(env);
    app.add_service(public);
    app.add_service(private);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(app().run());
}
