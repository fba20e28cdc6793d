//! [`ApplicationListenerRule`]: prioritized rules of a listener.

use std::sync::atomic::Ordering;

use indexmap::IndexMap;

use crate::cfn::elasticloadbalancingv2 as l1;
use crate::stack::{Construct, Handle, NodeId, Scope, Stack};
use crate::value::{Expr, Value};

use super::listener_action::build_action;
use super::*;

/// Properties of [`ApplicationListenerRule`].
#[derive(Clone, Debug)]
pub struct RuleProps {
    pub listener: ApplicationListener,
    /// 1–50000, unique per listener; lower numbers are evaluated first.
    pub priority: u32,
    /// At least one; at most five condition values in total.
    pub conditions: Vec<Condition>,
    pub action: ListenerAction,
}

/// A rule of an application listener.
#[derive(Clone, Debug)]
pub struct ApplicationListenerRule {
    pub(super) handle: Handle<l1::ListenerRule>,
    pub(super) path: String,
    /// The construct's node (`None` when imported).
    pub(super) node: Option<NodeId>,
    pub(super) priority: u32,
}

impl ApplicationListenerRule {
    pub fn new(scope: &mut Scope, id: &str, props: RuleProps) -> Self {
        let mut problems = Vec::new();
        if !(1..=50000).contains(&props.priority) {
            problems.push(format!(
                "listener rule priority {} is not in the range 1-50000",
                props.priority
            ));
        }
        if props.conditions.is_empty() {
            problems.push("a listener rule needs at least one condition".to_owned());
        }
        let total: usize = props.conditions.iter().map(|c| c.values().len()).sum();
        if total > 5 {
            problems.push(format!(
                "a listener rule allows at most 5 condition values in total; {total} given"
            ));
        }
        for c in &props.conditions {
            if c.values().is_empty() {
                problems.push(format!("a {} condition needs at least one value", c.kind()));
            }
            for v in c.values() {
                if v.chars().count() > 128 {
                    problems.push(format!("{} {v:?} is longer than 128 characters", c.kind()));
                }
            }
        }
        props.action.validate(&mut problems);
        let mut rule = l1::ListenerRule::new(
            vec![build_action!(listener_rule, &props.action)],
            props.conditions.iter().map(Condition::to_l1).collect(),
            // An out-of-range priority is reported above, once (not again by the schema check).
            i64::from(props.priority.clamp(1, 50000)),
        );
        rule.listener_arn = Some(props.listener.arn());
        let node = scope.child_node_id(id);
        let handle = scope.add(id, rule);
        let path = child_path(&scope.path(), id);
        let stack = scope.stack();
        for p in problems {
            stack.error(&path, p);
        }
        if let Some(tg) = props.action.target_group() {
            tg.register_forwarder(stack, &handle, props.listener.load_balancer_full_name.clone());
        }
        register_priority_check(stack, &props.listener);
        ApplicationListenerRule {
            handle,
            path,
            node: Some(node),
            priority: props.priority,
        }
    }

    pub fn arn(&self) -> Value<String> {
        self.handle.r#ref()
    }

    pub fn handle(&self) -> Handle<l1::ListenerRule> {
        self.handle
    }

    pub fn priority(&self) -> u32 {
        self.priority
    }
}

/// One validation per listener (registered with its first rule) that sees every rule of the final template.
pub(super) fn register_priority_check(stack: &mut Stack, listener: &ApplicationListener) {
    if listener.priority_check.swap(true, Ordering::Relaxed) {
        return;
    }
    let listener_ref = listener.handle.element();
    let listener_path = stack.full_path(&listener.path);
    stack.add_validation(&listener.path, move |s: &Stack| {
        let mut counts: IndexMap<i64, usize> = IndexMap::new();
        for rule in s.resources().filter_map(|r| r.l1::<l1::ListenerRule>()) {
            if rule.listener_arn.as_ref().map(Value::expr) != Some(&Expr::Ref(listener_ref)) {
                continue;
            }
            if let Expr::Int(p) = rule.priority.expr() {
                *counts.entry(*p).or_default() += 1;
            }
        }
        counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(p, n)| {
                let times = if n == 2 {
                    "twice".to_owned()
                } else {
                    format!("{n} times")
                };
                format!("listener rule priority {p} is used {times} on listener {listener_path}")
            })
            .collect()
    });
}

impl Construct for ApplicationListenerRule {
    fn node_id(&self) -> Option<NodeId> {
        self.node
    }
    fn path(&self) -> &str {
        &self.path
    }
}
