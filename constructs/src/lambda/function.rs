//! [`Function`]: a Lambda function with its role, log group and permissions.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::cfn;
use crate::cfn::lambda::function as f;
use crate::iam::{self, Grant, Grantee, PolicyStatement, Principal, Role, RoleProps};
use crate::kms;
use crate::logs::{LogGroup, LogGroupProps, RetentionDays};
use crate::nag::{self, Tool};
use crate::stack::{Construct, Handle, NodeId, Scope, Stack};
use crate::value::{fns, Expr, Json, Value};

use super::*;

/// Properties of [`Function`].
#[derive(Clone, Debug)]
pub struct FunctionProps {
    pub description: Option<String>,
    /// A [`Runtime`] (`Runtime::Nodejs22.into()`) or a late-bound runtime identifier, e.g. an AWS Proton
    /// input (default python3.13).
    pub runtime: Value<String>,
    /// Default `index.handler`.
    pub handler: String,
    pub code: Code,
    /// MB, 128–10240 (default 128; checked when literal).
    pub memory_size: Value<i64>,
    /// Seconds, 1–900 (default 3; checked when literal).
    pub timeout_seconds: Value<i64>,
    pub environment: IndexMap<String, Value<String>>,
    /// Customer managed key for the environment variables (CKV_AWS_173); the role gets decrypt on it.
    pub environment_key: Option<kms::Key>,
    /// None: a role (child `Role`) with inline permissions only.
    pub role: Option<Role>,
    /// Retention of the created log group (default one year).
    pub log_retention: RetentionDays,
    /// JSON logs (`LogFormat: JSON`) with this application log level (one of [`APPLICATION_LOG_LEVELS`],
    /// checked when literal). None: Lambda's default text format.
    pub application_log_level: Option<Value<String>>,
    /// Default arm64.
    pub architecture: Architecture,
    /// Concurrent executions reserved for (and limiting) the function (not negative; checked when literal).
    pub reserved_concurrency: Option<Value<i64>>,
    pub dead_letter: Option<DeadLetter>,
    /// X-Ray active tracing (default true).
    pub tracing: bool,
    pub vpc: Option<VpcPlacement>,
}

impl Default for FunctionProps {
    fn default() -> Self {
        FunctionProps {
            description: None,
            runtime: Runtime::Python313.into(),
            handler: "index.handler".to_owned(),
            code: Code::default(),
            memory_size: 128.into(),
            timeout_seconds: 3.into(),
            environment: IndexMap::new(),
            environment_key: None,
            role: None,
            log_retention: RetentionDays::OneYear,
            application_log_level: None,
            architecture: Architecture::Arm64,
            reserved_concurrency: None,
            dead_letter: None,
            tracing: true,
            vpc: None,
        }
    }
}

/// Environment variable names Lambda reserves.
pub const RESERVED_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// A Lambda function.
#[derive(Clone, Debug)]
pub struct Function(pub(super) Arc<FunctionInner>);

#[derive(Debug)]
pub(super) struct FunctionInner {
    pub(super) handle: Handle<cfn::lambda::Function>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
    pub(super) role: Role,
    pub(super) logs: LogGroup,
}

impl Function {
    pub fn new(scope: &mut Scope, id: &str, props: FunctionProps) -> Function {
        let mut child = scope.child(id);
        let checked = check_props(&mut child, &props);
        let logs = LogGroup::new(
            &mut child,
            "Logs",
            LogGroupProps {
                retention: props.log_retention,
                ..LogGroupProps::default()
            },
        );
        let (role, created_role) = match props.role.clone() {
            Some(r) => (r, false),
            None => (
                Role::new(
                    &mut child,
                    "Role",
                    RoleProps {
                        assumed_by: Principal::service("lambda.amazonaws.com"),
                        description: Some("Lambda function execution role".to_owned()),
                        ..RoleProps::default()
                    },
                ),
                true,
            ),
        };
        let func = function_l1(&props, &checked, role.arn(), &logs);
        let h = child.add("Resource", func);
        function_findings(child.stack().resource_mut(&h), &props);
        let node = child.node_id();
        let path = child.path();
        if created_role {
            grant_execution_role(child.stack(), &path, &role, &logs, &props);
        }
        Function(Arc::new(FunctionInner {
            handle: h,
            path,
            node: Some(node),
            role,
            logs,
        }))
    }

