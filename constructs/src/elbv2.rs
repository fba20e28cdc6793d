//! L2 constructs for Elastic Load Balancing v2: application load balancers (listeners, rules, target groups)
//! and network load balancers (TCP listeners and target groups), with secure defaults.
//!
//! Defaults and the findings of the security gate they answer:
//! - ALBs drop invalid header fields (CKV_AWS_131 / CT.ELASTICLOADBALANCING.PR.4), keep deletion protection on
//!   (CT.ELASTICLOADBALANCING.PR.5; turning it off records a suppression with the reason) and log to S3 when
//!   a bucket is given (CKV_AWS_91 / CT.ELASTICLOADBALANCING.PR.6; suppressed with a reason otherwise);
//! - an ALB gets its own security group without any egress rule until a target is allowed, and ingress only on
//!   the ports of its listeners (`open: true`);
//! - HTTPS listeners use [`DEFAULT_SSL_POLICY`] (TLS 1.3 / 1.2); an HTTP listener is either a redirect to
//!   HTTPS ([`ApplicationLoadBalancer::redirect_http_to_https`]) or, when no certificate is configured, carries
//!   suppressions that say so.
//!
//! Problems (ports, names, priorities, missing certificates) are recorded as diagnostics at the construct's
//! path and reported together at synthesis.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use indexmap::IndexMap;

use crate::cfn::elasticloadbalancingv2 as l1;
use crate::ec2::{Connectable, Connections, Port, SecurityGroup, SecurityGroupProps};
use crate::nag::{self, Tool};
use crate::s3::Bucket;
use crate::stack::{Handle, Scope, Stack, Untyped};
use crate::value::{fns, Expr, Value};

/// The TLS policy of HTTPS listeners unless given: TLS 1.3 and 1.2 only.
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// ELB security policies that still allow TLS 1.0 or 1.1 (rejected on HTTPS listeners; CKV_AWS_103).
pub const LEGACY_SSL_POLICIES: [&str; 7] = [
    "ELBSecurityPolicy-2016-08",
    "ELBSecurityPolicy-2015-05",
    "ELBSecurityPolicy-TLS-1-0-2015-04",
    "ELBSecurityPolicy-TLS-1-1-2017-01",
    "ELBSecurityPolicy-FS-2018-06",
    "ELBSecurityPolicy-FS-1-1-2019-08",
    "ELBSecurityPolicy-TLS13-1-0-2021-06",
];

/// Reason recorded on HTTP listeners (and their load balancer) when no certificate is configured.
pub const NO_CERTIFICATE_REASON: &str =
    "no certificate configured: HTTP only; give a certificate ARN to get HTTPS with an HTTP->HTTPS redirect";

// ---------------------------------------------------------------------------------------------------------------
// Shared checks

/// `None` when `port` is a literal in 1–65535 or not a literal; otherwise the message.
pub fn check_port(what: &str, port: &Value<i64>) -> Option<String> {
    match port.expr() {
        Expr::Int(p) if !(1..=65535).contains(p) => Some(format!("{what} port {p} is not in the range 1-65535")),
        _ => None,
    }
}

/// Checks of a load balancer or target group name (literal names only): at most 32 characters, alphanumerics
/// and hyphens, not beginning or ending with a hyphen; load balancer names must not begin with `internal-`.
pub fn check_name(what: &str, name: &str, is_load_balancer: bool) -> Vec<String> {
    let mut out = Vec::new();
    let len = name.chars().count();
    if len == 0 {
        out.push(format!("{what} name must not be empty"));
        return out;
    }
    if len > 32 {
        out.push(format!(
            "{what} name {name:?} is {len} characters; at most 32 are allowed"
        ));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        out.push(format!(
            "{what} name {name:?} may only contain alphanumeric characters and hyphens"
        ));
    }
    if name.starts_with('-') || name.ends_with('-') {
        out.push(format!("{what} name {name:?} must not begin or end with a hyphen"));
    }
    if is_load_balancer && name.starts_with("internal-") {
        out.push(format!("{what} name {name:?} must not begin with \"internal-\""));
    }
    out
}

pub(crate) fn suppress<R>(stack: &mut Stack, h: &Handle<R>, ids: &[(Tool, &str)], reason: &str) {
    nag::suppress_all(stack.resource_mut(h), ids, reason);
}

fn attribute(key: &str, value: impl Into<Value<String>>) -> l1::load_balancer::LoadBalancerAttribute {
    l1::load_balancer::LoadBalancerAttribute {
        key: Some(key.into()),
        value: Some(value.into()),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Target groups

/// Protocol of an application listener or target group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ApplicationProtocol {
    #[default]
    Http,
    Https,
}

impl ApplicationProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationProtocol::Http => "HTTP",
            ApplicationProtocol::Https => "HTTPS",
        }
    }
}

/// What a target group routes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TargetType {
    /// IP addresses: what Fargate tasks (awsvpc networking) register as.
    #[default]
    Ip,
    Instance,
    Lambda,
    Alb,
}

