//! [`Table`]: a DynamoDB table with encryption, point-in-time recovery and grants.

use std::sync::Arc;

use crate::cfn;
use crate::cfn::dynamodb::table as t;
use crate::iam::{Grant, Grantee, PolicyStatement};
use crate::kms;
use crate::nag::{self, Tool};
use crate::stack::{Construct, Handle, NodeId, RemovalPolicy, Scope, Stack};
use crate::value::{fns, Value};

use super::*;

/// Key attribute types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttributeType {
    String,
    Number,
    Binary,
}

impl AttributeType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeType::String => "S",
            AttributeType::Number => "N",
            AttributeType::Binary => "B",
        }
    }
}

/// Billing mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Billing {
    #[default]
    PayPerRequest,
    Provisioned {
        read: u32,
        write: u32,
    },
}

/// Encryption at rest.
#[derive(Clone, Debug, Default)]
pub enum TableEncryption {
    /// KMS with the AWS managed key `aws/dynamodb`.
    #[default]
    AwsManaged,
    /// KMS with a customer managed key.
    CustomerManaged(kms::Key),
}

/// Properties of [`Table`].
#[derive(Clone, Debug)]
pub struct TableProps {
    pub table_name: Option<Value<String>>,
    pub partition_key: (String, AttributeType),
    pub sort_key: Option<(String, AttributeType)>,
    pub billing: Billing,
    /// Default true (CT.DYNAMODB.PR.1, CKV_AWS_28).
    pub point_in_time_recovery: bool,
    pub encryption: TableEncryption,
    /// Default retain.
    pub removal_policy: RemovalPolicy,
    /// Default true.
    pub deletion_protection: bool,
    /// Attribute holding the expiry time (epoch seconds); a literal name is checked, a late-bound one (an
    /// AWS Proton input) is written as it is.
    pub ttl_attribute: Option<Value<String>>,
}

impl Default for TableProps {
    fn default() -> Self {
        TableProps {
            table_name: None,
            partition_key: ("pk".to_owned(), AttributeType::String),
            sort_key: None,
            billing: Billing::PayPerRequest,
            point_in_time_recovery: true,
            encryption: TableEncryption::AwsManaged,
            removal_policy: RemovalPolicy::Retain,
            deletion_protection: true,
            ttl_attribute: None,
        }
    }
}

/// A DynamoDB table.
#[derive(Clone, Debug)]
pub struct Table(pub(super) Arc<TableInner>);

#[derive(Debug)]
pub(super) struct TableInner {
    pub(super) handle: Handle<cfn::dynamodb::Table>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
    pub(super) key: Option<kms::Key>,
}

pub(super) fn check_attribute(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > 255 {
        Some(format!("attribute name {name:?} must be 1–255 characters"))
    } else {
        None
    }
}

/// Errors for what CloudFormation would reject: key and TTL attribute names, a sort key named like the
/// partition key, a literal table name, provisioned capacity under 1.
fn check_props(scope: &mut Scope, props: &TableProps) {
    let (pk, _) = &props.partition_key;
    let mut names = vec![pk.as_str()];
    if let Some((sk, _)) = &props.sort_key {
        if sk == pk {
            scope.error(format!("the sort key {sk:?} has the same name as the partition key"));
        }
        names.push(sk);
    }
    if let Some(ttl) = props.ttl_attribute.as_ref().and_then(Value::as_literal) {
        names.push(ttl);
    }
    for n in names {
        if let Some(msg) = check_attribute(n) {
            scope.error(msg);
        }
    }
    if let Some(n) = props.table_name.as_ref().and_then(Value::as_literal) {
        let ok = (3..=255).contains(&n.len()) && n.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !ok {
            scope.error(format!(
                "table name {n:?} must be 3–255 characters of letters, digits, _ . and -"
            ));
        }
    }
    if let Billing::Provisioned { read, write } = props.billing {
        if read == 0 || write == 0 {
            scope.error("provisioned read and write capacity must be at least 1");
        }
    }
}

/// The table resource: keys, billing, point-in-time recovery, KMS encryption, deletion protection, TTL.
fn table_resource(props: &TableProps) -> cfn::dynamodb::Table {
    let (pk, pk_type) = &props.partition_key;
    let mut keys = vec![t::KeySchema::new(pk.as_str(), "HASH")];
    let mut attrs = vec![t::AttributeDefinition::new(pk.as_str(), pk_type.as_str())];
    if let Some((sk, sk_type)) = &props.sort_key {
        keys.push(t::KeySchema::new(sk.as_str(), "RANGE"));
        attrs.push(t::AttributeDefinition::new(sk.as_str(), sk_type.as_str()));
    }
    let mut table = cfn::dynamodb::Table::new(keys);
    table.table_name = props.table_name.clone();
    table.attribute_definitions = Some(attrs);
    match props.billing {
        Billing::PayPerRequest => table.billing_mode = Some(Value::from("PAY_PER_REQUEST")),
        Billing::Provisioned { read, write } => {
            table.billing_mode = Some(Value::from("PROVISIONED"));
            table.provisioned_throughput = Some(t::ProvisionedThroughput::new(read, write));
        }
    }
    let mut pitr = t::PointInTimeRecoverySpecification::new();
    pitr.point_in_time_recovery_enabled = Some(Value::from(props.point_in_time_recovery));
    table.point_in_time_recovery_specification = Some(pitr);
    let mut sse = t::SseSpecification::new(true);
    sse.sse_type = Some(Value::from("KMS"));
    if let TableEncryption::CustomerManaged(k) = &props.encryption {
        sse.kms_master_key_id = Some(k.arn());
    }
    table.sse_specification = Some(sse);
    table.deletion_protection_enabled = Some(Value::from(props.deletion_protection));
    if let Some(ttl) = &props.ttl_attribute {
        let mut spec = t::TimeToLiveSpecification::new(true);
        spec.attribute_name = Some(ttl.clone());
        table.time_to_live_specification = Some(spec);
    }
    table
}

