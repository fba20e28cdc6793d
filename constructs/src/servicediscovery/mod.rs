//! L2 constructs for Cloud Map service discovery: a [`PrivateDnsNamespace`] in a VPC and its [`Service`]s
//! (DNS records with a TTL, health checked by the registering ECS service through a custom health check).
//!
//! An ECS service registers its tasks with `ServiceRegistries: [{RegistryArn: service.arn()}]` (A records need
//! the `awsvpc` network mode, which Fargate uses; SRV records also need the container name and port).

mod private_dns_namespace;
mod service;

pub use private_dns_namespace::*;
pub use service::*;
