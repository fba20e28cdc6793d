//! The catalog parity harness: an example program against the AWS sample it ports (a folder with
//! `v1/schema/schema.yaml`, its CloudFormation and `spec/spec.yaml`, as in `tests/fixtures/aws-samples/`).
//! Used by `tests/catalog.rs` (the catalog's Fargate family) and `tests/example_seed.rs` (the seed pair's
//! schema parity).
//!
//! - [`assert_schema_parity`]: the same input types (keys, names, descriptions), the same properties in the
//!   same order, each property identical (type, title, description, default, enum, minimum/maximum,
//!   minLength/maxLength, pattern), the same `required` lists; except the declared [`Deviation`]s, which must
//!   still differ (a fixed deviation must be removed from the list) and may only narrow an enum.
//! - [`assert_patterns_keep_meaning`]: every pattern of the schema, which OpenAPI matches anywhere in the
//!   value, means the same as the `AllowedPattern` of our plain CloudFormation parameter, which CloudFormation
//!   matches against the whole value.
//! - [`sample_env_outputs_read`]: the `environment.outputs.X` a sample service reads.
//! - [`sample_resource_types`] / [`rendered_resource_types`]: the resource inventory of a sample and of our
//!   rendered templates.
//! - [`render_example`]: every bundle of an example, loaded back from its `.tar.gz`, rendered with the
//!   generated specs (services: 1 and 20 instances) and the sample's own spec, written below
//!   `target/examples-rendered/<example>/` where `scripts/test` runs cfn-lint and the security gate.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use proton_synth::app::{App, SynthOptions, Synthesis};
use proton_synth::engine::{load_bundle, render_bundle, EnvironmentInfo, InstanceInfo, Outputs, RenderContext};
use proton_synth::proton::input::parameter_name;
use serde_json::Value as J;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A folder of AWS's vendored CloudFormation catalog (`environment-templates/fargate-env`, …).
pub fn catalog(sample: &str) -> PathBuf {
    root().join("tests/fixtures/aws-samples/aws-catalog").join(sample)
}

pub fn yaml(text: &str, what: &str) -> J {
    serde_saphyr::from_str::<J>(text).unwrap_or_else(|e| panic!("{what}: invalid YAML: {e}\n{text}"))
}

/// Numbers compared as numbers (`80` and `80.0` are equal), everything else as is.
pub fn normalize(v: &J) -> J {
    match v {
        J::Number(n) => serde_json::json!(n.as_f64().unwrap_or(f64::NAN)),
        J::Array(a) => J::Array(a.iter().map(normalize).collect()),
        J::Object(o) => J::Object(o.iter().map(|(k, v)| (k.clone(), normalize(v))).collect()),
        other => other.clone(),
    }
}

/// Synthesize an example in memory; warnings fail the test.
pub fn synth(example: &str, app: &App) -> Synthesis {
    let s = app
        .synth(&SynthOptions::default())
        .unwrap_or_else(|e| panic!("{example} failed to synthesize:\n{e}"));
    let warnings: Vec<String> = s.warnings.iter().map(ToString::to_string).collect();
    assert!(warnings.is_empty(), "{example} has warnings: {warnings:#?}");
    s
}

pub fn text(s: &Synthesis, path: &str) -> String {
    let bytes = s
        .assembly
        .get(path)
        .unwrap_or_else(|| panic!("{path} was not synthesized"));
    String::from_utf8(bytes.to_vec()).expect("text output")
}

/// A property of an input type where the example deliberately differs from the sample.
pub struct Deviation {
    /// `environment_input_type`, `service_input_type` or `pipeline_input_type`.
    pub input_type: &'static str,
    pub property: &'static str,
    /// Why (also in the example's documentation).
    pub reason: &'static str,
}

/// `(input type key, type name, type)` of every input type of a schema file.
fn input_types(schema: &J) -> Vec<(String, String, J)> {
    let s = &schema["schema"];
    ["environment_input_type", "service_input_type", "pipeline_input_type"]
        .into_iter()
        .filter_map(|key| {
            let name = s.get(key)?.as_str()?;
            Some((key.to_owned(), name.to_owned(), s["types"][name].clone()))
        })
        .collect()
}

