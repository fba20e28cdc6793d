//! AWS's catalog environment `microservices-env` (aws-proton-cloudformation-sample-templates,
//! `public-private-fargate-microservices/microservices-env`) rewritten with typed constructs, at input parity:
//! the same inputs (`vpc_cidr`, `public_subnet_one_cidr`, `public_subnet_two_cidr`, `private_subnet_one_cidr`,
//! `private_subnet_two_cidr`, `service_discovery_namespace`, with the sample's titles, descriptions, defaults
//! and unanchored CIDR pattern) and every output of the sample (`ClusterName`, `ECSTaskExecutionRole`,
//! `VpcId`, `PublicSubnetOne`, `PublicSubnetTwo`, `PrivateSubnetOne`, `PrivateSubnetTwo`,
//! `ContainerSecurityGroup`, `PrivateNamespace`), which the set's two services
//! (`public_private_fargate_microservices.rs`) read. What it builds:
//!
//! - a VPC with the four subnets of the inputs over two Availability Zones, an internet gateway, a NAT gateway
//!   per public subnet and a route from each private subnet to the NAT gateway of its zone;
//! - an ECS cluster, the Cloud Map private DNS namespace `service_discovery_namespace` of the VPC;
//! - the container security group every task of the environment wears: the identity of "callers" that the
//!   private services admit on their port;
//! - the task execution role of the environment's services.
//!
//! Deviations from the sample, all for security:
//!
//! - The task execution role has the least-privilege inline policy of `fargate_env.rs` instead of the AWS
//!   managed `AmazonECSTaskExecutionRolePolicy` (ECR pulls and log writes on `*`): pulls from this account's
//!   repositories, log writes below `/proton/<environment>/` only, where the set's services put their log
//!   groups (the sample: `<service>/<instance>`).
//! - The container security group lets out HTTPS only (the sample: everything); each private service adds the
//!   egress to its own port (and the ingress on its own group), so callers reach the private services and
//!   nothing else inside the VPC.
//! - VPC flow logs (one year) and Container Insights (the sample had neither); the public subnets do not map
//!   public IPs onto everything launched there.
//!
//! ```sh
//! cargo run --example microservices_env -- synth --out out/microservices_env
//! ```

#[path = "fargate_env.rs"]
pub mod fargate_env;

use proton_synth::app::App;
use proton_synth::constructs::ec2::{
    Connectable, ExplicitSubnet, NatGateways, Port, SecurityGroup, SecurityGroupProps, SubnetTier, Vpc, VpcProps,
};
use proton_synth::constructs::ecs::{Cluster, ClusterProps, ContainerInsights};
use proton_synth::constructs::iam::Role;
use proton_synth::constructs::servicediscovery::{PrivateDnsNamespace, PrivateDnsNamespaceProps};
use proton_synth::constructs::Value;
use proton_synth::proton::{EnvironmentTemplate, InputDef};

/// The Proton template name (the set's services declare compatibility with `microservices-env:1`).
pub const TEMPLATE_NAME: &str = "microservices-env";

/// The sample's CIDR pattern, kept byte for byte (unanchored, as OpenAPI patterns are).
pub const CIDR_PATTERN: &str = r"([0-9]{1,3}\.){3}[0-9]{1,3}($|/(16|24))";

/// Output names of `microservices-env`, as the sample names them.
pub mod outputs {
    pub const CLUSTER_NAME: &str = "ClusterName";
    pub const EXECUTION_ROLE: &str = "ECSTaskExecutionRole";
    pub const VPC_ID: &str = "VpcId";
    pub const PUBLIC_SUBNETS: [&str; 2] = ["PublicSubnetOne", "PublicSubnetTwo"];
    pub const PRIVATE_SUBNETS: [&str; 2] = ["PrivateSubnetOne", "PrivateSubnetTwo"];
    pub const CONTAINER_SECURITY_GROUP: &str = "ContainerSecurityGroup";
    pub const NAMESPACE: &str = "PrivateNamespace";
}

