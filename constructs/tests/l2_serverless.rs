//! Lambda, HTTP API (ApiGatewayV2), DynamoDB and Cloud Map L2 constructs.
//!
//! `composed_serverless_for_checkers` writes plain templates to `target/l2-templates/serverless-*.json` for
//! cfn-lint and `scripts/security-check`.

use indexmap::IndexMap;
use proton_synth_constructs::apigateway::{Authorization, CorsConfig, HttpApi, HttpApiProps};
use proton_synth_constructs::assertions::{Match, Template};
use proton_synth_constructs::dynamodb::{AttributeType, Billing, Table, TableEncryption, TableProps};
use proton_synth_constructs::lambda::{Architecture, Code, DeadLetter, Function, FunctionProps, Runtime, VpcPlacement};
use proton_synth_constructs::servicediscovery::{
    DnsRecordType, PrivateDnsNamespace, PrivateDnsNamespaceProps, Service, ServiceProps,
};
use proton_synth_constructs::stack::Parameter;
use proton_synth_constructs::synth::{to_json_string, Mode};
use proton_synth_constructs::{kms, nag, Expr, Output, Placeholder, PlaceholderKind, Stack, Value};
use serde_json::{json, Value as J};

fn errors_of(stack: &Stack) -> Vec<String> {
    match stack.synth(Mode::Plain) {
        Ok(_) => Vec::new(),
        Err(d) => d.0.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect(),
    }
}

fn template(stack: &Stack) -> Template {
    Template::from_stack(stack).unwrap_or_else(|e| panic!("synthesis failed:\n{e}"))
}

fn write_template(name: &str, stack: &Stack) -> J {
    let synth = stack
        .synth(Mode::Plain)
        .unwrap_or_else(|e| panic!("synthesis failed:\n{e}"));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/l2-templates");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("serverless-{name}.json")),
        to_json_string(&synth.template),
    )
    .unwrap();
    synth.template
}

const HANDLER: &str = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n";

fn inline() -> FunctionProps {
    FunctionProps {
        code: Code::Inline(HANDLER.to_owned()),
        ..FunctionProps::default()
    }
}

fn statements(t: &Template) -> Vec<J> {
    t.find_resources("AWS::IAM::Policy")
        .iter()
        .flat_map(|(_, p)| {
            p["Properties"]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap()
                .clone()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Lambda

#[test]
fn function_defaults_arm64_tracing_own_log_group_and_inline_logs_permissions() {
    let mut stack = Stack::new("S");
    let f = Function::new(&mut stack.root(), "Fn", inline());
    let t = template(&stack);
    t.resource_count_is("AWS::Lambda::Function", 1).unwrap();
    t.resource_count_is("AWS::Logs::LogGroup", 1).unwrap();
    let props = &t.find_resources("AWS::Lambda::Function")[0].1["Properties"];
    assert_eq!(props["Runtime"], "python3.13");
    assert_eq!(props["Handler"], "index.handler");
    assert_eq!(props["Architectures"], json!(["arm64"]));
    assert_eq!(props["MemorySize"], 128);
    assert_eq!(props["Timeout"], 3);
    assert_eq!(props["TracingConfig"], json!({"Mode": "Active"}));
    assert_eq!(props["Code"], json!({"ZipFile": HANDLER}));
    assert!(props["LoggingConfig"]["LogGroup"]["Ref"]
        .as_str()
        .unwrap()
        .starts_with("FnLogs"));
    let lg = &t.find_resources("AWS::Logs::LogGroup")[0].1;
    assert_eq!(lg["Properties"]["RetentionInDays"], 365);
    // No managed policy; logs only on its own group, X-Ray on "*" (no resource-level permissions).
    t.has_resource_properties(
        "AWS::IAM::Role",
        Match::members([
            ("ManagedPolicyArns", Match::absent()),
            (
                "AssumeRolePolicyDocument",
                Match::object_like(json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                    "Principal": {"Service": "lambda.amazonaws.com"}}]})),
            ),
        ]),
    )
    .unwrap();
    let stmts = statements(&t);
    assert_eq!(stmts.len(), 2, "{stmts:#?}");
    assert_eq!(stmts[0]["Action"], json!(["logs:CreateLogStream", "logs:PutLogEvents"]));
    assert!(stmts[0]["Resource"]["Fn::GetAtt"][0]
        .as_str()
        .unwrap()
        .starts_with("FnLogs"));
    assert_eq!(
        stmts[1],
        json!({"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"})
    );
    // Suppressions with reasons for what a default function does not set.
    let entry = stack.resource(&f.handle()).unwrap();
    assert_eq!(
        nag::suppressed_ids(entry, nag::Tool::Checkov),
        ["CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117"]
    );
    assert_eq!(nag::suppressed_ids(entry, nag::Tool::Guard), ["CT.LAMBDA.PR.3"]);
}

