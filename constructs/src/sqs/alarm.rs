//! CloudWatch alarms on a [`Queue`]'s metrics (optional; e.g. "the dead-letter queue is not empty").

use crate::cfn;
use crate::cfn::cloudwatch::alarm as a;
use crate::stack::{Construct, Handle, Stack};
use crate::value::Value;

use super::*;

/// An `AWS/SQS` metric of a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueMetric {
    /// Messages available for retrieval (`ApproximateNumberOfMessagesVisible`, maximum).
    MessagesVisible,
    /// Seconds the oldest message has waited (`ApproximateAgeOfOldestMessage`, maximum).
    AgeOfOldestMessage,
}

impl QueueMetric {
    fn name(self) -> &'static str {
        match self {
            QueueMetric::MessagesVisible => "ApproximateNumberOfMessagesVisible",
            QueueMetric::AgeOfOldestMessage => "ApproximateAgeOfOldestMessage",
        }
    }
}

/// Properties of [`Queue::add_alarm`]: alarm when the metric's maximum is at least `threshold`.
#[derive(Clone, Debug)]
pub struct QueueAlarmProps {
    pub metric: QueueMetric,
    pub threshold: f64,
    /// ARNs notified when the alarm fires (e.g. an SNS topic); at least one (CT.CLOUDWATCH.PR.1).
    pub alarm_actions: Vec<Value<String>>,
    /// Default 1.
    pub evaluation_periods: u32,
    /// Seconds per period, a multiple of 60 (default 300).
    pub period_seconds: u32,
}

impl QueueAlarmProps {
    pub fn new(metric: QueueMetric, threshold: f64, alarm_actions: Vec<Value<String>>) -> Self {
        QueueAlarmProps {
            metric,
            threshold,
            alarm_actions,
            evaluation_periods: 1,
            period_seconds: 300,
        }
    }
}

impl Queue {
    /// A CloudWatch alarm on this queue's metric (child `id` of the queue; queues created here only).
    ///
    /// ```
    /// use proton_synth_constructs::sqs::{Queue, QueueAlarmProps, QueueMetric, QueueProps};
    /// use proton_synth_constructs::{Stack, Value};
    /// let mut stack = Stack::new("S");
    /// let queue = Queue::new(&mut stack.root(), "Jobs", QueueProps::default());
    /// let oncall = vec![Value::from("arn:aws:sns:us-east-1:111122223333:oncall")];
    /// let dlq = queue.dead_letter_queue().unwrap();
    /// dlq.add_alarm(&mut stack, "NotEmpty", QueueAlarmProps::new(QueueMetric::MessagesVisible, 1.0, oncall));
    /// ```
    pub fn add_alarm(&self, stack: &mut Stack, id: &str, props: QueueAlarmProps) -> Handle<cfn::cloudwatch::Alarm> {
        let path = self.path().to_owned();
        if props.alarm_actions.is_empty() {
            stack.error(&path, format!("alarm {id}: give it at least one alarm action"));
        }
        if props.period_seconds == 0 || !props.period_seconds.is_multiple_of(60) {
            stack.error(
                &path,
                format!(
                    "alarm {id}: period_seconds {} is not a multiple of 60",
                    props.period_seconds
                ),
            );
        }
        if props.evaluation_periods == 0 {
            stack.error(&path, format!("alarm {id}: evaluation_periods must be at least 1"));
        }
        let mut alarm = cfn::cloudwatch::Alarm::new();
        alarm.alarm_description = Some(Value::from(format!(
            "{} >= {} for {} period(s) of {} s",
            props.metric.name(),
            props.threshold,
            props.evaluation_periods,
            props.period_seconds
        )));
        alarm.namespace = Some(Value::from("AWS/SQS"));
        alarm.metric_name = Some(Value::from(props.metric.name()));
        alarm.dimensions = Some(vec![a::Dimension::new("QueueName", self.name())]);
        alarm.statistic = Some(Value::from("Maximum"));
        alarm.period = Some(Value::from(props.period_seconds));
        alarm.evaluation_periods = Some(Value::from(props.evaluation_periods));
        alarm.threshold = Some(Value::from(props.threshold));
        alarm.comparison_operator = Some(Value::from("GreaterThanOrEqualToThreshold"));
        alarm.treat_missing_data = Some(Value::from("notBreaching"));
        alarm.actions_enabled = Some(Value::from(true));
        alarm.alarm_actions = Some(Value::from(props.alarm_actions));
        stack.scope(self.node_id()).add(id, alarm)
    }
}
