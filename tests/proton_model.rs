//! The Proton model on the synthesis side (issue #12, item 3): directly defined components and service
//! templates reading their outputs, customer-managed (schema-only) environment templates, and plain
//! CloudFormation for pipelines. Plain and rendered templates are written to `target/proton-rendered/model/` for
//! cfn-lint and the security gate.

use std::fs;
use std::path::PathBuf;

use proton_synth::app::{App, SynthOptions, Synthesis};
use proton_synth::constructs::cfn::ssm;
use proton_synth::engine::{check_bundle, has_errors, load_bundle};
use proton_synth::proton::{
    render_component, ComponentContext, ComponentInterface, ComponentTemplate, CustomerManagedEnvironmentTemplate,
    EnvironmentInterface, EnvironmentTemplate, InputDef, ServiceTemplate, SpecSettings,
};
use serde_json::{json, Value as J};

fn out_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/proton-rendered/model");
    fs::create_dir_all(&d).unwrap();
    d
}

fn environment() -> EnvironmentTemplate {
    let mut env = EnvironmentTemplate::new("small-env");
    let label = env.input(InputDef::string("label").default("platform"));
    let p = env
        .root()
        .add("LabelParam", ssm::Parameter::new("String", label.value()));
    env.output("LabelName", p.r#ref());
    env
}

/// A component: one SSM parameter named after the component, reading an environment output.
fn component(env: &EnvironmentInterface) -> ComponentTemplate {
    let mut c = ComponentTemplate::new("notes", std::slice::from_ref(env)).description("A note per instance");
    let label = c.env_output("LabelName");
    let name = c.component_name();
    let mut p = ssm::Parameter::new("String", label);
    p.description = Some(name);
    let p = c.root().add("Note", p);
    c.output("NoteName", p.r#ref());
    c
}

/// A service reading the component's `NoteName` (default `none`).
fn service(env: &EnvironmentInterface, comp: Option<ComponentInterface>, read: &str) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new("note-svc", std::slice::from_ref(env));
    if let Some(c) = comp {
        svc.supports_component(c);
    }
    let greeting = svc.instance_input(InputDef::string("greeting").default("hello"));
    let note = svc.component_output(read, "none");
    let mut p = ssm::Parameter::new("String", greeting.value());
    p.description = Some(note);
    svc.instance().add("GreetingParam", p);
    svc
}

fn synth(app: &App) -> Synthesis {
    app.synth(&SynthOptions::default())
        .unwrap_or_else(|e| panic!("synth failed:\n{e}"))
}

fn text(s: &Synthesis, path: &str) -> String {
    String::from_utf8(
        s.assembly
            .get(path)
            .unwrap_or_else(|| panic!("{path} not written"))
            .to_vec(),
    )
    .unwrap()
}

#[test]
fn a_component_is_synthesized_into_its_own_output_and_renders() {
    let env = environment();
    let comp = component(&env.interface());
    let mut app = App::new("t");
    app.add_component(comp);
    app.add_environment(env);
    let s = synth(&app);
    assert_eq!(
        text(&s, "proton/components/notes/manifest.yaml"),
        proton_synth::proton::MANIFEST_YAML
    );
    let iac = text(&s, "proton/components/notes/cloudformation.yaml");
    assert!(iac.contains("{{ environment.outputs.LabelName | tojson }}"), "{iac}");
    assert!(iac.contains("{{ component.name | tojson }}"), "{iac}");
    assert!(!iac.contains("Parameters"), "{iac}");
    let plain: J = serde_json::from_str(&text(&s, "proton/cloudformation/notes.component.template.json")).unwrap();
    assert_eq!(plain["Parameters"]["ComponentName"]["Type"], "String");
    assert_eq!(
        plain["Resources"]["Note"]["Properties"]["Value"],
        json!({"Fn::ImportValue": {"Fn::Sub": ["${EnvironmentName}-LabelName", {"EnvironmentName": {"Ref": "EnvironmentName"}}]}})
    );
    let summary = s.summaries.iter().find(|t| t.name == "notes").unwrap();
    assert_eq!(summary.kind, "proton-component");
    let ctx = ComponentContext {
        component: "notes-1".into(),
        environment: "Beta".into(),
        account_id: "111122223333".into(),
        environment_outputs: [("LabelName".to_owned(), "label-param".to_owned())]
            .into_iter()
            .collect(),
        service: "note-svc".into(),
        service_instance: "instance-1".into(),
        ..ComponentContext::default()
    };
    let rendered = render_component(&iac, &ctx).unwrap();
    assert!(rendered.contains("Value: \"label-param\""), "{rendered}");
    fs::write(out_dir().join("notes.component.rendered.yaml"), &rendered).unwrap();
    fs::write(
        out_dir().join("notes.component.plain.json"),
        serde_json::to_string_pretty(&plain).unwrap(),
    )
    .unwrap();
    // The attached instance's inputs: `service_instance.inputs.<n>`, a parameter in plain CloudFormation.
    let mut svc = ServiceTemplate::new("s", &[environment().interface()]);
    let size = svc.instance_input(InputDef::number("queue_size").default(5.0));
    let mut c = ComponentTemplate::new("sized", &[]);
    let v = c.instance_input(&size);
    let props = [("DelaySeconds".to_owned(), v.into_expr())].into_iter().collect();
    c.root()
        .add_untyped("Q", "AWS::SQS::Queue", proton_synth::constructs::Expr::Map(props));
    let out = c.synth().unwrap();
    let text = String::from_utf8(out.files["cloudformation.yaml"].clone()).unwrap();
    assert!(text.contains("{{ service_instance.inputs.queue_size }}"), "{text}");
    assert_eq!(out.plain["Parameters"]["QueueSize"]["Type"], "Number");
    // A missing environment output is a strict-undefined error, as in Proton.
    let e = render_component(&iac, &ComponentContext::default()).unwrap_err();
    assert!(e.contains("rendering the component failed"), "{e}");
}

#[test]
fn a_component_reads_only_its_namespace_and_declared_environment_outputs() {
    let env = environment();
    let mut c = ComponentTemplate::new("bad", &[env.interface()]);
    let missing = c.env_output("Nope");
    c.root().add("P", ssm::Parameter::new("String", missing));
    let e = c.synth().unwrap_err().to_string();
    assert!(
        e.contains("reads environment output \"Nope\"") && e.contains("\"small-env:1\"") && e.contains("LabelName"),
        "{e}"
    );
    // Instance outputs are a pipeline's; a component cannot read them.
    let mut svc = ServiceTemplate::new("s", &[env.interface()]);
    let lp = svc.pipeline().instances();
    let mut c = ComponentTemplate::new("bad2", &[]);
    c.root().add("P", ssm::Parameter::new("String", lp.output("X")));
    let e = c.synth().unwrap_err().to_string();
    assert!(
        e.contains("`service_instance.outputs.X` is not available in a component (it may use component.name"),
        "{e}"
    );
}

#[test]
fn a_service_reads_component_outputs_with_a_default_and_registers_direct_components() {
    let env = environment();
    let comp = component(&env.interface());
    let svc = service(&env.interface(), Some(comp.interface()), "NoteName");
    let out = svc.synth(&SpecSettings::default(), None).unwrap();
    let iac = String::from_utf8(out.bundle["instance_infrastructure/cloudformation.yaml"].clone()).unwrap();
    assert!(
        iac.contains(r#"{{ service_instance.components.default.outputs.NoteName | default("none") | tojson }}"#),
        "{iac}"
    );
    let reg = out.registration.unwrap();
    assert!(
        reg.contains("supported_component_sources:\n  - \"DIRECTLY_DEFINED\""),
        "{reg}"
    );
    let (_, plain) = &out.plain[0];
    assert_eq!(
        plain["Parameters"]["ComponentNoteName"],
        json!({"Type": "String", "Description": "Output NoteName of the component attached to the service instance (AWS Proton service_instance.components.default.outputs.NoteName)", "Default": "none"})
    );
    assert_eq!(
        plain["Resources"]["GreetingParam"]["Properties"]["Description"],
        json!({"Ref": "ComponentNoteName"})
    );
}

#[test]
fn reading_an_undeclared_component_output_fails_naming_both() {
    let env = environment();
    let comp = component(&env.interface());
    let e = service(&env.interface(), Some(comp.interface()), "Missing")
        .synth(&SpecSettings::default(), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("service template \"note-svc\" reads component output \"Missing\"")
            && e.contains("component template \"notes\" does not declare (it declares: NoteName)"),
        "{e}"
    );
    // Every declared component template must declare what is read, like compatible environment templates.
    let mut svc = service(&env.interface(), Some(comp.interface()), "NoteName");
    svc.supports_component(ComponentInterface::new("other", ["QueueUrl"]));
    let e = svc.synth(&SpecSettings::default(), None).unwrap_err().to_string();
    assert!(
        e.contains("component template \"other\" does not declare (it declares: QueueUrl)"),
        "{e}"
    );
    let e = service(&env.interface(), None, "NoteName")
        .synth(&SpecSettings::default(), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("declares no component; call ServiceTemplate::supports_component"),
        "{e}"
    );
    let mut svc = service(&env.interface(), Some(comp.interface()), "NoteName");
    let _ = svc.component_output("NoteName", "{{ evil }}");
    let e = svc.synth(&SpecSettings::default(), None).unwrap_err().to_string();
    assert!(e.contains("holds `{`, `}` or a control character"), "{e}");
}

#[test]
fn customer_managed_environment_round_trips_through_check_and_render() {
    let mut env = CustomerManagedEnvironmentTemplate::new("imported-env").description("Provisioned by Terraform");
    env.output("LabelName")
        .output_with_description("QueueUrl", "URL of a queue the platform team owns");
    let mut svc = ServiceTemplate::new("reader-svc", &[env.interface()]);
    let greeting = svc.instance_input(InputDef::string("greeting").default("hello"));
    let label = svc.env_output("LabelName");
    let mut p = ssm::Parameter::new("String", greeting.value());
    p.description = Some(label);
    svc.instance().add("GreetingParam", p);
    let mut app = App::new("t");
    app.add_customer_managed_environment(env);
    app.add_service(svc);
    let s = synth(&app);
    let schema = text(&s, "proton/bundles/imported-env/schema/schema.yaml");
    assert!(
        schema.contains("environment_input_type: \"EnvironmentInput\""),
        "{schema}"
    );
    assert!(
        schema.contains("required:\n        - \"LabelName\"\n        - \"QueueUrl\"") && !schema.contains("default"),
        "{schema}"
    );
    assert!(s
        .assembly
        .get("proton/bundles/imported-env/infrastructure/manifest.yaml")
        .is_none());
    // Load the written archive back, check it, and render the service against it with an outputs file.
    // Inputs in a scratch folder (cfn-lint reads every file below target/proton-rendered/), output beside them.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/catalog-scratch/customer-managed");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let rendered_dir = out_dir().join("customer-managed");
    for (name, file) in [("imported-env", "env.tar.gz"), ("reader-svc", "svc.tar.gz")] {
        fs::write(
            dir.join(file),
            s.assembly.get(&format!("proton/bundles/{name}.tar.gz")).unwrap(),
        )
        .unwrap();
    }
    let env_bundle = load_bundle(&dir.join("env.tar.gz")).unwrap();
    let findings = check_bundle(&env_bundle);
    assert!(!has_errors(&findings), "{findings:#?}");
    fs::write(
        dir.join("beta.json"),
        r#"{"LabelName": "label-param", "QueueUrl": "https://sqs.example/q"}"#,
    )
    .unwrap();
    fs::write(
        dir.join("svc-spec.yaml"),
        text(&s, "proton/specs/reader-svc.svc-spec-1.yaml"),
    )
    .unwrap();
    let code = App::new("t").run_with(
        [
            "t".into(),
            "render".into(),
            dir.join("svc.tar.gz").into_os_string(),
            "--spec".into(),
            dir.join("svc-spec.yaml").into_os_string(),
            "--out".into(),
            rendered_dir.clone().into_os_string(),
            "--service-name".into(),
            "reader".into(),
            "--env-outputs".into(),
            format!("Beta={}", dir.join("beta.json").display()).into(),
        ]
        .map(std::ffi::OsString::from),
    );
    assert_eq!(code, 0);
    let rendered = fs::read_to_string(rendered_dir.join("instance-instance-1.yaml")).unwrap();
    assert!(rendered.contains("\"label-param\""), "{rendered}");
    // A service reading an output the customer-managed environment does not provide fails, as for any environment.
    let mut env = CustomerManagedEnvironmentTemplate::new("imported-env");
    env.output("LabelName");
    let mut svc = ServiceTemplate::new("reader-svc", &[env.interface()]);
    let g = svc.instance_input(InputDef::string("greeting").default("hello"));
    let mut p = ssm::Parameter::new("String", g.value());
    p.description = Some(svc.env_output("Other"));
    svc.instance().add("GreetingParam", p);
    let e = svc.synth(&SpecSettings::default(), None).unwrap_err().to_string();
    assert!(e.contains("reads environment output \"Other\""), "{e}");
    assert!(CustomerManagedEnvironmentTemplate::new("empty")
        .synth(&SpecSettings::default())
        .unwrap_err()
        .to_string()
        .contains("declares no output"));
}

#[test]
fn the_pipeline_gets_plain_cloudformation_with_per_instance_parameters() {
    let env = environment();
    let mut svc = ServiceTemplate::new("piped-svc", &[env.interface()]);
    let greeting = svc.instance_input(InputDef::string("greeting").default("hello"));
    let p = svc
        .instance()
        .add("GreetingParam", ssm::Parameter::new("String", greeting.value()));
    svc.instance_output("GreetingName", p.r#ref());
    let pipe = svc.pipeline();
    let step = pipe.input(InputDef::string("step").default("build"));
    let each = pipe.instances();
    let branch = pipe.branch_name();
    let mut v = ssm::Parameter::new("String", each.output("GreetingName"));
    v.description = Some(branch);
    pipe.per_instance().add("PerInstance", v);
    let mut w = ssm::Parameter::new("String", step.value());
    w.description = Some(each.env_output("LabelName"));
    w.name = Some(each.name());
    pipe.per_instance().add("Other", w);
    let out = svc.synth(&SpecSettings::default(), None).unwrap();
    let (name, plain) = &out.plain[1];
    assert_eq!(name, "piped-svc.pipeline.template.json");
    let params = plain["Parameters"].as_object().unwrap();
    let names: Vec<&String> = params.keys().collect();
    assert_eq!(
        names,
        [
            "BranchName",
            "Step",
            "ServiceInstanceOutputsGreetingName",
            "ServiceInstanceEnvironmentOutputsLabelName",
            "ServiceInstanceName"
        ],
    );
    assert_eq!(
        plain["Resources"]["PerInstance"]["Properties"]["Value"],
        json!({"Ref": "ServiceInstanceOutputsGreetingName"})
    );
    let keys: Vec<&String> = plain.as_object().unwrap().keys().collect();
    assert_eq!(
        keys.iter().position(|k| *k == "Parameters"),
        Some(keys.iter().position(|k| *k == "Resources").unwrap() - 1)
    );
    let text = serde_json::to_string(plain).unwrap();
    assert!(!text.contains("{{") && !text.contains("::jinja"), "{text}");
    fs::write(
        out_dir().join("piped-svc.pipeline.plain.json"),
        serde_json::to_string_pretty(plain).unwrap(),
    )
    .unwrap();
}
