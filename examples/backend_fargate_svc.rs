//! AWS's catalog service `backend-fargate-svc` (aws-proton-cloudformation-sample-templates,
//! `service-templates/backend-fargate-svc`) rewritten with typed constructs, compatible with `fargate-env:1`
//! (`fargate_env.rs`, included below so `check`/`render` see the pair). This module also holds what the
//! catalog's Fargate services share (`load_balanced_fargate_svc.rs` includes it): the environment's outputs
//! ([`FargateEnv`]), the common inputs, the task role, log group, Cloud Map registration, subnet choice and
//! the pipeline.
//!
//! At input parity with the sample: the instance inputs `port`, `desired_count`, `task_size`, `subnet_type`,
//! `image` and the pipeline inputs `service_dir`, `dockerfile`, `unit_test_command` (titles, types,
//! defaults, enums, bounds and descriptions), the output `BackendURL`. A Fargate service without a load
//! balancer, reachable through Cloud Map (`<instance>.<service>.<environment>.local`, A records), in the
//! public or private subnets after `subnet_type`, scaling 1–10 tasks on CPU and memory (50 %), allowed to
//! publish to the environment's SNS topic. Deviations, and why:
//!
//! - The tasks' security group admits the container port from the VPC's range only (the sample: every
//!   protocol and port from anywhere) and lets out HTTPS only (the sample: everything).
//! - The task role may publish to the environment's topic and nothing else; the log group keeps logs one year
//!   below the prefix the environment's execution role may write to; the container has a read-only root
//!   filesystem (the default image, the sample's nginx, writes below `/tmp`, `/var/cache/nginx`, `/var/run`)
//!   and runs as its image's user (nginx starts as root to bind port 80: suppressed with that reason); the
//!   deployment rolls back on failure and keeps 100 % of the tasks healthy.
//! - Tasks in the public subnets (`subnet_type: public`, the sample's default) get a public IP, like the
//!   sample's; their security group still admits the VPC only.
//! - The container is named `app` (the sample: the instance's name), which the pipeline's deploy stage writes
//!   into `imagedefinitions.json`; outputs `ServiceName` and `TaskRoleArn` are added for that stage.
//! - Instances may have a directly defined component, `components/backend_queue.rs` (an SQS work queue, not in
//!   the sample): the container gets its URL as `QUEUE_URL` and the task role its managed policy; with no
//!   component attached, `QUEUE_URL` is `none` and the role gets no policy.
//! - Pipeline: the one of `lb_fargate_svc.rs` (build in `service_dir`, push to ECR, one ECS deploy stage per
//!   instance), without Proton API calls and with least-privilege roles; see that example's documentation.
//!
//! ```sh
//! cargo run --example backend_fargate_svc -- synth --out out/backend_fargate_svc
//! ```

#[path = "components/backend_queue.rs"]
pub mod backend_queue;
#[path = "fargate_env.rs"]
pub mod fargate_env;
#[path = "lb_fargate_svc.rs"]
pub mod lb_fargate_svc;
// What some of the programs including this file share (the others leave it unused).
#[allow(dead_code)]
#[path = "services/load_balanced.rs"]
pub mod load_balanced;
#[allow(dead_code)]
#[path = "services/queue_worker.rs"]
pub mod queue_worker;

use fargate_env::outputs;
use lb_fargate_svc::{docker_ecs_pipeline, DockerPipeline, CONTAINER_NAME, TASK_SIZES};
use proton_synth::app::App;
use proton_synth::constructs::ec2::{Connectable, Peer, Port, SecurityGroup, SecurityGroupProps};
use proton_synth::constructs::ecs::{
    Cluster, ContainerImage, ContainerProps, FargateService, FargateServiceProps, FargateTaskDefinition,
    FargateTaskDefinitionProps, Logging, TaskSizeMapping,
};
use proton_synth::constructs::iam::{PolicyStatement, Principal, Role, RoleProps};
use proton_synth::constructs::logs::{LogGroup, LogGroupProps, RetentionDays};
use proton_synth::constructs::nag::{self, Tool};
use proton_synth::constructs::{
    cfn, fns, CondExpr, CondHandle, Expr, Handle, Placeholder, PlaceholderKind, RemovalPolicy, Scope, Stack, Value,
};
use proton_synth::proton::{EnvironmentInterface, Input, InputDef, Instance, ServiceTemplate};

/// The Proton template name.
pub const TEMPLATE_NAME: &str = "backend-fargate-svc";

