//! AWS's catalog service `scheduled-ecs-ec2-svc` (aws-proton-cloudformation-sample-templates,
//! `service-templates/scheduled-ecs-ec2-svc`) built with the L3 pattern `patterns::ScheduledTask` on
//! `Compute::Ec2`, compatible with `ecs-ec2-env:1` (`ecs_ec2_env.rs`). It is `scheduled_fargate_svc.rs` with
//! another compute: what it shares with the other catalog services comes from `backend_fargate_svc.rs` and
//! `load_balanced_ecs_ec2_svc.rs`, included below.
//!
//! At input parity with the sample: the instance inputs `desired_count`, `task_size`, `image`,
//! `schedule_expression` and the pipeline inputs `service_dir` (default `ecs-ping-sns`), `dockerfile`,
//! `unit_test_command`. An EventBridge rule on `schedule_expression` starts `desired_count` tasks on the
//! environment's EC2 container instances (the cluster's default capacity provider strategy), with the sample's
//! `SNS_TOPIC_ARN` and `SNS_REGION` variables; the task role may publish to the environment's topic.
//! Deviations, and why:
//!
//! - Tasks in `awsvpc` mode in the private subnets with their own security group admitting nothing and
//!   letting out HTTPS only (the sample: `bridge` mode on the hosts' security group, launch type `EC2`).
//! - Those of `scheduled_fargate_svc.rs`: the rule's role may run this task definition in the environment's
//!   cluster only and pass its two roles to ECS tasks only; logs kept one year; read-only root filesystem; the
//!   default nginx image running as its own (root) user (suppressed with that reason); outputs
//!   `TaskDefinitionArn`/`TaskRoleArn`; a pipeline without Proton deploy stages.
//!
//! ```sh
//! cargo run --example scheduled_ecs_ec2_svc -- synth --out out/scheduled_ecs_ec2_svc
//! ```

#[path = "load_balanced_ecs_ec2_svc.rs"]
pub mod load_balanced_ecs_ec2_svc;

use lb_fargate_svc::CONTAINER_NAME;
use load_balanced_ecs_ec2_svc::backend_fargate_svc::{
    image_input, lb_fargate_svc, log_group, pipeline_with, sns_environment, task_role, task_size_input, FargateEnv,
    Names, ROOT_USER_REASON,
};
use load_balanced_ecs_ec2_svc::ecs_ec2_env;
use proton_synth::app::App;
use proton_synth::constructs::ecs::{ContainerImage, Logging, TaskSizeMapping};
use proton_synth::constructs::events::Schedule;
use proton_synth::constructs::nag::{self, Tool};
use proton_synth::constructs::patterns::{Compute, Ec2Compute, ScheduledTask, ScheduledTaskProps};
use proton_synth::proton::{EnvironmentInterface, InputDef, ServiceTemplate};

/// The Proton template name.
pub const TEMPLATE_NAME: &str = "scheduled-ecs-ec2-svc";

/// The service template, compatible with the given environment template (`ecs-ec2-env:1`).
pub fn service(env_interface: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(TEMPLATE_NAME, std::slice::from_ref(env_interface))
        .description(
            "A task on the EC2 container instances of its environment started on a schedule by an EventBridge \
             rule (proton-synth port of AWS's scheduled-ecs-ec2-svc sample)",
        )
        .input_type_name("ScheduledECSEC2TaskInput")
        .input_type_description("Input properties for Scheduled ECSEC2 Task");
    let desired_count = svc.instance_input(
        InputDef::number("desired_count")
            .title("Desired count")
            .description("The default number of ECS tasks you want running")
            .default(1.0)
            .minimum(1.0),
    );
    let task_size = task_size_input(&mut svc);
    let image = image_input(&mut svc);
    let schedule_expression = svc.instance_input(
        InputDef::string("schedule_expression")
            .title("Schedule expression")
            .description("The schedule or rate (frequency) for CloudWatch Events")
            .default("rate(5 minutes)")
            .min_length(1)
            .max_length(200),
    );
    let env = FargateEnv::read(&mut svc);
    let names = Names::read(&mut svc);

    let mut root = svc.instance();
    let sizes = TaskSizeMapping::aws_sample(&mut root, "TaskSize");
    let task_role = task_role(&mut root, &env);
    let logs = log_group(&mut root, &names);

    // On the environment's capacity provider (the cluster's default strategy), in the private subnets.
    let compute = Compute::Ec2(Ec2Compute {
        cpu: sizes.cpu(task_size.value()),
        memory_mib: sizes.memory(task_size.value()),
        ..Ec2Compute::new(env.private_subnets.clone())
    });
    let mut props = ScheduledTaskProps::new(
        env.cluster.clone(),
        compute,
        env.vpc_id.clone(),
        Schedule::late_bound(schedule_expression.value()),
        ContainerImage::registry(image.value()),
    );
    props.container_name = CONTAINER_NAME.to_owned();
    props.container.environment = sns_environment(&env).into_iter().collect();
    // The default image (nginx) writes its pid file, cache and temp files here, and starts as root.
    props.container.writable_paths = vec!["/tmp".to_owned(), "/var/cache/nginx".to_owned(), "/var/run".to_owned()];
    props.container.user = None;
    props.container.logging = Logging::AwsLogs {
        log_group: Some(logs),
        stream_prefix: Some("service".to_owned()),
    };
    props.task_count = desired_count.as_integer();
    props.family = Some(names.qualified());
    props.execution_role = Some(env.execution_role.clone());
    props.task_role = Some(task_role);
    props.description = Some("Starts the service instance's task on its schedule".to_owned());
    let task = ScheduledTask::new(&mut root, "ScheduledTask", props);

    nag::suppress(
        root.stack().resource_mut(&task.task_definition().handle()),
        Tool::Guard,
        "CT.ECS.PR.3",
        ROOT_USER_REASON,
    );
    svc.instance_output("TaskDefinitionArn", task.task_definition().arn());
    svc.instance_output("TaskRoleArn", task.task_definition().task_role().arn());
    pipeline_with(&mut svc, "scheduled ECS-on-EC2", "ecs-ping-sns", false);
    svc
}

/// The program's templates: the environment and the service written against it.
pub fn app() -> App {
    let env = ecs_ec2_env::environment();
    let svc = service(&env.interface());
    let mut app = App::new("scheduled-ecs-ec2-svc");
    app.add_environment(env);
    app.add_service(svc);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(app().run());
}
