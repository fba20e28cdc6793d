//! A serverless HTTP API: an AWS Proton environment template `serverless-env` and a service template
//! `http-api-svc` with a pipeline.
//!
//! - `serverless-env` (environment, no VPC): a customer managed KMS key shared by the environment's services
//!   (DynamoDB tables, Lambda environment variables) and shared settings (the application log level).
//! - `http-api-svc` (service), per instance: a Lambda function behind an HTTP API (API Gateway v2, IAM
//!   authorization, access logs, throttling), a DynamoDB table (on-demand, point-in-time recovery, encrypted
//!   with the environment's key), and a function role with only the DynamoDB data actions on that table, its
//!   log writes and the key use through DynamoDB and Lambda. Inputs: `runtime` (enum), `memory_size`,
//!   `timeout`, `reserved_concurrency`.
//! - Its pipeline (`pipeline_infrastructure/`): CodePipeline V2 (QUEUED executions) with the repository
//!   (CodeStar connection) as source, a CodeBuild build running the pipeline input `build_command` and
//!   packaging `artifact_path`, and one deploy stage `Deploy-<instance name>` **per service instance** (from
//!   the `service_instances` loop), in order: a failed deployment stops the stages after it. CodePipeline
//!   limits stage names to 100 characters, so instance names may have at most 93 here.
//!
//! The environment's log level reaches each function twice: as `LOG_LEVEL` for the code and as the
//! function's `ApplicationLogLevel` (JSON logs), so changing the environment input changes every service.
//!
//! Deployment choice: the instance template creates the function with a small inline placeholder handler
//! (`index.handler`, answering 503 until the first deployment) so that an instance can be created before any
//! build exists; the pipeline then deploys code with `aws lambda update-function-code --zip-file` from a
//! per-instance CodeBuild project whose role may update **only that instance's function** (its ARN comes from
//! the instance output `FunctionArn`; direct uploads are limited to 50 MB zipped). Proton is not involved in code deployments, so they keep working now
//! that AWS Proton has reached end of support; the CloudFormation stacks stay the source of truth for
//! configuration (a stack update does not revert the code, as `ZipFile` is unchanged). The deploy projects
//! run in the pipeline's account: instances in environments of other accounts would need a cross-account
//! deploy role, which this example does not create.
//!
//! Constructs: L2 throughout (no generated L1 resource): the DynamoDB table, the Lambda function (runtime, memory
//! size, timeout and reserved concurrency from the AWS Proton inputs), the HTTP API with its Lambda route
//! (integration, route, and an invoke permission scoped to the `$default` route of this API and this
//! account), the CodePipeline pipeline with its per-instance stages (each deploy action runs as a
//! per-instance action role allowed to start only that instance's project), the CodeBuild projects, KMS keys,
//! buckets, log groups and roles. Overrides on L2 resources: the logical IDs of the function, its log group,
//! the route and the pipeline stay those the stacks were created with (see the comments), the function's
//! suppressions carry this template's reasons, and the pipeline's `ExecutionMode` is set on the resource
//! (`PipelineProps` has no field for it).
//!
//! ```sh
//! cargo run --example serverless_api -- synth --out out/serverless_api
//! ```

use indexmap::IndexMap;
use proton_synth::app::App;
use proton_synth::constructs::apigateway::{HttpApi, HttpApiProps};
use proton_synth::constructs::codebuild::{BuildEnvironment, BuildSpec, Project, ProjectProps};
use proton_synth::constructs::codepipeline::{Action, Artifact, Pipeline, PipelineProps, Stage};
use proton_synth::constructs::dynamodb::{Table, TableEncryption, TableProps};
use proton_synth::constructs::iam::{PolicyStatement, Principal, Role, RoleProps};
use proton_synth::constructs::kms::{Key, KeyProps};
use proton_synth::constructs::lambda::{Architecture, Code, Function, FunctionProps};
use proton_synth::constructs::nag::{self, Tool};
use proton_synth::constructs::s3::{Bucket, BucketEncryption, BucketProps};
use proton_synth::constructs::{cfn, fns, Expr, Handle, Scope, Stack, Value};
use proton_synth::proton::{
    EnvironmentTemplate, Input, InputDef, Instance, InstanceLoop, PipelineTemplate, ServiceTemplate,
};

/// Output names of `serverless-env`, declared by the environment template and read by the service template
/// from these constants only.
pub mod outputs {
    pub const KMS_KEY_ARN: &str = "KmsKeyArn";
    pub const LOG_LEVEL: &str = "LogLevel";
}

/// Lambda runtimes the placeholder handler (Python) runs on.
pub const RUNTIMES: [&str; 3] = ["python3.13", "python3.12", "python3.11"];

