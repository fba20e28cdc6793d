//! [`QueueProcessingService`]: an ECS service that works off an SQS queue (CDK's
//! `QueueProcessingFargateService`, AWS's Proton `worker-fargate-svc` sample).

use indexmap::IndexMap;

use crate::autoscaling::{Metric, ScalingStep, StepScalingPolicy, StepScalingProps};
use crate::cfn::applicationautoscaling as aas;
use crate::ec2::SecurityGroup;
use crate::ecs::{Cluster, ContainerImage, ContainerProps, FargateService, FargateTaskDefinition, ScalableTaskCount};
use crate::iam::Role;
use crate::sqs::{Queue, QueueProps};
use crate::stack::{Construct, Handle, NodeId, Scope, Stack};
use crate::value::Value;

use super::compute::{self, Compute, ServiceSpec, TaskRoles};

/// The queue a [`QueueProcessingService`] works off: one of the two.
#[derive(Clone, Debug)]
pub enum QueueSource {
    /// Create one (child `Queue`; by default with its dead-letter queue, SSE and a TLS-only policy).
    Create(QueueProps),
    /// A queue defined elsewhere (in this template or imported).
    Existing(Queue),
}

/// Scaling of a [`QueueProcessingService`] on its backlog (and CPU).
#[derive(Clone, Debug)]
pub struct QueueScaling {
    /// Default 1.
    pub min_capacity: u32,
    /// Default 10.
    pub max_capacity: u32,
    /// Target tracking on average CPU (default `Some(50.0)`).
    pub cpu_target_percent: Option<f64>,
    /// Steps on the queue's `ApproximateNumberOfMessagesVisible` (default [`default_backlog_steps`]).
    pub backlog_steps: Vec<ScalingStep>,
    /// Period of the backlog metric in seconds (default 300).
    pub backlog_period_secs: u32,
}

impl Default for QueueScaling {
    fn default() -> Self {
        QueueScaling {
            min_capacity: 1,
            max_capacity: 10,
            cpu_target_percent: Some(50.0),
            backlog_steps: default_backlog_steps(),
            backlog_period_secs: 300,
        }
    }
}

/// The backlog steps of CDK and of AWS's `worker-fargate-svc` sample: an empty queue −1 task; ≥ 100 visible
/// messages +1, ≥ 500 +5.
pub fn default_backlog_steps() -> Vec<ScalingStep> {
    vec![
        ScalingStep::new(None, Some(0.0), -1),
        ScalingStep::new(Some(100.0), Some(500.0), 1),
        ScalingStep::new(Some(500.0), None, 5),
    ]
}

/// Properties of [`QueueProcessingService`].
#[derive(Clone, Debug)]
pub struct QueueProcessingServiceProps {
    pub cluster: Cluster,
    /// Where the tasks run.
    pub compute: Compute,
    /// The VPC of the tasks' security group (when `security_groups` is empty).
    pub vpc_id: Value<String>,
    /// The worker container (default: `image` with [`ContainerProps::new`]'s defaults). The queue's URL and
    /// name are added to its environment under `queue_url_variable` and `queue_name_variable` (two distinct,
    /// non-empty names the container's own environment must not set).
    pub container: ContainerProps,
    /// Default `worker`.
    pub container_name: String,
    /// Default `QueueSource::Create(QueueProps::default())`.
    pub queue: QueueSource,
    /// Default `QUEUE_URL`.
    pub queue_url_variable: String,
    /// Default `QUEUE_NAME`.
    pub queue_name_variable: String,
    pub family: Option<Value<String>>,
    /// Default: created with exactly what the container needs.
    pub execution_role: Option<Role>,
    /// Default: created; either way it is granted [`Queue::grant_consume`] on the queue.
    pub task_role: Option<Role>,
    /// Default 1 (may be late-bound).
    pub desired_count: Value<i64>,
    pub service_name: Option<Value<String>>,
    /// Empty (default) creates one: nothing in, HTTPS out.
    pub security_groups: Vec<SecurityGroup>,
    /// Default 100.
    pub min_healthy_percent: u32,
    /// Default 200.
    pub max_percent: u32,
    /// Default `Some(QueueScaling::default())`; `None` keeps `desired_count` tasks.
    pub scaling: Option<QueueScaling>,
}

