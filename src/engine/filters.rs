//! Proton's custom Jinja filters, plus the Jinja2 built-ins whose minijinja versions differ (`truncate`,
//! which minijinja lacks, and `tojson`), and the value formatter.
//!
//! Decisions where AWS documents no exact behaviour (section 5 of the format notes):
//! - The three `proton_cfn_*_formatted_*`/`policy_arns` filters emit block YAML, one entry per output in the
//!   outputs' order, and every line after the first is indented to the column where the filter's output
//!   starts, so the items line up under hand-written ones. Values are written as they are (unquoted).
//!   The filter cannot know that column, so it marks its output and [`finish_output`] re-indents after
//!   rendering (the Jinja2 reference script does the same).
//! - `raw=False` rejects a value that does not match `^[a-zA-Z0-9_-]*$` with the sanitize message.
//! - A "valid ARN" for `proton_cfn_sanitize` is `arn:<partition>:<service>:<region>:<account>:<resource>`:
//!   partition and service non-empty (`[A-Za-z0-9-]`), region `[a-z0-9-]*`, account empty, 12 digits or
//!   `aws`, and a non-empty resource without whitespace or quotes.

use std::sync::{Arc, LazyLock};

use minijinja::value::{Enumerator, Kwargs, Object, ObjectRepr, Rest, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};
use regex::Regex;

use super::jinja;
use super::pyfmt;

/// Marks where a multi-line filter output starts.
pub const START_MARK: char = '\u{E000}';
/// Marks the start of each continuation line of such an output.
pub const LINE_MARK: char = '\u{E001}';

/// `^[a-zA-Z0-9_-]*$`, checked byte by byte (a regex is slow on a long value).
fn is_safe(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}
static ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^arn:[A-Za-z0-9-]+:[A-Za-z0-9-]+:[a-z0-9-]*:([0-9]{12}|aws)?:[^\s'"]+$"#).expect("valid regex")
});
static IAM_POLICY_ARN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^arn:[a-zA-Z-]+:iam::\d{12}:policy/").expect("valid regex"));

/// Register the filters and the formatter on an environment.
pub fn register(env: &mut Environment<'_>) {
    env.add_filter("proton_cfn_sanitize", proton_cfn_sanitize);
    env.add_filter("proton_cfn_ecs_task_definition_formatted_env_vars", ecs_env_vars);
    env.add_filter("proton_cfn_lambda_function_formatted_env_vars", lambda_env_vars);
    env.add_filter("proton_cfn_iam_policy_arns", iam_policy_arns);
    env.add_filter("truncate", truncate);
    env.add_filter("center", center);
    env.add_filter("tojson", tojson);
    env.set_formatter(|out, state, value| match float_of(value) {
        Some(f) => out.write_str(&pyfmt::float_repr(f)).map_err(Error::from),
        None => minijinja::escape_formatter(out, state, value),
    });
}

fn float_of(value: &Value) -> Option<f64> {
    (value.is_number() && !value.is_integer())
        .then(|| f64::try_from(value.clone()).ok())
        .flatten()
}

fn fail(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// Python's `str()` of a scalar.
fn py_str(value: &Value) -> String {
    match (value.as_str(), float_of(value)) {
        (Some(s), _) => s.to_owned(),
        (None, Some(f)) => pyfmt::float_repr(f),
        _ => value.to_string(),
    }
}

fn illegal(value: &str, arn_ok: bool) -> Error {
    let tail = if arn_ok { " or be a valid ARN" } else { "" };
    // Quote a long value by its start: the message is for a person.
    let value = match value.char_indices().nth(200) {
        Some((at, _)) => format!("{}… ({} bytes)", &value[..at], value.len()),
        None => value.to_owned(),
    };
    fail(format!(
        "Illegal character(s) detected in \"{value}\". Must match regex ^[a-zA-Z0-9_-]*${tail}"
    ))
}

/// The longest ARN AWS issues; a longer value is no ARN.
const MAX_ARN_LEN: usize = 2048;

/// Passes a value through when it is safe to splice into CloudFormation, fails otherwise.
fn proton_cfn_sanitize(value: &Value) -> Result<String, Error> {
    let s = py_str(value);
    if is_safe(&s) || (s.len() <= MAX_ARN_LEN && ARN.is_match(&s)) {
        Ok(s)
    } else {
        Err(illegal(&s, true))
    }
}

/// The entries of a map (outputs), in order, with values as text.
fn entries(value: &Value, filter: &str) -> Result<Vec<(String, String)>, Error> {
    if value.kind() != ValueKind::Map {
        return Err(fail(format!("{filter} expects a map of outputs, got {}", value.kind())));
    }
    let mut out = Vec::new();
    for key in value.try_iter()? {
        let v = value.get_item(&key)?;
        out.push((py_str(&key), py_str(&v)));
    }
    Ok(out)
}

/// The `raw` flag (positional or keyword; default true).
fn raw_flag(raw: Option<&Value>, kwargs: &Kwargs) -> Result<bool, Error> {
    let kw: Option<Value> = kwargs.get("raw")?;
    kwargs.assert_all_used()?;
    Ok(raw.or(kw.as_ref()).is_none_or(Value::is_true))
}

fn check_raw(raw: bool, values: &[(String, String)]) -> Result<(), Error> {
    match values.iter().find(|(_, v)| !raw && !is_safe(v)) {
        Some((_, v)) => Err(illegal(v, false)),
        None => Ok(()),
    }
}

/// Lines as one block whose continuation lines [`finish_output`] indents.
fn block(lines: Vec<String>) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut out = String::from(START_MARK);
    out.push_str(&lines.join(&format!("\n{LINE_MARK}")));
    out
}