    pub fn arn(&self) -> Value<String> {
        self.0.handle.attr_arn()
    }

    /// `Ref`: the function name.
    pub fn name(&self) -> Value<String> {
        self.0.handle.r#ref()
    }

    /// The execution role (grant the function access to other resources through it).
    pub fn role(&self) -> &Role {
        &self.0.role
    }

    pub fn log_group(&self) -> &LogGroup {
        &self.0.logs
    }

    pub fn handle(&self) -> Handle<cfn::lambda::Function> {
        self.0.handle
    }

    /// Let an AWS service (e.g. `apigateway.amazonaws.com`) invoke the function on behalf of `source_arn`
    /// only, from this account: an `AWS::Lambda::Permission` (child `id` of the function).
    pub fn grant_invoke(
        &self,
        stack: &mut Stack,
        id: &str,
        service: &str,
        source_arn: Value<String>,
    ) -> Handle<cfn::lambda::Permission> {
        if !service.ends_with(".amazonaws.com") {
            stack.error(
                &self.0.path,
                format!("grant_invoke: {service:?} is not an AWS service principal (*.amazonaws.com)"),
            );
        }
        let literal_arn = source_arn.as_literal().is_some();
        let mut perm = cfn::lambda::Permission::new("lambda:InvokeFunction", self.arn(), service);
        perm.source_arn = Some(source_arn);
        perm.source_account = Some(Value::account_id());
        let h = stack.scope(self.0.node).add(id, perm);
        if !literal_arn {
            nag::suppress(
                stack.resource_mut(&h),
                Tool::Guard,
                "CT.LAMBDA.PR.2",
                SCOPED_PERMISSION_REASON,
            );
        }
        h
    }

