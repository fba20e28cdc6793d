//! [`Queue`]: an SQS queue with encryption, a dead-letter queue, a TLS-only policy and grants.

use std::sync::Arc;

use crate::cfn;
use crate::iam::{Grant, Grantee, PolicyResource, PolicyStatement};
use crate::kms;
use crate::nag;
use crate::stack::{Construct, Handle, NodeId, Origin, RemovalPolicy, Scope, Stack};
use crate::value::{fns, Expr, Value};

use super::*;

/// Encryption at rest of a queue.
#[derive(Clone, Debug, Default)]
pub enum QueueEncryption {
    /// SSE-SQS: keys owned and managed by SQS (no KMS calls, no key policy to manage).
    #[default]
    SqsManaged,
    /// SSE-KMS with the AWS managed key `alias/aws/sqs`. AWS services that send to the queue (SNS,
    /// EventBridge) cannot use that key: prefer [`QueueEncryption::Kms`] for such queues.
    KmsManaged,
    /// SSE-KMS with a customer managed key; grants add the KMS actions on it.
    Kms(kms::Key),
}

/// The dead-letter queue of a queue: messages received `max_receive_count` times without being deleted move
/// there.
#[derive(Clone, Debug)]
pub enum DeadLetterQueue {
    /// Create one (child `DeadLetterQueue`): same encryption and FIFO-ness, 14 days' retention, a TLS-only
    /// policy, and a redrive-allow policy that makes it a dead-letter queue for the rules that check one.
    Create { max_receive_count: u32 },
    /// Use an existing queue.
    Existing { queue: Queue, max_receive_count: u32 },
    /// No dead-letter queue: poison messages are retried until the retention period ends. Causes the
    /// findings in [`NO_DLQ_FINDINGS`], which are suppressed with this reason (required, not empty).
    None { reason: String },
}

impl Default for DeadLetterQueue {
    /// `Create { max_receive_count: 5 }`.
    fn default() -> Self {
        DeadLetterQueue::Create { max_receive_count: 5 }
    }
}

/// Properties of [`Queue`].
#[derive(Clone, Debug)]
pub struct QueueProps {
    /// A fixed name (default: generated). FIFO queue names end in `.fifo`.
    pub queue_name: Option<Value<String>>,
    /// Default [`QueueEncryption::SqsManaged`].
    pub encryption: QueueEncryption,
    /// Default: a dead-letter queue is created with a max receive count of 5.
    pub dead_letter_queue: DeadLetterQueue,
    /// Seconds a message is kept, 60–1209600 (default 345600, four days: SQS's default).
    pub retention_seconds: u32,
    /// Seconds a received message is hidden from other consumers, 0–43200 (default 30). Set it to at least
    /// the consumer's processing time (six times a Lambda function's timeout for an event source).
    pub visibility_timeout_seconds: u32,
    /// Long polling: seconds a receive waits for messages, 0–20 (default 0).
    pub receive_wait_time_seconds: u32,
    /// Seconds each message is delayed, 0–900 (default 0).
    pub delivery_delay_seconds: u32,
    /// A FIFO queue (default false).
    pub fifo: bool,
    /// FIFO only: deduplicate on a SHA-256 of the body (default false).
    pub content_based_deduplication: bool,
    /// Deny every request not made over TLS in the queue policy (default true).
    pub enforce_ssl: bool,
    /// Default: delete (a queue holds transient messages).
    pub removal_policy: RemovalPolicy,
}

impl Default for QueueProps {
    fn default() -> Self {
        QueueProps {
            queue_name: None,
            encryption: QueueEncryption::SqsManaged,
            dead_letter_queue: DeadLetterQueue::default(),
            retention_seconds: 345_600,
            visibility_timeout_seconds: 30,
            receive_wait_time_seconds: 0,
            delivery_delay_seconds: 0,
            fifo: false,
            content_based_deduplication: false,
            enforce_ssl: true,
            removal_policy: RemovalPolicy::Delete,
        }
    }
}

/// Retention of a created dead-letter queue: 14 days, the maximum.
pub const DLQ_RETENTION_SECONDS: u32 = 1_209_600;

/// An SQS queue, created here or imported.
#[derive(Clone, Debug)]
pub struct Queue(pub(super) Arc<QueueInner>);

