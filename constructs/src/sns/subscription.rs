//! Subscriptions of a [`Topic`]: SQS queues and Lambda functions.

use crate::cfn;
use crate::kms;
use crate::lambda::Function;
use crate::sqs::{service_send_statement, Queue, QueueEncryption};
use crate::stack::{Construct, Handle, NodeId, Stack};
use crate::value::{fns, Expr, Json, Value};

use super::*;

/// An SQS queue subscribed to a topic. [`Topic::add_subscription`] adds a statement to the queue policy that
/// lets only this topic send (`aws:SourceArn`), and, for a queue with a customer managed key, one to the key
/// policy that lets SNS use the key for this topic.
#[derive(Clone, Debug)]
pub struct SqsSubscription {
    pub queue: Queue,
    /// Deliver the message body as published, without the SNS JSON envelope (default false).
    pub raw_message_delivery: bool,
    /// An SNS filter policy on message attributes, e.g. `json!({"kind": ["order"]})`.
    pub filter_policy: Option<serde_json::Value>,
}

impl SqsSubscription {
    pub fn new(queue: Queue) -> Self {
        SqsSubscription {
            queue,
            raw_message_delivery: false,
            filter_policy: None,
        }
    }
}

/// A Lambda function subscribed to a topic: [`Topic::add_subscription`] adds an `AWS::Lambda::Permission`
/// for `sns.amazonaws.com` scoped to this topic.
#[derive(Clone, Debug)]
pub struct LambdaSubscription {
    pub function: Function,
    /// An SNS filter policy on message attributes.
    pub filter_policy: Option<serde_json::Value>,
}

impl LambdaSubscription {
    pub fn new(function: Function) -> Self {
        LambdaSubscription {
            function,
            filter_policy: None,
        }
    }
}

/// What a topic can deliver to.
#[derive(Clone, Debug)]
pub enum Subscription {
    Sqs(SqsSubscription),
    Lambda(LambdaSubscription),
}

impl From<SqsSubscription> for Subscription {
    fn from(s: SqsSubscription) -> Self {
        Subscription::Sqs(s)
    }
}
impl From<LambdaSubscription> for Subscription {
    fn from(s: LambdaSubscription) -> Self {
        Subscription::Lambda(s)
    }
}

impl Topic {
    /// Subscribe a queue or a function: an `AWS::SNS::Subscription` (child `id` of the topic when the topic
    /// is defined in `stack`, otherwise of the subscriber, e.g. a queue subscribed to a topic imported from
    /// environment outputs), plus the resource policy the subscriber needs (see [`SqsSubscription`],
    /// [`LambdaSubscription`]).
    pub fn add_subscription(
        &self,
        stack: &mut Stack,
        id: &str,
        subscription: impl Into<Subscription>,
    ) -> Handle<cfn::sns::Subscription> {
        match subscription.into() {
            Subscription::Sqs(s) => self.subscribe_queue(stack, id, s),
            Subscription::Lambda(s) => self.subscribe_function(stack, id, s),
        }
    }

    /// Where the subscription goes: below the topic when it is defined in `stack`, else below the subscriber.
    fn subscription_node(&self, stack: &Stack, subscriber: &dyn Construct) -> (Option<NodeId>, String) {
        if self.defined_in(stack) {
            (self.node_id(), self.path().to_owned())
        } else {
            (subscriber.node_id(), subscriber.path().to_owned())
        }
    }

    fn subscribe_queue(&self, stack: &mut Stack, id: &str, s: SqsSubscription) -> Handle<cfn::sns::Subscription> {
        let queue = &s.queue;
        let (node, path) = self.subscription_node(stack, queue);
        let mut sub = cfn::sns::Subscription::new("sqs", self.arn());
        sub.endpoint = Some(queue.arn());
        if s.raw_message_delivery {
            sub.raw_message_delivery = Some(Value::from(true));
        }
        sub.filter_policy = s.filter_policy.map(Value::<Json>::from);
        let h = stack.scope(node).add(id, sub);
        let stmt = service_send_statement(SNS_SERVICE, queue.arn(), self.arn());
        if queue.add_to_resource_policy(stack, stmt) {
            if let Some(policy) = queue.policy_handle() {
                // Messages published before the policy exists would be dropped.
                stack.add_dependency(&h, &policy);
            }
        } else {
            stack.warning(
                &path,
                format!("add_subscription {id}: the queue has no queue policy in this template (imported, or enforce_ssl off); allow sqs:SendMessage for {SNS_SERVICE} with aws:SourceArn of this topic where the queue is defined"),
            );
        }
        match queue.encryption() {
            QueueEncryption::KmsManaged => stack.error(
                &path,
                format!("add_subscription {id}: SNS cannot send to a queue encrypted with the AWS managed key alias/aws/sqs; use QueueEncryption::SqsManaged or a customer managed key"),
            ),
            QueueEncryption::Kms(key) => self.allow_sns_on_key(stack, &path, id, key),
            QueueEncryption::SqsManaged => {}
        }
        h
    }

    fn allow_sns_on_key(&self, stack: &mut Stack, path: &str, id: &str, key: &kms::Key) {
        // This topic only, unless the topic is encrypted with the same key: its ARN in the key policy would
        // then be a dependency cycle, and any topic of this account and Region is allowed instead.
        let same_key = self.encryption_key().is_some_and(|k| k.arn() == key.arn());
        let source = if same_key {
            let topics = "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:*";
            fns::sub(topics, Vec::<(String, Expr)>::new())
        } else {
            self.arn()
        };
        let stmt = kms::service_use_statement(SNS_SERVICE)
            .with_condition("ArnLike", "aws:SourceArn", source.into_expr())
            .with_condition("StringEquals", "aws:SourceAccount", Value::account_id().into_expr());
        if !key.add_to_resource_policy(stack, stmt) {
            stack.warning(
                path,
                format!("add_subscription {id}: the queue's key is not defined in this template; let {SNS_SERVICE} use it (kms:GenerateDataKey, kms:Decrypt) for this topic in its key policy"),
            );
        }
    }

    fn subscribe_function(&self, stack: &mut Stack, id: &str, s: LambdaSubscription) -> Handle<cfn::sns::Subscription> {
        let f = &s.function;
        let (node, _) = self.subscription_node(stack, f);
        let permission = f.grant_invoke(stack, &format!("{id}Invoke"), SNS_SERVICE, self.arn());
        let mut sub = cfn::sns::Subscription::new("lambda", self.arn());
        sub.endpoint = Some(f.arn());
        sub.filter_policy = s.filter_policy.map(Value::<Json>::from);
        let h = stack.scope(node).add(id, sub);
        stack.add_dependency(&h, &permission);
        h
    }
}
