//! L2 construct for API Gateway HTTP APIs (ApiGatewayV2): an [`HttpApi`] with a `$default` stage that
//! auto-deploys and writes JSON access logs to its own log group, and Lambda proxy routes
//! ([`HttpApi::add_lambda_route`]: integration with payload format 2.0, route, and a Lambda permission scoped to
//! the route's `execute-api` ARN).
//!
//! Routes use IAM authorization by default (CT.APIGATEWAY.PR.5 / CKV_AWS_309); a public route must say why
//! ([`Authorization::None`]), and that reason becomes the suppression.

mod http_api;

pub use http_api::*;

/// The access log format: one JSON object per request.
pub const ACCESS_LOG_FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","routeKey":"$context.routeKey","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","integrationError":"$context.integrationErrorMessage"}"#;

/// HTTP methods of route keys.
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"];
