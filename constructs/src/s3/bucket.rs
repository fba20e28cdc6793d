//! [`Bucket`]: an S3 bucket with secure defaults, its policy and grants, or an imported one.

use crate::cfn;
use crate::cfn::s3::bucket as b;
use crate::iam::{Grant, Grantee, PolicyDocument, PolicyResource, PolicyStatement, Principal};
use crate::kms;
use crate::nag::{self, Tool};
use crate::stack::{Construct, Handle, NodeId, Origin, RemovalPolicy, Scope, Stack};
use crate::value::{fns, Value};

use super::*;

/// Server-side encryption of a bucket.
#[derive(Clone, Debug, Default)]
pub enum BucketEncryption {
    /// SSE-S3 (AES-256, S3-managed keys).
    #[default]
    S3Managed,
    /// SSE-KMS with the AWS managed key `aws/s3`.
    KmsManaged,
    /// SSE-KMS with a customer managed key (bucket keys on).
    Kms(kms::Key),
}

/// One lifecycle rule.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LifecycleRule {
    pub id: Option<String>,
    /// Only objects under this prefix.
    pub prefix: Option<String>,
    /// Expire current objects after this many days.
    pub expiration_days: Option<u32>,
    /// Delete noncurrent versions after this many days.
    pub noncurrent_version_expiration_days: Option<u32>,
    /// Abort incomplete multipart uploads after this many days.
    pub abort_incomplete_multipart_upload_days: Option<u32>,
}

impl LifecycleRule {
    /// The default rule: noncurrent versions expire after 90 days, incomplete uploads are aborted after 7.
    pub fn default_rule() -> Self {
        LifecycleRule {
            id: Some("DefaultRule".to_owned()),
            prefix: None,
            expiration_days: None,
            noncurrent_version_expiration_days: Some(90),
            abort_incomplete_multipart_upload_days: Some(7),
        }
    }

    pub(super) fn to_cfn(&self) -> b::Rule {
        let mut r = b::Rule::new("Enabled");
        r.id = self.id.as_deref().map(Value::from);
        r.prefix = self.prefix.as_deref().map(Value::from);
        r.expiration_in_days = self.expiration_days.map(Value::from);
        r.noncurrent_version_expiration = self
            .noncurrent_version_expiration_days
            .map(b::NoncurrentVersionExpiration::new);
        r.abort_incomplete_multipart_upload = self
            .abort_incomplete_multipart_upload_days
            .map(b::AbortIncompleteMultipartUpload::new);
        r
    }
}

/// Properties of [`Bucket`].
#[derive(Clone, Debug)]
pub struct BucketProps {
    pub bucket_name: Option<Value<String>>,
    pub encryption: BucketEncryption,
    /// Default true.
    pub versioned: bool,
    /// Default: [`LifecycleRule::default_rule`].
    pub lifecycle_rules: Vec<LifecycleRule>,
    /// Server access logs: destination bucket and key prefix.
    pub server_access_logs: Option<(Bucket, String)>,
    /// When there are no server access logs, the reason (suppresses CT.S3.PR.2 / CKV_AWS_18 with it).
    pub no_access_logs_reason: Option<String>,
    /// Default: retain.
    pub removal_policy: RemovalPolicy,
    /// Deny requests without TLS in the bucket policy (default true).
    pub enforce_ssl: bool,
}

impl Default for BucketProps {
    fn default() -> Self {
        BucketProps {
            bucket_name: None,
            encryption: BucketEncryption::S3Managed,
            versioned: true,
            lifecycle_rules: vec![LifecycleRule::default_rule()],
            server_access_logs: None,
            no_access_logs_reason: None,
            removal_policy: RemovalPolicy::Retain,
            enforce_ssl: true,
        }
    }
}

/// An S3 bucket, created here or imported.
#[derive(Clone, Debug)]
pub struct Bucket(pub(super) std::sync::Arc<BucketInner>);

#[derive(Debug)]
pub(super) struct BucketInner {
    pub(super) origin: Origin<cfn::s3::Bucket>,
    pub(super) policy: Option<Handle<cfn::s3::BucketPolicy>>,
    pub(super) path: String,
    pub(super) arn: Value<String>,
    pub(super) name: Value<String>,
    pub(super) key: Option<kms::Key>,
}

