//! The foundation L2 constructs: ec2 (Vpc, SecurityGroup, Connections), iam, logs, kms, s3, ecr.
//!
//! Every validation rule has a test asserting its exact message. `synthesized_templates_for_checkers` writes
//! the plain templates to `target/l2-templates/*.json` for cfn-lint and `scripts/security-check`.

use proton_synth_constructs::assertions::{Match, Template};
use proton_synth_constructs::ec2::{
    Connectable, Connections, ExplicitSubnet, NatGateways, Peer, Port, SecurityGroup, SecurityGroupProps, SubnetConfig,
    SubnetTier, Vpc, VpcProps,
};
use proton_synth_constructs::iam::{PolicyStatement, Principal, Role, RoleProps};
use proton_synth_constructs::logs::{LogGroup, LogGroupProps, RetentionDays};
use proton_synth_constructs::s3::{Bucket, BucketEncryption, BucketProps};
use proton_synth_constructs::synth::Mode;
use proton_synth_constructs::{ecr, kms, nag, Expr, Placeholder, PlaceholderKind, Stack, Value};
use serde_json::json;

fn errors_of(stack: &Stack) -> Vec<String> {
    match stack.synth(Mode::Plain) {
        Ok(_) => Vec::new(),
        Err(d) => d.0.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect(),
    }
}

fn warnings_of(stack: &Stack) -> Vec<String> {
    match stack.synth(Mode::Plain) {
        Ok(s) => s.warnings.iter().map(|d| d.to_string()).collect(),
        Err(d) => d.0.iter().filter(|d| !d.is_error()).map(|d| d.to_string()).collect(),
    }
}

fn template(stack: &Stack) -> Template {
    Template::from_stack(stack).unwrap_or_else(|e| panic!("synthesis failed:\n{e}"))
}

fn input(name: &str) -> Value<String> {
    Value::placeholder(Placeholder {
        jinja: format!("environment.inputs.{name}"),
        kind: PlaceholderKind::String,
        plain: Expr::Str(format!("input-{name}")),
    })
}

