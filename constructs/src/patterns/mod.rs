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
//! The serverless patterns of AWS's Proton catalog (`apigw-lambda-svc`, `scheduled-lambda-svc`,
//! `worker-lambda-svc`), each built on [`crate::lambda::Function`] (own log group kept one year, a role with
//! inline least-privilege permissions, active tracing):
//!
//! - [`HttpApiLambda`]: an HTTP API (IAM authorization by default, access logs, throttling) routing to a
//!   function, with invoke permissions scoped to each route.
//! - [`ScheduledLambda`]: an EventBridge rule on a schedule (checked, or late-bound such as a Proton input)
//!   invoking a function, whose failed asynchronous invocations go to an encrypted dead-letter queue.
//! - [`QueueProcessingLambda`]: an encrypted, TLS-only SQS queue with a dead-letter queue, consumed by a
//!   function through an event source mapping (batch failures reported per message).
//!
//! ```
//! use proton_synth_constructs::events::{Schedule, TimeUnit};
//! use proton_synth_constructs::lambda::{Code, FunctionProps};
//! use proton_synth_constructs::patterns::{
//!     HttpApiLambda, HttpApiLambdaProps, QueueProcessingLambda, QueueProcessingLambdaProps, ScheduledLambda,
//!     ScheduledLambdaProps,
//! };
//! use proton_synth_constructs::{Mode, Stack};
//!
//! let code = || FunctionProps {
//!     code: Code::Inline("def handler(event, context):\n    return {}\n".to_owned()),
//!     ..FunctionProps::default()
//! };
//! let mut stack = Stack::new("Serverless");
//! let api = HttpApiLambda::new(&mut stack.root(), "Api", HttpApiLambdaProps::new(code()));
//! let every = Schedule::rate(5, TimeUnit::Minutes);
//! ScheduledLambda::new(&mut stack.root(), "Tick", ScheduledLambdaProps::new(every, code()));
//! let worker = QueueProcessingLambda::new(&mut stack.root(), "Worker", QueueProcessingLambdaProps::new(code()));
//! let _url = api.url();
//! let _jobs = worker.queue().url();
//! stack.synth(Mode::Plain).expect("a valid template");
//! ```
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
mod http_api_lambda;
mod load_balanced_fargate_service;
mod queue_processing_lambda;
mod queue_processing_service;
mod scheduled_lambda;
mod scheduled_task;

pub use compute::{Compute, Ec2Compute, FargateCompute};
pub use http_api_lambda::*;
pub use load_balanced_fargate_service::*;
pub use queue_processing_lambda::*;
pub use queue_processing_service::*;
pub use scheduled_lambda::*;
pub use scheduled_task::*;