    /// Let an IAM principal invoke the function (`lambda:InvokeFunction` on its ARN).
    pub fn grant_invoke_to(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> Grant {
        let stmt = PolicyStatement::allow(&["lambda:InvokeFunction"], [self.arn()]);
        Grant::add(stack, &self.0.path, grantee, stmt)
    }

    /// Add a statement to the execution role's policy.
    pub fn add_to_role_policy(&self, stack: &mut Stack, stmt: PolicyStatement) -> bool {
        let mut r = self.0.role.clone();
        iam::grant(stack, &self.0.path, &mut r, stmt)
    }
}

impl Construct for Function {
    fn node_id(&self) -> Option<NodeId> {
        self.0.node
    }
    fn path(&self) -> &str {
        &self.0.path
    }
}

// Steps of `Function::new`.

/// Which literal values passed their checks (those that did not are left out rather than reported twice).
struct Checked {
    memory_ok: bool,
    timeout_ok: bool,
    concurrency_ok: bool,
    log_level_ok: bool,
}

/// Only literal values are checked; late-bound ones (AWS Proton inputs, intrinsic functions) are not known
/// here.
fn check_props(child: &mut Scope, props: &FunctionProps) -> Checked {
    let memory_ok = match literal_int(&props.memory_size) {
        Some(m) if !(128..=10240).contains(&m) => {
            child.error(format!("memory_size {m} MB is outside 128–10240"));
            false
        }
        _ => true,
    };
    let timeout_ok = match literal_int(&props.timeout_seconds) {
        Some(t) if !(1..=900).contains(&t) => {
            child.error(format!("timeout {t} s is outside 1–900"));
            false
        }
        _ => true,
    };
    let concurrency_ok = match props.reserved_concurrency.as_ref().and_then(literal_int) {
        Some(0) => {
            child.warning("reserved_concurrency 0 stops every invocation of the function");
            true
        }
        Some(n) if n < 0 => {
            child.error(format!("reserved_concurrency {n} is negative"));
            false
        }
        _ => true,
    };
    let log_level_ok = match props.application_log_level.as_ref().and_then(Value::as_literal) {
        Some(level) if !APPLICATION_LOG_LEVELS.contains(&level) => {
            child.error(format!(
                "application_log_level {level:?} is not one of {}",
                APPLICATION_LOG_LEVELS.join(", ")
            ));
            false
        }
        _ => true,
    };
    check_environment_and_code(child, props);
    Checked {
        memory_ok,
        timeout_ok,
        concurrency_ok,
        log_level_ok,
    }
}

fn check_environment_and_code(child: &mut Scope, props: &FunctionProps) {
    for name in props.environment.keys() {
        let mut c = name.chars();
        let ok = c.next().is_some_and(|x| x.is_ascii_alphabetic()) && c.all(|x| x.is_ascii_alphanumeric() || x == '_');
        if !ok {
            child.error(format!(
                "environment variable {name:?} is not a valid name (a letter, then letters, digits and _)"
            ));
        } else if RESERVED_ENV.contains(&name.as_str()) {
            child.error(format!("environment variable {name:?} is reserved by Lambda"));
        }
    }
    if let Code::Inline(src) = &props.code {
        if src.trim().is_empty() {
            child.error("inline code is empty");
        }
        if let Some(rt) = props.runtime.as_literal() {
            if !runtime_supports_inline(rt) {
                child.error(format!("inline code needs a Python or Node.js runtime, not {rt}"));
            }
        }
        let n = src.chars().count();
        if n > 4096 {
            child.error(format!(
                "inline code is {n} characters; CloudFormation accepts at most 4096 (use Code::S3)"
            ));
        }
    }
    if let Some(v) = &props.vpc {
        if v.subnet_ids.is_empty() || v.security_group_ids.is_empty() {
            child.error("vpc needs at least one subnet and one security group");
        }
    }
}

/// The L1 function (code, runtime, sizes, environment, tracing, VPC and logging configuration).
fn function_l1(
    props: &FunctionProps,
    checked: &Checked,
    role_arn: Value<String>,
    logs: &LogGroup,
) -> cfn::lambda::Function {
    let (memory_ok, timeout_ok, concurrency_ok, log_level_ok) = (
        checked.memory_ok,
        checked.timeout_ok,
        checked.concurrency_ok,
        checked.log_level_ok,
    );
    let mut code = f::Code::new();
    let mut package_image = false;
    match &props.code {
        Code::S3 { bucket, key } => {
            code.s3_bucket = Some(bucket.clone());
            code.s3_key = Some(key.clone());
        }
        Code::Inline(src) => code.zip_file = Some(Value::from(src.as_str())),
        Code::ImageUri(uri) => {
            code.image_uri = Some(uri.clone());
            package_image = true;
        }
    }
    let mut func = cfn::lambda::Function::new(code, role_arn);
    func.description = props.description.clone().map(Value::from);
    if package_image {
        func.package_type = Some(Value::from("Image"));
    } else {
        func.runtime = Some(props.runtime.clone());
        func.handler = Some(Value::from(props.handler.as_str()));
    }
    func.architectures = Some(Value::from(vec![props.architecture.as_str()]));
    // Out-of-range values are reported above; they are left out rather than reported twice.
    func.memory_size = memory_ok.then(|| props.memory_size.clone());
    func.timeout = timeout_ok.then(|| props.timeout_seconds.clone());
    if !props.environment.is_empty() {
        let vars: Vec<(String, Expr)> = props
            .environment
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into_expr()))
            .collect();
        let mut env = f::Environment::new();
        env.variables = Some(Value::<Json>::object(vars));
        func.environment = Some(env);
    }
    func.kms_key_arn = props.environment_key.as_ref().map(kms::Key::arn);
    func.reserved_concurrent_executions = props.reserved_concurrency.clone().filter(|_| concurrency_ok);
    func.dead_letter_config = props.dead_letter.as_ref().map(|d| {
        let mut c = f::DeadLetterConfig::new();
        c.target_arn = Some(match d {
            DeadLetter::Sqs(a) | DeadLetter::Sns(a) => a.clone(),
        });
        c
    });
    if props.tracing {
        let mut t = f::TracingConfig::new();
        t.mode = Some(Value::from("Active"));
        func.tracing_config = Some(t);
    }
    if let Some(v) = &props.vpc {
        let mut c = f::VpcConfig::new();
        c.subnet_ids = Some(Value::from(v.subnet_ids.clone()));
        c.security_group_ids = Some(Value::from(v.security_group_ids.clone()));
        func.vpc_config = Some(c);
    }
    let mut lc = f::LoggingConfig::new();
    lc.log_group = Some(logs.name());
    if let Some(level) = &props.application_log_level {
        // Lambda accepts an application log level only with the JSON log format.
        lc.log_format = Some(Value::from("JSON"));
        lc.application_log_level = log_level_ok.then(|| level.clone());
    }
    func.logging_config = Some(lc);
    func
}