fn subnet_cidrs(t: &Template) -> Vec<String> {
    t.find_resources("AWS::EC2::Subnet")
        .iter()
        .map(|(_, r)| r["Properties"]["CidrBlock"].as_str().unwrap_or("?").to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Vpc
// ---------------------------------------------------------------------------------------------------------------

/// Layout: CDK's order — tier by tier, one subnet per AZ, allocated sequentially from the VPC range.
#[test]
fn default_vpc_has_public_and_private_tiers_over_two_azs() {
    let mut stack = Stack::new("Net");
    let vpc = Vpc::new(&mut stack.root(), "Vpc", VpcProps::default());
    let t = template(&stack);
    t.resource_count_is("AWS::EC2::VPC", 1).unwrap();
    t.resource_count_is("AWS::EC2::Subnet", 4).unwrap();
    assert_eq!(
        subnet_cidrs(&t),
        ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]
    );
    t.resource_count_is("AWS::EC2::NatGateway", 2).unwrap();
    t.resource_count_is("AWS::EC2::EIP", 2).unwrap();
    t.resource_count_is("AWS::EC2::InternetGateway", 1).unwrap();
    t.resource_count_is("AWS::EC2::VPCGatewayAttachment", 1).unwrap();
    t.resource_count_is("AWS::EC2::RouteTable", 4).unwrap();
    t.resource_count_is("AWS::EC2::SubnetRouteTableAssociation", 4).unwrap();
    t.resource_count_is("AWS::EC2::Route", 4).unwrap();
    t.resource_count_is("AWS::EC2::FlowLog", 1).unwrap();
    t.resource_count_is("AWS::Logs::LogGroup", 1).unwrap();
    t.has_resource_properties(
        "AWS::EC2::VPC",
        Match::object_like(json!({"CidrBlock": "10.0.0.0/16", "EnableDnsHostnames": true, "EnableDnsSupport": true})),
    )
    .unwrap();
    t.all_resources_properties(
        "AWS::EC2::Subnet",
        Match::object_like(json!({"MapPublicIpOnLaunch": false})),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::EC2::Subnet",
        Match::object_like(json!({
            "CidrBlock": "10.0.1.0/24",
            "AvailabilityZone": {"Fn::Select": [1, {"Fn::GetAZs": ""}]},
            "VpcId": {"Ref": "Vpc8378EB38"}
        })),
    )
    .unwrap();
    // Public routes go to the IGW after the attachment; private ones to the NAT gateway of their AZ.
    t.has_resource(
        "AWS::EC2::Route",
        Match::object_like(json!({
            "Properties": {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": {"Ref": "VpcIGWD7BA715C"}},
            "DependsOn": ["VpcVPCGWBF912B6E"]
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::EC2::Route",
        Match::object_like(json!({
            "RouteTableId": {"Ref": "VpcPrivateSubnet2RouteTableA678073B"},
            "NatGatewayId": {"Ref": "VpcPublicSubnet2NATGateway9182C01D"}
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::EC2::FlowLog",
        Match::object_like(json!({
            "ResourceType": "VPC",
            "TrafficType": "ALL",
            "LogDestinationType": "cloud-watch-logs",
            "DeliverLogsPermissionArn": {"Fn::GetAtt": ["VpcFlowLogIAMRole6A475D41", "Arn"]}
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::Logs::LogGroup",
        Match::object_like(json!({"RetentionInDays": 365})),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::IAM::Policy",
        Match::object_like(json!({"PolicyDocument": {"Statement": [{
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": {"Fn::GetAtt": ["VpcFlowLogLogGroup7B5C56B9", "Arn"]}
        }]}})),
    )
    .unwrap();
    let r = vpc.as_ref();
    assert_eq!(r.public_subnet_ids.len(), 2);
    assert_eq!(r.private_subnet_ids.len(), 2);
    assert!(r.isolated_subnet_ids.is_empty());
    assert_eq!(vpc.cidr().as_literal(), Some("10.0.0.0/16"));
}

#[test]
fn vpc_tiers_are_allocated_in_order_with_alignment() {
    let mut stack = Stack::new("Net");
    Vpc::new(
        &mut stack.root(),
        "Vpc",
        VpcProps {
            cidr: "10.20.0.0/16".to_owned(),
            max_azs: 3,
            subnet_configuration: vec![
                SubnetConfig::new("Ingress", SubnetTier::Public, 26),
                SubnetConfig::new("App", SubnetTier::PrivateWithEgress, 20),
                SubnetConfig::new("Data", SubnetTier::Isolated, 28),
            ],
            nat_gateways: NatGateways::One,
            flow_logs: None,
            ..VpcProps::default()
        },
    );
    let t = template(&stack);
    assert_eq!(
        subnet_cidrs(&t),
        [
            "10.20.0.0/26",
            "10.20.0.64/26",
            "10.20.0.128/26",
            "10.20.16.0/20",
            "10.20.32.0/20",
            "10.20.48.0/20",
            "10.20.64.0/28",
            "10.20.64.16/28",
            "10.20.64.32/28",
        ]
    );
    t.resource_count_is("AWS::EC2::NatGateway", 1).unwrap();
    // Private routes of all three AZs use the one NAT gateway; isolated subnets have no default route.
    t.resource_count_is("AWS::EC2::Route", 6).unwrap();
    t.resource_count_is("AWS::EC2::FlowLog", 0).unwrap();
}

#[test]
fn vpc_validation_messages() {
    let cases: Vec<(VpcProps, &str)> = vec![
        (
            VpcProps {
                cidr: "10.0.0.0/33".to_owned(),
                ..VpcProps::default()
            },
            "error: S/Vpc: VPC CIDR \"10.0.0.0/33\" is not a valid IPv4 CIDR block",
        ),
        (
            VpcProps {
                cidr: "10.0.0.1/16".to_owned(),
                ..VpcProps::default()
            },
            "error: S/Vpc: VPC CIDR \"10.0.0.1/16\" has host bits set; did you mean 10.0.0.0/16?",
        ),
        (
            VpcProps {
                cidr: "10.0.0.0/8".to_owned(),
                ..VpcProps::default()
            },
            "error: S/Vpc: VPC CIDR \"10.0.0.0/8\": the prefix must be /16–/28",
        ),
        (
            VpcProps {
                subnet_configuration: vec![SubnetConfig::new("Tiny", SubnetTier::Isolated, 29)],
                nat_gateways: NatGateways::None,
                ..VpcProps::default()
            },
            "error: S/Vpc: subnet tier \"Tiny\": /29 is outside /16–/28",
        ),
        (
            VpcProps {
                cidr: "10.0.0.0/24".to_owned(),
                subnet_configuration: vec![SubnetConfig::new("Big", SubnetTier::Isolated, 20)],
                nat_gateways: NatGateways::None,
                ..VpcProps::default()
            },
            "error: S/Vpc: subnet tier \"Big\": /20 is larger than the VPC /24",
        ),
        (
            VpcProps {
                cidr: "10.0.0.0/22".to_owned(),
                max_azs: 3,
                ..VpcProps::default()
            },
            "error: S/Vpc: subnets need 1536 addresses, the VPC /22 has 1024",
        ),
        (
            VpcProps {
                max_azs: 7,
                ..VpcProps::default()
            },
            "error: S/Vpc: the number of availability zones must be 1–6, not 7",
        ),
        (
            VpcProps {
                max_azs: 0,
                ..VpcProps::default()
            },
            "error: S/Vpc: the number of availability zones must be 1–6, not 0",
        ),
        (
            VpcProps {
                nat_gateways: NatGateways::None,
                ..VpcProps::default()
            },
            "error: S/Vpc: private-with-egress subnets need NAT gateways; set nat_gateways or use SubnetTier::Isolated",
        ),
        (
            VpcProps {
                subnet_configuration: vec![SubnetConfig::new("App", SubnetTier::PrivateWithEgress, 24)],
                ..VpcProps::default()
            },
            "error: S/Vpc: NAT gateways need a public subnet tier",
        ),
        (
            VpcProps {
                subnet_configuration: vec![SubnetConfig::new("Data", SubnetTier::Isolated, 24)],
                map_public_ip_on_launch: true,
                ..VpcProps::default()
            },
            "error: S/Vpc: map_public_ip_on_launch needs a public subnet tier",
        ),
        (
            VpcProps {
                subnet_configuration: vec![
                    SubnetConfig::new("A", SubnetTier::Public, 24),
                    SubnetConfig::new("A", SubnetTier::Isolated, 24),
                ],
                ..VpcProps::default()
            },
            "error: S/Vpc: subnet tier name \"A\" is used twice",
        ),
        (
            VpcProps {
                cidr_block_value: Some(input("vpc_cidr")),
                subnet_configuration: vec![
                    SubnetConfig::new("Public", SubnetTier::Public, 24),
                    SubnetConfig::new("Private", SubnetTier::PrivateWithEgress, 20),
                ],
                ..VpcProps::default()
            },
            "error: S/Vpc: subnets computed from a VPC CIDR value need the same cidr_mask in every tier (Fn::Cidr carves equal blocks); use explicit_subnets otherwise",
        ),
    ];
    for (props, expected) in cases {
        let mut stack = Stack::new("S");
        Vpc::new(&mut stack.root(), "Vpc", props);
        let errors = errors_of(&stack);
        assert!(
            errors.iter().any(|e| e == expected),
            "expected {expected:?}, got {errors:#?}"
        );
    }
}

#[test]
fn explicit_subnets_validate_literals_and_accept_placeholders() {
    let explicit = |cidr_a: Value<String>, cidr_b: Value<String>| VpcProps {
        cidr: "10.0.0.0/16".to_owned(),
        explicit_subnets: vec![
            ExplicitSubnet {
                name: "SubnetOne".to_owned(),
                tier: SubnetTier::Public,
                cidr: cidr_a,
                az_index: 0,
            },
            ExplicitSubnet {
                name: "SubnetTwo".to_owned(),
                tier: SubnetTier::Public,
                cidr: cidr_b,
                az_index: 1,
            },
        ],
        nat_gateways: NatGateways::None,
        ..VpcProps::default()
    };
    // Placeholders (AWS Proton inputs) are taken as is.
    let mut stack = Stack::new("Env");
    Vpc::new(
        &mut stack.root(),
        "Vpc",
        VpcProps {
            cidr_block_value: Some(input("vpc_cidr")),
            ..explicit(input("subnet_one_cidr"), input("subnet_two_cidr"))
        },
    );
    let t = template(&stack);
    assert_eq!(subnet_cidrs(&t), ["input-subnet_one_cidr", "input-subnet_two_cidr"]);
    t.has_resource_properties(
        "AWS::EC2::VPC",
        Match::object_like(json!({"CidrBlock": "input-vpc_cidr"})),
    )
    .unwrap();
    let bundle = stack.synth(Mode::Bundle).unwrap().template;
    assert_eq!(
        bundle["Resources"]["VpcSubnetOneSubnet061416D3"]["Properties"]["CidrBlock"],
        json!({"::jinja": "{{ environment.inputs.subnet_one_cidr | tojson }}"})
    );

    // Literal CIDRs are checked: overlap and fit.
    let mut stack = Stack::new("S");
    Vpc::new(
        &mut stack.root(),
        "Vpc",
        explicit(Value::from("10.0.0.0/24"), Value::from("10.0.0.128/25")),
    );
    assert_eq!(
        errors_of(&stack),
        ["error: S/Vpc: subnet \"SubnetTwo\": 10.0.0.128/25 overlaps subnet \"SubnetOne\" (10.0.0.0/24)"]
    );
    let mut stack = Stack::new("S");
    Vpc::new(
        &mut stack.root(),
        "Vpc",
        explicit(Value::from("10.1.0.0/24"), Value::from("nonsense")),
    );
    assert_eq!(
        errors_of(&stack),
        [
            "error: S/Vpc: subnet \"SubnetOne\": 10.1.0.0/24 is not inside the VPC 10.0.0.0/16",
            "error: S/Vpc: subnet \"SubnetTwo\": \"nonsense\" is not a valid IPv4 CIDR block",
        ]
    );
    let mut stack = Stack::new("S");
    let mut props = explicit(Value::from("10.0.0.0/24"), Value::from("10.0.1.0/24"));
    props.explicit_subnets[1].az_index = 2;
    Vpc::new(&mut stack.root(), "Vpc", props);
    assert_eq!(
        errors_of(&stack),
        ["error: S/Vpc: subnet \"SubnetTwo\": az_index 2 is out of range for 2 availability zone(s)"]
    );
}

#[test]
fn public_ips_on_launch_only_when_asked_and_then_suppressed() {
    let mut stack = Stack::new("Net");
    Vpc::new(
        &mut stack.root(),
        "Vpc",
        VpcProps {
            map_public_ip_on_launch: true,
            availability_zones: vec!["eu-west-1a".to_owned()],
            ..VpcProps::default()
        },
    );
    let t = template(&stack);
    t.has_resource(
        "AWS::EC2::Subnet",
        Match::object_like(json!({
            "Properties": {"MapPublicIpOnLaunch": true, "AvailabilityZone": "eu-west-1a"},
            "Metadata": {"guard": {"SuppressedRules": ["CT.EC2.PR.11"]}}
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::EC2::Subnet",
        Match::object_like(json!({"MapPublicIpOnLaunch": false})),
    )
    .unwrap();
}

#[test]
fn s3_gateway_endpoint_covers_every_route_table() {
    let mut stack = Stack::new("Net");
    Vpc::new(
        &mut stack.root(),
        "Vpc",
        VpcProps {
            s3_gateway_endpoint: true,
            flow_logs: None,
            ..VpcProps::default()
        },
    );
    let t = template(&stack);
    let eps = t.find_resources("AWS::EC2::VPCEndpoint");
    assert_eq!(eps.len(), 1);
    assert_eq!(eps[0].1["Properties"]["VpcEndpointType"], "Gateway");
    assert_eq!(eps[0].1["Properties"]["RouteTableIds"].as_array().unwrap().len(), 4);
}

// ---------------------------------------------------------------------------------------------------------------
// Security groups and connections
// ---------------------------------------------------------------------------------------------------------------

fn sg(scope: &mut proton_synth_constructs::Scope, id: &str, vpc_id: Value<String>) -> SecurityGroup {
    SecurityGroup::new(
        scope,
        id,
        SecurityGroupProps {
            vpc_id,
            description: format!("{id} group"),
            ..SecurityGroupProps::default()
        },
    )
}

#[test]
fn security_group_restricts_egress_by_default() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    sg(&mut root, "Sg", input("vpc_id"));
    SecurityGroup::new(
        &mut root,
        "Open",
        SecurityGroupProps {
            vpc_id: input("vpc_id"),
            description: "open".to_owned(),
            allow_all_outbound: true,
            ..SecurityGroupProps::default()
        },
    );
    let t = template(&stack);
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        Match::exact(json!({
            "GroupDescription": "Sg group",
            "SecurityGroupEgress": [{
                "CidrIp": "255.255.255.255/32",
                "Description": "Disallow all traffic",
                "FromPort": 252,
                "IpProtocol": "icmp",
                "ToPort": 86
            }],
            "VpcId": "input-vpc_id"
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        Match::object_like(
            json!({"SecurityGroupEgress": [{"CidrIp": "0.0.0.0/0", "IpProtocol": "-1",
            "Description": "Allow all outbound traffic by default"}]}),
        ),
    )
    .unwrap();
}

#[test]
fn security_group_validation_messages() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    SecurityGroup::new(&mut root, "NoDesc", SecurityGroupProps::default());
    let a = sg(&mut root, "A", input("vpc_id"));
    a.add_ingress_rule(root.stack(), Peer::ipv4("10.0.0.0/16"), Port::tcp(0), "zero");
    a.add_ingress_rule(
        root.stack(),
        Peer::ipv4("10.0.0.0/16"),
        Port::tcp_range(90, 80),
        "reversed",
    );
    a.add_ingress_rule(root.stack(), Peer::ipv4("10.0.0.0/33"), Port::tcp(443), "bad cidr");
    a.add_ingress_rule(root.stack(), Peer::ipv4("10.1.0.0/16"), Port::tcp(443), " ");
    a.add_egress_rule(
        root.stack(),
        Peer::ipv4("10.2.0.0/16"),
        Port::tcp_value(Value::from_expr(Expr::Int(70000))),
        "big",
    );
    assert_eq!(
        errors_of(&stack),
        [
            "error: S/NoDesc: a security group needs a description (cdk-nag EC27)",
            "error: S/NoDesc: vpc_id is required",
            "error: S/AFrom10.0.0.0_16:tcp0: port 0 is outside 1–65535",
            "error: S/AFrom10.0.0.0_16:tcp90-80: port range 90-80 is reversed: the start is above the end",
            "error: S/AFrom10.0.0.0_33:tcp443: \"10.0.0.0/33\" is not an IPv4 CIDR block",
            "error: S/AFrom10.1.0.0_16:tcp443: security group rule needs a description (checkov CKV_AWS_23)",
            "error: S/ATo10.2.0.0_16:tcp70000: port 70000 is outside 1–65535",
        ]
    );
}

#[test]
fn allow_from_emits_one_ingress_and_the_matching_egress() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    let lb = sg(&mut root, "LbSg", input("vpc_id"));
    let svc = sg(&mut root, "ServiceSg", input("vpc_id"));
    svc.connections()
        .allow_from(root.stack(), &lb, Port::tcp(8080), "from the load balancer");
    // Same rule twice: emitted once.
    svc.connections()
        .allow_from(root.stack(), &lb, Port::tcp(8080), "from the load balancer");
    let t = template(&stack);
    t.resource_count_is("AWS::EC2::SecurityGroupIngress", 1).unwrap();
    t.resource_count_is("AWS::EC2::SecurityGroupEgress", 1).unwrap();
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        Match::exact(json!({
            "Description": "from the load balancer",
            "FromPort": 8080,
            "GroupId": {"Fn::GetAtt": ["ServiceSg2632F788", "GroupId"]},
            "IpProtocol": "tcp",
            "SourceSecurityGroupId": {"Fn::GetAtt": ["LbSg2402C069", "GroupId"]},
            "ToPort": 8080
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        Match::exact(json!({
            "Description": "from the load balancer",
            "DestinationSecurityGroupId": {"Fn::GetAtt": ["ServiceSg2632F788", "GroupId"]},
            "FromPort": 8080,
            "GroupId": {"Fn::GetAtt": ["LbSg2402C069", "GroupId"]},
            "IpProtocol": "tcp",
            "ToPort": 8080
        })),
    )
    .unwrap();
}

#[test]
fn rules_added_through_the_stack_go_to_the_root_in_the_groups_loop() {
    let mut stack = Stack::new("S");
    let lp = stack.add_loop("service_instance", "service_instances");
    let looped = sg(&mut stack.root_in_loop(&lp), "TaskSg", input("vpc_id"));
    let plain = sg(&mut stack.root().child("Lb"), "Sg", input("vpc_id"));
    let ingress = looped
        .add_ingress_rule(&mut stack, Peer::ipv4("10.0.0.0/16"), Port::tcp(80), "vpc")
        .unwrap();
    let egress = plain
        .add_egress_rule(&mut stack, Peer::ipv4("10.0.0.0/16"), Port::tcp(80), "vpc")
        .unwrap();
    // A rule between a looped and a plain group references both: each side's rule repeats in the loop.
    looped
        .connections()
        .allow_from(&mut stack, &plain, Port::tcp(8080), "from the load balancer");
    let entry = stack.resource(&ingress).unwrap();
    assert_eq!(entry.path(), "TaskSgFrom10.0.0.0_16:tcp80");
    assert_eq!(entry.loop_handle(&stack), Some(lp));
    let entry = stack.resource(&egress).unwrap();
    assert_eq!(entry.path(), "LbSgTo10.0.0.0_16:tcp80");
    assert_eq!(entry.loop_handle(&stack), None);
    let t = template(&stack);
    t.resource_count_is("AWS::EC2::SecurityGroupIngress", 2).unwrap();
    t.resource_count_is("AWS::EC2::SecurityGroupEgress", 2).unwrap();
    let looped_rules = stack
        .resources()
        .filter(|e| e.loop_handle(&stack).is_some())
        .map(|e| e.path().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(
        looped_rules,
        [
            "TaskSg/Resource",
            "TaskSgFrom10.0.0.0_16:tcp80",
            "TaskSgFromLbSg:tcp8080",
            "LbSgToTaskSg:tcp8080"
        ]
    );
}

#[test]
fn imported_groups_get_no_egress_rules() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    let imported = SecurityGroup::from_id(input("lb_security_group"));
    let svc = sg(&mut root, "ServiceSg", input("vpc_id"));
    svc.connections().allow_from(
        root.stack(),
        &imported,
        Port::tcp_value(Value::from_expr(Expr::Int(80))),
        "lb",
    );
    // allow_to towards an imported group: egress here, ingress on the imported group (in this template).
    svc.connections()
        .allow_to(root.stack(), &imported, Port::tcp(5432), "db");
    let t = template(&stack);
    t.resource_count_is("AWS::EC2::SecurityGroupIngress", 2).unwrap();
    t.resource_count_is("AWS::EC2::SecurityGroupEgress", 1).unwrap();
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        Match::object_like(json!({"GroupId": "input-lb_security_group", "FromPort": 5432})),
    )
    .unwrap();
    let ids = stack.synth(Mode::Plain).unwrap().logical_ids;
    assert!(
        ids.contains_key("ServiceSgFromImportedlbsecuritygroup:tcp80"),
        "{ids:#?}"
    );
}

#[test]
fn public_listener_ingress_is_suppressed_with_reason() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    let lb = sg(&mut root, "LbSg", input("vpc_id"));
    let conns = Connections::new(vec![lb.clone()]);
    conns.allow_from_any_ipv4(root.stack(), Port::tcp(80), "public HTTP listener");
    let t = template(&stack);
    t.has_resource(
        "AWS::EC2::SecurityGroupIngress",
        Match::object_like(json!({
            "Properties": {"CidrIp": "0.0.0.0/0", "FromPort": 80, "ToPort": 80, "Description": "public HTTP listener"},
            "Metadata": {
                "checkov": {"skip": [{"id": "CKV_AWS_260", "comment": proton_synth_constructs::ec2::PUBLIC_LISTENER_REASON}]}
            }
        })),
    )
    .unwrap();
    assert!(warnings_of(&stack).is_empty());
    let rule = &t.find_resources("AWS::EC2::SecurityGroupIngress")[0].1;
    assert!(
        rule["Metadata"].get("guard").is_none(),
        "port 80 raises no Control Tower finding"
    );

    // A high-risk port gets the Control Tower suppressions too.
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    let lb = sg(&mut root, "LbSg", input("vpc_id"));
    lb.connections()
        .allow_from_any_ipv4(root.stack(), Port::tcp(8080), "public listener on 8080");
    template(&stack)
        .has_resource(
            "AWS::EC2::SecurityGroupIngress",
            Match::object_like(json!({"Metadata": {"guard": {
                "SuppressedRules": ["CT.EC2.PR.3", "CT.EC2.PR.4"],
                "Reasons": {"CT.EC2.PR.3": proton_synth_constructs::ec2::PUBLIC_LISTENER_REASON,
                            "CT.EC2.PR.4": proton_synth_constructs::ec2::PUBLIC_LISTENER_REASON}
            }}})),
        )
        .unwrap();

    // The plain API gives no suppression and warns.
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    let a = sg(&mut root, "A", input("vpc_id"));
    a.add_ingress_rule(root.stack(), Peer::any_ipv4(), Port::tcp(22), "ssh");
    assert_eq!(
        warnings_of(&stack),
        ["warning: S/AFromAnyIpv4:tcp22: ingress from 0.0.0.0/0: use Connections::allow_from_any_ipv4 for a public listener, or restrict the peer"]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// IAM
// ---------------------------------------------------------------------------------------------------------------

fn task_role(scope: &mut proton_synth_constructs::Scope) -> Role {
    Role::new(
        scope,
        "TaskRole",
        RoleProps {
            assumed_by: Principal::service("ecs-tasks.amazonaws.com"),
            description: Some("task role".to_owned()),
            ..RoleProps::default()
        },
    )
}

#[test]
fn role_default_policy_is_created_once_and_statements_merge() {
    let mut stack = Stack::new("S");
    let role = task_role(&mut stack.root());
    role.add_to_policy(
        &mut stack,
        PolicyStatement::allow(&["s3:GetObject"], [Value::from("arn:aws:s3:::b/*")]),
    );
    role.add_to_policy(
        &mut stack,
        PolicyStatement::allow(&["s3:PutObject", "s3:GetObject"], [Value::from("arn:aws:s3:::b/*")]),
    );
    role.add_to_policy(
        &mut stack,
        PolicyStatement::allow(&["sqs:SendMessage"], [Value::from("arn:aws:sqs:eu-west-1:1:q")]),
    );
    let t = template(&stack);
    t.resource_count_is("AWS::IAM::Policy", 1).unwrap();
    t.has_resource_properties(
        "AWS::IAM::Role",
        Match::exact(json!({
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"
            }]},
            "Description": "task role"
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::IAM::Policy",
        Match::exact(json!({
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"},
                {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:eu-west-1:1:q"}
            ]},
            "PolicyName": "TaskRoleDefaultPolicy",
            "Roles": [{"Ref": "TaskRole30FC0FBB"}]
        })),
    )
    .unwrap();
    let ids = stack.synth(Mode::Plain).unwrap().logical_ids;
    assert_eq!(ids["TaskRole/DefaultPolicy"], "TaskRoleDefaultPolicy6AA76696");
}

#[test]
fn iam_validation_messages() {
    let mut stack = Stack::new("S");
    let role = task_role(&mut stack.root());
    role.add_to_policy(
        &mut stack,
        PolicyStatement::allow(&["*"], [Value::from("arn:aws:s3:::b")]),
    );
    role.add_to_policy(
        &mut stack,
        PolicyStatement::allow(&["s3:PutObject", "ecr:GetAuthorizationToken"], [Value::from("*")]),
    );
    role.add_to_policy(
        &mut stack,
        PolicyStatement::allow(&["ecr:GetAuthorizationToken"], [Value::from("*")]),
    );
    role.add_to_policy(&mut stack, PolicyStatement::allow(&[], Vec::new()));
    Role::new(&mut stack.root(), "NoPrincipal", RoleProps::default());
    Role::new(
        &mut stack.root(),
        "LongSession",
        RoleProps {
            assumed_by: Principal::this_account(),
            max_session_duration: Some(100),
            ..RoleProps::default()
        },
    );
    assert_eq!(
        errors_of(&stack),
        [
            "error: S/TaskRole/DefaultPolicy: policy statement uses Action \"*\"; list the actions it needs",
            "error: S/TaskRole/DefaultPolicy: policy statement allows s3:PutObject on Resource \"*\"; scope it to resource ARNs (only actions without resource-level permissions may use \"*\")",
            "error: S/TaskRole/DefaultPolicy: policy statement has no actions",
            "error: S/TaskRole/DefaultPolicy: policy statement has no resources",
            "error: S/NoPrincipal: assumed_by: a principal is required (e.g. Principal::service(\"ecs-tasks.amazonaws.com\"))",
            "error: S/LongSession: max_session_duration 100 is outside 3600–43200 seconds",
        ]
    );
}

#[test]
fn grants_to_an_imported_role_warn_at_the_grant() {
    let mut stack = Stack::new("S");
    let bucket = Bucket::new(
        &mut stack.root(),
        "Data",
        BucketProps {
            no_access_logs_reason: Some("test".to_owned()),
            ..BucketProps::default()
        },
    );
    let mut imported = Role::from_arn(Value::from("arn:aws:iam::123456789012:role/service-role/app"));
    assert_eq!(imported.name().as_literal(), Some("app"));
    let grant = bucket.grant_read(&mut stack, &mut imported);
    assert!(!grant.success());
    assert_eq!(grant.actions(), ["s3:GetObject*", "s3:GetBucket*", "s3:List*"]);
    assert_eq!(
        warnings_of(&stack),
        ["warning: S/Data: could not add a policy for s3:GetObject*, s3:GetBucket*, s3:List* to role arn:aws:iam::123456789012:role/service-role/app (imported); grant these permissions outside this template"]
    );
    template(&stack).resource_count_is("AWS::IAM::Policy", 0).unwrap();
}

#[test]
fn grants_to_a_role_granted_elsewhere_are_skipped_silently() {
    let mut stack = Stack::new("S");
    let bucket = Bucket::new(
        &mut stack.root(),
        "Data",
        BucketProps {
            no_access_logs_reason: Some("test".to_owned()),
            ..BucketProps::default()
        },
    );
    let mut role = Role::from_arn_granted_elsewhere(
        Value::from("arn:aws:iam::123456789012:role/exec"),
        "the environment's execution role reads every bucket of the environment",
    );
    assert!(!bucket.grant_read(&mut stack, &mut role).success());
    assert!(warnings_of(&stack).is_empty(), "{:?}", warnings_of(&stack));
    assert_eq!(
        role.granted_elsewhere_reason(),
        Some("the environment's execution role reads every bucket of the environment")
    );
    template(&stack).resource_count_is("AWS::IAM::Policy", 0).unwrap();
}

#[test]
fn a_role_of_another_template_is_an_error() {
    let mut producer = Stack::new("P");
    let role = task_role(&mut producer.root());
    let mut consumer = Stack::new("C");
    assert!(!role.add_to_policy(
        &mut consumer,
        PolicyStatement::allow(&["s3:GetObject"], [Value::from("arn:aws:s3:::b/*")])
    ));
    assert_eq!(
        errors_of(&consumer),
        ["error: C: role TaskRole belongs to another template than \"C\"; import it there with Role::from_arn"]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Logs and KMS
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn log_group_defaults_to_a_year_and_suppresses_kms_with_reason() {
    let mut stack = Stack::new("S");
    let lg = LogGroup::new(&mut stack.root(), "Logs", LogGroupProps::default());
    let mut role = task_role(&mut stack.root());
    assert!(lg.grant_write(&mut stack, &mut role).success());
    let t = template(&stack);
    t.has_resource(
        "AWS::Logs::LogGroup",
        Match::object_like(json!({
            "Properties": {"RetentionInDays": 365},
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Metadata": {
                "guard": {"SuppressedRules": ["CT.CLOUDWATCH.PR.3"],
                          "Reasons": {"CT.CLOUDWATCH.PR.3": proton_synth_constructs::logs::NO_KMS_REASON}},
                "checkov": {"skip": [{"id": "CKV_AWS_158", "comment": proton_synth_constructs::logs::NO_KMS_REASON}]}
            }
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::IAM::Policy",
        Match::object_like(json!({"PolicyDocument": {"Statement": [{
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": ["Logs6819BB44", "Arn"]}
        }]}})),
    )
    .unwrap();
    assert_eq!(RetentionDays::from_days(731), Some(RetentionDays::TwoYears));
    assert_eq!(RetentionDays::from_days(365), Some(RetentionDays::default()));
    assert_eq!(RetentionDays::from_days(2), None);
    let imported = LogGroup::from_name(Value::from("/aws/app"));
    assert_eq!(imported.name().as_literal(), Some("/aws/app"));
}

#[test]
fn log_group_with_a_key_extends_the_key_policy() {
    let mut stack = Stack::new("S");
    let key = kms::Key::new(
        &mut stack.root(),
        "Key",
        kms::KeyProps {
            description: Some("logs key".to_owned()),
            alias: Some("app/logs".to_owned()),
            ..kms::KeyProps::default()
        },
    );
    LogGroup::new(
        &mut stack.root(),
        "Logs",
        LogGroupProps {
            kms_key: Some(key.clone()),
            retention: RetentionDays::TwoWeeks,
            ..LogGroupProps::default()
        },
    );
    let t = template(&stack);
    t.has_resource(
        "AWS::Logs::LogGroup",
        Match::object_like(json!({
            "Properties": {"KmsKeyId": {"Fn::GetAtt": ["Key961B73FD", "Arn"]}, "RetentionInDays": 14},
            "Metadata": {"guard": {"SuppressedRules": ["CT.CLOUDWATCH.PR.2"]}}
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::KMS::Key",
        Match::object_like(json!({
            "EnableKeyRotation": true,
            "Description": "logs key",
        })),
    )
    .unwrap();
    let keys = t.find_resources("AWS::KMS::Key");
    let statements = keys[0].1["Properties"]["KeyPolicy"]["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 3);
    assert_eq!(statements[0]["Action"], "kms:*");
    assert_eq!(
        statements[0]["Principal"],
        json!({"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}})
    );
    assert_eq!(
        statements[1],
        json!({"Sid": "GrantsOnlyForAwsServices", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:CreateGrant",
            "Resource": "*", "Condition": {"BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}}})
    );
    assert_eq!(
        statements[2]["Principal"],
        json!({"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}})
    );
    t.has_resource_properties(
        "AWS::KMS::Alias",
        Match::object_like(json!({"AliasName": "alias/app/logs"})),
    )
    .unwrap();
}

#[test]
fn kms_validation_and_grants() {
    let mut stack = Stack::new("S");
    let key = kms::Key::new(
        &mut stack.root(),
        "Key",
        kms::KeyProps {
            alias: Some("aws/mine".to_owned()),
            pending_window_days: Some(3),
            ..kms::KeyProps::default()
        },
    );
    assert_eq!(
        errors_of(&stack),
        [
            "error: S/Key: pending_window_days 3 is outside 7–30",
            "error: S/Key: alias \"alias/aws/mine\" uses the reserved prefix alias/aws/",
        ]
    );
    let mut stack = Stack::new("S");
    let key2 = kms::Key::new(&mut stack.root(), "Key", kms::KeyProps::default());
    let mut role = task_role(&mut stack.root());
    assert!(key2.grant_decrypt(&mut stack, &mut role).success());
    assert!(key2.grant_encrypt_decrypt(&mut stack, &mut role).success());
    let t = template(&stack);
    t.has_resource_properties(
        "AWS::IAM::Policy",
        Match::object_like(json!({"PolicyDocument": {"Statement": [{
            "Effect": "Allow",
            "Action": kms::ENCRYPT_DECRYPT_ACTIONS.iter().fold(vec!["kms:Decrypt", "kms:DescribeKey"], |mut v, a| {
                if !v.contains(a) { v.push(a) }
                v
            }),
            "Resource": {"Fn::GetAtt": ["Key961B73FD", "Arn"]}
        }]}})),
    )
    .unwrap();
    drop(key);
}

// ---------------------------------------------------------------------------------------------------------------
// S3
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn bucket_is_secure_by_default_with_tls_only_policy() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    let logs = Bucket::new_access_log_bucket(&mut root, "AccessLogs");
    let bucket = Bucket::new(
        &mut root,
        "MyBucket",
        BucketProps {
            server_access_logs: Some((logs, "my-bucket/".to_owned())),
            ..BucketProps::default()
        },
    );
    let t = template(&stack);
    t.resource_count_is("AWS::S3::Bucket", 2).unwrap();
    t.resource_count_is("AWS::S3::BucketPolicy", 2).unwrap();
    t.has_resource(
        "AWS::S3::Bucket",
        Match::object_like(json!({
            "Properties": {
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "LifecycleConfiguration": {"Rules": [{"Id": "DefaultRule", "Status": "Enabled",
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]},
                "LoggingConfiguration": {"DestinationBucketName": {"Ref": "AccessLogs8B620ECA"}, "LogFilePrefix": "my-bucket/"}
            },
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain"
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::S3::BucketPolicy",
        Match::exact(json!({
            "Bucket": {"Ref": "MyBucketF68F3FF0"},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": [
                    {"Fn::GetAtt": ["MyBucketF68F3FF0", "Arn"]},
                    {"Fn::Join": ["", [{"Fn::GetAtt": ["MyBucketF68F3FF0", "Arn"]}, "/*"]]}
                ],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}
            }]}
        })),
    )
    .unwrap();
    // The log bucket lets S3 log delivery write, and suppresses logging itself.
    t.has_resource(
        "AWS::S3::Bucket",
        Match::object_like(json!({"Metadata": {"guard": {"SuppressedRules": ["CT.S3.PR.4", "CT.S3.PR.9", "CT.S3.PR.10", "CT.S3.PR.2"]}}})),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::S3::BucketPolicy",
        Match::object_like(json!({"Bucket": {"Ref": "AccessLogs8B620ECA"}})),
    )
    .unwrap();
    assert_eq!(
        bucket.arn_for_objects("*").into_expr(),
        proton_synth_constructs::fns::join("", [bucket.arn(), Value::from("/*")]).into_expr()
    );
}

#[test]
fn bucket_grants_include_the_key() {
    let mut stack = Stack::new("S");
    let key = kms::Key::new(&mut stack.root(), "Key", kms::KeyProps::default());
    let bucket = Bucket::new(
        &mut stack.root(),
        "Data",
        BucketProps {
            encryption: BucketEncryption::Kms(key),
            no_access_logs_reason: Some("test bucket".to_owned()),
            ..BucketProps::default()
        },
    );
    let mut role = task_role(&mut stack.root());
    assert!(bucket.grant_read_write(&mut stack, &mut role).success());
    let t = template(&stack);
    t.resource_count_is("AWS::IAM::Policy", 1).unwrap();
    let policies = t.find_resources("AWS::IAM::Policy");
    let statements = policies[0].1["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    assert_eq!(statements.len(), 2, "{statements:#?}");
    assert_eq!(
        statements[0]["Action"],
        json!([
            "s3:GetObject*",
            "s3:GetBucket*",
            "s3:List*",
            "s3:DeleteObject*",
            "s3:PutObject",
            "s3:PutObjectLegalHold",
            "s3:PutObjectRetention",
            "s3:PutObjectTagging",
            "s3:PutObjectVersionTagging",
            "s3:Abort*"
        ])
    );
    assert_eq!(statements[1]["Resource"], json!({"Fn::GetAtt": ["Key961B73FD", "Arn"]}));
    t.has_resource_properties(
        "AWS::S3::Bucket",
        Match::object_like(json!({"BucketEncryption": {"ServerSideEncryptionConfiguration": [{
            "BucketKeyEnabled": true,
            "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["Key961B73FD", "Arn"]}}
        }]}})),
    )
    .unwrap();
}

#[test]
fn s3_validation_messages() {
    let mut stack = Stack::new("S");
    Bucket::new(
        &mut stack.root(),
        "B",
        BucketProps {
            lifecycle_rules: vec![proton_synth_constructs::s3::LifecycleRule {
                id: Some("Nothing".to_owned()),
                ..Default::default()
            }],
            ..BucketProps::default()
        },
    );
    assert_eq!(
        errors_of(&stack),
        ["error: S/B: lifecycle rule \"Nothing\" has no action (expiration, noncurrent version expiration or multipart abort)"]
    );
    let imported = Bucket::from_arn(Value::from("arn:aws:s3:::central-logs"));
    assert_eq!(imported.name().as_literal(), Some("central-logs"));
}

// ---------------------------------------------------------------------------------------------------------------
// ECR
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn repository_defaults_and_pull_grant() {
    let mut stack = Stack::new("S");
    let repo = ecr::Repository::new(&mut stack.root(), "Repo", ecr::RepositoryProps::default());
    let mut role = task_role(&mut stack.root());
    assert!(repo.grant_pull(&mut stack, &mut role).success());
    let t = template(&stack);
    t.has_resource(
        "AWS::ECR::Repository",
        Match::object_like(json!({
            "Properties": {
                "ImageTagMutability": "IMMUTABLE",
                "ImageScanningConfiguration": {"ScanOnPush": true},
                "EncryptionConfiguration": {"EncryptionType": "KMS"},
                "LifecyclePolicy": {"LifecyclePolicyText": ecr::keep_last_policy(30)}
            },
            "DeletionPolicy": "Retain"
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::IAM::Policy",
        Match::object_like(json!({"PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
             "Resource": {"Fn::GetAtt": ["Repo02AC86CF", "Arn"]}},
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
        ]}})),
    )
    .unwrap();
    assert!(errors_of(&stack).is_empty());
}

#[test]
fn ecr_validation_messages() {
    let mut stack = Stack::new("S");
    ecr::Repository::new(
        &mut stack.root(),
        "Repo",
        ecr::RepositoryProps {
            name: Some(Value::from("My_Repo")),
            empty_on_delete: true,
            ..ecr::RepositoryProps::default()
        },
    );
    assert_eq!(
        errors_of(&stack),
        [
            "error: S/Repo: repository name \"My_Repo\" must be 2–256 characters of lowercase letters, digits and ._-/ starting with a letter or digit",
            "error: S/Repo: empty_on_delete needs removal_policy: RemovalPolicy::Delete",
        ]
    );
}

#[test]
fn nag_suppressions_merge() {
    let mut stack = Stack::new("S");
    let lg = LogGroup::new(&mut stack.root(), "Logs", LogGroupProps::default());
    let entry = stack.resource_mut(&lg.handle().unwrap());
    nag::suppress(entry, nag::Tool::Guard, "CT.CLOUDWATCH.PR.2", "why");
    nag::suppress(entry, nag::Tool::Checkov, "CKV_AWS_158", "replaced reason");
    assert_eq!(
        nag::suppressed_ids(entry, nag::Tool::Guard),
        ["CT.CLOUDWATCH.PR.3", "CT.CLOUDWATCH.PR.2"]
    );
    assert_eq!(nag::suppressed_ids(entry, nag::Tool::Checkov), ["CKV_AWS_158"]);
    let t = template(&stack);
    t.has_resource(
        "AWS::Logs::LogGroup",
        Match::object_like(json!({"Metadata": {
            "checkov": {"skip": [{"id": "CKV_AWS_158", "comment": "replaced reason"}]},
            "guard": {"Reasons": {"CT.CLOUDWATCH.PR.2": "why"}}
        }})),
    )
    .unwrap();
}

// ---------------------------------------------------------------------------------------------------------------
// Templates for the external checkers
// ---------------------------------------------------------------------------------------------------------------

fn write_template(name: &str, stack: &Stack) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/l2-templates");
    std::fs::create_dir_all(&dir).unwrap();
    let out = stack.synth(Mode::Plain).unwrap_or_else(|e| panic!("{name}: {e}"));
    std::fs::write(
        dir.join(format!("{name}.json")),
        proton_synth_constructs::synth::to_json_string(&out.template),
    )
    .unwrap();
}

/// Writes `target/l2-templates/*.json`: run `/tmp/cfnlint-venv/bin/cfn-lint target/l2-templates/*.json` and
/// `scripts/security-check target/l2-templates/*.json` on them (both expected clean).
#[test]
fn synthesized_templates_for_checkers() {
    // A network environment like AWS's sample, with flow logs and an S3 endpoint.
    let mut net = Stack::new("Network");
    let vpc = Vpc::new(
        &mut net.root(),
        "Vpc",
        VpcProps {
            s3_gateway_endpoint: true,
            ..VpcProps::default()
        },
    );
    vpc.add_interface_endpoint(&mut net.root(), "EcrDkr", "ecr.dkr", SubnetTier::PrivateWithEgress);
    let mut root = net.root();
    let lb = sg(&mut root, "LbSg", vpc.vpc_id());
    let svc = sg(&mut root, "ServiceSg", vpc.vpc_id());
    lb.connections()
        .allow_from_any_ipv4(root.stack(), Port::tcp(80), "public HTTP listener");
    lb.connections()
        .allow_from_any_ipv4(root.stack(), Port::tcp(443), "public HTTPS listener");
    lb.connections()
        .allow_from_any_ipv4(root.stack(), Port::tcp(8080), "public test listener");
    svc.connections()
        .allow_from(root.stack(), &lb, Port::tcp(8080), "load balancer to service");
    svc.connections()
        .allow_to_any_ipv4(root.stack(), Port::tcp(443), "HTTPS to AWS APIs");
    write_template("foundation-network", &net);

    // Sample-like environment with explicit subnet CIDRs from inputs, one NAT gateway.
    let mut env = Stack::new("Env");
    Vpc::new(
        &mut env.root(),
        "Vpc",
        VpcProps {
            cidr: "10.0.0.0/16".to_owned(),
            explicit_subnets: vec![
                ExplicitSubnet {
                    name: "PublicOne".to_owned(),
                    tier: SubnetTier::Public,
                    cidr: Value::from("10.0.0.0/24"),
                    az_index: 0,
                },
                ExplicitSubnet {
                    name: "PublicTwo".to_owned(),
                    tier: SubnetTier::Public,
                    cidr: Value::from("10.0.1.0/24"),
                    az_index: 1,
                },
                ExplicitSubnet {
                    name: "PrivateOne".to_owned(),
                    tier: SubnetTier::PrivateWithEgress,
                    cidr: Value::from("10.0.2.0/24"),
                    az_index: 0,
                },
                ExplicitSubnet {
                    name: "PrivateTwo".to_owned(),
                    tier: SubnetTier::PrivateWithEgress,
                    cidr: Value::from("10.0.3.0/24"),
                    az_index: 1,
                },
            ],
            nat_gateways: NatGateways::One,
            ..VpcProps::default()
        },
    );
    write_template("foundation-explicit-subnets", &env);

    // Storage: key, log bucket, bucket, repository, log group with key, role with grants.
    let mut data = Stack::new("Data");
    let mut root = data.root();
    let key = kms::Key::new(
        &mut root,
        "Key",
        kms::KeyProps {
            description: Some("data key".to_owned()),
            alias: Some("app/data".to_owned()),
            ..kms::KeyProps::default()
        },
    );
    let logs = Bucket::new_access_log_bucket(&mut root, "AccessLogs");
    let lb_logs = Bucket::new_access_log_bucket(&mut root, "LbLogs");
    let bucket = Bucket::new(
        &mut root,
        "Assets",
        BucketProps {
            encryption: BucketEncryption::Kms(key.clone()),
            server_access_logs: Some((logs, "assets/".to_owned())),
            ..BucketProps::default()
        },
    );
    let plain = Bucket::new(
        &mut root,
        "Plain",
        BucketProps {
            no_access_logs_reason: Some("scratch data, no audit requirement".to_owned()),
            ..BucketProps::default()
        },
    );
    let repo = ecr::Repository::new(
        &mut root,
        "Repo",
        ecr::RepositoryProps {
            encryption: ecr::RepositoryEncryption::Kms(key.clone()),
            ..ecr::RepositoryProps::default()
        },
    );
    let lg = LogGroup::new(
        &mut root,
        "AppLogs",
        LogGroupProps {
            kms_key: Some(key.clone()),
            ..LogGroupProps::default()
        },
    );
    let plain_lg = LogGroup::new(&mut root, "PlainLogs", LogGroupProps::default());
    let mut role = task_role(&mut root);
    assert!(bucket.grant_read_write(&mut data, &mut role).success());
    assert!(plain.grant_read(&mut data, &mut role).success());
    assert!(repo.grant_pull(&mut data, &mut role).success());
    assert!(lg.grant_write(&mut data, &mut role).success());
    assert!(plain_lg.grant_write(&mut data, &mut role).success());
    lb_logs.allow_elb_access_logs(&mut data, Some("alb"));
    write_template("foundation-data", &data);
}

#[test]
fn iam_service_wildcards_and_managed_policies() {
    let mut stack = Stack::new("S");
    let role = Role::new(
        &mut stack.root(),
        "ExecRole",
        RoleProps {
            assumed_by: Principal::service("ecs-tasks.amazonaws.com"),
            managed_policy_arns: vec![Value::from(
                "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
            )],
            ..RoleProps::default()
        },
    );
    role.add_to_policy(
        &mut stack,
        PolicyStatement::allow(&["s3:*"], [Value::from("arn:aws:s3:::b")]),
    );
    // A Deny may use service-wide wildcards.
    role.add_to_policy(
        &mut stack,
        PolicyStatement::deny(&["s3:*"], [Value::from("arn:aws:s3:::secret")]),
    );
    assert_eq!(
        errors_of(&stack),
        ["error: S/ExecRole/DefaultPolicy: policy statement allows the service-wide wildcard s3:*; list the actions it needs (Control Tower CT.IAM.PR.5)"]
    );
    assert_eq!(
        warnings_of(&stack),
        ["warning: S/ExecRole: AWS managed policy arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy attached (cdk-nag IAM4); prefer grants that scope permissions to resources"]
    );
}

#[test]
fn pass_role_and_cross_role_grants() {
    let mut stack = Stack::new("S");
    let task = task_role(&mut stack.root());
    let mut pipeline = Role::new(
        &mut stack.root(),
        "PipelineRole",
        RoleProps {
            assumed_by: Principal::service("codepipeline.amazonaws.com"),
            ..RoleProps::default()
        },
    );
    assert!(task.grant_pass_role(&mut stack, &mut pipeline).success());
    template(&stack)
        .has_resource_properties(
            "AWS::IAM::Policy",
            Match::object_like(json!({
                "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "iam:PassRole",
                    "Resource": {"Fn::GetAtt": ["TaskRole30FC0FBB", "Arn"]}}]},
                "Roles": [{"Ref": "PipelineRoleDCFDBB91"}]
            })),
        )
        .unwrap();
}

#[test]
fn kms_alias_from_a_placeholder() {
    let mut stack = Stack::new("S");
    kms::Key::new(
        &mut stack.root(),
        "Key",
        kms::KeyProps {
            alias_value: Some(proton_synth_constructs::fns::sub(
                "alias/codepipeline-${Name}",
                [("Name", input("name").into_expr())],
            )),
            ..kms::KeyProps::default()
        },
    );
    template(&stack)
        .has_resource_properties(
            "AWS::KMS::Alias",
            Match::object_like(
                json!({"AliasName": {"Fn::Sub": ["alias/codepipeline-${Name}", {"Name": "input-name"}]}}),
            ),
        )
        .unwrap();
    let mut stack = Stack::new("S");
    kms::Key::new(
        &mut stack.root(),
        "Key",
        kms::KeyProps {
            alias_value: Some(Value::from("codepipeline")),
            ..kms::KeyProps::default()
        },
    );
    assert_eq!(
        errors_of(&stack),
        ["error: S/Key: alias \"codepipeline\" must start with alias/ and not use the reserved prefix alias/aws/"]
    );
}

#[test]
fn a_looped_role_gets_its_default_policy_in_the_loop() {
    let mut stack = Stack::new("S");
    let lp = stack.add_loop("service_instance", "service_instances");
    let role = task_role(&mut stack.root_in_loop(&lp));
    role.add_to_policy(
        &mut stack,
        PolicyStatement::allow(&["s3:GetObject"], [Value::from("arn:aws:s3:::b/*")]),
    );
    let t = stack.synth(Mode::Bundle).unwrap().template;
    let resources = t["Resources"].as_object().unwrap();
    assert_eq!(resources.len(), 1, "{resources:#?}");
    let (key, group) = resources.iter().next().unwrap();
    assert!(key.starts_with("::for"));
    let body = group["::body"].as_object().unwrap();
    assert_eq!(body.len(), 2, "{body:#?}");
}

#[test]
fn log_group_with_an_imported_key_warns() {
    let mut stack = Stack::new("S");
    let key = kms::Key::from_arn(Value::from("arn:aws:kms:eu-west-1:123456789012:key/abcd"));
    assert_eq!(key.key_id().as_literal(), Some("abcd"));
    LogGroup::new(
        &mut stack.root(),
        "Logs",
        LogGroupProps {
            kms_key: Some(key),
            ..LogGroupProps::default()
        },
    );
    assert_eq!(
        warnings_of(&stack),
        ["warning: S/Logs: the KMS key is imported: make sure its key policy lets logs.<region>.amazonaws.com use it"]
    );
    template(&stack)
        .has_resource_properties(
            "AWS::Logs::LogGroup",
            Match::object_like(json!({"KmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/abcd"})),
        )
        .unwrap();
}

#[test]
fn internal_and_outbound_rules_and_port_shapes() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    let a = sg(&mut root, "A", input("vpc_id"));
    let conns = a.connections();
    conns.allow_internally(root.stack(), Port::all_traffic(), "members talk to each other");
    conns.allow_to_any_ipv4(root.stack(), Port::tcp(443), "HTTPS out");
    conns.allow_from(root.stack(), &a, Port::udp(53), "dns");
    a.add_ingress_rule(root.stack(), Peer::ipv4("10.0.0.0/16"), Port::all_tcp(), "vpc");
    let ids = stack.synth(Mode::Plain).unwrap().logical_ids;
    let mut rule_ids: Vec<&String> = ids.keys().filter(|k| k.contains(':')).collect();
    rule_ids.sort();
    assert_eq!(
        rule_ids,
        [
            "AFrom10.0.0.0_16:alltcp",
            "AFromA:all",
            "AFromA:udp53",
            "AToA:all",
            "AToA:udp53",
            "AToAnyIpv4:tcp443"
        ]
    );
    let t = template(&stack);
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        Match::object_like(json!({"CidrIp": "0.0.0.0/0", "FromPort": 443, "ToPort": 443, "IpProtocol": "tcp"})),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        Match::object_like(json!({"CidrIp": "10.0.0.0/16", "FromPort": 0, "ToPort": 65535, "IpProtocol": "tcp"})),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        Match::members([
            ("IpProtocol", Match::exact(json!("-1"))),
            ("FromPort", Match::absent()),
            ("ToPort", Match::absent()),
        ]),
    )
    .unwrap();
    // Opening everything to the internet carries every applicable suppression.
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    let b = sg(&mut root, "B", input("vpc_id"));
    b.connections()
        .allow_from_any_ipv4(root.stack(), Port::all_traffic(), "everything");
    let t = template(&stack);
    let rule = &t.find_resources("AWS::EC2::SecurityGroupIngress")[0].1;
    assert!(
        rule["Metadata"].get("checkov").is_none(),
        "checkov raises nothing for a rule without ports"
    );
    assert_eq!(
        rule["Metadata"]["guard"]["SuppressedRules"],
        json!(["CT.EC2.PR.3", "CT.EC2.PR.4"])
    );
}

#[test]
fn interface_endpoints_get_one_subnet_per_az_and_https_from_the_vpc() {
    let mut stack = Stack::new("Net");
    let vpc = Vpc::new(
        &mut stack.root(),
        "Vpc",
        VpcProps {
            subnet_configuration: vec![
                SubnetConfig::new("Public", SubnetTier::Public, 24),
                SubnetConfig::new("Data", SubnetTier::Isolated, 24),
            ],
            nat_gateways: NatGateways::None,
            flow_logs: None,
            ..VpcProps::default()
        },
    );
    let ep = vpc.add_interface_endpoint(&mut stack.root(), "EcrApi", "ecr.api", SubnetTier::Isolated);
    assert_eq!(ep.connections().security_groups.len(), 1);
    let t = template(&stack);
    t.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        Match::object_like(json!({
            "ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}.ecr.api"},
            "VpcEndpointType": "Interface",
            "PrivateDnsEnabled": true,
            "SubnetIds": [{"Ref": "VpcDataSubnet1Subnet8E3CA4ED"}, {"Ref": "VpcDataSubnet2Subnet25D1B0F6"}]
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        Match::object_like(
            json!({"CidrIp": "10.0.0.0/16", "FromPort": 443, "ToPort": 443, "Description": "HTTPS from the VPC"}),
        ),
    )
    .unwrap();
    vpc.add_interface_endpoint(&mut stack.root(), "Logs", "logs", SubnetTier::PrivateWithEgress);
    vpc.add_interface_endpoint(&mut stack.root(), "Bad", "ecr api", SubnetTier::Isolated);
    assert_eq!(
        errors_of(&stack),
        [
            "error: Net/Logs: interface endpoint for logs: the VPC has no private subnets",
            "error: Net/Bad: interface endpoint service \"ecr api\" is not a service name such as ecr.api",
        ]
    );
}

#[test]
fn explicit_az_names_with_an_out_of_range_index_report_instead_of_panicking() {
    let mut stack = Stack::new("S");
    Vpc::new(
        &mut stack.root(),
        "Vpc",
        VpcProps {
            availability_zones: vec!["eu-west-1a".to_owned()],
            explicit_subnets: vec![ExplicitSubnet {
                name: "One".to_owned(),
                tier: SubnetTier::Isolated,
                cidr: Value::from("10.0.0.0/24"),
                az_index: 3,
            }],
            ..VpcProps::default()
        },
    );
    assert_eq!(
        errors_of(&stack),
        ["error: S/Vpc: subnet \"One\": az_index 3 is out of range for 1 availability zone(s)"]
    );
}

#[test]
fn elb_access_logs_bucket_policy_picks_the_regional_account_or_the_service() {
    let mut stack = Stack::new("S");
    let logs = Bucket::new_access_log_bucket(&mut stack.root(), "LbLogs");
    assert!(logs.allow_elb_access_logs(&mut stack, Some("alb")));
    let t = template(&stack);
    let json = t.json();
    assert_eq!(
        json["Mappings"]["LbLogsElbAccountIds86AF9EB1"]["eu-west-1"],
        json!({"AccountId": "156460612806"})
    );
    let cond = &json["Conditions"]["LbLogsElbAccountRegion37DFA2EF"]["Fn::Or"];
    assert_eq!(cond.as_array().unwrap().len(), 3);
    assert_eq!(
        cond[0]["Fn::Or"][0],
        json!({"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]})
    );
    t.has_resource_properties(
        "AWS::S3::BucketPolicy",
        Match::members([(
            "PolicyDocument",
            Match::members([(
                "Statement",
                Match::array_with(vec![Match::exact(json!({
                    "Effect": "Allow",
                    "Principal": {"Fn::If": ["LbLogsElbAccountRegion37DFA2EF",
                        {"AWS": {"Fn::Sub": ["arn:${AWS::Partition}:iam::${ElbAccount}:root",
                            {"ElbAccount": {"Fn::FindInMap": ["LbLogsElbAccountIds86AF9EB1", {"Ref": "AWS::Region"}, "AccountId"]}}]}},
                        {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}]},
                    "Action": "s3:PutObject",
                    "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["LbLogsB67C7844", "Arn"]}, "/alb/AWSLogs/", {"Ref": "AWS::AccountId"}, "/*"]]}
                }))]),
            )]),
        )]),
    )
    .unwrap();
}

#[test]
fn elb_access_logs_validation_messages() {
    let mut stack = Stack::new("S");
    let key = kms::Key::new(&mut stack.root(), "Key", kms::KeyProps::default());
    let kms_bucket = Bucket::new(
        &mut stack.root(),
        "Kms",
        BucketProps {
            encryption: BucketEncryption::Kms(key),
            ..BucketProps::default()
        },
    );
    assert!(!kms_bucket.allow_elb_access_logs(&mut stack, None));
    let no_policy = Bucket::new(
        &mut stack.root(),
        "NoPolicy",
        BucketProps {
            enforce_ssl: false,
            ..BucketProps::default()
        },
    );
    assert!(!no_policy.allow_elb_access_logs(&mut stack, None));
    let logs = Bucket::new_access_log_bucket(&mut stack.root(), "Logs");
    logs.allow_elb_access_logs(&mut stack, Some("/alb/"));
    assert_eq!(
        errors_of(&stack),
        [
            "error: S/Kms: allow_elb_access_logs: load balancers write access logs only to SSE-S3 buckets, this one uses a KMS key",
            "error: S/NoPolicy: allow_elb_access_logs: the bucket has no bucket policy in this template (imported, or enforce_ssl off)",
            "error: S/Logs: allow_elb_access_logs: prefix \"/alb/\" must not start or end with '/' or contain AWSLogs",
        ]
    );
}

#[test]
fn name_validation_messages() {
    let mut stack = Stack::new("S");
    let mut root = stack.root();
    LogGroup::new(
        &mut root,
        "Logs",
        LogGroupProps {
            name: Some(Value::from("my logs")),
            ..LogGroupProps::default()
        },
    );
    Bucket::new(
        &mut root,
        "Bucket",
        BucketProps {
            bucket_name: Some(Value::from("My_Bucket")),
            no_access_logs_reason: Some("test".to_owned()),
            ..BucketProps::default()
        },
    );
    Role::new(
        &mut root,
        "Role",
        RoleProps {
            assumed_by: Principal::service("ecs-tasks.amazonaws.com"),
            path: Some("service-role".to_owned()),
            ..RoleProps::default()
        },
    );
    SecurityGroup::new(
        &mut root,
        "Sg",
        SecurityGroupProps {
            vpc_id: input("vpc_id"),
            description: "Zugriff für Dienste".to_owned(),
            ..SecurityGroupProps::default()
        },
    );
    // Placeholders are not checked.
    LogGroup::new(
        &mut root,
        "Named",
        LogGroupProps {
            name: Some(input("log_group")),
            ..LogGroupProps::default()
        },
    );
    assert_eq!(
        errors_of(&stack),
        [
            "error: S/Logs: log group name \"my logs\" must be 1–512 characters of letters, digits and ._-/#",
            "error: S/Bucket: bucket name \"My_Bucket\" must be 3–63 characters of lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
            "error: S/Role: role path \"service-role\" must start and end with '/'",
            "error: S/Sg: security group description contains 'ü'; EC2 allows letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*",
        ]
    );
}

/// Every optional suppression the constructs can emit (`target/l2-templates/foundation-suppressions.json`):
/// the gate reports a suppression that matches no finding as "unused", so this keeps them honest. (checkov
/// lists a skip for every check of the resource type, failing or not: its skips were verified by running
/// checkov on a copy without metadata.)
#[test]
fn scratch_template_with_every_optional_suppression() {
    let mut stack = Stack::new("Scratch");
    let mut root = stack.root();
    let sg_ = sg(&mut root, "Sg", Value::from("vpc-0123456789abcdef0"));
    let c = sg_.connections();
    c.allow_from_any_ipv4(root.stack(), Port::tcp(80), "p80");
    c.allow_from_any_ipv4(root.stack(), Port::all_traffic(), "all");
    ecr::Repository::new(
        &mut root,
        "Aes",
        ecr::RepositoryProps {
            encryption: ecr::RepositoryEncryption::Aes256,
            ..ecr::RepositoryProps::default()
        },
    );
    Bucket::new(
        &mut root,
        "Unversioned",
        BucketProps {
            versioned: false,
            no_access_logs_reason: Some("scratch".to_owned()),
            ..BucketProps::default()
        },
    );
    write_template("foundation-suppressions", &stack);
}

#[test]
fn rule_ids_for_parameter_peers_do_not_depend_on_stack_creation_order() {
    let ids = || {
        let mut stack = Stack::new("S");
        let mut root = stack.root();
        let p = root.add_parameter("LbSgId", proton_synth_constructs::Parameter::<String>::string());
        let imported = SecurityGroup::from_id(p.r#ref());
        let svc = sg(&mut root, "Svc", input("vpc_id"));
        svc.connections()
            .allow_from(root.stack(), &imported, Port::tcp(80), "lb");
        let out = stack.synth(Mode::Plain).unwrap();
        out.logical_ids.keys().cloned().collect::<Vec<_>>()
    };
    let first = ids();
    let _unrelated = Stack::new("Other");
    assert_eq!(first, ids());
}
