//! [`Schedule`]: a schedule expression, `rate(..)` or `cron(..)`, checked before it reaches a template.

use crate::value::Value;

/// The unit of a [`Schedule::rate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    Minutes,
    Hours,
    Days,
}

/// A schedule expression of EventBridge rules and EventBridge Scheduler. Constructors never fail; a mistake is
/// kept and reported (with the construct path) by the construct that uses the schedule.
///
/// ```
/// use proton_synth_constructs::events::{Schedule, TimeUnit};
/// assert_eq!(Schedule::rate(1, TimeUnit::Hours).expression(), "rate(1 hour)");
/// assert_eq!(Schedule::cron("0 3 * * ? *").expression(), "cron(0 3 * * ? *)");
/// assert!(Schedule::cron("0 3 * * *").problem().is_some()); // five fields: EventBridge needs six
/// assert!(Schedule::rate(0, TimeUnit::Minutes).problem().is_some());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    expression: String,
    /// A late-bound expression ([`Schedule::late_bound`]); `expression` then only describes it.
    late: Option<Value<String>>,
    problem: Option<String>,
}

impl Schedule {
    /// Every `amount` minutes, hours or days (`amount` ≥ 1).
    pub fn rate(amount: u32, unit: TimeUnit) -> Schedule {
        let word = match (unit, amount == 1) {
            (TimeUnit::Minutes, true) => "minute",
            (TimeUnit::Minutes, false) => "minutes",
            (TimeUnit::Hours, true) => "hour",
            (TimeUnit::Hours, false) => "hours",
            (TimeUnit::Days, true) => "day",
            (TimeUnit::Days, false) => "days",
        };
        Schedule {
            expression: format!("rate({amount} {word})"),
            late: None,
            problem: (amount == 0).then(|| "a rate must be at least 1".to_owned()),
        }
    }

    /// A cron expression of six fields, in UTC: minutes, hours, day of month, month, day of week, year; one
    /// of day of month and day of week must be `?` (e.g. `"0 3 * * ? *"`: every day at 03:00).
    pub fn cron(fields: &str) -> Schedule {
        Schedule {
            expression: format!("cron({})", fields.trim()),
            late: None,
            problem: cron_problem(fields),
        }
    }

    /// An expression as EventBridge writes it, `rate(<n> <unit>)` or `cron(<six fields>)`, checked like the
    /// typed constructors (a mistake is kept and reported by the construct using the schedule).
    ///
    /// ```
    /// use proton_synth_constructs::events::Schedule;
    /// assert!(Schedule::parse("rate(5 minutes)").problem().is_none());
    /// assert!(Schedule::parse("rate(1 minutes)").problem().is_some()); // EventBridge wants "1 minute"
    /// assert!(Schedule::parse("every 5 minutes").problem().is_some());
    /// ```
    pub fn parse(text: &str) -> Schedule {
        let text = text.trim();
        if let Some(fields) = text.strip_prefix("cron(").and_then(|t| t.strip_suffix(')')) {
            return Schedule::cron(fields);
        }
        let problem = match text.strip_prefix("rate(").and_then(|t| t.strip_suffix(')')) {
            Some(rate) => rate_problem(rate),
            None => Some(format!(
                "{text:?} is neither rate(<n> minutes|hours|days) nor cron(<6 fields>)"
            )),
        };
        Schedule {
            expression: text.to_owned(),
            late: None,
            problem,
        }
    }

    /// An expression known only when the template is deployed, such as an AWS Proton input
    /// (`schedule_expression`). A literal value (e.g. a default passed in) is checked like
    /// [`Schedule::parse`]; a late-bound one is passed through unchecked, so validate it where its value is
    /// known (the input's `pattern`, or the deployment).
    ///
    /// ```
    /// use proton_synth_constructs::events::Schedule;
    /// use proton_synth_constructs::Value;
    /// let s = Schedule::late_bound(Value::from("rate(5 minutes)"));
    /// assert_eq!(s.value(), Value::from("rate(5 minutes)"));
    /// assert!(s.problem().is_none());
    /// assert!(Schedule::late_bound(Value::from("rate(5 minute)")).problem().is_some());
    /// ```
    pub fn late_bound(expression: Value<String>) -> Schedule {
        if let Some(text) = expression.as_literal() {
            return Schedule::parse(text);
        }
        Schedule {
            expression: "(late-bound schedule expression)".to_owned(),
            late: Some(expression),
            problem: None,
        }
    }

    /// The expression as CloudFormation takes it, for a literal schedule; a description for a late-bound one
    /// (use [`Schedule::value`] in templates).
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The expression as a template value (literal or late-bound).
    pub fn value(&self) -> Value<String> {
        self.late
            .clone()
            .unwrap_or_else(|| Value::from(self.expression.as_str()))
    }

    /// What is wrong with it, if anything.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }
}

/// What is wrong with the inside of `rate(..)`: `<n ≥ 1> <unit>`, the unit singular exactly when n is 1.
fn rate_problem(rate: &str) -> Option<String> {
    let parts: Vec<&str> = rate.split_whitespace().collect();
    let [amount, unit] = parts[..] else {
        return Some("a rate is rate(<n> <unit>)".to_owned());
    };
    let Ok(n) = amount.parse::<u32>() else {
        return Some(format!("{amount:?} is not a whole number"));
    };
    let units = if n == 1 {
        ["minute", "hour", "day"]
    } else {
        ["minutes", "hours", "days"]
    };
    if n == 0 {
        Some("a rate must be at least 1".to_owned())
    } else if !units.contains(&unit) {
        Some(format!("the unit for {n} must be one of {}", units.join(", ")))
    } else {
        None
    }
}

/// The expression as a value (for props that also take late-bound expressions); a construct that takes it
/// checks it again, as it checks every literal expression.
impl From<Schedule> for crate::value::Value<String> {
    fn from(s: Schedule) -> Self {
        crate::value::Value::from(s.expression())
    }
}

fn cron_problem(fields: &str) -> Option<String> {
    let parts: Vec<&str> = fields.split_whitespace().collect();
    if parts.len() != 6 {
        return Some(format!(
            "cron expression {fields:?} has {} fields; EventBridge needs 6 (minutes hours day-of-month month day-of-week year)",
            parts.len()
        ));
    }
    let allowed = |s: &str, extra: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || ",-*/".contains(c) || extra.contains(c))
    };
    let extras = ["", "", "?LW", "", "?L#", ""];
    if let Some((i, p)) = parts.iter().enumerate().find(|(i, p)| !allowed(p, extras[*i])) {
        return Some(format!(
            "cron field {} ({p:?}) has characters EventBridge does not accept",
            i + 1
        ));
    }
    if (parts[2] == "?") == (parts[4] == "?") {
        return Some(format!(
            "cron expression {fields:?}: exactly one of day-of-month and day-of-week must be '?'"
        ));
    }
    None
}
