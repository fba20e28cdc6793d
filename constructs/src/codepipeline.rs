//! L2 constructs for CodePipeline: a V2 [`Pipeline`] with a KMS-encrypted artifact bucket, typed stages and
//! [`Action`]s (CodeStar/CodeConnections source, CodeBuild, ECS deploy), stages repeated once per AWS Proton
//! service instance ([`Pipeline::add_stage_per_item`]) and a pipeline role holding exactly what its actions need.
//!
//! # Deploying without AWS Proton
//!
//! AWS Proton's sample pipeline deploys by calling `aws proton update-service-instance` from a CodeBuild
//! project. Proton reached end of support on 2026-10-07, so the deploy stages here use CodePipeline's
//! **ECS deploy action** ([`Action::EcsDeploy`]): it reads the `imagedefinitions.json` written by the build
//! ([`crate::codebuild::docker_build_spec`]), registers a new revision of the service's task definition with
//! the new image and updates the ECS service (rolling deployment, waits for stability).
//!
//! Trade-off: the ECS deploy action changes the task definition outside CloudFormation. The service
//! instance's stack keeps its own image parameter, so the next update of that stack rolls the image back to
//! the stack's value unless the image parameter is updated too (or the stack reads the image from a source
//! the pipeline also writes). A CloudFormation deploy action updating the instance stack's `ImageUri`
//! parameter avoids that drift, but needs a deploy role able to update every resource of the instance stack
//! (a far broader grant) and the stack name of every instance. We chose the narrow permissions: the pipeline
//! role may only update the given ECS services, register task definitions and pass the given task roles.
//!
//! Permissions: the pipeline role gets read/write on the artifact bucket (and its key), `codebuild:StartBuild`
//! / `BatchGetBuilds` on each project it runs and `codestar-connections:UseConnection` (and its
//! `codeconnections:` successor) on each connection ARN. ECS deploy actions get, for each action:
//! `ecs:DescribeServices` / `ecs:UpdateService` on the service ARN, `ecs:DescribeTasks` on the cluster's tasks and
//! `ecs:ListTasks` conditioned on `ecs:cluster` (to follow the deployment), `iam:PassRole` on the given task/execution
//! roles conditioned on `iam:PassedToService: ecs-tasks.amazonaws.com`, `ecs:RegisterTaskDefinition` /
//! `ecs:DescribeTaskDefinition` on `*` (no resource-level permissions; CKV_AWS_111 suppressed with that
//! reason) and `ecs:TagResource` on task definitions only while registering one (the action copies the
//! revision's tags), and only on the service's family's revisions when [`Action::with_task_family`] names it.
//! In a static stage these go to a stage policy (`StagePolicy<n>`, an `AWS::IAM::ManagedPolicy` attached to
//! the pipeline role, which the pipeline waits for). CodeBuild projects'
//! roles get read access to the artifact bucket, and write access when the action has outputs.
//!
//! Per-item stages use **action roles** instead. Their statements name per-item values (the instance's
//! service, task roles, project), so they must be repeated once per item, and nothing repeated may land on
//! the one pipeline role: IAM allows 10 managed policies per role by default (20 with a quota increase), so a
//! managed policy per instance stops deploying at 10 instances (a service may have up to 20), and inline
//! policies of one role share a 10,240-character aggregate limit. So every action of a per-item stage gets its
//! own role, repeated with the stage (`<Pipeline>/ItemStage<n>/<Action>/Role`, an `AWS::IAM::Role` with its
//! `DefaultPolicy`, both in the loop): its trust policy names the pipeline role's ARN as the AWS principal,
//! its default policy holds the action's statements (the same statements as above, nothing wider; an ECS
//! deploy action role also reads the artifact bucket and decrypts with its key, since CodePipeline reads the
//! input artifact with the action role) and the action declaration's `RoleArn` is that role's ARN. The
//! pipeline role gets no statement per item: within one account a role trust policy that names the
//! principal's ARN allows `sts:AssumeRole` without a grant in the principal's identity policy, and an
//! `sts:AssumeRole` grant on the pipeline role would need either one statement per item (the limits above) or
//! a wildcard over role ARNs (wider). Role and policy quotas are per role and per account (1,000 roles by
//! default), so 20 instances cost 20 small roles. The pipeline references each action role (`Fn::GetAtt` in
//! its stages), so CloudFormation creates the roles first; it cannot wait for a repeated resource's policy,
//! which is created alongside (the deploy stages run minutes later, after the build).

