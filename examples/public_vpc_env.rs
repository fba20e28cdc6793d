//! AWS's seed sample environment `public-vpc` (aws-proton-sample-templates, `loadbalanced-fargate-svc/environment`)
//! rewritten with typed constructs: the same inputs (`vpc_cidr`, `subnet_one_cidr`, `subnet_two_cidr`, with the
//! sample's types, descriptions, defaults and patterns) and the same outputs services are written against
//! (`ClusterName`, `ECSTaskExecutionRole`, `VpcId`, `PublicSubnetOne`, `PublicSubnetTwo`,
//! `ContainerSecurityGroup`), secure by default:
//!
//! - a VPC with the two public subnets of the inputs, each with its own route table to the internet gateway,
//!   VPC flow logs (one year), and no public IP mapped on launch (the sample maps one onto everything launched there; the load
//!   balancers of services do not need it, and tasks ask for one explicitly, see `lb_fargate_svc.rs`);
//! - an ECS cluster with Container Insights;
//! - a container security group whose egress is HTTPS only (image registries, CloudWatch Logs) instead of
//!   EC2's allow-all default; services add ingress from their own load balancer on their container port;
//! - the ECS task execution role with a least-privilege inline policy instead of the AWS managed
//!   `AmazonECSTaskExecutionRolePolicy` (ECR pulls and log writes on `Resource: "*"`): pulls from this
//!   account's repositories, log writes below `/proton/<environment name>/` only ([`LOG_GROUP_PREFIX`]).
//!   Services written against this environment name their log groups accordingly (`lb_fargate_svc.rs` does);
//!   AWS's original service template, which names them `<service>/<instance>`, would need that one change.
//!
//! ```sh
//! cargo run --example public_vpc_env -- synth --out out/public_vpc_env
//! ```

use proton_synth::app::App;
use proton_synth::constructs::ec2::{
    Connectable, ExplicitSubnet, NatGateways, Port, SecurityGroup, SecurityGroupProps, SubnetTier, Vpc, VpcProps,
};
use proton_synth::constructs::ecs::{Cluster, ClusterProps, ContainerInsights};
use proton_synth::constructs::iam::{PolicyStatement, Principal, Role, RoleProps};
use proton_synth::constructs::{fns, Expr, Scope, Value};
use proton_synth::proton::{EnvironmentTemplate, InputDef};

/// The Proton template name (services declare compatibility with `public-vpc:1`).
pub const TEMPLATE_NAME: &str = "public-vpc";

/// The sample's CIDR pattern, kept byte for byte (unanchored, as OpenAPI patterns are).
pub const CIDR_PATTERN: &str = r"([0-9]{1,3}\.){3}[0-9]{1,3}($|/(16|24))";

/// Services of this environment name their log groups `/proton/<environment>/<service>/<instance>`: the task
/// execution role may write only below `/proton/<environment>/`.
pub const LOG_GROUP_PREFIX: &str = "/proton";

/// The environment template.
pub fn environment() -> EnvironmentTemplate {
    // The schema's input type is the sample's, name and description; the CloudFormation template has its own
    // description.
    let mut env = EnvironmentTemplate::new(TEMPLATE_NAME)
        .description(
            "AWS Fargate cluster running containers in public subnets, for services behind a public load balancer \
             (proton-synth port of AWS's public-vpc sample)",
        )
        .input_type_name("PublicEnvironmentInput")
        .input_type_description("Input properties for my environment");

    let vpc_cidr = env.input(
        InputDef::string("vpc_cidr")
            .description("This CIDR range for your VPC")
            .default("10.0.0.0/16")
            .pattern(CIDR_PATTERN),
    );
    let subnet_one_cidr = env.input(
        InputDef::string("subnet_one_cidr")
            .description("The CIDR range for subnet one")
            .default("10.0.0.0/24")
            .pattern(CIDR_PATTERN),
    );
    let subnet_two_cidr = env.input(
        InputDef::string("subnet_two_cidr")
            .description("The CIDR range for subnet two")
            .default("10.0.1.0/24")
            .pattern(CIDR_PATTERN),
    );
    let env_name = env.environment_name();

    let mut root = env.root();
    let vpc = network(
        &mut root,
        vpc_cidr.value(),
        [subnet_one_cidr.value(), subnet_two_cidr.value()],
    );
    let public_subnets = vpc.public_subnet_ids();

    let cluster = Cluster::new(
        &mut root,
        "ECSCluster",
        ClusterProps {
            name: None,
            container_insights: ContainerInsights::Enabled,
        },
    );

    let container_sg = container_security_group(&mut root, &vpc);
    let exec_role = execution_role(&mut root, env_name);

    // The outputs services are written against: the sample's names and descriptions.
    env.output_with_description("ClusterName", cluster.name(), Some("The name of the ECS cluster"));
    env.output_with_description("ECSTaskExecutionRole", exec_role.arn(), Some("The ARN of the ECS role"));
    env.output_with_description(
        "VpcId",
        vpc.vpc_id(),
        Some("The ID of the VPC that this stack is deployed in"),
    );
    env.output_with_description("PublicSubnetOne", public_subnets[0].clone(), Some("Public subnet one"));
    env.output_with_description("PublicSubnetTwo", public_subnets[1].clone(), Some("Public subnet two"));
    env.output_with_description(
        "ContainerSecurityGroup",
        container_sg.id(),
        Some("A security group used to allow Fargate containers to receive traffic"),
    );
    env
}

