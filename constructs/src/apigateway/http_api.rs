//! [`HttpApi`]: an HTTP API with Lambda integrations, access logs and CORS.

use std::sync::{Arc, Mutex};

use crate::cfn;
use crate::cfn::apigatewayv2 as v2;
use crate::iam::{Grant, Grantee, PolicyStatement};
use crate::lambda::Function;
use crate::logs::{LogGroup, LogGroupProps};
use crate::nag::{self, Tool};
use crate::stack::{Construct, Handle, NodeId, Scope, Stack};
use crate::value::{fns, Expr, Value};

use super::*;

/// CORS settings.
#[derive(Clone, Debug, Default)]
pub struct CorsConfig {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub allow_credentials: bool,
    pub max_age_seconds: Option<u32>,
}

/// How a route authorizes callers.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Authorization {
    /// SigV4-signed requests by IAM principals allowed `execute-api:Invoke`.
    #[default]
    Iam,
    /// A public route; the reason (e.g. "the function validates a session token") is recorded as the
    /// suppression of the authorization findings.
    None { reason: String },
}

/// Properties of [`HttpApi`].
#[derive(Clone, Debug, Default)]
pub struct HttpApiProps {
    /// Default `<stack name>-<id>`.
    pub name: Option<Value<String>>,
    pub description: Option<String>,
    pub cors: Option<CorsConfig>,
    /// Authorization of routes added with [`HttpApi::add_lambda_route`] (default IAM).
    pub default_authorization: Authorization,
    /// Stage throttling: burst and steady-state requests per second (default 100 and 50).
    pub throttling: Option<(u32, f64)>,
    /// An existing access log group; None: one is created (child `AccessLogs`, one year).
    pub access_logs: Option<LogGroup>,
}

/// An HTTP API.
#[derive(Clone, Debug)]
pub struct HttpApi(pub(super) Arc<HttpApiInner>);

#[derive(Debug)]
pub(super) struct HttpApiInner {
    pub(super) handle: Handle<cfn::apigatewayv2::Api>,
    pub(super) stage: Handle<cfn::apigatewayv2::Stage>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
    pub(super) id: String,
    pub(super) authorization: Authorization,
    pub(super) routes: Mutex<Vec<String>>,
    pub(super) integrations: Mutex<Vec<(Expr, Handle<cfn::apigatewayv2::Integration>)>>,
}

/// Problems of a route key (`$default` or `METHOD /path`), as a message.
pub fn check_route_key(key: &str) -> Option<String> {
    if key == "$default" {
        return None;
    }
    let bad = || {
        Some(format!(
            "route key {key:?} must be \"$default\" or \"<METHOD> /<path>\" with METHOD one of {}",
            METHODS.join(", ")
        ))
    };
    let Some((method, path)) = key.split_once(' ') else {
        return bad();
    };
    if !METHODS.contains(&method) || !path.starts_with('/') || path.contains(' ') {
        return bad();
    }
    None
}

/// Letters and digits of a route key, for construct ids (`GET /items/{id}` → `GETitemsid`).
pub(super) fn route_id(key: &str) -> String {
    let s: String = key.chars().filter(char::is_ascii_alphanumeric).collect();
    if s.is_empty() {
        "Default".to_owned()
    } else {
        s
    }
}

