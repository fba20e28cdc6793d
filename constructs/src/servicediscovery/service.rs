//! [`Service`]: a Cloud Map service (DNS records for ECS tasks).

use std::sync::Arc;

use crate::cfn;
use crate::cfn::servicediscovery::service as s;
use crate::stack::{Construct, Handle, NodeId, Scope};
use crate::value::Value;

use super::*;

/// DNS record type of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DnsRecordType {
    /// IPv4 address of each task (awsvpc network mode).
    #[default]
    A,
    /// Address and port (the ECS service registry then needs the container name and port).
    Srv,
}

/// Properties of [`Service`].
#[derive(Clone, Debug)]
pub struct ServiceProps {
    /// The DNS label, e.g. `orders` for `orders.<namespace>`.
    pub name: String,
    pub namespace: PrivateDnsNamespace,
    pub record_type: DnsRecordType,
    /// Record TTL in seconds (default 60).
    pub dns_ttl_seconds: u32,
    pub description: Option<String>,
}

impl ServiceProps {
    pub fn new(name: &str, namespace: &PrivateDnsNamespace) -> Self {
        ServiceProps {
            name: name.to_owned(),
            namespace: namespace.clone(),
            record_type: DnsRecordType::A,
            dns_ttl_seconds: 60,
            description: None,
        }
    }
}

/// A Cloud Map service: DNS records `<name>.<namespace>` for registered instances (multivalue answers),
/// health from the registrant (custom health check: ECS reports task health).
#[derive(Clone, Debug)]
pub struct Service(pub(super) Arc<ServiceInner>);

#[derive(Debug)]
pub(super) struct ServiceInner {
    pub(super) handle: Handle<cfn::servicediscovery::Service>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
    pub(super) name: String,
    pub(super) namespace: PrivateDnsNamespace,
    pub(super) record_type: DnsRecordType,
}

impl Service {
    pub fn new(scope: &mut Scope, id: &str, props: ServiceProps) -> Service {
        let mut child = scope.child(id);
        if !is_dns_label(&props.name) {
            child.error(format!(
                "service name {:?} must be a DNS label (1–63 letters, digits and hyphens, not starting or ending with a hyphen)",
                props.name
            ));
        }
        let rtype = match props.record_type {
            DnsRecordType::A => "A",
            DnsRecordType::Srv => "SRV",
        };
        let mut dns = s::DnsConfig::new(vec![s::DnsRecord::new(props.dns_ttl_seconds, rtype)]);
        dns.routing_policy = Some(Value::from("MULTIVALUE"));
        let mut svc = cfn::servicediscovery::Service::new();
        svc.name = Some(Value::from(props.name.as_str()));
        svc.description = props.description.map(Value::from);
        svc.namespace_id = Some(props.namespace.id());
        svc.dns_config = Some(dns);
        svc.health_check_custom_config = Some(s::HealthCheckCustomConfig::new());
        let h = child.add("Resource", svc);
        Service(Arc::new(ServiceInner {
            handle: h,
            node: Some(child.node_id()),
            path: child.path(),
            name: props.name,
            namespace: props.namespace,
            record_type: props.record_type,
        }))
    }

    /// The service ARN: the `RegistryArn` of an ECS service's `ServiceRegistries`.
    pub fn arn(&self) -> Value<String> {
        self.0.handle.attr_arn()
    }

    pub fn id(&self) -> Value<String> {
        self.0.handle.attr_id()
    }

    /// The DNS name clients resolve: `<name>.<namespace>`.
    pub fn dns_name(&self) -> Value<String> {
        match self.0.namespace.name().as_literal() {
            Some(ns) => Value::from(format!("{}.{ns}", self.0.name)),
            None => crate::fns::join(".", [Value::from(self.0.name.as_str()), self.0.namespace.name()]),
        }
    }

    pub fn record_type(&self) -> DnsRecordType {
        self.0.record_type
    }

    pub fn handle(&self) -> Handle<cfn::servicediscovery::Service> {
        self.0.handle
    }
}

impl Construct for Service {
    fn node_id(&self) -> Option<NodeId> {
        self.0.node
    }
    fn path(&self) -> &str {
        &self.0.path
    }
}
