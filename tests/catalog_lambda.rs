//! The catalog's Lambda family (issue #12): `examples/apigw_lambda_svc.rs`, `examples/scheduled_lambda_svc.rs`
//! and `examples/worker_lambda_svc.rs` (each with `vpc-env`) against AWS's CloudFormation catalog samples
//! vendored in `tests/fixtures/aws-samples/aws-catalog/`, through the parity harness of `catalog_harness/`:
//! schema parity (with the declared replacements), the environment outputs the samples read, the resource
//! inventory, renders with 1 and 20 instances and the samples' own specs (written to
//! `target/examples-rendered/` for cfn-lint and the security gate), snapshots and determinism.

mod catalog_harness;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use catalog_harness::*;
use proton_synth::app::{App, SynthOptions, Synthesis};
use serde_json::Value as J;

#[path = "../examples/apigw_lambda_svc.rs"]
mod apigw_lambda_svc;
// Each example is a standalone program including its own copy of apigw_lambda_svc (and vpc_env); the copies
// are separate modules here, which is harmless.
#[allow(clippy::duplicate_mod)]
#[path = "../examples/lambda_multi_svc.rs"]
mod lambda_multi_svc;
#[allow(clippy::duplicate_mod)]
#[path = "../examples/scheduled_lambda_svc.rs"]
mod scheduled_lambda_svc;
#[allow(clippy::duplicate_mod)]
#[path = "../examples/worker_lambda_svc.rs"]
mod worker_lambda_svc;

use apigw_lambda_svc::vpc_env;

/// One example program against the samples it ports: (our template name, sample folder, replaced
/// properties).
struct Pair {
    example: &'static str,
    app: fn() -> App,
    templates: &'static [(&'static str, &'static str, &'static [Deviation])],
    /// The one warning an example may have: its plain instance template is over CloudFormation's inline
    /// body limit (51,200 bytes), so it is deployed through an S3 bucket.
    large_plain_template: bool,
}

const ENV: (&str, &str, &[Deviation]) = ("vpc-env", "environment-templates/vpc-env", &[]);

/// The runtime enum every catalog Lambda sample has.
const RUNTIME: &[Deviation] = &[Deviation {
    input_type: "service_input_type",
    property: "lambda_runtime",
    reason: "the sample's runtimes (nodejs12.x, python3.8, ruby2.7, java11, go1.x, dotnetcore3.1) are deprecated and \
             most can no longer be created (cfn-lint E2531): their current successors instead, default nodejs22.x",
}];

fn pairs() -> Vec<Pair> {
    vec![
        Pair {
            example: "apigw_lambda_svc",
            app: apigw_lambda_svc::app,
            templates: &[ENV, ("apigw-lambda-svc", "service-templates/apigw-lambda-svc", RUNTIME)],
            large_plain_template: false,
        },
        Pair {
            example: "scheduled_lambda_svc",
            app: scheduled_lambda_svc::app,
            templates: &[
                ENV,
                (
                    "scheduled-lambda-svc",
                    "service-templates/scheduled-lambda-svc",
                    RUNTIME,
                ),
            ],
            large_plain_template: false,
        },
        Pair {
            example: "worker_lambda_svc",
            app: worker_lambda_svc::app,
            templates: &[
                ENV,
                ("worker-lambda-svc", "service-templates/worker-lambda-svc", RUNTIME),
            ],
            large_plain_template: false,
        },
        Pair {
            example: "lambda_multi_svc",
            app: lambda_multi_svc::app,
            templates: &[
                ("lambda-env", "lambda-multi-svc/lambda-env", &[]),
                ("service-crud", "lambda-multi-svc/service-crud", RUNTIME),
                (
                    "service-data-processing",
                    "lambda-multi-svc/service-data-processing",
                    RUNTIME,
                ),
            ],
            large_plain_template: true,
        },
    ]
}

