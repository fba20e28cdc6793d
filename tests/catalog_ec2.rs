//! The catalog's ECS-on-EC2 family (issue #12): `examples/ecs_ec2_env.rs`,
//! `examples/load_balanced_ecs_ec2_svc.rs`, `examples/backend_ecs_ec2_svc.rs`,
//! `examples/worker_ecs_ec2_svc.rs` and `examples/scheduled_ecs_ec2_svc.rs` against AWS's CloudFormation
//! catalog samples vendored in `tests/fixtures/aws-samples/aws-catalog/`, through the parity harness of
//! `catalog_harness/`: schema parity, pattern meaning in plain CloudFormation, the environment outputs the
//! samples' EC2 services read, renders with the generated spec and the sample's own spec (written to
//! `target/examples-rendered/` for cfn-lint and the security gate), snapshots and determinism.

mod catalog_harness;

use std::collections::BTreeSet;

use catalog_harness::*;
use proton_synth::app::App;
use serde_json::{json, Value as J};

#[path = "../examples/backend_ecs_ec2_svc.rs"]
mod backend_ecs_ec2_svc;
// Each example is a standalone program including what it shares; the copies are separate modules here.
#[allow(clippy::duplicate_mod)]
#[path = "../examples/scheduled_ecs_ec2_svc.rs"]
mod scheduled_ecs_ec2_svc;
#[allow(clippy::duplicate_mod)]
#[path = "../examples/worker_ecs_ec2_svc.rs"]
mod worker_ecs_ec2_svc;

use backend_ecs_ec2_svc::load_balanced_ecs_ec2_svc;
use load_balanced_ecs_ec2_svc::ecs_ec2_env;

/// One example program against the samples it ports: (our template name, sample folder, deviations).
struct Pair {
    example: &'static str,
    app: fn() -> App,
    templates: &'static [(&'static str, &'static str, &'static [Deviation])],
}

const ENV: (&str, &str, &[Deviation]) = ("ecs-ec2-env", "environment-templates/ecs-ec2-env", &[]);

const LB_DEVIATIONS: &[Deviation] = &[Deviation {
    input_type: "service_input_type",
    property: "loadbalancer_type",
    reason: "application load balancers only: the sample's network variant opened the container instances' \
             ports 32768-65535 to the internet (no security group on its network load balancer); the L3 \
             pattern builds ALBs only",
}];

fn pairs() -> [Pair; 5] {
    [
        Pair {
            example: "ecs_ec2_env",
            app: ecs_ec2_env::app,
            templates: &[ENV],
        },
        Pair {
            example: "load_balanced_ecs_ec2_svc",
            app: load_balanced_ecs_ec2_svc::app,
            templates: &[
                ENV,
                (
                    "load-balanced-ecs-ec2-svc",
                    "service-templates/load-balanced-ecs-ec2-svc",
                    LB_DEVIATIONS,
                ),
            ],
        },
        Pair {
            example: "backend_ecs_ec2_svc",
            app: backend_ecs_ec2_svc::app,
            templates: &[
                ENV,
                ("backend-ecs-ec2-svc", "service-templates/backend-ecs-ec2-svc", &[]),
            ],
        },
        Pair {
            example: "worker_ecs_ec2_svc",
            app: worker_ecs_ec2_svc::app,
            templates: &[ENV, ("worker-ecs-ec2-svc", "service-templates/worker-ecs-ec2-svc", &[])],
        },
        Pair {
            example: "scheduled_ecs_ec2_svc",
            app: scheduled_ecs_ec2_svc::app,
            templates: &[
                ENV,
                ("scheduled-ecs-ec2-svc", "service-templates/scheduled-ecs-ec2-svc", &[]),
            ],
        },
    ]
}