impl TargetType {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetType::Ip => "ip",
            TargetType::Instance => "instance",
            TargetType::Lambda => "lambda",
            TargetType::Alb => "alb",
        }
    }
}

/// Health check of a target group. `None` fields keep the service defaults.
#[derive(Clone, Debug, Default)]
pub struct HealthCheck {
    /// Path of the HTTP(S) check (default `/`; ignored for TCP).
    pub path: Option<String>,
    /// Seconds between checks (5–300).
    pub interval_secs: Option<u32>,
    /// Seconds without a response before the check fails (2–120, below the interval).
    pub timeout_secs: Option<u32>,
    /// Consecutive successes before a target is healthy (2–10).
    pub healthy_threshold: Option<u32>,
    /// Consecutive failures before a target is unhealthy (2–10).
    pub unhealthy_threshold: Option<u32>,
    /// HTTP codes counted as healthy, e.g. `200` or `200-299`.
    pub healthy_http_codes: Option<String>,
    /// The port to check (default: the traffic port).
    pub port: Option<Value<String>>,
}

impl HealthCheck {
    /// Checks every `interval_secs` with the given path, like AWS's Proton sample (`/`, 6 s, 5 s timeout, 2/2).
    pub fn http(path: &str) -> Self {
        HealthCheck {
            path: Some(path.to_owned()),
            ..HealthCheck::default()
        }
    }

    fn validate(&self, out: &mut Vec<String>) {
        if let (Some(t), Some(i)) = (self.timeout_secs, self.interval_secs) {
            if t >= i {
                out.push(format!(
                    "health check timeout {t} s must be shorter than the interval {i} s"
                ));
            }
        }
        if let Some(p) = &self.path {
            if !p.starts_with('/') {
                out.push(format!("health check path {p:?} must begin with '/'"));
            }
        }
    }
}

/// Properties of [`ApplicationTargetGroup`].
#[derive(Clone, Debug)]
pub struct TargetGroupProps {
    pub vpc_id: Value<String>,
    /// Port the targets listen on (may be a late-bound value).
    pub port: Value<i64>,
    pub protocol: ApplicationProtocol,
    pub target_type: TargetType,
    pub health_check: HealthCheck,
    /// Physical name (≤ 32 characters; may be a late-bound expression, then unchecked). Default: generated.
    pub name: Option<Value<String>>,
    /// Seconds to drain a deregistering target (0–3600; service default 300).
    pub deregistration_delay_secs: Option<u32>,
}

impl TargetGroupProps {
    /// An HTTP target group of IP targets (Fargate) on `port`.
    pub fn new(vpc_id: impl Into<Value<String>>, port: impl Into<Value<i64>>) -> Self {
        TargetGroupProps {
            vpc_id: vpc_id.into(),
            port: port.into(),
            protocol: ApplicationProtocol::Http,
            target_type: TargetType::Ip,
            health_check: HealthCheck::default(),
            name: None,
            deregistration_delay_secs: None,
        }
    }
}

/// What a target group learns when listeners forward to it and services register in it; shared by clones.
#[derive(Debug, Default)]
struct TargetGroupLinks {
    /// `LoadBalancerFullName` of every load balancer forwarding to the group.
    load_balancer_full_names: Vec<Value<String>>,
    /// Listeners and rules forwarding to the group.
    forwarders: Vec<Handle<Untyped>>,
    /// Resources that must be created after the group is attached to a load balancer (ECS services).
    dependents: Vec<Handle<Untyped>>,
}

/// A target group of an application load balancer.
#[derive(Clone, Debug)]
pub struct ApplicationTargetGroup {
    handle: Handle<l1::TargetGroup>,
    path: String,
    port: Value<i64>,
    protocol: ApplicationProtocol,
    target_type: TargetType,
    links: Arc<Mutex<TargetGroupLinks>>,
}

