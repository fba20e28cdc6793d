//! AWS's catalog service `apigw-lambda-svc` (aws-proton-cloudformation-sample-templates,
//! `service-templates/apigw-lambda-svc`) rewritten with typed constructs, compatible with `vpc-env:1`
//! (`vpc_env.rs`, included below so `check`/`render` see the pair). This module also holds what the
//! catalog's Lambda services share (`scheduled_lambda_svc.rs` and `worker_lambda_svc.rs` include it): the
//! environment's outputs ([`VpcEnv`]), the common inputs, the function and the pipeline.
//!
//! At input parity with the sample: the instance inputs `lambda_handler`, `lambda_memory`, `lambda_timeout`,
//! `lambda_runtime`, `code_uri`, `subnet_type` and the pipeline inputs `code_dir`, `unit_test_command`,
//! `packaging_command` (titles, types, defaults, bounds and descriptions), the outputs `HttpApiEndpoint` and
//! `LambdaRuntime`. Built with the L3 `patterns::HttpApiLambda`: an HTTP API (CORS as in the sample, a
//! `$default` stage with access logs kept one year, throttling) in front of a function in the environment's
//! VPC (public or private subnets after `subnet_type`, the environment's `VPCSecurityGroup`), allowed to
//! publish to the environment's SNS topic (`SNSTopicArn` in its environment). Deviations, and why:
//!
//! - `lambda_runtime`: the sample's runtimes (`nodejs12.x`, `python3.8`, `ruby2.7`, `java11`, `go1.x`,
//!   `dotnetcore3.1`) are all deprecated and most can no longer be created; the enum offers their current
//!   successors ([`RUNTIMES`], default `nodejs22.x`) and drops .NET (no supported .NET runtime lasts into
//!   2027 on CodeBuild's standard image). Declared as a replaced property in the parity test.
//! - The route requires IAM authorization (SigV4-signed callers allowed `execute-api:Invoke`); the sample's
//!   API was open to anyone. Access logs and throttling are added.
//! - The function role has inline least-privilege permissions (its log group, X-Ray, network interfaces in
//!   its subnets, `sns:Publish` on the environment's topic) instead of the managed
//!   `AWSLambdaVPCAccessExecutionRole` and SAM's `SNSPublishMessagePolicy`; its log group keeps logs one year;
//!   the function's name is generated (the sample: `<instance>-function`) and returned as `LambdaFunction`.
//! - `code_uri` (`s3://bucket/key`) selects the code as in the sample (unset: the sample's Node.js placeholder
//!   handler `index.handler`, which runs on `nodejs22.x` whatever `lambda_runtime` says, since inline code
//!   needs Node.js; set: that object with `lambda_handler` on `lambda_runtime`), with a CloudFormation
//!   condition on the value instead of Jinja `{% if %}`, so one template serves both; a value that is not an
//!   `s3://` URI keeps the placeholder. Plain CloudFormation cannot split a key containing `/` out of a URI: there the key is
//!   the URI's fourth `/`-separated part.
//! - Pipeline: Proton rewrote each instance's `code_uri` through `aws proton update-service-instance`, which
//!   no longer exists. Here the build runs `unit_test_command` and `packaging_command` in `code_dir` (inputs
//!   as environment variables, never spliced into the buildspec) and each instance's deploy stage runs
//!   `aws lambda update-function-code` with a role limited to that instance's function (named by its output
//!   `LambdaFunction`, in the pipeline's account and Region: instances in other accounts would need a
//!   cross-account deploy role, which this example does not create). A deploy replaces the code only: the
//!   handler and runtime stay the template's, so the builds take effect on instances whose `code_uri` names
//!   a first build (`lambda_handler` on `lambda_runtime`), not on the placeholder. The artifact store
//!   has a customer managed key and access logs; no `proton:*` or `codestar-connections:*` on `*`.
//!
//! ```sh
//! cargo run --example apigw_lambda_svc -- synth --out out/apigw_lambda_svc
//! ```

#[path = "vpc_env.rs"]
pub mod vpc_env;

