//! [`Repository`]: an ECR repository (scan on push, immutable tags, lifecycle) or an imported one.

use crate::cfn;
use crate::cfn::ecr::repository as r;
use crate::iam::{Grant, Grantee, PolicyStatement};
use crate::kms;
use crate::stack::{Construct, Handle, NodeId, Origin, RemovalPolicy, Scope, Stack};
use crate::value::{fns, Expr, Value};

use super::*;

/// Tag mutability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TagMutability {
    /// Tags cannot be overwritten (Control Tower CT.ECR.PR.3).
    #[default]
    Immutable,
    Mutable,
}

/// Repository encryption.
#[derive(Clone, Debug, Default)]
pub enum RepositoryEncryption {
    /// KMS with the AWS managed key `aws/ecr`.
    #[default]
    KmsAwsManaged,
    /// KMS with a customer managed key.
    Kms(kms::Key),
    /// AES-256 (ECR-managed keys).
    Aes256,
}

/// Properties of [`Repository`].
#[derive(Clone, Debug)]
pub struct RepositoryProps {
    pub name: Option<Value<String>>,
    pub image_tag_mutability: TagMutability,
    /// Default true (CT.ECR.PR.2).
    pub scan_on_push: bool,
    pub encryption: RepositoryEncryption,
    /// Keep the last N images (default 30; CT.ECR.PR.1 wants a lifecycle policy). 0: no lifecycle policy.
    pub keep_last_images: u32,
    /// Default: retain.
    pub removal_policy: RemovalPolicy,
    /// Delete images when the repository is deleted (only with `RemovalPolicy::Delete`).
    pub empty_on_delete: bool,
}

impl Default for RepositoryProps {
    fn default() -> Self {
        RepositoryProps {
            name: None,
            image_tag_mutability: TagMutability::Immutable,
            scan_on_push: true,
            encryption: RepositoryEncryption::KmsAwsManaged,
            keep_last_images: 30,
            removal_policy: RemovalPolicy::Retain,
            empty_on_delete: false,
        }
    }
}

/// An ECR repository, created here or imported.
#[derive(Clone, Debug)]
pub struct Repository(pub(super) std::sync::Arc<RepositoryInner>);

#[derive(Debug)]
pub(super) struct RepositoryInner {
    pub(super) origin: Origin<cfn::ecr::Repository>,
    pub(super) path: String,
    pub(super) arn: Value<String>,
    pub(super) name: Value<String>,
    pub(super) key: Option<kms::Key>,
}

/// The lifecycle policy text keeping the last `n` images.
pub fn keep_last_policy(n: u32) -> String {
    serde_json::json!({
        "rules": [{
            "rulePriority": 1,
            "description": format!("Keep only the last {n} images"),
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": n},
            "action": {"type": "expire"}
        }]
    })
    .to_string()
}

