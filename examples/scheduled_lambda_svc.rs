//! AWS's catalog service `scheduled-lambda-svc` (aws-proton-cloudformation-sample-templates,
//! `service-templates/scheduled-lambda-svc`) rewritten with typed constructs, compatible with `vpc-env:1`.
//! What it shares with the other Lambda services (inputs, function, code selection, pipeline) comes from
//! `apigw_lambda_svc.rs`, included below; see its documentation for the deviations they share (the runtime
//! enum, inline least-privilege permissions, code deployed by the pipeline).
//!
//! At input parity with the sample: the instance inputs of `apigw-lambda-svc` plus `schedule_expression`, the
//! same pipeline inputs (`code_dir` defaults to `lambda-ping-sns`), the outputs `LambdaFunction` and
//! `LambdaRuntime`. Built with the L3 `patterns::ScheduledLambda`: an EventBridge rule on the
//! `schedule_expression` input (EventBridge checks the expression when the rule is created) invokes a
//! function in the environment's VPC that may publish to the environment's topic. Deviations, and why:
//!
//! - Failed invocations (EventBridge invokes asynchronously; Lambda retries twice) go to an encrypted
//!   dead-letter queue kept 14 days instead of being dropped; its URL is the output `DeadLetterQueueUrl`.
//! - The rule's permission is scoped to that rule and this account (SAM's `Schedule` event did the same).
//!
//! ```sh
//! cargo run --example scheduled_lambda_svc -- synth --out out/scheduled_lambda_svc
//! ```

#[path = "apigw_lambda_svc.rs"]
pub mod apigw_lambda_svc;

use apigw_lambda_svc::{
    allow_publish, explain_vpc_placement, function_outputs, function_props, lambda_pipeline, select_code, vpc_env,
    LambdaInputs, LambdaPipeline, VpcEnv,
};
use proton_synth::app::App;
use proton_synth::constructs::patterns::{ScheduledLambda, ScheduledLambdaProps};
use proton_synth::proton::{EnvironmentInterface, InputDef, ServiceTemplate};

/// The Proton template name.
pub const TEMPLATE_NAME: &str = "scheduled-lambda-svc";

/// The service template, compatible with the given environment template (`vpc-env:1`).
pub fn service(env_interface: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(TEMPLATE_NAME, std::slice::from_ref(env_interface))
        .description(
            "A Lambda function in the environment's VPC invoked on a schedule by EventBridge (proton-synth port of \
             AWS's scheduled-lambda-svc sample)",
        )
        .input_type_name("ScheduledLambdaServiceInput")
        .input_type_description("Input properties for a Scheduled Lambda service.");
    let inputs = LambdaInputs::declare(&mut svc);
    let schedule = svc.instance_input(
        InputDef::string("schedule_expression")
            .title("Schedule expression")
            .description("The schedule or rate (frequency) for EventBridge rule")
            .default("rate(5 minutes)")
            .min_length(1)
            .max_length(200),
    );
    let env = VpcEnv::read(&mut svc);
    let mut root = svc.instance();
    let function = function_props(&mut root, &env, &inputs, "Invoked by EventBridge rule");
    let mut props = ScheduledLambdaProps::new(schedule.value(), function);
    props.description = Some("Invokes the service's function on the schedule_expression input".to_owned());
    let scheduled = ScheduledLambda::new(&mut root, "Scheduled", props);
    select_code(&mut root, scheduled.function(), &inputs);
    explain_vpc_placement(root.stack(), scheduled.function());
    allow_publish(root.stack(), scheduled.function(), &env);
    function_outputs(&mut svc, scheduled.function(), &inputs);
    if let Some(dlq) = scheduled.dead_letter_queue() {
        svc.instance_output_with_description(
            "DeadLetterQueueUrl",
            dlq.url(),
            Some("Invocations that failed after Lambda's retries"),
        );
    }
    lambda_pipeline(
        &mut svc,
        LambdaPipeline {
            kind: "scheduled Lambda",
            code_dir: Some("lambda-ping-sns"),
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