/// Our `schema.yaml` against a sample's `schema.yaml` (`<catalog sample>/v1/schema/schema.yaml`, or the seed
/// sample's `environment/schema/schema.yaml`, …).
pub fn assert_schema_parity(sample_schema: &std::path::Path, ours_text: &str, deviations: &[Deviation]) {
    let sample = sample_schema.display().to_string();
    let sample = sample.as_str();
    let sample_text = fs::read_to_string(sample_schema).unwrap_or_else(|e| panic!("{sample}: {e}"));
    let theirs_schema = yaml(&sample_text, sample);
    let ours_schema = yaml(ours_text, "our schema");
    let theirs = input_types(&theirs_schema);
    let ours = input_types(&ours_schema);
    let keys = |t: &[(String, String, J)]| t.iter().map(|(k, n, _)| (k.clone(), n.clone())).collect::<Vec<_>>();
    assert_eq!(keys(&ours), keys(&theirs), "{sample}: the input types and their names");
    let type_names = |s: &J| {
        s["schema"]["types"]
            .as_object()
            .map(|t| t.keys().cloned().collect::<Vec<_>>())
    };
    assert_eq!(
        type_names(&ours_schema),
        type_names(&theirs_schema),
        "{sample}: `types`"
    );
    for d in deviations {
        assert!(
            !d.reason.trim().is_empty(),
            "{sample}: deviation {} without a reason",
            d.property
        );
    }
    for ((key, _, t), (_, _, o)) in theirs.iter().zip(&ours) {
        assert_eq!(o["type"], t["type"], "{sample} {key}: type");
        assert_eq!(o["description"], t["description"], "{sample} {key}: description");
        assert_eq!(o.get("required"), t.get("required"), "{sample} {key}: required");
        let tp = t["properties"].as_object().expect("properties");
        let op = o["properties"].as_object().expect("properties");
        let names = |m: &serde_json::Map<String, J>| m.keys().cloned().collect::<Vec<_>>();
        assert_eq!(names(op), names(tp), "{sample} {key}: property names (and order)");
        for (name, theirs_p) in tp {
            let ours_p = &op[name];
            let deviation = deviations.iter().find(|d| d.input_type == key && d.property == name);
            match deviation {
                None => assert_eq!(
                    normalize(ours_p),
                    normalize(theirs_p),
                    "{sample} {key}: property {name}"
                ),
                Some(_) => assert_narrowed_enum(sample, key, name, ours_p, theirs_p),
            }
        }
    }
    for d in deviations {
        assert!(
            theirs.iter().any(|(k, _, _)| k == d.input_type),
            "{sample}: deviation {} names a missing input type {}",
            d.property,
            d.input_type
        );
    }
}

