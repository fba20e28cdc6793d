//! [`ScheduledTask`]: an ECS task run on a schedule (CDK's `ScheduledFargateTask`, AWS's Proton
//! `scheduled-fargate-svc` sample).

use crate::ec2::SecurityGroup;
use crate::ecs::{Cluster, ContainerImage, ContainerProps, FargateTaskDefinition};
use crate::events::{Rule, RuleProps, RuleTrigger, Schedule as Expression};
use crate::iam::Role;
use crate::scheduler::{Schedule, ScheduleProps, ScheduleTarget};
use crate::sqs::Queue;
use crate::stack::{Construct, NodeId, Scope};
use crate::value::Value;

use super::compute::{self, Compute, TaskRoles};

/// What starts the task: one of the two services (each calls ECS through a role of its own allowed
/// `ecs:RunTask` on this task definition in this cluster and `iam:PassRole` on its two roles only).
#[derive(Clone, Debug)]
pub enum Trigger {
    /// An EventBridge rule on the default bus (child `Rule`), as AWS's sample and CDK do.
    EventBridgeRule,
    /// An EventBridge Scheduler schedule (child `Schedule`): time zones, retries and a dead-letter queue for
    /// failed invocations.
    Scheduler {
        /// IANA time zone of cron expressions (default UTC).
        timezone: Option<String>,
        /// Failed invocations (after 185 retries) go here.
        dead_letter_queue: Option<Queue>,
    },
}

/// Properties of [`ScheduledTask`].
#[derive(Clone, Debug)]
pub struct ScheduledTaskProps {
    pub cluster: Cluster,
    /// Where the tasks run.
    pub compute: Compute,
    /// The VPC of the tasks' security group (when `security_groups` is empty).
    pub vpc_id: Value<String>,
    /// `rate(..)`, `cron(..)` or a late-bound expression ([`Expression::late_bound`]).
    pub schedule: Expression,
    /// The task's container (default: the image with [`ContainerProps::new`]'s defaults).
    pub container: ContainerProps,
    /// Default `task`.
    pub container_name: String,
    /// Default [`Trigger::EventBridgeRule`].
    pub trigger: Trigger,
    /// Tasks started each time, 1–10 (default 1; may be late-bound).
    pub task_count: Value<i64>,
    pub family: Option<Value<String>>,
    /// Default: created with exactly what the container needs.
    pub execution_role: Option<Role>,
    /// Default: created without permissions.
    pub task_role: Option<Role>,
    /// Empty (default) creates one: nothing in, HTTPS out.
    pub security_groups: Vec<SecurityGroup>,
    pub description: Option<String>,
    /// Default true.
    pub enabled: bool,
}

impl ScheduledTaskProps {
    /// One task running `image` on `compute` in `cluster` on `schedule`, started by an EventBridge rule.
    pub fn new(
        cluster: Cluster,
        compute: Compute,
        vpc_id: Value<String>,
        schedule: Expression,
        image: ContainerImage,
    ) -> Self {
        ScheduledTaskProps {
            cluster,
            compute,
            vpc_id,
            schedule,
            container: ContainerProps::new(image),
            container_name: "task".to_owned(),
            trigger: Trigger::EventBridgeRule,
            task_count: Value::from(1),
            family: None,
            execution_role: None,
            task_role: None,
            security_groups: Vec::new(),
            description: None,
            enabled: true,
        }
    }
}

/// What started the task, as built.
#[derive(Clone, Debug)]
pub enum Started {
    Rule(Rule),
    Schedule(Schedule),
}

