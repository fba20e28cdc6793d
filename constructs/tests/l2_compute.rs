//! The compute L2/L3 constructs: ecs (Cluster, FargateTaskDefinition, FargateService, TaskSizeMapping), elbv2
//! (ALB, listeners, rules, target groups, NLB), autoscaling, and patterns::LoadBalancedFargateService.
//!
//! Every validation rule has a test asserting its exact message (full `Display`). `composed_templates_for_checkers`
//! writes plain templates to `target/l2-templates/compute-*.json` for cfn-lint and `scripts/security-check`.

use indexmap::IndexMap;
use proton_synth_constructs::assertions::{Match, Template};
use proton_synth_constructs::autoscaling::{
    validate_steps, Metric, ScalableTarget, ScalableTargetProps, ScalingStep, StepScalingProps,
};
use proton_synth_constructs::ec2::{Connectable, SecurityGroup, Vpc, VpcProps, VpcRef};
use proton_synth_constructs::ecs::{
    aws_sample_cpu_steps, check_fargate_size, Cluster, ClusterProps, ContainerHealthCheck, ContainerImage,
    ContainerInsights, ContainerProps, FargateService, FargateServiceProps, FargateTaskDefinition,
    FargateTaskDefinitionProps, Logging, Secret, TaskSizeMapping,
};
use proton_synth_constructs::elbv2::{
    AccessLogs, AlbProps, ApplicationListenerRule, ApplicationLoadBalancer, ApplicationProtocol,
    ApplicationTargetGroup, Condition, HealthCheck, ListenerAction, ListenerProps, NetworkLoadBalancer,
    NetworkTargetGroup, NetworkTargetGroupProps, NlbProps, RuleProps, TargetGroupProps, DEFAULT_SSL_POLICY,
};
use proton_synth_constructs::iam::Role;
use proton_synth_constructs::patterns::{
    AutoScalingOptions, LoadBalancedFargateService, LoadBalancedFargateServiceProps, TaskImageOptions, TaskSource,
};
use proton_synth_constructs::synth::{to_json_string, Mode};
use proton_synth_constructs::{Construct, Expr, Placeholder, PlaceholderKind, Stack, Value};
use serde_json::{json, Value as J};

// ---------------------------------------------------------------------------------------------------------------
// Helpers

fn errors_of(stack: &Stack) -> Vec<String> {
    match stack.synth(Mode::Plain) {
        Ok(_) => Vec::new(),
        Err(d) => d.0.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect(),
    }
}

fn warnings_of(stack: &Stack) -> Vec<String> {
    match stack.synth(Mode::Plain) {
        Ok(s) => s.warnings.iter().map(|d| d.to_string()).collect(),
        Err(d) => d.0.iter().filter(|d| !d.is_error()).map(|d| d.to_string()).collect(),
    }
}

fn template(stack: &Stack) -> Template {
    Template::from_stack(stack).unwrap_or_else(|e| panic!("synthesis failed:\n{e}"))
}

/// An AWS Proton input/output placeholder whose plain spelling is a literal.
fn proton(jinja: &str, plain: &str) -> Value<String> {
    Value::placeholder(Placeholder {
        jinja: jinja.to_owned(),
        kind: PlaceholderKind::String,
        plain: Expr::Str(plain.to_owned()),
    })
}

fn proton_number(jinja: &str, plain: i64) -> Value<i64> {
    Value::placeholder(Placeholder {
        jinja: jinja.to_owned(),
        kind: PlaceholderKind::Number,
        plain: Expr::Int(plain),
    })
}

fn env_vpc() -> VpcRef {
    VpcRef {
        vpc_id: proton("environment.outputs.VpcId", "vpc-0123456789abcdef0"),
        public_subnet_ids: vec![
            proton("environment.outputs.PublicSubnetOne", "subnet-0aaaaaaaaaaaaaaa1"),
            proton("environment.outputs.PublicSubnetTwo", "subnet-0aaaaaaaaaaaaaaa2"),
        ],
        private_subnet_ids: vec![
            proton("environment.outputs.PrivateSubnetOne", "subnet-0bbbbbbbbbbbbbbb1"),
            proton("environment.outputs.PrivateSubnetTwo", "subnet-0bbbbbbbbbbbbbbb2"),
        ],
        isolated_subnet_ids: Vec::new(),
    }
}

fn subnets(n: usize) -> Vec<Value<String>> {
    (1..=n).map(|i| Value::from(format!("subnet-{i:017}"))).collect()
}

fn nginx() -> ContainerImage {
    ContainerImage::registry("public.ecr.aws/nginx/nginx:1.27")
}

/// A task definition with one `web` container on port 80.
fn web_task(stack: &mut Stack) -> FargateTaskDefinition {
    let td = FargateTaskDefinition::new(&mut stack.root(), "Task", FargateTaskDefinitionProps::default());
    let mut c = ContainerProps::new(nginx());
    c.port_mappings = vec![Value::from(80)];
    td.add_container(stack, "web", c);
    td
}

fn service(stack: &mut Stack, td: &FargateTaskDefinition) -> FargateService {
    let mut p = FargateServiceProps::new(Cluster::from_name("apps".into()), td.clone(), subnets(2));
    p.vpc_id = Some("vpc-1".into());
    FargateService::new(&mut stack.root(), "Svc", p)
}

fn alb(stack: &mut Stack) -> ApplicationLoadBalancer {
    ApplicationLoadBalancer::new(&mut stack.root(), "Alb", AlbProps::new("vpc-1", subnets(2), true))
}

fn target_group(stack: &mut Stack, id: &str) -> ApplicationTargetGroup {
    ApplicationTargetGroup::new(&mut stack.root(), id, TargetGroupProps::new("vpc-1", 80))
}

/// A recursive partial match: objects need the given members (recursively), arrays need items matching the
/// given patterns in order (others may sit between), scalars are compared exactly.
fn like(v: J) -> Match {
    match v {
        J::Object(m) => Match::members(m.into_iter().map(|(k, v)| (k, like(v)))),
        J::Array(items) => Match::array_with(items.into_iter().map(like).collect()),
        other => Match::exact(other),
    }
}

fn props_of<'a>(t: &'a Template, type_name: &str) -> Vec<&'a J> {
    t.find_resources(type_name)
        .into_iter()
        .map(|(_, r)| &r["Properties"])
        .collect()
}

fn write_template(name: &str, stack: &Stack) -> J {
    let synth = stack
        .synth(Mode::Plain)
        .unwrap_or_else(|e| panic!("synthesis failed:\n{e}"));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/l2-templates");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("compute-{name}.json")),
        to_json_string(&synth.template),
    )
    .unwrap();
    synth.template
}

// ---------------------------------------------------------------------------------------------------------------
// Cluster