/// What a service of `fargate-env` reads from its environment (`environment.outputs.*`).
pub struct FargateEnv {
    pub vpc_id: Value<String>,
    pub vpc_cidr: Value<String>,
    pub public_subnets: Vec<Value<String>>,
    pub private_subnets: Vec<Value<String>>,
    pub cluster: Cluster,
    pub execution_role: Role,
    pub topic_arn: Value<String>,
    pub sns_region: Value<String>,
    pub namespace_id: Value<String>,
}

impl FargateEnv {
    pub fn read(svc: &mut ServiceTemplate) -> FargateEnv {
        FargateEnv {
            vpc_id: svc.env_output(outputs::VPC),
            vpc_cidr: svc.env_output(outputs::VPC_CIDR),
            public_subnets: outputs::PUBLIC_SUBNETS.iter().map(|o| svc.env_output(o)).collect(),
            private_subnets: outputs::PRIVATE_SUBNETS.iter().map(|o| svc.env_output(o)).collect(),
            cluster: Cluster::from_name(svc.env_output(outputs::CLUSTER)),
            // fargate-env grants it ECR pulls and log writes below /proton/<environment>/.
            execution_role: Role::from_arn_granted_elsewhere(
                svc.env_output(outputs::EXECUTION_ROLE_ARN),
                "fargate-env's task execution role: the environment template grants it ECR pulls and log writes below /proton/<environment>/",
            ),
            topic_arn: svc.env_output(outputs::SNS_TOPIC_ARN),
            sns_region: svc.env_output(outputs::SNS_REGION),
            namespace_id: svc.env_output(outputs::NAMESPACE_ID),
        }
    }
}

/// The catalog's `port` input.
pub fn port_input(svc: &mut ServiceTemplate) -> Input<Instance, f64> {
    svc.instance_input(
        InputDef::number("port")
            .title("Port")
            .description("The port to route traffic to")
            .default(80.0)
            .minimum(0.0)
            .maximum(65535.0),
    )
}

/// The catalog's `desired_count` input.
pub fn desired_count_input(svc: &mut ServiceTemplate) -> Input<Instance, f64> {
    svc.instance_input(
        InputDef::number("desired_count")
            .title("Desired count")
            .description("The default number of Fargate tasks you want running")
            .default(1.0)
            .minimum(1.0),
    )
}

/// The catalog's `task_size` input.
pub fn task_size_input(svc: &mut ServiceTemplate) -> Input<Instance, String> {
    svc.instance_input(
        InputDef::string("task_size")
            .title("Task size")
            .description("The size of the task you want to run")
            .enum_values(TASK_SIZES)
            .default("x-small"),
    )
}

/// The catalog's `subnet_type` input.
pub fn subnet_type_input(svc: &mut ServiceTemplate) -> Input<Instance, String> {
    svc.instance_input(
        InputDef::string("subnet_type")
            .title("Subnet Type")
            .description("Subnet type for your service")
            .enum_values(["public", "private"])
            .default("public"),
    )
}

/// The catalog's `image` input.
pub fn image_input(svc: &mut ServiceTemplate) -> Input<Instance, String> {
    svc.instance_input(
        InputDef::string("image")
            .title("Image")
            .description("The name/url of the container image")
            .default("public.ecr.aws/nginx/nginx:1.21")
            .min_length(1)
            .max_length(200),
    )
}

/// Where the tasks run: the subnets chosen by `subnet_type` (as `Fn::If` on a condition, so one template
/// serves both) and the condition itself (true for `private`).
pub struct Placement {
    pub subnets: Vec<Value<String>>,
    pub private: CondHandle,
}

pub fn placement(root: &mut Scope, env: &FargateEnv, subnet_type: &Input<Instance, String>) -> Placement {
    let private = root.add_condition(
        "PrivateSubnets",
        CondExpr::equals(subnet_type.value(), Value::from("private")),
    );
    let subnets = env
        .private_subnets
        .iter()
        .zip(&env.public_subnets)
        .map(|(private_id, public_id)| fns::if_(&private, private_id.clone(), public_id.clone()))
        .collect();
    Placement { subnets, private }
}

/// Public IPs for tasks in the public subnets only (`AssignPublicIp` after the placement's condition).
pub fn assign_public_ip(stack: &mut Stack, service: &Handle<cfn::ecs::Service>, placement: &Placement) {
    if let Some(svc) = stack.l1_mut(service) {
        if let Some(awsvpc) = svc
            .network_configuration
            .as_mut()
            .and_then(|n| n.awsvpc_configuration.as_mut())
        {
            awsvpc.assign_public_ip = Some(fns::if_(
                &placement.private,
                Value::from("DISABLED"),
                Value::from("ENABLED"),
            ));
        }
    }
    nag::suppress(
        stack.resource_mut(service),
        Tool::Guard,
        "CT.ECS.PR.9",
        "with the subnet_type input `public` (the sample's default) the tasks run in the public subnets and need a \
         public IP to reach image registries and AWS APIs; inbound traffic is still limited by their security group",
    );
}

