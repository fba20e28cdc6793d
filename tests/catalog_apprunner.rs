//! The catalog's App Runner service (issue #12): `examples/apprunner_svc.rs` (with `vpc-env`) against AWS's
//! catalog sample `service-templates/apprunner-svc` vendored in `tests/fixtures/aws-samples/aws-catalog/`,
//! through the parity harness of `catalog_harness/`: schema parity, the environment outputs the sample reads,
//! the resource inventory, renders with 1 and 20 instances and the sample's own spec (written to
//! `target/examples-rendered/apprunner_svc/` for cfn-lint and the security gate), what a rendered instance
//! holds, snapshots and determinism.

mod catalog_harness;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use catalog_harness::*;
use proton_synth::app::Synthesis;
use serde_json::Value as J;

#[path = "../examples/apprunner_svc.rs"]
mod apprunner_svc;

const EXAMPLE: &str = "apprunner_svc";
const SAMPLE: &str = "service-templates/apprunner-svc";
const ENV_SAMPLE: &str = "environment-templates/vpc-env";

/// The one property that differs from the sample's.
const IMAGE: &[Deviation] = &[Deviation {
    input_type: "service_input_type",
    property: "image",
    reason: "an `example` (a private ECR image URI of the pipeline's form) is added, so that generated specs \
             name a deployable image; otherwise as the sample (optional, no default, 1–200 characters)",
}];

fn synthesized() -> Synthesis {
    synth(EXAMPLE, &apprunner_svc::app())
}

/// The example rendered once per test run: generated specs (1 and 20 instances) and the samples' specs.
fn rendered() -> &'static [(String, J)] {
    static RENDERED: OnceLock<Vec<(String, J)>> = OnceLock::new();
    RENDERED.get_or_init(|| {
        render_example(
            EXAMPLE,
            &synthesized(),
            &[("apprunner-svc", SAMPLE), ("vpc-env", ENV_SAMPLE)],
        )
    })
}

#[test]
fn schemas_are_at_parity_with_the_samples() {
    let s = synthesized();
    for (template, sample) in [("vpc-env", ENV_SAMPLE), ("apprunner-svc", SAMPLE)] {
        let ours = text(&s, &format!("proton/bundles/{template}/schema/schema.yaml"));
        let replaced: &[Deviation] = if template == "apprunner-svc" { IMAGE } else { &[] };
        assert_schema_parity_replacing(&catalog(sample).join("v1/schema/schema.yaml"), &ours, &[], replaced);
    }
}

/// Every resource type of the sample has a counterpart; the service is compatible with `vpc-env:1`, like the
/// sample, and `vpc-env` declares every output the sample reads.
#[test]
fn inventory_and_environment_outputs() {
    let s = synthesized();
    let ours = rendered_resource_types(
        rendered()
            .iter()
            .filter(|(p, _)| p.starts_with("apprunner-svc/"))
            .map(|(_, t)| t),
    );
    let theirs = sample_resource_types(SAMPLE);
    assert!(theirs.contains("AWS::AppRunner::Service"), "{theirs:?}");
    let missing: Vec<&String> = theirs.iter().filter(|t| !ours.contains(*t)).collect();
    assert!(
        missing.is_empty(),
        "{SAMPLE}: resource types we do not cover: {missing:?}"
    );

    assert_eq!(sample_compatible_envs(SAMPLE), vec!["vpc-env:1".to_owned()]);
    // The sample's outputs, declared as instance outputs (under `ImageDefined`, see `assert_instance`).
    let svc = apprunner_svc::service(&apprunner_svc::vpc_env::environment().interface());
    assert_eq!(svc.instance_outputs(), ["AppRunnerServiceARN", "AppRunnerServiceURL"]);
    let env_plain = plain(&s, "vpc-env.template.json");
    let declared: BTreeSet<String> = env_plain["Outputs"].as_object().unwrap().keys().cloned().collect();
    let read = sample_env_outputs_read(SAMPLE);
    assert!(read.contains("VpcConnectorArn"), "{read:?}");
    let missing: Vec<&String> = read.difference(&declared).collect();
    assert!(
        missing.is_empty(),
        "{SAMPLE} reads outputs vpc-env does not declare: {missing:?}"
    );
}

