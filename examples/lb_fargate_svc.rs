//! AWS's seed sample service `lb-fargate-service` (aws-proton-sample-templates,
//! `loadbalanced-fargate-svc/service`) rewritten with typed constructs, compatible with `public-vpc:1`
//! (`public_vpc_env.rs`, included below so `check`/`render` see the pair).
//!
//! Same inputs as the sample (instance: `port`, `desired_count`, `task_size`, `image`; pipeline: `dockerfile`,
//! `unit_test_command`; names, types, defaults, constraints and descriptions), same capabilities, same outputs
//! (`ServiceEndpoint`, `PipelineEndpoint`). What is different, and why:
//!
//! - Instance: the load balancer's security group admits the internet on the listener port only (the sample:
//!   every protocol and port), the containers' group admits that load balancer on the container port only (the
//!   sample: every protocol); the ALB drops invalid headers and writes access logs to its own bucket; the task
//!   runs with a read-only root filesystem, a separate (empty) task role, a deployment circuit breaker and
//!   100 % minimum healthy; its log group keeps logs one year, below the prefix the environment's execution
//!   role may write to; the task size is validated against Fargate's cpu/memory combinations at synthesis.
//! - Kept from the sample, on purpose, with the reason in the resource's metadata: tasks get a public IP (the
//!   environment has public subnets only: no NAT gateway, no VPC endpoints), the container runs as its image's
//!   user (the default image, the sample's nginx, starts as root to bind port 80), HTTP only (no certificate
//!   input), no deletion protection on the load balancer (it is deleted with its instance).
//! - Pipeline: no Proton API. The sample's build asked Proton for the service spec and its deploy stages ran
//!   `aws proton update-service-instance`; Proton reached end of support, so the build writes
//!   `imagedefinitions.json` and each instance gets a CodePipeline ECS deploy stage (with its own role, allowed
//!   to update that instance's ECS service only) that rolls the new image out. Pipeline inputs reach the build
//!   as environment variables instead of being pasted into the buildspec text. Roles are scoped to the
//!   pipeline's own resources (the sample allowed `codestar-connections:*` and `proton:*` calls on `*`, and
//!   trusted the whole account in its action roles); the artifact bucket has server access logs.
//! - Caveat of deploying without Proton: the ECS deploy action registers a new task definition revision
//!   outside CloudFormation. Re-render the instance template with the pushed image as its `image` input
//!   before updating the instance stack, or the update rolls the service back to the previous image.
//!
//! ```sh
//! cargo run --example lb_fargate_svc -- synth --out out/lb_fargate_svc
//! ```

#[path = "pipelines/docker_ecs.rs"]
pub mod docker_ecs;
#[path = "public_vpc_env.rs"]
pub mod public_vpc_env;

pub use docker_ecs::{docker_ecs_pipeline, DockerPipeline};

use proton_synth::app::App;
use proton_synth::constructs::ec2::{Connectable, Port, SecurityGroup};
use proton_synth::constructs::ecs::{
    aws_sample_cpu_steps, Cluster, ContainerImage, ContainerProps, FargateService, FargateServiceProps,
    FargateTaskDefinition, FargateTaskDefinitionProps, Logging, TaskSizeMapping,
};
use proton_synth::constructs::elbv2::{
    AccessLogs, AlbProps, ApplicationLoadBalancer, ApplicationProtocol, ApplicationTargetGroup, Condition, HealthCheck,
    ListenerAction, ListenerProps, TargetGroupProps, TargetType,
};
use proton_synth::constructs::iam::Role;
use proton_synth::constructs::logs::{LogGroup, LogGroupProps, RetentionDays};
use proton_synth::constructs::nag::{self, Tool};
use proton_synth::constructs::s3;
use proton_synth::constructs::{fns, RemovalPolicy, Scope, Stack, Value};
use proton_synth::proton::{EnvironmentInterface, Input, InputDef, Instance, ServiceTemplate};

/// The Proton template name.
pub const TEMPLATE_NAME: &str = "lb-fargate-service";

/// The name of the (only) container of the task definition. A literal, unlike the sample's
/// `{{service_instance.name}}`: the build writes it into `imagedefinitions.json` for the ECS deploy action.
pub const CONTAINER_NAME: &str = "app";

