//! [`Topic`]: an SNS topic with KMS encryption, a TLS-only policy, grants and subscriptions.

use std::sync::Arc;

use crate::cfn;
use crate::iam::{Grant, Grantee, PolicyDocument, PolicyResource, PolicyStatement};
use crate::kms;
use crate::stack::{Construct, Handle, NodeId, Origin, Scope, Stack};
use crate::value::Value;

use super::*;

/// Encryption at rest of a topic.
#[derive(Clone, Debug, Default)]
pub enum TopicEncryption {
    /// The AWS managed key `alias/aws/sns`. Subscribed SQS queues and Lambda functions work with it; AWS
    /// services that publish to the topic (EventBridge, CloudWatch alarms) cannot use it: give those topics a
    /// customer managed key.
    #[default]
    AwsManaged,
    /// A customer managed key; [`Topic::grant_publish`] adds the KMS actions on it.
    Kms(kms::Key),
}

/// Properties of [`Topic`].
#[derive(Clone, Debug)]
pub struct TopicProps {
    /// A fixed name (default: generated). FIFO topic names end in `.fifo`.
    pub topic_name: Option<Value<String>>,
    pub display_name: Option<Value<String>>,
    /// Default [`TopicEncryption::AwsManaged`].
    pub encryption: TopicEncryption,
    /// A FIFO topic (default false).
    pub fifo: bool,
    /// FIFO only: deduplicate on a SHA-256 of the body (default false).
    pub content_based_deduplication: bool,
    /// Deny publishing not made over TLS in the topic policy (default true).
    pub enforce_ssl: bool,
}

impl Default for TopicProps {
    fn default() -> Self {
        TopicProps {
            topic_name: None,
            display_name: None,
            encryption: TopicEncryption::AwsManaged,
            fifo: false,
            content_based_deduplication: false,
            enforce_ssl: true,
        }
    }
}

/// An SNS topic, created here or imported by ARN.
#[derive(Clone, Debug)]
pub struct Topic(pub(super) Arc<TopicInner>);

#[derive(Debug)]
pub(super) struct TopicInner {
    pub(super) origin: Origin<cfn::sns::Topic>,
    pub(super) policy: Option<Handle<cfn::sns::TopicPolicy>>,
    pub(super) path: String,
    pub(super) arn: Value<String>,
    pub(super) key: Option<kms::Key>,
}

impl Topic {
    /// A topic (child `id`: `Resource` and, with `enforce_ssl`, `Policy`).
    pub fn new(scope: &mut Scope, id: &str, props: TopicProps) -> Topic {
        let mut child = scope.child(id);
        validate(&mut child, &props);
        let mut t = cfn::sns::Topic::new();
        t.topic_name = props.topic_name.clone();
        t.display_name = props.display_name.clone();
        t.kms_master_key_id = Some(match &props.encryption {
            TopicEncryption::AwsManaged => Value::from("alias/aws/sns"),
            TopicEncryption::Kms(k) => k.arn(),
        });
        if props.fifo {
            t.fifo_topic = Some(Value::from(true));
            if props.content_based_deduplication {
                t.content_based_deduplication = Some(Value::from(true));
            }
        }
        let h = child.add("Resource", t);
        let arn = h.r#ref();
        let policy = props.enforce_ssl.then(|| {
            let doc = PolicyDocument::new(vec![PolicyStatement::deny_insecure_transport(
                &["sns:Publish"],
                [arn.clone()],
            )]);
            let body = PolicyResource {
                resource: cfn::sns::TopicPolicy::new(doc.to_value(), vec![arn.clone()]),
                document: doc,
                set_document: |p, d| p.policy_document = d,
            };
            child.add_body::<cfn::sns::TopicPolicy>("Policy", Box::new(body))
        });
        let key = match props.encryption {
            TopicEncryption::Kms(k) => Some(k),
            TopicEncryption::AwsManaged => None,
        };
        Topic(Arc::new(TopicInner {
            origin: Origin::Created {
                node: child.node_id(),
                resource: h,
            },
            policy,
            path: child.path(),
            arn,
            key,
        }))
    }