/// What a rendered instance holds: the service sized by the sample's mapping, in the environment's VPC
/// through its connector, pulling from the image's repository only; everything under `ImageDefined`.
fn assert_instance(path: &str, t: &J) {
    let services = resources_of(t, "AWS::AppRunner::Service");
    assert_eq!(services.len(), 1, "{path}");
    let p = &services[0].1["Properties"];
    assert_eq!(
        t["Mappings"]["TaskSize"],
        serde_json::json!({"medium": {"cpu": "1 vCPU", "memory": "2 GB"}, "large": {"cpu": "2 vCPU", "memory": "4 GB"}}),
        "{path}"
    );
    assert_eq!(
        p["InstanceConfiguration"]["Cpu"]["Fn::FindInMap"][0], "TaskSize",
        "{path}"
    );
    let egress = &p["NetworkConfiguration"]["EgressConfiguration"];
    assert_eq!(egress["EgressType"], "VPC", "{path}");
    assert!(
        egress["VpcConnectorArn"].as_str().unwrap().starts_with("arn:aws:"),
        "{path}: {egress}"
    );
    let image = &p["SourceConfiguration"]["ImageRepository"];
    assert_eq!(image["ImageRepositoryType"], "ECR", "{path}");
    let identifier = image["ImageIdentifier"].as_str().unwrap();
    let expected = if path.contains("aws-sample-spec") {
        apprunner_svc::UNUSED_IMAGE
    } else {
        apprunner_svc::EXAMPLE_IMAGE
    };
    assert_eq!(identifier, expected, "{path}");
    assert_eq!(image["ImageConfiguration"]["Port"], 80, "{path}");
    for (id, r) in t["Resources"].as_object().unwrap() {
        assert_eq!(r["Condition"], "ImageDefined", "{path}: {id}");
    }
    for (id, o) in t["Outputs"].as_object().unwrap() {
        assert_eq!(o["Condition"], "ImageDefined", "{path}: {id}");
    }
    let pulls: Vec<&J> = resources_of(t, "AWS::IAM::Policy")
        .into_iter()
        .flat_map(|(_, r)| r["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap())
        .filter(|s| s["Action"].to_string().contains("ecr:BatchGetImage"))
        .collect();
    assert_eq!(pulls.len(), 1, "{path}");
    assert!(
        pulls[0]["Resource"]["Fn::Sub"].is_array(),
        "{path}: pulls from one repository"
    );
}

#[test]
fn render_with_1_and_20_instances_and_the_sample_spec() {
    let rendered = rendered();
    let names: BTreeSet<&str> = rendered.iter().map(|(p, _)| p.as_str()).collect();
    for expected in [
        "apprunner-svc/apprunner-svc.svc-spec-1/instance-instance-1.yaml",
        "apprunner-svc/apprunner-svc.svc-spec-20/instance-instance-20.yaml",
        "apprunner-svc/aws-sample-spec/instance-apprunner-svc-prod.yaml",
    ] {
        assert!(names.contains(expected), "{expected} not rendered: {names:#?}");
    }
    let instances: Vec<&(String, J)> = rendered
        .iter()
        .filter(|(p, _)| p.starts_with("apprunner-svc/") && p.contains("/instance-"))
        .collect();
    assert_eq!(instances.len(), 1 + 20 + 1, "{names:#?}");
    for (path, t) in instances {
        assert_instance(path, t);
    }
    // The sample's spec gives no image: the condition compares the empty string, so nothing is deployed.
    let (_, sample) = rendered
        .iter()
        .find(|(p, _)| p == "apprunner-svc/aws-sample-spec/instance-apprunner-svc-prod.yaml")
        .unwrap();
    assert_eq!(
        sample["Conditions"]["ImageDefined"],
        serde_json::json!({"Fn::Not": [{"Fn::Equals": ["", ""]}]})
    );
}

#[test]
fn snapshots_and_determinism() {
    snapshot(EXAMPLE, apprunner_svc::app);
}
