//! `ec2::Vpc`: random CIDRs, AZ counts, subnet tiers and NAT layouts.

use proptest::prelude::*;
use proton_synth::constructs::ec2::{ExplicitSubnet, FlowLogs, NatGateways, SubnetConfig, SubnetTier, Vpc, VpcProps};
use proton_synth::constructs::Stack;
use serde_json::Value as J;

use crate::{assert_no_panic, assert_rejected, assert_synthesizes, config};

const TIER_NAMES: [&str; 4] = ["Public", "Private", "Data", "Edge"];

#[derive(Clone, Debug)]
pub struct VpcConfig {
    network: u32,
    prefix: u8,
    azs: u32,
    explicit_azs: bool,
    /// (name, tier, mask) in allocation order.
    tiers: Vec<(String, SubnetTier, u8)>,
    nat: NatGateways,
    flow_logs: bool,
    s3_endpoint: bool,
    map_public_ip: bool,
}

impl VpcConfig {
    fn cidr(&self) -> String {
        format!("{}/{}", std::net::Ipv4Addr::from(self.network), self.prefix)
    }

    fn has(&self, tier: SubnetTier) -> bool {
        self.tiers.iter().any(|t| t.1 == tier)
    }

    pub fn props(&self) -> VpcProps {
        VpcProps {
            cidr: self.cidr(),
            max_azs: self.azs,
            availability_zones: if self.explicit_azs {
                (0..self.azs)
                    .map(|i| format!("eu-west-1{}", (b'a' + i as u8) as char))
                    .collect()
            } else {
                Vec::new()
            },
            subnet_configuration: self
                .tiers
                .iter()
                .map(|(n, t, m)| SubnetConfig::new(n, *t, *m))
                .collect(),
            nat_gateways: self.nat,
            flow_logs: self.flow_logs.then(FlowLogs::default),
            s3_gateway_endpoint: self.s3_endpoint,
            map_public_ip_on_launch: self.map_public_ip,
            ..VpcProps::default()
        }
    }
}

fn build(props: &VpcProps) -> Stack {
    let mut stack = Stack::new("Net");
    Vpc::new(&mut stack.root(), "Vpc", props.clone());
    stack
}

fn tier() -> impl Strategy<Value = SubnetTier> {
    prop_oneof![
        Just(SubnetTier::Public),
        Just(SubnetTier::PrivateWithEgress),
        Just(SubnetTier::Isolated)
    ]
}

fn ceil_log2(n: u32) -> u8 {
    (32 - (n.max(1) - 1).leading_zeros()) as u8
}

prop_compose! {
    /// A valid configuration: every subnet is at most 1/2^k of the VPC with 2^k ≥ the number of subnets, so
    /// CDK's aligned sequential allocation always fits; NAT gateways exactly when a tier needs them.
    pub fn valid_vpc()(
        addr in any::<u32>(),
        prefix in 16u8..=24,
        azs in 1u32..=6,
        explicit_azs in any::<bool>(),
        kinds in prop::collection::vec((tier(), 0u8..=4), 1..=3),
        nat_for_private in prop_oneof![Just(NatGateways::One), Just(NatGateways::PerAz)],
        nat_otherwise in prop_oneof![Just(NatGateways::None), Just(NatGateways::One), Just(NatGateways::PerAz)],
        flow_logs in any::<bool>(),
        s3_endpoint in any::<bool>(),
        map_public_ip in any::<bool>(),
    ) -> VpcConfig {
        let bits = ceil_log2(kinds.len() as u32 * azs);
        let prefix = prefix.min(28 - bits);
        let network = if prefix == 0 { 0 } else { addr & (u32::MAX << (32 - prefix)) };
        let mut tiers: Vec<(String, SubnetTier, u8)> = kinds
            .iter()
            .enumerate()
            .map(|(i, (t, extra))| (TIER_NAMES[i].to_owned(), *t, (prefix + bits + extra).min(28)))
            .collect();
        let has_private = tiers.iter().any(|t| t.1 == SubnetTier::PrivateWithEgress);
        if has_private && !tiers.iter().any(|t| t.1 == SubnetTier::Public) {
            tiers[0].1 = SubnetTier::Public;
        }
        let has_public = tiers.iter().any(|t| t.1 == SubnetTier::Public);
        VpcConfig {
            network,
            prefix,
            azs,
            explicit_azs,
            tiers,
            nat: if has_private { nat_for_private } else { nat_otherwise },
            flow_logs,
            s3_endpoint,
            map_public_ip: map_public_ip && has_public,
        }
    }
}

