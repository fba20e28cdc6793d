//! [`Grant`]: what a `grant_*` method gave a principal.

use crate::stack::Stack;

use super::*;

/// The outcome of a `grant_*` call (CDK's `Grant`): the identity-policy statements given to the principal and
/// whether all of them could be added (an imported principal cannot take them; a warning is then recorded).
///
/// ```
/// use proton_synth_constructs::iam::{Grant, PolicyStatement, Principal, Role, RoleProps};
/// use proton_synth_constructs::{Stack, Value};
/// let mut stack = Stack::new("S");
/// let props = RoleProps { assumed_by: Principal::service("ecs-tasks.amazonaws.com"), ..RoleProps::default() };
/// let mut role = Role::new(&mut stack.root(), "Role", props);
/// let stmt = PolicyStatement::allow(&["sqs:SendMessage"], [Value::from("arn:aws:sqs:us-east-1:111122223333:q")]);
/// let grant = Grant::add(&mut stack, "Queue", &mut role, stmt);
/// assert!(grant.success());
/// assert_eq!(grant.actions(), ["sqs:SendMessage"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use = "a Grant tells whether the permissions could be added (`success()`)"]
pub struct Grant {
    statements: Vec<PolicyStatement>,
    success: bool,
}

impl Grant {
    /// Give `stmt` to `grantee` through [`grant`] (a warning at `path` when the grantee is imported).
    pub fn add(stack: &mut Stack, path: &str, grantee: &mut dyn Grantee, stmt: PolicyStatement) -> Grant {
        let success = grant(stack, path, grantee, stmt.clone());
        Grant {
            statements: vec![stmt],
            success,
        }
    }

    /// A grant of nothing (successful): the start of [`Grant::and`] chains.
    pub fn empty() -> Grant {
        Grant {
            statements: Vec::new(),
            success: true,
        }
    }

    /// Both grants: all statements, successful when both were.
    pub fn and(mut self, other: Grant) -> Grant {
        self.statements.extend(other.statements);
        self.success &= other.success;
        self
    }

    /// True when every statement was added to the principal's policy in this template.
    pub fn success(&self) -> bool {
        self.success
    }

    /// The statements given to the principal.
    pub fn statements(&self) -> &[PolicyStatement] {
        &self.statements
    }

    /// Every granted action, in order.
    pub fn actions(&self) -> Vec<&str> {
        self.statements
            .iter()
            .flat_map(|s| s.actions.iter().map(String::as_str))
            .collect()
    }
}
