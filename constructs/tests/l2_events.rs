//! EventBridge rules, EventBridge Scheduler schedules and Lambda event sources.
//!
//! `scheduler_runs_a_fargate_task_and_a_function_with_least_privilege` writes its plain template to
//! `target/l2-templates/messaging-scheduled.json` for cfn-lint and `scripts/security-check`.

use proton_synth_constructs::assertions::Template;
use proton_synth_constructs::ec2::{SecurityGroup, SecurityGroupProps};
use proton_synth_constructs::ecs::{
    Cluster, ClusterProps, ContainerImage, ContainerProps, FargateTaskDefinition, FargateTaskDefinitionProps,
};
use proton_synth_constructs::events::{
    EcsTaskTarget, LambdaTarget, Rule, RuleProps, RuleTrigger, Schedule, SqsTarget, TimeUnit,
};
use proton_synth_constructs::kms::{Key, KeyProps};
use proton_synth_constructs::lambda::{Code, Function, FunctionProps};
use proton_synth_constructs::lambda_event_sources::SqsEventSource;
use proton_synth_constructs::sqs::{Queue, QueueEncryption, QueueProps};
use proton_synth_constructs::synth::{to_json_string, Mode};
use proton_synth_constructs::{Stack, Value};
use serde_json::{json, Value as J};

