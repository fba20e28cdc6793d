//! SQS and SNS L2 constructs, `iam::Grant`, `fns::cidr` and the VPC carved from a CIDR value (EventBridge,
//! Scheduler and Lambda event sources: `l2_events.rs`).
//!
//! `composed_messaging_for_checkers` and `vpc_subnets_from_a_cidr_value_use_fn_cidr` write plain templates to
//! `target/l2-templates/messaging-*.json` for cfn-lint and `scripts/security-check`.

use proton_synth_constructs::assertions::{Match, Template};
use proton_synth_constructs::events::{Rule, RuleProps, RuleTrigger, Schedule, SqsTarget, TimeUnit};
use proton_synth_constructs::iam::{Principal, Role, RoleProps};
use proton_synth_constructs::kms::{Key, KeyProps};
use proton_synth_constructs::lambda::{Code, Function, FunctionProps};
use proton_synth_constructs::lambda_event_sources::SqsEventSource;
use proton_synth_constructs::sns::{LambdaSubscription, SqsSubscription, Topic, TopicEncryption, TopicProps};
use proton_synth_constructs::sqs::{DeadLetterQueue, Queue, QueueAlarmProps, QueueEncryption, QueueMetric, QueueProps};
use proton_synth_constructs::{fns, Stack, Value};
use serde_json::{json, Value as J};

fn errors_of(stack: &Stack) -> Vec<String> {
    match stack.synth() {
        Ok(_) => Vec::new(),
        Err(d) => d.0.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect(),
    }
}

fn template(stack: &Stack) -> Template {
    Template::from_stack(stack).unwrap_or_else(|e| panic!("synthesis failed:\n{e}"))
}

fn props_of(t: &Template, ty: &str) -> Vec<J> {
    t.find_resources(ty)
        .iter()
        .map(|(_, r)| r["Properties"].clone())
        .collect()
}

fn role(stack: &mut Stack, id: &str) -> Role {
    let props = RoleProps {
        assumed_by: Principal::service("ecs-tasks.amazonaws.com"),
        ..RoleProps::default()
    };
    Role::new(&mut stack.root(), id, props)
}

fn statements(t: &Template) -> Vec<J> {
    t.find_resources("AWS::IAM::Policy")
        .iter()
        .flat_map(|(_, p)| {
            p["Properties"]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap()
                .clone()
        })
        .collect()
}

fn inline_function(stack: &mut Stack, id: &str) -> Function {
    let code = Code::Inline("def handler(event, context):\n    return {}\n".to_owned());
    Function::new(
        &mut stack.root(),
        id,
        FunctionProps {
            code,
            ..FunctionProps::default()
        },
    )
}

// ---------------------------------------------------------------------------------------------------------------
// SQS

