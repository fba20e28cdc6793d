//! [`PolicyDocument`]: a list of statements.

use crate::value::{Expr, Json, Value};

use super::*;

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