/// A task definition with one container, its security group, and a rule or schedule that runs it (see
/// [`Trigger`]).
///
/// ```
/// use proton_synth_constructs::assertions::Template;
/// use proton_synth_constructs::ecs::{Cluster, ClusterProps, ContainerImage};
/// use proton_synth_constructs::events::{Schedule, TimeUnit};
/// use proton_synth_constructs::patterns::{Compute, ScheduledTask, ScheduledTaskProps};
/// use proton_synth_constructs::{Stack, Value};
///
/// let mut stack = Stack::new("Reports");
/// let cluster = Cluster::new(&mut stack.root(), "Cluster", ClusterProps::default());
/// let compute = Compute::fargate(vec![Value::from("subnet-1")]);
/// let image = ContainerImage::registry("public.ecr.aws/docker/library/busybox:1.36");
/// let every_hour = Schedule::rate(1, TimeUnit::Hours);
/// let props = ScheduledTaskProps::new(cluster, compute, Value::from("vpc-1"), every_hour, image);
/// ScheduledTask::new(&mut stack.root(), "Report", props);
/// let t = Template::from_stack(&stack).unwrap();
/// let rule = &t.find_resources("AWS::Events::Rule")[0].1["Properties"];
/// assert_eq!(rule["ScheduleExpression"], "rate(1 hour)");
/// assert_eq!(rule["Targets"][0]["EcsParameters"]["LaunchType"], "FARGATE");
/// ```
#[derive(Clone, Debug)]
pub struct ScheduledTask {
    task_definition: FargateTaskDefinition,
    security_groups: Vec<SecurityGroup>,
    started: Started,
    node: NodeId,
    path: String,
}

impl ScheduledTask {
    pub fn new(scope: &mut Scope, id: &str, props: ScheduledTaskProps) -> Self {
        let mut child = scope.child(id);
        let node = child.node_id();
        let path = child.path();
        let roles = TaskRoles {
            family: props.family.clone(),
            execution_role: props.execution_role.clone(),
            task_role: props.task_role.clone(),
        };
        let task_definition = compute::task_definition(&mut child, &props.compute, roles);
        task_definition.add_container(child.stack(), &props.container_name, props.container.clone());
        let security_groups =
            compute::security_groups(&mut child, &props.security_groups, &props.vpc_id, "Scheduled task");
        let target = compute::run_task_target(
            &props.compute,
            props.cluster.clone(),
            task_definition.clone(),
            security_groups.clone(),
            props.task_count.clone(),
        );
        let started = match &props.trigger {
            Trigger::EventBridgeRule => {
                let mut rp = RuleProps::new(RuleTrigger::Schedule(props.schedule.clone()));
                rp.description = props.description.clone();
                rp.enabled = props.enabled;
                let rule = Rule::new(&mut child, "Rule", rp);
                rule.add_target(child.stack(), target);
                Started::Rule(rule)
            }
            Trigger::Scheduler {
                timezone,
                dead_letter_queue,
            } => {
                let mut sp = ScheduleProps::new(props.schedule.clone(), ScheduleTarget::EcsTask(Box::new(target)));
                sp.timezone = timezone.clone();
                sp.dead_letter_queue = dead_letter_queue.clone();
                sp.description = props.description.clone();
                sp.enabled = props.enabled;
                Started::Schedule(Schedule::new(&mut child, "Schedule", sp))
            }
        };
        ScheduledTask {
            task_definition,
            security_groups,
            started,
            node,
            path,
        }
    }

    pub fn task_definition(&self) -> &FargateTaskDefinition {
        &self.task_definition
    }

    /// The tasks' security groups.
    pub fn security_groups(&self) -> &[SecurityGroup] {
        &self.security_groups
    }

    /// The rule or schedule that starts the task.
    pub fn started_by(&self) -> &Started {
        &self.started
    }
}

