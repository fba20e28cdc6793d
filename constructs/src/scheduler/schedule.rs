//! [`Schedule`]: an EventBridge Scheduler schedule with a least-privilege role.

pub use crate::events::Schedule as ScheduleExpression;

use crate::cfn;
use crate::cfn::scheduler::schedule as s;
use crate::events::EcsTaskTarget;
use crate::iam::{Principal, Role, RoleProps};
use crate::lambda::Function;
use crate::sqs::Queue;
use crate::stack::{Construct, Handle, NodeId, Scope, Stack};
use crate::value::Value;

use super::*;

/// What a schedule invokes.
#[derive(Clone, Debug)]
pub enum ScheduleTarget {
    /// Run a Fargate task (the same target description as an EventBridge rule's).
    EcsTask(Box<EcsTaskTarget>),
    /// Invoke a Lambda function.
    Lambda(Function),
    /// Send to an SQS queue (FIFO queues need `message_group_id`).
    Sqs {
        queue: Queue,
        message_group_id: Option<String>,
    },
}

/// Properties of [`Schedule`].
#[derive(Clone, Debug)]
pub struct ScheduleProps {
    pub expression: ScheduleExpression,
    pub target: ScheduleTarget,
    /// IANA time zone of cron expressions, e.g. `Europe/Berlin` (default UTC).
    pub timezone: Option<String>,
    pub description: Option<String>,
    /// Default true.
    pub enabled: bool,
    /// Minutes Scheduler may delay an invocation to spread load, 1–1440 (default: off, invoke on time).
    pub flexible_window_minutes: Option<u32>,
    /// Failed invocations (after retries) are sent here; the role may send to it. Default none.
    pub dead_letter_queue: Option<Queue>,
    /// Retries of a failed invocation, 0–185 (default 185, Scheduler's default).
    pub retry_attempts: u32,
}

impl ScheduleProps {
    pub fn new(expression: ScheduleExpression, target: ScheduleTarget) -> Self {
        ScheduleProps {
            expression,
            target,
            timezone: None,
            description: None,
            enabled: true,
            flexible_window_minutes: None,
            dead_letter_queue: None,
            retry_attempts: 185,
        }
    }
}

/// An EventBridge Scheduler schedule (child `id`: `Resource` and `Role`).
#[derive(Clone, Debug)]
pub struct Schedule {
    handle: Handle<cfn::scheduler::Schedule>,
    node: NodeId,
    path: String,
    role: Role,
}

impl Schedule {
    pub fn new(scope: &mut Scope, id: &str, props: ScheduleProps) -> Schedule {
        let mut child = scope.child(id);
        validate(&mut child, &props);
        let role = Role::new(
            &mut child,
            "Role",
            RoleProps {
                assumed_by: Principal::service(SCHEDULER_SERVICE),
                description: Some("Lets EventBridge Scheduler invoke the schedule's target".to_owned()),
                ..RoleProps::default()
            },
        );
        let path = child.path();
        let node = child.node_id();
        let stack = child.stack();
        let mut target = bind_target(&props.target, stack, &path, &role);
        if let Some(dlq) = &props.dead_letter_queue {
            let _ = dlq.grant_send(stack, &mut role.clone());
            let mut d = s::DeadLetterConfig::new();
            d.arn = Some(dlq.arn());
            target.dead_letter_config = Some(d);
        }
        let mut retry = s::RetryPolicy::new();
        retry.maximum_retry_attempts = Some(Value::from(props.retry_attempts));
        target.retry_policy = Some(retry);
        let window = match props.flexible_window_minutes {
            Some(m) => {
                let mut w = s::FlexibleTimeWindow::new("FLEXIBLE");
                w.maximum_window_in_minutes = Some(Value::from(m));
                w
            }
            None => s::FlexibleTimeWindow::new("OFF"),
        };
        let mut sched = cfn::scheduler::Schedule::new(window, props.expression.value(), target);
        sched.schedule_expression_timezone = props.timezone.as_deref().map(Value::from);
        sched.description = props.description.map(Value::from);
        sched.state = Some(Value::from(if props.enabled { "ENABLED" } else { "DISABLED" }));
        let handle = stack.scope(node).add("Resource", sched);
        Schedule {
            handle,
            node,
            path,
            role,
        }
    }

    pub fn arn(&self) -> Value<String> {
        self.handle.get_att_unchecked("Arn")
    }

    pub fn handle(&self) -> Handle<cfn::scheduler::Schedule> {
        self.handle
    }

    /// The role Scheduler invokes the target with.
    pub fn role(&self) -> &Role {
        &self.role
    }
}

impl Construct for Schedule {
    fn node_id(&self) -> Option<NodeId> {
        Some(self.node)
    }
    fn path(&self) -> &str {
        &self.path
    }
}

/// The L1 target, after granting `role` what invoking it needs.
fn bind_target(target: &ScheduleTarget, stack: &mut Stack, path: &str, role: &Role) -> s::Target {
    match target {
        ScheduleTarget::EcsTask(t) => {
            t.validate(stack, path, "Target");
            for stmt in t.run_task_statements() {
                role.add_to_policy(stack, stmt);
            }
            let [launch_type, platform_version, public_ip] = t.launch_settings();
            let mut vpc = s::AwsVpcConfiguration::new(t.subnets.clone());
            vpc.assign_public_ip = public_ip;
            vpc.security_groups = Some(t.security_group_ids());
            let mut net = s::NetworkConfiguration::new();
            net.awsvpc_configuration = Some(vpc);
            let mut ecs = s::EcsParameters::new(t.task_definition.arn());
            ecs.launch_type = launch_type;
            ecs.network_configuration = Some(net);
            ecs.platform_version = platform_version;
            ecs.task_count = Some(Value::from_expr(t.task_count.clone().into_expr()));
            let mut target = s::Target::new(t.cluster.arn(), role.arn());
            target.ecs_parameters = Some(ecs);
            target
        }
        ScheduleTarget::Lambda(f) => {
            let _ = f.grant_invoke_to(stack, &mut role.clone());
            s::Target::new(f.arn(), role.arn())
        }
        ScheduleTarget::Sqs {
            queue,
            message_group_id,
        } => {
            let _ = queue.grant_send(stack, &mut role.clone());
            let mut target = s::Target::new(queue.arn(), role.arn());
            if let Some(g) = message_group_id {
                let mut p = s::SqsParameters::new();
                p.message_group_id = Some(Value::from(g.as_str()));
                target.sqs_parameters = Some(p);
            }
            target
        }
    }
}

fn validate(child: &mut Scope, p: &ScheduleProps) {
    if let Some(problem) = p.expression.problem() {
        child.error(format!("schedule {}: {problem}", p.expression.expression()));
    }
    if let Some(m) = p.flexible_window_minutes {
        if !(1..=1440).contains(&m) {
            child.error(format!("flexible_window_minutes {m} is outside 1–1440"));
        }
    }
    if p.retry_attempts > 185 {
        child.error(format!("retry_attempts {} is above 185", p.retry_attempts));
    }
    if let ScheduleTarget::Sqs {
        queue,
        message_group_id,
    } = &p.target
    {
        if queue.is_fifo() != message_group_id.is_some() {
            child.error("an SQS target needs a message_group_id exactly when the queue is FIFO");
        }
    }
}
