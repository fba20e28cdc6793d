//! The ports of AWS's seed sample (`loadbalanced-fargate-svc`): `examples/public_vpc_env.rs` and
//! `examples/lb_fargate_svc.rs`.
//!
//! - snapshots of every text file each example writes, and determinism;
//! - schema parity with the sample's `schema.yaml` files (every property of every input type), with the
//!   comparison of the catalog parity harness (`catalog_harness/`);
//! - resource inventory: our rendered templates cover the sample's resource types;
//! - render: our bundles rendered by the local renderer with the generated sample specs and AWS's own sample
//!   specs, written to `target/examples-rendered/<example>/…` for cfn-lint and the security gate
//!   (`scripts/test`).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use proton_synth::app::{App, SynthOptions, Synthesis};
use proton_synth::engine::{load_bundle, render_bundle, EnvironmentInfo, InstanceInfo, Outputs, RenderContext};
use serde_json::Value as J;

mod catalog_harness;

use catalog_harness::{assert_schema_parity, normalize, root, text, yaml};

#[path = "../examples/lb_fargate_svc.rs"]
mod lb_fargate_svc;

// The service example includes the environment example (one copy of the module).
use lb_fargate_svc::public_vpc_env;

// ----------------------------------------------------------------------------------------------------------
// Helpers

/// AWS's sample bundles, vendored under `tests/fixtures/aws-samples/` (MIT-0; see its README).
fn samples() -> PathBuf {
    root().join("tests/fixtures/aws-samples/loadbalanced-fargate-svc")
}

fn synth(example: &str, app: &App) -> Synthesis {
    app.synth(&SynthOptions::default())
        .unwrap_or_else(|e| panic!("{example} failed to synthesize:\n{e}"))
}

// ----------------------------------------------------------------------------------------------------------
// Snapshots and determinism

/// The warnings each example is expected to have, as (construct path, fragment of the message). None: the
/// service's task definitions use the environment's execution role (imported from
/// `environment.outputs.ECSTaskExecutionRole` with `Role::from_arn_granted_elsewhere`), whose log-write grant
/// lives in the environment template (log groups below `/proton/<environment>/`), so the grant the task
/// definition would add is skipped without a warning.
fn expected_warnings(_example: &str) -> Vec<(&'static str, &'static str)> {
    Vec::new()
}

