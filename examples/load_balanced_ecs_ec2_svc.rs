//! AWS's catalog service `load-balanced-ecs-ec2-svc` (aws-proton-cloudformation-sample-templates,
//! `service-templates/load-balanced-ecs-ec2-svc`) built with the L3 pattern `patterns::LoadBalancedService`
//! on `Compute::ec2`, compatible with `ecs-ec2-env:1` (`ecs_ec2_env.rs`, included below). The pieces it
//! shares with the Fargate services (environment outputs, inputs, task role, log group, Cloud Map, pipeline)
//! come from `backend_fargate_svc.rs`, included below.
//!
//! Inputs as the sample's (`port`, `desired_count`, `task_size`, `loadbalancer_type`, `image`,
//! `backend_record`; pipeline `service_dir`, `dockerfile`, `unit_test_command`), output `ServiceURL`: an
//! internet-facing load balancer on port 80 in the public subnets, tasks on the environment's EC2 container
//! instances (its capacity provider, the cluster's default strategy), registered in Cloud Map, scaling 1–10
//! tasks on CPU and memory (50 %), with the sample's `SNS_TOPIC_ARN`, `SNS_REGION` and `BACKEND_RECORD`
//! variables. Deviations, and why:
//!
//! - Tasks in `awsvpc` mode in the private subnets, each with the service's own security group, behind an
//!   `ip` target group (the sample: `bridge` mode with dynamic host ports, which opened ports 32768-65535 of
//!   every container instance to the load balancer, for every service of the environment). Cloud Map records
//!   are A records (the sample: SRV records with the dynamic port).
//! - `loadbalancer_type` accepts `application` only (the sample: also `network`, which opened the hosts'
//!   ports 32768-65535 to the whole internet, its load balancer having no security group); see
//!   `load_balanced_fargate_svc.rs`.
//! - The tasks' security group admits the load balancer on the container port only and lets out HTTPS plus
//!   TCP inside the VPC (calls to `backend_record`); the load balancer drops invalid headers and writes access
//!   logs to its own bucket; the task role may only publish to the environment's topic.
//! - Kept, with the reason in the metadata: HTTP only (the sample has no certificate input), no deletion
//!   protection (the load balancer is deleted with its instance), the default nginx image running as its own
//!   (root) user. As in the sample, `x-large` (8 GiB) does not fit the environment's default `c4.xlarge`.
//! - Container `app`, outputs `ServiceName`/`TaskRoleArn` and the pipeline as in `backend_fargate_svc.rs`.
//!
//! ```sh
//! cargo run --example load_balanced_ecs_ec2_svc -- synth --out out/load_balanced_ecs_ec2_svc
//! ```

#[path = "backend_fargate_svc.rs"]
pub mod backend_fargate_svc;
// ecs_ec2_env includes its own copy of fargate_env, as backend_fargate_svc does (each example is a standalone
// program); the two copies are separate modules here, which is harmless.
#[allow(clippy::duplicate_mod)]
#[path = "ecs_ec2_env.rs"]
pub mod ecs_ec2_env;

use backend_fargate_svc::load_balanced::{loadbalancer_type_input, task_image};
use backend_fargate_svc::{
    cloud_map_service, container, image_input, log_group, pipeline, port_input, task_role, task_size_input, FargateEnv,
    Names, ROOT_USER_REASON,
};
use proton_synth::app::App;
use proton_synth::constructs::ec2::{Peer, Port, VpcRef};
use proton_synth::constructs::ecs::TaskSizeMapping;
use proton_synth::constructs::elbv2::{AccessLogs, HealthCheck};
use proton_synth::constructs::nag::{self, Tool};
use proton_synth::constructs::patterns::{
    AutoScalingOptions, Compute, LoadBalancedService, LoadBalancedServiceProps, TaskSource,
};
use proton_synth::constructs::s3;
use proton_synth::constructs::{Stack, Value};
use proton_synth::proton::{EnvironmentInterface, Input, InputDef, Instance, ServiceTemplate};

/// The Proton template name.
pub const TEMPLATE_NAME: &str = "load-balanced-ecs-ec2-svc";

/// The EC2 samples' `desired_count` input (its description names ECS tasks).
pub fn desired_count_input(svc: &mut ServiceTemplate) -> Input<Instance, f64> {
    svc.instance_input(
        InputDef::number("desired_count")
            .title("Desired count")
            .description("The default number of ECS tasks you want running")
            .default(1.0)
            .minimum(1.0),
    )
}

