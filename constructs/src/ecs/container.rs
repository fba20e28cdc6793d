//! Container props: [`ContainerProps`], images, secrets, logging and [`FargateTaskDefinition::add_container`]
//! (which returns the [`ContainerDefinition`]).

use indexmap::IndexMap;

use crate::cfn;
use crate::ecr::Repository;
use crate::elbv2::check_port;
use crate::iam::{Grant, PolicyStatement, Role};
use crate::logs::{LogGroup, LogGroupProps};
use crate::nag::{self, Tool};
use crate::stack::Stack;
use crate::value::{fns, Expr, Value};

use cfn::ecs::task_definition as td;

use super::*;

/// A container image.
#[derive(Clone, Debug)]
pub enum ContainerImage {
    /// An image reference in any registry (`public.ecr.aws/nginx/nginx:1.27`, a Proton input, …). Private
    /// registries other than ECR need repository credentials, which this construct does not set.
    Registry(Value<String>),
    /// An image in an ECR repository (created in this template or imported with `Repository::from_name`); the
    /// execution role gets pull permissions (and decrypt on the repository's customer managed key).
    Ecr { repository: Repository, tag: Value<String> },
}

impl ContainerImage {
    pub fn registry(image: impl Into<Value<String>>) -> Self {
        ContainerImage::Registry(image.into())
    }

    /// An image of the repository named `repository_name` in this account and region.
    pub fn ecr(repository_name: impl Into<Value<String>>, tag: impl Into<Value<String>>) -> Self {
        ContainerImage::Ecr {
            repository: Repository::from_name(repository_name.into()),
            tag: tag.into(),
        }
    }

    /// An image of an ECR repository construct.
    pub fn from_repository(repository: &Repository, tag: impl Into<Value<String>>) -> Self {
        ContainerImage::Ecr {
            repository: repository.clone(),
            tag: tag.into(),
        }
    }

    pub(super) fn uri(&self) -> Value<String> {
        match self {
            ContainerImage::Registry(v) => v.clone(),
            ContainerImage::Ecr { repository, tag } => repository.image_uri(tag.clone()),
        }
    }
}

/// A secret injected as an environment variable.
#[derive(Clone, Debug)]
pub enum Secret {
    /// An SSM parameter by ARN (see [`Secret::ssm_parameter_name`]).
    SsmParameter { arn: Value<String> },
    /// A Secrets Manager secret by ARN, optionally one JSON field of it.
    SecretsManager { arn: Value<String>, field: Option<String> },
}

impl Secret {
    /// An SSM parameter of this account and region by name (with or without the leading `/`).
    pub fn ssm_parameter_name(name: &str) -> Secret {
        let name = name.trim_start_matches('/');
        Secret::SsmParameter {
            arn: fns::sub(
                "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${Name}",
                [("Name", Expr::Str(name.to_owned()))],
            ),
        }
    }

    pub fn secrets_manager(arn: impl Into<Value<String>>, field: Option<&str>) -> Secret {
        Secret::SecretsManager {
            arn: arn.into(),
            field: field.map(str::to_owned),
        }
    }

    pub(super) fn value_from(&self) -> Value<String> {
        match self {
            Secret::SsmParameter { arn } => arn.clone(),
            Secret::SecretsManager { arn, field: None } => arn.clone(),
            Secret::SecretsManager { arn, field: Some(f) } => {
                fns::join(":", [arn.clone(), f.as_str().into(), "".into(), "".into()])
            }
        }
    }

    /// The container's `Secrets` entry for environment variable `name`.
    pub(super) fn entry(&self, name: &str) -> td::Secret {
        td::Secret::new(name, self.value_from())
    }

    pub(super) fn statement(&self) -> PolicyStatement {
        match self {
            Secret::SsmParameter { arn } => PolicyStatement::allow(&["ssm:GetParameters"], [arn.clone()]),
            Secret::SecretsManager { arn, .. } => {
                PolicyStatement::allow(&["secretsmanager:GetSecretValue"], [arn.clone()])
            }
        }
    }

    /// Let the execution role read the secret (a warning at `path` when it is imported).
    pub(super) fn grant_read(&self, stack: &mut Stack, path: &str, execution_role: &mut Role) -> Grant {
        Grant::add(stack, path, execution_role, self.statement())
    }
}

/// A container health check (Docker `HEALTHCHECK`).
#[derive(Clone, Debug)]
pub struct ContainerHealthCheck {
    /// `["CMD-SHELL", "curl -f http://localhost/ || exit 1"]` or `["CMD", ...]`.
    pub command: Vec<String>,
    /// 5–300 s (default 30).
    pub interval_secs: Option<u32>,
    /// 2–60 s (default 5).
    pub timeout_secs: Option<u32>,
    /// 1–10 (default 3).
    pub retries: Option<u32>,
    /// 0–300 s grace period after start.
    pub start_period_secs: Option<u32>,
}

