//! AWS's catalog environment `fargate-env` (aws-proton-cloudformation-sample-templates,
//! `environment-templates/fargate-env`) rewritten with typed constructs, at input parity: the same inputs
//! (`vpc_cidr`, `public_subnet_one_cidr`, `public_subnet_two_cidr`, `private_subnet_one_cidr`,
//! `private_subnet_two_cidr`, with the sample's descriptions, defaults and unanchored CIDR pattern) and every
//! output of the sample (`Cluster`, `ClusterArn`, `ServiceTaskDefExecutionRoleArn`, `SNSTopicArn`,
//! `SNSTopicName`, `SNSRegion`, `VPC`, `PublicSubnet1`, `PublicSubnet2`, `PrivateSubnet1`, `PrivateSubnet2`,
//! `CloudMapNamespaceId`), which the catalog's Fargate services read. What it builds:
//!
//! - a VPC with the four subnets of the inputs over two Availability Zones, an internet gateway, a NAT gateway
//!   per public subnet and a route from each private subnet to the NAT gateway of its zone;
//! - an ECS cluster, a Cloud Map private DNS namespace `<environment>.local`;
//! - the task execution role of the environment's services and the shared `ping` SNS topic (publish/subscribe
//!   between services), encrypted with the AWS managed SNS key like the sample's.
//!
//! Deviations from the sample, all for security:
//!
//! - The task execution role has a least-privilege inline policy instead of the AWS managed
//!   `AmazonECSTaskExecutionRolePolicy` (ECR pulls and log writes on `*`): pulls from this account's
//!   repositories, log writes below `/proton/<environment>/` only ([`LOG_GROUP_PREFIX`]); the catalog services
//!   of this crate (`backend_fargate_svc.rs`, `load_balanced_fargate_svc.rs`) name their log groups so.
//! - VPC flow logs (one year) and Container Insights (the sample had neither); the public subnets do not map
//!   public IPs onto everything launched there (services ask for one explicitly when their `subnet_type` input
//!   is `public`).
//! - The topic policy denies every request that does not use TLS, besides the sample's statement (this
//!   account may subscribe SQS queues).
//! - One more output, `VpcCidrBlock`: the services admit their container port from inside the VPC only (the sample's
//!   backend service admitted every protocol from anywhere).
//!
//! ```sh
//! cargo run --example fargate_env -- synth --out out/fargate_env
//! ```

use proton_synth::app::App;
use proton_synth::constructs::ec2::{ExplicitSubnet, NatGateways, SubnetTier, Vpc, VpcProps};
use proton_synth::constructs::ecs::{Cluster, ClusterProps, ContainerInsights};
use proton_synth::constructs::iam::{PolicyDocument, PolicyStatement, Principal, Role, RoleProps};
use proton_synth::constructs::servicediscovery::{PrivateDnsNamespace, PrivateDnsNamespaceProps};
use proton_synth::constructs::{cfn, fns, Expr, Handle, Scope, Value};
use proton_synth::proton::{EnvironmentTemplate, Input, InputDef};

/// The Proton template name (the catalog services declare compatibility with `fargate-env:1`).
pub const TEMPLATE_NAME: &str = "fargate-env";

/// The sample's CIDR pattern, kept byte for byte (unanchored, as OpenAPI patterns are).
pub const CIDR_PATTERN: &str = r"([0-9]{1,3}\.){3}[0-9]{1,3}($|/(16|18|24))";

/// Services of this environment name their log groups `/proton/<environment>/<service>/<instance>`: the task
/// execution role may write only below `/proton/<environment>/`.
pub const LOG_GROUP_PREFIX: &str = "/proton";

/// The outputs of the environment, as the sample names them.
pub mod outputs {
    pub const CLUSTER: &str = "Cluster";
    pub const CLUSTER_ARN: &str = "ClusterArn";
    pub const EXECUTION_ROLE_ARN: &str = "ServiceTaskDefExecutionRoleArn";
    pub const SNS_TOPIC_ARN: &str = "SNSTopicArn";
    pub const SNS_TOPIC_NAME: &str = "SNSTopicName";
    pub const SNS_REGION: &str = "SNSRegion";
    pub const VPC: &str = "VPC";
    pub const PUBLIC_SUBNETS: [&str; 2] = ["PublicSubnet1", "PublicSubnet2"];
    pub const PRIVATE_SUBNETS: [&str; 2] = ["PrivateSubnet1", "PrivateSubnet2"];
    pub const NAMESPACE_ID: &str = "CloudMapNamespaceId";
    /// Not in the sample: the VPC's range, for security group rules that admit the VPC only.
    pub const VPC_CIDR: &str = "VpcCidrBlock";
}

