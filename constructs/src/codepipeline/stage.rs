//! [`Stage`] and [`LoopItem`]: static stages and stages repeated once per loop item.

use std::any::Any;

use crate::cfn;
use crate::cfn::codepipeline::pipeline as cp;
use crate::resource::{AnyResource, CfnResource, PropSpec};
use crate::stack::LoopHandle;
use crate::value::{Expr, IntoExpr, Placeholder, PlaceholderKind, Value};

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

/// One stage of a pipeline, as the construct tree keeps it until synthesis.
#[derive(Clone, Debug)]
pub enum PipelineStage {
    Static(cp::StageDeclaration),
    /// Repeated once per item of the loop ([`Pipeline::add_stage_per_item`]).
    PerItem(LoopHandle, cp::StageDeclaration),
}

/// A pipeline as the construct tree stores it: the L1 and its stages, typed until synthesis. A stage
/// repeated once per loop item cannot be an item of the L1's `Vec<StageDeclaration>`, so the stages are kept
/// here and written after the L1's own `stages` (empty unless set through `Stack::l1_mut`) at synthesis.
#[derive(Clone, Debug)]
pub struct PipelineResource {
    pub pipeline: cfn::codepipeline::Pipeline,
    pub stages: Vec<PipelineStage>,
}

impl AnyResource for PipelineResource {
    fn type_name(&self) -> &str {
        <cfn::codepipeline::Pipeline as CfnResource>::TYPE_NAME
    }
    fn prop_specs(&self) -> &'static [PropSpec] {
        <cfn::codepipeline::Pipeline as CfnResource>::PROPS
    }
    fn to_properties(&self) -> Expr {
        let mut stages: Vec<Expr> = self.pipeline.stages.iter().cloned().map(IntoExpr::into_expr).collect();
        stages.extend(self.stages.iter().map(|s| match s {
            PipelineStage::Static(d) => d.clone().into_expr(),
            PipelineStage::PerItem(lp, d) => lp.items([d.clone().into_expr()]),
        }));
        let mut props = self.pipeline.clone().into_properties();
        // `Stages` is required, so the generated map always has it; replacing its value keeps its position.
        if let Expr::Map(m) = &mut props {
            m.insert("Stages".to_owned(), Expr::List(stages));
        }
        props
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn l1_any(&self) -> &dyn Any {
        &self.pipeline
    }
    fn l1_any_mut(&mut self) -> &mut dyn Any {
        &mut self.pipeline
    }
}
