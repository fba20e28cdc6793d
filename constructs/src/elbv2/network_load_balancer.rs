//! [`NetworkLoadBalancer`], [`NetworkListener`] and [`NetworkTargetGroup`].

use std::sync::{Arc, Mutex};

use crate::cfn::elasticloadbalancingv2 as l1;
use crate::nag::Tool;
use crate::stack::{Construct, Handle, NodeId, Scope, Stack};
use crate::value::Value;

use super::*;

/// Properties of [`NetworkLoadBalancer`].
#[derive(Clone, Debug)]
pub struct NlbProps {
    pub subnets: Vec<Value<String>>,
    pub internet_facing: bool,
    pub name: Option<String>,
    /// Deletion protection (default true; off records a suppression with the reason).
    pub deletion_protection: bool,
    /// Cross-zone load balancing (default true, CT.ELASTICLOADBALANCING.PR.14).
    pub cross_zone: bool,
    /// Access logs to S3 (TLS listeners only log); without, the finding is suppressed with a reason.
    pub access_logs: Option<AccessLogs>,
}

impl NlbProps {
    pub fn new(subnets: Vec<Value<String>>, internet_facing: bool) -> Self {
        NlbProps {
            subnets,
            internet_facing,
            name: None,
            deletion_protection: true,
            cross_zone: true,
            access_logs: None,
        }
    }
}

/// A network load balancer.
#[derive(Clone, Debug)]
pub struct NetworkLoadBalancer {
    pub(super) handle: Handle<l1::LoadBalancer>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
}

impl NetworkLoadBalancer {
    pub fn new(scope: &mut Scope, id: &str, props: NlbProps) -> Self {
        let mut child = scope.child(id);
        let mut problems = Vec::new();
        if let Some(n) = &props.name {
            problems.extend(check_name("load balancer", n, true));
        }
        if props.subnets.is_empty() {
            problems.push("a network load balancer needs at least one subnet".to_owned());
        }
        for p in problems {
            child.error(p);
        }
        let mut attrs = vec![
            attribute("deletion_protection.enabled", props.deletion_protection.to_string()),
            attribute("load_balancing.cross_zone.enabled", props.cross_zone.to_string()),
        ];
        access_log_attributes(&mut attrs, &props.access_logs);
        let mut lb = base_load_balancer("network", props.internet_facing);
        lb.subnets = Some(Value::from(props.subnets));
        lb.name = props.name.as_deref().map(Value::from);
        lb.load_balancer_attributes = Some(attrs);
        let handle = child.add("Resource", lb);
        let node = child.node_id();
        let path = child.path();
        let stack = child.stack();
        lb_common_findings(
            stack,
            &handle,
            "NlbProps",
            &props.access_logs,
            props.deletion_protection,
        );
        if !props.cross_zone {
            suppress(
                stack,
                &handle,
                &[(Tool::Guard, "CT.ELASTICLOADBALANCING.PR.14")],
                "cross-zone load balancing turned off on purpose (NlbProps.cross_zone = false)",
            );
        }
        NetworkLoadBalancer {
            handle,
            path,
            node: Some(node),
        }
    }

    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }

    pub fn dns_name(&self) -> Value<String> {
        self.handle.attr_dns_name()
    }

    pub fn handle(&self) -> Handle<l1::LoadBalancer> {
        self.handle
    }

    /// Add a TCP listener forwarding to `target_group` (construct id `id` below the load balancer).
    pub fn add_listener(
        &self,
        stack: &mut Stack,
        id: &str,
        port: u16,
        target_group: &NetworkTargetGroup,
    ) -> NetworkListener {
        let mut action = l1::listener::Action::new("forward");
        action.target_group_arn = Some(target_group.arn());
        let mut listener = l1::Listener::new(vec![action], self.arn());
        listener.port = (port != 0).then(|| i64::from(port).into());
        listener.protocol = Some("TCP".into());
        let mut scope = stack.scope(self.node);
        let node = scope.child_node_id(id);
        let handle = scope.add(id, listener);
        let path = child_path(&scope.path(), id);
        if port == 0 {
            stack.error(&path, "listener port 0 is not in the range 1-65535");
        }
        if let Ok(mut links) = target_group.links.lock() {
            for d in &links.dependents {
                stack.add_dependency(d, &handle);
            }
            links.forwarders.push(handle.untyped());
        }
        NetworkListener {
            handle,
            path,
            node: Some(node),
            port,
        }
    }
}