/// `a.b.c.d/n` as the range [start, end).
fn range(cidr: &str) -> (u64, u64) {
    let (addr, len) = cidr.split_once('/').expect("a CIDR");
    let addr: std::net::Ipv4Addr = addr.parse().expect("an address");
    let len: u32 = len.parse().expect("a prefix length");
    let start = u64::from(u32::from(addr));
    (start, start + (1u64 << (32 - len)))
}

fn resources<'a>(t: &'a J, type_name: &str) -> Vec<&'a J> {
    t["Resources"]
        .as_object()
        .expect("Resources")
        .values()
        .filter(|r| r["Type"] == type_name)
        .collect()
}

/// The emitted layout matches the configuration: one subnet per tier and AZ, each aligned, inside the VPC and
/// disjoint from the others; NAT gateways and routes as configured.
fn check_layout(c: &VpcConfig, t: &J) -> Result<(), TestCaseError> {
    let subnets = resources(t, "AWS::EC2::Subnet");
    prop_assert_eq!(subnets.len(), c.tiers.len() * c.azs as usize);
    let vpc = range(&c.cidr());
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    for s in &subnets {
        let cidr = s["Properties"]["CidrBlock"].as_str().expect("a literal subnet CIDR");
        let r = range(cidr);
        prop_assert!(r.0 >= vpc.0 && r.1 <= vpc.1, "{} is outside {}", cidr, c.cidr());
        prop_assert_eq!(r.0 % (r.1 - r.0), 0, "{} is not aligned", cidr);
        prop_assert!(ranges.iter().all(|o| r.1 <= o.0 || o.1 <= r.0), "{} overlaps", cidr);
        ranges.push(r);
    }
    let has_private = c.has(SubnetTier::PrivateWithEgress);
    let nats = match c.nat {
        _ if !has_private => 0,
        NatGateways::None => 0,
        NatGateways::One => 1,
        NatGateways::PerAz => c.azs as usize,
    };
    prop_assert_eq!(resources(t, "AWS::EC2::NatGateway").len(), nats);
    prop_assert_eq!(resources(t, "AWS::EC2::EIP").len(), nats);
    let igws = usize::from(c.has(SubnetTier::Public));
    prop_assert_eq!(resources(t, "AWS::EC2::InternetGateway").len(), igws);
    let routes = c.tiers.iter().filter(|t| t.1 != SubnetTier::Isolated).count() * c.azs as usize;
    prop_assert_eq!(resources(t, "AWS::EC2::Route").len(), routes);
    prop_assert_eq!(resources(t, "AWS::EC2::FlowLog").len(), usize::from(c.flow_logs));
    prop_assert_eq!(resources(t, "AWS::EC2::VPCEndpoint").len(), usize::from(c.s3_endpoint));
    Ok(())
}

/// One way to break a valid configuration, and a fragment of the error it must produce.
fn break_vpc(c: VpcConfig, how: u8, noise: u32) -> (VpcProps, &'static str) {
    let mut p = c.props();
    let expected = match how % 12 {
        0 => {
            p.cidr = format!("{}x{}", c.cidr(), noise % 10);
            "is not a valid IPv4 CIDR block"
        }
        1 => {
            p.cidr = format!("{}/{}", std::net::Ipv4Addr::from(c.network | 1), c.prefix);
            "has host bits set"
        }
        2 => {
            let prefix = [8u32, 12, 15, 29, 30, 32][noise as usize % 6];
            p.cidr = format!(
                "{}/{prefix}",
                std::net::Ipv4Addr::from(c.network & (u32::MAX << (32 - prefix)))
            );
            "the prefix must be /16–/28"
        }
        3 => {
            p.subnet_configuration[0].cidr_mask = [0u8, 8, 15, 29, 31, 32, 64][noise as usize % 7];
            "is outside /16–/28"
        }
        4 => {
            p.cidr = format!("{}/16", std::net::Ipv4Addr::from(c.network & 0xffff_0000));
            for t in &mut p.subnet_configuration {
                t.cidr_mask = 16;
            }
            p.subnet_configuration
                .push(SubnetConfig::new("Extra", SubnetTier::Isolated, 16));
            "subnets need"
        }
        5 => {
            p.cidr = format!("{}/20", std::net::Ipv4Addr::from(c.network & 0xffff_f000));
            p.subnet_configuration[0].cidr_mask = 16 + (noise % 4) as u8;
            "is larger than the VPC /20"
        }
        6 => {
            let first = p.subnet_configuration[0].clone();
            p.subnet_configuration.push(SubnetConfig {
                tier: SubnetTier::Isolated,
                ..first
            });
            "is used twice"
        }
        7 => {
            p.availability_zones.clear();
            p.max_azs = [0, 7, 8, 100, u32::MAX][noise as usize % 5];
            "availability zones must be 1–6"
        }
        8 => {
            p.subnet_configuration[0].tier = SubnetTier::PrivateWithEgress;
            p.nat_gateways = NatGateways::None;
            "need NAT gateways"
        }
        9 => {
            p.subnet_configuration = vec![SubnetConfig::new("Private", SubnetTier::PrivateWithEgress, 28)];
            p.nat_gateways = NatGateways::One;
            p.map_public_ip_on_launch = false;
            "NAT gateways need a public subnet tier"
        }
        10 => {
            p.subnet_configuration = vec![SubnetConfig::new("Data", SubnetTier::Isolated, 28)];
            p.map_public_ip_on_launch = true;
            "map_public_ip_on_launch needs a public subnet tier"
        }
        _ => return break_explicit(c, noise),
    };
    (p, expected)
}

