//! AWS's catalog set `lambda-multi-svc` (aws-proton-cloudformation-sample-templates, `lambda-multi-svc/`)
//! rewritten with typed constructs: the environment template `lambda-env` (a DynamoDB table and an S3 bucket
//! shared by the environment's services) and the service templates `service-crud` (a CRUD HTTP API of five
//! functions on that table) and `service-data-processing` (callbacks put on a Kinesis stream, whose reader
//! writes the table, a discrepancy queue and a Firehose delivering to the bucket), each with a pipeline. What the catalog's Lambda services share (inputs, code
//! selection, pipeline) comes from `apigw_lambda_svc.rs`, included below; see its documentation for the
//! deviations they share (the runtime enum, code from `code_uri` by condition, code deployed by the pipeline).
//!
//! At input parity with the samples: `lambda-env`'s required `ttl_attribute` and its outputs `TableName` and
//! `AppBucketArn`; `service-crud`'s instance inputs `resource_name`, `resource_handler`, `lambda_memory`,
//! `lambda_timeout`, `lambda_runtime` (default `ruby3.4`, the sample's `ruby2.7`'s successor), `code_uri`, its
//! pipeline inputs `unit_test_command` and `packaging_command`, and its outputs `HttpApiEndpoint` and
//! `LambdaRuntime`. Deviations, and why:
//!
//! - The table (keys `hk`/`rk`, the `reverse` index, TTL on `ttl_attribute`) has point-in-time recovery and
//!   deletion protection and is retained with the environment's stack; the bucket is encrypted, versioned,
//!   TLS-only, expires old versions after 90 days and logs access to a log bucket.
//! - Each CRUD function may use only the item actions its operation needs on the environment's table
//!   (`list`: Query and Scan, also on its indexes; `get`: GetItem; `create`: PutItem; `update`: UpdateItem;
//!   `delete`: DeleteItem) instead of SAM's `DynamoDBCrudPolicy` on every function; its logs are kept a year.
//! - The routes (`GET`/`POST /<resource_name>`, `GET`/`DELETE`/`PATCH /<resource_name>/{id}`) require IAM
//!   authorization (the sample's were open to anyone); the API has access logs and throttling.
//! - The functions always exist: without `code_uri` they run the Node.js placeholder (the sample created them
//!   only once `code_uri` was set); their names are the outputs `ListFunction` … `UpdateFunction`, which the
//!   pipeline's deploy stages update.
//! - `service-data-processing` (same inputs as its sample, outputs `HttpApiEndpoint`, `LambdaRuntime`; the
//!   sample's route `/task-update` is `/<resource_name>-update`, the same with the default `task`): the stream is encrypted with `alias/aws/kinesis`, the delivery stream
//!   with an AWS owned key, the queue with SSE-SQS and a dead-letter queue; the Firehose role may write below
//!   `update/` and `errors/` of the environment's bucket only (the sample: the whole bucket); the stream reader
//!   may use item actions on the table, send to its queues and put records on its delivery stream, retries a
//!   failing batch 3 times (halving it) and then sends it to an on-failure queue instead of blocking its shard;
//!   the callback route is on an HTTP API with IAM authorization (the sample: an open REST
//!   API) and the callback function may only put records on the stream.
//! - The sample's own spec asks for `ruby2.7` (which Lambda no longer creates) and names a pipeline input
//!   `packaging_commands` its schema does not have: the tests render it with `ruby3.4` and
//!   `packaging_command`.
//!
//! ```sh
//! cargo run --example lambda_multi_svc -- synth --out out/lambda_multi_svc
//! ```

#[path = "apigw_lambda_svc.rs"]
pub mod apigw_lambda_svc;

