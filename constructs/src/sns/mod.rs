//! L2 construct for SNS: a [`Topic`] secure by default — encrypted with KMS (the AWS managed key
//! `alias/aws/sns`, or a customer managed key), a TLS-only topic policy, [`Topic::grant_publish`] returning an
//! [`iam::Grant`](crate::iam::Grant), and subscriptions ([`Topic::add_subscription`]) of SQS queues
//! ([`SqsSubscription`]: the queue policy lets only this topic send) and Lambda functions
//! ([`LambdaSubscription`]: a permission scoped to this topic).
//!
//! ```
//! use proton_synth_constructs::assertions::Template;
//! use proton_synth_constructs::sns::{SqsSubscription, Topic, TopicProps};
//! use proton_synth_constructs::sqs::{Queue, QueueProps};
//! use proton_synth_constructs::Stack;
//! let mut stack = Stack::new("Orders");
//! let topic = Topic::new(&mut stack.root(), "Orders", TopicProps::default());
//! let queue = Queue::new(&mut stack.root(), "Billing", QueueProps::default());
//! topic.add_subscription(&mut stack, "Billing", SqsSubscription::new(queue));
//! let t = Template::from_stack(&stack).unwrap();
//! t.resource_count_is("AWS::SNS::Subscription", 1).unwrap();
//! let topic_props = &t.find_resources("AWS::SNS::Topic")[0].1["Properties"];
//! assert_eq!(topic_props["KmsMasterKeyId"], "alias/aws/sns");
//! ```

mod subscription;
mod topic;

pub use subscription::*;
pub use topic::*;

/// Actions of [`Topic::grant_publish`].
pub const PUBLISH_ACTIONS: &[&str] = &["sns:Publish"];
/// KMS actions a publisher needs on a customer managed topic key.
pub const KMS_PUBLISH_ACTIONS: &[&str] = &["kms:Decrypt", "kms:GenerateDataKey"];
/// The SNS service principal.
pub const SNS_SERVICE: &str = "sns.amazonaws.com";