fn errors_of(stack: &Stack) -> Vec<String> {
    match stack.synth(Mode::Plain) {
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
// EventBridge

#[test]
fn schedule_expressions_are_validated_at_synth() {
    assert_eq!(Schedule::rate(5, TimeUnit::Minutes).expression(), "rate(5 minutes)");
    assert_eq!(Schedule::rate(1, TimeUnit::Days).expression(), "rate(1 day)");
    assert!(Schedule::cron("0 12 ? * MON-FRI *").problem().is_none());
    assert!(Schedule::cron("0 12 1 * MON *").problem().is_some());
    assert!(Schedule::cron("0 12 $ * ? *").problem().is_some());
    assert!(Schedule::parse("rate(1 day)").problem().is_none());
    assert!(Schedule::parse("cron(0 12 ? * MON-FRI *)").problem().is_none());
    assert!(Schedule::parse("rate(0 days)").problem().is_some());
    assert!(Schedule::parse("rate(two hours)").problem().is_some());
    assert!(Schedule::parse("rate(5 weeks)").problem().is_some());
    let mut stack = Stack::new("S");
    // A literal given as a late-bound expression is still checked (e.g. an input's default passed in).
    Rule::new(
        &mut stack.root(),
        "Literal",
        RuleProps::new(RuleTrigger::Schedule(Schedule::late_bound("rate(5 minute)".into()))),
    );
    Rule::new(
        &mut stack.root(),
        "Bad",
        RuleProps::new(RuleTrigger::Schedule(Schedule::cron("*/5 * * * *"))),
    );
    Rule::new(
        &mut stack.root(),
        "Empty",
        RuleProps::new(RuleTrigger::EventPattern(json!({}))),
    );
    let errors = errors_of(&stack).join("\n");
    assert!(
        errors.contains("S/Bad: schedule cron(*/5 * * * *): cron expression"),
        "{errors}"
    );
    assert!(
        errors.contains("S/Literal: schedule rate(5 minute): the unit for 5 must be one of minutes"),
        "{errors}"
    );
    assert!(
        errors.contains("S/Empty: the event pattern must be a non-empty JSON object"),
        "{errors}"
    );
}

fn fargate_task(stack: &mut Stack) -> (Cluster, FargateTaskDefinition) {
    let cluster = Cluster::new(&mut stack.root(), "Cluster", ClusterProps::default());
    let td = FargateTaskDefinition::new(&mut stack.root(), "Job", FargateTaskDefinitionProps::default());
    let mut c = ContainerProps::new(ContainerImage::registry("public.ecr.aws/docker/library/busybox:1.37"));
    c.command = Some(vec!["echo".to_owned(), "tick".to_owned()]);
    td.add_container(stack, "job", c);
    (cluster, td)
}

#[test]
fn rule_runs_a_fargate_task_with_a_least_privilege_role() {
    let mut stack = Stack::new("S");
    let (cluster, td) = fargate_task(&mut stack);
    let sg = SecurityGroup::new(
        &mut stack.root(),
        "JobSg",
        SecurityGroupProps {
            vpc_id: Value::from("vpc-0123456789abcdef0"),
            description: "job tasks".to_owned(),
            ..SecurityGroupProps::default()
        },
    );
    let rule = Rule::new(
        &mut stack.root(),
        "Nightly",
        RuleProps::new(RuleTrigger::Schedule(Schedule::cron("0 3 * * ? *"))),
    );
    let target = EcsTaskTarget::new(cluster, td, vec![Value::from("subnet-0123456789abcdef1")], vec![sg]);
    assert_eq!(rule.add_target(&mut stack, target), "Target0");
    let t = template(&stack);
    let r = &props_of(&t, "AWS::Events::Rule")[0];
    assert_eq!(r["ScheduleExpression"], "cron(0 3 * * ? *)");
    let target = &r["Targets"][0];
    assert_eq!(target["EcsParameters"]["LaunchType"], "FARGATE");
    assert_eq!(
        target["EcsParameters"]["NetworkConfiguration"]["AwsVpcConfiguration"]["AssignPublicIp"],
        "DISABLED"
    );
    let td_id = t.find_resources("AWS::ECS::TaskDefinition")[0].0;
    let stmts = statements(&t);
    let run = stmts.iter().find(|s| s["Action"] == "ecs:RunTask").expect("RunTask");
    assert_eq!(run["Resource"], json!({"Ref": td_id}));
    assert!(run["Condition"]["ArnEquals"]["ecs:cluster"].is_object());
    let pass = stmts.iter().find(|s| s["Action"] == "iam:PassRole").expect("PassRole");
    assert_eq!(pass["Resource"].as_array().unwrap().len(), 2);
    assert_eq!(
        pass["Condition"]["StringEquals"]["iam:PassedToService"],
        "ecs-tasks.amazonaws.com"
    );
    let roles = t.find_resources("AWS::IAM::Role");
    assert!(roles.iter().any(
        |(_, r)| r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
            == json!({"Service": "events.amazonaws.com"})
    ));
}

#[test]
fn rule_targets_lambda_and_sqs_with_scoped_permissions() {
    let mut stack = Stack::new("S");
    let f = inline_function(&mut stack, "Handler");
    let key = Key::new(&mut stack.root(), "Key", KeyProps::default());
    let q = Queue::new(
        &mut stack.root(),
        "Events",
        QueueProps {
            encryption: QueueEncryption::Kms(key),
            ..QueueProps::default()
        },
    );
    let pattern = json!({"source": ["aws.ecr"], "detail-type": ["ECR Image Action"]});
    let rule = Rule::new(
        &mut stack.root(),
        "OnPush",
        RuleProps::new(RuleTrigger::EventPattern(pattern.clone())),
    );
    rule.add_target(&mut stack, LambdaTarget::new(f));
    assert_eq!(rule.add_target(&mut stack, SqsTarget::new(q)), "Target1");
    let t = template(&stack);
    let rule_id = t.find_resources("AWS::Events::Rule")[0].0;
    let rule_arn = json!({"Fn::GetAtt": [rule_id, "Arn"]});
    assert_eq!(props_of(&t, "AWS::Events::Rule")[0]["EventPattern"], pattern);
    let perm = &props_of(&t, "AWS::Lambda::Permission")[0];
    assert_eq!(perm["Principal"], "events.amazonaws.com");
    assert_eq!(perm["SourceArn"], rule_arn);
    let send = props_of(&t, "AWS::SQS::QueuePolicy")
        .iter()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap().clone())
        .find(|s| s["Action"] == "sqs:SendMessage")
        .unwrap();
    assert_eq!(send["Condition"]["ArnEquals"]["aws:SourceArn"], rule_arn);
    let key_policy = &props_of(&t, "AWS::KMS::Key")[0]["KeyPolicy"]["Statement"];
    assert!(key_policy
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["Principal"] == json!({"Service": "events.amazonaws.com"})));
}

// ---------------------------------------------------------------------------------------------------------------
// Lambda event sources