/// The placeholder handler the function is created with (`index.handler`), until the pipeline deploys.
const PLACEHOLDER_HANDLER: &str = r#"import json


def handler(event, context):
    return {
        "statusCode": 503,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"message": "not deployed yet: run the service pipeline"}),
    }
"#;

/// The DynamoDB actions on items the function may use (no table management, no streams).
pub const TABLE_DATA_ACTIONS: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
];

/// The environment template `serverless-env`.
pub fn environment() -> EnvironmentTemplate {
    let mut env = EnvironmentTemplate::new("serverless-env")
        .description("Serverless environment: a shared KMS key and shared settings, no VPC");
    let log_level = env.input(
        InputDef::string("log_level")
            .title("Application log level")
            .description("Log level of the functions of this environment's services")
            .enum_values(["DEBUG", "INFO", "WARN", "ERROR"])
            .default("INFO"),
    );
    let env_name = env.environment_name();
    let key = Key::new(
        &mut env.root(),
        "Key",
        KeyProps {
            description: Some("Data of the serverless services of this environment".to_owned()),
            alias_value: Some(fns::sub("alias/proton/${Env}", [("Env", env_name.into_expr())])),
            ..KeyProps::default()
        },
    );
    env.output_with_description(
        outputs::KMS_KEY_ARN,
        key.arn(),
        Some("KMS key for tables and function configuration"),
    );
    env.output_with_description(
        outputs::LOG_LEVEL,
        log_level.value(),
        Some("Application log level of the functions"),
    );
    env
}

/// The service template `http-api-svc`.
pub fn service(env: &EnvironmentTemplate) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new("http-api-svc", &[env.interface()])
        .description("HTTP API (API Gateway v2) with a Lambda function and a DynamoDB table");
    let key = Key::from_arn(svc.env_output(outputs::KMS_KEY_ARN));
    let log_level = svc.env_output(outputs::LOG_LEVEL);
    let inputs = ServiceInputs::declare(&mut svc);

    // Table: on-demand, point-in-time recovery, deletion protection, retained, the environment's key.
    let mut root = svc.instance();
    let table = Table::new(
        &mut root,
        "Table",
        TableProps {
            encryption: TableEncryption::CustomerManaged(key.clone()),
            ..TableProps::default()
        },
    );

    // Function role (given to the function, which then adds no grants of its own): the table's data actions,
    // the function's log group, X-Ray, and the key through DynamoDB and Lambda only.
    let role = Role::new(
        &mut root,
        "FunctionRole",
        RoleProps {
            assumed_by: Principal::service("lambda.amazonaws.com"),
            description: Some("Lambda function of an http-api-svc instance".to_owned()),
            ..RoleProps::default()
        },
    );
    let function = function(&mut root, &inputs, &table, &role, &key, log_level);
    grant_function_role(root.stack(), &function, &role, &table, &key);

    // HTTP API (`$default` stage, JSON access logs, throttling) with one IAM-authorized catch-all route to
    // the function; the route's invoke permission is scoped to this API's `$default` route and this account.
    let api = HttpApi::new(
        &mut root,
        "Api",
        HttpApiProps {
            description: Some("HTTP API of an http-api-svc instance".to_owned()),
            throttling: Some((100, 50.0)),
            ..HttpApiProps::default()
        },
    );
    let route = api.add_lambda_route(root.stack(), "$default", &function);
    keep_ids_and_explain(root.stack(), &function, route);

    svc.instance_output("ApiEndpoint", api.url());
    svc.instance_output("FunctionName", function.name());
    svc.instance_output("FunctionArn", function.arn());
    svc.instance_output("TableName", table.name());

    pipeline(&mut svc);
    svc
}

/// The instance inputs that size the function.
struct ServiceInputs {
    runtime: Input<Instance, String>,
    memory_size: Input<Instance, f64>,
    timeout: Input<Instance, f64>,
    reserved_concurrency: Input<Instance, f64>,
}

impl ServiceInputs {
    fn declare(svc: &mut ServiceTemplate) -> Self {
        ServiceInputs {
            runtime: svc.instance_input(
                InputDef::string("runtime")
                    .title("Runtime")
                    .description("Lambda runtime of the function (the code's handler is index.handler)")
                    .enum_values(RUNTIMES)
                    .default(RUNTIMES[0]),
            ),
            memory_size: svc.instance_input(
                InputDef::number("memory_size")
                    .title("Memory (MiB)")
                    .default(256.0)
                    .minimum(128.0)
                    .maximum(10240.0),
            ),
            timeout: svc.instance_input(
                InputDef::number("timeout")
                    .title("Timeout (seconds)")
                    .description("At most 29: HTTP API integrations time out after 30 seconds")
                    .default(10.0)
                    .minimum(1.0)
                    .maximum(29.0),
            ),
            reserved_concurrency: svc.instance_input(
                InputDef::number("reserved_concurrency")
                    .title("Reserved concurrency")
                    .description("Concurrent executions reserved for (and limiting) the function")
                    .default(10.0)
                    .minimum(1.0)
                    .maximum(1000.0),
            ),
        }
    }
}

