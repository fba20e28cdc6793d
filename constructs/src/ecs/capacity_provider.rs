//! [`AsgCapacityProvider`]: an Auto Scaling group as the EC2 capacity of a cluster, and
//! [`Cluster::add_capacity_provider`].

use crate::autoscaling::AutoScalingGroup;
use crate::cfn;
use crate::cfn::ecs::capacity_provider as cp;
use crate::cfn::ecs::cluster_capacity_provider_associations as assoc;
use crate::iam::PolicyStatement;
use crate::stack::{Construct, Handle, NodeId, Scope, Stack};
use crate::value::{fns, Expr, Value};

use super::*;

/// ECS managed scaling of the group: ECS sets the group's desired capacity so that the instances are
/// `target_capacity_percent` used by tasks.
#[derive(Clone, Debug)]
pub struct ManagedScaling {
    /// 1–100 (default 100: no spare instance).
    pub target_capacity_percent: u32,
    /// Instances added or removed at most per step (default: ECS's, 1 and 10000).
    pub minimum_step: Option<u32>,
    pub maximum_step: Option<u32>,
    /// Seconds a new instance needs before it counts (default: ECS's 300).
    pub instance_warmup_secs: Option<u32>,
}

impl Default for ManagedScaling {
    fn default() -> Self {
        ManagedScaling {
            target_capacity_percent: 100,
            minimum_step: None,
            maximum_step: None,
            instance_warmup_secs: None,
        }
    }
}

/// Properties of [`AsgCapacityProvider`].
#[derive(Clone, Debug)]
pub struct AsgCapacityProviderProps {
    pub auto_scaling_group: AutoScalingGroup,
    /// Default `Some(ManagedScaling::default())`; `None` leaves the group's size to the caller.
    pub managed_scaling: Option<ManagedScaling>,
    /// ECS protects instances running tasks from scale-in (default true; needs managed scaling). Sets the
    /// group's `NewInstancesProtectedFromScaleIn`.
    pub managed_termination_protection: bool,
    /// ECS drains an instance (its tasks move elsewhere) before the group terminates it (default true): no
    /// lifecycle hook or draining function is needed.
    pub managed_draining: bool,
    /// A fixed name (must not start with `aws`, `ecs` or `fargate`; default: generated).
    pub name: Option<Value<String>>,
}

impl AsgCapacityProviderProps {
    pub fn new(auto_scaling_group: AutoScalingGroup) -> Self {
        AsgCapacityProviderProps {
            auto_scaling_group,
            managed_scaling: Some(ManagedScaling::default()),
            managed_termination_protection: true,
            managed_draining: true,
            name: None,
        }
    }
}

/// An Auto Scaling group capacity provider: ECS scales the group with the tasks placed on it, protects busy
/// instances from scale-in and drains instances before they go. Add it to a cluster with
/// [`Cluster::add_capacity_provider`], which also points the instances at the cluster and grants their role
/// the ECS agent's permissions.
///
/// ```
/// use proton_synth_constructs::autoscaling::{AutoScalingGroup, AutoScalingGroupProps};
/// use proton_synth_constructs::ec2::{LaunchTemplate, LaunchTemplateProps, MachineImage, SecurityGroup};
/// use proton_synth_constructs::ecs::{AsgCapacityProvider, AsgCapacityProviderProps, Cluster, ClusterProps};
/// use proton_synth_constructs::{Mode, Stack, Value};
///
/// let mut stack = Stack::new("App");
/// let cluster = Cluster::new(&mut stack.root(), "Cluster", ClusterProps::default());
/// let sg = SecurityGroup::from_id(Value::from("sg-1"));
/// let lt_props = LaunchTemplateProps::new(MachineImage::ecs_optimized_amazon_linux_2(), "c5.large", vec![sg]);
/// let lt = LaunchTemplate::new(&mut stack.root(), "Hosts", lt_props);
/// let group = AutoScalingGroup::new(
///     &mut stack.root(),
///     "Group",
///     AutoScalingGroupProps::new(lt, vec![Value::from("subnet-1"), Value::from("subnet-2")]),
/// );
/// let provider = AsgCapacityProvider::new(&mut stack.root(), "Capacity", AsgCapacityProviderProps::new(group));
/// cluster.add_capacity_provider(&mut stack, &provider);
/// stack.synth(Mode::Plain).expect("a valid template");
/// ```
#[derive(Clone, Debug)]
pub struct AsgCapacityProvider {
    handle: Handle<cfn::ecs::CapacityProvider>,
    path: String,
    node: NodeId,
    auto_scaling_group: AutoScalingGroup,
}

