//! [`Artifact`] and [`Action`]: typed pipeline actions, their declarations and permissions.

use serde_json::json;

use crate::cfn;
use crate::cfn::codepipeline::pipeline as cp;
use crate::codebuild;
use crate::iam::{self, PolicyDocument, PolicyStatement, Principal, Role, RoleProps};
use crate::kms;
use crate::nag::{self, Tool};
use crate::stack::{LoopHandle, Stack};
use crate::value::{fns, Expr, Json, Value};

use super::*;

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

    pub(super) fn is_source(&self) -> bool {
        matches!(self, Action::CodeStarSource { .. })
    }

    pub(super) fn inputs(&self) -> Vec<String> {
        match self {
            Action::CodeStarSource { .. } => Vec::new(),
            Action::CodeBuild { input, .. } | Action::EcsDeploy { input, .. } => vec![input.0.clone()],
        }
    }

    pub(super) fn outputs(&self) -> Vec<String> {
        match self {
            Action::CodeStarSource { output, .. } => vec![output.0.clone()],
            Action::CodeBuild { outputs, .. } => outputs.iter().map(|a| a.0.clone()).collect(),
            Action::EcsDeploy { .. } => Vec::new(),
        }
    }
}

/// The pipeline role's permissions for one ECS deploy action (see the module docs).
pub(super) fn ecs_deploy_statements(
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

/// An action's input or output artifacts, as CloudFormation wants them: absent when there are none.
fn nonempty<A>(names: Vec<String>, artifact: impl Fn(&str) -> A) -> Option<Vec<A>> {
    (!names.is_empty()).then(|| names.iter().map(|n| artifact(n)).collect())
}

impl Pipeline {
    /// The role one action of per-item stage `n` runs as, repeated once per item of `lp`. It trusts the
    /// pipeline role only, by ARN. Same account: a role trust policy naming a specific principal ARN is
    /// sufficient for that principal to assume the role, without `sts:AssumeRole` in the principal's identity
    /// policy. The pipeline role therefore gets no grant here (a grant would need one statement per item on the
    /// pipeline role, which is what this scheme avoids, or a wildcard over role ARNs, which is wider).
    pub(super) fn action_role(&self, stack: &mut Stack, lp: &LoopHandle, n: u32, id: &str, action_name: &str) -> Role {
        let mut base = stack.scope(self.0.node);
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

    /// The declaration of `action`, granting what it needs to the role it runs as (`action_role` for per-item
    /// stages, else the pipeline role) or, for static ECS deploys, to `stage_statements`.
    pub(super) fn action_decl(
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
        let (type_id, config) = match action {
            Action::CodeStarSource {
                connection_arn,
                repository_id,
                branch,
                ..
            } => self.codestar_source_config(stack, &mut role, connection_arn, repository_id, branch),
            Action::CodeBuild { project, outputs, .. } => self.codebuild_config(stack, &mut role, project, outputs),
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
                let deploy = EcsDeploy {
                    name,
                    cluster_name,
                    service_name,
                    pass_roles,
                    image_file: image_file.as_deref(),
                    timeout_minutes: *timeout_minutes,
                    task_family: task_family.as_ref(),
                };
                self.ecs_deploy_config(stack, &deploy, action_role, stage_statements)
            }
        };
        let mut decl = cp::ActionDeclaration::new(type_id, action.name());
        decl.configuration = Some(config);
        decl.input_artifacts = nonempty(action.inputs(), |n| cp::InputArtifact::new(n));
        decl.output_artifacts = nonempty(action.outputs(), |n| cp::OutputArtifact::new(n));
        decl.run_order = Some(Value::from(1));
        decl.role_arn = action_role.map(Role::arn);
        decl
    }

    /// A CodeStar (CodeConnections) source action: `UseConnection` on its connection for the action's role.
    fn codestar_source_config(
        &self,
        stack: &mut Stack,
        role: &mut Role,
        connection_arn: &Value<String>,
        repository_id: &Value<String>,
        branch: &Value<String>,
    ) -> (cp::ActionTypeId, Value<Json>) {
        iam::grant(
            stack,
            &self.0.path,
            role,
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

    /// A CodeBuild action: `StartBuild` for the action's role, artifact access (and the project's key) for
    /// the project's role.
    fn codebuild_config(
        &self,
        stack: &mut Stack,
        role: &mut Role,
        project: &codebuild::Project,
        outputs: &[Artifact],
    ) -> (cp::ActionTypeId, Value<Json>) {
        iam::grant(
            stack,
            &self.0.path,
            role,
            PolicyStatement::allow(codebuild::START_BUILD_ACTIONS, [project.arn()]),
        );
        let mut project_role = project.role().clone();
        if outputs.is_empty() {
            let _ = self.0.bucket.grant_read(stack, &mut project_role);
        } else {
            let _ = self.0.bucket.grant_read_write(stack, &mut project_role);
        }
        // Outputs are encrypted with the project's key: the pipeline and later actions must read them.
        let same_key = self
            .0
            .key
            .as_ref()
            .is_some_and(|k| k.arn() == project.encryption_key().arn());
        if !same_key && !outputs.is_empty() {
            iam::grant(
                stack,
                &self.0.path,
                role,
                PolicyStatement::allow(kms::ENCRYPT_DECRYPT_ACTIONS, [project.encryption_key().arn()]),
            );
        }
        (
            cp::ActionTypeId::new("Build", "AWS", "CodeBuild", "1"),
            Value::object([("ProjectName", project.name().into_expr())]),
        )
    }

    /// An ECS deploy action: its statements go to the stage policy (static stages) or to its action role
    /// (per-item stages), with read access to the artifact bucket.
    fn ecs_deploy_config(
        &self,
        stack: &mut Stack,
        d: &EcsDeploy<'_>,
        action_role: Option<&Role>,
        stage_statements: &mut Vec<PolicyStatement>,
    ) -> (cp::ActionTypeId, Value<Json>) {
        let EcsDeploy {
            name,
            cluster_name,
            service_name,
            pass_roles,
            image_file,
            timeout_minutes,
            task_family,
        } = *d;
        if pass_roles.is_empty() {
            stack.error(
                &self.0.path,
                format!("ECS deploy action {name:?} needs the service's task and execution role ARNs in pass_roles (the new task definition revision passes them to ECS)"),
            );
        }
        if let Some(t) = timeout_minutes {
            if !(1..=60).contains(&t) {
                stack.error(
                    &self.0.path,
                    format!("ECS deploy action {name:?}: timeout_minutes {t} is outside 1–60"),
                );
            }
        }
        let statements = ecs_deploy_statements(cluster_name, service_name, pass_roles, task_family);
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
                let _ = self.0.bucket.grant_read(stack, &mut r);
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
                Expr::Str(image_file.unwrap_or(codebuild::IMAGE_DEFINITIONS_FILE).to_owned()),
            ),
        ];
        if let Some(t) = timeout_minutes {
            cfg.push(("DeploymentTimeout", Expr::Str(t.to_string())));
        }
        (cp::ActionTypeId::new("Deploy", "AWS", "ECS", "1"), Value::object(cfg))
    }

    /// A static stage's own managed policy for the pipeline role; the pipeline waits for it. (Per-item stages
    /// never add to the pipeline role: their actions run as action roles, see the module docs.)
    pub(super) fn stage_policy(&self, stack: &mut Stack, statements: Vec<PolicyStatement>) {
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
        let mut scope = stack.scope(self.0.node);
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
}

/// The fields of an [`Action::EcsDeploy`], borrowed.
#[derive(Clone, Copy)]
pub(super) struct EcsDeploy<'a> {
    name: &'a str,
    cluster_name: &'a Value<String>,
    service_name: &'a Value<String>,
    pass_roles: &'a [Value<String>],
    image_file: Option<&'a str>,
    timeout_minutes: Option<u32>,
    task_family: Option<&'a Value<String>>,
}
