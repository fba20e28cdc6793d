//! L2 constructs for EC2 networking: [`Vpc`] (subnet CIDRs computed in Rust), [`SecurityGroup`] with
//! [`Port`] / [`Peer`] rules, and [`Connections`] (ingress on one side, matching egress on the other).
//!
//! Security groups restrict egress by default (`allow_all_outbound: false`). Rules are separate
//! `AWS::EC2::SecurityGroupIngress` / `Egress` resources created in the scope the caller passes, so a consumer
//! can open a producer's group from its own template. Every rule needs a description (checkov CKV_AWS_23).

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use md5::{Digest, Md5};

use crate::cfn;
use crate::logs::{LogGroup, LogGroupProps, RetentionDays};
use crate::nag::{self, Tool};
use crate::stack::{Handle, Scope};
use crate::value::{fns, Expr, Value};

// ---------------------------------------------------------------------------------------------------------------
// Ports and peers
// ---------------------------------------------------------------------------------------------------------------

/// A protocol and port range of a security-group rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Port {
    /// `tcp`, `udp`, `icmp` or `-1` (all).
    protocol: &'static str,
    from: Option<Value<i64>>,
    to: Option<Value<i64>>,
    /// Part of the rule's construct id, e.g. `tcp80`.
    label: String,
    problems: Vec<String>,
}

fn check_port(n: i64, problems: &mut Vec<String>) {
    if !(1..=65535).contains(&n) {
        problems.push(format!("port {n} is outside 1–65535"));
    }
}

impl Port {
    /// One TCP port.
    pub fn tcp(port: u16) -> Port {
        Port::tcp_range(port, port)
    }

    /// A TCP port range (inclusive).
    pub fn tcp_range(from: u16, to: u16) -> Port {
        Port::range("tcp", from, to)
    }

    /// One UDP port.
    pub fn udp(port: u16) -> Port {
        Port::range("udp", port, port)
    }

    /// A UDP port range (inclusive).
    pub fn udp_range(from: u16, to: u16) -> Port {
        Port::range("udp", from, to)
    }

    fn range(protocol: &'static str, from: u16, to: u16) -> Port {
        let mut problems = Vec::new();
        check_port(from.into(), &mut problems);
        if to != from {
            check_port(to.into(), &mut problems);
        }
        if from > to {
            problems.push(format!(
                "port range {from}-{to} is reversed: the start is above the end"
            ));
        }
        let label = if from == to {
            format!("{protocol}{from}")
        } else {
            format!("{protocol}{from}-{to}")
        };
        Port {
            protocol,
            from: Some(Value::from(from)),
            to: Some(Value::from(to)),
            label,
            problems,
        }
    }

    /// A TCP port known only at deployment (e.g. an AWS Proton input). Literal values are range-checked.
    pub fn tcp_value(port: Value<i64>) -> Port {
        let mut problems = Vec::new();
        if let Some(n) = port.expr().as_f64() {
            check_port(n as i64, &mut problems);
        }
        let label = format!("tcp{}", expr_label(port.expr()));
        Port {
            protocol: "tcp",
            from: Some(port.clone()),
            to: Some(port),
            label,
            problems,
        }
    }

    /// Every TCP port (0–65535).
    pub fn all_tcp() -> Port {
        Port {
            protocol: "tcp",
            from: Some(Value::from(0)),
            to: Some(Value::from(65535)),
            label: "alltcp".to_owned(),
            problems: Vec::new(),
        }
    }

    /// All protocols and ports (`IpProtocol: -1`).
    pub fn all_traffic() -> Port {
        Port {
            protocol: "-1",
            from: None,
            to: None,
            label: "all".to_owned(),
            problems: Vec::new(),
        }
    }

    pub fn protocol(&self) -> &'static str {
        self.protocol
    }

    /// The literal single port, if this is one.
    pub fn literal_port(&self) -> Option<i64> {
        let f = self.from.as_ref()?.expr().as_f64()?;
        let t = self.to.as_ref()?.expr().as_f64()?;
        (f == t).then_some(f as i64)
    }

    /// Validation problems (reported where the port is used in a rule).
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

/// A short, id-safe label for an expression: the literal, the last part of a placeholder's Jinja expression,
/// or a hash.
fn expr_label(e: &Expr) -> String {
    let raw = match e {
        Expr::Str(s) => s.clone(),
        Expr::Int(i) => i.to_string(),
        Expr::Placeholder(p) => p.jinja.rsplit('.').next().unwrap_or(&p.jinja).to_owned(),
        other => {
            // Hash the expression without the process-wide stack ids, so labels are stable across runs.
            let text = strip_stack_ids(&format!("{other:?}"));
            let digest = Md5::digest(text.as_bytes());
            digest.iter().take(4).map(|b| format!("{b:02X}")).collect()
        }
    };
    raw.chars()
        .filter_map(|c| match c {
            '/' => Some('_'),
            c if c.is_ascii_alphanumeric() || c == '.' || c == '-' => Some(c),
            _ => None,
        })
        .collect()
}

