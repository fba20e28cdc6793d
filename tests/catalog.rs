//! The catalog's Fargate family (issue #12): `examples/fargate_env.rs`, `examples/vpc_env.rs`,
//! `examples/backend_fargate_svc.rs` and `examples/load_balanced_fargate_svc.rs` against AWS's CloudFormation
//! catalog samples vendored in `tests/fixtures/aws-samples/aws-catalog/`, through the parity harness of
//! `catalog_harness/`: schema parity (with the declared deviations), pattern meaning in plain CloudFormation,
//! the environment outputs the samples' services read, renders with 1 and 20 instances and the samples' own
//! specs (written to `target/examples-rendered/` for cfn-lint and the security gate), snapshots and
//! determinism. The worker and scheduled Fargate services and the public-private microservices set are
//! checked the same way by `tests/catalog_fargate.rs`.

mod catalog_harness;

use std::collections::BTreeSet;

use catalog_harness::*;
use proton_synth::app::App;
use serde_json::Value as J;

#[path = "../examples/load_balanced_fargate_svc.rs"]
mod load_balanced_fargate_svc;
// vpc_env includes its own copy of fargate_env (each example is a standalone program); the two copies are
// separate modules here, which is harmless.
#[allow(clippy::duplicate_mod)]
#[path = "../examples/vpc_env.rs"]
mod vpc_env;

use load_balanced_fargate_svc::backend_fargate_svc;
use load_balanced_fargate_svc::backend_fargate_svc::fargate_env;

/// One example program against the samples it ports: (our template name, sample folder, deviations).
struct Pair {
    example: &'static str,
    app: fn() -> App,
    templates: &'static [(&'static str, &'static str, &'static [Deviation])],
}

const ENV: (&str, &str, &[Deviation]) = ("fargate-env", "environment-templates/fargate-env", &[]);

const LB_DEVIATIONS: &[Deviation] = &[Deviation {
    input_type: "service_input_type",
    property: "loadbalancer_type",
    reason: "application load balancers only: the sample's network variant opened the tasks' security group to \
             the internet (no security group on its network load balancer); the L3 pattern builds ALBs only",
}];

fn pairs() -> [Pair; 4] {
    [
        Pair {
            example: "fargate_env",
            app: fargate_env::app,
            templates: &[ENV],
        },
        Pair {
            example: "vpc_env",
            app: vpc_env::app,
            templates: &[("vpc-env", "environment-templates/vpc-env", &[])],
        },
        Pair {
            example: "backend_fargate_svc",
            app: backend_fargate_svc::app,
            templates: &[
                ENV,
                ("backend-fargate-svc", "service-templates/backend-fargate-svc", &[]),
            ],
        },
        Pair {
            example: "load_balanced_fargate_svc",
            app: load_balanced_fargate_svc::app,
            templates: &[
                ENV,
                (
                    "load-balanced-fargate-svc",
                    "service-templates/load-balanced-fargate-svc",
                    LB_DEVIATIONS,
                ),
            ],
        },
    ]
}

/// Resource types of a sample that our port deliberately does not use, with the reason.
const REPLACED: &[(&str, &str, &str)] = &[(
    "service-templates/load-balanced-fargate-svc",
    "AWS::IAM::ManagedPolicy",
    "the sample attached cloudwatch:PutMetricData and logs:PutLogEvents on * and a permissions boundary allowing \
     S3 reads and writes on *; the task role here may only publish to the environment's topic",
)];

/// Every resource type of each sample has a counterpart in our rendered templates, except the listed
/// replacements (which must then be absent).
#[test]
fn inventory_covers_the_samples() {
    for pair in pairs() {
        let s = synth(pair.example, &(pair.app)());
        let out = root().join("target/catalog-scratch/inventory").join(pair.example);
        let rendered = render_example_to(pair.example, &s, &[], &out);
        for (template, sample, _) in pair.templates {
            assert_inventory(&rendered, template, sample, REPLACED);
        }
    }
}

