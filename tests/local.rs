//! Integration tests of the local Proton renderer and checker (`proton_synth::engine`).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use proton_synth::cli::{run_check, run_render};
use proton_synth::engine::{
    check_bundle, check_templates, context_from_args, load_bundle, load_context_file, parse_schema, render_bundle,
    render_with_report, Analysis, Bundle, BundleKind, CheckArgs, Detail, Finding, IacTemplate, InfraKind, RenderArgs,
    RenderContext, RenderedFile,
};

// ----------------------------------------------------------------------------------------------------------
// Helpers

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/local")
}

/// AWS's sample bundles, vendored under `tests/fixtures/aws-samples/` (MIT-0; see its README).
fn samples() -> PathBuf {
    root().join("tests/fixtures/aws-samples/loadbalanced-fargate-svc")
}

/// A fresh, empty temporary folder for one test.
fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("proton-local-{}-{n}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
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

/// A copy of a sample bundle (`environment` or `service`) in a temporary folder, to break.
fn sample_copy(which: &str, test: &str) -> PathBuf {
    let dir = temp_dir(test).join(which);
    copy_dir(&samples().join(which), &dir);
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} does not contain {from:?}", path.display());
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Build a .tar.gz of `dir`, its entries under `prefix` (empty for none), with the tar/flate2 crates.
fn tar_gz(dir: &Path, prefix: &str, out: &Path) {
    let file = fs::File::create(out).unwrap();
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.append_dir_all(prefix, dir).unwrap();
    tar.into_inner().unwrap().finish().unwrap();
}

fn sample_context() -> RenderContext {
    load_context_file(&fixtures().join("sample-context.yaml")).unwrap()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn messages(findings: &[Finding]) -> Vec<String> {
    findings.iter().map(ToString::to_string).collect()
}

fn errors(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.is_error())
        .map(ToString::to_string)
        .collect()
}

/// `check`'s warning about a free-text input printed without `| tojson`.
fn is_free_text_warning(f: &Finding) -> bool {
    !f.is_error() && f.message.contains("is free text printed without `| tojson`")
}

fn assert_has(findings: &[Finding], want: &str) {
    let all = messages(findings);
    assert!(
        all.iter().any(|m| m == want),
        "expected finding\n  {want}\nin\n  {}",
        all.join("\n  ")
    );
}

fn assert_same(files: &[RenderedFile], expected_dir: &Path, names: &[&str]) {
    let got: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(got, names);
    for f in files {
        let want = read(&expected_dir.join(&f.name));
        assert!(
            f.text == want,
            "{} differs from Jinja2's output:\n{}",
            f.name,
            first_difference(&f.text, &want)
        );
    }
}

fn first_difference(got: &str, want: &str) -> String {
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        if g != w {
            return format!("line {}:\n  rust:   {g:?}\n  jinja2: {w:?}", i + 1);
        }
    }
    format!("lengths differ: rust {} bytes, jinja2 {} bytes", got.len(), want.len())
}

// ----------------------------------------------------------------------------------------------------------
// Rendering like Jinja2

#[test]
fn renders_the_sample_environment_like_jinja2() {
    let bundle = load_bundle(&samples().join("environment")).unwrap();
    let spec = read(&samples().join("specs/env-spec.yaml"));
    let files = render_bundle(&bundle, &spec, &sample_context()).unwrap();
    assert_same(&files, &fixtures().join("expected/samples"), &["environment.yaml"]);
}

#[test]
fn renders_the_sample_service_and_pipeline_like_jinja2() {
    let bundle = load_bundle(&samples().join("service")).unwrap();
    let spec = read(&samples().join("specs/svc-spec.yaml"));
    let files = render_bundle(&bundle, &spec, &sample_context()).unwrap();
    assert_same(
        &files,
        &fixtures().join("expected/samples"),
        &["instance-frontend-dev.yaml", "pipeline.yaml"],
    );
}

#[test]
fn renders_jinja_features_and_proton_filters_like_jinja2() {
    let dir = fixtures().join("features");
    let bundle = load_bundle(&dir.join("service")).unwrap();
    let ctx = load_context_file(&dir.join("context.yaml")).unwrap();
    let files = render_bundle(&bundle, &read(&dir.join("spec.yaml")), &ctx).unwrap();
    assert_same(
        &files,
        &fixtures().join("expected/features"),
        &[
            "instance-frontend-dev.yaml",
            "instance-production-eu1xx.yaml",
            "pipeline.yaml",
        ],
    );
}

// ----------------------------------------------------------------------------------------------------------
// The command line: render writes atomically, check reports

fn render_args(bundle: &Path, spec: &Path, out: &Path) -> RenderArgs {
    RenderArgs {
        bundle: bundle.to_path_buf(),
        spec: spec.to_path_buf(),
        out: out.to_path_buf(),
        context: Some(fixtures().join("sample-context.yaml")),
        ..RenderArgs::default()
    }
}