/// Resource types of the samples our ports deliberately do not use, with the reason.
const REPLACED_TYPES: &[(&str, &str)] = &[
    (
        "AWS::Serverless::Function",
        "the SAM transform is not used: the typed constructs write what it expanded to (AWS::Lambda::Function, \
         its role and permissions, event source mappings and rules)",
    ),
    (
        "AWS::Serverless::HttpApi",
        "the SAM transform is not used: AWS::ApiGatewayV2::Api with its stage, integrations and routes instead",
    ),
];

/// Synthesize a pair's example; its only allowed warning is the large plain template it declares.
fn synth_pair(pair: &Pair) -> Synthesis {
    let s = (pair.app)()
        .synth(&SynthOptions::default())
        .unwrap_or_else(|e| panic!("{} failed to synthesize:\n{e}", pair.example));
    let warnings: Vec<String> = s.warnings.iter().map(ToString::to_string).collect();
    assert!(
        warnings
            .iter()
            .all(|w| pair.large_plain_template && w.contains("over 51200")),
        "{} has warnings: {warnings:#?}",
        pair.example
    );
    assert_eq!(
        !warnings.is_empty(),
        pair.large_plain_template,
        "{}: {warnings:#?}",
        pair.example
    );
    s
}

/// Every pair rendered once per test run (rendering is the slow part; the tests share it): the generated
/// specs (1 and 20 instances) and the samples' own specs where they have one, written to
/// `target/examples-rendered/<example>/`.
fn rendered(example: &str) -> &'static [(String, J)] {
    /// (example, its rendered templates: path below its folder, parsed).
    type Rendered = Vec<(&'static str, Vec<(String, J)>)>;
    static RENDERED: OnceLock<Rendered> = OnceLock::new();
    let all = RENDERED.get_or_init(|| {
        pairs()
            .iter()
            .map(|pair| {
                let s = synth_pair(pair);
                // lambda-multi-svc's specs are rendered by `the_multi_service_samples_specs`.
                let samples: Vec<(&str, &str)> = pair
                    .templates
                    .iter()
                    .filter(|(_, f, _)| catalog(f).join("spec/spec.yaml").exists())
                    .map(|(t, f, _)| (*t, *f))
                    .collect();
                (pair.example, render_example(pair.example, &s, &samples))
            })
            .collect()
    });
    &all.iter().find(|(e, _)| *e == example).expect("a pair").1
}

#[test]
fn schemas_are_at_parity_with_the_samples() {
    for pair in pairs() {
        let s = synth_pair(&pair);
        for (template, sample, replaced) in pair.templates {
            let ours = text(&s, &format!("proton/bundles/{template}/schema/schema.yaml"));
            assert_schema_parity_replacing(&catalog(sample).join("v1/schema/schema.yaml"), &ours, &[], replaced);
        }
    }
}

/// Every resource type of each sample has a counterpart in our rendered templates, except the listed
/// replacements (which must then be absent); each service is compatible with `vpc-env:1`, like its sample,
/// and `vpc-env` declares every output it reads.
#[test]
fn inventory_and_environment_outputs() {
    for pair in pairs() {
        let s = synth_pair(&pair);
        let (env, env_sample, _) = pair.templates[0];
        let env_plain = plain(&s, &format!("{env}.template.json"));
        let declared: BTreeSet<String> = env_plain["Outputs"].as_object().unwrap().keys().cloned().collect();
        for name in sample_env_outputs_declared(env_sample) {
            assert!(
                declared.contains(&name),
                "{env}: the sample's output {name} is not declared"
            );
        }
        let rendered = rendered(pair.example);
        for (template, sample, _) in pair.templates {
            let ours = rendered_resource_types(
                rendered
                    .iter()
                    .filter(|(p, _)| p.starts_with(&format!("{template}/")))
                    .map(|(_, t)| t),
            );
            let replaced: BTreeSet<&str> = REPLACED_TYPES.iter().map(|(t, _)| *t).collect();
            let missing: Vec<String> = sample_resource_types(sample)
                .into_iter()
                .filter(|t| !ours.contains(t) && !replaced.contains(t.as_str()))
                .collect();
            assert!(
                missing.is_empty(),
                "{sample}: resource types we do not cover: {missing:?}"
            );
            for t in &replaced {
                assert!(!ours.contains(*t), "{sample}: {t} is listed as replaced but is used");
            }
            if *template == env {
                continue;
            }
            assert!(ours.contains("AWS::Lambda::Function"), "{sample}: {ours:?}");
            assert_eq!(sample_compatible_envs(sample), vec![format!("{env}:1")]);
            let read = sample_env_outputs_read(sample);
            let missing: Vec<&String> = read.difference(&declared).collect();
            assert!(
                missing.is_empty(),
                "{sample} reads outputs {env} does not declare: {missing:?}"
            );
        }
    }
}

