//! [`Stage`] and [`LoopItem`]: static stages and stages repeated once per loop item.

use crate::stack::LoopHandle;
use crate::value::{Expr, Placeholder, PlaceholderKind, Value};

use super::*;

/// A stage: a name and its actions (run in parallel).
#[derive(Clone, Debug)]
pub struct Stage {
    /// A literal name, or for per-item stages one that varies per item (e.g. joined with
    /// [`LoopItem::name`]).
    pub name: Value<String>,
    pub actions: Vec<Action>,
}

impl Stage {
    pub fn new(name: impl Into<Value<String>>, actions: Vec<Action>) -> Self {
        Stage {
            name: name.into(),
            actions,
        }
    }
}

/// The item of a pipeline loop (an AWS Proton service instance), for building per-item stages. Each value has a
/// Jinja spelling (`service_instance.name`, …) for bundles and a caller-given plain spelling (usually a
/// parameter `Ref`) for plain templates, where the loop is emitted once.
#[derive(Clone, Debug)]
pub struct LoopItem {
    pub(super) var: String,
    pub(super) lp: LoopHandle,
}

impl LoopItem {
    pub(super) fn field(&self, path: &str, plain: Value<String>) -> Value<String> {
        Value::placeholder(Placeholder {
            jinja: format!("{}.{path}", self.var),
            kind: PlaceholderKind::String,
            plain: plain.into_expr(),
        })
    }

    /// `<var>.name`, e.g. `service_instance.name`.
    pub fn name(&self, plain: impl Into<Value<String>>) -> Value<String> {
        self.field("name", plain.into())
    }

    /// `<var>.outputs.<output>`: an output of the service instance's template.
    pub fn output(&self, output: &str, plain: impl Into<Value<String>>) -> Value<String> {
        self.field(&format!("outputs.{output}"), plain.into())
    }

    /// `<var>.inputs.<input>`: an input of the service instance.
    pub fn input(&self, input: &str, plain: impl Into<Value<String>>) -> Value<String> {
        self.field(&format!("inputs.{input}"), plain.into())
    }

    /// `<var>.environment.outputs.<output>`: an output of the instance's environment (e.g. `ClusterName`).
    pub fn environment_output(&self, output: &str, plain: impl Into<Value<String>>) -> Value<String> {
        self.field(&format!("environment.outputs.{output}"), plain.into())
    }

    /// `loop.index` (1-based) as text; `"1"` in plain templates.
    pub fn index(&self) -> Value<String> {
        Value::placeholder(Placeholder {
            jinja: "loop.index | string".to_owned(),
            kind: PlaceholderKind::String,
            plain: Expr::Str("1".to_owned()),
        })
    }

    pub fn loop_handle(&self) -> LoopHandle {
        self.lp
    }
}