/// The sample's `TaskSize` choices, in its order.
pub const TASK_SIZES: [&str; 5] = ["x-small", "small", "medium", "large", "x-large"];

/// The service template, compatible with the given environment template (`public-vpc:1`).
pub fn service(env: &EnvironmentInterface) -> ServiceTemplate {
    // The schema's input types are the sample's, names and descriptions; the CloudFormation templates have
    // their own descriptions.
    let mut svc = ServiceTemplate::new(TEMPLATE_NAME, std::slice::from_ref(env))
        .description(
            "Deploy a service on AWS Fargate, hosted in a public subnet, and accessible via a public load balancer \
             (proton-synth port of AWS's lb-fargate-service sample)",
        )
        .input_type_name("LoadBalancedServiceInput")
        .input_type_description("Input properties for a loadbalanced Fargate service");
    instance(&mut svc);
    pipeline(&mut svc);
    svc
}

/// The instance template (`instance_infrastructure/`): the sample's inputs, what the environment provides, then
/// the task definition ([`task_definition`]), the public load balancer ([`load_balancer`]) and the service
/// ([`fargate_service`]).
fn instance(svc: &mut ServiceTemplate) {
    let inputs = InstanceInputs::declare(svc);

    // What the environment provides (checked against public-vpc's declared outputs at synthesis).
    let cluster = Cluster::from_name(svc.env_output("ClusterName"));
    // The environment's task execution role: public-vpc grants it ECR pulls and log writes below
    // `/proton/<environment>/`, for every service of the environment.
    let execution_role = Role::from_arn_granted_elsewhere(
        svc.env_output("ECSTaskExecutionRole"),
        "public-vpc's task execution role: the environment template grants it ECR pulls and log writes below /proton/<environment>/",
    );
    let vpc_id = svc.env_output("VpcId");
    let subnets = vec![svc.env_output("PublicSubnetOne"), svc.env_output("PublicSubnetTwo")];
    let container_sg = SecurityGroup::from_id(svc.env_output("ContainerSecurityGroup"));

    let env_name = svc.environment_name();
    let service_name = svc.service_name();
    let instance_name = svc.service_instance_name();
    // `<service>_<instance>`, like the sample: the ECS service name and the task definition family.
    let qualified_name = fns::join("_", [service_name.clone(), instance_name.clone()]);

    let mut root = svc.instance();
    // Logs go below the prefix the environment's execution role may write to.
    let log_group_name = fns::sub(
        &format!(
            "{}/${{Env}}/${{Service}}/${{Instance}}",
            public_vpc_env::LOG_GROUP_PREFIX
        ),
        [
            ("Env", env_name.into_expr()),
            ("Service", service_name.into_expr()),
            ("Instance", instance_name.into_expr()),
        ],
    );
    let task_definition = task_definition(
        &mut root,
        &inputs,
        execution_role,
        log_group_name,
        qualified_name.clone(),
    );
    let (alb, target_group) = load_balancer(&mut root, vpc_id, subnets.clone(), &inputs.port);

    // The service, in the environment's public subnets with the environment's container security group.
    let mut props = FargateServiceProps::new(cluster, task_definition, subnets);
    props.security_groups = vec![container_sg];
    props.desired_count = inputs.desired_count.as_integer();
    props.service_name = Some(qualified_name);
    let service = fargate_service(root.stack(), props, &alb, &target_group, &inputs.port);

    let endpoint = fns::sub("http://${Dns}", [("Dns", alb.dns_name().into_expr())]);
    let ecs_service_name = service.name();
    let task_role_arn = service.task_definition().task_role().arn();
    svc.instance_output_with_description("ServiceEndpoint", endpoint, Some("The URL to access the service"));
    // Read by the pipeline's deploy stage of this instance.
    svc.instance_output("ServiceName", ecs_service_name);
    svc.instance_output("TaskRoleArn", task_role_arn);
}

/// The instance inputs: the sample's, property for property.
struct InstanceInputs {
    port: Input<Instance, f64>,
    desired_count: Input<Instance, f64>,
    task_size: Input<Instance, String>,
    image: Input<Instance, String>,
}

