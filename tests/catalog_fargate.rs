//! The catalog's Fargate worker and scheduled services and the public-private microservices set (issue #12):
//! `examples/worker_fargate_svc.rs`, `examples/scheduled_fargate_svc.rs`, `examples/microservices_env.rs` and
//! `examples/public_private_fargate_microservices.rs` against AWS's catalog samples vendored in
//! `tests/fixtures/aws-samples/aws-catalog/`, through the parity harness of `catalog_harness/`: every sample
//! resource type covered, schema parity (declared deviations only), renders with 1 and 20 instances and the
//! samples' own specs (written to `target/examples-rendered/` for cfn-lint and the security gate), what each
//! rendered instance means (queue, scaling, schedule, the private service's admission), snapshots and
//! determinism.

mod catalog_harness;

use std::collections::BTreeSet;

use catalog_harness::*;
use proton_synth::app::App;
use serde_json::Value as J;

#[path = "../examples/worker_fargate_svc.rs"]
mod worker_fargate_svc;
// Each example includes its own copy of backend_fargate_svc (each is a standalone program); the copies are
// separate modules here, which is harmless.
#[allow(clippy::duplicate_mod)]
#[path = "../examples/public_private_fargate_microservices.rs"]
mod public_private_fargate_microservices;
#[allow(clippy::duplicate_mod)]
#[path = "../examples/scheduled_fargate_svc.rs"]
mod scheduled_fargate_svc;

use public_private_fargate_microservices::microservices_env;

use worker_fargate_svc::backend_fargate_svc::fargate_env;

/// One example program against the samples it ports: (our template name, sample folder, deviations).
struct Pair {
    example: &'static str,
    app: fn() -> App,
    templates: &'static [(&'static str, &'static str, &'static [Deviation])],
}

const ENV: (&str, &str, &[Deviation]) = ("fargate-env", "environment-templates/fargate-env", &[]);

const MS_ENV: (&str, &str, &[Deviation]) = (
    "microservices-env",
    "public-private-fargate-microservices/microservices-env",
    &[],
);

fn pairs() -> Vec<Pair> {
    vec![
        Pair {
            example: "worker_fargate_svc",
            app: worker_fargate_svc::app,
            templates: &[ENV, ("worker-fargate-svc", "service-templates/worker-fargate-svc", &[])],
        },
        Pair {
            example: "microservices_env",
            app: microservices_env::app,
            templates: &[MS_ENV],
        },
        Pair {
            example: "public_private_fargate_microservices",
            app: public_private_fargate_microservices::app,
            templates: &[
                MS_ENV,
                (
                    "loadbalanced-public-svc",
                    "public-private-fargate-microservices/microservices-svc/loadbalanced-public-svc",
                    &[],
                ),
                (
                    "private-fargate-svc",
                    "public-private-fargate-microservices/microservices-svc/private-fargate-svc",
                    &[],
                ),
            ],
        },
        Pair {
            example: "scheduled_fargate_svc",
            app: scheduled_fargate_svc::app,
            templates: &[
                ENV,
                ("scheduled-fargate-svc", "service-templates/scheduled-fargate-svc", &[]),
            ],
        },
    ]
}

/// Resource types of a sample that our port deliberately does not use, with the reason.
const REPLACED: &[(&str, &str, &str)] = &[(
    "public-private-fargate-microservices/microservices-svc/loadbalanced-public-svc",
    "AWS::ElasticLoadBalancingV2::ListenerRule",
    "the sample's rule forwards every path (`*`) to the target group the listener's default action already \
     forwards to; the default action alone does the same",
)];

