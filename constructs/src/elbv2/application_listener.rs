//! [`ApplicationListener`]: HTTP/HTTPS listeners of an ALB.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::cfn::elasticloadbalancingv2 as l1;
use crate::ec2::{Connectable, Port, RulePlace};
use crate::nag::Tool;
use crate::stack::{Construct, Handle, NodeId, Stack};
use crate::value::Value;

use super::listener_action::build_action;
use super::*;

/// Properties of [`ApplicationListener`].
#[derive(Clone, Debug)]
pub struct ListenerProps {
    pub port: u16,
    pub protocol: ApplicationProtocol,
    /// ACM certificate ARNs: at least one for HTTPS, none for HTTP.
    pub certificate_arns: Vec<Value<String>>,
    /// TLS policy of an HTTPS listener (default [`DEFAULT_SSL_POLICY`]).
    pub ssl_policy: Option<String>,
    pub default_action: ListenerAction,
    /// Allow the whole internet (0.0.0.0/0) to the listener port in the load balancer's security group
    /// (default true). For an internal load balancer, set false and allow specific peers instead.
    pub open: bool,
}

impl ListenerProps {
    pub fn http(port: u16, default_action: ListenerAction) -> Self {
        ListenerProps {
            port,
            protocol: ApplicationProtocol::Http,
            certificate_arns: Vec::new(),
            ssl_policy: None,
            default_action,
            open: true,
        }
    }

    pub fn https(port: u16, certificate_arns: Vec<Value<String>>, default_action: ListenerAction) -> Self {
        ListenerProps {
            port,
            protocol: ApplicationProtocol::Https,
            certificate_arns,
            ssl_policy: None,
            default_action,
            open: true,
        }
    }
}

/// A listener of an application load balancer.
#[derive(Clone, Debug)]
pub struct ApplicationListener {
    pub(super) handle: Handle<l1::Listener>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
    pub(super) port: u16,
    pub(super) protocol: ApplicationProtocol,
    pub(super) load_balancer_full_name: Value<String>,
    /// Whether the duplicate-priority validation of this listener is registered (shared by clones).
    pub(super) priority_check: Arc<AtomicBool>,
}

impl ApplicationListener {
    pub(super) fn new(stack: &mut Stack, lb: &ApplicationLoadBalancer, id: &str, props: ListenerProps) -> Self {
        let problems = listener_problems(&props);

        let mut listener = l1::Listener::new(vec![build_action!(listener, &props.default_action)], lb.arn());
        // Port 0 is reported above, once (not again by the schema check).
        listener.port = (props.port != 0).then(|| i64::from(props.port).into());
        listener.protocol = Some(props.protocol.as_str().into());
        if props.protocol == ApplicationProtocol::Https {
            listener.ssl_policy = Some(props.ssl_policy.as_deref().unwrap_or(DEFAULT_SSL_POLICY).into());
            listener.certificates = Some(
                props
                    .certificate_arns
                    .iter()
                    .map(|c| l1::listener::Certificate {
                        certificate_arn: Some(c.clone()),
                    })
                    .collect(),
            );
        }
        let mut scope = stack.scope(lb.node);
        let node = scope.child_node_id(id);
        let handle = scope.add(id, listener);
        let path = child_path(&scope.path(), id);
        for p in problems {
            stack.error(&path, p);
        }
        if props.port != 0 {
            register_port_check(stack, lb, &path, props.port);
        }
        if let Some(tg) = props.default_action.target_group() {
            tg.register_forwarder(stack, &handle, lb.full_name());
        }
        let is_redirect = matches!(
            props.default_action,
            ListenerAction::Redirect {
                protocol: Some(ApplicationProtocol::Https),
                ..
            }
        );
        if props.protocol == ApplicationProtocol::Http && !is_redirect {
            suppress(
                stack,
                &handle,
                &[
                    (Tool::Checkov, "CKV_AWS_2"),
                    (Tool::Checkov, "CKV_AWS_103"),
                    (Tool::Guard, "CT.ELASTICLOADBALANCING.PR.1"),
                ],
                NO_CERTIFICATE_REASON,
            );
        }
        if props.open && props.port != 0 {
            let description = if lb.internet_facing {
                format!(
                    "public listener on port {} of an internet-facing load balancer",
                    props.port
                )
            } else {
                format!("listener on port {}", props.port)
            };
            // The rule belongs to the load balancer: it goes in its scope.
            let place = lb.node.map_or(RulePlace::Root, RulePlace::Node);
            lb.connections()
                .allow_from_any_ipv4_at(stack, place, Port::tcp(props.port), &description);
        }
        ApplicationListener {
            handle,
            path,
            node: Some(node),
            port: props.port,
            protocol: props.protocol,
            load_balancer_full_name: lb.full_name(),
            priority_check: Arc::default(),
        }
    }