/// Explicit subnets that overlap, leave the VPC or name a missing AZ.
fn break_explicit(c: VpcConfig, noise: u32) -> (VpcProps, &'static str) {
    let mut p = c.props();
    p.nat_gateways = NatGateways::None;
    p.map_public_ip_on_launch = false;
    let subnet = |name: &str, cidr: String, az_index: u32| ExplicitSubnet {
        name: name.to_owned(),
        tier: SubnetTier::Isolated,
        cidr: cidr.as_str().into(),
        az_index,
    };
    let base = std::net::Ipv4Addr::from(c.network);
    let expected = match noise % 3 {
        0 => {
            p.explicit_subnets = vec![
                subnet("A", format!("{base}/28"), 0),
                subnet("B", format!("{base}/28"), 0),
            ];
            "overlaps subnet"
        }
        1 => {
            let outside = std::net::Ipv4Addr::from(c.network.wrapping_add(1 << (32 - c.prefix)));
            p.explicit_subnets = vec![subnet("A", format!("{outside}/28"), 0)];
            "is not inside the VPC"
        }
        _ => {
            p.explicit_subnets = vec![subnet("A", format!("{base}/28"), c.azs + noise % 5)];
            "is out of range for"
        }
    };
    (p, expected)
}

fn arbitrary_tier() -> impl Strategy<Value = SubnetConfig> {
    ("[A-Za-z]{0,6}", tier(), any::<u8>()).prop_map(|(n, t, m)| SubnetConfig::new(&n, t, m))
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn valid_vpcs_synthesize_deterministically_with_resolved_references(c in valid_vpc()) {
        let props = c.props();
        let t = assert_synthesizes(|| build(&props))?;
        check_layout(&c, &t)?;
    }

    #[test]
    fn invalid_vpcs_are_diagnosed(c in valid_vpc(), how in any::<u8>(), noise in any::<u32>()) {
        let (props, expected) = break_vpc(c, how, noise);
        assert_rejected(&build(&props), expected)?;
    }

    #[test]
    fn arbitrary_vpc_props_never_panic(
        cidr in prop_oneof!["[0-9./]{0,20}", "[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}"],
        max_azs in 0u32..10,
        tiers in prop::collection::vec(arbitrary_tier(), 0..5),
        explicit in prop::collection::vec(("[A-Z]{0,3}", tier(), "[0-9./]{0,18}", 0u32..8), 0..4),
        nat in prop_oneof![Just(NatGateways::None), Just(NatGateways::One), Just(NatGateways::PerAz)],
        map_public_ip in any::<bool>(),
    ) {
        let props = VpcProps {
            cidr,
            max_azs,
            subnet_configuration: tiers,
            explicit_subnets: explicit
                .into_iter()
                .map(|(name, tier, cidr, az_index)| ExplicitSubnet { name, tier, cidr: cidr.as_str().into(), az_index })
                .collect(),
            nat_gateways: nat,
            map_public_ip_on_launch: map_public_ip,
            ..VpcProps::default()
        };
        assert_no_panic(&build(&props))?;
    }
}
