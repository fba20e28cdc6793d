//! Validation of spec input values against a parsed schema: [`InputType::validate`] and
//! [`Property::validate`] (types, enums, patterns, lengths, ranges), with findings at the value's line.

use super::*;

impl InputType {
    /// Validate the inputs a spec gives for this type (`values` is the mapping, or `None` when the spec has
    /// none). `path` is where they are in the spec, e.g. `instances[0].spec`. Findings carry lines only.
    pub fn validate(&self, values: Option<&Node>, path: &str, out: &mut Vec<Finding>) {
        let empty = Vec::new();
        let entries: &[(Node, Node)] = match values {
            None => &empty,
            Some(v) if v.is_null() => &empty,
            Some(v) => match v.as_map() {
                Some(e) => e,
                None => {
                    out.push(
                        Finding::error(format!("{path}: expected a mapping of inputs, got {}", v.kind_name()))
                            .at_line(v.line),
                    );
                    return;
                }
            },
        };
        for (k, v) in entries {
            let key = k.key_text();
            match self.properties.get(&key) {
                Some(p) => p.validate(v, &format!("{path}.{key}"), out),
                None => out.push(
                    Finding::error(format!(
                        "{path}.{key}: unknown input; {} declares {}",
                        self.name,
                        self.property_list()
                    ))
                    .at_line(k.line),
                ),
            }
        }
        for name in &self.required {
            let given = entries.iter().any(|(k, _)| &k.key_text() == name);
            let has_default = self.properties.get(name).is_some_and(|p| p.default.is_some());
            if !given && !has_default {
                let line = values.map(|v| v.line);
                out.push(
                    Finding::error(format!(
                        "{path}.{name}: required input is missing (the schema gives no default)"
                    ))
                    .at_line(line),
                );
            }
        }
    }

    fn property_list(&self) -> String {
        if self.properties.is_empty() {
            "no inputs".to_owned()
        } else {
            self.properties.keys().cloned().collect::<Vec<_>>().join(", ")
        }
    }

    /// The inputs a template sees: the spec's values, then schema defaults for the inputs it omits.
    pub fn merged(&self, values: Option<&Node>) -> Map<String, Value> {
        let mut out = Map::new();
        if let Some(entries) = values.and_then(Node::as_map) {
            for (k, v) in entries {
                out.insert(k.key_text(), v.to_json());
            }
        }
        for (name, p) in &self.properties {
            if let (false, Some(d)) = (out.contains_key(name), &p.default) {
                out.insert(name.clone(), d.clone());
            }
        }
        out
    }
}

impl Property {
    /// Validate one value; `path` names it in messages.
    pub fn validate(&self, v: &Node, path: &str, out: &mut Vec<Finding>) {
        let mut err = |msg: String| out.push(Finding::error(format!("{path}: {msg}")).at_line(v.line));
        match (self.ty, &v.value) {
            (PropType::Invalid, _) => return,
            (PropType::String, NodeValue::String(s)) => self.validate_string(s, &mut err),
            (PropType::Number, NodeValue::Number(n)) => self.validate_number(n, &mut err),
            (PropType::Integer, NodeValue::Number(n)) if n.is_i64() || n.is_u64() => self.validate_number(n, &mut err),
            (PropType::Boolean, NodeValue::Bool(_)) => {}
            (PropType::Array, NodeValue::Seq(items)) => {
                let n = items.len() as u64;
                if let Some(min) = self.min_items.filter(|m| n < *m) {
                    err(format!("has {n} item(s), fewer than the minimum {min}"));
                }
                if let Some(max) = self.max_items.filter(|m| n > *m) {
                    err(format!("has {n} item(s), more than the maximum {max}"));
                }
                if let Some(item) = &self.items {
                    for (i, it) in items.iter().enumerate() {
                        item.validate(it, &format!("{path}[{i}]"), out);
                    }
                }
                return;
            }
            _ => {
                err(format!("expected {}, got {}", self.ty.article_name(), describe(v)));
                return;
            }
        }
        if let Some(allowed) = &self.enum_values {
            let value = v.to_json();
            if !allowed.contains(&value) {
                let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
                err(format!("{value} is not one of {}", list.join(", ")));
            }
        }
    }

    fn validate_string(&self, s: &str, err: &mut dyn FnMut(String)) {
        let len = s.chars().count() as u64;
        if let Some(min) = self.min_length.filter(|m| len < *m) {
            err(format!("{} is shorter than the minimum length {min}", Value::from(s)));
        }
        if let Some(max) = self.max_length.filter(|m| len > *m) {
            err(format!("is {len} characters long, more than the maximum length {max}"));
        }
        if let Some(p) = self.pattern.as_ref().filter(|p| !p.is_match(s)) {
            err(format!("{} does not match the pattern {}", Value::from(s), p.source));
        }
    }

    fn validate_number(&self, n: &Number, err: &mut dyn FnMut(String)) {
        let x = n.as_f64().unwrap_or(f64::NAN);
        if let Some(min) = &self.minimum {
            let m = min.as_f64().unwrap_or(f64::NAN);
            if self.exclusive_minimum && x <= m {
                err(format!("{n} is not above the exclusive minimum {min}"));
            } else if x < m {
                err(format!("{n} is below the minimum {min}"));
            }
        }
        if let Some(max) = &self.maximum {
            let m = max.as_f64().unwrap_or(f64::NAN);
            if self.exclusive_maximum && x >= m {
                err(format!("{n} is not below the exclusive maximum {max}"));
            } else if x > m {
                err(format!("{n} is above the maximum {max}"));
            }
        }
    }
}

/// `a string ("80")`, `a number (80)`, `null`, `a list`.
fn describe(v: &Node) -> String {
    match &v.value {
        NodeValue::String(_) | NodeValue::Number(_) | NodeValue::Bool(_) => {
            format!("{} ({})", v.kind_name(), v.to_json())
        }
        _ => v.kind_name().to_owned(),
    }
}