impl Bucket {
    pub fn new(scope: &mut Scope, id: &str, props: BucketProps) -> Bucket {
        Bucket::build(scope, id, props, false)
    }

    /// A bucket for server access logs of other buckets: SSE-S3 (the only encryption S3 log delivery
    /// supports), a policy letting `logging.s3.amazonaws.com` write from this account, and suppressions for
    /// the findings that cannot apply to it (it cannot log to itself).
    pub fn new_access_log_bucket(scope: &mut Scope, id: &str) -> Bucket {
        let props = BucketProps {
            encryption: BucketEncryption::S3Managed,
            lifecycle_rules: vec![LifecycleRule {
                id: Some("ExpireAccessLogs".to_owned()),
                expiration_days: Some(365),
                ..LifecycleRule::default_rule()
            }],
            ..BucketProps::default()
        };
        Bucket::build(scope, id, props, true)
    }

    pub(super) fn build(scope: &mut Scope, id: &str, props: BucketProps, log_bucket: bool) -> Bucket {
        let mut child = scope.child(id);
        check_props(&mut child, &props);
        let h = child.add("Resource", bucket_l1(&props));
        let entry = child.stack().resource_mut(&h);
        entry.set_removal_policy(props.removal_policy);
        bucket_findings(entry, &props, log_bucket);
        let arn = h.attr_arn();
        let policy = add_bucket_policy(&mut child, &props, log_bucket, h);
        let node = child.node_id();
        let path = child.path();
        let key = match props.encryption {
            BucketEncryption::Kms(k) => Some(k),
            _ => None,
        };
        Bucket(std::sync::Arc::new(BucketInner {
            origin: Origin::Created { node, resource: h },
            policy,
            path,
            arn,
            name: h.r#ref(),
            key,
        }))
    }

    /// A bucket defined elsewhere, by ARN (`arn:<partition>:s3:::<name>`).
    pub fn from_arn(arn: Value<String>) -> Bucket {
        let name = match arn.as_literal() {
            Some(s) => Value::from(s.rsplit(":::").next().unwrap_or(s)),
            None => fns::select(5, fns::split(":", arn.clone())),
        };
        Bucket::imported(arn, name)
    }

    /// A bucket defined elsewhere, by name.
    pub fn from_name(name: Value<String>) -> Bucket {
        let arn = fns::sub(
            "arn:${AWS::Partition}:s3:::${Name}",
            [("Name", name.clone().into_expr())],
        );
        Bucket::imported(arn, name)
    }

    pub(super) fn imported(arn: Value<String>, name: Value<String>) -> Bucket {
        Bucket(std::sync::Arc::new(BucketInner {
            origin: Origin::Imported,
            policy: None,
            path: String::new(),
            arn,
            name,
            key: None,
        }))
    }

    pub fn arn(&self) -> Value<String> {
        self.0.arn.clone()
    }

    /// The bucket name (`Ref`).
    pub fn name(&self) -> Value<String> {
        self.0.name.clone()
    }

    /// `<arn>/<pattern>` (e.g. `arn_for_objects("*")`), as `Fn::Join`.
    pub fn arn_for_objects(&self, pattern: &str) -> Value<String> {
        fns::join("", [self.arn(), Value::from(format!("/{pattern}"))])
    }

    pub fn handle(&self) -> Option<Handle<cfn::s3::Bucket>> {
        self.0.origin.resource()
    }

    pub fn policy_handle(&self) -> Option<Handle<cfn::s3::BucketPolicy>> {
        self.0.policy
    }

    /// The customer managed key, when the bucket uses one.
    pub fn encryption_key(&self) -> Option<&kms::Key> {
        self.0.key.as_ref()
    }

    /// Add a statement to the bucket policy (buckets created in this template with a policy only).
    pub fn add_to_resource_policy(&self, stack: &mut Stack, stmt: PolicyStatement) -> bool {
        let Some(h) = self.0.policy else { return false };
        if !self.0.origin.is_in(stack) {
            return false;
        }
        if let Some(policy) = stack.body_mut::<PolicyResource<cfn::s3::BucketPolicy>, _>(&h) {
            policy.document.add_statement(stmt);
        }
        true
    }

