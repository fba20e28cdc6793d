//! L2 constructs for IAM: policy statements and documents, principals, roles with a default policy, and the
//! [`Grantee`] trait through which other constructs grant permissions.
//!
//! Grants create their policy in the consumer's template (the grantee's stack), never in the producer's.
//! Statements are validated when added to a role: `Action: "*"` is always rejected, and `Resource: "*"` only
//! passes for actions without resource-level permissions ([`WILDCARD_RESOURCE_ACTIONS`]).

use indexmap::IndexMap;

use crate::cfn;
use crate::stack::{Handle, Scope, Stack};
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
        }
    }

    fn is_empty(&self) -> bool {
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

fn obj<const N: usize>(members: [(&str, Expr); N]) -> Expr {
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
    fn mergeable(&self, other: &PolicyStatement) -> bool {
        self.sid.is_none()
            && other.sid.is_none()
            && self.effect == other.effect
            && self.resources == other.resources
            && self.principals == other.principals
            && self.conditions == other.conditions
    }
}

fn one_or_list(mut items: Vec<Expr>) -> Expr {
    if items.len() == 1 {
        items.remove(0)
    } else {
        Expr::List(items)
    }
}

fn merge_principals(ps: &[Principal]) -> Expr {
    if ps.iter().any(|p| matches!(p, Principal::Any)) {
        return Expr::Str("*".to_owned());
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

/// A policy document (`Version: 2012-10-17`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PolicyDocument {
    pub statements: Vec<PolicyStatement>,
}

impl PolicyDocument {
    pub fn new(statements: Vec<PolicyStatement>) -> Self {
        PolicyDocument { statements }
    }

    /// Add a statement, merging its actions into an existing statement with the same effect, resources,
    /// principals and conditions (like CDK's policy minimizer). Duplicate actions are dropped.
    pub fn add_statement(&mut self, stmt: PolicyStatement) {
        if let Some(existing) = self.statements.iter_mut().find(|s| s.mergeable(&stmt)) {
            for a in stmt.actions {
                if !existing.actions.contains(&a) {
                    existing.actions.push(a);
                }
            }
            return;
        }
        self.statements.push(stmt);
    }

    pub fn to_expr(&self) -> Expr {
        obj([
            ("Version", Expr::Str("2012-10-17".to_owned())),
            (
                "Statement",
                Expr::List(self.statements.iter().map(PolicyStatement::to_expr).collect()),
            ),
        ])
    }

    pub fn to_value(&self) -> Value<Json> {
        Value::from_expr(self.to_expr())
    }
}

impl From<PolicyDocument> for Value<Json> {
    fn from(d: PolicyDocument) -> Self {
        d.to_value()
    }
}

/// Something permissions can be granted to (a role).
pub trait Grantee {
    /// Add `stmt` to the principal's identity policy in `stack` (the consumer's template). Returns false when
    /// that is impossible (an imported principal); the caller then records a warning.
    fn add_to_principal_policy(&mut self, stack: &mut Stack, stmt: PolicyStatement) -> bool;

    /// A short description for messages.
    fn grantee_description(&self) -> String {
        "the grantee".to_owned()
    }

    /// True when the principal's permissions are deliberately managed where it is defined (see
    /// [`Role::from_arn_granted_elsewhere`]): grants that cannot be added here are then not warned about.
    fn granted_elsewhere(&self) -> bool {
        false
    }
}

/// Grant `stmt` to `grantee`; when the grantee cannot take it (imported), a warning is recorded at `path`
/// (the granting construct's path below the stack).
pub fn grant(stack: &mut Stack, path: &str, grantee: &mut dyn Grantee, stmt: PolicyStatement) -> bool {
    let actions = stmt.actions.join(", ");
    let ok = grantee.add_to_principal_policy(stack, stmt);
    if !ok && !grantee.granted_elsewhere() {
        let who = grantee.grantee_description();
        stack.warning(
            path,
            format!("could not add a policy for {actions} to {who} (imported); grant these permissions outside this template"),
        );
    }
    ok
}

/// Properties of [`Role`].
#[derive(Clone, Debug, Default)]
pub struct RoleProps {
    /// The principal allowed to assume the role (required).
    pub assumed_by: Principal,
    pub description: Option<String>,
    /// Managed policies to attach (cdk-nag IAM4 flags AWS managed ones; prefer grants).
    pub managed_policy_arns: Vec<Value<String>>,
    /// IAM path, e.g. `/service-role/`.
    pub path: Option<String>,
    /// A fixed role name (default: generated by CloudFormation).
    pub role_name: Option<Value<String>>,
    pub permissions_boundary: Option<Value<String>>,
    /// Maximum session duration in seconds (3600–43200).
    pub max_session_duration: Option<u32>,
}

/// An IAM role, created here or imported by ARN.
#[derive(Clone, Debug)]
pub struct Role(std::sync::Arc<RoleInner>);

#[derive(Debug)]
struct RoleInner {
    /// For an imported role: why its permissions are granted where it is defined (no warnings here).
    granted_elsewhere: Option<String>,
    handle: Option<Handle<cfn::iam::Role>>,
    /// Construct path of the role below its stack (empty for imported roles).
    path: String,
    stack: Option<crate::value::StackId>,
    arn: Value<String>,
    name: Value<String>,
}

impl Role {
    pub fn new(scope: &mut Scope, id: &str, props: RoleProps) -> Role {
        let mut child = scope.child(id);
        if let Some(p) = &props.path {
            if !p.starts_with('/') || !p.ends_with('/') {
                child.error(format!("role path {p:?} must start and end with '/'"));
            }
        }
        if props.assumed_by.is_empty() {
            child.error("assumed_by: a principal is required (e.g. Principal::service(\"ecs-tasks.amazonaws.com\"))");
        }
        let mut max_session = props.max_session_duration;
        if let Some(d) = max_session {
            if !(3600..=43200).contains(&d) {
                child.error(format!("max_session_duration {d} is outside 3600–43200 seconds"));
                max_session = None;
            }
        }
        let trust = PolicyDocument::new(vec![PolicyStatement {
            actions: vec!["sts:AssumeRole".to_owned()],
            principals: vec![props.assumed_by.clone()],
            ..PolicyStatement::default()
        }]);
        for arn in &props.managed_policy_arns {
            if let Some(a) = arn.as_literal().filter(|a| a.contains(":iam::aws:policy/")) {
                child.warning(format!(
                    "AWS managed policy {a} attached (cdk-nag IAM4); prefer grants that scope permissions to resources"
                ));
            }
        }
        let mut role = cfn::iam::Role::new(trust);
        role.description = props.description.map(Value::from);
        if !props.managed_policy_arns.is_empty() {
            role.managed_policy_arns = Some(Value::from(props.managed_policy_arns));
        }
        role.path = props.path.map(Value::from);
        role.role_name = props.role_name;
        role.permissions_boundary = props.permissions_boundary;
        role.max_session_duration = max_session.map(Value::from);
        let h = child.add("Resource", role);
        let path = child.path();
        let stack = Some(child.stack_ref().id);
        Role(std::sync::Arc::new(RoleInner {
            granted_elsewhere: None,
            handle: Some(h),
            path,
            stack,
            arn: h.attr_arn(),
            name: h.r#ref(),
        }))
    }

    /// A role defined elsewhere (e.g. an AWS Proton environment output). Policies cannot be added to it here:
    /// grants to it record a warning.
    pub fn from_arn(arn: Value<String>) -> Role {
        // The name is the last `/`-separated component of the ARN (roles with a path have several).
        let name = match arn.as_literal() {
            Some(s) => Value::from(s.rsplit('/').next().unwrap_or(s)),
            None => fns::select(1, fns::split("/", arn.clone())),
        };
        Role(std::sync::Arc::new(RoleInner {
            granted_elsewhere: None,
            handle: None,
            path: String::new(),
            stack: None,
            arn,
            name,
        }))
    }

    /// An imported role whose permissions are granted where it is defined, e.g. an AWS Proton environment's
    /// task execution role that already allows pulls and log writes for every service of the environment.
    /// Grants to it are skipped without a warning; `reason` documents where they live.
    pub fn from_arn_granted_elsewhere(arn: Value<String>, reason: &str) -> Role {
        let imported = Role::from_arn(arn);
        let inner = &imported.0;
        Role(std::sync::Arc::new(RoleInner {
            granted_elsewhere: Some(reason.to_owned()),
            handle: None,
            path: String::new(),
            stack: None,
            arn: inner.arn.clone(),
            name: inner.name.clone(),
        }))
    }

    /// Why this imported role's permissions are managed elsewhere, if declared.
    pub fn granted_elsewhere_reason(&self) -> Option<&str> {
        self.0.granted_elsewhere.as_deref()
    }

    pub fn arn(&self) -> Value<String> {
        self.0.arn.clone()
    }

    /// The role name (`Ref`).
    pub fn name(&self) -> Value<String> {
        self.0.name.clone()
    }

    pub fn handle(&self) -> Option<Handle<cfn::iam::Role>> {
        self.0.handle
    }

    /// Construct path below the stack (empty when imported).
    pub fn path(&self) -> &str {
        &self.0.path
    }

    pub fn is_imported(&self) -> bool {
        self.0.handle.is_none()
    }

    /// The role's `DefaultPolicy`, once a statement was added: resources that need the permissions in place
    /// before they are created (a pipeline, a service) depend on it with [`Stack::add_dependency`].
    pub fn default_policy(&self, stack: &Stack) -> Option<Handle<crate::stack::Untyped>> {
        if self.0.handle.is_none() || self.0.stack != Some(stack.id) {
            return None;
        }
        stack.find_resource(&format!("{}/DefaultPolicy", self.0.path))
    }

    /// Add a statement to the role's `DefaultPolicy` (an `AWS::IAM::Policy` child created on the first
    /// statement). Returns false for an imported role or a role of another template (an error is recorded
    /// for the latter). Statement problems (wildcards) are recorded as errors at the policy's path.
    pub fn add_to_policy(&self, stack: &mut Stack, stmt: PolicyStatement) -> bool {
        if self.0.handle.is_none() {
            return false;
        }
        if self.0.stack != Some(stack.id) {
            let name = stack.name().to_owned();
            stack.error(
                "",
                format!(
                    "role {} belongs to another template than {name:?}; import it there with Role::from_arn",
                    self.0.path
                ),
            );
            return false;
        }
        let policy_path = format!("{}/DefaultPolicy", self.0.path);
        for problem in stmt.validate() {
            stack.error(&policy_path, problem);
        }
        let existing = stack.resources.iter_mut().find(|e| e.path == policy_path);
        match existing {
            Some(entry) => {
                if let Expr::Map(m) = entry.properties_mut() {
                    if let Some(doc) = m.get_mut("PolicyDocument") {
                        merge_statement_expr(doc, &stmt);
                    }
                }
            }
            None => {
                let mut doc = PolicyDocument::default();
                doc.add_statement(stmt);
                let policy_name = policy_name_for(&policy_path);
                let mut policy = cfn::iam::Policy::new(doc.to_value(), policy_name);
                policy.roles = Some(Value::from(vec![self.0.name.clone()]));
                let role_loop = self.0.handle.and_then(|h| stack.resource(&h)).and_then(|e| e.in_loop);
                let mut scope = stack.scope_at(&self.0.path);
                let h = scope.add("DefaultPolicy", policy);
                // A role repeated in a loop gets its policy repeated with it.
                stack.resource_mut(&h).in_loop = role_loop;
            }
        }
        true
    }
}

/// Append `stmt` to the `Statement` list of a document expression, merging its actions into a statement
/// with the same effect, resources and conditions (no Sid, no Principal).
pub(crate) fn merge_statement_expr(doc: &mut Expr, stmt: &PolicyStatement) {
    let Expr::Map(doc) = doc else { return };
    let Some(Expr::List(statements)) = doc.get_mut("Statement") else {
        return;
    };
    let new = stmt.to_expr();
    let Expr::Map(new_map) = &new else { return };
    let same = |k: &str, a: &IndexMap<String, Expr>| a.get(k) == new_map.get(k);
    let target = statements.iter_mut().find(|s| match s {
        Expr::Map(m) => {
            stmt.sid.is_none()
                && !m.contains_key("Sid")
                && same("Effect", m)
                && same("Resource", m)
                && same("Condition", m)
                && same("Principal", m)
        }
        _ => false,
    });
    match target {
        Some(Expr::Map(m)) => {
            let mut actions: Vec<Expr> = match m.get("Action") {
                Some(Expr::List(l)) => l.clone(),
                Some(e) => vec![e.clone()],
                None => Vec::new(),
            };
            for a in &stmt.actions {
                let e = Expr::Str(a.clone());
                if !actions.contains(&e) {
                    actions.push(e);
                }
            }
            m.insert("Action".to_owned(), one_or_list(actions));
        }
        _ => statements.push(new),
    }
}

/// A policy name from the construct path (alphanumerics only, at most 128 characters).
fn policy_name_for(path: &str) -> String {
    let mut s: String = path.chars().filter(char::is_ascii_alphanumeric).collect();
    s.truncate(128);
    s
}

impl Role {
    /// Let `grantee` pass this role to AWS services (`iam:PassRole`), e.g. a pipeline passing a task role.
    pub fn grant_pass_role(&self, stack: &mut Stack, grantee: &mut dyn Grantee) -> bool {
        let stmt = PolicyStatement::allow(&["iam:PassRole"], [self.arn()]);
        grant(stack, &self.0.path, grantee, stmt)
    }

    /// Grant arbitrary actions on this role (e.g. `sts:AssumeRole`) to `grantee`.
    pub fn grant(&self, stack: &mut Stack, grantee: &mut dyn Grantee, actions: &[&str]) -> bool {
        grant(
            stack,
            &self.0.path,
            grantee,
            PolicyStatement::allow(actions, [self.arn()]),
        )
    }
}

impl Grantee for Role {
    fn add_to_principal_policy(&mut self, stack: &mut Stack, stmt: PolicyStatement) -> bool {
        self.add_to_policy(stack, stmt)
    }

    fn granted_elsewhere(&self) -> bool {
        self.0.granted_elsewhere.is_some()
    }

    fn grantee_description(&self) -> String {
        if self.is_imported() {
            match self.0.arn.as_literal() {
                Some(a) => format!("role {a}"),
                None => "an imported role".to_owned(),
            }
        } else {
            format!("role {}", self.0.path)
        }
    }
}
