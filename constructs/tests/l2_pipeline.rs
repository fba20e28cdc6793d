//! CodeBuild and CodePipeline L2 constructs: the AWS Proton sample pipeline's capability (ECR build → deploy
//! per service instance) without Proton and with least privilege.
//!
//! `composed_pipeline_for_checkers` writes the plain template to `target/l2-templates/pipeline-*.json` for
//! cfn-lint and `scripts/security-check`; the bundle form is asserted structurally.

use proton_synth_constructs::assertions::{Match, Template};
use proton_synth_constructs::codebuild::{
    docker_build_spec, BuildEnvironment, BuildSpec, ComputeType, DockerBuild, Project, ProjectProps,
};
use proton_synth_constructs::codepipeline::{Action, Artifact, Pipeline, PipelineProps, Stage};
use proton_synth_constructs::ecr::{Repository, RepositoryProps};
use proton_synth_constructs::stack::Parameter;
use proton_synth_constructs::synth::{to_json_string, Mode};
use proton_synth_constructs::{fns, nag, Construct, Output, Placeholder, PlaceholderKind, Stack, Value};
use serde_json::{json, Value as J};

fn errors_of(stack: &Stack) -> Vec<String> {
    match stack.synth(Mode::Plain) {
        Ok(_) => Vec::new(),
        Err(d) => d.0.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect(),
    }
}

fn template(stack: &Stack) -> Template {
    Template::from_stack(stack).unwrap_or_else(|e| panic!("synthesis failed:\n{e}"))
}

fn write_template(name: &str, stack: &Stack) -> J {
    let synth = stack
        .synth(Mode::Plain)
        .unwrap_or_else(|e| panic!("synthesis failed:\n{e}"));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/l2-templates");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("pipeline-{name}.json")),
        to_json_string(&synth.template),
    )
    .unwrap();
    synth.template
}

/// A Proton placeholder whose plain form is a `Ref` to a parameter declared here.
fn input(stack: &mut Stack, jinja: &str, param: &str) -> Value<String> {
    let p = stack.root().add_parameter(param, Parameter::<String>::string());
    Value::placeholder(Placeholder {
        jinja: jinja.to_owned(),
        kind: PlaceholderKind::String,
        plain: p.r#ref().into_expr(),
    })
}

fn simple_spec() -> BuildSpec {
    BuildSpec {
        build: vec![Value::from("make")],
        ..BuildSpec::default()
    }
}

fn project(stack: &mut Stack, id: &str) -> Project {
    Project::new(
        &mut stack.root(),
        id,
        ProjectProps {
            build_spec: simple_spec(),
            ..ProjectProps::default()
        },
    )
}

// ---------------------------------------------------------------------------------------------------------------
// CodeBuild

#[test]
fn project_defaults_logging_key_and_least_privilege_role() {
    let mut stack = Stack::new("S");
    let p = project(&mut stack, "Build");
    assert_eq!(p.path(), "Build");
    let t = template(&stack);
    t.resource_count_is("AWS::CodeBuild::Project", 1).unwrap();
    t.resource_count_is("AWS::KMS::Key", 1).unwrap();
    t.resource_count_is("AWS::Logs::LogGroup", 1).unwrap();
    let props = t.find_resources("AWS::CodeBuild::Project")[0].1["Properties"].clone();
    assert_eq!(props["Environment"]["ComputeType"], "BUILD_GENERAL1_SMALL");
    assert_eq!(props["Environment"]["PrivilegedMode"], false);
    assert_eq!(props["LogsConfig"]["CloudWatchLogs"]["Status"], "ENABLED");
    assert!(props["EncryptionKey"]["Fn::GetAtt"][0]
        .as_str()
        .unwrap()
        .starts_with("BuildKey"));
    assert!(props["LogsConfig"]["CloudWatchLogs"]["GroupName"]["Ref"]
        .as_str()
        .unwrap()
        .starts_with("BuildLogs"));
    assert_eq!(
        props["Source"],
        json!({"Type": "CODEPIPELINE", "BuildSpec": "version: 0.2\nphases:\n  build:\n    commands:\n      - |-\n        make\n"})
    );
    // Role trusts CodeBuild; its policy: logs on its group, reports on its report groups, the key.
    t.has_resource_properties(
        "AWS::IAM::Role",
        Match::object_like(json!({"AssumeRolePolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "codebuild.amazonaws.com"}}
        ]}})),
    )
    .unwrap();
    let policy = &t.find_resources("AWS::IAM::Policy")[0].1["Properties"]["PolicyDocument"]["Statement"];
    let actions: Vec<J> = policy.as_array().unwrap().iter().map(|s| s["Action"].clone()).collect();
    assert_eq!(
        actions,
        [
            json!(["logs:CreateLogStream", "logs:PutLogEvents"]),
            json!([
                "codebuild:CreateReportGroup",
                "codebuild:CreateReport",
                "codebuild:UpdateReport",
                "codebuild:BatchPutTestCases",
                "codebuild:BatchPutCodeCoverages"
            ]),
            json!([
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyWithoutPlaintext"
            ]),
        ]
    );
    let reports = &policy[1]["Resource"]["Fn::Sub"];
    assert_eq!(
        reports[0],
        "arn:${AWS::Partition}:codebuild:${AWS::Region}:${AWS::AccountId}:report-group/${Project}-*"
    );
    assert!(reports[1]["Project"]["Ref"].as_str().unwrap().starts_with("Build"));
    for s in policy.as_array().unwrap() {
        assert_ne!(s["Resource"], json!("*"), "{s}");
    }
}

#[test]
fn privileged_project_is_suppressed_with_a_reason_and_env_vars_are_plaintext() {
    let mut stack = Stack::new("S");
    let p = Project::new(
        &mut stack.root(),
        "Docker",
        ProjectProps {
            build_spec: simple_spec(),
            environment: BuildEnvironment {
                compute_type: ComputeType::Medium,
                privileged: true,
                env: vec![("STAGE".to_owned(), Value::from("prod"))],
                ..BuildEnvironment::default()
            },
            timeout_minutes: Some(30),
            ..ProjectProps::default()
        },
    );
    let entry = stack.resource(&p.handle()).unwrap();
    assert_eq!(nag::suppressed_ids(entry, nag::Tool::Guard), ["CT.CODEBUILD.PR.4"]);
    assert!(nag::suppressed_ids(entry, nag::Tool::Checkov).is_empty());
    let t = template(&stack);
    t.has_resource_properties(
        "AWS::CodeBuild::Project",
        Match::object_like(json!({
            "TimeoutInMinutes": 30,
            "Environment": {"ComputeType": "BUILD_GENERAL1_MEDIUM", "PrivilegedMode": true,
                "EnvironmentVariables": [{"Name": "STAGE", "Type": "PLAINTEXT", "Value": "prod"}]}
        })),
    )
    .unwrap();
}

