//! AWS Proton templates as typed Rust programs.
//!
//! An [`EnvironmentTemplate`] or [`ServiceTemplate`] wraps one CloudFormation [`Stack`] per IaC file
//! (`infrastructure/`, `instance_infrastructure/`, `pipeline_infrastructure/`). Inputs are declared once
//! with [`InputDef`]; the returned [`Input`] handle gives a [`Value`] that is written as
//! `{{ environment.inputs.x | tojson }}` in the bundle and as a `Ref` to a parameter in the plain template,
//! while the schema property comes from the same declaration.
//!
//! ```
//! use proton_synth::proton::{EnvironmentTemplate, InputDef, ServiceTemplate, SpecSettings};
//! use proton_synth::constructs::{Expr, Value};
//! use serde_json::json;
//!
//! // Environment: one input, one output (the contract services are written against).
//! let mut env = EnvironmentTemplate::new("vpc-env");
//! let cidr = env.input(InputDef::string("vpc_cidr").default("10.0.0.0/16"));
//! let props = Expr::Map([("CidrBlock".to_owned(), cidr.value().into_expr())].into_iter().collect());
//! let vpc = env.root().add_untyped("Vpc", "AWS::EC2::VPC", props);
//! env.output("VpcId", vpc.r#ref());
//!
//! // Service: instance inputs, environment outputs, a pipeline looping over instances.
//! let mut svc = ServiceTemplate::new("api-svc", &[env.interface()]);
//! let port = svc.instance_input(InputDef::number("port").default(80.0).minimum(1.0).maximum(65535.0));
//! let vpc_id = svc.env_output("VpcId");
//! let sg = Expr::Map([
//!     ("GroupDescription".to_owned(), Expr::Str("api".into())),
//!     ("VpcId".to_owned(), vpc_id.into_expr()),
//! ].into_iter().collect());
//! svc.instance().add_untyped("Sg", "AWS::EC2::SecurityGroup", sg);
//! let _ = port.value();
//!
//! // Pipeline: created on first use; `per_instance()` resources are emitted once per service instance
//! // (logical ID `Deploy{{ loop.index }}`), `instances().items(..)` splices per-instance list entries.
//! let pipe = svc.pipeline();
//! let dockerfile = pipe.input(InputDef::string("dockerfile").default("Dockerfile"));
//! let each = pipe.instances();
//! let deploy = pipe.per_instance().add_untyped("Deploy", "AWS::SSM::Parameter", Expr::Map([
//!     ("Type".to_owned(), Expr::Str("String".into())),
//!     ("Value".to_owned(), each.input(&port).into_expr()),  // service_instance.inputs.port
//! ].into_iter().collect()));
//! let stages = Expr::List(vec![
//!     json!({"Name": "Build"}).into(),
//!     each.items([Expr::Map([("Name".to_owned(), each.name().into_expr()),
//!                            ("Project".to_owned(), deploy.r#ref().into_expr())].into_iter().collect())]),
//! ]);
//! pipe.root().add_untyped("Stages", "Custom::Stages", Expr::Map([
//!     ("Stages".to_owned(), stages),
//!     ("Dockerfile".to_owned(), dockerfile.value().into_expr()),
//! ].into_iter().collect()));
//!
//! let out = svc.synth(&SpecSettings::default(), None).unwrap();
//! assert!(out.bundle.contains_key("pipeline_infrastructure/cloudformation.yaml"));
//! ```
//!
//! Synthesis ([`EnvironmentTemplate::synth`], [`ServiceTemplate::synth`], or [`crate::app::App`]) checks
//! every Jinja variable against the template kind (format notes 4.1) and the declared inputs, every
//! environment output read against the compatible environment templates, and Proton's limits.
//!
//! [`Stack`]: proton_synth_constructs::Stack
//! [`Value`]: proton_synth_constructs::Value

mod archive;
pub mod bundle;
mod check;
pub mod component;
pub mod customer_managed;
pub mod format;
pub mod input;
mod pipeline;
pub mod pipeline_plain;
mod schema;
mod synth;
pub mod template;
pub mod writer;

pub use bundle::{deterministic_tar_gz, SpecSettings, TemplateOutput, MANIFEST_YAML};
pub use component::{render_component, ComponentContext, ComponentInterface, ComponentOutput, ComponentTemplate};
pub use customer_managed::CustomerManagedEnvironmentTemplate;
pub use format::{InfraKind, TemplateKind};
pub use input::{Env, Input, InputDef, InputSpec, InputType, Instance, Pipeline};
pub use template::{
    EnvironmentInterface, EnvironmentTemplate, InstanceLoop, PipelineTemplate, ServiceTemplate,
    DEFAULT_ENVIRONMENT_INPUT_TYPE, DEFAULT_PIPELINE_INPUT_TYPE, DEFAULT_SERVICE_INPUT_TYPE,
};