/// A TCP listener of a network load balancer.
#[derive(Clone, Debug)]
pub struct NetworkListener {
    pub(super) handle: Handle<l1::Listener>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
    pub(super) port: u16,
}

impl NetworkListener {
    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }
    pub fn handle(&self) -> Handle<l1::Listener> {
        self.handle
    }
    pub fn port(&self) -> u16 {
        self.port
    }
}

/// Properties of [`NetworkTargetGroup`].
#[derive(Clone, Debug)]
pub struct NetworkTargetGroupProps {
    pub vpc_id: Value<String>,
    pub port: Value<i64>,
    pub target_type: TargetType,
    /// Seconds between TCP health checks (5–300).
    pub health_check_interval_secs: Option<u32>,
    pub name: Option<Value<String>>,
}

impl NetworkTargetGroupProps {
    pub fn new(vpc_id: impl Into<Value<String>>, port: impl Into<Value<i64>>) -> Self {
        NetworkTargetGroupProps {
            vpc_id: vpc_id.into(),
            port: port.into(),
            target_type: TargetType::Ip,
            health_check_interval_secs: None,
            name: None,
        }
    }
}

/// A TCP target group of a network load balancer (TCP health check).
#[derive(Clone, Debug)]
pub struct NetworkTargetGroup {
    pub(super) handle: Handle<l1::TargetGroup>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
    pub(super) port: Value<i64>,
    pub(super) links: Arc<Mutex<TargetGroupLinks>>,
}

impl NetworkTargetGroup {
    pub fn new(scope: &mut Scope, id: &str, props: NetworkTargetGroupProps) -> Self {
        let mut child = scope.child(id);
        let mut problems = Vec::new();
        let port_problem = check_port("target group", &props.port);
        let port_ok = port_problem.is_none();
        problems.extend(port_problem);
        if let Some(name) = props.name.as_ref().and_then(Value::as_literal) {
            problems.extend(check_name("target group", name, false));
        }
        if matches!(props.target_type, TargetType::Lambda) {
            problems.push("Lambda targets are not supported by a network target group".to_owned());
        }
        for p in problems {
            child.error(p);
        }
        let mut tg = l1::TargetGroup::new();
        tg.vpc_id = Some(props.vpc_id);
        tg.port = port_ok.then(|| props.port.clone());
        tg.protocol = Some("TCP".into());
        tg.target_type = Some(props.target_type.as_str().into());
        tg.name = props.name;
        tg.health_check_enabled = Some(true.into());
        tg.health_check_protocol = Some("TCP".into());
        tg.health_check_interval_seconds = props.health_check_interval_secs.map(Value::from);
        let handle = child.add("Resource", tg);
        NetworkTargetGroup {
            handle,
            node: Some(child.node_id()),
            path: child.path(),
            port: props.port,
            links: Arc::default(),
        }
    }

    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }
    pub fn handle(&self) -> Handle<l1::TargetGroup> {
        self.handle
    }
    pub fn port(&self) -> &Value<i64> {
        &self.port
    }

    /// Make `dependent` (e.g. an ECS service) depend on the listeners forwarding to this group.
    pub fn add_dependent<R>(&self, stack: &mut Stack, dependent: &Handle<R>) {
        let Ok(mut links) = self.links.lock() else { return };
        for f in &links.forwarders {
            stack.add_dependency(dependent, f);
        }
        links.dependents.push(dependent.untyped());
    }
}

impl Construct for NetworkLoadBalancer {
    fn node_id(&self) -> Option<NodeId> {
        self.node
    }
    fn path(&self) -> &str {
        &self.path
    }
}

impl Construct for NetworkListener {
    fn node_id(&self) -> Option<NodeId> {
        self.node
    }
    fn path(&self) -> &str {
        &self.path
    }
}

impl Construct for NetworkTargetGroup {
    fn node_id(&self) -> Option<NodeId> {
        self.node
    }
    fn path(&self) -> &str {
        &self.path
    }
}