impl QueueProcessingServiceProps {
    /// A worker running `image` on `compute` in `cluster`, with a new queue and its dead-letter queue.
    pub fn new(cluster: Cluster, compute: Compute, vpc_id: Value<String>, image: ContainerImage) -> Self {
        QueueProcessingServiceProps {
            cluster,
            compute,
            vpc_id,
            container: ContainerProps::new(image),
            container_name: "worker".to_owned(),
            queue: QueueSource::Create(QueueProps::default()),
            queue_url_variable: "QUEUE_URL".to_owned(),
            queue_name_variable: "QUEUE_NAME".to_owned(),
            family: None,
            execution_role: None,
            task_role: None,
            desired_count: Value::from(1),
            service_name: None,
            security_groups: Vec::new(),
            min_healthy_percent: 100,
            max_percent: 200,
            scaling: Some(QueueScaling::default()),
        }
    }
}

/// A service whose tasks consume an SQS queue: the queue (with its dead-letter queue), the task definition
/// with one container that gets the queue's URL and name, the task role allowed to consume that queue only,
/// the service, and scaling on CPU and on the number of visible messages.
///
/// ```
/// use proton_synth_constructs::assertions::Template;
/// use proton_synth_constructs::ecs::{Cluster, ClusterProps, ContainerImage};
/// use proton_synth_constructs::patterns::{Compute, QueueProcessingService, QueueProcessingServiceProps};
/// use proton_synth_constructs::{Stack, Value};
///
/// let mut stack = Stack::new("Jobs");
/// let cluster = Cluster::new(&mut stack.root(), "Cluster", ClusterProps::default());
/// let compute = Compute::fargate(vec![Value::from("subnet-1"), Value::from("subnet-2")]);
/// let image = ContainerImage::registry("public.ecr.aws/docker/library/busybox:1.36");
/// let props = QueueProcessingServiceProps::new(cluster, compute, Value::from("vpc-1"), image);
/// let worker = QueueProcessingService::new(&mut stack.root(), "Worker", props);
/// assert!(worker.queue().dead_letter_queue().is_some());
/// let t = Template::from_stack(&stack).unwrap();
/// t.resource_count_is("AWS::SQS::Queue", 2).unwrap(); // the queue and its dead-letter queue
/// t.resource_count_is("AWS::CloudWatch::Alarm", 2).unwrap(); // backlog: scale out and scale in
/// ```
#[derive(Clone, Debug)]
pub struct QueueProcessingService {
    queue: Queue,
    service: FargateService,
    task_definition: FargateTaskDefinition,
    scaling: Option<ScalableTaskCount>,
    cpu_scaling: Option<Handle<aas::ScalingPolicy>>,
    backlog_scaling: Option<StepScalingPolicy>,
    node: NodeId,
    path: String,
}

impl QueueProcessingService {
    pub fn new(scope: &mut Scope, id: &str, props: QueueProcessingServiceProps) -> Self {
        let mut child = scope.child(id);
        let node = child.node_id();
        let path = child.path();
        let queue = match &props.queue {
            QueueSource::Create(q) => Queue::new(&mut child, "Queue", q.clone()),
            QueueSource::Existing(q) => q.clone(),
        };
        let roles = TaskRoles {
            family: props.family.clone(),
            execution_role: props.execution_role.clone(),
            task_role: props.task_role.clone(),
        };
        let task_definition = compute::task_definition(&mut child, &props.compute, roles);
        for problem in queue_variable_problems(&props) {
            child.error(problem);
        }
        // The queue's variables first, then the caller's.
        let mut container = props.container.clone();
        let mut environment = IndexMap::new();
        environment.insert(props.queue_name_variable.clone(), queue.name());
        environment.insert(props.queue_url_variable.clone(), queue.url());
        environment.extend(std::mem::take(&mut container.environment));
        container.environment = environment;
        task_definition.add_container(child.stack(), &props.container_name, container);
        let _ = queue.grant_consume(child.stack(), &mut task_definition.task_role().clone());

        let security_groups =
            compute::security_groups(&mut child, &props.security_groups, &props.vpc_id, "Queue worker");
        let spec = ServiceSpec {
            desired_count: props.desired_count.clone(),
            service_name: props.service_name.clone(),
            min_healthy_percent: props.min_healthy_percent,
            max_percent: props.max_percent,
            ..ServiceSpec::new(props.cluster.clone(), task_definition.clone(), security_groups)
        };
        let stack = child.stack();
        let service = compute::service(stack, node, &props.compute, spec);
        let mut out = QueueProcessingService {
            queue,
            service,
            task_definition,
            scaling: None,
            cpu_scaling: None,
            backlog_scaling: None,
            node,
            path,
        };
        if let Some(s) = &props.scaling {
            out.add_scaling(stack, s);
        }
        out
    }

