//! AWS's catalog service `backend-ecs-ec2-svc` (aws-proton-cloudformation-sample-templates,
//! `service-templates/backend-ecs-ec2-svc`) rewritten with the L2 constructs `ecs::Ec2TaskDefinition` and
//! `ecs::Ec2Service`, compatible with `ecs-ec2-env:1` (`ecs_ec2_env.rs`). The pieces it shares with the other
//! catalog services (environment outputs, inputs, task role, log group, Cloud Map, pipeline) come from
//! `backend_fargate_svc.rs` and `load_balanced_ecs_ec2_svc.rs`, included below.
//!
//! At input parity with the sample: the instance inputs `port`, `desired_count`, `task_size`, `image` and the
//! pipeline inputs `service_dir`, `dockerfile`, `unit_test_command`; the output `BackendURL`
//! (`<instance>.<service>.<environment>.local`). A service without a load balancer on the environment's EC2
//! container instances, reachable through Cloud Map, scaling 1–10 tasks on CPU and memory (50 %), allowed to
//! publish to the environment's SNS topic. Deviations, and why:
//!
//! - Tasks in `awsvpc` mode in the private subnets with their own security group, admitting the container port
//!   from the VPC's range only and letting out HTTPS only (the sample: `bridge` mode on the hosts' security
//!   group, host ports 32768-65535 open to the VPC, SRV records with the dynamic port); Cloud Map records are
//!   A records, so `BackendURL` resolves to the tasks and the port is the `port` input.
//! - The task role may publish to the environment's topic and nothing else; logs are kept one year below the
//!   prefix the environment's execution role may write to; read-only root filesystem; the deployment rolls
//!   back on failure. The default nginx image runs as its own (root) user, suppressed with that reason.
//! - Container `app`, outputs `ServiceName`/`TaskRoleArn` and the pipeline as in `backend_fargate_svc.rs`.
//!
//! ```sh
//! cargo run --example backend_ecs_ec2_svc -- synth --out out/backend_ecs_ec2_svc
//! ```

#[path = "load_balanced_ecs_ec2_svc.rs"]
pub mod load_balanced_ecs_ec2_svc;

use lb_fargate_svc::CONTAINER_NAME;
use load_balanced_ecs_ec2_svc::backend_fargate_svc::{
    backend_security_group, cloud_map_service, container, image_input, lb_fargate_svc, log_group, pipeline, port_input,
    task_role, task_size_input, FargateEnv, Names, ROOT_USER_REASON,
};
use load_balanced_ecs_ec2_svc::ecs_ec2_env;
use proton_synth::app::App;
use proton_synth::constructs::ecs::{
    Ec2Service, Ec2ServiceProps, Ec2TaskDefinition, Ec2TaskDefinitionProps, Logging, TaskSizeMapping,
};
use proton_synth::constructs::nag::{self, Tool};
use proton_synth::proton::{EnvironmentInterface, InputDef, ServiceTemplate};

/// The Proton template name.
pub const TEMPLATE_NAME: &str = "backend-ecs-ec2-svc";

/// The service template, compatible with the given environment template (`ecs-ec2-env:1`).
pub fn service(env_interface: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(TEMPLATE_NAME, std::slice::from_ref(env_interface))
        .description(
            "A backend service on the EC2 container instances of its environment, reachable through Cloud Map \
             (proton-synth port of AWS's backend-ecs-ec2-svc sample)",
        )
        .input_type_name("BackendECSEC2ServiceInput")
        .input_type_description("Input properties for a Backend ECSEC2 service");
    let port = port_input(&mut svc);
    let desired_count = svc.instance_input(
        InputDef::number("desired_count")
            .title("Desired count")
            .description("The default number of ECSEC2 tasks you want running")
            .default(1.0)
            .minimum(1.0),
    );
    let task_size = task_size_input(&mut svc);
    let image = image_input(&mut svc);
    let env = FargateEnv::read(&mut svc);
    let names = Names::read(&mut svc);

    let mut root = svc.instance();
    let sizes = TaskSizeMapping::aws_sample(&mut root, "TaskSize");
    let task_role = task_role(&mut root, &env);
    let logs = log_group(&mut root, &names);
    let task_definition = Ec2TaskDefinition::new(
        &mut root,
        "ServiceTaskDef",
        Ec2TaskDefinitionProps {
            cpu: sizes.cpu(task_size.value()),
            memory_mib: sizes.memory(task_size.value()),
            family: Some(names.qualified()),
            execution_role: Some(env.execution_role.clone()),
            task_role: Some(task_role),
        },
    );
    let mut c = container(&image, &port, &env);
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
    // On the environment's capacity provider (the cluster's default strategy), in the private subnets.
    let mut props = Ec2ServiceProps::new(env.cluster.clone(), task_definition, env.private_subnets.clone());
    props.security_groups = vec![sg];
    props.desired_count = desired_count.as_integer();
    props.service_name = Some(names.qualified());
    props.service_registry_arns = vec![registry];
    let service = Ec2Service::new(&mut root, "Service", props);
    let stack = root.stack();
    let scaling = service.auto_scale_task_count(stack, 1, 10);
    scaling.scale_on_cpu_utilization(stack, 50.0);
    scaling.scale_on_memory_utilization(stack, 50.0);

    let url = names.cloud_map_url(None);
    svc.instance_output_with_description("BackendURL", url, Some("Type A DNS record for Service Discovery"));
    svc.instance_output("ServiceName", service.name());
    svc.instance_output("TaskRoleArn", service.task_definition().task_role().arn());
    pipeline(&mut svc, "backend ECS-on-EC2", "ecs-backend");
    svc
}

/// The program's templates: the environment and the service written against it.
pub fn app() -> App {
    let env = ecs_ec2_env::environment();
    let svc = service(&env.interface());
    let mut app = App::new("backend-ecs-ec2-svc");
    app.add_environment(env);
    app.add_service(svc);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(app().run());
}
