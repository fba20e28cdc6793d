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

use std::sync::Arc;

use crate::cfn;
use crate::cfn::codebuild::project as p;
use crate::ecr;
use crate::iam::{self, Grantee, PolicyStatement, Principal, Role, RoleProps};
use crate::kms;
use crate::logs::{LogGroup, LogGroupProps};
use crate::nag::{self, Tool};
use crate::stack::{Handle, Scope, Stack};
use crate::value::{fns, ElementKind, Expr, Value};

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

/// A typed buildspec (version 0.2). Every command and file is a `Value<String>`: literals, placeholders or
/// intrinsic functions (`fns::join` of such parts is flattened).
#[derive(Clone, Debug, Default)]
pub struct BuildSpec {
    /// `env.variables` (text of the buildspec: no user-supplied values, see [`BuildSpec::project_env`]).
    pub env: Vec<(String, Value<String>)>,
    /// Environment variables the project must set for this buildspec (merged into the project's
    /// `Environment.EnvironmentVariables` by [`Project::new`]): the way user-supplied values (placeholders,
    /// parameters) reach commands, as `$NAME`, without being spliced into the buildspec text.
    pub project_env: Vec<(String, Value<String>)>,
    pub install: Vec<Value<String>>,
    pub pre_build: Vec<Value<String>>,
    pub build: Vec<Value<String>>,
    pub post_build: Vec<Value<String>>,
    /// `artifacts.files` (relative to the source directory).
    pub artifact_files: Vec<Value<String>>,
}

/// Text parts of a rendered buildspec.
struct Parts {
    parts: Vec<Expr>,
    literal: String,
}

impl Parts {
    fn text(&mut self, s: &str) {
        self.literal.push_str(s);
    }

    fn flush(&mut self) {
        if !self.literal.is_empty() {
            self.parts.push(Expr::Str(std::mem::take(&mut self.literal)));
        }
    }

    /// Literal text; newlines continue the block scalar at `indent`.
    fn literal(&mut self, s: &str, indent: &str) {
        self.text(&s.replace('\n', &format!("\n{indent}")));
    }

    fn value(&mut self, e: &Expr, indent: &str) {
        match e {
            Expr::Str(s) => self.literal(s, indent),
            Expr::Join(d, list) => match list.as_ref() {
                Expr::List(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            self.literal(d, indent);
                        }
                        self.value(item, indent);
                    }
                }
                _ => {
                    self.flush();
                    self.parts.push(e.clone());
                }
            },
            other => {
                self.flush();
                self.parts.push(other.clone());
            }
        }
    }

    fn finish(mut self) -> Value<String> {
        self.flush();
        if self.parts.len() == 1 {
            if let Expr::Str(s) = &self.parts[0] {
                return Value::from(s.clone());
            }
        }
        Value::from_expr(Expr::Join(String::new(), Box::new(Expr::List(self.parts))))
    }
}