use proton_synth::app::App;
use proton_synth::constructs::apigateway::{CorsConfig, HttpApiProps};
use proton_synth::constructs::codebuild::{BuildEnvironment, BuildSpec, Project, ProjectProps};
use proton_synth::constructs::codepipeline::{Action, Artifact, Pipeline, PipelineProps, Stage};
use proton_synth::constructs::iam::PolicyStatement;
use proton_synth::constructs::kms::{Key, KeyProps};
use proton_synth::constructs::lambda::{Architecture, Code, Function, FunctionProps, VpcPlacement};
use proton_synth::constructs::nag::{self, Tool};
use proton_synth::constructs::patterns::{HttpApiLambda, HttpApiLambdaProps};
use proton_synth::constructs::s3::{Bucket, BucketEncryption, BucketProps};
use proton_synth::constructs::{fns, CondExpr, CondHandle, Expr, Placeholder, PlaceholderKind, Scope, Stack, Value};
use proton_synth::proton::{EnvironmentInterface, Input, InputDef, Instance, PipelineTemplate, ServiceTemplate};
use vpc_env::fargate_env::outputs;

/// The Proton template name.
pub const TEMPLATE_NAME: &str = "apigw-lambda-svc";

/// The runtimes offered by `lambda_runtime`: the current successors of the sample's (see the module docs).
pub const RUNTIMES: [&str; 5] = ["nodejs22.x", "python3.13", "ruby3.4", "java21", "provided.al2023"];

/// The runtime of the placeholder handler.
pub const PLACEHOLDER_RUNTIME: &str = "nodejs22.x";

/// The sample's placeholder handler (`index.handler`, Node.js), used until `code_uri` names built code.
pub const PLACEHOLDER_HANDLER: &str = r#"exports.handler = async (event, context) => {
  console.log("Event: ", JSON.stringify(event, null, 2));
  return {
    statusCode: 200,
    body: JSON.stringify({ functionName: context.functionName, rawPath: event.rawPath }, null, 2),
  };
};
"#;

/// What the catalog's Lambda services read from `vpc-env` (`environment.outputs.*`).
pub struct VpcEnv {
    pub topic_arn: Value<String>,
    pub security_group: Value<String>,
    pub public_subnets: Vec<Value<String>>,
    pub private_subnets: Vec<Value<String>>,
}

impl VpcEnv {
    pub fn read(svc: &mut ServiceTemplate) -> VpcEnv {
        VpcEnv {
            topic_arn: svc.env_output(outputs::SNS_TOPIC_ARN),
            security_group: svc.env_output("VPCSecurityGroup"),
            public_subnets: outputs::PUBLIC_SUBNETS.iter().map(|o| svc.env_output(o)).collect(),
            private_subnets: outputs::PRIVATE_SUBNETS.iter().map(|o| svc.env_output(o)).collect(),
        }
    }
}

/// The instance inputs every catalog Lambda service has, in the samples' order.
pub struct LambdaInputs {
    pub handler: Input<Instance, String>,
    pub memory: Input<Instance, f64>,
    pub timeout: Input<Instance, f64>,
    pub runtime: Input<Instance, String>,
    pub code_uri: Input<Instance, String>,
    pub subnet_type: Input<Instance, String>,
}

impl LambdaInputs {
    pub fn declare(svc: &mut ServiceTemplate) -> LambdaInputs {
        LambdaInputs {
            handler: svc.instance_input(
                InputDef::string("lambda_handler")
                    .title("Lambda handler")
                    .description("The function within your code that is called to begin execution")
                    .min_length(1)
                    .max_length(50)
                    .default("app.handler"),
            ),
            memory: memory_input(svc),
            timeout: timeout_input(svc),
            runtime: runtime_input(svc, RUNTIMES[0]),
            code_uri: code_uri_input(svc),
            subnet_type: svc.instance_input(
                InputDef::string("subnet_type")
                    .title("Subnet type")
                    .description("Subnet type for your function")
                    .enum_values(["public", "private"])
                    .default("public"),
            ),
        }
    }
}

/// The catalog's `lambda_memory` input.
pub fn memory_input(svc: &mut ServiceTemplate) -> Input<Instance, f64> {
    svc.instance_input(
        InputDef::number("lambda_memory")
            .title("Lambda memory")
            .description("The size of your Lambda functions in MB")
            .default(512.0)
            .minimum(1.0)
            .maximum(3008.0),
    )
}

/// The catalog's `lambda_timeout` input.
pub fn timeout_input(svc: &mut ServiceTemplate) -> Input<Instance, f64> {
    svc.instance_input(
        InputDef::number("lambda_timeout")
            .title("Lambda timeout")
            .description("The timeout in seconds of your Lambda function")
            .default(30.0)
            .minimum(1.0)
            .maximum(900.0),
    )
}

