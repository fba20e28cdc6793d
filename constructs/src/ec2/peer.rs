//! [`Peer`]: the other side of a security-group rule.

use ipnet::Ipv4Net;

use crate::value::Value;

use super::*;

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

    pub(super) fn label(&self) -> String {
        match self {
            Peer::Ipv4(c) if c.as_literal() == Some("0.0.0.0/0") => "AnyIpv4".to_owned(),
            Peer::Ipv4(c) => expr_label(c.expr()),
            Peer::SecurityGroup(sg) => sg.0.name.clone(),
        }
    }

    pub(super) fn problems(&self) -> Vec<String> {
        match self {
            Peer::Ipv4(c) => match c.as_literal() {
                Some(s) if s.parse::<Ipv4Net>().is_err() => vec![format!("{s:?} is not an IPv4 CIDR block")],
                _ => Vec::new(),
            },
            Peer::SecurityGroup(_) => Vec::new(),
        }
    }

    pub(super) fn is_any_ipv4(&self) -> bool {
        matches!(self, Peer::Ipv4(c) if c.as_literal() == Some("0.0.0.0/0"))
    }
}
