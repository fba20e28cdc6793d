//! The queue policy of a [`Queue`]: TLS only, plus the statements other constructs add (an SNS topic's or an
//! EventBridge rule's `sqs:SendMessage`, scoped with `aws:SourceArn`).

use crate::cfn;
use crate::iam::{PolicyDocument, PolicyResource, PolicyStatement, Principal};
use crate::stack::{Handle, Scope};
use crate::value::Value;

/// The statement denying every SQS action on `queue_arn` over plain HTTP (`aws:SecureTransport` false).
pub fn tls_only_statement(queue_arn: Value<String>) -> PolicyStatement {
    PolicyStatement::deny_insecure_transport(&["sqs:*"], [queue_arn])
}

/// The statement letting AWS service `service` (e.g. `sns.amazonaws.com`) send to `queue_arn` on behalf of
/// `source_arn` only.
pub fn service_send_statement(service: &str, queue_arn: Value<String>, source_arn: Value<String>) -> PolicyStatement {
    PolicyStatement::allow(&["sqs:SendMessage"], [queue_arn])
        .with_principal(Principal::service(service))
        .with_condition("ArnEquals", "aws:SourceArn", source_arn.into_expr())
}

/// Add an `AWS::SQS::QueuePolicy` (child `id` of `scope`) for the queue at `queue_url` holding `statements`;
/// later statements go in with [`crate::sqs::Queue::add_to_resource_policy`].
pub(super) fn add_queue_policy(
    scope: &mut Scope,
    id: &str,
    queue_url: Value<String>,
    statements: Vec<PolicyStatement>,
) -> Handle<cfn::sqs::QueuePolicy> {
    let doc = PolicyDocument::new(statements);
    let body = PolicyResource {
        resource: cfn::sqs::QueuePolicy::new(doc.to_value(), vec![queue_url]),
        document: doc,
        set_document: |p, d| p.policy_document = d,
    };
    scope.add_body::<cfn::sqs::QueuePolicy>(id, Box::new(body))
}