use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::cfn;
use crate::cfn::codepipeline::pipeline as cp;
use crate::codebuild;
use crate::iam::{self, PolicyDocument, PolicyStatement, Principal, Role, RoleProps};
use crate::kms;
use crate::nag::{self, Tool};
use crate::s3::{Bucket, BucketEncryption, BucketProps};
use crate::stack::{Handle, LoopHandle, Scope, Stack};
use crate::value::{fns, ElementKind, ElementRef, Expr, IntoExpr, Placeholder, PlaceholderKind, Value};

/// The reason given for the artifact bucket's missing server access logs (when none is given).
pub const NO_ACCESS_LOGS_REASON: &str =
    "pipeline artifacts are transient build inputs and outputs read and written only by the pipeline's roles; CloudTrail records the access";

/// The reason attached to the ECS deploy policy's `Resource: "*"` statement.
pub const TASK_DEFINITION_REASON: &str =
    "ecs:RegisterTaskDefinition and ecs:DescribeTaskDefinition have no resource-level permissions; the ECS deploy action needs them to register the new image's task definition revision";

/// A named pipeline artifact.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Artifact(pub String);

impl Artifact {
    pub fn new(name: &str) -> Self {
        Artifact(name.to_owned())
    }
    pub fn name(&self) -> &str {
        &self.0
    }
}

/// One action of a stage.
#[derive(Clone, Debug)]
pub enum Action {
    /// Source from GitHub/GitLab/Bitbucket through a CodeStar (CodeConnections) connection.
    CodeStarSource {
        name: String,
        /// e.g. `service.repository_connection_arn`.
        connection_arn: Value<String>,
        /// `owner/repository`, e.g. `service.repository_id`.
        repository_id: Value<String>,
        /// e.g. `service.branch_name`.
        branch: Value<String>,
        output: Artifact,
    },
    /// Run a CodeBuild project on `input`.
    CodeBuild {
        name: String,
        project: codebuild::Project,
        input: Artifact,
        outputs: Vec<Artifact>,
    },
    /// Deploy the image of `input`'s `imagedefinitions.json` to an ECS service (see the module docs).
    EcsDeploy {
        name: String,
        cluster_name: Value<String>,
        service_name: Value<String>,
        input: Artifact,
        /// ARNs of the service's task role and execution role (the new task definition revision keeps them).
        pass_roles: Vec<Value<String>>,
        /// Default `imagedefinitions.json`.
        image_file: Option<String>,
        /// Deployment timeout in minutes (1–60; default CodePipeline's 60).
        timeout_minutes: Option<u32>,
        /// The service's task definition family: scopes `ecs:TagResource` to its revisions
        /// (`task-definition/<family>:*`). None: any family, still only while registering a revision.
        task_family: Option<Value<String>>,
    },
}

impl Action {
    /// A CodeStar connection source action.
    pub fn codestar_source(
        name: &str,
        connection_arn: Value<String>,
        repository_id: Value<String>,
        branch: Value<String>,
        output: &Artifact,
    ) -> Action {
        Action::CodeStarSource {
            name: name.to_owned(),
            connection_arn,
            repository_id,
            branch,
            output: output.clone(),
        }
    }

    /// A CodeBuild action.
    pub fn codebuild(name: &str, project: &codebuild::Project, input: &Artifact, outputs: &[Artifact]) -> Action {
        Action::CodeBuild {
            name: name.to_owned(),
            project: project.clone(),
            input: input.clone(),
            outputs: outputs.to_vec(),
        }
    }

    /// An ECS deploy action reading `imagedefinitions.json` from `input`.
    pub fn ecs_deploy(
        name: &str,
        cluster_name: Value<String>,
        service_name: Value<String>,
        input: &Artifact,
        pass_roles: Vec<Value<String>>,
    ) -> Action {
        Action::EcsDeploy {
            name: name.to_owned(),
            cluster_name,
            service_name,
            input: input.clone(),
            pass_roles,
            image_file: None,
            timeout_minutes: None,
            task_family: None,
        }
    }

    /// For an ECS deploy action: the task definition family of the service, so the action may tag only that
    /// family's revisions. Other actions are returned unchanged.
    pub fn with_task_family(mut self, family: Value<String>) -> Action {
        if let Action::EcsDeploy { task_family, .. } = &mut self {
            *task_family = Some(family);
        }
        self
    }

    pub fn name(&self) -> &str {
        match self {
            Action::CodeStarSource { name, .. } | Action::CodeBuild { name, .. } | Action::EcsDeploy { name, .. } => {
                name
            }
        }
    }

