//! L2 construct for Lambda: a [`Function`] with its own log group (retention, `LoggingConfig`), a role with
//! only inline permissions (logs on that group, X-Ray, VPC network interfaces, the dead-letter target and the
//! environment key; no AWS managed policy), arm64 by default, active tracing, validated memory and timeout,
//! optional JSON logs filtered by an application log level, and [`Function::grant_invoke`] for AWS services
//! (an `AWS::Lambda::Permission` scoped to a source ARN and this account).
//!
//! Runtime, memory size, timeout, reserved concurrency and application log level are typed values: literals
//! (`Runtime::Python313.into()`, `512.into()`) or late-bound values such as AWS Proton inputs
//! (`Value::placeholder`) and intrinsic functions. Literal values are validated here; other values are
//! written as they are (an AWS Proton input is validated by Proton against the schema's minimum and maximum).
//!
//! Security-checker findings that a default function cannot satisfy are suppressed with reasons when the
//! corresponding property is not given: reserved concurrency (CKV_AWS_115), dead-letter queue (CKV_AWS_116),
//! VPC (CKV_AWS_117, CT.LAMBDA.PR.3) and a customer managed key for environment variables (CKV_AWS_173).

mod function;
mod runtime;

pub use function::*;
pub use runtime::*;

/// Reason for CKV_AWS_115 when no reserved concurrency is set.
pub const NO_CONCURRENCY_REASON: &str =
    "concurrency is bounded by the account's regional limit; set reserved_concurrency to reserve or cap it";
/// Reason for CKV_AWS_116 when no dead-letter target is set.
pub const NO_DLQ_REASON: &str =
    "invoked synchronously (errors return to the caller); set dead_letter for asynchronous invocations";
/// Reason for CKV_AWS_117 / CT.LAMBDA.PR.3 when the function is not in a VPC.
pub const NO_VPC_REASON: &str =
    "the function reaches only AWS service endpoints over TLS and no resources inside a VPC; set vpc to attach it";
/// Reason for CKV_AWS_173 when environment variables use Lambda's AWS managed key.
pub const NO_ENV_KEY_REASON: &str =
    "environment variables hold configuration, no secrets, and are encrypted at rest with Lambda's AWS managed key; set environment_key for a customer managed key";

/// Reason for CT.LAMBDA.PR.2 on a permission whose `SourceArn` is an intrinsic function.
pub const SCOPED_PERMISSION_REASON: &str =
    "the permission is scoped by SourceArn and SourceAccount (this account), written with intrinsic functions the static rule does not resolve";