fn ecs_env_vars(value: &Value, raw: Option<Value>, kwargs: Kwargs) -> Result<String, Error> {
    let raw = raw_flag(raw.as_ref(), &kwargs)?;
    let values = entries(value, "proton_cfn_ecs_task_definition_formatted_env_vars")?;
    check_raw(raw, &values)?;
    let lines = values
        .into_iter()
        .flat_map(|(k, v)| [format!("- Name: {k}"), format!("  Value: {v}")])
        .collect();
    Ok(block(lines))
}

fn lambda_env_vars(value: &Value, raw: Option<Value>, kwargs: Kwargs) -> Result<String, Error> {
    let raw = raw_flag(raw.as_ref(), &kwargs)?;
    let values = entries(value, "proton_cfn_lambda_function_formatted_env_vars")?;
    check_raw(raw, &values)?;
    Ok(block(values.into_iter().map(|(k, v)| format!("{k}: {v}")).collect()))
}

fn iam_policy_arns(value: &Value) -> Result<String, Error> {
    let values = entries(value, "proton_cfn_iam_policy_arns")?;
    Ok(block(
        values
            .into_iter()
            .filter(|(_, v)| IAM_POLICY_ARN.is_match(v))
            .map(|(_, v)| format!("- {v}"))
            .collect(),
    ))
}

/// Jinja2's `truncate(s, length=255, killwords=False, end='...', leeway=None)`; leeway defaults to 5.
fn truncate(value: &Value, args: Rest<Value>, kwargs: Kwargs) -> Result<String, Error> {
    if args.len() > 4 {
        return Err(Error::new(
            ErrorKind::TooManyArguments,
            "truncate takes at most 4 arguments",
        ));
    }
    let arg = |i: usize| args.get(i).cloned();
    let int = |v: Option<Value>, name: &str| -> Result<Option<i64>, Error> {
        v.map(|v| {
            v.as_i64()
                .ok_or_else(|| fail(format!("truncate: {name} must be an integer, got {}", v.kind())))
        })
        .transpose()
    };
    let length = int(pick(arg(0), &kwargs, "length")?, "length")?.unwrap_or(255);
    let killwords = pick(arg(1), &kwargs, "killwords")?.is_some_and(|v| v.is_true());
    let end = match pick(arg(2), &kwargs, "end")? {
        None => "...".to_owned(),
        Some(v) => v
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| fail("truncate: end must be a string"))?,
    };
    let leeway = int(pick(arg(3), &kwargs, "leeway")?, "leeway")?.unwrap_or(5);
    kwargs.assert_all_used()?;
    let Some(s) = value.as_str() else {
        return Err(fail(format!("truncate expects a string, got {}", value.kind())));
    };
    let end_len = end.chars().count() as i64;
    if length < end_len {
        return Err(fail(format!("expected length >= {end_len}, got {length}")));
    }
    if leeway < 0 {
        return Err(fail(format!("expected leeway >= 0, got {leeway}")));
    }
    let keep = usize::try_from(length.saturating_add(leeway)).unwrap_or(usize::MAX);
    if s.chars().nth(keep).is_none() {
        return Ok(s.to_owned());
    }
    let head_end = s
        .char_indices()
        .nth((length - end_len) as usize)
        .map_or(s.len(), |(at, _)| at);
    let head = s[..head_end].to_owned();
    if killwords {
        return Ok(head + &end);
    }
    let cut = match head.rfind(' ') {
        Some(i) => &head[..i],
        None => &head,
    };
    Ok(format!("{cut}{end}"))
}