/// Resource types of a sample that our port deliberately does not use, with the reason.
const REPLACED: &[(&str, &str, &str)] = &[
    (
        "environment-templates/ecs-ec2-env",
        "AWS::AutoScaling::LaunchConfiguration",
        "launch configurations are deprecated; a launch template with IMDSv2 only and an encrypted root volume",
    ),
    (
        "environment-templates/ecs-ec2-env",
        "AWS::AutoScaling::LifecycleHook",
        "instance draining is the capacity provider's managed draining",
    ),
    (
        "environment-templates/ecs-ec2-env",
        "AWS::Lambda::Function",
        "the sample's draining function (Python 3.6, ec2:Describe* on *) is replaced by managed draining",
    ),
    (
        "environment-templates/ecs-ec2-env",
        "AWS::Lambda::Permission",
        "the draining function's permission, gone with it",
    ),
    (
        "environment-templates/ecs-ec2-env",
        "AWS::SNS::Subscription",
        "the draining function's subscription to the lifecycle topic, gone with it",
    ),
    (
        "service-templates/load-balanced-ecs-ec2-svc",
        "AWS::IAM::ManagedPolicy",
        "the sample attached cloudwatch:PutMetricData and logs:PutLogEvents on * and a permissions boundary \
         allowing S3 reads and writes on *; the task role here may only publish to the environment's topic",
    ),
    (
        "environment-templates/ecs-ec2-env",
        "AWS::SSM::Parameter",
        "not a resource: the sample's `ECSAMI` template parameter of type AWS::SSM::Parameter::Value<...>; a \
         {{resolve:ssm:...}} dynamic reference reads the same SSM parameter at every deployment",
    ),
];

#[test]
fn inventory_covers_the_samples() {
    for pair in pairs() {
        let s = synth(pair.example, &(pair.app)());
        let out = root().join("target/catalog-scratch/inventory-ec2").join(pair.example);
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
    let s = synth("ecs_ec2_env", &ecs_ec2_env::app());
    let schema = text(&s, "proton/bundles/ecs-ec2-env/schema/schema.yaml");
    let checked = assert_patterns_keep_meaning(&schema, &plain(&s, "ecs-ec2-env.template.json"));
    // The five CIDR inputs.
    assert_eq!(checked, 5);
}

/// Every environment output the catalog's EC2 services read is declared by our environment, as is every
/// output of the sample environment.
#[test]
fn the_environment_provides_what_the_sample_services_read() {
    let declared: BTreeSet<String> = ecs_ec2_env::environment().interface().outputs.into_iter().collect();
    let services = catalog_services_compatible_with("ecs-ec2-env:1");
    assert_eq!(services.len(), 4, "{services:?}");
    for sample in &services {
        let read = sample_env_outputs_read(sample);
        assert!(read.len() >= 4, "{sample}: {read:?}");
        let missing: Vec<&String> = read.difference(&declared).collect();
        assert!(
            missing.is_empty(),
            "{sample} reads outputs ecs-ec2-env does not declare: {missing:?}"
        );
    }
    for name in sample_env_outputs_declared("environment-templates/ecs-ec2-env") {
        assert!(
            declared.contains(&name),
            "the sample environment's output {name} is not declared"
        );
    }
}

#[test]
fn snapshots_and_determinism() {
    for pair in pairs() {
        snapshot(pair.example, pair.app);
    }
}

fn one<'a>(t: &'a J, type_name: &str) -> &'a J {
    let found = resources_of(t, type_name);
    assert_eq!(found.len(), 1, "one {type_name}");
    &found[0].1["Properties"]
}