/// The task role: publish to the environment's topic (the sample's `Publish2SNS`), nothing else.
pub fn task_role(root: &mut Scope, env: &FargateEnv) -> Role {
    let role = Role::new(
        root,
        "ServiceTaskDefTaskRole",
        RoleProps {
            assumed_by: Principal::service("ecs-tasks.amazonaws.com"),
            description: Some("Task role: publish to the environment's SNS topic".to_owned()),
            ..RoleProps::default()
        },
    );
    role.add_to_policy(
        root.stack(),
        PolicyStatement::allow(&["sns:Publish"], [env.topic_arn.clone()]),
    );
    role
}

/// The container's environment variables of the sample: `SNS_TOPIC_ARN` (`{"ping":"<topic ARN>"}`) and
/// `SNS_REGION`.
pub fn sns_environment(env: &FargateEnv) -> Vec<(String, Value<String>)> {
    vec![
        (
            "SNS_TOPIC_ARN".to_owned(),
            fns::join(
                "",
                [Value::from("{\"ping\":\""), env.topic_arn.clone(), Value::from("\"}")],
            ),
        ),
        ("SNS_REGION".to_owned(), env.sns_region.clone()),
    ]
}

/// The instance's log group `/proton/<environment>/<service>/<instance>` (one year), below the prefix the
/// environment's execution role may write to.
pub fn log_group(root: &mut Scope, names: &Names) -> LogGroup {
    LogGroup::new(
        root,
        "ServiceTaskDefLogGroup",
        LogGroupProps {
            name: Some(fns::sub(
                &format!("{}/${{Env}}/${{Service}}/${{Instance}}", fargate_env::LOG_GROUP_PREFIX),
                [
                    ("Env", names.environment.clone().into_expr()),
                    ("Service", names.service.clone().into_expr()),
                    ("Instance", names.instance.clone().into_expr()),
                ],
            )),
            retention: RetentionDays::OneYear,
            kms_key: None,
            // A named group must go with its instance, or re-creating the instance fails ("already exists").
            removal_policy: RemovalPolicy::Delete,
        },
    )
}

/// A whole-number input as text (`{{ … | int | string | tojson }}` in the bundle, the parameter's `Ref` in
/// plain CloudFormation), for string contexts such as `Fn::Join`.
pub fn number_text(input: &Input<Instance, f64>) -> Value<String> {
    match input.value().into_expr() {
        Expr::Placeholder(p) => Value::placeholder(Placeholder {
            jinja: format!("{} | int | string", p.jinja),
            kind: PlaceholderKind::String,
            plain: p.plain.clone(),
        }),
        other => Value::from_expr(other),
    }
}

/// The names Proton gives an instance.
pub struct Names {
    pub environment: Value<String>,
    pub service: Value<String>,
    pub instance: Value<String>,
}

impl Names {
    pub fn read(svc: &mut ServiceTemplate) -> Names {
        Names {
            environment: svc.environment_name(),
            service: svc.service_name(),
            instance: svc.service_instance_name(),
        }
    }

    /// `<service>_<instance>`: the ECS service's name and the task definition family (the pipeline's deploy
    /// roles are scoped to it).
    pub fn qualified(&self) -> Value<String> {
        fns::join("_", [self.service.clone(), self.instance.clone()])
    }

    /// `<instance>.<service>.<environment>.local`, then `:<port>` if given: the name [`cloud_map_service`]
    /// registers the instance's tasks under.
    pub fn cloud_map_url(&self, port: Option<Value<String>>) -> Value<String> {
        let mut parts = vec![
            self.instance.clone(),
            Value::from("."),
            self.service.clone(),
            Value::from("."),
            self.environment.clone(),
        ];
        match port {
            Some(port) => parts.extend([Value::from(".local:"), port]),
            None => parts.push(Value::from(".local")),
        }
        fns::join("", parts)
    }
}