/// Where a container's stdout/stderr goes.
#[derive(Clone, Debug)]
pub enum Logging {
    /// The awslogs driver into `log_group` (`None`: a log group is created next to the container, with the
    /// [`LogGroupProps`] defaults: one year, retained), streams prefixed with `stream_prefix` (`None`: the
    /// container name).
    AwsLogs {
        log_group: Option<LogGroup>,
        stream_prefix: Option<String>,
    },
    /// No logging (records a warning: logs of a failing task are lost).
    None,
}

impl Default for Logging {
    fn default() -> Self {
        Logging::AwsLogs {
            log_group: None,
            stream_prefix: None,
        }
    }
}

/// The user a container runs as when [`ContainerProps::user`] is left at its default.
pub const DEFAULT_CONTAINER_USER: &str = "1000";

/// Properties of a container ([`FargateTaskDefinition::add_container`]).
#[derive(Clone, Debug)]
pub struct ContainerProps {
    pub image: ContainerImage,
    /// Container ports (TCP).
    pub port_mappings: Vec<Value<i64>>,
    pub environment: IndexMap<String, Value<String>>,
    /// Environment variable name → secret.
    pub secrets: IndexMap<String, Secret>,
    pub health_check: Option<ContainerHealthCheck>,
    pub logging: Logging,
    /// Hard memory limit (MiB). `None`: the task's memory (so a second container must set its own).
    pub memory_limit_mib: Option<Value<i64>>,
    /// Soft limit (MiB).
    pub memory_reservation_mib: Option<u32>,
    pub cpu: Option<u32>,
    /// Default true. False records a suppression of CT.ECS.PR.6 with the reason.
    pub readonly_root_filesystem: bool,
    /// Paths that stay writable with a read-only root filesystem (task-scoped volumes), e.g. `/tmp`.
    pub writable_paths: Vec<String>,
    /// Default `Some("1000")` (non-root). `None` keeps the image's user and records a suppression of
    /// CT.ECS.PR.3; so does a root user (`0`, `root`).
    pub user: Option<String>,
    /// Default true.
    pub essential: bool,
    pub command: Option<Vec<String>>,
    pub entry_point: Option<Vec<String>>,
    pub working_directory: Option<String>,
    pub stop_timeout_secs: Option<u32>,
}

impl ContainerProps {
    pub fn new(image: ContainerImage) -> Self {
        ContainerProps {
            image,
            port_mappings: Vec::new(),
            environment: IndexMap::new(),
            secrets: IndexMap::new(),
            health_check: None,
            logging: Logging::default(),
            memory_limit_mib: None,
            memory_reservation_mib: None,
            cpu: None,
            readonly_root_filesystem: true,
            writable_paths: Vec::new(),
            user: Some(DEFAULT_CONTAINER_USER.to_owned()),
            essential: true,
            command: None,
            entry_point: None,
            working_directory: None,
            stop_timeout_secs: None,
        }
    }
}

/// Environment variables that must never be set in plain text (CT.ECS.PR.12).
pub(super) const FORBIDDEN_ENV: [&str; 3] = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"];

impl TaskDefinition {
    /// Add a container named `name` and return it (to add port mappings, environment variables or secrets
    /// later). The execution role is granted what the container needs (ECR pull, log writes, its secrets); a
    /// log group is created at `<task definition>/<name>LogGroup` unless given.
    pub fn add_container(&self, stack: &mut Stack, name: &str, props: ContainerProps) -> ContainerDefinition {
        let cpath = format!("{}/{name}", self.path);
        for p in container_problems(name, &props) {
            stack.error(&cpath, p);
        }
        let (mut c, c_memory, volumes) = self.container_definition(name, &props);
        let log_group = self.grant_execution(stack, name, &cpath, &props, &mut c);
        let mut index = 0;
        if let Some(task) = stack.l1_mut(&self.handle) {
            let containers = task.container_definitions.get_or_insert_with(Vec::new);
            index = containers.len();
            containers.push(c);
            if !volumes.is_empty() {
                let list = task.volumes.get_or_insert_with(Vec::new);
                list.extend(volumes.into_iter().map(|v| td::Volume {
                    name: Some(v.into()),
                    ..Default::default()
                }));
            }
        }
        container_findings(stack.resource_mut(&self.handle), name, &props, &c_memory);
        ContainerDefinition {
            task: self.handle,
            index,
            name: name.to_owned(),
            path: cpath,
            execution_role: self.execution_role.clone(),
            log_group,
        }
    }