impl Construct for ScheduledTask {
    fn node_id(&self) -> Option<NodeId> {
        Some(self.node)
    }
    fn path(&self) -> &str {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::assertions::{Match, Template};
    use crate::ecs::ClusterProps;
    use crate::events::TimeUnit;
    use crate::stack::Stack;
    use crate::Mode;

    fn task(stack: &mut Stack, f: impl FnOnce(&mut ScheduledTaskProps)) -> ScheduledTask {
        let cluster = Cluster::new(&mut stack.root(), "Cluster", ClusterProps::default());
        let compute = Compute::fargate(vec![Value::from("subnet-1"), Value::from("subnet-2")]);
        let image = ContainerImage::registry("public.ecr.aws/docker/library/busybox:1.36");
        let every = Expression::rate(5, TimeUnit::Minutes);
        let mut props = ScheduledTaskProps::new(cluster, compute, Value::from("vpc-1"), every, image);
        f(&mut props);
        ScheduledTask::new(&mut stack.root(), "Tick", props)
    }

    #[test]
    fn the_rule_runs_the_task_with_a_least_privilege_role() {
        let mut stack = Stack::new("Jobs");
        task(&mut stack, |p| p.task_count = Value::from(3));
        let t = Template::from_stack(&stack).unwrap();
        let rule = &t.find_resources("AWS::Events::Rule")[0].1["Properties"];
        let target = &rule["Targets"][0];
        assert_eq!(target["EcsParameters"]["TaskCount"], 3);
        assert_eq!(
            target["EcsParameters"]["NetworkConfiguration"]["AwsVpcConfiguration"]["AssignPublicIp"],
            "DISABLED"
        );
        let statements: Vec<&serde_json::Value> = t
            .find_resources("AWS::IAM::Policy")
            .iter()
            .flat_map(|(_, p)| p["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap())
            .collect();
        let run = statements.iter().find(|s| s["Action"] == "ecs:RunTask").unwrap();
        assert!(run["Condition"]["ArnEquals"]["ecs:cluster"].is_object(), "{run}");
        let pass = statements.iter().find(|s| s["Action"] == "iam:PassRole").unwrap();
        assert_eq!(
            pass["Condition"]["StringEquals"]["iam:PassedToService"],
            "ecs-tasks.amazonaws.com"
        );
        // The task's own group: HTTPS out only.
        t.has_resource_properties(
            "AWS::EC2::SecurityGroupEgress",
            Match::object_like(json!({"FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"})),
        )
        .unwrap();
        t.resource_count_is("AWS::ECS::Service", 0).unwrap();
    }

    #[test]
    fn a_late_bound_schedule_and_task_count_pass_through() {
        let mut stack = Stack::new("Jobs");
        task(&mut stack, |p| {
            p.schedule = Expression::late_bound(Value::from("rate(1 day)"));
            p.task_count = Value::from_expr(crate::Expr::Str("2".to_owned()));
        });
        let t = Template::from_stack(&stack).unwrap();
        let rule = &t.find_resources("AWS::Events::Rule")[0].1["Properties"];
        assert_eq!(rule["ScheduleExpression"], "rate(1 day)");
    }

    #[test]
    fn scheduler_trigger() {
        let mut stack = Stack::new("Jobs");
        let s = task(&mut stack, |p| {
            p.trigger = Trigger::Scheduler {
                timezone: Some("Europe/Berlin".to_owned()),
                dead_letter_queue: None,
            }
        });
        assert!(matches!(s.started_by(), Started::Schedule(_)));
        let t = Template::from_stack(&stack).unwrap();
        t.resource_count_is("AWS::Events::Rule", 0).unwrap();
        t.has_resource_properties(
            "AWS::Scheduler::Schedule",
            Match::object_like(json!({"ScheduleExpressionTimezone": "Europe/Berlin",
                "Target": {"EcsParameters": {"LaunchType": "FARGATE"}}})),
        )
        .unwrap();
    }

    #[test]
    fn bad_task_count_and_schedule_are_errors() {
        let mut stack = Stack::new("Jobs");
        task(&mut stack, |p| {
            p.task_count = Value::from(11);
            p.schedule = Expression::cron("0 3 * * *");
            if let Compute::Fargate(f) = &mut p.compute {
                f.platform_version = "1.4".to_owned();
            }
        });
        let err = stack.synth(Mode::Plain).unwrap_err().to_string();
        assert!(
            err.contains("target Target0: platform_version \"1.4\" must be LATEST or a Fargate platform version"),
            "{err}"
        );
        assert!(err.contains("task_count 11 is outside 1–10"), "{err}");
        assert!(err.contains("EventBridge needs 6"), "{err}");
    }
}
