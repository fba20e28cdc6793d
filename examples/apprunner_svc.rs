//! AWS's catalog service `apprunner-svc` (aws-proton-cloudformation-sample-templates,
//! `service-templates/apprunner-svc`) rewritten with the typed construct `apprunner::Service`, compatible
//! with `vpc-env:1` (`vpc_env.rs`, included below so `check`/`render` see the pair).
//!
//! At input parity with the sample: the instance inputs `port` (default 80), `task_size` (`medium`: 1 vCPU
//! and 2 GB, `large`: 2 vCPU and 4 GB, as the sample's mapping), `image` (optional, no default) and the
//! pipeline inputs `service_dir` (default `ecs-static-website`), `dockerfile`, `unit_test_command`; the
//! outputs `AppRunnerServiceARN` and `AppRunnerServiceURL`. It reads the environment outputs the sample reads
//! (`SNSTopicArn`, `SNSRegion`, `VpcConnectorArn`): the service sends its traffic into the environment's VPC
//! through the connector, with the sample's `SNS_TOPIC_ARN` (`{"ping":"<topic ARN>"}`) and `SNS_REGION`
//! variables. Like the sample, an instance without `image` deploys nothing: a CloudFormation condition
//! (`ImageDefined`) on the service, its roles, their policies and the outputs replaces the sample's Jinja
//! `{% if %}`, so one template serves the bundle and plain CloudFormation. Deviations, and why:
//!
//! - The access role (assumed by `build.apprunner.amazonaws.com`) may pull from the image's repository only
//!   (`ecr:GetAuthorizationToken` stays on `*`: it has no resource-level permissions); the sample allowed
//!   pulls from every repository. The repository is the image's path in this account and Region
//!   (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`, the pipeline's repository), without `/`
//!   in its name.
//! - `sns:Publish` on the environment's topic goes to the instance role the running code assumes; the sample
//!   gave it to the access role, which App Runner only uses to pull the image.
//! - `image` has an `example` (a private ECR image URI), so the generated specs deploy; the sample had none.
//!   Without an image, the bundle renders a public image as the identifier of the service that
//!   `ImageDefined` leaves out, which keeps the template valid for cfn-lint.
//! - Health check TCP on the port, observability off, AWS-owned encryption and automatic deployments off are
//!   written explicitly (App Runner's defaults, which the sample left implicit).
//! - Pipeline: the sample's deploy stage called Proton (`update-service-instance` with the new image), which
//!   no longer exists. The shared Docker pipeline of the Fargate examples builds and pushes to ECR; instances
//!   take a new image through their `image` input (set it to the pushed `<RepositoryUri>:<tag>` and
//!   `proton-synth deploy` the service).
//!
//! ```sh
//! cargo run --example apprunner_svc -- synth --out out/apprunner_svc
//! ```

// The shared pipeline; this module includes its own copy of fargate_env (as vpc_env does), which is harmless.
#[allow(clippy::duplicate_mod)]
#[path = "backend_fargate_svc.rs"]
pub mod backend_fargate_svc;
#[path = "vpc_env.rs"]
pub mod vpc_env;

use backend_fargate_svc::pipeline_with;
use proton_synth::app::App;
use proton_synth::constructs::apprunner::{Egress, InstanceSize, InstanceSizeMapping, Service, ServiceProps, Source};
use proton_synth::constructs::ecr::Repository;
use proton_synth::constructs::sns::Topic;
use proton_synth::constructs::{fns, CondExpr, CondHandle, Expr, Placeholder, PlaceholderKind, Stack, Value};
use proton_synth::proton::{EnvironmentInterface, InputDef, ServiceTemplate};
use vpc_env::fargate_env::outputs;

/// The Proton template name.
pub const TEMPLATE_NAME: &str = "apprunner-svc";

/// The `example` of the `image` input (a private ECR image of the pipeline's form), which generated specs use.
pub const EXAMPLE_IMAGE: &str = "111122223333.dkr.ecr.us-east-1.amazonaws.com/apprunner-svc:latest";

/// The image identifier a bundle renders without `image`, when the service is not deployed (`ImageDefined`
/// is false), so that the template stays valid for the linters.
pub const UNUSED_IMAGE: &str = "public.ecr.aws/aws-containers/hello-app-runner:latest";

/// The sample's `TaskSize` mapping.
pub const TASK_SIZES: [(&str, InstanceSize); 2] = [("medium", InstanceSize::One2), ("large", InstanceSize::Two4)];

