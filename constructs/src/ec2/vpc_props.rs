//! [`VpcProps`], subnet configuration and [`VpcRef`]/[`SubnetInfo`].

use crate::cfn;
use crate::logs::RetentionDays;
use crate::stack::Handle;
use crate::value::Value;

use super::*;

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
    pub(super) fn type_name(self) -> &'static str {
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
    /// The VPC range as a value (e.g. an AWS Proton input). Without `explicit_subnets`, the subnets of
    /// `subnet_configuration` are carved from it at deployment with `Fn::Select` + `Fn::Cidr` (every tier
    /// must then use the same `cidr_mask`).
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
