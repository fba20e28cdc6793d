//! L2 construct for AWS App Runner: [`Service`], a web service from a container image with least-privilege
//! roles, a health check, one of App Runner's valid CPU/memory pairs ([`InstanceSize`]) and encryption at
//! rest; [`InstanceSizeMapping`] maps AWS Proton's `task_size` input onto those pairs.

mod service;
mod size;

pub use service::*;
pub use size::*;
