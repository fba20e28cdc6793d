//! L2 construct for DynamoDB: a [`Table`] with on-demand billing, point-in-time recovery, KMS encryption
//! (AWS managed key by default, or a customer managed key), deletion protection, retained on stack deletion,
//! and grants with exact action lists on the table and its indexes.

mod table;

pub use table::*;

/// Reason for CKV_AWS_119 when the table uses the AWS managed key.
pub const AWS_MANAGED_KEY_REASON: &str =
    "encrypted at rest with the AWS managed KMS key aws/dynamodb; pass TableEncryption::CustomerManaged for a customer managed key";

/// Actions of [`Table::grant_read_data`].
pub const READ_DATA_ACTIONS: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:Query",
    "dynamodb:Scan",
];

/// Actions of [`Table::grant_write_data`].
pub const WRITE_DATA_ACTIONS: &[&str] = &[
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
];
