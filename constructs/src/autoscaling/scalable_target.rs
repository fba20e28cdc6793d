//! [`ScalableTarget`] with target-tracking and step scaling policies.

use crate::cfn::applicationautoscaling as l1;
use crate::cfn::cloudwatch;
use crate::stack::{Construct, Handle, NodeId, Scope, Stack};
use crate::value::Value;

/// Properties of [`ScalableTarget`].
#[derive(Clone, Debug)]
pub struct ScalableTargetProps {
    /// `ecs`, `dynamodb`, `lambda`, …
    pub service_namespace: String,
    /// E.g. `service/<cluster>/<service>`.
    pub resource_id: Value<String>,
    /// E.g. `ecs:service:DesiredCount`.
    pub scalable_dimension: String,
    pub min_capacity: u32,
    pub max_capacity: u32,
}

/// Something Application Auto Scaling scales.
#[derive(Clone, Debug)]
pub struct ScalableTarget {
    pub(super) handle: Handle<l1::ScalableTarget>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
    pub(super) min_capacity: u32,
    pub(super) max_capacity: u32,
}

/// A predefined metric of target tracking.
#[derive(Clone, Debug)]
pub struct PredefinedMetric {
    /// E.g. `ECSServiceAverageCPUUtilization`, `ALBRequestCountPerTarget`.
    pub metric_type: String,
    /// Required by `ALBRequestCountPerTarget`: `<lb full name>/<target group full name>`.
    pub resource_label: Option<Value<String>>,
}

/// Properties of a target-tracking policy.
#[derive(Clone, Debug)]
pub struct TargetTrackingProps {
    pub metric: PredefinedMetric,
    /// The value to keep the metric at (> 0).
    pub target_value: f64,
    pub scale_in_cooldown_secs: Option<u32>,
    pub scale_out_cooldown_secs: Option<u32>,
    /// Only scale out (default false).
    pub disable_scale_in: bool,
}

impl TargetTrackingProps {
    pub fn new(metric: PredefinedMetric, target_value: f64) -> Self {
        TargetTrackingProps {
            metric,
            target_value,
            scale_in_cooldown_secs: None,
            scale_out_cooldown_secs: None,
            disable_scale_in: false,
        }
    }
}

/// A CloudWatch metric (namespace, name, dimensions, statistic, period).
#[derive(Clone, Debug)]
pub struct Metric {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<(String, Value<String>)>,
    /// `Average`, `Sum`, `Minimum`, `Maximum`, `SampleCount`.
    pub statistic: String,
    pub period_secs: u32,
}

/// One step of a step-scaling policy, in absolute metric values: when the metric is in `[lower, upper)`,
/// change the capacity by `change`. Negative changes scale in (they need an upper bound), positive changes
/// scale out (they need a lower bound); the outermost step of each direction is open-ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScalingStep {
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub change: i64,
}

impl ScalingStep {
    pub fn new(lower: Option<f64>, upper: Option<f64>, change: i64) -> Self {
        ScalingStep { lower, upper, change }
    }
}

/// Properties of a step-scaling policy pair ([`ScalableTarget::scale_on_metric`]).
#[derive(Clone, Debug)]
pub struct StepScalingProps {
    pub metric: Metric,
    pub steps: Vec<ScalingStep>,
    /// Seconds after a scaling activity before another may start (default 60, like AWS's sample).
    pub cooldown_secs: u32,
    /// Periods the alarm evaluates (default 1).
    pub evaluation_periods: u32,
}

impl StepScalingProps {
    pub fn new(metric: Metric, steps: Vec<ScalingStep>) -> Self {
        StepScalingProps {
            metric,
            steps,
            cooldown_secs: 60,
            evaluation_periods: 1,
        }
    }
}

/// The policies and alarms made by [`ScalableTarget::scale_on_metric`]: an alarm per direction that has steps.
#[derive(Clone, Debug, Default)]
pub struct StepScalingPolicy {
    pub scale_out_policy: Option<Handle<l1::ScalingPolicy>>,
    pub scale_out_alarm: Option<Handle<cloudwatch::Alarm>>,
    pub scale_in_policy: Option<Handle<l1::ScalingPolicy>>,
    pub scale_in_alarm: Option<Handle<cloudwatch::Alarm>>,
}

