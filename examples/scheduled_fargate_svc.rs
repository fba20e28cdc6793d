//! AWS's catalog service `scheduled-fargate-svc` (aws-proton-cloudformation-sample-templates,
//! `service-templates/scheduled-fargate-svc`) built with the L3 pattern `patterns::ScheduledTask`, compatible
//! with `fargate-env:1` (`fargate_env.rs`). What it shares with the other Fargate services (environment
//! outputs, inputs, task role, log group, subnet choice, pipeline) comes from `backend_fargate_svc.rs`,
//! included below.
//!
//! At input parity with the sample: the instance inputs `desired_count`, `task_size`, `subnet_type`, `image`,
//! `schedule_expression` and the pipeline inputs `service_dir` (default `ecs-ping-sns`), `dockerfile`,
//! `unit_test_command`. An EventBridge rule on `schedule_expression` starts `desired_count` Fargate tasks in
//! the public or private subnets after `subnet_type`, with the sample's `SNS_TOPIC_ARN` and `SNS_REGION`
//! variables; the task role may publish to the environment's topic. Deviations, and why:
//!
//! - The rule's role may run this task definition in the environment's cluster only and pass its two roles to
//!   ECS tasks only (the sample's `iam:PassRole` had no `iam:PassedToService` condition).
//! - The tasks' security group admits nothing and lets out HTTPS only (the sample: everything out).
//! - The log group keeps logs one year below the prefix the environment's execution role may write to; the
//!   container has a read-only root filesystem and runs as its image's user (the default nginx image starts as
//!   root: suppressed with that reason).
//! - The container is named `app` (the sample: the instance's name); outputs `TaskDefinitionArn` and
//!   `TaskRoleArn` are added (the sample has none); `schedule_expression` is passed to
//!   EventBridge as given, which rejects a malformed one when the instance is deployed. The schema keeps the
//!   sample's free text (1–200 characters, no `pattern`): a pattern would refuse specs the sample accepted, and
//!   the parity rules allow a deviation to narrow an enum only. A literal expression is checked at synth
//!   instead (`Schedule::late_bound` parses literals like `Schedule::parse`).
//! - Pipeline: source, build in `service_dir` and push to ECR, like `backend_fargate_svc.rs`'s, but without
//!   deploy stages. The sample's deploy stages called Proton (`update-service-instance` with the new image),
//!   which reached end of support; a scheduled task has no ECS service for CodePipeline's ECS deploy action.
//!   Instances take a new image through their `image` input (set it in the spec to the pushed
//!   `<RepositoryUri output of the pipeline>:<tag>` and `proton-synth deploy` the service).
//!
//! ```sh
//! cargo run --example scheduled_fargate_svc -- synth --out out/scheduled_fargate_svc
//! ```

#[path = "backend_fargate_svc.rs"]
pub mod backend_fargate_svc;

use backend_fargate_svc::{
    desired_count_input, fargate_env, image_input, lb_fargate_svc, log_group, pipeline_with, placement,
    sns_environment, subnet_type_input, task_role, task_size_input, FargateEnv, Names, Placement, ROOT_USER_REASON,
};
use lb_fargate_svc::CONTAINER_NAME;
use proton_synth::app::App;
use proton_synth::constructs::ecs::{ContainerImage, Logging, TaskSizeMapping};
use proton_synth::constructs::events::Schedule;
use proton_synth::constructs::nag::{self, Tool};
use proton_synth::constructs::patterns::{Compute, FargateCompute, ScheduledTask, ScheduledTaskProps, Started};
use proton_synth::constructs::{cfn, fns, Stack, Value};
use proton_synth::proton::{EnvironmentInterface, InputDef, ServiceTemplate};

/// The Proton template name.
pub const TEMPLATE_NAME: &str = "scheduled-fargate-svc";

/// The service template, compatible with the given environment template (`fargate-env:1`).
pub fn service(env_interface: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(TEMPLATE_NAME, std::slice::from_ref(env_interface))
        .description(
            "A task on AWS Fargate started on a schedule by an EventBridge rule (proton-synth port of AWS's \
             scheduled-fargate-svc sample)",
        )
        .input_type_name("ScheduledFargateTaskInput")
        .input_type_description("Input properties for Scheduled Fargate Task");
    let desired_count = desired_count_input(&mut svc);
    let task_size = task_size_input(&mut svc);
    let subnet_type = subnet_type_input(&mut svc);
    let image = image_input(&mut svc);
    let schedule_expression = svc.instance_input(
        InputDef::string("schedule_expression")
            .title("Schedule expression")
            .description("The schedule or rate (frequency) for EventBridge Events")
            .default("rate(5 minutes)")
            .min_length(1)
            .max_length(200),
    );
    let env = FargateEnv::read(&mut svc);
    let names = Names::read(&mut svc);

    let mut root = svc.instance();
    let sizes = TaskSizeMapping::aws_sample(&mut root, "TaskSize");
    let placement = placement(&mut root, &env, &subnet_type);
    let task_role = task_role(&mut root, &env);
    let logs = log_group(&mut root, &names);

    let compute = Compute::Fargate(FargateCompute {
        cpu: sizes.cpu(task_size.value()),
        memory_mib: sizes.memory(task_size.value()),
        ..FargateCompute::new(placement.subnets.clone())
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

    let stack = root.stack();
    if let Started::Rule(rule) = task.started_by() {
        rule_public_ip(stack, &rule.handle(), &placement);
    }
    nag::suppress(
        stack.resource_mut(&task.task_definition().handle()),
        Tool::Guard,
        "CT.ECS.PR.3",
        ROOT_USER_REASON,
    );
    svc.instance_output("TaskDefinitionArn", task.task_definition().arn());
    svc.instance_output("TaskRoleArn", task.task_definition().task_role().arn());
    pipeline_with(&mut svc, "scheduled Fargate", "ecs-ping-sns", false);
    svc
}

/// Public IPs for tasks in the public subnets only (`AssignPublicIp` of the rule's ECS target after the
/// placement's condition), like `backend_fargate_svc::assign_public_ip` for services.
fn rule_public_ip(
    stack: &mut Stack,
    rule: &proton_synth::constructs::Handle<cfn::events::Rule>,
    placement: &Placement,
) {
    let Some(rule) = stack.l1_mut(rule) else {
        return;
    };
    for target in rule.targets.iter_mut().flatten() {
        if let Some(awsvpc) = target
            .ecs_parameters
            .as_mut()
            .and_then(|e| e.network_configuration.as_mut())
            .and_then(|n| n.aws_vpc_configuration.as_mut())
        {
            awsvpc.assign_public_ip = Some(fns::if_(
                &placement.private,
                Value::from("DISABLED"),
                Value::from("ENABLED"),
            ));
        }
    }
}

/// The program's templates: the environment and the service written against it.
pub fn app() -> App {
    let env = fargate_env::environment();
    let svc = service(&env.interface());
    let mut app = App::new("scheduled-fargate-svc");
    app.add_environment(env);
    app.add_service(svc);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(app().run());
}