/// The function (L2) running as `role`, sized by the instance inputs. Its own log group (one year) receives
/// JSON logs filtered by the environment's log level, which also reaches the code as `LOG_LEVEL`.
fn function(
    root: &mut Scope,
    inputs: &ServiceInputs,
    table: &Table,
    role: &Role,
    key: &Key,
    log_level: Value<String>,
) -> Function {
    let mut environment = IndexMap::new();
    environment.insert("TABLE_NAME".to_owned(), table.name());
    environment.insert("LOG_LEVEL".to_owned(), log_level.clone());
    Function::new(
        root,
        "Function",
        FunctionProps {
            description: Some("HTTP API handler".to_owned()),
            runtime: inputs.runtime.value(),
            handler: "index.handler".to_owned(),
            code: Code::Inline(PLACEHOLDER_HANDLER.to_owned()),
            memory_size: inputs.memory_size.as_integer(),
            timeout_seconds: inputs.timeout.as_integer(),
            reserved_concurrency: Some(inputs.reserved_concurrency.as_integer()),
            environment,
            environment_key: Some(key.clone()),
            role: Some(role.clone()),
            application_log_level: Some(log_level),
            // The pipeline builds the code on CodeBuild's x86_64 image: native dependencies it packages
            // must run on the same architecture.
            architecture: Architecture::X86_64,
            ..FunctionProps::default()
        },
    )
}

