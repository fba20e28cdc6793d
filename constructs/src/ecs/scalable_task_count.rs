//! [`ScalableTaskCount`]: auto scaling of a Fargate service's task count.

use crate::autoscaling::{
    Metric, PredefinedMetric, ScalableTarget, ScalingStep, StepScalingPolicy, StepScalingProps, TargetTrackingProps,
};
use crate::cfn::applicationautoscaling as aas;
use crate::elbv2::ApplicationTargetGroup;
use crate::stack::{Construct, Handle, Stack};
use crate::value::Value;

/// The auto-scaled task count of a [`FargateService`].
#[derive(Clone, Debug)]
pub struct ScalableTaskCount {
    pub(super) target: ScalableTarget,
    pub(super) cluster_name: Value<String>,
    pub(super) service_name: Value<String>,
}

pub(super) fn check_utilization(stack: &mut Stack, path: &str, what: &str, target: f64) {
    if !(1.0..=100.0).contains(&target) {
        stack.error(
            path,
            format!("target {what} utilization {target} % is not in the range 1-100"),
        );
    }
}

impl ScalableTaskCount {
    pub fn target(&self) -> &ScalableTarget {
        &self.target
    }

    /// Keep average CPU utilization at `target_percent` (construct id `CpuScaling`).
    pub fn scale_on_cpu_utilization(&self, stack: &mut Stack, target_percent: f64) -> Handle<aas::ScalingPolicy> {
        check_utilization(
            stack,
            &format!("{}/CpuScaling", self.target.path()),
            "CPU",
            target_percent,
        );
        self.target.scale_to_track_metric(
            stack,
            "CpuScaling",
            TargetTrackingProps::new(
                PredefinedMetric {
                    metric_type: "ECSServiceAverageCPUUtilization".to_owned(),
                    resource_label: None,
                },
                target_percent,
            ),
        )
    }

    /// Keep average memory utilization at `target_percent` (construct id `MemoryScaling`).
    pub fn scale_on_memory_utilization(&self, stack: &mut Stack, target_percent: f64) -> Handle<aas::ScalingPolicy> {
        check_utilization(
            stack,
            &format!("{}/MemoryScaling", self.target.path()),
            "memory",
            target_percent,
        );
        self.target.scale_to_track_metric(
            stack,
            "MemoryScaling",
            TargetTrackingProps::new(
                PredefinedMetric {
                    metric_type: "ECSServiceAverageMemoryUtilization".to_owned(),
                    resource_label: None,
                },
                target_percent,
            ),
        )
    }

    /// Keep the requests per target of `target_group` at `requests_per_target` (construct id
    /// `RequestCountScaling`); the group must already be forwarded to by a listener or rule.
    pub fn scale_on_request_count(
        &self,
        stack: &mut Stack,
        requests_per_target: u32,
        target_group: &ApplicationTargetGroup,
    ) -> Handle<aas::ScalingPolicy> {
        if requests_per_target == 0 {
            stack.error(
                &format!("{}/RequestCountScaling", self.target.path()),
                "requests per target must be at least 1",
            );
        }
        let policy = self.target.scale_to_track_metric(
            stack,
            "RequestCountScaling",
            TargetTrackingProps::new(
                PredefinedMetric {
                    metric_type: "ALBRequestCountPerTarget".to_owned(),
                    resource_label: target_group.request_count_resource_label(),
                },
                // 0 is reported above; keep the generic "above 0" check quiet.
                f64::from(requests_per_target.max(1)),
            ),
        );
        for f in target_group.forwarders() {
            stack.add_dependency(&policy, &f);
        }
        policy
    }

    /// The CPUUtilization metric of the service (`AWS/ECS`, `ClusterName` / `ServiceName`, 1-minute average).
    pub fn cpu_metric(&self) -> Metric {
        Metric {
            namespace: "AWS/ECS".to_owned(),
            metric_name: "CPUUtilization".to_owned(),
            dimensions: vec![
                ("ServiceName".to_owned(), self.service_name.clone()),
                ("ClusterName".to_owned(), self.cluster_name.clone()),
            ],
            statistic: "Average".to_owned(),
            period_secs: 60,
        }
    }

    /// Step scaling on CPU with CloudWatch alarms (construct id `CpuStepScaling`), e.g.
    /// [`aws_sample_cpu_steps`].
    pub fn scale_on_cpu_steps(&self, stack: &mut Stack, steps: Vec<ScalingStep>) -> StepScalingPolicy {
        self.target
            .scale_on_metric(stack, "CpuStepScaling", StepScalingProps::new(self.cpu_metric(), steps))
    }
}

/// The CPU steps of AWS's Proton Fargate sample: ≤ 20 % −1 task; ≥ 70 % +1, ≥ 85 % +2, ≥ 95 % +3.
pub fn aws_sample_cpu_steps() -> Vec<ScalingStep> {
    vec![
        ScalingStep::new(None, Some(20.0), -1),
        ScalingStep::new(Some(70.0), Some(85.0), 1),
        ScalingStep::new(Some(85.0), Some(95.0), 2),
        ScalingStep::new(Some(95.0), None, 3),
    ]
}
