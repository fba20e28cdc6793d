//! [`PolicyStatement`], [`Principal`], [`Effect`] and conditions.

use indexmap::IndexMap;

use crate::stack::CondHandle;
use crate::value::{fns, Expr, Json, Value};

/// Actions that have no resource-level permissions, so `Resource: "*"` is the only possible scope.
pub const WILDCARD_RESOURCE_ACTIONS: &[&str] = &[
    "ecr:GetAuthorizationToken",
    "logs:DescribeLogGroups",
    "ecs:DiscoverPollEndpoint",
    "ecs:RegisterTaskDefinition",
    "ecs:DescribeTaskDefinition",
    // Its only resource type is a container instance, which Fargate tasks have none of; scope it with the
    // `ecs:cluster` condition key instead.
    "ecs:ListTasks",
    "ec2:DescribeNetworkInterfaces",
    "cloudwatch:PutMetricData",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
];

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Effect {
    #[default]
    Allow,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// Who a statement applies to (in trust and resource policies).
#[derive(Clone, Debug, PartialEq)]
pub enum Principal {
    /// An AWS service, e.g. `ecs-tasks.amazonaws.com`.
    Service(String),
    /// An account id: `arn:${AWS::Partition}:iam::<id>:root`.
    Account(Value<String>),
    /// An IAM principal ARN (role, user, account root).
    Arn(Value<String>),
    /// Everyone (`"*"`); only meaningful in resource policies, e.g. a `Deny` for insecure transport.
    Any,
    /// `Fn::If`: `then` where the condition holds, `otherwise` elsewhere (e.g. the regional ELB account or
    /// the log delivery service). It must be the statement's only principal.
    If {
        condition: CondHandle,
        then: Box<Principal>,
        otherwise: Box<Principal>,
    },
}

impl Default for Principal {
    /// An empty service principal; [`Role::new`] reports it as missing.
    fn default() -> Self {
        Principal::Service(String::new())
    }
}

impl Principal {
    /// `Principal::Service` from a `&str`.
    pub fn service(name: &str) -> Self {
        Principal::Service(name.to_owned())
    }

    /// The account this stack is deployed to.
    pub fn this_account() -> Self {
        Principal::Account(Value::account_id())
    }

    /// The `Principal` member of a policy statement.
    pub fn to_expr(&self) -> Expr {
        match self {
            Principal::Service(s) if s.contains("${") => {
                obj([("Service", fns::sub(s, Vec::<(String, Expr)>::new()).into_expr())])
            }
            Principal::Service(s) => obj([("Service", Expr::Str(s.clone()))]),
            Principal::Account(id) => obj([("AWS", account_root_arn(id.clone()).into_expr())]),
            Principal::Arn(arn) => obj([("AWS", arn.clone().into_expr())]),
            Principal::Any => Expr::Str("*".to_owned()),
            Principal::If {
                condition,
                then,
                otherwise,
            } => fns::if_(
                condition,
                Value::<Json>::from_expr(then.to_expr()),
                Value::<Json>::from_expr(otherwise.to_expr()),
            )
            .into_expr(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        matches!(self, Principal::Service(s) if s.is_empty())
    }
}

/// `arn:${AWS::Partition}:iam::<account>:root`.
pub fn account_root_arn(account: Value<String>) -> Value<String> {
    if account == Value::account_id() {
        fns::sub(
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:root",
            Vec::<(String, Expr)>::new(),
        )
    } else {
        fns::sub(
            "arn:${AWS::Partition}:iam::${Account}:root",
            [("Account", account.into_expr())],
        )
    }
}

pub(super) fn obj<const N: usize>(members: [(&str, Expr); N]) -> Expr {
    Expr::Map(members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// One condition of a statement: `{op: {key: value}}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub op: String,
    pub key: String,
    pub value: Expr,
}

/// One statement of a policy document.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PolicyStatement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub actions: Vec<String>,
    pub resources: Vec<Value<String>>,
    /// Empty in identity policies; set in trust and resource policies.
    pub principals: Vec<Principal>,
    pub conditions: Vec<Condition>,
}

impl PolicyStatement {
    /// An `Allow` statement.
    pub fn allow(actions: &[&str], resources: impl IntoIterator<Item = Value<String>>) -> Self {
        PolicyStatement {
            effect: Effect::Allow,
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            resources: resources.into_iter().collect(),
            ..PolicyStatement::default()
        }
    }

    /// A `Deny` statement.
    pub fn deny(actions: &[&str], resources: impl IntoIterator<Item = Value<String>>) -> Self {
        PolicyStatement {
            effect: Effect::Deny,
            ..PolicyStatement::allow(actions, resources)
        }
    }

    /// `DenyInsecureTransport`: deny `actions` on `resources` to anyone over plain HTTP (`aws:SecureTransport`
    /// false), the TLS-only statement of resource policies (CDK's `enforceSSL`).
    pub fn deny_insecure_transport(actions: &[&str], resources: impl IntoIterator<Item = Value<String>>) -> Self {
        PolicyStatement::deny(actions, resources)
            .with_principal(Principal::Any)
            .with_condition("Bool", "aws:SecureTransport", Expr::from(serde_json::json!("false")))
            .with_sid("DenyInsecureTransport")
    }

    /// Add a condition, e.g. `.with_condition("Bool", "aws:SecureTransport", json!("false"))`.
    pub fn with_condition(mut self, op: &str, key: &str, value: impl Into<Expr>) -> Self {
        self.conditions.push(Condition {
            op: op.to_owned(),
            key: key.to_owned(),
            value: value.into(),
        });
        self
    }

    /// Add a principal (trust and resource policies).
    pub fn with_principal(mut self, p: Principal) -> Self {
        self.principals.push(p);
        self
    }

    pub fn with_sid(mut self, sid: &str) -> Self {
        self.sid = Some(sid.to_owned());
        self
    }

    /// The statement as JSON: single actions/resources are written as a string, several as a list.
    pub fn to_expr(&self) -> Expr {
        let mut m = IndexMap::new();
        if let Some(sid) = &self.sid {
            m.insert("Sid".to_owned(), Expr::Str(sid.clone()));
        }
        m.insert("Effect".to_owned(), Expr::Str(self.effect.as_str().to_owned()));
        if !self.principals.is_empty() {
            m.insert("Principal".to_owned(), merge_principals(&self.principals));
        }
        let actions: Vec<Expr> = self.actions.iter().map(|a| Expr::Str(a.clone())).collect();
        m.insert("Action".to_owned(), one_or_list(actions));
        if !self.resources.is_empty() {
            let res: Vec<Expr> = self.resources.iter().map(|r| r.expr().clone()).collect();
            m.insert("Resource".to_owned(), one_or_list(res));
        }
        if !self.conditions.is_empty() {
            let mut conds: IndexMap<String, Expr> = IndexMap::new();
            for c in &self.conditions {
                let entry = conds.entry(c.op.clone()).or_insert_with(|| Expr::Map(IndexMap::new()));
                if let Expr::Map(inner) = entry {
                    inner.insert(c.key.clone(), c.value.clone());
                }
            }
            m.insert("Condition".to_owned(), Expr::Map(conds));
        }
        Expr::Map(m)
    }

    /// Problems of an identity-policy statement (wildcards), as messages.
    pub fn validate(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.actions.is_empty() {
            out.push("policy statement has no actions".to_owned());
        }
        if self.principals.len() > 1 && self.principals.iter().any(|p| matches!(p, Principal::If { .. })) {
            out.push("a conditional principal (Principal::If) must be the statement's only principal".to_owned());
        }
        if self.actions.iter().any(|a| a == "*") {
            out.push("policy statement uses Action \"*\"; list the actions it needs".to_owned());
        }
        if self.effect == Effect::Allow {
            for a in self.actions.iter().filter(|a| a.ends_with(":*")) {
                out.push(format!(
                    "policy statement allows the service-wide wildcard {a}; list the actions it needs (Control Tower CT.IAM.PR.5)"
                ));
            }
        }
        let star = self.resources.iter().any(|r| r.as_literal() == Some("*"));
        if star && self.effect == Effect::Allow {
            let scoped: Vec<&str> = self
                .actions
                .iter()
                .map(String::as_str)
                .filter(|a| *a != "*" && !WILDCARD_RESOURCE_ACTIONS.contains(a))
                .collect();
            if !scoped.is_empty() {
                out.push(format!(
                    "policy statement allows {} on Resource \"*\"; scope it to resource ARNs (only actions without resource-level permissions may use \"*\")",
                    scoped.join(", ")
                ));
            }
        }
        if self.resources.is_empty() {
            out.push("policy statement has no resources".to_owned());
        }
        out
    }

    /// Same effect, resources, principals and conditions: the actions can be merged.
    pub(super) fn mergeable(&self, other: &PolicyStatement) -> bool {
        self.sid.is_none()
            && other.sid.is_none()
            && self.effect == other.effect
            && self.resources == other.resources
            && self.principals == other.principals
            && self.conditions == other.conditions
    }
}

pub(super) fn one_or_list(mut items: Vec<Expr>) -> Expr {
    if items.len() == 1 {
        items.remove(0)
    } else {
        Expr::List(items)
    }
}

pub(super) fn merge_principals(ps: &[Principal]) -> Expr {
    if ps.iter().any(|p| matches!(p, Principal::Any)) {
        return Expr::Str("*".to_owned());
    }
    if let [only] = ps {
        return only.to_expr();
    }
    let mut by_kind: IndexMap<String, Vec<Expr>> = IndexMap::new();
    for p in ps {
        if let Expr::Map(m) = p.to_expr() {
            for (k, v) in m {
                by_kind.entry(k).or_default().push(v);
            }
        }
    }
    Expr::Map(by_kind.into_iter().map(|(k, v)| (k, one_or_list(v))).collect())
}
