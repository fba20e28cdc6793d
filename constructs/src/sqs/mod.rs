//! L2 construct for SQS: a [`Queue`] secure by default — encrypted at rest (SQS-managed SSE, or a KMS key),
//! a dead-letter queue created with it ([`DeadLetterQueue`]), a TLS-only queue policy (CDK's `enforceSSL`),
//! and least-privilege grants ([`Queue::grant_consume`], [`Queue::grant_send`], [`Queue::grant_purge`]) that
//! return an [`iam::Grant`](crate::iam::Grant); optional CloudWatch alarms on its metrics ([`Queue::add_alarm`]).
//!
//! ```
//! use proton_synth_constructs::assertions::Template;
//! use proton_synth_constructs::sqs::{Queue, QueueProps};
//! use proton_synth_constructs::Stack;
//! let mut stack = Stack::new("Jobs");
//! let queue = Queue::new(&mut stack.root(), "Jobs", QueueProps::default());
//! assert!(queue.dead_letter_queue().is_some());
//! let t = Template::from_stack(&stack).unwrap();
//! t.resource_count_is("AWS::SQS::Queue", 2).unwrap(); // the queue and its dead-letter queue
//! t.resource_count_is("AWS::SQS::QueuePolicy", 2).unwrap(); // TLS only, on both
//! ```
//!
//! Findings: with the default SSE-SQS encryption, checkov's CKV_AWS_27 (which only recognizes
//! `KmsMasterKeyId`) is suppressed with [`SSE_SQS_REASON`]; cfn-guard's CT.SQS.PR.2 accepts SSE-SQS. A queue
//! with a KMS key has no suppression. [`DeadLetterQueue::None`] is the one explicit way out of the
//! dead-letter queue; it takes the reason, which suppresses the finding it causes ([`NO_DLQ_FINDINGS`]).

mod alarm;
mod queue;
mod queue_policy;

pub use alarm::*;
pub use queue::*;
pub use queue_policy::*;

/// The findings a queue without a dead-letter queue causes: the Control Tower rule CT.SQS.PR.1 ("Require any
/// Amazon SQS queue to have a dead-letter queue configured"). [`DeadLetterQueue::None`]'s reason is attached
/// to each.
pub const NO_DLQ_FINDINGS: &[(crate::nag::Tool, &str)] = &[(crate::nag::Tool::Guard, "CT.SQS.PR.1")];

/// Reason attached to checkov's CKV_AWS_27 on a queue encrypted with SSE-SQS.
pub const SSE_SQS_REASON: &str =
    "encrypted at rest with SSE-SQS (SqsManagedSseEnabled), which this check does not recognize; pass QueueEncryption::Kms for a customer managed key";

/// Actions of [`Queue::grant_consume`].
pub const CONSUME_ACTIONS: &[&str] = &[
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
];
/// Actions of [`Queue::grant_send`].
pub const SEND_ACTIONS: &[&str] = &["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"];
/// Actions of [`Queue::grant_purge`].
pub const PURGE_ACTIONS: &[&str] = &["sqs:PurgeQueue", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"];
/// KMS actions a consumer needs on a customer managed queue key.
pub const KMS_CONSUME_ACTIONS: &[&str] = &["kms:Decrypt"];
/// KMS actions a producer needs on a customer managed queue key.
pub const KMS_SEND_ACTIONS: &[&str] = &["kms:Decrypt", "kms:GenerateDataKey"];
