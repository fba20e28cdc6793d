//! [`Project`]: a CodeBuild project with its role and log group.

use std::sync::Arc;

use crate::cfn;
use crate::cfn::codebuild::project as p;
use crate::ecr;
use crate::iam::{self, Grant, Grantee, PolicyStatement, Principal, Role, RoleProps};
use crate::kms;
use crate::logs::{LogGroup, LogGroupProps};
use crate::nag::{self, Tool};
use crate::stack::{Construct, Handle, NodeId, Scope, Stack};
use crate::value::{fns, Value};

use super::*;

/// Build compute size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ComputeType {
    #[default]
    Small,
    Medium,
    Large,
    XLarge,
    X2Large,
}

impl ComputeType {
    pub fn as_str(self) -> &'static str {
        match self {
            ComputeType::Small => "BUILD_GENERAL1_SMALL",
            ComputeType::Medium => "BUILD_GENERAL1_MEDIUM",
            ComputeType::Large => "BUILD_GENERAL1_LARGE",
            ComputeType::XLarge => "BUILD_GENERAL1_XLARGE",
            ComputeType::X2Large => "BUILD_GENERAL1_2XLARGE",
        }
    }
}

/// The build container.
#[derive(Clone, Debug)]
pub struct BuildEnvironment {
    /// Default `BUILD_GENERAL1_SMALL`.
    pub compute_type: ComputeType,
    /// Default [`DEFAULT_IMAGE`].
    pub image: Value<String>,
    /// Run the Docker daemon (needed for `docker build`); suppresses the privileged-mode findings with
    /// [`PRIVILEGED_REASON`].
    pub privileged: bool,
    /// Plain-text environment variables of the build (no secrets: CT.CODEBUILD.PR.2).
    pub env: Vec<(String, Value<String>)>,
}

impl Default for BuildEnvironment {
    fn default() -> Self {
        BuildEnvironment {
            compute_type: ComputeType::Small,
            image: Value::from(DEFAULT_IMAGE),
            privileged: false,
            env: Vec::new(),
        }
    }
}

/// Where the project's source comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ProjectSource {
    /// Input and output artifacts of a CodePipeline action (`Source`/`Artifacts` type `CODEPIPELINE`).
    #[default]
    CodePipeline,
}

/// Properties of [`Project`].
#[derive(Clone, Debug, Default)]
pub struct ProjectProps {
    pub description: Option<String>,
    pub source: ProjectSource,
    pub build_spec: BuildSpec,
    pub environment: BuildEnvironment,
    /// Key for build artifacts (cdk-nag CB4). None: a key is created (child `Key`).
    pub encryption_key: Option<kms::Key>,
    /// Log group of the build logs (CT.CODEBUILD.PR.3). None: one is created (child `Logs`, one year).
    pub logs: Option<LogGroup>,
    /// The service role. None: one is created (child `Role`) with only the project's own needs.
    pub role: Option<Role>,
    /// Build timeout in minutes (5–2160; default CodeBuild's 60).
    pub timeout_minutes: Option<u32>,
}

/// A CodeBuild project.
#[derive(Clone, Debug)]
pub struct Project(pub(super) Arc<ProjectInner>);

#[derive(Debug)]
pub(super) struct ProjectInner {
    pub(super) handle: Handle<cfn::codebuild::Project>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
    pub(super) role: Role,
    pub(super) key: kms::Key,
    pub(super) logs: LogGroup,
}

impl Project {
    pub fn new(scope: &mut Scope, id: &str, props: ProjectProps) -> Project {
        let mut child = scope.child(id);
        let env_vars = checked_env_vars(&mut child, &props);
        let key = match props.encryption_key {
            Some(k) => k,
            None => kms::Key::new(
                &mut child,
                "Key",
                kms::KeyProps {
                    description: Some("CodeBuild artifacts".to_owned()),
                    ..kms::KeyProps::default()
                },
            ),
        };
        let logs = match props.logs {
            Some(l) => l,
            None => LogGroup::new(&mut child, "Logs", LogGroupProps::default()),
        };
        let (role, created_role) = match props.role {
            Some(r) => (r, false),
            None => (
                Role::new(
                    &mut child,
                    "Role",
                    RoleProps {
                        assumed_by: Principal::service("codebuild.amazonaws.com"),
                        description: Some("CodeBuild project service role".to_owned()),
                        ..RoleProps::default()
                    },
                ),
                true,
            ),
        };
        let env = build_environment(&props.environment, &env_vars);
        let (artifacts, mut source) = match props.source {
            ProjectSource::CodePipeline => (p::Artifacts::new("CODEPIPELINE"), p::Source::new("CODEPIPELINE")),
        };
        source.build_spec = Some(props.build_spec.render());
        let mut project = cfn::codebuild::Project::new(artifacts, env, role.arn(), source);
        project.description = props.description.map(Value::from);
        project.encryption_key = Some(key.arn());
        project.timeout_in_minutes = props.timeout_minutes.map(Value::from);
        let mut cw = p::CloudWatchLogsConfig::new("ENABLED");
        cw.group_name = Some(logs.name());
        project.logs_config = Some(p::LogsConfig {
            cloud_watch_logs: Some(cw),
            s3_logs: None,
        });
        let h = child.add("Resource", project);
        if props.environment.privileged {
            let entry = child.stack().resource_mut(&h);
            nag::suppress(entry, Tool::Guard, "CT.CODEBUILD.PR.4", PRIVILEGED_REASON);
        }
        let node = child.node_id();
        let path = child.path();
        if created_role {
            grant_service_role(child.stack(), &path, &role, &logs, &key, h);
        }
        Project(Arc::new(ProjectInner {
            handle: h,
            path,
            node: Some(node),
            role,
            key,
            logs,
        }))
    }