use apigw_lambda_svc::{
    code_uri_input, lambda_pipeline, memory_input, runtime_input, timeout_input, CodeChoice, LambdaPipeline,
    PLACEHOLDER_HANDLER,
};
use indexmap::IndexMap;
use proton_synth::app::App;
use proton_synth::constructs::apigateway::{HttpApi, HttpApiProps};
use proton_synth::constructs::dynamodb::{AttributeType, Table, TableProps};
use proton_synth::constructs::iam::{PolicyStatement, Principal, Role, RoleProps};
use proton_synth::constructs::lambda::{Architecture, Code, Function, FunctionProps};
use proton_synth::constructs::s3::{Bucket, BucketProps};
use proton_synth::constructs::sqs::{DeadLetterQueue, Queue, QueueProps, DLQ_RETENTION_SECONDS};
use proton_synth::constructs::{cfn, fns, Construct, Handle, Scope, Stack, Value};
use proton_synth::proton::{EnvironmentInterface, EnvironmentTemplate, Input, InputDef, Instance, ServiceTemplate};

/// The environment template's name.
pub const ENV_NAME: &str = "lambda-env";
/// The CRUD service template's name.
pub const CRUD_NAME: &str = "service-crud";

/// Output names of `lambda-env`.
pub mod outputs {
    pub const TABLE_NAME: &str = "TableName";
    pub const APP_BUCKET_ARN: &str = "AppBucketArn";
}

/// The environment template `lambda-env`: the shared table and bucket.
pub fn environment() -> EnvironmentTemplate {
    let mut env = EnvironmentTemplate::new(ENV_NAME)
        .description("A DynamoDB table and an S3 bucket shared between the environment's services (proton-synth port of AWS's lambda-env sample)")
        .input_type_name("EnvironmentInput")
        .input_type_description("Input properties for my environment");
    let ttl = env.input(
        InputDef::string("ttl_attribute")
            .title("TTL attribute")
            .description("Which attribute to use as the TTL attribute")
            .default("ttl")
            .min_length(1)
            .max_length(100)
            .required(),
    );
    let mut root = env.root();
    let table = Table::new(
        &mut root,
        "AppTable",
        TableProps {
            partition_key: ("hk".to_owned(), AttributeType::String),
            sort_key: Some(("rk".to_owned(), AttributeType::String)),
            ttl_attribute: Some(ttl.value()),
            ..TableProps::default()
        },
    );
    table.add_global_secondary_index(
        root.stack(),
        "reverse",
        ("rk", AttributeType::String),
        Some(("hk", AttributeType::String)),
    );
    let access_logs = Bucket::new_access_log_bucket(&mut root, "AccessLogs");
    let bucket = Bucket::new(
        &mut root,
        "AppBucket",
        BucketProps {
            server_access_logs: Some((access_logs, "app-bucket/".to_owned())),
            ..BucketProps::default()
        },
    );
    env.output_with_description(
        outputs::TABLE_NAME,
        table.name(),
        Some("The DDB table to be used for all CRUD services"),
    );
    env.output_with_description(
        outputs::APP_BUCKET_ARN,
        bucket.arn(),
        Some("The Bucket used for data processing"),
    );
    env
}

/// The CRUD operations: (name, method, whether the path ends in `{id}`, the table actions it needs).
pub const OPERATIONS: [(&str, &str, bool, &[&str]); 5] = [
    ("list", "GET", false, &["dynamodb:Query", "dynamodb:Scan"]),
    ("create", "POST", false, &["dynamodb:PutItem"]),
    ("get", "GET", true, &["dynamodb:GetItem"]),
    ("delete", "DELETE", true, &["dynamodb:DeleteItem"]),
    ("update", "PATCH", true, &["dynamodb:UpdateItem"]),
];

/// `list` → `List`.
fn capitalized(op: &str) -> String {
    let mut c = op.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_ascii_uppercase().to_string() + c.as_str())
}

