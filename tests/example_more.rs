//! The AWS Proton examples of issue #6 (3: private microservices, 4: serverless API): snapshots of every
//! file they write, determinism, behaviour assertions on the plain CloudFormation templates, and a render of
//! every bundle (loaded back from its `.tar.gz`) with the generated sample specs. The rendered templates are
//! written to `target/examples-rendered/<example>/` for cfn-lint and `scripts/security-check`.

use std::fs;
use std::path::PathBuf;

use indexmap::IndexMap;
use proton_synth::app::{App, SynthOptions, Synthesis};
use proton_synth::constructs::assertions::{Match, Template};
use proton_synth::engine::{load_bundle, render_bundle, EnvironmentInfo, InstanceInfo, Outputs, RenderContext};
use serde_json::{json, Value as J};

#[path = "../examples/private_microservices.rs"]
mod private_microservices;
#[path = "../examples/serverless_api.rs"]
mod serverless_api;

/// Warnings an example may have: a service template without a pipeline is meant to be created with
/// `--pipeline-provisioning CUSTOMER_MANAGED` (documented in the example).
fn allowed_warning(message: &str) -> bool {
    message.contains("has no pipeline") && message.contains("CUSTOMER_MANAGED")
}

fn synth(example: &str, app: &App) -> Synthesis {
    let synthesis = app
        .synth(&SynthOptions::default())
        .unwrap_or_else(|e| panic!("{example} failed to synthesize:\n{e}"));
    let unexpected: Vec<String> = synthesis
        .warnings
        .iter()
        .map(ToString::to_string)
        .filter(|w| !allowed_warning(w))
        .collect();
    assert!(unexpected.is_empty(), "{example} has warnings: {unexpected:#?}");
    synthesis
}

fn snapshot(example: &str, synthesis: &Synthesis) {
    for (path, bytes) in synthesis.assembly.files() {
        if path.ends_with(".tar.gz") {
            // Binary: pinned by the determinism test; its content by the bundle folder snapshots.
            continue;
        }
        let text = String::from_utf8(bytes.clone()).expect("text output");
        let name = format!("{example}__{}", path.replace('/', "__"));
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(name, text);
        });
    }
}

fn assert_deterministic(example: &str, build: fn() -> App) {
    let a = build().synth(&SynthOptions::default()).expect("synth");
    let b = build().synth(&SynthOptions::default()).expect("synth");
    assert_eq!(a.assembly, b.assembly, "{example}: two runs differ");
}

/// A plain CloudFormation template of the synthesis (`proton/cloudformation/<file>`).
fn plain(synthesis: &Synthesis, file: &str) -> Template {
    let path = format!("proton/cloudformation/{file}");
    let bytes = synthesis
        .assembly
        .get(&path)
        .unwrap_or_else(|| panic!("{path} was not written"));
    Template::from_json(serde_json::from_slice(bytes).expect("JSON template"))
}

fn outputs<K: AsRef<str>, V: AsRef<str>>(source: &str, values: &[(K, V)]) -> Outputs {
    Outputs {
        values: values
            .iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
            .collect(),
        source: source.to_owned(),
    }
}

/// The render context of every template of an example: environment `Beta` (the sample specs' environment)
/// with made-up outputs, a service and repository, and per-instance outputs for pipelines.
fn context(env_outputs: &[(&str, &str)], instance_outputs: &dyn Fn(usize) -> Vec<(String, String)>) -> RenderContext {
    let mut environments = IndexMap::new();
    environments.insert(
        "Beta".to_owned(),
        EnvironmentInfo {
            account_id: Some("111122223333".to_owned()),
            outputs: Some(outputs("made-up environment outputs", env_outputs)),
        },
    );
    let mut instances = IndexMap::new();
    for i in 1..=20 {
        instances.insert(
            format!("instance-{i}"),
            InstanceInfo {
                outputs: Some(outputs("made-up instance outputs", &instance_outputs(i))),
                component: None,
            },
        );
    }
    let mut ctx = RenderContext {
        environment_name: Some("Beta".to_owned()),
        default_account_id: Some("111122223333".to_owned()),
        environments,
        instances,
        ..RenderContext::default()
    };
    ctx.service.name = Some("demo".to_owned());
    ctx.service.repository_connection_arn = Some(
        "arn:aws:codestar-connections:us-east-1:111122223333:connection/0123abcd-4567-89ab-cdef-0123456789ab"
            .to_owned(),
    );
    ctx.service.repository_id = Some("my-org/demo".to_owned());
    ctx.service.branch_name = Some("main".to_owned());
    ctx
}

