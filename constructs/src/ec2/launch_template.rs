//! [`LaunchTemplate`]: how the EC2 instances of an Auto Scaling group are launched (IMDSv2 only, encrypted
//! EBS, an instance role and profile, no public IP).

use crate::cfn;
use crate::cfn::ec2::launch_template as lt;
use crate::iam::{Principal, Role, RoleProps};
use crate::nag::{self, Tool};
use crate::stack::{Construct, Handle, NodeId, Scope, Stack};
use crate::value::{fns, Expr, Value};

use super::*;

/// The AMI of the instances.
#[derive(Clone, Debug)]
pub enum MachineImage {
    /// The AMI ID stored in a public or own SSM parameter (may be a late-bound value such as an AWS Proton
    /// input), read by CloudFormation at every deployment through a `{{resolve:ssm:NAME}}` dynamic reference.
    SsmParameter(Value<String>),
    /// A fixed AMI ID (`ami-…`).
    Id(Value<String>),
}

impl MachineImage {
    /// The recommended ECS-optimized Amazon Linux 2 AMI (AWS's public SSM parameter).
    pub fn ecs_optimized_amazon_linux_2() -> Self {
        MachineImage::SsmParameter(Value::from(ECS_OPTIMIZED_AL2_PARAMETER))
    }

    fn image_id(&self) -> Value<String> {
        match self {
            MachineImage::SsmParameter(name) => {
                fns::sub("{{resolve:ssm:${Name}}}", [("Name", name.clone().into_expr())])
            }
            MachineImage::Id(id) => id.clone(),
        }
    }
}

/// AWS's public SSM parameter of the recommended ECS-optimized Amazon Linux 2 AMI.
pub const ECS_OPTIMIZED_AL2_PARAMETER: &str = "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id";

/// The root EBS volume; always encrypted (with the account's default EBS key unless `kms_key_arn` is set).
#[derive(Clone, Debug)]
pub struct RootVolume {
    /// The AMI's root device (default `/dev/xvda`, Amazon Linux).
    pub device_name: String,
    /// Default 30 GiB (the ECS-optimized AMI's minimum).
    pub size_gib: u32,
    pub kms_key_arn: Option<Value<String>>,
}

impl Default for RootVolume {
    fn default() -> Self {
        RootVolume {
            device_name: "/dev/xvda".to_owned(),
            size_gib: 30,
            kms_key_arn: None,
        }
    }
}

/// Properties of [`LaunchTemplate`].
#[derive(Clone, Debug)]
pub struct LaunchTemplateProps {
    pub machine_image: MachineImage,
    /// E.g. `c5.large` (may be a late-bound value).
    pub instance_type: Value<String>,
    /// Security groups of the instances (at least one).
    pub security_groups: Vec<SecurityGroup>,
    /// The instance role. `None` creates one assumed by EC2 without permissions; constructs grant it what
    /// they need (e.g. the ECS agent's permissions when the group becomes a capacity provider).
    pub role: Option<Role>,
    /// Shell commands run at first boot (`#!/bin/bash` is prepended); more can be added with
    /// [`LaunchTemplate::add_user_data`].
    pub user_data: Vec<Value<String>>,
    pub root_volume: RootVolume,
    /// Hops an IMDSv2 token may travel (default 1: containers in `bridge` mode cannot reach the instance
    /// metadata and its role credentials; the ECS agent runs on the host network).
    pub metadata_hop_limit: u32,
    /// Public IPv4 addresses on the instances' primary interface (may be a late-bound value such as a
    /// condition on an AWS Proton input). `None` (default): none are asked for (the subnet's setting applies,
    /// off in `ec2::Vpc`'s subnets). `Some` records a suppression of CT.EC2.PR.9 with the reason.
    pub associate_public_ip_address: Option<Value<bool>>,
    /// Detailed (1-minute) CloudWatch monitoring (default true).
    pub detailed_monitoring: bool,
    pub name: Option<Value<String>>,
}

