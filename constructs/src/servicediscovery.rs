//! L2 constructs for Cloud Map service discovery: a [`PrivateDnsNamespace`] in a VPC and its [`Service`]s
//! (DNS records with a TTL, health checked by the registering ECS service through a custom health check).
//!
//! An ECS service registers its tasks with `ServiceRegistries: [{RegistryArn: service.arn()}]` (A records need
//! the `awsvpc` network mode, which Fargate uses; SRV records also need the container name and port).

use std::sync::Arc;

use crate::cfn;
use crate::cfn::servicediscovery::service as s;
use crate::stack::{Handle, Scope};
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
pub struct PrivateDnsNamespace(Arc<NamespaceInner>);

#[derive(Debug)]
struct NamespaceInner {
    handle: Handle<cfn::servicediscovery::PrivateDnsNamespace>,
    path: String,
    name: Value<String>,
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

    pub fn path(&self) -> &str {
        &self.0.path
    }
}

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
pub struct Service(Arc<ServiceInner>);

#[derive(Debug)]
struct ServiceInner {
    handle: Handle<cfn::servicediscovery::Service>,
    path: String,
    name: String,
    namespace: PrivateDnsNamespace,
    record_type: DnsRecordType,
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

    pub fn path(&self) -> &str {
        &self.0.path
    }
}