/// The catalog's `lambda_runtime` input, offering [`RUNTIMES`].
pub fn runtime_input(svc: &mut ServiceTemplate, default: &str) -> Input<Instance, String> {
    svc.instance_input(
        InputDef::string("lambda_runtime")
            .title("Lambda runtime")
            .description("The runtime for your Lambda service")
            .enum_values(RUNTIMES)
            .default(default),
    )
}

/// The catalog's optional `code_uri` input (read with `value_or_empty`, see [`CodeChoice`]).
pub fn code_uri_input(svc: &mut ServiceTemplate) -> Input<Instance, String> {
    svc.instance_input(
        InputDef::string("code_uri")
            .title("Code URI")
            .description("The s3 link to your application")
            .min_length(1)
            .max_length(200),
    )
}

/// Which code the functions of an instance run, decided once per template by the condition `CodeFromS3` on
/// the rendered `code_uri`: the object it names when it is an `s3://` URI, else the Node.js placeholder.
pub struct CodeChoice {
    from_s3: CondHandle,
    bucket: Value<String>,
    key: Value<String>,
}

impl CodeChoice {
    pub fn new(root: &mut Scope, code_uri: &Input<Instance, String>) -> CodeChoice {
        let uri = code_uri.value_or_empty();
        let marked = fns::join("", [Value::from("#"), uri.clone()]);
        let from_s3 = root.add_condition(
            "CodeFromS3",
            CondExpr::equals(fns::select(0, fns::split("#s3://", marked)), Value::from("")),
        );
        // `s3://bucket/key///` split at `/`: the bucket is the third part (the padding keeps every index valid).
        let padded = fns::join("", [uri.clone(), Value::from("///")]);
        let bucket = fns::select(2, fns::split("/", padded.clone()));
        // The whole key in the bundle (Jinja splits at most three times); its first part in plain
        // CloudFormation. Without a URI the key is only read in the branch not taken, which must still hold a
        // valid (non-empty) key for the linters: `function.zip`.
        let key = match uri.into_expr() {
            Expr::Placeholder(p) => Value::placeholder(Placeholder {
                jinja: format!("((({}) ~ '///').split('/', 3)[3][:-3] or 'function.zip')", p.jinja),
                kind: PlaceholderKind::String,
                plain: fns::select(3, fns::split("/", padded)).into_expr(),
            }),
            other => unreachable!("an input's value is a placeholder, not {other:?}"),
        };
        CodeChoice { from_s3, bucket, key }
    }

    /// The function runs the chosen code: with `code_uri`, that object with `handler` on `runtime`; without,
    /// the placeholder handler (`index.handler`) on [`PLACEHOLDER_RUNTIME`], whatever runtime was chosen.
    pub fn apply(&self, stack: &mut Stack, function: &Function, handler: Value<String>, runtime: Value<String>) {
        let from_s3 = &self.from_s3;
        if let Some(f) = stack.l1_mut(&function.handle()) {
            let inline = f
                .code
                .zip_file
                .take()
                .unwrap_or_else(|| Value::from(PLACEHOLDER_HANDLER));
            f.code.s3_bucket = Some(fns::if_(from_s3, self.bucket.clone(), Value::no_value()));
            f.code.s3_key = Some(fns::if_(from_s3, self.key.clone(), Value::no_value()));
            f.code.zip_file = Some(fns::if_(from_s3, Value::no_value(), inline));
            f.handler = Some(fns::if_(from_s3, handler, Value::from("index.handler")));
            f.runtime = Some(fns::if_(from_s3, runtime, Value::from(PLACEHOLDER_RUNTIME)));
        }
    }
}

/// The one-function services: the code after `code_uri` with `lambda_handler` on `lambda_runtime`.
pub fn select_code(root: &mut Scope, function: &Function, inputs: &LambdaInputs) {
    let choice = CodeChoice::new(root, &inputs.code_uri);
    choice.apply(root.stack(), function, inputs.handler.value(), inputs.runtime.value());
}