    fn is_source(&self) -> bool {
        matches!(self, Action::CodeStarSource { .. })
    }

    fn inputs(&self) -> Vec<String> {
        match self {
            Action::CodeStarSource { .. } => Vec::new(),
            Action::CodeBuild { input, .. } | Action::EcsDeploy { input, .. } => vec![input.0.clone()],
        }
    }

    fn outputs(&self) -> Vec<String> {
        match self {
            Action::CodeStarSource { output, .. } => vec![output.0.clone()],
            Action::CodeBuild { outputs, .. } => outputs.iter().map(|a| a.0.clone()).collect(),
            Action::EcsDeploy { .. } => Vec::new(),
        }
    }
}

/// A stage: a name and its actions (run in parallel).
#[derive(Clone, Debug)]
pub struct Stage {
    /// A literal name, or for per-item stages one that varies per item (e.g. joined with
    /// [`LoopItem::name`]).
    pub name: Value<String>,
    pub actions: Vec<Action>,
}

impl Stage {
    pub fn new(name: impl Into<Value<String>>, actions: Vec<Action>) -> Self {
        Stage {
            name: name.into(),
            actions,
        }
    }
}

/// The item of a pipeline loop (an AWS Proton service instance), for building per-item stages. Each value has a
/// Jinja spelling (`service_instance.name`, …) for bundles and a caller-given plain spelling (usually a
/// parameter `Ref`) for plain templates, where the loop is emitted once.
#[derive(Clone, Debug)]
pub struct LoopItem {
    var: String,
    lp: LoopHandle,
}

impl LoopItem {
    fn field(&self, path: &str, plain: Value<String>) -> Value<String> {
        Value::placeholder(Placeholder {
            jinja: format!("{}.{path}", self.var),
            kind: PlaceholderKind::String,
            plain: plain.into_expr(),
        })
    }

    /// `<var>.name`, e.g. `service_instance.name`.
    pub fn name(&self, plain: impl Into<Value<String>>) -> Value<String> {
        self.field("name", plain.into())
    }

    /// `<var>.outputs.<output>`: an output of the service instance's template.
    pub fn output(&self, output: &str, plain: impl Into<Value<String>>) -> Value<String> {
        self.field(&format!("outputs.{output}"), plain.into())
    }

    /// `<var>.inputs.<input>`: an input of the service instance.
    pub fn input(&self, input: &str, plain: impl Into<Value<String>>) -> Value<String> {
        self.field(&format!("inputs.{input}"), plain.into())
    }

    /// `<var>.environment.outputs.<output>`: an output of the instance's environment (e.g. `ClusterName`).
    pub fn environment_output(&self, output: &str, plain: impl Into<Value<String>>) -> Value<String> {
        self.field(&format!("environment.outputs.{output}"), plain.into())
    }

    /// `loop.index` (1-based) as text; `"1"` in plain templates.
    pub fn index(&self) -> Value<String> {
        Value::placeholder(Placeholder {
            jinja: "loop.index | string".to_owned(),
            kind: PlaceholderKind::String,
            plain: Expr::Str("1".to_owned()),
        })
    }

    pub fn loop_handle(&self) -> LoopHandle {
        self.lp
    }
}

/// Properties of [`Pipeline`].
#[derive(Clone, Debug)]
pub struct PipelineProps {
    /// A fixed pipeline name (default: generated).
    pub name: Option<Value<String>>,
    /// None: a KMS-encrypted bucket (child `ArtifactsBucket`) and its key (child `ArtifactsKey`) are created.
    pub artifact_bucket: Option<Bucket>,
    /// Server access logs of a created artifact bucket: destination and prefix. None: suppressed with
    /// [`NO_ACCESS_LOGS_REASON`].
    pub access_logs: Option<(Bucket, String)>,
    /// Restart the pipeline when its definition changes (default false).
    pub restart_execution_on_update: bool,
    /// Default [`PipelineType::V2`].
    pub pipeline_type: PipelineType,
}

impl Default for PipelineProps {
    fn default() -> Self {
        PipelineProps {
            name: None,
            artifact_bucket: None,
            access_logs: None,
            restart_execution_on_update: false,
            pipeline_type: PipelineType::V2,
        }
    }
}

/// CodePipeline's pipeline types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PipelineType {
    V1,
    #[default]
    V2,
}