/// The environment renders with the generated spec and the sample's own; the capacity chain is whole: the
/// launch template (IMDSv2, encrypted root, the AMI from the `ECSAMI` parameter), the group sized by the
/// inputs in the subnets `subnet_type` chooses, the capacity provider as the cluster's default strategy.
#[test]
fn render_with_the_generated_and_the_sample_specs() {
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
            for (spec, n) in [("svc-spec-1", 1), ("svc-spec-20", 20)] {
                let (_, pipeline) = rendered
                    .iter()
                    .find(|(p, _)| *p == format!("{template}/{template}.{spec}/pipeline.yaml"))
                    .unwrap();
                let p = one(pipeline, "AWS::CodePipeline::Pipeline");
                // One deploy stage per instance after Source and Build; none for a scheduled task (no service).
                let deploys = if template.starts_with("scheduled-") { 0 } else { n };
                assert_eq!(p["Stages"].as_array().unwrap().len(), 2 + deploys, "{template} {spec}");
            }
        }
        for (path, t) in rendered.iter().filter(|(p, _)| p.contains("/instance-")) {
            let td = one(t, "AWS::ECS::TaskDefinition");
            assert_eq!(td["RequiresCompatibilities"], json!(["EC2"]), "{path}");
            assert_eq!(td["NetworkMode"], "awsvpc", "{path}");
            if path.starts_with("scheduled-") {
                // The rule runs the task on the cluster's default capacity provider strategy.
                let rule = one(t, "AWS::Events::Rule");
                let ecs = &rule["Targets"][0]["EcsParameters"];
                assert!(ecs["TaskDefinitionArn"]["Ref"].is_string(), "{path}: {ecs}");
                for absent in ["LaunchType", "PlatformVersion"] {
                    assert!(ecs.get(absent).is_none(), "{path}: {absent} in {ecs}");
                }
                let awsvpc = &ecs["NetworkConfiguration"]["AwsVpcConfiguration"];
                assert!(awsvpc.get("AssignPublicIp").is_none(), "{path}: {awsvpc}");
                continue;
            }
            // On the environment's capacity provider: neither a launch type nor a strategy of its own.
            let svc = one(t, "AWS::ECS::Service");
            assert!(svc.get("LaunchType").is_none(), "{path}: {svc}");
            assert!(svc.get("CapacityProviderStrategy").is_none(), "{path}");
            let awsvpc = &svc["NetworkConfiguration"]["AwsvpcConfiguration"];
            assert!(awsvpc.get("AssignPublicIp").is_none(), "{path}");
            assert_eq!(awsvpc["Subnets"].as_array().map(Vec::len), Some(2), "{path}");
            // Registered in Cloud Map: the services others call (not the worker).
            let registered = if path.starts_with("worker-") { None } else { Some(1) };
            assert_eq!(svc["ServiceRegistries"].as_array().map(Vec::len), registered, "{path}");
            let td = one(t, "AWS::ECS::TaskDefinition");
            assert_eq!(td["RequiresCompatibilities"], json!(["EC2"]), "{path}");
            assert_eq!(td["NetworkMode"], "awsvpc", "{path}");
            for (_, tg) in resources_of(t, "AWS::ElasticLoadBalancingV2::TargetGroup") {
                assert_eq!(tg["Properties"]["TargetType"], "ip", "{path}");
            }
            // CPU and memory target tracking; the worker: CPU and the queue's backlog steps.
            let policies = resources_of(t, "AWS::ApplicationAutoScaling::ScalingPolicy").len();
            assert!(policies >= 2, "{path}: {policies} scaling policies");
        }
        for (path, t) in rendered.iter().filter(|(p, _)| p.starts_with("ecs-ec2-env/")) {
            let lt = &one(t, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"];
            assert_eq!(lt["MetadataOptions"]["HttpTokens"], "required", "{path}");
            assert_eq!(lt["BlockDeviceMappings"][0]["Ebs"]["Encrypted"], true, "{path}");
            assert_eq!(
                lt["ImageId"]["Fn::Sub"][1]["Name"],
                "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id",
                "{path}"
            );
            assert_eq!(lt["ImageId"]["Fn::Sub"][0], "{{resolve:ssm:${Name}}}", "{path}");
            let asg = one(t, "AWS::AutoScaling::AutoScalingGroup");
            assert_eq!(asg["MinSize"], "1", "{path}");
            assert_eq!(normalize(&asg["MaxSize"]), normalize(&json!(6)), "{path}");
            assert_eq!(normalize(&asg["DesiredCapacity"]), normalize(&json!(1)), "{path}");
            assert_eq!(asg["VPCZoneIdentifier"][0]["Fn::If"][0], "PrivateSubnets", "{path}");
            // The sample's default `public`.
            assert_eq!(t["Conditions"]["PrivateSubnets"]["Fn::Equals"][0], "public", "{path}");
            let cp = one(t, "AWS::ECS::CapacityProvider");
            assert_eq!(cp["AutoScalingGroupProvider"]["ManagedDraining"], "ENABLED", "{path}");
            let assoc = one(t, "AWS::ECS::ClusterCapacityProviderAssociations");
            assert_eq!(
                assoc["DefaultCapacityProviderStrategy"].as_array().map(Vec::len),
                Some(1),
                "{path}"
            );
            assert!(resources_of(t, "AWS::Lambda::Function").is_empty(), "{path}");
        }
    }
}