/// The service template `service-crud`, compatible with `lambda-env:1`.
pub fn crud_service(env_interface: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(CRUD_NAME, std::slice::from_ref(env_interface))
        .description("A CRUD HTTP API of Lambda functions on the environment's table (proton-synth port of AWS's service-crud sample)")
        .input_type_name("CrudServiceInput")
        .input_type_description(
            "Input properties for a Lambda backed CRUD API. When given a resource name, this input will be used to \
             generate Create, Read, Update and Delete API methods and lambdas.",
        );
    let resource_name = svc.instance_input(
        InputDef::string("resource_name")
            .title("Resource name")
            .description("The resource to generate a CRUD API for")
            .min_length(1)
            .max_length(50)
            .default("task"),
    );
    let resource_handler = svc.instance_input(
        InputDef::string("resource_handler")
            .title("Resource handler")
            .description("The handler path to find the CRUD methods for this API")
            .min_length(1)
            .max_length(50)
            .default("src/api"),
    );
    let memory = memory_input(&mut svc);
    let timeout = timeout_input(&mut svc);
    let runtime = runtime_input(&mut svc, "ruby3.4");
    let code_uri = code_uri_input(&mut svc);
    let table_name = svc.env_output(outputs::TABLE_NAME);
    // The environment's table is in the instance's account and Region.
    let table_arn = fns::sub(
        "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}",
        [("Table", table_name.clone().into_expr())],
    );

    let mut root = svc.instance();
    let crud = Crud {
        code: CodeChoice::new(&mut root, &code_uri),
        resource_name,
        resource_handler,
        memory,
        timeout,
        runtime,
        table_name,
        table_arn,
    };
    let api = HttpApi::new(
        &mut root,
        "CrudHttpApi",
        HttpApiProps {
            description: Some("CRUD API of a service-crud instance".to_owned()),
            ..HttpApiProps::default()
        },
    );
    let functions: Vec<(String, Function)> = OPERATIONS
        .into_iter()
        .map(|operation| crud_function(&mut root, &api, &crud, operation))
        .collect();
    svc.instance_output_with_description(
        "HttpApiEndpoint",
        fns::join("", [api.url(), crud.resource_name.value()]),
        Some("API Gateway endpoint URL for Prod stage"),
    );
    svc.instance_output_with_description("LambdaRuntime", crud.runtime.value(), Some("The lambda runtime"));
    for (name, function) in &functions {
        svc.instance_output(name, function.name());
    }
    let names: Vec<&str> = functions.iter().map(|(n, _)| n.as_str()).collect();
    lambda_pipeline(
        &mut svc,
        LambdaPipeline {
            kind: "CRUD API",
            code_dir: None,
            packaging_command: "make publish",
            function_outputs: &names,
        },
    );
    svc
}

/// What every CRUD function is built from: the instance inputs, the code choice and the environment's table.
struct Crud {
    code: CodeChoice,
    resource_name: Input<Instance, String>,
    resource_handler: Input<Instance, String>,
    memory: Input<Instance, f64>,
    timeout: Input<Instance, f64>,
    runtime: Input<Instance, String>,
    table_name: Value<String>,
    table_arn: Value<String>,
}

/// The function of one of [`OPERATIONS`] (handler `<resource_handler>.<op>_<resource_name>`), allowed its
/// table actions only, and its route on `api`. Returns its output name (`ListFunction`, …) and the function.
fn crud_function(
    root: &mut Scope,
    api: &HttpApi,
    crud: &Crud,
    (op, method, with_id, actions): (&str, &str, bool, &[&str]),
) -> (String, Function) {
    let id = capitalized(op);
    let function = Function::new(
        root,
        &format!("{id}Function"),
        FunctionProps {
            description: Some(format!("The {op} operation of the CRUD API")),
            code: Code::Inline(PLACEHOLDER_HANDLER.to_owned()),
            memory_size: crud.memory.as_integer(),
            timeout_seconds: crud.timeout.as_integer(),
            environment: [("TABLE_NAME".to_owned(), crud.table_name.clone())]
                .into_iter()
                .collect(),
            // Code packaged by the pipeline on CodeBuild's x86_64 image runs on the same architecture.
            architecture: Architecture::X86_64,
            ..FunctionProps::default()
        },
    );
    let handler = fns::join(
        "",
        [
            crud.resource_handler.value(),
            Value::from(format!(".{op}_")),
            crud.resource_name.value(),
        ],
    );
    crud.code.apply(root.stack(), &function, handler, crud.runtime.value());
    let mut resources = vec![crud.table_arn.clone()];
    if op == "list" {
        resources.push(fns::join("", [crud.table_arn.clone(), Value::from("/index/*")]));
    }
    function.add_to_role_policy(root.stack(), PolicyStatement::allow(actions, resources));
    let mut segments = vec![crud.resource_name.value()];
    if with_id {
        segments.push(Value::from("{id}"));
    }
    api.add_lambda_route_segments(root.stack(), &id, method, segments, &function);
    (format!("{id}Function"), function)
}

