//! Targets of a [`Rule`]: Fargate tasks, Lambda functions, SQS queues.

use serde_json::json;

use crate::cfn::events::rule as r;
use crate::ec2::SecurityGroup;
use crate::ecs::{Cluster, Compatibility, FargateTaskDefinition};
use crate::iam::{PolicyStatement, Principal, Role, RoleProps};
use crate::kms;
use crate::lambda::Function;
use crate::sqs::{service_send_statement, Queue, QueueEncryption};
use crate::stack::{Construct, Stack};
use crate::value::{fns, Expr, Value};

use super::*;

/// Run a Fargate task. The rule gets a role (child `<target id>Role` of the rule) allowed `ecs:RunTask` on
/// this task definition in this cluster only, and `iam:PassRole` on the task definition's execution and task
/// roles for `ecs-tasks.amazonaws.com` only.
#[derive(Clone, Debug)]
pub struct EcsTaskTarget {
    pub cluster: Cluster,
    pub task_definition: FargateTaskDefinition,
    /// Subnets of the task (private subnets unless `assign_public_ip`); 1–16.
    pub subnets: Vec<Value<String>>,
    /// Security groups of the task (required: without one, the VPC's default group would apply).
    pub security_groups: Vec<SecurityGroup>,
    /// Tasks started per event, 1–10 (default 1; may be a late-bound value such as a Proton input).
    pub task_count: Value<i64>,
    /// Default false.
    pub assign_public_ip: bool,
    /// Default `LATEST`.
    pub platform_version: String,
}

impl EcsTaskTarget {
    pub fn new(
        cluster: Cluster,
        task_definition: FargateTaskDefinition,
        subnets: Vec<Value<String>>,
        security_groups: Vec<SecurityGroup>,
    ) -> Self {
        EcsTaskTarget {
            cluster,
            task_definition,
            subnets,
            security_groups,
            task_count: Value::from(1),
            assign_public_ip: false,
            platform_version: "LATEST".to_owned(),
        }
    }
}

/// Invoke a Lambda function: an `AWS::Lambda::Permission` for EventBridge scoped to the rule.
#[derive(Clone, Debug)]
pub struct LambdaTarget {
    pub function: Function,
}

impl LambdaTarget {
    pub fn new(function: Function) -> Self {
        LambdaTarget { function }
    }
}

/// Send to an SQS queue: a queue-policy statement for EventBridge scoped to the rule (and a key-policy one
/// for a customer managed key).
#[derive(Clone, Debug)]
pub struct SqsTarget {
    pub queue: Queue,
    /// Required for a FIFO queue.
    pub message_group_id: Option<String>,
}

impl SqsTarget {
    pub fn new(queue: Queue) -> Self {
        SqsTarget {
            queue,
            message_group_id: None,
        }
    }
}

/// What a rule can invoke.
#[derive(Clone, Debug)]
pub enum RuleTarget {
    EcsTask(Box<EcsTaskTarget>),
    Lambda(LambdaTarget),
    Sqs(SqsTarget),
}

impl From<EcsTaskTarget> for RuleTarget {
    fn from(t: EcsTaskTarget) -> Self {
        RuleTarget::EcsTask(Box::new(t))
    }
}
impl From<LambdaTarget> for RuleTarget {
    fn from(t: LambdaTarget) -> Self {
        RuleTarget::Lambda(t)
    }
}
impl From<SqsTarget> for RuleTarget {
    fn from(t: SqsTarget) -> Self {
        RuleTarget::Sqs(t)
    }
}

impl RuleTarget {
    /// The L1 target `id` of `rule`, after adding the role, permission or policy statements it needs.
    pub(super) fn bind(self, stack: &mut Stack, rule: &Rule, id: &str) -> r::Target {
        match self {
            RuleTarget::EcsTask(t) => bind_ecs(*t, stack, rule, id),
            RuleTarget::Lambda(t) => {
                let perm_id = format!("{}{id}Invoke", alnum(rule.path()));
                t.function.grant_invoke(stack, &perm_id, EVENTS_SERVICE, rule.arn());
                r::Target::new(t.function.arn(), id)
            }
            RuleTarget::Sqs(t) => bind_sqs(t, stack, rule, id),
        }
    }
}

impl EcsTaskTarget {
    /// Report what ECS would refuse (at `path`, for target `id`).
    pub(crate) fn validate(&self, stack: &mut Stack, path: &str, id: &str) {
        if self.subnets.is_empty() || self.subnets.len() > 16 {
            stack.error(path, format!("target {id}: a Fargate task takes 1–16 subnets"));
        }
        if let Some(p) = crate::ecs::platform_version_problem(&self.platform_version) {
            stack.error(path, format!("target {id}: {p}"));
        }
        if self.assign_public_ip && self.task_definition.compatibility() == Compatibility::Ec2 {
            stack.error(
                path,
                format!("target {id}: an EC2 task (awsvpc) cannot have a public IP"),
            );
        }
        if self.security_groups.is_empty() {
            let msg = format!("target {id}: give the task a security group (the VPC's default group would apply)");
            stack.error(path, msg);
        }
        if let Expr::Int(n) = self.task_count.expr() {
            if !(1..=10).contains(n) {
                stack.error(path, format!("target {id}: task_count {n} is outside 1–10"));
            }
        }
    }