#[test]
fn function_options_key_dlq_vpc_concurrency_and_image() {
    let mut stack = Stack::new("S");
    let key = kms::Key::new(&mut stack.root(), "Key", kms::KeyProps::default());
    let mut env = IndexMap::new();
    env.insert("TABLE".to_owned(), Value::from("t"));
    let f = Function::new(
        &mut stack.root(),
        "Fn",
        FunctionProps {
            runtime: Runtime::Nodejs22.into(),
            architecture: Architecture::X86_64,
            memory_size: 1024.into(),
            timeout_seconds: 30.into(),
            environment: env,
            environment_key: Some(key),
            reserved_concurrency: Some(10.into()),
            dead_letter: Some(DeadLetter::Sqs(Value::from("arn:aws:sqs:eu-west-1:123456789012:dlq"))),
            vpc: Some(VpcPlacement {
                subnet_ids: vec![Value::from("subnet-1")],
                security_group_ids: vec![Value::from("sg-1")],
            }),
            ..inline()
        },
    );
    let entry = stack.resource(&f.handle()).unwrap();
    assert!(nag::suppressed_ids(entry, nag::Tool::Checkov).is_empty());
    assert!(nag::suppressed_ids(entry, nag::Tool::Guard).is_empty());
    let t = template(&stack);
    t.has_resource_properties(
        "AWS::Lambda::Function",
        Match::object_like(json!({
            "Runtime": "nodejs22.x", "Architectures": ["x86_64"], "MemorySize": 1024, "Timeout": 30,
            "ReservedConcurrentExecutions": 10,
            "Environment": {"Variables": {"TABLE": "t"}},
            "DeadLetterConfig": {"TargetArn": "arn:aws:sqs:eu-west-1:123456789012:dlq"},
            "VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}
        })),
    )
    .unwrap();
    let stmts = statements(&t);
    let has = |action: &str| {
        stmts.iter().any(|s| match &s["Action"] {
            J::String(a) => a == action,
            J::Array(l) => l.contains(&json!(action)),
            _ => false,
        })
    };
    for a in [
        "sqs:SendMessage",
        "kms:Decrypt",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
    ] {
        assert!(has(a), "{a} missing in {stmts:#?}");
    }
    for s in &stmts {
        if s["Resource"] == json!("*") {
            let acts = s["Action"].to_string();
            assert!(
                acts.contains("xray:") || acts.contains("ec2:DescribeNetworkInterfaces"),
                "{s}"
            );
        }
    }

    let mut stack = Stack::new("S");
    Function::new(
        &mut stack.root(),
        "Img",
        FunctionProps {
            code: Code::ImageUri(Value::from("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1")),
            ..FunctionProps::default()
        },
    );
    let t = template(&stack);
    t.has_resource_properties(
        "AWS::Lambda::Function",
        Match::members([
            ("PackageType", Match::exact(json!("Image"))),
            ("Runtime", Match::absent()),
            ("Handler", Match::absent()),
        ]),
    )
    .unwrap();
}

#[test]
fn function_memory_out_of_range() {
    let mut stack = Stack::new("S");
    Function::new(
        &mut stack.root(),
        "Fn",
        FunctionProps {
            memory_size: 64.into(),
            ..inline()
        },
    );
    assert_eq!(
        errors_of(&stack),
        ["error: S/Fn: memory_size 64 MB is outside 128–10240"]
    );
}

#[test]
fn function_timeout_out_of_range() {
    let mut stack = Stack::new("S");
    Function::new(
        &mut stack.root(),
        "Fn",
        FunctionProps {
            timeout_seconds: 901.into(),
            ..inline()
        },
    );
    assert_eq!(errors_of(&stack), ["error: S/Fn: timeout 901 s is outside 1–900"]);
}

/// An AWS Proton instance input: `{{ service_instance.inputs.<name> }}` in bundles, a `Ref` to the parameter
/// `param` (declared here) in plain templates.
fn proton_input<T>(stack: &mut Stack, name: &str, param: &str, kind: PlaceholderKind) -> Value<T> {
    match kind {
        PlaceholderKind::Number => {
            stack.root().add_parameter(param, Parameter::number());
        }
        _ => {
            stack.root().add_parameter(param, Parameter::string());
        }
    }
    Value::placeholder(Placeholder {
        jinja: format!("service_instance.inputs.{name}"),
        kind,
        plain: Expr::RefName(param.to_owned()),
    })
}