fn rendered_dir(example: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/examples-rendered")
        .join(example)
}

/// Render every bundle of the synthesis, loaded back from its `.tar.gz`, with each generated sample spec.
/// Writes `<template>.<file>` (instance templates from the one-instance specs only; pipelines from every
/// spec as `<template>.pipeline-<n>.yaml`) into `target/examples-rendered/<example>/`. Returns the rendered
/// texts by written file name.
fn render_all(example: &str, synthesis: &Synthesis, ctx: &RenderContext) -> IndexMap<String, String> {
    let out = rendered_dir(example);
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&out).unwrap();
    let scratch = std::env::temp_dir().join(format!("example-more-{}-{example}", std::process::id()));
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).unwrap();
    let mut written = IndexMap::new();
    for p in &synthesis.proton {
        let o = &p.output;
        let archive = scratch.join(format!("{}.tar.gz", o.name));
        fs::write(&archive, &o.tar_gz).unwrap();
        let bundle = load_bundle(&archive).unwrap_or_else(|f| panic!("{}: cannot load the bundle: {f:#?}", o.name));
        assert!(!o.specs.is_empty(), "{}: no sample spec", o.name);
        for (spec_file, spec) in &o.specs {
            let files = render_bundle(&bundle, spec, ctx)
                .unwrap_or_else(|f| panic!("{}: {spec_file} does not render:\n{f:#?}", o.name));
            let count = spec_file
                .rsplit_once("-spec-")
                .map(|(_, n)| n.trim_end_matches(".yaml").to_owned());
            for f in files {
                let name = match (&count, f.name.as_str()) {
                    (Some(n), "pipeline.yaml") => format!("{}.pipeline-{n}.yaml", o.name),
                    (Some(n), _) if n != "1" => continue,
                    _ => format!("{}.{}", o.name, f.name),
                };
                assert!(!f.text.contains("{{"), "{name}: unrendered Jinja left");
                fs::write(out.join(&name), &f.text).unwrap();
                written.insert(name, f.text);
            }
        }
    }
    let _ = fs::remove_dir_all(&scratch);
    written
}

/// Logical IDs of the resources of a type.
fn ids<'a>(t: &'a Template, type_name: &str) -> Vec<&'a str> {
    t.find_resources(type_name).into_iter().map(|(id, _)| id).collect()
}

/// The plain export name of an environment output.
fn export_name(output: &str) -> J {
    json!({"Fn::Sub": [format!("${{EnvironmentName}}-{output}"), {"EnvironmentName": {"Ref": "EnvironmentName"}}]})
}

/// How a service's plain template reads an environment output.
fn import(output: &str) -> J {
    json!({"Fn::ImportValue": export_name(output)})
}

fn props<'a>(t: &'a Template, id: &str) -> &'a J {
    &t.json()["Resources"][id]["Properties"]
}

// ----------------------------------------------------------------------------------------------------------
// Example 3: private microservices

const PM: &str = "private_microservices";

fn pm_env_outputs() -> Vec<(&'static str, &'static str)> {
    vec![
        ("VpcId", "vpc-0123456789abcdef0"),
        ("PublicSubnetOne", "subnet-0aaaaaaaaaaaaaaa1"),
        ("PublicSubnetTwo", "subnet-0aaaaaaaaaaaaaaa2"),
        ("PrivateSubnetOne", "subnet-0bbbbbbbbbbbbbbb1"),
        ("PrivateSubnetTwo", "subnet-0bbbbbbbbbbbbbbb2"),
        ("ClusterName", "private-vpc-cluster"),
        ("NamespaceId", "ns-abcdefghij012345"),
        ("NamespaceName", "svc.internal"),
        ("FrontendSecurityGroupId", "sg-0123456789abcdef0"),
        ("LoadBalancerLogsBucket", "private-vpc-loadbalancerlogs-0123456789ab"),
    ]
}

#[test]
fn private_microservices_snapshots_and_determinism() {
    let s = synth(PM, &private_microservices::app());
    snapshot(PM, &s);
    assert_deterministic(PM, private_microservices::app);
}