/// The Cloud Map service `<instance>.<service>` in the environment's namespace (A records, 60 s, like the
/// sample); returns its ARN for the ECS service's registry.
pub fn cloud_map_service(root: &mut Scope, env: &FargateEnv, names: &Names) -> Value<String> {
    use cfn::servicediscovery::service::{DnsConfig, DnsRecord, HealthCheckCustomConfig};
    let mut discovery = cfn::servicediscovery::Service::new();
    discovery.name = Some(fns::join(".", [names.instance.clone(), names.service.clone()]));
    discovery.namespace_id = Some(env.namespace_id.clone());
    discovery.dns_config = Some(DnsConfig {
        namespace_id: Some(env.namespace_id.clone()),
        routing_policy: Some("MULTIVALUE".into()),
        ..DnsConfig::new(vec![DnsRecord::new(60, "A")])
    });
    discovery.health_check_custom_config = Some(HealthCheckCustomConfig {
        failure_threshold: Some(1.into()),
    });
    root.add("CloudMapService", discovery).attr_arn()
}

/// The container of the catalog's services: the `image` input on the `port` input, the SNS variables (and
/// `extra_env`), logs to `log_group`, a read-only root filesystem.
pub fn container(image: &Input<Instance, String>, port: &Input<Instance, f64>, env: &FargateEnv) -> ContainerProps {
    let mut c = ContainerProps::new(ContainerImage::registry(image.value()));
    c.port_mappings = vec![port.as_integer()];
    c.environment = sns_environment(env).into_iter().collect();
    // The default image (nginx) writes its pid file, cache and temp files here.
    c.writable_paths = vec!["/tmp".to_owned(), "/var/cache/nginx".to_owned(), "/var/run".to_owned()];
    // The image's own user: the default image starts as root to bind port 80 and runs its workers as `nginx`.
    c.user = None;
    c
}

/// The reason the container runs as its image's user.
pub const ROOT_USER_REASON: &str = "the container runs as its image's user: the template's default image (the \
     sample's nginx) must start as root to bind port 80; images built by the pipeline should declare a non-root USER";

/// The catalog's pipeline inputs (`service_dir` with the sample's default for this service, `dockerfile`,
/// `unit_test_command`) and the pipeline of `lb_fargate_svc.rs` building in `service_dir`; `kind` names the
/// service in the pipeline's description.
pub fn pipeline(svc: &mut ServiceTemplate, kind: &str, default_service_dir: &str) {
    pipeline_with(svc, kind, default_service_dir, true);
}

/// [`pipeline`], with or without the ECS deploy stages (see `DockerPipeline::deploy_stages`).
pub fn pipeline_with(svc: &mut ServiceTemplate, kind: &str, default_service_dir: &str, deploy_stages: bool) {
    let pipe = svc.pipeline();
    let description = if deploy_stages {
        format!(
            "Continuous delivery of a {kind} service: source (CodeStar connection), build in the service \
             directory and push to ECR, one ECS deploy stage per service instance"
        )
    } else {
        format!(
            "Continuous integration of a {kind} service: source (CodeStar connection), build in the service \
             directory and push to ECR; instances take a new image through their image input"
        )
    };
    pipe.description(&description)
        .input_type_name("PipelineInputs")
        .input_type_description("Pipeline input properties");
    let service_dir = pipe.input(
        InputDef::string("service_dir")
            .title("Application Code Directory")
            .description("Source directory for the service")
            .default(default_service_dir)
            .min_length(1)
            .max_length(100),
    );
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
            source_dir: Some(service_dir.value()),
            cluster_output: outputs::CLUSTER,
            execution_role_output: outputs::EXECUTION_ROLE_ARN,
            deploy_stages,
        },
    );
}