#[test]
fn function_with_placeholder_runtime_memory_timeout_concurrency_and_log_level() {
    let mut stack = Stack::new("S");
    let runtime = proton_input(&mut stack, "runtime", "Runtime", PlaceholderKind::String);
    let memory = proton_input(&mut stack, "memory_size", "MemorySize", PlaceholderKind::Number);
    let timeout = proton_input(&mut stack, "timeout", "Timeout", PlaceholderKind::Number);
    let concurrency = proton_input(
        &mut stack,
        "reserved_concurrency",
        "Concurrency",
        PlaceholderKind::Number,
    );
    let level = proton_input(&mut stack, "log_level", "LogLevel", PlaceholderKind::String);
    let f = Function::new(
        &mut stack.root(),
        "Fn",
        FunctionProps {
            runtime,
            memory_size: memory,
            timeout_seconds: timeout,
            reserved_concurrency: Some(concurrency),
            application_log_level: Some(level),
            ..inline()
        },
    );
    // Placeholders are not validated here (AWS Proton checks the spec against the schema), and the inline
    // code's runtime check waits for a literal runtime.
    assert_eq!(errors_of(&stack), Vec::<String>::new());
    // Reserved concurrency is set, so CKV_AWS_115 is not suppressed.
    let entry = stack.resource(&f.handle()).unwrap();
    assert!(!nag::suppressed_ids(entry, nag::Tool::Checkov).contains(&"CKV_AWS_115".to_owned()));
    let t = template(&stack);
    t.has_resource_properties(
        "AWS::Lambda::Function",
        Match::object_like(json!({
            "Runtime": {"Ref": "Runtime"},
            "MemorySize": {"Ref": "MemorySize"},
            "Timeout": {"Ref": "Timeout"},
            "ReservedConcurrentExecutions": {"Ref": "Concurrency"},
            "LoggingConfig": {"LogFormat": "JSON", "ApplicationLogLevel": {"Ref": "LogLevel"}}
        })),
    )
    .unwrap();
    // In a bundle, numbers are written bare and strings as JSON strings.
    let bundle = stack.synth(Mode::Bundle).unwrap().template;
    let (_, func) = bundle["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, r)| r["Type"] == "AWS::Lambda::Function")
        .unwrap();
    let p = &func["Properties"];
    assert_eq!(
        p["MemorySize"],
        json!({"::jinja": "{{ service_instance.inputs.memory_size }}"})
    );
    assert_eq!(
        p["Timeout"],
        json!({"::jinja": "{{ service_instance.inputs.timeout }}"})
    );
    assert_eq!(
        p["ReservedConcurrentExecutions"],
        json!({"::jinja": "{{ service_instance.inputs.reserved_concurrency }}"})
    );
    assert_eq!(
        p["Runtime"],
        json!({"::jinja": "{{ service_instance.inputs.runtime | tojson }}"})
    );
}

#[test]
fn placeholder_values_skip_range_checks_and_literals_keep_them() {
    // A placeholder is written as it is, even when its plain spelling is an out-of-range literal: only the
    // rendered value counts, and AWS Proton validates it against the schema.
    let mut stack = Stack::new("S");
    let memory: Value<i64> = Value::placeholder(Placeholder {
        jinja: "service_instance.inputs.memory_size".into(),
        kind: PlaceholderKind::Number,
        plain: Expr::Int(64),
    });
    let timeout: Value<i64> = Value::placeholder(Placeholder {
        jinja: "service_instance.inputs.timeout".into(),
        kind: PlaceholderKind::Number,
        plain: Expr::Int(0),
    });
    Function::new(
        &mut stack.root(),
        "Fn",
        FunctionProps {
            memory_size: memory,
            timeout_seconds: timeout,
            ..inline()
        },
    );
    assert_eq!(errors_of(&stack), Vec::<String>::new());
    template(&stack)
        .has_resource_properties(
            "AWS::Lambda::Function",
            Match::object_like(json!({"MemorySize": 64, "Timeout": 0})),
        )
        .unwrap();

    // Literal values (also given as `Value`s) keep every check, with the same messages.
    let mut stack = Stack::new("S");
    Function::new(
        &mut stack.root(),
        "Fn",
        FunctionProps {
            runtime: Value::from("java21"),
            memory_size: Value::from(20000),
            timeout_seconds: Value::from(0),
            reserved_concurrency: Some(Value::from(-1)),
            application_log_level: Some(Value::from("VERBOSE")),
            ..inline()
        },
    );
    assert_eq!(
        errors_of(&stack),
        [
            "error: S/Fn: memory_size 20000 MB is outside 128–10240",
            "error: S/Fn: timeout 0 s is outside 1–900",
            "error: S/Fn: reserved_concurrency -1 is negative",
            "error: S/Fn: application_log_level \"VERBOSE\" is not one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL",
            "error: S/Fn: inline code needs a Python or Node.js runtime, not java21",
        ]
    );

    // A literal zero concurrency is a warning, not an error; a literal log level turns on JSON logs.
    let mut stack = Stack::new("S");
    Function::new(
        &mut stack.root(),
        "Fn",
        FunctionProps {
            reserved_concurrency: Some(0.into()),
            application_log_level: Some("WARN".into()),
            ..inline()
        },
    );
    let synth = stack.synth(Mode::Plain).unwrap();
    let warnings: Vec<String> = synth.warnings.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        warnings,
        ["warning: S/Fn: reserved_concurrency 0 stops every invocation of the function"]
    );
    Template::from_json(synth.template)
        .has_resource_properties(
            "AWS::Lambda::Function",
            Match::object_like(json!({
                "ReservedConcurrentExecutions": 0,
                "LoggingConfig": {"LogFormat": "JSON", "ApplicationLogLevel": "WARN"}
            })),
        )
        .unwrap();
}

