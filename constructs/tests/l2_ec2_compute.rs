//! ECS on EC2: `ec2::LaunchTemplate`, `autoscaling::AutoScalingGroup`, `ecs::AsgCapacityProvider` with
//! `Cluster::add_capacity_provider`, `ecs::Ec2TaskDefinition` and `ecs::Ec2Service`.
//!
//! `ec2_cluster_for_checkers` writes `target/l2-templates/compute-ec2-cluster.json` for cfn-lint and
//! `scripts/security-check`.

use proton_synth_constructs::assertions::{Match, Template};
use proton_synth_constructs::autoscaling::{AutoScalingGroup, AutoScalingGroupProps};
use proton_synth_constructs::ec2::{
    LaunchTemplate, LaunchTemplateProps, MachineImage, SecurityGroup, SecurityGroupProps, Vpc, VpcProps,
};
use proton_synth_constructs::ecs::{
    AsgCapacityProvider, AsgCapacityProviderProps, Cluster, ClusterProps, ContainerImage, ContainerProps, Ec2Service,
    Ec2ServiceProps, Ec2TaskDefinition, Ec2TaskDefinitionProps,
};
use proton_synth_constructs::synth::{to_json_string, Mode};
use proton_synth_constructs::{fns, Stack, Value};
use serde_json::{json, Value as J};

fn errors_of(stack: &Stack) -> Vec<String> {
    match stack.synth(Mode::Plain) {
        Ok(_) => Vec::new(),
        Err(d) => d.0.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect(),
    }
}

fn group(stack: &mut Stack, vpc: &Vpc, id: &str) -> AutoScalingGroup {
    let sg = SecurityGroup::new(
        &mut stack.root(),
        &format!("{id}Hosts"),
        SecurityGroupProps {
            vpc_id: vpc.vpc_id(),
            description: "ECS container instances".to_owned(),
            allow_all_outbound: false,
            group_name: None,
        },
    );
    let lt = LaunchTemplate::new(
        &mut stack.root(),
        &format!("{id}LaunchTemplate"),
        LaunchTemplateProps::new(MachineImage::ecs_optimized_amazon_linux_2(), "c5.large", vec![sg]),
    );
    let mut props = AutoScalingGroupProps::new(lt, vpc.private_subnet_ids());
    props.availability_zones = (0..2).map(|i| fns::select(i, fns::get_azs())).collect();
    props.max_capacity = Value::from(4);
    AutoScalingGroup::new(&mut stack.root(), id, props)
}

/// The whole chain in one template: cluster, instances, capacity provider, task definition, service.
fn ec2_cluster() -> Stack {
    let mut stack = Stack::new("Ec2Cluster");
    let vpc = Vpc::new(&mut stack.root(), "Vpc", VpcProps::default());
    let cluster = Cluster::new(&mut stack.root(), "Cluster", ClusterProps::default());
    let asg = group(&mut stack, &vpc, "Group");
    let provider = AsgCapacityProvider::new(&mut stack.root(), "Capacity", AsgCapacityProviderProps::new(asg));
    cluster.add_capacity_provider(&mut stack, &provider);
    let task = Ec2TaskDefinition::new(&mut stack.root(), "Task", Ec2TaskDefinitionProps::default());
    let mut c = ContainerProps::new(ContainerImage::registry("public.ecr.aws/nginx/nginx:1.27"));
    c.port_mappings = vec![Value::from(8080)];
    task.add_container(&mut stack, "web", c);
    let mut sp = Ec2ServiceProps::new(cluster, task, vpc.private_subnet_ids());
    sp.capacity_providers = vec![provider.name()];
    sp.vpc_id = Some(vpc.vpc_id());
    Ec2Service::new(&mut stack.root(), "Service", sp);
    stack
}

