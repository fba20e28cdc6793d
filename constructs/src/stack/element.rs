//! Template elements other than resources: [`Parameter`], [`Output`], [`CondExpr`].

use std::marker::PhantomData;

use crate::value::{ElementRef, Expr, Value};

use super::*;

/// A template parameter: its CloudFormation declaration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParameterSpec {
    pub type_name: String,
    pub description: Option<String>,
    pub default: Option<serde_json::Value>,
    pub allowed_values: Vec<serde_json::Value>,
    pub allowed_pattern: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub constraint_description: Option<String>,
    pub no_echo: bool,
}

/// A typed parameter declaration: `Parameter::<String>::string()`.
#[derive(Clone, Debug)]
pub struct Parameter<T> {
    pub spec: ParameterSpec,
    pub(super) _t: PhantomData<fn() -> T>,
}

impl<T> Parameter<T> {
    pub(super) fn of(type_name: &str) -> Self {
        Parameter {
            spec: ParameterSpec {
                type_name: type_name.to_owned(),
                ..ParameterSpec::default()
            },
            _t: PhantomData,
        }
    }
    pub fn description(mut self, d: &str) -> Self {
        self.spec.description = Some(d.to_owned());
        self
    }
    pub fn default_value(mut self, v: impl Into<serde_json::Value>) -> Self {
        self.spec.default = Some(v.into());
        self
    }
    pub fn allowed_values<V: Into<serde_json::Value>>(mut self, values: impl IntoIterator<Item = V>) -> Self {
        self.spec.allowed_values = values.into_iter().map(Into::into).collect();
        self
    }
    pub fn no_echo(mut self) -> Self {
        self.spec.no_echo = true;
        self
    }
    pub fn constraint_description(mut self, d: &str) -> Self {
        self.spec.constraint_description = Some(d.to_owned());
        self
    }
}

impl Parameter<String> {
    pub fn string() -> Self {
        Parameter::of("String")
    }
    /// An AWS-specific parameter type such as `AWS::EC2::VPC::Id`.
    pub fn aws_type(type_name: &str) -> Self {
        Parameter::of(type_name)
    }
    pub fn allowed_pattern(mut self, p: &str) -> Self {
        self.spec.allowed_pattern = Some(p.to_owned());
        self
    }
    pub fn min_length(mut self, n: u64) -> Self {
        self.spec.min_length = Some(n);
        self
    }
    pub fn max_length(mut self, n: u64) -> Self {
        self.spec.max_length = Some(n);
        self
    }
}

impl Parameter<f64> {
    pub fn number() -> Self {
        Parameter::of("Number")
    }
    pub fn min_value(mut self, n: f64) -> Self {
        self.spec.min_value = Some(n);
        self
    }
    pub fn max_value(mut self, n: f64) -> Self {
        self.spec.max_value = Some(n);
        self
    }
}

impl Parameter<Vec<String>> {
    pub fn comma_delimited_list() -> Self {
        Parameter::of("CommaDelimitedList")
    }
    /// An AWS-specific list type such as `List<AWS::EC2::Subnet::Id>`.
    pub fn aws_list_type(type_name: &str) -> Self {
        Parameter::of(type_name)
    }
}

/// A template output.
#[derive(Clone, Debug)]
pub struct Output {
    pub value: Value<String>,
    pub description: Option<String>,
    pub export_name: Option<Value<String>>,
    pub condition: Option<CondHandle>,
}

impl Output {
    pub fn new(value: impl Into<Value<String>>) -> Self {
        Output {
            value: value.into(),
            description: None,
            export_name: None,
            condition: None,
        }
    }
    pub fn description(mut self, d: &str) -> Self {
        self.description = Some(d.to_owned());
        self
    }
    pub fn export(mut self, name: impl Into<Value<String>>) -> Self {
        self.export_name = Some(name.into());
        self
    }
}

/// A condition expression (`Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`, `Condition`).
#[derive(Clone, Debug, PartialEq)]
pub enum CondExpr {
    Equals(Expr, Expr),
    And(Vec<CondExpr>),
    Or(Vec<CondExpr>),
    Not(Box<CondExpr>),
    Condition(ElementRef),
}

impl CondExpr {
    pub fn equals<T>(a: Value<T>, b: Value<T>) -> Self {
        CondExpr::Equals(a.into_expr(), b.into_expr())
    }
    #[allow(clippy::should_implement_trait)]
    pub fn not(c: CondExpr) -> Self {
        CondExpr::Not(Box::new(c))
    }
    pub fn of(c: &CondHandle) -> Self {
        CondExpr::Condition(c.element())
    }
}
