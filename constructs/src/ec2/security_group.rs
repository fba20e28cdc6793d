//! [`SecurityGroup`]: a security group (restricted egress by default) or an imported one.

use crate::cfn;
use crate::stack::{Construct, Handle, NodeId, Origin, Scope, Stack};
use crate::value::Value;

use super::*;

/// Properties of [`SecurityGroup`].
#[derive(Clone, Debug)]
pub struct SecurityGroupProps {
    pub vpc_id: Value<String>,
    /// Required and non-empty (cdk-nag EC27).
    pub description: String,
    /// Default false: egress is restricted to the rules added (a "disallow all" placeholder rule keeps the
    /// group from getting EC2's default allow-all egress).
    pub allow_all_outbound: bool,
    /// A fixed group name (default: generated).
    pub group_name: Option<Value<String>>,
}

impl Default for SecurityGroupProps {
    fn default() -> Self {
        SecurityGroupProps {
            vpc_id: Value::from(""),
            description: String::new(),
            allow_all_outbound: false,
            group_name: None,
        }
    }
}

/// A security group, created here or imported by id.
#[derive(Clone, Debug)]
pub struct SecurityGroup(pub(super) std::sync::Arc<SecurityGroupInner>);

#[derive(Debug)]
pub(super) struct SecurityGroupInner {
    pub(super) origin: Origin<cfn::ec2::SecurityGroup>,
    pub(super) id: Value<String>,
    /// Known to restrict egress (created here with `allow_all_outbound: false`); imported groups are taken
    /// as open.
    pub(super) egress_restricted: bool,
    pub(super) path: String,
    /// An id-safe name used in rule construct ids.
    pub(super) name: String,
}