    /// Let Elastic Load Balancing write ALB/NLB access logs under `prefix` (the load balancer's
    /// `access_logs.s3.prefix`): `s3:PutObject` on `<bucket>/<prefix>/AWSLogs/<account>/*` for the regional ELB
    /// account ([`ELB_ACCOUNT_IDS`], chosen with a mapping and a condition on `AWS::Region`) or, in newer
    /// Regions, the log-delivery service principal. The bucket must use SSE-S3 (ELB writes no SSE-KMS logs):
    /// [`Bucket::new_access_log_bucket`] fits. Returns false (and records an error) for a bucket without
    /// a policy in this template or with a KMS key. Make the load balancer depend on
    /// [`Bucket::policy_handle`].
    pub fn allow_elb_access_logs(&self, stack: &mut Stack, prefix: Option<&str>) -> bool {
        let Some(policy) = self.0.policy else {
            let msg = "allow_elb_access_logs: the bucket has no bucket policy in this template (imported, or enforce_ssl off)";
            stack.error(&self.0.path, msg);
            return false;
        };
        if !self.0.origin.is_in(stack) {
            stack.error(
                &self.0.path,
                "allow_elb_access_logs: the bucket belongs to another template; call it with the bucket's template",
            );
            return false;
        }
        if self.0.key.is_some() {
            stack.error(
                &self.0.path,
                "allow_elb_access_logs: load balancers write access logs only to SSE-S3 buckets, this one uses a KMS key",
            );
            return false;
        }
        if let Some(p) = prefix {
            if p.starts_with('/') || p.ends_with('/') || p.contains("AWSLogs") {
                stack.error(
                    &self.0.path,
                    format!("allow_elb_access_logs: prefix {p:?} must not start or end with '/' or contain AWSLogs"),
                );
            }
        }
        // One mapping and condition per call (ids numbered after the first).
        let taken = |stack: &Stack, id: &str| {
            let full = format!("{}/{id}", self.0.path);
            stack.mappings.iter().any(|m| m.path == full)
        };
        let mut suffix = String::new();
        let mut n = 1;
        while taken(stack, &format!("ElbAccountIds{suffix}")) {
            n += 1;
            suffix = n.to_string();
        }
        let table = elb_account_table();
        let groups = elb_region_conditions();
        let mut scope = stack.scope(self.0.origin.node());
        let mapping = scope.add_mapping(&format!("ElbAccountIds{suffix}"), table);
        let cond = scope.add_condition(&format!("ElbAccountRegion{suffix}"), crate::stack::CondExpr::Or(groups));
        let account: Value<String> = fns::find_in_map(&mapping, Value::region(), Value::from("AccountId"));
        let account_root = fns::sub(
            "arn:${AWS::Partition}:iam::${ElbAccount}:root",
            [("ElbAccount", account.into_expr())],
        );
        let principal = Principal::If {
            condition: cond,
            then: Box::new(Principal::Arn(account_root)),
            otherwise: Box::new(Principal::service(ELB_LOG_DELIVERY_SERVICE)),
        };
        let key_prefix = match prefix {
            Some(p) if !p.is_empty() => format!("/{p}/AWSLogs/"),
            _ => "/AWSLogs/".to_owned(),
        };
        let resource = fns::join(
            "",
            [
                self.arn(),
                Value::from(key_prefix),
                Value::account_id(),
                Value::from("/*"),
            ],
        );
        let stmt = PolicyStatement::allow(&["s3:PutObject"], [resource]).with_principal(principal);
        if let Some(policy) = stack.body_mut::<PolicyResource<cfn::s3::BucketPolicy>, _>(&policy) {
            policy.document.statements.push(stmt);
        }
        true
    }

    /// Read objects and list the bucket (plus decrypt on its key).
    pub fn grant_read(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        let stmt = PolicyStatement::allow(
            &["s3:GetObject*", "s3:GetBucket*", "s3:List*"],
            [self.arn(), self.arn_for_objects("*")],
        );
        let grant = Grant::add(stack, &self.0.path, grantee, stmt);
        match &self.0.key {
            Some(k) => grant.and(k.grant_decrypt(stack, grantee)),
            None => grant,
        }
    }