#[test]
fn ec2_cluster_for_checkers() {
    let stack = ec2_cluster();
    let synth = stack
        .synth(Mode::Plain)
        .unwrap_or_else(|e| panic!("synthesis failed:\n{e}"));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/l2-templates");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("compute-ec2-cluster.json"), to_json_string(&synth.template)).unwrap();

    let t = Template::from_json(synth.template);
    t.has_resource_properties(
        "AWS::EC2::LaunchTemplate",
        Match::object_like(json!({"LaunchTemplateData": {
            "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled"},
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": true, "VolumeType": "gp3", "VolumeSize": 30, "DeleteOnTermination": true}}],
            "ImageId": {"Fn::Sub": ["{{resolve:ssm:${Name}}}", {"Name": "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"}]},
        }})),
    )
    .unwrap();
    // The instances join the cluster.
    let lt = &t.find_resources("AWS::EC2::LaunchTemplate")[0].1;
    let user_data = lt["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]["Fn::Join"][1].clone();
    let parts = user_data.as_array().unwrap();
    assert_eq!(parts[0], json!("#!/bin/bash\n"));
    assert!(parts.contains(&json!({"Ref": "ClusterEB0386A7"})), "{parts:?}");
    assert!(parts.contains(&json!("echo ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config")));

    t.has_resource_properties(
        "AWS::AutoScaling::AutoScalingGroup",
        Match::object_like(
            json!({"MinSize": "1", "MaxSize": "4", "NewInstancesProtectedFromScaleIn": true,
            "MetricsCollection": [{"Granularity": "1Minute"}]}),
        ),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ECS::CapacityProvider",
        Match::object_like(json!({"AutoScalingGroupProvider": {
            "ManagedScaling": {"Status": "ENABLED", "TargetCapacity": 100},
            "ManagedTerminationProtection": "ENABLED",
            "ManagedDraining": "ENABLED",
        }})),
    )
    .unwrap();
    t.resource_count_is("AWS::ECS::ClusterCapacityProviderAssociations", 1)
        .unwrap();
    t.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        Match::object_like(json!({"RequiresCompatibilities": ["EC2"], "NetworkMode": "awsvpc", "Cpu": "256"})),
    )
    .unwrap();
    let svc = &t.find_resources("AWS::ECS::Service")[0].1["Properties"];
    assert!(svc.get("LaunchType").is_none(), "{svc}");
    assert_eq!(svc["CapacityProviderStrategy"][0]["Weight"], json!(1));
    assert!(svc["NetworkConfiguration"]["AwsvpcConfiguration"]
        .get("AssignPublicIp")
        .is_none());

    // The instance role: the ECS agent on this cluster only, no ECR or logs.
    let statements: Vec<J> = t
        .find_resources("AWS::IAM::Policy")
        .iter()
        .filter(|(id, _)| id.starts_with("GroupLaunchTemplateInstanceRole"))
        .flat_map(|(_, p)| {
            p["Properties"]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap()
                .clone()
        })
        .collect();
    assert_eq!(statements.len(), 3, "{statements:#?}");
    let actions: Vec<String> = statements
        .iter()
        .flat_map(|s| match &s["Action"] {
            J::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
            J::String(a) => vec![a.clone()],
            _ => Vec::new(),
        })
        .collect();
    assert!(actions.iter().all(|a| a.starts_with("ecs:")), "{actions:?}");
    assert_eq!(
        statements[1]["Condition"]["ArnEquals"]["ecs:cluster"]["Fn::GetAtt"][0],
        "ClusterEB0386A7"
    );
}

#[test]
fn a_second_provider_joins_the_same_associations() {
    let mut stack = Stack::new("Two");
    let vpc = Vpc::new(&mut stack.root(), "Vpc", VpcProps::default());
    let cluster = Cluster::new(&mut stack.root(), "Cluster", ClusterProps::default());
    for id in ["A", "B"] {
        let asg = group(&mut stack, &vpc, id);
        let p = AsgCapacityProvider::new(
            &mut stack.root(),
            &format!("{id}Capacity"),
            AsgCapacityProviderProps::new(asg),
        );
        cluster.add_capacity_provider(&mut stack, &p);
    }
    let t = Template::from_stack(&stack).unwrap_or_else(|e| panic!("{e}"));
    t.resource_count_is("AWS::ECS::ClusterCapacityProviderAssociations", 1)
        .unwrap();
    let a = &t.find_resources("AWS::ECS::ClusterCapacityProviderAssociations")[0].1["Properties"];
    assert_eq!(a["CapacityProviders"].as_array().unwrap().len(), 2, "{a}");
    assert_eq!(a["DefaultCapacityProviderStrategy"].as_array().unwrap().len(), 1, "{a}");
}

#[test]
fn bad_configurations_are_reported_with_their_paths() {
    let mut stack = Stack::new("Bad");
    let vpc = Vpc::new(&mut stack.root(), "Vpc", VpcProps::default());
    let lt = LaunchTemplate::new(
        &mut stack.root(),
        "Lt",
        LaunchTemplateProps {
            metadata_hop_limit: 0,
            ..LaunchTemplateProps::new(MachineImage::Id(Value::from("ami-1")), "c5.large", Vec::new())
        },
    );
    let mut props = AutoScalingGroupProps::new(lt, Vec::new());
    props.min_capacity = Value::from(3);
    props.max_capacity = Value::from(2);
    let asg = AutoScalingGroup::new(&mut stack.root(), "Group", props);
    let mut cp = AsgCapacityProviderProps::new(asg);
    cp.managed_scaling = None;
    cp.name = Some(Value::from("ecs-hosts"));
    let provider = AsgCapacityProvider::new(&mut stack.root(), "Capacity", cp);
    Cluster::from_name(Value::from("shared")).add_capacity_provider(&mut stack, &provider);
    let task = Ec2TaskDefinition::new(
        &mut stack.root(),
        "Task",
        Ec2TaskDefinitionProps {
            cpu: Value::from(64),
            ..Ec2TaskDefinitionProps::default()
        },
    );
    let _ = vpc;
    let errors = errors_of(&stack);
    for expected in [
        "Bad/Lt: a launch template needs at least one security group",
        "Bad/Lt: metadata_hop_limit 0 is not in the range 1-64",
        "Bad/Group: an Auto Scaling group needs at least one subnet",
        "Bad/Group: max_capacity 2 must be at least 1 and at least min_capacity 3",
        "Bad/Capacity: managed_termination_protection needs managed_scaling",
        "Bad/Capacity: capacity provider name \"ecs-hosts\" must not start with aws, ecs or fargate",
        "Bad/Capacity: a capacity provider can only be added to a cluster created in this template",
        "Bad/Task: cpu 64 is not in the range 128-196608 units of an EC2 task definition",
        "Bad/Task: a task definition needs at least one container",
    ] {
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "missing {expected:?} in {errors:#?}"
        );
    }
    assert!(task.arn().expr() != Value::<String>::from("").expr());
}

