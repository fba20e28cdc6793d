//! [`Key`]: a customer managed KMS key with rotation and a least-privilege key policy.

use serde_json::json;

use crate::cfn;
use crate::iam::{Grant, Grantee, PolicyDocument, PolicyResource, PolicyStatement, Principal};
use crate::stack::{Construct, Handle, NodeId, Origin, RemovalPolicy, Scope, Stack};
use crate::value::Value;

use super::*;

/// Properties of [`Key`].
#[derive(Clone, Debug)]
pub struct KeyProps {
    pub description: Option<String>,
    /// An alias, with or without the `alias/` prefix.
    pub alias: Option<String>,
    /// An alias known only at deployment (e.g. `alias/codepipeline-{{ service.name }}` from an AWS Proton
    /// placeholder); used as is, must include the `alias/` prefix. Takes precedence over `alias`.
    pub alias_value: Option<Value<String>>,
    /// AWS service principals allowed to use the key for encryption and decryption, e.g.
    /// `logs.${AWS::Region}.amazonaws.com` (a `${...}` makes it an `Fn::Sub`).
    pub allow_services: Vec<String>,
    /// Days before a deleted key is destroyed (7–30).
    pub pending_window_days: Option<u8>,
    /// Default: retain (a deleted key makes its data unreadable).
    pub removal_policy: RemovalPolicy,
}

impl Default for KeyProps {
    fn default() -> Self {
        KeyProps {
            description: None,
            alias: None,
            alias_value: None,
            allow_services: Vec::new(),
            pending_window_days: None,
            removal_policy: RemovalPolicy::Retain,
        }
    }
}

/// A KMS key, created here or imported by ARN.
#[derive(Clone, Debug)]
pub struct Key(pub(super) std::sync::Arc<KeyInner>);

#[derive(Debug)]
pub(super) struct KeyInner {
    pub(super) origin: Origin<cfn::kms::Key>,
    pub(super) path: String,
    pub(super) arn: Value<String>,
    pub(super) key_id: Value<String>,
}

pub(super) fn root_admin_statement() -> PolicyStatement {
    PolicyStatement::allow(&["kms:*"], [Value::from("*")])
        .with_principal(Principal::this_account())
        .with_sid("KeyAdministrationByAccount")
}

pub(super) fn create_grant_guard_statement() -> PolicyStatement {
    PolicyStatement::deny(&["kms:CreateGrant"], [Value::from("*")])
        .with_principal(Principal::Arn(Value::from("*")))
        .with_condition("BoolIfExists", "kms:GrantIsForAWSResource", json!("false"))
        .with_condition("BoolIfExists", "aws:PrincipalIsAWSService", json!("false"))
        .with_sid("GrantsOnlyForAwsServices")
}

/// The key-policy statement that lets an AWS service use the key (no conditions; add them with
/// [`PolicyStatement::with_condition`]).
pub fn service_use_statement(service: &str) -> PolicyStatement {
    PolicyStatement::allow(ENCRYPT_DECRYPT_ACTIONS, [Value::from("*")])
        .with_principal(Principal::Service(service.to_owned()))
}