/// Network: the two public subnets of the inputs, in the region's first two Availability Zones.
fn network(root: &mut Scope, vpc_cidr: Value<String>, [one, two]: [Value<String>; 2]) -> Vpc {
    Vpc::new(
        root,
        "VPC",
        VpcProps {
            cidr_block_value: Some(vpc_cidr),
            explicit_subnets: vec![
                ExplicitSubnet {
                    name: "PublicSubnetOne".to_owned(),
                    tier: SubnetTier::Public,
                    cidr: one,
                    az_index: 0,
                },
                ExplicitSubnet {
                    name: "PublicSubnetTwo".to_owned(),
                    tier: SubnetTier::Public,
                    cidr: two,
                    az_index: 1,
                },
            ],
            max_azs: 2,
            // The sample's contract has public subnets only: no private tier, so no NAT gateway.
            nat_gateways: NatGateways::None,
            ..VpcProps::default()
        },
    )
}

/// The tasks' security group. No ingress here: each service opens it to its own load balancer on its
/// container port. Egress is HTTPS only: the tasks run in public subnets without VPC endpoints, so image
/// pulls (ECR, ECR Public) and log delivery (CloudWatch Logs) go to public AWS endpoints on 443. (DNS to the
/// VPC resolver is not filtered by security groups.)
fn container_security_group(root: &mut Scope, vpc: &Vpc) -> SecurityGroup {
    let container_sg = SecurityGroup::new(
        root,
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
    container_sg
}

/// The task execution role used by every service of this environment (the sample's service templates put
/// it into their task definitions as `environment.outputs.ECSTaskExecutionRole`). Least privilege instead
/// of the managed AmazonECSTaskExecutionRolePolicy:
/// - ECR: the authorization token (an action without resource-level permissions, so `*`) and image pulls
///   from the repositories of this account and region only; the service pipelines create their
///   repositories after the environment, so their names are not known here. Public registries (the default
///   image is on ECR Public) need no IAM permission.
/// - CloudWatch Logs: stream creation and writes only below `/proton/<environment name>/`, the prefix the
///   service templates use for their log groups (log groups themselves are created by CloudFormation, so
///   no logs:CreateLogGroup).
///
/// No Secrets Manager / SSM access: services that inject secrets need their own execution role.
fn execution_role(root: &mut Scope, env_name: Value<String>) -> Role {
    let exec_role = Role::new(
        root,
        "ECSTaskExecutionRole",
        RoleProps {
            assumed_by: Principal::service("ecs-tasks.amazonaws.com"),
            description: Some(
                "ECS task execution role of the services of this environment: ECR pulls and log writes".to_owned(),
            ),
            ..RoleProps::default()
        },
    );
    let stack = root.stack();
    exec_role.add_to_policy(
        stack,
        PolicyStatement::allow(&["ecr:GetAuthorizationToken"], [Value::from("*")]),
    );
    exec_role.add_to_policy(
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
    exec_role.add_to_policy(
        stack,
        PolicyStatement::allow(
            &["logs:CreateLogStream", "logs:PutLogEvents"],
            [fns::sub(
                &format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{LOG_GROUP_PREFIX}/${{Env}}/*"),
                [("Env", env_name.into_expr())],
            )],
        ),
    );
    exec_role
}

/// The program's templates; `main` hands them to the CLI, tests snapshot them.
pub fn app() -> App {
    let mut app = App::new("public-vpc-env");
    app.add_environment(environment());
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(proton_synth::cli::run_lazily(app));
}