    fn add_scaling(&mut self, stack: &mut Stack, s: &QueueScaling) {
        let count = self
            .service
            .auto_scale_task_count(stack, s.min_capacity, s.max_capacity);
        self.cpu_scaling = s.cpu_target_percent.map(|t| count.scale_on_cpu_utilization(stack, t));
        let metric = Metric {
            namespace: "AWS/SQS".to_owned(),
            metric_name: "ApproximateNumberOfMessagesVisible".to_owned(),
            dimensions: vec![("QueueName".to_owned(), self.queue.name())],
            statistic: "Maximum".to_owned(),
            period_secs: s.backlog_period_secs,
        };
        let props = StepScalingProps::new(metric, s.backlog_steps.clone());
        self.backlog_scaling = Some(count.target().scale_on_metric(stack, "QueueBacklogScaling", props));
        self.scaling = Some(count);
    }

    /// The queue the tasks consume.
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// The queue's dead-letter queue, when it has one in this template.
    pub fn dead_letter_queue(&self) -> Option<&Queue> {
        self.queue.dead_letter_queue()
    }

    pub fn service(&self) -> &FargateService {
        &self.service
    }

    pub fn task_definition(&self) -> &FargateTaskDefinition {
        &self.task_definition
    }

    /// The auto-scaled task count (unless `scaling` was `None`).
    pub fn scaling(&self) -> Option<&ScalableTaskCount> {
        self.scaling.as_ref()
    }

    /// The CPU target-tracking policy.
    pub fn cpu_scaling(&self) -> Option<&Handle<aas::ScalingPolicy>> {
        self.cpu_scaling.as_ref()
    }

    /// The backlog step-scaling policies and their alarms.
    pub fn backlog_scaling(&self) -> Option<&StepScalingPolicy> {
        self.backlog_scaling.as_ref()
    }
}

/// The queue's two environment variables must be named, distinct, and not set by the container's own
/// environment (either would silently replace the queue's name or URL).
fn queue_variable_problems(props: &QueueProcessingServiceProps) -> Vec<String> {
    let vars = [
        ("queue_name_variable", &props.queue_name_variable, "name", "QUEUE_NAME"),
        ("queue_url_variable", &props.queue_url_variable, "URL", "QUEUE_URL"),
    ];
    let mut problems = Vec::new();
    for (prop, name, what, default) in vars {
        if name.is_empty() {
            problems.push(format!("{prop} is empty; name the variable (default {default})"));
        } else if props.container.environment.contains_key(name.as_str()) {
            problems.push(format!(
                "the container's environment sets {name}, which is {prop} (the queue's {what}); remove it from \
                 the environment or choose another {prop}"
            ));
        }
    }
    if !props.queue_name_variable.is_empty() && props.queue_name_variable == props.queue_url_variable {
        problems.push(format!(
            "queue_name_variable and queue_url_variable are both {:?}; give them different names",
            props.queue_name_variable
        ));
    }
    problems
}

impl Construct for QueueProcessingService {
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
    use crate::sqs::CONSUME_ACTIONS;
    use crate::Mode;

    fn worker(stack: &mut Stack, f: impl FnOnce(&mut QueueProcessingServiceProps)) -> QueueProcessingService {
        let cluster = Cluster::new(&mut stack.root(), "Cluster", ClusterProps::default());
        let compute = Compute::fargate(vec![Value::from("subnet-1"), Value::from("subnet-2")]);
        let image = ContainerImage::registry("public.ecr.aws/docker/library/busybox:1.36");
        let mut props = QueueProcessingServiceProps::new(cluster, compute, Value::from("vpc-1"), image);
        f(&mut props);
        QueueProcessingService::new(&mut stack.root(), "Worker", props)
    }

