//! [`Pipeline`]: a V2 pipeline with a KMS-encrypted artifact bucket and a least-privilege role.

use std::sync::{Arc, Mutex};

use crate::cfn;
use crate::cfn::codepipeline::pipeline as cp;
use crate::iam::{Principal, Role, RoleProps};
use crate::kms;
use crate::s3::{Bucket, BucketEncryption, BucketProps};
use crate::stack::{Construct, Handle, LoopHandle, NodeId, Scope, Stack};
use crate::value::{fns, Value};

use super::*;

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
pub(super) struct StageInfo {
    pub(super) name: Option<String>,
    pub(super) per_item: bool,
    pub(super) actions: Vec<(String, bool, Vec<String>, Vec<String>)>,
}

/// A CodePipeline pipeline.
#[derive(Clone, Debug)]
pub struct Pipeline(pub(super) Arc<PipelineInner>);

#[derive(Debug)]
pub(super) struct PipelineInner {
    pub(super) handle: Handle<cfn::codepipeline::Pipeline>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
    pub(super) role: Role,
    pub(super) bucket: Bucket,
    pub(super) key: Option<kms::Key>,
    pub(super) stages: Arc<Mutex<Vec<StageInfo>>>,
    pub(super) stage_policies: Mutex<u32>,
    /// Per-item stages so far (numbers their action roles' construct paths).
    pub(super) item_stages: Mutex<u32>,
}

pub(super) fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 100 && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
}

pub(super) fn validate_stages(stages: &[StageInfo]) -> Vec<String> {
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
        let (bucket, key) = artifact_store(&mut child, &props);
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
        let body = PipelineResource {
            pipeline,
            stages: Vec::new(),
        };
        let h = child.add_body::<cfn::codepipeline::Pipeline>("Resource", Box::new(body));
        let node = child.node_id();
        let path = child.path();
        let stack = child.stack();
        {
            let mut r = role.clone();
            let _ = bucket.grant_read_write(stack, &mut r);
        }
        // The pipeline waits for its role's policy, so the first execution has its permissions.
        if let Some(policy) = role.default_policy(stack) {
            stack.add_dependency(&h, &policy);
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
            node: Some(node),
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
        let decl = self.stage_decl(stack, &stage, None);
        self.record(&stage, false);
        self.push_stage(stack, PipelineStage::Static(decl));
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
        let decl = self.stage_decl(stack, &stage, Some(lp));
        self.record(&stage, true);
        self.push_stage(stack, PipelineStage::PerItem(*lp, decl));
    }

    pub(super) fn record(&self, stage: &Stage, per_item: bool) {
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

    pub(super) fn push_stage(&self, stack: &mut Stack, stage: PipelineStage) {
        if let Some(p) = stack.body_mut::<PipelineResource, _>(&self.0.handle) {
            p.stages.push(stage);
        }
    }

    pub(super) fn stage_decl(&self, stack: &mut Stack, stage: &Stage, lp: Option<&LoopHandle>) -> cp::StageDeclaration {
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
        cp::StageDeclaration::new(actions, stage.name.clone())
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
}

impl Construct for Pipeline {
    fn node_id(&self) -> Option<NodeId> {
        self.0.node
    }
    fn path(&self) -> &str {
        &self.0.path
    }
}

/// The artifact bucket and its key: the given bucket, or a new KMS-encrypted one with its own key.
fn artifact_store(child: &mut Scope, props: &PipelineProps) -> (Bucket, Option<kms::Key>) {
    match props.artifact_bucket.clone() {
        Some(b) => {
            let k = b.encryption_key().cloned();
            (b, k)
        }
        None => {
            let key = kms::Key::new(
                child,
                "ArtifactsKey",
                kms::KeyProps {
                    description: Some("Pipeline artifacts".to_owned()),
                    ..kms::KeyProps::default()
                },
            );
            let no_logs = props.access_logs.is_none().then(|| NO_ACCESS_LOGS_REASON.to_owned());
            let bucket = Bucket::new(
                child,
                "ArtifactsBucket",
                BucketProps {
                    encryption: BucketEncryption::Kms(key.clone()),
                    server_access_logs: props.access_logs.clone(),
                    no_access_logs_reason: no_logs,
                    ..BucketProps::default()
                },
            );
            (bucket, Some(key))
        }
    }
}