impl ScalableTarget {
    pub fn new(scope: &mut Scope, id: &str, props: ScalableTargetProps) -> Self {
        let mut child = scope.child(id);
        if props.min_capacity > props.max_capacity {
            child.error(format!(
                "min capacity {} is greater than max capacity {}",
                props.min_capacity, props.max_capacity
            ));
        }
        if props.max_capacity == 0 {
            child.error("max capacity must be at least 1");
        }
        let target = l1::ScalableTarget::new(
            i64::from(props.max_capacity),
            i64::from(props.min_capacity),
            props.resource_id,
            props.scalable_dimension.as_str(),
            props.service_namespace.as_str(),
        );
        let handle = child.add("Resource", target);
        ScalableTarget {
            handle,
            node: Some(child.node_id()),
            path: child.path(),
            min_capacity: props.min_capacity,
            max_capacity: props.max_capacity,
        }
    }

    pub fn handle(&self) -> Handle<l1::ScalableTarget> {
        self.handle
    }

    pub fn min_capacity(&self) -> u32 {
        self.min_capacity
    }

    pub fn max_capacity(&self) -> u32 {
        self.max_capacity
    }

    /// A target-tracking policy (construct id `id` below the target).
    pub fn scale_to_track_metric(
        &self,
        stack: &mut Stack,
        id: &str,
        props: TargetTrackingProps,
    ) -> Handle<l1::ScalingPolicy> {
        let path = format!("{}/{id}", self.path);
        let mut problems = Vec::new();
        if props.target_value.is_nan() || props.target_value <= 0.0 || !props.target_value.is_finite() {
            problems.push(format!("target value {} must be above 0", props.target_value));
        }
        if props.metric.metric_type == "ALBRequestCountPerTarget" && props.metric.resource_label.is_none() {
            problems.push(
                "ALBRequestCountPerTarget needs a resource label: attach the target group to a load balancer listener first"
                    .to_owned(),
            );
        }
        for p in problems {
            stack.error(&path, p);
        }
        let mut predefined = l1::scaling_policy::PredefinedMetricSpecification::new(props.metric.metric_type.as_str());
        predefined.resource_label = props.metric.resource_label;
        let mut config = l1::scaling_policy::TargetTrackingScalingPolicyConfiguration::new(props.target_value);
        config.predefined_metric_specification = Some(predefined);
        config.scale_in_cooldown = props.scale_in_cooldown_secs.map(Value::from);
        config.scale_out_cooldown = props.scale_out_cooldown_secs.map(Value::from);
        if props.disable_scale_in {
            config.disable_scale_in = Some(true.into());
        }
        let mut policy = l1::ScalingPolicy::new(policy_name(stack, &path), "TargetTrackingScaling");
        policy.scaling_target_id = Some(self.handle.r#ref());
        policy.target_tracking_scaling_policy_configuration = Some(config);
        stack.scope(self.node).add(id, policy)
    }

    /// Step scaling on `props.metric`: a scale-out policy with an alarm at the lowest lower bound of the
    /// scale-out steps (`>=`) and a scale-in policy with an alarm at the highest upper bound of the scale-in
    /// steps (`<=`), under construct id `id` (`<id>/ScaleOut`, `<id>/ScaleOutAlarm`, `<id>/ScaleIn`,
    /// `<id>/ScaleInAlarm`).
    pub fn scale_on_metric(&self, stack: &mut Stack, id: &str, props: StepScalingProps) -> StepScalingPolicy {
        let path = format!("{}/{id}", self.path);
        let problems = validate_steps(&props.steps);
        let ok = problems.is_empty();
        for p in problems {
            stack.error(&path, p);
        }
        if props.evaluation_periods == 0 {
            stack.error(&path, "evaluation periods must be at least 1");
        }
        let period = props.metric.period_secs;
        if !(period == 10 || period == 30 || (period >= 60 && period.is_multiple_of(60))) {
            stack.error(
                &path,
                format!("metric period {period} s must be 10, 30 or a multiple of 60"),
            );
        }
        let mut out = StepScalingPolicy::default();
        if !ok {
            return out;
        }
        let mut scale_out: Vec<ScalingStep> = props.steps.iter().copied().filter(|s| s.change > 0).collect();
        let mut scale_in: Vec<ScalingStep> = props.steps.iter().copied().filter(|s| s.change < 0).collect();
        scale_out.sort_by(|a, b| a.lower.partial_cmp(&b.lower).unwrap_or(std::cmp::Ordering::Equal));
        scale_in.sort_by(|a, b| a.upper.partial_cmp(&b.upper).unwrap_or(std::cmp::Ordering::Equal));
        if let Some(threshold) = scale_out.first().and_then(|s| s.lower) {
            let (p, a) = self.step_pair(stack, id, "ScaleOut", &props, &scale_out, threshold, true);
            out.scale_out_policy = Some(p);
            out.scale_out_alarm = Some(a);
        }
        if let Some(threshold) = scale_in.last().and_then(|s| s.upper) {
            let (p, a) = self.step_pair(stack, id, "ScaleIn", &props, &scale_in, threshold, false);
            out.scale_in_policy = Some(p);
            out.scale_in_alarm = Some(a);
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn step_pair(
        &self,
        stack: &mut Stack,
        id: &str,
        kind: &str,
        props: &StepScalingProps,
        steps: &[ScalingStep],
        threshold: f64,
        upward: bool,
    ) -> (Handle<l1::ScalingPolicy>, Handle<cloudwatch::Alarm>) {
        let n = steps.len();
        let adjustments = steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut a = l1::scaling_policy::StepAdjustment::new(s.change);
                // The outermost step of each direction is open-ended.
                let lower = if !upward && i == 0 { None } else { s.lower };
                let upper = if upward && i == n - 1 { None } else { s.upper };
                a.metric_interval_lower_bound = lower.map(|l| Value::from(l - threshold));
                a.metric_interval_upper_bound = upper.map(|u| Value::from(u - threshold));
                a
            })
            .collect();
        let mut config = l1::scaling_policy::StepScalingPolicyConfiguration::new();
        config.adjustment_type = Some("ChangeInCapacity".into());
        config.cooldown = Some(props.cooldown_secs.into());
        config.metric_aggregation_type = Some(props.metric.statistic_for_aggregation().into());
        config.step_adjustments = Some(adjustments);
        let policy_path = format!("{}/{id}/{kind}", self.path);
        let mut policy = l1::ScalingPolicy::new(policy_name(stack, &policy_path), "StepScaling");
        policy.scaling_target_id = Some(self.handle.r#ref());
        policy.step_scaling_policy_configuration = Some(config);
        let mut parent = stack.scope(self.node);
        let mut scope = parent.child(id);
        let policy = scope.add(kind, policy);

        let m = &props.metric;
        let mut alarm = cloudwatch::Alarm::new();
        alarm.alarm_description = Some(
            format!(
                "{} {} {} {threshold} for {} period(s) of {} s: {}",
                m.metric_name,
                m.statistic,
                if upward { ">=" } else { "<=" },
                props.evaluation_periods,
                m.period_secs,
                if upward { "scale out" } else { "scale in" }
            )
            .into(),
        );
        alarm.namespace = Some(m.namespace.as_str().into());
        alarm.metric_name = Some(m.metric_name.as_str().into());
        alarm.dimensions = Some(
            m.dimensions
                .iter()
                .map(|(k, v)| cloudwatch::alarm::Dimension::new(k.as_str(), v.clone()))
                .collect(),
        );
        alarm.statistic = Some(m.statistic.as_str().into());
        alarm.period = Some(m.period_secs.into());
        alarm.evaluation_periods = Some(props.evaluation_periods.into());
        alarm.threshold = Some(threshold.into());
        alarm.comparison_operator = Some(
            if upward {
                "GreaterThanOrEqualToThreshold"
            } else {
                "LessThanOrEqualToThreshold"
            }
            .into(),
        );
        alarm.actions_enabled = Some(true.into());
        alarm.alarm_actions = Some(Value::from(vec![policy.r#ref()]));
        let alarm = scope.add(&format!("{kind}Alarm"), alarm);
        (policy, alarm)
    }
}

impl Metric {
    pub(super) fn statistic_for_aggregation(&self) -> &'static str {
        match self.statistic.as_str() {
            "Minimum" => "Minimum",
            "Maximum" => "Maximum",
            _ => "Average",
        }
    }
}

/// A policy name from the construct path, unique in the account per scalable target: the stack name and the
/// path's alphanumerics (at most 256 characters).
pub(super) fn policy_name(stack: &Stack, path: &str) -> String {
    let mut s: String = format!("{}{}", stack.name(), path)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    s.truncate(256);
    s
}

pub(super) fn fmt_bound(b: f64) -> String {
    if b.fract() == 0.0 {
        format!("{}", b as i64)
    } else {
        b.to_string()
    }
}

/// Problems with a list of scaling steps (empty when the steps are usable).
pub fn validate_steps(steps: &[ScalingStep]) -> Vec<String> {
    let mut out = Vec::new();
    if steps.is_empty() {
        out.push("step scaling needs at least one step".to_owned());
        return out;
    }
    for (i, s) in steps.iter().enumerate() {
        check_step(i + 1, s, &mut out);
    }
    if !out.is_empty() {
        return out;
    }
    let ups: Vec<(usize, ScalingStep)> = steps
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, s)| s.change > 0)
        .collect();
    let downs: Vec<(usize, ScalingStep)> = steps
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, s)| s.change < 0)
        .collect();
    let out_threshold = ups.iter().filter_map(|(_, s)| s.lower).fold(f64::INFINITY, f64::min);
    let in_threshold = downs
        .iter()
        .filter_map(|(_, s)| s.upper)
        .fold(f64::NEG_INFINITY, f64::max);
    // Within a direction, steps must be contiguous.
    check_contiguous(ups, true, &mut out);
    check_contiguous(downs, false, &mut out);
    if in_threshold > out_threshold {
        out.push(format!(
            "the scale-in threshold {} is above the scale-out threshold {}",
            fmt_bound(in_threshold),
            fmt_bound(out_threshold)
        ));
    }
    out
}