#[test]
fn sqs_event_source_maps_and_grants_consume() {
    let mut stack = Stack::new("S");
    let q = Queue::new(&mut stack.root(), "Jobs", QueueProps::default());
    let f = inline_function(&mut stack, "Worker");
    let source = SqsEventSource {
        batch_size: 100,
        max_batching_window_seconds: 5,
        ..SqsEventSource::new(q)
    };
    source.add_to(&mut stack, "Jobs", &f);
    let t = template(&stack);
    let m = &props_of(&t, "AWS::Lambda::EventSourceMapping")[0];
    assert_eq!(m["BatchSize"], 100);
    assert_eq!(m["MaximumBatchingWindowInSeconds"], 5);
    let stmts = statements(&t);
    assert!(stmts.iter().any(|s| s["Action"]
        .as_array()
        .is_some_and(|a| a.contains(&json!("sqs:ReceiveMessage")))));

    let bad = SqsEventSource {
        batch_size: 50,
        ..SqsEventSource::new(Queue::from_arn(Value::from("arn:aws:sqs:us-east-1:1:q")))
    };
    bad.add_to(&mut stack, "Bad", &f);
    let errors = errors_of(&stack).join("\n");
    assert!(
        errors.contains("S/Worker: SQS event source: a batch_size above 10 needs max_batching_window_seconds"),
        "{errors}"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// EventBridge Scheduler

#[test]
fn scheduler_runs_a_fargate_task_and_a_function_with_least_privilege() {
    use proton_synth_constructs::scheduler::{Schedule as Sched, ScheduleExpression, ScheduleProps, ScheduleTarget};
    let mut stack = Stack::new("Scheduled");
    let (cluster, td) = fargate_task(&mut stack);
    let sg = SecurityGroup::new(
        &mut stack.root(),
        "JobSg",
        SecurityGroupProps {
            vpc_id: Value::from("vpc-0123456789abcdef0"),
            description: "job tasks".to_owned(),
            ..SecurityGroupProps::default()
        },
    );
    let dlq = Queue::new(&mut stack.root(), "Failed", QueueProps::default());
    let task = EcsTaskTarget::new(cluster, td, vec![Value::from("subnet-0123456789abcdef1")], vec![sg]);
    let props = ScheduleProps {
        dead_letter_queue: Some(dlq),
        retry_attempts: 3,
        flexible_window_minutes: Some(15),
        ..ScheduleProps::new(
            ScheduleExpression::cron("0 2 * * ? *"),
            ScheduleTarget::EcsTask(Box::new(task)),
        )
    };
    let nightly = Sched::new(&mut stack.root(), "Nightly", props);
    let f = inline_function(&mut stack, "Report");
    let lambda = ScheduleProps::new(ScheduleExpression::rate(1, TimeUnit::Hours), ScheduleTarget::Lambda(f));
    Sched::new(&mut stack.root(), "Hourly", lambda);
    let t = template(&stack);
    let schedules = props_of(&t, "AWS::Scheduler::Schedule");
    assert_eq!(schedules.len(), 2);
    let n = schedules
        .iter()
        .find(|s| s["ScheduleExpression"] == "cron(0 2 * * ? *)")
        .unwrap();
    assert_eq!(
        n["FlexibleTimeWindow"],
        json!({"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15})
    );
    assert_eq!(n["Target"]["RetryPolicy"]["MaximumRetryAttempts"], 3);
    assert!(n["Target"]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"].is_array());
    assert_eq!(n["Target"]["EcsParameters"]["LaunchType"], "FARGATE");
    let stmts = statements(&t);
    for action in ["ecs:RunTask", "iam:PassRole", "lambda:InvokeFunction"] {
        assert!(stmts.iter().any(|s| s["Action"] == action), "{action}");
    }
    assert!(stmts.iter().any(|s| s["Action"]
        .as_array()
        .is_some_and(|a| a.contains(&json!("sqs:SendMessage")))));
    assert!(nightly.role().arn().expr() != Value::<String>::from("").expr());
    let synth = stack.synth(Mode::Plain).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/l2-templates");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("messaging-scheduled.json"), to_json_string(&synth.template)).unwrap();

    let mut bad = Stack::new("S");
    let q = Queue::new(&mut bad.root(), "Q", QueueProps::default());
    let props = ScheduleProps {
        flexible_window_minutes: Some(0),
        ..ScheduleProps::new(
            ScheduleExpression::rate(0, TimeUnit::Minutes),
            ScheduleTarget::Sqs {
                queue: q,
                message_group_id: Some("g".to_owned()),
            },
        )
    };
    Sched::new(&mut bad.root(), "Bad", props);
    let errors = errors_of(&bad).join("\n");
    for expected in [
        "S/Bad: schedule rate(0 minutes): a rate must be at least 1",
        "S/Bad: flexible_window_minutes 0 is outside 1–1440",
        "S/Bad: an SQS target needs a message_group_id exactly when the queue is FIFO",
    ] {
        assert!(errors.contains(expected), "missing {expected:?} in:\n{errors}");
    }
}
