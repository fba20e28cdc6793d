//! AWS's catalog service `load-balanced-fargate-svc` (aws-proton-cloudformation-sample-templates,
//! `service-templates/load-balanced-fargate-svc`) built with the L3 pattern
//! `patterns::LoadBalancedFargateService`, compatible with `fargate-env:1` (`fargate_env.rs`). The pieces it
//! shares with the backend service (environment outputs, inputs, task role, log group, Cloud Map, subnet
//! choice, pipeline) come from `backend_fargate_svc.rs`, included below.
//!
//! Inputs as the sample's (`port`, `desired_count`, `task_size`, `subnet_type`, `loadbalancer_type`, `image`,
//! `backendurl`; pipeline `service_dir`, `dockerfile`, `unit_test_command`), output `ServiceURL`: an
//! internet-facing load balancer on port 80 in the public subnets, Fargate tasks in the public or private
//! subnets after `subnet_type`, registered in Cloud Map, scaling 1–10 tasks on CPU and memory (50 %), with the
//! sample's `SNS_TOPIC_ARN`, `SNS_REGION` and `BACKEND_URL` variables. Deviations, and why:
//!
//! - `loadbalancer_type` accepts `application` only (the sample: also `network`). The sample's network variant
//!   opened the tasks' security group on port 80 to the whole internet (its network load balancer had no
//!   security group), so with `subnet_type: public` every task was reachable directly, bypassing the load
//!   balancer. The L3 pattern builds application load balancers only (switching kinds on the input would put
//!   every load-balancer resource of the pattern under a CloudFormation condition); a secure network variant
//!   (tasks admitting the VPC's range only) is left for a pattern that supports NLBs.
//!   A spec asking for `network` fails validation instead of deploying something else.
//! - The tasks' security group admits the load balancer on the container port only (the sample: port 80,
//!   whatever the `port` input) and lets out HTTPS plus TCP inside the VPC (calls to `backendurl`); the load
//!   balancer drops invalid headers and writes access logs to its own bucket; the task role may only publish
//!   to the environment's topic (the sample also attached `cloudwatch:PutMetricData`/`logs:PutLogEvents` on
//!   `*` and a permissions boundary allowing S3 reads and writes on `*`; Proton components, whose policies the
//!   sample attached, are not supported without Proton).
//! - Kept, with the reason in the metadata: HTTP only (the sample has no certificate input), no deletion
//!   protection (the load balancer is deleted with its instance), public IPs for tasks in the public subnets,
//!   the default nginx image running as its own (root) user.
//! - Container `app`, outputs `ServiceName`/`TaskRoleArn` and the pipeline as in `backend_fargate_svc.rs`.
//!
//! ```sh
//! cargo run --example load_balanced_fargate_svc -- synth --out out/load_balanced_fargate_svc
//! ```

#[path = "backend_fargate_svc.rs"]
pub mod backend_fargate_svc;

use backend_fargate_svc::load_balanced::{loadbalancer_type_input, task_image};
use backend_fargate_svc::{
    assign_public_ip, cloud_map_service, container, desired_count_input, fargate_env, image_input, log_group, pipeline,
    placement, port_input, subnet_type_input, task_role, task_size_input, FargateEnv, Names, Placement,
    ROOT_USER_REASON,
};
use proton_synth::app::App;
use proton_synth::constructs::ec2::{Peer, Port, VpcRef};
use proton_synth::constructs::ecs::TaskSizeMapping;
use proton_synth::constructs::elbv2::{AccessLogs, HealthCheck};
use proton_synth::constructs::nag::{self, Tool};
use proton_synth::constructs::patterns::{
    AutoScalingOptions, Compute, LoadBalancedFargateService, LoadBalancedFargateServiceProps, TaskSource,
};
use proton_synth::constructs::s3;
use proton_synth::constructs::{Stack, Value};
use proton_synth::proton::{EnvironmentInterface, Input, InputDef, Instance, ServiceTemplate};

/// The Proton template name.
pub const TEMPLATE_NAME: &str = "load-balanced-fargate-svc";

