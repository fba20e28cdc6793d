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

mod action;
mod pipeline;
mod stage;

pub use action::*;
pub use pipeline::*;
pub use stage::*;

/// The reason given for the artifact bucket's missing server access logs (when none is given).
pub const NO_ACCESS_LOGS_REASON: &str =
    "pipeline artifacts are transient build inputs and outputs read and written only by the pipeline's roles; CloudTrail records the access";

/// The reason attached to the ECS deploy policy's `Resource: "*"` statement.
pub const TASK_DEFINITION_REASON: &str =
    "ecs:RegisterTaskDefinition and ecs:DescribeTaskDefinition have no resource-level permissions; the ECS deploy action needs them to register the new image's task definition revision";