impl HttpApi {
    pub fn new(scope: &mut Scope, id: &str, props: HttpApiProps) -> HttpApi {
        let mut child = scope.child(id);
        if let Authorization::None { reason } = &props.default_authorization {
            if reason.trim().is_empty() {
                child.error("Authorization::None needs a reason (why the routes are public)");
            }
        }
        let mut api = cfn::apigatewayv2::Api::new();
        api.name = Some(
            props
                .name
                .unwrap_or_else(|| fns::join("-", [Value::stack_name(), Value::from(id)])),
        );
        api.protocol_type = Some(Value::from("HTTP"));
        api.description = props.description.map(Value::from);
        if let Some(c) = props.cors {
            if c.allow_credentials && c.allow_origins.iter().any(|o| o == "*") {
                child.error("CORS allow_credentials cannot be combined with the origin \"*\"");
            }
            let list = |v: &[String]| -> Option<Value<Vec<String>>> {
                (!v.is_empty()).then(|| Value::from(v.iter().map(|s| Value::from(s.as_str())).collect::<Vec<_>>()))
            };
            let mut cors = v2::api::Cors::new();
            cors.allow_origins = list(&c.allow_origins);
            cors.allow_methods = list(&c.allow_methods);
            cors.allow_headers = list(&c.allow_headers);
            cors.allow_credentials = c.allow_credentials.then(|| Value::from(true));
            cors.max_age = c.max_age_seconds.map(Value::from);
            api.cors_configuration = Some(cors);
        }
        let h = child.add("Resource", api);
        let logs = match props.access_logs {
            Some(l) => l,
            None => LogGroup::new(&mut child, "AccessLogs", LogGroupProps::default()),
        };
        let mut stage = cfn::apigatewayv2::Stage::new(h.r#ref(), "$default");
        stage.auto_deploy = Some(Value::from(true));
        let mut als = v2::stage::AccessLogSettings::new();
        // `Fn::GetAtt Arn` of the group (as AWS SAM and CDK write it; a local reference the checkers resolve).
        als.destination_arn = Some(logs.arn());
        als.format = Some(Value::from(ACCESS_LOG_FORMAT));
        stage.access_log_settings = Some(als);
        let (burst, rate) = props.throttling.unwrap_or((100, 50.0));
        let mut rs = v2::stage::RouteSettings::new();
        rs.detailed_metrics_enabled = Some(Value::from(true));
        rs.throttling_burst_limit = Some(Value::from(burst));
        rs.throttling_rate_limit = Some(Value::from(rate));
        stage.default_route_settings = Some(rs);
        let stage_h = child.add("DefaultStage", stage);
        HttpApi(Arc::new(HttpApiInner {
            handle: h,
            stage: stage_h,
            node: Some(child.node_id()),
            path: child.path(),
            id: id.to_owned(),
            authorization: props.default_authorization,
            routes: Mutex::new(Vec::new()),
            integrations: Mutex::new(Vec::new()),
        }))
    }

    /// The API id (`Ref`).
    pub fn api_id(&self) -> Value<String> {
        self.0.handle.r#ref()
    }

    /// The invoke URL of the `$default` stage (`https://<id>.execute-api.<region>.amazonaws.com/`).
    pub fn url(&self) -> Value<String> {
        fns::join("", [self.0.handle.attr_api_endpoint(), Value::from("/")])
    }

    /// `arn:…:execute-api:<region>:<account>:<api id>/<stage>/<method>/<path>` for a route key (path
    /// parameters become `*`).
    pub fn execute_api_arn(&self, route_key: &str) -> Value<String> {
        let suffix = match route_key.split_once(' ') {
            None => format!("/*/{route_key}"),
            Some((method, path)) => {
                let method = if method == "ANY" { "*" } else { method };
                let path: Vec<String> = path
                    .split('/')
                    .map(|seg| {
                        if seg.starts_with('{') && seg.ends_with('}') {
                            "*".to_owned()
                        } else {
                            seg.to_owned()
                        }
                    })
                    .collect();
                format!("/*/{method}{}", path.join("/"))
            }
        };
        self.arn_with(Value::from(suffix))
    }

    /// `arn:…:execute-api:<region>:<account>:<api id><suffix>`.
    fn arn_with(&self, suffix: Value<String>) -> Value<String> {
        fns::join(
            "",
            [
                Value::from("arn:"),
                Value::partition(),
                Value::from(":execute-api:"),
                Value::region(),
                Value::from(":"),
                Value::account_id(),
                Value::from(":"),
                self.api_id(),
                suffix,
            ],
        )
    }

    /// Route `route_key` (e.g. `GET /items`) to `function` with a Lambda proxy integration (payload 2.0,
    /// one per function), and let this API invoke the function for that route only.
    pub fn add_lambda_route(
        &self,
        stack: &mut Stack,
        route_key: &str,
        function: &Function,
    ) -> Handle<cfn::apigatewayv2::Route> {
        if let Some(msg) = check_route_key(route_key) {
            stack.error(&self.0.path, msg);
        }
        {
            let mut routes = self.0.routes.lock().unwrap_or_else(|e| e.into_inner());
            if routes.iter().any(|r| r == route_key) {
                stack.error(&self.0.path, format!("duplicate route key {route_key:?}"));
            }
            routes.push(route_key.to_owned());
        }
        let rid = route_id(route_key);
        self.route(
            stack,
            &rid,
            Value::from(route_key),
            self.execute_api_arn(route_key),
            function,
        )
    }

    /// [`HttpApi::add_lambda_route`] for a path known only at deployment, given as segments (e.g. the literal
    /// `{id}` after an AWS Proton input): route `<method> /<segments joined by />` (construct id
    /// `Route<id>`); the invoke permission's ARN has `*` for each `{parameter}` segment. `method` is checked;
    /// late-bound segments are written as they are.
    pub fn add_lambda_route_segments(
        &self,
        stack: &mut Stack,
        id: &str,
        method: &str,
        segments: Vec<Value<String>>,
        function: &Function,
    ) -> Handle<cfn::apigatewayv2::Route> {
        if !METHODS.contains(&method) {
            stack.error(
                &self.0.path,
                format!("route {id}: method {method:?} is not one of {}", METHODS.join(", ")),
            );
        }
        let key = fns::join(
            "",
            [Value::from(format!("{method} /")), fns::join("/", segments.clone())],
        );
        let arn_segments = segments.into_iter().map(|s| match s.as_literal() {
            Some(lit) if lit.starts_with('{') && lit.ends_with('}') => Value::from("*"),
            _ => s,
        });
        let method = if method == "ANY" { "*" } else { method };
        let suffix = fns::join("", [Value::from(format!("/*/{method}/")), fns::join("/", arn_segments)]);
        let arn = self.arn_with(suffix);
        self.route(stack, id, key, arn, function)
    }

    /// The route (child `Route<rid>`) with the function's integration (one per function) and the function's
    /// invoke permission for `source_arn`.
    fn route(
        &self,
        stack: &mut Stack,
        rid: &str,
        key: Value<String>,
        source_arn: Value<String>,
        function: &Function,
    ) -> Handle<cfn::apigatewayv2::Route> {
        let integration = self.integration(stack, function);
        let mut route = cfn::apigatewayv2::Route::new(self.api_id(), key);
        route.target = Some(fns::join("/", [Value::from("integrations"), integration.r#ref()]));
        route.authorization_type = Some(Value::from(match self.0.authorization {
            Authorization::Iam => "AWS_IAM",
            Authorization::None { .. } => "NONE",
        }));
        let h = stack.scope(self.0.node).add(&format!("Route{rid}"), route);
        if let Authorization::None { reason } = &self.0.authorization {
            let entry = stack.resource_mut(&h);
            nag::suppress(entry, Tool::Guard, "CT.APIGATEWAY.PR.5", reason);
            nag::suppress(entry, Tool::Checkov, "CKV_AWS_309", reason);
        }
        function.grant_invoke(
            stack,
            &format!("{}{rid}Invoke", self.0.id),
            "apigateway.amazonaws.com",
            source_arn,
        );
        h
    }

    /// The Lambda proxy integration of `function` (payload 2.0), created on first use.
    fn integration(&self, stack: &mut Stack, function: &Function) -> Handle<cfn::apigatewayv2::Integration> {
        let fn_arn = function.arn().into_expr();
        let existing = {
            let ints = self.0.integrations.lock().unwrap_or_else(|e| e.into_inner());
            ints.iter().find(|(a, _)| *a == fn_arn).map(|(_, h)| *h)
        };
        if let Some(h) = existing {
            return h;
        }
        let n = self.0.integrations.lock().map(|i| i.len()).unwrap_or(0) + 1;
        let mut integ = cfn::apigatewayv2::Integration::new(self.api_id(), "AWS_PROXY");
        integ.integration_uri = Some(function.arn());
        integ.payload_format_version = Some(Value::from("2.0"));
        let id = if n == 1 {
            "Integration".to_owned()
        } else {
            format!("Integration{n}")
        };
        let h = stack.scope(self.0.node).add(&id, integ);
        if let Ok(mut ints) = self.0.integrations.lock() {
            ints.push((fn_arn, h));
        }
        h
    }

    /// Let `grantee` call an IAM-authorized route (`execute-api:Invoke` on the route's ARN; `"$default"` or
    /// `"<METHOD> /<path>"`).
    pub fn grant_invoke_route(&self, stack: &mut Stack, grantee: &mut dyn Grantee, route_key: &str) -> Grant {
        if let Some(msg) = check_route_key(route_key) {
            stack.error(&self.0.path, msg);
        }
        let stmt = PolicyStatement::allow(&["execute-api:Invoke"], [self.execute_api_arn(route_key)]);
        Grant::add(stack, &self.0.path, grantee, stmt)
    }

    pub fn handle(&self) -> Handle<cfn::apigatewayv2::Api> {
        self.0.handle
    }

    pub fn stage_handle(&self) -> Handle<cfn::apigatewayv2::Stage> {
        self.0.stage
    }
}

impl Construct for HttpApi {
    fn node_id(&self) -> Option<NodeId> {
        self.0.node
    }
    fn path(&self) -> &str {
        &self.0.path
    }
}