/// What validation needs to know of a stage.
#[derive(Clone, Debug)]
struct StageInfo {
    name: Option<String>,
    per_item: bool,
    actions: Vec<(String, bool, Vec<String>, Vec<String>)>,
}

/// A CodePipeline pipeline.
#[derive(Clone, Debug)]
pub struct Pipeline(Arc<PipelineInner>);

#[derive(Debug)]
struct PipelineInner {
    handle: Handle<cfn::codepipeline::Pipeline>,
    path: String,
    role: Role,
    bucket: Bucket,
    key: Option<kms::Key>,
    stages: Arc<Mutex<Vec<StageInfo>>>,
    stage_policies: Mutex<u32>,
    /// Per-item stages so far (numbers their action roles' construct paths).
    item_stages: Mutex<u32>,
}

fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 100 && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
}

fn validate_stages(stages: &[StageInfo]) -> Vec<String> {
    let mut out = Vec::new();
    if stages.len() < 2 {
        out.push(format!(
            "the pipeline has {} stage(s); CodePipeline needs at least 2 (a source stage and another)",
            stages.len()
        ));
    }
    let mut produced: Vec<String> = Vec::new();
    let mut stage_names: Vec<&str> = Vec::new();
    for (i, s) in stages.iter().enumerate() {
        let sname = s.name.clone().unwrap_or_else(|| format!("#{}", i + 1));
        if let Some(n) = &s.name {
            if stage_names.contains(&n.as_str()) {
                out.push(format!("duplicate stage name {n:?}"));
            }
            stage_names.push(n);
            if s.per_item {
                out.push(format!(
                    "per-item stage {n:?} has a fixed name, repeated for every item; include a per-item value such as LoopItem::name"
                ));
            }
        }
        if s.actions.is_empty() {
            out.push(format!("stage {sname:?} has no actions"));
        }
        let mut action_names: Vec<&str> = Vec::new();
        let mut stage_outputs: Vec<String> = Vec::new();
        for (aname, is_source, inputs, outputs) in &s.actions {
            if action_names.contains(&aname.as_str()) {
                out.push(format!("stage {sname:?} has two actions named {aname:?}"));
            }
            action_names.push(aname);
            if i == 0 && !is_source {
                out.push(format!(
                    "action {aname:?} in the first stage {sname:?} is not a source action; the first stage holds only source actions"
                ));
            }
            if i > 0 && *is_source {
                out.push(format!(
                    "source action {aname:?} is in stage {sname:?}; source actions belong in the first stage"
                ));
            }
            for input in inputs {
                if !produced.contains(input) {
                    out.push(format!(
                        "action {aname:?} in stage {sname:?} reads artifact {input:?}, which no action of an earlier stage outputs"
                    ));
                }
            }
            for o in outputs {
                if produced.contains(o) || stage_outputs.contains(o) {
                    out.push(format!("artifact {o:?} is output by more than one action"));
                }
                if s.per_item {
                    out.push(format!(
                        "action {aname:?} in per-item stage {sname:?} outputs artifact {o:?}, whose name would repeat for every item"
                    ));
                }
                stage_outputs.push(o.clone());
            }
        }
        produced.extend(stage_outputs);
    }
    out
}

/// The pipeline role's permissions for one ECS deploy action (see the module docs).
fn ecs_deploy_statements(
    cluster_name: &Value<String>,
    service_name: &Value<String>,
    pass_roles: &[Value<String>],
    task_family: Option<&Value<String>>,
) -> Vec<PolicyStatement> {
    let ecs_arn = |resource: &str, tail: Vec<Value<String>>| {
        let mut parts = vec![
            Value::from("arn:"),
            Value::partition(),
            Value::from(":ecs:"),
            Value::region(),
            Value::from(":"),
            Value::account_id(),
            Value::from(format!(":{resource}/")),
        ];
        parts.extend(tail);
        fns::join("", parts)
    };
    let service_arn = ecs_arn(
        "service",
        vec![cluster_name.clone(), Value::from("/"), service_name.clone()],
    );
    let cluster_arn = ecs_arn("cluster", vec![cluster_name.clone()]);
    let tasks_arn = ecs_arn("task", vec![cluster_name.clone(), Value::from("/*")]);
    let mut out = vec![
        PolicyStatement::allow(&["ecs:DescribeServices", "ecs:UpdateService"], [service_arn]),
        // The action follows the deployment's tasks (CDK's EcsDeployAction grants the same, on `*`).
        PolicyStatement::allow(&["ecs:DescribeTasks"], [tasks_arn]),
        PolicyStatement::allow(&["ecs:ListTasks"], [Value::from("*")]).with_condition(
            "ArnEquals",
            "ecs:cluster",
            cluster_arn.into_expr(),
        ),
        PolicyStatement::allow(
            &["ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition"],
            [Value::from("*")],
        ),
        PolicyStatement::allow(
            &["ecs:TagResource"],
            [match task_family {
                Some(f) => fns::sub(
                    "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/${Family}:*",
                    [("Family", f.clone().into_expr())],
                ),
                None => fns::sub(
                    "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/*",
                    Vec::<(String, Expr)>::new(),
                ),
            }],
        )
        .with_condition("StringEquals", "ecs:CreateAction", json!("RegisterTaskDefinition")),
    ];
    if !pass_roles.is_empty() {
        out.push(
            PolicyStatement::allow(&["iam:PassRole"], pass_roles.iter().cloned()).with_condition(
                "StringEquals",
                "iam:PassedToService",
                json!("ecs-tasks.amazonaws.com"),
            ),
        );
    }
    out
}