/// A deviation may only narrow the enum of a property (everything else identical) and must still differ.
fn assert_narrowed_enum(sample: &str, key: &str, name: &str, ours: &J, theirs: &J) {
    assert_ne!(
        ours, theirs,
        "{sample} {key}: {name} is listed as a deviation but is the sample's"
    );
    let without_enum = |p: &J| {
        let mut p = normalize(p);
        p.as_object_mut().map(|o| o.remove("enum"));
        p
    };
    assert_eq!(
        without_enum(ours),
        without_enum(theirs),
        "{sample} {key}: {name} differs beyond its enum"
    );
    let values = |p: &J| -> BTreeSet<String> {
        p["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .map(ToString::to_string)
            .collect()
    };
    assert!(
        values(ours).is_subset(&values(theirs)) && !values(ours).is_empty(),
        "{sample} {key}: {name}: our enum is not a narrowing of the sample's"
    );
}

/// Values a CIDR- or name-like pattern may or may not accept: the default and variants around it.
fn probes(default: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = [
        "",
        "x",
        "10.0.0.0",
        "10.0.0.0/8",
        "10.0.0.0/16",
        "10.0.0.0/18",
        "10.0.0.0/24",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    if let Some(d) = default {
        out.extend([
            d.to_owned(),
            format!("{d}x"),
            format!("x{d}"),
            format!("{d}\n"),
            format!(" {d}"),
            format!("{d}/8"),
        ]);
    }
    out
}

/// Every pattern of our schema keeps its OpenAPI meaning (matched anywhere) as the plain template's
/// `AllowedPattern` (matched against the whole value).
pub fn assert_patterns_keep_meaning(schema_text: &str, plain: &J) -> usize {
    let schema = yaml(schema_text, "our schema");
    let mut checked = 0;
    for (key, _, t) in input_types(&schema) {
        for (name, p) in t["properties"].as_object().into_iter().flatten() {
            let Some(pattern) = p["pattern"].as_str() else { continue };
            let param = &plain["Parameters"][parameter_name(name)];
            let allowed = param["AllowedPattern"]
                .as_str()
                .unwrap_or_else(|| panic!("{key} {name}: no AllowedPattern on the plain parameter: {param}"));
            let openapi = regex::Regex::new(pattern).unwrap();
            let cfn = regex::Regex::new(&format!("^(?:{allowed})$")).unwrap();
            for probe in probes(p["default"].as_str()) {
                assert_eq!(
                    cfn.is_match(&probe),
                    openapi.is_match(&probe),
                    "{key} {name}: {probe:?} is judged differently by the schema pattern {pattern:?} and the \
                     AllowedPattern {allowed:?}"
                );
            }
            checked += 1;
        }
    }
    checked
}

/// `environment.outputs.X` read by the sample service's CloudFormation files.
pub fn sample_env_outputs_read(sample: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(r"environment\.outputs\.([A-Za-z0-9_]+)").unwrap();
    let mut read = BTreeSet::new();
    for f in [
        "v1/instance_infrastructure/cloudformation.yaml",
        "v1/pipeline_infrastructure/cloudformation.yaml",
    ] {
        if let Ok(text) = fs::read_to_string(catalog(sample).join(f)) {
            read.extend(re.captures_iter(&text).map(|c| c[1].to_owned()));
        }
    }
    read
}

/// `Type: AWS::…` of every resource of a sample's CloudFormation files (read as text: Jinja and short-form
/// tags included).
pub fn sample_resource_types(sample: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(r#"(?m)^\s+Type:\s*['"]?(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)"#).unwrap();
    let mut out = BTreeSet::new();
    for f in [
        "v1/infrastructure/cloudformation.yaml",
        "v1/instance_infrastructure/cloudformation.yaml",
        "v1/pipeline_infrastructure/cloudformation.yaml",
    ] {
        if let Ok(text) = fs::read_to_string(catalog(sample).join(f)) {
            out.extend(re.captures_iter(&text).map(|c| c[1].to_owned()));
        }
    }
    out
}

/// Resource types of rendered templates.
pub fn rendered_resource_types<'a>(rendered: impl IntoIterator<Item = &'a J>) -> BTreeSet<String> {
    rendered
        .into_iter()
        .flat_map(|t| t["Resources"].as_object().into_iter().flatten())
        .filter_map(|(_, r)| r["Type"].as_str().map(str::to_owned))
        .collect()
}

/// The output names of a sample environment's CloudFormation (`v1/infrastructure/cloudformation.yaml`).
pub fn sample_env_outputs_declared(sample: &str) -> Vec<String> {
    let text = fs::read_to_string(catalog(sample).join("v1/infrastructure/cloudformation.yaml")).unwrap();
    let outputs = text.split("\nOutputs:\n").nth(1).expect("the sample declares outputs");
    outputs
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.trim_end().ends_with(':'))
        .map(|l| l.trim().trim_end_matches(':').to_owned())
        .collect()
}

/// The catalog's service samples (`service-templates/<name>`) compatible with `env` (`name:major`), sorted.
pub fn catalog_services_compatible_with(env: &str) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(catalog("service-templates"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| format!("service-templates/{}", e.file_name().to_string_lossy()))
        .filter(|s| sample_compatible_envs(s).iter().any(|e| e == env))
        .collect();
    out.sort();
    out
}

/// The environments a sample service is compatible with (`v1/.compatible-envs`, `name:major` per line).
pub fn sample_compatible_envs(sample: &str) -> Vec<String> {
    fs::read_to_string(catalog(sample).join("v1/.compatible-envs"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_owned())
        .collect()
}

/// A made-up but well-formed value for an output, by its name (what CloudFormation would return).
pub fn made_up_output(name: &str, n: usize) -> String {
    let id = format!("{n:017x}");
    let lower = name.to_ascii_lowercase();
    if lower.contains("subnet") {
        format!("subnet-{id}")
    } else if lower.contains("cidr") {
        "10.0.0.0/16".to_owned()
    } else if lower == "vpc" || lower == "vpcid" {
        format!("vpc-{id}")
    } else if lower.contains("securitygroup") {
        format!("sg-{id}")
    } else if lower.contains("topicarn") {
        "arn:aws:sns:us-west-2:111122223333:fargate-env-pingSNSTopic-AbCdEf123456".to_owned()
    } else if lower.contains("region") {
        "us-west-2".to_owned()
    } else if lower.contains("clusterarn") {
        "arn:aws:ecs:us-west-2:111122223333:cluster/fargate-env-Cluster-AbCdEf123456".to_owned()
    } else if lower.contains("role") {
        format!("arn:aws:iam::111122223333:role/made-up-{lower}-{n}")
    } else if lower.contains("namespace") {
        "ns-abcdefghijklmnop".to_owned()
    } else if lower.contains("bucketarn") {
        format!("arn:aws:s3:::made-up-bucket-{n}")
    } else if lower.ends_with("arn") {
        format!("arn:aws:made-up:us-west-2:111122223333:{lower}/{n}")
    } else if lower.contains("url") || lower.contains("endpoint") {
        format!("http://made-up-{n}.us-west-2.elb.amazonaws.com")
    } else {
        format!("made-up-{lower}-{n}")
    }
}

fn outputs_of(names: &[String], n: usize, source: &str) -> Outputs {
    Outputs {
        // Distinct values per output (two subnets must not have the same id).
        values: names
            .iter()
            .enumerate()
            .map(|(i, o)| (o.clone(), made_up_output(o, n * 100 + i)))
            .collect(),
        source: source.to_owned(),
    }
}

/// Output names of a synthesized bundle's CloudFormation file (`infrastructure/…` or
/// `instance_infrastructure/…`), read from its text: the Jinja bundle is not YAML before rendering.
fn bundle_outputs(s: &Synthesis, name: &str, folder: &str) -> Vec<String> {
    let path = format!("proton/bundles/{name}/{folder}/cloudformation.yaml");
    let Some(bytes) = s.assembly.get(&path) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(bytes);
    let after = text.split("\nOutputs:\n").nth(1).unwrap_or("");
    after
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.trim_end().ends_with(':'))
        .map(|l| l.trim().trim_end_matches(':').to_owned())
        .collect()
}

/// The render context: environment `Beta` (the generated specs') and every environment a sample spec names,
/// with made-up outputs of the example's environment; instances with made-up outputs.
fn render_context(s: &Synthesis, env_names: &[String], instances: &[String]) -> RenderContext {
    let env_template = s.proton.iter().find(|p| p.output.kind.as_str() == "environment");
    let env_outputs = env_template.map_or_else(Vec::new, |p| bundle_outputs(s, &p.output.name, "infrastructure"));
    let mut ctx = RenderContext {
        environment_name: Some("Beta".to_owned()),
        default_account_id: Some("111122223333".to_owned()),
        ..RenderContext::default()
    };
    ctx.service.name = Some("front-end".to_owned());
    ctx.service.repository_connection_arn = Some(
        "arn:aws:codestar-connections:us-west-2:111122223333:connection/0123abcd-4567-89ab-cdef-0123456789ab"
            .to_owned(),
    );
    ctx.service.repository_id = Some("example-org/front-end".to_owned());
    ctx.service.branch_name = Some("main".to_owned());
    for e in env_names {
        ctx.environments.insert(
            e.clone(),
            EnvironmentInfo {
                account_id: Some("111122223333".to_owned()),
                outputs: Some(outputs_of(&env_outputs, 1, "catalog harness")),
            },
        );
    }
    // Every service template's instance outputs (a program may hold several services).
    let mut instance_outputs: Vec<String> = Vec::new();
    for p in s.proton.iter().filter(|p| p.output.kind.as_str() == "service") {
        for o in bundle_outputs(s, &p.output.name, "instance_infrastructure") {
            if !instance_outputs.contains(&o) {
                instance_outputs.push(o);
            }
        }
    }
    for (n, i) in instances.iter().enumerate() {
        ctx.instances.insert(
            i.clone(),
            InstanceInfo {
                outputs: Some(outputs_of(&instance_outputs, n + 1, "catalog harness")),
                component: None,
            },
        );
    }
    ctx
}

/// `(instance, environment)` of a service spec.
fn spec_instances(spec: &J) -> Vec<(String, String)> {
    spec["instances"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| Some((i["name"].as_str()?.to_owned(), i["environment"].as_str()?.to_owned())))
        .collect()
}

/// The catalog's service specs list instances without `spec:` (every input at its default); the renderer asks
/// for it explicitly (`spec: {}`), so it is added where missing. JSON is YAML.
fn with_instance_specs(spec: &str) -> String {
    let mut v = yaml(spec, "sample spec");
    let instances = v.get_mut("instances").and_then(J::as_array_mut);
    for i in instances.into_iter().flatten() {
        if i.get("spec").is_none() {
            i["spec"] = serde_json::json!({});
        }
    }
    serde_json::to_string_pretty(&v).unwrap()
}

/// Render every bundle of the example with its generated specs (services: 1 and 20 instances) and the spec of
/// the sample its template ports (`samples`: template name → sample folder). Written to
/// `target/examples-rendered/<example>/<template>/<spec>/`; returns (path relative to that folder, parsed).
pub fn render_example(example: &str, s: &Synthesis, samples: &[(&str, &str)]) -> Vec<(String, J)> {
    render_example_to(
        example,
        s,
        samples,
        &root().join("target/examples-rendered").join(example),
    )
}

/// [`render_example`] into another folder (tests that render again for their own checks, so they do not race
/// with the one writing `target/examples-rendered/`).
pub fn render_example_to(
    example: &str,
    s: &Synthesis,
    samples: &[(&str, &str)],
    out: &std::path::Path,
) -> Vec<(String, J)> {
    // The archives go next to nothing that is linted, one folder per output folder (tests run in parallel).
    let label: String = out
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let scratch = root().join("target/catalog-scratch/archives").join(label);
    let _ = fs::remove_dir_all(out);
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).unwrap();
    let mut rendered = Vec::new();
    for p in &s.proton {
        let name = &p.output.name;
        // Loaded back from the archive, as a user of the bundle would.
        let archive = scratch.join(format!("{name}.tar.gz"));
        fs::write(&archive, &p.output.tar_gz).unwrap();
        let bundle = load_bundle(&archive).unwrap_or_else(|f| panic!("{example}: loading {name}: {f:#?}"));
        let mut specs: Vec<(String, String)> = p
            .output
            .specs
            .iter()
            .map(|(file, body)| (file.trim_end_matches(".yaml").to_owned(), body.clone()))
            .collect();
        if let Some((_, sample)) = samples.iter().find(|(t, _)| t == name) {
            let spec = fs::read_to_string(sample_spec(sample)).unwrap();
            specs.push(("aws-sample-spec".to_owned(), with_instance_specs(&spec)));
        }
        for (stem, spec) in specs {
            let parsed = yaml(&spec, &stem);
            let instances = spec_instances(&parsed);
            let mut envs: Vec<String> = instances.iter().map(|(_, e)| e.clone()).collect();
            envs.push("Beta".to_owned());
            let names: Vec<String> = instances.into_iter().map(|(i, _)| i).collect();
            let ctx = render_context(s, &envs, &names);
            let files = render_bundle(&bundle, &spec, &ctx)
                .unwrap_or_else(|f| panic!("{example}: rendering {name} with {stem}: {f:#?}"));
            assert!(!files.is_empty(), "{example}: {name} with {stem} rendered nothing");
            let dir = out.join(name).join(&stem);
            fs::create_dir_all(&dir).unwrap();
            for f in files {
                let path = dir.join(&f.name);
                fs::write(&path, &f.text).unwrap();
                let rel = format!("{name}/{stem}/{}", f.name);
                rendered.push((rel.clone(), yaml(&f.text, &rel)));
            }
        }
    }
    rendered
}