    /// Write and delete objects (plus encrypt/decrypt on its key).
    pub fn grant_write(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        let stmt = PolicyStatement::allow(
            &[
                "s3:DeleteObject*",
                "s3:PutObject",
                "s3:PutObjectLegalHold",
                "s3:PutObjectRetention",
                "s3:PutObjectTagging",
                "s3:PutObjectVersionTagging",
                "s3:Abort*",
            ],
            [self.arn(), self.arn_for_objects("*")],
        );
        let grant = Grant::add(stack, &self.0.path, grantee, stmt);
        match &self.0.key {
            Some(k) => grant.and(k.grant_encrypt_decrypt(stack, grantee)),
            None => grant,
        }
    }

    /// [`Bucket::grant_read`] and [`Bucket::grant_write`].
    pub fn grant_read_write(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        let read = self.grant_read(stack, grantee);
        read.and(self.grant_write(stack, grantee))
    }
}

impl Construct for Bucket {
    fn node_id(&self) -> Option<NodeId> {
        self.0.origin.node()
    }
    fn path(&self) -> &str {
        &self.0.path
    }
}

// Steps of `Bucket::build`.

/// Literal bucket names and lifecycle rules without an action.
fn check_props(child: &mut Scope, props: &BucketProps) {
    if let Some(n) = props.bucket_name.as_ref().and_then(Value::as_literal) {
        let chars_ok = n
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
        let ends_ok =
            n.starts_with(|c: char| c.is_ascii_alphanumeric()) && n.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !(3..=63).contains(&n.len()) || !chars_ok || !ends_ok || n.contains("..") {
            child.error(format!(
                "bucket name {n:?} must be 3–63 characters of lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"
            ));
        }
    }
    for r in &props.lifecycle_rules {
        if r.expiration_days.is_none()
            && r.noncurrent_version_expiration_days.is_none()
            && r.abort_incomplete_multipart_upload_days.is_none()
        {
            child.error(format!(
                "lifecycle rule {:?} has no action (expiration, noncurrent version expiration or multipart abort)",
                r.id.as_deref().unwrap_or("")
            ));
        }
    }
}

/// The L1 bucket: encryption, public access block, owner-enforced ownership, versioning, lifecycle, logs.
fn bucket_l1(props: &BucketProps) -> cfn::s3::Bucket {
    let mut bucket = cfn::s3::Bucket::new();
    bucket.bucket_name = props.bucket_name.clone();
    let mut rule = b::ServerSideEncryptionRule::new();
    rule.server_side_encryption_by_default = Some(match &props.encryption {
        BucketEncryption::S3Managed => b::ServerSideEncryptionByDefault::new("AES256"),
        BucketEncryption::KmsManaged => b::ServerSideEncryptionByDefault::new("aws:kms"),
        BucketEncryption::Kms(key) => {
            let mut d = b::ServerSideEncryptionByDefault::new("aws:kms");
            d.kms_master_key_id = Some(key.arn());
            d
        }
    });
    if !matches!(props.encryption, BucketEncryption::S3Managed) {
        rule.bucket_key_enabled = Some(Value::from(true));
    }
    bucket.bucket_encryption = Some(b::BucketEncryption::new(vec![rule]));
    let mut pab = b::PublicAccessBlockConfiguration::new();
    pab.block_public_acls = Some(Value::from(true));
    pab.block_public_policy = Some(Value::from(true));
    pab.ignore_public_acls = Some(Value::from(true));
    pab.restrict_public_buckets = Some(Value::from(true));
    bucket.public_access_block_configuration = Some(pab);
    let mut own = b::OwnershipControlsRule::new();
    own.object_ownership = Some(Value::from("BucketOwnerEnforced"));
    bucket.ownership_controls = Some(b::OwnershipControls::new(vec![own]));
    if props.versioned {
        bucket.versioning_configuration = Some(b::VersioningConfiguration::new("Enabled"));
    }
    if !props.lifecycle_rules.is_empty() {
        bucket.lifecycle_configuration = Some(b::LifecycleConfiguration::new(
            props.lifecycle_rules.iter().map(LifecycleRule::to_cfn).collect(),
        ));
    }
    if let Some((target, prefix)) = &props.server_access_logs {
        let mut l = b::LoggingConfiguration::new();
        l.destination_bucket_name = Some(target.name());
        l.log_file_prefix = Some(Value::from(prefix.as_str()));
        bucket.logging_configuration = Some(l);
    }
    bucket
}