    /// A topic defined elsewhere, e.g. from an environment output. Publishing grants on a topic encrypted
    /// with a customer managed key need [`Topic::from_arn_with_key`].
    pub fn from_arn(arn: Value<String>) -> Topic {
        Topic::imported(arn, None)
    }

    /// A topic defined elsewhere, encrypted with `key`.
    pub fn from_arn_with_key(arn: Value<String>, key: kms::Key) -> Topic {
        Topic::imported(arn, Some(key))
    }

    fn imported(arn: Value<String>, key: Option<kms::Key>) -> Topic {
        Topic(Arc::new(TopicInner {
            origin: Origin::Imported,
            policy: None,
            path: String::new(),
            arn,
            key,
        }))
    }

    /// The topic ARN (`Ref`).
    pub fn arn(&self) -> Value<String> {
        self.0.arn.clone()
    }

    /// The topic name (`Fn::GetAtt TopicName`; imported topics: the last part of the ARN).
    pub fn name(&self) -> Value<String> {
        match self.0.origin.resource() {
            Some(h) => h.get_att_unchecked("TopicName"),
            None => match self.0.arn.as_literal() {
                Some(a) => Value::from(a.rsplit(':').next().unwrap_or(a)),
                None => crate::value::fns::select(5, crate::value::fns::split(":", self.arn())),
            },
        }
    }

    pub fn handle(&self) -> Option<Handle<cfn::sns::Topic>> {
        self.0.origin.resource()
    }

    pub fn policy_handle(&self) -> Option<Handle<cfn::sns::TopicPolicy>> {
        self.0.policy
    }

    /// True when the topic was created in `stack`.
    pub(super) fn defined_in(&self, stack: &Stack) -> bool {
        self.0.origin.is_in(stack)
    }

    /// The customer managed key, when the topic uses one.
    pub fn encryption_key(&self) -> Option<&kms::Key> {
        self.0.key.as_ref()
    }

    /// Add a statement to the topic policy (topics created in this template with `enforce_ssl` only).
    pub fn add_to_resource_policy(&self, stack: &mut Stack, stmt: PolicyStatement) -> bool {
        let Some(h) = self.0.policy else { return false };
        if !self.defined_in(stack) {
            return false;
        }
        match stack.body_mut::<PolicyResource<cfn::sns::TopicPolicy>, _>(&h) {
            Some(p) => {
                p.document.add_statement(stmt);
                true
            }
            None => false,
        }
    }

    /// Publish to this topic (`sns:Publish` on its ARN, plus `kms:Decrypt` and `kms:GenerateDataKey` on a
    /// customer managed key).
    pub fn grant_publish(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        let path = self.0.path.clone();
        let grant = Grant::add(
            stack,
            &path,
            grantee,
            PolicyStatement::allow(PUBLISH_ACTIONS, [self.arn()]),
        );
        match &self.0.key {
            Some(k) => grant.and(Grant::add(
                stack,
                &path,
                grantee,
                PolicyStatement::allow(KMS_PUBLISH_ACTIONS, [k.arn()]),
            )),
            None => grant,
        }
    }
}

impl Construct for Topic {
    fn node_id(&self) -> Option<NodeId> {
        self.0.origin.node()
    }
    fn path(&self) -> &str {
        &self.0.path
    }
}

fn validate(child: &mut Scope, p: &TopicProps) {
    if p.content_based_deduplication && !p.fifo {
        child.error("content_based_deduplication is for FIFO topics only (fifo: true)");
    }
    if let Some(n) = p.topic_name.as_ref().and_then(Value::as_literal) {
        let base = n.strip_suffix(".fifo").unwrap_or(n);
        let chars_ok = base.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if n.is_empty() || n.len() > 256 || !chars_ok {
            child.error(format!(
                "topic name {n:?} must be 1–256 characters of letters, digits, hyphens and underscores (plus .fifo)"
            ));
        }
        if p.fifo != n.ends_with(".fifo") {
            child.error(format!(
                "topic name {n:?}: FIFO topic names end in .fifo, standard topic names do not"
            ));
        }
    }
}
