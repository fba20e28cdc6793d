//! L3 patterns: whole architectures from a few inputs, built from the L2 constructs.
//!
//! [`LoadBalancedFargateService`] covers AWS's Proton `loadbalanced-fargate-svc` sample and CDK's
//! `ApplicationLoadBalancedFargateService`: an ALB (public or internal) with its security group, an HTTP
//! listener (or, with a certificate, HTTPS plus an HTTP→HTTPS redirect), an `ip` target group, a Fargate
//! service with its task definition and one container (default name `web`, port 80, awslogs), the security
//! group rules ALB → service on the container port only, and optional auto scaling (target tracking and/or the
//! sample's CPU step scaling with alarms). With `compute: Compute::ec2(…)` the same pattern runs on the EC2
//! capacity providers of the cluster (AWS's `load-balanced-ecs-ec2-svc`); [`LoadBalancedService`] is its
//! compute-neutral name.
//!
//! [`QueueProcessingService`] (AWS's `worker-fargate-svc`, CDK's `QueueProcessingFargateService`) runs
//! workers that consume an SQS queue (created with its dead-letter queue, or given), scaling on CPU and on the
//! queue's backlog; [`ScheduledTask`] (AWS's `scheduled-fargate-svc`, CDK's `ScheduledFargateTask`) runs a
//! task on a schedule through an EventBridge rule or an EventBridge Scheduler schedule. Where their tasks run
//! is one prop, [`Compute`]: [`Compute::fargate`] or [`Compute::ec2`] (`awsvpc` tasks on the cluster's capacity
//! providers; every piece that differs is built in `compute.rs` only).
//!
//! Inputs may come from an AWS Proton environment (cluster name, VPC and subnet ids, execution role ARN as
//! late-bound `Value`s) or from constructs of the same template.
//!
//! ```
//! use proton_synth_constructs::ec2::{Vpc, VpcProps};
//! use proton_synth_constructs::ecs::{Cluster, ClusterProps, ContainerImage};
//! use proton_synth_constructs::patterns::{LoadBalancedFargateService, LoadBalancedFargateServiceProps};
//! use proton_synth_constructs::{Mode, Stack};
//!
//! let mut stack = Stack::new("App");
//! let vpc = Vpc::new(&mut stack.root(), "Vpc", VpcProps::default());
//! let cluster = Cluster::new(&mut stack.root(), "Cluster", ClusterProps::default());
//! let image = ContainerImage::registry("public.ecr.aws/nginx/nginx:1.27");
//! let web = LoadBalancedFargateService::new(
//!     &mut stack.root(),
//!     "Web",
//!     LoadBalancedFargateServiceProps::new(cluster, vpc.as_ref(), image),
//! );
//! let _url = web.service_url(); // http://${Web/LB DNS name}
//! stack.synth(Mode::Plain).expect("a valid template");
//! ```

mod compute;
mod load_balanced_fargate_service;
mod queue_processing_service;
mod scheduled_task;

pub use compute::{Compute, Ec2Compute, FargateCompute};
pub use load_balanced_fargate_service::*;
pub use queue_processing_service::*;
pub use scheduled_task::*;