#[test]
fn snapshots_and_determinism() {
    for pair in pairs() {
        if !pair.large_plain_template {
            snapshot(pair.example, pair.app);
            continue;
        }
        // The harness's `snapshot` refuses warnings: the same, after `synth_pair`.
        let s = synth_pair(&pair);
        for (path, bytes) in s.assembly.files() {
            if path.ends_with(".tar.gz") {
                continue;
            }
            let text = String::from_utf8(bytes.clone()).expect("text output");
            let name = format!("{}__{}", pair.example, path.replace('/', "__"));
            insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
                insta::assert_snapshot!(name, text);
            });
        }
        assert_eq!(
            s.assembly,
            synth_pair(&pair).assembly,
            "{}: two runs differ",
            pair.example
        );
    }
}

fn one<'a>(t: &'a J, type_name: &str, path: &str) -> &'a J {
    let found = resources_of(t, type_name);
    assert_eq!(found.len(), 1, "{path}: one {type_name}");
    found[0].1
}

/// What every rendered instance of a Lambda service holds: its functions run the code after `code_uri` with
/// logs kept one year; those of `vpc-env` services are in the VPC (subnets after `subnet_type`).
fn assert_lambda_instance(path: &str, t: &J) {
    let functions = resources_of(t, "AWS::Lambda::Function");
    assert!(!functions.is_empty(), "{path}");
    for (_, f) in functions {
        let f = &f["Properties"];
        if t["Conditions"]["PrivateSubnets"].is_object() {
            let subnets = f["VpcConfig"]["SubnetIds"].as_array().unwrap();
            assert_eq!(subnets.len(), 2, "{path}");
            for s in subnets {
                assert_eq!(s["Fn::If"][0], "PrivateSubnets", "{path}");
            }
            assert!(
                f["VpcConfig"]["SecurityGroupIds"][0]
                    .as_str()
                    .unwrap()
                    .starts_with("sg-"),
                "{path}"
            );
        }
        // The chosen runtime with code from S3, else the placeholder's.
        assert_eq!(f["Runtime"]["Fn::If"][0], "CodeFromS3", "{path}");
        assert!(runtime_offered(f["Runtime"]["Fn::If"][1].as_str().unwrap()), "{path}");
        assert_eq!(
            f["Runtime"]["Fn::If"][2],
            apigw_lambda_svc::PLACEHOLDER_RUNTIME,
            "{path}"
        );
        assert_eq!(f["Code"]["ZipFile"]["Fn::If"][0], "CodeFromS3", "{path}");
        assert_eq!(f["TracingConfig"]["Mode"], "Active", "{path}");
    }
    for (_, g) in resources_of(t, "AWS::Logs::LogGroup") {
        assert_eq!(g["Properties"]["RetentionInDays"], 365, "{path}");
    }
    // Without a code_uri (the specs' default), the condition compares a value that keeps the placeholder.
    let cond = &t["Conditions"]["CodeFromS3"]["Fn::Equals"][0]["Fn::Select"][1]["Fn::Split"];
    assert_eq!(cond[0], "#s3://", "{path}");
    assert!(
        cond[1]["Fn::Join"][1][1]
            .as_str()
            .is_some_and(|v| !v.starts_with("s3://")),
        "{path}: {cond}"
    );
}