/// The environment template: the sample's inputs ([`network_inputs`]), the network, the cluster, the
/// namespace and the containers' security group, and the sample's outputs ([`declare_outputs`]).
pub fn environment() -> EnvironmentTemplate {
    let mut env = EnvironmentTemplate::new(TEMPLATE_NAME)
        .description(
            "A VPC with public and private subnets, NAT gateways, an ECS cluster for AWS Fargate microservices and \
             a Cloud Map namespace for service discovery (proton-synth port of AWS's microservices-env sample)",
        )
        .input_type_name("PublicEnvironmentInput")
        .input_type_description("Input properties for my environment");
    let (vpc_cidr, subnets) = network_inputs(&mut env);
    let namespace_name = env
        .input(
            InputDef::string("service_discovery_namespace")
                .title("Service discovery namespace")
                .description("The name of the private namespace for service discovery")
                .default("example.local"),
        )
        .value();
    let env_name = env.environment_name();

    let mut root = env.root();
    let vpc = Vpc::new(
        &mut root,
        "VPC",
        VpcProps {
            cidr_block_value: Some(vpc_cidr),
            explicit_subnets: subnets.to_vec(),
            max_azs: 2,
            // Like the sample: a NAT gateway in each public subnet, used by the private subnet of its zone.
            nat_gateways: NatGateways::PerAz,
            ..VpcProps::default()
        },
    );
    let namespace = PrivateDnsNamespace::new(
        &mut root,
        "PrivateNamespace",
        PrivateDnsNamespaceProps {
            name: namespace_name,
            vpc_id: vpc.vpc_id(),
            description: Some("Service discovery of the environment's microservices".to_owned()),
        },
    );
    let cluster = Cluster::new(
        &mut root,
        "ECSCluster",
        ClusterProps {
            name: None,
            container_insights: ContainerInsights::Enabled,
        },
    );
    // Worn by every task of the environment. No ingress here; out: HTTPS (image registries, AWS APIs), plus
    // the port of each private service, added by that service's template.
    let container_sg = SecurityGroup::new(
        &mut root,
        "ContainerSecurityGroup",
        SecurityGroupProps {
            vpc_id: vpc.vpc_id(),
            description: "Access to the Fargate containers".to_owned(),
            allow_all_outbound: false,
            group_name: None,
        },
    );
    container_sg.connections().allow_to_any_ipv4(
        root.stack(),
        Port::tcp(443),
        "HTTPS to image registries and AWS APIs (ECR, CloudWatch Logs)",
    );
    let exec_role = fargate_env::execution_role(&mut root, env_name);
    declare_outputs(&mut env, &vpc, &cluster, &exec_role, &container_sg, &namespace);
    env
}

/// The CIDR inputs, the sample's: the VPC's, and the four subnets' (public and private, one of each per zone).
fn network_inputs(env: &mut EnvironmentTemplate) -> (Value<String>, [ExplicitSubnet; 4]) {
    let mut cidr = |name: &str, title: &str, description: &str, default: &str| {
        env.input(
            InputDef::string(name)
                .title(title)
                .description(description)
                .default(default)
                .pattern(CIDR_PATTERN),
        )
        .value()
    };
    let vpc_cidr = cidr("vpc_cidr", "VPC CIDR", "This CIDR range for your VPC", "10.0.0.0/16");
    let public = SubnetTier::Public;
    let private = SubnetTier::PrivateWithEgress;
    // The sample describes public subnet two as "public subnet one"; kept for parity.
    let subnets = [
        (
            "public_subnet_one_cidr",
            "Public subnet one CIDR",
            "public subnet one",
            "10.0.1.0/24",
            "PublicSubnetOne",
            public,
            0,
        ),
        (
            "public_subnet_two_cidr",
            "Public subnet two CIDR",
            "public subnet one",
            "10.0.2.0/24",
            "PublicSubnetTwo",
            public,
            1,
        ),
        (
            "private_subnet_one_cidr",
            "Private subnet one CIDR",
            "private subnet one",
            "10.0.3.0/24",
            "PrivateSubnetOne",
            private,
            0,
        ),
        (
            "private_subnet_two_cidr",
            "Private subnet two CIDR",
            "private subnet two",
            "10.0.4.0/24",
            "PrivateSubnetTwo",
            private,
            1,
        ),
    ]
    .map(|(input, title, what, default, name, tier, az_index)| ExplicitSubnet {
        name: name.to_owned(),
        tier,
        cidr: cidr(input, title, &format!("The CIDR range for {what}"), default),
        az_index,
    });
    (vpc_cidr, subnets)
}

/// The environment's outputs ([`outputs`]), with the sample's descriptions.
fn declare_outputs(
    env: &mut EnvironmentTemplate,
    vpc: &Vpc,
    cluster: &Cluster,
    exec_role: &Role,
    container_sg: &SecurityGroup,
    namespace: &PrivateDnsNamespace,
) {
    let public_ids = vpc.public_subnet_ids();
    let private_ids = vpc.private_subnet_ids();
    let mut out = |name: &str, value: Value<String>, description: &str| {
        env.output_with_description(name, value, Some(description));
    };
    out(outputs::CLUSTER_NAME, cluster.name(), "The name of the ECS cluster");
    out(outputs::EXECUTION_ROLE, exec_role.arn(), "The ARN of the ECS role");
    out(
        outputs::VPC_ID,
        vpc.vpc_id(),
        "The ID of the VPC that this stack is deployed in",
    );
    let which = ["1st", "2nd"];
    for ((name, id), n) in outputs::PUBLIC_SUBNETS.iter().zip(public_ids).zip(which) {
        out(
            name,
            id,
            &format!("A reference to the public subnet in the {n} Availability Zone"),
        );
    }
    for ((name, id), n) in outputs::PRIVATE_SUBNETS.iter().zip(private_ids).zip(which) {
        out(
            name,
            id,
            &format!("A reference to the private subnet in the {n} Availability Zone"),
        );
    }
    out(
        outputs::CONTAINER_SECURITY_GROUP,
        container_sg.id(),
        "A security group used to allow Fargate containers to receive traffic",
    );
    out(
        outputs::NAMESPACE,
        namespace.id(),
        "The NamespaceId registered for Service Discovery",
    );
}

/// The program's templates; `main` hands them to the CLI, tests snapshot them.
pub fn app() -> App {
    let mut app = App::new("microservices-env");
    app.add_environment(environment());
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(app().run());
}
