//! AWS's seed sample service `lb-fargate-service` (aws-proton-sample-templates,
//! `loadbalanced-fargate-svc/service`) rewritten with typed constructs, compatible with `public-vpc:1`
//! (`public_vpc_env.rs`, included below so `check`/`render` see the pair).
//!
//! Same inputs as the sample (instance: `port`, `desired_count`, `task_size`, `image`; pipeline: `dockerfile`,
//! `unit_test_command`; names, types, defaults, constraints and descriptions), same capabilities, same outputs
//! (`ServiceEndpoint`, `PipelineEndpoint`). What is different, and why:
//!
//! - Instance: the load balancer's security group admits the internet on the listener port only (the sample:
//!   every protocol and port), the containers' group admits that load balancer on the container port only (the
//!   sample: every protocol); the ALB drops invalid headers and writes access logs to its own bucket; the task
//!   runs with a read-only root filesystem, a separate (empty) task role, a deployment circuit breaker and
//!   100 % minimum healthy; its log group keeps logs one year, below the prefix the environment's execution
//!   role may write to; the task size is validated against Fargate's cpu/memory combinations at synthesis.
//! - Kept from the sample, on purpose, with the reason in the resource's metadata: tasks get a public IP (the
//!   environment has public subnets only: no NAT gateway, no VPC endpoints), the container runs as its image's
//!   user (the default image, the sample's nginx, starts as root to bind port 80), HTTP only (no certificate
//!   input), no deletion protection on the load balancer (it is deleted with its instance).
//! - Pipeline: no Proton API. The sample's build asked Proton for the service spec and its deploy stages ran
//!   `aws proton update-service-instance`; Proton reached end of support, so the build writes
//!   `imagedefinitions.json` and each instance gets a CodePipeline ECS deploy stage (with its own role, allowed
//!   to update that instance's ECS service only) that rolls the new image out. Pipeline inputs reach the build
//!   as environment variables instead of being pasted into the buildspec text. Roles are scoped to the
//!   pipeline's own resources (the sample allowed `codestar-connections:*` and `proton:*` calls on `*`, and
//!   trusted the whole account in its action roles); the artifact bucket has server access logs.
//! - Caveat of deploying without Proton: the ECS deploy action registers a new task definition revision
//!   outside CloudFormation. Re-render the instance template with the pushed image as its `image` input
//!   before updating the instance stack, or the update rolls the service back to the previous image.
//!
//! ```sh
//! cargo run --example lb_fargate_svc -- synth --out out/lb_fargate_svc
//! ```

#[path = "public_vpc_env.rs"]
pub mod public_vpc_env;

use proton_synth::app::App;
use proton_synth::constructs::cfn;
use proton_synth::constructs::cfn::codepipeline as cp;
use proton_synth::constructs::codebuild::{self, BuildEnvironment, BuildSpec, ProjectProps};
use proton_synth::constructs::ec2::{Connectable, Port, SecurityGroup};
use proton_synth::constructs::ecr::{self, RepositoryProps};
use proton_synth::constructs::ecs::{
    aws_sample_cpu_steps, Cluster, ContainerImage, ContainerProps, FargateService, FargateServiceProps,
    FargateTaskDefinition, FargateTaskDefinitionProps, Logging, TaskSizeMapping,
};
use proton_synth::constructs::elbv2::{
    AccessLogs, AlbProps, ApplicationLoadBalancer, ApplicationProtocol, ApplicationTargetGroup, Condition, HealthCheck,
    ListenerAction, ListenerProps, TargetGroupProps, TargetType,
};
use proton_synth::constructs::iam::{PolicyStatement, Principal, Role, RoleProps};
use proton_synth::constructs::kms::{self, KeyProps};
use proton_synth::constructs::logs::{LogGroup, LogGroupProps, RetentionDays};
use proton_synth::constructs::nag::{self, Tool};
use proton_synth::constructs::s3::{self, BucketEncryption, BucketProps};
use proton_synth::constructs::{fns, logical_id, Expr, IntoExpr, Output, RemovalPolicy, Value};
use proton_synth::proton::{EnvironmentInterface, InputDef, ServiceTemplate};

