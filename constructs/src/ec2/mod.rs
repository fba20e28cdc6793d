//! L2 constructs for EC2 networking: [`Vpc`] (subnet CIDRs computed in Rust), [`SecurityGroup`] with
//! [`Port`] / [`Peer`] rules, and [`Connections`] (ingress on one side, matching egress on the other).
//!
//! Security groups restrict egress by default (`allow_all_outbound: false`). Rules are separate
//! `AWS::EC2::SecurityGroupIngress` / `Egress` resources created in the scope the caller passes, so a consumer
//! can open a producer's group from its own template. Every rule needs a description (checkov CKV_AWS_23).
//!
//! [`LaunchTemplate`] launches instances with IMDSv2 only, an encrypted root volume and an instance profile.

mod connections;
mod launch_template;
mod peer;
mod port;
mod security_group;
mod vpc;
mod vpc_cidr_value;
mod vpc_props;

pub use connections::*;
pub use launch_template::*;
pub use peer::*;
pub use port::*;
pub use security_group::*;
pub use vpc::*;
use vpc_cidr_value::plan_from_cidr_value;
pub use vpc_props::*;
