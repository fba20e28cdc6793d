//! [`ApplicationLoadBalancer`]: an ALB with its own security group and access logs.

use crate::cfn::elasticloadbalancingv2 as l1;
use crate::ec2::{Connectable, Connections, SecurityGroup, SecurityGroupProps};
use crate::nag::Tool;
use crate::s3::Bucket;
use crate::stack::{Construct, Handle, NodeId, Scope, Stack};
use crate::value::Value;

use super::*;

/// Where a load balancer writes its access logs. The bucket must use SSE-S3 and its policy must let Elastic
/// Load Balancing write (the region's ELB account, or `logdelivery.elasticloadbalancing.amazonaws.com` in
/// regions launched from August 2022); the bucket policy is not changed here.
#[derive(Clone, Debug)]
pub struct AccessLogs {
    pub bucket_name: Value<String>,
    pub prefix: Option<String>,
    /// The bucket's policy when the bucket is in the same template: the load balancer is created after it
    /// (ELB checks its write permission at creation).
    pub bucket_policy: Option<Handle<crate::cfn::s3::BucketPolicy>>,
}

impl AccessLogs {
    /// Logs to the bucket named `bucket_name` under `prefix`.
    pub fn new(bucket_name: impl Into<Value<String>>, prefix: Option<&str>) -> Self {
        AccessLogs {
            bucket_name: bucket_name.into(),
            prefix: prefix.map(str::to_owned),
            bucket_policy: None,
        }
    }

    /// Logs to a bucket construct (the load balancer then depends on its policy).
    pub fn bucket(bucket: &Bucket, prefix: Option<&str>) -> Self {
        AccessLogs {
            bucket_name: bucket.name(),
            prefix: prefix.map(str::to_owned),
            bucket_policy: bucket.policy_handle(),
        }
    }
}

/// The access-log attributes of a load balancer (logging off without a bucket).
pub(super) fn access_log_attributes(
    attrs: &mut Vec<l1::load_balancer::LoadBalancerAttribute>,
    logs: &Option<AccessLogs>,
) {
    match logs {
        Some(logs) => {
            attrs.push(attribute("access_logs.s3.enabled", "true"));
            attrs.push(attribute("access_logs.s3.bucket", logs.bucket_name.clone()));
            if let Some(p) = &logs.prefix {
                attrs.push(attribute("access_logs.s3.prefix", p.as_str()));
            }
        }
        None => attrs.push(attribute("access_logs.s3.enabled", "false")),
    }
}

/// An L1 load balancer of a type and scheme.
pub(super) fn base_load_balancer(kind: &str, internet_facing: bool) -> l1::LoadBalancer {
    let mut lb = l1::LoadBalancer::new();
    lb.r#type = Some(kind.into());
    lb.scheme = Some(if internet_facing { "internet-facing" } else { "internal" }.into());
    lb
}

/// What ALBs and NLBs share: the dependency on the access-log bucket policy, and reasoned suppressions when
/// access logs or deletion protection are off.
pub(super) fn lb_common_findings<R>(
    stack: &mut Stack,
    handle: &Handle<R>,
    props_name: &str,
    access_logs: &Option<AccessLogs>,
    deletion_protection: bool,
) {
    depend_on_log_bucket(stack, handle, access_logs);
    if access_logs.is_none() {
        suppress(
            stack,
            handle,
            &[
                (Tool::Checkov, "CKV_AWS_91"),
                (Tool::Guard, "CT.ELASTICLOADBALANCING.PR.6"),
            ],
            &format!(
                "no access-log bucket configured ({props_name}.access_logs is None); give one to enable access logs"
            ),
        );
    }
    if !deletion_protection {
        suppress(
            stack,
            handle,
            &[(Tool::Guard, "CT.ELASTICLOADBALANCING.PR.5")],
            &format!("deletion protection turned off on purpose ({props_name}.deletion_protection = false)"),
        );
    }
}

pub(super) fn depend_on_log_bucket<R>(stack: &mut Stack, lb: &Handle<R>, logs: &Option<AccessLogs>) {
    if let Some(policy) = logs.as_ref().and_then(|l| l.bucket_policy) {
        if stack.resource(&policy).is_some() {
            stack.add_dependency(lb, &policy);
        }
    }
}

/// Properties of [`ApplicationLoadBalancer`].
#[derive(Clone, Debug)]
pub struct AlbProps {
    pub vpc_id: Value<String>,
    /// Subnets in at least two Availability Zones: public subnets for an internet-facing ALB.
    pub subnets: Vec<Value<String>>,
    pub internet_facing: bool,
    /// Physical name (≤ 32 characters). Default: generated.
    pub name: Option<String>,
    /// Drop HTTP headers with invalid names (default true).
    pub drop_invalid_header_fields: bool,
    /// Deletion protection (default true: a load balancer carries DNS names clients depend on). Turning it off
    /// records a suppression of CT.ELASTICLOADBALANCING.PR.5 with the reason.
    pub deletion_protection: bool,
    /// Access logs to S3; without, CKV_AWS_91 and CT.ELASTICLOADBALANCING.PR.6 are suppressed with a reason.
    pub access_logs: Option<AccessLogs>,
    /// Idle timeout in seconds (1–4000; service default 60).
    pub idle_timeout_secs: Option<u32>,
    /// The security group; `None` creates one that allows no egress until targets are allowed.
    pub security_group: Option<SecurityGroup>,
}