/// Remove `stack: StackId(N), ` from a `Debug` rendering of an expression.
fn strip_stack_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("stack: StackId(") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        match after.find("), ") {
            Some(j) => rest = &after[j + 3..],
            None => {
                rest = after;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The other side of a rule.
#[derive(Clone, Debug)]
pub enum Peer {
    /// An IPv4 CIDR block (literal CIDRs are parsed; a placeholder is taken as is).
    Ipv4(Value<String>),
    /// Another security group.
    SecurityGroup(SecurityGroup),
}

impl Peer {
    /// `0.0.0.0/0`.
    pub fn any_ipv4() -> Peer {
        Peer::Ipv4(Value::from("0.0.0.0/0"))
    }

    pub fn ipv4(cidr: impl Into<Value<String>>) -> Peer {
        Peer::Ipv4(cidr.into())
    }

    pub fn security_group(sg: &SecurityGroup) -> Peer {
        Peer::SecurityGroup(sg.clone())
    }

    fn label(&self) -> String {
        match self {
            Peer::Ipv4(c) if c.as_literal() == Some("0.0.0.0/0") => "AnyIpv4".to_owned(),
            Peer::Ipv4(c) => expr_label(c.expr()),
            Peer::SecurityGroup(sg) => sg.0.name.clone(),
        }
    }

    fn problems(&self) -> Vec<String> {
        match self {
            Peer::Ipv4(c) => match c.as_literal() {
                Some(s) if s.parse::<Ipv4Net>().is_err() => vec![format!("{s:?} is not an IPv4 CIDR block")],
                _ => Vec::new(),
            },
            Peer::SecurityGroup(_) => Vec::new(),
        }
    }

    fn is_any_ipv4(&self) -> bool {
        matches!(self, Peer::Ipv4(c) if c.as_literal() == Some("0.0.0.0/0"))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Security groups
// ---------------------------------------------------------------------------------------------------------------

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
pub struct SecurityGroup(std::sync::Arc<SecurityGroupInner>);

#[derive(Debug)]
struct SecurityGroupInner {
    handle: Option<Handle<cfn::ec2::SecurityGroup>>,
    id: Value<String>,
    /// Known to restrict egress (created here with `allow_all_outbound: false`); imported groups are taken
    /// as open.
    egress_restricted: bool,
    path: String,
    /// An id-safe name used in rule construct ids.
    name: String,
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
        let path = child.path();
        SecurityGroup(std::sync::Arc::new(SecurityGroupInner {
            handle: Some(h),
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
            handle: None,
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
        self.0.handle
    }

    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// Whether the group is known to restrict egress (created here without `allow_all_outbound`).
    pub fn egress_restricted(&self) -> bool {
        self.0.egress_restricted
    }

    /// Add an `AWS::EC2::SecurityGroupIngress` in `scope` (construct id `<group>From<peer>:<port>`). Adding the
    /// same rule twice in one scope emits it once. Returns the rule's handle.
    /// An ingress from `0.0.0.0/0` added here (not through [`Connections::allow_from_any_ipv4`]) records a
    /// warning: the security gate will flag it (CT.EC2.PR.3, cdk-nag EC23).
    pub fn add_ingress_rule(
        &self,
        scope: &mut Scope,
        peer: Peer,
        port: Port,
        description: &str,
    ) -> Option<Handle<cfn::ec2::SecurityGroupIngress>> {
        let open = peer.is_any_ipv4();
        let h = self.ingress_rule(scope, peer, port, description)?;
        if open {
            let path = scope.stack_ref().resources[h.element().index as usize].path.clone();
            scope.stack().warning(
                &path,
                "ingress from 0.0.0.0/0: use Connections::allow_from_any_ipv4 for a public listener, or restrict the peer",
            );
        }
        Some(h)
    }

    fn ingress_rule(
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

    /// Add an `AWS::EC2::SecurityGroupEgress` in `scope` (construct id `<group>To<peer>:<port>`).
    pub fn add_egress_rule(
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
fn check_rule(scope: &mut Scope, rule_id: &str, peer: &Peer, port: &Port, description: &str) -> bool {
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
const HIGH_RISK_PORTS: &[i64] = &[
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
fn public_ingress_findings(port: &Port) -> Vec<(Tool, &'static str)> {
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

impl Connections {
    pub fn new(security_groups: Vec<SecurityGroup>) -> Connections {
        Connections { security_groups }
    }

    /// Allow `other` to reach these groups on `port`: an ingress rule on each of these groups, plus the
    /// matching egress rule on each of `other`'s groups whose egress is restricted. Rules go into `scope`.
    pub fn allow_from(&self, scope: &mut Scope, other: &dyn Connectable, port: Port, description: &str) {
        let other = other.connections();
        for me in &self.security_groups {
            for them in &other.security_groups {
                me.add_ingress_rule(scope, Peer::security_group(them), port.clone(), description);
                if them.0.egress_restricted {
                    them.add_egress_rule(scope, Peer::security_group(me), port.clone(), description);
                }
            }
        }
    }

    /// Allow these groups to reach `other` on `port`: egress on these groups (when restricted) and ingress on
    /// `other`'s groups.
    pub fn allow_to(&self, scope: &mut Scope, other: &dyn Connectable, port: Port, description: &str) {
        other.connections().allow_from(scope, self, port, description);
    }

    /// Allow the whole IPv4 internet in on `port` (a public listener). The rule carries suppressions of the
    /// findings it raises (CT.EC2.PR.3 unless the port is 80 or 443, CT.EC2.PR.4 for high-risk ports, checkov's
    /// open-ingress checks) with the reason [`PUBLIC_LISTENER_REASON`].
    pub fn allow_from_any_ipv4(&self, scope: &mut Scope, port: Port, description: &str) {
        for me in &self.security_groups {
            if let Some(h) = me.ingress_rule(scope, Peer::any_ipv4(), port.clone(), description) {
                let entry = scope.stack().resource_mut(&h);
                for (tool, id) in public_ingress_findings(&port) {
                    nag::suppress(entry, tool, id, PUBLIC_LISTENER_REASON);
                }
            }
        }
    }

    /// Allow egress from these groups to anywhere on `port` (e.g. HTTPS to AWS APIs through a NAT gateway).
    pub fn allow_to_any_ipv4(&self, scope: &mut Scope, port: Port, description: &str) {
        for me in &self.security_groups {
            if me.0.egress_restricted {
                me.add_egress_rule(scope, Peer::any_ipv4(), port.clone(), description);
            }
        }
    }

    /// Allow traffic between members of these groups (each group from itself) on `port`.
    pub fn allow_internally(&self, scope: &mut Scope, port: Port, description: &str) {
        self.allow_from(scope, self, port, description);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// VPC
// ---------------------------------------------------------------------------------------------------------------

/// A VPC by reference: what [`Vpc::as_ref`] gives, or what a service builds from environment outputs.
#[derive(Clone, Debug)]
pub struct VpcRef {
    pub vpc_id: Value<String>,
    pub public_subnet_ids: Vec<Value<String>>,
    pub private_subnet_ids: Vec<Value<String>>,
    pub isolated_subnet_ids: Vec<Value<String>>,
}

/// The kind of a subnet tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubnetTier {
    /// Routes `0.0.0.0/0` to the internet gateway.
    Public,
    /// Routes `0.0.0.0/0` to a NAT gateway in a public subnet.
    PrivateWithEgress,
    /// No route out of the VPC.
    Isolated,
}

impl SubnetTier {
    fn type_name(self) -> &'static str {
        match self {
            SubnetTier::Public => "Public",
            SubnetTier::PrivateWithEgress => "Private",
            SubnetTier::Isolated => "Isolated",
        }
    }
}

/// One subnet tier: a subnet of `/cidr_mask` in each availability zone.
#[derive(Clone, Debug, PartialEq)]
pub struct SubnetConfig {
    /// Tier name, used in construct ids (`<name>Subnet1`).
    pub name: String,
    pub tier: SubnetTier,
    pub cidr_mask: u8,
}

impl SubnetConfig {
    pub fn new(name: &str, tier: SubnetTier, cidr_mask: u8) -> Self {
        SubnetConfig {
            name: name.to_owned(),
            tier,
            cidr_mask,
        }
    }
}

/// A subnet with an explicit CIDR (literal or placeholder) instead of a computed one.
#[derive(Clone, Debug)]
pub struct ExplicitSubnet {
    pub name: String,
    pub tier: SubnetTier,
    pub cidr: Value<String>,
    /// Index into the VPC's availability zones.
    pub az_index: u32,
}

/// NAT gateways for private-with-egress subnets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum NatGateways {
    None,
    /// One, shared by every AZ (cheaper, not AZ-resilient).
    One,
    /// One per AZ (default).
    #[default]
    PerAz,
}

/// VPC flow logs to a CloudWatch log group.
#[derive(Clone, Debug)]
pub struct FlowLogs {
    pub retention: RetentionDays,
    /// Traffic type: `ALL` (default), `ACCEPT` or `REJECT`.
    pub traffic_type: cfn::ec2::FlowLogTrafficType,
}

impl Default for FlowLogs {
    fn default() -> Self {
        FlowLogs {
            retention: RetentionDays::OneYear,
            traffic_type: cfn::ec2::FlowLogTrafficType::All,
        }
    }
}

/// Properties of [`Vpc`].
#[derive(Clone, Debug)]
pub struct VpcProps {
    /// The VPC range (default `10.0.0.0/16`). Ignored when `cidr_block_value` is set.
    pub cidr: String,
    /// The VPC range as a value (e.g. an AWS Proton input); subnets must then be `explicit_subnets`.
    pub cidr_block_value: Option<Value<String>>,
    /// Number of AZs (1–6) taken with `Fn::GetAZs`; ignored when `availability_zones` is given.
    pub max_azs: u32,
    pub availability_zones: Vec<String>,
    /// Default: one public and one private-with-egress tier of `/24`.
    pub subnet_configuration: Vec<SubnetConfig>,
    /// Subnets with given CIDRs; when non-empty, `subnet_configuration` is not used.
    pub explicit_subnets: Vec<ExplicitSubnet>,
    pub nat_gateways: NatGateways,
    /// Default on (cdk-nag VPC7).
    pub flow_logs: Option<FlowLogs>,
    /// A gateway endpoint for S3 on every route table.
    pub s3_gateway_endpoint: bool,
    /// Public subnets map public IPs on launch (default false; CT.EC2.PR.11 is suppressed when on).
    pub map_public_ip_on_launch: bool,
}

impl Default for VpcProps {
    fn default() -> Self {
        VpcProps {
            cidr: "10.0.0.0/16".to_owned(),
            cidr_block_value: None,
            max_azs: 2,
            availability_zones: Vec::new(),
            subnet_configuration: vec![
                SubnetConfig::new("Public", SubnetTier::Public, 24),
                SubnetConfig::new("Private", SubnetTier::PrivateWithEgress, 24),
            ],
            explicit_subnets: Vec::new(),
            nat_gateways: NatGateways::PerAz,
            flow_logs: Some(FlowLogs::default()),
            s3_gateway_endpoint: false,
            map_public_ip_on_launch: false,
        }
    }
}

/// An interface VPC endpoint (see [`Vpc::add_interface_endpoint`]).
#[derive(Clone, Debug)]
pub struct InterfaceEndpoint {
    pub handle: Handle<cfn::ec2::VpcEndpoint>,
    pub security_group: SecurityGroup,
}

impl Connectable for InterfaceEndpoint {
    fn connections(&self) -> Connections {
        self.security_group.connections()
    }
}

/// A created subnet.
#[derive(Clone, Debug)]
pub struct SubnetInfo {
    pub name: String,
    pub tier: SubnetTier,
    pub az_index: u32,
    /// The CIDR (a literal string when computed).
    pub cidr: Value<String>,
    pub subnet: Handle<cfn::ec2::Subnet>,
    pub route_table: Handle<cfn::ec2::RouteTable>,
}

/// A VPC with subnets, route tables, gateways and flow logs.
#[derive(Clone, Debug)]
pub struct Vpc {
    handle: Handle<cfn::ec2::Vpc>,
    cidr: Value<String>,
    subnets: Vec<SubnetInfo>,
    nat_gateways: Vec<Handle<cfn::ec2::NatGateway>>,
    internet_gateway: Option<Handle<cfn::ec2::InternetGateway>>,
    flow_log_group: Option<LogGroup>,
}

struct Planned {
    name: String,
    tier: SubnetTier,
    az_index: u32,
    cidr: Value<String>,
}

/// Allocate subnet CIDRs like CDK: tier by tier, each tier's subnets one per AZ, sequentially from the start of
/// the VPC range, each aligned to its own size.
fn allocate(
    vpc: Ipv4Net,
    tiers: &[SubnetConfig],
    azs: u32,
    errors: &mut Vec<String>,
) -> Vec<(String, SubnetTier, u32, Ipv4Net)> {
    let mut out = Vec::new();
    let base = u64::from(u32::from(vpc.network()));
    let end = base + (1u64 << (32 - vpc.prefix_len()));
    let mut next = base;
    let needed: u64 = tiers
        .iter()
        .filter(|t| (16..=28).contains(&t.cidr_mask) && t.cidr_mask >= vpc.prefix_len())
        .map(|t| u64::from(azs) << (32 - t.cidr_mask))
        .sum();
    let mut bad = false;
    for t in tiers {
        if t.cidr_mask > 28 || t.cidr_mask < 16 {
            errors.push(format!("subnet tier {:?}: /{} is outside /16–/28", t.name, t.cidr_mask));
            bad = true;
        } else if t.cidr_mask < vpc.prefix_len() {
            errors.push(format!(
                "subnet tier {:?}: /{} is larger than the VPC /{}",
                t.name,
                t.cidr_mask,
                vpc.prefix_len()
            ));
            bad = true;
        }
    }
    if bad {
        return out;
    }
    let available = end - base;
    // Sum with alignment to know whether everything fits.
    for t in tiers {
        let size = 1u64 << (32 - t.cidr_mask);
        for az in 0..azs {
            next = next.div_ceil(size) * size;
            if next + size > end {
                errors.push(format!(
                    "subnets need {needed} addresses, the VPC /{} has {available}",
                    vpc.prefix_len()
                ));
                return Vec::new();
            }
            let addr = Ipv4Addr::from(next as u32);
            let net = Ipv4Net::new(addr, t.cidr_mask).expect("valid prefix");
            out.push((t.name.clone(), t.tier, az, net));
            next += size;
        }
    }
    out
}

impl Vpc {
    pub fn new(scope: &mut Scope, id: &str, props: VpcProps) -> Vpc {
        let mut child = scope.child(id);
        let mut errors: Vec<String> = Vec::new();

        // Availability zones.
        let explicit_azs = !props.availability_zones.is_empty();
        let az_count = if explicit_azs {
            props.availability_zones.len() as u32
        } else {
            props.max_azs
        };
        if !(1..=6).contains(&az_count) {
            errors.push(format!("the number of availability zones must be 1–6, not {az_count}"));
        }
        let az_value = |i: u32| -> Value<String> {
            match props.availability_zones.get(i as usize) {
                Some(az) if explicit_azs => Value::from(az.as_str()),
                // Out of range (already reported) or not explicit.
                _ => fns::select(i, fns::get_azs()),
            }
        };

        // The VPC range.
        let (cidr_value, vpc_net) = match &props.cidr_block_value {
            Some(v) => (v.clone(), v.as_literal().and_then(|s| s.parse::<Ipv4Net>().ok())),
            None => match props.cidr.parse::<Ipv4Net>() {
                Ok(net) if net.trunc() != net => {
                    errors.push(format!(
                        "VPC CIDR {:?} has host bits set; did you mean {}?",
                        props.cidr,
                        net.trunc()
                    ));
                    (Value::from(props.cidr.as_str()), None)
                }
                Ok(net) if !(16..=28).contains(&net.prefix_len()) => {
                    errors.push(format!("VPC CIDR {:?}: the prefix must be /16–/28", props.cidr));
                    (Value::from(props.cidr.as_str()), None)
                }
                Ok(net) => (Value::from(net.to_string()), Some(net)),
                Err(_) => {
                    errors.push(format!("VPC CIDR {:?} is not a valid IPv4 CIDR block", props.cidr));
                    (Value::from(props.cidr.as_str()), None)
                }
            },
        };
        if let Some(v) = &props.cidr_block_value {
            if let Some(s) = v.as_literal() {
                if s.parse::<Ipv4Net>().is_err() {
                    errors.push(format!("VPC CIDR {s:?} is not a valid IPv4 CIDR block"));
                }
            }
        }

        // Plan the subnets.
        let mut planned: Vec<Planned> = Vec::new();
        if !props.explicit_subnets.is_empty() {
            let mut literal: Vec<(String, Ipv4Net)> = Vec::new();
            for s in &props.explicit_subnets {
                if s.az_index >= az_count.max(1) {
                    errors.push(format!(
                        "subnet {:?}: az_index {} is out of range for {} availability zone(s)",
                        s.name, s.az_index, az_count
                    ));
                }
                if let Some(c) = s.cidr.as_literal() {
                    match c.parse::<Ipv4Net>() {
                        Ok(net) => {
                            if let Some(vpc) = vpc_net {
                                if !vpc.contains(&net) {
                                    errors.push(format!("subnet {:?}: {net} is not inside the VPC {vpc}", s.name));
                                }
                            }
                            for (other, onet) in &literal {
                                if onet.contains(&net.network()) || net.contains(&onet.network()) {
                                    errors
                                        .push(format!("subnet {:?}: {net} overlaps subnet {other:?} ({onet})", s.name));
                                }
                            }
                            literal.push((s.name.clone(), net));
                        }
                        Err(_) => errors.push(format!("subnet {:?}: {c:?} is not a valid IPv4 CIDR block", s.name)),
                    }
                }
                planned.push(Planned {
                    name: s.name.clone(),
                    tier: s.tier,
                    az_index: s.az_index,
                    cidr: s.cidr.clone(),
                });
            }
        } else if props.cidr_block_value.is_some() && vpc_net.is_none() {
            errors.push(
                "a VPC CIDR given as a value needs explicit_subnets (subnet CIDRs cannot be computed from it)"
                    .to_owned(),
            );
        } else if let Some(vpc) = vpc_net {
            let mut names = std::collections::HashSet::new();
            for t in &props.subnet_configuration {
                if !names.insert(t.name.clone()) {
                    errors.push(format!("subnet tier name {:?} is used twice", t.name));
                }
            }
            if (1..=6).contains(&az_count) {
                for (name, tier, az, net) in allocate(vpc, &props.subnet_configuration, az_count, &mut errors) {
                    planned.push(Planned {
                        name: format!("{name}Subnet{}", az + 1),
                        tier,
                        az_index: az,
                        cidr: Value::from(net.to_string()),
                    });
                }
            }
        }
        let has_public = planned.iter().any(|p| p.tier == SubnetTier::Public);
        let has_private = planned.iter().any(|p| p.tier == SubnetTier::PrivateWithEgress);
        if has_private && props.nat_gateways == NatGateways::None {
            errors.push(
                "private-with-egress subnets need NAT gateways; set nat_gateways or use SubnetTier::Isolated"
                    .to_owned(),
            );
        }
        if has_private && props.nat_gateways != NatGateways::None && !has_public {
            errors.push("NAT gateways need a public subnet tier".to_owned());
        }
        if props.map_public_ip_on_launch && !has_public {
            errors.push("map_public_ip_on_launch needs a public subnet tier".to_owned());
        }
        for e in errors {
            child.error(e);
        }

        // The VPC.
        let mut vpc = cfn::ec2::Vpc::new();
        vpc.cidr_block = Some(cidr_value.clone());
        vpc.enable_dns_hostnames = Some(Value::from(true));
        vpc.enable_dns_support = Some(Value::from(true));
        vpc.instance_tenancy = Some(cfn::ec2::VpcInstanceTenancy::Default.into());
        let full_path = child.full_path();
        vpc.tags = Some(vec![cfn::ec2::vpc::Tag::new("Name", full_path.as_str())]);
        let vpc_h = child.add("Resource", vpc);
        let vpc_id = vpc_h.r#ref();

        // Internet gateway.
        let (igw, attach) = if has_public {
            let mut igw = cfn::ec2::InternetGateway::new();
            igw.tags = Some(vec![cfn::ec2::internet_gateway::Tag::new("Name", full_path.as_str())]);
            let igw_h = child.add("IGW", igw);
            let mut att = cfn::ec2::VpcGatewayAttachment::new(vpc_id.clone());
            att.internet_gateway_id = Some(igw_h.r#ref());
            let att_h = child.add("VPCGW", att);
            (Some(igw_h), Some(att_h))
        } else {
            (None, None)
        };

        // Subnets and route tables.
        let mut subnets: Vec<SubnetInfo> = Vec::new();
        for p in &planned {
            let mut sc = child.child(&p.name);
            let mut subnet = cfn::ec2::Subnet::new(vpc_id.clone());
            subnet.availability_zone = Some(az_value(p.az_index));
            subnet.cidr_block = Some(p.cidr.clone());
            let public_ip = p.tier == SubnetTier::Public && props.map_public_ip_on_launch;
            subnet.map_public_ip_on_launch = Some(Value::from(public_ip));
            let sub_path = sc.full_path();
            subnet.tags = Some(vec![
                cfn::ec2::subnet::Tag::new("Name", sub_path.as_str()),
                cfn::ec2::subnet::Tag::new("subnet-type", p.tier.type_name()),
                cfn::ec2::subnet::Tag::new("subnet-name", p.name.as_str()),
            ]);
            let sub_h = sc.add("Subnet", subnet);
            if public_ip {
                nag::suppress(
                    sc.stack().resource_mut(&sub_h),
                    Tool::Guard,
                    "CT.EC2.PR.11",
                    "public subnet maps public IPs on launch because map_public_ip_on_launch was set",
                );
            }
            let mut rt = cfn::ec2::RouteTable::new(vpc_id.clone());
            rt.tags = Some(vec![cfn::ec2::route_table::Tag::new("Name", sub_path.as_str())]);
            let rt_h = sc.add("RouteTable", rt);
            sc.add(
                "RouteTableAssociation",
                cfn::ec2::SubnetRouteTableAssociation::new(rt_h.r#ref(), sub_h.r#ref()),
            );
            if p.tier == SubnetTier::Public {
                if let (Some(igw_h), Some(att_h)) = (igw, attach) {
                    let mut route = cfn::ec2::Route::new(rt_h.r#ref());
                    route.destination_cidr_block = Some(Value::from("0.0.0.0/0"));
                    route.gateway_id = Some(igw_h.r#ref());
                    let r = sc.add("DefaultRoute", route);
                    sc.stack().add_dependency(&r, &att_h);
                }
            }
            subnets.push(SubnetInfo {
                name: p.name.clone(),
                tier: p.tier,
                az_index: p.az_index,
                cidr: p.cidr.clone(),
                subnet: sub_h,
                route_table: rt_h,
            });
        }

        // NAT gateways in public subnets, and private default routes.
        let mut nats: Vec<(u32, Handle<cfn::ec2::NatGateway>)> = Vec::new();
        if has_private && props.nat_gateways != NatGateways::None {
            let public: Vec<SubnetInfo> = subnets
                .iter()
                .filter(|s| s.tier == SubnetTier::Public)
                .cloned()
                .collect();
            // The first public subnet of each AZ.
            let mut seen = std::collections::HashSet::new();
            for s in &public {
                if !seen.insert(s.az_index) {
                    continue;
                }
                if props.nat_gateways == NatGateways::One && !nats.is_empty() {
                    break;
                }
                let mut sc = child.child(&s.name);
                let mut eip = cfn::ec2::Eip::new();
                eip.domain = Some(Value::from("vpc"));
                let eip_h = sc.add("EIP", eip);
                let mut nat = cfn::ec2::NatGateway::new();
                nat.allocation_id = Some(eip_h.attr_allocation_id());
                nat.subnet_id = Some(s.subnet.r#ref());
                let nat_path = sc.full_path();
                nat.tags = Some(vec![cfn::ec2::nat_gateway::Tag::new("Name", nat_path.as_str())]);
                let nat_h = sc.add("NATGateway", nat);
                if let Some(att_h) = attach {
                    sc.stack().add_dependency(&nat_h, &att_h);
                }
                nats.push((s.az_index, nat_h));
            }
            for s in subnets.iter().filter(|s| s.tier == SubnetTier::PrivateWithEgress) {
                let nat = nats
                    .iter()
                    .find(|(az, _)| *az == s.az_index)
                    .or(nats.first())
                    .map(|(_, h)| *h);
                if let Some(nat_h) = nat {
                    let mut sc = child.child(&s.name);
                    let mut route = cfn::ec2::Route::new(s.route_table.r#ref());
                    route.destination_cidr_block = Some(Value::from("0.0.0.0/0"));
                    route.nat_gateway_id = Some(nat_h.r#ref());
                    sc.add("DefaultRoute", route);
                }
            }
        }

        // S3 gateway endpoint.
        if props.s3_gateway_endpoint && !subnets.is_empty() {
            let mut ep = cfn::ec2::VpcEndpoint::new(vpc_id.clone());
            ep.service_name = Some(fns::sub(
                "com.amazonaws.${AWS::Region}.s3",
                Vec::<(String, Expr)>::new(),
            ));
            ep.vpc_endpoint_type = Some(cfn::ec2::VpcEndpointType::Gateway.into());
            ep.route_table_ids = Some(Value::from(
                subnets.iter().map(|s| s.route_table.r#ref()).collect::<Vec<_>>(),
            ));
            child.add("S3Endpoint", ep);
        }

        // Flow logs to CloudWatch Logs, with a role allowed to write to that group only.
        let flow_log_group = props.flow_logs.as_ref().map(|fl| {
            let mut fc = child.child("FlowLog");
            let group = LogGroup::new(
                &mut fc,
                "LogGroup",
                LogGroupProps {
                    retention: fl.retention,
                    ..LogGroupProps::default()
                },
            );
            let mut role = crate::iam::Role::new(
                &mut fc,
                "IAMRole",
                crate::iam::RoleProps {
                    assumed_by: crate::iam::Principal::service("vpc-flow-logs.amazonaws.com"),
                    description: Some("Lets VPC flow logs write to their log group".to_owned()),
                    ..crate::iam::RoleProps::default()
                },
            );
            let stack = fc.stack();
            crate::iam::grant(
                stack,
                group.path(),
                &mut role,
                crate::iam::PolicyStatement::allow(
                    &["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    [group.arn()],
                ),
            );
            let mut flow = cfn::ec2::FlowLog::new(vpc_id.clone(), cfn::ec2::FlowLogResourceType::Vpc);
            flow.traffic_type = Some(fl.traffic_type.into());
            flow.log_destination_type = Some(cfn::ec2::FlowLogDestinationType::CloudWatchLogs.into());
            flow.log_group_name = Some(group.name());
            flow.deliver_logs_permission_arn = Some(role.arn());
            fc.add("Resource", flow);
            group
        });

        Vpc {
            handle: vpc_h,
            cidr: cidr_value,
            subnets,
            nat_gateways: nats.into_iter().map(|(_, h)| h).collect(),
            internet_gateway: igw,
            flow_log_group,
        }
    }

    /// The VPC id (`Ref`).
    pub fn vpc_id(&self) -> Value<String> {
        self.handle.r#ref()
    }

    pub fn handle(&self) -> Handle<cfn::ec2::Vpc> {
        self.handle
    }

    /// The VPC range.
    pub fn cidr(&self) -> Value<String> {
        self.cidr.clone()
    }

    fn ids(&self, tier: SubnetTier) -> Vec<Value<String>> {
        self.subnets
            .iter()
            .filter(|s| s.tier == tier)
            .map(|s| s.subnet.r#ref())
            .collect()
    }

    pub fn public_subnet_ids(&self) -> Vec<Value<String>> {
        self.ids(SubnetTier::Public)
    }

    pub fn private_subnet_ids(&self) -> Vec<Value<String>> {
        self.ids(SubnetTier::PrivateWithEgress)
    }

    pub fn isolated_subnet_ids(&self) -> Vec<Value<String>> {
        self.ids(SubnetTier::Isolated)
    }

    /// Every subnet with its tier, AZ index, CIDR and route table.
    pub fn subnets(&self) -> &[SubnetInfo] {
        &self.subnets
    }

    pub fn nat_gateways(&self) -> &[Handle<cfn::ec2::NatGateway>] {
        &self.nat_gateways
    }

    pub fn internet_gateway(&self) -> Option<Handle<cfn::ec2::InternetGateway>> {
        self.internet_gateway
    }

    pub fn flow_log_group(&self) -> Option<&LogGroup> {
        self.flow_log_group.as_ref()
    }

    /// Add an interface endpoint for an AWS service (e.g. `ecr.api`, `ecr.dkr`, `logs`,
    /// `secretsmanager`) in the subnets of `tier` (one per AZ), with private DNS and its own security group
    /// that accepts HTTPS from the VPC range. Created in `scope` as `<id>/Resource` and `<id>/SecurityGroup`.
    pub fn add_interface_endpoint(
        &self,
        scope: &mut Scope,
        id: &str,
        service: &str,
        tier: SubnetTier,
    ) -> InterfaceEndpoint {
        let mut child = scope.child(id);
        let mut seen = std::collections::HashSet::new();
        let subnet_ids: Vec<Value<String>> = self
            .subnets
            .iter()
            .filter(|s| s.tier == tier && seen.insert(s.az_index))
            .map(|s| s.subnet.r#ref())
            .collect();
        if subnet_ids.is_empty() {
            child.error(format!(
                "interface endpoint for {service}: the VPC has no {} subnets",
                tier.type_name().to_lowercase()
            ));
        }
        if service.is_empty() || service.contains(char::is_whitespace) {
            child.error(format!(
                "interface endpoint service {service:?} is not a service name such as ecr.api"
            ));
        }
        let sg = SecurityGroup::new(
            &mut child,
            "SecurityGroup",
            SecurityGroupProps {
                vpc_id: self.vpc_id(),
                description: format!("Interface endpoint for {service}"),
                ..SecurityGroupProps::default()
            },
        );
        sg.add_ingress_rule(
            &mut child,
            Peer::Ipv4(self.cidr()),
            Port::tcp(443),
            "HTTPS from the VPC",
        );
        let mut ep = cfn::ec2::VpcEndpoint::new(self.vpc_id());
        ep.service_name = Some(fns::sub(
            &format!("com.amazonaws.${{AWS::Region}}.{service}"),
            Vec::<(String, Expr)>::new(),
        ));
        ep.vpc_endpoint_type = Some(cfn::ec2::VpcEndpointType::Interface.into());
        ep.private_dns_enabled = Some(Value::from(true));
        ep.subnet_ids = Some(Value::from(subnet_ids));
        ep.security_group_ids = Some(Value::from(vec![sg.id()]));
        let handle = child.add("Resource", ep);
        InterfaceEndpoint {
            handle,
            security_group: sg,
        }
    }

    /// The VPC by reference, for constructs that take a [`VpcRef`].
    pub fn as_ref(&self) -> VpcRef {
        VpcRef {
            vpc_id: self.vpc_id(),
            public_subnet_ids: self.public_subnet_ids(),
            private_subnet_ids: self.private_subnet_ids(),
            isolated_subnet_ids: self.isolated_subnet_ids(),
        }
    }
}
