//! [`ApplicationTargetGroup`], health checks and protocols.

use std::sync::{Arc, Mutex};

use crate::cfn::elasticloadbalancingv2 as l1;
use crate::stack::{Construct, Handle, NodeId, Scope, Stack, Untyped};
use crate::value::{fns, Value};

use super::*;

/// Protocol of an application listener or target group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ApplicationProtocol {
    #[default]
    Http,
    Https,
}

impl ApplicationProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationProtocol::Http => "HTTP",
            ApplicationProtocol::Https => "HTTPS",
        }
    }
}

/// What a target group routes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TargetType {
    /// IP addresses: what Fargate tasks (awsvpc networking) register as.
    #[default]
    Ip,
    Instance,
    Lambda,
    Alb,
}

impl TargetType {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetType::Ip => "ip",
            TargetType::Instance => "instance",
            TargetType::Lambda => "lambda",
            TargetType::Alb => "alb",
        }
    }
}

/// Health check of a target group. `None` fields keep the service defaults.
#[derive(Clone, Debug, Default)]
pub struct HealthCheck {
    /// Path of the HTTP(S) check (default `/`; ignored for TCP).
    pub path: Option<String>,
    /// Seconds between checks (5–300).
    pub interval_secs: Option<u32>,
    /// Seconds without a response before the check fails (2–120, below the interval).
    pub timeout_secs: Option<u32>,
    /// Consecutive successes before a target is healthy (2–10).
    pub healthy_threshold: Option<u32>,
    /// Consecutive failures before a target is unhealthy (2–10).
    pub unhealthy_threshold: Option<u32>,
    /// HTTP codes counted as healthy, e.g. `200` or `200-299`.
    pub healthy_http_codes: Option<String>,
    /// The port to check (default: the traffic port).
    pub port: Option<Value<String>>,
}

impl HealthCheck {
    /// Checks every `interval_secs` with the given path, like AWS's Proton sample (`/`, 6 s, 5 s timeout, 2/2).
    pub fn http(path: &str) -> Self {
        HealthCheck {
            path: Some(path.to_owned()),
            ..HealthCheck::default()
        }
    }

    pub(super) fn validate(&self, out: &mut Vec<String>) {
        if let (Some(t), Some(i)) = (self.timeout_secs, self.interval_secs) {
            if t >= i {
                out.push(format!(
                    "health check timeout {t} s must be shorter than the interval {i} s"
                ));
            }
        }
        if let Some(p) = &self.path {
            if !p.starts_with('/') {
                out.push(format!("health check path {p:?} must begin with '/'"));
            }
        }
    }
}

/// Properties of [`ApplicationTargetGroup`].
#[derive(Clone, Debug)]
pub struct TargetGroupProps {
    pub vpc_id: Value<String>,
    /// Port the targets listen on (may be a late-bound value).
    pub port: Value<i64>,
    pub protocol: ApplicationProtocol,
    pub target_type: TargetType,
    pub health_check: HealthCheck,
    /// Physical name (≤ 32 characters; may be a late-bound expression, then unchecked). Default: generated.
    pub name: Option<Value<String>>,
    /// Seconds to drain a deregistering target (0–3600; service default 300).
    pub deregistration_delay_secs: Option<u32>,
}

impl TargetGroupProps {
    /// An HTTP target group of IP targets (Fargate) on `port`.
    pub fn new(vpc_id: impl Into<Value<String>>, port: impl Into<Value<i64>>) -> Self {
        TargetGroupProps {
            vpc_id: vpc_id.into(),
            port: port.into(),
            protocol: ApplicationProtocol::Http,
            target_type: TargetType::Ip,
            health_check: HealthCheck::default(),
            name: None,
            deregistration_delay_secs: None,
        }
    }
}

/// What a target group learns when listeners forward to it and services register in it; shared by clones.
#[derive(Debug, Default)]
pub(super) struct TargetGroupLinks {
    /// `LoadBalancerFullName` of every load balancer forwarding to the group.
    pub(super) load_balancer_full_names: Vec<Value<String>>,
    /// Listeners and rules forwarding to the group.
    pub(super) forwarders: Vec<Handle<Untyped>>,
    /// Resources that must be created after the group is attached to a load balancer (ECS services).
    pub(super) dependents: Vec<Handle<Untyped>>,
}

/// A target group of an application load balancer.
#[derive(Clone, Debug)]
pub struct ApplicationTargetGroup {
    pub(super) handle: Handle<l1::TargetGroup>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
    pub(super) port: Value<i64>,
    pub(super) protocol: ApplicationProtocol,
    pub(super) target_type: TargetType,
    pub(super) links: Arc<Mutex<TargetGroupLinks>>,
}

