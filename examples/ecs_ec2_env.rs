//! AWS's catalog environment `ecs-ec2-env` (aws-proton-cloudformation-sample-templates,
//! `environment-templates/ecs-ec2-env`) rewritten with typed constructs, at input parity: the same inputs
//! (`vpc_cidr` and the four subnet CIDRs of `fargate_env.rs`, then `subnet_type`, `DesiredCapacity`, `MaxSize`,
//! `ECSAMI`, `InstanceType`, with the sample's descriptions, defaults and enum) and every output of the sample
//! (those of `fargate-env` plus `ECSHostSecurityGroup`), which the catalog's ECS-on-EC2 services read. What it
//! builds:
//!
//! - the network, cluster, Cloud Map namespace, task execution role and `ping` topic of `fargate_env.rs`
//!   (included, not copied);
//! - the cluster's EC2 capacity: a launch template (the `ECSAMI` SSM parameter's AMI, `InstanceType`), an Auto
//!   Scaling group of 1 to `MaxSize` instances (`DesiredCapacity` at creation) in the subnets `subnet_type`
//!   chooses, and a capacity provider that is the cluster's default strategy.
//!
//! Deviations from the sample, all for security or robustness:
//!
//! - The sample's draining machinery (a lifecycle hook, an SNS topic, a Python 3.6 Lambda function with
//!   `ec2:Describe*` on `*`, their roles) is replaced by the capacity provider's managed draining and managed
//!   termination protection; ECS managed scaling sizes the group to the tasks placed on it.
//! - A launch template instead of a launch configuration (deprecated): IMDSv2 only with a hop limit of 1
//!   (the sample blocked the metadata service from containers with iptables), an encrypted gp3 root volume,
//!   detailed monitoring. The AMI is still read from the `ECSAMI` SSM parameter at every deployment, as a
//!   `{{resolve:ssm:…}}` dynamic reference instead of a template parameter of type
//!   `AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>` (a Proton input cannot be a parameter's default here).
//! - The instance role has the ECS agent's permissions on this cluster's container instances only (the
//!   sample: `ecs:Poll` and ECR/CloudWatch Logs on `*`); task execution roles pull images and write logs.
//! - The hosts' security group (`ECSHostSecurityGroup`) allows HTTPS out only (the sample: everything).
//!   Services run their tasks in `awsvpc` mode with their own security groups, so nothing is opened on it.
//! - Instances in the public subnets (`subnet_type: public`, the sample's default) get a public IP on their
//!   interface, as the sample's subnets mapped one; in the private subnets they get none.
//! - Those of `fargate_env.rs` (least-privilege execution role, flow logs, Container Insights, TLS-only topic,
//!   the extra `VpcCidrBlock` output).
//! - The default instance type `c4.xlarge` is kept for parity though it is not a Nitro type (CT.EC2.PR.15,
//!   suppressed with that reason): choose a current type such as `c6i.xlarge` in the spec.
//!
//! ```sh
//! cargo run --example ecs_ec2_env -- synth --out out/ecs_ec2_env
//! ```

use proton_synth::app::App;
use proton_synth::constructs::autoscaling::{AutoScalingGroup, AutoScalingGroupProps};
use proton_synth::constructs::ec2::{
    LaunchTemplate, LaunchTemplateProps, MachineImage, Peer, Port, SecurityGroup, SecurityGroupProps,
};
use proton_synth::constructs::ecs::{
    AsgCapacityProvider, AsgCapacityProviderProps, Cluster, ClusterProps, ContainerInsights,
};
use proton_synth::constructs::nag::{self, Tool};
use proton_synth::constructs::servicediscovery::{PrivateDnsNamespace, PrivateDnsNamespaceProps};
use proton_synth::constructs::{fns, CondExpr, Scope, Value};
use proton_synth::proton::{Env, EnvironmentTemplate, Input, InputDef};

#[path = "fargate_env.rs"]
pub mod fargate_env;

use fargate_env::outputs;

/// The Proton template name (the catalog's EC2 services declare compatibility with `ecs-ec2-env:1`).
pub const TEMPLATE_NAME: &str = "ecs-ec2-env";

/// Not in `fargate-env`: the hosts' security group.
pub const HOST_SECURITY_GROUP: &str = "ECSHostSecurityGroup";

/// The sample's inputs after the network's, in its order.
struct HostInputs {
    subnet_type: Input<Env, String>,
    desired: Input<Env, f64>,
    max: Input<Env, f64>,
    ami: Input<Env, String>,
    instance_type: Input<Env, String>,
}

fn host_inputs(env: &mut EnvironmentTemplate) -> HostInputs {
    HostInputs {
        subnet_type: env.input(
            InputDef::string("subnet_type")
                .description("Subnet type for your EC2 instances")
                .enum_values(["public", "private"])
                .default("public"),
        ),
        desired: env.input(
            InputDef::number("DesiredCapacity")
                .default(1.0)
                .description("Number of EC2 instances to launch in your ECS cluster"),
        ),
        max: env.input(
            InputDef::number("MaxSize")
                .default(6.0)
                .description("Maximum number of EC2 instances that can be launched in your ECS cluster"),
        ),
        ami: env.input(
            InputDef::string("ECSAMI")
                .description("AMI used to launch the EC2 instances")
                .default(proton_synth::constructs::ec2::ECS_OPTIMIZED_AL2_PARAMETER),
        ),
        instance_type: env.input(
            InputDef::string("InstanceType")
                .description("EC2 instance type")
                .default("c4.xlarge"),
        ),
    }
}

