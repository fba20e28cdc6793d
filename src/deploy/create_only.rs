//! Create-only properties of the resource types the constructs know (`createOnlyProperties` of the
//! CloudFormation registry schemas vendored in `constructs/schemas/`): changing one replaces the resource.
//! Derived data: the test below fails, printing the table to paste, when the schemas change.

pub const CREATE_ONLY: &[(&str, &[&str])] = &[
    ("AWS::ApiGatewayV2::Api", &["/properties/ProtocolType"]),
    ("AWS::ApiGatewayV2::Integration", &["/properties/ApiId"]),
    ("AWS::ApiGatewayV2::Route", &["/properties/ApiId"]),
    (
        "AWS::ApiGatewayV2::Stage",
        &["/properties/StageName", "/properties/ApiId"],
    ),
    (
        "AWS::ApplicationAutoScaling::ScalableTarget",
        &[
            "/properties/ResourceId",
            "/properties/ScalableDimension",
            "/properties/ServiceNamespace",
        ],
    ),
    (
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        &[
            "/properties/PolicyName",
            "/properties/ServiceNamespace",
            "/properties/ResourceId",
            "/properties/ScalableDimension",
            "/properties/ScalingTargetId",
        ],
    ),
    ("AWS::CloudWatch::Alarm", &["/properties/AlarmName"]),
    ("AWS::CodeBuild::Project", &["/properties/Name"]),
    ("AWS::CodePipeline::Pipeline", &["/properties/Name"]),
    (
        "AWS::CodeStarConnections::Connection",
        &[
            "/properties/ConnectionName",
            "/properties/ProviderType",
            "/properties/HostArn",
        ],
    ),
    (
        "AWS::DynamoDB::Table",
        &["/properties/TableName", "/properties/ImportSourceSpecification"],
    ),
    (
        "AWS::EC2::EIP",
        &[
            "/properties/NetworkBorderGroup",
            "/properties/TransferAddress",
            "/properties/IpamPoolId",
            "/properties/Address",
        ],
    ),
    (
        "AWS::EC2::FlowLog",
        &[
            "/properties/DeliverCrossAccountRole",
            "/properties/DeliverLogsPermissionArn",
            "/properties/LogGroupName",
            "/properties/LogDestination",
            "/properties/ResourceId",
            "/properties/TrafficType",
            "/properties/LogDestinationType",
            "/properties/ResourceType",
            "/properties/LogFormat",
            "/properties/MaxAggregationInterval",
            "/properties/DestinationOptions",
            "/properties/TagFieldSpecifications",
        ],
    ),
    ("AWS::EC2::InternetGateway", &[]),
    (
        "AWS::EC2::NatGateway",
        &[
            "/properties/VpcId",
            "/properties/SubnetId",
            "/properties/ConnectivityType",
            "/properties/AllocationId",
            "/properties/PrivateIpAddress",
            "/properties/AvailabilityMode",
        ],
    ),
    (
        "AWS::EC2::Route",
        &[
            "/properties/RouteTableId",
            "/properties/DestinationCidrBlock",
            "/properties/DestinationIpv6CidrBlock",
            "/properties/DestinationPrefixListId",
        ],
    ),
    ("AWS::EC2::RouteTable", &["/properties/VpcId"]),
    (
        "AWS::EC2::SecurityGroup",
        &[
            "/properties/GroupDescription",
            "/properties/GroupName",
            "/properties/VpcId",
        ],
    ),
    (
        "AWS::EC2::SecurityGroupEgress",
        &[
            "/properties/IpProtocol",
            "/properties/DestinationSecurityGroupId",
            "/properties/ToPort",
            "/properties/CidrIp",
            "/properties/FromPort",
            "/properties/GroupId",
            "/properties/CidrIpv6",
            "/properties/DestinationPrefixListId",
        ],
    ),
    (
        "AWS::EC2::SecurityGroupIngress",
        &[
            "/properties/GroupName",
            "/properties/IpProtocol",
            "/properties/SourceSecurityGroupId",
            "/properties/SourcePrefixListId",
            "/properties/ToPort",
            "/properties/CidrIp",
            "/properties/SourceSecurityGroupName",
            "/properties/SourceSecurityGroupOwnerId",
            "/properties/FromPort",
            "/properties/GroupId",
            "/properties/CidrIpv6",
        ],
    ),
    (
        "AWS::EC2::Subnet",
        &[
            "/properties/VpcId",
            "/properties/AvailabilityZone",
            "/properties/AvailabilityZoneId",
            "/properties/CidrBlock",
            "/properties/OutpostArn",
            "/properties/Ipv6Native",
            "/properties/Ipv4IpamPoolId",
            "/properties/Ipv4NetmaskLength",
            "/properties/Ipv6IpamPoolId",
            "/properties/Ipv6NetmaskLength",
        ],
    ),
    (
        "AWS::EC2::SubnetRouteTableAssociation",
        &["/properties/SubnetId", "/properties/RouteTableId"],
    ),
    (
        "AWS::EC2::VPC",
        &[
            "/properties/CidrBlock",
            "/properties/Ipv4IpamPoolId",
            "/properties/Ipv4NetmaskLength",
            "/properties/VpcEncryptionControl",
        ],
    ),
    (
        "AWS::EC2::VPCEndpoint",
        &[
            "/properties/ServiceName",
            "/properties/VpcEndpointType",
            "/properties/VpcId",
            "/properties/ServiceNetworkArn",
            "/properties/ResourceConfigurationArn",
            "/properties/ServiceRegion",
            "/properties/DnsOptions/PrivateDnsPreference",
            "/properties/DnsOptions/PrivateDnsSpecifiedDomains",
        ],
    ),
    ("AWS::EC2::VPCGatewayAttachment", &["/properties/VpcId"]),
    (
        "AWS::ECR::Repository",
        &[
            "/properties/RepositoryName",
            "/properties/EncryptionConfiguration",
            "/properties/EncryptionConfiguration/EncryptionType",
            "/properties/EncryptionConfiguration/KmsKey",
        ],
    ),
    ("AWS::ECS::Cluster", &["/properties/ClusterName"]),
    (
        "AWS::ECS::Service",
        &[
            "/properties/Cluster",
            "/properties/Role",
            "/properties/SchedulingStrategy",
            "/properties/ServiceName",
        ],
    ),
    (
        "AWS::ECS::TaskDefinition",
        &[
            "/properties/Family",
            "/properties/ContainerDefinitions",
            "/properties/Cpu",
            "/properties/EnableFaultInjection",
            "/properties/ExecutionRoleArn",
            "/properties/InferenceAccelerators",
            "/properties/Memory",
            "/properties/NetworkMode",
            "/properties/PlacementConstraints",
            "/properties/ProxyConfiguration",
            "/properties/RequiresCompatibilities",
            "/properties/RuntimePlatform",
            "/properties/TaskRoleArn",
            "/properties/Volumes",
            "/properties/PidMode",
            "/properties/IpcMode",
            "/properties/EphemeralStorage",
        ],
    ),
    (
        "AWS::ElasticLoadBalancingV2::Listener",
        &["/properties/LoadBalancerArn"],
    ),
    (
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        &["/properties/ListenerArn"],
    ),
    (
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        &["/properties/Name", "/properties/Type", "/properties/Scheme"],
    ),
    (
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        &[
            "/properties/TargetType",
            "/properties/ProtocolVersion",
            "/properties/Port",
            "/properties/Name",
            "/properties/VpcId",
            "/properties/Protocol",
            "/properties/IpAddressType",
        ],
    ),
    ("AWS::Events::Rule", &["/properties/Name"]),
    (
        "AWS::IAM::ManagedPolicy",
        &[
            "/properties/ManagedPolicyName",
            "/properties/Description",
            "/properties/Path",
        ],
    ),
    ("AWS::IAM::Policy", &[]),
    ("AWS::IAM::Role", &["/properties/Path", "/properties/RoleName"]),
    ("AWS::KMS::Alias", &["/properties/AliasName"]),
    ("AWS::KMS::Key", &[]),
    (
        "AWS::Lambda::EventSourceMapping",
        &[
            "/properties/EventSourceArn",
            "/properties/StartingPosition",
            "/properties/StartingPositionTimestamp",
            "/properties/SelfManagedEventSource",
        ],
    ),
    (
        "AWS::Lambda::Function",
        &[
            "/properties/FunctionName",
            "/properties/PackageType",
            "/properties/TenancyConfig",
        ],
    ),
    (
        "AWS::Lambda::Permission",
        &[
            "/properties/FunctionName",
            "/properties/FunctionUrlAuthType",
            "/properties/InvokedViaFunctionUrl",
            "/properties/SourceAccount",
            "/properties/SourceArn",
            "/properties/Principal",
            "/properties/PrincipalOrgID",
            "/properties/Action",
            "/properties/EventSourceToken",
        ],
    ),
    ("AWS::Logs::LogGroup", &["/properties/LogGroupName"]),
    (
        "AWS::S3::Bucket",
        &[
            "/properties/BucketName",
            "/properties/BucketNamePrefix",
            "/properties/BucketNamespace",
        ],
    ),
    ("AWS::S3::BucketPolicy", &["/properties/Bucket"]),
    (
        "AWS::SNS::Subscription",
        &["/properties/Endpoint", "/properties/Protocol", "/properties/TopicArn"],
    ),
    ("AWS::SNS::Topic", &["/properties/TopicName", "/properties/FifoTopic"]),
    ("AWS::SNS::TopicPolicy", &[]),
    ("AWS::SQS::Queue", &["/properties/FifoQueue", "/properties/QueueName"]),
    ("AWS::SQS::QueuePolicy", &[]),
    ("AWS::SSM::Parameter", &["/properties/Name"]),
    ("AWS::Scheduler::Schedule", &["/properties/Name"]),
    ("AWS::SecretsManager::Secret", &["/properties/Name"]),
    (
        "AWS::ServiceDiscovery::PrivateDnsNamespace",
        &["/properties/Vpc", "/properties/Name"],
    ),
    (
        "AWS::ServiceDiscovery::Service",
        &[
            "/properties/HealthCheckCustomConfig",
            "/properties/Name",
            "/properties/Type",
            "/properties/NamespaceId",
        ],
    ),
];

