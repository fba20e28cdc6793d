//! A queue-worker service template written with the SQS and SNS constructs: a Fargate service consuming an
//! SQS queue (with its dead-letter queue) that is subscribed to an SNS topic read from the environment's
//! outputs. The template is synthesized, rendered with its generated sample spec, and written to
//! `target/examples-rendered/queue_worker/`, where `scripts/test` runs cfn-lint and the security gate
//! (`scripts/security-check`: checkov + cfn-guard) on it. The template adds no suppression of its own.

use std::fs;
use std::path::PathBuf;

use proton_synth::app::{App, SynthOptions};
use proton_synth::constructs::ecs::{
    Cluster, ContainerImage, ContainerProps, FargateService, FargateServiceProps, FargateTaskDefinition,
    FargateTaskDefinitionProps, Logging,
};
use proton_synth::constructs::kms::{Key, KeyProps};
use proton_synth::constructs::logs::{LogGroup, LogGroupProps};
use proton_synth::constructs::sns::{SqsSubscription, Topic};
use proton_synth::constructs::sqs::{Queue, QueueEncryption, QueueProps};
use proton_synth::engine::{load_bundle, render_bundle, EnvironmentInfo, Outputs, RenderContext};
use proton_synth::proton::{EnvironmentInterface, InputDef, ServiceTemplate};
use serde_json::Value as J;

const ENV_OUTPUTS: [(&str, &str); 5] = [
    ("ClusterName", "queue-env-Cluster-AbCdEf123456"),
    ("VpcId", "vpc-0123456789abcdef0"),
    ("PrivateSubnetOne", "subnet-0123456789abcdef1"),
    ("PrivateSubnetTwo", "subnet-0123456789abcdef2"),
    (
        "OrdersTopicArn",
        "arn:aws:sns:us-west-2:111122223333:queue-env-Orders-AbCdEf123456",
    ),
];