impl AsgCapacityProvider {
    pub fn new(scope: &mut Scope, id: &str, props: AsgCapacityProviderProps) -> Self {
        let mut child = scope.child(id);
        if props.managed_termination_protection && props.managed_scaling.is_none() {
            child.error("managed_termination_protection needs managed_scaling (ECS decides which instances are busy)");
        }
        if let Some(m) = &props.managed_scaling {
            if !(1..=100).contains(&m.target_capacity_percent) {
                child.error(format!(
                    "target_capacity_percent {} is not in the range 1-100",
                    m.target_capacity_percent
                ));
            }
        }
        if let Some(n) = props.name.as_ref().and_then(Value::as_literal) {
            let lower = n.to_ascii_lowercase();
            if ["aws", "ecs", "fargate"].iter().any(|p| lower.starts_with(p)) {
                child.error(format!(
                    "capacity provider name {n:?} must not start with aws, ecs or fargate"
                ));
            }
        }
        let enabled = |on: bool| Some(Value::from(if on { "ENABLED" } else { "DISABLED" }));
        let provider = cp::AutoScalingGroupProvider {
            managed_scaling: props.managed_scaling.as_ref().map(|m| cp::ManagedScaling {
                status: enabled(true),
                target_capacity: Some(i64::from(m.target_capacity_percent).into()),
                minimum_scaling_step_size: m.minimum_step.map(|s| i64::from(s).into()),
                maximum_scaling_step_size: m.maximum_step.map(|s| i64::from(s).into()),
                instance_warmup_period: m.instance_warmup_secs.map(|s| i64::from(s).into()),
            }),
            managed_termination_protection: enabled(props.managed_termination_protection),
            managed_draining: enabled(props.managed_draining),
            // The group's name: an ARN would make the capacity provider replaced with every group update.
            ..cp::AutoScalingGroupProvider::new(props.auto_scaling_group.name())
        };
        let handle = child.add(
            "Resource",
            cfn::ecs::CapacityProvider {
                auto_scaling_group_provider: Some(provider),
                name: props.name.clone(),
                ..cfn::ecs::CapacityProvider::new()
            },
        );
        if props.managed_termination_protection {
            if let Some(g) = child.stack().l1_mut(&props.auto_scaling_group.handle()) {
                g.new_instances_protected_from_scale_in = Some(true.into());
            }
        }
        AsgCapacityProvider {
            handle,
            path: child.path(),
            node: child.node_id(),
            auto_scaling_group: props.auto_scaling_group,
        }
    }

    /// The capacity provider's name (`Ref`), as services' capacity provider strategies name it.
    pub fn name(&self) -> Value<String> {
        self.handle.r#ref()
    }

    pub fn handle(&self) -> Handle<cfn::ecs::CapacityProvider> {
        self.handle
    }

    pub fn auto_scaling_group(&self) -> &AutoScalingGroup {
        &self.auto_scaling_group
    }
}

impl Construct for AsgCapacityProvider {
    fn node_id(&self) -> Option<NodeId> {
        Some(self.node)
    }
    fn path(&self) -> &str {
        &self.path
    }
}