/// The create-only property paths of a resource type (JSON pointers below `Properties`), if it is known.
pub fn create_only(resource_type: &str) -> Option<impl Iterator<Item = &'static str>> {
    let (_, paths) = CREATE_ONLY.iter().find(|(t, _)| *t == resource_type)?;
    Some(paths.iter().filter_map(|p| p.strip_prefix("/properties")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table is what the vendored schemas say; on a mismatch, the message is the table to paste.
    #[test]
    fn the_table_matches_the_vendored_schemas() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("constructs/schemas");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        let mut expected = Vec::new();
        for path in files {
            let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let paths: Vec<String> = (schema["createOnlyProperties"].as_array().cloned().unwrap_or_default())
                .iter()
                .map(|p| p.as_str().unwrap().to_owned())
                .collect();
            expected.push((schema["typeName"].as_str().unwrap().to_owned(), paths));
        }
        let actual: Vec<(String, Vec<String>)> = CREATE_ONLY
            .iter()
            .map(|(t, p)| ((*t).to_owned(), p.iter().map(|s| (*s).to_owned()).collect()))
            .collect();
        let table: String = expected
            .iter()
            .map(|(t, p)| format!("    (\"{t}\", &{p:?}),\n"))
            .collect();
        assert!(
            actual == expected,
            "CREATE_ONLY is out of date; replace it with:\n{table}"
        );
        assert_eq!(create_only("AWS::EC2::VPC").unwrap().next(), Some("/CidrBlock"));
        assert!(create_only("AWS::Nope::Nope").is_none());
    }
}