#[test]
fn schemas_are_at_parity_with_the_samples() {
    for pair in pairs() {
        let s = synth(pair.example, &(pair.app)());
        for (template, sample, deviations) in pair.templates {
            let ours = text(&s, &format!("proton/bundles/{template}/schema/schema.yaml"));
            assert_schema_parity(&catalog(sample).join("v1/schema/schema.yaml"), &ours, deviations);
        }
    }
}

#[test]
fn patterns_keep_their_meaning_in_plain_cloudformation() {
    for (example, app, name) in [
        ("fargate_env", fargate_env::app as fn() -> App, "fargate-env"),
        ("vpc_env", vpc_env::app, "vpc-env"),
    ] {
        let s = synth(example, &app());
        let schema = text(&s, &format!("proton/bundles/{name}/schema/schema.yaml"));
        let checked = assert_patterns_keep_meaning(&schema, &plain(&s, &format!("{name}.template.json")));
        // The five CIDR inputs.
        assert_eq!(checked, 5, "{example}");
    }
}

/// Every catalog service written against `vpc-env` (the Lambda and App Runner services) finds the outputs it
/// reads in our `vpc-env`, and every output of the sample environment is declared.
#[test]
fn vpc_env_provides_what_the_sample_services_read() {
    let declared: BTreeSet<String> = vpc_env::environment().interface().outputs.into_iter().collect();
    let services = catalog_services_compatible_with("vpc-env:1");
    assert!(services.len() >= 4, "{services:?}");
    for sample in &services {
        let read = sample_env_outputs_read(sample);
        assert!(!read.is_empty(), "{sample}");
        let missing: Vec<&String> = read.difference(&declared).collect();
        assert!(
            missing.is_empty(),
            "{sample} reads outputs vpc-env does not declare: {missing:?}"
        );
    }
    for name in sample_env_outputs_declared("environment-templates/vpc-env") {
        assert!(
            declared.contains(&name),
            "the sample environment's output {name} is not declared"
        );
    }
}

/// Every environment output the catalog's four services for `fargate-env` read (backend, load-balanced,
/// scheduled and worker) is declared by our environment, as is every output of the sample environment; our
/// backend and load-balanced services declare compatibility with `fargate-env:1`, like the samples (the worker
/// and scheduled services: `tests/catalog_fargate.rs`).
#[test]
fn the_environment_provides_what_the_sample_services_read() {
    let declared: BTreeSet<String> = fargate_env::environment().interface().outputs.into_iter().collect();
    let services = catalog_services_compatible_with("fargate-env:1");
    assert_eq!(services.len(), 4, "{services:?}");
    for sample in &services {
        let read = sample_env_outputs_read(sample);
        assert!(read.len() >= 5, "{sample}: {read:?}");
        let missing: Vec<&String> = read.difference(&declared).collect();
        assert!(
            missing.is_empty(),
            "{sample} reads outputs fargate-env does not declare: {missing:?}"
        );
    }
    for name in sample_env_outputs_declared("environment-templates/fargate-env") {
        assert!(
            declared.contains(&name),
            "the sample environment's output {name} is not declared"
        );
    }
    let env = fargate_env::environment().interface();
    for svc in [
        backend_fargate_svc::service(&env),
        load_balanced_fargate_svc::service(&env),
    ] {
        let compatible: Vec<String> = svc.compatible_environments().iter().map(|e| e.reference()).collect();
        assert_eq!(compatible, vec!["fargate-env:1".to_owned()], "{}", svc.name());
    }
}

#[test]
fn snapshots_and_determinism() {
    for pair in pairs() {
        snapshot(pair.example, pair.app);
    }
}

fn service_resource<'a>(t: &'a J, type_name: &str) -> &'a J {
    let found = resources_of(t, type_name);
    assert_eq!(found.len(), 1, "one {type_name}");
    found[0].1
}