#[derive(Debug)]
pub(super) struct QueueInner {
    pub(super) origin: Origin<cfn::sqs::Queue>,
    pub(super) policy: Option<Handle<cfn::sqs::QueuePolicy>>,
    pub(super) path: String,
    pub(super) arn: Value<String>,
    pub(super) url: Value<String>,
    pub(super) name: Value<String>,
    pub(super) encryption: QueueEncryption,
    pub(super) fifo: bool,
    pub(super) dlq: Option<Queue>,
}

/// What [`Queue::build`] needs besides the props: the redrive policy and whether it is a dead-letter queue.
struct Redrive {
    policy: Option<Value<crate::value::Json>>,
    is_dlq: bool,
}

impl Queue {
    /// A queue (child `id`: `Resource`, `Policy`, and `DeadLetterQueue` unless one is given or refused).
    pub fn new(scope: &mut Scope, id: &str, props: QueueProps) -> Queue {
        let mut child = scope.child(id);
        let (dlq, policy) = match &props.dead_letter_queue {
            DeadLetterQueue::Create { max_receive_count } => {
                let dlq_props = QueueProps {
                    queue_name: props.queue_name.as_ref().and_then(dlq_name),
                    dead_letter_queue: DeadLetterQueue::None { reason: String::new() },
                    retention_seconds: DLQ_RETENTION_SECONDS,
                    ..props.clone()
                };
                let redrive = Redrive {
                    policy: None,
                    is_dlq: true,
                };
                let dlq = Queue(Arc::new(Queue::build(
                    &mut child.child("DeadLetterQueue"),
                    dlq_props,
                    redrive,
                )));
                let policy = redrive_policy(&mut child, &dlq, *max_receive_count);
                (Some(dlq), Some(policy))
            }
            DeadLetterQueue::Existing {
                queue,
                max_receive_count,
            } => {
                if queue.is_fifo() != props.fifo {
                    child.error("the dead-letter queue of a FIFO queue must be FIFO, and of a standard queue standard");
                }
                let policy = redrive_policy(&mut child, queue, *max_receive_count);
                (Some(queue.clone()), Some(policy))
            }
            DeadLetterQueue::None { reason } => {
                if reason.trim().is_empty() {
                    child.error("DeadLetterQueue::None needs a reason (it is attached to the findings it causes)");
                }
                (None, None)
            }
        };
        let redrive = Redrive { policy, is_dlq: false };
        Queue(Arc::new(QueueInner {
            dlq,
            ..Queue::build(&mut child, props, redrive)
        }))
    }

    fn build(child: &mut Scope, props: QueueProps, redrive: Redrive) -> QueueInner {
        validate(child, &props);
        let mut q = cfn::sqs::Queue::new();
        q.queue_name = props.queue_name.clone();
        match &props.encryption {
            QueueEncryption::SqsManaged => q.sqs_managed_sse_enabled = Some(Value::from(true)),
            QueueEncryption::KmsManaged => q.kms_master_key_id = Some(Value::from("alias/aws/sqs")),
            QueueEncryption::Kms(key) => q.kms_master_key_id = Some(key.arn()),
        }
        q.message_retention_period = Some(Value::from(props.retention_seconds));
        q.visibility_timeout = Some(Value::from(props.visibility_timeout_seconds));
        if props.receive_wait_time_seconds > 0 {
            q.receive_message_wait_time_seconds = Some(Value::from(props.receive_wait_time_seconds));
        }
        if props.delivery_delay_seconds > 0 {
            q.delay_seconds = Some(Value::from(props.delivery_delay_seconds));
        }
        if props.fifo {
            q.fifo_queue = Some(Value::from(true));
            if props.content_based_deduplication {
                q.content_based_deduplication = Some(Value::from(true));
            }
        }
        q.redrive_policy = redrive.policy;
        if redrive.is_dlq {
            // Any queue of this account and Region may use it as its dead-letter queue ("byQueue" would need
            // the source queue's ARN, which depends on this queue: a cycle).
            let allow = Expr::Map([("redrivePermission".to_owned(), Expr::Str("allowAll".to_owned()))].into());
            q.redrive_allow_policy = Some(Value::from_expr(allow));
        }
        let h = child.add("Resource", q);
        let entry = child.stack().resource_mut(&h);
        entry.set_removal_policy(props.removal_policy);
        if matches!(props.encryption, QueueEncryption::SqsManaged) {
            nag::suppress(entry, nag::Tool::Checkov, "CKV_AWS_27", SSE_SQS_REASON);
        }
        if let (DeadLetterQueue::None { reason }, false) = (&props.dead_letter_queue, redrive.is_dlq) {
            if !reason.trim().is_empty() {
                nag::suppress_all(entry, NO_DLQ_FINDINGS, reason);
            }
        }
        let arn = h.attr_arn();
        let url = h.attr_queue_url();
        let policy = props
            .enforce_ssl
            .then(|| add_queue_policy(child, "Policy", url.clone(), vec![tls_only_statement(arn.clone())]));
        QueueInner {
            origin: Origin::Created {
                node: child.node_id(),
                resource: h,
            },
            policy,
            path: child.path(),
            arn,
            url,
            name: h.get_att_unchecked("QueueName"),
            encryption: props.encryption,
            fifo: props.fifo,
            dlq: None,
        }
    }