/// The service template, compatible with the given environment template (`vpc-env:1`).
pub fn service(env_interface: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(TEMPLATE_NAME, std::slice::from_ref(env_interface))
        .description(
            "A request-driven web service on AWS App Runner with egress into the environment's VPC \
             (proton-synth port of AWS's apprunner-svc sample)",
        )
        .input_type_name("ApprunnerServiceInput")
        .input_type_description("Input properties for the App runner service");
    let port = svc.instance_input(
        InputDef::number("port")
            .title("Port")
            .description("The port to route traffic to")
            .default(80.0)
            .minimum(0.0)
            .maximum(65535.0),
    );
    let task_size = svc.instance_input(
        InputDef::string("task_size")
            .title("Task size")
            .description("The size of the task you want to run")
            .enum_values(TASK_SIZES.map(|(name, _)| name))
            .default("medium"),
    );
    let image = svc.instance_input(
        InputDef::string("image")
            .title("Image")
            .description("The name/url of the container image")
            .example(EXAMPLE_IMAGE)
            .min_length(1)
            .max_length(200),
    );
    let topic_arn = svc.env_output(outputs::SNS_TOPIC_ARN);
    let sns_region = svc.env_output(outputs::SNS_REGION);
    let connector_arn = svc.env_output("VpcConnectorArn");

    let mut root = svc.instance();
    let image = image.value_or_empty();
    let defined = root.add_condition(
        "ImageDefined",
        CondExpr::not(CondExpr::equals(image.clone(), Value::from(""))),
    );
    let sizes = InstanceSizeMapping::new(&mut root, "TaskSize", &TASK_SIZES);
    // `<registry>/<repository>:<tag>` → `<repository>` (only read when an image is given).
    let repository_name = fns::select(0, fns::split(":", fns::select(1, fns::split("/", image.clone()))));
    let mut props = ServiceProps {
        port: Value::from_expr(port.value().into_expr()),
        size: sizes.size(task_size.value()),
        egress: Egress::Vpc { connector_arn },
        ..ServiceProps::default()
    };
    let ping = fns::join("", [Value::from("{\"ping\":\""), topic_arn.clone(), Value::from("\"}")]);
    props.environment.insert("SNS_TOPIC_ARN".to_owned(), ping);
    props.environment.insert("SNS_REGION".to_owned(), sns_region);
    let source = Source::EcrImage {
        repository: Repository::from_name(repository_name),
        image: image_or_unused(image),
    };
    let web = Service::new(&mut root, "AppRunnerService", source, props);
    let stack = root.stack();
    let _publish = Topic::from_arn(topic_arn).grant_publish(stack, &mut web.instance_role().clone());
    only_with_image(stack, &web, &defined);
    let url = fns::join("", [Value::from("https://"), web.service_url()]);
    let arn = web.service_arn();
    svc.instance_output_when("AppRunnerServiceARN", arn, &defined);
    svc.instance_output_when("AppRunnerServiceURL", url, &defined);
    pipeline_with(&mut svc, "App Runner", "ecs-static-website", false);
    svc
}

/// The image in the bundle, or [`UNUSED_IMAGE`] when the spec gives none (the service is then not deployed:
/// the value only keeps the template valid for the linters); in plain CloudFormation the parameter as is.
fn image_or_unused(image: Value<String>) -> Value<String> {
    match image.into_expr() {
        Expr::Placeholder(p) => Value::placeholder(Placeholder {
            jinja: format!("(({}) or '{UNUSED_IMAGE}')", p.jinja),
            kind: PlaceholderKind::String,
            plain: p.plain.clone(),
        }),
        other => unreachable!("an input's value is a placeholder, not {other:?}"),
    }
}

/// The service, its roles and their policies exist only when the instance names an image.
fn only_with_image(stack: &mut Stack, web: &Service, defined: &CondHandle) {
    stack.resource_mut(&web.handle()).set_condition(defined);
    for role in [Some(web.instance_role()), web.access_role()].into_iter().flatten() {
        if let Some(h) = role.handle() {
            stack.resource_mut(&h).set_condition(defined);
        }
        if let Some(h) = role.default_policy(stack) {
            stack.resource_mut(&h).set_condition(defined);
        }
    }
}

/// The program's templates: the environment and the service written against it.
pub fn app() -> App {
    let env = vpc_env::environment();
    let svc = service(&env.interface());
    let mut app = App::new("apprunner-svc");
    app.add_environment(env);
    app.add_service(svc);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(proton_synth::cli::run_lazily(app));
}