fn runtime_offered(runtime: &str) -> bool {
    apigw_lambda_svc::RUNTIMES.contains(&runtime)
}

#[test]
fn render_with_1_and_20_instances_and_the_sample_specs() {
    for pair in pairs() {
        let rendered = rendered(pair.example);
        let has_sample_spec = |sample: &str| catalog(sample).join("spec/spec.yaml").exists();
        let names: BTreeSet<&str> = rendered.iter().map(|(p, _)| p.as_str()).collect();
        for (template, sample, _) in pair.templates.iter().skip(1) {
            let mut expected = vec![
                format!("{template}/{template}.svc-spec-1/instance-instance-1.yaml"),
                format!("{template}/{template}.svc-spec-20/instance-instance-20.yaml"),
            ];
            if has_sample_spec(sample) {
                let prod = format!("{}-prod", sample.rsplit('/').next().unwrap());
                expected.push(format!("{template}/aws-sample-spec/instance-{prod}.yaml"));
                expected.push(format!("{template}/aws-sample-spec/pipeline.yaml"));
            }
            for f in expected {
                assert!(names.contains(f.as_str()), "{f} was not rendered: {names:#?}");
            }
            for (spec, n) in [("svc-spec-1", 1), ("svc-spec-20", 20)] {
                let path = format!("{template}/{template}.{spec}/pipeline.yaml");
                let (_, pipeline) = rendered.iter().find(|(p, _)| *p == path).unwrap();
                let p = one(pipeline, "AWS::CodePipeline::Pipeline", &path);
                assert_eq!(p["Properties"]["Stages"].as_array().unwrap().len(), 2 + n, "{path}");
                // One deploy project per instance, each allowed to update its own function only.
                assert_eq!(resources_of(pipeline, "AWS::CodeBuild::Project").len(), 1 + n, "{path}");
            }
        }
        for (path, t) in rendered {
            if path.contains("/instance-") {
                assert_lambda_instance(path, t);
            }
        }
    }
}

/// A spec with an `s3://` `code_uri` makes the condition true: the function's code is that object, with the
/// whole key (slashes included) and `lambda_handler`.
#[test]
fn code_uri_selects_the_code() {
    use proton_synth::engine::{load_bundle, render_bundle, EnvironmentInfo, Only, Outputs, RenderContext};
    let s = synth("apigw_lambda_svc", &apigw_lambda_svc::app());
    let p = s.proton.iter().find(|p| p.output.name == "apigw-lambda-svc").unwrap();
    let dir = root().join("target/catalog-scratch/code-uri");
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join("apigw-lambda-svc.tar.gz");
    std::fs::write(&archive, &p.output.tar_gz).unwrap();
    let bundle = load_bundle(&archive).unwrap();
    let spec = "proton: ServiceSpec\npipeline: {}\ninstances:\n  - name: api\n    environment: Beta\n    spec:\n      code_uri: s3://my-bucket/builds/42/function.zip\n      lambda_handler: app.handler\n";
    let outputs: Vec<(String, String)> = vpc_env::environment()
        .interface()
        .outputs
        .iter()
        .enumerate()
        .map(|(i, o)| (o.clone(), made_up_output(o, i)))
        .collect();
    let mut ctx = RenderContext {
        environment_name: Some("Beta".to_owned()),
        only: Only::Instances,
        ..RenderContext::default()
    };
    ctx.service.name = Some("front-end".to_owned());
    ctx.environments.insert(
        "Beta".to_owned(),
        EnvironmentInfo {
            account_id: Some("111122223333".to_owned()),
            outputs: Some(Outputs {
                values: outputs.into_iter().collect(),
                source: "test".to_owned(),
            }),
        },
    );
    let files = render_bundle(&bundle, spec, &ctx).unwrap_or_else(|f| panic!("{f:#?}"));
    let instance = files.iter().find(|f| f.name == "instance-api.yaml").unwrap();
    let t = yaml(&instance.text, "instance");
    let f = &one(&t, "AWS::Lambda::Function", "instance-api")["Properties"];
    assert_eq!(f["Code"]["S3Key"]["Fn::If"][1], "builds/42/function.zip");
    assert_eq!(f["Handler"]["Fn::If"][1], "app.handler");
    let cond = &t["Conditions"]["CodeFromS3"]["Fn::Equals"][0]["Fn::Select"][1]["Fn::Split"][1];
    assert_eq!(cond["Fn::Join"][1][1], "s3://my-bucket/builds/42/function.zip");
}