#[test]
fn cluster_turns_container_insights_on_and_imports_by_name() {
    let mut stack = Stack::new("Ecs");
    let c = Cluster::new(&mut stack.root(), "Cluster", ClusterProps::default());
    let off = Cluster::new(
        &mut stack.root(),
        "Quiet",
        ClusterProps {
            name: Some("quiet".into()),
            container_insights: ContainerInsights::Disabled,
        },
    );
    let imported = Cluster::from_name("shared".into());
    assert!(c.handle().is_some() && off.handle().is_some() && imported.handle().is_none());
    let t = template(&stack);
    t.resource_count_is("AWS::ECS::Cluster", 2).unwrap();
    t.has_resource_properties(
        "AWS::ECS::Cluster",
        Match::exact(json!({"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]})),
    )
    .unwrap();
    t.has_resource(
        "AWS::ECS::Cluster",
        like(json!({
            "Properties": {"ClusterName": "quiet", "ClusterSettings": [{"Name": "containerInsights", "Value": "disabled"}]},
            "Metadata": {"guard": {"SuppressedRules": ["CT.ECS.PR.2"]}}
        })),
    )
    .unwrap();
    assert!(matches!(imported.arn().expr(), Expr::Sub(t, _) if t.ends_with(":cluster/${Name}")));
    assert_eq!(imported.name(), Value::from("shared"));
}

#[test]
fn cluster_name_is_checked() {
    let mut stack = Stack::new("Ecs");
    Cluster::new(
        &mut stack.root(),
        "Cluster",
        ClusterProps {
            name: Some("my cluster".into()),
            ..ClusterProps::default()
        },
    );
    assert_eq!(
        errors_of(&stack),
        ["error: Ecs/Cluster: cluster name \"my cluster\" must be 1-255 letters, digits, hyphens and underscores"]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Fargate task sizes

#[test]
fn fargate_size_table() {
    assert_eq!(check_fargate_size(256, 512), None);
    assert_eq!(check_fargate_size(256, 2048), None);
    assert_eq!(check_fargate_size(512, 4096), None);
    assert_eq!(check_fargate_size(4096, 30720), None);
    assert_eq!(check_fargate_size(8192, 61440), None);
    assert_eq!(check_fargate_size(16384, 122880), None);
    assert_eq!(
        check_fargate_size(256, 4096).unwrap(),
        "Fargate does not support cpu 256 with memory 4096 MiB; allowed for 256: 512, 1024, 2048"
    );
    assert_eq!(
        check_fargate_size(256, 1536).unwrap(),
        "Fargate does not support cpu 256 with memory 1536 MiB; allowed for 256: 512, 1024, 2048"
    );
    assert_eq!(
        check_fargate_size(512, 512).unwrap(),
        "Fargate does not support cpu 512 with memory 512 MiB; allowed for 512: 1024, 2048, 3072, 4096"
    );
    assert_eq!(
        check_fargate_size(8192, 18432).unwrap(),
        "Fargate does not support cpu 8192 with memory 18432 MiB; allowed for 8192: 16384-61440 in steps of 4096"
    );
    assert_eq!(
        check_fargate_size(300, 512).unwrap(),
        "Fargate does not support cpu 300; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384"
    );
}

#[test]
fn task_definition_rejects_an_unsupported_size() {
    let mut stack = Stack::new("Ecs");
    let td = FargateTaskDefinition::new(
        &mut stack.root(),
        "Task",
        FargateTaskDefinitionProps {
            cpu: 256.into(),
            memory_mib: 4096.into(),
            ..FargateTaskDefinitionProps::default()
        },
    );
    td.add_container(&mut stack, "web", ContainerProps::new(nginx()));
    assert_eq!(
        errors_of(&stack),
        [
            "error: Ecs/Task: Fargate does not support cpu 256 with memory 4096 MiB; allowed for 256: 512, 1024, 2048",
            // The default hard limit is the task memory, which is fine; only the size is reported.
        ][..1]
    );
}

#[test]
fn task_size_mapping_validates_every_row_and_feeds_find_in_map() {
    let mut stack = Stack::new("Svc");
    let sizes = TaskSizeMapping::aws_sample(&mut stack.root(), "TaskSize");
    let size = proton("service_instance.inputs.task_size", "medium");
    let td = FargateTaskDefinition::new(
        &mut stack.root(),
        "Task",
        FargateTaskDefinitionProps {
            cpu: sizes.cpu(size.clone()),
            memory_mib: sizes.memory(size),
            ..FargateTaskDefinitionProps::default()
        },
    );
    td.add_container(&mut stack, "web", ContainerProps::new(nginx()));
    let t = template(&stack);
    assert_eq!(
        t.json()["Mappings"]["TaskSize"]["x-large"],
        json!({"cpu": 4096, "memory": 8192})
    );
    t.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        like(json!({
            "Cpu": {"Fn::FindInMap": ["TaskSize", "medium", "cpu"]},
            "Memory": {"Fn::FindInMap": ["TaskSize", "medium", "memory"]},
            "ContainerDefinitions": [{"Memory": {"Fn::FindInMap": ["TaskSize", "medium", "memory"]}}]
        })),
    )
    .unwrap();

    let mut bad = Stack::new("Svc");
    TaskSizeMapping::new(
        &mut bad.root(),
        "TaskSize",
        &[("small", 512, 1024), ("huge", 256, 4096), ("small", 512, 2048)],
    );
    assert_eq!(
        errors_of(&bad),
        [
            "error: Svc/TaskSize: task size \"huge\": Fargate does not support cpu 256 with memory 4096 MiB; allowed for 256: 512, 1024, 2048",
            "error: Svc/TaskSize: task size \"small\" is defined twice",
        ]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Task definitions and containers

#[test]
fn task_definition_hardens_containers_and_grants_only_what_they_need() {
    let mut stack = Stack::new("Ecs");
    let td = web_task(&mut stack);
    let t = template(&stack);
    t.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        like(json!({
            "Cpu": "256",
            "Memory": "512",
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "ContainerDefinitions": [{
                "Name": "web",
                "Image": "public.ecr.aws/nginx/nginx:1.27",
                "Essential": true,
                "Memory": 512,
                "ReadonlyRootFilesystem": true,
                "User": "1000",
                "PortMappings": [{"ContainerPort": 80, "Protocol": "tcp"}],
                "LogConfiguration": {"LogDriver": "awslogs", "Options": {
                    "awslogs-region": {"Ref": "AWS::Region"}, "awslogs-stream-prefix": "web"}}
            }]
        })),
    )
    .unwrap();
    // Separate execution and task roles; only the execution role gets a policy (log writes).
    t.resource_count_is("AWS::IAM::Role", 2).unwrap();
    t.resource_count_is("AWS::IAM::Policy", 1).unwrap();
    t.resource_count_is("AWS::Logs::LogGroup", 1).unwrap();
    let policy = &props_of(&t, "AWS::IAM::Policy")[0];
    assert_eq!(
        policy["PolicyDocument"]["Statement"][0]["Action"],
        json!(["logs:CreateLogStream", "logs:PutLogEvents"])
    );
    let td_props = &props_of(&t, "AWS::ECS::TaskDefinition")[0];
    assert_ne!(td_props["ExecutionRoleArn"], td_props["TaskRoleArn"]);
    assert!(td.execution_role().handle().is_some() && td.task_role().handle().is_some());
}

#[test]
fn ecr_images_and_secrets_are_granted_to_the_execution_role() {
    let mut stack = Stack::new("Ecs");
    let td = FargateTaskDefinition::new(&mut stack.root(), "Task", FargateTaskDefinitionProps::default());
    let mut c = ContainerProps::new(ContainerImage::ecr("api", "v1"));
    c.secrets.insert(
        "DB_PASSWORD".into(),
        Secret::secrets_manager(
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf",
            Some("password"),
        ),
    );
    c.secrets
        .insert("API_KEY".into(), Secret::ssm_parameter_name("/api/key"));
    c.environment.insert("MODE".into(), "prod".into());
    td.add_container(&mut stack, "api", c);
    let t = template(&stack);
    let statements = props_of(&t, "AWS::IAM::Policy")[0]["PolicyDocument"]["Statement"].clone();
    let actions: Vec<J> = statements
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Action"].clone())
        .collect();
    assert_eq!(
        actions,
        vec![
            json!([
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchGetImage"
            ]),
            json!("ecr:GetAuthorizationToken"),
            json!(["logs:CreateLogStream", "logs:PutLogEvents"]),
            json!("secretsmanager:GetSecretValue"),
            json!("ssm:GetParameters"),
        ]
    );
    t.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        like(json!({"ContainerDefinitions": [{
            "Image": {"Fn::Sub": ["${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/${Name}:${Tag}", {"Name": "api", "Tag": "v1"}]},
            "Environment": [{"Name": "MODE", "Value": "prod"}],
            "Secrets": [
                {"Name": "DB_PASSWORD", "ValueFrom": {"Fn::Join": [":", ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf", "password", "", ""]]}},
                {"Name": "API_KEY", "ValueFrom": {"Fn::Sub": ["arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${Name}", {"Name": "api/key"}]}}
            ]
        }]})),
    )
    .unwrap_or_else(|e| panic!("{e}\n{:#}", t.json()));
}

#[test]
fn imported_execution_role_is_used_and_grants_become_warnings() {
    let mut stack = Stack::new("Ecs");
    let td = FargateTaskDefinition::new(
        &mut stack.root(),
        "Task",
        FargateTaskDefinitionProps {
            execution_role: Some(Role::from_arn(proton(
                "environment.outputs.ECSTaskExecutionRole",
                "arn:aws:iam::111122223333:role/exec",
            ))),
            ..FargateTaskDefinitionProps::default()
        },
    );
    td.add_container(&mut stack, "web", ContainerProps::new(nginx()));
    let t = template(&stack);
    t.resource_count_is("AWS::IAM::Role", 1).unwrap();
    t.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        like(json!({"ExecutionRoleArn": "arn:aws:iam::111122223333:role/exec"})),
    )
    .unwrap();
    assert_eq!(
        warnings_of(&stack),
        ["warning: Ecs/Task/webLogGroup: could not add a policy for logs:CreateLogStream, logs:PutLogEvents to an imported role (imported); grant these permissions outside this template"]
    );
}

#[test]
fn container_opt_outs_are_suppressed_with_reasons() {
    let mut stack = Stack::new("Ecs");
    let td = FargateTaskDefinition::new(&mut stack.root(), "Task", FargateTaskDefinitionProps::default());
    let mut c = ContainerProps::new(nginx());
    c.readonly_root_filesystem = false;
    c.user = None;
    td.add_container(&mut stack, "legacy", c);
    let t = template(&stack);
    t.has_resource(
        "AWS::ECS::TaskDefinition",
        like(json!({"Metadata": {
            "guard": {"SuppressedRules": ["CT.ECS.PR.6", "CT.ECS.PR.3"], "Reasons": {
                "CT.ECS.PR.6": "container legacy needs a writable root filesystem (readonly_root_filesystem = false)",
                "CT.ECS.PR.3": "container legacy runs as its image's user (ContainerProps.user = None)"
            }}
        }})),
    )
    .unwrap();
    let c = &props_of(&t, "AWS::ECS::TaskDefinition")[0]["ContainerDefinitions"][0];
    assert_eq!(c.get("User"), None);
    assert_eq!(c["ReadonlyRootFilesystem"], json!(false));
}

#[test]
fn writable_paths_become_task_volumes() {
    let mut stack = Stack::new("Ecs");
    let td = FargateTaskDefinition::new(&mut stack.root(), "Task", FargateTaskDefinitionProps::default());
    let mut c = ContainerProps::new(nginx());
    c.writable_paths = vec!["/tmp".into(), "/var/cache/nginx".into()];
    td.add_container(&mut stack, "web", c);
    let t = template(&stack);
    t.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        like(json!({
            "Volumes": [{"Name": "web-writable-1"}, {"Name": "web-writable-2"}],
            "ContainerDefinitions": [{"MountPoints": [
                {"ContainerPath": "/tmp", "ReadOnly": false, "SourceVolume": "web-writable-1"},
                {"ContainerPath": "/var/cache/nginx", "ReadOnly": false, "SourceVolume": "web-writable-2"}
            ]}]
        })),
    )
    .unwrap();
}

#[test]
fn add_container_returns_the_container_to_add_ports_environment_and_secrets_to() {
    let db = || Secret::secrets_manager("arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf", None);
    // The same two containers, once fully described by their props, once completed through the
    // ContainerDefinitions add_container returned: the templates are identical.
    let mut by_props = Stack::new("Ecs");
    let td = FargateTaskDefinition::new(&mut by_props.root(), "Task", FargateTaskDefinitionProps::default());
    let mut sidecar = ContainerProps::new(nginx());
    sidecar.memory_limit_mib = Some(Value::from(128));
    let mut web = ContainerProps::new(nginx());
    web.memory_limit_mib = Some(Value::from(256));
    web.port_mappings = vec![Value::from(8080), Value::from(9090)];
    web.environment.insert("MODE".into(), "prod".into());
    web.secrets.insert("DB_PASSWORD".into(), db());
    td.add_container(&mut by_props, "sidecar", sidecar.clone());
    td.add_container(&mut by_props, "web", web.clone());

    let mut later = Stack::new("Ecs");
    let td = FargateTaskDefinition::new(&mut later.root(), "Task", FargateTaskDefinitionProps::default());
    let first = td.add_container(&mut later, "sidecar", sidecar);
    web.port_mappings.clear();
    web.environment.clear();
    web.secrets.clear();
    let c = td.add_container(&mut later, "web", web);
    assert_eq!(
        (c.name(), c.path(), c.container_port(&later)),
        ("web", "Task/web", None)
    );
    c.add_port_mappings(&mut later, [Value::from(8080), Value::from(9090)]);
    c.add_environment(&mut later, "MODE", "prod");
    let grant = c.add_secret(&mut later, "DB_PASSWORD", db());
    assert!(grant.success());
    assert_eq!(grant.actions(), ["secretsmanager:GetSecretValue"]);
    assert_eq!(c.container_port(&later), Some(Value::from(8080)));
    assert_eq!(first.container_port(&later), None);
    assert_eq!(c.task_definition().r#ref(), td.arn());
    assert_eq!(
        c.log_group().map(|g| g.path().to_owned()),
        Some("Task/webLogGroup".to_owned())
    );
    // A port added later is known to attach_to_target_group's final-state check.
    let svc = service(&mut later, &td);
    let tg = target_group(&mut later, "Tg");
    svc.attach_to_target_group(&mut later, &tg, "web", 9090);
    assert!(errors_of(&later).is_empty(), "{:?}", errors_of(&later));
    assert_eq!(
        props_of(&template(&later), "AWS::ECS::TaskDefinition"),
        props_of(&template(&by_props), "AWS::ECS::TaskDefinition")
    );
    assert_eq!(
        props_of(&template(&later), "AWS::IAM::Policy"),
        props_of(&template(&by_props), "AWS::IAM::Policy")
    );

    // Each addition is checked by the rules ContainerProps is checked by.
    c.add_port_mappings(&mut later, [Value::from(0)]);
    c.add_environment(&mut later, "AWS_ACCESS_KEY_ID", "AKIA…");
    c.add_environment(&mut later, "DB_PASSWORD", "x");
    assert!(c
        .add_secret(&mut later, "MODE", Secret::ssm_parameter_name("mode"))
        .success());
    assert_eq!(
        errors_of(&later),
        [
            "error: Ecs/Task/web: container port 0 is not in the range 1-65535",
            "error: Ecs/Task/web: environment variable AWS_ACCESS_KEY_ID must not be set in plain text; use an IAM role or a secret",
            "error: Ecs/Task/web: DB_PASSWORD is both an environment variable and a secret",
            "error: Ecs/Task/web: MODE is both an environment variable and a secret",
        ]
    );
}

#[test]
fn container_validation_messages() {
    let mut stack = Stack::new("Ecs");
    let td = FargateTaskDefinition::new(&mut stack.root(), "Task", FargateTaskDefinitionProps::default());
    let mut c = ContainerProps::new(nginx());
    c.port_mappings = vec![Value::from(0), Value::from(70000)];
    c.environment.insert("AWS_SECRET_ACCESS_KEY".into(), "x".into());
    c.environment.insert("TOKEN".into(), "x".into());
    c.secrets.insert("TOKEN".into(), Secret::ssm_parameter_name("token"));
    c.health_check = Some(ContainerHealthCheck {
        command: vec!["curl -f http://localhost/".into()],
        interval_secs: Some(1),
        timeout_secs: Some(61),
        retries: Some(11),
        start_period_secs: Some(301),
    });
    c.memory_limit_mib = Some(Value::from(4));
    c.writable_paths = vec!["tmp".into()];
    td.add_container(&mut stack, "my web", c);
    assert_eq!(
        errors_of(&stack),
        [
            "error: Ecs/Task/my web: container name \"my web\" must be 1-255 letters, digits, hyphens and underscores",
            "error: Ecs/Task/my web: container port 0 is not in the range 1-65535",
            "error: Ecs/Task/my web: container port 70000 is not in the range 1-65535",
            "error: Ecs/Task/my web: environment variable AWS_SECRET_ACCESS_KEY must not be set in plain text; use an IAM role or a secret",
            "error: Ecs/Task/my web: TOKEN is both an environment variable and a secret",
            "error: Ecs/Task/my web: health check command must be [\"CMD\", ...] or [\"CMD-SHELL\", \"...\"]",
            "error: Ecs/Task/my web: health check interval 1 is not in the range 5-300",
            "error: Ecs/Task/my web: health check timeout 61 is not in the range 2-60",
            "error: Ecs/Task/my web: health check retries 11 is not in the range 1-10",
            "error: Ecs/Task/my web: health check start period 301 is not in the range 0-300",
            "error: Ecs/Task/my web: container memory limit 4 MiB is below the minimum of 6 MiB",
            "error: Ecs/Task/my web: writable path \"tmp\" must be absolute",
        ]
    );
}

#[test]
fn task_definition_final_state_checks() {
    // No container at all.
    let mut empty = Stack::new("Ecs");
    FargateTaskDefinition::new(&mut empty.root(), "Task", FargateTaskDefinitionProps::default());
    assert_eq!(
        errors_of(&empty),
        ["error: Ecs/Task: a task definition needs at least one container (add_container)"]
    );

    // Two containers defaulting to the task memory, one name twice, none essential.
    let mut stack = Stack::new("Ecs");
    let td = FargateTaskDefinition::new(&mut stack.root(), "Task", FargateTaskDefinitionProps::default());
    for _ in 0..2 {
        let mut c = ContainerProps::new(nginx());
        c.essential = false;
        td.add_container(&mut stack, "web", c);
    }
    let mut sidecar = ContainerProps::new(nginx());
    sidecar.cpu = Some(512);
    sidecar.essential = false;
    sidecar.memory_limit_mib = Some(64.into());
    td.add_container(&mut stack, "sidecar", sidecar);
    let errors = errors_of(&stack);
    assert_eq!(
        errors.iter().filter(|e| e.starts_with("error: Ecs/Task:")).cloned().collect::<Vec<_>>(),
        [
            "error: Ecs/Task: container name \"web\" is used twice",
            "error: Ecs/Task: a task definition needs at least one essential container",
            "error: Ecs/Task: the containers' hard memory limits add up to 1088 MiB, above the task memory of 512 MiB; set memory_limit_mib on each container",
            "error: Ecs/Task: the containers' cpu add up to 512 units, above the task cpu of 256",
        ]
    );
}

#[test]
fn task_definition_props_validation() {
    let mut stack = Stack::new("Ecs");
    let td = FargateTaskDefinition::new(
        &mut stack.root(),
        "Task",
        FargateTaskDefinitionProps {
            family: Some("my family".into()),
            ephemeral_storage_gib: Some(10),
            ..FargateTaskDefinitionProps::default()
        },
    );
    let mut c = ContainerProps::new(nginx());
    c.logging = Logging::None;
    td.add_container(&mut stack, "web", c);
    assert_eq!(
        errors_of(&stack),
        [
            "error: Ecs/Task: ephemeral storage 10 GiB is not in the range 21-200",
            "error: Ecs/Task: family \"my family\" must be 1-255 letters, digits, hyphens and underscores",
        ]
    );
    let mut ok = Stack::new("Ecs");
    let td = FargateTaskDefinition::new(&mut ok.root(), "Task", FargateTaskDefinitionProps::default());
    let mut c = ContainerProps::new(nginx());
    c.logging = Logging::None;
    td.add_container(&mut ok, "web", c);
    assert_eq!(
        warnings_of(&ok),
        ["warning: Ecs/Task/web: container without logging: the output of failing tasks is lost (CT.ECS.PR.5)"]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Fargate service

#[test]
fn service_defaults_are_private_and_roll_back() {
    let mut stack = Stack::new("Ecs");
    let td = web_task(&mut stack);
    let svc = service(&mut stack, &td);
    let t = template(&stack);
    t.has_resource_properties(
        "AWS::ECS::Service",
        like(json!({
            "Cluster": "apps",
            "LaunchType": "FARGATE",
            "PlatformVersion": "LATEST",
            "DesiredCount": 1,
            "EnableExecuteCommand": false,
            "DeploymentConfiguration": {
                "MinimumHealthyPercent": 100, "MaximumPercent": 200,
                "DeploymentCircuitBreaker": {"Enable": true, "Rollback": true}
            },
            "NetworkConfiguration": {"AwsvpcConfiguration": {
                "AssignPublicIp": "DISABLED",
                "Subnets": ["subnet-00000000000000001", "subnet-00000000000000002"]
            }}
        })),
    )
    .unwrap();
    // Its own security group, no ingress, egress restricted.
    t.resource_count_is("AWS::EC2::SecurityGroup", 1).unwrap();
    t.resource_count_is("AWS::EC2::SecurityGroupIngress", 0).unwrap();
    assert_eq!(svc.security_groups().len(), 1);
    assert_eq!(svc.connections().security_groups.len(), 1);
}

#[test]
fn service_public_ip_and_exec_are_opt_in() {
    let mut stack = Stack::new("Ecs");
    let td = web_task(&mut stack);
    let mut p = FargateServiceProps::new(Cluster::from_name("apps".into()), td, subnets(1));
    p.security_groups = vec![SecurityGroup::from_id("sg-12345678".into())];
    p.assign_public_ip = true;
    p.enable_execute_command = true;
    FargateService::new(&mut stack.root(), "Svc", p);
    let t = template(&stack);
    t.has_resource(
        "AWS::ECS::Service",
        like(json!({
            "Properties": {"EnableExecuteCommand": true, "NetworkConfiguration": {"AwsvpcConfiguration": {
                "AssignPublicIp": "ENABLED", "SecurityGroups": ["sg-12345678"]}}},
            "Metadata": {"guard": {"SuppressedRules": ["CT.ECS.PR.9"]}}
        })),
    )
    .unwrap();
    t.resource_count_is("AWS::EC2::SecurityGroup", 0).unwrap();
    // The task role got the ECS Exec channel permissions.
    let policies = props_of(&t, "AWS::IAM::Policy");
    assert!(policies
        .iter()
        .any(|p| p["PolicyDocument"]["Statement"][0]["Action"][0] == json!("ssmmessages:CreateControlChannel")));
}

#[test]
fn service_validation_messages() {
    let mut stack = Stack::new("Ecs");
    let td = web_task(&mut stack);
    let mut p = FargateServiceProps::new(Cluster::from_name("apps".into()), td, Vec::new());
    p.min_healthy_percent = 150;
    p.max_percent = 120;
    p.desired_count = Value::from(-1);
    p.service_name = Some("my service".into());
    p.health_check_grace_period_secs = Some(30);
    p.platform_version = "latest-ish".to_owned();
    FargateService::new(&mut stack.root(), "Svc", p);
    assert_eq!(
        errors_of(&stack),
        [
            "error: Ecs/Svc: a Fargate service needs at least one subnet",
            "error: Ecs/Svc: platform_version \"latest-ish\" must be LATEST or a Fargate platform version such as 1.4.0",
            "error: Ecs/Svc: min_healthy_percent 150 is above 100",
            "error: Ecs/Svc: max_percent 120 must be at least 100 and above min_healthy_percent 150",
            "error: Ecs/Svc: desired count -1 must not be negative",
            "error: Ecs/Svc: service name \"my service\" must be 1-255 letters, digits, hyphens and underscores",
            "error: Ecs/Svc: a Fargate service needs security_groups or a vpc_id to create its security group in",
            "error: Ecs/Svc/SecurityGroup: vpc_id is required",
            "error: Ecs/Svc: health_check_grace_period_secs only applies to a service behind a load balancer",
        ]
    );
    let mut many = Stack::new("Ecs");
    let td = web_task(&mut many);
    let mut p = FargateServiceProps::new(Cluster::from_name("apps".into()), td, subnets(17));
    p.vpc_id = Some("vpc-1".into());
    FargateService::new(&mut many.root(), "Svc", p);
    assert_eq!(
        errors_of(&many),
        ["error: Ecs/Svc: a Fargate service allows at most 16 subnets; 17 given"]
    );
}

#[test]
fn attaching_to_a_target_group_checks_container_port_and_target_type() {
    let mut stack = Stack::new("Ecs");
    let td = web_task(&mut stack);
    let svc = service(&mut stack, &td);
    let tg = target_group(&mut stack, "Tg");
    let mut ip = TargetGroupProps::new("vpc-1", 80);
    ip.target_type = proton_synth_constructs::elbv2::TargetType::Instance;
    let instance_tg = ApplicationTargetGroup::new(&mut stack.root(), "InstanceTg", ip);
    svc.attach_to_target_group(&mut stack, &tg, "api", 80);
    svc.attach_to_target_group(&mut stack, &tg, "web", 8080);
    svc.attach_to_target_group(&mut stack, &instance_tg, "web", 80);
    assert_eq!(
        errors_of(&stack),
        [
            "error: Ecs/Svc: target group InstanceTg must have target type ip for a Fargate service",
            "error: Ecs/Svc: load balancer target: container \"api\" is not defined in task definition Ecs/Task",
            "error: Ecs/Svc: load balancer target: container \"web\" has no port mapping for port 8080",
        ]
    );
}

#[test]
fn service_depends_on_the_listener_forwarding_to_its_target_group_whatever_the_order() {
    let mut stack = Stack::new("Ecs");
    let td = web_task(&mut stack);
    let svc = service(&mut stack, &td);
    let tg = target_group(&mut stack, "Tg");
    // Attached before any listener exists …
    svc.attach_to_target_group(&mut stack, &tg, "web", 80);
    let lb = alb(&mut stack);
    let listener = lb.add_listener(
        &mut stack,
        "Http",
        ListenerProps::http(80, ListenerAction::forward(&tg)),
    );
    let synth = stack.synth(Mode::Plain).unwrap();
    let listener_id = &synth.logical_ids[listener.path()];
    let service_id = &synth.logical_ids[&format!("{}/Resource", svc.path())];
    assert_eq!(
        synth.template["Resources"][service_id]["DependsOn"],
        json!([listener_id])
    );
    // … and the service's LoadBalancers entry names the container and target group.
    let t = Template::from_json(synth.template.clone());
    t.has_resource_properties(
        "AWS::ECS::Service",
        like(json!({"LoadBalancers": [{"ContainerName": "web", "ContainerPort": 80}]})),
    )
    .unwrap();
}

// ---------------------------------------------------------------------------------------------------------------
// Auto scaling

#[test]
fn task_count_scaling_policies() {
    let mut stack = Stack::new("Ecs");
    let td = web_task(&mut stack);
    let svc = service(&mut stack, &td);
    let tg = target_group(&mut stack, "Tg");
    let lb = alb(&mut stack);
    lb.add_listener(
        &mut stack,
        "Http",
        ListenerProps::http(80, ListenerAction::forward(&tg)),
    );
    svc.attach_to_target_group(&mut stack, &tg, "web", 80);
    let count = svc.auto_scale_task_count(&mut stack, 1, 10);
    count.scale_on_cpu_utilization(&mut stack, 50.0);
    count.scale_on_memory_utilization(&mut stack, 70.0);
    let req = count.scale_on_request_count(&mut stack, 1000, &tg);
    let t = template(&stack);
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        Match::members([
            ("MinCapacity", Match::exact(json!(1))),
            ("MaxCapacity", Match::exact(json!(10))),
            ("ServiceNamespace", Match::exact(json!("ecs"))),
            ("ScalableDimension", Match::exact(json!("ecs:service:DesiredCount"))),
            ("RoleARN", Match::absent()),
            ("ResourceId", Match::any_value()),
        ]),
    )
    .unwrap();
    for (metric, value) in [
        ("ECSServiceAverageCPUUtilization", 50.0),
        ("ECSServiceAverageMemoryUtilization", 70.0),
        ("ALBRequestCountPerTarget", 1000.0),
    ] {
        t.has_resource_properties(
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            like(json!({
                "PolicyType": "TargetTrackingScaling",
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": value,
                    "PredefinedMetricSpecification": {"PredefinedMetricType": metric}
                }
            })),
        )
        .unwrap();
    }
    let synth = stack.synth(Mode::Plain).unwrap();
    let req_id = synth
        .logical_ids
        .values()
        .find(|id| id.starts_with("TaskTaskCountRequestCountScaling") || id.contains("RequestCountScaling"))
        .unwrap()
        .clone();
    let req_json = &synth.template["Resources"][&req_id];
    let label = &req_json["Properties"]["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]
        ["ResourceLabel"];
    assert!(
        label["Fn::Join"][1][0]["Fn::GetAtt"][1] == json!("LoadBalancerFullName"),
        "{label}"
    );
    assert_eq!(req_json["DependsOn"].as_array().unwrap().len(), 1);
    let _ = req;
}

#[test]
fn step_scaling_matches_the_aws_sample() {
    let mut stack = Stack::new("Ecs");
    let td = web_task(&mut stack);
    let svc = service(&mut stack, &td);
    let count = svc.auto_scale_task_count(&mut stack, 1, 10);
    let steps = count.scale_on_cpu_steps(&mut stack, aws_sample_cpu_steps());
    assert!(steps.scale_out_alarm.is_some() && steps.scale_in_alarm.is_some());
    let t = template(&stack);
    t.resource_count_is("AWS::CloudWatch::Alarm", 2).unwrap();
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        like(json!({
            "PolicyType": "StepScaling",
            "StepScalingPolicyConfiguration": {
                "AdjustmentType": "ChangeInCapacity", "Cooldown": 60, "MetricAggregationType": "Average",
                "StepAdjustments": [
                    {"MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 15.0, "ScalingAdjustment": 1},
                    {"MetricIntervalLowerBound": 15.0, "MetricIntervalUpperBound": 25.0, "ScalingAdjustment": 2},
                    {"MetricIntervalLowerBound": 25.0, "ScalingAdjustment": 3}
                ]
            }
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        like(json!({"StepScalingPolicyConfiguration": {
            "StepAdjustments": [{"MetricIntervalUpperBound": 0.0, "ScalingAdjustment": -1}]
        }})),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        like(json!({
            "MetricName": "CPUUtilization", "Namespace": "AWS/ECS", "Statistic": "Average", "Period": 60,
            "EvaluationPeriods": 1, "Threshold": 70.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "ActionsEnabled": true,
            "Dimensions": [{"Name": "ServiceName"}, {"Name": "ClusterName", "Value": "apps"}]
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        like(json!({"Threshold": 20.0, "ComparisonOperator": "LessThanOrEqualToThreshold"})),
    )
    .unwrap();
}

#[test]
fn scaling_validation_messages() {
    let mut stack = Stack::new("Ecs");
    let td = web_task(&mut stack);
    let svc = service(&mut stack, &td);
    let count = svc.auto_scale_task_count(&mut stack, 5, 2);
    count.scale_on_cpu_utilization(&mut stack, 120.0);
    count.scale_on_memory_utilization(&mut stack, 0.5);
    assert_eq!(
        errors_of(&stack),
        [
            "error: Ecs/Svc/TaskCount: min capacity 5 is greater than max capacity 2",
            "error: Ecs/Svc/TaskCount: desired count 1 is outside the auto scaling range 5-2",
            "error: Ecs/Svc/TaskCount/CpuScaling: target CPU utilization 120 % is not in the range 1-100",
            "error: Ecs/Svc/TaskCount/MemoryScaling: target memory utilization 0.5 % is not in the range 1-100",
        ]
    );

    let mut s2 = Stack::new("Ecs");
    let td = web_task(&mut s2);
    let mut p = FargateServiceProps::new(Cluster::from_name("apps".into()), td, subnets(2));
    p.vpc_id = Some("vpc-1".into());
    p.desired_count = 12.into();
    let svc = FargateService::new(&mut s2.root(), "Svc", p);
    let count = svc.auto_scale_task_count(&mut s2, 1, 10);
    let tg = target_group(&mut s2, "Tg");
    count.scale_on_request_count(&mut s2, 0, &tg);
    assert_eq!(
        errors_of(&s2),
        [
            "error: Ecs/Svc/TaskCount: desired count 12 is outside the auto scaling range 1-10",
            "error: Ecs/Svc/TaskCount/RequestCountScaling: requests per target must be at least 1",
            "error: Ecs/Svc/TaskCount/RequestCountScaling: ALBRequestCountPerTarget needs a resource label: attach the target group to a load balancer listener first",
        ]
    );

    // A late-bound desired count is not checked.
    let mut s3 = Stack::new("Ecs");
    let td = web_task(&mut s3);
    let mut p = FargateServiceProps::new(Cluster::from_name("apps".into()), td, subnets(2));
    p.vpc_id = Some("vpc-1".into());
    p.desired_count = proton_number("service_instance.inputs.desired_count", 50);
    let svc = FargateService::new(&mut s3.root(), "Svc", p);
    svc.auto_scale_task_count(&mut s3, 1, 10)
        .scale_on_cpu_utilization(&mut s3, 50.0);
    assert_eq!(errors_of(&s3), Vec::<String>::new());
}

#[test]
fn step_validation_messages() {
    assert_eq!(validate_steps(&[]), ["step scaling needs at least one step"]);
    assert_eq!(
        validate_steps(&[
            ScalingStep::new(None, None, 1),
            ScalingStep::new(Some(80.0), Some(70.0), 1),
            ScalingStep::new(Some(10.0), Some(20.0), 0),
            ScalingStep::new(None, Some(20.0), 1),
            ScalingStep::new(Some(20.0), None, -1),
        ]),
        [
            "scaling step #1 has neither a lower nor an upper bound",
            "scaling step #2: lower bound 80 is not below the upper bound 70",
            "scaling step #3 has a change of 0",
            "scaling step #4 scales out (change +1) but has no lower bound",
            "scaling step #5 scales in (change -1) but has no upper bound",
        ]
    );
    assert_eq!(
        validate_steps(&[
            ScalingStep::new(Some(70.0), Some(80.0), 1),
            ScalingStep::new(Some(85.0), None, 2),
            ScalingStep::new(None, Some(75.0), -1),
        ]),
        [
            "scaling steps #1 and #2 must meet: the upper bound of one (80) must be the lower bound of the next (85)",
            "the scale-in threshold 75 is above the scale-out threshold 70",
        ]
    );
    // Reported at the policy's path, and nothing is emitted.
    let mut stack = Stack::new("Aas");
    let target = ScalableTarget::new(
        &mut stack.root(),
        "Target",
        ScalableTargetProps {
            service_namespace: "ecs".into(),
            resource_id: "service/c/s".into(),
            scalable_dimension: "ecs:service:DesiredCount".into(),
            min_capacity: 1,
            max_capacity: 0,
        },
    );
    let metric = Metric {
        namespace: "AWS/ECS".into(),
        metric_name: "CPUUtilization".into(),
        dimensions: Vec::new(),
        statistic: "Average".into(),
        period_secs: 45,
    };
    let mut props = StepScalingProps::new(metric, vec![ScalingStep::new(Some(10.0), None, 0)]);
    props.evaluation_periods = 0;
    target.scale_on_metric(&mut stack, "Cpu", props);
    assert_eq!(
        errors_of(&stack),
        [
            "error: Aas/Target: min capacity 1 is greater than max capacity 0",
            "error: Aas/Target: max capacity must be at least 1",
            "error: Aas/Target/Cpu: scaling step #1 has a change of 0",
            "error: Aas/Target/Cpu: evaluation periods must be at least 1",
            "error: Aas/Target/Cpu: metric period 45 s must be 10, 30 or a multiple of 60",
        ]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Load balancers

#[test]
fn alb_defaults_are_hardened() {
    let mut stack = Stack::new("Lb");
    let lb = alb(&mut stack);
    let tg = target_group(&mut stack, "Tg");
    lb.add_listener(
        &mut stack,
        "Http",
        ListenerProps::http(80, ListenerAction::forward(&tg)),
    );
    assert!(lb.is_internet_facing());
    let t = template(&stack);
    t.has_resource(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        like(json!({
            "Properties": {
                "Type": "application",
                "Scheme": "internet-facing",
                "LoadBalancerAttributes": [
                    {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
                    {"Key": "deletion_protection.enabled", "Value": "true"},
                    {"Key": "access_logs.s3.enabled", "Value": "false"}
                ]
            },
            "Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_91"}]}, "guard": {"SuppressedRules": ["CT.ELASTICLOADBALANCING.PR.6"]}}
        })),
    )
    .unwrap();
    // Security group: ingress only on the listener port, from anywhere, with a reason; no egress until targets.
    t.resource_count_is("AWS::EC2::SecurityGroupIngress", 1).unwrap();
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        like(json!({"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"})),
    )
    .unwrap();
    t.resource_count_is("AWS::EC2::SecurityGroupEgress", 0).unwrap();
    // HTTP without a certificate: suppressions saying so.
    t.has_resource(
        "AWS::ElasticLoadBalancingV2::Listener",
        like(json!({
            "Properties": {"Port": 80, "Protocol": "HTTP", "DefaultActions": [{"Type": "forward"}]},
            "Metadata": {"guard": {"SuppressedRules": ["CT.ELASTICLOADBALANCING.PR.1"]}}
        })),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        like(json!({"TargetType": "ip", "Protocol": "HTTP", "Port": 80, "HealthCheckPath": "/"})),
    )
    .unwrap();
}

#[test]
fn alb_options_access_logs_and_opt_outs() {
    let mut stack = Stack::new("Lb");
    let mut p = AlbProps::new("vpc-1", subnets(2), false);
    p.access_logs = Some(AccessLogs::new("logs-bucket", Some("alb")));
    p.deletion_protection = false;
    p.drop_invalid_header_fields = false;
    p.idle_timeout_secs = Some(30);
    p.name = Some("internal-api".replace("internal-", "api-"));
    let lb = ApplicationLoadBalancer::new(&mut stack.root(), "Alb", p);
    let t = template(&stack);
    t.has_resource(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        like(json!({
            "Properties": {
                "Scheme": "internal", "Name": "api-api",
                "LoadBalancerAttributes": [
                    {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "false"},
                    {"Key": "deletion_protection.enabled", "Value": "false"},
                    {"Key": "idle_timeout.timeout_seconds", "Value": "30"},
                    {"Key": "access_logs.s3.enabled", "Value": "true"},
                    {"Key": "access_logs.s3.bucket", "Value": "logs-bucket"},
                    {"Key": "access_logs.s3.prefix", "Value": "alb"}
                ]
            },
            "Metadata": {
                "checkov": {"skip": [{"id": "CKV_AWS_131"}]},
                "guard": {"SuppressedRules": ["CT.ELASTICLOADBALANCING.PR.5", "CT.ELASTICLOADBALANCING.PR.4"]}
            }
        })),
    )
    .unwrap();
    assert!(!lb.is_internet_facing());
}

#[test]
fn alb_logging_to_a_bucket_construct_waits_for_its_policy() {
    let mut stack = Stack::new("Lb");
    let bucket = proton_synth_constructs::s3::Bucket::new(
        &mut stack.root(),
        "Logs",
        proton_synth_constructs::s3::BucketProps::default(),
    );
    let mut p = AlbProps::new("vpc-1", subnets(2), true);
    p.access_logs = Some(AccessLogs::bucket(&bucket, Some("alb")));
    let lb = ApplicationLoadBalancer::new(&mut stack.root(), "Alb", p);
    let synth = stack.synth(Mode::Plain).unwrap_or_else(|e| panic!("{e}"));
    let lb_json = &synth.template["Resources"][&synth.logical_ids[&format!("{}/Resource", lb.path())]];
    let policy = bucket.policy_handle().map(|_| "policy").unwrap_or("none");
    assert_eq!(policy, "policy");
    assert_eq!(lb_json["DependsOn"].as_array().map(Vec::len), Some(1), "{lb_json}");
    let attrs = &lb_json["Properties"]["LoadBalancerAttributes"];
    assert!(attrs
        .as_array()
        .unwrap()
        .contains(&json!({"Key": "access_logs.s3.prefix", "Value": "alb"})));
    assert_eq!(lb_json["Metadata"], J::Null);
}

#[test]
fn load_balancer_and_target_group_names_are_checked() {
    let mut stack = Stack::new("Lb");
    for (id, name) in [
        ("A", "a-very-long-load-balancer-name-of-40-chars"),
        ("B", "my_alb"),
        ("C", "-alb"),
        ("D", "internal-alb"),
    ] {
        let mut p = AlbProps::new("vpc-1", subnets(2), true);
        p.name = Some(name.to_owned());
        ApplicationLoadBalancer::new(&mut stack.root(), id, p);
    }
    let mut p = TargetGroupProps::new("vpc-1", 80);
    p.name = Some("tg-".into());
    ApplicationTargetGroup::new(&mut stack.root(), "Tg", p);
    // A late-bound name (Proton's truncate expression) is not checked.
    let mut p = TargetGroupProps::new("vpc-1", 80);
    p.name = Some(proton(
        "(service.name~\"--\"~service_instance.name)|truncate(29, true, 'zzz')",
        "svc--inst",
    ));
    ApplicationTargetGroup::new(&mut stack.root(), "Tg2", p);
    assert_eq!(
        errors_of(&stack),
        [
            "error: Lb/A: load balancer name \"a-very-long-load-balancer-name-of-40-chars\" is 42 characters; at most 32 are allowed",
            "error: Lb/B: load balancer name \"my_alb\" may only contain alphanumeric characters and hyphens",
            "error: Lb/C: load balancer name \"-alb\" must not begin or end with a hyphen",
            "error: Lb/D: load balancer name \"internal-alb\" must not begin with \"internal-\"",
            "error: Lb/Tg: target group name \"tg-\" must not begin or end with a hyphen",
        ]
    );
}

#[test]
fn alb_and_target_group_validation_messages() {
    let mut stack = Stack::new("Lb");
    let mut p = AlbProps::new("vpc-1", subnets(1), true);
    p.idle_timeout_secs = Some(0);
    ApplicationLoadBalancer::new(&mut stack.root(), "Alb", p);
    let mut tp = TargetGroupProps::new("vpc-1", 70000);
    tp.health_check = HealthCheck {
        path: Some("health".into()),
        interval_secs: Some(5),
        timeout_secs: Some(10),
        ..HealthCheck::default()
    };
    tp.deregistration_delay_secs = Some(4000);
    ApplicationTargetGroup::new(&mut stack.root(), "Tg", tp);
    ApplicationTargetGroup::new(&mut stack.root(), "Zero", TargetGroupProps::new("vpc-1", 0));
    assert_eq!(
        errors_of(&stack),
        [
            "error: Lb/Alb: an application load balancer needs subnets in at least two Availability Zones; 1 given",
            "error: Lb/Alb: idle timeout 0 s is not in the range 1-4000",
            "error: Lb/Tg: target group port 70000 is not in the range 1-65535",
            "error: Lb/Tg: health check timeout 10 s must be shorter than the interval 5 s",
            "error: Lb/Tg: health check path \"health\" must begin with '/'",
            "error: Lb/Tg: deregistration delay 4000 s is above the maximum 3600 s",
            "error: Lb/Zero: target group port 0 is not in the range 1-65535",
        ]
    );
}

#[test]
fn https_listener_uses_the_current_tls_policy_and_redirects_http() {
    let mut stack = Stack::new("Lb");
    let lb = alb(&mut stack);
    let tg = target_group(&mut stack, "Tg");
    let cert = Value::from("arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012");
    let https = lb.add_listener(
        &mut stack,
        "Https",
        ListenerProps::https(443, vec![cert], ListenerAction::forward(&tg)),
    );
    let redirect = lb.redirect_http_to_https(&mut stack, 443);
    assert_eq!((https.port(), https.protocol()), (443, ApplicationProtocol::Https));
    assert_eq!(redirect.port(), 80);
    let t = template(&stack);
    t.has_resource(
        "AWS::ElasticLoadBalancingV2::Listener",
        Match::members([
            (
                "Properties",
                like(json!({"Port": 443, "Protocol": "HTTPS", "SslPolicy": DEFAULT_SSL_POLICY,
                    "Certificates": [{"CertificateArn": "arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012"}]})),
            ),
            ("Metadata", Match::absent()),
        ]),
    )
    .unwrap();
    t.has_resource(
        "AWS::ElasticLoadBalancingV2::Listener",
        Match::members([
            (
                "Properties",
                like(
                    json!({"Port": 80, "Protocol": "HTTP", "DefaultActions": [{"Type": "redirect",
                    "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]}),
                ),
            ),
            ("Metadata", Match::absent()),
        ]),
    )
    .unwrap();
    t.resource_count_is("AWS::EC2::SecurityGroupIngress", 2).unwrap();
}

#[test]
fn listener_validation_messages() {
    let mut stack = Stack::new("Lb");
    let lb = alb(&mut stack);
    let tg = target_group(&mut stack, "Tg");
    lb.add_listener(
        &mut stack,
        "Https",
        ListenerProps::https(443, Vec::new(), ListenerAction::forward(&tg)),
    );
    let mut http = ListenerProps::http(8080, ListenerAction::forward(&tg));
    http.certificate_arns = vec!["arn:aws:acm:eu-west-1:111122223333:certificate/x".into()];
    lb.add_listener(&mut stack, "Http", http);
    let mut policy = ListenerProps::http(8081, ListenerAction::fixed_response(404));
    policy.ssl_policy = Some(DEFAULT_SSL_POLICY.into());
    lb.add_listener(&mut stack, "Policy", policy);
    let mut legacy = ListenerProps::https(
        8443,
        vec!["arn:aws:acm:eu-west-1:111122223333:certificate/x".into()],
        ListenerAction::fixed_response(404),
    );
    legacy.ssl_policy = Some("ELBSecurityPolicy-2016-08".into());
    lb.add_listener(&mut stack, "Legacy", legacy);
    lb.add_listener(
        &mut stack,
        "Zero",
        ListenerProps::http(0, ListenerAction::fixed_response(700)),
    );
    lb.add_listener(
        &mut stack,
        "Fixed",
        ListenerProps::http(
            8082,
            ListenerAction::FixedResponse {
                status_code: 200,
                content_type: Some("text/xml".into()),
                message_body: Some("x".repeat(1025)),
            },
        ),
    );
    lb.add_listener(
        &mut stack,
        "Redirect",
        ListenerProps::http(
            8083,
            ListenerAction::Redirect {
                protocol: None,
                port: None,
                host: None,
                path: None,
                query: None,
                permanent: false,
            },
        ),
    );
    assert_eq!(
        errors_of(&stack),
        [
            "error: Lb/Alb/Https: HTTPS listener on port 443 needs at least one certificate ARN",
            "error: Lb/Alb/Http: HTTP listener on port 8080 cannot use certificates; use ApplicationProtocol::Https",
            "error: Lb/Alb/Policy: HTTP listener on port 8081 cannot have an SSL policy",
            "error: Lb/Alb/Legacy: SSL policy ELBSecurityPolicy-2016-08 allows TLS versions below 1.2; use ELBSecurityPolicy-TLS13-1-2-2021-06 or another TLS 1.2+ policy",
            "error: Lb/Alb/Zero: listener port 0 is not in the range 1-65535",
            "error: Lb/Alb/Zero: fixed response status code 700 is not in the range 200-599",
            "error: Lb/Alb/Fixed: fixed response content type \"text/xml\" is not one of: text/plain, text/css, text/html, application/javascript, application/json",
            "error: Lb/Alb/Fixed: fixed response message body is longer than 1024 bytes",
            "error: Lb/Alb/Redirect: a redirect must change at least one of protocol, port, host, path or query",
        ]
    );
}

#[test]
fn listener_rules_and_duplicate_priorities() {
    let mut stack = Stack::new("Lb");
    let lb = alb(&mut stack);
    let tg = target_group(&mut stack, "Tg");
    let api = target_group(&mut stack, "Api");
    let listener = lb.add_listener(
        &mut stack,
        "Http",
        ListenerProps::http(80, ListenerAction::fixed_response(404)),
    );
    let rule = listener.add_rule(
        &mut stack,
        "Api",
        10,
        vec![
            Condition::PathPatterns(vec!["/api/*".into()]),
            Condition::HostHeaders(vec!["example.com".into()]),
        ],
        ListenerAction::forward(&api),
    );
    assert_eq!(rule.priority(), 10);
    let t = template(&stack);
    t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        like(json!({
            "Priority": 10,
            "Conditions": [
                {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}},
                {"Field": "host-header", "HostHeaderConfig": {"Values": ["example.com"]}}
            ],
            "Actions": [{"Type": "forward"}]
        })),
    )
    .unwrap();

    // The same priority twice on one listener, seen at synthesis whatever the construct that added it.
    ApplicationListenerRule::new(
        &mut stack.root(),
        "Other",
        RuleProps {
            listener: listener.clone(),
            priority: 10,
            conditions: vec![Condition::PathPatterns(vec!["/other/*".into()])],
            action: ListenerAction::forward(&tg),
        },
    );
    // Another listener may reuse it.
    let other = lb.add_listener(
        &mut stack,
        "Other",
        ListenerProps::http(8080, ListenerAction::fixed_response(404)),
    );
    other.add_rule(
        &mut stack,
        "Api",
        10,
        vec![Condition::PathPatterns(vec!["/api/*".into()])],
        ListenerAction::forward(&api),
    );
    assert_eq!(
        errors_of(&stack),
        ["error: Lb/Alb/Http: listener rule priority 10 is used twice on listener Lb/Alb/Http"]
    );
}

#[test]
fn two_listeners_on_one_port_of_a_load_balancer_are_rejected() {
    let mut stack = Stack::new("Lb");
    let lb = alb(&mut stack);
    let other = ApplicationLoadBalancer::new(&mut stack.root(), "Other", AlbProps::new("vpc-1", subnets(2), true));
    for (id, port) in [("A", 80), ("B", 8080), ("C", 80)] {
        lb.add_listener(
            &mut stack,
            id,
            ListenerProps::http(port, ListenerAction::fixed_response(404)),
        );
    }
    // Another load balancer may use the same port.
    other.add_listener(
        &mut stack,
        "A",
        ListenerProps::http(80, ListenerAction::fixed_response(404)),
    );
    assert_eq!(
        errors_of(&stack),
        [
            "error: Lb/Alb/A: listener port 80 is used by 2 listeners of load balancer Lb/Alb",
            "error: Lb/Alb/C: listener port 80 is used by 2 listeners of load balancer Lb/Alb",
        ]
    );
}

#[test]
fn listener_rule_validation_messages() {
    let mut stack = Stack::new("Lb");
    let lb = alb(&mut stack);
    let listener = lb.add_listener(
        &mut stack,
        "Http",
        ListenerProps::http(80, ListenerAction::fixed_response(404)),
    );
    listener.add_rule(&mut stack, "Zero", 0, Vec::new(), ListenerAction::fixed_response(200));
    listener.add_rule(
        &mut stack,
        "Many",
        50001,
        vec![
            Condition::PathPatterns(vec!["/a".into(), "/b".into(), "/c".into()]),
            Condition::HostHeaders(vec!["a.example.com".into(), "b.example.com".into(), "x".repeat(129)]),
            Condition::HostHeaders(Vec::new()),
        ],
        ListenerAction::fixed_response(200),
    );
    assert_eq!(
        errors_of(&stack),
        [
            "error: Lb/Alb/Http/Zero: listener rule priority 0 is not in the range 1-50000",
            "error: Lb/Alb/Http/Zero: a listener rule needs at least one condition",
            "error: Lb/Alb/Http/Many: listener rule priority 50001 is not in the range 1-50000",
            "error: Lb/Alb/Http/Many: a listener rule allows at most 5 condition values in total; 6 given",
            &format!(
                "error: Lb/Alb/Http/Many: host header {:?} is longer than 128 characters",
                "x".repeat(129)
            ),
            "error: Lb/Alb/Http/Many: a host header condition needs at least one value",
        ]
    );
}

#[test]
fn network_load_balancer_with_tcp_listener_and_target_group() {
    let mut stack = Stack::new("Nlb");
    let nlb = NetworkLoadBalancer::new(&mut stack.root(), "Nlb", NlbProps::new(subnets(2), false));
    let tg = NetworkTargetGroup::new(&mut stack.root(), "Tcp", NetworkTargetGroupProps::new("vpc-1", 5432));
    let listener = nlb.add_listener(&mut stack, "Pg", 5432, &tg);
    assert_eq!(listener.port(), 5432);
    let td = web_task(&mut stack);
    let svc = service(&mut stack, &td);
    svc.attach_to_network_target_group(&mut stack, &tg, "web", 80);
    let synth = stack.synth(Mode::Plain);
    // Port 80 of the container is what the service registers; the group's port is the default only.
    let t = Template::from_json(synth.unwrap().template);
    t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        like(
            json!({"Type": "network", "Scheme": "internal", "LoadBalancerAttributes": [
                {"Key": "deletion_protection.enabled", "Value": "true"},
                {"Key": "load_balancing.cross_zone.enabled", "Value": "true"},
                {"Key": "access_logs.s3.enabled", "Value": "false"}
            ]}),
        ),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        like(json!({"Port": 5432, "Protocol": "TCP", "DefaultActions": [{"Type": "forward"}]})),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        like(json!({"Port": 5432, "Protocol": "TCP", "HealthCheckProtocol": "TCP", "TargetType": "ip"})),
    )
    .unwrap();
    t.has_resource(
        "AWS::ECS::Service",
        like(json!({"DependsOn": [t.find_resources("AWS::ElasticLoadBalancingV2::Listener")[0].0]})),
    )
    .unwrap();

    let mut bad = Stack::new("Nlb");
    let mut p = NlbProps::new(Vec::new(), true);
    p.name = Some("internal-db".into());
    let nlb = NetworkLoadBalancer::new(&mut bad.root(), "Nlb", p);
    let tg = NetworkTargetGroup::new(&mut bad.root(), "Tcp", NetworkTargetGroupProps::new("vpc-1", 0));
    nlb.add_listener(&mut bad, "Zero", 0, &tg);
    assert_eq!(
        errors_of(&bad),
        [
            "error: Nlb/Nlb: load balancer name \"internal-db\" must not begin with \"internal-\"",
            "error: Nlb/Nlb: a network load balancer needs at least one subnet",
            "error: Nlb/Tcp: target group port 0 is not in the range 1-65535",
            "error: Nlb/Nlb/Zero: listener port 0 is not in the range 1-65535",
        ]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Pattern

/// The inventory of a default LoadBalancedFargateService (HTTP, no scaling) next to a created VPC and cluster.
#[test]
fn pattern_composes_vpc_cluster_and_service() {
    let mut stack = Stack::new("App");
    let vpc = Vpc::new(&mut stack.root(), "Vpc", VpcProps::default());
    let cluster = Cluster::new(&mut stack.root(), "Cluster", ClusterProps::default());
    let svc = LoadBalancedFargateService::new(
        &mut stack.root(),
        "Web",
        LoadBalancedFargateServiceProps::new(cluster, vpc.as_ref(), nginx()),
    );
    let t = template(&stack);
    for (ty, n) in [
        ("AWS::ElasticLoadBalancingV2::LoadBalancer", 1),
        ("AWS::ElasticLoadBalancingV2::Listener", 1),
        ("AWS::ElasticLoadBalancingV2::TargetGroup", 1),
        ("AWS::ECS::Cluster", 1),
        ("AWS::ECS::Service", 1),
        ("AWS::ECS::TaskDefinition", 1),
        ("AWS::IAM::Role", 2 + 1), // execution, task, and the VPC's flow-log role
        ("AWS::ApplicationAutoScaling::ScalableTarget", 0),
    ] {
        t.resource_count_is(ty, n).unwrap();
    }
    // The ALB sits in the public subnets, the service in the private ones; the ALB may reach the service on
    // the container port only, and nothing else is open.
    let lb = &props_of(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer")[0];
    let public: Vec<J> = vpc
        .public_subnet_ids()
        .into_iter()
        .map(|s| format!("{:?}", s.expr()).into())
        .collect();
    assert_eq!(lb["Subnets"].as_array().unwrap().len(), public.len());
    t.has_resource_properties(
        "AWS::ECS::Service",
        like(json!({"HealthCheckGracePeriodSeconds": 60,
            "LoadBalancers": [{"ContainerName": "web", "ContainerPort": 80}]})),
    )
    .unwrap();
    let ingress = props_of(&t, "AWS::EC2::SecurityGroupIngress");
    let ports: Vec<(J, bool)> = ingress
        .iter()
        .map(|r| (r["FromPort"].clone(), r.get("CidrIp").is_some()))
        .collect();
    assert_eq!(ports, [(json!(80), true), (json!(80), false)]);
    // ALB → tasks on the container port, and the tasks' HTTPS egress to AWS APIs and registries.
    let egress = props_of(&t, "AWS::EC2::SecurityGroupEgress");
    let egress_ports: Vec<&J> = egress.iter().map(|r| &r["FromPort"]).collect();
    assert_eq!(egress_ports, [&json!(443), &json!(80)]);
    t.has_output("WebServiceURL", Match::any_value())
        .or_else(|_| {
            let outs = t.json()["Outputs"].as_object().unwrap();
            assert!(outs.keys().any(|k| k.contains("ServiceURL")), "{outs:?}");
            Ok::<(), String>(())
        })
        .unwrap();
    assert_eq!(svc.listener().protocol(), ApplicationProtocol::Http);
    assert!(svc.redirect_listener().is_none());
    assert_eq!(
        svc.service_url().expr(),
        fnsub("http://${Dns}", svc.load_balancer().dns_name()).expr()
    );
}

fn fnsub(template: &str, dns: Value<String>) -> Value<String> {
    proton_synth_constructs::fns::sub(template, [("Dns", dns.into_expr())])
}

#[test]
fn pattern_validation_reports_everything_at_once() {
    let mut stack = Stack::new("App");
    let mut p = LoadBalancedFargateServiceProps::new(Cluster::from_name("apps".into()), env_vpc(), nginx());
    p.certificate_arns = vec!["arn:aws:acm:eu-west-1:111122223333:certificate/x".into()];
    p.listener_port = Some(80);
    p.compute.set_size(256, 4096);
    p.load_balancer_name = Some("internal-web".into());
    p.auto_scaling = Some(AutoScalingOptions {
        min_capacity: 3,
        max_capacity: 2,
        cpu_target_percent: Some(150.0),
        ..AutoScalingOptions::default()
    });
    LoadBalancedFargateService::new(&mut stack.root(), "Web", p);
    assert_eq!(
        errors_of(&stack),
        [
            "error: App/Web: with a certificate the listener is HTTPS; port 80 is taken by the HTTP->HTTPS redirect",
            "error: App/Web/TaskDef: Fargate does not support cpu 256 with memory 4096 MiB; allowed for 256: 512, 1024, 2048",
            "error: App/Web/LB: load balancer name \"internal-web\" must not begin with \"internal-\"",
            "error: App/Web/Service/TaskCount: min capacity 3 is greater than max capacity 2",
            "error: App/Web/Service/TaskCount: desired count 1 is outside the auto scaling range 3-2",
            "error: App/Web/Service/TaskCount/CpuScaling: target CPU utilization 150 % is not in the range 1-100",
            // The load balancer's own check sees the same clash.
            "error: App/Web/LB/HttpsListener: listener port 80 is used by 2 listeners of load balancer App/Web/LB",
            "error: App/Web/LB/RedirectHttp: listener port 80 is used by 2 listeners of load balancer App/Web/LB",
        ]
    );
}

#[test]
fn pattern_needs_private_subnets() {
    let mut stack = Stack::new("App");
    let mut vpc = env_vpc();
    vpc.private_subnet_ids.clear();
    let p = LoadBalancedFargateServiceProps::new(Cluster::from_name("apps".into()), vpc, nginx());
    LoadBalancedFargateService::new(&mut stack.root(), "Web", p);
    let errors = errors_of(&stack);
    assert_eq!(
        &errors[..2],
        [
            "error: App/Web: the VPC has no private subnets for the tasks; give the compute its subnets",
            "error: App/Web/Service: a Fargate service needs at least one subnet",
        ]
    );
}

#[test]
fn pattern_uses_an_environment_security_group_and_internal_load_balancer() {
    let mut stack = Stack::new("App");
    let mut p = LoadBalancedFargateServiceProps::new(
        Cluster::from_name(proton("environment.outputs.ClusterName", "apps")),
        env_vpc(),
        nginx(),
    );
    p.public_load_balancer = false;
    p.service_security_groups = vec![SecurityGroup::from_id(proton(
        "environment.outputs.ContainerSecurityGroup",
        "sg-0123456789abcdef0",
    ))];
    let svc = LoadBalancedFargateService::new(&mut stack.root(), "Web", p);
    assert!(!svc.load_balancer().is_internet_facing());
    let t = template(&stack);
    // Only the load balancer's own group is created; the environment's group gets the one ingress rule.
    t.resource_count_is("AWS::EC2::SecurityGroup", 1).unwrap();
    t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        like(json!({"Scheme": "internal", "Subnets": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]})),
    )
    .unwrap();
    let ingress = props_of(&t, "AWS::EC2::SecurityGroupIngress");
    assert_eq!(ingress.len(), 1, "internal listener is not opened to 0.0.0.0/0");
    assert_eq!(ingress[0]["GroupId"], json!("sg-0123456789abcdef0"));
    assert_eq!(ingress[0]["FromPort"], json!(80));
    t.has_resource_properties(
        "AWS::ECS::Service",
        like(
            json!({"NetworkConfiguration": {"AwsvpcConfiguration": {"SecurityGroups": ["sg-0123456789abcdef0"],
            "Subnets": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]}}}),
        ),
    )
    .unwrap();
}

#[test]
fn ecr_repository_construct_grants_pull_on_its_arn() {
    let mut stack = Stack::new("Ecs");
    let repo = proton_synth_constructs::ecr::Repository::new(
        &mut stack.root(),
        "Repo",
        proton_synth_constructs::ecr::RepositoryProps::default(),
    );
    let td = FargateTaskDefinition::new(&mut stack.root(), "Task", FargateTaskDefinitionProps::default());
    td.add_container(
        &mut stack,
        "web",
        ContainerProps::new(ContainerImage::from_repository(&repo, "1.0")),
    );
    let t = template(&stack);
    let synth = stack.synth(Mode::Plain).unwrap();
    let repo_id = &synth.logical_ids["Repo/Resource"];
    t.has_resource_properties(
        "AWS::IAM::Policy",
        like(json!({"PolicyDocument": {"Statement": [
            {"Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
             "Resource": {"Fn::GetAtt": [repo_id, "Arn"]}},
            {"Action": "ecr:GetAuthorizationToken", "Resource": "*"}
        ]}})),
    )
    .unwrap();
}

/// Composed templates for cfn-lint and the security gate: a VPC + cluster + HTTPS service with every scaling
/// option, and the AWS Proton sample's shape (environment outputs, task-size mapping, step scaling).
#[test]
fn composed_templates_for_checkers() {
    // 1. Everything in one template, HTTPS with redirect, access logs, target tracking.
    let mut stack = Stack::new("ComputeHttps");
    let vpc = Vpc::new(&mut stack.root(), "Vpc", VpcProps::default());
    let cluster = Cluster::new(&mut stack.root(), "Cluster", ClusterProps::default());
    let mut p = LoadBalancedFargateServiceProps::new(cluster, vpc.as_ref(), ContainerImage::ecr("web", "1.0.0"));
    p.certificate_arns =
        vec!["arn:aws:acm:us-east-1:111122223333:certificate/12345678-1234-1234-1234-123456789012".into()];
    p.access_logs = Some(AccessLogs::new("central-alb-logs-111122223333", Some("web")));
    p.compute.set_size(512, 1024);
    p.desired_count = 2.into();
    p.health_check = HealthCheck {
        path: Some("/health".into()),
        interval_secs: Some(10),
        timeout_secs: Some(5),
        healthy_threshold: Some(2),
        unhealthy_threshold: Some(3),
        healthy_http_codes: Some("200-299".into()),
        port: None,
    };
    let mut image = TaskImageOptions::new(ContainerImage::ecr("web", "1.0.0"));
    image.container_port = 8080.into();
    image.writable_paths = vec!["/tmp".into()];
    image
        .secrets
        .insert("DB_PASSWORD".into(), Secret::ssm_parameter_name("/web/db-password"));
    image.environment.insert("PORT".into(), "8080".into());
    p.task = TaskSource::Image(image);
    p.auto_scaling = Some(AutoScalingOptions {
        min_capacity: 2,
        max_capacity: 6,
        cpu_target_percent: Some(60.0),
        memory_target_percent: Some(75.0),
        requests_per_target: Some(500),
        cpu_steps: None,
    });
    let svc = LoadBalancedFargateService::new(&mut stack.root(), "Web", p);
    assert!(svc.redirect_listener().is_some());
    assert_eq!(svc.scaling_policies().len(), 3);
    let https = write_template("https", &stack);
    let t = Template::from_json(https);
    t.resource_count_is("AWS::ElasticLoadBalancingV2::Listener", 2).unwrap();
    t.resource_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", 3)
        .unwrap();
    t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        like(json!({"Port": 8080, "HealthCheckPath": "/health", "Matcher": {"HttpCode": "200-299"}})),
    )
    .unwrap();

    // 2. The AWS Proton sample's shape: everything from the environment, sizes from a mapping, step scaling.
    let mut stack = Stack::new("ComputeProton");
    let sizes = TaskSizeMapping::aws_sample(&mut stack.root(), "TaskSize");
    let size = proton("service_instance.inputs.task_size", "x-small");
    let mut p = LoadBalancedFargateServiceProps::new(
        Cluster::from_name(proton("environment.outputs.ClusterName", "proton-cluster")),
        env_vpc(),
        ContainerImage::registry(proton(
            "service_instance.inputs.image",
            "public.ecr.aws/nginx/nginx:1.27",
        )),
    );
    p.compute.set_size(sizes.cpu(size.clone()), sizes.memory(size));
    p.execution_role = Some(Role::from_arn(proton(
        "environment.outputs.ECSTaskExecutionRole",
        "arn:aws:iam::111122223333:role/proton-exec",
    )));
    p.desired_count = proton_number("service_instance.inputs.desired_count", 1);
    p.service_name = Some(proton("service.name ~ '_' ~ service_instance.name", "svc_inst"));
    p.target_group_name = Some(proton(
        "(service.name~\"--\"~service_instance.name)|truncate(29, true, 'zzz')",
        "svc--inst",
    ));
    p.family = Some(proton("service.name ~ '_' ~ service_instance.name", "svc_inst"));
    p.deletion_protection = false;
    p.service_security_groups = vec![SecurityGroup::from_id(proton(
        "environment.outputs.ContainerSecurityGroup",
        "sg-0123456789abcdef0",
    ))];
    let mut image = TaskImageOptions::new(ContainerImage::registry(proton(
        "service_instance.inputs.image",
        "public.ecr.aws/nginx/nginx:1.27",
    )));
    image.container_name = "app".into();
    image.container_port = proton_number("service_instance.inputs.port", 80);
    p.task = TaskSource::Image(image);
    p.auto_scaling = Some(AutoScalingOptions {
        min_capacity: 1,
        max_capacity: 10,
        cpu_steps: Some(aws_sample_cpu_steps()),
        ..AutoScalingOptions::default()
    });
    LoadBalancedFargateService::new(&mut stack.root(), "Svc", p);
    let proton_json = write_template("proton", &stack);
    let t = Template::from_json(proton_json);
    t.resource_count_is("AWS::CloudWatch::Alarm", 2).unwrap();
    t.resource_count_is("AWS::IAM::Role", 1).unwrap(); // the task role; the execution role is the environment's
    t.has_resource_properties(
        "AWS::ECS::Service",
        like(json!({"Cluster": "proton-cluster", "DesiredCount": 1, "ServiceName": "svc_inst"})),
    )
    .unwrap();

    // 3. Hand-wired L2: an internal ALB with a fixed-response default and a path rule, an NLB with a TCP
    //    listener, one service registered in both, memory target tracking.
    let mut stack = Stack::new("ComputeWired");
    let vpc = env_vpc();
    let cluster = Cluster::new(&mut stack.root(), "Cluster", ClusterProps::default());
    let td = FargateTaskDefinition::new(
        &mut stack.root(),
        "Task",
        FargateTaskDefinitionProps {
            cpu: 1024.into(),
            memory_mib: 2048.into(),
            ..FargateTaskDefinitionProps::default()
        },
    );
    let mut c = ContainerProps::new(ContainerImage::ecr("api", "2.3.4"));
    c.port_mappings = vec![8080.into(), 5432.into()];
    c.memory_limit_mib = Some(1536.into());
    c.health_check = Some(ContainerHealthCheck {
        command: vec![
            "CMD-SHELL".into(),
            "wget -q -O- http://localhost:8080/health || exit 1".into(),
        ],
        interval_secs: Some(30),
        timeout_secs: Some(5),
        retries: Some(3),
        start_period_secs: Some(10),
    });
    c.secrets.insert(
        "TOKEN".into(),
        Secret::secrets_manager(
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:api-token-AbCdEf",
            None,
        ),
    );
    td.add_container(&mut stack, "api", c);
    let mut sidecar = ContainerProps::new(nginx());
    sidecar.memory_limit_mib = Some(256.into());
    sidecar.essential = false;
    td.add_container(&mut stack, "proxy", sidecar);
    let mut sp = FargateServiceProps::new(cluster, td, vpc.private_subnet_ids.clone());
    sp.vpc_id = Some(vpc.vpc_id.clone());
    sp.desired_count = 2.into();
    sp.health_check_grace_period_secs = Some(30);
    let svc = FargateService::new(&mut stack.root(), "Api", sp);
    let mut ap = AlbProps::new(vpc.vpc_id.clone(), vpc.private_subnet_ids.clone(), false);
    ap.access_logs = Some(AccessLogs::new("central-alb-logs-111122223333", None));
    let lb = ApplicationLoadBalancer::new(&mut stack.root(), "Internal", ap);
    let mut tgp = TargetGroupProps::new(vpc.vpc_id.clone(), 8080);
    tgp.deregistration_delay_secs = Some(30);
    let tg = ApplicationTargetGroup::new(&mut stack.root(), "ApiTargets", tgp);
    let mut lp = ListenerProps::http(80, ListenerAction::fixed_response(404));
    lp.open = false;
    let listener = lb.add_listener(&mut stack, "Http", lp);
    listener.add_rule(
        &mut stack,
        "Api",
        10,
        vec![Condition::PathPatterns(vec!["/api/*".into()])],
        ListenerAction::forward(&tg),
    );
    svc.attach_to_target_group(&mut stack, &tg, "api", 8080);
    svc.connections().allow_from(
        &mut stack,
        &lb,
        proton_synth_constructs::ec2::Port::tcp(8080),
        "Internal load balancer to the API",
    );
    let nlb = NetworkLoadBalancer::new(
        &mut stack.root(),
        "Nlb",
        NlbProps::new(vpc.private_subnet_ids.clone(), false),
    );
    let ntg = NetworkTargetGroup::new(
        &mut stack.root(),
        "PgTargets",
        NetworkTargetGroupProps::new(vpc.vpc_id.clone(), 5432),
    );
    nlb.add_listener(&mut stack, "Pg", 5432, &ntg);
    svc.attach_to_network_target_group(&mut stack, &ntg, "api", 5432);
    let count = svc.auto_scale_task_count(&mut stack, 2, 4);
    count.scale_on_memory_utilization(&mut stack, 80.0);
    count.scale_on_request_count(&mut stack, 200, &tg);
    let wired = Template::from_json(write_template("wired", &stack));
    wired
        .resource_count_is("AWS::ElasticLoadBalancingV2::LoadBalancer", 2)
        .unwrap();
    wired
        .resource_count_is("AWS::ElasticLoadBalancingV2::ListenerRule", 1)
        .unwrap();

    // 4. Every opt-out of a secure default: the gate must see each finding suppressed with its reason.
    let mut stack = Stack::new("ComputeOptOuts");
    let vpc = env_vpc();
    let cluster = Cluster::new(
        &mut stack.root(),
        "Cluster",
        ClusterProps {
            name: None,
            container_insights: ContainerInsights::Disabled,
        },
    );
    let td = FargateTaskDefinition::new(&mut stack.root(), "Task", FargateTaskDefinitionProps::default());
    let mut c = ContainerProps::new(nginx());
    c.port_mappings = vec![80.into()];
    c.readonly_root_filesystem = false;
    c.user = Some("root".into());
    c.memory_limit_mib = Some(256.into());
    td.add_container(&mut stack, "web", c);
    let mut c = ContainerProps::new(nginx());
    c.user = None;
    c.essential = false;
    c.memory_limit_mib = Some(256.into());
    td.add_container(&mut stack, "helper", c);
    let mut sp = FargateServiceProps::new(cluster, td, vpc.public_subnet_ids.clone());
    sp.vpc_id = Some(vpc.vpc_id.clone());
    sp.assign_public_ip = true;
    let svc = FargateService::new(&mut stack.root(), "Svc", sp);
    let mut ap = AlbProps::new(vpc.vpc_id.clone(), vpc.public_subnet_ids.clone(), true);
    ap.deletion_protection = false;
    ap.drop_invalid_header_fields = false;
    let lb = ApplicationLoadBalancer::new(&mut stack.root(), "Alb", ap);
    let tg = ApplicationTargetGroup::new(&mut stack.root(), "Tg", TargetGroupProps::new(vpc.vpc_id.clone(), 80));
    lb.add_listener(
        &mut stack,
        "Http",
        ListenerProps::http(80, ListenerAction::forward(&tg)),
    );
    svc.attach_to_target_group(&mut stack, &tg, "web", 80);
    svc.connections().allow_from(
        &mut stack,
        &lb,
        proton_synth_constructs::ec2::Port::tcp(80),
        "Load balancer to the service",
    );
    let mut np = NlbProps::new(vpc.public_subnet_ids.clone(), true);
    np.cross_zone = false;
    np.deletion_protection = false;
    let nlb = NetworkLoadBalancer::new(&mut stack.root(), "Nlb", np);
    let ntg = NetworkTargetGroup::new(
        &mut stack.root(),
        "Tcp",
        NetworkTargetGroupProps::new(vpc.vpc_id.clone(), 80),
    );
    nlb.add_listener(&mut stack, "Tcp", 80, &ntg);
    svc.attach_to_network_target_group(&mut stack, &ntg, "web", 80);
    write_template("optouts", &stack);

    // Bundle mode renders the same template with Jinja placeholders.
    let bundle = stack.synth(Mode::Bundle).unwrap().template;
    let text = bundle.to_string();
    assert!(text.contains("{{ environment.outputs.VpcId | tojson }}"), "{text}");
    let _ = IndexMap::<String, String>::new();
}

#[test]
fn pattern_targets_the_container_of_a_caller_built_task_definition() {
    let mut stack = Stack::new("App");
    let td = web_task(&mut stack);
    let mut p = LoadBalancedFargateServiceProps::new(Cluster::from_name("apps".into()), env_vpc(), nginx());
    p.task = TaskSource::Definition {
        task_definition: td,
        container: "web".into(),
        port: 80.into(),
    };
    LoadBalancedFargateService::new(&mut stack.root(), "Web", p);
    assert_eq!(errors_of(&stack), Vec::<String>::new());
    assert!(stack.find_resource("Web/TaskDef/Resource").is_none());

    let mut stack = Stack::new("App");
    let td = web_task(&mut stack);
    let mut p = LoadBalancedFargateServiceProps::new(Cluster::from_name("apps".into()), env_vpc(), nginx());
    p.task = TaskSource::Definition {
        task_definition: td,
        container: "api".into(),
        port: 80.into(),
    };
    LoadBalancedFargateService::new(&mut stack.root(), "Web", p);
    let errors = errors_of(&stack);
    assert!(errors.iter().any(|e| e.contains("api")), "{errors:?}");
}