fn service() -> ServiceTemplate {
    let env = EnvironmentInterface::new("queue-env", 1, ENV_OUTPUTS.iter().map(|(k, _)| *k));
    let mut svc = ServiceTemplate::new("queue-worker", &[env]).description("A Fargate worker consuming an SQS queue");
    let image = svc.instance_input(
        InputDef::string("image")
            .description("The worker's container image")
            .default("public.ecr.aws/docker/library/busybox:1.37")
            .min_length(1),
    );
    let desired_count = svc.instance_input(
        InputDef::number("desired_count")
            .description("Worker tasks to run")
            .default(1.0)
            .minimum(1.0),
    );
    let cluster = Cluster::from_name(svc.env_output("ClusterName"));
    let vpc_id = svc.env_output("VpcId");
    let subnets = vec![svc.env_output("PrivateSubnetOne"), svc.env_output("PrivateSubnetTwo")];
    let topic = Topic::from_arn(svc.env_output("OrdersTopicArn"));

    let mut root = svc.instance();
    // One customer managed key for the queues and the logs: SNS may use it for this topic (key policy),
    // CloudWatch Logs for the log group, the task role may decrypt.
    let key = Key::new(&mut root, "Key", KeyProps::default());
    let queue = Queue::new(
        &mut root,
        "Jobs",
        QueueProps {
            encryption: QueueEncryption::Kms(key.clone()),
            visibility_timeout_seconds: 300,
            receive_wait_time_seconds: 20,
            ..QueueProps::default()
        },
    );
    let stack = root.stack();
    topic.add_subscription(stack, "OrdersSubscription", SqsSubscription::new(queue.clone()));

    let mut root = svc.instance();
    let log_group = LogGroup::new(
        &mut root,
        "Logs",
        LogGroupProps {
            kms_key: Some(key),
            ..LogGroupProps::default()
        },
    );
    let task_definition =
        FargateTaskDefinition::new(&mut root, "TaskDefinition", FargateTaskDefinitionProps::default());
    let mut container = ContainerProps::new(ContainerImage::registry(image.value()));
    container.environment.insert("QUEUE_URL".to_owned(), queue.url());
    container.logging = Logging::AwsLogs {
        log_group: Some(log_group),
        stream_prefix: Some("worker".to_owned()),
    };
    container.command = Some(vec!["sh".to_owned(), "-c".to_owned(), "sleep 3600".to_owned()]);
    let stack = root.stack();
    task_definition.add_container(stack, "worker", container);
    let mut task_role = task_definition.task_role().clone();
    let grant = queue.grant_consume(stack, &mut task_role);
    assert!(grant.success(), "the task role is created here");

    let mut props = FargateServiceProps::new(cluster, task_definition, subnets);
    props.vpc_id = Some(vpc_id);
    props.desired_count = desired_count.as_integer();
    FargateService::new(&mut svc.instance(), "Service", props);
    svc
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Synthesize, render every generated spec and write the results below `target/examples-rendered/`.
fn render() -> Vec<(PathBuf, J)> {
    let mut app = App::new("queue_worker");
    app.add_service(service());
    let s = app
        .synth(&SynthOptions::default())
        .unwrap_or_else(|e| panic!("queue-worker failed to synthesize:\n{e}"));
    let synth_dir = root().join("target/queue-worker-scratch");
    s.assembly
        .write_atomic(&synth_dir)
        .expect("write the synthesized output");
    let out = root().join("target/examples-rendered/queue_worker");
    let _ = fs::remove_dir_all(&out);
    let mut ctx = RenderContext {
        environment_name: Some("Beta".to_owned()),
        default_account_id: Some("111122223333".to_owned()),
        ..RenderContext::default()
    };
    ctx.service.name = Some("orders-worker".to_owned());
    ctx.environments.insert(
        "Beta".to_owned(),
        EnvironmentInfo {
            account_id: Some("111122223333".to_owned()),
            outputs: Some(Outputs {
                values: ENV_OUTPUTS
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                source: "queue_worker.rs".to_owned(),
            }),
        },
    );
    let mut rendered = Vec::new();
    for p in &s.proton {
        let name = &p.output.name;
        let bundle = load_bundle(&synth_dir.join("proton/bundles").join(name)).expect("load the bundle");
        for (file, spec) in &p.output.specs {
            let files = render_bundle(&bundle, spec, &ctx).unwrap_or_else(|f| panic!("render {file}: {f:#?}"));
            let dir = out.join(name).join(file.trim_end_matches(".yaml"));
            fs::create_dir_all(&dir).unwrap();
            for f in files {
                let path = dir.join(&f.name);
                fs::write(&path, &f.text).unwrap();
                let parsed: J = serde_saphyr::from_str(&f.text).expect("rendered YAML parses");
                rendered.push((path, parsed));
            }
        }
    }
    rendered
}

fn resources_of_type<'a>(t: &'a J, ty: &str) -> Vec<(&'a String, &'a J)> {
    t["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .filter(|(_, r)| r["Type"] == ty)
        .collect()
}

#[test]
fn queue_worker_renders_secure_and_least_privilege() {
    let rendered = render();
    assert!(!rendered.is_empty());
    for (path, t) in &rendered {
        let what = path.display();
        // No suppression anywhere in the template: every finding of the gate is fixed, not waived.
        let text = serde_json::to_string(t).unwrap();
        assert!(!text.contains("SuppressedRules"), "{what}: guard suppression");
        assert!(!text.contains("\"checkov\""), "{what}: checkov suppression");

        let queues = resources_of_type(t, "AWS::SQS::Queue");
        assert_eq!(queues.len(), 2, "{what}: the queue and its dead-letter queue");
        for (_, q) in &queues {
            let key_id = &q["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0];
            assert!(
                key_id.as_str().is_some_and(|k| k.starts_with("Key")),
                "{what}: {key_id}"
            );
        }
        let (dlq_id, _) = queues
            .iter()
            .find(|(_, q)| q["Properties"]["RedriveAllowPolicy"].is_object())
            .expect("a dead-letter queue");
        let main = queues
            .iter()
            .find(|(_, q)| q["Properties"]["RedrivePolicy"].is_object())
            .expect("a queue with a redrive policy")
            .1;
        assert_eq!(
            main["Properties"]["RedrivePolicy"]["deadLetterTargetArn"],
            serde_json::json!({"Fn::GetAtt": [dlq_id, "Arn"]})
        );

        // The subscription's topic is the environment's; the queue policy lets only that topic send.
        let subs = resources_of_type(t, "AWS::SNS::Subscription");
        assert_eq!(subs.len(), 1, "{what}");
        let topic_arn = ENV_OUTPUTS[4].1;
        assert_eq!(subs[0].1["Properties"]["TopicArn"], topic_arn);
        assert_eq!(subs[0].1["Properties"]["Protocol"], "sqs");
        let policies = resources_of_type(t, "AWS::SQS::QueuePolicy");
        assert_eq!(policies.len(), 2, "{what}: TLS-only policies on both queues");
        let statements: Vec<&J> = policies
            .iter()
            .flat_map(|(_, p)| p["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap())
            .collect();
        let send = statements
            .iter()
            .find(|s| s["Action"] == "sqs:SendMessage")
            .expect("a statement for the topic");
        assert_eq!(send["Principal"], serde_json::json!({"Service": "sns.amazonaws.com"}));
        assert_eq!(send["Condition"]["ArnEquals"]["aws:SourceArn"], topic_arn);
        let deny = statements.iter().filter(|s| s["Effect"] == "Deny").count();
        assert_eq!(deny, 2, "{what}: aws:SecureTransport denies");

        // The task role may consume this queue only.
        let consume: Vec<&J> = resources_of_type(t, "AWS::IAM::Policy")
            .into_iter()
            .flat_map(|(_, p)| p["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap())
            .filter(|s| {
                s["Action"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == "sqs:ReceiveMessage"))
            })
            .collect();
        assert_eq!(consume.len(), 1, "{what}");
        let main_id = queues
            .iter()
            .find(|(_, q)| q["Properties"]["RedrivePolicy"].is_object())
            .unwrap()
            .0;
        assert_eq!(
            consume[0]["Resource"],
            serde_json::json!({"Fn::GetAtt": [main_id, "Arn"]})
        );

        // The key: SNS may use it for this topic only; the task role may decrypt with it.
        let (key_id, key) = resources_of_type(t, "AWS::KMS::Key").pop().expect("a key");
        let key_statements = key["Properties"]["KeyPolicy"]["Statement"].as_array().unwrap();
        let sns = key_statements
            .iter()
            .find(|s| s["Principal"] == serde_json::json!({"Service": "sns.amazonaws.com"}))
            .expect("a key-policy statement for SNS");
        assert_eq!(sns["Condition"]["ArnLike"]["aws:SourceArn"], topic_arn);
        let decrypt = resources_of_type(t, "AWS::IAM::Policy")
            .into_iter()
            .flat_map(|(_, p)| p["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap())
            .any(|s| {
                s["Action"] == "kms:Decrypt" && s["Resource"] == serde_json::json!({"Fn::GetAtt": [key_id, "Arn"]})
            });
        assert!(decrypt, "{what}: kms:Decrypt on the queue key for the task role");
    }
}
