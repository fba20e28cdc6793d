//! AWS's catalog environment `vpc-env` (aws-proton-cloudformation-sample-templates,
//! `environment-templates/vpc-env`) rewritten with typed constructs, at input parity: the inputs of
//! `fargate-env` (`vpc_cidr` and the four subnet CIDRs, with the sample's descriptions, defaults and unanchored
//! pattern; the network and the topic are built by `fargate_env.rs`, included below) and every output of the
//! sample (`SNSTopicArn`, `SNSTopicName`, `SNSRegion`, `VPC`, `PublicSubnet1`, `PublicSubnet2`,
//! `PrivateSubnet1`, `PrivateSubnet2`, `VPCSecurityGroup`, `VpcConnectorArn`), which the catalog's Lambda and
//! App Runner services read. What it builds: the VPC with public and private subnets and a NAT gateway per
//! zone, the shared `ping` SNS topic, an interface endpoint for SNS (publishing stays inside the VPC) and an
//! App Runner VPC connector.
//!
//! Deviations from the sample, all for security:
//!
//! - `VPCSecurityGroup`, the group the services' functions and the App Runner connector wear, is a group of
//!   its own whose egress is HTTPS only (AWS APIs through the endpoint or the NAT gateways) instead of the
//!   VPC's default group (every protocol between its members, everything out).
//! - The SNS endpoint sits in the private subnets (the sample: public) with its own security group admitting
//!   HTTPS from the VPC's range only (the sample: the default group).
//! - Flow logs, no public IPs mapped on launch, the topic policy denies requests without TLS, and
//!   `VpcCidrBlock` is exported too (see `fargate_env.rs`).
//! - The App Runner connector is added by type name (`AWS::AppRunner::VpcConnector`): no L1 type of the
//!   `AWS::AppRunner` namespace is generated yet.
//!
//! ```sh
//! cargo run --example vpc_env -- synth --out out/vpc_env
//! ```

#[path = "fargate_env.rs"]
pub mod fargate_env;

use fargate_env::{network, network_and_topic_outputs, outputs, ping_topic};
use proton_synth::app::App;
use proton_synth::constructs::ec2::{Connectable, Port, SecurityGroup, SecurityGroupProps, SubnetTier};
use proton_synth::constructs::{fns, Expr, Json, Value};
use proton_synth::proton::EnvironmentTemplate;

/// The Proton template name (the catalog's Lambda and App Runner services declare `vpc-env:1`).
pub const TEMPLATE_NAME: &str = "vpc-env";

/// The environment template.
pub fn environment() -> EnvironmentTemplate {
    let mut env = EnvironmentTemplate::new(TEMPLATE_NAME)
        .description(
            "A VPC with public and private subnets and NAT gateways, a shared SNS topic reachable through a VPC \
             endpoint, and an App Runner VPC connector (proton-synth port of AWS's vpc-env sample)",
        )
        .input_type_name("VPCEnvironmentInput")
        .input_type_description("Input properties for my environment");
    let network = network(&mut env);
    let env_name = env.environment_name();

    let mut root = env.root();
    let topic = ping_topic(&mut root);
    // Publishing to the topic without leaving the VPC: the endpoint admits HTTPS from the VPC's range.
    network
        .vpc
        .add_interface_endpoint(&mut root, "SNSVPCEndpoint", "sns", SubnetTier::PrivateWithEgress);

    // The group of the services' functions and the App Runner connector: HTTPS out only.
    let workloads = SecurityGroup::new(
        &mut root,
        "VPCSecurityGroup",
        SecurityGroupProps {
            vpc_id: network.vpc.vpc_id(),
            description: "Functions and App Runner services of the environment: HTTPS out".to_owned(),
            allow_all_outbound: false,
            group_name: None,
        },
    );
    workloads.connections().allow_to_any_ipv4(
        root.stack(),
        Port::tcp(443),
        "HTTPS to AWS APIs (SNS endpoint, NAT gateways)",
    );

    // App Runner services reach the VPC through this connector (private subnets: egress through NAT).
    let connector = Value::<Json>::object([
        (
            "VpcConnectorName",
            fns::join("", [env_name, Value::from("-vpc-connector")]).into_expr(),
        ),
        (
            "Subnets",
            Expr::List(
                network
                    .vpc
                    .private_subnet_ids()
                    .into_iter()
                    .map(Value::into_expr)
                    .collect(),
            ),
        ),
        ("SecurityGroups", Expr::List(vec![workloads.id().into_expr()])),
    ]);
    let connector = root.add_untyped(
        "ApprunnerVpcConnector",
        "AWS::AppRunner::VpcConnector",
        connector.into_expr(),
    );

    network_and_topic_outputs(&mut env, &network, &topic);
    env.output_with_description(
        "VPCSecurityGroup",
        workloads.id(),
        Some("Security group of the environment's workloads"),
    );
    env.output_with_description(
        "VpcConnectorArn",
        connector.get_att_unchecked("VpcConnectorArn"),
        Some("ARN of the VPC connector"),
    );
    env.output_with_description(
        outputs::VPC_CIDR,
        network.cidr.clone(),
        Some("The CIDR range of the VPC"),
    );
    env
}

/// The program's templates; `main` hands them to the CLI, tests snapshot them.
pub fn app() -> App {
    let mut app = App::new("vpc-env");
    app.add_environment(environment());
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(app().run());
}