impl ApplicationTargetGroup {
    pub fn new(scope: &mut Scope, id: &str, props: TargetGroupProps) -> Self {
        let mut child = scope.child(id);
        let mut problems = Vec::new();
        let port_problem = check_port("target group", &props.port);
        let port_ok = port_problem.is_none();
        problems.extend(port_problem);
        if let Some(name) = props.name.as_ref().and_then(Value::as_literal) {
            problems.extend(check_name("target group", name, false));
        }
        props.health_check.validate(&mut problems);
        if let Some(d) = props.deregistration_delay_secs {
            if d > 3600 {
                problems.push(format!("deregistration delay {d} s is above the maximum 3600 s"));
            }
        }
        if props.target_type == TargetType::Lambda {
            problems.push("Lambda targets are not supported by ApplicationTargetGroup".to_owned());
        }
        for p in problems {
            child.error(p);
        }
        let hc = &props.health_check;
        let mut tg = l1::TargetGroup::new();
        tg.vpc_id = Some(props.vpc_id);
        // An out-of-range port is reported above, once (not again by the schema check).
        tg.port = port_ok.then(|| props.port.clone());
        tg.protocol = Some(props.protocol.as_str().into());
        tg.target_type = Some(props.target_type.as_str().into());
        tg.name = props.name;
        tg.health_check_enabled = Some(true.into());
        tg.health_check_protocol = Some(props.protocol.as_str().into());
        tg.health_check_path = Some(hc.path.clone().unwrap_or_else(|| "/".to_owned()).into());
        tg.health_check_port = hc.port.clone();
        tg.health_check_interval_seconds = hc.interval_secs.map(Value::from);
        tg.health_check_timeout_seconds = hc.timeout_secs.map(Value::from);
        tg.healthy_threshold_count = hc.healthy_threshold.map(Value::from);
        tg.unhealthy_threshold_count = hc.unhealthy_threshold.map(Value::from);
        tg.matcher = hc.healthy_http_codes.as_ref().map(|c| l1::target_group::Matcher {
            http_code: Some(c.as_str().into()),
            grpc_code: None,
        });
        if let Some(d) = props.deregistration_delay_secs {
            tg.target_group_attributes = Some(vec![l1::target_group::TargetGroupAttribute {
                key: Some("deregistration_delay.timeout_seconds".into()),
                value: Some(d.to_string().into()),
            }]);
        }
        let handle = child.add("Resource", tg);
        ApplicationTargetGroup {
            handle,
            path: child.path(),
            port: props.port,
            protocol: props.protocol,
            target_type: props.target_type,
            links: Arc::default(),
        }
    }