    /// The container definition, the memory limit it got and the names of its writable volumes.
    fn container_definition(
        &self,
        name: &str,
        props: &ContainerProps,
    ) -> (td::ContainerDefinition, Value<i64>, Vec<String>) {
        let mut c = td::ContainerDefinition::new(props.image.uri(), name);
        c.essential = Some(props.essential.into());
        let c_memory = props
            .memory_limit_mib
            .clone()
            .unwrap_or_else(|| self.memory_mib.clone());
        c.memory = Some(c_memory.clone());
        c.memory_reservation = props.memory_reservation_mib.map(Value::from);
        c.cpu = props.cpu.map(Value::from);
        c.readonly_root_filesystem = Some(props.readonly_root_filesystem.into());
        c.user = props.user.as_deref().map(Value::from);
        c.command = props.command.as_ref().map(|v| str_list(v));
        c.entry_point = props.entry_point.as_ref().map(|v| str_list(v));
        c.working_directory = props.working_directory.as_deref().map(Value::from);
        c.stop_timeout = props.stop_timeout_secs.map(Value::from);
        if !props.port_mappings.is_empty() {
            c.port_mappings = Some(props.port_mappings.iter().map(port_mapping).collect());
        }
        if !props.environment.is_empty() {
            c.environment = Some(props.environment.iter().map(|(k, v)| env_var(k, v.clone())).collect());
        }
        if !props.secrets.is_empty() {
            c.secrets = Some(props.secrets.iter().map(|(k, s)| s.entry(k)).collect());
        }
        c.health_check = props.health_check.as_ref().map(|hc| td::HealthCheck {
            command: Some(str_list(&hc.command)),
            interval: hc.interval_secs.map(Value::from),
            timeout: hc.timeout_secs.map(Value::from),
            retries: hc.retries.map(Value::from),
            start_period: hc.start_period_secs.map(Value::from),
        });
        let mut volumes = Vec::new();
        if !props.writable_paths.is_empty() {
            let mut mounts = Vec::new();
            for (i, w) in props.writable_paths.iter().enumerate() {
                let vol = format!("{name}-writable-{}", i + 1);
                mounts.push(td::MountPoint {
                    container_path: Some(w.as_str().into()),
                    read_only: Some(false.into()),
                    source_volume: Some(vol.as_str().into()),
                });
                volumes.push(vol);
            }
            c.mount_points = Some(mounts);
        }
        (c, c_memory, volumes)
    }

    /// The execution role's grants (image pull, logs, secrets) and the container's log configuration;
    /// returns the log group (`None` without logging).
    fn grant_execution(
        &self,
        stack: &mut Stack,
        name: &str,
        cpath: &str,
        props: &ContainerProps,
        c: &mut td::ContainerDefinition,
    ) -> Option<LogGroup> {
        // Execution role: image pull, logs, secrets.
        let mut exec = self.execution_role.clone();
        if let ContainerImage::Ecr { repository, .. } = &props.image {
            let _ = repository.grant_pull(stack, &mut exec);
        }
        let log_group = match &props.logging {
            Logging::AwsLogs {
                log_group,
                stream_prefix,
            } => {
                let group = match log_group {
                    Some(g) => g.clone(),
                    None => LogGroup::new(
                        &mut stack.scope(self.node),
                        &format!("{name}LogGroup"),
                        LogGroupProps::default(),
                    ),
                };
                let mut options = IndexMap::new();
                options.insert("awslogs-group".to_owned(), group.name());
                options.insert("awslogs-region".to_owned(), Value::region());
                options.insert(
                    "awslogs-stream-prefix".to_owned(),
                    Value::from(stream_prefix.as_deref().unwrap_or(name)),
                );
                c.log_configuration = Some(td::LogConfiguration {
                    log_driver: "awslogs".into(),
                    options: Some(options),
                    secret_options: None,
                });
                let _ = group.grant_write(stack, &mut exec);
                Some(group)
            }
            Logging::None => {
                stack.warning(
                    cpath,
                    "container without logging: the output of failing tasks is lost (CT.ECS.PR.5)",
                );
                None
            }
        };
        for s in props.secrets.values() {
            let _ = s.grant_read(stack, cpath, &mut exec);
        }
        log_group
    }
}

