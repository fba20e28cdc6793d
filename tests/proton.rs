//! AWS Proton synthesis: bundles render (minijinja, strict undefined, no autoescape) with their sample
//! specs for 1 and 20 instances, Jinja variables are checked, the environment-output contract is enforced,
//! archives are deterministic, and plain CloudFormation is produced.

use std::collections::BTreeMap;
use std::path::PathBuf;

use proton_synth::app::App;
use proton_synth::constructs::cfn::{codebuild, codepipeline, ec2, ecs, logs, s3, ssm};
use proton_synth::constructs::{fns, Expr, IntoExpr, Value};
use proton_synth::proton::{
    EnvironmentInterface, EnvironmentTemplate, InputDef, PipelineTemplate, ServiceTemplate, SpecSettings,
    TemplateOutput, MANIFEST_YAML,
};
use serde_json::{json, Value as J};

const HOSTILE: &str = "He said \"hi\" & 'bye'\nline2 {{ evil }} {% if x %} {# c #} \\ back ${x} : - [a]";

fn assume(service: &str) -> Value<proton_synth::constructs::Json> {
    Value::from(json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]
    }))
}

fn environment() -> EnvironmentTemplate {
    let mut env = EnvironmentTemplate::new("vpc-env").description("A VPC and an ECS cluster");
    let cidr = env.input(
        InputDef::string("vpc_cidr")
            .title("VPC CIDR")
            .description("The CIDR range of the VPC")
            .default("10.0.0.0/16")
            .pattern(r"([0-9]{1,3}\.){3}[0-9]{1,3}($|/(16|24))"),
    );
    let label = env.input(
        InputDef::string("env_label")
            .description("Free text")
            .default("platform")
            .max_length(500),
    );
    let env_name = env.environment_name();

    let mut vpc = ec2::Vpc::new();
    vpc.cidr_block = Some(cidr.value());
    vpc.enable_dns_hostnames = Some(true.into());
    vpc.enable_dns_support = Some(true.into());
    vpc.tags = Some(vec![ec2::vpc::Tag::new("Owner", "{{resolve:ssm:/platform/owner}}")]);
    let vpc = env.root().add("Vpc", vpc);
    let cluster = env.root().add("Cluster", ecs::Cluster::new());
    let mut param = ssm::Parameter::new("String", label.value());
    param.name = Some(fns::sub("/proton/${Env}/label", [("Env", env_name.into_expr())]));
    param.description = Some("shell ${#ARR[@]} and {% raw %} stay literal".into());
    let param = env.root().add("Label", param);
    env.output("VpcId", vpc.r#ref());
    env.output("ClusterName", cluster.r#ref());
    env.output("LabelParameter", param.r#ref());
    env
}

fn service(env: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new("api-svc", std::slice::from_ref(env)).description("An API service");
    let port = svc.instance_input(InputDef::number("port").default(80.0).minimum(1.0).maximum(65535.0));
    let greeting = svc.instance_input(InputDef::string("greeting").required().example("hello").max_length(500));
    let _unused = svc.instance_input(InputDef::boolean("unused_flag").default(false));
    let log_level = svc.instance_input(
        InputDef::string("log-level")
            .default("info")
            .enum_values(["debug", "info", "warn"]),
    );
    let vpc_id = svc.env_output("VpcId");
    let svc_name = svc.service_name();
    let inst_name = svc.service_instance_name();
    let env_name = svc.environment_name();

    let mut ingress = ec2::security_group::Ingress::new("tcp");
    ingress.from_port = Some(port.as_integer());
    ingress.to_port = Some(port.as_integer());
    ingress.cidr_ip = Some("10.0.0.0/8".into());
    let mut sg = ec2::SecurityGroup::new("API service");
    sg.vpc_id = Some(vpc_id);
    sg.security_group_ingress = Some(vec![ingress]);
    let sg = svc.instance().add("Sg", sg);
    let mut lg = logs::LogGroup::new();
    lg.log_group_name = Some(fns::sub(
        "/proton/${Svc}/${Inst}",
        [("Svc", svc_name.into_expr()), ("Inst", inst_name.into_expr())],
    ));
    lg.retention_in_days = Some(30.into());
    svc.instance().add("Logs", lg);
    let mut p = ssm::Parameter::new("String", greeting.value());
    p.name = Some(fns::sub("/proton/${Env}/greeting", [("Env", env_name.into_expr())]));
    p.description = Some(svc.environment_account_id());
    svc.instance().add("GreetingParameter", p);
    svc.instance()
        .add("LogLevelParameter", ssm::Parameter::new("String", log_level.value()));
    svc.instance_output("SecurityGroupId", sg.r#ref());

    // Pipeline: one build project, one deploy project and one stage per instance.
    let pipe = svc.pipeline();
    let dockerfile = pipe.input(
        InputDef::string("dockerfile")
            .default("Dockerfile")
            .min_length(1)
            .max_length(100),
    );
    let lp = pipe.instances();
    let artifacts = pipe.root().add("Artifacts", s3::Bucket::new());
    let role = pipe.root().add_untyped(
        "BuildRole",
        "AWS::IAM::Role",
        Expr::Map(
            [(
                "AssumeRolePolicyDocument".to_owned(),
                assume("codebuild.amazonaws.com").into_expr(),
            )]
            .into_iter()
            .collect(),
        ),
    );
    let pipeline_role = pipe.root().add_untyped(
        "PipelineRole",
        "AWS::IAM::Role",
        Expr::Map(
            [(
                "AssumeRolePolicyDocument".to_owned(),
                assume("codepipeline.amazonaws.com").into_expr(),
            )]
            .into_iter()
            .collect(),
        ),
    );
    let mut build_src = codebuild::project::Source::new("CODEPIPELINE");
    build_src.build_spec = Some(fns::sub(
        "version: 0.2\nphases:\n  build:\n    commands:\n      - docker build -f ${Dockerfile} .\n",
        [("Dockerfile", dockerfile.value().into_expr())],
    ));
    let mut build_env =
        codebuild::project::Environment::new("BUILD_GENERAL1_SMALL", "aws/codebuild/standard:7.0", "LINUX_CONTAINER");
    build_env.environment_variables = Some(vec![
        codebuild::project::EnvironmentVariable::new("service_name", pipe.service_name()),
        codebuild::project::EnvironmentVariable::new("shell", "echo ${#ARR[@]} {{x}}"),
    ]);
    let build = pipe.root().add(
        "Build",
        codebuild::Project::new(
            codebuild::project::Artifacts::new("CODEPIPELINE"),
            build_env,
            role.get_att_unchecked::<String>("Arn"),
            build_src,
        ),
    );
    let mut deploy_env =
        codebuild::project::Environment::new("BUILD_GENERAL1_SMALL", "aws/codebuild/standard:7.0", "LINUX_CONTAINER");
    deploy_env.environment_variables = Some(vec![
        codebuild::project::EnvironmentVariable::new("instance_name", lp.name()),
        codebuild::project::EnvironmentVariable::new("greeting", lp.input(&greeting)),
        codebuild::project::EnvironmentVariable::new("cluster", lp.env_output("ClusterName")),
        codebuild::project::EnvironmentVariable::new("sg", lp.output("SecurityGroupId")),
        codebuild::project::EnvironmentVariable::new("log_level", lp.input(&log_level)),
        codebuild::project::EnvironmentVariable::new("account", lp.environment_account_id()),
    ]);
    let mut deploy_src = codebuild::project::Source::new("CODEPIPELINE");
    deploy_src.build_spec = Some("version: 0.2\nphases:\n  build:\n    commands:\n      - echo deploy\n".into());
    let deploy = pipe.per_instance().add(
        "Deploy",
        codebuild::Project::new(
            codebuild::project::Artifacts::new("CODEPIPELINE"),
            deploy_env,
            role.get_att_unchecked::<String>("Arn"),
            deploy_src,
        ),
    );

    let action = |category: &str, provider: &str, owner: &str| {
        codepipeline::pipeline::ActionTypeId::new(category, owner, provider, "1")
    };
    let mut checkout =
        codepipeline::pipeline::ActionDeclaration::new(action("Source", "CodeStarSourceConnection", "AWS"), "Checkout");
    checkout.configuration = Some(Value::object([
        ("ConnectionArn", pipe.repository_connection_arn().into_expr()),
        ("FullRepositoryId", pipe.repository_id().into_expr()),
        ("BranchName", pipe.branch_name().into_expr()),
    ]));
    checkout.output_artifacts = Some(vec![codepipeline::pipeline::OutputArtifact::new("Source")]);
    let mut build_action = codepipeline::pipeline::ActionDeclaration::new(action("Build", "CodeBuild", "AWS"), "Build");
    build_action.configuration = Some(Value::object([("ProjectName", build.r#ref().into_expr())]));
    build_action.input_artifacts = Some(vec![codepipeline::pipeline::InputArtifact::new("Source")]);
    build_action.output_artifacts = Some(vec![codepipeline::pipeline::OutputArtifact::new("BuildOutput")]);
    let mut deploy_action =
        codepipeline::pipeline::ActionDeclaration::new(action("Build", "CodeBuild", "AWS"), "Deploy");
    deploy_action.configuration = Some(Value::object([("ProjectName", deploy.r#ref().into_expr())]));
    deploy_action.input_artifacts = Some(vec![codepipeline::pipeline::InputArtifact::new("BuildOutput")]);
    let deploy_stage = codepipeline::pipeline::StageDeclaration::new(vec![deploy_action], lp.name());

    let mut pipeline = codepipeline::Pipeline::new(
        pipeline_role.get_att_unchecked::<String>("Arn"),
        vec![
            codepipeline::pipeline::StageDeclaration::new(vec![checkout], "Source"),
            codepipeline::pipeline::StageDeclaration::new(vec![build_action], "Build"),
        ],
    );
    pipeline.artifact_store = Some(codepipeline::pipeline::ArtifactStore::new(artifacts.r#ref(), "S3"));
    let pipeline = pipe.root().add("Pipeline", pipeline);
    // Splice one stage per instance into the typed pipeline's Stages.
    let per_instance = lp.items([deploy_stage.into_expr()]);
    if let Expr::Map(m) = pipe.stack_mut().resource_mut(&pipeline).properties_mut() {
        if let Some(Expr::List(stages)) = m.get_mut("Stages") {
            stages.push(per_instance);
        }
    }
    svc
}

fn synth_all() -> (TemplateOutput, TemplateOutput) {
    let env = environment();
    let svc = service(&env.interface());
    let settings = SpecSettings::default();
    let e = env.synth(&settings).unwrap_or_else(|d| panic!("{d}"));
    let s = svc.synth(&settings, None).unwrap_or_else(|d| panic!("{d}"));
    (e, s)
}

// ---------- a small Proton-like renderer (for the tests only) ----------

fn yaml(text: &str) -> J {
    serde_saphyr::from_str::<J>(text).unwrap_or_else(|e| panic!("invalid YAML: {e}\n{text}"))
}

fn jinja_env() -> minijinja::Environment<'static> {
    let mut e = minijinja::Environment::new();
    e.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    e.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    e.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
            .unwrap(),
    );
    e
}

fn render(template: &str, ctx: &J) -> String {
    let env = jinja_env();
    env.render_str(template, minijinja::value::Serde(ctx))
        .unwrap_or_else(|e| panic!("render failed: {e:#}\n{template}"))
}

/// Schema defaults merged under spec values.
fn merged(schema: &J, type_key: &str, spec: &J) -> J {
    let type_name = schema["schema"][type_key].as_str().unwrap();
    let mut out = serde_json::Map::new();
    if let Some(props) = schema["schema"]["types"][type_name]["properties"].as_object() {
        for (k, p) in props {
            if let Some(d) = p.get("default") {
                out.insert(k.clone(), d.clone());
            }
        }
    }
    if let Some(s) = spec.as_object() {
        for (k, v) in s {
            out.insert(k.clone(), v.clone());
        }
    }
    J::Object(out)
}

fn file<'a>(o: &'a TemplateOutput, path: &str) -> &'a str {
    std::str::from_utf8(o.bundle.get(path).unwrap_or_else(|| panic!("{path} missing"))).unwrap()
}

fn env_outputs() -> J {
    json!({"VpcId": "vpc-0123abcd", "ClusterName": "cluster-1", "LabelParameter": "/p/x"})
}

fn assert_cfn(rendered: &str) -> J {
    let t = yaml(rendered);
    let res = t["Resources"].as_object().expect("Resources is a mapping");
    assert!(!res.is_empty());
    for (id, r) in res {
        assert!(r.is_object(), "resource {id} is not an object");
        assert!(r["Type"].is_string(), "resource {id} has no Type");
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "logical id {id}");
    }
    t
}

fn rendered_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/proton-rendered")
}

fn write_rendered(name: &str, text: &str) {
    let dir = rendered_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

fn render_env(e: &TemplateOutput, spec: &J) -> String {
    let schema = yaml(file(e, "schema/schema.yaml"));
    let ctx =
        json!({"environment": {"name": "Beta", "inputs": merged(&schema, "environment_input_type", &spec["spec"])}});
    render(file(e, "infrastructure/cloudformation.yaml"), &ctx)
}

fn render_service(s: &TemplateOutput, spec: &J) -> (Vec<String>, String) {
    let schema = yaml(file(s, "schema/schema.yaml"));
    let mut instances = Vec::new();
    let mut items = Vec::new();
    for inst in spec["instances"].as_array().unwrap() {
        let inputs = merged(&schema, "service_input_type", &inst["spec"]);
        let environment = json!({"name": inst["environment"], "account_id": "111122223333", "outputs": env_outputs()});
        let ctx = json!({
            "environment": environment,
            "service": {"name": "api"},
            "service_instance": {"name": inst["name"], "inputs": inputs},
        });
        instances.push(render(file(s, "instance_infrastructure/cloudformation.yaml"), &ctx));
        items.push(json!({
            "name": inst["name"], "inputs": inputs, "outputs": {"SecurityGroupId": "sg-1"}, "environment": environment,
        }));
    }
    let ctx = json!({
        "service": {"name": "api", "branch_name": "main", "repository_id": "owner/repo",
                    "repository_connection_arn": "arn:aws:codestar-connections:us-east-1:111122223333:connection/abc"},
        "pipeline": {"inputs": merged(&schema, "pipeline_input_type", &spec["pipeline"])},
        "service_instances": items,
    });
    (
        instances,
        render(file(s, "pipeline_infrastructure/cloudformation.yaml"), &ctx),
    )
}

fn spec<'a>(o: &'a TemplateOutput, suffix: &str) -> &'a str {
    &o.specs
        .iter()
        .find(|(n, _)| n.ends_with(suffix))
        .unwrap_or_else(|| panic!("no spec {suffix}"))
        .1
}

// ---------- tests ----------

#[test]
fn bundles_render_with_sample_specs_for_1_and_20_instances() {
    let (e, s) = synth_all();
    let env_spec = yaml(spec(&e, ".env-spec.yaml"));
    assert_eq!(env_spec["proton"], "EnvironmentSpec");
    // The raw bundles, for inspection (not lintable before rendering).
    let raw = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/proton-bundles");
    for o in [&e, &s] {
        for (rel, body) in &o.bundle {
            let path = raw.join(&o.name).join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        }
    }
    let rendered = render_env(&e, &env_spec);
    let t = assert_cfn(&rendered);
    assert_eq!(t["Resources"]["Vpc"]["Properties"]["CidrBlock"], "10.0.0.0/16");
    // The dynamic reference and the shell/Jinja-looking literals survive rendering unchanged.
    assert_eq!(
        t["Resources"]["Vpc"]["Properties"]["Tags"][0]["Value"],
        "{{resolve:ssm:/platform/owner}}"
    );
    assert_eq!(
        t["Resources"]["Label"]["Properties"]["Description"],
        "shell ${#ARR[@]} and {% raw %} stay literal"
    );
    assert!(
        t.get("Parameters").is_none(),
        "Proton inputs are not CFN parameters in bundles"
    );
    assert!(t["Outputs"]["VpcId"].get("Export").is_none(), "no exports in bundles");
    write_rendered("vpc-env.infrastructure.yaml", &rendered);

    for n in [1usize, 20] {
        let svc_spec = yaml(spec(&s, &format!(".svc-spec-{n}.yaml")));
        assert_eq!(svc_spec["proton"], "ServiceSpec");
        assert_eq!(svc_spec["instances"].as_array().unwrap().len(), n);
        assert_eq!(svc_spec["instances"][n - 1]["name"], format!("instance-{n}"));
        assert_eq!(svc_spec["instances"][0]["environment"], "Beta");
        assert_eq!(
            svc_spec["instances"][0]["spec"]["greeting"], "hello",
            "required input gets its example"
        );
        assert_eq!(svc_spec["pipeline"]["dockerfile"], "Dockerfile");
        let (instances, pipeline) = render_service(&s, &svc_spec);
        assert_eq!(instances.len(), n);
        let t = assert_cfn(&instances[0]);
        assert_eq!(t["Resources"]["Sg"]["Properties"]["VpcId"], "vpc-0123abcd");
        assert_eq!(
            t["Resources"]["Sg"]["Properties"]["SecurityGroupIngress"][0]["FromPort"],
            80
        );
        assert_eq!(t["Resources"]["GreetingParameter"]["Properties"]["Value"], "hello");
        assert_eq!(
            t["Resources"]["GreetingParameter"]["Properties"]["Description"],
            "111122223333"
        );
        assert_eq!(t["Resources"]["LogLevelParameter"]["Properties"]["Value"], "info");
        let p = assert_cfn(&pipeline);
        let res = p["Resources"].as_object().unwrap();
        for i in 1..=n {
            let d = &res[&format!("Deploy{i}")];
            assert_eq!(d["Type"], "AWS::CodeBuild::Project");
            let vars = &d["Properties"]["Environment"]["EnvironmentVariables"];
            assert_eq!(vars[0]["Value"], format!("instance-{i}"));
            assert_eq!(vars[2]["Value"], "cluster-1");
            assert_eq!(vars[4]["Value"], "info");
            assert_eq!(vars[5]["Value"], "111122223333");
        }
        assert!(!res.contains_key(&format!("Deploy{}", n + 1)));
        let stages = p["Resources"]["Pipeline"]["Properties"]["Stages"].as_array().unwrap();
        assert_eq!(stages.len(), 2 + n);
        assert_eq!(stages[1 + n]["Name"], format!("instance-{n}"));
        assert_eq!(
            stages[1 + n]["Actions"][0]["Configuration"]["ProjectName"]["Ref"],
            format!("Deploy{n}")
        );
        let build_env = &p["Resources"]["Build"]["Properties"]["Environment"]["EnvironmentVariables"];
        assert_eq!(build_env[1]["Value"], "echo ${#ARR[@]} {{x}}");
        write_rendered(&format!("api-svc.instance.{n}.yaml"), &instances[0]);
        write_rendered(&format!("api-svc.pipeline.{n}.yaml"), &pipeline);
    }
}

#[test]
fn hostile_values_stay_valid_and_round_trip() {
    let (e, s) = synth_all();
    let env_spec = json!({"proton": "EnvironmentSpec", "spec": {"env_label": HOSTILE}});
    let t = assert_cfn(&render_env(&e, &env_spec));
    assert_eq!(t["Resources"]["Label"]["Properties"]["Value"], HOSTILE);
    let svc_spec = json!({
        "proton": "ServiceSpec",
        "pipeline": {"dockerfile": "Dock\"er'file\n{{x}}"},
        "instances": [{"name": "instance-1", "environment": "Beta", "spec": {"greeting": HOSTILE, "port": 8080}}],
    });
    let (instances, pipeline) = render_service(&s, &svc_spec);
    let t = assert_cfn(&instances[0]);
    assert_eq!(t["Resources"]["GreetingParameter"]["Properties"]["Value"], HOSTILE);
    assert_eq!(
        t["Resources"]["Sg"]["Properties"]["SecurityGroupIngress"][0]["ToPort"],
        8080
    );
    let p = assert_cfn(&pipeline);
    assert_eq!(
        p["Resources"]["Deploy1"]["Properties"]["Environment"]["EnvironmentVariables"][1]["Value"],
        HOSTILE
    );
    assert_eq!(
        p["Resources"]["Build"]["Properties"]["Source"]["BuildSpec"]["Fn::Sub"][1]["Dockerfile"],
        "Dock\"er'file\n{{x}}"
    );

    // A service with no instances yet: the loops render to nothing and the pipeline stays valid.
    let empty = json!({"proton": "ServiceSpec", "pipeline": {}, "instances": []});
    let (_, pipeline) = render_service(&s, &empty);
    let p = assert_cfn(&pipeline);
    assert_eq!(
        p["Resources"]["Pipeline"]["Properties"]["Stages"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(p["Resources"].get("Deploy1").is_none());
}

#[test]
fn bundle_layout_manifest_schema_and_registration() {
    let (e, s) = synth_all();
    let env_files: Vec<&str> = e.bundle.keys().map(String::as_str).collect();
    assert_eq!(
        env_files,
        [
            "infrastructure/cloudformation.yaml",
            "infrastructure/manifest.yaml",
            "schema/schema.yaml"
        ]
    );
    let svc_files: Vec<&str> = s.bundle.keys().map(String::as_str).collect();
    assert_eq!(
        svc_files,
        [
            "instance_infrastructure/cloudformation.yaml",
            "instance_infrastructure/manifest.yaml",
            "pipeline_infrastructure/cloudformation.yaml",
            "pipeline_infrastructure/manifest.yaml",
            "schema/schema.yaml"
        ]
    );
    let expected_manifest = "infrastructure:\n  templates:\n    - file: \"cloudformation.yaml\"\n      rendering_engine: jinja\n      template_language: cloudformation\n";
    assert_eq!(MANIFEST_YAML, expected_manifest);
    assert_eq!(file(&s, "pipeline_infrastructure/manifest.yaml"), expected_manifest);

    let schema = yaml(file(&e, "schema/schema.yaml"));
    assert_eq!(schema["schema"]["format"]["openapi"], "3.0.0");
    let t = schema["schema"]["environment_input_type"].as_str().unwrap();
    let cidr = &schema["schema"]["types"][t]["properties"]["vpc_cidr"];
    assert_eq!(cidr["type"], "string");
    assert_eq!(cidr["title"], "VPC CIDR");
    assert_eq!(cidr["default"], "10.0.0.0/16");
    assert!(cidr["pattern"].is_string());

    let schema = yaml(file(&s, "schema/schema.yaml"));
    let st = schema["schema"]["service_input_type"].as_str().unwrap();
    let pt = schema["schema"]["pipeline_input_type"].as_str().unwrap();
    let props = &schema["schema"]["types"][st]["properties"];
    assert_eq!(
        props["port"],
        json!({"type": "number", "default": 80, "minimum": 1, "maximum": 65535})
    );
    assert_eq!(schema["schema"]["types"][st]["required"], json!(["greeting"]));
    assert_eq!(
        schema["schema"]["types"][pt]["properties"]["dockerfile"]["type"],
        "string"
    );
    assert_eq!(
        s.registration.as_deref(),
        Some("compatible_environments:\n  - \"vpc-env:1\"\n")
    );
    // Unused input: a warning naming it.
    assert!(
        s.warnings.iter().any(|w| w.message.contains("\"unused_flag\"")),
        "{:?}",
        s.warnings
    );
}

#[test]
fn service_without_pipeline_has_no_pipeline_anywhere() {
    let env = environment();
    let mut svc = ServiceTemplate::new("plain-svc", &[env.interface()]);
    let name = svc.instance_input(InputDef::string("topic").default("t"));
    let mut p = ssm::Parameter::new("String", name.value());
    p.description = Some("x".into());
    svc.instance().add("P", p);
    let out = svc.synth(&SpecSettings::default(), None).unwrap();
    assert!(!out.bundle.keys().any(|k| k.starts_with("pipeline_infrastructure/")));
    let schema = yaml(file(&out, "schema/schema.yaml"));
    assert!(schema["schema"].get("pipeline_input_type").is_none());
    let spec = yaml(spec(&out, ".svc-spec-1.yaml"));
    assert!(spec.get("pipeline").is_none());
    assert!(out.warnings.iter().any(|w| w.message.contains("CUSTOMER_MANAGED")));
}

#[test]
fn reading_an_undeclared_environment_output_fails_synth() {
    let env = environment();
    let mut svc = ServiceTemplate::new("bad-svc", &[env.interface()]);
    let topic = svc.instance_input(InputDef::string("topic").default("t"));
    let missing = svc.env_output("DatabaseUrl");
    let mut p = ssm::Parameter::new("String", missing);
    p.description = Some(topic.value());
    svc.instance().add("P", p);
    let err = svc.synth(&SpecSettings::default(), None).unwrap_err().to_string();
    assert!(
        err.contains(
            "service template \"bad-svc\" reads environment output \"DatabaseUrl\" (`environment.outputs.DatabaseUrl`), which environment template \"vpc-env:1\" does not declare (it declares: VpcId, ClusterName, LabelParameter)"
        ),
        "{err}"
    );
}

#[test]
fn app_checks_outputs_against_its_own_environment_templates() {
    // The interface snapshot is taken before the output exists; the app checks the real template.
    let mut env = EnvironmentTemplate::new("late-env");
    let x = env.input(InputDef::string("x").default("a"));
    env.root().add("P", ssm::Parameter::new("String", x.value()));
    let iface = env.interface();
    let mut svc = ServiceTemplate::new("late-svc", &[iface]);
    let t = svc.instance_input(InputDef::string("t").default("a"));
    let mut p = ssm::Parameter::new("String", svc.env_output("Late"));
    p.description = Some(t.value());
    svc.instance().add("P", p);
    let mut app = App::new("a");
    app.add_environment(env).add_service(svc);
    let err = app.synth(&Default::default()).unwrap_err().to_string();
    assert!(err.contains("reads environment output \"Late\""), "{err}");
}

#[test]
fn inputs_of_the_wrong_kind_fail_synth_naming_input_and_template() {
    let env = environment();
    let mut svc = ServiceTemplate::new("mixed-svc", &[env.interface()]);
    let topic = svc.instance_input(InputDef::string("topic").default("t"));
    let dockerfile = svc
        .pipeline()
        .input(InputDef::string("dockerfile").default("Dockerfile"));
    let mut p = ssm::Parameter::new("String", dockerfile.value());
    p.description = Some(topic.value());
    svc.instance().add("P", p);
    let err = svc.synth(&SpecSettings::default(), None).unwrap_err().to_string();
    assert!(
        err.contains(
            "service template \"mixed-svc\", instance_infrastructure/cloudformation.yaml: `pipeline.inputs.dockerfile`"
        ),
        "{err}"
    );

    // An input of another environment template.
    let other = EnvironmentTemplate::new("other").input(InputDef::string("zone").default("z"));
    let mut env2 = EnvironmentTemplate::new("env2");
    let own = env2.input(InputDef::string("own").default("o"));
    let mut p = ssm::Parameter::new("String", other.value());
    p.description = Some(own.value());
    env2.root().add("P", p);
    let err = env2.synth(&SpecSettings::default()).unwrap_err().to_string();
    assert!(
        err.contains("environment input \"zone\" is not declared by environment template \"env2\""),
        "{err}"
    );
}

#[test]
fn loop_values_outside_the_loop_fail_synth() {
    let env = environment();
    let mut svc = ServiceTemplate::new("loop-svc", &[env.interface()]);
    let topic = svc.instance_input(InputDef::string("topic").default("t"));
    let pipe = svc.pipeline();
    let d = pipe.input(InputDef::string("d").default("x"));
    let lp = pipe.instances();
    let mut p = ssm::Parameter::new("String", lp.input(&topic));
    p.description = Some(d.value());
    pipe.root().add("NotLooped", p);
    let err = svc.synth(&SpecSettings::default(), None).unwrap_err().to_string();
    assert!(
        err.contains("`service_instance.inputs.topic`: only available inside the loop over service_instances"),
        "{err}"
    );

    // A looped resource referenced from outside its loop.
    let mut svc = ServiceTemplate::new("loop-svc2", &[env.interface()]);
    let topic = svc.instance_input(InputDef::string("topic").default("t"));
    let pipe = svc.pipeline();
    let lp = pipe.instances();
    let looped = pipe
        .per_instance()
        .add("Each", ssm::Parameter::new("String", lp.input(&topic)));
    pipe.root()
        .add("Outside", ssm::Parameter::new("String", looped.r#ref()));
    let err = svc.synth(&SpecSettings::default(), None).unwrap_err().to_string();
    assert!(
        err.contains("Ref to \"Each\", which is repeated once per service_instance"),
        "{err}"
    );
}

#[test]
fn unique_per_instance_inputs_get_a_value_per_instance_in_sample_specs() {
    let env = environment();
    let build = |pattern: &str| {
        let mut svc = ServiceTemplate::new("named-svc", &[env.interface()]);
        let name = svc.instance_input(
            InputDef::string("discovery_name")
                .default("api")
                .pattern(pattern)
                .unique_per_instance(),
        );
        svc.instance().add("P", ssm::Parameter::new("String", name.value()));
        svc.synth(&SpecSettings::default(), None)
    };
    let ok = build("^[a-z][a-z0-9-]*$").unwrap();
    let twenty = yaml(spec(&ok, "svc-spec-20.yaml"));
    let names: Vec<&str> = twenty["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["spec"]["discovery_name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 20);
    assert_eq!(names[..3], ["api", "api-2", "api-3"]);
    assert_eq!(
        names.iter().collect::<std::collections::BTreeSet<_>>().len(),
        20,
        "{names:?}"
    );
    let err = build("^[a-z]+$").unwrap_err().to_string();
    assert!(
        err.contains("the sample spec value of instance 2 of unique-per-instance input discovery_name: \"api-2\"")
            && err.matches("unique-per-instance").count() == 1,
        "{err}"
    );
}

#[test]
fn optional_inputs_without_default_cannot_be_used() {
    let mut env = EnvironmentTemplate::new("opt-env");
    let o = env.input(InputDef::string("maybe"));
    env.root().add("P", ssm::Parameter::new("String", o.value()));
    let err = env.synth(&SpecSettings::default()).unwrap_err().to_string();
    assert!(
        err.contains("input \"maybe\" is used but is neither required nor has a default"),
        "{err}"
    );
}

/// An optional free-text input without a default is read with `value_or_empty`: `| default('')` in the bundle
/// (a spec may leave it out), a parameter defaulting to "" in plain CloudFormation. An enum input cannot.
#[test]
fn optional_text_inputs_are_read_with_value_or_empty() {
    let mut env = EnvironmentTemplate::new("opt-env");
    let o = env.input(InputDef::string("maybe").min_length(1));
    env.root().add("P", ssm::Parameter::new("String", o.value_or_empty()));
    let out = env.synth(&SpecSettings::default()).expect("synthesizes");
    let iac = String::from_utf8(out.bundle["infrastructure/cloudformation.yaml"].clone()).unwrap();
    assert!(
        iac.contains("{{ environment.inputs.maybe | default('') | tojson }}"),
        "{iac}"
    );
    let plain = &out.plain[0].1;
    assert_eq!(plain["Parameters"]["Maybe"]["Default"], "");
    assert!(plain["Parameters"]["Maybe"].get("MinLength").is_none(), "{plain}");

    let mut env = EnvironmentTemplate::new("opt-env");
    let o = env.input(InputDef::string("choice").enum_values(["a", "b"]));
    env.root().add("P", ssm::Parameter::new("String", o.value_or_empty()));
    let err = env.synth(&SpecSettings::default()).unwrap_err().to_string();
    assert!(
        err.contains("input \"choice\" is used but is neither required"),
        "{err}"
    );
}

#[test]
fn a_template_using_no_input_fails_and_limits_are_enforced() {
    let mut env = EnvironmentTemplate::new("no-input-env");
    env.root().add("P", ssm::Parameter::new("String", "x"));
    let err = env.synth(&SpecSettings::default()).unwrap_err().to_string();
    assert!(err.contains("reference no schema input"), "{err}");

    let mut env = EnvironmentTemplate::new("bad name!");
    let x = env.input(InputDef::string("x").default("a"));
    env.root().add("P", ssm::Parameter::new("String", x.value()));
    let err = env.synth(&SpecSettings::default()).unwrap_err().to_string();
    assert!(err.contains("template name \"bad name!\" must match"), "{err}");

    let mut env = EnvironmentTemplate::new("big-env");
    let x = env.input(InputDef::string("x").default("a"));
    for i in 0..400 {
        let mut p = ssm::Parameter::new("String", x.value());
        p.description = Some("d".repeat(400).into());
        env.root().add(&format!("P{i}"), p);
    }
    let err = env.synth(&SpecSettings::default()).unwrap_err().to_string();
    assert!(
        err.contains("infrastructure/cloudformation.yaml is") && err.contains("at most 200000"),
        "{err}"
    );

    let e = environment();
    let svc = service(&e.interface());
    let settings = SpecSettings {
        environment: "Beta".into(),
        instance_counts: vec![21],
    };
    let err = svc.synth(&settings, None).unwrap_err().to_string();
    assert!(err.contains("21 instances"), "{err}");

    let err = ServiceTemplate::new("no-env", &[])
        .synth(&SpecSettings::default(), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("1 to 10 compatible environment templates"), "{err}");
}

#[test]
fn archives_are_deterministic_with_one_wrapping_folder() {
    let (e1, s1) = synth_all();
    let (e2, s2) = synth_all();
    assert_eq!(e1.tar_gz, e2.tar_gz);
    assert_eq!(s1.tar_gz, s2.tar_gz);
    // gzip header mtime is 0.
    assert_eq!(&s1.tar_gz[4..8], &[0, 0, 0, 0]);
    let gz = flate2::read::GzDecoder::new(s1.tar_gz.as_slice());
    let mut ar = tar::Archive::new(gz);
    let mut seen = Vec::new();
    let mut contents = BTreeMap::new();
    for entry in ar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let h = entry.header().clone();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        assert!(path.starts_with("api-svc/"), "{path}");
        assert_eq!(h.mtime().unwrap(), 0);
        assert_eq!(h.uid().unwrap(), 0);
        assert_eq!(h.gid().unwrap(), 0);
        assert_eq!(h.username().unwrap(), Some(""));
        let dir = h.entry_type().is_dir();
        assert_eq!(h.mode().unwrap(), if dir { 0o755 } else { 0o644 });
        if !dir {
            let mut body = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut body).unwrap();
            contents.insert(path.trim_start_matches("api-svc/").to_owned(), body);
        }
        seen.push(path);
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    assert_eq!(contents, s1.bundle);
}

#[test]
fn plain_cloudformation_has_parameters_exports_and_imports() {
    let (e, s) = synth_all();
    let (name, env) = &e.plain[0];
    assert_eq!(name, "vpc-env.template.json");
    let p = &env["Parameters"];
    assert_eq!(
        p["VpcCidr"],
        json!({"Type": "String", "Description": "The CIDR range of the VPC", "Default": "10.0.0.0/16",
               // The schema pattern is unanchored (OpenAPI); AllowedPattern must match the whole value.
               "AllowedPattern": "[\\s\\S]*(?:([0-9]{1,3}\\.){3}[0-9]{1,3}($|/(16|24)))[\\s\\S]*"})
    );
    assert_eq!(p["EnvironmentName"]["Type"], "String");
    assert_eq!(
        env["Resources"]["Vpc"]["Properties"]["CidrBlock"],
        json!({"Ref": "VpcCidr"})
    );
    assert_eq!(
        env["Outputs"]["VpcId"]["Export"]["Name"],
        json!({"Fn::Sub": ["${EnvironmentName}-VpcId", {"EnvironmentName": {"Ref": "EnvironmentName"}}]})
    );
    let (name, inst) = &s.plain[0];
    assert_eq!(name, "api-svc.instance.template.json");
    let p = &inst["Parameters"];
    assert_eq!(
        p["Port"],
        json!({"Type": "Number", "Default": 80, "MinValue": 1, "MaxValue": 65535})
    );
    assert_eq!(p["Greeting"], json!({"Type": "String", "MaxLength": 500}));
    assert!(p.get("UnusedFlag").is_none(), "parameters of unused inputs are dropped");
    for param in ["EnvironmentName", "ServiceName", "ServiceInstanceName"] {
        assert_eq!(p[param]["Type"], "String", "{param}");
    }
    assert_eq!(
        inst["Resources"]["Sg"]["Properties"]["VpcId"],
        json!({"Fn::ImportValue": {"Fn::Sub": ["${EnvironmentName}-VpcId", {"EnvironmentName": {"Ref": "EnvironmentName"}}]}})
    );
    let text = serde_json::to_string(inst).unwrap();
    assert!(!text.contains("::jinja") && !text.contains("{{"), "{text}");
    write_rendered("vpc-env.plain.json", &serde_json::to_string_pretty(env).unwrap());
    write_rendered(
        "api-svc.instance.plain.json",
        &serde_json::to_string_pretty(inst).unwrap(),
    );
}

#[test]
fn deferred_services_and_streamed_writes_give_the_same_files_as_in_memory_synthesis() {
    let eager = {
        let env = environment();
        let svc = service(&env.interface());
        let mut app = App::new("platform");
        app.add_environment(env).add_service(svc);
        app.synth(&Default::default()).unwrap_or_else(|d| panic!("{d}"))
    };
    let deferred = || {
        let env = environment();
        let interface = env.interface();
        let mut app = App::new("platform");
        app.add_environment(env).add_service_with(move || service(&interface));
        app
    };
    let in_memory = deferred().synth(&Default::default()).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(in_memory.assembly, eager.assembly);

    // `App::write` streams into a temporary folder and renames it over the output: same files, same bytes,
    // the report lists them (manifest included) and nothing is left beside the output.
    let root = std::env::temp_dir().join(format!("proton-write-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let out = root.join("out");
    let report = deferred()
        .write(&out, &Default::default())
        .unwrap_or_else(|d| panic!("{d}"));
    let expected = eager.assembly.files();
    assert_eq!(report.files.len(), expected.len());
    for (path, body) in expected {
        assert_eq!(report.files[path], body.len(), "{path}");
        assert_eq!(&std::fs::read(out.join(path)).unwrap(), body, "{path}");
    }
    assert!(
        report.proton[1].output.tar_gz.is_empty(),
        "streamed: the archive is on disk only"
    );
    let beside: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside, vec![std::ffi::OsString::from("out")]);

    // A failing program (two services with one name, one of them deferred) leaves the output as it was.
    let mut broken = deferred();
    broken.add_service_with(|| service(&environment().interface()));
    let err = broken.write(&out, &Default::default()).unwrap_err();
    assert_eq!(
        err.0.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["error: api-svc: two Proton templates have this name; names must be unique"]
    );
    for (path, body) in expected {
        assert_eq!(&std::fs::read(out.join(path)).unwrap(), body, "{path}");
    }
    let beside: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside, vec![std::ffi::OsString::from("out")]);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn app_writes_everything_with_a_manifest_and_lists_templates() {
    let env = environment();
    let svc = service(&env.interface());
    let mut app = App::new("platform");
    app.add_environment(env).add_service(svc);
    let s = app.synth(&Default::default()).unwrap_or_else(|d| panic!("{d}"));
    let files = s.assembly.files();
    for path in [
        "proton/bundles/vpc-env/schema/schema.yaml",
        "proton/bundles/vpc-env/infrastructure/cloudformation.yaml",
        "proton/bundles/vpc-env.tar.gz",
        "proton/bundles/api-svc/pipeline_infrastructure/cloudformation.yaml",
        "proton/bundles/api-svc.tar.gz",
        "proton/template-sync/vpc-env/v1/infrastructure/manifest.yaml",
        "proton/template-sync/api-svc/v1/.template-registration.yaml",
        "proton/template-sync/api-svc/v1/schema/schema.yaml",
        "proton/specs/vpc-env.env-spec.yaml",
        "proton/specs/api-svc.svc-spec-1.yaml",
        "proton/specs/api-svc.svc-spec-20.yaml",
        "proton/cloudformation/vpc-env.template.json",
        "proton/cloudformation/api-svc.instance.template.json",
        "manifest.json",
    ] {
        assert!(
            files.contains_key(path),
            "{path} missing; have {:?}",
            files.keys().collect::<Vec<_>>()
        );
    }
    let manifest: J = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let proton = manifest["proton"].as_array().unwrap();
    assert_eq!(proton[0]["name"], "vpc-env");
    assert_eq!(proton[1]["compatible_environments"], json!(["vpc-env:1"]));
    assert_eq!(proton[0]["outputs"], json!(["VpcId", "ClusterName", "LabelParameter"]));
    assert!(proton[1]["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "proton/bundles/api-svc.tar.gz"));
    let listing = proton_synth::app::proton_listing(&s.proton[1].output);
    assert!(
        listing.contains("api-svc\tproton-service\tv1\tcompatible: vpc-env:1"),
        "{listing}"
    );
    assert!(
        listing.contains("input  service_instance.inputs.port: Number"),
        "{listing}"
    );
    assert!(
        listing.contains("input  pipeline.inputs.dockerfile: String"),
        "{listing}"
    );
    assert!(listing.contains("output SecurityGroupId"), "{listing}");

    // Through the CLI: synth writes the folder.
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/proton-out");
    // Folders from before output folders carried a marker would be refused: start clean.
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/proton-local-render"));
    let env = environment();
    let svc = service(&env.interface());
    let mut app = App::new("platform");
    app.add_environment(env).add_service(svc);
    let code = app.run_with(["x", "synth", "--out", out.to_str().unwrap()].map(std::ffi::OsString::from));
    assert_eq!(code, 0);
    assert!(out.join("proton/bundles/api-svc/schema/schema.yaml").exists());

    let env = environment();
    let svc = service(&env.interface());
    let mut app = App::new("platform");
    app.add_environment(env).add_service(svc);
    assert_eq!(app.run_with(["x", "list"].map(std::ffi::OsString::from)), 0);

    // The local renderer renders the written archives with the written sample specs.
    let instances: serde_json::Map<String, J> = (1..=20)
        .map(|i| {
            (
                format!("instance-{i}"),
                json!({"outputs": {"SecurityGroupId": format!("sg-{i}")}}),
            )
        })
        .collect();
    let ctx = json!({
        "environment": {"name": "Beta"},
        "service": {"name": "api", "repository_connection_arn": "arn:aws:codestar-connections:us-east-1:111122223333:connection/abc",
                    "repository_id": "owner/repo", "branch_name": "main"},
        "account_id": "111122223333",
        "environments": {"Beta": {"outputs": env_outputs()}},
        "instances": instances,
    });
    let ctx_path = out.join("render-context.json");
    std::fs::write(&ctx_path, serde_json::to_string_pretty(&ctx).unwrap()).unwrap();
    for (bundle, spec, dir) in [
        ("vpc-env.tar.gz", "vpc-env.env-spec.yaml", "env"),
        ("api-svc.tar.gz", "api-svc.svc-spec-1.yaml", "svc-1"),
        ("api-svc.tar.gz", "api-svc.svc-spec-20.yaml", "svc-20"),
    ] {
        let args = proton_synth::engine::RenderArgs {
            bundle: out.join("proton/bundles").join(bundle),
            spec: out.join("proton/specs").join(spec),
            out: PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target/proton-local-render")
                .join(dir),
            context: Some(ctx_path.clone()),
            ..Default::default()
        };
        assert_eq!(
            proton_synth::cli::run_render(&args),
            0,
            "local render of {bundle} with {spec}"
        );
    }
}

#[test]
fn loop_synthesis_in_the_core_engine() {
    use proton_synth::constructs::synth::{LOOP_INDEX_SUFFIX, LOOP_KEY};
    use proton_synth::constructs::{Mode, Stack};
    let mut st = Stack::new("S");
    let lp = st.add_loop("item", "items");
    let a = st.root().add_untyped("A", "T::A", Expr::Map(Default::default()));
    let b = st.root_in_loop(&lp).add_untyped(
        "B",
        "T::B",
        Expr::Map([("X".to_owned(), a.r#ref().into_expr())].into_iter().collect()),
    );
    let c = st.root_in_loop(&lp).add_untyped(
        "C",
        "T::C",
        Expr::Map(
            [("Y".to_owned(), b.get_att_unchecked::<String>("Arn").into_expr())]
                .into_iter()
                .collect(),
        ),
    );
    st.add_dependency(&c, &b);
    st.root().add_untyped(
        "D",
        "T::D",
        Expr::Map(
            [(
                "L".to_owned(),
                Expr::List(vec![Expr::Str("first".into()), lp.items([c.r#ref().into_expr()])]),
            )]
            .into_iter()
            .collect(),
        ),
    );
    let bundle = st.synth(Mode::Bundle).unwrap().template;
    let group = &bundle["Resources"][format!("{LOOP_KEY}:0")];
    assert_eq!(group["::for"], "item in items");
    let body = &group["::body"];
    assert_eq!(
        body[format!("B{LOOP_INDEX_SUFFIX}")]["Properties"]["X"],
        json!({"Ref": "A"})
    );
    assert_eq!(
        body[format!("C{LOOP_INDEX_SUFFIX}")]["Properties"]["Y"],
        json!({"Fn::GetAtt": [{"::jinja": "B{{ loop.index }}"}, "Arn"]})
    );
    assert_eq!(
        bundle["Resources"]["D"]["Properties"]["L"],
        json!(["first", {"::for": "item in items", "::items": [{"Ref": {"::jinja": "C{{ loop.index }}"}}]}])
    );
    let plain = st.synth(Mode::Plain).unwrap().template;
    assert_eq!(
        plain["Resources"]["D"]["Properties"]["L"],
        json!(["first", {"Ref": "C"}])
    );
    assert_eq!(
        plain["Resources"]["C"]["Properties"]["Y"],
        json!({"Fn::GetAtt": ["B", "Arn"]})
    );
}

/// Independent of the synthesizer's own check: scan the written IaC text for every `{{ … }}` expression and
/// every loop, and verify each variable is a schema input of the right type or a resource parameter the
/// template kind may use (format notes, section 4.1).
#[test]
fn every_jinja_variable_in_the_written_bundles_is_declared() {
    let (e, s) = synth_all();
    let props = |o: &TemplateOutput, key: &str| -> Vec<String> {
        let schema = yaml(file(o, "schema/schema.yaml"));
        let t = schema["schema"][key].as_str().unwrap().to_owned();
        schema["schema"]["types"][&t]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let env_inputs = props(&e, "environment_input_type");
    let svc_inputs = props(&s, "service_input_type");
    let pipe_inputs = props(&s, "pipeline_input_type");
    let env_outputs = &e.outputs;
    let inst_outputs = &s.outputs;
    let allowed = |kind: &str, path: &str, in_loop: bool| -> bool {
        let parts: Vec<&str> = path.split('.').collect();
        let has = |list: &[String], n: &str| list.iter().any(|x| x == n);
        match (kind, parts.as_slice()) {
            ("env", ["environment", "name"]) => true,
            ("env", ["environment", "inputs", n]) => has(&env_inputs, n),
            ("inst", ["environment", "name" | "account_id"]) => true,
            ("inst", ["environment", "outputs", n]) => has(env_outputs, n),
            ("inst", ["service", "name"]) | ("inst", ["service_instance", "name"]) => true,
            ("inst", ["service_instance", "inputs", n]) => has(&svc_inputs, n),
            ("pipe", ["service", "name" | "branch_name" | "repository_id" | "repository_connection_arn"]) => true,
            ("pipe", ["pipeline", "inputs", n]) => has(&pipe_inputs, n),
            ("pipe", ["loop", "index"]) => in_loop,
            ("pipe", ["service_instance", "name"]) => in_loop,
            ("pipe", ["service_instance", "inputs", n]) => in_loop && has(&svc_inputs, n),
            ("pipe", ["service_instance", "outputs", n]) => in_loop && has(inst_outputs, n),
            ("pipe", ["service_instance", "environment", "name" | "account_id"]) => in_loop,
            ("pipe", ["service_instance", "environment", "outputs", n]) => in_loop && has(env_outputs, n),
            _ => false,
        }
    };
    let mut used = std::collections::BTreeSet::new();
    for (kind, text) in [
        ("env", file(&e, "infrastructure/cloudformation.yaml")),
        ("inst", file(&s, "instance_infrastructure/cloudformation.yaml")),
        ("pipe", file(&s, "pipeline_infrastructure/cloudformation.yaml")),
    ] {
        let mut in_loop = false;
        let mut loops = 0;
        for line in text.lines() {
            if line.contains("{%") {
                match line {
                    "{% for service_instance in service_instances %}" => {
                        assert_eq!(kind, "pipe", "only pipelines loop");
                        assert!(!in_loop, "nested loop");
                        in_loop = true;
                        loops += 1;
                    }
                    "{% endfor %}" => {
                        assert!(in_loop);
                        in_loop = false;
                    }
                    other => assert!(
                        !other.trim_start().starts_with("{%"),
                        "unexpected statement line {other:?}"
                    ),
                }
            }
            let mut rest = line;
            while let Some(i) = rest.find("{{") {
                rest = &rest[i + 2..];
                let end = rest.find("}}").expect("unclosed expression");
                let expr = rest[..end].trim();
                rest = &rest[end + 2..];
                if expr.starts_with('"') {
                    assert_eq!(
                        expr, "\"{\"",
                        "only the `{{{{ \"{{\" }}}}` escape uses a string literal"
                    );
                    continue;
                }
                let path = expr
                    .split(['|', ' '])
                    .next()
                    .unwrap()
                    .replace("[\"", ".")
                    .replace("\"]", "");
                let path = path.as_str();
                assert!(
                    allowed(kind, path, in_loop),
                    "{kind}: `{path}` (in loop: {in_loop}) is not declared / not allowed"
                );
                used.insert(path.to_owned());
            }
        }
        assert!(!in_loop, "unclosed loop");
        if kind == "pipe" {
            assert_eq!(loops, 2, "one resource loop and one stage loop");
        }
    }
    for v in [
        "environment.inputs.vpc_cidr",
        "service_instance.inputs.port",
        "pipeline.inputs.dockerfile",
        "loop.index",
    ] {
        assert!(used.contains(v), "{v} not used; used: {used:?}");
    }
}

#[test]
fn cloudformation_parameters_without_default_are_rejected_in_bundles() {
    use proton_synth::constructs::Parameter;
    let mut env = EnvironmentTemplate::new("param-env");
    let x = env.input(InputDef::string("x").default("a"));
    let user = env.root().add_parameter("Extra", Parameter::<String>::string());
    let mut p = ssm::Parameter::new("String", x.value());
    p.description = Some(user.r#ref());
    env.root().add("P", p);
    let err = env.synth(&SpecSettings::default()).unwrap_err().to_string();
    assert!(
        err.contains("CloudFormation parameter \"Extra\" has no Default"),
        "{err}"
    );
}

#[test]
fn looped_ids_that_can_collide_after_rendering_are_rejected() {
    let env = environment();
    let mut svc = ServiceTemplate::new("collide-svc", &[env.interface()]);
    let topic = svc.instance_input(InputDef::string("topic").default("t"));
    let pipe = svc.pipeline();
    let lp = pipe.instances();
    pipe.per_instance()
        .add("Deploy", ssm::Parameter::new("String", lp.input(&topic)));
    pipe.root().add("Deploy12", ssm::Parameter::new("String", "x"));
    let err = svc.synth(&SpecSettings::default(), None).unwrap_err().to_string();
    assert!(
        err.contains("logical ID \"Deploy12\" can collide with \"Deploy\""),
        "{err}"
    );
}

#[test]
fn pipeline_reads_only_declared_instance_and_environment_outputs() {
    let env = environment();
    let mut svc = ServiceTemplate::new("out-svc", &[env.interface()]);
    let topic = svc.instance_input(InputDef::string("topic").default("t"));
    let pipe = svc.pipeline();
    let lp = pipe.instances();
    let mut p = ssm::Parameter::new("String", lp.output("Nope"));
    p.description = Some(lp.env_output("AlsoNope"));
    p.name = Some(lp.input(&topic));
    pipe.per_instance().add("Each", p);
    let err = svc.synth(&SpecSettings::default(), None).unwrap_err().to_string();
    assert!(
        err.contains("reads instance output \"Nope\" (`service_instance.outputs.Nope`), which its instance template does not declare"),
        "{err}"
    );
    assert!(err.contains("reads environment output \"AlsoNope\""), "{err}");
}

#[test]
fn an_input_and_a_resource_with_the_same_logical_id_are_reported_clearly() {
    let mut env = EnvironmentTemplate::new("clash-env");
    let level = env.input(InputDef::string("log_level").default("info"));
    env.root().add("LogLevel", ssm::Parameter::new("String", level.value()));
    let err = env.synth(&SpecSettings::default()).unwrap_err().to_string();
    assert!(
        err.contains("logical ID \"LogLevel\" in Resources/Parameters is produced by both \"clash-env/LogLevel\" and \"clash-env/input:log_level\"")
            || err.contains("logical ID \"LogLevel\" in Resources/Parameters is produced by both \"clash-env/input:log_level\" and \"clash-env/LogLevel\""),
        "{err}"
    );
}

#[test]
fn refs_to_input_parameters_by_name_are_rejected_in_bundles() {
    let mut env = EnvironmentTemplate::new("ref-env");
    let x = env.input(InputDef::string("x").default("a"));
    let mut p = ssm::Parameter::new("String", x.value());
    p.description = Some(Value::from_expr(Expr::RefName("X".into())));
    env.root().add("P", p);
    let err = env.synth(&SpecSettings::default()).unwrap_err().to_string();
    assert!(
        err.contains("`Ref: X` points to the plain-CloudFormation parameter"),
        "{err}"
    );
}

// ----------------------------------------------------------------------------------------------------------
// Schema input types: names, descriptions; template descriptions; instance output descriptions

/// An environment template with one input (`x`, used) and the given builder steps.
fn small_env(build: impl FnOnce(EnvironmentTemplate) -> EnvironmentTemplate) -> EnvironmentTemplate {
    let mut env = build(EnvironmentTemplate::new("small-env"));
    let x = env.input(InputDef::string("x").default("a"));
    env.root().add("P", ssm::Parameter::new("String", x.value()));
    env
}

/// A service template with one instance input (`x`) and, when `pipeline`, a pipeline with one input (`b`).
fn small_svc(
    build: impl FnOnce(ServiceTemplate) -> ServiceTemplate,
    pipeline: Option<fn(&mut PipelineTemplate)>,
) -> ServiceTemplate {
    let env = EnvironmentInterface::new("small-env", 1, ["VpcId"]);
    let mut svc = build(ServiceTemplate::new("small-svc", &[env]));
    let x = svc.instance_input(InputDef::string("x").default("a"));
    svc.instance().add("P", ssm::Parameter::new("String", x.value()));
    if let Some(configure) = pipeline {
        let pipe = svc.pipeline();
        configure(pipe);
        let b = pipe.input(InputDef::string("b").default("b"));
        pipe.root().add("Q", ssm::Parameter::new("String", b.value()));
    }
    svc
}

fn plain_template(o: &TemplateOutput) -> &J {
    &o.plain[0].1
}

#[test]
fn environment_input_type_name_is_configurable() {
    let e = small_env(|t| t.input_type_name("PublicEnvironmentInput"))
        .synth(&SpecSettings::default())
        .unwrap();
    assert_eq!(
        file(&e, "schema/schema.yaml"),
        "schema:\n  format:\n    openapi: \"3.0.0\"\n  environment_input_type: \"PublicEnvironmentInput\"\n  types:\n    PublicEnvironmentInput:\n      type: \"object\"\n      properties:\n        x:\n          type: \"string\"\n          default: \"a\"\n"
    );
    // Default name without the builder.
    let d = small_env(|t| t).synth(&SpecSettings::default()).unwrap();
    assert!(
        file(&d, "schema/schema.yaml")
            .contains("  environment_input_type: \"EnvironmentInput\"\n  types:\n    EnvironmentInput:\n"),
        "{}",
        file(&d, "schema/schema.yaml")
    );
}

#[test]
fn environment_input_type_description_is_separate_from_the_template_description() {
    let e = small_env(|t| t.description("The stack").input_type_description("The inputs"))
        .synth(&SpecSettings::default())
        .unwrap();
    assert_eq!(
        file(&e, "schema/schema.yaml"),
        "schema:\n  format:\n    openapi: \"3.0.0\"\n  environment_input_type: \"EnvironmentInput\"\n  types:\n    EnvironmentInput:\n      type: \"object\"\n      description: \"The inputs\"\n      properties:\n        x:\n          type: \"string\"\n          default: \"a\"\n"
    );
    assert!(
        file(&e, "infrastructure/cloudformation.yaml").contains("\nDescription: \"The stack\"\n"),
        "{}",
        file(&e, "infrastructure/cloudformation.yaml")
    );
    assert_eq!(plain_template(&e)["Description"], "The stack");
    // Backward compatible: `description` alone describes both.
    let b = small_env(|t| t.description("Both"))
        .synth(&SpecSettings::default())
        .unwrap();
    assert!(file(&b, "schema/schema.yaml").contains("      description: \"Both\"\n"));
    assert_eq!(plain_template(&b)["Description"], "Both");
    // The type description alone leaves the CloudFormation template without a description.
    let t = small_env(|t| t.input_type_description("Only the type"))
        .synth(&SpecSettings::default())
        .unwrap();
    assert!(file(&t, "schema/schema.yaml").contains("      description: \"Only the type\"\n"));
    assert!(plain_template(&t).get("Description").is_none());
    assert!(!file(&t, "infrastructure/cloudformation.yaml").contains("Only the type"));
}

#[test]
fn service_and_pipeline_input_types_are_configurable() {
    let s = small_svc(
        |t| {
            t.description("The instance stack")
                .input_type_name("LoadBalancedServiceInput")
                .input_type_description("Instance inputs")
        },
        Some(|p| {
            p.description("The pipeline stack")
                .input_type_name("PipelineInputs")
                .input_type_description("Pipeline input properties");
        }),
    )
    .synth(&SpecSettings::default(), None)
    .unwrap();
    assert_eq!(
        file(&s, "schema/schema.yaml"),
        "schema:\n  format:\n    openapi: \"3.0.0\"\n  service_input_type: \"LoadBalancedServiceInput\"\n  pipeline_input_type: \"PipelineInputs\"\n  types:\n    LoadBalancedServiceInput:\n      type: \"object\"\n      description: \"Instance inputs\"\n      properties:\n        x:\n          type: \"string\"\n          default: \"a\"\n    PipelineInputs:\n      type: \"object\"\n      description: \"Pipeline input properties\"\n      properties:\n        b:\n          type: \"string\"\n          default: \"b\"\n"
    );
    assert!(file(&s, "instance_infrastructure/cloudformation.yaml").contains("\nDescription: \"The instance stack\"\n"));
    assert!(file(&s, "pipeline_infrastructure/cloudformation.yaml").contains("\nDescription: \"The pipeline stack\"\n"));
    assert_eq!(plain_template(&s)["Description"], "The instance stack");
}

#[test]
fn service_input_type_defaults_are_unchanged() {
    let s = small_svc(|t| t.description("Both"), Some(|_| {}))
        .synth(&SpecSettings::default(), None)
        .unwrap();
    assert_eq!(
        file(&s, "schema/schema.yaml"),
        "schema:\n  format:\n    openapi: \"3.0.0\"\n  service_input_type: \"ServiceInstanceInput\"\n  pipeline_input_type: \"PipelineInput\"\n  types:\n    ServiceInstanceInput:\n      type: \"object\"\n      description: \"Both\"\n      properties:\n        x:\n          type: \"string\"\n          default: \"a\"\n    PipelineInput:\n      type: \"object\"\n      properties:\n        b:\n          type: \"string\"\n          default: \"b\"\n"
    );
    assert!(!file(&s, "pipeline_infrastructure/cloudformation.yaml").contains("\nDescription:"));
}

#[test]
fn input_type_names_must_be_identifiers() {
    let err = small_env(|t| t.input_type_name("Public-Env"))
        .synth(&SpecSettings::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("environment template \"small-env\": the schema input type name \"Public-Env\" (environment_input_type) must be an identifier ([A-Za-z_][A-Za-z0-9_]*)"),
        "{err}"
    );
    let err = small_svc(
        |t| t.input_type_name(""),
        Some(|p| {
            p.input_type_name("1Pipeline");
        }),
    )
    .synth(&SpecSettings::default(), None)
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("service template \"small-svc\": the schema input type name \"\" (service_input_type) must be an identifier ([A-Za-z_][A-Za-z0-9_]*)"),
        "{err}"
    );
    assert!(
        err.contains("service template \"small-svc\": the schema input type name \"1Pipeline\" (pipeline_input_type) must be an identifier ([A-Za-z_][A-Za-z0-9_]*)"),
        "{err}"
    );
}

#[test]
fn service_and_pipeline_input_types_need_different_names() {
    let err = small_svc(
        |t| t.input_type_name("Inputs"),
        Some(|p| {
            p.input_type_name("Inputs");
        }),
    )
    .synth(&SpecSettings::default(), None)
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("service template \"small-svc\": service_input_type and pipeline_input_type are both named \"Inputs\"; give the input types different names"),
        "{err}"
    );
    // The pipeline's default name is free to take without a pipeline.
    small_svc(|t| t.input_type_name("PipelineInput"), None)
        .synth(&SpecSettings::default(), None)
        .unwrap();
}

#[test]
fn instance_outputs_can_have_a_description() {
    let mut svc = small_svc(|t| t, None);
    svc.instance_output_with_description("Url", "http://x", Some("The URL to access the service"));
    svc.instance_output("Plain", "y");
    let s = svc.synth(&SpecSettings::default(), None).unwrap();
    let iac = file(&s, "instance_infrastructure/cloudformation.yaml");
    assert!(
        iac.ends_with("Outputs:\n  Url:\n    Description: \"The URL to access the service\"\n    Value: \"http://x\"\n  Plain:\n    Value: \"y\"\n"),
        "{iac}"
    );
    assert_eq!(
        plain_template(&s)["Outputs"]["Url"],
        json!({"Description": "The URL to access the service", "Value": "http://x"})
    );
    assert_eq!(s.outputs, ["Url", "Plain"]);
}

#[test]
fn one_root_cause_gives_one_diagnostic() {
    use proton_synth::constructs::ec2::{Vpc, VpcProps};
    let mut env = EnvironmentTemplate::new("bad-cidr");
    let label = env.input(InputDef::string("label").default("x"));
    let mut root = env.root();
    Vpc::new(
        &mut root,
        "Vpc",
        VpcProps {
            cidr: "10.0.0.0/33".to_owned(),
            ..VpcProps::default()
        },
    );
    root.add("LabelParam", ssm::Parameter::new("String", label.value()));
    let err = env.synth(&SpecSettings::default()).unwrap_err();
    let all: Vec<String> = err.0.iter().map(ToString::to_string).collect();
    assert_eq!(all.len(), 1, "one root cause, one diagnostic: {all:#?}");
    assert!(all[0].contains("10.0.0.0/33"), "{all:#?}");
}
