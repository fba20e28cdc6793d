//! L2 constructs for Amazon ECS on Fargate: [`Cluster`], [`FargateTaskDefinition`] with containers,
//! [`FargateService`] (load-balancer targets, auto scaling) and the [`TaskSizeMapping`] helper for AWS
//! Proton's `task_size` input.
//!
//! Secure defaults and the findings of the security gate they answer:
//! - clusters turn Container Insights on (CKV_AWS_65 / CT.ECS.PR.2);
//! - containers have a hard memory limit (CT.ECS.PR.7), a read-only root filesystem (CT.ECS.PR.6), a
//!   non-root user `1000` (CT.ECS.PR.3) and awslogs logging (CT.ECS.PR.5); opting out of the first three
//!   records a suppression with the reason;
//! - task definitions get a separate execution role and task role (CKV_AWS_249), each with only what the
//!   containers need (ECR pull, log writes, the secrets referenced), granted as containers are added;
//! - services do not assign public IPs (CT.ECS.PR.9), run on the `LATEST` platform (CT.ECS.PR.1), roll back
//!   failed deployments (circuit breaker) and keep 100 % healthy during deployments.

use indexmap::IndexMap;

use crate::autoscaling::{
    Metric, PredefinedMetric, ScalableTarget, ScalableTargetProps, ScalingStep, StepScalingPolicy, StepScalingProps,
    TargetTrackingProps,
};
use crate::cfn;
use crate::cfn::applicationautoscaling as aas;
use crate::ec2::{Connectable, Connections, Peer, Port, SecurityGroup, SecurityGroupProps};
use crate::ecr::Repository;
use crate::elbv2::{check_port, ApplicationTargetGroup, NetworkTargetGroup, TargetType};
use crate::iam::{self, PolicyStatement, Principal, Role, RoleProps};
use crate::logs::{LogGroup, LogGroupProps};
use crate::nag::{self, Tool};
use crate::stack::{Handle, MappingHandle, MappingTable, Scope, Stack};
use crate::value::{fns, Expr, IntoExpr, Value};

use cfn::ecs::task_definition as td;

// ---------------------------------------------------------------------------------------------------------------
// Cluster

/// Container Insights setting of a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ContainerInsights {
    #[default]
    Enabled,
    /// Container Insights with enhanced observability.
    Enhanced,
    /// Off: records a suppression of CKV_AWS_65 / CT.ECS.PR.2 with the reason.
    Disabled,
}

impl ContainerInsights {
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerInsights::Enabled => "enabled",
            ContainerInsights::Enhanced => "enhanced",
            ContainerInsights::Disabled => "disabled",
        }
    }
}

/// Properties of [`Cluster`].
#[derive(Clone, Debug, Default)]
pub struct ClusterProps {
    /// A fixed cluster name (default: generated).
    pub name: Option<Value<String>>,
    pub container_insights: ContainerInsights,
}

/// An ECS cluster, created here or imported by name (e.g. an AWS Proton environment output).
#[derive(Clone, Debug)]
pub struct Cluster {
    handle: Option<Handle<cfn::ecs::Cluster>>,
    path: String,
    name: Value<String>,
    arn: Value<String>,
}