#[test]
fn queue_defaults_sse_dlq_and_tls_only_policies() {
    let mut stack = Stack::new("S");
    let q = Queue::new(&mut stack.root(), "Jobs", QueueProps::default());
    let t = template(&stack);
    let queues = t.find_resources("AWS::SQS::Queue");
    assert_eq!(queues.len(), 2);
    let (dlq_id, dlq) = queues.iter().find(|(id, _)| id.contains("DeadLetter")).unwrap();
    assert_eq!(dlq["Properties"]["MessageRetentionPeriod"], 1_209_600);
    assert_eq!(
        dlq["Properties"]["RedriveAllowPolicy"],
        json!({"redrivePermission": "allowAll"})
    );
    let (_, main) = queues.iter().find(|(id, _)| !id.contains("DeadLetter")).unwrap();
    let p = &main["Properties"];
    assert_eq!(p["SqsManagedSseEnabled"], true);
    assert_eq!(p["MessageRetentionPeriod"], 345_600);
    assert_eq!(p["VisibilityTimeout"], 30);
    assert_eq!(
        p["RedrivePolicy"],
        json!({"deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]}, "maxReceiveCount": 5})
    );
    assert_eq!(main["DeletionPolicy"], "Delete");
    // SSE-SQS: checkov's CKV_AWS_27 only knows KmsMasterKeyId; suppressed with the reason.
    assert_eq!(main["Metadata"]["checkov"]["skip"][0]["id"], "CKV_AWS_27");
    for policy in props_of(&t, "AWS::SQS::QueuePolicy") {
        let s = &policy["PolicyDocument"]["Statement"][0];
        assert_eq!(s["Effect"], "Deny");
        assert!(
            s["Principal"] == json!("*") || s["Principal"] == json!({"AWS": "*"}),
            "{s}"
        );
        assert_eq!(s["Condition"], json!({"Bool": {"aws:SecureTransport": "false"}}));
    }
    assert!(q.dead_letter_queue().is_some());
    assert!(!q.is_fifo());
}

#[test]
fn queue_with_kms_key_existing_dlq_and_fifo_names() {
    let mut stack = Stack::new("S");
    let key = Key::new(&mut stack.root(), "Key", KeyProps::default());
    let dlq = Queue::new(
        &mut stack.root(),
        "Dlq",
        QueueProps {
            fifo: true,
            queue_name: Some("orders-dlq.fifo".into()),
            dead_letter_queue: DeadLetterQueue::None {
                reason: "this is the dead-letter queue".to_owned(),
            },
            ..QueueProps::default()
        },
    );
    let q = Queue::new(
        &mut stack.root(),
        "Orders",
        QueueProps {
            fifo: true,
            content_based_deduplication: true,
            queue_name: Some("orders.fifo".into()),
            encryption: QueueEncryption::Kms(key.clone()),
            dead_letter_queue: DeadLetterQueue::Existing {
                queue: dlq.clone(),
                max_receive_count: 3,
            },
            ..QueueProps::default()
        },
    );
    let t = template(&stack);
    t.resource_count_is("AWS::SQS::Queue", 2).unwrap();
    t.has_resource_properties(
        "AWS::SQS::Queue",
        Match::object_like(json!({
            "QueueName": "orders.fifo", "FifoQueue": true, "ContentBasedDeduplication": true,
            "KmsMasterKeyId": {"Fn::GetAtt": [t.find_resources("AWS::KMS::Key")[0].0, "Arn"]},
            "RedrivePolicy": {"maxReceiveCount": 3},
        })),
    )
    .unwrap();
    // The refused DLQ carries the CT.SQS.PR.1 suppression with the given reason.
    let (_, dlq_res) = t
        .find_resources("AWS::SQS::Queue")
        .into_iter()
        .find(|(_, r)| r["Properties"]["QueueName"] == "orders-dlq.fifo")
        .unwrap();
    assert_eq!(dlq_res["Metadata"]["guard"]["SuppressedRules"], json!(["CT.SQS.PR.1"]));
    assert_eq!(
        dlq_res["Metadata"]["guard"]["Reasons"]["CT.SQS.PR.1"],
        "this is the dead-letter queue"
    );
    assert!(q.encryption_key().is_some());

    // Consume: the queue ARN only, plus kms:Decrypt on the key; send: GenerateDataKey too.
    let mut consumer = role(&mut stack, "Consumer");
    let grant = q.grant_consume(&mut stack, &mut consumer);
    assert!(grant.success());
    assert_eq!(grant.statements().len(), 2);
    assert!(grant.actions().contains(&"sqs:DeleteMessage"));
    assert!(grant.actions().contains(&"kms:Decrypt"));
    assert!(!grant.actions().contains(&"kms:GenerateDataKey"));
    let mut producer = role(&mut stack, "Producer");
    let send = q.grant_send(&mut stack, &mut producer);
    assert_eq!(
        send.actions(),
        [
            "sqs:SendMessage",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "kms:Decrypt",
            "kms:GenerateDataKey"
        ]
    );
    let purge = q.grant_purge(&mut stack, &mut producer);
    assert_eq!(purge.statements().len(), 1);
    let t = template(&stack);
    for s in statements(&t) {
        assert_ne!(s["Resource"], "*", "{s}");
    }
}

#[test]
fn queue_mistakes_are_diagnostics_with_paths() {
    let mut stack = Stack::new("S");
    Queue::new(
        &mut stack.root(),
        "Bad",
        QueueProps {
            retention_seconds: 10,
            visibility_timeout_seconds: 50_000,
            queue_name: Some("orders".into()),
            fifo: true,
            dead_letter_queue: DeadLetterQueue::None { reason: " ".to_owned() },
            ..QueueProps::default()
        },
    );
    Queue::new(
        &mut stack.root(),
        "BadCount",
        QueueProps {
            dead_letter_queue: DeadLetterQueue::Create { max_receive_count: 0 },
            content_based_deduplication: true,
            ..QueueProps::default()
        },
    );
    let errors = errors_of(&stack).join("\n");
    for expected in [
        "S/Bad: retention_seconds 10 is outside 60–1209600",
        "S/Bad: visibility_timeout_seconds 50000 is outside 0–43200",
        "FIFO queue names end in .fifo",
        "S/Bad: DeadLetterQueue::None needs a reason",
        "S/BadCount: max_receive_count 0 is outside 1–1000",
        "S/BadCount: content_based_deduplication is for FIFO queues only",
    ] {
        assert!(errors.contains(expected), "missing {expected:?} in:\n{errors}");
    }
}

#[test]
fn imported_queue_url_from_arn_and_warning_on_imported_grantee() {
    let mut stack = Stack::new("S");
    let q = Queue::from_arn(Value::from("arn:aws:sqs:eu-west-1:111122223333:jobs"));
    assert_eq!(q.name().as_literal(), Some("jobs"));
    let mut imported = Role::from_arn(Value::from("arn:aws:iam::111122223333:role/worker"));
    let grant = q.grant_consume(&mut stack, &mut imported);
    assert!(!grant.success());
    let warnings = match stack.synth() {
        Ok(s) => s.warnings.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"),
        Err(d) => d.to_string(),
    };
    assert!(warnings.contains("sqs:ReceiveMessage"), "{warnings}");
}

// ---------------------------------------------------------------------------------------------------------------
// SNS

#[test]
fn topic_kms_tls_policy_and_subscriptions() {
    let mut stack = Stack::new("S");
    let key = Key::new(&mut stack.root(), "Key", KeyProps::default());
    let topic = Topic::new(&mut stack.root(), "Orders", TopicProps::default());
    let queue = Queue::new(
        &mut stack.root(),
        "Billing",
        QueueProps {
            encryption: QueueEncryption::Kms(key.clone()),
            ..QueueProps::default()
        },
    );
    let f = inline_function(&mut stack, "Audit");
    let sub = SqsSubscription {
        raw_message_delivery: true,
        ..SqsSubscription::new(queue.clone())
    };
    topic.add_subscription(&mut stack, "Billing", sub);
    topic.add_subscription(&mut stack, "Audit", LambdaSubscription::new(f));
    let mut publisher = role(&mut stack, "Publisher");
    let grant = topic.grant_publish(&mut stack, &mut publisher);
    assert_eq!(grant.actions(), ["sns:Publish"]);

    let t = template(&stack);
    let topic_id = t.find_resources("AWS::SNS::Topic")[0].0;
    assert_eq!(props_of(&t, "AWS::SNS::Topic")[0]["KmsMasterKeyId"], "alias/aws/sns");
    let tp = &props_of(&t, "AWS::SNS::TopicPolicy")[0];
    assert_eq!(
        tp["PolicyDocument"]["Statement"][0]["Condition"],
        json!({"Bool": {"aws:SecureTransport": "false"}})
    );
    let subs = t.find_resources("AWS::SNS::Subscription");
    assert_eq!(subs.len(), 2);
    let (_, sqs_sub) = subs.iter().find(|(_, s)| s["Properties"]["Protocol"] == "sqs").unwrap();
    assert_eq!(sqs_sub["Properties"]["RawMessageDelivery"], true);
    assert!(
        sqs_sub["DependsOn"].as_array().is_some_and(|d| !d.is_empty()),
        "waits for the queue policy"
    );
    // The queue policy lets only this topic send; the key policy lets SNS use the key for this topic.
    let sends: Vec<J> = props_of(&t, "AWS::SQS::QueuePolicy")
        .iter()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap().clone())
        .filter(|s| s["Action"] == "sqs:SendMessage")
        .collect();
    assert_eq!(sends.len(), 1);
    assert_eq!(
        sends[0]["Condition"]["ArnEquals"]["aws:SourceArn"],
        json!({"Ref": topic_id})
    );
    let key_policy = &props_of(&t, "AWS::KMS::Key")[0]["KeyPolicy"]["Statement"];
    assert!(key_policy
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["Principal"] == json!({"Service": "sns.amazonaws.com"})
            && s["Condition"]["ArnLike"]["aws:SourceArn"] == json!({"Ref": topic_id})));
    let perm = &props_of(&t, "AWS::Lambda::Permission")[0];
    assert_eq!(perm["Principal"], "sns.amazonaws.com");
    assert_eq!(perm["SourceArn"], json!({"Ref": topic_id}));
}

