//! [`ScheduledLambda`]: a Lambda function invoked on a schedule by an EventBridge rule.

use crate::events::{LambdaTarget, Rule, RuleProps, RuleTrigger};
use crate::lambda::{DeadLetter, Function, FunctionProps};
use crate::sqs::{DeadLetterQueue, Queue, QueueProps, DLQ_RETENTION_SECONDS};
use crate::stack::{Construct, NodeId, Scope};
use crate::value::Value;

/// Why the pattern's dead-letter queue has no dead-letter queue of its own.
pub const FUNCTION_DLQ_REASON: &str =
    "this queue is the dead-letter queue of the function's asynchronous invocations; nothing consumes it automatically";

/// Properties of [`ScheduledLambda`].
#[derive(Clone, Debug)]
pub struct ScheduledLambdaProps {
    /// `rate(…)` or `cron(…)`: a checked [`crate::events::Schedule`] (`Schedule::rate(5, TimeUnit::Minutes)
    /// .into()`), or a late-bound expression such as an AWS Proton input (written as it is; EventBridge
    /// checks it when the rule is created). Literal expressions are checked when the rule is built.
    pub schedule: Value<String>,
    /// The function. Its `dead_letter` defaults to a queue the pattern creates (child `DeadLetterQueue`:
    /// SSE-SQS, TLS only, 14 days' retention): EventBridge invokes asynchronously, so events that still fail
    /// after Lambda's retries land there instead of being dropped.
    pub function: FunctionProps,
    pub description: Option<String>,
    /// Default true.
    pub enabled: bool,
}

impl ScheduledLambdaProps {
    pub fn new(schedule: impl Into<Value<String>>, function: FunctionProps) -> Self {
        ScheduledLambdaProps {
            schedule: schedule.into(),
            function,
            description: None,
            enabled: true,
        }
    }
}

/// A function (child `Function`) invoked by an EventBridge rule (child `Schedule`, a permission scoped to
/// that rule), with a dead-letter queue for failed invocations unless the function props name one.
#[derive(Clone, Debug)]
pub struct ScheduledLambda {
    function: Function,
    rule: Rule,
    dead_letter_queue: Option<Queue>,
    node: NodeId,
    path: String,
}

impl ScheduledLambda {
    pub fn new(scope: &mut Scope, id: &str, props: ScheduledLambdaProps) -> ScheduledLambda {
        let mut child = scope.child(id);
        let mut function_props = props.function;
        let dead_letter_queue = match function_props.dead_letter {
            Some(_) => None,
            None => {
                let queue = Queue::new(
                    &mut child,
                    "DeadLetterQueue",
                    QueueProps {
                        dead_letter_queue: DeadLetterQueue::None {
                            reason: FUNCTION_DLQ_REASON.to_owned(),
                        },
                        retention_seconds: DLQ_RETENTION_SECONDS,
                        ..QueueProps::default()
                    },
                );
                function_props.dead_letter = Some(DeadLetter::Sqs(queue.arn()));
                Some(queue)
            }
        };
        let function = Function::new(&mut child, "Function", function_props);
        let rule = Rule::new(
            &mut child,
            "Schedule",
            RuleProps {
                description: props.description,
                enabled: props.enabled,
                ..RuleProps::new(RuleTrigger::ScheduleExpression(props.schedule))
            },
        );
        rule.add_target(child.stack(), LambdaTarget::new(function.clone()));
        ScheduledLambda {
            function,
            rule,
            dead_letter_queue,
            node: child.node_id(),
            path: child.path(),
        }
    }

    pub fn function(&self) -> &Function {
        &self.function
    }

    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// The queue created for failed invocations (None when the function props named a dead-letter target).
    pub fn dead_letter_queue(&self) -> Option<&Queue> {
        self.dead_letter_queue.as_ref()
    }
}

impl Construct for ScheduledLambda {
    fn node_id(&self) -> Option<NodeId> {
        Some(self.node)
    }
    fn path(&self) -> &str {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assertions::{Match, Template};
    use crate::events::{Schedule, TimeUnit};
    use crate::lambda::Code;
    use crate::Stack;
    use serde_json::json;

    fn function() -> FunctionProps {
        FunctionProps {
            code: Code::Inline("def handler(event, context):\n    return {}\n".to_owned()),
            ..FunctionProps::default()
        }
    }

    #[test]
    fn a_rule_invokes_the_function_and_failures_go_to_a_queue() {
        let mut stack = Stack::new("Jobs");
        let every = Schedule::rate(5, TimeUnit::Minutes);
        let s = ScheduledLambda::new(&mut stack.root(), "Tick", ScheduledLambdaProps::new(every, function()));
        assert!(s.dead_letter_queue().is_some());
        let t = Template::from_stack(&stack).unwrap();
        t.has_resource_properties(
            "AWS::Events::Rule",
            Match::object_like(json!({"ScheduleExpression": "rate(5 minutes)", "State": "ENABLED"})),
        )
        .unwrap();
        t.has_resource_properties(
            "AWS::Lambda::Permission",
            Match::object_like(json!({"Principal": "events.amazonaws.com"})),
        )
        .unwrap();
        // One queue (the dead-letter queue), encrypted, and the function's DeadLetterConfig points at it.
        t.resource_count_is("AWS::SQS::Queue", 1).unwrap();
        let (_, f) = t.find_resources("AWS::Lambda::Function")[0];
        assert!(
            f["Properties"]["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"].is_array(),
            "{f}"
        );
        let (_, q) = t.find_resources("AWS::SQS::Queue")[0];
        assert_eq!(q["Properties"]["SqsManagedSseEnabled"], true, "{q}");
    }

    #[test]
    fn a_late_bound_expression_is_written_as_is_and_a_bad_literal_is_reported() {
        let mut stack = Stack::new("Jobs");
        let late = stack
            .root()
            .add_parameter("Schedule", crate::stack::Parameter::string())
            .r#ref();
        ScheduledLambda::new(&mut stack.root(), "Tick", ScheduledLambdaProps::new(late, function()));
        let t = Template::from_stack(&stack).unwrap();
        let (_, r) = t.find_resources("AWS::Events::Rule")[0];
        assert_eq!(r["Properties"]["ScheduleExpression"], json!({"Ref": "Schedule"}));

        let mut stack = Stack::new("Jobs");
        let bad = Value::from("rate(5 fortnights)");
        ScheduledLambda::new(&mut stack.root(), "Tick", ScheduledLambdaProps::new(bad, function()));
        let Err(err) = Template::from_stack(&stack) else {
            panic!("expected an error");
        };
        let err = err.to_string();
        assert!(
            err.contains("Jobs/Tick/Schedule") && err.contains("fortnights"),
            "{err}"
        );
    }
}