impl InstanceInputs {
    fn declare(svc: &mut ServiceTemplate) -> Self {
        InstanceInputs {
            port: svc.instance_input(
                InputDef::number("port")
                    .description("The port to route traffic to")
                    .default(80.0)
                    .minimum(0.0)
                    .maximum(65535.0),
            ),
            desired_count: svc.instance_input(
                InputDef::number("desired_count")
                    .description("The default number of Fargate tasks you want running")
                    .default(1.0)
                    .minimum(1.0),
            ),
            task_size: svc.instance_input(
                InputDef::string("task_size")
                    .description("The size of the task you want to run")
                    .enum_values(TASK_SIZES)
                    .default("x-small"),
            ),
            image: svc.instance_input(
                InputDef::string("image")
                    .description("The name/url of the container image")
                    .default("public.ecr.aws/z9d2n7e1/nginx:1.21.0")
                    .min_length(1)
                    .max_length(200),
            ),
        }
    }
}

/// The task definition of family `family`, sized by the `task_size` input, with its one container
/// ([`CONTAINER_NAME`]) logging to a new group named `log_group_name`. The execution role is the environment's:
/// it already allows ECR pulls and writes below the log prefix, so the grants the task definition would add to
/// it are skipped (declared granted elsewhere).
fn task_definition(
    root: &mut Scope,
    inputs: &InstanceInputs,
    execution_role: Role,
    log_group_name: Value<String>,
    family: Value<String>,
) -> FargateTaskDefinition {
    let sizes = TaskSizeMapping::aws_sample(root, "TaskSize");
    let log_group = LogGroup::new(
        root,
        "LogGroup",
        LogGroupProps {
            name: Some(log_group_name),
            retention: RetentionDays::OneYear,
            kms_key: None,
            // A named group must go with its instance, or re-creating the instance fails ("already exists").
            removal_policy: RemovalPolicy::Delete,
        },
    );
    let task_definition = FargateTaskDefinition::new(
        root,
        "TaskDefinition",
        FargateTaskDefinitionProps {
            cpu: sizes.cpu(inputs.task_size.value()),
            memory_mib: sizes.memory(inputs.task_size.value()),
            family: Some(family),
            execution_role: Some(execution_role),
            task_role: None,
            ephemeral_storage_gib: None,
        },
    );
    let mut container = ContainerProps::new(ContainerImage::registry(inputs.image.value()));
    container.port_mappings = vec![inputs.port.as_integer()];
    container.logging = Logging::AwsLogs {
        log_group: Some(log_group),
        stream_prefix: Some("service".to_owned()),
    };
    // Read-only root filesystem; the default image (the sample's nginx) writes its pid file, cache and temp
    // files here.
    container.writable_paths = vec!["/tmp".to_owned(), "/var/cache/nginx".to_owned(), "/var/run".to_owned()];
    // The image's own user: the default image starts as root to bind port 80 and runs its workers as `nginx`.
    container.user = None;
    let stack = root.stack();
    task_definition.add_container(stack, CONTAINER_NAME, container);
    nag::suppress(
        stack.resource_mut(&task_definition.handle()),
        Tool::Guard,
        "CT.ECS.PR.3",
        "the container runs as its image's user: the template's default image (AWS's sample nginx) must start \
         as root to bind port 80; images built by the pipeline should declare a non-root USER",
    );
    task_definition
}