#[test]
fn subscription_to_imported_topic_lives_with_the_queue_and_kms_managed_queue_is_refused() {
    let mut stack = Stack::new("S");
    let topic = Topic::from_arn(Value::from("arn:aws:sns:us-east-1:111122223333:orders"));
    let queue = Queue::new(&mut stack.root(), "Worker", QueueProps::default());
    topic.add_subscription(&mut stack, "Orders", SqsSubscription::new(queue));
    let t = template(&stack);
    let subs = t.find_resources("AWS::SNS::Subscription");
    assert!(subs[0].0.starts_with("WorkerOrders"), "{}", subs[0].0);

    let bad = Queue::new(
        &mut stack.root(),
        "Managed",
        QueueProps {
            encryption: QueueEncryption::KmsManaged,
            ..QueueProps::default()
        },
    );
    topic.add_subscription(&mut stack, "Orders", SqsSubscription::new(bad));
    let errors = errors_of(&stack).join("\n");
    assert!(
        errors.contains("S/Managed: add_subscription Orders: SNS cannot send"),
        "{errors}"
    );
}

#[test]
fn topic_with_customer_key_grants_kms_on_publish() {
    let mut stack = Stack::new("S");
    let key = Key::new(&mut stack.root(), "Key", KeyProps::default());
    let topic = Topic::new(
        &mut stack.root(),
        "Alerts",
        TopicProps {
            encryption: TopicEncryption::Kms(key),
            ..TopicProps::default()
        },
    );
    let mut publisher = role(&mut stack, "Publisher");
    let grant = topic.grant_publish(&mut stack, &mut publisher);
    assert_eq!(grant.actions(), ["sns:Publish", "kms:Decrypt", "kms:GenerateDataKey"]);
    let t = template(&stack);
    assert!(props_of(&t, "AWS::SNS::Topic")[0]["KmsMasterKeyId"]["Fn::GetAtt"].is_array());
}

