//! L2 construct for CloudWatch Logs: a log group with retention (default one year) and optional KMS
//! encryption.
//!
//! Without a customer managed key the group is encrypted by CloudWatch Logs with AWS-owned keys; the
//! Control Tower rule CT.CLOUDWATCH.PR.3 and checkov CKV_AWS_158 are then suppressed with that reason.

mod log_group;

pub use log_group::*;

/// The reason given when a log group has no customer managed key.
pub const NO_KMS_REASON: &str =
    "log data is encrypted at rest by CloudWatch Logs with AWS-owned keys; pass kms_key for a customer managed key";
