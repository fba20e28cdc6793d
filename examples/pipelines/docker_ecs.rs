//! The container pipeline of `lb_fargate_svc.rs` (its module documentation explains how it departs from AWS's
//! sample), shared by the catalog's ECS services: source (CodeStar connection) → build (unit tests, docker
//! build, push to ECR, `imagedefinitions.json`) → one ECS deploy stage per service instance.

use proton_synth::constructs::codebuild::{self, BuildEnvironment, BuildSpec, DockerBuild, ProjectProps};
use proton_synth::constructs::codepipeline::{Action, Artifact, Pipeline, PipelineProps, PipelineType, Stage};
use proton_synth::constructs::ecr::{self, RepositoryProps};
use proton_synth::constructs::kms::{self, KeyProps};
use proton_synth::constructs::s3::{self, BucketEncryption, BucketProps};
use proton_synth::constructs::{fns, Output, RemovalPolicy, Scope, Stack, Value};
use proton_synth::proton::{InstanceLoop, PipelineTemplate};

use super::CONTAINER_NAME;

/// What [`docker_ecs_pipeline`] builds and where it deploys.
pub struct DockerPipeline {
    /// The Dockerfile's path (relative to `source_dir`).
    pub dockerfile: Value<String>,
    pub unit_test_command: Value<String>,
    /// The folder of the repository to build in (default its root).
    pub source_dir: Option<Value<String>>,
    /// The environment outputs holding the ECS cluster's name and the task execution role's ARN.
    pub cluster_output: &'static str,
    pub execution_role_output: &'static str,
    /// One ECS deploy stage per instance (true), or none: the pipeline builds and pushes the image only, for
    /// instances that run no ECS service to deploy to (scheduled tasks take the new image through their
    /// `image` input).
    pub deploy_stages: bool,
}

/// A service pipeline: source (CodeStar connection) → build (unit tests, docker build, push to ECR,
/// `imagedefinitions.json`) → one ECS deploy stage per service instance. Each instance template must output
/// `ServiceName` (its ECS service) and `TaskRoleArn`, and name its container [`CONTAINER_NAME`] and its task
/// definition family `<service>_<instance>`.
///
/// Built with `codepipeline::Pipeline`: the per-instance deploy stages come from
/// `Pipeline::add_stage_per_item`, whose actions each run as their own action role (repeated per instance,
/// trusting the pipeline role only), so nothing on the pipeline role grows with the number of instances (IAM
/// allows 10 managed policies per role by default and 10,240 characters of inline policies).
pub fn docker_ecs_pipeline(pipe: &mut PipelineTemplate, build: DockerPipeline) {
    let service_name = pipe.service_name();
    let connection_arn = pipe.repository_connection_arn();
    let repository_id = pipe.repository_id();
    let branch_name = pipe.branch_name();
    let each = pipe.instances();
    let outputs = (build.cluster_output, build.execution_role_output);

    let mut root = pipe.root();
    let (key, bucket) = artifact_store(&mut root, &service_name);
    // Images: immutable tags, scan on push, a lifecycle policy; kept when the pipeline is deleted (like the
    // sample).
    let repository = ecr::Repository::new(&mut root, "ECRRepo", RepositoryProps::default());

    // The pipeline and its role (read/write on the artifact bucket and its key; the actions below add the
    // connection and the build). Type V1, CloudFormation's default and the sample's: V2 bills per action
    // execution minute, and each ECS deploy action runs until its service is stable.
    let pipeline = Pipeline::new(
        &mut root,
        "Pipeline",
        PipelineProps {
            artifact_bucket: Some(bucket),
            pipeline_type: PipelineType::V1,
            ..PipelineProps::default()
        },
    );

    // The build (its role, log group and report groups come with the construct): `docker_build_spec` logs in
    // to ECR, runs the unit tests, builds, tags `<build number>-<commit>`, pushes and writes
    // `imagedefinitions.json`. The pipeline inputs reach it as the project's environment variables, quoted by
    // CloudFormation, never as buildspec text (the sample pasted them into a JSON buildspec, where a quote
    // broke it): the test command runs as `bash -c "$UNIT_TEST_COMMAND"`, the build uses `-f "$DOCKERFILE"`.
    let spec = codebuild::docker_build_spec(DockerBuild {
        dockerfile: build.dockerfile,
        unit_test_command: build.unit_test_command,
        repository: &repository,
        image_tag: None,
        source_dir: build.source_dir,
        container_name: Value::from(CONTAINER_NAME),
    });
    let project = build_project(&mut root, spec, key);
    let stack = root.stack();
    let _ = project.grant_docker_push(stack, &repository); // its own role: always granted

    let build_output =
        add_source_and_build_stages(stack, &pipeline, &project, connection_arn, repository_id, branch_name);
    // One deploy stage per service instance, after the build.
    if build.deploy_stages {
        add_deploy_stages(stack, &pipeline, outputs, &build_output, service_name, &each);
    } else {
        // Where the images go: instances name `<repository URI>:<tag>` in their `image` input.
        stack.root().add_output(
            "RepositoryUri",
            Output::new(repository.repository_uri()).description("The ECR repository the pipeline pushes images to"),
        );
    }
    // Keep the pipeline's logical ID of earlier versions of this template: updating a stack then updates the
    // pipeline in place instead of replacing it (a new name, a new console URL, the run history lost).
    stack.resource_mut(&pipeline.handle()).override_logical_id("Pipeline");
    // Creating the pipeline starts a run: besides its role's policy (which the construct waits for), the build
    // needs the project role's.
    if let Some(policy) = project.role().default_policy(stack) {
        stack.add_dependency(&pipeline.handle(), &policy);
    }

    stack.root().add_output(
        "PipelineEndpoint",
        Output::new(pipeline.console_url()).description("The URL to access the pipeline"),
    );
}

