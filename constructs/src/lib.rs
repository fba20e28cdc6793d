//! proton-synth-constructs: the CloudFormation model, schema-generated resource types (`cfn`), and typed
//! constructs with secure defaults.
//!
//! Layers, bottom up:
//! - [`value`]: typed values (`Value<T>`) and intrinsic functions;
//! - [`stack`]: the construct tree of one template (`Stack`, `Scope`, typed handles);
//! - [`synth`]: resolve → validate → emit, collecting every diagnostic;
//! - [`cfn`]: L1 resource structs generated from the CloudFormation registry schemas.
//!
//! Mistakes in property names and missing required properties do not compile:
//!
//! ```compile_fail
//! use proton_synth_constructs::cfn::ec2::Subnet;
//! // misspelt property: no field `cidr_blok` on type `Subnet`
//! let s = Subnet { cidr_blok: Some("10.0.0.0/24".into()), ..Subnet::new("vpc-1") };
//! ```
//!
//! ```compile_fail
//! use proton_synth_constructs::cfn::ec2::Subnet;
//! // missing required property: `VpcId` (struct literal without `vpc_id`)
//! let s = Subnet { cidr_block: Some("10.0.0.0/24".into()), ..Default::default() };
//! ```
//!
//! ```compile_fail
//! use proton_synth_constructs::cfn::ec2::Subnet;
//! // a number where the schema says string
//! let s = Subnet { cidr_block: Some(42.into()), ..Subnet::new("vpc-1") };
//! ```
//!
//! and the same struct written correctly compiles:
//!
//! ```
//! use proton_synth_constructs::cfn::ec2::Subnet;
//! let s = Subnet { cidr_block: Some("10.0.0.0/24".into()), ..Subnet::new("vpc-1") };
//! ```

#[cfg(feature = "l2")]
pub mod apigateway;
#[cfg(feature = "l2")]
pub mod apprunner;
pub mod assertions;
#[cfg(feature = "l2")]
pub mod autoscaling;
pub mod bytescan;
pub mod cfn;
#[cfg(feature = "l2")]
pub mod codebuild;
#[cfg(feature = "l2")]
pub mod codepipeline;
pub mod diag;
#[cfg(feature = "l2")]
pub mod dynamodb;
#[cfg(feature = "l2")]
pub mod ec2;
#[cfg(feature = "l2")]
pub mod ecr;
#[cfg(feature = "l2")]
pub mod ecs;
#[cfg(feature = "l2")]
pub mod elbv2;
#[cfg(feature = "l2")]
pub mod events;
pub mod fasthash;
#[cfg(feature = "l2")]
pub mod iam;
#[cfg(feature = "l2")]
pub mod kms;
#[cfg(feature = "l2")]
pub mod lambda;
#[cfg(feature = "l2")]
pub mod lambda_event_sources;
pub mod logical_id;
#[cfg(feature = "l2")]
pub mod logs;
#[cfg(feature = "l2")]
pub mod nag;
#[cfg(feature = "l2")]
pub mod patterns;
pub mod resource;
#[cfg(feature = "l2")]
pub mod s3;
#[cfg(feature = "l2")]
pub mod scheduler;
#[cfg(feature = "l2")]
pub mod servicediscovery;
#[cfg(feature = "l2")]
pub mod sns;
#[cfg(feature = "l2")]
pub mod sqs;
pub mod stack;
pub mod synth;
pub mod value;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use resource::{AnyResource, CfnResource, PropSpec, UntypedResource};
pub use stack::{
    CondExpr, CondHandle, Construct, Handle, MappingHandle, MappingTable, NodeId, Origin, Output, ParamHandle,
    Parameter, RemovalPolicy, ResourceEntry, Scope, Stack, Untyped,
};
pub use synth::{Node, Synthesized, TemplateStats};
pub use value::{fns, Expr, IntoExpr, Json, Placeholder, PlaceholderKind, PropMap, Pseudo, Value};