// ---------------------------------------------------------------------------------------------------------------
// fns::cidr

#[test]
fn cidr_selects_subnets_from_a_parameter() {
    use proton_synth_constructs::cfn::ec2::Subnet;
    use proton_synth_constructs::stack::Parameter;
    let mut stack = Stack::new("S");
    let cidr = stack
        .root()
        .add_parameter::<String>("VpcCidr", Parameter::string().default_value("10.0.0.0/16"));
    let block: Value<String> = fns::select(2, fns::cidr(cidr.r#ref(), 4, 8));
    stack.root().add(
        "Subnet",
        Subnet {
            cidr_block: Some(block),
            ..Subnet::new("vpc-1")
        },
    );
    let t = template(&stack);
    assert_eq!(
        props_of(&t, "AWS::EC2::Subnet")[0]["CidrBlock"],
        json!({"Fn::Select": [2, {"Fn::Cidr": [{"Ref": "VpcCidr"}, 4, 8]}]})
    );
}

// ---------------------------------------------------------------------------------------------------------------
// For the checkers

#[test]
fn composed_messaging_for_checkers() {
    let mut stack = Stack::new("Messaging");
    let key = Key::new(&mut stack.root(), "Key", KeyProps::default());
    let topic = Topic::new(
        &mut stack.root(),
        "Orders",
        TopicProps {
            encryption: TopicEncryption::Kms(key.clone()),
            ..TopicProps::default()
        },
    );
    let queue = Queue::new(
        &mut stack.root(),
        "Billing",
        QueueProps {
            encryption: QueueEncryption::Kms(key.clone()),
            ..QueueProps::default()
        },
    );
    topic.add_subscription(&mut stack, "Billing", SqsSubscription::new(queue.clone()));
    let f = inline_function(&mut stack, "Worker");
    SqsEventSource::new(queue.clone()).add_to(&mut stack, "Billing", &f);
    let rule = Rule::new(
        &mut stack.root(),
        "Hourly",
        RuleProps::new(RuleTrigger::Schedule(Schedule::rate(1, TimeUnit::Hours))),
    );
    rule.add_target(&mut stack, SqsTarget::new(queue.clone()));
    let dlq = queue.dead_letter_queue().unwrap();
    let alarm = QueueAlarmProps::new(QueueMetric::MessagesVisible, 1.0, vec![topic.arn()]);
    dlq.add_alarm(&mut stack, "NotEmpty", alarm);
    let synth = stack.synth().unwrap_or_else(|e| panic!("synthesis failed:\n{e}"));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/l2-templates");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("messaging-composed.json"), synth.to_json_string()).unwrap();
    // The messaging resources carry no suppression (only the function and its log group have their
    // documented ones).
    for (id, r) in synth.to_json()["Resources"].as_object().unwrap() {
        let ty = r["Type"].as_str().unwrap();
        if ty.starts_with("AWS::SQS") || ty.starts_with("AWS::SNS") || ty.starts_with("AWS::Events") {
            assert!(
                r["Metadata"].get("checkov").is_none() && r["Metadata"].get("guard").is_none(),
                "{id}"
            );
        }
    }
}

#[test]
fn vpc_subnets_from_a_cidr_value_use_fn_cidr() {
    use proton_synth_constructs::ec2::{Vpc, VpcProps};
    use proton_synth_constructs::stack::Parameter;
    let mut stack = Stack::new("Net");
    let cidr = stack
        .root()
        .add_parameter::<String>("VpcCidr", Parameter::string().default_value("10.40.0.0/16"));
    let vpc = Vpc::new(
        &mut stack.root(),
        "Vpc",
        VpcProps {
            cidr_block_value: Some(cidr.r#ref()),
            ..VpcProps::default()
        },
    );
    assert_eq!(vpc.as_ref().private_subnet_ids.len(), 2);
    let synth = stack.synth().unwrap_or_else(|e| panic!("synthesis failed:\n{e}"));
    let json = synth.to_json();
    let resources = json["Resources"].as_object().unwrap();
    let mut cidrs: Vec<(String, J)> = resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::EC2::Subnet")
        .map(|(id, r)| (id.clone(), r["Properties"]["CidrBlock"].clone()))
        .collect();
    cidrs.sort_by(|a, b| a.0.cmp(&b.0));
    let blocks = json!({"Fn::Cidr": [{"Ref": "VpcCidr"}, 4, 8]});
    // CDK's order: public subnets first (0, 1), then private (2, 3).
    let expected = [
        ("VpcPrivateSubnet1", 2),
        ("VpcPrivateSubnet2", 3),
        ("VpcPublicSubnet1", 0),
        ("VpcPublicSubnet2", 1),
    ];
    for ((id, cidr), (prefix, index)) in cidrs.iter().zip(expected) {
        assert!(id.starts_with(prefix), "{id}");
        assert_eq!(cidr, &json!({"Fn::Select": [index, blocks]}), "{id}");
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/l2-templates");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("messaging-vpc-cidr-input.json"), synth.to_json_string()).unwrap();
}

#[test]
fn queue_alarm_needs_an_action_and_a_whole_minute_period() {
    let mut stack = Stack::new("S");
    let q = Queue::new(&mut stack.root(), "Jobs", QueueProps::default());
    let props = QueueAlarmProps {
        period_seconds: 90,
        ..QueueAlarmProps::new(QueueMetric::AgeOfOldestMessage, 600.0, Vec::new())
    };
    q.add_alarm(&mut stack, "Old", props);
    let errors = errors_of(&stack).join("\n");
    assert!(
        errors.contains("S/Jobs: alarm Old: give it at least one alarm action"),
        "{errors}"
    );
    assert!(
        errors.contains("S/Jobs: alarm Old: period_seconds 90 is not a multiple of 60"),
        "{errors}"
    );
}