impl Repository {
    pub fn new(scope: &mut Scope, id: &str, props: RepositoryProps) -> Repository {
        let mut child = scope.child(id);
        if let Some(n) = props.name.as_ref().and_then(Value::as_literal) {
            let ok = n.len() >= 2
                && n.len() <= 256
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(c))
                && n.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
            if !ok {
                child.error(format!(
                    "repository name {n:?} must be 2–256 characters of lowercase letters, digits and ._-/ starting with a letter or digit"
                ));
            }
        }
        if props.empty_on_delete && props.removal_policy != RemovalPolicy::Delete {
            child.error("empty_on_delete needs removal_policy: RemovalPolicy::Delete");
        }
        let mut repo = cfn::ecr::Repository::new();
        repo.repository_name = props.name.clone();
        repo.image_tag_mutability = Some(Value::from(match props.image_tag_mutability {
            TagMutability::Immutable => "IMMUTABLE",
            TagMutability::Mutable => "MUTABLE",
        }));
        let mut scan = r::ImageScanningConfiguration::new();
        scan.scan_on_push = Some(Value::from(props.scan_on_push));
        repo.image_scanning_configuration = Some(scan);
        repo.encryption_configuration = Some(match &props.encryption {
            RepositoryEncryption::KmsAwsManaged => r::EncryptionConfiguration::new("KMS"),
            RepositoryEncryption::Kms(k) => {
                let mut e = r::EncryptionConfiguration::new("KMS");
                e.kms_key = Some(k.arn());
                e
            }
            RepositoryEncryption::Aes256 => r::EncryptionConfiguration::new("AES256"),
        });
        if props.keep_last_images > 0 {
            let mut lp = r::LifecyclePolicy::new();
            lp.lifecycle_policy_text = Some(Value::from(keep_last_policy(props.keep_last_images)));
            repo.lifecycle_policy = Some(lp);
        }
        if props.empty_on_delete {
            repo.empty_on_delete = Some(Value::from(true));
        }
        let h = child.add("Resource", repo);
        let entry = child.stack().resource_mut(&h);
        entry.set_removal_policy(props.removal_policy);
        if matches!(props.encryption, RepositoryEncryption::Aes256) {
            crate::nag::suppress(
                entry,
                crate::nag::Tool::Checkov,
                "CKV_AWS_136",
                "AES-256 encryption chosen explicitly (RepositoryEncryption::Aes256)",
            );
        }
        let node = child.node_id();
        let path = child.path();
        Repository(std::sync::Arc::new(RepositoryInner {
            origin: Origin::Created { node, resource: h },
            path,
            arn: h.attr_arn(),
            name: h.r#ref(),
            key: match props.encryption {
                RepositoryEncryption::Kms(k) => Some(k),
                _ => None,
            },
        }))
    }

    /// A repository defined elsewhere, by name (in this account and region).
    pub fn from_name(name: Value<String>) -> Repository {
        let arn = fns::sub(
            "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/${Name}",
            [("Name", name.clone().into_expr())],
        );
        Repository(std::sync::Arc::new(RepositoryInner {
            origin: Origin::Imported,
            path: String::new(),
            arn,
            name,
            key: None,
        }))
    }

    pub fn arn(&self) -> Value<String> {
        self.0.arn.clone()
    }

    /// The repository name (`Ref`).
    pub fn name(&self) -> Value<String> {
        self.0.name.clone()
    }

    /// `<account>.dkr.ecr.<region>.<url suffix>/<name>`.
    pub fn repository_uri(&self) -> Value<String> {
        fns::sub(
            "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/${Name}",
            [("Name", self.0.name.clone().into_expr())],
        )
    }

    /// The image URI for a tag.
    pub fn image_uri(&self, tag: Value<String>) -> Value<String> {
        fns::sub(
            "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/${Name}:${Tag}",
            [("Name", self.0.name.clone().into_expr()), ("Tag", Expr::from(tag))],
        )
    }

    pub fn handle(&self) -> Option<Handle<cfn::ecr::Repository>> {
        self.0.origin.resource()
    }

    /// Pull images: the pull actions on this repository plus `ecr:GetAuthorizationToken` on `*`
    /// (it has no resource-level permissions), and decrypt on a customer managed key.
    pub fn grant_pull(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        let path = &self.0.path;
        let pull = Grant::add(stack, path, grantee, PolicyStatement::allow(PULL_ACTIONS, [self.arn()]));
        let token = PolicyStatement::allow(&["ecr:GetAuthorizationToken"], [Value::from("*")]);
        let grant = pull.and(Grant::add(stack, path, grantee, token));
        match &self.0.key {
            Some(k) => grant.and(k.grant_decrypt(stack, grantee)),
            None => grant,
        }
    }

    /// Pull and push images.
    pub fn grant_pull_push(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        let pull = self.grant_pull(stack, grantee);
        let push = PolicyStatement::allow(PUSH_ACTIONS, [self.arn()]);
        let grant = pull.and(Grant::add(stack, &self.0.path, grantee, push));
        match &self.0.key {
            Some(k) => grant.and(k.grant_encrypt_decrypt(stack, grantee)),
            None => grant,
        }
    }
}

impl Construct for Repository {
    fn node_id(&self) -> Option<NodeId> {
        self.0.origin.node()
    }
    fn path(&self) -> &str {
        &self.0.path
    }
}