    /// The target group ARN (`Ref`).
    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }

    /// `TargetGroupFullName` (`targetgroup/<name>/<id>`), used in CloudWatch dimensions.
    pub fn full_name(&self) -> Value<String> {
        self.handle.attr_target_group_full_name()
    }

    pub fn handle(&self) -> Handle<l1::TargetGroup> {
        self.handle
    }

    /// Construct path below the stack.
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn port(&self) -> &Value<i64> {
        &self.port
    }

    pub fn protocol(&self) -> ApplicationProtocol {
        self.protocol
    }

    pub fn target_type(&self) -> TargetType {
        self.target_type
    }

    /// The `ResourceLabel` of the `ALBRequestCountPerTarget` metric (`<lb full name>/<tg full name>`), once a
    /// listener of a load balancer forwards to this group.
    pub fn request_count_resource_label(&self) -> Option<Value<String>> {
        let links = self.links.lock().ok()?;
        let lb = links.load_balancer_full_names.first()?.clone();
        Some(fns::join("/", [lb, self.full_name()]))
    }

    /// Listeners and rules that forward to this group (creation order).
    pub fn forwarders(&self) -> Vec<Handle<Untyped>> {
        self.links.lock().map(|l| l.forwarders.clone()).unwrap_or_default()
    }

    /// Make `dependent` (e.g. an ECS service registering in this group) depend on every listener and rule
    /// forwarding to the group, now and when added later: ECS rejects a target group without a load balancer.
    pub fn add_dependent<R>(&self, stack: &mut Stack, dependent: &Handle<R>) {
        let Ok(mut links) = self.links.lock() else { return };
        for f in &links.forwarders {
            stack.add_dependency(dependent, f);
        }
        links.dependents.push(dependent.untyped());
    }

    fn register_forwarder<R>(&self, stack: &mut Stack, forwarder: &Handle<R>, lb_full_name: Value<String>) {
        let Ok(mut links) = self.links.lock() else { return };
        for d in &links.dependents {
            stack.add_dependency(d, forwarder);
        }
        links.forwarders.push(forwarder.untyped());
        if !links.load_balancer_full_names.contains(&lb_full_name) {
            links.load_balancer_full_names.push(lb_full_name);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Actions and conditions

/// What a listener or rule does with a request.
#[derive(Clone, Debug)]
pub enum ListenerAction {
    /// Forward to a target group.
    Forward(ApplicationTargetGroup),
    /// Answer directly.
    FixedResponse {
        status_code: u16,
        content_type: Option<String>,
        message_body: Option<String>,
    },
    /// Redirect (HTTP 301 when `permanent`, else 302). `None` fields keep the request's value.
    Redirect {
        protocol: Option<ApplicationProtocol>,
        port: Option<u16>,
        host: Option<String>,
        path: Option<String>,
        query: Option<String>,
        permanent: bool,
    },
}

impl ListenerAction {
    pub fn forward(tg: &ApplicationTargetGroup) -> Self {
        ListenerAction::Forward(tg.clone())
    }

    pub fn fixed_response(status_code: u16) -> Self {
        ListenerAction::FixedResponse {
            status_code,
            content_type: None,
            message_body: None,
        }
    }

    /// A permanent redirect to HTTPS on `port`, keeping host, path and query.
    pub fn redirect_to_https(port: u16) -> Self {
        ListenerAction::Redirect {
            protocol: Some(ApplicationProtocol::Https),
            port: Some(port),
            host: None,
            path: None,
            query: None,
            permanent: true,
        }
    }

    fn validate(&self, out: &mut Vec<String>) {
        match self {
            ListenerAction::FixedResponse {
                status_code,
                content_type,
                message_body,
            } => {
                if !(200..=599).contains(status_code) {
                    out.push(format!(
                        "fixed response status code {status_code} is not in the range 200-599"
                    ));
                }
                if let Some(c) = content_type {
                    const TYPES: [&str; 5] = [
                        "text/plain",
                        "text/css",
                        "text/html",
                        "application/javascript",
                        "application/json",
                    ];
                    if !TYPES.contains(&c.as_str()) {
                        out.push(format!(
                            "fixed response content type {c:?} is not one of: {}",
                            TYPES.join(", ")
                        ));
                    }
                }
                if message_body.as_ref().is_some_and(|b| b.len() > 1024) {
                    out.push("fixed response message body is longer than 1024 bytes".to_owned());
                }
            }
            ListenerAction::Redirect {
                protocol,
                port,
                host,
                path,
                query,
                ..
            } => {
                if protocol.is_none() && port.is_none() && host.is_none() && path.is_none() && query.is_none() {
                    out.push("a redirect must change at least one of protocol, port, host, path or query".to_owned());
                }
                if *port == Some(0) {
                    out.push("redirect port 0 is not in the range 1-65535".to_owned());
                }
            }
            ListenerAction::Forward(_) => {}
        }
    }

    fn target_group(&self) -> Option<&ApplicationTargetGroup> {
        match self {
            ListenerAction::Forward(tg) => Some(tg),
            _ => None,
        }
    }
}

/// A condition of a listener rule.
#[derive(Clone, Debug)]
pub enum Condition {
    /// Request path patterns (`/api/*`); each up to 128 characters.
    PathPatterns(Vec<String>),
    /// Host names (`api.example.com`, `*.example.com`); each up to 128 characters.
    HostHeaders(Vec<String>),
}

impl Condition {
    fn values(&self) -> &[String] {
        match self {
            Condition::PathPatterns(v) | Condition::HostHeaders(v) => v,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Condition::PathPatterns(_) => "path pattern",
            Condition::HostHeaders(_) => "host header",
        }
    }

    fn to_l1(&self) -> l1::listener_rule::RuleCondition {
        let values = Some(Value::from(
            self.values()
                .iter()
                .map(|v| Value::from(v.as_str()))
                .collect::<Vec<_>>(),
        ));
        match self {
            Condition::PathPatterns(_) => l1::listener_rule::RuleCondition {
                field: Some("path-pattern".into()),
                path_pattern_config: Some(l1::listener_rule::PathPatternConfig {
                    values,
                    regex_values: None,
                }),
                ..Default::default()
            },
            Condition::HostHeaders(_) => l1::listener_rule::RuleCondition {
                field: Some("host-header".into()),
                host_header_config: Some(l1::listener_rule::HostHeaderConfig {
                    values,
                    regex_values: None,
                }),
                ..Default::default()
            },
        }
    }
}

/// Build the typed action of a listener (`listener`) or rule (`listener_rule`): the two L1 modules have the
/// same shapes under different types.
macro_rules! build_action {
    ($m:ident, $a:expr) => {{
        use l1::$m as m;
        match $a {
            ListenerAction::Forward(tg) => {
                let mut x = m::Action::new("forward");
                x.target_group_arn = Some(tg.arn());
                x
            }
            ListenerAction::FixedResponse {
                status_code,
                content_type,
                message_body,
            } => {
                let mut x = m::Action::new("fixed-response");
                let mut c = m::FixedResponseConfig::new(status_code.to_string());
                c.content_type = content_type.as_deref().map(Value::from);
                // A body over the limit is reported by validate(), once.
                c.message_body = message_body.as_deref().filter(|b| b.len() <= 1024).map(Value::from);
                x.fixed_response_config = Some(c);
                x
            }
            ListenerAction::Redirect {
                protocol,
                port,
                host,
                path,
                query,
                permanent,
            } => {
                let mut x = m::Action::new("redirect");
                let mut c = m::RedirectConfig::new(if *permanent { "HTTP_301" } else { "HTTP_302" });
                c.protocol = protocol.map(|p| Value::from(p.as_str()));
                c.port = port.map(|p| Value::from(p.to_string()));
                c.host = host.as_deref().map(Value::from);
                c.path = path.as_deref().map(Value::from);
                c.query = query.as_deref().map(Value::from);
                x.redirect_config = Some(c);
                x
            }
        }
    }};
}

fn child_path(parent: &str, id: &str) -> String {
    if parent.is_empty() {
        id.to_owned()
    } else {
        format!("{parent}/{id}")
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Application load balancer

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
fn access_log_attributes(attrs: &mut Vec<l1::load_balancer::LoadBalancerAttribute>, logs: &Option<AccessLogs>) {
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
fn base_load_balancer(kind: &str, internet_facing: bool) -> l1::LoadBalancer {
    let mut lb = l1::LoadBalancer::new();
    lb.r#type = Some(kind.into());
    lb.scheme = Some(if internet_facing { "internet-facing" } else { "internal" }.into());
    lb
}

/// What ALBs and NLBs share: the dependency on the access-log bucket policy, and reasoned suppressions when
/// access logs or deletion protection are off.
fn lb_common_findings<R>(
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

fn depend_on_log_bucket<R>(stack: &mut Stack, lb: &Handle<R>, logs: &Option<AccessLogs>) {
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
}

/// An application load balancer.
#[derive(Clone, Debug)]
pub struct ApplicationLoadBalancer {
    handle: Handle<l1::LoadBalancer>,
    path: String,
    internet_facing: bool,
    security_group: SecurityGroup,
    vpc_id: Value<String>,
}

impl ApplicationLoadBalancer {
    pub fn new(scope: &mut Scope, id: &str, props: AlbProps) -> Self {
        let mut child = scope.child(id);
        let mut problems = Vec::new();
        if let Some(n) = &props.name {
            problems.extend(check_name("load balancer", n, true));
        }
        if props.subnets.len() < 2 {
            problems.push(format!(
                "an application load balancer needs subnets in at least two Availability Zones; {} given",
                props.subnets.len()
            ));
        }
        if let Some(t) = props.idle_timeout_secs {
            if !(1..=4000).contains(&t) {
                problems.push(format!("idle timeout {t} s is not in the range 1-4000"));
            }
        }
        for p in problems {
            child.error(p);
        }
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
        let mut attrs = vec![
            attribute(
                "routing.http.drop_invalid_header_fields.enabled",
                props.drop_invalid_header_fields.to_string(),
            ),
            attribute("deletion_protection.enabled", props.deletion_protection.to_string()),
        ];
        if let Some(t) = props.idle_timeout_secs {
            attrs.push(attribute("idle_timeout.timeout_seconds", t.to_string()));
        }
        access_log_attributes(&mut attrs, &props.access_logs);
        let mut lb = base_load_balancer("application", props.internet_facing);
        lb.subnets = Some(Value::from(props.subnets.clone()));
        lb.security_groups = Some(Value::from(vec![security_group.id()]));
        lb.name = props.name.as_deref().map(Value::from);
        lb.load_balancer_attributes = Some(attrs);
        let handle = child.add("Resource", lb);
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

    pub fn path(&self) -> &str {
        &self.path
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

// ---------------------------------------------------------------------------------------------------------------
// Listeners

/// Properties of [`ApplicationListener`].
#[derive(Clone, Debug)]
pub struct ListenerProps {
    pub port: u16,
    pub protocol: ApplicationProtocol,
    /// ACM certificate ARNs: at least one for HTTPS, none for HTTP.
    pub certificate_arns: Vec<Value<String>>,
    /// TLS policy of an HTTPS listener (default [`DEFAULT_SSL_POLICY`]).
    pub ssl_policy: Option<String>,
    pub default_action: ListenerAction,
    /// Allow the whole internet (0.0.0.0/0) to the listener port in the load balancer's security group
    /// (default true). For an internal load balancer, set false and allow specific peers instead.
    pub open: bool,
}

impl ListenerProps {
    pub fn http(port: u16, default_action: ListenerAction) -> Self {
        ListenerProps {
            port,
            protocol: ApplicationProtocol::Http,
            certificate_arns: Vec::new(),
            ssl_policy: None,
            default_action,
            open: true,
        }
    }

    pub fn https(port: u16, certificate_arns: Vec<Value<String>>, default_action: ListenerAction) -> Self {
        ListenerProps {
            port,
            protocol: ApplicationProtocol::Https,
            certificate_arns,
            ssl_policy: None,
            default_action,
            open: true,
        }
    }
}

/// A listener of an application load balancer.
#[derive(Clone, Debug)]
pub struct ApplicationListener {
    handle: Handle<l1::Listener>,
    path: String,
    port: u16,
    protocol: ApplicationProtocol,
    load_balancer_full_name: Value<String>,
    /// Whether the duplicate-priority validation of this listener is registered (shared by clones).
    priority_check: Arc<AtomicBool>,
}

impl ApplicationListener {
    fn new(stack: &mut Stack, lb: &ApplicationLoadBalancer, id: &str, props: ListenerProps) -> Self {
        let mut problems = Vec::new();
        if props.port == 0 {
            problems.push("listener port 0 is not in the range 1-65535".to_owned());
        }
        match props.protocol {
            ApplicationProtocol::Https if props.certificate_arns.is_empty() => problems.push(format!(
                "HTTPS listener on port {} needs at least one certificate ARN",
                props.port
            )),
            ApplicationProtocol::Http if !props.certificate_arns.is_empty() => problems.push(format!(
                "HTTP listener on port {} cannot use certificates; use ApplicationProtocol::Https",
                props.port
            )),
            ApplicationProtocol::Http if props.ssl_policy.is_some() => problems.push(format!(
                "HTTP listener on port {} cannot have an SSL policy",
                props.port
            )),
            _ => {}
        }
        props.default_action.validate(&mut problems);
        if let Some(policy) = props.ssl_policy.as_deref() {
            if LEGACY_SSL_POLICIES.contains(&policy) {
                problems.push(format!(
                    "SSL policy {policy} allows TLS versions below 1.2; use {DEFAULT_SSL_POLICY} or another TLS 1.2+ policy"
                ));
            }
        }

        let mut listener = l1::Listener::new(vec![build_action!(listener, &props.default_action)], lb.arn());
        // Port 0 is reported above, once (not again by the schema check).
        listener.port = (props.port != 0).then(|| i64::from(props.port).into());
        listener.protocol = Some(props.protocol.as_str().into());
        if props.protocol == ApplicationProtocol::Https {
            listener.ssl_policy = Some(props.ssl_policy.as_deref().unwrap_or(DEFAULT_SSL_POLICY).into());
            listener.certificates = Some(
                props
                    .certificate_arns
                    .iter()
                    .map(|c| l1::listener::Certificate {
                        certificate_arn: Some(c.clone()),
                    })
                    .collect(),
            );
        }
        let mut scope = stack.scope_at(&lb.path);
        let handle = scope.add(id, listener);
        let path = child_path(&scope.path(), id);
        for p in problems {
            stack.error(&path, p);
        }
        if props.port != 0 {
            register_port_check(stack, lb, &path, props.port);
        }
        if let Some(tg) = props.default_action.target_group() {
            tg.register_forwarder(stack, &handle, lb.full_name());
        }
        let is_redirect = matches!(
            props.default_action,
            ListenerAction::Redirect {
                protocol: Some(ApplicationProtocol::Https),
                ..
            }
        );
        if props.protocol == ApplicationProtocol::Http && !is_redirect {
            suppress(
                stack,
                &handle,
                &[
                    (Tool::Checkov, "CKV_AWS_2"),
                    (Tool::Checkov, "CKV_AWS_103"),
                    (Tool::Guard, "CT.ELASTICLOADBALANCING.PR.1"),
                ],
                NO_CERTIFICATE_REASON,
            );
        }
        if props.open && props.port != 0 {
            let description = if lb.internet_facing {
                format!(
                    "public listener on port {} of an internet-facing load balancer",
                    props.port
                )
            } else {
                format!("listener on port {}", props.port)
            };
            lb.connections()
                .allow_from_any_ipv4(&mut stack.scope_at(&lb.path), Port::tcp(props.port), &description);
        }
        ApplicationListener {
            handle,
            path,
            port: props.port,
            protocol: props.protocol,
            load_balancer_full_name: lb.full_name(),
            priority_check: Arc::default(),
        }
    }

    /// The listener ARN (`Ref`).
    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }

    pub fn handle(&self) -> Handle<l1::Listener> {
        self.handle
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn protocol(&self) -> ApplicationProtocol {
        self.protocol
    }

    /// Add a rule (construct id `id` below the listener).
    pub fn add_rule(
        &self,
        stack: &mut Stack,
        id: &str,
        priority: u32,
        conditions: Vec<Condition>,
        action: ListenerAction,
    ) -> ApplicationListenerRule {
        let mut scope = stack.scope_at(&self.path);
        ApplicationListenerRule::new(
            &mut scope,
            id,
            RuleProps {
                listener: self.clone(),
                priority,
                conditions,
                action,
            },
        )
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Listener rules

/// Properties of [`ApplicationListenerRule`].
#[derive(Clone, Debug)]
pub struct RuleProps {
    pub listener: ApplicationListener,
    /// 1–50000, unique per listener; lower numbers are evaluated first.
    pub priority: u32,
    /// At least one; at most five condition values in total.
    pub conditions: Vec<Condition>,
    pub action: ListenerAction,
}

/// A rule of an application listener.
#[derive(Clone, Debug)]
pub struct ApplicationListenerRule {
    handle: Handle<l1::ListenerRule>,
    path: String,
    priority: u32,
}

impl ApplicationListenerRule {
    pub fn new(scope: &mut Scope, id: &str, props: RuleProps) -> Self {
        let mut problems = Vec::new();
        if !(1..=50000).contains(&props.priority) {
            problems.push(format!(
                "listener rule priority {} is not in the range 1-50000",
                props.priority
            ));
        }
        if props.conditions.is_empty() {
            problems.push("a listener rule needs at least one condition".to_owned());
        }
        let total: usize = props.conditions.iter().map(|c| c.values().len()).sum();
        if total > 5 {
            problems.push(format!(
                "a listener rule allows at most 5 condition values in total; {total} given"
            ));
        }
        for c in &props.conditions {
            if c.values().is_empty() {
                problems.push(format!("a {} condition needs at least one value", c.kind()));
            }
            for v in c.values() {
                if v.chars().count() > 128 {
                    problems.push(format!("{} {v:?} is longer than 128 characters", c.kind()));
                }
            }
        }
        props.action.validate(&mut problems);
        let mut rule = l1::ListenerRule::new(
            vec![build_action!(listener_rule, &props.action)],
            props.conditions.iter().map(Condition::to_l1).collect(),
            // An out-of-range priority is reported above, once (not again by the schema check).
            i64::from(props.priority.clamp(1, 50000)),
        );
        rule.listener_arn = Some(props.listener.arn());
        let handle = scope.add(id, rule);
        let path = child_path(&scope.path(), id);
        let stack = scope.stack();
        for p in problems {
            stack.error(&path, p);
        }
        if let Some(tg) = props.action.target_group() {
            tg.register_forwarder(stack, &handle, props.listener.load_balancer_full_name.clone());
        }
        register_priority_check(stack, &props.listener);
        ApplicationListenerRule {
            handle,
            path,
            priority: props.priority,
        }
    }

    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }

    pub fn handle(&self) -> Handle<l1::ListenerRule> {
        self.handle
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn priority(&self) -> u32 {
        self.priority
    }
}

/// A load balancer accepts one listener per port (CloudFormation fails the deployment otherwise): each listener
/// checks, on the final template, how many listeners of its load balancer use its port.
fn register_port_check(stack: &mut Stack, lb: &ApplicationLoadBalancer, path: &str, port: u16) {
    let lb_ref = lb.handle.element();
    let lb_path = stack.full_path(&lb.path);
    stack.add_validation(path, move |s: &Stack| {
        let n = s
            .resources()
            .filter(|r| r.type_name() == "AWS::ElasticLoadBalancingV2::Listener")
            .filter(|r| match r.properties() {
                Expr::Map(m) => {
                    m.get("LoadBalancerArn") == Some(&Expr::Ref(lb_ref))
                        && m.get("Port") == Some(&Expr::Int(i64::from(port)))
                }
                _ => false,
            })
            .count();
        if n > 1 {
            vec![format!(
                "listener port {port} is used by {n} listeners of load balancer {lb_path}"
            )]
        } else {
            Vec::new()
        }
    });
}

/// One validation per listener (registered with its first rule) that sees every rule of the final template.
fn register_priority_check(stack: &mut Stack, listener: &ApplicationListener) {
    if listener.priority_check.swap(true, Ordering::Relaxed) {
        return;
    }
    let listener_ref = listener.handle.element();
    let listener_path = stack.full_path(&listener.path);
    stack.add_validation(&listener.path, move |s: &Stack| {
        let mut counts: IndexMap<i64, usize> = IndexMap::new();
        for r in s.resources() {
            if r.type_name() != "AWS::ElasticLoadBalancingV2::ListenerRule" {
                continue;
            }
            let Expr::Map(m) = r.properties() else { continue };
            if m.get("ListenerArn") != Some(&Expr::Ref(listener_ref)) {
                continue;
            }
            if let Some(Expr::Int(p)) = m.get("Priority") {
                *counts.entry(*p).or_default() += 1;
            }
        }
        counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(p, n)| {
                let times = if n == 2 {
                    "twice".to_owned()
                } else {
                    format!("{n} times")
                };
                format!("listener rule priority {p} is used {times} on listener {listener_path}")
            })
            .collect()
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Network load balancer

/// Properties of [`NetworkLoadBalancer`].
#[derive(Clone, Debug)]
pub struct NlbProps {
    pub subnets: Vec<Value<String>>,
    pub internet_facing: bool,
    pub name: Option<String>,
    /// Deletion protection (default true; off records a suppression with the reason).
    pub deletion_protection: bool,
    /// Cross-zone load balancing (default true, CT.ELASTICLOADBALANCING.PR.14).
    pub cross_zone: bool,
    /// Access logs to S3 (TLS listeners only log); without, the finding is suppressed with a reason.
    pub access_logs: Option<AccessLogs>,
}

impl NlbProps {
    pub fn new(subnets: Vec<Value<String>>, internet_facing: bool) -> Self {
        NlbProps {
            subnets,
            internet_facing,
            name: None,
            deletion_protection: true,
            cross_zone: true,
            access_logs: None,
        }
    }
}

/// A network load balancer.
#[derive(Clone, Debug)]
pub struct NetworkLoadBalancer {
    handle: Handle<l1::LoadBalancer>,
    path: String,
}

impl NetworkLoadBalancer {
    pub fn new(scope: &mut Scope, id: &str, props: NlbProps) -> Self {
        let mut child = scope.child(id);
        let mut problems = Vec::new();
        if let Some(n) = &props.name {
            problems.extend(check_name("load balancer", n, true));
        }
        if props.subnets.is_empty() {
            problems.push("a network load balancer needs at least one subnet".to_owned());
        }
        for p in problems {
            child.error(p);
        }
        let mut attrs = vec![
            attribute("deletion_protection.enabled", props.deletion_protection.to_string()),
            attribute("load_balancing.cross_zone.enabled", props.cross_zone.to_string()),
        ];
        access_log_attributes(&mut attrs, &props.access_logs);
        let mut lb = base_load_balancer("network", props.internet_facing);
        lb.subnets = Some(Value::from(props.subnets));
        lb.name = props.name.as_deref().map(Value::from);
        lb.load_balancer_attributes = Some(attrs);
        let handle = child.add("Resource", lb);
        let path = child.path();
        let stack = child.stack();
        lb_common_findings(
            stack,
            &handle,
            "NlbProps",
            &props.access_logs,
            props.deletion_protection,
        );
        if !props.cross_zone {
            suppress(
                stack,
                &handle,
                &[(Tool::Guard, "CT.ELASTICLOADBALANCING.PR.14")],
                "cross-zone load balancing turned off on purpose (NlbProps.cross_zone = false)",
            );
        }
        NetworkLoadBalancer { handle, path }
    }

    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }

    pub fn dns_name(&self) -> Value<String> {
        self.handle.attr_dns_name()
    }

    pub fn handle(&self) -> Handle<l1::LoadBalancer> {
        self.handle
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Add a TCP listener forwarding to `target_group` (construct id `id` below the load balancer).
    pub fn add_listener(
        &self,
        stack: &mut Stack,
        id: &str,
        port: u16,
        target_group: &NetworkTargetGroup,
    ) -> NetworkListener {
        let mut action = l1::listener::Action::new("forward");
        action.target_group_arn = Some(target_group.arn());
        let mut listener = l1::Listener::new(vec![action], self.arn());
        listener.port = (port != 0).then(|| i64::from(port).into());
        listener.protocol = Some("TCP".into());
        let mut scope = stack.scope_at(&self.path);
        let handle = scope.add(id, listener);
        let path = child_path(&scope.path(), id);
        if port == 0 {
            stack.error(&path, "listener port 0 is not in the range 1-65535");
        }
        if let Ok(mut links) = target_group.links.lock() {
            for d in &links.dependents {
                stack.add_dependency(d, &handle);
            }
            links.forwarders.push(handle.untyped());
        }
        NetworkListener { handle, path, port }
    }
}

/// A TCP listener of a network load balancer.
#[derive(Clone, Debug)]
pub struct NetworkListener {
    handle: Handle<l1::Listener>,
    path: String,
    port: u16,
}

impl NetworkListener {
    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }
    pub fn handle(&self) -> Handle<l1::Listener> {
        self.handle
    }
    pub fn path(&self) -> &str {
        &self.path
    }
    pub fn port(&self) -> u16 {
        self.port
    }
}

/// Properties of [`NetworkTargetGroup`].
#[derive(Clone, Debug)]
pub struct NetworkTargetGroupProps {
    pub vpc_id: Value<String>,
    pub port: Value<i64>,
    pub target_type: TargetType,
    /// Seconds between TCP health checks (5–300).
    pub health_check_interval_secs: Option<u32>,
    pub name: Option<Value<String>>,
}

impl NetworkTargetGroupProps {
    pub fn new(vpc_id: impl Into<Value<String>>, port: impl Into<Value<i64>>) -> Self {
        NetworkTargetGroupProps {
            vpc_id: vpc_id.into(),
            port: port.into(),
            target_type: TargetType::Ip,
            health_check_interval_secs: None,
            name: None,
        }
    }
}

/// A TCP target group of a network load balancer (TCP health check).
#[derive(Clone, Debug)]
pub struct NetworkTargetGroup {
    handle: Handle<l1::TargetGroup>,
    path: String,
    port: Value<i64>,
    links: Arc<Mutex<TargetGroupLinks>>,
}

impl NetworkTargetGroup {
    pub fn new(scope: &mut Scope, id: &str, props: NetworkTargetGroupProps) -> Self {
        let mut child = scope.child(id);
        let mut problems = Vec::new();
        let port_problem = check_port("target group", &props.port);
        let port_ok = port_problem.is_none();
        problems.extend(port_problem);
        if let Some(name) = props.name.as_ref().and_then(Value::as_literal) {
            problems.extend(check_name("target group", name, false));
        }
        if matches!(props.target_type, TargetType::Lambda) {
            problems.push("Lambda targets are not supported by a network target group".to_owned());
        }
        for p in problems {
            child.error(p);
        }
        let mut tg = l1::TargetGroup::new();
        tg.vpc_id = Some(props.vpc_id);
        tg.port = port_ok.then(|| props.port.clone());
        tg.protocol = Some("TCP".into());
        tg.target_type = Some(props.target_type.as_str().into());
        tg.name = props.name;
        tg.health_check_enabled = Some(true.into());
        tg.health_check_protocol = Some("TCP".into());
        tg.health_check_interval_seconds = props.health_check_interval_secs.map(Value::from);
        let handle = child.add("Resource", tg);
        NetworkTargetGroup {
            handle,
            path: child.path(),
            port: props.port,
            links: Arc::default(),
        }
    }

    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }
    pub fn handle(&self) -> Handle<l1::TargetGroup> {
        self.handle
    }
    pub fn path(&self) -> &str {
        &self.path
    }
    pub fn port(&self) -> &Value<i64> {
        &self.port
    }

    /// Make `dependent` (e.g. an ECS service) depend on the listeners forwarding to this group.
    pub fn add_dependent<R>(&self, stack: &mut Stack, dependent: &Handle<R>) {
        let Ok(mut links) = self.links.lock() else { return };
        for f in &links.forwarders {
            stack.add_dependency(dependent, f);
        }
        links.dependents.push(dependent.untyped());
    }
}
