//! [`QueueProcessingLambda`]: a Lambda function consuming an SQS queue that has a dead-letter queue.

use crate::lambda::{Function, FunctionProps};
use crate::lambda_event_sources::SqsEventSource;
use crate::sqs::{Queue, QueueProps};
use crate::stack::{Construct, NodeId, Scope};
use crate::value::Expr;

/// Lambda's largest function timeout (seconds): the visibility timeout of a queue whose consumer's timeout
/// is known only at deployment.
pub const MAX_FUNCTION_TIMEOUT_SECONDS: u32 = 900;

/// Properties of [`QueueProcessingLambda`].
#[derive(Clone, Debug)]
pub struct QueueProcessingLambdaProps {
    /// The consumer (see [`FunctionProps`]). It is invoked synchronously by the event source mapping:
    /// messages it fails on return to the queue and, after the queue's `max_receive_count`, move to the
    /// dead-letter queue.
    pub function: FunctionProps,
    /// The queue. Default [`QueueProps::default`]: SSE-SQS, TLS only, a dead-letter queue after 5 receives.
    /// Its visibility timeout is raised to six times the function's timeout (AWS's advice for Lambda
    /// consumers; at most 43200 s), or to 900 s (Lambda's largest timeout) when the timeout is late-bound.
    pub queue: QueueProps,
    /// Messages per invocation (default 10; see [`SqsEventSource::batch_size`]).
    pub batch_size: u32,
}

impl QueueProcessingLambdaProps {
    pub fn new(function: FunctionProps) -> Self {
        QueueProcessingLambdaProps {
            function,
            queue: QueueProps::default(),
            batch_size: 10,
        }
    }
}

/// A queue (child `Queue`, with its dead-letter queue) and a function (child `Function`) polling it through
/// an event source mapping; the function's role may receive, delete and inspect messages of that queue only.
#[derive(Clone, Debug)]
pub struct QueueProcessingLambda {
    function: Function,
    queue: Queue,
    node: NodeId,
    path: String,
}

impl QueueProcessingLambda {
    pub fn new(scope: &mut Scope, id: &str, props: QueueProcessingLambdaProps) -> QueueProcessingLambda {
        let mut child = scope.child(id);
        let mut queue_props = props.queue;
        let needed = match props.function.timeout_seconds.expr() {
            Expr::Int(t) => u32::try_from(t.saturating_mul(6)).unwrap_or(u32::MAX).min(43_200),
            _ => MAX_FUNCTION_TIMEOUT_SECONDS,
        };
        queue_props.visibility_timeout_seconds = queue_props.visibility_timeout_seconds.max(needed);
        let queue = Queue::new(&mut child, "Queue", queue_props);
        let function = Function::new(&mut child, "Function", props.function);
        let source = SqsEventSource {
            batch_size: props.batch_size,
            ..SqsEventSource::new(queue.clone())
        };
        source.add_to(child.stack(), "QueueSource", &function);
        QueueProcessingLambda {
            function,
            queue,
            node: child.node_id(),
            path: child.path(),
        }
    }

    pub fn function(&self) -> &Function {
        &self.function
    }

    pub fn queue(&self) -> &Queue {
        &self.queue
    }
}

impl Construct for QueueProcessingLambda {
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
    use crate::lambda::Code;
    use crate::Stack;
    use serde_json::json;

    fn function(timeout: i64) -> FunctionProps {
        FunctionProps {
            code: Code::Inline("def handler(event, context):\n    return {}\n".to_owned()),
            timeout_seconds: timeout.into(),
            ..FunctionProps::default()
        }
    }

    #[test]
    fn the_function_consumes_the_queue_which_has_a_dead_letter_queue() {
        let mut stack = Stack::new("Worker");
        let w = QueueProcessingLambda::new(&mut stack.root(), "Jobs", QueueProcessingLambdaProps::new(function(30)));
        assert!(w.queue().dead_letter_queue().is_some());
        let t = Template::from_stack(&stack).unwrap();
        t.resource_count_is("AWS::SQS::Queue", 2).unwrap();
        t.has_resource_properties(
            "AWS::SQS::Queue",
            Match::object_like(json!({"VisibilityTimeout": 180, "SqsManagedSseEnabled": true})),
        )
        .unwrap();
        t.has_resource_properties(
            "AWS::Lambda::EventSourceMapping",
            Match::object_like(json!({"BatchSize": 10, "FunctionResponseTypes": ["ReportBatchItemFailures"]})),
        )
        .unwrap();
        // The role may consume this queue only.
        let policies = t.find_resources("AWS::IAM::Policy");
        let text = serde_json::to_string(&policies).unwrap();
        assert!(
            text.contains("sqs:ReceiveMessage") && text.contains("sqs:DeleteMessage"),
            "{text}"
        );
        assert!(!text.contains("\"sqs:*\""), "{text}");
    }

    #[test]
    fn a_late_bound_timeout_gets_the_largest_visibility_timeout() {
        let mut stack = Stack::new("Worker");
        let timeout = stack
            .root()
            .add_parameter("Timeout", crate::stack::Parameter::number())
            .r#ref();
        let timeout = crate::Value::from_expr(timeout.into_expr());
        let props = QueueProcessingLambdaProps::new(FunctionProps {
            timeout_seconds: timeout,
            ..function(1)
        });
        QueueProcessingLambda::new(&mut stack.root(), "Jobs", props);
        let t = Template::from_stack(&stack).unwrap();
        t.has_resource_properties("AWS::SQS::Queue", Match::object_like(json!({"VisibilityTimeout": 900})))
            .unwrap();
    }
}