/// Every resource type of each sample has a counterpart in our rendered templates, except the listed
/// replacements (which must then be absent).
#[test]
fn inventory_covers_the_samples() {
    for pair in pairs() {
        let s = synth(pair.example, &(pair.app)());
        let out = root()
            .join("target/catalog-scratch/inventory-fargate")
            .join(pair.example);
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

/// Our services declare compatibility with the samples' environments (`fargate-env:1`,
/// `microservices-env:1`) and output what the samples output.
#[test]
fn compatible_with_the_sample_environments_and_the_sample_outputs() {
    let env = fargate_env::environment().interface();
    let ms_env = microservices_env::environment().interface();
    for (svc, sample) in [
        (
            public_private_fargate_microservices::public_service(&ms_env),
            "public-private-fargate-microservices/microservices-svc/loadbalanced-public-svc",
        ),
        (
            public_private_fargate_microservices::private_service(&ms_env),
            "public-private-fargate-microservices/microservices-svc/private-fargate-svc",
        ),
        (
            worker_fargate_svc::service(&env),
            "service-templates/worker-fargate-svc",
        ),
        (
            scheduled_fargate_svc::service(&env),
            "service-templates/scheduled-fargate-svc",
        ),
    ] {
        let compatible: Vec<String> = svc.compatible_environments().iter().map(|e| e.reference()).collect();
        assert_eq!(compatible, sample_compatible_envs(sample), "{}", svc.name());
        let ours: BTreeSet<&String> = svc.instance_outputs().iter().collect();
        for name in sample_instance_outputs(sample) {
            assert!(ours.contains(&name), "{sample}: output {name} is missing");
        }
    }
}

/// Output names of a sample service's instance template (`Outputs:` keys, read as text).
fn sample_instance_outputs(sample: &str) -> Vec<String> {
    let text = std::fs::read_to_string(catalog(sample).join("v1/instance_infrastructure/cloudformation.yaml")).unwrap();
    let mut out = Vec::new();
    let mut in_outputs = false;
    for line in text.lines() {
        if line.starts_with("Outputs:") {
            in_outputs = true;
        } else if in_outputs && line.starts_with("  ") && !line.starts_with("   ") {
            out.push(line.trim().trim_end_matches(':').to_owned());
        } else if !line.starts_with(' ') && !line.is_empty() {
            in_outputs = false;
        }
    }
    out
}

#[test]
fn snapshots_and_determinism() {
    for pair in pairs() {
        snapshot(pair.example, pair.app);
    }
}

fn one<'a>(t: &'a J, type_name: &str, path: &str) -> &'a J {
    let found = resources_of(t, type_name);
    assert_eq!(found.len(), 1, "{path}: one {type_name}");
    found[0].1
}

/// Renders with 1 and 20 instances and the sample's spec; the worker's pipeline deploys every instance after
/// its source and build stages, the scheduled task's builds only (instances take the image as an input).
#[test]
fn render_with_1_and_20_instances_and_the_sample_specs() {
    for pair in pairs() {
        let s = synth(pair.example, &(pair.app)());
        let samples: Vec<(&str, &str)> = pair.templates.iter().map(|(t, f, _)| (*t, *f)).collect();
        let rendered = render_example(pair.example, &s, &samples);
        let names: BTreeSet<&str> = rendered.iter().map(|(p, _)| p.as_str()).collect();
        let env = pair.templates[0].0;
        assert!(
            names.contains(format!("{env}/aws-sample-spec/environment.yaml").as_str()),
            "{names:#?}"
        );
        for (template, sample, _) in pair.templates.iter().skip(1) {
            let spec = yaml(&std::fs::read_to_string(sample_spec(sample)).unwrap(), sample);
            let prod = spec["instances"][0]["name"].as_str().unwrap();
            for f in [
                format!("{template}/{template}.svc-spec-1/instance-instance-1.yaml"),
                format!("{template}/{template}.svc-spec-20/instance-instance-20.yaml"),
                format!("{template}/{template}.svc-spec-20/pipeline.yaml"),
                format!("{template}/aws-sample-spec/instance-{prod}.yaml"),
                format!("{template}/aws-sample-spec/pipeline.yaml"),
            ] {
                assert!(names.contains(f.as_str()), "{f} was not rendered: {names:#?}");
            }
            for (spec, n) in [("svc-spec-1", 1), ("svc-spec-20", 20)] {
                let path = format!("{template}/{template}.{spec}/pipeline.yaml");
                let (_, pipeline) = rendered.iter().find(|(p, _)| *p == path).unwrap();
                let p = one(pipeline, "AWS::CodePipeline::Pipeline", &path);
                let deploy_stages = if *template == "scheduled-fargate-svc" { 0 } else { n };
                assert_eq!(
                    p["Properties"]["Stages"].as_array().unwrap().len(),
                    2 + deploy_stages,
                    "{path}"
                );
            }
        }
    }
}