impl Cluster {
    pub fn new(scope: &mut Scope, id: &str, props: ClusterProps) -> Cluster {
        let mut child = scope.child(id);
        if let Some(n) = props.name.as_ref().and_then(Value::as_literal) {
            if n.is_empty() || n.len() > 255 || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                child.error(format!(
                    "cluster name {n:?} must be 1-255 letters, digits, hyphens and underscores"
                ));
            }
        }
        let mut cluster = cfn::ecs::Cluster::new();
        cluster.cluster_name = props.name;
        cluster.cluster_settings = Some(vec![cfn::ecs::cluster::ClusterSettings {
            name: Some("containerInsights".into()),
            value: Some(props.container_insights.as_str().into()),
        }]);
        let h = child.add("Resource", cluster);
        if props.container_insights == ContainerInsights::Disabled {
            nag::suppress_all(
                child.stack().resource_mut(&h),
                &[(Tool::Checkov, "CKV_AWS_65"), (Tool::Guard, "CT.ECS.PR.2")],
                "Container Insights turned off on purpose (ClusterProps.container_insights = Disabled)",
            );
        }
        Cluster {
            handle: Some(h),
            path: child.path(),
            name: h.r#ref(),
            arn: h.attr_arn(),
        }
    }

    /// A cluster defined elsewhere, by name.
    pub fn from_name(name: Value<String>) -> Cluster {
        let arn = fns::sub(
            "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/${Name}",
            [("Name", name.clone().into_expr())],
        );
        Cluster {
            handle: None,
            path: String::new(),
            name,
            arn,
        }
    }

    /// The cluster name (`Ref`).
    pub fn name(&self) -> Value<String> {
        self.name.clone()
    }

    pub fn arn(&self) -> Value<String> {
        self.arn.clone()
    }

    pub fn handle(&self) -> Option<Handle<cfn::ecs::Cluster>> {
        self.handle
    }

    pub fn path(&self) -> &str {
        &self.path
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Fargate task sizes

/// Fargate's CPU units and the memory sizes (MiB) allowed with each: (cpu, min, max, step).
pub const FARGATE_SIZES: [(i64, i64, i64, i64); 7] = [
    (256, 512, 2048, 512),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

/// The memory sizes (MiB) Fargate allows with `cpu` units, or `None` for an unsupported cpu value.
pub fn fargate_memory_options(cpu: i64) -> Option<Vec<i64>> {
    let (_, min, max, step) = FARGATE_SIZES.iter().find(|(c, ..)| *c == cpu)?;
    let mut v: Vec<i64> = (0..).map(|i| min + i * step).take_while(|m| m <= max).collect();
    if cpu == 256 {
        // 256 allows 512, 1024 and 2048 (not 1536).
        v = vec![512, 1024, 2048];
    }
    Some(v)
}

/// `None` when Fargate supports the pair; otherwise the message.
pub fn check_fargate_size(cpu: i64, memory_mib: i64) -> Option<String> {
    let Some(options) = fargate_memory_options(cpu) else {
        let cpus: Vec<String> = FARGATE_SIZES.iter().map(|(c, ..)| c.to_string()).collect();
        return Some(format!(
            "Fargate does not support cpu {cpu}; allowed: {}",
            cpus.join(", ")
        ));
    };
    if options.contains(&memory_mib) {
        return None;
    }
    let allowed = if options.len() <= 4 {
        options.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
    } else {
        let (_, min, max, step) = FARGATE_SIZES
            .iter()
            .find(|(c, ..)| *c == cpu)
            .copied()
            .unwrap_or_default();
        format!("{min}-{max} in steps of {step}")
    };
    Some(format!(
        "Fargate does not support cpu {cpu} with memory {memory_mib} MiB; allowed for {cpu}: {allowed}"
    ))
}

fn literal_int(v: &Value<i64>) -> Option<i64> {
    match v.expr() {
        Expr::Int(i) => Some(*i),
        Expr::Str(s) => s.parse().ok(),
        _ => None,
    }
}

/// A `Mappings` table of named Fargate task sizes (AWS Proton's `task_size` input), validated row by row.
/// `cpu(key)` / `memory(key)` give the `Fn::FindInMap` values to use as the task size.
#[derive(Clone, Copy, Debug)]
pub struct TaskSizeMapping {
    handle: MappingHandle,
}

impl TaskSizeMapping {
    /// A mapping with construct id `id` from `(name, cpu, memory MiB)` rows.
    pub fn new(scope: &mut Scope, id: &str, rows: &[(&str, i64, i64)]) -> Self {
        let mut table = MappingTable::new();
        let mut problems = Vec::new();
        if rows.is_empty() {
            problems.push("a task size mapping needs at least one row".to_owned());
        }
        for (name, cpu, memory) in rows {
            if let Some(p) = check_fargate_size(*cpu, *memory) {
                problems.push(format!("task size {name:?}: {p}"));
            }
            if table.contains_key(*name) {
                problems.push(format!("task size {name:?} is defined twice"));
            }
            let mut row = IndexMap::new();
            row.insert("cpu".to_owned(), serde_json::json!(cpu));
            row.insert("memory".to_owned(), serde_json::json!(memory));
            table.insert((*name).to_owned(), row);
        }
        let handle = scope.add_mapping(id, table);
        let path = if scope.path().is_empty() {
            id.to_owned()
        } else {
            format!("{}/{id}", scope.path())
        };
        for p in problems {
            scope.stack().error(&path, p);
        }
        TaskSizeMapping { handle }
    }

    /// The table of AWS's Proton Fargate sample: x-small (256/512) … x-large (4096/8192).
    pub fn aws_sample(scope: &mut Scope, id: &str) -> Self {
        TaskSizeMapping::new(
            scope,
            id,
            &[
                ("x-small", 256, 512),
                ("small", 512, 1024),
                ("medium", 1024, 2048),
                ("large", 2048, 4096),
                ("x-large", 4096, 8192),
            ],
        )
    }

    /// CPU units of the size named `key` (`Fn::FindInMap`).
    pub fn cpu(&self, key: impl Into<Value<String>>) -> Value<i64> {
        fns::find_in_map(&self.handle, key.into(), "cpu".into())
    }

    /// Memory (MiB) of the size named `key` (`Fn::FindInMap`).
    pub fn memory(&self, key: impl Into<Value<String>>) -> Value<i64> {
        fns::find_in_map(&self.handle, key.into(), "memory".into())
    }

    pub fn handle(&self) -> MappingHandle {
        self.handle
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Task definitions and containers

/// Properties of [`FargateTaskDefinition`].
#[derive(Clone, Debug)]
pub struct FargateTaskDefinitionProps {
    /// CPU units (256 … 16384), or a late-bound value (e.g. [`TaskSizeMapping::cpu`]).
    pub cpu: Value<i64>,
    /// Memory in MiB, validated against `cpu` when both are literals.
    pub memory_mib: Value<i64>,
    pub family: Option<Value<String>>,
    /// Role ECS uses to pull images, write logs and read secrets. `None` creates one with exactly what the
    /// containers need; an imported role (e.g. an AWS Proton environment output) must already allow it.
    pub execution_role: Option<Role>,
    /// Role the containers' code runs as. `None` creates a separate role without permissions.
    pub task_role: Option<Role>,
    /// Ephemeral storage in GiB (21–200; default 20).
    pub ephemeral_storage_gib: Option<u32>,
}

impl Default for FargateTaskDefinitionProps {
    fn default() -> Self {
        FargateTaskDefinitionProps {
            cpu: Value::from(256),
            memory_mib: Value::from(512),
            family: None,
            execution_role: None,
            task_role: None,
            ephemeral_storage_gib: None,
        }
    }
}

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

    fn uri(&self) -> Value<String> {
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

    fn value_from(&self) -> Value<String> {
        match self {
            Secret::SsmParameter { arn } => arn.clone(),
            Secret::SecretsManager { arn, field: None } => arn.clone(),
            Secret::SecretsManager { arn, field: Some(f) } => {
                fns::join(":", [arn.clone(), f.as_str().into(), "".into(), "".into()])
            }
        }
    }

    fn statement(&self) -> PolicyStatement {
        match self {
            Secret::SsmParameter { arn } => PolicyStatement::allow(&["ssm:GetParameters"], [arn.clone()]),
            Secret::SecretsManager { arn, .. } => {
                PolicyStatement::allow(&["secretsmanager:GetSecretValue"], [arn.clone()])
            }
        }
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
const FORBIDDEN_ENV: [&str; 3] = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"];

/// A Fargate task definition (`awsvpc`, `FARGATE`).
#[derive(Clone, Debug)]
pub struct FargateTaskDefinition {
    handle: Handle<cfn::ecs::TaskDefinition>,
    path: String,
    cpu: Value<i64>,
    memory_mib: Value<i64>,
    execution_role: Role,
    task_role: Role,
}

/// A task-definition property value of CloudFormation type string from a number (literal or intrinsic).
fn as_string_value(v: &Value<i64>) -> Value<String> {
    match v.expr() {
        Expr::Int(i) => Value::from(i.to_string()),
        other => Value::from_expr(other.clone()),
    }
}

impl FargateTaskDefinition {
    pub fn new(scope: &mut Scope, id: &str, props: FargateTaskDefinitionProps) -> Self {
        let mut child = scope.child(id);
        if let (Some(cpu), Some(mem)) = (literal_int(&props.cpu), literal_int(&props.memory_mib)) {
            if let Some(p) = check_fargate_size(cpu, mem) {
                child.error(p);
            }
        } else if let Some(cpu) = literal_int(&props.cpu) {
            if fargate_memory_options(cpu).is_none() {
                child.error(check_fargate_size(cpu, 0).unwrap_or_default());
            }
        }
        if let Some(g) = props.ephemeral_storage_gib {
            if !(21..=200).contains(&g) {
                child.error(format!("ephemeral storage {g} GiB is not in the range 21-200"));
            }
        }
        if let Some(f) = props.family.as_ref().and_then(Value::as_literal) {
            if f.is_empty() || f.len() > 255 || !f.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                child.error(format!(
                    "family {f:?} must be 1-255 letters, digits, hyphens and underscores"
                ));
            }
        }
        let ecs_tasks = || RoleProps {
            assumed_by: Principal::service("ecs-tasks.amazonaws.com"),
            ..RoleProps::default()
        };
        let execution_role = match props.execution_role {
            Some(r) => r,
            None => Role::new(&mut child, "ExecutionRole", ecs_tasks()),
        };
        let task_role = match props.task_role {
            Some(r) => r,
            None => Role::new(&mut child, "TaskRole", ecs_tasks()),
        };
        let mut task = cfn::ecs::TaskDefinition::new();
        task.cpu = Some(as_string_value(&props.cpu));
        task.memory = Some(as_string_value(&props.memory_mib));
        task.network_mode = Some("awsvpc".into());
        task.requires_compatibilities = Some(Value::from(vec!["FARGATE"]));
        task.family = props.family;
        task.execution_role_arn = Some(execution_role.arn());
        task.task_role_arn = Some(task_role.arn());
        task.ephemeral_storage = props.ephemeral_storage_gib.map(|g| td::EphemeralStorage {
            size_in_gi_b: Some(g.into()),
        });
        task.container_definitions = Some(Vec::new());
        let handle = child.add("Resource", task);
        let path = child.path();
        let memory = props.memory_mib.clone();
        let cpu = props.cpu.clone();
        child
            .stack()
            .add_validation(&path, move |s| validate_task(s, &handle, &cpu, &memory));
        FargateTaskDefinition {
            handle,
            path,
            cpu: props.cpu,
            memory_mib: props.memory_mib,
            execution_role,
            task_role,
        }
    }

    /// The task definition ARN (`Ref`).
    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }

    pub fn handle(&self) -> Handle<cfn::ecs::TaskDefinition> {
        self.handle
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn cpu(&self) -> &Value<i64> {
        &self.cpu
    }

    pub fn memory_mib(&self) -> &Value<i64> {
        &self.memory_mib
    }

    pub fn execution_role(&self) -> &Role {
        &self.execution_role
    }

    pub fn task_role(&self) -> &Role {
        &self.task_role
    }

    /// Add a container named `name`. The execution role is granted what the container needs (ECR pull, log
    /// writes, its secrets); a log group is created at `<task definition>/<name>LogGroup` unless given.
    pub fn add_container(&self, stack: &mut Stack, name: &str, props: ContainerProps) {
        let cpath = format!("{}/{name}", self.path);
        let mut problems = Vec::new();
        if name.is_empty()
            || name.len() > 255
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            problems.push(format!(
                "container name {name:?} must be 1-255 letters, digits, hyphens and underscores"
            ));
        }
        for p in &props.port_mappings {
            problems.extend(check_port("container", p));
        }
        for k in props.environment.keys() {
            if FORBIDDEN_ENV.contains(&k.as_str()) {
                problems.push(format!(
                    "environment variable {k} must not be set in plain text; use an IAM role or a secret"
                ));
            }
        }
        for k in props.secrets.keys() {
            if props.environment.contains_key(k) {
                problems.push(format!("{k} is both an environment variable and a secret"));
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
        for p in problems {
            stack.error(&cpath, p);
        }

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
            c.port_mappings = Some(
                props
                    .port_mappings
                    .iter()
                    .map(|p| td::PortMapping {
                        container_port: Some(p.clone()),
                        protocol: Some("tcp".into()),
                        ..Default::default()
                    })
                    .collect(),
            );
        }
        if !props.environment.is_empty() {
            c.environment = Some(
                props
                    .environment
                    .iter()
                    .map(|(k, v)| td::KeyValuePair {
                        name: Some(k.as_str().into()),
                        value: Some(v.clone()),
                    })
                    .collect(),
            );
        }
        if !props.secrets.is_empty() {
            c.secrets = Some(
                props
                    .secrets
                    .iter()
                    .map(|(k, s)| td::Secret::new(k.as_str(), s.value_from()))
                    .collect(),
            );
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

        // Execution role: image pull, logs, secrets.
        let mut exec = self.execution_role.clone();
        if let ContainerImage::Ecr { repository, .. } = &props.image {
            repository.grant_pull(stack, &mut exec);
        }
        match &props.logging {
            Logging::AwsLogs {
                log_group,
                stream_prefix,
            } => {
                let group = match log_group {
                    Some(g) => g.clone(),
                    None => LogGroup::new(
                        &mut stack.scope_at(&self.path),
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
                group.grant_write(stack, &mut exec);
            }
            Logging::None => {
                stack.warning(
                    &cpath,
                    "container without logging: the output of failing tasks is lost (CT.ECS.PR.5)",
                );
            }
        }
        for s in props.secrets.values() {
            iam::grant(stack, &cpath, &mut exec, s.statement());
        }

        let entry = stack.resource_mut(&self.handle);
        if let Expr::Map(m) = entry.properties_mut() {
            if let Some(Expr::List(list)) = m.get_mut("ContainerDefinitions") {
                list.push(c.into_expr());
            }
            if !volumes.is_empty() {
                let vols = m.entry("Volumes".to_owned()).or_insert_with(|| Expr::List(Vec::new()));
                if let Expr::List(vs) = vols {
                    for v in volumes {
                        let mut vm = IndexMap::new();
                        vm.insert("Name".to_owned(), Expr::Str(v));
                        vs.push(Expr::Map(vm));
                    }
                }
            }
        }
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
}

fn str_list(v: &[String]) -> Value<Vec<String>> {
    Value::from_expr(Expr::List(v.iter().map(|s| Expr::Str(s.clone())).collect()))
}

fn validate_health_check(hc: &ContainerHealthCheck, out: &mut Vec<String>) {
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

/// Checks that need the final containers of a task definition.
fn validate_task(
    s: &Stack,
    h: &Handle<cfn::ecs::TaskDefinition>,
    cpu: &Value<i64>,
    memory: &Value<i64>,
) -> Vec<String> {
    let mut out = Vec::new();
    let Some(entry) = s.resource(h) else { return out };
    let Expr::Map(m) = entry.properties() else { return out };
    let containers: &[Expr] = match m.get("ContainerDefinitions") {
        Some(Expr::List(l)) => l,
        _ => &[],
    };
    if containers.is_empty() {
        out.push("a task definition needs at least one container (add_container)".to_owned());
        return out;
    }
    let mut names: Vec<&str> = Vec::new();
    let mut mem_sum = Some(0i64);
    let mut cpu_sum = 0i64;
    let mut essential = false;
    for c in containers {
        let Expr::Map(c) = c else { continue };
        if let Some(Expr::Str(n)) = c.get("Name") {
            if names.contains(&n.as_str()) {
                out.push(format!("container name {n:?} is used twice"));
            }
            names.push(n);
        }
        mem_sum = match (mem_sum, c.get("Memory")) {
            (Some(sum), Some(Expr::Int(v))) => Some(sum + v),
            _ => None,
        };
        if let Some(Expr::Int(v)) = c.get("Cpu") {
            cpu_sum += v;
        }
        if c.get("Essential") != Some(&Expr::Bool(false)) {
            essential = true;
        }
    }
    if !essential {
        out.push("a task definition needs at least one essential container".to_owned());
    }
    if let (Some(sum), Some(task)) = (mem_sum, literal_int(memory)) {
        if sum > task {
            out.push(format!(
                "the containers' hard memory limits add up to {sum} MiB, above the task memory of {task} MiB; set memory_limit_mib on each container"
            ));
        }
    }
    if let Some(task) = literal_int(cpu) {
        if cpu_sum > task {
            out.push(format!(
                "the containers' cpu add up to {cpu_sum} units, above the task cpu of {task}"
            ));
        }
    }
    out
}

/// Container names and literal ports of a task definition in its final state.
fn container_ports(s: &Stack, h: &Handle<cfn::ecs::TaskDefinition>) -> IndexMap<String, Vec<Expr>> {
    let mut out = IndexMap::new();
    let Some(Expr::Map(m)) = s.resource(h).map(|e| e.properties()) else {
        return out;
    };
    let Some(Expr::List(containers)) = m.get("ContainerDefinitions") else {
        return out;
    };
    for c in containers {
        let Expr::Map(c) = c else { continue };
        let Some(Expr::Str(name)) = c.get("Name") else { continue };
        let mut ports = Vec::new();
        if let Some(Expr::List(pms)) = c.get("PortMappings") {
            for pm in pms {
                if let Expr::Map(pm) = pm {
                    if let Some(p) = pm.get("ContainerPort") {
                        ports.push(p.clone());
                    }
                }
            }
        }
        out.insert(name.clone(), ports);
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Fargate service

/// Properties of [`FargateService`].
#[derive(Clone, Debug)]
pub struct FargateServiceProps {
    pub cluster: Cluster,
    pub task_definition: FargateTaskDefinition,
    /// Tasks to run (may be a late-bound value; default 1).
    pub desired_count: Value<i64>,
    /// Subnets of the tasks (private subnets unless `assign_public_ip`); 1–16.
    pub subnets: Vec<Value<String>>,
    /// The VPC: needed to create a security group when `security_groups` is empty.
    pub vpc_id: Option<Value<String>>,
    /// Security groups of the tasks; empty creates one (restricted egress) in `vpc_id`.
    pub security_groups: Vec<SecurityGroup>,
    /// Default false (CT.ECS.PR.9). True records a suppression with the reason.
    pub assign_public_ip: bool,
    /// Deployment circuit breaker: `Some(true)` (default) rolls back failed deployments; `None` turns it off.
    pub circuit_breaker_rollback: Option<bool>,
    /// Default 100.
    pub min_healthy_percent: u32,
    /// Default 200.
    pub max_percent: u32,
    pub service_name: Option<Value<String>>,
    /// ECS Exec (default false); true grants the task role the SSM messages permissions.
    pub enable_execute_command: bool,
    /// Seconds to ignore load-balancer health checks after a task starts (only with a load balancer).
    pub health_check_grace_period_secs: Option<u32>,
    /// Default `LATEST` (CT.ECS.PR.1).
    pub platform_version: String,
    /// Cloud Map services (their ARNs) the tasks register in (A records for `awsvpc`).
    pub service_registry_arns: Vec<Value<String>>,
}

impl FargateServiceProps {
    pub fn new(cluster: Cluster, task_definition: FargateTaskDefinition, subnets: Vec<Value<String>>) -> Self {
        FargateServiceProps {
            cluster,
            task_definition,
            desired_count: Value::from(1),
            subnets,
            vpc_id: None,
            security_groups: Vec::new(),
            assign_public_ip: false,
            circuit_breaker_rollback: Some(true),
            min_healthy_percent: 100,
            max_percent: 200,
            service_name: None,
            enable_execute_command: false,
            health_check_grace_period_secs: None,
            platform_version: "LATEST".to_owned(),
            service_registry_arns: Vec::new(),
        }
    }
}

/// A Fargate service.
#[derive(Clone, Debug)]
pub struct FargateService {
    handle: Handle<cfn::ecs::Service>,
    path: String,
    cluster: Cluster,
    task_definition: FargateTaskDefinition,
    security_groups: Vec<SecurityGroup>,
    desired_count: Value<i64>,
}

impl FargateService {
    pub fn new(scope: &mut Scope, id: &str, props: FargateServiceProps) -> Self {
        let mut child = scope.child(id);
        let mut problems = Vec::new();
        if props.subnets.is_empty() {
            problems.push("a Fargate service needs at least one subnet".to_owned());
        }
        if props.subnets.len() > 16 {
            problems.push(format!(
                "a Fargate service allows at most 16 subnets; {} given",
                props.subnets.len()
            ));
        }
        if props.min_healthy_percent > 100 {
            problems.push(format!(
                "min_healthy_percent {} is above 100",
                props.min_healthy_percent
            ));
        }
        if props.max_percent <= props.min_healthy_percent || props.max_percent < 100 {
            problems.push(format!(
                "max_percent {} must be at least 100 and above min_healthy_percent {}",
                props.max_percent, props.min_healthy_percent
            ));
        }
        if let Some(n) = literal_int(&props.desired_count) {
            if n < 0 {
                problems.push(format!("desired count {n} must not be negative"));
            }
        }
        if let Some(n) = props.service_name.as_ref().and_then(Value::as_literal) {
            if n.is_empty() || n.len() > 255 || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                problems.push(format!(
                    "service name {n:?} must be 1-255 letters, digits, hyphens and underscores"
                ));
            }
        }
        if props.security_groups.is_empty() && props.vpc_id.is_none() {
            problems
                .push("a Fargate service needs security_groups or a vpc_id to create its security group in".to_owned());
        }
        for p in problems {
            child.error(p);
        }
        let description = format!("Fargate service {}", child.full_path());
        let security_groups = if props.security_groups.is_empty() {
            let sg = SecurityGroup::new(
                &mut child,
                "SecurityGroup",
                SecurityGroupProps {
                    vpc_id: props.vpc_id.clone().unwrap_or_else(|| Value::from("")),
                    description,
                    allow_all_outbound: false,
                    group_name: None,
                },
            );
            // Tasks reach ECR, CloudWatch Logs and Secrets Manager/SSM over HTTPS (through a NAT gateway,
            // an internet gateway or interface endpoints); nothing else leaves by default.
            sg.add_egress_rule(
                &mut child,
                Peer::any_ipv4(),
                Port::tcp(443),
                "HTTPS to AWS APIs and container registries (image pulls, logs, secrets)",
            );
            vec![sg]
        } else {
            props.security_groups.clone()
        };
        let mut awsvpc = cfn::ecs::service::AwsVpcConfiguration::new();
        awsvpc.assign_public_ip = Some(if props.assign_public_ip { "ENABLED" } else { "DISABLED" }.into());
        awsvpc.subnets = Some(Value::from(props.subnets.clone()));
        awsvpc.security_groups = Some(Value::from(
            security_groups.iter().map(SecurityGroup::id).collect::<Vec<_>>(),
        ));
        let mut deployment = cfn::ecs::service::DeploymentConfiguration::new();
        deployment.minimum_healthy_percent = Some(props.min_healthy_percent.into());
        deployment.maximum_percent = Some(props.max_percent.into());
        deployment.deployment_circuit_breaker = props
            .circuit_breaker_rollback
            .map(|rollback| cfn::ecs::service::DeploymentCircuitBreaker::new(true, rollback));
        let mut svc = cfn::ecs::Service::new();
        svc.cluster = Some(props.cluster.name());
        svc.launch_type = Some("FARGATE".into());
        svc.platform_version = Some(props.platform_version.as_str().into());
        svc.task_definition = Some(props.task_definition.arn());
        svc.desired_count = Some(props.desired_count.clone());
        svc.deployment_configuration = Some(deployment);
        svc.network_configuration = Some(cfn::ecs::service::NetworkConfiguration {
            awsvpc_configuration: Some(awsvpc),
        });
        svc.service_name = props.service_name.clone();
        svc.enable_execute_command = Some(props.enable_execute_command.into());
        svc.health_check_grace_period_seconds = props.health_check_grace_period_secs.map(Value::from);
        svc.propagate_tags = Some("SERVICE".into());
        if !props.service_registry_arns.is_empty() {
            svc.service_registries = Some(
                props
                    .service_registry_arns
                    .iter()
                    .map(|arn| cfn::ecs::service::ServiceRegistry {
                        registry_arn: Some(arn.clone()),
                        ..cfn::ecs::service::ServiceRegistry::new()
                    })
                    .collect(),
            );
        }
        let handle = child.add("Resource", svc);
        let path = child.path();
        let stack = child.stack();
        if props.assign_public_ip {
            nag::suppress(
                stack.resource_mut(&handle),
                Tool::Guard,
                "CT.ECS.PR.9",
                "tasks get public IPs on purpose (FargateServiceProps.assign_public_ip = true)",
            );
        }
        if props.enable_execute_command {
            let mut role = props.task_definition.task_role.clone();
            iam::grant(
                stack,
                &path,
                &mut role,
                PolicyStatement::allow(
                    &[
                        "ssmmessages:CreateControlChannel",
                        "ssmmessages:CreateDataChannel",
                        "ssmmessages:OpenControlChannel",
                        "ssmmessages:OpenDataChannel",
                    ],
                    [Value::from("*")],
                ),
            );
        }
        if props.health_check_grace_period_secs.is_some() {
            stack.add_validation(&path, move |s| {
                let has_lb = matches!(
                    s.resource(&handle).map(|e| e.properties()),
                    Some(Expr::Map(m)) if m.contains_key("LoadBalancers")
                );
                if has_lb {
                    Vec::new()
                } else {
                    vec!["health_check_grace_period_secs only applies to a service behind a load balancer".to_owned()]
                }
            });
        }
        FargateService {
            handle,
            path,
            cluster: props.cluster,
            task_definition: props.task_definition,
            security_groups,
            desired_count: props.desired_count,
        }
    }

    /// The service ARN (`Ref`).
    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }

    /// The service name (`Fn::GetAtt Name`).
    pub fn name(&self) -> Value<String> {
        self.handle.attr_name()
    }

    pub fn handle(&self) -> Handle<cfn::ecs::Service> {
        self.handle
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    pub fn task_definition(&self) -> &FargateTaskDefinition {
        &self.task_definition
    }

    pub fn security_groups(&self) -> &[SecurityGroup] {
        &self.security_groups
    }

    /// Register `container`:`port` of the tasks in an application target group (of type `ip`). The service
    /// is created after the listeners forwarding to the group. The caller opens the security groups (e.g.
    /// `service.connections().allow_from(scope, &alb, Port::tcp(port), ...)`).
    pub fn attach_to_target_group(
        &self,
        stack: &mut Stack,
        target_group: &ApplicationTargetGroup,
        container: &str,
        port: impl Into<Value<i64>>,
    ) {
        if target_group.target_type() != TargetType::Ip {
            stack.error(
                &self.path,
                format!(
                    "target group {} must have target type ip for a Fargate service",
                    target_group.path()
                ),
            );
        }
        self.add_load_balancer(stack, target_group.arn(), container, port.into());
        target_group.add_dependent(stack, &self.handle);
    }

    /// Register `container`:`port` in a network target group (of type `ip`).
    pub fn attach_to_network_target_group(
        &self,
        stack: &mut Stack,
        target_group: &NetworkTargetGroup,
        container: &str,
        port: impl Into<Value<i64>>,
    ) {
        self.add_load_balancer(stack, target_group.arn(), container, port.into());
        target_group.add_dependent(stack, &self.handle);
    }

    fn add_load_balancer(&self, stack: &mut Stack, tg_arn: Value<String>, container: &str, port: Value<i64>) {
        let lb = cfn::ecs::service::LoadBalancer {
            container_name: Some(container.into()),
            container_port: Some(port.clone()),
            target_group_arn: Some(tg_arn),
            ..Default::default()
        };
        if let Expr::Map(m) = stack.resource_mut(&self.handle).properties_mut() {
            let list = m
                .entry("LoadBalancers".to_owned())
                .or_insert_with(|| Expr::List(Vec::new()));
            if let Expr::List(l) = list {
                l.push(lb.into_expr());
            }
        }
        let td = self.task_definition.handle;
        let td_path = stack.full_path(&self.task_definition.path);
        let container = container.to_owned();
        stack.add_validation(&self.path, move |s| {
            let containers = container_ports(s, &td);
            match containers.get(&container) {
                None => vec![format!(
                    "load balancer target: container {container:?} is not defined in task definition {td_path}"
                )],
                Some(ports) if port.expr().is_literal() && !ports.contains(port.expr()) => {
                    let p = match port.expr() {
                        Expr::Int(i) => i.to_string(),
                        other => format!("{other:?}"),
                    };
                    vec![format!(
                        "load balancer target: container {container:?} has no port mapping for port {p}"
                    )]
                }
                _ => Vec::new(),
            }
        });
    }

    /// Auto scaling of the task count between `min` and `max` (construct id `TaskCount` below the service).
    /// A literal desired count must lie in the range.
    pub fn auto_scale_task_count(&self, stack: &mut Stack, min: u32, max: u32) -> ScalableTaskCount {
        let resource_id = fns::sub(
            "service/${Cluster}/${Service}",
            [
                ("Cluster", self.cluster.name().into_expr()),
                ("Service", self.name().into_expr()),
            ],
        );
        let target = ScalableTarget::new(
            &mut stack.scope_at(&self.path),
            "TaskCount",
            ScalableTargetProps {
                service_namespace: "ecs".to_owned(),
                resource_id,
                scalable_dimension: "ecs:service:DesiredCount".to_owned(),
                min_capacity: min,
                max_capacity: max,
            },
        );
        if let Some(d) = literal_int(&self.desired_count) {
            if d < i64::from(min) || d > i64::from(max) {
                stack.error(
                    target.path(),
                    format!("desired count {d} is outside the auto scaling range {min}-{max}"),
                );
            }
        }
        ScalableTaskCount {
            target,
            cluster_name: self.cluster.name(),
            service_name: self.name(),
        }
    }
}

impl Connectable for FargateService {
    fn connections(&self) -> Connections {
        Connections::new(self.security_groups.clone())
    }
}

/// The auto-scaled task count of a [`FargateService`].
#[derive(Clone, Debug)]
pub struct ScalableTaskCount {
    target: ScalableTarget,
    cluster_name: Value<String>,
    service_name: Value<String>,
}

fn check_utilization(stack: &mut Stack, path: &str, what: &str, target: f64) {
    if !(1.0..=100.0).contains(&target) {
        stack.error(
            path,
            format!("target {what} utilization {target} % is not in the range 1-100"),
        );
    }
}

impl ScalableTaskCount {
    pub fn target(&self) -> &ScalableTarget {
        &self.target
    }

    /// Keep average CPU utilization at `target_percent` (construct id `CpuScaling`).
    pub fn scale_on_cpu_utilization(&self, stack: &mut Stack, target_percent: f64) -> Handle<aas::ScalingPolicy> {
        check_utilization(
            stack,
            &format!("{}/CpuScaling", self.target.path()),
            "CPU",
            target_percent,
        );
        self.target.scale_to_track_metric(
            stack,
            "CpuScaling",
            TargetTrackingProps::new(
                PredefinedMetric {
                    metric_type: "ECSServiceAverageCPUUtilization".to_owned(),
                    resource_label: None,
                },
                target_percent,
            ),
        )
    }

    /// Keep average memory utilization at `target_percent` (construct id `MemoryScaling`).
    pub fn scale_on_memory_utilization(&self, stack: &mut Stack, target_percent: f64) -> Handle<aas::ScalingPolicy> {
        check_utilization(
            stack,
            &format!("{}/MemoryScaling", self.target.path()),
            "memory",
            target_percent,
        );
        self.target.scale_to_track_metric(
            stack,
            "MemoryScaling",
            TargetTrackingProps::new(
                PredefinedMetric {
                    metric_type: "ECSServiceAverageMemoryUtilization".to_owned(),
                    resource_label: None,
                },
                target_percent,
            ),
        )
    }

    /// Keep the requests per target of `target_group` at `requests_per_target` (construct id
    /// `RequestCountScaling`); the group must already be forwarded to by a listener or rule.
    pub fn scale_on_request_count(
        &self,
        stack: &mut Stack,
        requests_per_target: u32,
        target_group: &ApplicationTargetGroup,
    ) -> Handle<aas::ScalingPolicy> {
        if requests_per_target == 0 {
            stack.error(
                &format!("{}/RequestCountScaling", self.target.path()),
                "requests per target must be at least 1",
            );
        }
        let policy = self.target.scale_to_track_metric(
            stack,
            "RequestCountScaling",
            TargetTrackingProps::new(
                PredefinedMetric {
                    metric_type: "ALBRequestCountPerTarget".to_owned(),
                    resource_label: target_group.request_count_resource_label(),
                },
                // 0 is reported above; keep the generic "above 0" check quiet.
                f64::from(requests_per_target.max(1)),
            ),
        );
        for f in target_group.forwarders() {
            stack.add_dependency(&policy, &f);
        }
        policy
    }

    /// The CPUUtilization metric of the service (`AWS/ECS`, `ClusterName` / `ServiceName`, 1-minute average).
    pub fn cpu_metric(&self) -> Metric {
        Metric {
            namespace: "AWS/ECS".to_owned(),
            metric_name: "CPUUtilization".to_owned(),
            dimensions: vec![
                ("ServiceName".to_owned(), self.service_name.clone()),
                ("ClusterName".to_owned(), self.cluster_name.clone()),
            ],
            statistic: "Average".to_owned(),
            period_secs: 60,
        }
    }

    /// Step scaling on CPU with CloudWatch alarms (construct id `CpuStepScaling`), e.g.
    /// [`aws_sample_cpu_steps`].
    pub fn scale_on_cpu_steps(&self, stack: &mut Stack, steps: Vec<ScalingStep>) -> StepScalingPolicy {
        self.target
            .scale_on_metric(stack, "CpuStepScaling", StepScalingProps::new(self.cpu_metric(), steps))
    }
}

/// The CPU steps of AWS's Proton Fargate sample: ≤ 20 % −1 task; ≥ 70 % +1, ≥ 85 % +2, ≥ 95 % +3.
pub fn aws_sample_cpu_steps() -> Vec<ScalingStep> {
    vec![
        ScalingStep::new(None, Some(20.0), -1),
        ScalingStep::new(Some(70.0), Some(85.0), 1),
        ScalingStep::new(Some(85.0), Some(95.0), 2),
        ScalingStep::new(Some(95.0), None, 3),
    ]
}