/// The service template, compatible with the given environment template (`fargate-env:1`).
pub fn service(env_interface: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(TEMPLATE_NAME, std::slice::from_ref(env_interface))
        .description(
            "A backend service on AWS Fargate in a public or private subnet, reachable through Cloud Map \
             (proton-synth port of AWS's backend-fargate-svc sample)",
        )
        .input_type_name("BackendFargateServiceInput")
        .input_type_description("Input properties for a Backend Fargate service");
    let port = port_input(&mut svc);
    let desired_count = desired_count_input(&mut svc);
    let task_size = task_size_input(&mut svc);
    let subnet_type = subnet_type_input(&mut svc);
    let image = image_input(&mut svc);
    let env = FargateEnv::read(&mut svc);
    let names = Names::read(&mut svc);
    // The work queue component, when one is attached to the instance.
    svc.supports_component(backend_queue::component(env_interface).interface());
    let queue_url = svc.component_output(backend_queue::QUEUE_URL, NO_COMPONENT);
    let queue_policy = svc.component_output(backend_queue::QUEUE_POLICY_NAME, NO_COMPONENT);

    let mut root = svc.instance();
    let sizes = TaskSizeMapping::aws_sample(&mut root, "TaskSize");
    let placement = placement(&mut root, &env, &subnet_type);
    let task_role = task_role(&mut root, &env);
    attach_queue_policy(&mut root, &task_role, queue_policy);
    let logs = log_group(&mut root, &names);
    let task_definition = FargateTaskDefinition::new(
        &mut root,
        "ServiceTaskDef",
        FargateTaskDefinitionProps {
            cpu: sizes.cpu(task_size.value()),
            memory_mib: sizes.memory(task_size.value()),
            family: Some(names.qualified()),
            execution_role: Some(env.execution_role.clone()),
            task_role: Some(task_role),
            ephemeral_storage_gib: None,
        },
    );
    let mut c = container(&image, &port, &env);
    c.environment.insert("QUEUE_URL".to_owned(), queue_url);
    c.logging = Logging::AwsLogs {
        log_group: Some(logs),
        stream_prefix: Some("service".to_owned()),
    };
    task_definition.add_container(root.stack(), CONTAINER_NAME, c);
    nag::suppress(
        root.stack().resource_mut(&task_definition.handle()),
        Tool::Guard,
        "CT.ECS.PR.3",
        ROOT_USER_REASON,
    );

    let sg = backend_security_group(&mut root, &env, &port);
    let registry = cloud_map_service(&mut root, &env, &names);
    let mut props = FargateServiceProps::new(env.cluster.clone(), task_definition, placement.subnets.clone());
    props.security_groups = vec![sg];
    props.desired_count = desired_count.as_integer();
    props.service_name = Some(names.qualified());
    props.service_registry_arns = vec![registry];
    let service = FargateService::new(&mut root, "Service", props);
    let stack = root.stack();
    assign_public_ip(stack, &service.handle(), &placement);
    let scaling = service.auto_scale_task_count(stack, 1, 10);
    scaling.scale_on_cpu_utilization(stack, 50.0);
    scaling.scale_on_memory_utilization(stack, 50.0);

    let url = names.cloud_map_url(Some(number_text(&port)));
    svc.instance_output_with_description("BackendURL", url, Some("Type A DNS record for Service Discovery"));
    svc.instance_output("ServiceName", service.name());
    svc.instance_output("TaskRoleArn", service.task_definition().task_role().arn());
    pipeline(&mut svc, "backend Fargate", "ecs-backend");
    svc
}

/// The backend services' security group: reachable from inside the VPC on the container port only; out: HTTPS
/// (registries, AWS APIs).
pub fn backend_security_group(root: &mut Scope, env: &FargateEnv, port: &Input<Instance, f64>) -> SecurityGroup {
    let sg = SecurityGroup::new(
        root,
        "ServiceSecurityGroup",
        SecurityGroupProps {
            vpc_id: env.vpc_id.clone(),
            description: "Backend tasks: the container port from inside the VPC".to_owned(),
            allow_all_outbound: false,
            group_name: None,
        },
    );
    sg.add_ingress_rule(
        root.stack(),
        Peer::ipv4(env.vpc_cidr.clone()),
        Port::tcp_value(port.as_integer()),
        "Services of the VPC to the container port (Cloud Map)",
    );
    sg.connections()
        .allow_to_any_ipv4(root.stack(), Port::tcp(443), "HTTPS to image registries and AWS APIs");
    sg
}

/// The value of the component outputs the service reads when no component is attached.
pub const NO_COMPONENT: &str = "none";

/// The component's managed policy on the task role, only when a component is attached (`Fn::If` on its name;
/// the ARN is built in this account and partition, where the component is deployed too).
fn attach_queue_policy(root: &mut Scope, task_role: &Role, policy_name: Value<String>) {
    let attached = root.add_condition(
        "HasQueueComponent",
        CondExpr::not(CondExpr::equals(policy_name.clone(), Value::from(NO_COMPONENT))),
    );
    let arn = fns::sub(
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/${Name}",
        [("Name", policy_name.into_expr())],
    );
    if let Some(role) = task_role.handle().and_then(|h| root.stack().l1_mut(&h)) {
        role.managed_policy_arns = Some(Value::from(vec![fns::if_(&attached, arn, Value::no_value())]));
    }
}

/// The program's templates: the environment, the service written against it and the component its instances
/// may have.
pub fn app() -> App {
    let env = fargate_env::environment();
    let svc = service(&env.interface());
    let component = backend_queue::component(&env.interface());
    let mut app = App::new("backend-fargate-svc");
    app.add_environment(env);
    app.add_service(svc);
    app.add_component(component);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(proton_synth::cli::run_lazily(app));
}
