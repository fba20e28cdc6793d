//! L2 constructs for CodeBuild: a [`Project`] built by CodePipeline with a typed [`BuildSpec`], CloudWatch
//! logging to its own log group, a customer managed KMS key for artifacts, and a least-privilege service role.
//!
//! The build specification is rendered to a YAML string for `Source.BuildSpec`. Each command is a YAML
//! block scalar, so commands need no quoting; references to resources (`Ref`, `Fn::GetAtt`, `Fn::Sub` of
//! them) are spliced in with `Fn::Join`. User-supplied text — AWS Proton placeholders such as
//! `pipeline.inputs.unit_test_command`, or template parameters — never goes into the buildspec text, where a
//! newline or quote in the value would break or rewrite it: it reaches the build as an environment variable of
//! the project ([`BuildSpec::project_env`], quoted by CloudFormation), and commands use `$NAME`; splicing it
//! is a synth error. Literal text stays literal, including Jinja delimiters such as the `{#` of shell's
//! `${#ARR[@]}`, because the bundle writer escapes every literal `{{`, `{%` and `{#` in string content.
//!
//! [`docker_build_spec`] produces the buildspec of a container build: ECR login, unit tests, `docker build -f`,
//! tag with the commit and build number, push, and an `imagedefinitions.json` (plus `image-uri.txt`) artifact
//! for an ECS deploy action.

mod build_spec;
mod project;

pub use build_spec::*;
pub use project::*;

/// The default build image (Amazon Linux 2023, x86_64).
pub const DEFAULT_IMAGE: &str = "aws/codebuild/amazonlinux-x86_64-standard:5.0";

/// The reason attached to the privileged-mode findings when [`BuildEnvironment::privileged`] is set.
pub const PRIVILEGED_REASON: &str =
    "privileged mode runs the Docker daemon inside the build container, needed to build container images";

/// Actions on the project's report groups (test and coverage reports).
pub const REPORT_ACTIONS: &[&str] = &[
    "codebuild:CreateReportGroup",
    "codebuild:CreateReport",
    "codebuild:UpdateReport",
    "codebuild:BatchPutTestCases",
    "codebuild:BatchPutCodeCoverages",
];

/// Actions a caller (e.g. a pipeline) needs to run builds of a project.
pub const START_BUILD_ACTIONS: &[&str] = &["codebuild:StartBuild", "codebuild:BatchGetBuilds"];
