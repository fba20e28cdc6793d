//! L2 constructs for Application Auto Scaling: a [`ScalableTarget`] with target-tracking policies and
//! step-scaling policies driven by CloudWatch alarms (the scheme of AWS's Proton Fargate sample).
//!
//! It also holds the EC2 [`AutoScalingGroup`] (Amazon EC2 Auto Scaling), e.g. the container instances of an
//! ECS cluster.
//!
//! Scalable targets use the service-linked role (no `RoleARN`, like CDK). Capacities, target values and step
//! intervals are validated; problems are recorded at the construct's path and reported together.

mod auto_scaling_group;
mod scalable_target;

pub use auto_scaling_group::*;
pub use scalable_target::*;