/// Jinja2's `center(value, width=80)`: Python's `str.center`, the size checked against the fuel first.
fn center(state: &State, value: &Value, width: Option<Value>, kwargs: Kwargs) -> Result<String, Error> {
    let width = pick(width, &kwargs, "width")?;
    kwargs.assert_all_used()?;
    if value.is_undefined() {
        return Err(Error::new(ErrorKind::UndefinedError, "center got an undefined value"));
    }
    let width = match width {
        None => 80,
        Some(w) => w
            .as_i64()
            .ok_or_else(|| fail(format!("center: width must be an integer, got {}", w.kind())))?,
    };
    let s = py_str(value);
    let len = s.chars().count() as i64;
    if width <= len {
        return Ok(s);
    }
    let pad = width - len;
    let left = pad / 2 + (pad & width & 1);
    jinja::ensure_bytes(state, s.len().saturating_add(pad as usize))?;
    let mut out = " ".repeat(left as usize);
    out.push_str(&s);
    out.push_str(&" ".repeat((pad - left) as usize));
    Ok(out)
}

/// A positional argument, or else the keyword argument of that name (not both).
fn pick<T>(positional: Option<T>, kwargs: &Kwargs, name: &str) -> Result<Option<T>, Error>
where
    T: for<'a> minijinja::value::ArgType<'a, Output = T>,
{
    let kw: Option<T> = kwargs.get(name)?;
    match (positional, kw) {
        (Some(_), Some(_)) => Err(Error::new(
            ErrorKind::TooManyArguments,
            format!("multiple values for argument '{name}'"),
        )),
        (p, k) => Ok(p.or(k)),
    }
}

/// Jinja2's `tojson`, keys sorted.
fn tojson(state: &State, value: &Value, indent: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    if value.is_undefined() {
        return Err(Error::new(ErrorKind::UndefinedError, "tojson got an undefined value"));
    }
    let indent = pick(indent, &kwargs, "indent")?;
    kwargs.assert_all_used()?;
    let indent = match &indent {
        None => None,
        Some(v) if v.is_none() => None,
        Some(v) => match (v.as_str(), v.as_i64()) {
            (Some(s), _) => Some(s.to_owned()),
            (None, Some(n)) => Some(" ".repeat(n.clamp(0, 64) as usize)),
            _ => return Err(fail("tojson: indent must be a number or a string")),
        },
    };
    jinja::ensure_serializable(state, value)?;
    let json = serde_json::to_value(value).map_err(|e| {
        // serde_json's words name its own types; say what in the value JSON cannot hold.
        let what = if e.to_string().contains("key must be") {
            "a mapping key is a list or a mapping, which JSON cannot hold; use strings, numbers or booleans as keys"
        } else {
            "the value holds something JSON cannot (an undefined value, a macro or a function); pass only \
             lists, mappings, strings, numbers and booleans"
        };
        fail(format!("tojson: {what}"))
    })?;
    jinja::ensure_bytes(
        state,
        pyfmt::tojson_len_bound(&json, indent.as_deref().map_or(0, str::len), 0),
    )?;
    Ok(Value::from_safe_string(pyfmt::jinja2_tojson(&json, indent.as_deref())))
}

/// `service_instance.components.default` when no component is attached: an empty map whose `outputs`
/// is an empty map too (Proton's documented behaviour), while `.name` stays undefined.
#[derive(Debug)]
pub struct NoComponent;

impl Object for NoComponent {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        (key.as_str() == Some("outputs")).then(|| Value::from_pairs(std::iter::empty::<(String, Value)>()))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Empty
    }
}

/// Remove the block markers, indenting each continuation line to the column its block started at. `None`
/// when the result would be longer than `max` bytes (a block may start far right and have many lines).
pub fn finish_output(rendered: &str, max: usize) -> Option<String> {
    if !rendered.contains([START_MARK, LINE_MARK]) {
        return (rendered.len() <= max).then(|| rendered.to_owned());
    }
    let mut len = 0usize;
    reindent(rendered, |c, n| {
        len = len.saturating_add(c.len_utf8().saturating_mul(n))
    });
    if len > max {
        return None;
    }
    let mut out = String::with_capacity(len);
    reindent(rendered, |c, n| out.extend(std::iter::repeat_n(c, n)));
    Some(out)
}

