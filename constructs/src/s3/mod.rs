//! L2 construct for S3: a bucket secure by default — encryption, all four public-access blocks, bucket-owner
//! enforced object ownership (no ACLs), versioning, lifecycle rules, a TLS-only bucket policy and server access
//! logs to a log bucket ([`Bucket::new_access_log_bucket`]).
//!
//! Findings that do not apply to a general-purpose bucket are suppressed with a reason: event notifications
//! (CT.S3.PR.4) and object lock (CT.S3.PR.9); SSE-S3 instead of KMS (CT.S3.PR.10) when no key is given.

mod bucket;

pub use bucket::*;

/// Reason attached to CT.S3.PR.4 on every bucket.
pub const NO_NOTIFICATIONS_REASON: &str =
    "no consumer of object events; event notifications are configured by the application when it needs them";
/// Reason attached to CT.S3.PR.9 on every bucket.
pub const NO_OBJECT_LOCK_REASON: &str =
    "object lock (WORM) is not required for this data; versioning and lifecycle rules protect against loss";
/// Reason attached to CT.S3.PR.10 when the bucket uses SSE-S3.
pub const SSE_S3_REASON: &str =
    "encrypted at rest with SSE-S3 (AES-256); pass BucketEncryption::Kms for a customer managed key";

/// The Elastic Load Balancing accounts that write ALB/NLB access logs in Regions opened before August 2022
/// (from the Elastic Load Balancing user guide, "Enable access logs"). Newer Regions use the
/// `logdelivery.elasticloadbalancing.amazonaws.com` service principal instead.
pub const ELB_ACCOUNT_IDS: &[(&str, &str)] = &[
    ("us-east-1", "127311923021"),
    ("us-east-2", "033677994240"),
    ("us-west-1", "027434742980"),
    ("us-west-2", "797873946194"),
    ("af-south-1", "098369216593"),
    ("ap-east-1", "754344448648"),
    ("ap-south-1", "718504428378"),
    ("ap-northeast-1", "582318560864"),
    ("ap-northeast-2", "600734575887"),
    ("ap-northeast-3", "383597477331"),
    ("ap-southeast-1", "114774131450"),
    ("ap-southeast-2", "783225319266"),
    ("ap-southeast-3", "589379963580"),
    ("ca-central-1", "985666609251"),
    ("eu-central-1", "054676820928"),
    ("eu-west-1", "156460612806"),
    ("eu-west-2", "652711504416"),
    ("eu-west-3", "009996457667"),
    ("eu-south-1", "635631232127"),
    ("eu-north-1", "897822967062"),
    ("me-south-1", "076674570225"),
    ("sa-east-1", "507241528517"),
    ("us-gov-west-1", "048591011584"),
    ("us-gov-east-1", "190560391635"),
    ("cn-north-1", "638102146993"),
    ("cn-northwest-1", "037604701340"),
];

/// The service principal that writes load-balancer access logs in Regions opened since August 2022.
pub const ELB_LOG_DELIVERY_SERVICE: &str = "logdelivery.elasticloadbalancing.amazonaws.com";
