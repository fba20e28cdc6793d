//! AWS's catalog service `worker-ecs-ec2-svc` (aws-proton-cloudformation-sample-templates,
//! `service-templates/worker-ecs-ec2-svc`) built with the L3 pattern `patterns::QueueProcessingService` on
//! `Compute::Ec2`, compatible with `ecs-ec2-env:1` (`ecs_ec2_env.rs`). It is `worker_fargate_svc.rs` with
//! another compute: what it shares with the other catalog services comes from `backend_fargate_svc.rs` and
//! `load_balanced_ecs_ec2_svc.rs`, included below.
//!
//! At input parity with the sample: the instance inputs `desired_count`, `task_size`, `image` and the
//! pipeline inputs `service_dir` (default `ecs-worker`), `dockerfile`, `unit_test_command`; the outputs
//! `ServiceSQSQueue`, `ServiceSQSQueueArn`, `ServiceSQSDeadLetterQueue`, `ServiceSQSDeadLetterQueueArn`. A
//! worker on the environment's EC2 container instances that works off its own SQS queue, subscribed to the
//! environment's `ping` topic, with a dead-letter queue after 3 receives, scaling 1–10 tasks on CPU (50 %) and
//! on the visible messages like the sample. Deviations, and why:
//!
//! - Tasks in `awsvpc` mode in the private subnets with their own security group admitting nothing and
//!   letting out HTTPS only (the sample: `bridge` mode on the hosts' security group, everything out).
//! - Those of `worker_fargate_svc.rs`: encrypted, TLS-only queues that only the environment's topic may send
//!   to; a task role that may consume this queue only; logs kept one year; read-only root filesystem; the
//!   default nginx image running as its own (root) user (suppressed with that reason); rollback on failure.
//!
//! ```sh
//! cargo run --example worker_ecs_ec2_svc -- synth --out out/worker_ecs_ec2_svc
//! ```

#[path = "load_balanced_ecs_ec2_svc.rs"]
pub mod load_balanced_ecs_ec2_svc;

use load_balanced_ecs_ec2_svc::backend_fargate_svc::queue_worker::{queue_worker, subscribe, worker_outputs};
use load_balanced_ecs_ec2_svc::backend_fargate_svc::{
    image_input, log_group, pipeline, task_size_input, FargateEnv, Names,
};
use load_balanced_ecs_ec2_svc::ecs_ec2_env;
use proton_synth::app::App;
use proton_synth::constructs::ecs::TaskSizeMapping;
use proton_synth::constructs::patterns::{Compute, Ec2Compute};
use proton_synth::proton::{EnvironmentInterface, InputDef, ServiceTemplate};

/// The Proton template name.
pub const TEMPLATE_NAME: &str = "worker-ecs-ec2-svc";

/// The service template, compatible with the given environment template (`ecs-ec2-env:1`).
pub fn service(env_interface: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(TEMPLATE_NAME, std::slice::from_ref(env_interface))
        .description(
            "A worker service on the EC2 container instances of its environment consuming its own SQS queue, \
             subscribed to the environment's SNS topic (proton-synth port of AWS's worker-ecs-ec2-svc sample)",
        )
        .input_type_name("WorkerECSEC2ServiceInput")
        .input_type_description("Input properties for a Worker ECSEC2 service");
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
    let logs = log_group(&mut root, &names);

    // On the environment's capacity provider (the cluster's default strategy), in the private subnets.
    let compute = Compute::Ec2(Ec2Compute {
        cpu: sizes.cpu(task_size.value()),
        memory_mib: sizes.memory(task_size.value()),
        ..Ec2Compute::new(env.private_subnets.clone())
    });
    let worker = queue_worker(&mut root, &env, &names, compute, &image, logs, &desired_count);
    subscribe(root.stack(), &worker, &env);
    worker_outputs(&mut svc, &worker);
    pipeline(&mut svc, "worker ECS-on-EC2", "ecs-worker");
    svc
}

/// The program's templates: the environment and the service written against it.
pub fn app() -> App {
    let env = ecs_ec2_env::environment();
    let svc = service(&env.interface());
    let mut app = App::new("worker-ecs-ec2-svc");
    app.add_environment(env);
    app.add_service(svc);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(app().run());
}