#[test]
fn buildspec_splices_resource_references_and_keeps_literal_text() {
    let mut stack = Stack::new("S");
    let repo = Repository::new(&mut stack.root(), "Repo", RepositoryProps::default());
    let spec = BuildSpec {
        env: vec![("A".to_owned(), Value::from("x"))],
        install: vec![Value::from("  echo ${#ARR[@]} {{x}} {%y%}")],
        build: vec![
            fns::join("", [Value::from("docker push "), repo.repository_uri()]),
            fns::join("", [Value::from("echo "), Value::from("two\nlines")]),
        ],
        artifact_files: vec![Value::from("out.json")],
        ..BuildSpec::default()
    };
    Project::new(
        &mut stack.root(),
        "P",
        ProjectProps {
            build_spec: spec,
            ..ProjectProps::default()
        },
    );
    // The reference is spliced with Fn::Join; adjacent literals are merged around it, multi-line literals
    // continue the block scalar.
    let plain = template(&stack);
    let bs = plain.find_resources("AWS::CodeBuild::Project")[0].1["Properties"]["Source"]["BuildSpec"].clone();
    let parts = bs["Fn::Join"][1].as_array().unwrap().clone();
    assert_eq!(parts.len(), 3, "{parts:#?}");
    assert_eq!(
        parts[1]["Fn::Sub"][0],
        "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/${Name}"
    );
    let joined: String = parts.iter().map(|p| p.as_str().unwrap_or("<URI>")).collect();
    assert_eq!(
        joined,
        "version: 0.2\nenv:\n  variables:\n    A: |-\n      x\nphases:\n  install:\n    commands:\n      - |-\n        echo ${#ARR[@]} {{x}} {%y%}\n  build:\n    commands:\n      - |-\n        docker push <URI>\n      - |-\n        echo two\n        lines\nartifacts:\n  files:\n    - |-\n      out.json\n"
    );
    // Bundle: literal Jinja delimiters stay literal text (the bundle writer escapes them when it prints).
    let bundle = stack.synth(Mode::Bundle).unwrap().template;
    let text = bundle.to_string();
    assert!(text.contains("echo ${#ARR[@]} {{x}} {%y%}"));
    assert!(!text.contains("::jinja"));
}

