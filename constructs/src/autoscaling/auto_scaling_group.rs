//! [`AutoScalingGroup`]: an EC2 Auto Scaling group launched from a [`LaunchTemplate`].

use crate::cfn;
use crate::cfn::autoscaling::auto_scaling_group as asg;
use crate::ec2::{Connectable, Connections, LaunchTemplate};
use crate::iam::Role;
use crate::nag::{self, Tool};
use crate::stack::{Construct, Handle, NodeId, Scope};
use crate::value::{Expr, Value};

/// Properties of [`AutoScalingGroup`].
#[derive(Clone, Debug)]
pub struct AutoScalingGroupProps {
    pub launch_template: LaunchTemplate,
    /// Subnets of the instances (private subnets unless the caller has a reason; at least two Availability
    /// Zones recommended, CT.AUTOSCALING.PR.2).
    pub subnets: Vec<Value<String>>,
    /// The Availability Zones of `subnets` (e.g. `fns::select(i, fns::get_azs())` as `ec2::Vpc` places its
    /// subnets), listed so the multi-zone spread is declared (CT.AUTOSCALING.PR.1). Empty (default): not
    /// listed; with two or more subnets that records a suppression of CT.AUTOSCALING.PR.1 with the reason.
    pub availability_zones: Vec<Value<String>>,
    /// Default 1 (may be a late-bound value).
    pub min_capacity: Value<i64>,
    /// Default 1 (may be a late-bound value).
    pub max_capacity: Value<i64>,
    /// Instances at creation (default: none given, so `min_capacity`). Leave it unset when a capacity
    /// provider scales the group, or every deployment that changes it resets the size.
    pub desired_capacity: Option<Value<i64>>,
    /// Seconds before a new instance's health is checked (default 300).
    pub health_check_grace_period_secs: u32,
    /// Replace instances after this many seconds (86400–31536000; default none).
    pub max_instance_lifetime_secs: Option<u32>,
    pub name: Option<Value<String>>,
}

impl AutoScalingGroupProps {
    pub fn new(launch_template: LaunchTemplate, subnets: Vec<Value<String>>) -> Self {
        AutoScalingGroupProps {
            launch_template,
            subnets,
            availability_zones: Vec::new(),
            min_capacity: Value::from(1),
            max_capacity: Value::from(1),
            desired_capacity: None,
            health_check_grace_period_secs: 300,
            max_instance_lifetime_secs: None,
            name: None,
        }
    }
}

/// An EC2 Auto Scaling group launching the latest version of a [`LaunchTemplate`], with group metrics
/// (1-minute granularity) on.
///
/// ```
/// use proton_synth_constructs::autoscaling::{AutoScalingGroup, AutoScalingGroupProps};
/// use proton_synth_constructs::ec2::{LaunchTemplate, LaunchTemplateProps, MachineImage, SecurityGroup};
/// use proton_synth_constructs::{Mode, Stack, Value};
///
/// let mut stack = Stack::new("App");
/// let sg = SecurityGroup::from_id(Value::from("sg-1"));
/// let lt_props = LaunchTemplateProps::new(MachineImage::ecs_optimized_amazon_linux_2(), "c5.large", vec![sg]);
/// let lt = LaunchTemplate::new(&mut stack.root(), "Hosts", lt_props);
/// let subnets = vec![Value::from("subnet-1"), Value::from("subnet-2")];
/// let mut props = AutoScalingGroupProps::new(lt, subnets);
/// props.max_capacity = Value::from(4);
/// let group = AutoScalingGroup::new(&mut stack.root(), "Group", props);
/// let _arn = group.arn();
/// stack.synth(Mode::Plain).expect("a valid template");
/// ```
#[derive(Clone, Debug)]
pub struct AutoScalingGroup {
    handle: Handle<cfn::autoscaling::AutoScalingGroup>,
    path: String,
    node: NodeId,
    launch_template: LaunchTemplate,
}

fn literal(v: &Value<i64>) -> Option<i64> {
    match v.expr() {
        Expr::Int(i) => Some(*i),
        _ => None,
    }
}

fn as_string(v: &Value<i64>) -> Value<String> {
    match v.expr() {
        Expr::Int(i) => Value::from(i.to_string()),
        other => Value::from_expr(other.clone()),
    }
}