/// One of the sample's CIDR inputs.
pub fn cidr_input(
    env: &mut EnvironmentTemplate,
    name: &str,
    description: &str,
    default: &str,
) -> Input<proton_synth::proton::Env, String> {
    env.input(
        InputDef::string(name)
            .description(description)
            .default(default)
            .pattern(CIDR_PATTERN),
    )
}

/// The environment template.
pub fn environment() -> EnvironmentTemplate {
    let mut env = EnvironmentTemplate::new(TEMPLATE_NAME)
        .description(
            "A VPC with public and private subnets, NAT gateways, an ECS cluster for AWS Fargate services, a Cloud \
             Map namespace and a shared SNS topic (proton-synth port of AWS's fargate-env sample)",
        )
        .input_type_name("FargateEnvironmentInput")
        .input_type_description("Input properties for my environment");
    let network = network(&mut env);
    let vpc = &network.vpc;
    let env_name = env.environment_name();

    let mut root = env.root();
    let cluster = Cluster::new(
        &mut root,
        "Cluster",
        ClusterProps {
            name: None,
            container_insights: ContainerInsights::Enabled,
        },
    );
    let namespace = PrivateDnsNamespace::new(
        &mut root,
        "CloudMapNamespace",
        PrivateDnsNamespaceProps {
            name: fns::join("", [env_name.clone(), Value::from(".local")]),
            vpc_id: vpc.vpc_id(),
            description: Some("Service discovery of the environment's services (<instance>.<service>)".to_owned()),
        },
    );
    let exec_role = execution_role(&mut root, env_name);
    let topic = ping_topic(&mut root);

    let mut out = |name: &str, value: Value<String>, description: &str| {
        env.output_with_description(name, value, Some(description));
    };
    out(outputs::CLUSTER, cluster.name(), "The name of the ECS cluster");
    out(outputs::CLUSTER_ARN, cluster.arn(), "The ARN of the ECS cluster");
    out(outputs::EXECUTION_ROLE_ARN, exec_role.arn(), "The ARN of the ECS role");
    network_and_topic_outputs(&mut env, &network, &topic);
    env.output_with_description(outputs::NAMESPACE_ID, namespace.id(), Some("CloudMap namespace Id"));
    env.output_with_description(
        outputs::VPC_CIDR,
        network.cidr.clone(),
        Some("The CIDR range of the VPC"),
    );
    env
}

/// The VPC of the catalog's environments and its CIDR input.
pub struct Network {
    pub vpc: Vpc,
    /// The `vpc_cidr` input.
    pub cidr: Value<String>,
}

/// The sample's five CIDR inputs (in its order) and the VPC built from them: two public subnets with a NAT
/// gateway each, two private subnets routed to the NAT gateway of their zone, flow logs (one year).
pub fn network(env: &mut EnvironmentTemplate) -> Network {
    let vpc_cidr = cidr_input(env, "vpc_cidr", "The CIDR range for your VPC", "10.0.0.0/16");
    let public = SubnetTier::Public;
    let private = SubnetTier::PrivateWithEgress;
    let subnets = [
        (
            "public_subnet_one_cidr",
            "public subnet one",
            "10.0.0.0/18",
            "PublicSubnet1",
            public,
            0,
        ),
        (
            "public_subnet_two_cidr",
            "public subnet two",
            "10.0.64.0/18",
            "PublicSubnet2",
            public,
            1,
        ),
        (
            "private_subnet_one_cidr",
            "private subnet one",
            "10.0.128.0/18",
            "PrivateSubnet1",
            private,
            0,
        ),
        (
            "private_subnet_two_cidr",
            "private subnet two",
            "10.0.192.0/18",
            "PrivateSubnet2",
            private,
            1,
        ),
    ]
    .map(|(input, what, default, name, tier, az_index)| ExplicitSubnet {
        name: name.to_owned(),
        tier,
        cidr: cidr_input(env, input, &format!("The CIDR range for {what}"), default).value(),
        az_index,
    });
    let vpc = Vpc::new(
        &mut env.root(),
        "VPC",
        VpcProps {
            cidr_block_value: Some(vpc_cidr.value()),
            explicit_subnets: subnets.to_vec(),
            max_azs: 2,
            // Like the sample: a NAT gateway in each public subnet, used by the private subnet of its zone.
            nat_gateways: NatGateways::PerAz,
            ..VpcProps::default()
        },
    );
    Network {
        vpc,
        cidr: vpc_cidr.value(),
    }
}