/// The plain CloudFormation template of a Proton template (`proton/cloudformation/<file>`).
pub fn plain(s: &Synthesis, file: &str) -> J {
    let path = format!("proton/cloudformation/{file}");
    serde_json::from_slice(
        s.assembly
            .get(&path)
            .unwrap_or_else(|| panic!("{path} was not written")),
    )
    .unwrap()
}

/// Snapshot every text file of the synthesis (`<example>__<path>`) and check that two runs are identical.
pub fn snapshot(example: &str, build: fn() -> App) {
    let s = synth(example, &build());
    for (path, bytes) in s.assembly.files() {
        if path.ends_with(".tar.gz") {
            // Binary: pinned by the determinism check below; its content by the bundle folder snapshots.
            continue;
        }
        let text = String::from_utf8(bytes.clone()).expect("text output");
        let name = format!("{example}__{}", path.replace('/', "__"));
        insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(name, text);
        });
    }
    let again = build().synth(&SynthOptions::default()).expect("synth");
    assert_eq!(s.assembly, again.assembly, "{example}: two runs differ");
}

/// Resources of a rendered template with the given type.
pub fn resources_of<'a>(t: &'a J, type_name: &str) -> Vec<(&'a String, &'a J)> {
    t["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, r)| r["Type"] == type_name)
        .collect()
}

/// [`assert_schema_parity`] where some properties are replaced as a whole (`replaced`, e.g. an enum of
/// runtimes the sample offers that can no longer be created, with its default): each keeps its name,
/// position, type and title, must differ from the sample's, and is otherwise not compared. Every reason must
/// be written.
pub fn assert_schema_parity_replacing(
    sample_schema: &std::path::Path,
    ours_text: &str,
    deviations: &[Deviation],
    replaced: &[Deviation],
) {
    let sample = sample_schema.display().to_string();
    let mut theirs = yaml(
        &fs::read_to_string(sample_schema).unwrap_or_else(|e| panic!("{sample}: {e}")),
        &sample,
    );
    let ours = yaml(ours_text, "our schema");
    for r in replaced {
        assert!(
            !r.reason.trim().is_empty(),
            "{sample}: replaced {} without a reason",
            r.property
        );
        let type_name = |s: &J| s["schema"][r.input_type].as_str().map(str::to_owned);
        let name = type_name(&theirs).unwrap_or_else(|| panic!("{sample}: no {}", r.input_type));
        let ours_p = ours["schema"]["types"][&name]["properties"][r.property].clone();
        let theirs_p = &mut theirs["schema"]["types"][&name]["properties"][r.property];
        assert!(
            theirs_p.is_object(),
            "{sample}: {} is not a property of {name}",
            r.property
        );
        for key in ["type", "title"] {
            assert_eq!(
                ours_p[key], theirs_p[key],
                "{sample} {name}: replaced {}: {key}",
                r.property
            );
        }
        assert_ne!(
            normalize(&ours_p),
            normalize(theirs_p),
            "{sample} {name}: {} is listed as replaced but is the sample's",
            r.property
        );
        *theirs_p = ours_p;
    }
    let label: String = sample
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let dir = root().join("target/catalog-scratch/replaced");
    fs::create_dir_all(&dir).unwrap();
    let patched = dir.join(format!("{label}.yaml"));
    // JSON is YAML.
    fs::write(&patched, serde_json::to_string_pretty(&theirs).unwrap()).unwrap();
    assert_schema_parity(&patched, ours_text, deviations);
}

/// The spec a sample ships: `<sample>/spec/spec.yaml`, or for the multi-service sets, which keep their specs
/// in one folder beside the templates, that folder's file for the sample.
pub fn sample_spec(sample: &str) -> PathBuf {
    const SET_SPECS: &[(&str, &str)] = &[
        (
            "public-private-fargate-microservices/microservices-env",
            "public-private-fargate-microservices/specs/env-spec.yaml",
        ),
        (
            "public-private-fargate-microservices/microservices-svc/loadbalanced-public-svc",
            "public-private-fargate-microservices/specs/svc-public-spec.yaml",
        ),
        (
            "public-private-fargate-microservices/microservices-svc/private-fargate-svc",
            "public-private-fargate-microservices/specs/svc-private-spec.yaml",
        ),
    ];
    match SET_SPECS.iter().find(|(s, _)| *s == sample) {
        Some((_, spec)) => catalog(spec),
        None => catalog(sample).join("spec/spec.yaml"),
    }
}

/// Every resource type of `sample` has a counterpart among `rendered` (the `(path, template)` pairs of
/// [`render_example_to`]) below `template/`, except the types `replaced` lists for that sample as
/// `(sample, type, reason)`, which must then be absent.
pub fn assert_inventory(rendered: &[(String, J)], template: &str, sample: &str, replaced: &[(&str, &str, &str)]) {
    let prefix = format!("{template}/");
    let ours = rendered_resource_types(rendered.iter().filter(|(p, _)| p.starts_with(&prefix)).map(|(_, t)| t));
    let theirs = sample_resource_types(sample);
    assert!(theirs.len() >= 5, "{sample}: {theirs:?}");
    let replaced: BTreeSet<&str> = replaced
        .iter()
        .filter(|(s, _, _)| *s == sample)
        .map(|(_, t, _)| *t)
        .collect();
    let missing: Vec<&String> = theirs
        .iter()
        .filter(|t| !ours.contains(*t) && !replaced.contains(t.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{sample}: resource types we do not cover: {missing:?}"
    );
    for t in replaced {
        assert!(!ours.contains(t), "{sample}: {t} is listed as replaced but is used");
    }
}