impl Table {
    pub fn new(scope: &mut Scope, id: &str, props: TableProps) -> Table {
        let mut child = scope.child(id);
        check_props(&mut child, &props);
        let h = child.add("Resource", table_resource(&props));
        let entry = child.stack().resource_mut(&h);
        entry.set_removal_policy(props.removal_policy);
        if matches!(props.encryption, TableEncryption::AwsManaged) {
            nag::suppress(entry, Tool::Checkov, "CKV_AWS_119", AWS_MANAGED_KEY_REASON);
        }
        if !props.point_in_time_recovery {
            let reason = "point-in-time recovery turned off explicitly (point_in_time_recovery: false)";
            nag::suppress(entry, Tool::Checkov, "CKV_AWS_28", reason);
            nag::suppress(entry, Tool::Guard, "CT.DYNAMODB.PR.1", reason);
        }
        let key = match props.encryption {
            TableEncryption::CustomerManaged(k) => Some(k),
            TableEncryption::AwsManaged => None,
        };
        Table(Arc::new(TableInner {
            handle: h,
            node: Some(child.node_id()),
            path: child.path(),
            key,
        }))
    }

    /// `Ref`: the table name.
    pub fn name(&self) -> Value<String> {
        self.0.handle.r#ref()
    }

    pub fn arn(&self) -> Value<String> {
        self.0.handle.attr_arn()
    }

    pub fn handle(&self) -> Handle<cfn::dynamodb::Table> {
        self.0.handle
    }

    /// A global secondary index `name` projecting every attribute, keyed by `partition_key` (and
    /// `sort_key`); its key attributes are declared on the table (once). On a provisioned table the index gets
    /// the table's capacity. Grants already cover the table's indexes.
    pub fn add_global_secondary_index(
        &self,
        stack: &mut Stack,
        name: &str,
        partition_key: (&str, AttributeType),
        sort_key: Option<(&str, AttributeType)>,
    ) {
        let name_ok =
            (3..=255).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !name_ok {
            stack.error(
                &self.0.path,
                format!("index name {name:?} must be 3–255 characters of letters, digits, _ . and -"),
            );
        }
        let mut keys = vec![partition_key];
        keys.extend(sort_key);
        for (n, _) in &keys {
            if let Some(msg) = check_attribute(n) {
                stack.error(&self.0.path, format!("index {name}: {msg}"));
            }
        }
        let Some(table) = stack.l1_mut(&self.0.handle) else {
            return;
        };
        let attrs = table.attribute_definitions.get_or_insert_with(Vec::new);
        for (n, ty) in &keys {
            if !attrs.iter().any(|a| a.attribute_name.as_literal() == Some(*n)) {
                attrs.push(t::AttributeDefinition::new(*n, ty.as_str()));
            }
        }
        let schema = keys
            .iter()
            .zip(["HASH", "RANGE"])
            .map(|((n, _), kind)| t::KeySchema::new(*n, kind))
            .collect();
        let mut projection = t::Projection::new();
        projection.projection_type = Some(Value::from("ALL"));
        let mut index = t::GlobalSecondaryIndex::new(name, schema, projection);
        index.provisioned_throughput = table.provisioned_throughput.clone();
        table.global_secondary_indexes.get_or_insert_with(Vec::new).push(index);
    }

    pub(super) fn resources(&self) -> [Value<String>; 2] {
        [self.arn(), fns::join("", [self.arn(), Value::from("/index/*")])]
    }

    /// Read items ([`READ_DATA_ACTIONS`] on the table and its indexes; decrypt on a customer managed key).
    pub fn grant_read_data(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        let stmt = PolicyStatement::allow(READ_DATA_ACTIONS, self.resources());
        let grant = Grant::add(stack, &self.0.path, grantee, stmt);
        match &self.0.key {
            Some(k) => grant.and(k.grant_decrypt(stack, grantee)),
            None => grant,
        }
    }

    /// Write items ([`WRITE_DATA_ACTIONS`] on the table and its indexes; encrypt/decrypt on a customer
    /// managed key).
    pub fn grant_write_data(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        let stmt = PolicyStatement::allow(WRITE_DATA_ACTIONS, self.resources());
        let grant = Grant::add(stack, &self.0.path, grantee, stmt);
        match &self.0.key {
            Some(k) => grant.and(k.grant_encrypt_decrypt(stack, grantee)),
            None => grant,
        }
    }

    /// [`Table::grant_read_data`] and [`Table::grant_write_data`].
    pub fn grant_read_write_data(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        let read = self.grant_read_data(stack, grantee);
        read.and(self.grant_write_data(stack, grantee))
    }
}

impl Construct for Table {
    fn node_id(&self) -> Option<NodeId> {
        self.0.node
    }
    fn path(&self) -> &str {
        &self.0.path
    }
}
