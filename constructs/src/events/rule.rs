//! [`Rule`]: an EventBridge rule on a schedule or an event pattern.

use crate::cfn;
use crate::stack::{Construct, Handle, NodeId, Scope, Stack};
use crate::value::{Json, Value};

use super::*;

/// What triggers a rule.
#[derive(Clone, Debug)]
pub enum RuleTrigger {
    /// A schedule (default event bus only).
    Schedule(Schedule),
    /// An event pattern, e.g. `json!({"source": ["aws.ecr"], "detail-type": ["ECR Image Action"]})`.
    EventPattern(serde_json::Value),
}

/// Properties of [`Rule`].
#[derive(Clone, Debug)]
pub struct RuleProps {
    pub trigger: RuleTrigger,
    pub description: Option<String>,
    /// A fixed name (default: generated).
    pub rule_name: Option<Value<String>>,
    /// Default true.
    pub enabled: bool,
}

impl RuleProps {
    pub fn new(trigger: RuleTrigger) -> Self {
        RuleProps {
            trigger,
            description: None,
            rule_name: None,
            enabled: true,
        }
    }
}

/// An EventBridge rule; add targets with [`Rule::add_target`].
#[derive(Clone, Debug)]
pub struct Rule {
    pub(super) handle: Handle<cfn::events::Rule>,
    pub(super) node: NodeId,
    pub(super) path: String,
}

impl Rule {
    /// A rule (child `id`: `Resource`; targets add their roles and permissions below it).
    pub fn new(scope: &mut Scope, id: &str, props: RuleProps) -> Rule {
        let mut child = scope.child(id);
        let mut rule = cfn::events::Rule::new();
        match props.trigger {
            RuleTrigger::Schedule(s) => {
                if let Some(p) = s.problem() {
                    child.error(format!("schedule {}: {p}", s.expression()));
                }
                rule.schedule_expression = Some(s.value());
            }
            RuleTrigger::EventPattern(p) => {
                if p.as_object().is_none_or(|o| o.is_empty()) {
                    child.error("the event pattern must be a non-empty JSON object");
                }
                rule.event_pattern = Some(Value::<Json>::from(p));
            }
        }
        rule.description = props.description.map(Value::from);
        rule.name = props.rule_name;
        rule.state = Some(Value::from(if props.enabled { "ENABLED" } else { "DISABLED" }));
        let handle = child.add("Resource", rule);
        Rule {
            handle,
            node: child.node_id(),
            path: child.path(),
        }
    }

    pub fn arn(&self) -> Value<String> {
        self.handle.attr_arn()
    }

    pub fn handle(&self) -> Handle<cfn::events::Rule> {
        self.handle
    }

    /// Add a target (ids `Target0`, `Target1`, … in order) with what it needs to be invoked; returns the
    /// target's id. More than [`MAX_TARGETS`] targets is an error.
    pub fn add_target(&self, stack: &mut Stack, target: impl Into<RuleTarget>) -> String {
        let count = stack
            .l1::<cfn::events::Rule>(&self.handle)
            .and_then(|r| r.targets.as_ref())
            .map_or(0, Vec::len);
        let id = format!("Target{count}");
        if count >= MAX_TARGETS {
            stack.error(&self.path, format!("a rule takes at most {MAX_TARGETS} targets"));
        }
        let cfn_target = target.into().bind(stack, self, &id);
        if let Some(rule) = stack.l1_mut::<cfn::events::Rule>(&self.handle) {
            rule.targets.get_or_insert_with(Vec::new).push(cfn_target);
        }
        id
    }
}

impl Construct for Rule {
    fn node_id(&self) -> Option<NodeId> {
        Some(self.node)
    }
    fn path(&self) -> &str {
        &self.path
    }
}