/// Walk `rendered`, emitting each output character `n` times through `emit`.
fn reindent(rendered: &str, mut emit: impl FnMut(char, usize)) {
    let mut column = 0usize;
    let mut indent = 0usize;
    for c in rendered.chars() {
        match c {
            START_MARK => indent = column,
            LINE_MARK => {
                emit(' ', indent);
                column = column.saturating_add(indent);
            }
            '\n' => {
                emit(c, 1);
                column = 0;
            }
            c => {
                emit(c, 1);
                column += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(src: &str, ctx: serde_json::Value) -> Result<String, String> {
        let env = crate::engine::jinja::environment();
        env.render_str(src, Value::from(minijinja::value::Serde(&ctx)))
            .map(|s| finish_output(&s, usize::MAX).unwrap_or_default())
            .map_err(|e| e.detail().unwrap_or_default().to_owned())
    }

    #[test]
    fn truncate_matches_jinja2() {
        let ctx = serde_json::json!({"s": "payments-gateway--production-eu1xx"});
        assert_eq!(
            render("{{ s|truncate(29, true, 'zzz') }}", ctx.clone()).unwrap(),
            "payments-gateway--production-eu1xx"
        );
        assert_eq!(
            render("{{ s|truncate(29, true, 'zzz', 0) }}", ctx.clone()).unwrap(),
            "payments-gateway--productizzz"
        );
        assert_eq!(
            render("{{ 'foo bar baz qux'|truncate(9, leeway=0) }}", ctx.clone()).unwrap(),
            "foo..."
        );
        assert_eq!(
            render("{{ 'abc'|truncate(2) }}", ctx).unwrap_err(),
            "expected length >= 3, got 2"
        );
    }

    #[test]
    fn center_matches_jinja2() {
        let ctx = serde_json::json!({});
        let out = render(
            "{{ 'ab'|center(7) }}|{{ 'é'|center(4) }}|{{ 3|center(5) }}|{{ 'x'|center }}|",
            ctx.clone(),
        );
        assert_eq!(
            out.unwrap(),
            format!("   ab  | é  |  3  |{}x{}|", " ".repeat(39), " ".repeat(40))
        );
        assert_eq!(render("{{ 'abc'|center(width=2) }}", ctx.clone()).unwrap(), "abc");
        let env = crate::engine::jinja::environment();
        let err = env.render_str("{{ 'a'|center(2000000000) }}", ()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OutOfFuel);
    }

    #[test]
    fn block_filters_indent_to_their_column() {
        let ctx = serde_json::json!({"o": {"A": "1", "B": "arn:aws:iam::123456789012:policy/x"}});
        let out = render(
            "Env:\n  - Name: X\n    Value: y\n  {{ o | proton_cfn_ecs_task_definition_formatted_env_vars }}\n",
            ctx.clone(),
        );
        assert_eq!(
            out.unwrap(),
            "Env:\n  - Name: X\n    Value: y\n  - Name: A\n    Value: 1\n  - Name: B\n    Value: arn:aws:iam::123456789012:policy/x\n"
        );
        let out = render("P:\n    {{ o | proton_cfn_iam_policy_arns }}\n", ctx.clone()).unwrap();
        assert_eq!(out, "P:\n    - arn:aws:iam::123456789012:policy/x\n");
        let err = render(
            "{{ o | proton_cfn_lambda_function_formatted_env_vars(raw=False) }}",
            ctx,
        )
        .unwrap_err();
        assert_eq!(err, "Illegal character(s) detected in \"arn:aws:iam::123456789012:policy/x\". Must match regex ^[a-zA-Z0-9_-]*$");
    }

    #[test]
    fn sanitize() {
        let ok = |v: &str| render("{{ v | proton_cfn_sanitize }}", serde_json::json!({ "v": v }));
        assert_eq!(ok("my-name_1").unwrap(), "my-name_1");
        assert!(ok("arn:aws:iam::aws:policy/ReadOnlyAccess").is_ok());
        assert_eq!(
            ok("a b").unwrap_err(),
            "Illegal character(s) detected in \"a b\". Must match regex ^[a-zA-Z0-9_-]*$ or be a valid ARN"
        );
    }
}