#[test]
fn private_microservices_environment() {
    let s = synth(PM, &private_microservices::app());
    let t = plain(&s, "private-vpc.template.json");
    t.resource_count_is("AWS::EC2::Subnet", 4).unwrap();
    t.resource_count_is("AWS::EC2::NatGateway", 2).unwrap();
    t.resource_count_is("AWS::EC2::FlowLog", 1).unwrap();
    t.resource_count_is("AWS::ECS::Cluster", 1).unwrap();
    t.has_resource_properties(
        "AWS::ServiceDiscovery::PrivateDnsNamespace",
        Match::object_like(json!({"Name": {"Ref": "NamespaceName"}})),
    )
    .unwrap();
    // The frontend group: restricted egress plus HTTPS out, no ingress at all.
    let frontend = ids(&t, "AWS::EC2::SecurityGroup");
    assert_eq!(frontend.len(), 1, "{frontend:?}");
    t.resource_count_is("AWS::EC2::SecurityGroupIngress", 0).unwrap();
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        Match::object_like(json!({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"})),
    )
    .unwrap();
    for o in [
        "VpcId",
        "PublicSubnetOne",
        "PublicSubnetTwo",
        "PrivateSubnetOne",
        "PrivateSubnetTwo",
        "ClusterName",
        "NamespaceId",
        "NamespaceName",
        "FrontendSecurityGroupId",
        "LoadBalancerLogsBucket",
    ] {
        t.has_output(o, Match::object_like(json!({"Export": {"Name": export_name(o)}})))
            .unwrap();
    }
}

#[test]
fn private_microservices_public_service() {
    let s = synth(PM, &private_microservices::app());
    let t = plain(&s, "public-web-svc.instance.template.json");
    t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        Match::object_like(json!({
            "Scheme": "internet-facing",
            "Subnets": [
                import("PublicSubnetOne"),
                import("PublicSubnetTwo")
            ]
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        Match::object_like(json!({"Port": 443, "Protocol": "HTTPS"})),
    )
    .unwrap();
    // Tasks in the private subnets without public IPs, wearing their own group and the environment's
    // frontend group.
    t.has_resource_properties(
        "AWS::ECS::Service",
        Match::object_like(json!({"NetworkConfiguration": {"AwsvpcConfiguration": {
            "AssignPublicIp": "DISABLED",
            "Subnets": [
                import("PrivateSubnetOne"),
                import("PrivateSubnetTwo")
            ]
        }}})),
    )
    .unwrap();
    let (_, svc) = t.find_resources("AWS::ECS::Service")[0];
    let sgs = &svc["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"];
    assert_eq!(sgs.as_array().map(Vec::len), Some(2), "{sgs}");
    assert_eq!(sgs[1], json!(import("FrontendSecurityGroupId")));
    // The tasks' own group: ingress only from the load balancer's group, on the container port.
    let ingress = t.find_resources("AWS::EC2::SecurityGroupIngress");
    let to_tasks: Vec<_> = ingress
        .iter()
        .filter(|(_, r)| r["Properties"].get("SourceSecurityGroupId").is_some())
        .collect();
    assert_eq!(to_tasks.len(), 1, "{to_tasks:#?}");
    assert_eq!(to_tasks[0].1["Properties"]["FromPort"], json!({"Ref": "Port"}));
    // The only 0.0.0.0/0 ingress rules are the listener ports of the load balancer.
    let mut open: Vec<i64> = ingress
        .iter()
        .filter(|(_, r)| r["Properties"]["CidrIp"] == json!("0.0.0.0/0"))
        .map(|(_, r)| r["Properties"]["FromPort"].as_i64().unwrap())
        .collect();
    open.sort_unstable();
    assert_eq!(open, vec![80, 443]);
}

#[test]
fn private_microservices_private_service() {
    let s = synth(PM, &private_microservices::app());
    let t = plain(&s, "private-api-svc.instance.template.json");
    let frontend = json!(import("FrontendSecurityGroupId"));
    // Exactly one ingress rule, from the frontend group on the container port, into the tasks' group.
    let ingress = t.find_resources("AWS::EC2::SecurityGroupIngress");
    assert_eq!(ingress.len(), 1, "{ingress:#?}");
    let rule = &ingress[0].1["Properties"];
    assert_eq!(rule["SourceSecurityGroupId"], frontend);
    assert_eq!(rule["IpProtocol"], json!("tcp"));
    assert_eq!(rule["FromPort"], json!({"Ref": "Port"}));
    assert_eq!(rule["ToPort"], json!({"Ref": "Port"}));
    let sgs = ids(&t, "AWS::EC2::SecurityGroup");
    assert_eq!(sgs.len(), 1, "{sgs:?}");
    assert_eq!(rule["GroupId"], json!({"Fn::GetAtt": [sgs[0], "GroupId"]}));
    // No inline ingress on the group itself.
    assert!(props(&t, sgs[0]).get("SecurityGroupIngress").is_none());
    // The frontend group's egress is opened towards this service only.
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        Match::object_like(json!({
            "GroupId": frontend,
            "DestinationSecurityGroupId": {"Fn::GetAtt": [sgs[0], "GroupId"]},
            "FromPort": {"Ref": "Port"}
        })),
    )
    .unwrap();
    // No load balancer; tasks in the private subnets without public IPs, registered in Cloud Map.
    t.resource_count_is("AWS::ElasticLoadBalancingV2::LoadBalancer", 0)
        .unwrap();
    let discovery = ids(&t, "AWS::ServiceDiscovery::Service");
    assert_eq!(discovery.len(), 1);
    t.has_resource_properties(
        "AWS::ServiceDiscovery::Service",
        Match::object_like(json!({
            "Name": {"Ref": "DiscoveryName"},
            "DnsConfig": {
                "NamespaceId": import("NamespaceId"),
                "DnsRecords": [{"Type": "A", "TTL": 10}]
            }
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ECS::Service",
        Match::object_like(json!({
            "NetworkConfiguration": {"AwsvpcConfiguration": {
                "AssignPublicIp": "DISABLED",
                "SecurityGroups": [{"Fn::GetAtt": [sgs[0], "GroupId"]}],
                "Subnets": [
                    import("PrivateSubnetOne"),
                    import("PrivateSubnetTwo")
                ]
            }},
            "ServiceRegistries": [{"RegistryArn": {"Fn::GetAtt": [discovery[0], "Arn"]}}]
        })),
    )
    .unwrap();
}

#[test]
fn private_microservices_render() {
    let s = synth(PM, &private_microservices::app());
    let ctx = context(&pm_env_outputs(), &|_| Vec::new());
    let files = render_all(PM, &s, &ctx);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        vec![
            "private-vpc.environment.yaml",
            "public-web-svc.instance-instance-1.yaml",
            "private-api-svc.instance-instance-1.yaml",
        ]
    );
    let private = &files["private-api-svc.instance-instance-1.yaml"];
    assert!(private.contains("sg-0123456789abcdef0"), "{private}");
    assert!(private.contains("ns-abcdefghij012345"), "{private}");
}

// ----------------------------------------------------------------------------------------------------------
// Example 4: serverless API

const SA: &str = "serverless_api";
const KEY_ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/0123abcd-4567-89ab-cdef-0123456789ab";

fn sa_instance_outputs(i: usize) -> Vec<(String, String)> {
    let function = format!("http-api-svc-instance-{i}-Function-ABCDEF{i:02}");
    vec![
        (
            "ApiEndpoint".to_owned(),
            format!("https://a1b2c3d4e{i}.execute-api.us-east-1.amazonaws.com"),
        ),
        (
            "FunctionArn".to_owned(),
            format!("arn:aws:lambda:us-east-1:111122223333:function:{function}"),
        ),
        ("FunctionName".to_owned(), function),
        (
            "TableName".to_owned(),
            format!("http-api-svc-instance-{i}-Table-XYZ{i:02}"),
        ),
    ]
}

fn sa_context() -> RenderContext {
    context(&[("KmsKeyArn", KEY_ARN), ("LogLevel", "INFO")], &sa_instance_outputs)
}

#[test]
fn serverless_api_snapshots_and_determinism() {
    let s = synth(SA, &serverless_api::app());
    snapshot(SA, &s);
    assert_deterministic(SA, serverless_api::app);
}

#[test]
fn serverless_api_environment() {
    let s = synth(SA, &serverless_api::app());
    let t = plain(&s, "serverless-env.template.json");
    t.resource_count_is("AWS::EC2::VPC", 0).unwrap();
    t.has_resource_properties("AWS::KMS::Key", Match::object_like(json!({"EnableKeyRotation": true})))
        .unwrap();
    t.has_output(
        "KmsKeyArn",
        Match::object_like(json!({"Export": {"Name": export_name("KmsKeyArn")}})),
    )
    .unwrap();
    t.has_output(
        "LogLevel",
        Match::object_like(json!({"Value": {"Ref": "LogLevel"}, "Export": {"Name": export_name("LogLevel")}})),
    )
    .unwrap();
}

#[test]
fn serverless_api_instance() {
    let s = synth(SA, &serverless_api::app());
    let t = plain(&s, "http-api-svc.instance.template.json");
    // The table: on-demand, point-in-time recovery, the environment's key.
    t.resource_count_is("AWS::DynamoDB::Table", 1).unwrap();
    t.has_resource_properties(
        "AWS::DynamoDB::Table",
        Match::object_like(json!({
            "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true},
            "SSESpecification": {"SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": import("KmsKeyArn")}
        })),
    )
    .unwrap();
    let table = ids(&t, "AWS::DynamoDB::Table")[0];
    let table_arn = json!({"Fn::GetAtt": [table, "Arn"]});

    // The function: sized by the instance inputs, its role, behind the HTTP API.
    let function = ids(&t, "AWS::Lambda::Function")[0];
    let f = props(&t, function);
    assert_eq!(f["Runtime"], json!({"Ref": "Runtime"}));
    assert_eq!(f["MemorySize"], json!({"Ref": "MemorySize"}));
    assert_eq!(f["Timeout"], json!({"Ref": "Timeout"}));
    assert_eq!(f["ReservedConcurrentExecutions"], json!({"Ref": "ReservedConcurrency"}));
    assert_eq!(f["KmsKeyArn"], import("KmsKeyArn"));
    assert_eq!(f["Environment"]["Variables"]["TABLE_NAME"], json!({"Ref": table}));
    // The environment's shared log level, for the code and for Lambda's log filtering.
    assert_eq!(f["Environment"]["Variables"]["LOG_LEVEL"], import("LogLevel"));
    assert_eq!(f["LoggingConfig"]["ApplicationLogLevel"], import("LogLevel"));
    assert_eq!(f["LoggingConfig"]["LogFormat"], json!("JSON"));
    t.has_resource_properties(
        "AWS::ApiGatewayV2::Route",
        Match::object_like(json!({"RouteKey": "$default", "AuthorizationType": "AWS_IAM"})),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ApiGatewayV2::Integration",
        Match::object_like(
            json!({"IntegrationType": "AWS_PROXY", "IntegrationUri": {"Fn::GetAtt": [function, "Arn"]}}),
        ),
    )
    .unwrap();
    // The API may invoke the function for its `$default` route only, from this account.
    let permissions = t.find_resources("AWS::Lambda::Permission");
    assert_eq!(permissions.len(), 1, "{permissions:#?}");
    let permission = &permissions[0].1["Properties"];
    assert_eq!(permission["Principal"], json!("apigateway.amazonaws.com"));
    assert_eq!(permission["Action"], json!("lambda:InvokeFunction"));
    assert_eq!(permission["FunctionName"], json!({"Fn::GetAtt": [function, "Arn"]}));
    assert_eq!(permission["SourceAccount"], json!({"Ref": "AWS::AccountId"}));
    let api = ids(&t, "AWS::ApiGatewayV2::Api")[0];
    let source_arn = &permission["SourceArn"]["Fn::Join"][1];
    assert_eq!(source_arn[7], json!({"Ref": api}), "{source_arn}");
    assert_eq!(source_arn[8], json!("/*/$default"), "{source_arn}");

    // The function role's policy: DynamoDB data actions on the table ARN only, and nothing else on the table.
    let role = f["Role"]["Fn::GetAtt"][0].as_str().unwrap();
    let policies: Vec<_> = t
        .find_resources("AWS::IAM::Policy")
        .into_iter()
        .filter(|(_, p)| p["Properties"]["Roles"] == json!([{"Ref": role}]))
        .collect();
    assert_eq!(policies.len(), 1, "{policies:#?}");
    let statements = policies[0].1["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    let actions = |s: &J| -> Vec<String> {
        match &s["Action"] {
            J::String(a) => vec![a.clone()],
            J::Array(l) => l.iter().map(|a| a.as_str().unwrap().to_owned()).collect(),
            other => panic!("unexpected Action {other}"),
        }
    };
    let dynamo: Vec<&J> = statements
        .iter()
        .filter(|s| actions(s).iter().any(|a| a.starts_with("dynamodb:")))
        .collect();
    assert_eq!(dynamo.len(), 1, "{dynamo:#?}");
    assert_eq!(actions(dynamo[0]), serverless_api::TABLE_DATA_ACTIONS);
    assert_eq!(dynamo[0]["Resource"], table_arn);
    assert_eq!(dynamo[0]["Effect"], json!("Allow"));
    assert!(dynamo[0].get("Condition").is_none());
    for s in statements {
        assert!(actions(s).iter().all(|a| !a.ends_with('*')), "wildcard action in {s}");
        if s["Resource"] == json!("*") {
            assert!(actions(s).iter().all(|a| a.starts_with("xray:")), "{s}");
        }
        if s["Resource"] == table_arn {
            assert_eq!(s, dynamo[0]);
        }
    }
    // The key only through DynamoDB and Lambda.
    let kms: Vec<&J> = statements
        .iter()
        .filter(|s| actions(s).iter().any(|a| a.starts_with("kms:")))
        .collect();
    assert_eq!(kms.len(), 1);
    assert_eq!(kms[0]["Resource"], import("KmsKeyArn"));
    assert!(kms[0]["Condition"]["StringEquals"]["kms:ViaService"].is_array());

    for o in ["ApiEndpoint", "FunctionName", "FunctionArn", "TableName"] {
        t.has_output(o, Match::any_value()).unwrap();
    }
}

fn yaml(text: &str) -> J {
    serde_saphyr::from_str(text).expect("rendered YAML")
}

#[test]
fn serverless_api_render() {
    let s = synth(SA, &serverless_api::app());
    let files = render_all(SA, &s, &sa_context());
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        vec![
            "serverless-env.environment.yaml",
            "http-api-svc.instance-instance-1.yaml",
            "http-api-svc.pipeline-1.yaml",
            "http-api-svc.pipeline-20.yaml",
        ]
    );
    let instance = Template::from_json(yaml(&files["http-api-svc.instance-instance-1.yaml"]));
    instance
        .has_resource_properties(
            "AWS::DynamoDB::Table",
            Match::object_like(json!({"SSESpecification": {"KMSMasterKeyId": KEY_ARN}})),
        )
        .unwrap();
    instance
        .has_resource_properties(
            "AWS::Lambda::Permission",
            Match::object_like(json!({"SourceAccount": {"Ref": "AWS::AccountId"}})),
        )
        .unwrap();

    // The pipeline with 20 instances: one deploy project and deploy stage per instance, each project's role
    // allowed to update only its instance's function, each deploy action running as its own role allowed to
    // start only its instance's project.
    let p = yaml(&files["http-api-svc.pipeline-20.yaml"]);
    let resources = p["Resources"].as_object().unwrap();
    let of_type = |t: &str| -> Vec<(&String, &J)> { resources.iter().filter(|(_, r)| r["Type"] == json!(t)).collect() };
    let projects = of_type("AWS::CodeBuild::Project");
    assert_eq!(projects.len(), 21, "build + 20 deploy projects");
    let pipelines = of_type("AWS::CodePipeline::Pipeline");
    assert_eq!(pipelines.len(), 1);
    assert_eq!(pipelines[0].1["Properties"]["ExecutionMode"], json!("QUEUED"));
    let policy_of = |role: &str| -> &J {
        let policies: Vec<&J> = resources
            .values()
            .filter(|r| r["Type"] == json!("AWS::IAM::Policy") && r["Properties"]["Roles"] == json!([{"Ref": role}]))
            .collect();
        assert_eq!(policies.len(), 1, "{role}: {policies:#?}");
        policies[0]
    };
    let start_build = |policy: &J| -> Vec<J> {
        policy["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["Action"].to_string().contains("codebuild:StartBuild"))
            .cloned()
            .collect()
    };
    // The pipeline starts once its role may use the connection and run the build project, and only that
    // project: the deploy projects are started by the per-instance action roles.
    let pipeline_role = pipelines[0].1["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        .as_str()
        .unwrap();
    let policy = pipelines[0].1["DependsOn"][0].as_str().unwrap();
    assert_eq!(
        resources[policy]["Properties"]["Roles"],
        json!([{"Ref": pipeline_role}])
    );
    let statements = resources[policy]["Properties"]["PolicyDocument"]["Statement"].to_string();
    assert!(
        statements.contains("codestar-connections:UseConnection"),
        "{statements}"
    );
    let start = start_build(&resources[policy]);
    assert_eq!(start.len(), 1);
    let stages = pipelines[0].1["Properties"]["Stages"].as_array().unwrap();
    let build_project = stages[1]["Actions"][0]["Configuration"]["ProjectName"]["Ref"]
        .as_str()
        .unwrap();
    assert_eq!(start[0]["Resource"], json!({"Fn::GetAtt": [build_project, "Arn"]}));
    // Per-instance stage names are `Fn::Join`s of literal parts once rendered.
    let stage_name = |s: &J| -> String {
        match &s["Name"] {
            J::String(n) => n.clone(),
            other => {
                let join = other["Fn::Join"].as_array().unwrap();
                let parts: Vec<&str> = join[1]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap())
                    .collect();
                parts.join(join[0].as_str().unwrap())
            }
        }
    };
    let stage_names: Vec<String> = stages.iter().map(stage_name).collect();
    let mut expected = vec!["Source".to_owned(), "Build".to_owned()];
    expected.extend((1..=20).map(|n| format!("Deploy-instance-{n}")));
    assert_eq!(stage_names, expected);
    let mut deploy_projects = Vec::new();
    for (i, stage) in stages[2..].iter().enumerate() {
        let n = i + 1;
        let actions = stage["Actions"].as_array().unwrap();
        assert_eq!(actions.len(), 1);
        let action = &actions[0];
        assert_eq!(action["InputArtifacts"], json!([{"Name": "BuildOutput"}]));
        let project = action["Configuration"]["ProjectName"]["Ref"].as_str().unwrap();
        deploy_projects.push(project);
        let proj = &resources[project]["Properties"];
        let outputs: IndexMap<String, String> = sa_instance_outputs(n).into_iter().collect();
        let vars = proj["Environment"]["EnvironmentVariables"].as_array().unwrap();
        let function_name: Vec<&J> = vars.iter().filter(|v| v["Name"] == json!("FUNCTION_NAME")).collect();
        assert_eq!(function_name.len(), 1);
        assert_eq!(function_name[0]["Value"], json!(outputs["FunctionName"]));
        let role = proj["ServiceRole"]["Fn::GetAtt"][0].as_str().unwrap();
        let lambda: Vec<J> = policy_of(role)["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s.to_string().contains("lambda:"))
            .cloned()
            .collect();
        assert_eq!(lambda.len(), 1);
        assert_eq!(lambda[0]["Resource"], json!(outputs["FunctionArn"]));
        // The action's role is assumed by the pipeline role only and may start this instance's project only.
        let action_role = action["RoleArn"]["Fn::GetAtt"][0].as_str().unwrap();
        let trust = &resources[action_role]["Properties"]["AssumeRolePolicyDocument"]["Statement"];
        assert_eq!(
            trust,
            &json!([{
                "Effect": "Allow",
                "Principal": {"AWS": {"Fn::GetAtt": [pipeline_role, "Arn"]}},
                "Action": "sts:AssumeRole"
            }])
        );
        let action_policy = policy_of(action_role);
        let statements = action_policy["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap();
        assert_eq!(statements.len(), 1, "{statements:#?}");
        assert_eq!(start_build(action_policy).len(), 1);
        assert_eq!(statements[0]["Resource"], json!({"Fn::GetAtt": [project, "Arn"]}));
    }
    deploy_projects.sort_unstable();
    deploy_projects.dedup();
    assert_eq!(deploy_projects.len(), 20, "one deploy project per instance");
}

#[test]
fn private_microservices_wiring_is_checked() {
    use proton_synth::proton::{EnvironmentInterface, ServiceTemplate, SpecSettings};
    // A service written against `PrivateVpc` fails to synthesize when the environment does not export the
    // frontend security group.
    let partial = EnvironmentInterface::new("private-vpc", 1, ["VpcId", "ClusterName"]);
    let mut svc = ServiceTemplate::new("probe-svc", &[partial]);
    let env = private_microservices::PrivateVpc::read(&mut svc);
    svc.instance_output("Probe", env.frontend.id());
    let err = svc
        .synth(&SpecSettings::default(), None)
        .expect_err("the missing output must be reported")
        .to_string();
    assert!(err.contains("FrontendSecurityGroupId"), "{err}");
}