/// The service template, compatible with the given environment template (`fargate-env:1`).
pub fn service(env_interface: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(TEMPLATE_NAME, std::slice::from_ref(env_interface))
        .description(
            "A service on AWS Fargate in a public or private subnet behind a public load balancer (proton-synth \
             port of AWS's load-balanced-fargate-svc sample)",
        )
        .input_type_name("LoadBalancedFargateServiceInput")
        .input_type_description("Input properties for a loadbalanced Fargate service");
    let port = port_input(&mut svc);
    let desired_count = desired_count_input(&mut svc);
    let task_size = task_size_input(&mut svc);
    let subnet_type = subnet_type_input(&mut svc);
    let loadbalancer_type = loadbalancer_type_input(&mut svc);
    let image = image_input(&mut svc);
    let backend_url = backend_url_input(&mut svc);
    let env = FargateEnv::read(&mut svc);
    let names = Names::read(&mut svc);

    let mut root = svc.instance();
    let sizes = TaskSizeMapping::aws_sample(&mut root, "TaskSize");
    let placement = placement(&mut root, &env, &subnet_type);
    let task_role = task_role(&mut root, &env);
    let logs = log_group(&mut root, &names);
    let registry = cloud_map_service(&mut root, &env, &names);
    // Access logs of the load balancer: an SSE-S3 bucket Elastic Load Balancing may write to (one year).
    let access_logs = s3::Bucket::new_access_log_bucket(&mut root, "LoadBalancerAccessLogs");
    access_logs.allow_elb_access_logs(root.stack(), Some("alb"));

    let mut c = container(&image, &port, &env);
    c.environment.insert("BACKEND_URL".to_owned(), backend_url.value());
    let task = task_image(c, &port, logs);

    let vpc = VpcRef {
        vpc_id: env.vpc_id.clone(),
        public_subnet_ids: env.public_subnets.clone(),
        private_subnet_ids: env.private_subnets.clone(),
        isolated_subnet_ids: Vec::new(),
    };
    let mut props = LoadBalancedFargateServiceProps::new(env.cluster.clone(), vpc, task.image.clone());
    props.task = TaskSource::Image(task);
    props.compute = Compute::fargate(placement.subnets.clone());
    props
        .compute
        .set_size(sizes.cpu(task_size.value()), sizes.memory(task_size.value()));
    props.family = Some(names.qualified());
    props.execution_role = Some(env.execution_role.clone());
    props.task_role = Some(task_role);
    props.desired_count = desired_count.as_integer();
    props.service_name = Some(names.qualified());
    props.health_check = HealthCheck::http("/");
    // The load balancer belongs to one instance and is deleted with it.
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
    // The instance's outputs are declared below (Proton reads them from the template's outputs).
    props.outputs = false;
    let web = LoadBalancedFargateService::new(&mut root, "Service", props);

    adjust(root.stack(), &web, loadbalancer_type.value(), &placement, &env);

    svc.instance_output("ServiceURL", web.service_url());
    svc.instance_output("ServiceName", web.service().name());
    svc.instance_output("TaskRoleArn", web.task_definition().task_role().arn());
    pipeline(&mut svc, "load-balanced Fargate", "ecs-static-website");
    svc
}

/// `backendurl`: where the service calls its backend.
fn backend_url_input(svc: &mut ServiceTemplate) -> Input<Instance, String> {
    svc.instance_input(
        InputDef::string("backendurl")
            .title("Backend URL")
            .description("Service discovery url of the backend service")
            .default("backend-svc-inst.backend-svc.fargate-env.local:80")
            .min_length(1)
            .max_length(200),
    )
}

/// What the pattern leaves to this template: the load balancer's `Type` from its input, the tasks' public IP
/// after the placement, the reasons for its findings, and calls to `backendurl`.
fn adjust(
    stack: &mut Stack,
    web: &LoadBalancedFargateService,
    loadbalancer_type: Value<String>,
    placement: &Placement,
    env: &FargateEnv,
) {
    // The load balancer's `Type` is the input's value (the only one the schema admits: `application`).
    if let Some(lb) = stack.l1_mut(&web.load_balancer().handle()) {
        lb.r#type = Some(loadbalancer_type);
    }
    assign_public_ip(stack, &web.service().handle(), placement);
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
    // Calls to `backendurl` (another service of the VPC, on a port only the spec knows).
    for sg in web.service().security_groups() {
        sg.add_egress_rule(
            stack,
            Peer::ipv4(env.vpc_cidr.clone()),
            Port::all_tcp(),
            "To the services of the VPC (backendurl)",
        );
    }
}

/// The program's templates: the environment and the service written against it.
pub fn app() -> App {
    let env = fargate_env::environment();
    let svc = service(&env.interface());
    let mut app = App::new("load-balanced-fargate-svc");
    app.add_environment(env);
    app.add_service(svc);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(proton_synth::cli::run_lazily(app));
}
