//! L2 constructs for Amazon ECS on Fargate and on EC2: [`Cluster`], [`FargateTaskDefinition`] /
//! [`Ec2TaskDefinition`] with containers, [`FargateService`] / [`Ec2Service`] (load-balancer targets, auto
//! scaling), [`AsgCapacityProvider`] (an Auto Scaling group as a cluster's EC2 capacity, with managed scaling,
//! termination protection and draining) and the [`TaskSizeMapping`] helper for AWS Proton's `task_size` input.
//!
//! Secure defaults and the findings of the security gate they answer:
//! - clusters turn Container Insights on (CKV_AWS_65 / CT.ECS.PR.2);
//! - containers have a hard memory limit (CT.ECS.PR.7), a read-only root filesystem (CT.ECS.PR.6), a
//!   non-root user `1000` (CT.ECS.PR.3) and awslogs logging (CT.ECS.PR.5); opting out of the first three
//!   records a suppression with the reason;
//! - task definitions get a separate execution role and task role (CKV_AWS_249), each with only what the
//!   containers need (ECR pull, log writes, the secrets referenced), granted as containers are added;
//! - services do not assign public IPs (CT.ECS.PR.9), run on the `LATEST` platform (CT.ECS.PR.1), roll back
//!   failed deployments (circuit breaker) and keep 100 % healthy during deployments.

mod capacity_provider;
mod cluster;
mod container;
mod container_definition;
mod ec2_service;
mod ec2_task_definition;
mod fargate_service;
mod scalable_task_count;
mod task_definition;
mod task_size;

pub use capacity_provider::*;
pub use cluster::*;
pub use container::*;
pub use container_definition::*;
pub use ec2_service::*;
pub use ec2_task_definition::*;
pub use fargate_service::*;
pub use scalable_task_count::*;
pub use task_definition::*;
pub use task_size::*;