/// The function's props: sized and run by the inputs, in the environment's VPC (subnets after
/// `subnet_type`, the environment's workload security group), `SNSTopicArn` in its environment.
pub fn function_props(root: &mut Scope, env: &VpcEnv, inputs: &LambdaInputs, description: &str) -> FunctionProps {
    let private = root.add_condition(
        "PrivateSubnets",
        CondExpr::equals(inputs.subnet_type.value(), Value::from("private")),
    );
    let subnets = env
        .private_subnets
        .iter()
        .zip(&env.public_subnets)
        .map(|(private_id, public_id)| fns::if_(&private, private_id.clone(), public_id.clone()))
        .collect();
    FunctionProps {
        description: Some(description.to_owned()),
        runtime: inputs.runtime.value(),
        handler: "index.handler".to_owned(),
        code: Code::Inline(PLACEHOLDER_HANDLER.to_owned()),
        memory_size: inputs.memory.as_integer(),
        timeout_seconds: inputs.timeout.as_integer(),
        environment: [("SNSTopicArn".to_owned(), env.topic_arn.clone())]
            .into_iter()
            .collect(),
        // Code packaged by the pipeline on CodeBuild's x86_64 image runs on the same architecture.
        architecture: Architecture::X86_64,
        vpc: Some(VpcPlacement {
            subnet_ids: subnets,
            security_group_ids: vec![env.security_group.clone()],
        }),
        ..FunctionProps::default()
    }
}

/// Why CT.LAMBDA.PR.3 is suppressed on the catalog's functions although they are in a VPC.
pub const SUBNETS_BY_CONDITION_REASON: &str = "the function is in the environment's VPC with its workload security      group; its subnets are chosen with Fn::If on the subnet_type input, which the static rule does not resolve";

/// The function's place in the VPC is chosen by a condition the Control Tower rule cannot follow: say so.
pub fn explain_vpc_placement(stack: &mut Stack, function: &Function) {
    nag::suppress(
        stack.resource_mut(&function.handle()),
        Tool::Guard,
        "CT.LAMBDA.PR.3",
        SUBNETS_BY_CONDITION_REASON,
    );
}

/// The sample's `SNSPublishMessagePolicy`: publish to the environment's topic, nothing else.
pub fn allow_publish(stack: &mut Stack, function: &Function, env: &VpcEnv) {
    function.add_to_role_policy(stack, PolicyStatement::allow(&["sns:Publish"], [env.topic_arn.clone()]));
}

/// Outputs every catalog Lambda service declares: `LambdaFunction` (the name, which the pipeline's deploy
/// stages update and their roles are scoped to) and `LambdaRuntime`.
pub fn function_outputs(svc: &mut ServiceTemplate, function: &Function, inputs: &LambdaInputs) {
    svc.instance_output_with_description("LambdaFunction", function.name(), Some("LambdaFunction function name"));
    svc.instance_output_with_description("LambdaRuntime", inputs.runtime.value(), Some("The lambda runtime"));
}

/// What differs between the catalog's Lambda pipelines.
pub struct LambdaPipeline<'a> {
    /// Named in the pipeline's description.
    pub kind: &'a str,
    /// The sample's default of the `code_dir` input; None: no such input (the code is in the repository root).
    pub code_dir: Option<&'a str>,
    /// The sample's default of `packaging_command`.
    pub packaging_command: &'a str,
    /// Instance outputs naming the functions each deploy stage updates (with the packaged code).
    pub function_outputs: &'a [&'a str],
}