impl LaunchTemplateProps {
    pub fn new(
        machine_image: MachineImage,
        instance_type: impl Into<Value<String>>,
        security_groups: Vec<SecurityGroup>,
    ) -> Self {
        LaunchTemplateProps {
            machine_image,
            instance_type: instance_type.into(),
            security_groups,
            role: None,
            user_data: Vec::new(),
            root_volume: RootVolume::default(),
            metadata_hop_limit: 1,
            associate_public_ip_address: None,
            detailed_monitoring: true,
            name: None,
        }
    }
}

/// An EC2 launch template, secure by default: instance metadata only with IMDSv2 tokens (CT.EC2.PR.8,
/// CKV_AWS_79), an encrypted root volume (CT.EC2.PR.7), no public IP, an instance profile for its role.
///
/// ```
/// use proton_synth_constructs::ec2::{LaunchTemplate, LaunchTemplateProps, MachineImage, SecurityGroup};
/// use proton_synth_constructs::{Mode, Stack, Value};
///
/// let mut stack = Stack::new("App");
/// let sg = SecurityGroup::from_id(Value::from("sg-1"));
/// let props = LaunchTemplateProps::new(MachineImage::ecs_optimized_amazon_linux_2(), "c5.large", vec![sg]);
/// let lt = LaunchTemplate::new(&mut stack.root(), "Hosts", props);
/// lt.add_user_data(&mut stack, [Value::from("echo hello")]);
/// stack.synth(Mode::Plain).expect("a valid template");
/// ```
#[derive(Clone, Debug)]
pub struct LaunchTemplate {
    handle: Handle<cfn::ec2::LaunchTemplate>,
    path: String,
    node: NodeId,
    role: Role,
    security_groups: Vec<SecurityGroup>,
}

impl LaunchTemplate {
    pub fn new(scope: &mut Scope, id: &str, props: LaunchTemplateProps) -> Self {
        let mut child = scope.child(id);
        if props.security_groups.is_empty() {
            child.error("a launch template needs at least one security group");
        }
        if !(1..=64).contains(&props.metadata_hop_limit) {
            child.error(format!(
                "metadata_hop_limit {} is not in the range 1-64",
                props.metadata_hop_limit
            ));
        }
        if !(8..=16_384).contains(&props.root_volume.size_gib) {
            child.error(format!(
                "root volume size {} GiB is not in the range 8-16384",
                props.root_volume.size_gib
            ));
        }
        let role = props.role.clone().unwrap_or_else(|| {
            Role::new(
                &mut child,
                "InstanceRole",
                RoleProps {
                    assumed_by: Principal::service("ec2.amazonaws.com"),
                    ..RoleProps::default()
                },
            )
        });
        let profile = child.add("InstanceProfile", cfn::iam::InstanceProfile::new(vec![role.name()]));
        let data = template_data(&props, profile.attr_arn());
        let handle = child.add(
            "Resource",
            cfn::ec2::LaunchTemplate {
                launch_template_name: props.name.clone(),
                ..cfn::ec2::LaunchTemplate::new(data)
            },
        );
        if props.associate_public_ip_address.is_some() {
            nag::suppress(
                child.stack().resource_mut(&handle),
                Tool::Guard,
                "CT.EC2.PR.9",
                "public IPs asked for by the caller (LaunchTemplateProps.associate_public_ip_address)",
            );
        }
        LaunchTemplate {
            handle,
            path: child.path(),
            node: child.node_id(),
            role,
            security_groups: props.security_groups,
        }
    }

