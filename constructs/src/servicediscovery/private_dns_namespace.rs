//! [`PrivateDnsNamespace`]: a Cloud Map private DNS namespace.

use std::sync::Arc;

use crate::cfn;
use crate::stack::{Construct, Handle, NodeId, Scope};
use crate::value::Value;

/// Properties of [`PrivateDnsNamespace`].
#[derive(Clone, Debug)]
pub struct PrivateDnsNamespaceProps {
    /// The DNS domain, e.g. `svc.internal`.
    pub name: Value<String>,
    pub vpc_id: Value<String>,
    pub description: Option<String>,
}

/// A private DNS namespace (a Route 53 private hosted zone managed by Cloud Map).
#[derive(Clone, Debug)]
pub struct PrivateDnsNamespace(pub(super) Arc<NamespaceInner>);

#[derive(Debug)]
pub(super) struct NamespaceInner {
    pub(super) handle: Handle<cfn::servicediscovery::PrivateDnsNamespace>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
    pub(super) name: Value<String>,
}

/// True for a DNS label: 1–63 letters, digits and hyphens, not starting or ending with a hyphen.
pub fn is_dns_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

impl PrivateDnsNamespace {
    pub fn new(scope: &mut Scope, id: &str, props: PrivateDnsNamespaceProps) -> PrivateDnsNamespace {
        let mut child = scope.child(id);
        if let Some(n) = props.name.as_literal() {
            let trimmed = n.strip_suffix('.').unwrap_or(n);
            if trimmed.len() > 253 || !trimmed.split('.').all(is_dns_label) {
                child.error(format!(
                    "namespace name {n:?} is not a DNS domain name (dot-separated labels of letters, digits and hyphens)"
                ));
            }
        }
        let mut ns = cfn::servicediscovery::PrivateDnsNamespace::new(props.name.clone());
        ns.vpc = Some(props.vpc_id);
        ns.description = props.description.map(Value::from);
        let h = child.add("Resource", ns);
        PrivateDnsNamespace(Arc::new(NamespaceInner {
            handle: h,
            node: Some(child.node_id()),
            path: child.path(),
            name: props.name,
        }))
    }

    /// The namespace id (`Fn::GetAtt Id`).
    pub fn id(&self) -> Value<String> {
        self.0.handle.attr_id()
    }

    pub fn arn(&self) -> Value<String> {
        self.0.handle.attr_arn()
    }

    pub fn hosted_zone_id(&self) -> Value<String> {
        self.0.handle.attr_hosted_zone_id()
    }

    /// The DNS domain.
    pub fn name(&self) -> Value<String> {
        self.0.name.clone()
    }

    pub fn handle(&self) -> Handle<cfn::servicediscovery::PrivateDnsNamespace> {
        self.0.handle
    }
}

impl Construct for PrivateDnsNamespace {
    fn node_id(&self) -> Option<NodeId> {
        self.0.node
    }
    fn path(&self) -> &str {
        &self.0.path
    }
}
