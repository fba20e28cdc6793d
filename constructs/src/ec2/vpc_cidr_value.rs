//! Subnets of a [`Vpc`] whose range is known only at deployment (an AWS Proton input, a parameter): carved
//! with `Fn::Select` + `Fn::Cidr` from the VPC CIDR value.

use crate::value::{fns, Value};

use super::vpc::Planned;
use super::*;

/// Plan the subnets of `tiers` × `azs` from the VPC range `cidr` (a value): in the order of CDK's allocation
/// (tier by tier, one subnet per AZ), subnet `i` is `Fn::Select [i, Fn::Cidr [cidr, n, 32 - mask]]`. Every
/// tier must use the same mask, since `Fn::Cidr` carves equal blocks; whether they fit in the range is known
/// only when CloudFormation evaluates it.
pub(super) fn plan_from_cidr_value(
    cidr: &Value<String>,
    tiers: &[SubnetConfig],
    azs: u32,
    errors: &mut Vec<String>,
) -> Vec<Planned> {
    let Some(mask) = tiers.first().map(|t| t.cidr_mask) else {
        return Vec::new();
    };
    if tiers.iter().any(|t| t.cidr_mask != mask) {
        errors.push(
            "subnets computed from a VPC CIDR value need the same cidr_mask in every tier (Fn::Cidr carves equal blocks); use explicit_subnets otherwise"
                .to_owned(),
        );
        return Vec::new();
    }
    if !(16..=28).contains(&mask) {
        errors.push(format!("subnet mask /{mask} is outside /16–/28"));
        return Vec::new();
    }
    let count = tiers.len() as u32 * azs;
    let blocks = fns::cidr(cidr.clone(), count, 32 - u32::from(mask));
    let mut out = Vec::new();
    for t in tiers {
        for az in 0..azs {
            out.push(Planned {
                name: format!("{}Subnet{}", t.name, az + 1),
                tier: t.tier,
                az_index: az,
                cidr: fns::select(out.len() as u32, blocks.clone()),
            });
        }
    }
    out
}