    /// A queue defined elsewhere, by ARN (`arn:<partition>:sqs:<region>:<account>:<name>`), e.g. an
    /// environment output. Its URL is derived from the ARN. Grants on it need [`Queue::from_arn_with_key`]
    /// when it is encrypted with a customer managed key.
    pub fn from_arn(arn: Value<String>) -> Queue {
        Queue::imported(arn, QueueEncryption::SqsManaged)
    }

    /// A queue defined elsewhere, encrypted with `key` (grants add the KMS actions on it).
    pub fn from_arn_with_key(arn: Value<String>, key: kms::Key) -> Queue {
        Queue::imported(arn, QueueEncryption::Kms(key))
    }

    fn imported(arn: Value<String>, encryption: QueueEncryption) -> Queue {
        let part = |i: u32| fns::select(i, fns::split(":", arn.clone()));
        let (region, account, name) = match arn.as_literal() {
            Some(s) => {
                let parts: Vec<&str> = s.split(':').collect();
                let get = |i: usize| Value::from(parts.get(i).copied().unwrap_or_default());
                (get(3), get(4), get(5))
            }
            None => (part(3), part(4), part(5)),
        };
        let fifo = name.as_literal().is_some_and(|n| n.ends_with(".fifo"));
        let url = fns::join(
            "",
            [
                Value::from("https://sqs."),
                region,
                Value::from("."),
                Value::url_suffix(),
                Value::from("/"),
                account,
                Value::from("/"),
                name.clone(),
            ],
        );
        Queue(Arc::new(QueueInner {
            origin: Origin::Imported,
            policy: None,
            path: String::new(),
            arn,
            url,
            name,
            encryption,
            fifo,
            dlq: None,
        }))
    }

    pub fn arn(&self) -> Value<String> {
        self.0.arn.clone()
    }

    /// `Ref`: the queue URL.
    pub fn url(&self) -> Value<String> {
        self.0.url.clone()
    }

    pub fn name(&self) -> Value<String> {
        self.0.name.clone()
    }

    pub fn handle(&self) -> Option<Handle<cfn::sqs::Queue>> {
        self.0.origin.resource()
    }

    /// The queue policy, when the queue was created here with `enforce_ssl`.
    pub fn policy_handle(&self) -> Option<Handle<cfn::sqs::QueuePolicy>> {
        self.0.policy
    }

    pub fn is_fifo(&self) -> bool {
        self.0.fifo
    }

    pub fn encryption(&self) -> &QueueEncryption {
        &self.0.encryption
    }

    /// The customer managed key, when the queue uses one.
    pub fn encryption_key(&self) -> Option<&kms::Key> {
        match &self.0.encryption {
            QueueEncryption::Kms(k) => Some(k),
            _ => None,
        }
    }

    /// The dead-letter queue (created or given), if any.
    pub fn dead_letter_queue(&self) -> Option<&Queue> {
        self.0.dlq.as_ref()
    }

    /// Add a statement to the queue policy. False (nothing added) for a queue imported, of another template,
    /// or created with `enforce_ssl: false` (no policy).
    pub fn add_to_resource_policy(&self, stack: &mut Stack, stmt: PolicyStatement) -> bool {
        let Some(h) = self.0.policy else { return false };
        if !self.0.origin.is_in(stack) {
            return false;
        }
        match stack.body_mut::<PolicyResource<cfn::sqs::QueuePolicy>, _>(&h) {
            Some(policy) => {
                policy.document.add_statement(stmt);
                true
            }
            None => false,
        }
    }

