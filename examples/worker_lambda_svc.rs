//! AWS's catalog service `worker-lambda-svc` (aws-proton-cloudformation-sample-templates,
//! `service-templates/worker-lambda-svc`) rewritten with typed constructs, compatible with `vpc-env:1`.
//! What it shares with the other Lambda services (inputs, function, code selection, pipeline) comes from
//! `apigw_lambda_svc.rs`, included below; see its documentation for the deviations they share (the runtime
//! enum, inline least-privilege permissions, code deployed by the pipeline).
//!
//! At input parity with the sample: the instance inputs of `apigw-lambda-svc`, the same pipeline inputs
//! (`code_dir` defaults to `lambda-worker`), the outputs `LambdaFunction`, `SQSqueueName`, `SQSqueueARN`,
//! `SQSqueueURL` and `LambdaRuntime`. Built with the L3 `patterns::QueueProcessingLambda`: an SQS queue
//! subscribed to the environment's SNS topic, consumed in batches of 10 by a function in the environment's
//! VPC. Deviations, and why:
//!
//! - The queue and its dead-letter queue are encrypted (SSE-SQS) and deny requests without TLS (a message
//!   still moves to the dead-letter queue after 3 receives, as in the sample); the queue's visibility timeout is
//!   900 s, the largest `lambda_timeout` (the sample kept SQS's 30 s, which Lambda rejects for a function
//!   timeout above 30 s).
//! - The queue policy lets the environment's topic send, and nothing else (the sample also let the Lambda
//!   service principal receive and delete, which the event source mapping does not need: the function's role
//!   may consume this queue only).
//! - The function reports failed messages individually (`ReportBatchItemFailures`), so one bad message does
//!   not return its whole batch to the queue.
//!
//! ```sh
//! cargo run --example worker_lambda_svc -- synth --out out/worker_lambda_svc
//! ```

#[path = "apigw_lambda_svc.rs"]
pub mod apigw_lambda_svc;

use apigw_lambda_svc::{
    explain_vpc_placement, function_outputs, function_props, lambda_pipeline, select_code, vpc_env, LambdaInputs,
    LambdaPipeline, VpcEnv,
};
use proton_synth::app::App;
use proton_synth::constructs::patterns::{QueueProcessingLambda, QueueProcessingLambdaProps};
use proton_synth::constructs::sns::{SqsSubscription, Topic};
use proton_synth::constructs::sqs::DeadLetterQueue;
use proton_synth::proton::{EnvironmentInterface, ServiceTemplate};

/// The Proton template name.
pub const TEMPLATE_NAME: &str = "worker-lambda-svc";

/// The service template, compatible with the given environment template (`vpc-env:1`).
pub fn service(env_interface: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(TEMPLATE_NAME, std::slice::from_ref(env_interface))
        .description(
            "A Lambda function in the environment's VPC consuming an SQS queue subscribed to the environment's SNS \
             topic (proton-synth port of AWS's worker-lambda-svc sample)",
        )
        .input_type_name("WorkerLambdaServiceInput")
        .input_type_description("Input properties for a SQS-Lambda based Worker service.");
    let inputs = LambdaInputs::declare(&mut svc);
    let env = VpcEnv::read(&mut svc);
    let mut root = svc.instance();
    let function = function_props(&mut root, &env, &inputs, "Consumes the service's SQS queue");
    let mut props = QueueProcessingLambdaProps::new(function);
    // The sample's redrive: a message moves to the dead-letter queue after 3 receives.
    props.queue.dead_letter_queue = DeadLetterQueue::Create { max_receive_count: 3 };
    let worker = QueueProcessingLambda::new(&mut root, "Worker", props);
    select_code(&mut root, worker.function(), &inputs);
    explain_vpc_placement(root.stack(), worker.function());
    let topic = Topic::from_arn(env.topic_arn.clone());
    topic.add_subscription(
        root.stack(),
        "pingSNSTopicSubscription",
        SqsSubscription::new(worker.queue().clone()),
    );
    function_outputs(&mut svc, worker.function(), &inputs);
    let queue = worker.queue();
    svc.instance_output_with_description("SQSqueueName", queue.name(), Some("SNS queue name"));
    svc.instance_output_with_description("SQSqueueARN", queue.arn(), Some("SQS queue ARN"));
    svc.instance_output_with_description("SQSqueueURL", queue.url(), Some("SQS queue URL"));
    lambda_pipeline(
        &mut svc,
        LambdaPipeline {
            kind: "Lambda worker",
            code_dir: Some("lambda-worker"),
            packaging_command: "zip function.zip app.js",
            function_outputs: &["LambdaFunction"],
        },
    );
    svc
}

/// The program's templates: the environment and the service written against it.
pub fn app() -> App {
    let env = vpc_env::environment();
    let svc = service(&env.interface());
    let mut app = App::new(TEMPLATE_NAME);
    app.add_environment(env);
    app.add_service(svc);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(proton_synth::cli::run_lazily(app));
}
