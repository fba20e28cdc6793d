//! The Python methods Jinja2 templates call on values (`outputs.items()`, `name.upper()`, …), which
//! minijinja does not have natively: dict `items`, `keys`, `values`, `get`; str `upper`, `lower`, `strip`,
//! `lstrip`, `rstrip`, `replace`, `split`, `startswith`, `endswith`.

use minijinja::value::{from_args, Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

use super::jinja;

/// The unknown-method callback for the environment.
pub fn call_method(state: &mut State, value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::Map => {
            state.consume_fuel(value.len().unwrap_or(0) as u64)?;
            map_method(value, method, args)
        }
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default();
            // Like minijinja's filters, a method pays for the bytes of its input (64 per unit of fuel).
            state.consume_fuel(s.len() as u64 / 64)?;
            string_method(state, s, method, args)
        }
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    }
}

fn map_method(value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    let keys = || -> Result<Vec<Value>, Error> { Ok(value.try_iter()?.collect()) };
    match method {
        "keys" => {
            let () = from_args(args)?;
            Ok(Value::from(keys()?))
        }
        "values" => {
            let () = from_args(args)?;
            let values: Result<Vec<Value>, Error> = keys()?.iter().map(|k| value.get_item(k)).collect();
            Ok(Value::from(values?))
        }
        "items" => {
            let () = from_args(args)?;
            let items: Result<Vec<Value>, Error> = keys()?
                .into_iter()
                .map(|k| value.get_item(&k).map(|v| Value::from(vec![k, v])))
                .collect();
            Ok(Value::from(items?))
        }
        "get" => {
            let (key, default): (Value, Option<Value>) = from_args(args)?;
            let v = value.get_item(&key)?;
            Ok(if v.is_undefined() {
                default.unwrap_or(Value::from(()))
            } else {
                v
            })
        }
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    }
}

fn string_method(state: &State, s: &str, method: &str, args: &[Value]) -> Result<Value, Error> {
    let strip_set =
        |chars: Option<String>| move |c: char| chars.as_ref().map_or(c.is_whitespace(), |set| set.contains(c));
    Ok(match method {
        "upper" => {
            let () = from_args(args)?;
            Value::from(s.to_uppercase())
        }
        "lower" => {
            let () = from_args(args)?;
            Value::from(s.to_lowercase())
        }
        "strip" => Value::from(s.trim_matches(strip_set(from_args::<(Option<String>,)>(args)?.0))),
        "lstrip" => Value::from(s.trim_start_matches(strip_set(from_args::<(Option<String>,)>(args)?.0))),
        "rstrip" => Value::from(s.trim_end_matches(strip_set(from_args::<(Option<String>,)>(args)?.0))),
        "replace" => {
            let (old, new, count): (String, String, Option<i64>) = from_args(args)?;
            // Python inserts `new` between every character when `old` is empty: check the size first.
            let limit = count.filter(|c| *c >= 0).map_or(usize::MAX, |c| c as usize);
            let matches = if old.is_empty() {
                s.chars().count().saturating_add(1).min(limit)
            } else {
                s.matches(old.as_str()).take(limit).count()
            };
            jinja::ensure_bytes(state, s.len().saturating_add(matches.saturating_mul(new.len())))?;
            match count.filter(|c| *c >= 0) {
                Some(n) => Value::from(s.replacen(&old, &new, n as usize)),
                None => Value::from(s.replace(&old, &new)),
            }
        }
        "split" => {
            let (sep, maxsplit): (Option<String>, Option<i64>) = from_args(args)?;
            // At most one part per separator: check the list's size (a value takes ~32 bytes) first.
            let parts = s.len() / sep.as_ref().map_or(1, |p| p.len().max(1)) + 1;
            jinja::ensure_bytes(state, parts.saturating_mul(32))?;
            Value::from(split(s, sep.as_deref(), maxsplit))
        }
        "startswith" => {
            let (prefix,): (String,) = from_args(args)?;
            Value::from(s.starts_with(&prefix))
        }
        "endswith" => {
            let (suffix,): (String,) = from_args(args)?;
            Value::from(s.ends_with(&suffix))
        }
        _ => return Err(Error::from(ErrorKind::UnknownMethod)),
    })
}

/// Python's `str.split(sep=None, maxsplit=-1)`.
fn split(s: &str, sep: Option<&str>, maxsplit: Option<i64>) -> Vec<Value> {
    let limit = maxsplit.filter(|m| *m >= 0).map(|m| m as usize + 1);
    match sep {
        Some(sep) if !sep.is_empty() => match limit {
            Some(n) => s.splitn(n, sep).map(Value::from).collect(),
            None => s.split(sep).map(Value::from).collect(),
        },
        _ => {
            let mut parts: Vec<Value> = Vec::new();
            let mut rest = s.trim_start();
            while !rest.is_empty() {
                if limit.is_some_and(|n| parts.len() + 1 == n) {
                    parts.push(Value::from(rest));
                    break;
                }
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                parts.push(Value::from(&rest[..end]));
                rest = rest[end..].trim_start();
            }
            parts
        }
    }
}