/// The public load balancer, its access logs and its target group (the containers on `port`): HTTP on 80 like
/// the sample (no certificate input), open to the internet on that port only.
fn load_balancer(
    root: &mut Scope,
    vpc_id: Value<String>,
    subnets: Vec<Value<String>>,
    port: &Input<Instance, f64>,
) -> (ApplicationLoadBalancer, ApplicationTargetGroup) {
    // Access logs of the load balancer (the sample had none): an SSE-S3 bucket that Elastic Load Balancing may
    // write to, logs expire after a year; the bucket is kept when the instance is deleted.
    let access_logs = s3::Bucket::new_access_log_bucket(root, "LoadBalancerAccessLogs");
    access_logs.allow_elb_access_logs(root.stack(), Some("alb"));
    let alb = ApplicationLoadBalancer::new(
        root,
        "PublicLoadBalancer",
        AlbProps {
            idle_timeout_secs: Some(30),
            access_logs: Some(AccessLogs::bucket(&access_logs, Some("alb"))),
            // The load balancer lives and dies with its service instance; with deletion protection, deleting
            // the instance would fail.
            deletion_protection: false,
            ..AlbProps::new(vpc_id.clone(), subnets, true)
        },
    );
    nag::suppress(
        root.stack().resource_mut(&alb.handle()),
        Tool::Guard,
        "CT.ELASTICLOADBALANCING.PR.5",
        "the load balancer belongs to one AWS Proton service instance and is deleted with it; deletion \
         protection would make deleting the instance fail",
    );
    let target_group = ApplicationTargetGroup::new(
        root,
        "TargetGroup",
        TargetGroupProps {
            vpc_id,
            port: port.as_integer(),
            protocol: ApplicationProtocol::Http,
            target_type: TargetType::Ip,
            // The sample's health check.
            health_check: HealthCheck {
                path: Some("/".to_owned()),
                interval_secs: Some(6),
                timeout_secs: Some(5),
                healthy_threshold: Some(2),
                unhealthy_threshold: Some(2),
                ..HealthCheck::default()
            },
            // Generated: a fixed name would block replacements (and the sample had to truncate it to 32).
            name: None,
            deregistration_delay_secs: None,
        },
    );
    let stack = root.stack();
    let listener = alb.add_listener(
        stack,
        "PublicLoadBalancerListener",
        ListenerProps::http(80, ListenerAction::forward(&target_group)),
    );
    listener.add_rule(
        stack,
        "LoadBalancerRule",
        1,
        vec![Condition::PathPatterns(vec!["*".to_owned()])],
        ListenerAction::forward(&target_group),
    );
    (alb, target_group)
}

/// The ECS service behind the load balancer (its containers on `port` admit that load balancer only), with a
/// public IP, and auto scaling 1-10 tasks with the sample's CPU steps and alarms.
fn fargate_service(
    stack: &mut Stack,
    mut props: FargateServiceProps,
    alb: &ApplicationLoadBalancer,
    target_group: &ApplicationTargetGroup,
    port: &Input<Instance, f64>,
) -> FargateService {
    props.health_check_grace_period_secs = Some(60);
    // The environment (public-vpc) has public subnets only, without NAT gateway or VPC endpoints: a task
    // without a public IP could not pull its image nor send its logs. The public IP does not expose the task:
    // its security group admits only this service's load balancer.
    props.assign_public_ip = true;
    let service = FargateService::new(&mut stack.root(), "Service", props);
    nag::suppress(
        stack.resource_mut(&service.handle()),
        Tool::Guard,
        "CT.ECS.PR.9",
        "public-vpc has only public subnets (no NAT gateway, no VPC endpoints): tasks need a public IP to pull \
         images and deliver logs; inbound traffic is still limited to the load balancer by the security group",
    );
    service.attach_to_target_group(stack, target_group, CONTAINER_NAME, port.as_integer());
    service.connections().allow_from(
        stack,
        alb,
        Port::tcp_value(port.as_integer()),
        "From this service's load balancer to its container port",
    );
    let scaling = service.auto_scale_task_count(stack, 1, 10);
    scaling.scale_on_cpu_steps(stack, aws_sample_cpu_steps());
    service
}

/// The pipeline (`pipeline_infrastructure/`): the sample's inputs, then [`docker_ecs_pipeline`].
fn pipeline(svc: &mut ServiceTemplate) {
    let pipe = svc.pipeline();
    pipe.description(
        "Continuous delivery of an lb-fargate-service service: source (CodeStar connection), build and push to \
         ECR, one ECS deploy stage per service instance",
    )
    .input_type_name("PipelineInputs")
    .input_type_description("Pipeline input properties");
    // Inputs: the sample's, property for property.
    let dockerfile = pipe.input(
        InputDef::string("dockerfile")
            .description("The location of the Dockerfile to build")
            .default("Dockerfile")
            .min_length(1)
            .max_length(100),
    );
    let unit_test_command = pipe.input(
        InputDef::string("unit_test_command")
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
            cluster_output: "ClusterName",
            execution_role_output: "ECSTaskExecutionRole",
            deploy_stages: true,
        },
    );
}

/// The program's templates: the environment and the service written against it.
pub fn app() -> App {
    let env = public_vpc_env::environment();
    let svc = service(&env.interface());
    let mut app = App::new("lb-fargate-svc");
    app.add_environment(env);
    app.add_service(svc);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(proton_synth::cli::run_lazily(app));
}