/// The data-processing service's name.
pub const DATA_NAME: &str = "service-data-processing";

/// A function of the data-processing service: the inputs' size, the chosen code with `handler`.
fn data_function(root: &mut Scope, id: &str, inputs: &DataInputs, handler: Value<String>) -> Function {
    let function = Function::new(
        root,
        id,
        FunctionProps {
            description: Some(format!("{id} of a service-data-processing instance")),
            code: Code::Inline(PLACEHOLDER_HANDLER.to_owned()),
            memory_size: inputs.memory.as_integer(),
            timeout_seconds: inputs.timeout.as_integer(),
            environment: inputs.environment.clone(),
            architecture: Architecture::X86_64,
            ..FunctionProps::default()
        },
    );
    inputs
        .code
        .apply(root.stack(), &function, handler, inputs.runtime.value());
    function
}

/// What the data-processing functions share.
struct DataInputs {
    memory: Input<Instance, f64>,
    timeout: Input<Instance, f64>,
    runtime: Input<Instance, String>,
    code: CodeChoice,
    environment: IndexMap<String, Value<String>>,
}

/// The delivery stream into the environment's bucket (`update/`, GZIP, 60 s or 10 MB) with its role, which
/// may write below those prefixes only; encrypted with an AWS owned key.
fn firehose(root: &mut Scope, bucket_arn: &Value<String>) -> Handle<cfn::kinesisfirehose::DeliveryStream> {
    use cfn::kinesisfirehose::delivery_stream as d;
    let role = Role::new(
        root,
        "FirehoseRole",
        RoleProps {
            assumed_by: Principal::service("firehose.amazonaws.com"),
            description: Some("Lets the delivery stream write to the environment's bucket".to_owned()),
            ..RoleProps::default()
        },
    );
    let objects = |prefix: &str| fns::join("", [bucket_arn.clone(), Value::from(format!("/{prefix}*"))]);
    role.add_to_policy(
        root.stack(),
        PolicyStatement::allow(
            &["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
            [bucket_arn.clone()],
        ),
    );
    role.add_to_policy(
        root.stack(),
        PolicyStatement::allow(
            &["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            [objects("update/"), objects("errors/")],
        ),
    );
    let mut dest = d::ExtendedS3DestinationConfiguration::new(bucket_arn.clone(), role.arn());
    let mut hints = d::BufferingHints::new();
    hints.interval_in_seconds = Some(Value::from(60));
    hints.size_in_m_bs = Some(Value::from(10));
    dest.buffering_hints = Some(hints);
    dest.compression_format = Some(Value::from("GZIP"));
    dest.prefix = Some(Value::from("update/"));
    dest.error_output_prefix = Some(Value::from("errors/"));
    let mut stream = cfn::kinesisfirehose::DeliveryStream::new();
    stream.delivery_stream_type = Some(Value::from("DirectPut"));
    stream.delivery_stream_encryption_configuration_input =
        Some(d::DeliveryStreamEncryptionConfigurationInput::new("AWS_OWNED_CMK"));
    stream.extended_s3_destination_configuration = Some(dest);
    let h = root.add("EventFirehose", stream);
    if let Some(policy) = role.default_policy(root.stack()) {
        root.stack().add_dependency(&h, &policy);
    }
    h
}

/// The service template `service-data-processing`, compatible with `lambda-env:1` ([`callback_api`] and
/// [`stream_reader`]).
pub fn data_processing_service(env_interface: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(DATA_NAME, std::slice::from_ref(env_interface))
        .description("Callbacks into a Kinesis stream, read into the environment's table, a queue and a Firehose to its bucket (proton-synth port of AWS's service-data-processing sample)")
        .input_type_name("CrudServiceInput")
        .input_type_description("Input properties for a Lambda data processing service.");
    let text = |name: &str, title: &str, description: &str, default: &str| {
        InputDef::string(name)
            .title(title)
            .description(description)
            .min_length(1)
            .max_length(50)
            .default(default)
    };
    let resource_name = svc.instance_input(text(
        "resource_name",
        "Resource name",
        "The resource to generate a CRUD API for",
        "task",
    ));
    let callback_handler = svc.instance_input(text(
        "callback_handler",
        "Callback handler",
        "The path for the handler responsible for callbacks",
        "callback.handler",
    ));
    let stream_handler = svc.instance_input(text(
        "stream_handler",
        "Stream handler",
        "The path for the handler responsible for kinesis stream",
        "stream.handler",
    ));
    let memory = memory_input(&mut svc);
    let timeout = timeout_input(&mut svc);
    let runtime = runtime_input(&mut svc, "ruby3.4");
    let code_uri = code_uri_input(&mut svc);
    let table_name = svc.env_output(outputs::TABLE_NAME);
    let bucket_arn = svc.env_output(outputs::APP_BUCKET_ARN);

    let mut root = svc.instance();
    let code = CodeChoice::new(&mut root, &code_uri);
    let flow = DataFlow::new(&mut root, &bucket_arn);
    let mut inputs = DataInputs {
        memory,
        timeout,
        runtime,
        code,
        environment: IndexMap::new(),
    };
    // Callbacks: POST /<resource_name>-update (the sample's /task-update) puts records on the stream.
    let update_path = fns::join("", [resource_name.value(), Value::from("-update")]);
    let (callback, api) = callback_api(&mut root, &mut inputs, &flow, callback_handler.value(), &update_path);
    let reader = stream_reader(&mut root, &mut inputs, &flow, table_name, stream_handler.value());

    svc.instance_output_with_description(
        "HttpApiEndpoint",
        fns::join("", [api.url(), update_path]),
        Some("API Gateway endpoint URL for Prod stage"),
    );
    svc.instance_output_with_description("LambdaRuntime", inputs.runtime.value(), Some("The lambda runtime"));
    svc.instance_output("CallbackFunction", callback.name());
    svc.instance_output("DataUpdateStreamReader", reader.name());
    lambda_pipeline(
        &mut svc,
        LambdaPipeline {
            kind: "data processing",
            code_dir: None,
            packaging_command: "make publish",
            function_outputs: &["CallbackFunction", "DataUpdateStreamReader"],
        },
    );
    svc
}

/// Where the data goes: the Kinesis stream, the discrepancy and on-failure queues, the Firehose to the bucket.
struct DataFlow {
    stream: Handle<cfn::kinesis::Stream>,
    discrepancies: Queue,
    failures: Queue,
    firehose: Handle<cfn::kinesisfirehose::DeliveryStream>,
}

impl DataFlow {
    fn new(root: &mut Scope, bucket_arn: &Value<String>) -> DataFlow {
        let mut stream = cfn::kinesis::Stream::new();
        stream.shard_count = Some(Value::from(1));
        stream.stream_encryption = Some(cfn::kinesis::stream::StreamEncryption::new("KMS", "alias/aws/kinesis"));
        let stream = root.add("UpdateStream", stream);
        let discrepancies = Queue::new(root, "UpdateDiscrepanciesQueue", QueueProps::default());
        let failures = Queue::new(
            root,
            "StreamReaderFailures",
            QueueProps {
                dead_letter_queue: DeadLetterQueue::None {
                    reason:
                        "the on-failure destination of the stream reader: batches it could not process, kept 14 days"
                            .to_owned(),
                },
                retention_seconds: DLQ_RETENTION_SECONDS,
                ..QueueProps::default()
            },
        );
        DataFlow {
            stream,
            discrepancies,
            failures,
            firehose: firehose(root, bucket_arn),
        }
    }
}

/// The callback function, which may only put records on the stream, and its HTTP API (`POST <update_path>`).
fn callback_api(
    root: &mut Scope,
    inputs: &mut DataInputs,
    flow: &DataFlow,
    handler: Value<String>,
    update_path: &Value<String>,
) -> (Function, HttpApi) {
    inputs.environment.insert("STREAM_NAME".to_owned(), flow.stream.r#ref());
    let callback = data_function(root, "CallbackFunction", inputs, handler);
    callback.add_to_role_policy(
        root.stack(),
        PolicyStatement::allow(&["kinesis:PutRecord", "kinesis:PutRecords"], [flow.stream.attr_arn()]),
    );
    let api = HttpApi::new(
        root,
        "CallbackHttpApi",
        HttpApiProps {
            description: Some("Callbacks of a service-data-processing instance".to_owned()),
            ..HttpApiProps::default()
        },
    );
    api.add_lambda_route_segments(root.stack(), "Update", "POST", vec![update_path.clone()], &callback);
    (callback, api)
}

/// The stream reader: items into the table, discrepancies into the queue, events into the Firehose; fed by an
/// event source mapping on the stream ([`read_stream`]).
fn stream_reader(
    root: &mut Scope,
    inputs: &mut DataInputs,
    flow: &DataFlow,
    table_name: Value<String>,
    handler: Value<String>,
) -> Function {
    inputs.environment = [
        ("TABLE_NAME".to_owned(), table_name.clone()),
        ("DISCREPANCY_QUEUE".to_owned(), flow.discrepancies.url()),
        ("FIREHOSE_STREAM".to_owned(), flow.firehose.r#ref()),
    ]
    .into_iter()
    .collect();
    let reader = data_function(root, "DataUpdateStreamReader", inputs, handler);
    let stack = root.stack();
    let table_arn = fns::sub(
        "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}",
        [("Table", table_name.into_expr())],
    );
    for stmt in [
        PolicyStatement::allow(STREAM_READER_TABLE_ACTIONS, [table_arn]),
        PolicyStatement::allow(
            &["firehose:PutRecord", "firehose:PutRecordBatch"],
            [flow.firehose.attr_arn()],
        ),
        PolicyStatement::allow(STREAM_READ_ACTIONS, [flow.stream.attr_arn()]),
        PolicyStatement::allow(
            &["kinesis:ListStreams"],
            [fns::sub(
                "arn:${AWS::Partition}:kinesis:${AWS::Region}:${AWS::AccountId}:stream/*",
                Vec::<(String, proton_synth::constructs::Expr)>::new(),
            )],
        ),
    ] {
        reader.add_to_role_policy(stack, stmt);
    }
    let _ = flow.discrepancies.grant_send(stack, &mut reader.role().clone());
    let _ = flow.failures.grant_send(stack, &mut reader.role().clone());
    read_stream(stack, &reader, flow);
    reader
}

/// `reader`'s event source mapping on the stream: a failing batch is retried 3 times (halved), then sent
/// to the on-failure queue instead of blocking its shard.
fn read_stream(stack: &mut Stack, reader: &Function, flow: &DataFlow) {
    let mut mapping = cfn::lambda::EventSourceMapping::new(reader.name());
    mapping.event_source_arn = Some(flow.stream.attr_arn());
    mapping.starting_position = Some(Value::from("TRIM_HORIZON"));
    mapping.batch_size = Some(Value::from(16));
    mapping.enabled = Some(Value::from(true));
    mapping.bisect_batch_on_function_error = Some(Value::from(true));
    mapping.maximum_retry_attempts = Some(Value::from(3));
    let mut on_failure = cfn::lambda::event_source_mapping::OnFailure::new();
    on_failure.destination = Some(flow.failures.arn());
    let mut destination = cfn::lambda::event_source_mapping::DestinationConfig::new();
    destination.on_failure = Some(on_failure);
    mapping.destination_config = Some(destination);
    let mapping = stack.scope(reader.node_id()).add("UpdateEvent", mapping);
    if let Some(policy) = reader.role().default_policy(stack) {
        stack.add_dependency(&mapping, &policy);
    }
}

/// The item actions of the stream reader on the environment's table (SAM's `DynamoDBCrudPolicy` without
/// table management and scans).
pub const STREAM_READER_TABLE_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
];

/// What Lambda's event source mapping needs to read a Kinesis stream.
pub const STREAM_READ_ACTIONS: &[&str] = &[
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
];

/// The program's templates: the environment and its services.
pub fn app() -> App {
    let env = environment();
    let crud = crud_service(&env.interface());
    let data = data_processing_service(&env.interface());
    let mut app = App::new("lambda-multi-svc");
    app.add_environment(env);
    app.add_service(crud);
    app.add_service(data);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(proton_synth::cli::run_lazily(app));
}