    /// What the invoking role needs: `ecs:RunTask` on this task definition in this cluster, `iam:PassRole` on
    /// its execution and task roles to ECS tasks only.
    pub(crate) fn run_task_statements(&self) -> [PolicyStatement; 2] {
        let td = &self.task_definition;
        let run = PolicyStatement::allow(&["ecs:RunTask"], [td.arn()]).with_condition(
            "ArnEquals",
            "ecs:cluster",
            self.cluster.arn().into_expr(),
        );
        let pass = PolicyStatement::allow(&["iam:PassRole"], [td.execution_role().arn(), td.task_role().arn()])
            .with_condition("StringEquals", "iam:PassedToService", json!("ecs-tasks.amazonaws.com"));
        [run, pass]
    }

    /// `ENABLED`/`DISABLED` for the task's public IP.
    pub(crate) fn assign_public_ip_value(&self) -> Value<String> {
        Value::from(if self.assign_public_ip { "ENABLED" } else { "DISABLED" })
    }

    /// What differs between a Fargate and an EC2 task: `(launch type, platform version, AssignPublicIp)`.
    /// An EC2 task (`awsvpc`) gets none of them: it runs on the cluster's default capacity provider strategy
    /// and never has a public IP.
    pub(crate) fn launch_settings(&self) -> [Option<Value<String>>; 3] {
        match self.task_definition.compatibility() {
            Compatibility::Fargate => [
                Some(Value::from("FARGATE")),
                Some(Value::from(self.platform_version.as_str())),
                Some(self.assign_public_ip_value()),
            ],
            Compatibility::Ec2 => [None, None, None],
        }
    }

    /// The security group ids.
    pub(crate) fn security_group_ids(&self) -> Value<Vec<String>> {
        Value::from(self.security_groups.iter().map(SecurityGroup::id).collect::<Vec<_>>())
    }
}

fn bind_ecs(t: EcsTaskTarget, stack: &mut Stack, rule: &Rule, id: &str) -> r::Target {
    t.validate(stack, rule.path(), id);
    let role = Role::new(
        &mut stack.scope(rule.node_id()),
        &format!("{id}Role"),
        RoleProps {
            assumed_by: Principal::service(EVENTS_SERVICE),
            description: Some("Lets the EventBridge rule run its ECS task".to_owned()),
            ..RoleProps::default()
        },
    );
    for stmt in t.run_task_statements() {
        role.add_to_policy(stack, stmt);
    }
    let [launch_type, platform_version, public_ip] = t.launch_settings();
    let mut vpc = r::AwsVpcConfiguration::new(t.subnets.clone());
    vpc.assign_public_ip = public_ip;
    vpc.security_groups = Some(t.security_group_ids());
    let mut net = r::NetworkConfiguration::new();
    net.aws_vpc_configuration = Some(vpc);
    let mut ecs = r::EcsParameters::new(t.task_definition.arn());
    ecs.launch_type = launch_type;
    ecs.network_configuration = Some(net);
    ecs.platform_version = platform_version;
    ecs.task_count = Some(t.task_count.clone());
    let mut target = r::Target::new(t.cluster.arn(), id);
    target.ecs_parameters = Some(ecs);
    target.role_arn = Some(role.arn());
    target
}

fn bind_sqs(t: SqsTarget, stack: &mut Stack, rule: &Rule, id: &str) -> r::Target {
    let path = rule.path().to_owned();
    let queue = &t.queue;
    let stmt = service_send_statement(EVENTS_SERVICE, queue.arn(), rule.arn());
    if !queue.add_to_resource_policy(stack, stmt) {
        stack.warning(&path, format!("target {id}: the queue has no queue policy in this template (imported, or enforce_ssl off); allow sqs:SendMessage for {EVENTS_SERVICE} with aws:SourceArn of this rule where the queue is defined"));
    }
    match queue.encryption() {
        QueueEncryption::KmsManaged => stack.error(
            &path,
            format!("target {id}: EventBridge cannot send to a queue encrypted with the AWS managed key alias/aws/sqs; use QueueEncryption::SqsManaged or a customer managed key"),
        ),
        QueueEncryption::Kms(key) => {
            // Any rule of this account and Region: the rule's own ARN would make the key depend on the rule,
            // which depends on the queue, which depends on the key.
            let rules = fns::sub(
                "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/*",
                Vec::<(String, Expr)>::new(),
            );
            let stmt = kms::service_use_statement(EVENTS_SERVICE)
                .with_condition("ArnLike", "aws:SourceArn", rules.into_expr())
                .with_condition("StringEquals", "aws:SourceAccount", Value::account_id().into_expr());
            if !key.add_to_resource_policy(stack, stmt) {
                stack.warning(&path, format!("target {id}: the queue's key is not defined in this template; let {EVENTS_SERVICE} use it for this rule in its key policy"));
            }
        }
        QueueEncryption::SqsManaged => {}
    }
    let mut target = r::Target::new(queue.arn(), id);
    match (&t.message_group_id, queue.is_fifo()) {
        (Some(g), true) => target.sqs_parameters = Some(r::SqsParameters::new(g.as_str())),
        (None, true) => stack.error(&path, format!("target {id}: a FIFO queue needs a message_group_id")),
        (Some(_), false) => stack.error(&path, format!("target {id}: message_group_id is for FIFO queues only")),
        (None, false) => {}
    }
    target
}

/// The letters and digits of a construct path (for ids derived from it).
fn alnum(path: &str) -> String {
    path.chars().filter(char::is_ascii_alphanumeric).collect()
}