/// The environment template.
pub fn environment() -> EnvironmentTemplate {
    let mut env = EnvironmentTemplate::new(TEMPLATE_NAME)
        .description(
            "A VPC with public and private subnets, NAT gateways, an ECS cluster with an Auto Scaling group of EC2 \
             container instances as its capacity provider, a Cloud Map namespace and a shared SNS topic \
             (proton-synth port of AWS's ecs-ec2-env sample)",
        )
        .input_type_name("EC2EnvironmentInput")
        .input_type_description("Input properties for my environment");
    let network = fargate_env::network(&mut env);
    let inputs = host_inputs(&mut env);
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
            vpc_id: network.vpc.vpc_id(),
            description: Some("Service discovery of the environment's services (<instance>.<service>)".to_owned()),
        },
    );
    let exec_role = fargate_env::execution_role(&mut root, env_name);
    let topic = fargate_env::ping_topic(&mut root);
    let hosts = host_security_group(&mut root, &network.vpc.vpc_id());
    capacity(&mut root, &network.vpc, &cluster, &hosts, &inputs);

    let mut out = |name: &str, value: Value<String>, description: &str| {
        env.output_with_description(name, value, Some(description));
    };
    out(outputs::CLUSTER, cluster.name(), "The name of the ECS cluster");
    out(outputs::CLUSTER_ARN, cluster.arn(), "The ARN of the ECS cluster");
    out(outputs::EXECUTION_ROLE_ARN, exec_role.arn(), "The ARN of the ECS role");
    fargate_env::network_and_topic_outputs(&mut env, &network, &topic);
    env.output_with_description(outputs::NAMESPACE_ID, namespace.id(), Some("CloudMap namespace Id"));
    env.output_with_description(
        HOST_SECURITY_GROUP,
        hosts.id(),
        Some("A security group used to allow containers to receive traffic"),
    );
    env.output_with_description(
        outputs::VPC_CIDR,
        network.cidr.clone(),
        Some("The CIDR range of the VPC"),
    );
    env
}

/// The container instances' security group: nothing in, HTTPS out (ECS, ECR and SSM endpoints).
fn host_security_group(root: &mut Scope, vpc_id: &Value<String>) -> SecurityGroup {
    let sg = SecurityGroup::new(
        root,
        HOST_SECURITY_GROUP,
        SecurityGroupProps {
            vpc_id: vpc_id.clone(),
            description: "Access to the ECS hosts that run containers".to_owned(),
            allow_all_outbound: false,
            group_name: None,
        },
    );
    sg.add_egress_rule(
        root.stack(),
        Peer::any_ipv4(),
        Port::tcp(443),
        "HTTPS to the ECS, ECR and SSM endpoints (agent registration, images, AMI parameter)",
    );
    sg
}

/// Launch template, Auto Scaling group in the subnets `subnet_type` chooses, capacity provider of the cluster.
fn capacity(
    root: &mut Scope,
    vpc: &proton_synth::constructs::ec2::Vpc,
    cluster: &Cluster,
    hosts: &SecurityGroup,
    inputs: &HostInputs,
) {
    let private = root.add_condition(
        "PrivateSubnets",
        CondExpr::equals(inputs.subnet_type.value(), Value::from("private")),
    );
    let mut lt_props = LaunchTemplateProps::new(
        MachineImage::SsmParameter(inputs.ami.value()),
        inputs.instance_type.value(),
        vec![hosts.clone()],
    );
    // Instances in the public subnets need a public IP to reach ECS (no NAT gateway there).
    lt_props.associate_public_ip_address = Some(fns::if_(&private, Value::from(false), Value::from(true)));
    let lt = LaunchTemplate::new(root, "EC2LaunchTemplate", lt_props);
    nag::suppress(
        root.stack().resource_mut(&lt.handle()),
        Tool::Guard,
        "CT.EC2.PR.15",
        "the instance type is the InstanceType input; its default c4.xlarge (the sample's) is not a Nitro type, \
         choose a current type in the environment spec",
    );
    let subnets = vpc
        .private_subnet_ids()
        .into_iter()
        .zip(vpc.public_subnet_ids())
        .map(|(private_id, public_id)| fns::if_(&private, private_id, public_id))
        .collect();
    let mut group = AutoScalingGroupProps::new(lt, subnets);
    // Subnet 1 of each tier is in the first zone, subnet 2 in the second (fargate_env's network).
    group.availability_zones = (0..2).map(|i| fns::select(i, fns::get_azs())).collect();
    group.min_capacity = Value::from(1);
    group.max_capacity = inputs.max.as_integer();
    group.desired_capacity = Some(inputs.desired.as_integer());
    let group = AutoScalingGroup::new(root, "EC2AutoScalingGroup", group);
    let provider = AsgCapacityProvider::new(root, "CapacityProvider", AsgCapacityProviderProps::new(group));
    cluster.add_capacity_provider(root.stack(), &provider);
}

/// The program's templates; `main` hands them to the CLI, tests snapshot them.
pub fn app() -> App {
    let mut app = App::new("ecs-ec2-env");
    app.add_environment(environment());
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(app().run());
}