impl AutoScalingGroup {
    pub fn new(scope: &mut Scope, id: &str, props: AutoScalingGroupProps) -> Self {
        let mut child = scope.child(id);
        for p in problems(&props) {
            child.error(p);
        }
        let mut group =
            cfn::autoscaling::AutoScalingGroup::new(as_string(&props.max_capacity), as_string(&props.min_capacity));
        group.desired_capacity = props.desired_capacity.as_ref().map(as_string);
        group.launch_template = Some(asg::LaunchTemplateSpecification {
            launch_template_id: Some(props.launch_template.id()),
            ..asg::LaunchTemplateSpecification::new(props.launch_template.latest_version())
        });
        group.vpc_zone_identifier = Some(Value::from(props.subnets.clone()));
        if !props.availability_zones.is_empty() {
            group.availability_zones = Some(Value::from(props.availability_zones.clone()));
        }
        group.health_check_grace_period = Some(i64::from(props.health_check_grace_period_secs).into());
        group.max_instance_lifetime = props.max_instance_lifetime_secs.map(|s| i64::from(s).into());
        group.auto_scaling_group_name = props.name.clone();
        group.metrics_collection = Some(vec![asg::MetricsCollection::new("1Minute")]);
        let handle = child.add("Resource", group);
        let entry = child.stack().resource_mut(&handle);
        // One instance type: what a capacity provider's managed scaling assumes (and what the launch template
        // carries); a mixed instances policy is not offered yet.
        nag::suppress(
            entry,
            Tool::Guard,
            "CT.AUTOSCALING.PR.6",
            "one instance type, from the launch template (ECS managed scaling sizes the group for one type)",
        );
        if props.availability_zones.is_empty() && props.subnets.len() >= 2 {
            nag::suppress(
                entry,
                Tool::Guard,
                "CT.AUTOSCALING.PR.1",
                "the zones are not listed but the group spans the zones of its subnets (two or more)",
            );
        }
        AutoScalingGroup {
            handle,
            path: child.path(),
            node: child.node_id(),
            launch_template: props.launch_template,
        }
    }

    /// The group's name (`Ref`).
    pub fn name(&self) -> Value<String> {
        self.handle.r#ref()
    }

    /// The group's ARN (`Fn::GetAtt AutoScalingGroupARN`).
    pub fn arn(&self) -> Value<String> {
        self.handle.attr_auto_scaling_group_arn()
    }

    pub fn handle(&self) -> Handle<cfn::autoscaling::AutoScalingGroup> {
        self.handle
    }

    pub fn launch_template(&self) -> &LaunchTemplate {
        &self.launch_template
    }

    /// The instances' role.
    pub fn role(&self) -> &Role {
        self.launch_template.role()
    }
}

/// Subnets, capacities and lifetime.
fn problems(props: &AutoScalingGroupProps) -> Vec<String> {
    let mut out = Vec::new();
    if props.subnets.is_empty() {
        out.push("an Auto Scaling group needs at least one subnet".to_owned());
    }
    if !props.availability_zones.is_empty() && props.availability_zones.len() != props.subnets.len() {
        out.push(format!(
            "{} availability_zones for {} subnets: list the zone of each subnet",
            props.availability_zones.len(),
            props.subnets.len()
        ));
    }
    let (min, max) = (literal(&props.min_capacity), literal(&props.max_capacity));
    if let Some(m) = min.filter(|m| *m < 0) {
        out.push(format!("min_capacity {m} must not be negative"));
    }
    if let (Some(min), Some(max)) = (min, max) {
        if max < min || max < 1 {
            out.push(format!(
                "max_capacity {max} must be at least 1 and at least min_capacity {min}"
            ));
        }
    }
    if let Some(d) = props.desired_capacity.as_ref().and_then(literal) {
        if min.is_some_and(|m| d < m) || max.is_some_and(|m| d > m) {
            out.push(format!("desired_capacity {d} is outside min_capacity..max_capacity"));
        }
    }
    if let Some(l) = props.max_instance_lifetime_secs {
        if l != 0 && !(86_400..=31_536_000).contains(&l) {
            out.push(format!(
                "max_instance_lifetime_secs {l} is not in the range 86400-31536000"
            ));
        }
    }
    out
}

impl Connectable for AutoScalingGroup {
    fn connections(&self) -> Connections {
        Connections::new(self.launch_template.security_groups().to_vec())
    }
}

impl Construct for AutoScalingGroup {
    fn node_id(&self) -> Option<NodeId> {
        Some(self.node)
    }
    fn path(&self) -> &str {
        &self.path
    }
}