/// The Proton template name.
pub const TEMPLATE_NAME: &str = "lb-fargate-service";

/// The name of the (only) container of the task definition. A literal, unlike the sample's
/// `{{service_instance.name}}`: the build writes it into `imagedefinitions.json` for the ECS deploy action.
pub const CONTAINER_NAME: &str = "app";

/// The sample's `TaskSize` choices, in its order.
pub const TASK_SIZES: [&str; 5] = ["x-small", "small", "medium", "large", "x-large"];

/// The service template, compatible with the given environment template (`public-vpc:1`).
pub fn service(env: &EnvironmentInterface) -> ServiceTemplate {
    // The schema's input types are the sample's, names and descriptions; the CloudFormation templates have
    // their own descriptions.
    let mut svc = ServiceTemplate::new(TEMPLATE_NAME, std::slice::from_ref(env))
        .description(
            "Deploy a service on AWS Fargate, hosted in a public subnet, and accessible via a public load balancer \
             (proton-synth port of AWS's lb-fargate-service sample)",
        )
        .input_type_name("LoadBalancedServiceInput")
        .input_type_description("Input properties for a loadbalanced Fargate service");
    instance(&mut svc);
    pipeline(&mut svc);
    svc
}

/// The instance template (`instance_infrastructure/`).
fn instance(svc: &mut ServiceTemplate) {
    // Inputs: the sample's, property for property.
    let port = svc.instance_input(
        InputDef::number("port")
            .description("The port to route traffic to")
            .default(80.0)
            .minimum(0.0)
            .maximum(65535.0),
    );
    let desired_count = svc.instance_input(
        InputDef::number("desired_count")
            .description("The default number of Fargate tasks you want running")
            .default(1.0)
            .minimum(1.0),
    );
    let task_size = svc.instance_input(
        InputDef::string("task_size")
            .description("The size of the task you want to run")
            .enum_values(TASK_SIZES)
            .default("x-small"),
    );
    let image = svc.instance_input(
        InputDef::string("image")
            .description("The name/url of the container image")
            .default("public.ecr.aws/z9d2n7e1/nginx:1.21.0")
            .min_length(1)
            .max_length(200),
    );

    // What the environment provides (checked against public-vpc's declared outputs at synthesis).
    let cluster = Cluster::from_name(svc.env_output("ClusterName"));
    let execution_role = Role::from_arn(svc.env_output("ECSTaskExecutionRole"));
    let vpc_id = svc.env_output("VpcId");
    let subnets = vec![svc.env_output("PublicSubnetOne"), svc.env_output("PublicSubnetTwo")];
    let container_sg = SecurityGroup::from_id(svc.env_output("ContainerSecurityGroup"));

    let env_name = svc.environment_name();
    let service_name = svc.service_name();
    let instance_name = svc.service_instance_name();
    // `<service>_<instance>`, like the sample: the ECS service name and the task definition family.
    let qualified_name = fns::join("_", [service_name.clone(), instance_name.clone()]);

    let mut root = svc.instance();
    let sizes = TaskSizeMapping::aws_sample(&mut root, "TaskSize");

    // Logs go below the prefix the environment's execution role may write to.
    let log_group = LogGroup::new(
        &mut root,
        "LogGroup",
        LogGroupProps {
            name: Some(fns::sub(
                &format!(
                    "{}/${{Env}}/${{Service}}/${{Instance}}",
                    public_vpc_env::LOG_GROUP_PREFIX
                ),
                [
                    ("Env", env_name.into_expr()),
                    ("Service", service_name.clone().into_expr()),
                    ("Instance", instance_name.clone().into_expr()),
                ],
            )),
            retention: RetentionDays::OneYear,
            kms_key: None,
            // A named group must go with its instance, or re-creating the instance fails ("already exists").
            removal_policy: RemovalPolicy::Delete,
        },
    );

    // The execution role is the environment's: it already allows ECR pulls and writes below the log prefix
    // (the grants the task definition tries to add to an imported role are reported as warnings).
    let task_definition = FargateTaskDefinition::new(
        &mut root,
        "TaskDefinition",
        FargateTaskDefinitionProps {
            cpu: sizes.cpu(task_size.value()),
            memory_mib: sizes.memory(task_size.value()),
            family: Some(qualified_name.clone()),
            execution_role: Some(execution_role),
            task_role: None,
            ephemeral_storage_gib: None,
        },
    );
    let mut container = ContainerProps::new(ContainerImage::registry(image.value()));
    container.port_mappings = vec![port.as_integer()];
    container.logging = Logging::AwsLogs {
        log_group: Some(log_group),
        stream_prefix: Some("service".to_owned()),
    };
    // Read-only root filesystem; the default image (the sample's nginx) writes its pid file, cache and temp
    // files here.
    container.writable_paths = vec!["/tmp".to_owned(), "/var/cache/nginx".to_owned(), "/var/run".to_owned()];
    // The image's own user: the default image starts as root to bind port 80 and runs its workers as `nginx`.
    container.user = None;
    let stack = root.stack();
    task_definition.add_container(stack, CONTAINER_NAME, container);
    nag::suppress(
        stack.resource_mut(&task_definition.handle()),
        Tool::Guard,
        "CT.ECS.PR.3",
        "the container runs as its image's user: the template's default image (AWS's sample nginx) must start \
         as root to bind port 80; images built by the pipeline should declare a non-root USER",
    );

    // Access logs of the load balancer (the sample had none): an SSE-S3 bucket that Elastic Load Balancing may
    // write to, logs expire after a year; the bucket is kept when the instance is deleted.
    let access_logs = s3::Bucket::new_access_log_bucket(&mut root, "LoadBalancerAccessLogs");
    access_logs.allow_elb_access_logs(root.stack(), Some("alb"));

    // Public load balancer: HTTP on 80 like the sample (no certificate input), open to the internet on that port
    // only.
    let alb = ApplicationLoadBalancer::new(
        &mut root,
        "PublicLoadBalancer",
        AlbProps {
            idle_timeout_secs: Some(30),
            access_logs: Some(AccessLogs::bucket(&access_logs, Some("alb"))),
            // The load balancer lives and dies with its service instance; with deletion protection, deleting
            // the instance would fail.
            deletion_protection: false,
            ..AlbProps::new(vpc_id.clone(), subnets.clone(), true)
        },
    );
    nag::suppress(
        root.stack().resource_mut(&alb.handle()),
        Tool::Guard,
        "CT.ELASTICLOADBALANCING.PR.5",
        "the load balancer belongs to one AWS Proton service instance and is deleted with it; deletion \
         protection would make deleting the instance fail",
    );
    let target_group = ApplicationTargetGroup::new(
        &mut root,
        "TargetGroup",
        TargetGroupProps {
            vpc_id,
            port: port.as_integer(),
            protocol: ApplicationProtocol::Http,
            target_type: TargetType::Ip,
            // The sample's health check.
            health_check: HealthCheck {
                path: Some("/".to_owned()),
                interval_secs: Some(6),
                timeout_secs: Some(5),
                healthy_threshold: Some(2),
                unhealthy_threshold: Some(2),
                ..HealthCheck::default()
            },
            // Generated: a fixed name would block replacements (and the sample had to truncate it to 32).
            name: None,
            deregistration_delay_secs: None,
        },
    );
    let stack = root.stack();
    let listener = alb.add_listener(
        stack,
        "PublicLoadBalancerListener",
        ListenerProps::http(80, ListenerAction::forward(&target_group)),
    );
    listener.add_rule(
        stack,
        "LoadBalancerRule",
        1,
        vec![Condition::PathPatterns(vec!["*".to_owned()])],
        ListenerAction::forward(&target_group),
    );

    // The service, in the environment's public subnets with the environment's container security group.
    let mut props = FargateServiceProps::new(cluster, task_definition, subnets);
    props.security_groups = vec![container_sg];
    props.desired_count = desired_count.as_integer();
    props.service_name = Some(qualified_name);
    props.health_check_grace_period_secs = Some(60);
    // The environment (public-vpc) has public subnets only, without NAT gateway or VPC endpoints: a task
    // without a public IP could not pull its image nor send its logs. The public IP does not expose the task:
    // its security group admits only this service's load balancer.
    props.assign_public_ip = true;
    let service = FargateService::new(&mut stack.root(), "Service", props);
    nag::suppress(
        stack.resource_mut(&service.handle()),
        Tool::Guard,
        "CT.ECS.PR.9",
        "public-vpc has only public subnets (no NAT gateway, no VPC endpoints): tasks need a public IP to pull \
         images and deliver logs; inbound traffic is still limited to the load balancer by the security group",
    );
    service.attach_to_target_group(stack, &target_group, CONTAINER_NAME, port.as_integer());
    service.connections().allow_from(
        &mut stack.root(),
        &alb,
        Port::tcp_value(port.as_integer()),
        "From this service's load balancer to its container port",
    );

    // Auto scaling 1-10 tasks with the sample's CPU steps and alarms.
    let scaling = service.auto_scale_task_count(stack, 1, 10);
    scaling.scale_on_cpu_steps(stack, aws_sample_cpu_steps());

    let endpoint = fns::sub("http://${Dns}", [("Dns", alb.dns_name().into_expr())]);
    let ecs_service_name = service.name();
    let task_role_arn = service.task_definition().task_role().arn();
    svc.instance_output_with_description("ServiceEndpoint", endpoint, Some("The URL to access the service"));
    // Read by the pipeline's deploy stage of this instance.
    svc.instance_output("ServiceName", ecs_service_name);
    svc.instance_output("TaskRoleArn", task_role_arn);
}