/// The catalog's pipeline inputs (`code_dir` where the sample has it, `unit_test_command`,
/// `packaging_command`) and the pipeline: source, build (tests, then the packaging command, which must leave
/// `function.zip` in the code directory), one deploy stage per instance updating that instance's functions.
pub fn lambda_pipeline(svc: &mut ServiceTemplate, spec: LambdaPipeline) {
    let kind = spec.kind;
    let pipe = svc.pipeline();
    pipe.description(&format!(
        "Continuous delivery of a {kind} service: source (CodeStar connection), test and package, one deploy \
         stage per service instance"
    ))
    .input_type_name("PipelineInputs")
    .input_type_description("Pipeline input properties");
    let build_env = pipeline_inputs(pipe, &spec);
    let connection = pipe.repository_connection_arn();
    let repository = pipe.repository_id();
    let branch = pipe.branch_name();
    let each = pipe.instances();
    let alias = fns::join(
        "",
        [Value::from("alias/codepipeline-encryption-key-"), pipe.service_name()],
    );

    let mut root = pipe.root();
    let (pipeline, key) = pipeline_with_artifacts(&mut root, kind, alias);
    let build = build_project(&mut root, build_env, key.clone());
    let function_names = spec.function_outputs.iter().map(|o| each.output(o)).collect();
    let deploy = deploy_project(&mut pipe.per_instance(), function_names, key);
    let stack = pipe.stack_mut();
    let source = Artifact::new("Source");
    let built = Artifact::new("BuildOutput");
    pipeline.add_stage(
        stack,
        Stage::new(
            "Source",
            vec![Action::codestar_source(
                "Checkout", connection, repository, branch, &source,
            )],
        ),
    );
    pipeline.add_stage(
        stack,
        Stage::new(
            "Build",
            vec![Action::codebuild(
                "Build",
                &build,
                &source,
                std::slice::from_ref(&built),
            )],
        ),
    );
    pipeline.add_stage_per_item(stack, &each.handle(), |_| {
        Stage::new(
            fns::join("-", [Value::from("Deploy"), each.name()]),
            vec![Action::codebuild("Deploy", &deploy, &built, &[])],
        )
    });
}

/// The pipeline, its artifacts in a bucket (with access logs) encrypted by a customer managed key, returned for
/// the builds to encrypt with; runs are QUEUED.
fn pipeline_with_artifacts(root: &mut Scope, kind: &str, alias: Value<String>) -> (Pipeline, Key) {
    let key = Key::new(
        root,
        "ArtifactKey",
        KeyProps {
            description: Some(format!("Pipeline artifacts of a {kind} service")),
            alias_value: Some(alias),
            ..KeyProps::default()
        },
    );
    let access_logs = Bucket::new_access_log_bucket(root, "AccessLogs");
    let artifacts = Bucket::new(
        root,
        "Artifacts",
        BucketProps {
            encryption: BucketEncryption::Kms(key.clone()),
            server_access_logs: Some((access_logs, "artifacts/".to_owned())),
            ..BucketProps::default()
        },
    );
    let pipeline = Pipeline::new(
        root,
        "Pipeline",
        PipelineProps {
            artifact_bucket: Some(artifacts),
            ..PipelineProps::default()
        },
    );
    // QUEUED: every pushed commit's deployments run in order.
    if let Some(l1) = root.stack().l1_mut(&pipeline.handle()) {
        l1.execution_mode = Some(Value::from("QUEUED"));
    }
    (pipeline, key)
}

/// The pipeline inputs, returned as the build's environment variables (`CODE_DIR`, `.` without the input;
/// `UNIT_TEST_COMMAND`; `PACKAGING_COMMAND`): they never become buildspec text.
fn pipeline_inputs(pipe: &mut PipelineTemplate, spec: &LambdaPipeline) -> Vec<(String, Value<String>)> {
    let code_dir = spec.code_dir.map(|default| {
        pipe.input(
            InputDef::string("code_dir")
                .title("Application Code Directory")
                .description("Source directory for the service")
                .default(default)
                .min_length(1)
                .max_length(100),
        )
    });
    let unit_test_command = pipe.input(
        InputDef::string("unit_test_command")
            .title("Unit test command")
            .description("The command to run to unit test the application code")
            .default("echo 'add your unit test command here'")
            .min_length(1)
            .max_length(200),
    );
    let packaging_command = pipe.input(
        InputDef::string("packaging_command")
            .title("Packaging command")
            .description("The commands which packages your code into a file called function.zip")
            .default(spec.packaging_command)
            .min_length(1)
            .max_length(200),
    );
    vec![
        (
            "CODE_DIR".to_owned(),
            code_dir.map_or_else(|| Value::from("."), |d| d.value()),
        ),
        ("UNIT_TEST_COMMAND".to_owned(), unit_test_command.value()),
        ("PACKAGING_COMMAND".to_owned(), packaging_command.value()),
    ]
}