    /// Append shell commands to the instances' user data (they run in order at first boot).
    pub fn add_user_data(&self, stack: &mut Stack, commands: impl IntoIterator<Item = Value<String>>) {
        let Some(t) = stack.l1_mut(&self.handle) else { return };
        let mut parts = match t.launch_template_data.user_data.take().map(|v| v.expr().clone()) {
            Some(Expr::Base64(inner)) => match *inner {
                Expr::Join(_, list) => match *list {
                    Expr::List(parts) => parts,
                    other => vec![other],
                },
                other => vec![other],
            },
            Some(other) => vec![other],
            None => vec![Expr::Str("#!/bin/bash\n".to_owned())],
        };
        for c in commands {
            // A command joined from parts (e.g. with a `Ref`) is spliced: one flat `Fn::Join`.
            match c.into_expr() {
                Expr::Join(d, list) if d.is_empty() && matches!(*list, Expr::List(_)) => {
                    if let Expr::List(items) = *list {
                        parts.extend(items);
                    }
                }
                other => parts.push(other),
            }
            parts.push(Expr::Str("\n".to_owned()));
        }
        let script = fns::join("", parts.into_iter().map(Value::from_expr));
        t.launch_template_data.user_data = Some(fns::base64(script));
    }

    /// The launch template ID (`Ref`).
    pub fn id(&self) -> Value<String> {
        self.handle.r#ref()
    }

    /// The latest version number (what an Auto Scaling group launches).
    pub fn latest_version(&self) -> Value<String> {
        self.handle.attr_latest_version_number()
    }

    pub fn handle(&self) -> Handle<cfn::ec2::LaunchTemplate> {
        self.handle
    }

    /// The instances' role (grant it what the instances need).
    pub fn role(&self) -> &Role {
        &self.role
    }

    pub fn security_groups(&self) -> &[SecurityGroup] {
        &self.security_groups
    }
}

/// The launch template data: image, type, profile, IMDSv2, encrypted root volume, security groups.
fn template_data(props: &LaunchTemplateProps, profile_arn: Value<String>) -> lt::LaunchTemplateData {
    let mut data = lt::LaunchTemplateData::new();
    data.image_id = Some(props.machine_image.image_id());
    data.instance_type = Some(props.instance_type.clone());
    data.iam_instance_profile = Some(lt::IamInstanceProfile {
        arn: Some(profile_arn),
        ..lt::IamInstanceProfile::new()
    });
    data.metadata_options = Some(lt::MetadataOptions {
        http_endpoint: Some("enabled".into()),
        http_tokens: Some("required".into()),
        http_put_response_hop_limit: Some(i64::from(props.metadata_hop_limit).into()),
        ..lt::MetadataOptions::new()
    });
    data.block_device_mappings = Some(vec![lt::BlockDeviceMapping {
        device_name: Some(props.root_volume.device_name.as_str().into()),
        ebs: Some(lt::Ebs {
            encrypted: Some(true.into()),
            delete_on_termination: Some(true.into()),
            volume_size: Some(i64::from(props.root_volume.size_gib).into()),
            volume_type: Some("gp3".into()),
            kms_key_id: props.root_volume.kms_key_arn.clone(),
            ..lt::Ebs::new()
        }),
        ..lt::BlockDeviceMapping::new()
    }]);
    let groups = Value::from(props.security_groups.iter().map(SecurityGroup::id).collect::<Vec<_>>());
    match &props.associate_public_ip_address {
        // Security groups then go on the interface (EC2 rejects both forms at once).
        Some(public) => {
            data.network_interfaces = Some(vec![lt::NetworkInterface {
                device_index: Some(0.into()),
                associate_public_ip_address: Some(public.clone()),
                delete_on_termination: Some(true.into()),
                groups: Some(groups),
                ..lt::NetworkInterface::new()
            }])
        }
        None => data.security_group_ids = Some(groups),
    }
    data.monitoring = Some(lt::Monitoring {
        enabled: Some(props.detailed_monitoring.into()),
    });
    if !props.user_data.is_empty() {
        let mut parts = vec![Value::from("#!/bin/bash\n")];
        for c in &props.user_data {
            parts.push(c.clone());
            parts.push(Value::from("\n"));
        }
        data.user_data = Some(fns::base64(fns::join("", parts)));
    }
    data
}

impl Construct for LaunchTemplate {
    fn node_id(&self) -> Option<NodeId> {
        Some(self.node)
    }
    fn path(&self) -> &str {
        &self.path
    }
}
