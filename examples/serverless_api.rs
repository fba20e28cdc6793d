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
//! - Its pipeline (`pipeline_infrastructure/`): CodePipeline V2 with the repository (CodeStar connection) as
//!   source, a CodeBuild build running the pipeline input `build_command` and packaging `artifact_path`, and a
//!   Deploy stage with one CodeBuild action **per service instance** (from the `service_instances` loop).
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
//! Constructs: the DynamoDB table, the HTTP API (stage, access logs, throttling), the CodeBuild projects, KMS
//! keys, buckets, log groups and roles are L2 constructs. Generated L1 resources: the Lambda function (the L2
//! takes a literal runtime, memory size, timeout and concurrency, where this template has AWS Proton inputs),
//! hence the API's integration, route and invoke permission (the L2's `add_lambda_route` takes an L2
//! function), and the CodePipeline pipeline (its Deploy stage holds one action per instance, which the L2
//! pipeline cannot express yet: a per-item stage's CodeBuild grant lands outside the instance loop).
//!
//! ```sh
//! cargo run --example serverless_api -- synth --out out/serverless_api
//! ```

use proton_synth::app::App;
use proton_synth::constructs::apigateway::{HttpApi, HttpApiProps};
use proton_synth::constructs::cfn::codepipeline::{self, pipeline as cp};
use proton_synth::constructs::cfn::{apigatewayv2, iam, lambda};
use proton_synth::constructs::codebuild::{BuildEnvironment, BuildSpec, Project, ProjectProps};
use proton_synth::constructs::dynamodb::{Table, TableEncryption, TableProps};
use proton_synth::constructs::iam::{PolicyDocument, PolicyStatement, Principal, Role, RoleProps};
use proton_synth::constructs::kms::{Key, KeyProps};
use proton_synth::constructs::logs::{LogGroup, LogGroupProps};
use proton_synth::constructs::nag::{self, Tool};
use proton_synth::constructs::s3::{Bucket, BucketEncryption, BucketProps};
use proton_synth::constructs::{fns, Expr, IntoExpr, Json, Value};
use proton_synth::proton::{EnvironmentTemplate, InputDef, ServiceTemplate};

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
    let runtime = svc.instance_input(
        InputDef::string("runtime")
            .title("Runtime")
            .description("Lambda runtime of the function (the code's handler is index.handler)")
            .enum_values(RUNTIMES)
            .default(RUNTIMES[0]),
    );
    let memory_size = svc.instance_input(
        InputDef::number("memory_size")
            .title("Memory (MiB)")
            .default(256.0)
            .minimum(128.0)
            .maximum(10240.0),
    );
    let timeout = svc.instance_input(
        InputDef::number("timeout")
            .title("Timeout (seconds)")
            .description("At most 29: HTTP API integrations time out after 30 seconds")
            .default(10.0)
            .minimum(1.0)
            .maximum(29.0),
    );
    let reserved_concurrency = svc.instance_input(
        InputDef::number("reserved_concurrency")
            .title("Reserved concurrency")
            .description("Concurrent executions reserved for (and limiting) the function")
            .default(10.0)
            .minimum(1.0)
            .maximum(1000.0),
    );

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

    // Function role: the table's data actions, its log group, the key through DynamoDB and Lambda only.
    let mut role = Role::new(
        &mut root,
        "FunctionRole",
        RoleProps {
            assumed_by: Principal::service("lambda.amazonaws.com"),
            description: Some("Lambda function of an http-api-svc instance".to_owned()),
            ..RoleProps::default()
        },
    );
    let log_group = LogGroup::new(&mut root, "FunctionLogs", LogGroupProps::default());
    let stack = root.stack();
    log_group.grant_write(stack, &mut role);
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

    let function = root.add(
        "Function",
        lambda::Function {
            description: Some("HTTP API handler".into()),
            handler: Some("index.handler".into()),
            runtime: Some(runtime.value()),
            memory_size: Some(memory_size.as_integer()),
            timeout: Some(timeout.as_integer()),
            reserved_concurrent_executions: Some(reserved_concurrency.as_integer()),
            kms_key_arn: Some(key.arn()),
            environment: Some(lambda::function::Environment {
                variables: Some(Value::<Json>::object([
                    ("TABLE_NAME", table.name().into_expr()),
                    ("LOG_LEVEL", log_level.clone().into_expr()),
                ])),
            }),
            // The environment's log level also filters the function's application logs (JSON format).
            logging_config: Some(lambda::function::LoggingConfig {
                log_group: Some(log_group.name()),
                log_format: Some("JSON".into()),
                application_log_level: Some(log_level),
                ..Default::default()
            }),
            tracing_config: Some(lambda::function::TracingConfig {
                mode: Some("Active".into()),
            }),
            ..lambda::Function::new(
                lambda::function::Code {
                    zip_file: Some(PLACEHOLDER_HANDLER.into()),
                    ..Default::default()
                },
                role.arn(),
            )
        },
    );
    nag::suppress_all(
        root.stack().resource_mut(&function),
        &[(Tool::Checkov, "CKV_AWS_117"), (Tool::Guard, "CT.LAMBDA.PR.3")],
        "serverless environment without a VPC: the function only calls DynamoDB and CloudWatch through their public AWS endpoints",
    );
    nag::suppress(
        root.stack().resource_mut(&function),
        Tool::Checkov,
        "CKV_AWS_116",
        "invoked synchronously by the HTTP API: failures are returned to the caller, a dead-letter queue would stay empty",
    );

    let account_id = svc.environment_account_id();
    let mut root = svc.instance();
    // HTTP API (L2: `$default` stage, JSON access logs, throttling) with one IAM-authorized catch-all route
    // to the function (L1: the L2's add_lambda_route takes an L2 function).
    let api = HttpApi::new(
        &mut root,
        "Api",
        HttpApiProps {
            description: Some("HTTP API of an http-api-svc instance".to_owned()),
            throttling: Some((100, 50.0)),
            ..HttpApiProps::default()
        },
    );
    let integration = root.add(
        "Integration",
        apigatewayv2::Integration {
            integration_uri: Some(function.attr_arn()),
            payload_format_version: Some("2.0".into()),
            ..apigatewayv2::Integration::new(api.api_id(), "AWS_PROXY")
        },
    );
    root.add(
        "DefaultRoute",
        apigatewayv2::Route {
            authorization_type: Some("AWS_IAM".into()),
            target: Some(fns::join("/", [Value::from("integrations"), integration.r#ref()])),
            ..apigatewayv2::Route::new(api.api_id(), "$default")
        },
    );
    // SourceArn scopes the permission to this API; SourceAccount (a literal once rendered) is what the
    // Control Tower check CT.LAMBDA.PR.2 recognizes.
    root.add(
        "ApiPermission",
        lambda::Permission {
            source_account: Some(account_id),
            source_arn: Some(api.execute_api_arn("$default")),
            ..lambda::Permission::new("lambda:InvokeFunction", function.r#ref(), "apigateway.amazonaws.com")
        },
    );

    svc.instance_output("ApiEndpoint", api.url());
    svc.instance_output("FunctionName", function.r#ref());
    svc.instance_output("FunctionArn", function.attr_arn());
    svc.instance_output("TableName", table.name());

    pipeline(&mut svc);
    svc
}

/// A CodePipeline action running CodeBuild `project` on artifact `input`.
fn codebuild_action(name: Value<String>, project: &Project, input: &str, output: Option<&str>) -> Expr {
    cp::ActionDeclaration {
        configuration: Some(Value::<Json>::object([("ProjectName", project.name().into_expr())])),
        input_artifacts: Some(vec![cp::InputArtifact::new(input)]),
        output_artifacts: output.map(|o| vec![cp::OutputArtifact::new(o)]),
        run_order: Some(1.into()),
        ..cp::ActionDeclaration::new(cp::ActionTypeId::new("Build", "AWS", "CodeBuild", "1"), name)
    }
    .into_expr()
}

/// The pipeline: source → build → a Deploy stage with one action per service instance.
fn pipeline(svc: &mut ServiceTemplate) {
    let pipe = svc.pipeline();
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
    let connection = pipe.repository_connection_arn();
    let repository = pipe.repository_id();
    let branch = pipe.branch_name();
    let each = pipe.instances();

    // Artifact store: a customer managed key, a versioned bucket that logs its access.
    let mut root = pipe.root();
    let key = Key::new(
        &mut root,
        "ArtifactKey",
        KeyProps {
            description: Some("Pipeline artifacts of an http-api-svc service".to_owned()),
            ..KeyProps::default()
        },
    );
    let access_logs = Bucket::new_access_log_bucket(&mut root, "AccessLogs");
    let artifacts = Bucket::new(
        &mut root,
        "Artifacts",
        BucketProps {
            encryption: BucketEncryption::Kms(key.clone()),
            server_access_logs: Some((access_logs, "artifacts/".to_owned())),
            ..BucketProps::default()
        },
    );

    // Build: runs `build_command`; the output artifact holds the built folder (`artifact_path`).
    let build = Project::new(
        &mut root,
        "Build",
        ProjectProps {
            description: Some("Builds the function code".to_owned()),
            build_spec: BuildSpec {
                build: vec![
                    Value::from("eval \"$BUILD_COMMAND\""),
                    Value::from("test -d \"$ARTIFACT_PATH\""),
                ],
                artifact_files: vec![fns::join("", [artifact_path.value(), Value::from("/**/*")])],
                ..BuildSpec::default()
            },
            environment: BuildEnvironment {
                env: vec![
                    ("BUILD_COMMAND".to_owned(), build_command.value()),
                    ("ARTIFACT_PATH".to_owned(), artifact_path.value()),
                ],
                ..BuildEnvironment::default()
            },
            encryption_key: Some(key.clone()),
            timeout_minutes: Some(20),
            ..ProjectProps::default()
        },
    );
    artifacts.grant_read_write(root.stack(), &mut build.role().clone());

    // Deploy: one project per instance (`per_instance()`), whose role may update only that instance's
    // function: its name and ARN are the instance's outputs.
    let mut per = pipe.per_instance();
    let deploy = Project::new(
        &mut per,
        "Deploy",
        ProjectProps {
            description: Some("Deploys the built code to one service instance's function".to_owned()),
            build_spec: BuildSpec {
                build: vec![
                    Value::from("cd \"$CODEBUILD_SRC_DIR/$ARTIFACT_PATH\" && zip -qr /tmp/function.zip ."),
                    Value::from(
                        "aws lambda update-function-code --function-name \"$FUNCTION_NAME\" --zip-file fileb:///tmp/function.zip --publish",
                    ),
                    Value::from("aws lambda wait function-updated-v2 --function-name \"$FUNCTION_NAME\""),
                ],
                ..BuildSpec::default()
            },
            environment: BuildEnvironment {
                env: vec![
                    ("FUNCTION_NAME".to_owned(), each.output("FunctionName")),
                    ("ARTIFACT_PATH".to_owned(), artifact_path.value()),
                ],
                ..BuildEnvironment::default()
            },
            encryption_key: Some(key.clone()),
            timeout_minutes: Some(20),
            ..ProjectProps::default()
        },
    );
    let stack = per.stack();
    artifacts.grant_read(stack, &mut deploy.role().clone());
    deploy.add_to_role_policy(
        stack,
        PolicyStatement::allow(
            &[
                "lambda:UpdateFunctionCode",
                "lambda:GetFunction",
                "lambda:GetFunctionConfiguration",
            ],
            [each.output("FunctionArn")],
        ),
    );

    // The pipeline (L1: the Deploy stage's actions are spliced from the instance loop) and its role.
    let mut root = pipe.root();
    let role = Role::new(
        &mut root,
        "PipelineRole",
        RoleProps {
            assumed_by: Principal::service("codepipeline.amazonaws.com"),
            description: Some("http-api-svc pipeline".to_owned()),
            ..RoleProps::default()
        },
    );
    // An explicit policy (not the role's default one) so that the pipeline can depend on it: its first
    // execution starts on creation and needs the connection and the projects.
    let policy = PolicyDocument::new(vec![
        PolicyStatement::allow(
            &[
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:GetBucketVersioning",
                "s3:GetBucketLocation",
                "s3:PutObject",
            ],
            [artifacts.arn(), artifacts.arn_for_objects("*")],
        ),
        PolicyStatement::allow(
            &["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            [key.arn()],
        ),
        PolicyStatement::allow(
            &["codestar-connections:UseConnection", "codeconnections:UseConnection"],
            [connection.clone()],
        ),
        PolicyStatement::allow(
            &[
                "codebuild:StartBuild",
                "codebuild:BatchGetBuilds",
                "codebuild:StopBuild",
            ],
            [build.arn(), Value::from_expr(each.items([deploy.arn().into_expr()]))],
        ),
    ]);
    for problem in policy.statements.iter().flat_map(PolicyStatement::validate) {
        root.error(problem);
    }
    let role_policy = root.add(
        "PipelinePolicy",
        iam::Policy {
            roles: Some(Value::from(vec![role.name()])),
            ..iam::Policy::new(policy.to_value(), "PipelinePolicy")
        },
    );
    let checkout = cp::ActionDeclaration {
        configuration: Some(Value::<Json>::object([
            ("ConnectionArn", connection.into_expr()),
            ("FullRepositoryId", repository.into_expr()),
            ("BranchName", branch.into_expr()),
            ("OutputArtifactFormat", Expr::Str("CODE_ZIP".to_owned())),
        ])),
        output_artifacts: Some(vec![cp::OutputArtifact::new("Source")]),
        run_order: Some(1.into()),
        ..cp::ActionDeclaration::new(
            cp::ActionTypeId::new("Source", "AWS", "CodeStarSourceConnection", "1"),
            "Checkout",
        )
    }
    .into_expr();
    let build_action = codebuild_action("Build".into(), &build, "Source", Some("BuildOutput"));
    let deploy_action = codebuild_action(each.name(), &deploy, "BuildOutput", None);
    let stage = |name: &str, actions: Expr| {
        Expr::Map(
            [
                ("Name".to_owned(), Expr::Str(name.to_owned())),
                ("Actions".to_owned(), actions),
            ]
            .into_iter()
            .collect(),
        )
    };
    let pipeline = root.add(
        "Pipeline",
        codepipeline::Pipeline {
            pipeline_type: Some("V2".into()),
            execution_mode: Some("QUEUED".into()),
            artifact_store: Some(cp::ArtifactStore {
                encryption_key: Some(cp::EncryptionKey::new(key.arn(), "KMS")),
                ..cp::ArtifactStore::new(artifacts.name(), "S3")
            }),
            ..codepipeline::Pipeline::new(role.arn(), Vec::new())
        },
    );
    root.stack().add_dependency(&pipeline, &role_policy);
    if let Expr::Map(m) = root.stack().resource_mut(&pipeline).properties_mut() {
        m.insert(
            "Stages".to_owned(),
            Expr::List(vec![
                stage("Source", Expr::List(vec![checkout])),
                stage("Build", Expr::List(vec![build_action])),
                stage("Deploy", Expr::List(vec![each.items([deploy_action])])),
            ]),
        );
    }
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
    std::process::exit(app().run());
}