#[test]
fn render_with_1_and_20_instances_and_the_sample_specs() {
    for pair in pairs() {
        let s = synth(pair.example, &(pair.app)());
        let samples: Vec<(&str, &str)> = pair.templates.iter().map(|(t, f, _)| (*t, *f)).collect();
        let rendered = render_example(pair.example, &s, &samples);
        let names: BTreeSet<&str> = rendered.iter().map(|(p, _)| p.as_str()).collect();
        let env = pair.templates[0].0;
        for f in [
            format!("{env}/{env}.env-spec/environment.yaml"),
            format!("{env}/aws-sample-spec/environment.yaml"),
        ] {
            assert!(names.contains(f.as_str()), "{f} was not rendered: {names:#?}");
        }
        for (template, sample, _) in pair.templates.iter().skip(1) {
            let prod = format!("{}-prod", sample.rsplit('/').next().unwrap());
            for f in [
                format!("{template}/{template}.svc-spec-1/instance-instance-1.yaml"),
                format!("{template}/{template}.svc-spec-1/pipeline.yaml"),
                format!("{template}/{template}.svc-spec-20/instance-instance-20.yaml"),
                format!("{template}/{template}.svc-spec-20/pipeline.yaml"),
                format!("{template}/aws-sample-spec/instance-{prod}.yaml"),
            ] {
                assert!(names.contains(f.as_str()), "{f} was not rendered: {names:#?}");
            }
            // One deploy stage per instance after Source and Build.
            for (spec, n) in [("svc-spec-1", 1), ("svc-spec-20", 20)] {
                let (_, pipeline) = rendered
                    .iter()
                    .find(|(p, _)| *p == format!("{template}/{template}.{spec}/pipeline.yaml"))
                    .unwrap();
                let p = service_resource(pipeline, "AWS::CodePipeline::Pipeline");
                assert_eq!(
                    p["Properties"]["Stages"].as_array().unwrap().len(),
                    2 + n,
                    "{template} {spec}"
                );
            }
        }
        for (path, t) in &rendered {
            if !path.contains("/instance-") {
                continue;
            }
            // The subnet choice: the sample's default `public` → public subnets with public IPs.
            let svc = service_resource(t, "AWS::ECS::Service");
            let awsvpc = &svc["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"];
            assert_eq!(awsvpc["AssignPublicIp"]["Fn::If"][0], "PrivateSubnets", "{path}");
            assert_eq!(t["Conditions"]["PrivateSubnets"]["Fn::Equals"][1], "private", "{path}");
            assert_eq!(
                svc["Properties"]["ServiceRegistries"].as_array().map(Vec::len),
                Some(1),
                "{path}: registered in Cloud Map"
            );
            let family = &service_resource(t, "AWS::ECS::TaskDefinition")["Properties"]["Family"];
            assert!(
                family.is_object() || family.as_str().is_some_and(|f| f.contains('_')),
                "{path}: {family}"
            );
            assert_eq!(
                resources_of(t, "AWS::ApplicationAutoScaling::ScalingPolicy").len(),
                2,
                "{path}"
            );
        }
    }
}

/// The AWS sample spec (subnet_type default, medium or default task size) renders to a service in the public
/// subnets; a spec asking for `private` puts the tasks in the private subnets without public IPs.
#[test]
fn subnet_type_selects_the_subnets() {
    let s = synth("backend_fargate_svc", &backend_fargate_svc::app());
    let out = root().join("target/catalog-scratch/subnet-type");
    let rendered = render_example_to("backend_fargate_svc-subnet-type", &s, &[], &out);
    let (_, t) = rendered
        .iter()
        .find(|(p, _)| p.ends_with("svc-spec-1/instance-instance-1.yaml"))
        .unwrap();
    let svc = service_resource(t, "AWS::ECS::Service");
    let subnets = svc["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]
        .as_array()
        .unwrap();
    assert_eq!(subnets.len(), 2);
    for s in subnets {
        let branches = s["Fn::If"].as_array().unwrap();
        assert_eq!(branches[0], "PrivateSubnets");
        assert!(branches[1].as_str().unwrap().starts_with("subnet-"));
    }
    // The condition compares the rendered input.
    assert_eq!(t["Conditions"]["PrivateSubnets"]["Fn::Equals"][0], "public");
}