    /// The listener ARN (`Ref`).
    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }

    pub fn handle(&self) -> Handle<l1::Listener> {
        self.handle
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn protocol(&self) -> ApplicationProtocol {
        self.protocol
    }

    /// Add a rule (construct id `id` below the listener).
    pub fn add_rule(
        &self,
        stack: &mut Stack,
        id: &str,
        priority: u32,
        conditions: Vec<Condition>,
        action: ListenerAction,
    ) -> ApplicationListenerRule {
        let mut scope = stack.scope(self.node);
        ApplicationListenerRule::new(
            &mut scope,
            id,
            RuleProps {
                listener: self.clone(),
                priority,
                conditions,
                action,
            },
        )
    }
}

impl Construct for ApplicationListener {
    fn node_id(&self) -> Option<NodeId> {
        self.node
    }
    fn path(&self) -> &str {
        &self.path
    }
}

/// Problems of a listener's props (port, protocol and certificates, action, TLS policy).
fn listener_problems(props: &ListenerProps) -> Vec<String> {
    let mut problems = Vec::new();
    if props.port == 0 {
        problems.push("listener port 0 is not in the range 1-65535".to_owned());
    }
    match props.protocol {
        ApplicationProtocol::Https if props.certificate_arns.is_empty() => problems.push(format!(
            "HTTPS listener on port {} needs at least one certificate ARN",
            props.port
        )),
        ApplicationProtocol::Http if !props.certificate_arns.is_empty() => problems.push(format!(
            "HTTP listener on port {} cannot use certificates; use ApplicationProtocol::Https",
            props.port
        )),
        ApplicationProtocol::Http if props.ssl_policy.is_some() => problems.push(format!(
            "HTTP listener on port {} cannot have an SSL policy",
            props.port
        )),
        _ => {}
    }
    props.default_action.validate(&mut problems);
    if let Some(policy) = props.ssl_policy.as_deref() {
        if LEGACY_SSL_POLICIES.contains(&policy) {
            problems.push(format!(
                "SSL policy {policy} allows TLS versions below 1.2; use {DEFAULT_SSL_POLICY} or another TLS 1.2+ policy"
            ));
        }
    }
    problems
}

/// A load balancer accepts one listener per port (CloudFormation fails the deployment otherwise): each listener
/// checks, on the final template, how many listeners of its load balancer use its port.
fn register_port_check(stack: &mut Stack, lb: &ApplicationLoadBalancer, path: &str, port: u16) {
    let lb_ref = lb.handle.element();
    let lb_path = stack.full_path(&lb.path);
    stack.add_validation(path, move |s: &Stack| {
        let n = s
            .resources()
            .filter_map(|r| r.l1::<l1::Listener>())
            .filter(|l| {
                l.load_balancer_arn.expr() == &crate::value::Expr::Ref(lb_ref)
                    && l.port.as_ref().map(Value::expr) == Some(&crate::value::Expr::Int(i64::from(port)))
            })
            .count();
        if n > 1 {
            vec![format!(
                "listener port {port} is used by {n} listeners of load balancer {lb_path}"
            )]
        } else {
            Vec::new()
        }
    });
}