#[test]
fn user_supplied_values_in_buildspec_text_are_an_error_and_go_through_project_env() {
    let mut stack = Stack::new("S");
    let test_cmd = input(&mut stack, "pipeline.inputs.unit_test_command", "UnitTestCommand");
    let param = stack.root().add_parameter("Folder", Parameter::<String>::string());
    let spec = BuildSpec {
        env: vec![("CMD".to_owned(), test_cmd.clone())],
        build: vec![test_cmd.clone()],
        artifact_files: vec![fns::join("", [param.r#ref(), Value::from("/**/*")])],
        ..BuildSpec::default()
    };
    Project::new(
        &mut stack.root(),
        "P",
        ProjectProps {
            build_spec: spec,
            ..ProjectProps::default()
        },
    );
    let fix = "where a newline or quote in it would break or rewrite the buildspec; pass it in `project_env` (e.g. (\"VALUE\", value)) and use \"$VALUE\" in the command";
    assert_eq!(
        errors_of(&stack),
        vec![
            format!("error: S/P: build spec env variable CMD splices the user-supplied value {{{{ pipeline.inputs.unit_test_command }}}} into the buildspec text, {fix}"),
            format!("error: S/P: build spec build[0] splices the user-supplied value {{{{ pipeline.inputs.unit_test_command }}}} into the buildspec text, {fix}"),
            format!("error: S/P: build spec artifacts.files[0] splices the user-supplied value (a template parameter) into the buildspec text, {fix}"),
        ]
    );

    // The fix: project environment variables (CloudFormation quotes their values), merged with the build
    // environment's; a name set twice is an error.
    let mut stack = Stack::new("S");
    let test_cmd = input(&mut stack, "pipeline.inputs.unit_test_command", "UnitTestCommand");
    let spec = BuildSpec {
        project_env: vec![("UNIT_TEST_COMMAND".to_owned(), test_cmd)],
        build: vec![Value::from("bash -c \"$UNIT_TEST_COMMAND\"")],
        ..BuildSpec::default()
    };
    Project::new(
        &mut stack.root(),
        "P",
        ProjectProps {
            build_spec: spec.clone(),
            environment: BuildEnvironment {
                env: vec![("STAGE".to_owned(), Value::from("prod"))],
                ..BuildEnvironment::default()
            },
            ..ProjectProps::default()
        },
    );
    let t = template(&stack);
    t.has_resource_properties(
        "AWS::CodeBuild::Project",
        Match::object_like(json!({
            "Environment": {"EnvironmentVariables": [
                {"Name": "STAGE", "Type": "PLAINTEXT", "Value": "prod"},
                {"Name": "UNIT_TEST_COMMAND", "Type": "PLAINTEXT", "Value": {"Ref": "UnitTestCommand"}},
            ]},
            "Source": {"BuildSpec": "version: 0.2\nphases:\n  build:\n    commands:\n      - |-\n        bash -c \"$UNIT_TEST_COMMAND\"\n"},
        })),
    )
    .unwrap();
    let mut stack = Stack::new("S");
    Project::new(
        &mut stack.root(),
        "P",
        ProjectProps {
            build_spec: BuildSpec {
                project_env: vec![("STAGE".to_owned(), Value::from("a"))],
                ..spec
            },
            environment: BuildEnvironment {
                env: vec![("STAGE".to_owned(), Value::from("prod"))],
                ..BuildEnvironment::default()
            },
            ..ProjectProps::default()
        },
    );
    assert_eq!(
        errors_of(&stack),
        vec!["error: S/P: environment variable \"STAGE\" is set both by the build spec's project_env and by the build environment; rename one"]
    );
}

#[test]
fn docker_build_spec_builds_in_a_source_dir_and_writes_artifacts_at_the_root() {
    let mut stack = Stack::new("S");
    let repo = Repository::new(&mut stack.root(), "Repo", RepositoryProps::default());
    let spec = docker_build_spec(DockerBuild {
        dockerfile: Value::from("Dockerfile"),
        unit_test_command: Value::from("make test"),
        repository: &repo,
        image_tag: None,
        source_dir: Some(Value::from("ecs-backend")),
        container_name: Value::from("app"),
    });
    // The folder reaches the build as a project variable, never as buildspec text.
    assert!(spec.validate().is_empty(), "{:?}", spec.validate());
    let (name, value) = spec.project_env.last().unwrap();
    assert_eq!((name.as_str(), value), ("SOURCE_DIR", &Value::from("ecs-backend")));
    assert_eq!(spec.pre_build[0], Value::from("cd \"$CODEBUILD_SRC_DIR/$SOURCE_DIR\""));
    let text = spec.render();
    let text = text.as_literal().expect("a literal buildspec");
    assert!(!text.contains("ecs-backend"), "{text}");
    // `artifacts.files` is relative to the source's root: the files are written there.
    assert!(
        text.contains("> \"$CODEBUILD_SRC_DIR\"/imagedefinitions.json"),
        "{text}"
    );
    assert!(text.contains("> \"$CODEBUILD_SRC_DIR\"/image-uri.txt"), "{text}");
    assert!(
        text.contains("files:\n    - |-\n      imagedefinitions.json\n"),
        "{text}"
    );
}

#[test]
fn docker_build_spec_logs_in_tests_builds_pushes_and_writes_image_definitions() {
    let mut stack = Stack::new("S");
    let repo = Repository::new(&mut stack.root(), "Repo", RepositoryProps::default());
    let spec = docker_build_spec(DockerBuild {
        dockerfile: Value::from("Dockerfile"),
        unit_test_command: Value::from("echo 'add your unit test command here'"),
        repository: &repo,
        image_tag: None,
        source_dir: None,
        container_name: Value::from("app"),
    });
    let p = Project::new(
        &mut stack.root(),
        "Build",
        ProjectProps {
            build_spec: spec,
            environment: BuildEnvironment {
                privileged: true,
                ..BuildEnvironment::default()
            },
            ..ProjectProps::default()
        },
    );
    let grant = p.grant_docker_push(&mut stack, &repo);
    assert!(grant.success());
    // Pull (repository actions, then the registry token), then push.
    assert_eq!(
        grant.actions(),
        [
            "ecr:BatchCheckLayerAvailability",
            "ecr:GetDownloadUrlForLayer",
            "ecr:BatchGetImage",
            "ecr:GetAuthorizationToken",
            "ecr:CompleteLayerUpload",
            "ecr:UploadLayerPart",
            "ecr:InitiateLayerUpload",
            "ecr:PutImage",
        ]
    );
    let t = template(&stack);
    let bs = &t.find_resources("AWS::CodeBuild::Project")[0].1["Properties"]["Source"]["BuildSpec"];
    // Fixed text: every setting is a project variable.
    let text = bs.as_str().expect("the docker buildspec is a literal string");
    for needle in [
        "aws ecr get-login-password --region $AWS_DEFAULT_REGION | docker login --username AWS --password-stdin",
        "bash -c \"$UNIT_TEST_COMMAND\"",
        "IMAGE_TAG=$CODEBUILD_BUILD_NUMBER-$(echo $CODEBUILD_RESOLVED_SOURCE_VERSION | cut -c 1-8)",
        "docker build -t $REPOSITORY_URI:$IMAGE_TAG -f \"$DOCKERFILE\" .",
        "docker push $REPOSITORY_URI:$IMAGE_TAG",
        "> imagedefinitions.json",
        "files:\n    - |-\n      imagedefinitions.json\n    - |-\n      image-uri.txt\n",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    // The unit tests run before the build.
    assert!(text.find("$UNIT_TEST_COMMAND").unwrap() < text.find("docker build").unwrap());
    // The settings are project variables, not buildspec text.
    let vars = &t.find_resources("AWS::CodeBuild::Project")[0].1["Properties"]["Environment"]["EnvironmentVariables"];
    let names: Vec<&str> = vars
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["Name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["REPOSITORY_URI", "DOCKERFILE", "UNIT_TEST_COMMAND", "CONTAINER_NAME"]
    );
    assert_eq!(vars[2]["Value"], "echo 'add your unit test command here'");
    // Push and artifact files in the build phase (post_build runs after a failed build too).
    assert!(!text.contains("post_build"));
    assert!(text.find("docker build").unwrap() < text.find("docker push").unwrap());
    // Push permissions on the repository only, plus the token on "*".
    let stmts: Vec<J> = t
        .find_resources("AWS::IAM::Policy")
        .iter()
        .flat_map(|(_, p)| {
            p["Properties"]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap()
                .clone()
        })
        .collect();
    assert!(stmts.contains(&json!({"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"})));
    assert!(stmts.iter().any(|s| s["Action"]
        .as_array()
        .is_some_and(|a| a.contains(&json!("ecr:PutImage")))
        && s["Resource"]["Fn::GetAtt"][1] == "Arn"));
}

#[test]
fn project_validation_messages() {
    let mut stack = Stack::new("S");
    Project::new(
        &mut stack.root(),
        "Empty",
        ProjectProps {
            environment: BuildEnvironment {
                env: vec![
                    ("1BAD".to_owned(), Value::from("x")),
                    ("CODEBUILD_X".to_owned(), Value::from("x")),
                    ("AWS_SECRET_ACCESS_KEY".to_owned(), Value::from("x")),
                ],
                ..BuildEnvironment::default()
            },
            timeout_minutes: Some(1),
            ..ProjectProps::default()
        },
    );
    let errors = errors_of(&stack);
    for expected in [
        "error: S/Empty: build spec has no commands in any phase",
        "error: S/Empty: environment variable \"1BAD\" is not a valid name (letters, digits and _, not starting with a digit)",
        "error: S/Empty: environment variable \"CODEBUILD_X\" uses the reserved prefix CODEBUILD_",
        "error: S/Empty: environment variable \"AWS_SECRET_ACCESS_KEY\" would hold credentials in plain text (CT.CODEBUILD.PR.2); the service role provides credentials",
        "error: S/Empty: timeout_minutes 1 is outside 5–2160",
    ] {
        assert!(errors.iter().any(|e| e == expected), "missing {expected:?} in {errors:#?}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// CodePipeline validation

fn source(_stack: &mut Stack, out: &Artifact) -> Action {
    Action::codestar_source(
        "Checkout",
        Value::from("arn:aws:codeconnections:eu-west-1:123456789012:connection/abc"),
        Value::from("owner/repo"),
        Value::from("main"),
        out,
    )
}

#[test]
fn pipeline_with_one_stage_is_rejected() {
    let mut stack = Stack::new("S");
    let pl = Pipeline::new(&mut stack.root(), "Pipeline", PipelineProps::default());
    let src = Artifact::new("Source");
    let a = source(&mut stack, &src);
    pl.add_stage(&mut stack, Stage::new("Source", vec![a]));
    assert_eq!(
        errors_of(&stack),
        ["error: S/Pipeline: the pipeline has 1 stage(s); CodePipeline needs at least 2 (a source stage and another)"]
    );
}

#[test]
fn stage_without_actions_is_rejected() {
    let mut stack = Stack::new("S");
    let pl = Pipeline::new(&mut stack.root(), "Pipeline", PipelineProps::default());
    let src = Artifact::new("Source");
    let a = source(&mut stack, &src);
    pl.add_stage(&mut stack, Stage::new("Source", vec![a]));
    pl.add_stage(&mut stack, Stage::new("Build", vec![]));
    assert_eq!(errors_of(&stack), ["error: S/Pipeline: stage \"Build\" has no actions"]);
}

#[test]
fn duplicate_action_names_in_a_stage_are_rejected() {
    let mut stack = Stack::new("S");
    let p = project(&mut stack, "P");
    let pl = Pipeline::new(&mut stack.root(), "Pipeline", PipelineProps::default());
    let src = Artifact::new("Source");
    let a = source(&mut stack, &src);
    pl.add_stage(&mut stack, Stage::new("Source", vec![a]));
    pl.add_stage(
        &mut stack,
        Stage::new(
            "Build",
            vec![
                Action::codebuild("Build", &p, &src, &[]),
                Action::codebuild("Build", &p, &src, &[]),
            ],
        ),
    );
    assert_eq!(
        errors_of(&stack),
        ["error: S/Pipeline: stage \"Build\" has two actions named \"Build\""]
    );
}

#[test]
fn artifact_read_before_it_is_output_is_rejected() {
    let mut stack = Stack::new("S");
    let p = project(&mut stack, "P");
    let pl = Pipeline::new(&mut stack.root(), "Pipeline", PipelineProps::default());
    let src = Artifact::new("Source");
    let built = Artifact::new("Built");
    let a = source(&mut stack, &src);
    pl.add_stage(&mut stack, Stage::new("Source", vec![a]));
    pl.add_stage(
        &mut stack,
        Stage::new(
            "Build",
            vec![Action::codebuild("Build", &p, &built, std::slice::from_ref(&built))],
        ),
    );
    assert_eq!(
        errors_of(&stack),
        ["error: S/Pipeline: action \"Build\" in stage \"Build\" reads artifact \"Built\", which no action of an earlier stage outputs"]
    );
}

#[test]
fn source_actions_only_in_the_first_stage_and_names_are_checked() {
    let mut stack = Stack::new("S");
    let p = project(&mut stack, "P");
    let pl = Pipeline::new(&mut stack.root(), "Pipeline", PipelineProps::default());
    let src = Artifact::new("Source");
    let src2 = Artifact::new("Source2");
    pl.add_stage(
        &mut stack,
        Stage::new("Source", vec![Action::codebuild("Build", &p, &src, &[])]),
    );
    let a = source(&mut stack, &src2);
    pl.add_stage(&mut stack, Stage::new("Source", vec![a]));
    pl.add_stage(
        &mut stack,
        Stage::new("Bad Name", vec![Action::codebuild("B", &p, &src2, &[])]),
    );
    assert_eq!(
        errors_of(&stack),
        [
            "error: S/Pipeline: stage name \"Bad Name\" must be 1–100 characters of letters, digits and . _ - @",
            "error: S/Pipeline: action \"Build\" in the first stage \"Source\" is not a source action; the first stage holds only source actions",
            "error: S/Pipeline: action \"Build\" in stage \"Source\" reads artifact \"Source\", which no action of an earlier stage outputs",
            "error: S/Pipeline: duplicate stage name \"Source\"",
            "error: S/Pipeline: source action \"Checkout\" is in stage \"Source\"; source actions belong in the first stage",
        ]
    );
}

#[test]
fn per_item_stage_rules() {
    let mut stack = Stack::new("S");
    let p = project(&mut stack, "P");
    let lp = stack.add_loop("service_instance", "service_instances");
    let pl = Pipeline::new(&mut stack.root(), "Pipeline", PipelineProps::default());
    let src = Artifact::new("Source");
    let a = source(&mut stack, &src);
    pl.add_stage(&mut stack, Stage::new("Source", vec![a]));
    pl.add_stage_per_item(&mut stack, &lp, |_| {
        Stage::new(
            "Deploy",
            vec![Action::codebuild("Build", &p, &src, &[Artifact::new("Out")])],
        )
    });
    pl.add_stage_per_item(&mut stack, &lp, |item| {
        Stage::new(
            fns::join("-", [Value::from("Deploy"), item.name("x")]),
            vec![Action::ecs_deploy(
                "Deploy",
                Value::from("c"),
                Value::from("s"),
                &src,
                vec![],
            )],
        )
    });
    assert_eq!(
        errors_of(&stack),
        [
            "error: S/Pipeline: ECS deploy action \"Deploy\" needs the service's task and execution role ARNs in pass_roles (the new task definition revision passes them to ECS)",
            "error: S/Pipeline: per-item stage \"Deploy\" has a fixed name, repeated for every item; include a per-item value such as LoopItem::name",
            "error: S/Pipeline: action \"Build\" in per-item stage \"Deploy\" outputs artifact \"Out\", whose name would repeat for every item",
        ]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// The composed pipeline: source → build (docker) → deploy per service instance (ECS)

struct Composed {
    stack: Stack,
}

fn composed() -> Composed {
    let mut stack = Stack::new("Pipeline");
    stack.set_description("Service pipeline: build the image, deploy it to every service instance (ECS)");
    let connection = input(
        &mut stack,
        "service.repository_connection_arn",
        "RepositoryConnectionArn",
    );
    let repo_id = input(&mut stack, "service.repository_id", "RepositoryId");
    let branch = input(&mut stack, "service.branch_name", "BranchName");
    let dockerfile = input(&mut stack, "pipeline.inputs.dockerfile", "Dockerfile");
    let unit_test = input(&mut stack, "pipeline.inputs.unit_test_command", "UnitTestCommand");
    let instance_name = stack
        .root()
        .add_parameter("ServiceInstanceName", Parameter::<String>::string());
    let cluster = stack.root().add_parameter("ClusterName", Parameter::<String>::string());
    let service = stack
        .root()
        .add_parameter("EcsServiceName", Parameter::<String>::string());
    let task_role = stack.root().add_parameter("TaskRoleArn", Parameter::<String>::string());
    let exec_role = stack
        .root()
        .add_parameter("ExecutionRoleArn", Parameter::<String>::string());
    let instances = stack.add_loop("service_instance", "service_instances");

    let pipeline = Pipeline::new(&mut stack.root(), "Pipeline", PipelineProps::default());
    let key = pipeline.artifact_key().cloned();
    let repo = Repository::new(&mut stack.root(), "Repository", RepositoryProps::default());
    let spec = docker_build_spec(DockerBuild {
        dockerfile,
        unit_test_command: unit_test,
        repository: &repo,
        image_tag: None,
        source_dir: None,
        container_name: Value::from("app"),
    });
    let build = Project::new(
        &mut stack.root(),
        "BuildProject",
        ProjectProps {
            description: Some("Builds, tests and pushes the service image".to_owned()),
            build_spec: spec,
            environment: BuildEnvironment {
                privileged: true,
                ..BuildEnvironment::default()
            },
            encryption_key: key,
            ..ProjectProps::default()
        },
    );
    assert!(build.grant_docker_push(&mut stack, &repo).success());

    let source_out = Artifact::new("Source");
    let build_out = Artifact::new("BuildOutput");
    pipeline.add_stage(
        &mut stack,
        Stage::new(
            "Source",
            vec![Action::codestar_source(
                "Checkout",
                connection,
                repo_id,
                branch,
                &source_out,
            )],
        ),
    );
    pipeline.add_stage(
        &mut stack,
        Stage::new(
            "Build",
            vec![Action::codebuild(
                "Build",
                &build,
                &source_out,
                std::slice::from_ref(&build_out),
            )],
        ),
    );
    pipeline.add_stage_per_item(&mut stack, &instances, |item| {
        Stage::new(
            fns::join("-", [Value::from("Deploy"), item.name(instance_name.r#ref())]),
            vec![Action::ecs_deploy(
                "Deploy",
                item.environment_output("ClusterName", cluster.r#ref()),
                item.output("ServiceName", service.r#ref()),
                &build_out,
                vec![
                    item.output("TaskRoleArn", task_role.r#ref()),
                    item.output("ExecutionRoleArn", exec_role.r#ref()),
                ],
            )],
        )
    });
    let url = pipeline.console_url();
    stack.root().add_output(
        "PipelineEndpoint",
        Output::new(url).description("The URL to access the pipeline"),
    );
    Composed { stack }
}

fn statements(t: &J, type_name: &str) -> Vec<J> {
    t["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == type_name)
        .flat_map(|r| {
            r["Properties"]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap()
                .clone()
        })
        .collect()
}

/// The policies (inline or managed) attached to the role with logical ID `role_id`: (logical ID, resource).
fn policies_of(t: &J, role_id: &str) -> Vec<(String, J)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| {
            (r["Type"] == "AWS::IAM::Policy" || r["Type"] == "AWS::IAM::ManagedPolicy")
                && r["Properties"]["Roles"]
                    .as_array()
                    .is_some_and(|roles| roles.contains(&json!({"Ref": role_id})))
        })
        .map(|(id, r)| (id.clone(), r.clone()))
        .collect()
}

#[test]
fn composed_pipeline_for_checkers() {
    let c = composed();
    let plain = write_template("service", &c.stack);
    let t = Template::from_json(plain.clone());
    t.resource_count_is("AWS::CodePipeline::Pipeline", 1).unwrap();
    t.resource_count_is("AWS::CodeBuild::Project", 1).unwrap();
    // The per-instance deploy runs as its own action role (no managed policy on the pipeline role): pipeline,
    // build project and deploy action roles.
    t.resource_count_is("AWS::IAM::ManagedPolicy", 0).unwrap();
    t.resource_count_is("AWS::IAM::Role", 3).unwrap();
    t.has_resource_properties(
        "AWS::CodePipeline::Pipeline",
        Match::object_like(json!({"PipelineType": "V2", "RestartExecutionOnUpdate": false,
            "ArtifactStore": {"Type": "S3", "EncryptionKey": {"Type": "KMS"}}})),
    )
    .unwrap();
    let pipeline = &t.find_resources("AWS::CodePipeline::Pipeline")[0].1;
    let stages = pipeline["Properties"]["Stages"].as_array().unwrap();
    assert_eq!(stages.len(), 3);
    assert_eq!(
        stages[0]["Actions"][0]["ActionTypeId"],
        json!({"Category": "Source", "Owner": "AWS", "Provider": "CodeStarSourceConnection", "Version": "1"})
    );
    assert_eq!(
        stages[0]["Actions"][0]["Configuration"]["ConnectionArn"],
        json!({"Ref": "RepositoryConnectionArn"})
    );
    assert_eq!(
        stages[1]["Actions"][0]["OutputArtifacts"],
        json!([{"Name": "BuildOutput"}])
    );
    assert_eq!(
        stages[2]["Name"],
        json!({"Fn::Join": ["-", ["Deploy", {"Ref": "ServiceInstanceName"}]]})
    );
    assert_eq!(
        stages[2]["Actions"][0]["Configuration"],
        json!({"ClusterName": {"Ref": "ClusterName"}, "ServiceName": {"Ref": "EcsServiceName"}, "FileName": "imagedefinitions.json"})
    );
    assert_eq!(
        stages[2]["Actions"][0]["InputArtifacts"],
        json!([{"Name": "BuildOutput"}])
    );
    // Static actions run as the pipeline role; the per-instance deploy action as its action role.
    assert!(stages[0]["Actions"][0].get("RoleArn").is_none());
    assert!(stages[1]["Actions"][0].get("RoleArn").is_none());
    let action_role_id = stages[2]["Actions"][0]["RoleArn"]["Fn::GetAtt"][0].as_str().unwrap();
    assert!(
        action_role_id.starts_with("PipelineItemStage1DeployRole"),
        "{action_role_id}"
    );
    assert_eq!(stages[2]["Actions"][0]["RoleArn"]["Fn::GetAtt"][1], "Arn");
    let action_role = &plain["Resources"][action_role_id];
    assert_eq!(action_role["Type"], "AWS::IAM::Role");
    // It trusts the pipeline role only, by ARN.
    let pipeline_role_id = pipeline["Properties"]["RoleArn"]["Fn::GetAtt"][0].as_str().unwrap();
    assert!(pipeline_role_id.starts_with("PipelineRole"), "{pipeline_role_id}");
    assert_eq!(
        action_role["Properties"]["AssumeRolePolicyDocument"]["Statement"],
        json!([{"Effect": "Allow", "Principal": {"AWS": {"Fn::GetAtt": [pipeline_role_id, "Arn"]}},
            "Action": "sts:AssumeRole"}])
    );
    // The pipeline waits for its role's policy.
    let deps = pipeline["DependsOn"].as_array().unwrap();
    assert_eq!(deps.len(), 1);
    assert!(deps[0].as_str().unwrap().starts_with("PipelineRoleDefaultPolicy"));

    // Least privilege: no service-wide wildcard action anywhere, "*" only for the task-definition actions,
    // the ECR token and ecs:ListTasks (scoped by its ecs:cluster condition).
    let mut all = statements(&plain, "AWS::IAM::Policy");
    all.extend(statements(&plain, "AWS::IAM::ManagedPolicy"));
    for s in &all {
        let acts: Vec<String> = match &s["Action"] {
            J::String(a) => vec![a.clone()],
            J::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
            _ => panic!(),
        };
        assert!(acts.iter().all(|a| !a.ends_with(":*") && a != "*"), "{s}");
        if s["Resource"] == json!("*") {
            for a in &acts {
                assert!(
                    [
                        "ecr:GetAuthorizationToken",
                        "ecs:RegisterTaskDefinition",
                        "ecs:DescribeTaskDefinition",
                        "ecs:ListTasks"
                    ]
                    .contains(&a.as_str()),
                    "{a} on *"
                );
                if a == "ecs:ListTasks" {
                    assert!(s["Condition"]["ArnEquals"]["ecs:cluster"].is_object(), "{s}");
                }
            }
        }
        assert!(!acts.iter().any(|a| a.starts_with("proton:")), "{s}");
    }
    assert!(all.contains(&json!({"Effect": "Allow",
        "Action": ["codestar-connections:UseConnection", "codeconnections:UseConnection"],
        "Resource": {"Ref": "RepositoryConnectionArn"}})));
    assert!(all.iter().any(
        |s| s["Action"] == json!(["codebuild:StartBuild", "codebuild:BatchGetBuilds"])
            && s["Resource"]["Fn::GetAtt"][0]
                .as_str()
                .unwrap()
                .starts_with("BuildProject")
    ));
    assert!(all.contains(&json!({"Effect": "Allow", "Action": "iam:PassRole",
        "Resource": [{"Ref": "TaskRoleArn"}, {"Ref": "ExecutionRoleArn"}],
        "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}})));
    let update = all
        .iter()
        .find(|s| s["Action"] == json!(["ecs:DescribeServices", "ecs:UpdateService"]))
        .unwrap();
    let arn_parts = update["Resource"]["Fn::Join"][1].as_array().unwrap();
    assert!(arn_parts.contains(&json!({"Ref": "ClusterName"})));
    assert!(arn_parts.contains(&json!({"Ref": "EcsServiceName"})));
    // The ECS deploy statements are the action role's (its default policy, with reading the artifact); the
    // pipeline role holds none of them.
    let action_policies = policies_of(&plain, action_role_id);
    assert_eq!(action_policies.len(), 1, "{action_policies:#?}");
    let (policy_id, action_policy) = &action_policies[0];
    assert!(
        policy_id.starts_with("PipelineItemStage1DeployRoleDefaultPolicy"),
        "{policy_id}"
    );
    assert_eq!(action_policy["Type"], "AWS::IAM::Policy");
    assert_eq!(action_policy["Metadata"]["checkov"]["skip"][0]["id"], "CKV_AWS_111");
    let action_stmts = action_policy["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    let action_sets: Vec<J> = action_stmts.iter().map(|s| s["Action"].clone()).collect();
    assert_eq!(
        action_sets,
        [
            json!(["ecs:DescribeServices", "ecs:UpdateService"]),
            json!("ecs:DescribeTasks"),
            json!("ecs:ListTasks"),
            json!(["ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition"]),
            json!("ecs:TagResource"),
            json!("iam:PassRole"),
            json!(["s3:GetObject*", "s3:GetBucket*", "s3:List*"]),
            json!(["kms:Decrypt", "kms:DescribeKey"]),
        ]
    );
    assert!(action_stmts.contains(update));
    assert!(
        action_stmts.contains(&json!({"Effect": "Allow", "Action": "iam:PassRole",
        "Resource": [{"Ref": "TaskRoleArn"}, {"Ref": "ExecutionRoleArn"}],
        "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}))
    );
    // Reads only: the action role cannot write artifacts.
    assert!(!action_policy.to_string().contains("s3:PutObject"));
    let pipeline_policies = policies_of(&plain, pipeline_role_id);
    assert_eq!(pipeline_policies.len(), 1, "{pipeline_policies:#?}");
    assert_eq!(pipeline_policies[0].1["Type"], "AWS::IAM::Policy");
    let pipeline_text = pipeline_policies[0].1.to_string();
    for absent in [
        "ecs:",
        "iam:PassRole",
        "sts:AssumeRole",
        "TaskRoleArn",
        "EcsServiceName",
    ] {
        assert!(!pipeline_text.contains(absent), "{absent} in {pipeline_text}");
    }
    // The build role reads and writes the artifact bucket.
    let build_role_policy = t
        .find_resources("AWS::IAM::Policy")
        .into_iter()
        .find(|(id, _)| id.starts_with("BuildProjectRole"))
        .unwrap()
        .1;
    let acts = build_role_policy["Properties"]["PolicyDocument"]["Statement"].to_string();
    assert!(acts.contains("s3:PutObject") && acts.contains("s3:GetObject*"));
    let v = &plain["Outputs"]["PipelineEndpoint"]["Value"]["Fn::Sub"];
    assert_eq!(
        v[0],
        "https://${AWS::Region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${Pipeline}/view?region=${AWS::Region}"
    );
    assert!(v[1]["Pipeline"]["Ref"].as_str().unwrap().starts_with("Pipeline"));
}

#[test]
fn composed_pipeline_bundle_repeats_deploy_stage_and_policy_per_instance() {
    let c = composed();
    let bundle = c.stack.synth(Mode::Bundle).unwrap().template;
    let resources = bundle["Resources"].as_object().unwrap();
    // The deploy action's role and its policy are the only looped resources; nothing is attached to the
    // pipeline role per instance (no managed policy anywhere).
    let groups: Vec<(&String, &J)> = resources.iter().filter(|(k, _)| k.starts_with("::for")).collect();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].1["::for"], "service_instance in service_instances");
    let body = groups[0].1["::body"].as_object().unwrap();
    assert_eq!(body.len(), 2);
    assert!(!bundle.to_string().contains("AWS::IAM::ManagedPolicy"));
    let (role_key, role) = body.iter().find(|(_, r)| r["Type"] == "AWS::IAM::Role").unwrap();
    let (id, policy) = body.iter().find(|(_, r)| r["Type"] == "AWS::IAM::Policy").unwrap();
    assert!(
        role_key.starts_with("PipelineItemStage1DeployRole") && role_key.ends_with("{{ loop.index }}"),
        "{role_key}"
    );
    assert!(
        id.starts_with("PipelineItemStage1DeployRoleDefaultPolicy") && id.ends_with("{{ loop.index }}"),
        "{id}"
    );
    let text = policy.to_string();
    assert!(text.contains("{{ service_instance.environment.outputs.ClusterName | tojson }}"));
    assert!(text.contains("{{ service_instance.outputs.TaskRoleArn | tojson }}"));
    // Inside the loop, references to the looped role use its suffixed ID: the policy attaches to this
    // instance's role. The role trusts the (static) pipeline role.
    assert_eq!(policy["Properties"]["Roles"], json!([{"Ref": {"::jinja": role_key}}]));
    let pipeline_role = resources
        .iter()
        .find(|(k, r)| k.starts_with("PipelineRole") && r["Type"] == "AWS::IAM::Role")
        .unwrap()
        .0;
    assert_eq!(
        role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
        json!({"AWS": {"Fn::GetAtt": [pipeline_role, "Arn"]}})
    );
    // Stages: Source, Build, then the per-instance deploy stage in a loop.
    let pipeline = resources
        .values()
        .find(|r| r["Type"] == "AWS::CodePipeline::Pipeline")
        .unwrap();
    let stages = pipeline["Properties"]["Stages"].as_array().unwrap();
    assert_eq!(stages.len(), 3);
    assert_eq!(stages[0]["Name"], "Source");
    assert_eq!(stages[1]["Name"], "Build");
    assert_eq!(stages[2]["::for"], "service_instance in service_instances");
    let items = stages[2]["::items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0]["Name"],
        json!({"Fn::Join": ["-", ["Deploy", {"::jinja": "{{ service_instance.name | tojson }}"}]]})
    );
    assert_eq!(
        items[0]["Actions"][0]["Configuration"]["ServiceName"],
        json!({"::jinja": "{{ service_instance.outputs.ServiceName | tojson }}"})
    );
    // The looped action runs as the looped role of the same item: its RoleArn resolves to the suffixed ID,
    // the same key the role is declared under in the resources' loop body.
    assert_eq!(
        items[0]["Actions"][0]["RoleArn"],
        json!({"Fn::GetAtt": [{"::jinja": role_key}, "Arn"]})
    );
    assert!(stages[1]["Actions"][0].get("RoleArn").is_none());
    // The pipeline role's policy names no per-instance value.
    let pipeline_policy = resources
        .iter()
        .find(|(k, _)| k.starts_with("PipelineRoleDefaultPolicy"))
        .unwrap()
        .1
        .to_string();
    assert!(!pipeline_policy.contains("service_instance"), "{pipeline_policy}");
    assert_eq!(
        stages[0]["Actions"][0]["Configuration"]["FullRepositoryId"],
        json!({"::jinja": "{{ service.repository_id | tojson }}"})
    );
    // Nothing of the pipeline refers to AWS Proton's API.
    assert!(!bundle.to_string().contains("proton:"));
    assert!(!bundle.to_string().contains("aws proton"));
}

#[test]
fn static_ecs_stage_policy_is_waited_for_and_per_item_codebuild_deploys_are_repeated() {
    let mut stack = Stack::new("S");
    let lp = stack.add_loop("service_instance", "service_instances");
    let build = project(&mut stack, "Build");
    let pl = Pipeline::new(&mut stack.root(), "Pipeline", PipelineProps::default());
    // One deploy project per instance, like AWS Proton's sample (here in the loop, keyed by the artifact key).
    let deploy = Project::new(
        &mut stack.root_in_loop(&lp),
        "DeployProject",
        ProjectProps {
            build_spec: simple_spec(),
            encryption_key: pl.artifact_key().cloned(),
            ..ProjectProps::default()
        },
    );
    let src = Artifact::new("Source");
    let out = Artifact::new("Out");
    let a = source(&mut stack, &src);
    pl.add_stage(&mut stack, Stage::new("Source", vec![a]));
    pl.add_stage(
        &mut stack,
        Stage::new(
            "Build",
            vec![Action::codebuild("Build", &build, &src, std::slice::from_ref(&out))],
        ),
    );
    pl.add_stage(
        &mut stack,
        Stage::new(
            "Canary",
            vec![Action::ecs_deploy(
                "Deploy",
                Value::from("cluster"),
                Value::from("canary"),
                &out,
                vec![Value::from("arn:aws:iam::123456789012:role/task")],
            )],
        ),
    );
    pl.add_stage_per_item(&mut stack, &lp, |item| {
        Stage::new(
            fns::join("-", [Value::from("Deploy"), item.name("one")]),
            vec![Action::codebuild("Deploy", &deploy, &out, &[])],
        )
    });
    let plain = Template::from_json(write_template("per-item-codebuild", &stack));
    let pipeline = plain.find_resources("AWS::CodePipeline::Pipeline")[0].1;
    let deps: Vec<&str> = pipeline["DependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(deps.len(), 2, "{deps:?}");
    assert!(deps[0].starts_with("PipelineRoleDefaultPolicy"));
    assert!(deps[1].starts_with("PipelineStagePolicy"));
    let bundle = stack.synth(Mode::Bundle).unwrap().template;
    let resources = bundle["Resources"].as_object().unwrap();
    let group = resources.iter().find(|(k, _)| k.starts_with("::for")).unwrap().1["::body"]
        .as_object()
        .unwrap();
    let mut types: Vec<&str> = group.values().map(|r| r["Type"].as_str().unwrap()).collect();
    types.sort_unstable();
    // The per-item project (with its role, policy and logs) and the deploy action's role and policy.
    assert_eq!(
        types,
        [
            "AWS::CodeBuild::Project",
            "AWS::IAM::Policy",
            "AWS::IAM::Policy",
            "AWS::IAM::Role",
            "AWS::IAM::Role",
            "AWS::Logs::LogGroup"
        ]
    );
    let (role_key, _) = group
        .iter()
        .find(|(k, r)| k.starts_with("PipelineItemStage1DeployRole") && r["Type"] == "AWS::IAM::Role")
        .unwrap();
    assert!(role_key.ends_with("{{ loop.index }}"), "{role_key}");
    // The per-item action role's policy lets the action start only that item's project, and nothing else (a
    // CodeBuild action reads no artifact itself: the project's role does).
    let action_policy = group
        .values()
        .find(|r| {
            r["Type"] == "AWS::IAM::Policy" && r["Properties"]["Roles"] == json!([{"Ref": {"::jinja": role_key}}])
        })
        .unwrap();
    let action_stmts = action_policy["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    assert_eq!(action_stmts.len(), 1, "{action_stmts:#?}");
    let stmt = &action_stmts[0];
    assert_eq!(
        stmt["Action"],
        json!(["codebuild:StartBuild", "codebuild:BatchGetBuilds"])
    );
    let target = stmt["Resource"]["Fn::GetAtt"][0]["::jinja"].as_str().unwrap();
    assert!(
        target.starts_with("DeployProject") && target.ends_with("{{ loop.index }}"),
        "{target}"
    );
    // No "*" statement on this role, so no suppression either.
    assert!(action_policy.get("Metadata").is_none());
    // The looped action runs as that role and starts the project of the same item (suffixed IDs).
    let pipeline_b = resources
        .values()
        .find(|r| r["Type"] == "AWS::CodePipeline::Pipeline")
        .unwrap();
    let stages_b = pipeline_b["Properties"]["Stages"].as_array().unwrap();
    assert_eq!(stages_b.len(), 4);
    assert!(stages_b[2]["Actions"][0].get("RoleArn").is_none());
    let item = &stages_b[3]["::items"][0]["Actions"][0];
    assert_eq!(item["RoleArn"], json!({"Fn::GetAtt": [{"::jinja": role_key}, "Arn"]}));
    assert_eq!(
        item["Configuration"]["ProjectName"],
        json!({"Ref": {"::jinja": target}})
    );
    // The pipeline role's own policy only names static resources.
    let pipeline_policy = resources
        .iter()
        .find(|(k, _)| k.starts_with("PipelineRoleDefaultPolicy"))
        .unwrap()
        .1
        .to_string();
    assert!(!pipeline_policy.contains("loop.index"), "{pipeline_policy}");
    // The static ECS stage's policy is not repeated and carries the suppression for its "*" statement.
    let ecs_policy = resources
        .values()
        .find(|r| r["Type"] == "AWS::IAM::ManagedPolicy")
        .unwrap();
    assert_eq!(ecs_policy["Metadata"]["checkov"]["skip"][0]["id"], "CKV_AWS_111");
}

/// A stand-in for rendering a bundle for `n` service instances: `::for` groups of `Resources` and of lists are
/// repeated `n` times, `{{ loop.index }}` becomes the item number and every other Jinja expression a string
/// naming its expression and item (`service_instance.name#3`).
fn expand_loops(t: &J, n: usize) -> J {
    fn subst(v: &J, i: usize, n: usize) -> J {
        match v {
            J::Object(m) if m.len() == 1 && m.contains_key("::jinja") => {
                let text = m["::jinja"]
                    .as_str()
                    .unwrap()
                    .replace("{{ loop.index }}", &i.to_string());
                match (text.find("{{ "), text.find(" | tojson }}")) {
                    (Some(a), Some(b)) => J::String(format!("{}#{i}", &text[a + 3..b])),
                    _ => J::String(text),
                }
            }
            J::Object(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), subst(v, i, n))).collect()),
            J::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item.get("::items").and_then(J::as_array) {
                        Some(body) => {
                            for k in 1..=n {
                                out.extend(body.iter().map(|b| subst(b, k, n)));
                            }
                        }
                        None => out.push(subst(item, i, n)),
                    }
                }
                J::Array(out)
            }
            other => other.clone(),
        }
    }
    let mut out = t.clone();
    let mut resources = serde_json::Map::new();
    for (k, r) in t["Resources"].as_object().unwrap() {
        match r.get("::body").and_then(J::as_object) {
            Some(body) => {
                for i in 1..=n {
                    for (bk, br) in body {
                        resources.insert(bk.replace("{{ loop.index }}", &i.to_string()), subst(br, i, n));
                    }
                }
            }
            None => {
                resources.insert(k.clone(), subst(r, 0, n));
            }
        }
    }
    out["Resources"] = J::Object(resources);
    out
}

/// Every `Ref` / `Fn::GetAtt` target of `v` (logical IDs and parameters, not pseudo parameters).
fn ref_targets(v: &J, out: &mut Vec<String>) {
    match v {
        J::Object(m) => {
            if let Some(J::String(id)) = m.get("Ref") {
                if !id.starts_with("AWS::") {
                    out.push(id.clone());
                }
            }
            if let Some(id) = m.get("Fn::GetAtt").and_then(|g| g[0].as_str()) {
                out.push(id.to_owned());
            }
            m.values().for_each(|x| ref_targets(x, out));
        }
        J::Array(items) => items.iter().for_each(|x| ref_targets(x, out)),
        _ => {}
    }
}

#[test]
fn per_item_actions_run_as_repeated_action_roles_and_scale_past_the_managed_policy_quota() {
    let mut stack = Stack::new("S");
    let lp = stack.add_loop("service_instance", "service_instances");
    let build = project(&mut stack, "Build");
    let pl = Pipeline::new(&mut stack.root(), "Pipeline", PipelineProps::default());
    let src = Artifact::new("Source");
    let out = Artifact::new("Out");
    let a = source(&mut stack, &src);
    pl.add_stage(&mut stack, Stage::new("Source", vec![a]));
    pl.add_stage(
        &mut stack,
        Stage::new(
            "Build",
            vec![Action::codebuild("Build", &build, &src, std::slice::from_ref(&out))],
        ),
    );
    // Two per-item stages, the first with two ECS deploy actions.
    let deploy = |item: &proton_synth_constructs::codepipeline::LoopItem, name: &str, service: &str| {
        Action::ecs_deploy(
            name,
            item.environment_output("ClusterName", "cluster"),
            item.output(service, service),
            &out,
            vec![item.output("TaskRoleArn", "arn:aws:iam::123456789012:role/task")],
        )
    };
    pl.add_stage_per_item(&mut stack, &lp, |item| {
        Stage::new(
            fns::join("-", [Value::from("Deploy"), item.name("one")]),
            vec![deploy(item, "Web", "ServiceName"), deploy(item, "Worker", "WorkerName")],
        )
    });
    pl.add_stage_per_item(&mut stack, &lp, |item| {
        Stage::new(
            fns::join("-", [Value::from("Verify"), item.name("one")]),
            vec![deploy(item, "Web", "ServiceName")],
        )
    });
    assert!(errors_of(&stack).is_empty(), "{:#?}", errors_of(&stack));
    let plain = write_template("per-item-action-roles", &stack);
    let t = Template::from_json(plain.clone());
    // Pipeline role, build project role and one role per per-item action (3); no managed policy.
    t.resource_count_is("AWS::IAM::Role", 5).unwrap();
    t.resource_count_is("AWS::IAM::ManagedPolicy", 0).unwrap();
    let stages = plain["Resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["Type"] == "AWS::CodePipeline::Pipeline")
        .unwrap()["Properties"]["Stages"]
        .as_array()
        .unwrap()
        .clone();
    let role_ids: Vec<&str> = [(2, 0), (2, 1), (3, 0)]
        .iter()
        .map(|&(s, a)| stages[s]["Actions"][a]["RoleArn"]["Fn::GetAtt"][0].as_str().unwrap())
        .collect();
    assert!(role_ids[0].starts_with("PipelineItemStage1WebRole"), "{role_ids:?}");
    assert!(role_ids[1].starts_with("PipelineItemStage1WorkerRole"), "{role_ids:?}");
    assert!(role_ids[2].starts_with("PipelineItemStage2WebRole"), "{role_ids:?}");
    // Each role holds only its own action's service.
    for (id, (service, other)) in role_ids.iter().zip([
        ("ServiceName", "WorkerName"),
        ("WorkerName", "ServiceName"),
        ("ServiceName", "WorkerName"),
    ]) {
        let policies = policies_of(&plain, id);
        assert_eq!(policies.len(), 1, "{id}: {policies:#?}");
        let text = policies[0].1.to_string();
        assert!(text.contains(service) && !text.contains(other), "{id}: {text}");
    }

    // Rendered for 20 instances (AWS Proton's maximum per service).
    let bundle = stack.synth(Mode::Bundle).unwrap().template;
    let one = expand_loops(&bundle, 1);
    let twenty = expand_loops(&bundle, 20);
    let resources = twenty["Resources"].as_object().unwrap();
    let count = |ty: &str| resources.values().filter(|r| r["Type"] == ty).count();
    assert_eq!(count("AWS::IAM::Role"), 2 + 3 * 20);
    assert_eq!(count("AWS::IAM::Policy"), 2 + 3 * 20);
    assert_eq!(count("AWS::IAM::ManagedPolicy"), 0);
    // Every Ref / GetAtt resolves to a resource or parameter of the rendered template.
    let mut targets = Vec::new();
    ref_targets(&twenty["Resources"], &mut targets);
    let params = twenty["Parameters"].as_object().cloned().unwrap_or_default();
    for id in &targets {
        assert!(
            resources.contains_key(id) || params.contains_key(id),
            "dangling reference {id}"
        );
    }
    // Every role has at most one policy attached, whatever the number of instances: the pipeline role's
    // policy is the same for 1 and 20 instances.
    let pipeline_role = resources
        .keys()
        .find(|k| k.starts_with("PipelineRole") && resources[*k]["Type"] == "AWS::IAM::Role")
        .unwrap();
    for (id, r) in resources {
        if r["Type"] == "AWS::IAM::Role" {
            assert!(policies_of(&twenty, id).len() <= 1, "{id}");
        }
    }
    let pipeline_policies = policies_of(&twenty, pipeline_role);
    assert_eq!(pipeline_policies, policies_of(&one, pipeline_role));
    // Instance i's deploy actions run as instance i's roles, which hold instance i's values only.
    let stages = resources
        .values()
        .find(|r| r["Type"] == "AWS::CodePipeline::Pipeline")
        .unwrap()["Properties"]["Stages"]
        .as_array()
        .unwrap();
    assert_eq!(stages.len(), 2 + 2 * 20);
    for (first, i) in [2, 22].into_iter().flat_map(|f| (1..=20).map(move |i| (f, i))) {
        let stage = &stages[first + i - 1];
        assert_eq!(stage["Name"]["Fn::Join"][1][1], format!("service_instance.name#{i}"));
        assert_eq!(
            stage["Name"]["Fn::Join"][1][0],
            if first == 2 { "Deploy" } else { "Verify" }
        );
        for action in stage["Actions"].as_array().unwrap() {
            let role = action["RoleArn"]["Fn::GetAtt"][0].as_str().unwrap();
            assert!(role.ends_with(&i.to_string()), "{role}");
            assert_eq!(
                resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
                json!({"AWS": {"Fn::GetAtt": [pipeline_role, "Arn"]}})
            );
            let policies = policies_of(&twenty, role);
            assert_eq!(policies.len(), 1, "{role}");
            let text = policies[0].1.to_string();
            let service = action["Configuration"]["ServiceName"].as_str().unwrap();
            assert!(service.ends_with(&format!("#{i}")), "{service}");
            assert!(text.contains(service), "{role} lacks {service}");
            assert!(text.contains(&format!("service_instance.outputs.TaskRoleArn#{i}\"")));
            for j in (1..=20).filter(|j| *j != i) {
                assert!(!text.contains(&format!("#{j}\"")), "{role} names instance {j}");
            }
        }
    }
}

#[test]
fn ecs_deploy_tags_only_the_named_task_definition_family() {
    let mut stack = Stack::new("S");
    let pipeline = Pipeline::new(&mut stack.root(), "Pipeline", PipelineProps::default());
    let build = project(&mut stack, "Build");
    let (src, out) = (Artifact::new("Src"), Artifact::new("Out"));
    let checkout = source(&mut stack, &src);
    pipeline.add_stage(&mut stack, Stage::new("Source", vec![checkout]));
    pipeline.add_stage(
        &mut stack,
        Stage::new(
            "Build",
            vec![Action::codebuild("Build", &build, &src, std::slice::from_ref(&out))],
        ),
    );
    pipeline.add_stage(
        &mut stack,
        Stage::new(
            "Deploy",
            vec![Action::ecs_deploy(
                "Deploy",
                Value::from("cluster"),
                Value::from("web"),
                &out,
                vec![Value::from("arn:aws:iam::111111111111:role/task")],
            )
            .with_task_family(Value::from("web-family"))],
        ),
    );
    let t = template(&stack);
    let statements: Vec<J> = t
        .find_resources("AWS::IAM::ManagedPolicy")
        .iter()
        .flat_map(|(_, p)| {
            p["Properties"]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap()
                .clone()
        })
        .collect();
    let tag: Vec<&J> = statements.iter().filter(|s| s["Action"] == "ecs:TagResource").collect();
    assert_eq!(
        tag,
        [&json!({
            "Effect": "Allow",
            "Action": "ecs:TagResource",
            "Resource": {"Fn::Sub": [
                "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/${Family}:*",
                {"Family": "web-family"}
            ]},
            "Condition": {"StringEquals": {"ecs:CreateAction": "RegisterTaskDefinition"}}
        })]
    );
}