impl ApplicationTargetGroup {
    pub fn new(scope: &mut Scope, id: &str, props: TargetGroupProps) -> Self {
        let mut child = scope.child(id);
        let mut problems = Vec::new();
        let port_problem = check_port("target group", &props.port);
        let port_ok = port_problem.is_none();
        problems.extend(port_problem);
        if let Some(name) = props.name.as_ref().and_then(Value::as_literal) {
            problems.extend(check_name("target group", name, false));
        }
        props.health_check.validate(&mut problems);
        if let Some(d) = props.deregistration_delay_secs {
            if d > 3600 {
                problems.push(format!("deregistration delay {d} s is above the maximum 3600 s"));
            }
        }
        if props.target_type == TargetType::Lambda {
            problems.push("Lambda targets are not supported by ApplicationTargetGroup".to_owned());
        }
        for p in problems {
            child.error(p);
        }
        let hc = &props.health_check;
        let mut tg = l1::TargetGroup::new();
        tg.vpc_id = Some(props.vpc_id);
        // An out-of-range port is reported above, once (not again by the schema check).
        tg.port = port_ok.then(|| props.port.clone());
        tg.protocol = Some(props.protocol.as_str().into());
        tg.target_type = Some(props.target_type.as_str().into());
        tg.name = props.name;
        tg.health_check_enabled = Some(true.into());
        tg.health_check_protocol = Some(props.protocol.as_str().into());
        tg.health_check_path = Some(hc.path.clone().unwrap_or_else(|| "/".to_owned()).into());
        tg.health_check_port = hc.port.clone();
        tg.health_check_interval_seconds = hc.interval_secs.map(Value::from);
        tg.health_check_timeout_seconds = hc.timeout_secs.map(Value::from);
        tg.healthy_threshold_count = hc.healthy_threshold.map(Value::from);
        tg.unhealthy_threshold_count = hc.unhealthy_threshold.map(Value::from);
        tg.matcher = hc.healthy_http_codes.as_ref().map(|c| l1::target_group::Matcher {
            http_code: Some(c.as_str().into()),
            grpc_code: None,
        });
        if let Some(d) = props.deregistration_delay_secs {
            tg.target_group_attributes = Some(vec![l1::target_group::TargetGroupAttribute {
                key: Some("deregistration_delay.timeout_seconds".into()),
                value: Some(d.to_string().into()),
            }]);
        }
        let handle = child.add("Resource", tg);
        ApplicationTargetGroup {
            handle,
            node: Some(child.node_id()),
            path: child.path(),
            port: props.port,
            protocol: props.protocol,
            target_type: props.target_type,
            links: Arc::default(),
        }
    }

    /// The target group ARN (`Ref`).
    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }

    /// `TargetGroupFullName` (`targetgroup/<name>/<id>`), used in CloudWatch dimensions.
    pub fn full_name(&self) -> Value<String> {
        self.handle.attr_target_group_full_name()
    }

    pub fn handle(&self) -> Handle<l1::TargetGroup> {
        self.handle
    }

    pub fn port(&self) -> &Value<i64> {
        &self.port
    }

    pub fn protocol(&self) -> ApplicationProtocol {
        self.protocol
    }

    pub fn target_type(&self) -> TargetType {
        self.target_type
    }

    /// The `ResourceLabel` of the `ALBRequestCountPerTarget` metric (`<lb full name>/<tg full name>`), once a
    /// listener of a load balancer forwards to this group.
    pub fn request_count_resource_label(&self) -> Option<Value<String>> {
        let links = self.links.lock().ok()?;
        let lb = links.load_balancer_full_names.first()?.clone();
        Some(fns::join("/", [lb, self.full_name()]))
    }

    /// Listeners and rules that forward to this group (creation order).
    pub fn forwarders(&self) -> Vec<Handle<Untyped>> {
        self.links.lock().map(|l| l.forwarders.clone()).unwrap_or_default()
    }

    /// Make `dependent` (e.g. an ECS service registering in this group) depend on every listener and rule
    /// forwarding to the group, now and when added later: ECS rejects a target group without a load balancer.
    pub fn add_dependent<R>(&self, stack: &mut Stack, dependent: &Handle<R>) {
        let Ok(mut links) = self.links.lock() else { return };
        for f in &links.forwarders {
            stack.add_dependency(dependent, f);
        }
        links.dependents.push(dependent.untyped());
    }

    pub(super) fn register_forwarder<R>(&self, stack: &mut Stack, forwarder: &Handle<R>, lb_full_name: Value<String>) {
        let Ok(mut links) = self.links.lock() else { return };
        for d in &links.dependents {
            stack.add_dependency(d, forwarder);
        }
        links.forwarders.push(forwarder.untyped());
        if !links.load_balancer_full_names.contains(&lb_full_name) {
            links.load_balancer_full_names.push(lb_full_name);
        }
    }
}

impl Construct for ApplicationTargetGroup {
    fn node_id(&self) -> Option<NodeId> {
        self.node
    }
    fn path(&self) -> &str {
        &self.path
    }
}