/// Problems of a container's props (names, ports, plain-text credentials, limits, paths).
fn container_problems(name: &str, props: &ContainerProps) -> Vec<String> {
    let mut problems = Vec::new();
    if name.is_empty() || name.len() > 255 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        problems.push(format!(
            "container name {name:?} must be 1-255 letters, digits, hyphens and underscores"
        ));
    }
    for p in &props.port_mappings {
        problems.extend(check_port("container", p));
    }
    problems.extend(props.environment.keys().filter_map(|k| plain_env_problem(k)));
    for k in props.secrets.keys() {
        if props.environment.contains_key(k) {
            problems.push(env_and_secret_problem(k));
        }
    }
    if let Some(hc) = &props.health_check {
        validate_health_check(hc, &mut problems);
    }
    if let Some(m) = props.memory_limit_mib.as_ref().and_then(literal_int) {
        if m < 6 {
            problems.push(format!("container memory limit {m} MiB is below the minimum of 6 MiB"));
        }
        if let Some(r) = props.memory_reservation_mib {
            if i64::from(r) > m {
                problems.push(format!("memory reservation {r} MiB is above the hard limit {m} MiB"));
            }
        }
    }
    for w in &props.writable_paths {
        if !w.starts_with('/') {
            problems.push(format!("writable path {w:?} must be absolute"));
        }
    }
    problems
}

/// A variable that must not be set in plain text ([`FORBIDDEN_ENV`]).
pub(super) fn plain_env_problem(name: &str) -> Option<String> {
    FORBIDDEN_ENV
        .contains(&name)
        .then(|| format!("environment variable {name} must not be set in plain text; use an IAM role or a secret"))
}

pub(super) fn env_and_secret_problem(name: &str) -> String {
    format!("{name} is both an environment variable and a secret")
}

/// A TCP port mapping of `port`.
pub(super) fn port_mapping(port: &Value<i64>) -> td::PortMapping {
    td::PortMapping {
        container_port: Some(port.clone()),
        protocol: Some("tcp".into()),
        ..Default::default()
    }
}

/// An `Environment` entry.
pub(super) fn env_var(name: &str, value: Value<String>) -> td::KeyValuePair {
    td::KeyValuePair {
        name: Some(name.into()),
        value: Some(value),
    }
}

/// Suppressions for the findings a container's settings answer on purpose.
fn container_findings(
    entry: &mut crate::stack::ResourceEntry,
    name: &str,
    props: &ContainerProps,
    c_memory: &Value<i64>,
) {
    if !matches!(c_memory.expr(), Expr::Int(_)) {
        nag::suppress(
            entry,
            Tool::Guard,
            "CT.ECS.PR.7",
            &format!(
                "container {name} has a hard memory limit, but a late-bound one (e.g. Fn::FindInMap of the task size) that the rule cannot evaluate"
            ),
        );
    }
    if !props.readonly_root_filesystem {
        // (checkov's CKV_AWS_336 exists for Terraform only.)
        nag::suppress(
            entry,
            Tool::Guard,
            "CT.ECS.PR.6",
            &format!("container {name} needs a writable root filesystem (readonly_root_filesystem = false)"),
        );
    }
    match props.user.as_deref() {
        None => nag::suppress(
            entry,
            Tool::Guard,
            "CT.ECS.PR.3",
            &format!("container {name} runs as its image's user (ContainerProps.user = None)"),
        ),
        Some(u) if u == "0" || u == "root" || u.starts_with("0:") || u.starts_with("root:") => nag::suppress(
            entry,
            Tool::Guard,
            "CT.ECS.PR.3",
            &format!("container {name} runs as root on purpose (ContainerProps.user = {u:?})"),
        ),
        _ => {}
    }
}

pub(super) fn str_list(v: &[String]) -> Value<Vec<String>> {
    Value::from_expr(Expr::List(v.iter().map(|s| Expr::Str(s.clone())).collect()))
}

pub(super) fn validate_health_check(hc: &ContainerHealthCheck, out: &mut Vec<String>) {
    match hc.command.first().map(String::as_str) {
        Some("CMD") | Some("CMD-SHELL") if hc.command.len() > 1 => {}
        _ => out.push("health check command must be [\"CMD\", ...] or [\"CMD-SHELL\", \"...\"]".to_owned()),
    }
    let ranges = [
        ("interval", hc.interval_secs, 5, 300),
        ("timeout", hc.timeout_secs, 2, 60),
        ("retries", hc.retries, 1, 10),
        ("start period", hc.start_period_secs, 0, 300),
    ];
    for (what, v, min, max) in ranges {
        if let Some(v) = v {
            if !(min..=max).contains(&v) {
                out.push(format!("health check {what} {v} is not in the range {min}-{max}"));
            }
        }
    }
}