fn valid_env_name(n: &str) -> bool {
    let mut c = n.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_') && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

impl BuildSpec {
    /// True when no phase has a command.
    pub fn is_empty(&self) -> bool {
        self.install.is_empty() && self.pre_build.is_empty() && self.build.is_empty() && self.post_build.is_empty()
    }

    /// Problems of the buildspec, as messages.
    pub fn validate(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.is_empty() {
            out.push("build spec has no commands in any phase".to_owned());
        }
        for (name, _) in &self.env {
            if !valid_env_name(name) {
                out.push(format!(
                    "build spec env variable {name:?} is not a valid name (letters, digits and _, not starting with a digit)"
                ));
            }
        }
        let texts = self.env.iter().map(|(n, v)| (format!("env variable {n}"), v)).chain(
            [
                ("install", &self.install),
                ("pre_build", &self.pre_build),
                ("build", &self.build),
                ("post_build", &self.post_build),
                ("artifacts.files", &self.artifact_files),
            ]
            .into_iter()
            .flat_map(|(phase, list)| list.iter().enumerate().map(move |(i, v)| (format!("{phase}[{i}]"), v))),
        );
        for (at, v) in texts {
            let mut user = Vec::new();
            v.expr().walk(&mut |e| match e {
                Expr::Placeholder(p) => user.push(format!("{{{{ {} }}}}", p.jinja)),
                Expr::RefName(n) => user.push(format!("Ref {n}")),
                Expr::Ref(r) if r.kind == ElementKind::Parameter => user.push("(a template parameter)".to_owned()),
                _ => {}
            });
            // A placeholder's plain form is usually a parameter Ref: report the placeholder only.
            if let Some(first) = user.first() {
                out.push(format!(
                    "build spec {at} splices the user-supplied value {first} into the buildspec text, where a newline or quote in it would break or rewrite the buildspec; pass it in `project_env` (e.g. (\"VALUE\", value)) and use \"$VALUE\" in the command"
                ));
            }
        }
        out
    }

    /// The buildspec as YAML text (`Fn::Join` when it has late-bound parts).
    pub fn render(&self) -> Value<String> {
        let mut p = Parts {
            parts: Vec::new(),
            literal: String::new(),
        };
        p.text("version: 0.2\n");
        if !self.env.is_empty() {
            p.text("env:\n  variables:\n");
            for (name, v) in &self.env {
                p.text(&format!("    {name}: |-\n      "));
                p.value(v.expr(), "      ");
                p.text("\n");
            }
        }
        p.text("phases:\n");
        for (phase, cmds) in [
            ("install", &self.install),
            ("pre_build", &self.pre_build),
            ("build", &self.build),
            ("post_build", &self.post_build),
        ] {
            if cmds.is_empty() {
                continue;
            }
            p.text(&format!("  {phase}:\n    commands:\n"));
            for c in cmds {
                p.text("      - |-\n        ");
                match c.as_literal() {
                    Some(s) => p.literal(s.trim_start(), "        "),
                    None => p.value(c.expr(), "        "),
                }
                p.text("\n");
            }
        }
        if !self.artifact_files.is_empty() {
            p.text("artifacts:\n  files:\n");
            for f in &self.artifact_files {
                p.text("    - |-\n      ");
                p.value(f.expr(), "      ");
                p.text("\n");
            }
        }
        p.finish()
    }
}

/// Inputs of [`docker_build_spec`].
#[derive(Clone, Debug)]
pub struct DockerBuild<'a> {
    /// Path of the Dockerfile in the source, e.g. the placeholder `pipeline.inputs.dockerfile` (reaches the
    /// build as the project variable `DOCKERFILE`).
    pub dockerfile: Value<String>,
    /// The unit test command, e.g. the placeholder `pipeline.inputs.unit_test_command` (reaches the build as
    /// the project variable `UNIT_TEST_COMMAND`, run with `bash -c`).
    pub unit_test_command: Value<String>,
    pub repository: &'a ecr::Repository,
    /// The image tag, shell text of the buildspec; default the build number and the first 8 characters of
    /// the commit (`<n>-<commit>`: unique, as immutable tags need, and starting with a digit as Docker tags
    /// must even without a commit).
    pub image_tag: Option<Value<String>>,
    /// The container name written to `imagedefinitions.json` (the ECS deploy action replaces this
    /// container's image).
    pub container_name: Value<String>,
}

/// The file the ECS deploy action reads.
pub const IMAGE_DEFINITIONS_FILE: &str = "imagedefinitions.json";
/// A file holding only the image URI (for CloudFormation deploys or other consumers).
pub const IMAGE_URI_FILE: &str = "image-uri.txt";

