//! AWS's catalog service `worker-fargate-svc` (aws-proton-cloudformation-sample-templates,
//! `service-templates/worker-fargate-svc`) built with the L3 pattern `patterns::QueueProcessingService`,
//! compatible with `fargate-env:1` (`fargate_env.rs`). What it shares with the other Fargate services
//! (environment outputs, inputs, log group, subnet choice, pipeline) comes from `backend_fargate_svc.rs`,
//! included below.
//!
//! At input parity with the sample: the instance inputs `desired_count`, `task_size`, `subnet_type`, `image`
//! and the pipeline inputs `service_dir` (default `ecs-worker`), `dockerfile`, `unit_test_command`; the
//! outputs `ServiceSQSQueue`, `ServiceSQSQueueArn`, `ServiceSQSDeadLetterQueue`,
//! `ServiceSQSDeadLetterQueueArn`. A Fargate service without a load balancer that works off its own SQS
//! queue, subscribed to the environment's `ping` topic, with a dead-letter queue after 3 receives (14 days'
//! retention), the sample's `QUEUE_NAME`, `QUEUE_URI` and `QUEUE_REGION` variables, in the public or private
//! subnets after `subnet_type`, scaling 1–10 tasks on CPU (50 %) and on the visible messages (≤ 0: −1 task,
//! ≥ 100: +1, ≥ 500: +5, five-minute maximum, like the sample). Deviations, and why:
//!
//! - The queues are encrypted at rest (SSE-SQS) and deny requests without TLS (the sample: neither). The
//!   queue policy lets only the environment's topic send (the sample also allowed the task role there, which
//!   its IAM policy already did); the task role may consume this queue and nothing else.
//! - The tasks' security group admits nothing and lets out HTTPS only (the sample: everything out).
//! - The log group keeps logs one year below the prefix the environment's execution role may write to; the
//!   container has a read-only root filesystem and runs as its image's user (the default nginx image starts as
//!   root: suppressed with that reason); the deployment rolls back on failure and keeps 100 % of the tasks.
//! - Tasks in the public subnets (`subnet_type: public`, the sample's default) get a public IP, like the
//!   sample's; they still admit no inbound traffic.
//! - Container `app`, outputs `ServiceName`/`TaskRoleArn` and the pipeline as in `backend_fargate_svc.rs`.
//!
//! ```sh
//! cargo run --example worker_fargate_svc -- synth --out out/worker_fargate_svc
//! ```

#[path = "backend_fargate_svc.rs"]
pub mod backend_fargate_svc;

use backend_fargate_svc::queue_worker::{queue_worker, subscribe, worker_outputs};
use backend_fargate_svc::{
    assign_public_ip, desired_count_input, fargate_env, image_input, log_group, pipeline, placement, subnet_type_input,
    task_size_input, FargateEnv, Names,
};
use proton_synth::app::App;
use proton_synth::constructs::ecs::TaskSizeMapping;
use proton_synth::constructs::patterns::{Compute, FargateCompute};
use proton_synth::proton::{EnvironmentInterface, ServiceTemplate};

/// The Proton template name.
pub const TEMPLATE_NAME: &str = "worker-fargate-svc";

/// The service template, compatible with the given environment template (`fargate-env:1`).
pub fn service(env_interface: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(TEMPLATE_NAME, std::slice::from_ref(env_interface))
        .description(
            "A worker service on AWS Fargate consuming its own SQS queue, subscribed to the environment's SNS \
             topic (proton-synth port of AWS's worker-fargate-svc sample)",
        )
        .input_type_name("WorkerFargateServiceInput")
        .input_type_description("Input properties for a Worker Fargate service");
    let desired_count = desired_count_input(&mut svc);
    let task_size = task_size_input(&mut svc);
    let subnet_type = subnet_type_input(&mut svc);
    let image = image_input(&mut svc);
    let env = FargateEnv::read(&mut svc);
    let names = Names::read(&mut svc);

    let mut root = svc.instance();
    let sizes = TaskSizeMapping::aws_sample(&mut root, "TaskSize");
    let placement = placement(&mut root, &env, &subnet_type);
    let logs = log_group(&mut root, &names);

    let compute = Compute::Fargate(FargateCompute {
        cpu: sizes.cpu(task_size.value()),
        memory_mib: sizes.memory(task_size.value()),
        ..FargateCompute::new(placement.subnets.clone())
    });
    let worker = queue_worker(&mut root, &env, &names, compute, &image, logs, &desired_count);
    let stack = root.stack();
    assign_public_ip(stack, &worker.service().handle(), &placement);
    subscribe(stack, &worker, &env);
    worker_outputs(&mut svc, &worker);
    pipeline(&mut svc, "worker Fargate", "ecs-worker");
    svc
}

/// The program's templates: the environment and the service written against it.
pub fn app() -> App {
    let env = fargate_env::environment();
    let svc = service(&env.interface());
    let mut app = App::new("worker-fargate-svc");
    app.add_environment(env);
    app.add_service(svc);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(app().run());
}
