//! L2 construct for KMS: a symmetric customer managed key with rotation and an explicit key policy.
//!
//! The key policy always holds (1) the account-root administration statement (`kms:*` for
//! `arn:${Partition}:iam::${AccountId}:root`, the standard key policy: it delegates access control to IAM),
//! (2) a `Deny kms:CreateGrant` unless the grant is for an AWS resource or the principal is an AWS service
//! (Control Tower CT.KMS.PR.3), and (3) use statements for the AWS services given in [`KeyProps::allow_services`].

mod key;

pub use key::*;

/// The actions of a data key user (encrypt and decrypt).
pub const ENCRYPT_DECRYPT_ACTIONS: &[&str] = &[
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
];

/// The actions of a decrypt-only user.
pub const DECRYPT_ACTIONS: &[&str] = &["kms:Decrypt", "kms:DescribeKey"];
