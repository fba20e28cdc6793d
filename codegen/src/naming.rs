//! Identifier conversion: CloudFormation names (`VPCGatewayAttachment`, `DNSName`, `internet-facing`) to
//! Rust identifiers (`VpcGatewayAttachment`, `dns_name`, `InternetFacing`).

/// Split a name into words: at non-alphanumeric characters, at lower→upper and digit→upper humps, and
/// before the last capital of an acronym followed by a lowercase letter (`DNSName` → `DNS`, `Name`).
/// An acronym followed by `v` and a digit stays one word (`IPv6Address` → `IPv6`, `Address`).
pub fn words(s: &str) -> Vec<String> {
    let cs: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in cs.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if !cur.is_empty() && c.is_ascii_uppercase() {
            let prev = cs[i - 1];
            let next = cs.get(i + 1).copied().unwrap_or(' ');
            let next2 = cs.get(i + 2).copied().unwrap_or(' ');
            let hump = prev.is_ascii_lowercase() || prev.is_ascii_digit();
            let acronym_end =
                prev.is_ascii_uppercase() && next.is_ascii_lowercase() && !(next == 'v' && next2.is_ascii_digit());
            if hump || acronym_end {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `VPCGatewayAttachment` → `VpcGatewayAttachment`, `internet-facing` → `InternetFacing`.
pub fn upper_camel(s: &str) -> String {
    let mut out = String::new();
    for w in words(s) {
        let mut chars = w.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    out
}

/// `DNSName` → `dns_name`, `CidrIpv6` → `cidr_ipv6`.
pub fn snake(s: &str) -> String {
    words(s)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn", "else", "enum",
    "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod", "move",
    "mut", "override", "priv", "pub", "ref", "return", "static", "struct", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// A snake_case name made a valid identifier: keywords become raw identifiers (`r#type`); the few that
/// cannot be raw (`self`, `super`, `crate`) and names starting with a digit get an underscore.
pub fn field_ident(snake: &str) -> String {
    if snake.is_empty() || snake.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{snake}")
    } else if matches!(snake, "self" | "super" | "crate" | "_") {
        format!("{snake}_")
    } else if KEYWORDS.contains(&snake) {
        format!("r#{snake}")
    } else {
        snake.to_owned()
    }
}

/// The enum variant for a string enum value, if the value can be made one (`internet-facing` →
/// `InternetFacing`); `None` for values such as `1` or `*`.
pub fn variant_ident(value: &str) -> Option<String> {
    let v = upper_camel(value);
    if v.is_empty() || v.starts_with(|c: char| c.is_ascii_digit()) || v == "Self" {
        None
    } else {
        Some(v)
    }
}

/// `AWS::EC2::VPC` → `AWS_EC2_VPC.json`: the vendored schema file of a type.
pub fn schema_file_name(type_name: &str) -> String {
    format!("{}.json", type_name.replace("::", "_"))
}

/// `AWS::ElasticLoadBalancingV2::LoadBalancer` → `elasticloadbalancingv2`: module and cargo feature name.
pub fn service_module(type_name: &str) -> String {
    type_name.split("::").nth(1).unwrap_or_default().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_camel_names() {
        assert_eq!(upper_camel("VPCGatewayAttachment"), "VpcGatewayAttachment");
        assert_eq!(upper_camel("VPC"), "Vpc");
        assert_eq!(upper_camel("EIP"), "Eip");
        assert_eq!(upper_camel("DNSName"), "DnsName");
        assert_eq!(upper_camel("IpProtocol"), "IpProtocol");
        assert_eq!(upper_camel("CidrIpv6"), "CidrIpv6");
        assert_eq!(upper_camel("AWSAccountId"), "AwsAccountId");
        assert_eq!(
            upper_camel("SubnetRouteTableAssociation"),
            "SubnetRouteTableAssociation"
        );
        assert_eq!(upper_camel("internet-facing"), "InternetFacing");
        assert_eq!(
            upper_camel("dualstack-without-public-ipv4"),
            "DualstackWithoutPublicIpv4"
        );
        assert_eq!(upper_camel("KMS_DSSE"), "KmsDsse");
        assert_eq!(upper_camel("aws:kms"), "AwsKms");
        assert_eq!(upper_camel("nodejs4.3-edge"), "Nodejs43Edge");
        assert_eq!(upper_camel("IPv6Address"), "Ipv6Address");
    }

    #[test]
    fn snake_names() {
        assert_eq!(snake("VPCGatewayAttachment"), "vpc_gateway_attachment");
        assert_eq!(snake("DNSName"), "dns_name");
        assert_eq!(snake("IpProtocol"), "ip_protocol");
        assert_eq!(snake("CidrIpv6"), "cidr_ipv6");
        assert_eq!(snake("AWSAccountId"), "aws_account_id");
        assert_eq!(snake("CanonicalHostedZoneID"), "canonical_hosted_zone_id");
        assert_eq!(snake("S3BucketName"), "s3_bucket_name");
        assert_eq!(snake("Ipv6CidrBlock"), "ipv6_cidr_block");
        assert_eq!(snake("PrivateIPv4Address"), "private_ipv4_address");
        assert_eq!(snake("EnableDns64"), "enable_dns64");
        assert_eq!(snake("OKActions"), "ok_actions");
        assert_eq!(snake("deadLetterTargetArn"), "dead_letter_target_arn");
        assert_eq!(snake("Endpoint.Address"), "endpoint_address");
    }

    #[test]
    fn identifiers() {
        assert_eq!(field_ident("type"), "r#type");
        assert_eq!(field_ident("match"), "r#match");
        assert_eq!(field_ident("self"), "self_");
        assert_eq!(field_ident("cidr_block"), "cidr_block");
        assert_eq!(variant_ident("internet-facing").as_deref(), Some("InternetFacing"));
        assert_eq!(variant_ident("14"), None);
        assert_eq!(variant_ident("*"), None);
        assert_eq!(variant_ident("self"), None);
        assert_eq!(schema_file_name("AWS::EC2::VPC"), "AWS_EC2_VPC.json");
        assert_eq!(
            service_module("AWS::ElasticLoadBalancingV2::LoadBalancer"),
            "elasticloadbalancingv2"
        );
    }
}