impl Key {
    pub fn new(scope: &mut Scope, id: &str, props: KeyProps) -> Key {
        let mut child = scope.child(id);
        let mut pending = props.pending_window_days;
        if let Some(d) = pending {
            if !(7..=30).contains(&d) {
                child.error(format!("pending_window_days {d} is outside 7–30"));
                pending = None;
            }
        }
        let mut doc = PolicyDocument::new(vec![root_admin_statement(), create_grant_guard_statement()]);
        for s in &props.allow_services {
            doc.statements.push(service_use_statement(s).with_condition(
                "StringEquals",
                "aws:SourceAccount",
                Value::account_id().into_expr(),
            ));
        }
        let mut key = cfn::kms::Key::new();
        key.description = props.description.map(Value::from);
        key.enable_key_rotation = Some(Value::from(true));
        key.pending_window_in_days = pending.map(Value::from);
        let body = PolicyResource {
            resource: key,
            document: doc,
            set_document: |k, d| k.key_policy = Some(d),
        };
        let h = child.add_body::<cfn::kms::Key>("Resource", Box::new(body));
        let entry = child.stack().resource_mut(&h);
        entry.set_removal_policy(props.removal_policy);
        if let Some(alias) = props.alias_value {
            if let Some(a) = alias.as_literal() {
                if !a.starts_with("alias/") || a.starts_with("alias/aws/") {
                    child.error(format!(
                        "alias {a:?} must start with alias/ and not use the reserved prefix alias/aws/"
                    ));
                }
            }
            child.add("Alias", cfn::kms::Alias::new(alias, h.r#ref()));
        } else if let Some(alias) = props.alias {
            let name = if alias.starts_with("alias/") {
                alias
            } else {
                format!("alias/{alias}")
            };
            if name.starts_with("alias/aws/") {
                child.error(format!("alias {name:?} uses the reserved prefix alias/aws/"));
            }
            child.add("Alias", cfn::kms::Alias::new(name, h.r#ref()));
        }
        let node = child.node_id();
        let path = child.path();
        Key(std::sync::Arc::new(KeyInner {
            origin: Origin::Created { node, resource: h },
            path,
            arn: h.attr_arn(),
            key_id: h.r#ref(),
        }))
    }

    /// A key defined elsewhere. Its key policy cannot be changed here.
    pub fn from_arn(arn: Value<String>) -> Key {
        let key_id = match arn.as_literal() {
            Some(s) => Value::from(s.rsplit('/').next().unwrap_or(s)),
            None => crate::value::fns::select(1, crate::value::fns::split("/", arn.clone())),
        };
        Key(std::sync::Arc::new(KeyInner {
            origin: Origin::Imported,
            path: String::new(),
            arn,
            key_id,
        }))
    }

    pub fn arn(&self) -> Value<String> {
        self.0.arn.clone()
    }

    pub fn key_id(&self) -> Value<String> {
        self.0.key_id.clone()
    }

    pub fn handle(&self) -> Option<Handle<cfn::kms::Key>> {
        self.0.origin.resource()
    }

    /// Add a statement to the key policy (keys created in this template only; returns false otherwise).
    pub fn add_to_resource_policy(&self, stack: &mut Stack, stmt: PolicyStatement) -> bool {
        let Some(h) = self.0.origin.resource() else {
            return false;
        };
        if !self.0.origin.is_in(stack) {
            return false;
        }
        if let Some(key) = stack.body_mut::<PolicyResource<cfn::kms::Key>, _>(&h) {
            key.document.add_statement(stmt);
        }
        true
    }

    /// Let an AWS service use the key (adds a statement to the key policy).
    pub fn allow_service(&self, stack: &mut Stack, service: &str) -> bool {
        self.add_to_resource_policy(stack, service_use_statement(service))
    }

    /// Grant encrypt and decrypt on this key to `grantee`.
    pub fn grant_encrypt_decrypt(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        self.grant(stack, grantee, ENCRYPT_DECRYPT_ACTIONS)
    }

    /// Grant decrypt on this key to `grantee`.
    pub fn grant_decrypt(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        self.grant(stack, grantee, DECRYPT_ACTIONS)
    }

    /// Grant arbitrary actions on this key to `grantee`.
    pub fn grant(&self, stack: &mut Stack, grantee: &mut dyn Grantee, actions: &[&str]) -> Grant {
        let stmt = PolicyStatement::allow(actions, [self.arn()]);
        Grant::add(stack, &self.0.path, grantee, stmt)
    }

    /// Grant encrypt (and data-key generation) on this key to `grantee`.
    pub fn grant_encrypt(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        self.grant(
            stack,
            grantee,
            &[
                "kms:Encrypt",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
                "kms:GenerateDataKey",
                "kms:DescribeKey",
            ],
        )
    }
}

impl Construct for Key {
    fn node_id(&self) -> Option<NodeId> {
        self.0.origin.node()
    }
    fn path(&self) -> &str {
        &self.0.path
    }
}
