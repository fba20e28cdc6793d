//! Generated L1 resource types: construction, property maps, schema constraints, typed GetAtt.
#![cfg(all(feature = "ec2", feature = "elasticloadbalancingv2"))]

use proton_synth_constructs::cfn::{ec2, elasticloadbalancingv2 as elbv2};
use proton_synth_constructs::resource::check_props;
use proton_synth_constructs::{CfnResource, Expr, Stack, Value};

fn keys(e: &Expr) -> Vec<&str> {
    match e {
        Expr::Map(m) => m.keys().map(String::as_str).collect(),
        other => panic!("not a map: {other:?}"),
    }
}

#[test]
fn vpc_into_properties() {
    let vpc = ec2::Vpc {
        cidr_block: Some("10.0.0.0/16".into()),
        enable_dns_hostnames: Some(true.into()),
        instance_tenancy: Some(ec2::VpcInstanceTenancy::Default.into()),
        tags: Some(vec![ec2::vpc::Tag::new("Name", "main")]),
        ..ec2::Vpc::new()
    };
    let props = vpc.into_properties();
    // Schema property order; absent optionals are left out.
    assert_eq!(
        keys(&props),
        ["CidrBlock", "EnableDnsHostnames", "InstanceTenancy", "Tags"]
    );
    let Expr::Map(m) = &props else { unreachable!() };
    assert_eq!(m["CidrBlock"], Expr::Str("10.0.0.0/16".into()));
    assert_eq!(m["EnableDnsHostnames"], Expr::Bool(true));
    assert_eq!(m["InstanceTenancy"], Expr::Str("default".into()));
    let Expr::List(tags) = &m["Tags"] else {
        panic!("Tags is not a list")
    };
    assert_eq!(keys(&tags[0]), ["Key", "Value"]);
    assert_eq!(ec2::Vpc::TYPE_NAME, "AWS::EC2::VPC");
}

#[test]
fn required_properties_come_from_new() {
    let subnet = ec2::Subnet::new("vpc-123");
    assert_eq!(keys(&subnet.into_properties()), ["VpcId"]);
    let rule = ec2::SecurityGroupIngress {
        from_port: Some(443.into()),
        to_port: Some(443.into()),
        cidr_ip: Some("0.0.0.0/0".into()),
        ..ec2::SecurityGroupIngress::new("tcp")
    };
    assert_eq!(
        keys(&rule.into_properties()),
        ["CidrIp", "FromPort", "IpProtocol", "ToPort"]
    );
}

#[test]
fn props_carry_schema_enums() {
    let scheme = elbv2::LoadBalancer::PROPS
        .iter()
        .find(|p| p.name == "Scheme")
        .expect("Scheme spec");
    assert_eq!(scheme.allowed, ["internal", "internet-facing"]);
    assert_eq!(elbv2::LoadBalancerScheme::InternetFacing.as_str(), "internet-facing");
    let v: Value<String> = elbv2::LoadBalancerScheme::Internal.into();
    assert_eq!(v.as_literal(), Some("internal"));

    let lb = elbv2::LoadBalancer {
        scheme: Some("public".into()),
        ..elbv2::LoadBalancer::new()
    };
    let mut problems = Vec::new();
    check_props(&lb.into_properties(), elbv2::LoadBalancer::PROPS, "", &mut problems);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("Scheme"), "{problems:?}");
}

#[test]
fn nested_props_are_checked() {
    let tg = elbv2::TargetGroup {
        health_check_interval_seconds: Some(1.into()),
        ..elbv2::TargetGroup::new()
    };
    let mut problems = Vec::new();
    check_props(&tg.into_properties(), elbv2::TargetGroup::PROPS, "", &mut problems);
    assert!(
        problems.iter().any(|p| p.contains("HealthCheckIntervalSeconds")),
        "{problems:?}"
    );
}

