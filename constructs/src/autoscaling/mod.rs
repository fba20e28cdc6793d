//! L2 constructs for Application Auto Scaling: a [`ScalableTarget`] with target-tracking policies and
//! step-scaling policies driven by CloudWatch alarms (the scheme of AWS's Proton Fargate sample).
//!
//! Scalable targets use the service-linked role (no `RoleARN`, like CDK). Capacities, target values and step
//! intervals are validated; problems are recorded at the construct's path and reported together.

mod scalable_target;

pub use scalable_target::*;
