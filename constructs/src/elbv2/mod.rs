//! L2 constructs for Elastic Load Balancing v2: application load balancers (listeners, rules, target groups)
//! and network load balancers (TCP listeners and target groups), with secure defaults.
//!
//! Defaults and the findings of the security gate they answer:
//! - ALBs drop invalid header fields (CKV_AWS_131 / CT.ELASTICLOADBALANCING.PR.4), keep deletion protection on
//!   (CT.ELASTICLOADBALANCING.PR.5; turning it off records a suppression with the reason) and log to S3 when
//!   a bucket is given (CKV_AWS_91 / CT.ELASTICLOADBALANCING.PR.6; suppressed with a reason otherwise);
//! - an ALB gets its own security group without any egress rule until a target is allowed, and ingress only on
//!   the ports of its listeners (`open: true`);
//! - HTTPS listeners use [`DEFAULT_SSL_POLICY`] (TLS 1.3 / 1.2); an HTTP listener is either a redirect to
//!   HTTPS ([`ApplicationLoadBalancer::redirect_http_to_https`]) or, when no certificate is configured, carries
//!   suppressions that say so.
//!
//! Problems (ports, names, priorities, missing certificates) are recorded as diagnostics at the construct's
//! path and reported together at synthesis.

mod application_listener;
mod application_listener_rule;
mod application_load_balancer;
mod listener_action;
mod network_load_balancer;
mod target_group;

pub use application_listener::*;
pub use application_listener_rule::*;
pub use application_load_balancer::*;
pub use listener_action::*;
pub use network_load_balancer::*;
pub use target_group::*;

use crate::cfn::elasticloadbalancingv2 as l1;
use crate::nag::{self, Tool};
use crate::stack::{Handle, Stack};
use crate::value::{Expr, Value};
/// The TLS policy of HTTPS listeners unless given: TLS 1.3 and 1.2 only.
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// ELB security policies that still allow TLS 1.0 or 1.1 (rejected on HTTPS listeners; CKV_AWS_103).
pub const LEGACY_SSL_POLICIES: [&str; 7] = [
    "ELBSecurityPolicy-2016-08",
    "ELBSecurityPolicy-2015-05",
    "ELBSecurityPolicy-TLS-1-0-2015-04",
    "ELBSecurityPolicy-TLS-1-1-2017-01",
    "ELBSecurityPolicy-FS-2018-06",
    "ELBSecurityPolicy-FS-1-1-2019-08",
    "ELBSecurityPolicy-TLS13-1-0-2021-06",
];

/// Reason recorded on HTTP listeners (and their load balancer) when no certificate is configured.
pub const NO_CERTIFICATE_REASON: &str =
    "no certificate configured: HTTP only; give a certificate ARN to get HTTPS with an HTTP->HTTPS redirect";

// ---------------------------------------------------------------------------------------------------------------
// Shared checks

/// `None` when `port` is a literal in 1–65535 or not a literal; otherwise the message.
pub fn check_port(what: &str, port: &Value<i64>) -> Option<String> {
    match port.expr() {
        Expr::Int(p) if !(1..=65535).contains(p) => Some(format!("{what} port {p} is not in the range 1-65535")),
        _ => None,
    }
}

/// Checks of a load balancer or target group name (literal names only): at most 32 characters, alphanumerics
/// and hyphens, not beginning or ending with a hyphen; load balancer names must not begin with `internal-`.
pub fn check_name(what: &str, name: &str, is_load_balancer: bool) -> Vec<String> {
    let mut out = Vec::new();
    let len = name.chars().count();
    if len == 0 {
        out.push(format!("{what} name must not be empty"));
        return out;
    }
    if len > 32 {
        out.push(format!(
            "{what} name {name:?} is {len} characters; at most 32 are allowed"
        ));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        out.push(format!(
            "{what} name {name:?} may only contain alphanumeric characters and hyphens"
        ));
    }
    if name.starts_with('-') || name.ends_with('-') {
        out.push(format!("{what} name {name:?} must not begin or end with a hyphen"));
    }
    if is_load_balancer && name.starts_with("internal-") {
        out.push(format!("{what} name {name:?} must not begin with \"internal-\""));
    }
    out
}

pub(crate) fn suppress<R>(stack: &mut Stack, h: &Handle<R>, ids: &[(Tool, &str)], reason: &str) {
    nag::suppress_all(stack.resource_mut(h), ids, reason);
}

fn attribute(key: &str, value: impl Into<Value<String>>) -> l1::load_balancer::LoadBalancerAttribute {
    l1::load_balancer::LoadBalancerAttribute {
        key: Some(key.into()),
        value: Some(value.into()),
    }
}