/// Suppressions for the findings the props answer on purpose (with the reasons in the module docs).
fn function_findings(entry: &mut crate::stack::ResourceEntry, props: &FunctionProps) {
    if props.reserved_concurrency.is_none() {
        nag::suppress(entry, Tool::Checkov, "CKV_AWS_115", NO_CONCURRENCY_REASON);
    }
    if props.dead_letter.is_none() {
        nag::suppress(entry, Tool::Checkov, "CKV_AWS_116", NO_DLQ_REASON);
    }
    if props.vpc.is_none() {
        nag::suppress(entry, Tool::Checkov, "CKV_AWS_117", NO_VPC_REASON);
        nag::suppress(entry, Tool::Guard, "CT.LAMBDA.PR.3", NO_VPC_REASON);
    }
    if props.environment_key.is_none() && !props.environment.is_empty() {
        nag::suppress(entry, Tool::Checkov, "CKV_AWS_173", NO_ENV_KEY_REASON);
    }
}

/// What a role created for the function needs: log writes, tracing, VPC networking, its dead-letter
/// target and the environment key.
fn grant_execution_role(stack: &mut Stack, path: &str, role: &Role, logs: &LogGroup, props: &FunctionProps) {
    let mut r = role.clone();
    let _ = logs.grant_write(stack, &mut r);
    if props.tracing {
        iam::grant(
            stack,
            path,
            &mut r,
            PolicyStatement::allow(
                &["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                [Value::from("*")],
            ),
        );
    }
    if let Some(v) = &props.vpc {
        grant_vpc_access(stack, path, &mut r, v);
    }
    match &props.dead_letter {
        Some(DeadLetter::Sqs(a)) => {
            iam::grant(
                stack,
                path,
                &mut r,
                PolicyStatement::allow(&["sqs:SendMessage"], [a.clone()]),
            );
        }
        Some(DeadLetter::Sns(a)) => {
            iam::grant(
                stack,
                path,
                &mut r,
                PolicyStatement::allow(&["sns:Publish"], [a.clone()]),
            );
        }
        None => {}
    }
    if let Some(k) = &props.environment_key {
        let _ = k.grant_decrypt(stack, &mut r);
    }
}

/// ENI management in the function's subnets and security groups.
fn grant_vpc_access(stack: &mut Stack, path: &str, r: &mut Role, v: &VpcPlacement) {
    let eni = fns::sub(
        "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:network-interface/*",
        Vec::<(String, Expr)>::new(),
    );
    let arn_of = |kind: &str, id: &Value<String>| {
        fns::sub(
            &format!("arn:${{AWS::Partition}}:ec2:${{AWS::Region}}:${{AWS::AccountId}}:{kind}/${{Id}}"),
            [("Id", id.clone().into_expr())],
        )
    };
    let mut create = vec![eni.clone()];
    create.extend(v.subnet_ids.iter().map(|s| arn_of("subnet", s)));
    create.extend(v.security_group_ids.iter().map(|s| arn_of("security-group", s)));
    iam::grant(
        stack,
        path,
        r,
        PolicyStatement::allow(&["ec2:CreateNetworkInterface"], create),
    );
    iam::grant(
        stack,
        path,
        r,
        PolicyStatement::allow(
            &[
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            [eni],
        ),
    );
    iam::grant(
        stack,
        path,
        r,
        PolicyStatement::allow(&["ec2:DescribeNetworkInterfaces"], [Value::from("*")]),
    );
}