/// Artifacts: a customer managed key (rotated, with the sample's alias) and a versioned, TLS-only bucket
/// encrypted with it, with server access logs; given to the pipeline instead of its default bucket.
fn artifact_store(root: &mut Scope, service_name: &Value<String>) -> (kms::Key, s3::Bucket) {
    let key = kms::Key::new(
        root,
        "PipelineArtifactsBucketEncryptionKey",
        KeyProps {
            description: Some("Encrypts the pipeline's artifacts".to_owned()),
            alias_value: Some(fns::sub(
                "alias/codepipeline-encryption-key-${Service}",
                [("Service", service_name.clone().into_expr())],
            )),
            // Like the sample: the key goes with the pipeline (deletion is scheduled, 30 days' grace).
            removal_policy: RemovalPolicy::Delete,
            ..KeyProps::default()
        },
    );
    let access_logs = s3::Bucket::new_access_log_bucket(root, "AccessLogs");
    let bucket = s3::Bucket::new(
        root,
        "PipelineArtifactsBucket",
        BucketProps {
            encryption: BucketEncryption::Kms(key.clone()),
            server_access_logs: Some((access_logs, "artifacts/".to_owned())),
            ..BucketProps::default()
        },
    );
    (key, bucket)
}

/// The CodeBuild project running `spec` in a privileged (Docker) environment, encrypting what it writes with
/// the artifacts' `key`.
fn build_project(root: &mut Scope, spec: BuildSpec, key: kms::Key) -> codebuild::Project {
    codebuild::Project::new(
        root,
        "BuildProject",
        ProjectProps {
            description: Some("Builds the service's image and pushes it to its ECR repository".to_owned()),
            build_spec: spec,
            environment: BuildEnvironment {
                // `docker build` needs the Docker daemon (the suppression carries the reason).
                privileged: true,
                ..BuildEnvironment::default()
            },
            // The artifacts' key: the pipeline and the deploy stages read what the build writes.
            encryption_key: Some(key),
            timeout_minutes: Some(60),
            ..ProjectProps::default()
        },
    )
}

/// Source: the repository connection (the pipeline role may use this connection only; the sample allowed
/// `codestar-connections:*` on `*`), checking out `branch_name` of `repository_id`. Build: the
/// pipeline role may start and read builds of this project only, and the project's role reads and writes the
/// artifacts. Returns the build's output artifact.
fn add_source_and_build_stages(
    stack: &mut Stack,
    pipeline: &Pipeline,
    project: &codebuild::Project,
    connection_arn: Value<String>,
    repository_id: Value<String>,
    branch_name: Value<String>,
) -> Artifact {
    let source = Artifact::new("Artifact_Source_Checkout");
    let build_output = Artifact::new("BuildOutput");
    pipeline.add_stage(
        stack,
        Stage::new(
            "Source",
            vec![Action::codestar_source(
                "Checkout",
                connection_arn,
                repository_id,
                branch_name,
                &source,
            )],
        ),
    );
    pipeline.add_stage(
        stack,
        Stage::new(
            "Build",
            vec![Action::codebuild(
                "Build",
                project,
                &source,
                std::slice::from_ref(&build_output),
            )],
        ),
    );
    build_output
}

/// One deploy stage per service instance, after the build. Each runs as its own role (logical IDs suffixed
/// with the loop index), assumable by the pipeline role only (the sample trusted the whole account), allowed
/// to roll out that instance only: update its ECS service and follow its tasks, register task definition
/// revisions of its family (`<service>_<instance>`, set by the instance template) and tag only those, pass its
/// two roles to ECS, and read the build output.
fn add_deploy_stages(
    stack: &mut Stack,
    pipeline: &Pipeline,
    (cluster_output, execution_role_output): (&str, &str),
    build_output: &Artifact,
    service_name: Value<String>,
    each: &InstanceLoop,
) {
    pipeline.add_stage_per_item(stack, &each.handle(), |_| {
        Stage::new(
            fns::join("", [Value::from("Deploy-"), each.name()]),
            vec![Action::ecs_deploy(
                "Deploy",
                each.env_output(cluster_output),
                each.output("ServiceName"),
                build_output,
                vec![each.env_output(execution_role_output), each.output("TaskRoleArn")],
            )
            .with_task_family(fns::join("_", [service_name, each.name()]))],
        )
    });
}