impl AlbProps {
    /// An ALB in `subnets` of `vpc_id` with the secure defaults.
    pub fn new(vpc_id: impl Into<Value<String>>, subnets: Vec<Value<String>>, internet_facing: bool) -> Self {
        AlbProps {
            vpc_id: vpc_id.into(),
            subnets,
            internet_facing,
            name: None,
            drop_invalid_header_fields: true,
            deletion_protection: true,
            access_logs: None,
            idle_timeout_secs: None,
            security_group: None,
        }
    }

    /// What CloudFormation or Elastic Load Balancing would reject: the name, fewer than two subnets, the idle
    /// timeout.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(n) = &self.name {
            problems.extend(check_name("load balancer", n, true));
        }
        if self.subnets.len() < 2 {
            problems.push(format!(
                "an application load balancer needs subnets in at least two Availability Zones; {} given",
                self.subnets.len()
            ));
        }
        if let Some(t) = self.idle_timeout_secs {
            if !(1..=4000).contains(&t) {
                problems.push(format!("idle timeout {t} s is not in the range 1-4000"));
            }
        }
        problems
    }

    /// The load balancer attributes: header handling, deletion protection, idle timeout, access logs.
    fn attributes(&self) -> Vec<l1::load_balancer::LoadBalancerAttribute> {
        let mut attrs = vec![
            attribute(
                "routing.http.drop_invalid_header_fields.enabled",
                self.drop_invalid_header_fields.to_string(),
            ),
            attribute("deletion_protection.enabled", self.deletion_protection.to_string()),
        ];
        if let Some(t) = self.idle_timeout_secs {
            attrs.push(attribute("idle_timeout.timeout_seconds", t.to_string()));
        }
        access_log_attributes(&mut attrs, &self.access_logs);
        attrs
    }
}

/// An application load balancer.
#[derive(Clone, Debug)]
pub struct ApplicationLoadBalancer {
    pub(super) handle: Handle<l1::LoadBalancer>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
    pub(super) internet_facing: bool,
    pub(super) security_group: SecurityGroup,
    pub(super) vpc_id: Value<String>,
}

impl ApplicationLoadBalancer {
    pub fn new(scope: &mut Scope, id: &str, props: AlbProps) -> Self {
        let mut child = scope.child(id);
        for p in props.problems() {
            child.error(p);
        }
        let attributes = props.attributes();
        let description = format!("Load balancer {}", child.full_path());
        let security_group = match props.security_group {
            Some(sg) => sg,
            None => SecurityGroup::new(
                &mut child,
                "SecurityGroup",
                SecurityGroupProps {
                    vpc_id: props.vpc_id.clone(),
                    description,
                    allow_all_outbound: false,
                    group_name: None,
                },
            ),
        };
        let mut lb = base_load_balancer("application", props.internet_facing);
        lb.subnets = Some(Value::from(props.subnets.clone()));
        lb.security_groups = Some(Value::from(vec![security_group.id()]));
        lb.name = props.name.as_deref().map(Value::from);
        lb.load_balancer_attributes = Some(attributes);
        let handle = child.add("Resource", lb);
        let node = child.node_id();
        let path = child.path();
        let stack = child.stack();
        lb_common_findings(
            stack,
            &handle,
            "AlbProps",
            &props.access_logs,
            props.deletion_protection,
        );
        if !props.drop_invalid_header_fields {
            suppress(
                stack,
                &handle,
                &[
                    (Tool::Checkov, "CKV_AWS_131"),
                    (Tool::Guard, "CT.ELASTICLOADBALANCING.PR.4"),
                ],
                "invalid header fields are forwarded on purpose (AlbProps.drop_invalid_header_fields = false)",
            );
        }
        ApplicationLoadBalancer {
            handle,
            path,
            node: Some(node),
            internet_facing: props.internet_facing,
            security_group,
            vpc_id: props.vpc_id,
        }
    }

    /// The load balancer ARN (`Ref`).
    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }

    pub fn dns_name(&self) -> Value<String> {
        self.handle.attr_dns_name()
    }

    /// `LoadBalancerFullName` (`app/<name>/<id>`), used in CloudWatch dimensions.
    pub fn full_name(&self) -> Value<String> {
        self.handle.attr_load_balancer_full_name()
    }

    pub fn canonical_hosted_zone_id(&self) -> Value<String> {
        self.handle.attr_canonical_hosted_zone_id()
    }

    pub fn handle(&self) -> Handle<l1::LoadBalancer> {
        self.handle
    }

    pub fn is_internet_facing(&self) -> bool {
        self.internet_facing
    }

    pub fn security_group(&self) -> &SecurityGroup {
        &self.security_group
    }

    pub fn vpc_id(&self) -> &Value<String> {
        &self.vpc_id
    }

    /// Add a listener (construct id `id` below the load balancer).
    pub fn add_listener(&self, stack: &mut Stack, id: &str, props: ListenerProps) -> ApplicationListener {
        ApplicationListener::new(stack, self, id, props)
    }

    /// Add the port-80 listener that redirects every request to HTTPS on `https_port` (construct id
    /// `RedirectHttp`).
    pub fn redirect_http_to_https(&self, stack: &mut Stack, https_port: u16) -> ApplicationListener {
        self.add_listener(
            stack,
            "RedirectHttp",
            ListenerProps::http(80, ListenerAction::redirect_to_https(https_port)),
        )
    }
}

impl Connectable for ApplicationLoadBalancer {
    fn connections(&self) -> Connections {
        self.security_group.connections()
    }
}

impl Construct for ApplicationLoadBalancer {
    fn node_id(&self) -> Option<NodeId> {
        self.node
    }
    fn path(&self) -> &str {
        &self.path
    }
}