/// What the function's role may do: write its log group, use the table's items, the key through DynamoDB and
/// Lambda only, and X-Ray.
fn grant_function_role(stack: &mut Stack, function: &Function, role: &Role, table: &Table, key: &Key) {
    // A grant that cannot be added (an imported role) is reported as a warning; nothing to check here.
    let _ = function.log_group().grant_write(stack, &mut role.clone());
    // Exactly the item actions on the table (the L2's grant_read_write_data adds DescribeTable, stream reads
    // and the indexes, and the key without a ViaService condition).
    role.add_to_policy(stack, PolicyStatement::allow(TABLE_DATA_ACTIONS, [table.arn()]));
    role.add_to_policy(
        stack,
        PolicyStatement::allow(
            &["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            [key.arn()],
        )
        .with_condition(
            "StringEquals",
            "kms:ViaService",
            Expr::List(vec![
                fns::sub("dynamodb.${AWS::Region}.amazonaws.com", Vec::<(String, Expr)>::new()).into_expr(),
                fns::sub("lambda.${AWS::Region}.amazonaws.com", Vec::<(String, Expr)>::new()).into_expr(),
            ]),
        ),
    );
    role.add_to_policy(
        stack,
        PolicyStatement::allow(
            &["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            [Value::from("*")],
        ),
    );
}

/// The logical IDs the instances were created with (when the function was an L1 resource): a new ID would
/// replace the function (its deployed code back to the placeholder until the pipeline runs again), start
/// a new log group (the retained old one orphaned), and create a second `$default` route on the API
/// before deleting the first, which API Gateway rejects. Then this function's own reasons for its findings,
/// in place of the L2's generic ones.
fn keep_ids_and_explain(stack: &mut Stack, function: &Function, route: Handle<cfn::apigatewayv2::Route>) {
    stack.resource_mut(&function.handle()).override_logical_id("Function");
    if let Some(logs) = function.log_group().handle() {
        stack.resource_mut(&logs).override_logical_id("FunctionLogsAE28C13D");
    }
    stack.resource_mut(&route).override_logical_id("DefaultRoute");
    let entry = stack.resource_mut(&function.handle());
    nag::suppress_all(
        entry,
        &[(Tool::Checkov, "CKV_AWS_117"), (Tool::Guard, "CT.LAMBDA.PR.3")],
        "serverless environment without a VPC: the function only calls DynamoDB and CloudWatch through their public AWS endpoints",
    );
    nag::suppress(
        entry,
        Tool::Checkov,
        "CKV_AWS_116",
        "invoked synchronously by the HTTP API: failures are returned to the caller, a dead-letter queue would stay empty",
    );
}

/// The pipeline: source → build → one deploy stage per service instance.
fn pipeline(svc: &mut ServiceTemplate) {
    let pipe = svc.pipeline();
    let build_env = pipeline_inputs(pipe);
    let connection = pipe.repository_connection_arn();
    let repository = pipe.repository_id();
    let branch = pipe.branch_name();
    let each = pipe.instances();

    let mut root = pipe.root();
    let (pipeline, key) = pipeline_with_artifacts(&mut root);
    let build = build_project(&mut root, build_env, key.clone());
    let deploy = deploy_project(&mut pipe.per_instance(), &each, key);

    // Stages: Source, Build, then `Deploy-<instance>` once per instance (in order; a failed deployment stops
    // the ones after it). The actions grant the projects' roles the artifact bucket (read and write for the
    // build, read for the deploys).
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

/// The pipeline inputs, returned as the build's environment variables (`BUILD_COMMAND`, `ARTIFACT_PATH`): they
/// never become buildspec text.
fn pipeline_inputs(pipe: &mut PipelineTemplate) -> Vec<(String, Value<String>)> {
    let build_command = pipe.input(
        InputDef::string("build_command")
            .title("Build command")
            .description("Shell command that builds the function code (run by CodeBuild in the repository root)")
            .default("mkdir -p build && cp -R src/. build/")
            .min_length(1),
    );
    let artifact_path = pipe.input(
        InputDef::string("artifact_path")
            .title("Artifact folder")
            .description("Folder, relative to the repository root, holding the built function code (index.handler)")
            .default("build")
            .pattern("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$"),
    );
    vec![
        ("BUILD_COMMAND".to_owned(), build_command.value()),
        ("ARTIFACT_PATH".to_owned(), artifact_path.value()),
    ]
}

/// The pipeline (V2) and its artifact store: a customer managed key (returned, for the builds) and a versioned
/// bucket that logs its access (the resources the pipeline was first created with, kept: both are retained on
/// replacement). Its role gets the artifact store, the connection and the build project; each deploy action
/// runs as its own per-instance action role (see `codepipeline`).
fn pipeline_with_artifacts(root: &mut Scope) -> (Pipeline, Key) {
    let key = Key::new(
        root,
        "ArtifactKey",
        KeyProps {
            description: Some("Pipeline artifacts of an http-api-svc service".to_owned()),
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
    // The pipeline's logical ID from before the L2 (a new one would replace it and lose its history).
    root.stack()
        .resource_mut(&pipeline.handle())
        .override_logical_id("Pipeline");
    // `PipelineProps` has no execution mode, so set it on the typed L1. QUEUED runs every pushed commit's
    // deployments in order, instead of a newer execution superseding one between its per-instance deploy stages.
    if let Some(l1) = root.stack().l1_mut(&pipeline.handle()) {
        l1.execution_mode = Some(Value::from("QUEUED"));
    }
    (pipeline, key)
}

/// Build: runs `BUILD_COMMAND` and zips the built folder (`ARTIFACT_PATH`) into the output artifact's
/// `function.zip`.
fn build_project(root: &mut Scope, env: Vec<(String, Value<String>)>, key: Key) -> Project {
    Project::new(
        root,
        "Build",
        ProjectProps {
            description: Some("Builds the function code".to_owned()),
            build_spec: BuildSpec {
                build: vec![
                    Value::from("eval \"$BUILD_COMMAND\""),
                    Value::from("test -d \"$ARTIFACT_PATH\""),
                    Value::from("(cd \"$ARTIFACT_PATH\" && zip -qr \"$CODEBUILD_SRC_DIR/function.zip\" .)"),
                ],
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

/// Deploy: one project per instance (`per`, from `per_instance()`), whose role may update only that instance's
/// function: its name and ARN are the instance's outputs.
fn deploy_project(per: &mut Scope, each: &InstanceLoop, key: Key) -> Project {
    let deploy = Project::new(
        per,
        "Deploy",
        ProjectProps {
            description: Some("Deploys the built code to one service instance's function".to_owned()),
            build_spec: BuildSpec {
                build: vec![
                    Value::from(
                        "aws lambda update-function-code --function-name \"$FUNCTION_NAME\" --zip-file \"fileb://$CODEBUILD_SRC_DIR/function.zip\" --publish",
                    ),
                    Value::from("aws lambda wait function-updated-v2 --function-name \"$FUNCTION_NAME\""),
                ],
                ..BuildSpec::default()
            },
            environment: BuildEnvironment {
                env: vec![("FUNCTION_NAME".to_owned(), each.output("FunctionName"))],
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
            [each.output("FunctionArn")],
        ),
    );
    deploy
}

/// The program's templates; `main` hands them to the CLI, tests snapshot them.
pub fn app() -> App {
    let env = environment();
    let api = service(&env);
    let mut app = App::new("serverless-api");
    app.add_environment(env);
    app.add_service(api);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(proton_synth::cli::run_lazily(app));
}