#[test]
fn render_command_writes_the_outputs_and_keeps_them_on_failure() {
    let dir = temp_dir("render-cli");
    let out = dir.join("out");
    let args = render_args(&samples().join("service"), &samples().join("specs/svc-spec.yaml"), &out);
    assert_eq!(run_render(&args), 0);
    let expected = fixtures().join("expected/samples");
    assert_eq!(read(&out.join("pipeline.yaml")), read(&expected.join("pipeline.yaml")));
    assert_eq!(
        read(&out.join("instance-frontend-dev.yaml")),
        read(&expected.join("instance-frontend-dev.yaml"))
    );

    // A failing render (the environment spec does not fit a service bundle) leaves the previous output.
    let bad = render_args(&samples().join("service"), &samples().join("specs/env-spec.yaml"), &out);
    assert_eq!(run_render(&bad), 1);
    assert!(out.join("pipeline.yaml").exists());
    let mut names: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("out")],
        "no temporary folder is left behind"
    );

    // Nothing is created when the first render already fails.
    let fresh = dir.join("fresh");
    assert_eq!(
        run_render(&render_args(
            &samples().join("service"),
            &samples().join("specs/env-spec.yaml"),
            &fresh
        )),
        1
    );
    assert!(!fresh.exists());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn flags_override_the_context_file() {
    let dir = temp_dir("flags");
    let outputs = dir.join("beta.yaml");
    fs::write(&outputs, "ClusterName: from-flag\n").unwrap();
    let mut args = render_args(
        &samples().join("service"),
        &samples().join("specs/svc-spec.yaml"),
        &dir.join("out"),
    );
    args.service_name = Some("other".into());
    args.env_outputs = vec![format!("Beta={}", outputs.display())];
    args.env_account_id = vec!["Beta=999999999999".into()];
    let ctx = context_from_args(&args).unwrap();
    assert_eq!(ctx.service.name.as_deref(), Some("other"));
    assert_eq!(
        ctx.service.branch_name.as_deref(),
        Some("main"),
        "kept from the context file"
    );
    assert_eq!(ctx.account_id("Beta"), Some("999999999999"));
    assert_eq!(
        ctx.environment_outputs("Beta")
            .unwrap()
            .values
            .get("ClusterName")
            .unwrap(),
        "from-flag"
    );

    args.instance_outputs = vec!["no-equals-sign".into()];
    let e = context_from_args(&args).unwrap_err();
    assert_eq!(
        messages(&e),
        ["error: --instance-outputs no-equals-sign: expected NAME=FILE"]
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn render_reports_what_a_template_uses_but_the_context_lacks() {
    let bundle = load_bundle(&samples().join("service")).unwrap();
    let spec = read(&samples().join("specs/svc-spec.yaml"));
    let mut ctx = sample_context();
    ctx.environments.clear();
    let svc = samples().join("service").display().to_string();
    let e = render_bundle(&bundle, &spec, &ctx).unwrap_err();
    // Every missing output at once, each at the first line that uses it.
    let want: Vec<String> = [
        (38, "ECSTaskExecutionRole"),
        (62, "ClusterName"),
        (72, "ContainerSecurityGroup"),
        (74, "PublicSubnetOne"),
        (75, "PublicSubnetTwo"),
        (104, "VpcId"),
    ]
    .iter()
    .map(|(line, key)| {
        format!(
            "error: {svc}/instance_infrastructure/cloudformation.yaml:{line}: rendering instance-frontend-dev.yaml failed: \
             `environment.outputs.{key}` is undefined: no outputs were given for environment Beta: \
             pass --env-outputs Beta=FILE or set environments.Beta.outputs in the context file"
        )
    })
    .collect();
    assert_eq!(errors(&e), want);

    let mut ctx = sample_context();
    ctx.service.repository_id = None;
    let e = render_bundle(&bundle, &spec, &ctx).unwrap_err();
    assert_eq!(
        errors(&e),
        [format!(
            "error: {svc}/pipeline_infrastructure/cloudformation.yaml:554: rendering pipeline.yaml failed: \
             `service.repository_id` is undefined: no service repository id: pass --repository-id or set \
             service.repository_id in the context file"
        )]
    );

    let mut ctx = sample_context();
    ctx.environments
        .get_mut("Beta")
        .unwrap()
        .outputs
        .as_mut()
        .unwrap()
        .values
        .shift_remove("VpcId");
    let e = render_bundle(&bundle, &spec, &ctx).unwrap_err();
    assert!(
        errors(&e)[0].ends_with(&format!(
            "cloudformation.yaml:104: rendering instance-frontend-dev.yaml failed: `environment.outputs.VpcId` is undefined: \
             environment Beta has no output `VpcId` (outputs from {}: ClusterName, ECSTaskExecutionRole, PublicSubnetOne, \
             PublicSubnetTwo, ContainerSecurityGroup)",
            fixtures().join("beta-outputs.json").display()
        )),
        "{e:?}"
    );
}

// ----------------------------------------------------------------------------------------------------------
// check

#[test]
fn check_passes_the_sample_bundles_as_folders_and_archives() {
    let dir = temp_dir("check-samples");
    for which in ["environment", "service"] {
        let folder = samples().join(which);
        let wrapped = dir.join(format!("{which}-template.tar.gz"));
        tar_gz(&folder, which, &wrapped);
        let flat = dir.join(format!("{which}-flat.tar.gz"));
        tar_gz(&folder, "", &flat);
        for path in [&folder, &wrapped, &flat] {
            let bundle = load_bundle(path).unwrap();
            // AWS's sample prints free-text inputs without `| tojson`: only those warnings (tests/guard.rs).
            let findings = check_bundle(&bundle);
            assert!(
                findings.iter().all(is_free_text_warning),
                "{}: {:?}",
                path.display(),
                messages(&findings)
            );
            assert_eq!(run_check(&CheckArgs { bundle: path.clone() }), 0);
        }
        let wrapped_bundle = load_bundle(&wrapped).unwrap();
        assert_eq!(wrapped_bundle.wrapper.as_deref(), Some(which));
        assert_eq!(
            wrapped_bundle.display_path("schema/schema.yaml"),
            format!("{which}/schema/schema.yaml")
        );
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_passes_the_features_bundle_and_renders_from_an_archive() {
    let features = fixtures().join("features");
    let bundle = load_bundle(&features.join("service")).unwrap();
    assert!(
        check_bundle(&bundle).iter().all(is_free_text_warning),
        "{:?}",
        messages(&check_bundle(&bundle))
    );
    let dir = temp_dir("features-archive");
    let archive = dir.join("svc.tar.gz");
    tar_gz(&features.join("service"), "service", &archive);
    let ctx = load_context_file(&features.join("context.yaml")).unwrap();
    let from_archive = render_bundle(
        &load_bundle(&archive).unwrap(),
        &read(&features.join("spec.yaml")),
        &ctx,
    )
    .unwrap();
    let from_folder = render_bundle(&bundle, &read(&features.join("spec.yaml")), &ctx).unwrap();
    assert_eq!(from_archive, from_folder);
    fs::remove_dir_all(&dir).unwrap();
}

/// Check a broken copy of a sample: `change` edits the copy (its root is passed); returns the findings
/// and the copy's root as shown in them.
fn check_broken(which: &str, test: &str, change: impl FnOnce(&Path)) -> (Vec<Finding>, String) {
    let dir = sample_copy(which, test);
    change(&dir);
    let findings = match load_bundle(&dir) {
        Ok(b) => check_bundle(&b),
        Err(f) => f,
    };
    assert_eq!(
        run_check(&CheckArgs { bundle: dir.clone() }),
        1,
        "{:?}",
        messages(&findings)
    );
    let shown = dir.display().to_string();
    fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    (findings, shown)
}

#[test]
fn check_reports_a_missing_instance_folder() {
    let (f, root) = check_broken("service", "no-instance", |d| {
        fs::remove_dir_all(d.join("instance_infrastructure")).unwrap()
    });
    assert_has(&f, &format!("error: {root}/instance_infrastructure: instance_infrastructure/ is missing; every service template needs it"));
}

#[test]
fn check_reports_a_missing_schema() {
    let (f, root) = check_broken("environment", "no-schema", |d| {
        fs::remove_dir_all(d.join("schema")).unwrap()
    });
    assert_eq!(errors(&f), [format!("error: {root}: schema/schema.yaml is missing")]);
}

#[test]
fn check_reports_a_manifest_with_two_templates() {
    let (f, root) = check_broken("environment", "manifest-two", |d| {
        let m = d.join("infrastructure/manifest.yaml");
        let text = read(&m);
        let entry = text.split_once("  templates:\n").unwrap().1.to_owned();
        fs::write(&m, format!("{text}{entry}")).unwrap();
    });
    assert_eq!(
        errors(&f),
        [format!(
            "error: {root}/infrastructure/manifest.yaml:3: infrastructure.templates lists 2 templates; Proton takes exactly one CloudFormation template per folder"
        )]
    );
}

#[test]
fn check_reports_a_manifest_naming_a_missing_file() {
    let (f, root) = check_broken("environment", "manifest-file", |d| {
        edit(
            &d.join("infrastructure/manifest.yaml"),
            "cloudformation.yaml",
            "cfn.yaml",
        );
    });
    assert_has(
        &f,
        &format!(
            "error: {root}/infrastructure/manifest.yaml:3: names the file `cfn.yaml`, which is not in infrastructure/"
        ),
    );
}

#[test]
fn check_reports_terraform_and_codebuild_as_unsupported() {
    let (f, root) = check_broken("environment", "manifest-hcl", |d| {
        edit(
            &d.join("infrastructure/manifest.yaml"),
            "rendering_engine: jinja",
            "rendering_engine: hcl",
        );
        edit(
            &d.join("infrastructure/manifest.yaml"),
            "template_language: cloudformation",
            "template_language: terraform",
        );
    });
    assert_eq!(
        errors(&f),
        [
            format!("error: {root}/infrastructure/manifest.yaml:4: rendering_engine: hcl (Terraform) is not supported by this tool; Proton never ran Terraform itself, it opened a pull request with generated variable files"),
            format!("error: {root}/infrastructure/manifest.yaml:5: template_language: terraform is not supported by this tool"),
        ]
    );
    let (f, root) = check_broken("environment", "manifest-codebuild", |d| {
        fs::write(
            d.join("infrastructure/manifest.yaml"),
            "infrastructure:\n  templates:\n    - rendering_engine: codebuild\n      settings: {}\n",
        )
        .unwrap();
    });
    assert_has(&f, &format!("error: {root}/infrastructure/manifest.yaml:3: rendering_engine: codebuild (CodeBuild provisioning) is not supported by this tool"));
}

#[test]
fn check_reports_a_schema_property_without_type() {
    let (f, root) = check_broken("service", "schema-type", |d| {
        edit(
            &d.join("schema/schema.yaml"),
            "          type: number\n          description: \"The port",
            "          description: \"The port",
        );
    });
    assert_eq!(
        errors(&f),
        [format!(
            "error: {root}/schema/schema.yaml:12: schema.types.LoadBalancedServiceInput.properties.port: missing `type` (string, number, boolean or array)"
        )]
    );
}

#[test]
fn check_reports_an_undeclared_input() {
    let (f, root) = check_broken("service", "undeclared", |d| {
        edit(
            &d.join("instance_infrastructure/cloudformation.yaml"),
            "inputs.desired_count",
            "inputs.desired_cnt",
        );
    });
    assert_eq!(
        errors(&f),
        [format!(
            "error: {root}/instance_infrastructure/cloudformation.yaml:67: undeclared variable `service_instance.inputs.desired_cnt`: \
             `desired_cnt` is not an input of LoadBalancedServiceInput (service_input_type); it declares port, desired_count, task_size, image"
        )]
    );
}

#[test]
fn check_reports_variables_from_the_wrong_namespace() {
    let (f, root) = check_broken("service", "namespace", |d| {
        edit(
            &d.join("instance_infrastructure/cloudformation.yaml"),
            "'{{service_instance.inputs.image}}'",
            "'{{pipeline.inputs.dockerfile}}'",
        );
        edit(
            &d.join("pipeline_infrastructure/cloudformation.yaml"),
            "'{{service.name}}'",
            "'{{environment.name}}'",
        );
    });
    assert_eq!(
        errors(&f),
        [
            format!(
                "error: {root}/instance_infrastructure/cloudformation.yaml:44: undeclared variable `pipeline.inputs.dockerfile`: \
                 `pipeline` is not available in service instance templates; it is available in pipeline templates only"
            ),
            format!(
                "error: {root}/pipeline_infrastructure/cloudformation.yaml:21: undeclared variable `environment.name`: \
                 `environment` is not available in pipeline templates; a pipeline reaches instances and their environments \
                 only through its loop, `{{% for service_instance in service_instances %}}`"
            ),
        ]
    );
    let (f, root) = check_broken("environment", "env-namespace", |d| {
        edit(
            &d.join("infrastructure/cloudformation.yaml"),
            "environment.inputs.vpc_cidr",
            "environment.outputs.VpcCidr",
        );
    });
    assert_eq!(
        errors(&f),
        [format!(
            "error: {root}/infrastructure/cloudformation.yaml:8: undeclared variable `environment.outputs.VpcCidr`: \
             `environment` has no `outputs` in environment templates (it has name, inputs); it is available in \
             service instance templates only"
        )]
    );
}

#[test]
fn check_reports_a_loop_variable_outside_its_loop() {
    let (f, root) = check_broken("service", "loop-var", |d| {
        edit(
            &d.join("pipeline_infrastructure/cloudformation.yaml"),
            "'{{ service.branch_name }}'",
            "'{{ service_instance.name }}'",
        );
    });
    assert_eq!(
        errors(&f),
        [format!(
            "error: {root}/pipeline_infrastructure/cloudformation.yaml:555: undeclared variable `service_instance.name`: \
             `service_instance` is not available in pipeline templates; a pipeline reaches instances and their environments \
             only through its loop, `{{% for service_instance in service_instances %}}`"
        )]
    );
}

#[test]
fn check_reports_jinja_syntax_errors_with_their_line() {
    let (f, root) = check_broken("service", "syntax", |d| {
        edit(
            &d.join("pipeline_infrastructure/cloudformation.yaml"),
            "{% endfor %}\n  # This role",
            "{% endfo %}\n  # This role",
        );
    });
    assert_eq!(errors(&f), [format!("error: {root}/pipeline_infrastructure/cloudformation.yaml:126: Jinja syntax error: unknown statement endfo")]);
}

#[test]
fn check_reports_a_pipeline_folder_without_pipeline_input_type() {
    let (f, root) = check_broken("service", "pipeline-type", |d| {
        edit(
            &d.join("schema/schema.yaml"),
            "  pipeline_input_type: \"PipelineInputs\"\n",
            "",
        );
    });
    assert_has(
        &f,
        &format!("error: {root}/schema/schema.yaml: pipeline_infrastructure/ exists but the schema has no pipeline_input_type; declare the pipeline's input type or remove the folder"),
    );
    let (f, root) = check_broken("service", "pipeline-folder", |d| {
        fs::remove_dir_all(d.join("pipeline_infrastructure")).unwrap()
    });
    assert_has(
        &f,
        &format!("error: {root}/schema/schema.yaml: the schema declares pipeline_input_type but pipeline_infrastructure/ is missing; add the pipeline or remove pipeline_input_type (and create the template with --pipeline-provisioning CUSTOMER_MANAGED)"),
    );
}

#[test]
fn check_reports_files_over_the_limits() {
    let (f, root) = check_broken("environment", "too-large", |d| {
        let path = d.join("infrastructure/cloudformation.yaml");
        let text = read(&path);
        fs::write(
            &path,
            format!("{text}{}", "# padding to exceed the limit\n".repeat(7000)),
        )
        .unwrap();
    });
    let size = read(&samples().join("environment/infrastructure/cloudformation.yaml")).len() + 7000 * 30;
    assert_eq!(
        errors(&f),
        [format!("error: {root}/infrastructure/cloudformation.yaml: file is too large: {size} bytes, Proton accepts at most 200000 for cloudformation.yaml")]
    );
    let (f, root) = check_broken("environment", "too-many", |d| {
        for i in 0..8 {
            fs::write(d.join(format!("infrastructure/extra{i}.txt")), "x").unwrap();
        }
    });
    assert_has(
        &f,
        &format!("error: {root}: the bundle has 11 files; Proton accepts at most 10"),
    );
    assert_has(&f, &format!("warning: {root}/infrastructure/extra0.txt: not named by the manifest; Proton renders only the manifest's file"));
}

#[test]
fn check_reports_environment_folders_in_a_service_bundle() {
    let (f, root) = check_broken("service", "env-folder", |d| {
        copy_dir(&samples().join("environment/infrastructure"), &d.join("infrastructure"));
    });
    assert_has(
        &f,
        &format!("error: {root}/infrastructure: infrastructure/ belongs in environment templates; a service template has instance_infrastructure/ (and pipeline_infrastructure/)"),
    );
}

#[test]
fn check_accepts_a_customer_managed_environment_and_checks_its_schema() {
    let dir = temp_dir("customer-managed");
    fs::create_dir_all(dir.join("imported/schema")).unwrap();
    let schema = "schema:\n  format:\n    openapi: \"3.0.0\"\n  environment_input_type: \"ImportedOutputs\"\n  types:\n    ImportedOutputs:\n      type: object\n      properties:\n        ClusterName:\n          type: string\n        VpcId:\n          type: string\n";
    fs::write(dir.join("imported/schema/schema.yaml"), schema).unwrap();
    let bundle = load_bundle(&dir).unwrap();
    assert_eq!(bundle.wrapper.as_deref(), Some("imported"));
    assert!(
        check_bundle(&bundle).iter().all(is_free_text_warning),
        "{:?}",
        messages(&check_bundle(&bundle))
    );
    // Rendering it validates the spec and writes the outputs the services will read.
    let files = render_bundle(
        &bundle,
        "proton: EnvironmentSpec\nspec:\n  ClusterName: c\n  VpcId: vpc-1\n",
        &RenderContext::default(),
    )
    .unwrap();
    assert_eq!(files[0].name, "environment-outputs.json");
    assert_eq!(
        files[0].text,
        "{\n  \"ClusterName\": \"c\",\n  \"VpcId\": \"vpc-1\"\n}\n"
    );

    fs::write(
        dir.join("imported/schema/schema.yaml"),
        schema.replace(
            "        VpcId:\n          type: string\n",
            "        VpcId:\n          type: number\n          default: 1\n",
        ),
    )
    .unwrap();
    let f = check_bundle(&load_bundle(&dir).unwrap());
    let shown = dir.join("imported").display().to_string();
    assert_eq!(
        errors(&f),
        [
            format!("error: {shown}/schema/schema.yaml:11: VpcId: a customer-managed environment's outputs are strings; use `type: string`"),
            format!("error: {shown}/schema/schema.yaml:11: VpcId: a customer-managed environment's outputs have no default; the environment spec supplies them"),
        ]
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_reports_include_and_unknown_tags_of_the_schema() {
    let (f, root) = check_broken("environment", "include", |d| {
        edit(
            &d.join("infrastructure/cloudformation.yaml"),
            "Resources:\n",
            "{% include 'other.yaml' %}\nResources:\n",
        );
        edit(
            &d.join("schema/schema.yaml"),
            "          default: 10.0.0.0/16\n",
            "          default: 10.0.0.0/16\n          $ref: '#/x'\n",
        );
    });
    assert_eq!(
        errors(&f),
        [
            format!("error: {root}/infrastructure/cloudformation.yaml:13: `{{% include %}}` is not supported: Proton renders each infrastructure file on its own, with no other template to load"),
            format!("error: {root}/schema/schema.yaml:14: schema.types.PublicEnvironmentInput.properties.vpc_cidr: `$ref` is not supported (Proton bundles use plain properties only)"),
        ]
    );
}

// ----------------------------------------------------------------------------------------------------------
// Spec validation: every problem with its path in the spec, all at once

const SVC_SPEC_HEAD: &str = "proton: ServiceSpec\npipeline:\n  unit_test_command: \"ls\"\ninstances:\n";

fn service_spec_errors(spec: &str) -> Vec<String> {
    let bundle = load_bundle(&samples().join("service")).unwrap();
    errors(&render_bundle(&bundle, spec, &sample_context()).unwrap_err())
}

fn environment_spec_errors(spec: &str) -> Vec<String> {
    let bundle = load_bundle(&samples().join("environment")).unwrap();
    errors(&render_bundle(&bundle, spec, &sample_context()).unwrap_err())
}

/// A service spec with one instance whose `spec:` body is `inputs` (indented by the caller).
fn one_instance(inputs: &str) -> String {
    format!("{SVC_SPEC_HEAD}  - name: frontend-dev\n    environment: Beta\n    spec:\n{inputs}")
}

#[test]
fn spec_number_above_maximum() {
    assert_eq!(
        service_spec_errors(&one_instance("      port: 70000\n")),
        ["error: spec:8: instances[0].spec.port: 70000 is above the maximum 65535"]
    );
}

#[test]
fn spec_number_below_minimum() {
    assert_eq!(
        service_spec_errors(&one_instance("      desired_count: 0\n")),
        ["error: spec:8: instances[0].spec.desired_count: 0 is below the minimum 1"]
    );
}

#[test]
fn spec_wrong_type() {
    assert_eq!(
        service_spec_errors(&one_instance("      port: \"80\"\n")),
        ["error: spec:8: instances[0].spec.port: expected a number, got a string (\"80\")"]
    );
}

#[test]
fn spec_value_not_in_enum() {
    assert_eq!(
        service_spec_errors(&one_instance("      task_size: huge\n")),
        ["error: spec:8: instances[0].spec.task_size: \"huge\" is not one of \"x-small\", \"small\", \"medium\", \"large\", \"x-large\""]
    );
}

#[test]
fn spec_string_too_short_and_too_long() {
    assert_eq!(
        service_spec_errors(&one_instance("      image: \"\"\n")),
        ["error: spec:8: instances[0].spec.image: \"\" is shorter than the minimum length 1"]
    );
    let long = "x".repeat(201);
    assert_eq!(
        service_spec_errors(&one_instance(&format!("      image: {long}\n"))),
        ["error: spec:8: instances[0].spec.image: is 201 characters long, more than the maximum length 200"]
    );
}

#[test]
fn spec_pattern_is_not_anchored() {
    // S1's CIDR pattern matches anywhere in the value, as ECMA-262 `test` does.
    let ok = "proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"my 10.0.0.0/16 net\"\n";
    let bundle = load_bundle(&samples().join("environment")).unwrap();
    assert!(render_bundle(&bundle, ok, &sample_context()).is_ok());
    assert_eq!(
        environment_spec_errors("proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"10.0.0.0/8\"\n"),
        ["error: spec:3: spec.vpc_cidr: \"10.0.0.0/8\" does not match the pattern ([0-9]{1,3}\\.){3}[0-9]{1,3}($|/(16|24))"]
    );
}

#[test]
fn spec_unknown_input() {
    assert_eq!(
        service_spec_errors(&one_instance("      prot: 80\n")),
        ["error: spec:8: instances[0].spec.prot: unknown input; LoadBalancedServiceInput declares port, desired_count, task_size, image"]
    );
}

#[test]
fn spec_required_input_without_default() {
    let dir = sample_copy("service", "required");
    edit(
        &dir.join("schema/schema.yaml"),
        "          default: \"public.ecr.aws/z9d2n7e1/nginx:1.21.0\"\n",
        "",
    );
    edit(
        &dir.join("schema/schema.yaml"),
        "    PipelineInputs:",
        "      required: [image]\n    PipelineInputs:",
    );
    let bundle = load_bundle(&dir).unwrap();
    let e = render_bundle(&bundle, &one_instance("      port: 80\n"), &sample_context()).unwrap_err();
    assert_eq!(
        errors(&e),
        ["error: spec:8: instances[0].spec.image: required input is missing (the schema gives no default)"]
    );
    fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

#[test]
fn spec_kind_must_match_the_bundle() {
    assert_eq!(
        service_spec_errors("proton: EnvironmentSpec\nspec: {}\n"),
        ["error: spec:1: proton: EnvironmentSpec does not match the bundle, a service template with a pipeline; expected ServiceSpec"]
    );
    assert_eq!(
        environment_spec_errors("spec: {}\n"),
        ["error: spec:1: proton: missing; expected `proton: EnvironmentSpec` for an environment template"]
    );
    assert_eq!(
        environment_spec_errors("proton: Spec\n"),
        ["error: spec:1: proton: unknown kind \"Spec\"; expected EnvironmentSpec"]
    );
}

#[test]
fn spec_unknown_top_level_key_and_missing_spec() {
    assert_eq!(
        environment_spec_errors("proton: EnvironmentSpec\nspecs:\n  vpc_cidr: 10.0.0.0/16\n"),
        [
            "error: spec:1: spec: missing; an EnvironmentSpec gives the environment's inputs under `spec:`",
            "error: spec:2: specs: unknown key in an EnvironmentSpec (expected proton, spec)",
        ]
    );
}

#[test]
fn spec_instance_names_are_valid_and_unique() {
    let spec = format!(
        "{SVC_SPEC_HEAD}  - name: frontend-dev\n    environment: Beta\n    spec: {{}}\n  - name: frontend-dev\n    environment: Beta\n    spec: {{}}\n  - name: -bad name\n    environment: Beta\n    spec: {{}}\n"
    );
    assert_eq!(
        service_spec_errors(&spec),
        [
            "error: spec:8: instances[1].name: \"frontend-dev\" is used twice (also by instances[0]); instance names must be unique",
            "error: spec:11: instances[2].name: \"-bad name\" is not a valid name (1-100 characters: letters, digits, `-` and `_`, starting with a letter or digit)",
        ]
    );
}

#[test]
fn spec_instance_needs_environment_and_spec() {
    let spec = format!("{SVC_SPEC_HEAD}  - name: frontend-dev\n");
    assert_eq!(
        service_spec_errors(&spec),
        [
            "error: spec:5: instances[0].environment: missing",
            "error: spec:5: instances[0].spec: missing; give the instance's inputs under `spec:` (`spec: {}` for none)",
        ]
    );
}

#[test]
fn spec_at_most_twenty_instances() {
    let mut spec = SVC_SPEC_HEAD.to_owned();
    for i in 0..21 {
        spec.push_str(&format!("  - name: i{i}\n    environment: Beta\n    spec: {{}}\n"));
    }
    assert_eq!(
        service_spec_errors(&spec),
        ["error: spec:5: instances: 21 instances; Proton allows at most 20 per service"]
    );
}

#[test]
fn spec_pipeline_present_iff_the_template_has_one() {
    assert_eq!(
        service_spec_errors("proton: ServiceSpec\ninstances:\n  - name: a\n    environment: Beta\n    spec: {}\n"),
        ["error: spec:1: pipeline: missing; the template has a pipeline (pipeline_input_type PipelineInputs), so the spec needs `pipeline:` with its inputs"]
    );
    let dir = sample_copy("service", "no-pipeline");
    fs::remove_dir_all(dir.join("pipeline_infrastructure")).unwrap();
    edit(
        &dir.join("schema/schema.yaml"),
        "  pipeline_input_type: \"PipelineInputs\"\n",
        "",
    );
    let bundle = load_bundle(&dir).unwrap();
    let e = render_bundle(&bundle, &one_instance("      port: 80\n"), &sample_context()).unwrap_err();
    assert_eq!(
        errors(&e),
        ["error: spec:2: pipeline: the template has no pipeline (no pipeline_input_type); remove this key"]
    );
    fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

#[test]
fn spec_pipeline_inputs_are_validated() {
    let spec = "proton: ServiceSpec\npipeline:\n  dockerfile: \"\"\n  extra: 1\ninstances: []\n";
    assert_eq!(
        service_spec_errors(spec),
        [
            "error: spec:3: pipeline.dockerfile: \"\" is shorter than the minimum length 1",
            "error: spec:4: pipeline.extra: unknown input; PipelineInputs declares dockerfile, unit_test_command",
        ]
    );
}

#[test]
fn spec_reports_every_problem_at_once() {
    let spec = one_instance("      port: -1\n      task_size: tiny\n      desired_count: two\n");
    assert_eq!(
        service_spec_errors(&spec),
        [
            "error: spec:8: instances[0].spec.port: -1 is below the minimum 0",
            "error: spec:9: instances[0].spec.task_size: \"tiny\" is not one of \"x-small\", \"small\", \"medium\", \"large\", \"x-large\"",
            "error: spec:10: instances[0].spec.desired_count: expected a number, got a string (\"two\")",
        ]
    );
}

#[test]
fn spec_that_is_not_yaml() {
    assert_eq!(
        environment_spec_errors("proton: EnvironmentSpec\nspec: [1\n"),
        ["error: spec:2: invalid YAML: unclosed bracket '['"]
    );
}

#[test]
fn spec_path_is_named_in_cli_findings() {
    let dir = temp_dir("spec-name");
    let spec = dir.join("svc-spec.yaml");
    fs::write(&spec, one_instance("      port: 70000\n")).unwrap();
    let args = render_args(&samples().join("service"), &spec, &dir.join("out"));
    let ctx = context_from_args(&args).unwrap();
    let bundle = load_bundle(&args.bundle).unwrap();
    let e = render_with_report(&bundle, &spec.display().to_string(), &read(&spec), &ctx).unwrap_err();
    assert_eq!(
        errors(&e),
        [format!(
            "error: {}:8: instances[0].spec.port: 70000 is above the maximum 65535",
            spec.display()
        )]
    );
    assert_eq!(run_render(&args), 1);
    assert!(!dir.join("out").exists());
    fs::remove_dir_all(&dir).unwrap();
}

// ----------------------------------------------------------------------------------------------------------
// Render semantics

/// Render a one-template service bundle whose instance template is `template`.
fn render_instance_template(template: &str, ctx: &RenderContext) -> Result<Vec<RenderedFile>, Vec<Finding>> {
    let schema = "schema:\n  format:\n    openapi: \"3.0.0\"\n  service_input_type: \"In\"\n  types:\n    In:\n      type: object\n      properties:\n        name:\n          type: string\n          default: ok\n        opt:\n          type: string\n";
    let manifest = read(&samples().join("service/instance_infrastructure/manifest.yaml"));
    let bundle = Bundle::from_files(
        "mem",
        [
            ("svc/schema/schema.yaml", schema.to_owned()),
            ("svc/instance_infrastructure/manifest.yaml", manifest),
            ("svc/instance_infrastructure/cloudformation.yaml", template.to_owned()),
        ],
    );
    let spec = "proton: ServiceSpec\ninstances:\n  - name: api\n    environment: Beta\n    spec: {}\n";
    render_bundle(&bundle, spec, ctx)
}

const RESOURCE: &str = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n";

#[test]
fn render_only_instances_then_only_the_pipeline() {
    let bundle = load_bundle(&samples().join("service")).unwrap();
    let spec = read(&samples().join("specs/svc-spec.yaml"));
    let names = |ctx: &RenderContext| -> Vec<String> {
        render_bundle(&bundle, &spec, ctx)
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect()
    };
    let mut ctx = sample_context();
    assert_eq!(names(&ctx), ["instance-frontend-dev.yaml", "pipeline.yaml"]);
    ctx.only = proton_synth::engine::Only::Instances;
    assert_eq!(names(&ctx), ["instance-frontend-dev.yaml"]);
    ctx.only = proton_synth::engine::Only::Pipeline;
    assert_eq!(names(&ctx), ["pipeline.yaml"]);
}

#[test]
fn an_undefined_value_given_to_a_filter_is_named() {
    let e = render_instance_template(
        &format!("{RESOURCE}    Properties:\n      TopicName: {{{{ environment.outputs.Missing | tojson }}}}\n"),
        &sample_context(),
    )
    .unwrap_err();
    let errs = errors(&e);
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with(
            "error: svc/instance_infrastructure/cloudformation.yaml:5: rendering instance-api.yaml failed: \
             `environment.outputs.Missing` is undefined: environment Beta has no output `Missing`"
        ),
        "{errs:?}"
    );
}

#[test]
fn render_fails_on_a_misused_namespace_like_proton() {
    let e = render_instance_template(
        &format!("{RESOURCE}    Properties:\n      TopicName: '{{{{ pipeline.inputs.x }}}}'\n"),
        &sample_context(),
    )
    .unwrap_err();
    assert_eq!(
        errors(&e),
        ["error: svc/instance_infrastructure/cloudformation.yaml:5: rendering instance-api.yaml failed: `pipeline.inputs.x` is undefined: \
          `pipeline` is not available in service instance templates; it is available in pipeline templates only"]
    );
}

#[test]
fn render_fails_on_an_omitted_optional_input_but_is_defined_works() {
    let e = render_instance_template(
        &format!("{RESOURCE}    Properties:\n      TopicName: '{{{{ service_instance.inputs.opt }}}}'\n"),
        &sample_context(),
    )
    .unwrap_err();
    assert_eq!(
        errors(&e),
        ["error: svc/instance_infrastructure/cloudformation.yaml:5: rendering instance-api.yaml failed: `service_instance.inputs.opt` is undefined: \
          the input `opt` is optional, has no default and the spec does not set it; guard it with `is defined` or give it a default"]
    );
    let guarded = format!(
        "{RESOURCE}    Properties:\n      TopicName: '{{% if service_instance.inputs.opt is defined %}}x{{% else %}}{{{{ service_instance.inputs.opt | default(service_instance.inputs.name) }}}}{{% endif %}}'\n"
    );
    let files = render_instance_template(&guarded, &sample_context()).unwrap();
    assert!(files[0].text.ends_with("TopicName: 'ok'\n"), "{}", files[0].text);
}

#[test]
fn render_fails_on_a_missing_component_output_but_the_component_is_an_empty_map() {
    let t = format!(
        "{RESOURCE}    Properties:\n      TopicName: '{{{{ service_instance.components.default | length }}}}-{{{{ service_instance.components.default.outputs | length }}}}'\n      DisplayName: '{{{{ service_instance.components.default.outputs.Name }}}}'\n"
    );
    let e = render_instance_template(&t, &sample_context()).unwrap_err();
    assert_eq!(
        errors(&e),
        ["error: svc/instance_infrastructure/cloudformation.yaml:6: rendering instance-api.yaml failed: \
          `service_instance.components.default.outputs.Name` is undefined: the component of instance api has no output `Name`: \
          pass --component-outputs api=FILE or set instances.api.component.outputs"]
    );
    let mut ctx = sample_context();
    ctx.instances.entry("api".into()).or_default().component = Some(proton_synth::engine::ComponentInfo {
        name: Some("c".into()),
        outputs: proton_synth::engine::Outputs {
            values: [("Name".to_owned(), "n".to_owned())].into_iter().collect(),
            source: "test".into(),
        },
    });
    let files = render_instance_template(&t, &ctx).unwrap();
    assert!(
        files[0].text.contains("TopicName: '2-1'\n      DisplayName: 'n'\n"),
        "{}",
        files[0].text
    );
}

#[test]
fn render_sanitize_failure_names_the_value() {
    let mut ctx = sample_context();
    ctx.service.name = Some("bad name".into());
    let e = render_instance_template(
        &format!("{RESOURCE}    Properties:\n      TopicName: '{{{{ service.name | proton_cfn_sanitize }}}}'\n"),
        &ctx,
    )
    .unwrap_err();
    assert_eq!(
        errors(&e),
        [
            "error: svc/instance_infrastructure/cloudformation.yaml:5: rendering instance-api.yaml failed: \
          Illegal character(s) detected in \"bad name\". Must match regex ^[a-zA-Z0-9_-]*$ or be a valid ARN"
        ]
    );
}

#[test]
fn render_reports_invalid_yaml_output_with_its_line() {
    let t =
        format!("{RESOURCE}    Properties:\n      TopicName: {{{{ service_instance.name }}}}\n     bad: indentation\n");
    let e = render_instance_template(&t, &sample_context()).unwrap_err();
    assert_eq!(
        errors(&e),
        ["error: instance-api.yaml:6: invalid YAML: while parsing a block mapping, did not find expected key (rendered from svc/instance_infrastructure/cloudformation.yaml)"]
    );
    let typo = format!("{RESOURCE}    Properties:\n      TopicName: !Reff X\n");
    assert_eq!(
        errors(&render_instance_template(&typo, &sample_context()).unwrap_err())[0],
        "error: instance-api.yaml:5: unknown tag `!Reff`; CloudFormation knows !Ref, !Sub, !GetAtt, !Join, !Select, !Split, !FindInMap, \
         !GetAZs, !ImportValue, !Base64, !Cidr, !If, !Equals, !And, !Or, !Not, !Condition, !Transform, !Length, !ToJsonString \
         (rendered from svc/instance_infrastructure/cloudformation.yaml)"
    );
}

#[test]
fn render_keeps_escaped_dynamic_references() {
    let t = format!("{RESOURCE}    Properties:\n      TopicName: '{{{{ \"{{{{resolve:ssm:/my/param}}}}\" }}}}'\n      DisplayName: '{{% raw %}}{{{{x}}}}{{% endraw %}}'\n");
    let files = render_instance_template(&t, &sample_context()).unwrap();
    assert!(
        files[0]
            .text
            .ends_with("TopicName: '{{resolve:ssm:/my/param}}'\n      DisplayName: '{{x}}'\n"),
        "{}",
        files[0].text
    );
}

// ----------------------------------------------------------------------------------------------------------
// Garbage in: errors out, never a panic

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// Text made of pieces that matter to YAML and Jinja.
    fn pieces(&mut self, alphabet: &[&str], n: usize) -> String {
        (0..n).map(|_| alphabet[self.below(alphabet.len())]).collect()
    }
}

const YAML_PIECES: &[&str] = &[
    "proton: ",
    "ServiceSpec",
    "EnvironmentSpec",
    "spec:",
    "instances:",
    "pipeline:",
    "\n",
    "  ",
    "- ",
    "name: ",
    "environment: ",
    "port: ",
    "70000",
    "-1",
    "\"",
    "'",
    "[",
    "]",
    "{",
    "}",
    ": ",
    ",",
    "&a ",
    "*a",
    "!Ref ",
    "#",
    "~",
    "null",
    "true",
    "x",
    "é",
    "\t",
];
const JINJA_PIECES: &[&str] = &[
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "{%-",
    "-%}",
    " for ",
    " in ",
    " endfor ",
    " if ",
    " endif ",
    " else ",
    " set ",
    " = ",
    " raw ",
    " endraw ",
    "service_instance",
    "service_instances",
    "environment",
    ".outputs",
    ".inputs",
    ".name",
    "loop",
    ".index",
    " | ",
    "truncate(",
    "tojson",
    "proton_cfn_sanitize",
    "default(",
    "(",
    ")",
    "[",
    "]",
    "0",
    "'",
    "\"",
    "~",
    " is defined",
    "\n",
    "Resources:",
    "  ",
    "x",
    ",",
];

#[test]
fn garbage_specs_are_errors() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let service = load_bundle(&samples().join("service")).unwrap();
    let environment = load_bundle(&samples().join("environment")).unwrap();
    let ctx = sample_context();
    for round in 0..300 {
        let spec = if round % 2 == 0 {
            let n = rng.below(300);
            String::from_utf8_lossy(&rng.bytes(n)).into_owned()
        } else {
            let n = rng.below(80);
            rng.pieces(YAML_PIECES, n)
        };
        for bundle in [&service, &environment] {
            if let Err(findings) = render_bundle(bundle, &spec, &ctx) {
                assert!(findings.iter().any(Finding::is_error), "{spec:?}");
            }
        }
    }
    let deep = format!(
        "proton: ServiceSpec\ninstances: {}{}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    assert!(render_bundle(&service, &deep, &ctx).is_err());
}

/// The synthesizer's self-check (`Detail::ErrorsOnly`, which compiles a template's tags alone) reports the
/// errors `check` (`Detail::All`, whole texts) reports, on random templates of Jinja's pieces.
#[test]
fn self_check_mode_reports_the_errors_check_reports() {
    let mut rng = Rng(7);
    let (schema, _) = parse_schema(&read(&samples().join("service/schema/schema.yaml")), "schema.yaml");
    let mut failing = 0;
    let rounds = 5_000;
    for _ in 0..rounds {
        let n = 1 + rng.below(14);
        let text = rng.pieces(JINJA_PIECES, n);
        let analysis = Analysis {
            kind: BundleKind::Service { pipeline: false },
            schema: schema.clone(),
            templates: vec![IacTemplate {
                kind: InfraKind::ServiceInstance,
                path: "instance_infrastructure/cloudformation.yaml".into(),
                display: "svc/instance_infrastructure/cloudformation.yaml".into(),
                text: text.clone(),
            }],
        };
        let errors = |detail| {
            let (findings, _) = check_templates(&analysis, detail);
            findings
                .iter()
                .filter(|f| f.is_error())
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        let all = errors(Detail::All);
        assert_eq!(errors(Detail::ErrorsOnly), all, "{text:?}");
        failing += usize::from(!all.is_empty());
    }
    assert!(
        failing > rounds / 10 && failing < rounds * 9 / 10,
        "{failing} of {rounds} had errors"
    );
}

#[test]
fn garbage_templates_and_schemas_do_not_panic() {
    let mut rng = Rng(42);
    let schema = read(&samples().join("service/schema/schema.yaml"));
    let manifest = read(&samples().join("service/instance_infrastructure/manifest.yaml"));
    let spec = read(&samples().join("specs/svc-spec.yaml"));
    let ctx = sample_context();
    for round in 0..300 {
        let n = rng.below(60);
        let template = rng.pieces(JINJA_PIECES, n);
        let schema = if round % 5 == 0 {
            rng.pieces(YAML_PIECES, 40)
        } else {
            schema.clone()
        };
        let manifest = if round % 7 == 0 {
            String::from_utf8_lossy(&rng.bytes(50)).into_owned()
        } else {
            manifest.clone()
        };
        let pipeline_len = rng.below(100);
        let pipeline_template = rng.bytes(pipeline_len);
        let files: Vec<(String, Vec<u8>)> = vec![
            ("svc/schema/schema.yaml".into(), schema.into_bytes()),
            (
                "svc/instance_infrastructure/manifest.yaml".into(),
                manifest.clone().into_bytes(),
            ),
            (
                "svc/instance_infrastructure/cloudformation.yaml".into(),
                template.clone().into_bytes(),
            ),
            (
                "svc/pipeline_infrastructure/manifest.yaml".into(),
                manifest.into_bytes(),
            ),
            (
                "svc/pipeline_infrastructure/cloudformation.yaml".into(),
                pipeline_template,
            ),
        ];
        let bundle = Bundle::from_files("fuzz", files);
        let _ = check_bundle(&bundle);
        assert!(render_bundle(&bundle, &spec, &ctx).is_err(), "{template:?}");
    }
}

#[test]
fn empty_truncated_and_foreign_bundles_are_errors() {
    let dir = temp_dir("garbage-bundles");
    let empty = dir.join("empty");
    fs::create_dir_all(&empty).unwrap();
    assert_eq!(
        messages(&load_bundle(&empty).unwrap_err()),
        [format!(
            "error: {}: the bundle has no files; expected schema/schema.yaml and its template folders",
            empty.display()
        )]
    );
    assert_eq!(run_check(&CheckArgs { bundle: empty.clone() }), 1);
    assert!(load_bundle(&dir.join("missing")).is_err());

    let archive = dir.join("svc.tar.gz");
    tar_gz(&samples().join("service"), "service", &archive);
    let bytes = fs::read(&archive).unwrap();
    let mut rng = Rng(7);
    for cut in [1, 2, 10, bytes.len() / 3, bytes.len() / 2, bytes.len() - 9] {
        let truncated = dir.join(format!("cut{cut}.tar.gz"));
        fs::write(&truncated, &bytes[..cut]).unwrap();
        if let Ok(b) = load_bundle(&truncated) {
            // A cut that falls after complete entries may still load; checking it must then fail cleanly.
            assert!(check_bundle(&b).iter().any(Finding::is_error), "cut at {cut}");
        }
    }
    for i in 0..50 {
        let mut junk = vec![0x1f, 0x8b];
        junk.extend(rng.bytes(200 + i));
        let path = dir.join(format!("junk{i}.tar.gz"));
        fs::write(&path, junk).unwrap();
        assert!(load_bundle(&path).is_err());
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&rng.bytes(5000)).unwrap();
    fs::write(dir.join("gz.tar.gz"), gz.finish().unwrap()).unwrap();
    assert!(load_bundle(&dir.join("gz.tar.gz")).is_err());
    fs::write(dir.join("plain.txt"), "not a bundle").unwrap();
    assert_eq!(
        messages(&load_bundle(&dir.join("plain.txt")).unwrap_err()),
        [format!(
            "error: {}: not a bundle: expected a folder or a gzip-compressed tar archive (.tar.gz)",
            dir.join("plain.txt").display()
        )]
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn garbage_context_and_outputs_files_are_errors() {
    let dir = temp_dir("garbage-context");
    let mut rng = Rng(99);
    for i in 0..100 {
        let path = dir.join(format!("ctx{i}.yaml"));
        let text = if i % 2 == 0 {
            String::from_utf8_lossy(&rng.bytes(120)).into_owned()
        } else {
            rng.pieces(YAML_PIECES, 30)
        };
        fs::write(&path, text).unwrap();
        let _ = load_context_file(&path);
        let mut args = render_args(
            &samples().join("service"),
            &samples().join("specs/svc-spec.yaml"),
            &dir.join("out"),
        );
        args.context = None;
        args.env_outputs = vec![format!("Beta={}", path.display())];
        let _ = context_from_args(&args);
    }
    fs::write(dir.join("two.json"), r#"{"Stacks": [{}, {}]}"#).unwrap();
    let mut args = render_args(
        &samples().join("service"),
        &samples().join("specs/svc-spec.yaml"),
        &dir.join("out"),
    );
    args.env_outputs = vec![format!("Beta={}", dir.join("two.json").display())];
    assert_eq!(
        messages(&context_from_args(&args).unwrap_err()),
        [format!(
            "error: {}:1: `Stacks` holds 2 stacks; give the outputs of exactly one",
            dir.join("two.json").display()
        )]
    );
    fs::remove_dir_all(&dir).unwrap();
}
