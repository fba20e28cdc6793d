//! [`ListenerAction`] and [`Condition`]: what listeners and rules do with a request.

use crate::cfn::elasticloadbalancingv2 as l1;
use crate::value::Value;

use super::*;

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

    pub(super) fn validate(&self, out: &mut Vec<String>) {
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

    pub(super) fn target_group(&self) -> Option<&ApplicationTargetGroup> {
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
    pub(super) fn values(&self) -> &[String] {
        match self {
            Condition::PathPatterns(v) | Condition::HostHeaders(v) => v,
        }
    }

    pub(super) fn kind(&self) -> &'static str {
        match self {
            Condition::PathPatterns(_) => "path pattern",
            Condition::HostHeaders(_) => "host header",
        }
    }

    pub(super) fn to_l1(&self) -> l1::listener_rule::RuleCondition {
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
pub(super) use build_action;

pub(super) fn child_path(parent: &str, id: &str) -> String {
    if parent.is_empty() {
        id.to_owned()
    } else {
        format!("{parent}/{id}")
    }
}