fn snapshot_app(example: &str, app: &App) {
    let synthesis = synth(example, app);
    let warnings: Vec<String> = synthesis.warnings.iter().map(ToString::to_string).collect();
    let expected = expected_warnings(example);
    assert_eq!(
        warnings.len(),
        expected.len(),
        "{example}: unexpected warnings: {warnings:#?}"
    );
    for (w, (path, fragment)) in warnings.iter().zip(&expected) {
        assert!(
            w.contains(path) && w.contains(fragment),
            "{example}: unexpected warning {w:?}"
        );
    }
    for (path, bytes) in synthesis.assembly.files() {
        if path.ends_with(".tar.gz") {
            // Binary: its bytes are pinned by the determinism test; its content by the bundle folder snapshots.
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

#[test]
fn public_vpc_env_snapshots() {
    snapshot_app("public_vpc_env", &public_vpc_env::app());
    assert_deterministic("public_vpc_env", public_vpc_env::app);
}

#[test]
fn lb_fargate_svc_snapshots() {
    snapshot_app("lb_fargate_svc", &lb_fargate_svc::app());
    assert_deterministic("lb_fargate_svc", lb_fargate_svc::app);
}

// ----------------------------------------------------------------------------------------------------------
// Schema parity

#[test]
fn schema_parity_with_the_sample() {
    let s = synth("lb_fargate_svc", &lb_fargate_svc::app());
    // The catalog harness's comparison: every property of every input type, no deviation.
    assert_schema_parity(
        &samples().join("environment/schema/schema.yaml"),
        &text(&s, "proton/bundles/public-vpc/schema/schema.yaml"),
        &[],
    );
    assert_schema_parity(
        &samples().join("service/schema/schema.yaml"),
        &text(&s, "proton/bundles/lb-fargate-service/schema/schema.yaml"),
        &[],
    );
    // The standalone environment program writes the same schema.
    let env = synth("public_vpc_env", &public_vpc_env::app());
    assert_eq!(
        text(&env, "proton/bundles/public-vpc/schema/schema.yaml"),
        text(&s, "proton/bundles/public-vpc/schema/schema.yaml")
    );
}

// ----------------------------------------------------------------------------------------------------------
// Render

/// Made-up outputs of the `Beta` environment (what CloudFormation would return for public-vpc).
fn environment_outputs() -> Outputs {
    let values = [
        ("ClusterName", "public-vpc-ECSCluster7D463CD4-AbCdEf123456"),
        (
            "ECSTaskExecutionRole",
            "arn:aws:iam::111122223333:role/public-vpc-ECSTaskExecutionRole911F5A4F-AbCdEf123456",
        ),
        ("VpcId", "vpc-0123456789abcdef0"),
        ("PublicSubnetOne", "subnet-0123456789abcdef1"),
        ("PublicSubnetTwo", "subnet-0123456789abcdef2"),
        ("ContainerSecurityGroup", "sg-0123456789abcdef3"),
    ];
    Outputs {
        values: values.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        source: "example_seed.rs".to_owned(),
    }
}

/// Made-up outputs of a service instance's stack (read by the pipeline).
fn instance_outputs(instance: &str) -> Outputs {
    let values = [
        (
            "ServiceEndpoint",
            format!("http://front-end-{instance}-1234567890.us-west-2.elb.amazonaws.com"),
        ),
        ("ServiceName", format!("front-end_{instance}")),
        (
            "TaskRoleArn",
            format!("arn:aws:iam::111122223333:role/front-end-{instance}-TaskDefinitionTaskRole-AbCdEf123456"),
        ),
    ];
    Outputs {
        values: values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        source: "example_seed.rs".to_owned(),
    }
}

fn render_context(instances: &[String]) -> RenderContext {
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
    ctx.environments.insert(
        "Beta".to_owned(),
        EnvironmentInfo {
            account_id: Some("111122223333".to_owned()),
            outputs: Some(environment_outputs()),
        },
    );
    for i in instances {
        ctx.instances.insert(
            i.clone(),
            InstanceInfo {
                outputs: Some(instance_outputs(i)),
                component: None,
            },
        );
    }
    ctx
}

/// Instance names of a service spec.
fn spec_instances(spec: &str) -> Vec<String> {
    let v = yaml(spec, "spec");
    v["instances"]
        .as_array()
        .map(|l| l.iter().filter_map(|i| i["name"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Render every bundle the example synthesizes with every generated spec and the matching AWS sample spec;
/// write the results below `target/examples-rendered/<example>/<template>/<spec>/`. Returns the rendered
/// templates (path, parsed).
fn render_example(example: &str, app: &App, out_root: &Path) -> Vec<(PathBuf, J)> {
    let s = synth(example, app);
    // The synthesized output (bundles with Jinja) stays out of target/examples-rendered, which is linted.
    let label: String = out_root
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let synth_dir = root().join("target/examples-seed-scratch/synth").join(label);
    // A folder from before output folders carried a marker would be refused: start clean.
    let _ = fs::remove_dir_all(&synth_dir);
    s.assembly
        .write_atomic(&synth_dir)
        .expect("write the synthesized output");
    let _ = fs::remove_dir_all(out_root);
    let mut rendered = Vec::new();
    for p in &s.proton {
        let name = &p.output.name;
        let bundle = load_bundle(&synth_dir.join("proton/bundles").join(name))
            .unwrap_or_else(|f| panic!("{example}: loading bundle {name}: {f:?}"));
        let mut specs: Vec<(String, String)> = p
            .output
            .specs
            .iter()
            .map(|(file, body)| (file.trim_end_matches(".yaml").to_owned(), body.clone()))
            .collect();
        // Pipelines with 3 instances and without instances, from the 20-instance spec (JSON is YAML).
        if let Some((_, twenty)) = specs.iter().find(|(stem, _)| stem.ends_with(".svc-spec-20")).cloned() {
            for n in [3, 0] {
                let mut spec = yaml(&twenty, "svc-spec-20");
                spec["instances"].as_array_mut().expect("instances").truncate(n);
                specs.push((
                    format!("{name}.svc-spec-{n}"),
                    serde_json::to_string_pretty(&spec).unwrap(),
                ));
            }
        }
        // AWS's own sample specs work with our templates unchanged.
        let sample_spec = match p.output.kind.as_str() {
            "environment" => "env-spec.yaml",
            _ => "svc-spec.yaml",
        };
        specs.push((
            format!("aws-sample-{}", sample_spec.trim_end_matches(".yaml")),
            fs::read_to_string(samples().join("specs").join(sample_spec)).unwrap(),
        ));
        for (stem, spec) in specs {
            let ctx = render_context(&spec_instances(&spec));
            let files = render_bundle(&bundle, &spec, &ctx)
                .unwrap_or_else(|f| panic!("{example}: rendering {name} with {stem}: {f:#?}"));
            assert!(!files.is_empty(), "{example}: {name} with {stem} rendered nothing");
            let dir = out_root.join(name).join(&stem);
            fs::create_dir_all(&dir).unwrap();
            for f in files {
                let path = dir.join(&f.name);
                fs::write(&path, &f.text).unwrap();
                let parsed = yaml(&f.text, &path.display().to_string());
                rendered.push((path, parsed));
            }
        }
    }
    rendered
}

fn resource_types(rendered: &[(PathBuf, J)]) -> BTreeSet<String> {
    rendered
        .iter()
        .flat_map(|(_, t)| {
            t["Resources"]
                .as_object()
                .map(|r| {
                    r.values()
                        .filter_map(|v| v["Type"].as_str().map(str::to_owned))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
        .collect()
}

fn resource_count(template: &J) -> usize {
    template["Resources"].as_object().map_or(0, |r| r.len())
}

#[test]
fn render_public_vpc_env() {
    let out = root().join("target/examples-rendered/public_vpc_env");
    let rendered = render_example("public_vpc_env", &public_vpc_env::app(), &out);
    // Generated spec + AWS's env-spec.yaml.
    assert_eq!(rendered.len(), 2);
    for (path, t) in &rendered {
        assert!(resource_count(t) > 0, "{}", path.display());
        let outputs = t["Outputs"].as_object().expect("outputs");
        for o in [
            "ClusterName",
            "ECSTaskExecutionRole",
            "VpcId",
            "PublicSubnetOne",
            "PublicSubnetTwo",
            "ContainerSecurityGroup",
        ] {
            assert!(outputs.contains_key(o), "{}: output {o}", path.display());
        }
    }
}

#[test]
fn render_lb_fargate_svc() {
    let out = root().join("target/examples-rendered/lb_fargate_svc");
    let rendered = render_example("lb_fargate_svc", &lb_fargate_svc::app(), &out);
    let file_names: BTreeSet<String> = rendered
        .iter()
        .map(|(p, _)| p.strip_prefix(&out).unwrap().display().to_string())
        .collect();
    // The service: 1 and 20 generated instances, and AWS's sample spec (instance frontend-dev).
    for f in [
        "lb-fargate-service/lb-fargate-service.svc-spec-1/instance-instance-1.yaml",
        "lb-fargate-service/lb-fargate-service.svc-spec-20/instance-instance-20.yaml",
        "lb-fargate-service/lb-fargate-service.svc-spec-3/instance-instance-3.yaml",
        "lb-fargate-service/lb-fargate-service.svc-spec-3/pipeline.yaml",
        "lb-fargate-service/aws-sample-svc-spec/instance-frontend-dev.yaml",
        "public-vpc/public-vpc.env-spec/environment.yaml",
        "public-vpc/aws-sample-env-spec/environment.yaml",
    ] {
        assert!(
            file_names.contains(f),
            "{f} was not rendered; rendered: {file_names:#?}"
        );
    }
    // The task size of AWS's sample spec (`medium`) goes through the TaskSize mapping.
    let (_, frontend) = rendered
        .iter()
        .find(|(p, _)| p.ends_with("aws-sample-svc-spec/instance-frontend-dev.yaml"))
        .unwrap();
    let td = frontend["Resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["Type"] == "AWS::ECS::TaskDefinition")
        .unwrap();
    assert_eq!(td["Properties"]["Cpu"]["Fn::FindInMap"][1], "medium");
    let svc = frontend["Resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["Type"] == "AWS::ECS::Service")
        .unwrap();
    assert_eq!(
        normalize(&svc["Properties"]["DesiredCount"]),
        normalize(&serde_json::json!(2))
    );

    // The pipeline has one deploy stage per instance, after Source and Build; each deploy action runs as its
    // own role, and nothing on the pipeline role depends on the number of instances.
    let mut pipeline_role_policies: Vec<(String, String)> = Vec::new();
    for (spec, n) in [
        ("svc-spec-0", 0),
        ("svc-spec-1", 1),
        ("svc-spec-3", 3),
        ("svc-spec-20", 20),
        ("aws-sample-svc-spec", 1),
    ] {
        let (path, pipeline) = rendered
            .iter()
            .find(|(p, _)| p.to_string_lossy().ends_with(&format!("{spec}/pipeline.yaml")))
            .unwrap_or_else(|| panic!("no pipeline rendered with {spec}"));
        let resources = pipeline["Resources"].as_object().unwrap();
        // The pipeline keeps its logical ID (stack updates change it in place) and its console URL output.
        let stages = resources["Pipeline"]["Properties"]["Stages"].as_array().unwrap();
        assert_eq!(stages.len(), 2 + n, "{}", path.display());
        assert!(
            pipeline["Outputs"]["PipelineEndpoint"]["Value"]["Fn::Sub"].is_array(),
            "{}: PipelineEndpoint",
            path.display()
        );
        let deploy_roles: BTreeSet<String> = stages[2..]
            .iter()
            .map(|stage| {
                let actions = stage["Actions"].as_array().unwrap();
                assert_eq!(actions.len(), 1, "{}", path.display());
                assert_eq!(actions[0]["ActionTypeId"]["Provider"], "ECS", "{}", path.display());
                actions[0]["RoleArn"]["Fn::GetAtt"][0]
                    .as_str()
                    .unwrap_or_else(|| panic!("{}: a deploy action without its own role", path.display()))
                    .to_owned()
            })
            .collect();
        assert_eq!(deploy_roles.len(), n, "{}: one role per deploy action", path.display());
        for role in &deploy_roles {
            assert_eq!(resources[role]["Type"], "AWS::IAM::Role", "{}", path.display());
            // Tagging is limited to the instance's task definition family, `<service>_<instance>`.
            let tags: Vec<J> = resources
                .values()
                .filter(|r| r["Type"] == "AWS::IAM::Policy" && r["Properties"]["Roles"][0]["Ref"] == *role)
                .flat_map(|r| {
                    r["Properties"]["PolicyDocument"]["Statement"]
                        .as_array()
                        .unwrap()
                        .clone()
                })
                .filter(|s| s["Action"] == "ecs:TagResource")
                .collect();
            assert_eq!(tags.len(), 1, "{}: {role}", path.display());
            assert_eq!(tags[0]["Effect"], "Allow");
            let sub = &tags[0]["Resource"]["Fn::Sub"];
            assert_eq!(
                sub[0],
                "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/${Family}:*",
                "{}: {role}",
                path.display()
            );
            // `<service name>_<instance name>`, rendered.
            let family = &sub[1]["Family"]["Fn::Join"];
            assert_eq!(family[0], "_", "{}: {role}", path.display());
            let parts: Vec<&str> = family[1].as_array().unwrap().iter().filter_map(J::as_str).collect();
            assert!(
                parts.len() == 2 && parts.iter().all(|p| !p.is_empty() && !p.contains('{')),
                "{}: {role}: family {family}",
                path.display()
            );
            assert_eq!(
                tags[0]["Condition"],
                serde_json::json!({"StringEquals": {"ecs:CreateAction": "RegisterTaskDefinition"}})
            );
        }
        let pipeline_role = resources["Pipeline"]["Properties"]["RoleArn"]["Fn::GetAtt"][0].clone();
        let role_policies: Vec<&J> = resources
            .values()
            .filter(|r| {
                r["Properties"]["Roles"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|x| x["Ref"] == pipeline_role))
            })
            .collect();
        assert!(
            !role_policies.is_empty(),
            "{}: the pipeline role's policy",
            path.display()
        );
        pipeline_role_policies.push((spec.to_owned(), serde_json::to_string(&role_policies).unwrap()));
        // IAM's limit on the inline policies of one role (10,240 characters without whitespace), estimated
        // on the rendered documents (intrinsics instead of resolved ARNs are about as long).
        let mut per_role: std::collections::BTreeMap<String, usize> = Default::default();
        for r in resources.values().filter(|r| r["Type"] == "AWS::IAM::Policy") {
            let len = serde_json::to_string(&r["Properties"]["PolicyDocument"]).unwrap().len();
            for role in r["Properties"]["Roles"].as_array().unwrap() {
                *per_role.entry(role.to_string()).or_default() += len;
            }
        }
        // IAM's default quota of managed policies per role.
        let mut managed: std::collections::BTreeMap<String, usize> = Default::default();
        for r in resources.values().filter(|r| r["Type"] == "AWS::IAM::ManagedPolicy") {
            for role in r["Properties"]["Roles"].as_array().into_iter().flatten() {
                *managed.entry(role.to_string()).or_default() += 1;
            }
        }
        for (role, n) in managed {
            assert!(
                n <= 10,
                "{}: {n} managed policies are attached to {role}",
                path.display()
            );
        }
        for (role, len) in per_role {
            assert!(
                len < 10_240,
                "{}: the inline policies of {role} have {len} characters",
                path.display()
            );
        }
    }
    let (_, first) = &pipeline_role_policies[0];
    for (spec, policies) in &pipeline_role_policies {
        assert_eq!(
            policies, first,
            "{spec}: the pipeline role's policies depend on the instances"
        );
    }
}

// ----------------------------------------------------------------------------------------------------------
// Inventory

/// Resource types of the sample that our templates deliberately do not use, with the reason. Empty: every
/// type of the sample has a counterpart. What was replaced is below the type level: the sample's per-instance
/// `Deploy<n>Project` CodeBuild projects (which called `aws proton update-service-instance`) became CodePipeline
/// ECS deploy actions with a per-instance role (so `AWS::CodeBuild::Project` is covered by the build project
/// alone), and the managed `AmazonECSTaskExecutionRolePolicy` became an inline least-privilege policy.
const REPLACED: &[(&str, &str)] = &[];

/// `Type: AWS::…` of every resource of the sample's CloudFormation files (Jinja and short-form tags included,
/// so read as text).
fn sample_resource_types() -> BTreeSet<String> {
    let re = regex::Regex::new(r#"(?m)^\s+Type:\s*['"]?(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)"#).unwrap();
    let mut out = BTreeSet::new();
    for f in [
        "environment/infrastructure/cloudformation.yaml",
        "service/instance_infrastructure/cloudformation.yaml",
        "service/pipeline_infrastructure/cloudformation.yaml",
    ] {
        let text = fs::read_to_string(samples().join(f)).unwrap();
        out.extend(re.captures_iter(&text).map(|c| c[1].to_owned()));
    }
    out
}

/// Every environment output AWS's sample service templates read is declared by our environment template: the
/// contract is the same.
#[test]
fn environment_outputs_cover_the_sample_service() {
    let re = regex::Regex::new(r"environment\.outputs\.([A-Za-z0-9]+)").unwrap();
    let mut read = BTreeSet::new();
    for f in [
        "service/instance_infrastructure/cloudformation.yaml",
        "service/pipeline_infrastructure/cloudformation.yaml",
    ] {
        let text = fs::read_to_string(samples().join(f)).unwrap();
        read.extend(re.captures_iter(&text).map(|c| c[1].to_owned()));
    }
    assert!(read.len() >= 6, "{read:?}");
    let declared: BTreeSet<String> = public_vpc_env::environment().interface().outputs.into_iter().collect();
    let missing: Vec<&String> = read.difference(&declared).collect();
    assert!(
        missing.is_empty(),
        "outputs the sample service reads but public-vpc does not declare: {missing:?}"
    );
}

#[test]
fn inventory_covers_the_sample() {
    let sample = sample_resource_types();
    assert!(
        sample.len() > 20,
        "the sample's resource types were not found: {sample:?}"
    );
    // Rendered outside target/examples-rendered (which the CI lints) to not race with render_lb_fargate_svc.
    let out = root().join("target/examples-seed-scratch/inventory");
    let ours = resource_types(&render_example("lb_fargate_svc", &lb_fargate_svc::app(), &out));
    let replaced: BTreeSet<String> = REPLACED.iter().map(|(t, _)| (*t).to_owned()).collect();
    let missing: Vec<&String> = sample.difference(&ours).filter(|t| !replaced.contains(*t)).collect();
    assert!(
        missing.is_empty(),
        "resource types of the sample we do not cover: {missing:?}"
    );
    for (t, _) in REPLACED {
        assert!(!ours.contains(*t), "{t} is listed as replaced but is used");
    }
}
