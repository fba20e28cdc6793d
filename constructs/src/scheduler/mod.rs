//! L2 construct for EventBridge Scheduler: a [`Schedule`] that runs a Fargate task, invokes a Lambda function
//! or sends to an SQS queue on a [`ScheduleExpression`] (`rate(..)`/`cron(..)`, validated when the schedule is
//! built), in a time zone. Scheduler calls its target through a role (child `Role`) that gets exactly what the
//! target needs: `ecs:RunTask` on the task definition in its cluster plus `iam:PassRole` to ECS tasks,
//! `lambda:InvokeFunction` on the function, or [`Queue::grant_send`](crate::sqs::Queue::grant_send); failed
//! invocations go to a dead-letter queue when one is given.
//!
//! ```
//! use proton_synth_constructs::assertions::Template;
//! use proton_synth_constructs::lambda::{Code, Function, FunctionProps};
//! use proton_synth_constructs::scheduler::{Schedule, ScheduleExpression, ScheduleProps, ScheduleTarget};
//! use proton_synth_constructs::Stack;
//! let mut stack = Stack::new("Reports");
//! let code = Code::Inline("def handler(event, context):\n    return {}\n".to_owned());
//! let report = Function::new(&mut stack.root(), "Report", FunctionProps { code, ..FunctionProps::default() });
//! let props = ScheduleProps {
//!     timezone: Some("Europe/Berlin".to_owned()),
//!     ..ScheduleProps::new(ScheduleExpression::cron("0 6 ? * MON *"), ScheduleTarget::Lambda(report))
//! };
//! Schedule::new(&mut stack.root(), "Weekly", props);
//! let t = Template::from_stack(&stack).unwrap();
//! let s = &t.find_resources("AWS::Scheduler::Schedule")[0].1["Properties"];
//! assert_eq!(s["ScheduleExpression"], "cron(0 6 ? * MON *)");
//! assert_eq!(s["ScheduleExpressionTimezone"], "Europe/Berlin");
//! ```

mod schedule;

pub use schedule::*;

/// The EventBridge Scheduler service principal.
pub const SCHEDULER_SERVICE: &str = "scheduler.amazonaws.com";