/// The service template, compatible with the given environment template (`ecs-ec2-env:1`).
pub fn service(env_interface: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(TEMPLATE_NAME, std::slice::from_ref(env_interface))
        .description(
            "A service on the EC2 container instances of its environment behind a public load balancer \
             (proton-synth port of AWS's load-balanced-ecs-ec2-svc sample)",
        )
        .input_type_name("LoadBalancedECSEC2ServiceInput")
        .input_type_description("Input properties for a loadbalanced ECSEC2 service");
    let port = port_input(&mut svc);
    let desired_count = desired_count_input(&mut svc);
    let task_size = task_size_input(&mut svc);
    let loadbalancer_type = loadbalancer_type_input(&mut svc);
    let image = image_input(&mut svc);
    let backend_record = svc.instance_input(
        InputDef::string("backend_record")
            .title("Backend Record")
            .description("SRV Record name of the backend service")
            .default("backend-svc-inst.backend-svc.ecs-ec2-env.local")
            .min_length(1)
            .max_length(200),
    );
    let env = FargateEnv::read(&mut svc);
    let names = Names::read(&mut svc);

    let mut root = svc.instance();
    let sizes = TaskSizeMapping::aws_sample(&mut root, "TaskSize");
    let task_role = task_role(&mut root, &env);
    let logs = log_group(&mut root, &names);
    let registry = cloud_map_service(&mut root, &env, &names);
    let access_logs = s3::Bucket::new_access_log_bucket(&mut root, "LoadBalancerAccessLogs");
    access_logs.allow_elb_access_logs(root.stack(), Some("alb"));

    let mut c = container(&image, &port, &env);
    c.environment
        .insert("BACKEND_RECORD".to_owned(), backend_record.value());
    let task = task_image(c, &port, logs);

    let vpc = VpcRef {
        vpc_id: env.vpc_id.clone(),
        public_subnet_ids: env.public_subnets.clone(),
        private_subnet_ids: env.private_subnets.clone(),
        isolated_subnet_ids: Vec::new(),
    };
    let mut props = LoadBalancedServiceProps::new(env.cluster.clone(), vpc, task.image.clone());
    props.task = TaskSource::Image(task);
    // On the environment's capacity provider (the cluster's default strategy), in the private subnets.
    props.compute = Compute::ec2(env.private_subnets.clone());
    props
        .compute
        .set_size(sizes.cpu(task_size.value()), sizes.memory(task_size.value()));
    props.family = Some(names.qualified());
    props.execution_role = Some(env.execution_role.clone());
    props.task_role = Some(task_role);
    props.desired_count = desired_count.as_integer();
    props.service_name = Some(names.qualified());
    props.health_check = HealthCheck::http("/");
    props.deletion_protection = false;
    props.access_logs = Some(AccessLogs::bucket(&access_logs, Some("alb")));
    props.service_registry_arns = vec![registry];
    props.auto_scaling = Some(AutoScalingOptions {
        min_capacity: 1,
        max_capacity: 10,
        cpu_target_percent: Some(50.0),
        memory_target_percent: Some(50.0),
        ..AutoScalingOptions::default()
    });
    props.outputs = false;
    let web = LoadBalancedService::new(&mut root, "Service", props);

    adjust(root.stack(), &web, loadbalancer_type.value(), &env);

    svc.instance_output("ServiceURL", web.service_url());
    svc.instance_output("ServiceName", web.service().name());
    svc.instance_output("TaskRoleArn", web.task_definition().task_role().arn());
    pipeline(&mut svc, "load-balanced ECS-on-EC2", "ecs-static-website");
    svc
}

/// What the pattern leaves to this template: the load balancer's `Type` from its input, the reasons for its
/// findings, and calls to `backend_record`.
fn adjust(stack: &mut Stack, web: &LoadBalancedService, loadbalancer_type: Value<String>, env: &FargateEnv) {
    if let Some(lb) = stack.l1_mut(&web.load_balancer().handle()) {
        lb.r#type = Some(loadbalancer_type);
    }
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
        "the load balancer belongs to one AWS Proton service instance and is deleted with it; deletion \
         protection would make deleting the instance fail",
    );
    // Calls to `backend_record` (another service of the VPC, on a port only the spec knows).
    for sg in web.service().security_groups() {
        sg.add_egress_rule(
            stack,
            Peer::ipv4(env.vpc_cidr.clone()),
            Port::all_tcp(),
            "To the services of the VPC (backend_record)",
        );
    }
}

/// The program's templates: the environment and the service written against it.
pub fn app() -> App {
    let env = ecs_ec2_env::environment();
    let svc = service(&env.interface());
    let mut app = App::new("load-balanced-ecs-ec2-svc");
    app.add_environment(env);
    app.add_service(svc);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(app().run());
}
