//! [`Vpc`]: a VPC with subnets (CIDRs computed in Rust), route tables, gateways and flow logs.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::cfn;
use crate::logs::{LogGroup, LogGroupProps};
use crate::nag::{self, Tool};
use crate::stack::{Construct, Handle, Scope};
use crate::value::{fns, Expr, Value};

use super::*;

/// A VPC with subnets, route tables, gateways and flow logs.
#[derive(Clone, Debug)]
pub struct Vpc {
    pub(super) handle: Handle<cfn::ec2::Vpc>,
    pub(super) cidr: Value<String>,
    pub(super) subnets: Vec<SubnetInfo>,
    pub(super) nat_gateways: Vec<Handle<cfn::ec2::NatGateway>>,
    pub(super) internet_gateway: Option<Handle<cfn::ec2::InternetGateway>>,
    pub(super) flow_log_group: Option<LogGroup>,
}

pub(super) struct Planned {
    pub(super) name: String,
    pub(super) tier: SubnetTier,
    pub(super) az_index: u32,
    pub(super) cidr: Value<String>,
}

/// Allocate subnet CIDRs like CDK: tier by tier, each tier's subnets one per AZ, sequentially from the start of
/// the VPC range, each aligned to its own size.
pub(super) fn allocate(
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
        let az_count = az_count(&props, &mut errors);
        let (cidr_value, vpc_net) = vpc_range(&props, &mut errors);
        let planned = plan_subnets(&props, az_count, vpc_net, &mut errors);
        let has_public = planned.iter().any(|p| p.tier == SubnetTier::Public);
        let has_private = planned.iter().any(|p| p.tier == SubnetTier::PrivateWithEgress);
        check_tiers(&props, has_public, has_private, &mut errors);
        for e in errors {
            child.error(e);
        }

        let vpc_h = add_vpc_resource(&mut child, &cidr_value);
        let vpc_id = vpc_h.r#ref();
        let gateway = has_public.then(|| add_internet_gateway(&mut child, &vpc_id));
        let subnets: Vec<SubnetInfo> = planned
            .iter()
            .map(|p| add_subnet(&mut child, &props, p, &vpc_id, gateway))
            .collect();
        let nats = if has_private && props.nat_gateways != NatGateways::None {
            add_nat_gateways(&mut child, &props, &subnets, gateway.map(|(_, att)| att))
        } else {
            Vec::new()
        };
        if props.s3_gateway_endpoint && !subnets.is_empty() {
            add_s3_endpoint(&mut child, &vpc_id, &subnets);
        }
        let flow_log_group = props
            .flow_logs
            .as_ref()
            .map(|fl| add_flow_logs(&mut child, fl, &vpc_id));
        Vpc {
            handle: vpc_h,
            cidr: cidr_value,
            subnets,
            nat_gateways: nats.into_iter().map(|(_, h)| h).collect(),
            internet_gateway: gateway.map(|(igw, _)| igw),
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

    pub(super) fn ids(&self, tier: SubnetTier) -> Vec<Value<String>> {
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
        sg.ingress_rule(
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

// Steps of `Vpc::new`: checks and planning (pure), then the resources.

type GatewayHandles = (
    Handle<cfn::ec2::InternetGateway>,
    Handle<cfn::ec2::VpcGatewayAttachment>,
);

/// The number of availability zones (explicit ones, or `max_azs`), checked to be 1–6.
fn az_count(props: &VpcProps, errors: &mut Vec<String>) -> u32 {
    let az_count = if props.availability_zones.is_empty() {
        props.max_azs
    } else {
        props.availability_zones.len() as u32
    };
    if !(1..=6).contains(&az_count) {
        errors.push(format!("the number of availability zones must be 1–6, not {az_count}"));
    }
    az_count
}

/// The availability zone of AZ index `i`: the explicit name, or `Fn::Select` over `Fn::GetAZs`.
fn az_value(props: &VpcProps, i: u32) -> Value<String> {
    match props.availability_zones.get(i as usize) {
        Some(az) => Value::from(az.as_str()),
        // Out of range (already reported) or not explicit.
        None => fns::select(i, fns::get_azs()),
    }
}

/// The VPC range as a value, and as a parsed network when it is a literal.
fn vpc_range(props: &VpcProps, errors: &mut Vec<String>) -> (Value<String>, Option<Ipv4Net>) {
    if let Some(v) = &props.cidr_block_value {
        let net = v.as_literal().and_then(|s| s.parse::<Ipv4Net>().ok());
        if let Some(s) = v.as_literal() {
            if net.is_none() {
                errors.push(format!("VPC CIDR {s:?} is not a valid IPv4 CIDR block"));
            }
        }
        return (v.clone(), net);
    }
    match props.cidr.parse::<Ipv4Net>() {
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
    }
}

/// The subnets to create: the explicit ones, or tiers allocated across the AZs.
fn plan_subnets(props: &VpcProps, az_count: u32, vpc_net: Option<Ipv4Net>, errors: &mut Vec<String>) -> Vec<Planned> {
    if !props.explicit_subnets.is_empty() {
        return plan_explicit_subnets(props, az_count, vpc_net, errors);
    }
    if let (Some(cidr), None) = (&props.cidr_block_value, vpc_net) {
        if !(1..=6).contains(&az_count) {
            return Vec::new();
        }
        return plan_from_cidr_value(cidr, &props.subnet_configuration, az_count, errors);
    }
    let Some(vpc) = vpc_net else { return Vec::new() };
    let mut names = std::collections::HashSet::new();
    for t in &props.subnet_configuration {
        if !names.insert(t.name.clone()) {
            errors.push(format!("subnet tier name {:?} is used twice", t.name));
        }
    }
    if !(1..=6).contains(&az_count) {
        return Vec::new();
    }
    allocate(vpc, &props.subnet_configuration, az_count, errors)
        .into_iter()
        .map(|(name, tier, az, net)| Planned {
            name: format!("{name}Subnet{}", az + 1),
            tier,
            az_index: az,
            cidr: Value::from(net.to_string()),
        })
        .collect()
}

/// Explicit subnets, checked: AZ index in range, literal CIDRs valid, inside the VPC and not overlapping.
fn plan_explicit_subnets(
    props: &VpcProps,
    az_count: u32,
    vpc_net: Option<Ipv4Net>,
    errors: &mut Vec<String>,
) -> Vec<Planned> {
    let mut literal: Vec<(String, Ipv4Net)> = Vec::new();
    let mut planned = Vec::new();
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
                            errors.push(format!("subnet {:?}: {net} overlaps subnet {other:?} ({onet})", s.name));
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
    planned
}

/// Tier combinations that cannot work (private subnets without NAT, NAT without a public tier, …).
fn check_tiers(props: &VpcProps, has_public: bool, has_private: bool, errors: &mut Vec<String>) {
    if has_private && props.nat_gateways == NatGateways::None {
        errors.push(
            "private-with-egress subnets need NAT gateways; set nat_gateways or use SubnetTier::Isolated".to_owned(),
        );
    }
    if has_private && props.nat_gateways != NatGateways::None && !has_public {
        errors.push("NAT gateways need a public subnet tier".to_owned());
    }
    if props.map_public_ip_on_launch && !has_public {
        errors.push("map_public_ip_on_launch needs a public subnet tier".to_owned());
    }
}

fn add_vpc_resource(child: &mut Scope, cidr: &Value<String>) -> Handle<cfn::ec2::Vpc> {
    let mut vpc = cfn::ec2::Vpc::new();
    vpc.cidr_block = Some(cidr.clone());
    vpc.enable_dns_hostnames = Some(Value::from(true));
    vpc.enable_dns_support = Some(Value::from(true));
    vpc.instance_tenancy = Some(cfn::ec2::VpcInstanceTenancy::Default.into());
    let full_path = child.full_path();
    vpc.tags = Some(vec![cfn::ec2::vpc::Tag::new("Name", full_path.as_str())]);
    child.add("Resource", vpc)
}

fn add_internet_gateway(child: &mut Scope, vpc_id: &Value<String>) -> GatewayHandles {
    let full_path = child.full_path();
    let mut igw = cfn::ec2::InternetGateway::new();
    igw.tags = Some(vec![cfn::ec2::internet_gateway::Tag::new("Name", full_path.as_str())]);
    let igw_h = child.add("IGW", igw);
    let mut att = cfn::ec2::VpcGatewayAttachment::new(vpc_id.clone());
    att.internet_gateway_id = Some(igw_h.r#ref());
    let att_h = child.add("VPCGW", att);
    (igw_h, att_h)
}

/// A subnet with its route table (and, in a public tier, the default route to the internet gateway).
fn add_subnet(
    child: &mut Scope,
    props: &VpcProps,
    p: &Planned,
    vpc_id: &Value<String>,
    gateway: Option<GatewayHandles>,
) -> SubnetInfo {
    let mut sc = child.child(&p.name);
    let mut subnet = cfn::ec2::Subnet::new(vpc_id.clone());
    subnet.availability_zone = Some(az_value(props, p.az_index));
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
    if let (SubnetTier::Public, Some((igw_h, att_h))) = (p.tier, gateway) {
        let mut route = cfn::ec2::Route::new(rt_h.r#ref());
        route.destination_cidr_block = Some(Value::from("0.0.0.0/0"));
        route.gateway_id = Some(igw_h.r#ref());
        let r = sc.add("DefaultRoute", route);
        sc.stack().add_dependency(&r, &att_h);
    }
    SubnetInfo {
        name: p.name.clone(),
        tier: p.tier,
        az_index: p.az_index,
        cidr: p.cidr.clone(),
        subnet: sub_h,
        route_table: rt_h,
    }
}

/// NAT gateways in the first public subnet of each AZ (or one), and the private subnets' default routes.
fn add_nat_gateways(
    child: &mut Scope,
    props: &VpcProps,
    subnets: &[SubnetInfo],
    attach: Option<Handle<cfn::ec2::VpcGatewayAttachment>>,
) -> Vec<(u32, Handle<cfn::ec2::NatGateway>)> {
    let mut nats: Vec<(u32, Handle<cfn::ec2::NatGateway>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for s in subnets.iter().filter(|s| s.tier == SubnetTier::Public) {
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
    nats
}

fn add_s3_endpoint(child: &mut Scope, vpc_id: &Value<String>, subnets: &[SubnetInfo]) {
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

/// Flow logs to CloudWatch Logs, with a role allowed to write to that group only.
fn add_flow_logs(child: &mut Scope, fl: &FlowLogs, vpc_id: &Value<String>) -> LogGroup {
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
}
