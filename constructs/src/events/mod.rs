//! L2 construct for EventBridge: a [`Rule`] triggered by a [`Schedule`] (`rate(..)`/`cron(..)`, validated
//! when the rule is built) or an event pattern ([`RuleTrigger`]), with targets that get exactly the access
//! they need: a Fargate task ([`EcsTaskTarget`]: a role allowed `ecs:RunTask` on that task definition in that
//! cluster and `iam:PassRole` on its two roles for ECS tasks only), a Lambda function ([`LambdaTarget`]: a
//! permission scoped to the rule) and an SQS queue ([`SqsTarget`]: a queue-policy statement scoped to the
//! rule, and the key policy when the queue has a customer managed key).
//!
//! ```
//! use proton_synth_constructs::assertions::Template;
//! use proton_synth_constructs::events::{Rule, RuleProps, RuleTrigger, Schedule, SqsTarget, TimeUnit};
//! use proton_synth_constructs::sqs::{Queue, QueueProps};
//! use proton_synth_constructs::Stack;
//! let mut stack = Stack::new("Jobs");
//! let queue = Queue::new(&mut stack.root(), "Ticks", QueueProps::default());
//! let trigger = RuleTrigger::Schedule(Schedule::rate(5, TimeUnit::Minutes));
//! let rule = Rule::new(&mut stack.root(), "Every5Minutes", RuleProps::new(trigger));
//! rule.add_target(&mut stack, SqsTarget::new(queue));
//! let t = Template::from_stack(&stack).unwrap();
//! let props = &t.find_resources("AWS::Events::Rule")[0].1["Properties"];
//! assert_eq!(props["ScheduleExpression"], "rate(5 minutes)");
//! assert_eq!(props["Targets"][0]["Id"], "Target0");
//! ```

mod rule;
mod schedule;
mod targets;

pub use rule::*;
pub use schedule::*;
pub use targets::*;

/// The EventBridge service principal.
pub const EVENTS_SERVICE: &str = "events.amazonaws.com";
/// At most this many targets per rule (an EventBridge quota).
pub const MAX_TARGETS: usize = 5;