/// The outputs of the network and the topic, as the sample names them.
pub fn network_and_topic_outputs(env: &mut EnvironmentTemplate, network: &Network, topic: &Handle<cfn::sns::Topic>) {
    let mut out = |name: &str, value: Value<String>, description: &str| {
        env.output_with_description(name, value, Some(description));
    };
    out(outputs::SNS_TOPIC_ARN, topic.r#ref(), "The name of the SNS Topic");
    // The topic's name is the last part of its ARN (`arn:<partition>:sns:<region>:<account>:<name>`).
    out(
        outputs::SNS_TOPIC_NAME,
        fns::select(5, fns::split(":", topic.r#ref())),
        "TopicName of the SNS Topic",
    );
    out(outputs::SNS_REGION, Value::region(), "Region of the SNS Topic");
    out(
        outputs::VPC,
        network.vpc.vpc_id(),
        "The ID of the VPC that this stack is deployed in",
    );
    let public = network.vpc.public_subnet_ids();
    let private = network.vpc.private_subnet_ids();
    for ((name, id), what) in outputs::PUBLIC_SUBNETS
        .iter()
        .zip(public)
        .zip(["Public subnet one", "Public subnet two"])
    {
        out(name, id, what);
    }
    for ((name, id), what) in outputs::PRIVATE_SUBNETS
        .iter()
        .zip(private)
        .zip(["Private subnet one", "Private subnet two"])
    {
        out(name, id, what);
    }
}

/// The task execution role of every service of the environment: least privilege instead of the managed
/// `AmazonECSTaskExecutionRolePolicy`. ECR: the authorization token (no resource-level permissions, so `*`)
/// and pulls from this account's repositories (the services' pipelines create theirs later; public registries
/// need no permission). CloudWatch Logs: streams and events below `/proton/<environment>/` only (the log groups
/// are created by CloudFormation). No Secrets Manager or SSM access.
pub fn execution_role(root: &mut Scope, env_name: Value<String>) -> Role {
    let role = Role::new(
        root,
        "ServiceTaskDefExecutionRole",
        RoleProps {
            assumed_by: Principal::service("ecs-tasks.amazonaws.com"),
            description: Some(
                "ECS task execution role of the services of this environment: ECR pulls and log writes".to_owned(),
            ),
            ..RoleProps::default()
        },
    );
    let stack = root.stack();
    role.add_to_policy(
        stack,
        PolicyStatement::allow(&["ecr:GetAuthorizationToken"], [Value::from("*")]),
    );
    role.add_to_policy(
        stack,
        PolicyStatement::allow(
            &[
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchGetImage",
            ],
            [fns::sub(
                "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/*",
                Vec::<(String, Expr)>::new(),
            )],
        ),
    );
    role.add_to_policy(
        stack,
        PolicyStatement::allow(
            &["logs:CreateLogStream", "logs:PutLogEvents"],
            [fns::sub(
                &format!(
                    "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{LOG_GROUP_PREFIX}/${{Env}}/*"
                ),
                [("Env", env_name.into_expr())],
            )],
        ),
    );
    role
}

/// The sample's `ping` topic (AWS managed key `alias/aws/sns`, generated name) and its policy: TLS only, and
/// this account may subscribe SQS queues (the sample's statement).
pub fn ping_topic(root: &mut Scope) -> proton_synth::constructs::Handle<cfn::sns::Topic> {
    let topic = root.add(
        "pingSNSTopic",
        cfn::sns::Topic {
            kms_master_key_id: Some(Value::from("alias/aws/sns")),
            ..cfn::sns::Topic::new()
        },
    );
    let arn = topic.r#ref();
    let document = PolicyDocument::new(vec![
        PolicyStatement::allow(&["sns:Subscribe"], [arn.clone()])
            .with_principal(Principal::this_account())
            .with_condition("StringEquals", "sns:Protocol", Expr::Str("sqs".to_owned())),
        PolicyStatement::deny(&["sns:*"], [arn.clone()])
            .with_principal(Principal::Any)
            .with_condition("Bool", "aws:SecureTransport", Expr::Str("false".to_owned())),
    ]);
    // No L1 type for AWS::SNS::TopicPolicy is generated yet: the resource is added by type name.
    let properties = Value::<proton_synth::constructs::Json>::object([
        ("PolicyDocument", document.to_expr()),
        ("Topics", Expr::List(vec![arn.into_expr()])),
    ]);
    root.add_untyped("pingSNSTopicPolicy", "AWS::SNS::TopicPolicy", properties.into_expr());
    topic
}

/// The program's templates; `main` hands them to the CLI, tests snapshot them.
pub fn app() -> App {
    let mut app = App::new("fargate-env");
    app.add_environment(environment());
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(app().run());
}