/// The pipeline (`pipeline_infrastructure/`): source (CodeStar connection) → build (unit tests, docker build,
/// push to ECR, `imagedefinitions.json`) → one ECS deploy stage per service instance.
///
/// The build uses `codebuild::Project`; the pipeline resource itself is written with the L1
/// `cfn::codepipeline` types rather than `codepipeline::Pipeline`, whose ECS deploy actions run as the pipeline
/// role and attach one `AWS::IAM::ManagedPolicy` per instance to it: IAM allows 10 managed policies per role
/// by default (20 at most), so a service with more than 10 instances (the generated 20-instance spec) could not
/// be deployed. Here each instance's deploy action runs with its own role and inline policies.
fn pipeline(svc: &mut ServiceTemplate) {
    let pipe = svc.pipeline();
    pipe.description(
        "Continuous delivery of an lb-fargate-service service: source (CodeStar connection), build and push to \
         ECR, one ECS deploy stage per service instance",
    )
    .input_type_name("PipelineInputs")
    .input_type_description("Pipeline input properties");
    // Inputs: the sample's, property for property.
    let dockerfile = pipe.input(
        InputDef::string("dockerfile")
            .description("The location of the Dockerfile to build")
            .default("Dockerfile")
            .min_length(1)
            .max_length(100),
    );
    let unit_test_command = pipe.input(
        InputDef::string("unit_test_command")
            .description("The command to run to unit test the application code")
            .default("echo 'add your unit test command here'")
            .min_length(1)
            .max_length(200),
    );
    let service_name = pipe.service_name();
    let connection_arn = pipe.repository_connection_arn();
    let repository_id = pipe.repository_id();
    let branch_name = pipe.branch_name();
    let each = pipe.instances();

    let mut root = pipe.root();

    // Artifacts: a customer managed key (rotated) and a versioned, TLS-only bucket encrypted with it.
    let key = kms::Key::new(
        &mut root,
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
    let access_logs = s3::Bucket::new_access_log_bucket(&mut root, "AccessLogs");
    let bucket = s3::Bucket::new(
        &mut root,
        "PipelineArtifactsBucket",
        BucketProps {
            encryption: BucketEncryption::Kms(key.clone()),
            server_access_logs: Some((access_logs, "artifacts/".to_owned())),
            ..BucketProps::default()
        },
    );
    // Images: immutable tags, scan on push, a lifecycle policy; kept when the pipeline is deleted (like the
    // sample).
    let repository = ecr::Repository::new(&mut root, "ECRRepo", RepositoryProps::default());

    // The build (its role, log group and report groups come with the construct). Pipeline inputs reach it as
    // environment variables, quoted by CloudFormation, instead of being pasted into the buildspec text as in
    // the sample (where a quote in `unit_test_command` broke the JSON buildspec).
    let project = codebuild::Project::new(
        &mut root,
        "BuildProject",
        ProjectProps {
            description: Some("Builds the service's image and pushes it to its ECR repository".to_owned()),
            build_spec: build_spec(),
            environment: BuildEnvironment {
                // `docker build` needs the Docker daemon (the suppression carries the reason).
                privileged: true,
                env: vec![
                    ("REPOSITORY_URI".to_owned(), repository.repository_uri()),
                    ("DOCKERFILE".to_owned(), dockerfile.value()),
                    ("UNIT_TEST_COMMAND".to_owned(), unit_test_command.value()),
                    ("CONTAINER_NAME".to_owned(), Value::from(CONTAINER_NAME)),
                ],
                ..BuildEnvironment::default()
            },
            // The artifacts' key: the pipeline and the deploy stages read what the build writes.
            encryption_key: Some(key.clone()),
            timeout_minutes: Some(60),
            ..ProjectProps::default()
        },
    );
    let stack = root.stack();
    project.grant_docker_push(stack, &repository);
    bucket.grant_read_write(stack, &mut project.role().clone());

    // The pipeline's role: artifacts, and the repository connection (the sample: `codestar-connections:*` on
    // `*`). Connections made since 2024 are `codeconnections` ARNs, with their own action name.
    let mut pipeline_role = Role::new(
        &mut stack.root(),
        "PipelineRole",
        RoleProps {
            assumed_by: Principal::service("codepipeline.amazonaws.com"),
            description: Some("Runs the service's pipeline".to_owned()),
            ..RoleProps::default()
        },
    );
    bucket.grant_read_write(stack, &mut pipeline_role);
    pipeline_role.add_to_policy(
        stack,
        PolicyStatement::allow(
            &["codestar-connections:UseConnection", "codeconnections:UseConnection"],
            [connection_arn.clone()],
        ),
    );
    // The roles of the pipeline's actions, each assumable by the pipeline role only (the sample trusted the
    // whole account).
    let action_role = |scope: &mut proton_synth::constructs::Scope, id: &str, what: &str| {
        Role::new(
            scope,
            id,
            RoleProps {
                assumed_by: Principal::Arn(pipeline_role.arn()),
                description: Some(what.to_owned()),
                ..RoleProps::default()
            },
        )
    };
    let mut build_action_role = action_role(
        &mut stack.root(),
        "PipelineBuildCodePipelineActionRole",
        "Starts the build of the service's pipeline",
    );
    project.grant_start_build(stack, &mut build_action_role);

    // One deploy role per service instance (logical IDs suffixed with the loop index), allowed to roll out that
    // instance only: register a task definition revision of its family, update its ECS service, pass its two
    // roles to ECS, and read the build output. Per instance rather than one role for all: least privilege, and
    // no single role's inline policies grow with the number of instances (IAM allows 10,240 characters).
    let mut deploy_action_role = action_role(
        &mut stack.root_in_loop(&each.handle()),
        "PipelineDeployCodePipelineActionRole",
        "Deploys the built image to one service instance",
    );
    bucket.grant_read(stack, &mut deploy_action_role);
    let arn = |pattern: &str, vars: Vec<(&str, Expr)>| -> Value<String> {
        fns::sub(&format!("arn:${{AWS::Partition}}:{pattern}"), vars)
    };
    let ecs_policy = Value::object([
        ("Version", Expr::Str("2012-10-17".to_owned())),
        (
            "Statement",
            Expr::List(vec![
                // No useful resource-level permissions for these (the L2 grant API refuses `*`, hence L1).
                PolicyStatement::allow(
                    &[
                        "ecs:RegisterTaskDefinition",
                        "ecs:DescribeTaskDefinition",
                        "ecs:DescribeTasks",
                        "ecs:ListTasks",
                    ],
                    [Value::from("*")],
                )
                .to_expr(),
                PolicyStatement::allow(
                    &["ecs:TagResource"],
                    [arn(
                        "ecs:${AWS::Region}:${AWS::AccountId}:task-definition/${Family}:*",
                        vec![(
                            "Family",
                            fns::join("_", [service_name.clone(), each.name()]).into_expr(),
                        )],
                    )],
                )
                .to_expr(),
                PolicyStatement::allow(
                    &["ecs:DescribeServices", "ecs:UpdateService"],
                    [arn(
                        "ecs:${AWS::Region}:${AWS::AccountId}:service/${Cluster}/${Service}",
                        vec![
                            ("Cluster", each.env_output("ClusterName").into_expr()),
                            ("Service", each.output("ServiceName").into_expr()),
                        ],
                    )],
                )
                .to_expr(),
                PolicyStatement::allow(
                    &["iam:PassRole"],
                    [each.env_output("ECSTaskExecutionRole"), each.output("TaskRoleArn")],
                )
                .with_condition(
                    "StringEquals",
                    "iam:PassedToService",
                    Expr::Str("ecs-tasks.amazonaws.com".to_owned()),
                )
                .to_expr(),
            ]),
        ),
    ]);
    let mut policy = cfn::iam::Policy::new(ecs_policy, "PipelineDeployEcsPolicy");
    policy.roles = Some(Value::from(vec![deploy_action_role.name()]));
    let ecs_policy = stack
        .root_in_loop(&each.handle())
        .add("PipelineDeployEcsPolicy", policy);
    nag::suppress(
        stack.resource_mut(&ecs_policy),
        Tool::Checkov,
        "CKV_AWS_111",
        "ecs:RegisterTaskDefinition, DescribeTaskDefinition, DescribeTasks and ListTasks have no useful \
         resource-level permissions; every other statement is scoped to this service instance",
    );
    // The pipeline role assumes the action roles: the build's, and each instance's deploy role (spliced in, so
    // the list is never empty, even for a service without instances).
    pipeline_role.add_to_policy(
        stack,
        PolicyStatement::allow(
            &["sts:AssumeRole"],
            [
                build_action_role.arn(),
                Value::from_expr(each.items([deploy_action_role.arn().into_expr()])),
            ],
        ),
    );

    // Stages.
    let action_type =
        |category: &str, owner: &str, provider: &str| cp::pipeline::ActionTypeId::new(category, owner, provider, "1");
    let mut checkout =
        cp::pipeline::ActionDeclaration::new(action_type("Source", "AWS", "CodeStarSourceConnection"), "Checkout");
    checkout.configuration = Some(Value::object([
        ("ConnectionArn", connection_arn.into_expr()),
        ("FullRepositoryId", repository_id.into_expr()),
        ("BranchName", branch_name.into_expr()),
    ]));
    checkout.output_artifacts = Some(vec![cp::pipeline::OutputArtifact::new("Artifact_Source_Checkout")]);
    checkout.run_order = Some(Value::from(1));
    let mut build = cp::pipeline::ActionDeclaration::new(action_type("Build", "AWS", "CodeBuild"), "Build");
    build.configuration = Some(Value::object([("ProjectName", project.name().into_expr())]));
    build.input_artifacts = Some(vec![cp::pipeline::InputArtifact::new("Artifact_Source_Checkout")]);
    build.output_artifacts = Some(vec![cp::pipeline::OutputArtifact::new("BuildOutput")]);
    build.role_arn = Some(build_action_role.arn());
    build.run_order = Some(Value::from(1));
    let mut deploy = cp::pipeline::ActionDeclaration::new(action_type("Deploy", "AWS", "ECS"), "Deploy");
    deploy.configuration = Some(Value::object([
        ("ClusterName", each.env_output("ClusterName").into_expr()),
        ("ServiceName", each.output("ServiceName").into_expr()),
        ("FileName", Expr::Str("imagedefinitions.json".to_owned())),
    ]));
    deploy.input_artifacts = Some(vec![cp::pipeline::InputArtifact::new("BuildOutput")]);
    deploy.role_arn = Some(deploy_action_role.arn());
    deploy.run_order = Some(Value::from(1));
    let deploy_stage =
        cp::pipeline::StageDeclaration::new(vec![deploy], fns::join("", [Value::from("Deploy-"), each.name()]));

    let mut pipeline = cp::Pipeline::new(
        pipeline_role.arn(),
        vec![
            cp::pipeline::StageDeclaration::new(vec![checkout], "Source"),
            cp::pipeline::StageDeclaration::new(vec![build], "Build"),
        ],
    );
    let mut store = cp::pipeline::ArtifactStore::new(bucket.name(), "S3");
    store.encryption_key = Some(cp::pipeline::EncryptionKey::new(key.arn(), "KMS"));
    pipeline.artifact_store = Some(store);
    pipeline.restart_execution_on_update = Some(false.into());
    let pipeline = stack.root().add("Pipeline", pipeline);
    // One deploy stage per service instance, after the build.
    if let Expr::Map(m) = stack.resource_mut(&pipeline).properties_mut() {
        if let Some(Expr::List(stages)) = m.get_mut("Stages") {
            stages.push(each.items([deploy_stage.into_expr()]));
        }
    }
    // Creating the pipeline starts a run: it must wait for the policies of the roles it uses (the sample waited
    // for the pipeline role's). The L2 role gives no handle of its default policy, so the dependencies name
    // the logical IDs.
    // (The per-instance deploy roles are used minutes later, after the build.)
    let depends_on: Vec<String> = [
        "PipelineRole",
        "BuildProject/Role",
        "PipelineBuildCodePipelineActionRole",
    ]
    .iter()
    .map(|role| {
        let mut path: Vec<&str> = role.split('/').collect();
        path.push("DefaultPolicy");
        logical_id::make_unique_id(&path).expect("logical ID")
    })
    .collect();
    stack
        .resource_mut(&pipeline)
        .add_override("DependsOn", serde_json::json!(depends_on));

    stack.root().add_output(
        "PipelineEndpoint",
        Output::new(fns::sub(
            "https://${AWS::Region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${Pipeline}/view?region=${AWS::Region}",
            [("Pipeline", pipeline.r#ref().into_expr())],
        ))
        .description("The URL to access the pipeline"),
    );
}

/// The build: log in to ECR, run the unit tests, build and push the image tagged with the build number, and
/// write `imagedefinitions.json` for the ECS deploy actions. Only environment variables are referenced.
fn build_spec() -> BuildSpec {
    BuildSpec {
        pre_build: vec![
            Value::from("cd \"$CODEBUILD_SRC_DIR\""),
            Value::from(
                "aws ecr get-login-password --region \"$AWS_DEFAULT_REGION\" | docker login --username AWS --password-stdin \"$(echo \"$REPOSITORY_URI\" | cut -d/ -f1)\"",
            ),
            Value::from("bash -c \"$UNIT_TEST_COMMAND\""),
        ],
        build: vec![
            Value::from("IMAGE_URI=\"$REPOSITORY_URI:$CODEBUILD_BUILD_NUMBER\""),
            Value::from("docker build -t \"$IMAGE_URI\" -f \"$DOCKERFILE\" ."),
            Value::from("docker push \"$IMAGE_URI\""),
            // Only after a successful push (post_build would also run after a failed build).
            Value::from(
                "printf '[{\"name\":\"%s\",\"imageUri\":\"%s\"}]' \"$CONTAINER_NAME\" \"$IMAGE_URI\" > imagedefinitions.json",
            ),
        ],
        artifact_files: vec![Value::from(codebuild::IMAGE_DEFINITIONS_FILE)],
        ..BuildSpec::default()
    }
}

/// The program's templates: the environment and the service written against it.
pub fn app() -> App {
    let env = public_vpc_env::environment();
    let svc = service(&env.interface());
    let mut app = App::new("lb-fargate-svc");
    app.add_environment(env);
    app.add_service(svc);
    app
}

#[allow(dead_code)]
fn main() {
    std::process::exit(app().run());
}
