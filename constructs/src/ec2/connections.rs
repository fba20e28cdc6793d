//! [`Connectable`] and [`Connections`]: ingress on one side, matching egress on the other.

use crate::nag::{self, Tool};
use crate::stack::{NodeId, Scope, Stack};

use super::*;

/// Something with security groups.
pub trait Connectable {
    fn connections(&self) -> Connections;
}

/// The security groups of a resource, to open traffic between resources.
#[derive(Clone, Debug, Default)]
pub struct Connections {
    pub security_groups: Vec<SecurityGroup>,
}

impl Connectable for SecurityGroup {
    fn connections(&self) -> Connections {
        Connections {
            security_groups: vec![self.clone()],
        }
    }
}

impl Connectable for Connections {
    fn connections(&self) -> Connections {
        self.clone()
    }
}

/// Ports Control Tower CT.EC2.PR.4 forbids opening to the internet.
pub(super) const HIGH_RISK_PORTS: &[i64] = &[
    3389, 20, 23, 110, 143, 3306, 8080, 1433, 9200, 9300, 25, 445, 135, 21, 1434, 4333, 5432, 5500, 5601, 22, 3000,
    5000, 8088, 8888,
];

impl Port {
    /// Whether the rule may cover port `n` (true for all traffic and for ports known only at deployment).
    pub fn may_cover(&self, n: i64) -> bool {
        match (
            self.from.as_ref().and_then(|v| v.expr().as_f64()),
            self.to.as_ref().and_then(|v| v.expr().as_f64()),
        ) {
            _ if self.protocol == "-1" => true,
            (Some(f), Some(t)) => (f as i64) <= n && n <= (t as i64),
            _ => true,
        }
    }
}

/// The checker findings a 0.0.0.0/0 ingress on `port` raises.
pub(super) fn public_ingress_findings(port: &Port) -> Vec<(Tool, &'static str)> {
    let mut out = Vec::new();
    if !matches!(port.literal_port(), Some(80 | 443)) || port.protocol == "-1" {
        out.push((Tool::Guard, "CT.EC2.PR.3"));
    }
    if HIGH_RISK_PORTS.iter().any(|p| port.may_cover(*p)) {
        out.push((Tool::Guard, "CT.EC2.PR.4"));
    }
    // checkov's CloudFormation checks read FromPort/ToPort, so a rule without ports (all traffic) raises none.
    if port.protocol != "-1" {
        for (n, id) in [(80, "CKV_AWS_260"), (22, "CKV_AWS_24"), (3389, "CKV_AWS_25")] {
            if port.may_cover(n) {
                out.push((Tool::Checkov, id));
            }
        }
    }
    out
}

/// The reason attached to a public listener's 0.0.0.0/0 ingress.
pub const PUBLIC_LISTENER_REASON: &str =
    "public listener: an internet-facing load balancer accepts traffic from anywhere on its listener port";

/// Where the rules of a connection go.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RulePlace {
    /// The template root, in the loop of the groups the rule references (the public methods).
    Root,
    /// The scope of a construct that opens traffic for itself (a load balancer's listener, a pattern).
    Node(NodeId),
}

impl RulePlace {
    fn scope<'s>(self, stack: &'s mut Stack, group: &SecurityGroup, peer: &Peer) -> Scope<'s> {
        match self {
            RulePlace::Root => group.rule_root(stack, peer),
            RulePlace::Node(node) => stack.scope(node),
        }
    }
}

impl Connections {
    pub fn new(security_groups: Vec<SecurityGroup>) -> Connections {
        Connections { security_groups }
    }

    /// Allow `other` to reach these groups on `port`: an ingress rule on each of these groups, plus the
    /// matching egress rule on each of `other`'s groups whose egress is restricted. The rules go at the template
    /// root (ids `<group path>From<peer>:<port>` and `<group path>To<peer>:<port>`, emitted once each).
    pub fn allow_from(&self, stack: &mut Stack, other: &dyn Connectable, port: Port, description: &str) {
        self.allow_from_at(stack, RulePlace::Root, other, port, description);
    }

    /// [`Connections::allow_from`] with the rules at `place`.
    pub(crate) fn allow_from_at(
        &self,
        stack: &mut Stack,
        place: RulePlace,
        other: &dyn Connectable,
        port: Port,
        description: &str,
    ) {
        let other = other.connections();
        for me in &self.security_groups {
            for them in &other.security_groups {
                let peer = Peer::security_group(them);
                me.ingress_rule(&mut place.scope(stack, me, &peer), peer, port.clone(), description);
                if them.0.egress_restricted {
                    let peer = Peer::security_group(me);
                    them.egress_rule(&mut place.scope(stack, them, &peer), peer, port.clone(), description);
                }
            }
        }
    }

    /// Allow these groups to reach `other` on `port`: egress on these groups (when restricted) and ingress on
    /// `other`'s groups.
    pub fn allow_to(&self, stack: &mut Stack, other: &dyn Connectable, port: Port, description: &str) {
        other.connections().allow_from(stack, self, port, description);
    }

    /// Allow the whole IPv4 internet in on `port` (a public listener). The rule carries suppressions of the
    /// findings it raises (CT.EC2.PR.3 unless the port is 80 or 443, CT.EC2.PR.4 for high-risk ports, checkov's
    /// open-ingress checks) with the reason [`PUBLIC_LISTENER_REASON`].
    pub fn allow_from_any_ipv4(&self, stack: &mut Stack, port: Port, description: &str) {
        self.allow_from_any_ipv4_at(stack, RulePlace::Root, port, description);
    }

    /// [`Connections::allow_from_any_ipv4`] with the rules at `place`.
    pub(crate) fn allow_from_any_ipv4_at(&self, stack: &mut Stack, place: RulePlace, port: Port, description: &str) {
        for me in &self.security_groups {
            let peer = Peer::any_ipv4();
            let rule = me.ingress_rule(&mut place.scope(stack, me, &peer), peer, port.clone(), description);
            if let Some(h) = rule {
                let entry = stack.resource_mut(&h);
                for (tool, id) in public_ingress_findings(&port) {
                    nag::suppress(entry, tool, id, PUBLIC_LISTENER_REASON);
                }
            }
        }
    }

    /// Allow egress from these groups to anywhere on `port` (e.g. HTTPS to AWS APIs through a NAT gateway).
    pub fn allow_to_any_ipv4(&self, stack: &mut Stack, port: Port, description: &str) {
        for me in &self.security_groups {
            if me.0.egress_restricted {
                me.add_egress_rule(stack, Peer::any_ipv4(), port.clone(), description);
            }
        }
    }

    /// Allow traffic between members of these groups (each group from itself) on `port`.
    pub fn allow_internally(&self, stack: &mut Stack, port: Port, description: &str) {
        self.allow_from(stack, self, port, description);
    }
}