#[test]
fn typed_get_att() {
    let mut stack = Stack::new("Net");
    let mut root = stack.root();
    let vpc = root.add(
        "Vpc",
        ec2::Vpc {
            cidr_block: Some("10.0.0.0/16".into()),
            ..ec2::Vpc::new()
        },
    );
    let assoc: Value<Vec<String>> = vpc.attr_cidr_block_associations();
    assert!(matches!(assoc.expr(), Expr::GetAtt(_, a) if a == "CidrBlockAssociations"));
    let ipv6: Value<Vec<String>> = vpc.attr_ipv6_cidr_blocks();
    assert!(matches!(ipv6.expr(), Expr::GetAtt(_, a) if a == "Ipv6CidrBlocks"));
    let lb = root.add("Lb", elbv2::LoadBalancer::new());
    assert!(matches!(lb.attr_dns_name().expr(), Expr::GetAtt(_, a) if a == "DNSName"));
    root.add(
        "Subnet",
        ec2::Subnet {
            cidr_block: Some("10.0.0.0/24".into()),
            ..ec2::Subnet::new(vpc.r#ref())
        },
    );
    let out = stack.synth().expect("synth");
    let json = out.to_json();
    let resources = json["Resources"].as_object().unwrap();
    assert_eq!(resources.len(), 3);
}

#[test]
fn schema_violations_fail_synth_naming_the_path() {
    let mut stack = Stack::new("Net");
    let mut root = stack.root();
    let mut lb_scope = root.child("PublicLb");
    lb_scope.add(
        "Resource",
        elbv2::LoadBalancer {
            scheme: Some("public".into()),
            ..elbv2::LoadBalancer::new()
        },
    );
    let errors = stack.synth().unwrap_err().to_string();
    assert_eq!(
        errors,
        "error: Net/PublicLb/Resource: AWS::ElasticLoadBalancingV2::LoadBalancer: property Scheme: \"public\" is not one of the allowed values: internal, internet-facing"
    );
}

fn errors(stack: &Stack) -> Vec<String> {
    match stack.synth() {
        Ok(_) => Vec::new(),
        Err(d) => d.0.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect(),
    }
}

#[test]
fn resources_stay_typed_and_the_schema_checks_the_final_values() {
    let mut stack = Stack::new("Net");
    let lb = stack.root().add("Lb", elbv2::LoadBalancer::new());
    assert_eq!(stack.l1(&lb).map(|l| l.scheme.is_none()), Some(true));
    // A value set after add() is what synthesis emits and checks.
    stack.l1_mut(&lb).expect("typed").scheme = Some("public".into());
    let errs = errors(&stack);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("error: Net/Lb: AWS::ElasticLoadBalancingV2::LoadBalancer: property Scheme"),
        "{errs:?}"
    );
    stack.l1_mut(&lb).expect("typed").scheme = Some(elbv2::LoadBalancerScheme::Internal.into());
    let out = stack.synth().expect("synth");
    assert_eq!(out.to_json()["Resources"]["Lb"]["Properties"]["Scheme"], "internal");
}

#[test]
fn a_handle_of_another_template_adds_nothing_to_this_one() {
    let mut other = Stack::new("Other");
    let foreign = other.root().add("Lb", elbv2::LoadBalancer::new());
    let mut stack = Stack::new("Net");
    stack.root().add("Vpc", ec2::Vpc::new());
    stack.resource_mut(&foreign).override_logical_id("Stray");
    assert!(stack.l1_mut(&foreign).is_none());
    assert_eq!(stack.resources().count(), 1);
    let errs = errors(&stack);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs.iter().all(|e| e.contains("another template")), "{errs:?}");
}

#[test]
fn properties_mut_is_an_escape_hatch_that_ends_typed_access() {
    let mut stack = Stack::new("Net");
    let vpc = stack.root().add("Vpc", ec2::Vpc::new());
    if let Expr::Map(m) = stack.resource_mut(&vpc).properties_mut() {
        m.insert("CidrBlock".to_owned(), Expr::Str("10.0.0.0/16".to_owned()));
    }
    let out = stack.synth().expect("synth");
    assert_eq!(
        out.to_json()["Resources"]["Vpc"]["Properties"]["CidrBlock"],
        "10.0.0.0/16"
    );
    assert!(stack.l1_mut(&vpc).is_none());
    let errs = errors(&stack);
    assert!(errs[0].contains("typed access to a AWS::EC2::VPC resource"), "{errs:?}");
}
