//! [`PolicyDocument`]: a list of statements.

use std::any::Any;

use crate::resource::{AnyResource, CfnResource, PropSpec};
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

/// An L1 with a policy document (a role's default policy, a key policy, a bucket policy) as the construct
/// tree stores it: the document stays a typed [`PolicyDocument`] until synthesis, so statements added later
/// are merged as statements ([`PolicyDocument::add_statement`]), never by editing a property map.
/// `Stack::l1_mut` reaches the L1 inside; its document field is replaced by `document` at synthesis.
#[derive(Clone, Debug)]
pub struct PolicyResource<R> {
    pub resource: R,
    pub document: PolicyDocument,
    /// Where the document goes in the L1 (e.g. `|k, d| k.key_policy = Some(d)`).
    pub set_document: fn(&mut R, Value<Json>),
}

impl<R: CfnResource + AnyResource + Clone> AnyResource for PolicyResource<R> {
    fn type_name(&self) -> &str {
        R::TYPE_NAME
    }
    fn prop_specs(&self) -> &'static [PropSpec] {
        R::PROPS
    }
    fn to_properties(&self) -> Expr {
        let mut resource = self.resource.clone();
        (self.set_document)(&mut resource, self.document.to_value());
        resource.into_properties()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn l1_any(&self) -> &dyn Any {
        &self.resource
    }
    fn l1_any_mut(&mut self) -> &mut dyn Any {
        &mut self.resource
    }
}