/// What each kind adds, in the instances rendered from the sample specs: the API's IAM-authorized route, the
/// schedule with its dead-letter queue, the worker's queue subscribed to the environment's topic.
#[test]
fn each_kind_keeps_its_meaning() {
    let rendered_instance = |example: &str, _app: fn() -> App, template: &str, _sample: &str| -> J {
        let prod = format!("{template}/aws-sample-spec/instance-{template}-prod.yaml");
        rendered(example).iter().find(|(p, _)| *p == prod).unwrap().1.clone()
    };
    let t = rendered_instance(
        "apigw_lambda_svc",
        apigw_lambda_svc::app,
        "apigw-lambda-svc",
        "service-templates/apigw-lambda-svc",
    );
    let route = &one(&t, "AWS::ApiGatewayV2::Route", "api")["Properties"];
    assert_eq!(route["RouteKey"], "$default");
    assert_eq!(route["AuthorizationType"], "AWS_IAM");
    assert!(t["Outputs"]["HttpApiEndpoint"].is_object());

    let t = rendered_instance(
        "scheduled_lambda_svc",
        scheduled_lambda_svc::app,
        "scheduled-lambda-svc",
        "service-templates/scheduled-lambda-svc",
    );
    let rule = &one(&t, "AWS::Events::Rule", "scheduled")["Properties"];
    assert_eq!(rule["ScheduleExpression"], "rate(5 minutes)");
    let permission = &one(&t, "AWS::Lambda::Permission", "scheduled")["Properties"];
    assert_eq!(permission["Principal"], "events.amazonaws.com");
    let f = &one(&t, "AWS::Lambda::Function", "scheduled")["Properties"];
    assert!(f["DeadLetterConfig"]["TargetArn"].is_object(), "{f}");
    assert_eq!(
        one(&t, "AWS::SQS::Queue", "scheduled")["Properties"]["MessageRetentionPeriod"],
        1_209_600
    );

    let t = rendered_instance(
        "worker_lambda_svc",
        worker_lambda_svc::app,
        "worker-lambda-svc",
        "service-templates/worker-lambda-svc",
    );
    let mapping = &one(&t, "AWS::Lambda::EventSourceMapping", "worker")["Properties"];
    assert_eq!(mapping["BatchSize"], 10);
    let sub = &one(&t, "AWS::SNS::Subscription", "worker")["Properties"];
    assert_eq!(sub["Protocol"], "sqs");
    assert!(sub["TopicArn"].as_str().unwrap().starts_with("arn:aws:sns:"), "{sub}");
    let queues = resources_of(&t, "AWS::SQS::Queue");
    assert_eq!(queues.len(), 2, "the queue and its dead-letter queue");
    let main = queues
        .iter()
        .find(|(_, q)| q["Properties"]["RedrivePolicy"].is_object())
        .unwrap()
        .1;
    assert_eq!(main["Properties"]["VisibilityTimeout"], 900);
    assert_eq!(main["Properties"]["RedrivePolicy"]["maxReceiveCount"], 3);
    for name in [
        "SQSqueueName",
        "SQSqueueARN",
        "SQSqueueURL",
        "LambdaFunction",
        "LambdaRuntime",
    ] {
        assert!(t["Outputs"][name].is_object(), "{name}");
    }
}