/// The buildspec of a container build: log in to ECR, run the unit tests, build with `-f <dockerfile>`, tag,
/// push, and write [`IMAGE_DEFINITIONS_FILE`] and [`IMAGE_URI_FILE`]. The project needs `privileged: true` and
/// [`ecr::Repository::grant_pull_push`] (see [`Project::grant_docker_push`]).
pub fn docker_build_spec(d: DockerBuild<'_>) -> BuildSpec {
    let tag = d.image_tag.unwrap_or_else(|| {
        Value::from("$CODEBUILD_BUILD_NUMBER-$(echo $CODEBUILD_RESOLVED_SOURCE_VERSION | cut -c 1-8)")
    });
    // Every setting reaches the commands as a project environment variable: the buildspec text is fixed,
    // whatever a Proton spec supplies for the Dockerfile or the test command.
    BuildSpec {
        env: Vec::new(),
        project_env: vec![
            ("REPOSITORY_URI".to_owned(), d.repository.repository_uri()),
            ("DOCKERFILE".to_owned(), d.dockerfile),
            ("UNIT_TEST_COMMAND".to_owned(), d.unit_test_command),
            ("CONTAINER_NAME".to_owned(), d.container_name),
        ],
        install: Vec::new(),
        pre_build: vec![
            Value::from("cd $CODEBUILD_SRC_DIR"),
            Value::from(
                "aws ecr get-login-password --region $AWS_DEFAULT_REGION | docker login --username AWS --password-stdin $(echo $REPOSITORY_URI | cut -d/ -f1)",
            ),
            Value::from("bash -c \"$UNIT_TEST_COMMAND\""),
        ],
        build: vec![
            // The tag is buildspec text (shell): a tag from a user-supplied value belongs in `project_env`.
            fns::join("", [Value::from("IMAGE_TAG="), tag]),
            Value::from("docker build -t $REPOSITORY_URI:$IMAGE_TAG -f \"$DOCKERFILE\" ."),
            // Pushed in the build phase: post_build also runs after a failed build.
            Value::from("docker push $REPOSITORY_URI:$IMAGE_TAG"),
            Value::from(
                "printf '[{\"name\":\"%s\",\"imageUri\":\"%s\"}]' \"$CONTAINER_NAME\" \"$REPOSITORY_URI:$IMAGE_TAG\" > imagedefinitions.json",
            ),
            Value::from("printf '%s' \"$REPOSITORY_URI:$IMAGE_TAG\" > image-uri.txt"),
        ],
        post_build: Vec::new(),
        artifact_files: vec![Value::from(IMAGE_DEFINITIONS_FILE), Value::from(IMAGE_URI_FILE)],
    }
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
pub struct Project(Arc<ProjectInner>);

#[derive(Debug)]
struct ProjectInner {
    handle: Handle<cfn::codebuild::Project>,
    path: String,
    role: Role,
    key: kms::Key,
    logs: LogGroup,
}

impl Project {
    pub fn new(scope: &mut Scope, id: &str, props: ProjectProps) -> Project {
        let mut child = scope.child(id);
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
        let mut env = p::Environment::new(
            props.environment.compute_type.as_str(),
            props.environment.image.clone(),
            "LINUX_CONTAINER",
        );
        env.privileged_mode = Some(Value::from(props.environment.privileged));
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
        let path = child.path();
        let stack = child.stack();
        if created_role {
            let mut r = role.clone();
            logs.grant_write(stack, &mut r);
            let report_groups = fns::sub(
                "arn:${AWS::Partition}:codebuild:${AWS::Region}:${AWS::AccountId}:report-group/${Project}-*",
                [("Project", h.r#ref().into_expr())],
            );
            iam::grant(
                stack,
                &path,
                &mut r,
                PolicyStatement::allow(REPORT_ACTIONS, [report_groups]),
            );
            key.grant_encrypt_decrypt(stack, &mut r);
        }
        Project(Arc::new(ProjectInner {
            handle: h,
            path,
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

    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// Add a statement to the service role's policy.
    pub fn add_to_role_policy(&self, stack: &mut Stack, stmt: PolicyStatement) -> bool {
        let mut r = self.0.role.clone();
        iam::grant(stack, &self.0.path, &mut r, stmt)
    }

    /// Let the build push to (and pull from) `repository`.
    pub fn grant_docker_push(&self, stack: &mut Stack, repository: &ecr::Repository) -> bool {
        let mut r = self.0.role.clone();
        repository.grant_pull_push(stack, &mut r)
    }

    /// Let `grantee` start and watch builds of this project ([`START_BUILD_ACTIONS`] on its ARN).
    pub fn grant_start_build(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> bool {
        iam::grant(
            stack,
            &self.0.path,
            grantee,
            PolicyStatement::allow(START_BUILD_ACTIONS, [self.arn()]),
        )
    }
}