/// The worker: its queue with a dead-letter queue after 3 receives, subscribed to the environment's topic,
/// which alone may send; the task role consumes that queue only; scaling on CPU and on the backlog.
#[test]
fn the_worker_consumes_its_queue_and_scales_on_the_backlog() {
    let s = synth("worker_fargate_svc", &worker_fargate_svc::app());
    let out = root().join("target/catalog-scratch/worker-meaning");
    let rendered = render_example_to("worker_fargate_svc-meaning", &s, &[], &out);
    let (path, t) = rendered
        .iter()
        .find(|(p, _)| p.ends_with("svc-spec-1/instance-instance-1.yaml"))
        .unwrap();
    let queues = resources_of(t, "AWS::SQS::Queue");
    assert_eq!(queues.len(), 2, "{path}");
    let (queue_id, queue) = queues
        .iter()
        .find(|(_, q)| q["Properties"]["RedrivePolicy"].is_object())
        .unwrap();
    assert_eq!(queue["Properties"]["RedrivePolicy"]["maxReceiveCount"], 3);
    assert_eq!(queue["Properties"]["SqsManagedSseEnabled"], true);
    let sub = one(t, "AWS::SNS::Subscription", path);
    assert_eq!(sub["Properties"]["Protocol"], "sqs");
    assert_eq!(sub["Properties"]["Endpoint"]["Fn::GetAtt"][0], queue_id.as_str());
    assert!(sub["Properties"]["TopicArn"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:sns:"));

    let policies = resources_of(t, "AWS::SQS::QueuePolicy");
    let send = policies
        .iter()
        .flat_map(|(_, p)| p["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap())
        .find(|st| st["Action"] == "sqs:SendMessage")
        .unwrap();
    assert_eq!(send["Principal"]["Service"], "sns.amazonaws.com");
    assert_eq!(
        send["Condition"]["ArnEquals"]["aws:SourceArn"],
        sub["Properties"]["TopicArn"]
    );

    let td = one(t, "AWS::ECS::TaskDefinition", path);
    let env: Vec<&str> = td["Properties"]["ContainerDefinitions"][0]["Environment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Name"].as_str().unwrap())
        .collect();
    assert_eq!(env, ["QUEUE_NAME", "QUEUE_URI", "QUEUE_REGION"], "{path}");
    let sqs_statements: Vec<&J> = resources_of(t, "AWS::IAM::Policy")
        .iter()
        .flat_map(|(_, p)| p["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap())
        .filter(|st| st["Action"].to_string().contains("sqs:"))
        .collect();
    assert_eq!(sqs_statements.len(), 1, "{path}");
    assert_eq!(sqs_statements[0]["Resource"]["Fn::GetAtt"][0], queue_id.as_str());

    let target = one(t, "AWS::ApplicationAutoScaling::ScalableTarget", path);
    assert_eq!(target["Properties"]["MinCapacity"], 1);
    assert_eq!(target["Properties"]["MaxCapacity"], 10);
    assert_eq!(resources_of(t, "AWS::ApplicationAutoScaling::ScalingPolicy").len(), 3);
    let thresholds: BTreeSet<String> = resources_of(t, "AWS::CloudWatch::Alarm")
        .iter()
        .filter(|(_, a)| a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible")
        .map(|(_, a)| a["Properties"]["Threshold"].to_string())
        .collect();
    assert_eq!(thresholds, BTreeSet::from(["0".to_owned(), "100".to_owned()]), "{path}");
    // The sample's default `public` subnets.
    let svc = one(t, "AWS::ECS::Service", path);
    assert_eq!(
        svc["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"]["Fn::If"][0],
        "PrivateSubnets"
    );
}

/// The scheduled task: an EventBridge rule on the `schedule_expression` input starting `desired_count` tasks
/// of the instance's task definition, through a role that may run that task definition in the environment's
/// cluster and pass its two roles to ECS tasks only; no ECS service.
#[test]
fn the_scheduled_task_runs_on_the_schedule_input_with_a_least_privilege_role() {
    let s = synth("scheduled_fargate_svc", &scheduled_fargate_svc::app());
    let out = root().join("target/catalog-scratch/scheduled-meaning");
    let rendered = render_example_to("scheduled_fargate_svc-meaning", &s, &[], &out);
    let (path, t) = rendered
        .iter()
        .find(|(p, _)| p.ends_with("svc-spec-1/instance-instance-1.yaml"))
        .unwrap();
    assert!(resources_of(t, "AWS::ECS::Service").is_empty(), "{path}");
    let (td_id, _) = resources_of(t, "AWS::ECS::TaskDefinition")[0];
    let rule = one(t, "AWS::Events::Rule", path);
    assert_eq!(rule["Properties"]["ScheduleExpression"], "rate(5 minutes)", "{path}");
    let targets = rule["Properties"]["Targets"].as_array().unwrap();
    assert_eq!(targets.len(), 1);
    let ecs = &targets[0]["EcsParameters"];
    assert_eq!(ecs["TaskCount"], 1);
    assert_eq!(ecs["LaunchType"], "FARGATE");
    assert_eq!(ecs["TaskDefinitionArn"]["Ref"], td_id.as_str());
    assert_eq!(
        ecs["NetworkConfiguration"]["AwsVpcConfiguration"]["AssignPublicIp"]["Fn::If"][0],
        "PrivateSubnets"
    );
    let role_id = targets[0]["RoleArn"]["Fn::GetAtt"][0].as_str().unwrap();
    let role_policy = resources_of(t, "AWS::IAM::Policy")
        .into_iter()
        .find(|(_, p)| p["Properties"]["Roles"][0]["Ref"] == role_id)
        .unwrap()
        .1;
    let statements = role_policy["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    assert_eq!(statements.len(), 2, "{path}");
    assert_eq!(statements[0]["Action"], "ecs:RunTask");
    assert_eq!(statements[0]["Resource"]["Ref"], td_id.as_str());
    assert!(statements[0]["Condition"]["ArnEquals"]["ecs:cluster"].is_object());
    assert_eq!(statements[1]["Action"], "iam:PassRole");
    assert_eq!(
        statements[1]["Condition"]["StringEquals"]["iam:PassedToService"],
        "ecs-tasks.amazonaws.com"
    );
}

/// Every environment output the set's sample services read is declared by our `microservices-env`, as is
/// every output of the sample environment.
#[test]
fn microservices_env_provides_what_the_sample_services_read() {
    let declared: BTreeSet<String> = microservices_env::environment()
        .interface()
        .outputs
        .into_iter()
        .collect();
    for sample in [
        "public-private-fargate-microservices/microservices-svc/loadbalanced-public-svc",
        "public-private-fargate-microservices/microservices-svc/private-fargate-svc",
    ] {
        let read = sample_env_outputs_read(sample);
        assert!(read.len() >= 6, "{sample}: {read:?}");
        let missing: Vec<&String> = read.difference(&declared).collect();
        assert!(
            missing.is_empty(),
            "{sample} reads outputs microservices-env does not declare: {missing:?}"
        );
    }
    for name in sample_env_outputs_declared("public-private-fargate-microservices/microservices-env") {
        assert!(
            declared.contains(&name),
            "the sample environment's output {name} is not declared"
        );
    }
}

/// The set with the samples' own specs: both services registered in Cloud Map under their
/// `service_discovery_name`; the private tasks admit the environment's container group on their port only,
/// and that group may reach them there; the public tasks wear the container group, run in the private
/// subnets, and admit their load balancer only.
#[test]
fn the_private_service_admits_the_environment_tasks_only() {
    let s = synth(
        "public_private_fargate_microservices",
        &public_private_fargate_microservices::app(),
    );
    let out = root().join("target/catalog-scratch/microservices-meaning");
    let samples = [
        (
            "loadbalanced-public-svc",
            "public-private-fargate-microservices/microservices-svc/loadbalanced-public-svc",
        ),
        (
            "private-fargate-svc",
            "public-private-fargate-microservices/microservices-svc/private-fargate-svc",
        ),
    ];
    let rendered = render_example_to("public_private_fargate_microservices-meaning", &s, &samples, &out);
    let find = |p: &str| &rendered.iter().find(|(path, _)| path == p).unwrap().1;
    let private = find("private-fargate-svc/aws-sample-spec/instance-backend-dev.yaml");
    let public = find("loadbalanced-public-svc/aws-sample-spec/instance-frontend-dev.yaml");
    for (t, name) in [(private, "backend-dev"), (public, "frontend-dev")] {
        let discovery = one(t, "AWS::ServiceDiscovery::Service", name);
        assert_eq!(discovery["Properties"]["Name"], name);
        let svc = one(t, "AWS::ECS::Service", name);
        assert_eq!(svc["Properties"]["ServiceRegistries"].as_array().unwrap().len(), 1);
        let awsvpc = &svc["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"];
        assert_eq!(awsvpc["AssignPublicIp"], "DISABLED", "{name}");
        assert!(awsvpc["Subnets"][0].as_str().unwrap().starts_with("subnet-"), "{name}");
        let groups = awsvpc["SecurityGroups"].as_array().unwrap();
        assert_eq!(groups.len(), 2, "{name}: its own group and the environment's");
        assert!(groups[1].as_str().unwrap().starts_with("sg-"), "{name}: {groups:?}");
    }
    let container_sg = &one(private, "AWS::ECS::Service", "private")["Properties"]["NetworkConfiguration"]
        ["AwsvpcConfiguration"]["SecurityGroups"][1];
    let ingress = resources_of(private, "AWS::EC2::SecurityGroupIngress");
    assert_eq!(ingress.len(), 1);
    let rule = &ingress[0].1["Properties"];
    assert_eq!(&rule["SourceSecurityGroupId"], container_sg);
    assert_eq!((&rule["FromPort"], &rule["ToPort"]), (&J::from(80), &J::from(80)));
    let egress: Vec<&J> = resources_of(private, "AWS::EC2::SecurityGroupEgress")
        .into_iter()
        .map(|(_, r)| &r["Properties"])
        .filter(|r| &r["GroupId"] == container_sg)
        .collect();
    assert_eq!(egress.len(), 1);
    assert_eq!(egress[0]["FromPort"], 80);
    // The public tasks: the load balancer only, on the container port.
    let public_ingress = resources_of(public, "AWS::EC2::SecurityGroupIngress");
    let to_tasks: Vec<&J> = public_ingress
        .iter()
        .map(|(_, r)| &r["Properties"])
        .filter(|r| r["SourceSecurityGroupId"].is_object())
        .collect();
    assert_eq!(to_tasks.len(), 1, "{public_ingress:?}");
    assert_eq!(to_tasks[0]["FromPort"], 80);
    assert_eq!(
        resources_of(public, "AWS::CloudWatch::Alarm").len(),
        2,
        "CPU steps: out and in"
    );
}