#[test]
fn function_inline_code_and_env_rules() {
    let mut stack = Stack::new("S");
    let mut env = IndexMap::new();
    env.insert("AWS_REGION".to_owned(), Value::from("x"));
    env.insert("1X".to_owned(), Value::from("x"));
    Function::new(
        &mut stack.root(),
        "Fn",
        FunctionProps {
            runtime: Runtime::Java21.into(),
            code: Code::Inline("x".repeat(5000)),
            environment: env,
            ..FunctionProps::default()
        },
    );
    assert_eq!(
        errors_of(&stack),
        [
            "error: S/Fn: environment variable \"AWS_REGION\" is reserved by Lambda",
            "error: S/Fn: environment variable \"1X\" is not a valid name (a letter, then letters, digits and _)",
            "error: S/Fn: inline code needs a Python or Node.js runtime, not java21",
            "error: S/Fn: inline code is 5000 characters; CloudFormation accepts at most 4096 (use Code::S3)",
        ]
    );
}

#[test]
fn grant_invoke_is_scoped_to_source_arn_and_account() {
    let mut stack = Stack::new("S");
    let f = Function::new(&mut stack.root(), "Fn", inline());
    f.grant_invoke(
        &mut stack,
        "FromRule",
        "events.amazonaws.com",
        Value::from("arn:aws:events:eu-west-1:123456789012:rule/r"),
    );
    f.grant_invoke(&mut stack, "Bad", "example.com", Value::from("arn:aws:x:::y"));
    assert_eq!(
        errors_of(&stack),
        ["error: S/Fn: grant_invoke: \"example.com\" is not an AWS service principal (*.amazonaws.com)"]
    );
    let mut stack = Stack::new("S");
    let f = Function::new(&mut stack.root(), "Fn", inline());
    f.grant_invoke(
        &mut stack,
        "FromRule",
        "events.amazonaws.com",
        Value::from("arn:aws:events:eu-west-1:123456789012:rule/r"),
    );
    template(&stack)
        .has_resource_properties(
            "AWS::Lambda::Permission",
            Match::object_like(json!({"Action": "lambda:InvokeFunction", "Principal": "events.amazonaws.com",
                "SourceArn": "arn:aws:events:eu-west-1:123456789012:rule/r", "SourceAccount": {"Ref": "AWS::AccountId"}})),
        )
        .unwrap();
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP API

#[test]
fn http_api_stage_logs_and_lambda_routes() {
    let mut stack = Stack::new("S");
    let f = Function::new(&mut stack.root(), "Fn", inline());
    let api = HttpApi::new(
        &mut stack.root(),
        "Api",
        HttpApiProps {
            cors: Some(CorsConfig {
                allow_origins: vec!["https://example.com".to_owned()],
                allow_methods: vec!["GET".to_owned()],
                ..CorsConfig::default()
            }),
            ..HttpApiProps::default()
        },
    );
    api.add_lambda_route(&mut stack, "GET /items", &f);
    api.add_lambda_route(&mut stack, "GET /items/{id}", &f);
    let t = template(&stack);
    t.resource_count_is("AWS::ApiGatewayV2::Api", 1).unwrap();
    t.resource_count_is("AWS::ApiGatewayV2::Integration", 1).unwrap();
    t.resource_count_is("AWS::ApiGatewayV2::Route", 2).unwrap();
    t.resource_count_is("AWS::Lambda::Permission", 2).unwrap();
    t.has_resource_properties(
        "AWS::ApiGatewayV2::Api",
        Match::object_like(json!({"ProtocolType": "HTTP",
            "CorsConfiguration": {"AllowOrigins": ["https://example.com"], "AllowMethods": ["GET"]}})),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ApiGatewayV2::Integration",
        Match::object_like(json!({"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0"})),
    )
    .unwrap();
    t.all_resources_properties(
        "AWS::ApiGatewayV2::Route",
        Match::object_like(json!({"AuthorizationType": "AWS_IAM"})),
    )
    .unwrap();
    let stage = &t.find_resources("AWS::ApiGatewayV2::Stage")[0].1["Properties"];
    assert_eq!(stage["StageName"], "$default");
    assert_eq!(stage["AutoDeploy"], true);
    assert!(stage["AccessLogSettings"]["Format"]
        .as_str()
        .unwrap()
        .contains("$context.requestId"));
    assert_eq!(stage["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][1], "Arn");
    assert!(stage["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
        .as_str()
        .unwrap()
        .starts_with("ApiAccessLogs"));
    assert_eq!(stage["DefaultRouteSettings"]["ThrottlingBurstLimit"], 100);
    // Each permission is scoped to its route: path parameters become "*".
    let perms = t.find_resources("AWS::Lambda::Permission");
    let tails: Vec<J> = perms
        .iter()
        .map(|(_, p)| {
            p["Properties"]["SourceArn"]["Fn::Join"][1]
                .as_array()
                .unwrap()
                .last()
                .unwrap()
                .clone()
        })
        .collect();
    assert_eq!(tails, [json!("/*/GET/items"), json!("/*/GET/items/*")]);
    let route = t.find_resources("AWS::ApiGatewayV2::Route")[0].1;
    // An IAM caller of one route.
    let mut stack2 = Stack::new("S");
    let f2 = Function::new(&mut stack2.root(), "Fn", inline());
    let api2 = HttpApi::new(&mut stack2.root(), "Api", HttpApiProps::default());
    api2.add_lambda_route(&mut stack2, "ANY /admin/{proxy+}", &f2);
    let caller = Function::new(&mut stack2.root(), "Caller", inline());
    let grant = api2.grant_invoke_route(&mut stack2, &mut caller.role().clone(), "ANY /admin/{proxy+}");
    assert!(grant.success());
    assert_eq!(grant.actions(), ["execute-api:Invoke"]);
    let t2 = template(&stack2);
    let invoke = statements(&t2)
        .into_iter()
        .find(|s| s["Action"] == "execute-api:Invoke")
        .unwrap();
    assert_eq!(
        invoke["Resource"]["Fn::Join"][1].as_array().unwrap().last().unwrap(),
        "/*/*/admin/*"
    );
    assert_eq!(route["Properties"]["RouteKey"], "GET /items");
    assert_eq!(route["Properties"]["Target"]["Fn::Join"][1][0], "integrations");
}

#[test]
fn duplicate_route_keys_are_rejected() {
    let mut stack = Stack::new("S");
    let f = Function::new(&mut stack.root(), "Fn", inline());
    let api = HttpApi::new(&mut stack.root(), "Api", HttpApiProps::default());
    api.add_lambda_route(&mut stack, "GET /items", &f);
    api.add_lambda_route(&mut stack, "GET /items", &f);
    let errors = errors_of(&stack);
    assert_eq!(errors[0], "error: S/Api: duplicate route key \"GET /items\"");
}

/// A route whose path is known only at deployment (a parameter here, an AWS Proton input in a template):
/// the key joins the method and the segments; the invoke permission has `*` for `{id}`.
#[test]
fn routes_with_late_bound_segments() {
    let mut stack = Stack::new("S");
    let resource = stack.root().add_parameter("Resource", Parameter::string()).r#ref();
    let f = Function::new(&mut stack.root(), "Fn", inline());
    let api = HttpApi::new(&mut stack.root(), "Api", HttpApiProps::default());
    api.add_lambda_route_segments(&mut stack, "Get", "GET", vec![resource, Value::from("{id}")], &f);
    let t = template(&stack);
    let (_, route) = t.find_resources("AWS::ApiGatewayV2::Route")[0];
    assert_eq!(
        route["Properties"]["RouteKey"],
        json!({"Fn::Join": ["", ["GET /", {"Fn::Join": ["/", [{"Ref": "Resource"}, "{id}"]]}]]})
    );
    let (_, perm) = t.find_resources("AWS::Lambda::Permission")[0];
    let arn = &perm["Properties"]["SourceArn"]["Fn::Join"][1];
    let suffix = &arn.as_array().unwrap().last().unwrap()["Fn::Join"][1];
    assert_eq!(suffix[0], "/*/GET/");
    assert_eq!(suffix[1], json!({"Fn::Join": ["/", [{"Ref": "Resource"}, "*"]]}));

    let mut stack = Stack::new("S");
    let f = Function::new(&mut stack.root(), "Fn", inline());
    let api = HttpApi::new(&mut stack.root(), "Api", HttpApiProps::default());
    api.add_lambda_route_segments(&mut stack, "Fetch", "FETCH", vec![Value::from("items")], &f);
    let errors = errors_of(&stack);
    assert!(errors[0].contains("route Fetch: method \"FETCH\""), "{errors:?}");
}

#[test]
fn malformed_route_keys_are_rejected() {
    let mut stack = Stack::new("S");
    let f = Function::new(&mut stack.root(), "Fn", inline());
    let api = HttpApi::new(&mut stack.root(), "Api", HttpApiProps::default());
    api.add_lambda_route(&mut stack, "FETCH /items", &f);
    assert_eq!(
        errors_of(&stack),
        ["error: S/Api: route key \"FETCH /items\" must be \"$default\" or \"<METHOD> /<path>\" with METHOD one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY"]
    );
}

#[test]
fn public_routes_need_a_reason_and_carry_it_as_suppression() {
    let mut stack = Stack::new("S");
    HttpApi::new(
        &mut stack.root(),
        "Api",
        HttpApiProps {
            default_authorization: Authorization::None { reason: " ".to_owned() },
            ..HttpApiProps::default()
        },
    );
    assert_eq!(
        errors_of(&stack),
        ["error: S/Api: Authorization::None needs a reason (why the routes are public)"]
    );
    let mut stack = Stack::new("S");
    let f = Function::new(&mut stack.root(), "Fn", inline());
    let api = HttpApi::new(
        &mut stack.root(),
        "Api",
        HttpApiProps {
            default_authorization: Authorization::None {
                reason: "public health endpoint".to_owned(),
            },
            ..HttpApiProps::default()
        },
    );
    let r = api.add_lambda_route(&mut stack, "$default", &f);
    let entry = stack.resource(&r).unwrap();
    assert_eq!(nag::suppressed_ids(entry, nag::Tool::Guard), ["CT.APIGATEWAY.PR.5"]);
    assert_eq!(nag::suppressed_ids(entry, nag::Tool::Checkov), ["CKV_AWS_309"]);
    let t = template(&stack);
    let perm = &t.find_resources("AWS::Lambda::Permission")[0].1["Properties"]["SourceArn"]["Fn::Join"][1];
    assert_eq!(perm.as_array().unwrap().last().unwrap(), "/*/$default");
}

// ---------------------------------------------------------------------------------------------------------------
// DynamoDB

#[test]
fn table_global_secondary_index_declares_its_keys_once() {
    let mut stack = Stack::new("S");
    let table = Table::new(
        &mut stack.root(),
        "App",
        TableProps {
            partition_key: ("hk".to_owned(), AttributeType::String),
            sort_key: Some(("rk".to_owned(), AttributeType::String)),
            ..TableProps::default()
        },
    );
    table.add_global_secondary_index(
        &mut stack,
        "reverse",
        ("rk", AttributeType::String),
        Some(("hk", AttributeType::String)),
    );
    table.add_global_secondary_index(&mut stack, "by-kind", ("kind", AttributeType::String), None);
    let t = template(&stack);
    let (_, r) = t.find_resources("AWS::DynamoDB::Table")[0];
    let p = &r["Properties"];
    assert_eq!(p["AttributeDefinitions"].as_array().unwrap().len(), 3, "{p}");
    assert_eq!(
        p["GlobalSecondaryIndexes"][0],
        json!({"IndexName": "reverse", "KeySchema": [{"AttributeName": "rk", "KeyType": "HASH"}, {"AttributeName": "hk", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}})
    );
    assert_eq!(p["GlobalSecondaryIndexes"][1]["KeySchema"].as_array().unwrap().len(), 1);

    table.add_global_secondary_index(&mut stack, "bad", ("", AttributeType::String), None);
    table.add_global_secondary_index(&mut stack, "x!", ("kind", AttributeType::String), None);
    let errors = errors_of(&stack);
    assert!(
        errors.iter().any(|e| e.contains("index bad: attribute name")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("index name \"x!\"")), "{errors:?}");
}

#[test]
fn table_defaults_and_exact_grants() {
    let mut stack = Stack::new("S");
    let table = Table::new(
        &mut stack.root(),
        "Items",
        TableProps {
            partition_key: ("id".to_owned(), AttributeType::String),
            sort_key: Some(("created".to_owned(), AttributeType::Number)),
            ttl_attribute: Some("expires".into()),
            ..TableProps::default()
        },
    );
    let reader = Function::new(&mut stack.root(), "Reader", inline());
    let writer = Function::new(&mut stack.root(), "Writer", inline());
    assert!(table.grant_read_data(&mut stack, &mut reader.role().clone()).success());
    assert!(table
        .grant_read_write_data(&mut stack, &mut writer.role().clone())
        .success());
    let t = template(&stack);
    t.has_resource(
        "AWS::DynamoDB::Table",
        Match::object_like(json!({
            "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "created", "KeyType": "RANGE"}],
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "created", "AttributeType": "N"}],
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true},
                "SSESpecification": {"SSEEnabled": true, "SSEType": "KMS"},
                "DeletionProtectionEnabled": true,
                "TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": true}
            }
        })),
    )
    .unwrap();
    let policy_of = |prefix: &str| -> Vec<J> {
        t.find_resources("AWS::IAM::Policy")
            .into_iter()
            .find(|(id, _)| id.starts_with(prefix))
            .unwrap()
            .1["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap()
            .clone()
    };
    let reader_stmts = policy_of("ReaderRole");
    let dynamo: Vec<&J> = reader_stmts
        .iter()
        .filter(|s| s["Action"].to_string().contains("dynamodb:"))
        .collect();
    assert_eq!(dynamo.len(), 1);
    assert_eq!(
        dynamo[0]["Action"],
        json!([
            "dynamodb:BatchGetItem",
            "dynamodb:ConditionCheckItem",
            "dynamodb:DescribeTable",
            "dynamodb:GetItem",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:Query",
            "dynamodb:Scan"
        ])
    );
    let res = dynamo[0]["Resource"].as_array().unwrap();
    assert_eq!(res[0]["Fn::GetAtt"][1], "Arn");
    assert_eq!(res[1]["Fn::Join"][1][1], "/index/*");
    let writer_stmts = policy_of("WriterRole");
    let text = J::Array(writer_stmts).to_string();
    for a in [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:Query",
    ] {
        assert!(text.contains(a), "{a}");
    }
    assert!(!text.contains("dynamodb:*"));
}

#[test]
fn table_with_customer_key_grants_key_use_and_provisioned_checks() {
    let mut stack = Stack::new("S");
    let key = kms::Key::new(&mut stack.root(), "Key", kms::KeyProps::default());
    let table = Table::new(
        &mut stack.root(),
        "T",
        TableProps {
            encryption: TableEncryption::CustomerManaged(key),
            billing: Billing::Provisioned { read: 5, write: 5 },
            ..TableProps::default()
        },
    );
    let f = Function::new(&mut stack.root(), "Fn", inline());
    assert!(table.grant_read_data(&mut stack, &mut f.role().clone()).success());
    let entry = stack.resource(&table.handle()).unwrap();
    assert!(nag::suppressed_ids(entry, nag::Tool::Checkov).is_empty());
    let t = template(&stack);
    t.has_resource_properties(
        "AWS::DynamoDB::Table",
        Match::object_like(json!({"BillingMode": "PROVISIONED",
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            "SSESpecification": {"SSEEnabled": true, "SSEType": "KMS"}})),
    )
    .unwrap();
    assert!(statements(&t)
        .iter()
        .any(|s| s["Action"] == json!(["kms:Decrypt", "kms:DescribeKey"])));

    let mut stack = Stack::new("S");
    Table::new(
        &mut stack.root(),
        "T",
        TableProps {
            partition_key: ("id".to_owned(), AttributeType::String),
            sort_key: Some(("id".to_owned(), AttributeType::String)),
            billing: Billing::Provisioned { read: 0, write: 1 },
            ..TableProps::default()
        },
    );
    assert_eq!(
        errors_of(&stack),
        [
            "error: S/T: the sort key \"id\" has the same name as the partition key",
            "error: S/T: provisioned read and write capacity must be at least 1",
        ]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Cloud Map

#[test]
fn namespace_and_service_for_ecs_registration() {
    let mut stack = Stack::new("S");
    let ns = PrivateDnsNamespace::new(
        &mut stack.root(),
        "Ns",
        PrivateDnsNamespaceProps {
            name: Value::from("svc.internal"),
            vpc_id: Value::from("vpc-1"),
            description: None,
        },
    );
    let svc = Service::new(&mut stack.root(), "Orders", ServiceProps::new("orders", &ns));
    assert_eq!(svc.dns_name().as_literal(), Some("orders.svc.internal"));
    assert_eq!(svc.record_type(), DnsRecordType::A);
    let t = template(&stack);
    t.has_resource_properties(
        "AWS::ServiceDiscovery::PrivateDnsNamespace",
        Match::object_like(json!({"Name": "svc.internal", "Vpc": "vpc-1"})),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ServiceDiscovery::Service",
        Match::object_like(json!({"Name": "orders",
            "DnsConfig": {"DnsRecords": [{"TTL": 60, "Type": "A"}], "RoutingPolicy": "MULTIVALUE"},
            "HealthCheckCustomConfig": {}})),
    )
    .unwrap();
    let ns_id = &t.find_resources("AWS::ServiceDiscovery::Service")[0].1["Properties"]["NamespaceId"];
    assert_eq!(ns_id["Fn::GetAtt"][1], "Id");
    assert_eq!(svc.arn().expr(), svc.handle().attr_arn().expr());
}

#[test]
fn service_discovery_names_are_validated() {
    let mut stack = Stack::new("S");
    let ns = PrivateDnsNamespace::new(
        &mut stack.root(),
        "Ns",
        PrivateDnsNamespaceProps {
            name: Value::from("bad_domain..x"),
            vpc_id: Value::from("vpc-1"),
            description: None,
        },
    );
    Service::new(&mut stack.root(), "Svc", ServiceProps::new("-orders", &ns));
    assert_eq!(
        errors_of(&stack),
        [
            "error: S/Ns: namespace name \"bad_domain..x\" is not a DNS domain name (dot-separated labels of letters, digits and hyphens)",
            "error: S/Svc: service name \"-orders\" must be a DNS label (1–63 letters, digits and hyphens, not starting or ending with a hyphen)",
        ]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Composed: function + HTTP API + table + grants (+ Cloud Map)

#[test]
fn composed_serverless_for_checkers() {
    let mut stack = Stack::new("Serverless");
    stack.set_description("Items API: HTTP API → Lambda → DynamoDB");
    let table = Table::new(
        &mut stack.root(),
        "Items",
        TableProps {
            partition_key: ("id".to_owned(), AttributeType::String),
            ..TableProps::default()
        },
    );
    let mut env = IndexMap::new();
    env.insert("TABLE_NAME".to_owned(), table.name());
    let key = kms::Key::new(
        &mut stack.root(),
        "EnvKey",
        kms::KeyProps {
            description: Some("Lambda environment variables".to_owned()),
            ..kms::KeyProps::default()
        },
    );
    let list = Function::new(
        &mut stack.root(),
        "ListItems",
        FunctionProps {
            environment: env.clone(),
            environment_key: Some(key.clone()),
            reserved_concurrency: Some(20.into()),
            ..inline()
        },
    );
    let put = Function::new(
        &mut stack.root(),
        "PutItem",
        FunctionProps {
            environment: env,
            runtime: Runtime::Python312.into(),
            ..inline()
        },
    );
    assert!(table.grant_read_data(&mut stack, &mut list.role().clone()).success());
    assert!(table
        .grant_read_write_data(&mut stack, &mut put.role().clone())
        .success());
    let api = HttpApi::new(
        &mut stack.root(),
        "Api",
        HttpApiProps {
            cors: Some(CorsConfig {
                allow_origins: vec!["https://example.com".to_owned()],
                allow_methods: vec!["GET".to_owned(), "POST".to_owned()],
                allow_headers: vec!["content-type".to_owned()],
                max_age_seconds: Some(300),
                ..CorsConfig::default()
            }),
            ..HttpApiProps::default()
        },
    );
    api.add_lambda_route(&mut stack, "GET /items", &list);
    api.add_lambda_route(&mut stack, "GET /items/{id}", &list);
    api.add_lambda_route(&mut stack, "POST /items", &put);
    let url = api.url();
    stack.root().add_output("ApiUrl", Output::new(url));
    let vpc = stack
        .root()
        .add_parameter("VpcId", Parameter::<String>::aws_type("AWS::EC2::VPC::Id"));
    let ns = PrivateDnsNamespace::new(
        &mut stack.root(),
        "Namespace",
        PrivateDnsNamespaceProps {
            name: Value::from("items.internal"),
            vpc_id: vpc.r#ref(),
            description: Some("Service discovery for the items services".to_owned()),
        },
    );
    let svc = Service::new(&mut stack.root(), "Discovery", ServiceProps::new("items", &ns));
    stack.root().add_output("RegistryArn", Output::new(svc.arn()));

    let plain = write_template("api", &stack);
    let t = Template::from_json(plain);
    t.resource_count_is("AWS::Lambda::Function", 2).unwrap();
    t.resource_count_is("AWS::ApiGatewayV2::Integration", 2).unwrap();
    t.resource_count_is("AWS::ApiGatewayV2::Route", 3).unwrap();
    t.resource_count_is("AWS::Lambda::Permission", 3).unwrap();
    t.resource_count_is("AWS::DynamoDB::Table", 1).unwrap();
    t.resource_count_is("AWS::ServiceDiscovery::Service", 1).unwrap();
    for s in statements(&t) {
        let acts = s["Action"].to_string();
        assert!(!acts.contains(":*\"") && acts != "\"*\"", "{s}");
    }
    let out = &t.json()["Outputs"]["ApiUrl"]["Value"]["Fn::Join"][1];
    assert_eq!(out[0]["Fn::GetAtt"][1], "ApiEndpoint");
}