    #[test]
    fn the_container_gets_the_queue_and_the_task_role_may_consume_it_only() {
        let mut stack = Stack::new("Jobs");
        worker(&mut stack, |_| {});
        let t = Template::from_stack(&stack).unwrap();
        let td = &t.find_resources("AWS::ECS::TaskDefinition")[0].1["Properties"];
        let env = td["ContainerDefinitions"][0]["Environment"].as_array().unwrap();
        let names: Vec<&str> = env.iter().map(|e| e["Name"].as_str().unwrap()).collect();
        assert_eq!(names, ["QUEUE_NAME", "QUEUE_URL"]);
        let url = env.iter().find(|e| e["Name"] == "QUEUE_URL").unwrap();
        let queue = t
            .find_resources("AWS::SQS::Queue")
            .iter()
            .find(|(id, _)| !id.contains("DeadLetter"))
            .unwrap()
            .0;
        assert_eq!(url["Value"], json!({"Fn::GetAtt": [queue, "QueueUrl"]}), "{url}");

        let statements: Vec<&serde_json::Value> = t
            .find_resources("AWS::IAM::Policy")
            .iter()
            .flat_map(|(_, p)| p["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap())
            .filter(|s| {
                s["Action"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|a| a.as_str().unwrap().starts_with("sqs:")))
            })
            .collect();
        assert_eq!(statements.len(), 1, "{statements:?}");
        assert_eq!(statements[0]["Action"], json!(CONSUME_ACTIONS));
        assert_eq!(statements[0]["Resource"]["Fn::GetAtt"][1], "Arn");
        t.resource_count_is("AWS::IAM::Policy", 2).unwrap(); // task role; execution role
    }

    #[test]
    fn scales_on_cpu_and_on_the_backlog_like_the_sample() {
        let mut stack = Stack::new("Jobs");
        let w = worker(&mut stack, |_| {});
        assert!(w.cpu_scaling().is_some());
        let t = Template::from_stack(&stack).unwrap();
        t.has_resource_properties(
            "AWS::ApplicationAutoScaling::ScalableTarget",
            Match::object_like(json!({"MinCapacity": 1, "MaxCapacity": 10})),
        )
        .unwrap();
        t.resource_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", 3)
            .unwrap();
        t.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            Match::object_like(json!({
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Namespace": "AWS/SQS",
                "Statistic": "Maximum",
                "Period": 300,
                "Threshold": 100.0,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            })),
        )
        .unwrap();
        t.has_resource_properties(
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            Match::object_like(json!({"StepScalingPolicyConfiguration": {"StepAdjustments": [
                {"MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 400.0, "ScalingAdjustment": 1},
                {"MetricIntervalLowerBound": 400.0, "ScalingAdjustment": 5},
            ]}})),
        )
        .unwrap();
    }

    #[test]
    fn an_existing_queue_and_no_scaling() {
        let mut stack = Stack::new("Jobs");
        let queue = Queue::from_arn(Value::from("arn:aws:sqs:us-east-1:111122223333:jobs"));
        let w = worker(&mut stack, |p| {
            p.queue = QueueSource::Existing(queue);
            p.scaling = None;
            p.queue_url_variable = "QUEUE_URI".to_owned();
        });
        assert!(w.scaling().is_none());
        let t = Template::from_stack(&stack).unwrap();
        t.resource_count_is("AWS::SQS::Queue", 0).unwrap();
        t.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 0)
            .unwrap();
        let td = &t.find_resources("AWS::ECS::TaskDefinition")[0].1["Properties"];
        assert_eq!(td["ContainerDefinitions"][0]["Environment"][1]["Name"], "QUEUE_URI");
    }

    #[test]
    fn bad_steps_are_reported_with_the_path() {
        let mut stack = Stack::new("Jobs");
        worker(&mut stack, |p| {
            p.scaling = Some(QueueScaling {
                backlog_steps: Vec::new(),
                ..QueueScaling::default()
            });
        });
        let err = stack.synth(Mode::Plain).unwrap_err().to_string();
        assert!(err.contains("Worker/Service/TaskCount/QueueBacklogScaling"), "{err}");
        assert!(err.contains("at least one step"), "{err}");
    }

    #[test]
    fn queue_variables_that_collide_or_are_empty_are_errors() {
        // Before: the name variable equal to the URL variable, or a container variable of the same name,
        // silently replaced the queue's name or URL in the container's environment.
        let mut stack = Stack::new("Jobs");
        worker(&mut stack, |p| {
            p.queue_name_variable = "QUEUE".to_owned();
            p.queue_url_variable = "QUEUE".to_owned();
        });
        let err = stack.synth(Mode::Plain).unwrap_err().to_string();
        assert_eq!(
            err.trim_end(),
            "error: Jobs/Worker: queue_name_variable and queue_url_variable are both \"QUEUE\"; \
             give them different names"
        );

        let mut stack = Stack::new("Jobs");
        worker(&mut stack, |p| {
            p.queue_url_variable = String::new();
            p.container
                .environment
                .insert("QUEUE_NAME".to_owned(), Value::from("mine"));
        });
        let err = stack.synth(Mode::Plain).unwrap_err().to_string();
        assert!(
            err.contains("error: Jobs/Worker: queue_url_variable is empty; name the variable (default QUEUE_URL)"),
            "{err}"
        );
        assert!(
            err.contains(
                "error: Jobs/Worker: the container's environment sets QUEUE_NAME, which is queue_name_variable \
                 (the queue's name); remove it from the environment or choose another queue_name_variable"
            ),
            "{err}"
        );
    }
}