impl SecurityGroup {
    pub fn new(scope: &mut Scope, id: &str, props: SecurityGroupProps) -> SecurityGroup {
        let mut child = scope.child(id);
        if props.description.trim().is_empty() {
            child.error("a security group needs a description (cdk-nag EC27)");
        } else if let Some(bad) = props
            .description
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(*c)))
        {
            child.error(format!(
                "security group description contains {bad:?}; EC2 allows letters, digits, spaces and ._-:/()#,@[]+=&;{{}}!$*"
            ));
        }
        if props.vpc_id.as_literal() == Some("") {
            child.error("vpc_id is required");
        }
        let mut sg = cfn::ec2::SecurityGroup::new(props.description);
        sg.vpc_id = Some(props.vpc_id);
        sg.group_name = props.group_name;
        let egress = if props.allow_all_outbound {
            let mut e = cfn::ec2::security_group::Egress::new("-1");
            e.cidr_ip = Some(Value::from("0.0.0.0/0"));
            e.description = Some(Value::from("Allow all outbound traffic by default"));
            e
        } else {
            let mut e = cfn::ec2::security_group::Egress::new("icmp");
            e.cidr_ip = Some(Value::from("255.255.255.255/32"));
            e.description = Some(Value::from("Disallow all traffic"));
            e.from_port = Some(Value::from(252));
            e.to_port = Some(Value::from(86));
            e
        };
        sg.security_group_egress = Some(vec![egress]);
        let h = child.add("Resource", sg);
        let node = child.node_id();
        let path = child.path();
        SecurityGroup(std::sync::Arc::new(SecurityGroupInner {
            origin: Origin::Created { node, resource: h },
            id: h.attr_group_id(),
            egress_restricted: !props.allow_all_outbound,
            name: path.chars().filter(char::is_ascii_alphanumeric).collect(),
            path,
        }))
    }

    /// A security group defined elsewhere (e.g. an AWS Proton environment output). Its egress is taken as
    /// open, so connections never add egress rules to it.
    pub fn from_id(id: Value<String>) -> SecurityGroup {
        let name = format!("Imported{}", expr_label(id.expr()).replace(['.', '-', '_'], ""));
        SecurityGroup(std::sync::Arc::new(SecurityGroupInner {
            origin: Origin::Imported,
            id,
            egress_restricted: false,
            path: String::new(),
            name,
        }))
    }

    /// The group id (`Fn::GetAtt GroupId`).
    pub fn id(&self) -> Value<String> {
        self.0.id.clone()
    }

    pub fn handle(&self) -> Option<Handle<cfn::ec2::SecurityGroup>> {
        self.0.origin.resource()
    }

    /// Whether the group is known to restrict egress (created here without `allow_all_outbound`).
    pub fn egress_restricted(&self) -> bool {
        self.0.egress_restricted
    }

    /// Add an `AWS::EC2::SecurityGroupIngress` at the template root (construct id `<group>From<peer>:<port>`,
    /// unique per template because `<group>` is the group's path; in the loop of the group or of a peer group
    /// when it has one). Adding
    /// the same rule twice emits it once. Returns the rule's handle (`None` for a rule already present).
    /// An ingress from `0.0.0.0/0` added here (not through [`Connections::allow_from_any_ipv4`]) records a
    /// warning: the security gate will flag it (CT.EC2.PR.3, cdk-nag EC23).
    pub fn add_ingress_rule(
        &self,
        stack: &mut Stack,
        peer: Peer,
        port: Port,
        description: &str,
    ) -> Option<Handle<cfn::ec2::SecurityGroupIngress>> {
        let open = peer.is_any_ipv4();
        let h = self.ingress_rule(&mut self.rule_root(stack, &peer), peer, port, description)?;
        if open {
            let path = stack.resources[h.element().index as usize].path.clone();
            stack.warning(
                &path,
                "ingress from 0.0.0.0/0: use Connections::allow_from_any_ipv4 for a public listener, or restrict the peer",
            );
        }
        Some(h)
    }

    /// Add an `AWS::EC2::SecurityGroupEgress` at the template root (construct id `<group>To<peer>:<port>`; in
    /// the loop of the group or of a peer group when it has one). Adding the same rule twice emits it once.
    pub fn add_egress_rule(
        &self,
        stack: &mut Stack,
        peer: Peer,
        port: Port,
        description: &str,
    ) -> Option<Handle<cfn::ec2::SecurityGroupEgress>> {
        self.egress_rule(&mut self.rule_root(stack, &peer), peer, port, description)
    }

    /// Where a rule of this group with `peer` goes at the template root: in the loop of the group or of a peer
    /// group (a rule references both), so it repeats with them.
    pub(super) fn rule_root<'s>(&self, stack: &'s mut Stack, peer: &Peer) -> Scope<'s> {
        let peer_node = match peer {
            Peer::SecurityGroup(sg) => sg.node_id(),
            Peer::Ipv4(_) => None,
        };
        stack.root_in_loop_of(&[self.node_id(), peer_node])
    }

    /// The ingress rule in `scope`: how constructs keep the rules they make for themselves in their own scope.
    pub(crate) fn ingress_rule(
        &self,
        scope: &mut Scope,
        peer: Peer,
        port: Port,
        description: &str,
    ) -> Option<Handle<cfn::ec2::SecurityGroupIngress>> {
        let rule_id = format!("{}From{}:{}", self.0.name, peer.label(), port.label);
        if !check_rule(scope, &rule_id, &peer, &port, description) {
            return None;
        }
        let mut rule = cfn::ec2::SecurityGroupIngress::new(port.protocol);
        rule.group_id = Some(self.id());
        rule.description = Some(Value::from(description));
        rule.from_port = port.from.clone();
        rule.to_port = port.to.clone();
        match &peer {
            Peer::Ipv4(c) => rule.cidr_ip = Some(c.clone()),
            Peer::SecurityGroup(sg) => rule.source_security_group_id = Some(sg.id()),
        }
        Some(scope.add(&rule_id, rule))
    }

    /// The egress rule in `scope` (see [`SecurityGroup::ingress_rule`]).
    pub(crate) fn egress_rule(
        &self,
        scope: &mut Scope,
        peer: Peer,
        port: Port,
        description: &str,
    ) -> Option<Handle<cfn::ec2::SecurityGroupEgress>> {
        let rule_id = format!("{}To{}:{}", self.0.name, peer.label(), port.label);
        if !check_rule(scope, &rule_id, &peer, &port, description) {
            return None;
        }
        let mut rule = cfn::ec2::SecurityGroupEgress::new(self.id(), port.protocol);
        rule.description = Some(Value::from(description));
        rule.from_port = port.from.clone();
        rule.to_port = port.to.clone();
        match &peer {
            Peer::Ipv4(c) => rule.cidr_ip = Some(c.clone()),
            Peer::SecurityGroup(sg) => rule.destination_security_group_id = Some(sg.id()),
        }
        Some(scope.add(&rule_id, rule))
    }
}

/// Validate a rule; false when it must not be emitted (already present in this scope).
pub(super) fn check_rule(scope: &mut Scope, rule_id: &str, peer: &Peer, port: &Port, description: &str) -> bool {
    let base = scope.path();
    let full = if base.is_empty() {
        rule_id.to_owned()
    } else {
        format!("{base}/{rule_id}")
    };
    if scope.stack_ref().resources.iter().any(|e| e.path == full) {
        return false;
    }
    let mut problems: Vec<String> = port.problems().to_vec();
    problems.extend(peer.problems());
    if description.trim().is_empty() {
        problems.push("security group rule needs a description (checkov CKV_AWS_23)".to_owned());
    }
    for p in problems {
        scope.stack().error(&full, p);
    }
    true
}

impl Construct for SecurityGroup {
    fn node_id(&self) -> Option<NodeId> {
        self.0.origin.node()
    }
    fn path(&self) -> &str {
        &self.0.path
    }
}