impl Construct for ScalableTarget {
    fn node_id(&self) -> Option<NodeId> {
        self.node
    }
    fn path(&self) -> &str {
        &self.path
    }
}

/// Checks of one step (`n` is its 1-based number): a change, a bound, and the bound its direction needs.
fn check_step(n: usize, s: &ScalingStep, out: &mut Vec<String>) {
    if s.change == 0 {
        out.push(format!("scaling step #{n} has a change of 0"));
    }
    match (s.lower, s.upper) {
        (None, None) => out.push(format!("scaling step #{n} has neither a lower nor an upper bound")),
        (Some(l), Some(u)) if l >= u => out.push(format!(
            "scaling step #{n}: lower bound {} is not below the upper bound {}",
            fmt_bound(l),
            fmt_bound(u)
        )),
        _ => {}
    }
    if s.lower.is_none() && s.upper.is_none() {
        return;
    }
    if s.change > 0 && s.lower.is_none() {
        out.push(format!(
            "scaling step #{n} scales out (change +{}) but has no lower bound",
            s.change
        ));
    }
    if s.change < 0 && s.upper.is_none() {
        out.push(format!(
            "scaling step #{n} scales in (change {}) but has no upper bound",
            s.change
        ));
    }
}

/// Steps of one direction, sorted by the bound they start from, must meet (upper of one = lower of next).
fn check_contiguous(mut group: Vec<(usize, ScalingStep)>, by_lower: bool, out: &mut Vec<String>) {
    group.sort_by(|a, b| {
        let (ka, kb) = if by_lower {
            (a.1.lower, b.1.lower)
        } else {
            (a.1.upper, b.1.upper)
        };
        ka.partial_cmp(&kb).unwrap_or(std::cmp::Ordering::Equal)
    });
    for w in group.windows(2) {
        let ((ia, a), (ib, b)) = (w[0], w[1]);
        match (a.upper, b.lower) {
            (Some(u), Some(l)) if u == l => {}
            (u, l) => out.push(format!(
                "scaling steps #{} and #{} must meet: the upper bound of one ({}) must be the lower bound of the next ({})",
                ia + 1,
                ib + 1,
                u.map(fmt_bound).unwrap_or_else(|| "none".to_owned()),
                l.map(fmt_bound).unwrap_or_else(|| "none".to_owned()),
            )),
        }
    }
}