#[test]
fn a_fargate_service_refuses_an_ec2_task_definition() {
    use proton_synth_constructs::ecs::{Compatibility, FargateService, FargateServiceProps};
    let mut stack = Stack::new("Mixed");
    let task = Ec2TaskDefinition::new(&mut stack.root(), "Task", Ec2TaskDefinitionProps::default());
    assert_eq!(task.compatibility(), Compatibility::Ec2);
    task.add_container(
        &mut stack,
        "web",
        ContainerProps::new(ContainerImage::registry("public.ecr.aws/nginx/nginx:1.27")),
    );
    let mut sp = FargateServiceProps::new(
        Cluster::from_name(Value::from("shared")),
        task,
        vec![Value::from("subnet-1")],
    );
    sp.vpc_id = Some(Value::from("vpc-1"));
    FargateService::new(&mut stack.root(), "Service", sp);
    let errors = errors_of(&stack);
    assert!(
        errors
            .iter()
            .any(|e| e
                .contains("Mixed/Service: task definition Task is for EC2; a Fargate service needs one built for it")),
        "{errors:#?}"
    );
}

/// The patterns run on EC2 through their one compute prop: the same load-balanced pattern, with an EC2 task
/// definition and a service on the given capacity provider; a scheduled task whose rule starts it on the
/// cluster's default strategy (no launch type, platform version or public IP).
#[test]
fn patterns_run_on_ec2_through_the_compute_prop() {
    use proton_synth_constructs::events::{Schedule, TimeUnit};
    use proton_synth_constructs::patterns::{
        Compute, Ec2Compute, LoadBalancedService, LoadBalancedServiceProps, ScheduledTask, ScheduledTaskProps, Trigger,
    };
    let mut stack = Stack::new("Patterns");
    let vpc = Vpc::new(&mut stack.root(), "Vpc", VpcProps::default());
    let cluster = Cluster::new(&mut stack.root(), "Cluster", ClusterProps::default());
    let image = || ContainerImage::registry("public.ecr.aws/nginx/nginx:1.27");
    let mut lb = LoadBalancedServiceProps::new(cluster.clone(), vpc.as_ref(), image());
    lb.compute = Compute::Ec2(Ec2Compute {
        capacity_providers: vec![Value::from("hosts")],
        ..Ec2Compute::new(vpc.private_subnet_ids())
    });
    lb.compute.set_size(512, 1024);
    let web = LoadBalancedService::new(&mut stack.root(), "Web", lb);
    assert_eq!(
        web.task_definition().compatibility(),
        proton_synth_constructs::ecs::Compatibility::Ec2
    );
    let mut st = ScheduledTaskProps::new(
        cluster,
        Compute::ec2(vpc.private_subnet_ids()),
        vpc.vpc_id(),
        Schedule::rate(5, TimeUnit::Minutes),
        image(),
    );
    st.trigger = Trigger::EventBridgeRule;
    ScheduledTask::new(&mut stack.root(), "Nightly", st);

    let t = Template::from_stack(&stack).unwrap_or_else(|e| panic!("synthesis failed:\n{e}"));
    let services = t.find_resources("AWS::ECS::Service");
    assert_eq!(services.len(), 1);
    let svc = &services[0].1["Properties"];
    assert!(svc.get("LaunchType").is_none(), "{svc}");
    assert_eq!(
        svc["CapacityProviderStrategy"],
        json!([{"CapacityProvider": "hosts", "Weight": 1}])
    );
    t.all_resources_properties(
        "AWS::ECS::TaskDefinition",
        Match::object_like(json!({"RequiresCompatibilities": ["EC2"], "NetworkMode": "awsvpc"})),
    )
    .unwrap();
    let rule = &t.find_resources("AWS::Events::Rule")[0].1["Properties"];
    let ecs = &rule["Targets"][0]["EcsParameters"];
    for absent in ["LaunchType", "PlatformVersion"] {
        assert!(ecs.get(absent).is_none(), "{absent} in {ecs}");
    }
    assert!(ecs["NetworkConfiguration"]["AwsVpcConfiguration"]
        .get("AssignPublicIp")
        .is_none());
}