    /// Receive, delete and change the visibility of messages (plus `kms:Decrypt` on a customer managed key).
    pub fn grant_consume(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        self.grant_with_key(stack, grantee, CONSUME_ACTIONS, KMS_CONSUME_ACTIONS)
    }

    /// Send messages (plus `kms:Decrypt` and `kms:GenerateDataKey` on a customer managed key).
    pub fn grant_send(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        self.grant_with_key(stack, grantee, SEND_ACTIONS, KMS_SEND_ACTIONS)
    }

    /// Purge the queue.
    pub fn grant_purge(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        self.grant(stack, grantee, PURGE_ACTIONS)
    }

    /// Grant `actions` on this queue's ARN only.
    pub fn grant(&self, stack: &mut Stack, grantee: &mut dyn Grantee, actions: &[&str]) -> Grant {
        let stmt = PolicyStatement::allow(actions, [self.arn()]);
        Grant::add(stack, &self.0.path, grantee, stmt)
    }

    fn grant_with_key(&self, stack: &mut Stack, grantee: &mut dyn Grantee, sqs: &[&str], kms: &[&str]) -> Grant {
        let grant = self.grant(stack, grantee, sqs);
        match self.encryption_key() {
            Some(key) => {
                let stmt = PolicyStatement::allow(kms, [key.arn()]);
                grant.and(Grant::add(stack, &self.0.path, grantee, stmt))
            }
            None => grant,
        }
    }
}

impl Construct for Queue {
    fn node_id(&self) -> Option<NodeId> {
        self.0.origin.node()
    }
    fn path(&self) -> &str {
        &self.0.path
    }
}

/// `{"deadLetterTargetArn": <dlq>, "maxReceiveCount": n}`, with `n` checked (1–1000).
fn redrive_policy(child: &mut Scope, dlq: &Queue, max_receive_count: u32) -> Value<crate::value::Json> {
    if !(1..=1000).contains(&max_receive_count) {
        child.error(format!("max_receive_count {max_receive_count} is outside 1–1000"));
    }
    Value::from_expr(Expr::Map(
        [
            ("deadLetterTargetArn".to_owned(), dlq.arn().into_expr()),
            ("maxReceiveCount".to_owned(), Expr::Int(i64::from(max_receive_count))),
        ]
        .into(),
    ))
}

/// The name of a created dead-letter queue when the queue has a literal name: `<name>-dlq` (before `.fifo`).
fn dlq_name(name: &Value<String>) -> Option<Value<String>> {
    let n = name.as_literal()?;
    Some(Value::from(match n.strip_suffix(".fifo") {
        Some(base) => format!("{base}-dlq.fifo"),
        None => format!("{n}-dlq"),
    }))
}

/// SQS's ranges and naming rules, for literal values.
fn validate(child: &mut Scope, p: &QueueProps) {
    let ranges = [
        ("retention_seconds", p.retention_seconds, 60, 1_209_600),
        ("visibility_timeout_seconds", p.visibility_timeout_seconds, 0, 43_200),
        ("receive_wait_time_seconds", p.receive_wait_time_seconds, 0, 20),
        ("delivery_delay_seconds", p.delivery_delay_seconds, 0, 900),
    ];
    for (name, v, lo, hi) in ranges {
        if !(lo..=hi).contains(&v) {
            child.error(format!("{name} {v} is outside {lo}–{hi}"));
        }
    }
    if p.content_based_deduplication && !p.fifo {
        child.error("content_based_deduplication is for FIFO queues only (fifo: true)");
    }
    if let Some(n) = p.queue_name.as_ref().and_then(Value::as_literal) {
        let base = n.strip_suffix(".fifo").unwrap_or(n);
        let chars_ok = base.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if n.is_empty() || n.len() > 80 || !chars_ok {
            child.error(format!(
                "queue name {n:?} must be 1–80 characters of letters, digits, hyphens and underscores (plus .fifo)"
            ));
        }
        if p.fifo != n.ends_with(".fifo") {
            child.error(format!(
                "queue name {n:?}: FIFO queue names end in .fifo, standard queue names do not"
            ));
        }
    }
}