    /// `Ref`: the project name.
    pub fn name(&self) -> Value<String> {
        self.0.handle.r#ref()
    }

    pub fn arn(&self) -> Value<String> {
        self.0.handle.attr_arn()
    }

    /// The service role.
    pub fn role(&self) -> &Role {
        &self.0.role
    }

    pub fn encryption_key(&self) -> &kms::Key {
        &self.0.key
    }

    pub fn log_group(&self) -> &LogGroup {
        &self.0.logs
    }

    pub fn handle(&self) -> Handle<cfn::codebuild::Project> {
        self.0.handle
    }

    /// Add a statement to the service role's policy.
    pub fn add_to_role_policy(&self, stack: &mut Stack, stmt: PolicyStatement) -> bool {
        let mut r = self.0.role.clone();
        iam::grant(stack, &self.0.path, &mut r, stmt)
    }

    /// Let the build push to (and pull from) `repository`.
    pub fn grant_docker_push(&self, stack: &mut Stack, repository: &ecr::Repository) -> Grant {
        let mut r = self.0.role.clone();
        repository.grant_pull_push(stack, &mut r)
    }

    /// Let `grantee` start and watch builds of this project ([`START_BUILD_ACTIONS`] on its ARN).
    pub fn grant_start_build(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        let stmt = PolicyStatement::allow(START_BUILD_ACTIONS, [self.arn()]);
        Grant::add(stack, &self.0.path, grantee, stmt)
    }
}

impl Construct for Project {
    fn node_id(&self) -> Option<NodeId> {
        self.0.node
    }
    fn path(&self) -> &str {
        &self.0.path
    }
}

// Steps of `Project::new`.

/// The project's environment variables (the build environment's, then the build spec's `project_env`),
/// checked: names, reserved prefixes, plain-text credentials; and the build spec and timeout.
fn checked_env_vars(child: &mut Scope, props: &ProjectProps) -> Vec<(String, Value<String>)> {
    for problem in props.build_spec.validate() {
        child.error(problem);
    }
    let mut env_vars = props.environment.env.clone();
    for (name, value) in &props.build_spec.project_env {
        if env_vars.iter().any(|(n, _)| n == name) {
            child.error(format!(
                "environment variable {name:?} is set both by the build spec's project_env and by the build environment; rename one"
            ));
        } else {
            env_vars.push((name.clone(), value.clone()));
        }
    }
    for (name, _) in &env_vars {
        if !valid_env_name(name) {
            child.error(format!(
                "environment variable {name:?} is not a valid name (letters, digits and _, not starting with a digit)"
            ));
        } else if name.starts_with("CODEBUILD_") {
            child.error(format!(
                "environment variable {name:?} uses the reserved prefix CODEBUILD_"
            ));
        } else if ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].contains(&name.as_str()) {
            child.error(format!(
                "environment variable {name:?} would hold credentials in plain text (CT.CODEBUILD.PR.2); the service role provides credentials"
            ));
        }
    }
    if let Some(t) = props.timeout_minutes {
        if !(5..=2160).contains(&t) {
            child.error(format!("timeout_minutes {t} is outside 5–2160"));
        }
    }
    env_vars
}

fn build_environment(environment: &BuildEnvironment, env_vars: &[(String, Value<String>)]) -> p::Environment {
    let mut env = p::Environment::new(
        environment.compute_type.as_str(),
        environment.image.clone(),
        "LINUX_CONTAINER",
    );
    env.privileged_mode = Some(Value::from(environment.privileged));
    if !env_vars.is_empty() {
        env.environment_variables = Some(
            env_vars
                .iter()
                .map(|(n, v)| {
                    let mut ev = p::EnvironmentVariable::new(n.as_str(), v.clone());
                    ev.r#type = Some(Value::from("PLAINTEXT"));
                    ev
                })
                .collect(),
        );
    }
    env
}

/// What a role created for the project needs: log writes, its report groups, the artifact key.
fn grant_service_role(
    stack: &mut Stack,
    path: &str,
    role: &Role,
    logs: &LogGroup,
    key: &kms::Key,
    h: Handle<cfn::codebuild::Project>,
) {
    let mut r = role.clone();
    let _ = logs.grant_write(stack, &mut r);
    let report_groups = fns::sub(
        "arn:${AWS::Partition}:codebuild:${AWS::Region}:${AWS::AccountId}:report-group/${Project}-*",
        [("Project", h.r#ref().into_expr())],
    );
    iam::grant(
        stack,
        path,
        &mut r,
        PolicyStatement::allow(REPORT_ACTIONS, [report_groups]),
    );
    let _ = key.grant_encrypt_decrypt(stack, &mut r);
}