/// Suppressions for the findings the props answer on purpose.
fn bucket_findings(entry: &mut crate::stack::ResourceEntry, props: &BucketProps, log_bucket: bool) {
    entry.set_removal_policy(props.removal_policy);
    nag::suppress(entry, Tool::Guard, "CT.S3.PR.4", NO_NOTIFICATIONS_REASON);
    nag::suppress(entry, Tool::Guard, "CT.S3.PR.9", NO_OBJECT_LOCK_REASON);
    if matches!(props.encryption, BucketEncryption::S3Managed) {
        let reason = if log_bucket {
            "S3 server access log delivery supports SSE-S3 destination buckets only"
        } else {
            SSE_S3_REASON
        };
        nag::suppress(entry, Tool::Guard, "CT.S3.PR.10", reason);
    }
    if log_bucket {
        let reason = "this is the access-log bucket: logging it to itself would loop";
        nag::suppress(entry, Tool::Guard, "CT.S3.PR.2", reason);
        nag::suppress(entry, Tool::Checkov, "CKV_AWS_18", reason);
    } else if props.server_access_logs.is_none() {
        if let Some(reason) = &props.no_access_logs_reason {
            nag::suppress(entry, Tool::Guard, "CT.S3.PR.2", reason);
            nag::suppress(entry, Tool::Checkov, "CKV_AWS_18", reason);
        }
    }
    if !props.versioned {
        let reason = "versioning turned off explicitly (versioned: false)";
        nag::suppress(entry, Tool::Guard, "CT.S3.PR.11", reason);
        nag::suppress(entry, Tool::Checkov, "CKV_AWS_21", reason);
    }
}

/// The bucket policy (TLS only; log delivery for an access-log bucket), when it has a statement.
fn add_bucket_policy(
    child: &mut Scope,
    props: &BucketProps,
    log_bucket: bool,
    h: Handle<cfn::s3::Bucket>,
) -> Option<Handle<cfn::s3::BucketPolicy>> {
    let arn = h.attr_arn();
    let objects = fns::join("", [arn.clone(), Value::from("/*")]);
    let mut doc = PolicyDocument::default();
    if props.enforce_ssl {
        doc.statements.push(
            PolicyStatement::deny(&["s3:*"], [arn.clone(), objects.clone()])
                .with_principal(Principal::Arn(Value::from("*")))
                .with_condition("Bool", "aws:SecureTransport", serde_json::json!("false")),
        );
    }
    if log_bucket {
        doc.statements.push(
            PolicyStatement::allow(&["s3:PutObject"], [objects.clone()])
                .with_principal(Principal::service("logging.s3.amazonaws.com"))
                .with_condition("StringEquals", "aws:SourceAccount", Value::account_id().into_expr()),
        );
    }
    if doc.statements.is_empty() {
        None
    } else {
        let body = PolicyResource {
            resource: cfn::s3::BucketPolicy::new(h.r#ref(), doc.to_value()),
            document: doc,
            set_document: |p, d| p.policy_document = d,
        };
        Some(child.add_body::<cfn::s3::BucketPolicy>("Policy", Box::new(body)))
    }
}

/// The regional ELB account ids as a mapping table (region -> `AccountId`).
fn elb_account_table() -> crate::stack::MappingTable {
    ELB_ACCOUNT_IDS
        .iter()
        .map(|(region, id)| {
            let mut inner = indexmap::IndexMap::new();
            inner.insert("AccountId".to_owned(), serde_json::json!(id));
            ((*region).to_owned(), inner)
        })
        .collect()
}

/// "The region is one of the regions with an ELB account", as `Fn::Or`s of at most 10 `Fn::Equals`.
fn elb_region_conditions() -> Vec<crate::stack::CondExpr> {
    ELB_ACCOUNT_IDS
        .chunks(10)
        .map(|chunk| {
            crate::stack::CondExpr::Or(
                chunk
                    .iter()
                    .map(|(r, _)| crate::stack::CondExpr::equals(Value::region(), Value::from(*r)))
                    .collect(),
            )
        })
        .collect()
}