/// Construct id of a cluster's capacity provider associations.
const ASSOCIATIONS: &str = "CapacityProviders";

impl Cluster {
    /// Make `provider` a capacity provider of this cluster (the first one added is the default strategy,
    /// weight 1), configure its instances to join the cluster (user data: `ECS_CLUSTER`, IMDS blocked for
    /// `bridge` containers), and grant the instance role exactly the ECS agent's permissions on this cluster
    /// (no ECR or CloudWatch Logs access: task execution roles pull images and write logs).
    /// The associations are `<cluster>/CapacityProviders`.
    pub fn add_capacity_provider(&self, stack: &mut Stack, provider: &AsgCapacityProvider) {
        let Some(node) = self.origin.node() else {
            stack.error(
                provider.path(),
                "a capacity provider can only be added to a cluster created in this template (the cluster is imported)",
            );
            return;
        };
        let path = format!("{}/{ASSOCIATIONS}", self.path);
        let existing = stack
            .find_resource(&path)
            .map(|h| h.assume::<cfn::ecs::ClusterCapacityProviderAssociations>());
        match existing.and_then(|h| stack.l1_mut(&h)) {
            Some(a) => {
                let list = a.capacity_providers.take().map(Value::into_expr);
                let mut items = match list {
                    Some(Expr::List(items)) => items,
                    _ => Vec::new(),
                };
                items.push(provider.name().into_expr());
                a.capacity_providers = Some(Value::from_expr(Expr::List(items)));
            }
            None => {
                let mut a = cfn::ecs::ClusterCapacityProviderAssociations::new(
                    self.name(),
                    vec![assoc::CapacityProviderStrategy {
                        weight: Some(1.into()),
                        ..assoc::CapacityProviderStrategy::new(provider.name())
                    }],
                );
                a.capacity_providers = Some(Value::from(vec![provider.name()]));
                stack.scope(node).add(ASSOCIATIONS, a);
            }
        }
        let group = provider.auto_scaling_group();
        group.launch_template().add_user_data(
            stack,
            [
                fns::join(
                    "",
                    [
                        Value::from("echo ECS_CLUSTER="),
                        self.name(),
                        Value::from(" >> /etc/ecs/ecs.config"),
                    ],
                ),
                Value::from("echo ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config"),
                Value::from("echo ECS_ENABLE_TASK_IAM_ROLE=true >> /etc/ecs/ecs.config"),
            ],
        );
        grant_agent(stack, group, &self.name(), &self.arn());
    }
}

/// The ECS agent's permissions on one cluster (CDK's `addAsgCapacityProvider` grants the same, minus ECR and
/// CloudWatch Logs).
fn grant_agent(stack: &mut Stack, group: &AutoScalingGroup, cluster_name: &Value<String>, cluster_arn: &Value<String>) {
    let role = group.role();
    role.add_to_policy(
        stack,
        PolicyStatement::allow(
            &[
                "ecs:DeregisterContainerInstance",
                "ecs:RegisterContainerInstance",
                "ecs:SubmitAttachmentStateChanges",
                "ecs:SubmitContainerStateChange",
                "ecs:SubmitTaskStateChange",
            ],
            [cluster_arn.clone()],
        ),
    );
    // The cluster's container instances (CDK grants `*` with an `ecs:cluster` condition).
    let instances = fns::sub(
        "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:container-instance/${Cluster}/*",
        [("Cluster", cluster_name.clone().into_expr())],
    );
    role.add_to_policy(
        stack,
        PolicyStatement::allow(&["ecs:Poll", "ecs:StartTelemetrySession"], [instances]).with_condition(
            "ArnEquals",
            "ecs:cluster",
            cluster_arn.clone().into_expr(),
        ),
    );
    // No resource-level permissions exist for this action.
    role.add_to_policy(
        stack,
        PolicyStatement::allow(&["ecs:DiscoverPollEndpoint"], [Value::from("*")]),
    );
}