/// lambda-multi-svc's own specs (`specs/env-spec.yaml`, `specs/svc-spec.yaml`), with the two changes the
/// example documents (`ruby2.7` → `ruby3.4`, the schema's `packaging_command` for the spec's
/// `packaging_commands`), render; written below `target/examples-rendered/lambda_multi_svc-sample-specs/` for
/// the linters.
#[test]
fn the_multi_service_samples_specs() {
    use proton_synth::engine::{load_bundle, render_bundle, EnvironmentInfo, InstanceInfo, Outputs, RenderContext};
    let s = lambda_multi_svc::app().synth(&SynthOptions::default()).unwrap();
    let specs = catalog("lambda-multi-svc/specs");
    let env_spec = std::fs::read_to_string(specs.join("env-spec.yaml")).unwrap();
    let svc_spec = std::fs::read_to_string(specs.join("svc-spec.yaml"))
        .unwrap()
        .replace("ruby2.7", "ruby3.4")
        .replace("packaging_commands:", "packaging_command:");
    let env_outputs: Vec<(String, String)> = lambda_multi_svc::environment()
        .interface()
        .outputs
        .iter()
        .enumerate()
        .map(|(i, o)| (o.clone(), made_up_output(o, i)))
        .collect();
    let mut ctx = RenderContext {
        environment_name: Some("multi-svc-beta".to_owned()),
        default_account_id: Some("111122223333".to_owned()),
        ..RenderContext::default()
    };
    ctx.service.name = Some("crud".to_owned());
    ctx.service.repository_connection_arn = Some(
        "arn:aws:codestar-connections:us-west-2:111122223333:connection/0123abcd-4567-89ab-cdef-0123456789ab"
            .to_owned(),
    );
    ctx.service.repository_id = Some("example-org/crud".to_owned());
    ctx.service.branch_name = Some("main".to_owned());
    ctx.environments.insert(
        "multi-svc-beta".to_owned(),
        EnvironmentInfo {
            account_id: Some("111122223333".to_owned()),
            outputs: Some(Outputs {
                values: env_outputs.into_iter().collect(),
                source: "test".to_owned(),
            }),
        },
    );
    let functions = lambda_multi_svc::OPERATIONS.map(|(op, ..)| {
        let mut name = op.to_owned();
        name[..1].make_ascii_uppercase();
        (format!("{name}Function"), format!("crud-front-end-{op}"))
    });
    ctx.instances.insert(
        "front-end".to_owned(),
        InstanceInfo {
            outputs: Some(Outputs {
                values: functions.into_iter().collect(),
                source: "test".to_owned(),
            }),
            component: None,
        },
    );
    let out = root().join("target/examples-rendered/lambda_multi_svc-sample-specs");
    let scratch = root().join("target/catalog-scratch/multi-svc-specs");
    std::fs::create_dir_all(&scratch).unwrap();
    for (name, spec) in [("lambda-env", &env_spec), ("service-crud", &svc_spec)] {
        let p = s.proton.iter().find(|p| p.output.name == name).unwrap();
        let archive = scratch.join(format!("{name}.tar.gz"));
        std::fs::write(&archive, &p.output.tar_gz).unwrap();
        let bundle = load_bundle(&archive).unwrap();
        let files = render_bundle(&bundle, spec, &ctx).unwrap_or_else(|f| panic!("{name}: {f:#?}"));
        let dir = out.join(name).join("aws-sample-spec");
        std::fs::create_dir_all(&dir).unwrap();
        for f in &files {
            std::fs::write(dir.join(&f.name), &f.text).unwrap();
        }
        if name == "service-crud" {
            let t = yaml(
                &files.iter().find(|f| f.name == "instance-front-end.yaml").unwrap().text,
                name,
            );
            assert_lambda_instance("front-end", &t);
            let routes: BTreeSet<String> = resources_of(&t, "AWS::ApiGatewayV2::Route")
                .iter()
                .map(|(_, r)| r["Properties"]["RouteKey"].to_string())
                .collect();
            assert_eq!(routes.len(), 5, "{routes:?}");
            assert!(
                routes.iter().all(|r| r.contains("/") && r.contains("task")),
                "{routes:?}"
            );
        }
    }
}
