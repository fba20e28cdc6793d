//! [`SqsEventSource`]: a Lambda function polling an SQS queue.

use crate::cfn;
use crate::iam::Grant;
use crate::lambda::Function;
use crate::sqs::Queue;
use crate::stack::{Construct, Handle, Stack};
use crate::value::Value;

/// An SQS queue as the event source of a function. [`SqsEventSource::add_to`] adds the event source mapping
/// and grants the function's role [`Queue::grant_consume`] (with `kms:Decrypt` on a customer managed key).
#[derive(Clone, Debug)]
pub struct SqsEventSource {
    pub queue: Queue,
    /// Messages per invocation: 1–10000 for a standard queue, 1–10 for FIFO (default 10).
    pub batch_size: u32,
    /// Seconds to gather a batch, 0–300 (default 0; a batch size above 10 needs at least 1).
    pub max_batching_window_seconds: u32,
    /// Let the function return the messages that failed (`batchItemFailures`) so only those are retried
    /// (default true; the handler must then report failures that way).
    pub report_batch_item_failures: bool,
    /// Concurrent invocations this source may drive, 2–1000 (default: no limit).
    pub max_concurrency: Option<u32>,
    /// Default true.
    pub enabled: bool,
}

impl SqsEventSource {
    pub fn new(queue: Queue) -> Self {
        SqsEventSource {
            queue,
            batch_size: 10,
            max_batching_window_seconds: 0,
            report_batch_item_failures: true,
            max_concurrency: None,
            enabled: true,
        }
    }

    /// Add the mapping (child `id` of the function) and the consume grant; returns the mapping.
    pub fn add_to(self, stack: &mut Stack, id: &str, function: &Function) -> Handle<cfn::lambda::EventSourceMapping> {
        self.validate(stack, function.path());
        let mut m = cfn::lambda::EventSourceMapping::new(function.name());
        m.event_source_arn = Some(self.queue.arn());
        m.batch_size = Some(Value::from(self.batch_size));
        if self.max_batching_window_seconds > 0 {
            m.maximum_batching_window_in_seconds = Some(Value::from(self.max_batching_window_seconds));
        }
        if self.report_batch_item_failures {
            m.function_response_types = Some(Value::from(vec![Value::from("ReportBatchItemFailures")]));
        }
        if let Some(c) = self.max_concurrency {
            let mut s = cfn::lambda::event_source_mapping::ScalingConfig::new();
            s.maximum_concurrency = Some(Value::from(c));
            m.scaling_config = Some(s);
        }
        m.enabled = Some(Value::from(self.enabled));
        let h = stack.scope(function.node_id()).add(id, m);
        let mut role = function.role().clone();
        let grant: Grant = self.queue.grant_consume(stack, &mut role);
        if grant.success() {
            // The mapping validates its permissions when it is created.
            if let Some(policy) = function.role().default_policy(stack) {
                stack.add_dependency(&h, &policy);
            }
        }
        h
    }

    fn validate(&self, stack: &mut Stack, path: &str) {
        let max_batch = if self.queue.is_fifo() { 10 } else { 10_000 };
        if !(1..=max_batch).contains(&self.batch_size) {
            stack.error(
                path,
                format!(
                    "SQS event source: batch_size {} is outside 1–{max_batch}",
                    self.batch_size
                ),
            );
        }
        if self.max_batching_window_seconds > 300 {
            stack.error(
                path,
                format!(
                    "SQS event source: max_batching_window_seconds {} is above 300",
                    self.max_batching_window_seconds
                ),
            );
        }
        if self.batch_size > 10 && self.max_batching_window_seconds == 0 {
            stack.error(
                path,
                "SQS event source: a batch_size above 10 needs max_batching_window_seconds ≥ 1",
            );
        }
        if let Some(c) = self.max_concurrency {
            if !(2..=1000).contains(&c) {
                stack.error(path, format!("SQS event source: max_concurrency {c} is outside 2–1000"));
            }
        }
    }
}
