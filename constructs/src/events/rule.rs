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
    /// A schedule expression known only at deployment, e.g. an AWS Proton input (`rate(5 minutes)`): written
    /// as it is; EventBridge checks it when the rule is created. A literal value is checked like
    /// [`RuleTrigger::Schedule`].
    ScheduleExpression(Value<String>),
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
            RuleTrigger::ScheduleExpression(e) => {
                if let Some(p) = e.as_literal().and_then(literal_schedule_problem) {
                    child.error(format!("schedule {}: {p}", e.as_literal().unwrap_or_default()));
                }
                rule.schedule_expression = Some(e);
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

/// What is wrong with a literal schedule expression (`rate(…)` or `cron(…)`), if anything.
fn literal_schedule_problem(expression: &str) -> Option<String> {
    if let Some(fields) = expression.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        return Schedule::cron(fields).problem().map(str::to_owned);
    }
    let Some(rate) = expression.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) else {
        return Some("a schedule expression is rate(<n> <unit>) or cron(<6 fields>)".to_owned());
    };
    let Some((amount, unit)) = rate.split_once(' ') else {
        return Some(format!("rate({rate}) needs an amount and a unit, e.g. rate(5 minutes)"));
    };
    let amount: u32 = match amount.parse() {
        Ok(n) => n,
        Err(_) => return Some(format!("rate amount {amount:?} is not a whole number")),
    };
    let unit = match unit {
        "minute" | "minutes" => TimeUnit::Minutes,
        "hour" | "hours" => TimeUnit::Hours,
        "day" | "days" => TimeUnit::Days,
        other => return Some(format!("rate unit {other:?} is not minute(s), hour(s) or day(s)")),
    };
    let checked = Schedule::rate(amount, unit);
    if let Some(p) = checked.problem() {
        return Some(p.to_owned());
    }
    (checked.expression() != expression).then(|| format!("write it as {}", checked.expression()))
}

impl Construct for Rule {
    fn node_id(&self) -> Option<NodeId> {
        Some(self.node)
    }
    fn path(&self) -> &str {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_schedule_expressions_are_checked() {
        assert_eq!(literal_schedule_problem("rate(5 minutes)"), None);
        assert_eq!(literal_schedule_problem("rate(1 hour)"), None);
        assert_eq!(literal_schedule_problem("cron(0 3 * * ? *)"), None);
        for (bad, words) in [
            ("rate(1 minutes)", "rate(1 minute)"),
            ("rate(0 minutes)", "at least 1"),
            ("rate(5 weeks)", "weeks"),
            ("rate(five minutes)", "whole number"),
            ("rate(5)", "amount and a unit"),
            ("cron(0 3 * * *)", "6"),
            ("every 5 minutes", "rate(<n> <unit>)"),
        ] {
            let p = literal_schedule_problem(bad).unwrap_or_default();
            assert!(p.contains(words), "{bad}: {p}");
        }
    }
}