/// The build: the unit tests, then the packaging command in the code directory; its artifact is
/// `function.zip`.
fn build_project(root: &mut Scope, env: Vec<(String, Value<String>)>, key: Key) -> Project {
    let in_code_dir = "cd \"$CODEBUILD_SRC_DIR/$CODE_DIR\"";
    Project::new(
        root,
        "Build",
        ProjectProps {
            description: Some("Tests and packages the function code (function.zip)".to_owned()),
            build_spec: BuildSpec {
                pre_build: vec![Value::from(format!("{in_code_dir} && eval \"$UNIT_TEST_COMMAND\""))],
                build: vec![Value::from(format!(
                    "{in_code_dir} && eval \"$PACKAGING_COMMAND\" && test -f function.zip && cp function.zip \"$CODEBUILD_SRC_DIR/function.zip\""
                ))],
                artifact_files: vec![Value::from("function.zip")],
                ..BuildSpec::default()
            },
            environment: BuildEnvironment {
                env,
                ..BuildEnvironment::default()
            },
            encryption_key: Some(key),
            timeout_minutes: Some(20),
            ..ProjectProps::default()
        },
    )
}

/// The deploy project, repeated per instance (`per`): `aws lambda update-function-code` with the packaged code
/// on each of `function_names` (the instance's outputs), by a role allowed to update those functions only.
fn deploy_project(per: &mut Scope, function_names: Vec<Value<String>>, key: Key) -> Project {
    let names: Vec<(String, Value<String>)> = function_names
        .into_iter()
        .enumerate()
        .map(|(i, name)| (format!("FUNCTION_{}", i + 1), name))
        .collect();
    let mut commands = Vec::new();
    for (var, _) in &names {
        commands.push(Value::from(format!(
            "aws lambda update-function-code --function-name \"${var}\" --zip-file \"fileb://$CODEBUILD_SRC_DIR/function.zip\" --publish"
        )));
        commands.push(Value::from(format!(
            "aws lambda wait function-updated-v2 --function-name \"${var}\""
        )));
    }
    let arns: Vec<Value<String>> = names
        .iter()
        .map(|(_, name)| {
            fns::sub(
                "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${Name}",
                [("Name", name.clone().into_expr())],
            )
        })
        .collect();
    let deploy = Project::new(
        per,
        "Deploy",
        ProjectProps {
            description: Some("Deploys the packaged code to one service instance's functions".to_owned()),
            build_spec: BuildSpec {
                build: commands,
                ..BuildSpec::default()
            },
            environment: BuildEnvironment {
                env: names,
                ..BuildEnvironment::default()
            },
            encryption_key: Some(key),
            timeout_minutes: Some(20),
            ..ProjectProps::default()
        },
    );
    deploy.add_to_role_policy(
        per.stack(),
        PolicyStatement::allow(
            &[
                "lambda:UpdateFunctionCode",
                "lambda:GetFunction",
                "lambda:GetFunctionConfiguration",
            ],
            arns,
        ),
    );
    deploy
}

/// The service template, compatible with the given environment template (`vpc-env:1`).
pub fn service(env_interface: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(TEMPLATE_NAME, std::slice::from_ref(env_interface))
        .description(
            "A Lambda function behind an HTTP API in the environment's VPC (proton-synth port of AWS's \
             apigw-lambda-svc sample)",
        )
        .input_type_name("HTTPServiceInput")
        .input_type_description("Input properties for a Lambda backed HTTP API.");
    let inputs = LambdaInputs::declare(&mut svc);
    let env = VpcEnv::read(&mut svc);
    let mut root = svc.instance();
    let function = function_props(&mut root, &env, &inputs, "HTTP API handler");
    let mut props = HttpApiLambdaProps::new(function);
    props.api = HttpApiProps {
        description: Some("An Amazon API Gateway HTTP API and an AWS Lambda function.".to_owned()),
        cors: Some(CorsConfig {
            allow_origins: vec!["*".to_owned()],
            allow_methods: ["GET", "HEAD", "OPTIONS", "POST"].map(str::to_owned).to_vec(),
            ..CorsConfig::default()
        }),
        ..HttpApiProps::default()
    };
    let http = HttpApiLambda::new(&mut root, "Http", props);
    select_code(&mut root, http.function(), &inputs);
    explain_vpc_placement(root.stack(), http.function());
    allow_publish(root.stack(), http.function(), &env);
    svc.instance_output_with_description(
        "HttpApiEndpoint",
        http.url(),
        Some("The default endpoint for the HTTP API."),
    );
    function_outputs(&mut svc, http.function(), &inputs);
    lambda_pipeline(
        &mut svc,
        LambdaPipeline {
            kind: "Lambda-backed HTTP API",
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
