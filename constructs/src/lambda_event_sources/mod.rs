//! Event sources of Lambda functions (CDK's `aws-lambda-event-sources`), built on [`crate::lambda::Function`]'s
//! public API: [`SqsEventSource`] polls an SQS queue (an `AWS::Lambda::EventSourceMapping`, and
//! [`Queue::grant_consume`](crate::sqs::Queue::grant_consume) to the function's role).
//!
//! ```
//! use proton_synth_constructs::assertions::Template;
//! use proton_synth_constructs::lambda::{Code, Function, FunctionProps};
//! use proton_synth_constructs::lambda_event_sources::SqsEventSource;
//! use proton_synth_constructs::sqs::{Queue, QueueProps};
//! use proton_synth_constructs::Stack;
//! let mut stack = Stack::new("Worker");
//! let queue = Queue::new(&mut stack.root(), "Jobs", QueueProps::default());
//! let code = Code::Inline("def handler(event, context):\n    return {}\n".to_owned());
//! let function = Function::new(&mut stack.root(), "Worker", FunctionProps { code, ..FunctionProps::default() });
//! let source = SqsEventSource { batch_size: 5, ..SqsEventSource::new(queue) };
//! source.add_to(&mut stack, "Jobs", &function);
//! let t = Template::from_stack(&stack).unwrap();
//! let props = &t.find_resources("AWS::Lambda::EventSourceMapping")[0].1["Properties"];
//! assert_eq!(props["BatchSize"], 5);
//! assert_eq!(props["FunctionResponseTypes"], serde_json::json!(["ReportBatchItemFailures"]));
//! ```

mod sqs;

pub use sqs::*;