impl Pipeline {
    pub fn new(scope: &mut Scope, id: &str, props: PipelineProps) -> Pipeline {
        let mut child = scope.child(id);
        if let Some(n) = props.name.as_ref().and_then(Value::as_literal) {
            if !valid_name(n) {
                child.error(format!(
                    "pipeline name {n:?} must be 1–100 characters of letters, digits and . _ - @"
                ));
            }
        }
        let (bucket, key) = match props.artifact_bucket {
            Some(b) => {
                let k = b.encryption_key().cloned();
                (b, k)
            }
            None => {
                let key = kms::Key::new(
                    &mut child,
                    "ArtifactsKey",
                    kms::KeyProps {
                        description: Some("Pipeline artifacts".to_owned()),
                        ..kms::KeyProps::default()
                    },
                );
                let no_logs = props.access_logs.is_none().then(|| NO_ACCESS_LOGS_REASON.to_owned());
                let bucket = Bucket::new(
                    &mut child,
                    "ArtifactsBucket",
                    BucketProps {
                        encryption: BucketEncryption::Kms(key.clone()),
                        server_access_logs: props.access_logs,
                        no_access_logs_reason: no_logs,
                        ..BucketProps::default()
                    },
                );
                (bucket, Some(key))
            }
        };
        let role = Role::new(
            &mut child,
            "Role",
            RoleProps {
                assumed_by: Principal::service("codepipeline.amazonaws.com"),
                description: Some("CodePipeline pipeline role".to_owned()),
                ..RoleProps::default()
            },
        );
        let mut store = cp::ArtifactStore::new(bucket.name(), "S3");
        if let Some(k) = &key {
            store.encryption_key = Some(cp::EncryptionKey::new(k.arn(), "KMS"));
        }
        let mut pipeline = cfn::codepipeline::Pipeline::new(role.arn(), Vec::new());
        pipeline.name = props.name;
        pipeline.artifact_store = Some(store);
        pipeline.pipeline_type = Some(Value::from(match props.pipeline_type {
            PipelineType::V1 => "V1",
            PipelineType::V2 => "V2",
        }));
        pipeline.restart_execution_on_update = Some(Value::from(props.restart_execution_on_update));
        let h = child.add("Resource", pipeline);
        let path = child.path();
        let stack = child.stack();
        {
            let mut r = role.clone();
            bucket.grant_read_write(stack, &mut r);
        }
        // The pipeline waits for its role's policy, so the first execution has its permissions.
        let policy_path = format!("{}/DefaultPolicy", role.path());
        if let Some(i) = stack.resources.iter().position(|e| e.path == policy_path) {
            let dep = ElementRef {
                stack: stack.id,
                kind: ElementKind::Resource,
                index: i as u32,
            };
            stack.resource_mut(&h).depends_on.push(dep);
        }
        let stages: Arc<Mutex<Vec<StageInfo>>> = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&stages);
        stack.add_validation(&path, move |_| {
            let stages = shared.lock().map(|s| s.clone()).unwrap_or_default();
            validate_stages(&stages)
        });
        Pipeline(Arc::new(PipelineInner {
            handle: h,
            path,
            role,
            bucket,
            key,
            stages,
            stage_policies: Mutex::new(0),
            item_stages: Mutex::new(0),
        }))
    }

    /// Append a stage.
    pub fn add_stage(&self, stack: &mut Stack, stage: Stage) {
        let expr = self.stage_expr(stack, &stage, None);
        self.record(&stage, false);
        self.push_stage(stack, expr);
    }

    /// Append a stage repeated once per item of `lp` (e.g. one deploy stage per AWS Proton service instance);
    /// `build` makes the stage from the [`LoopItem`]'s per-item values. Each action runs as its own action
    /// role, repeated with the stage, which holds the action's permissions (see the module docs): nothing is
    /// added to the pipeline role per item.
    pub fn add_stage_per_item(&self, stack: &mut Stack, lp: &LoopHandle, build: impl FnOnce(&LoopItem) -> Stage) {
        let Some(spec) = stack.loop_spec(lp) else {
            stack.error(&self.0.path, "add_stage_per_item: the loop belongs to another template");
            return;
        };
        let item = LoopItem {
            var: spec.var.clone(),
            lp: *lp,
        };
        let stage = build(&item);
        let expr = self.stage_expr(stack, &stage, Some(lp));
        self.record(&stage, true);
        self.push_stage(stack, lp.items([expr]));
    }

    fn record(&self, stage: &Stage, per_item: bool) {
        let info = StageInfo {
            name: stage.name.as_literal().map(str::to_owned),
            per_item,
            actions: stage
                .actions
                .iter()
                .map(|a| (a.name().to_owned(), a.is_source(), a.inputs(), a.outputs()))
                .collect(),
        };
        if let Ok(mut s) = self.0.stages.lock() {
            s.push(info);
        }
    }

    fn push_stage(&self, stack: &mut Stack, stage: Expr) {
        if let Expr::Map(m) = stack.resource_mut(&self.0.handle).properties_mut() {
            match m.get_mut("Stages") {
                Some(Expr::List(l)) => l.push(stage),
                _ => {
                    m.insert("Stages".to_owned(), Expr::List(vec![stage]));
                }
            }
        }
    }

    fn stage_expr(&self, stack: &mut Stack, stage: &Stage, lp: Option<&LoopHandle>) -> Expr {
        if let Some(n) = stage.name.as_literal() {
            if !valid_name(n) {
                stack.error(
                    &self.0.path,
                    format!("stage name {n:?} must be 1–100 characters of letters, digits and . _ - @"),
                );
            }
        }
        let actions = match lp {
            None => {
                // Statements for the pipeline role that go to the stage's own managed policy: those of ECS
                // deploy actions (they need `Resource: "*"`).
                let mut stage_statements = Vec::new();
                let actions = stage
                    .actions
                    .iter()
                    .map(|a| self.action_decl(stack, a, None, &mut stage_statements))
                    .collect();
                if !stage_statements.is_empty() {
                    self.stage_policy(stack, stage_statements);
                }
                actions
            }
            Some(lp) => {
                // Every action gets its own role, repeated with the stage; its statements go to that role's
                // default policy (repeated with it), none to the pipeline role.
                let n = {
                    let mut g = self.0.item_stages.lock().unwrap_or_else(|e| e.into_inner());
                    *g += 1;
                    *g
                };
                let mut used: Vec<String> = Vec::new();
                let mut actions = Vec::new();
                for (m, a) in stage.actions.iter().enumerate() {
                    // The action name is a readable construct id; invalid or repeated names (reported by
                    // validation) fall back to the position.
                    let id = if valid_name(a.name()) && !used.iter().any(|u| u == a.name()) {
                        a.name().to_owned()
                    } else {
                        format!("Action{}", m + 1)
                    };
                    used.push(id.clone());
                    let role = self.action_role(stack, lp, n, &id, a.name());
                    let mut unused = Vec::new();
                    actions.push(self.action_decl(stack, a, Some(&role), &mut unused));
                }
                actions
            }
        };
        cp::StageDeclaration::new(actions, stage.name.clone()).into_expr()
    }

    /// The role one action of per-item stage `n` runs as, repeated once per item of `lp`. It trusts the
    /// pipeline role only, by ARN. Same account: a role trust policy naming a specific principal ARN is
    /// sufficient for that principal to assume the role, without `sts:AssumeRole` in the principal's identity
    /// policy. The pipeline role therefore gets no grant here (a grant would need one statement per item on the
    /// pipeline role, which is what this scheme avoids, or a wildcard over role ARNs, which is wider).
    fn action_role(&self, stack: &mut Stack, lp: &LoopHandle, n: u32, id: &str, action_name: &str) -> Role {
        let mut base = stack.scope_at(&self.0.path);
        let mut looped = base.in_loop(lp);
        let mut stage_scope = looped.child(&format!("ItemStage{n}"));
        let mut action_scope = stage_scope.child(id);
        let description: String = format!("CodePipeline action role of per-item action {action_name}")
            .chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .take(1000)
            .collect();
        Role::new(
            &mut action_scope,
            "Role",
            RoleProps {
                assumed_by: Principal::Arn(self.0.role.arn()),
                description: Some(description),
                ..RoleProps::default()
            },
        )
    }

    fn action_decl(
        &self,
        stack: &mut Stack,
        action: &Action,
        action_role: Option<&Role>,
        stage_statements: &mut Vec<PolicyStatement>,
    ) -> cp::ActionDeclaration {
        if !valid_name(action.name()) {
            stack.error(
                &self.0.path,
                format!(
                    "action name {:?} must be 1–100 characters of letters, digits and . _ - @",
                    action.name()
                ),
            );
        }
        // The role the action runs as: its own action role (per-item stages) or the pipeline role. Statements
        // are validated when added to the role (no wildcard actions, `*` only for actions without
        // resource-level permissions).
        let mut role = action_role.unwrap_or(&self.0.role).clone();
        let path = self.0.path.clone();
        let mut grant_role = |stack: &mut Stack, stmt: PolicyStatement| {
            iam::grant(stack, &path, &mut role, stmt);
        };
        let art = |names: Vec<String>| -> Option<Vec<cp::InputArtifact>> {
            (!names.is_empty()).then(|| names.iter().map(|n| cp::InputArtifact::new(n.as_str())).collect())
        };
        let outs = |names: Vec<String>| -> Option<Vec<cp::OutputArtifact>> {
            (!names.is_empty()).then(|| names.iter().map(|n| cp::OutputArtifact::new(n.as_str())).collect())
        };
        let (type_id, config) = match action {
            Action::CodeStarSource {
                connection_arn,
                repository_id,
                branch,
                ..
            } => {
                grant_role(
                    stack,
                    PolicyStatement::allow(
                        &["codestar-connections:UseConnection", "codeconnections:UseConnection"],
                        [connection_arn.clone()],
                    ),
                );
                (
                    cp::ActionTypeId::new("Source", "AWS", "CodeStarSourceConnection", "1"),
                    Value::object([
                        ("ConnectionArn", connection_arn.clone().into_expr()),
                        ("FullRepositoryId", repository_id.clone().into_expr()),
                        ("BranchName", branch.clone().into_expr()),
                        ("OutputArtifactFormat", Expr::Str("CODE_ZIP".to_owned())),
                        ("DetectChanges", Expr::Bool(true)),
                    ]),
                )
            }
            Action::CodeBuild { project, outputs, .. } => {
                grant_role(
                    stack,
                    PolicyStatement::allow(codebuild::START_BUILD_ACTIONS, [project.arn()]),
                );
                let mut project_role = project.role().clone();
                if outputs.is_empty() {
                    self.0.bucket.grant_read(stack, &mut project_role);
                } else {
                    self.0.bucket.grant_read_write(stack, &mut project_role);
                }
                // Outputs are encrypted with the project's key: the pipeline and later actions must read them.
                let same_key = self
                    .0
                    .key
                    .as_ref()
                    .is_some_and(|k| k.arn() == project.encryption_key().arn());
                if !same_key && !outputs.is_empty() {
                    grant_role(
                        stack,
                        PolicyStatement::allow(kms::ENCRYPT_DECRYPT_ACTIONS, [project.encryption_key().arn()]),
                    );
                }
                (
                    cp::ActionTypeId::new("Build", "AWS", "CodeBuild", "1"),
                    Value::object([("ProjectName", project.name().into_expr())]),
                )
            }
            Action::EcsDeploy {
                cluster_name,
                service_name,
                pass_roles,
                image_file,
                timeout_minutes,
                task_family,
                name,
                ..
            } => {
                if pass_roles.is_empty() {
                    stack.error(
                        &self.0.path,
                        format!("ECS deploy action {name:?} needs the service's task and execution role ARNs in pass_roles (the new task definition revision passes them to ECS)"),
                    );
                }
                if let Some(t) = timeout_minutes {
                    if !(1..=60).contains(t) {
                        stack.error(
                            &self.0.path,
                            format!("ECS deploy action {name:?}: timeout_minutes {t} is outside 1–60"),
                        );
                    }
                }
                let statements = ecs_deploy_statements(cluster_name, service_name, pass_roles, task_family.as_ref());
                match action_role {
                    None => stage_statements.extend(statements),
                    Some(r) => {
                        let star = statements
                            .iter()
                            .any(|st| st.resources.iter().any(|res| res.as_literal() == Some("*")));
                        let mut r = r.clone();
                        for st in statements {
                            iam::grant(stack, &self.0.path, &mut r, st);
                        }
                        // CodePipeline reads the input artifact (imagedefinitions.json) with the action role.
                        self.0.bucket.grant_read(stack, &mut r);
                        if star {
                            if let Some(h) = r.default_policy(stack) {
                                nag::suppress(
                                    stack.resource_mut(&h),
                                    Tool::Checkov,
                                    "CKV_AWS_111",
                                    TASK_DEFINITION_REASON,
                                );
                            }
                        }
                    }
                }
                let mut cfg = vec![
                    ("ClusterName", cluster_name.clone().into_expr()),
                    ("ServiceName", service_name.clone().into_expr()),
                    (
                        "FileName",
                        Expr::Str(
                            image_file
                                .clone()
                                .unwrap_or_else(|| codebuild::IMAGE_DEFINITIONS_FILE.to_owned()),
                        ),
                    ),
                ];
                if let Some(t) = timeout_minutes {
                    cfg.push(("DeploymentTimeout", Expr::Str(t.to_string())));
                }
                (cp::ActionTypeId::new("Deploy", "AWS", "ECS", "1"), Value::object(cfg))
            }
        };
        let mut decl = cp::ActionDeclaration::new(type_id, action.name());
        decl.configuration = Some(config);
        decl.input_artifacts = art(action.inputs());
        decl.output_artifacts = outs(action.outputs());
        decl.run_order = Some(Value::from(1));
        decl.role_arn = action_role.map(Role::arn);
        decl
    }

    /// A static stage's own managed policy for the pipeline role; the pipeline waits for it. (Per-item stages
    /// never add to the pipeline role: their actions run as action roles, see the module docs.)
    fn stage_policy(&self, stack: &mut Stack, statements: Vec<PolicyStatement>) {
        let n = {
            let mut g = self.0.stage_policies.lock().unwrap_or_else(|e| e.into_inner());
            *g += 1;
            *g
        };
        let star = statements
            .iter()
            .any(|st| st.resources.iter().any(|r| r.as_literal() == Some("*")));
        let mut doc = PolicyDocument::default();
        for st in statements {
            doc.add_statement(st);
        }
        let mut policy = cfn::iam::ManagedPolicy::new(doc.to_value());
        policy.description = Some(Value::from("Permissions of the pipeline role for one stage"));
        policy.roles = Some(Value::from(vec![self.0.role.name()]));
        let id = if n == 1 {
            "StagePolicy".to_owned()
        } else {
            format!("StagePolicy{n}")
        };
        let mut scope = stack.scope_at(&self.0.path);
        let h = scope.add(&id, policy);
        if star {
            nag::suppress(
                stack.resource_mut(&h),
                Tool::Checkov,
                "CKV_AWS_111",
                TASK_DEFINITION_REASON,
            );
        }
        stack.add_dependency(&self.0.handle, &h);
    }

    /// `Ref`: the pipeline name.
    pub fn name(&self) -> Value<String> {
        self.0.handle.r#ref()
    }

    /// The pipeline ARN.
    pub fn arn(&self) -> Value<String> {
        fns::sub(
            "arn:${AWS::Partition}:codepipeline:${AWS::Region}:${AWS::AccountId}:${Pipeline}",
            [("Pipeline", self.name().into_expr())],
        )
    }

    /// The pipeline's page in the AWS console.
    pub fn console_url(&self) -> Value<String> {
        fns::sub(
            "https://${AWS::Region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${Pipeline}/view?region=${AWS::Region}",
            [("Pipeline", self.name().into_expr())],
        )
    }

    pub fn role(&self) -> &Role {
        &self.0.role
    }

    pub fn artifact_bucket(&self) -> &Bucket {
        &self.0.bucket
    }

    /// The artifact bucket's key (pass it as the CodeBuild projects' `encryption_key`).
    pub fn artifact_key(&self) -> Option<&kms::Key> {
        self.0.key.as_ref()
    }

    pub fn handle(&self) -> Handle<cfn::codepipeline::Pipeline> {
        self.0.handle
    }

    pub fn path(&self) -> &str {
        &self.0.path
    }
}
