//! Python's spelling of values, where Jinja2 (the engine Proton ran) and minijinja differ: float `repr`
//! and `json.dumps(sort_keys=True)` as Jinja2's `tojson` calls it.

use serde_json::Value;

/// Python's `repr(float)`: shortest round-trip digits, positional for exponents -4..16, else
/// scientific with a signed two-digit exponent (`1e+20`, `1.5e-05`).
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if !(-4..16).contains(&exp) {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    let body = if exp >= 0 {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            format!("{digits}{}.0", "0".repeat(int_len - digits.len()))
        } else {
            format!("{}.{}", &digits[..int_len], &digits[int_len..])
        }
    } else {
        format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
    };
    format!("{sign}{body}")
}

/// Jinja2's `tojson`: `json.dumps(value, sort_keys=True)` (ASCII only) with `<`, `>`, `&` and `'`
/// escaped as `\u003c`, `\u003e`, `\u0026` and `\u0027`.
pub fn jinja2_tojson(value: &Value, indent: Option<&str>) -> String {
    let mut out = String::new();
    write_json(value, indent, 0, &mut out);
    out
}

/// An upper bound of the length of [`jinja2_tojson`]'s output, to check before writing it.
pub fn tojson_len_bound(value: &Value, indent_len: usize, level: usize) -> usize {
    let string = |s: &str| {
        s.bytes()
            .map(|b| if b == b' ' || b.is_ascii_graphic() { 2 } else { 6 })
            .fold(2usize, usize::saturating_add)
    };
    let line = |level: usize| indent_len.saturating_mul(level).saturating_add(3);
    let items = |n: usize| line(level + 1).saturating_mul(n).saturating_add(line(level));
    match value {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 32,
        Value::String(s) => string(s),
        Value::Array(a) => a
            .iter()
            .map(|v| tojson_len_bound(v, indent_len, level + 1))
            .fold(items(a.len()), usize::saturating_add),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| string(k).saturating_add(tojson_len_bound(v, indent_len, level + 1)))
            .fold(items(m.len()), usize::saturating_add),
    }
}

fn write_json(value: &Value, indent: Option<&str>, level: usize, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.is_f64(), n.as_f64()) {
            (true, Some(f)) => out.push_str(&json_float(f)),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => write_json_string(s, out),
        Value::Array(items) => {
            let items: Vec<&Value> = items.iter().collect();
            write_container(('[', ']'), &items, indent, level, out, |v, out| {
                write_json(v, indent, level + 1, out)
            });
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            write_container(('{', '}'), &entries, indent, level, out, |(k, v), out| {
                write_json_string(k, out);
                out.push_str(": ");
                write_json(v, indent, level + 1, out);
            });
        }
    }
}

fn write_container<T: Copy>(
    (open, close): (char, char),
    items: &[T],
    indent: Option<&str>,
    level: usize,
    out: &mut String,
    mut item: impl FnMut(T, &mut String),
) {
    out.push(open);
    if items.is_empty() {
        out.push(close);
        return;
    }
    for (i, it) in items.iter().enumerate() {
        match indent {
            Some(ind) => {
                if i > 0 {
                    out.push(',');
                }
                out.push('\n');
                out.push_str(&ind.repeat(level + 1));
            }
            None if i > 0 => out.push_str(", "),
            None => {}
        }
        item(*it, out);
    }
    if let Some(ind) = indent {
        out.push('\n');
        out.push_str(&ind.repeat(level));
    }
    out.push(close);
}

/// Python's `json.dumps` of a float: `repr`, with `NaN`/`Infinity` spelt the JSON-ish way.
fn json_float(f: f64) -> String {
    match f {
        f if f.is_nan() => "NaN".to_owned(),
        f if f.is_infinite() && f > 0.0 => "Infinity".to_owned(),
        f if f.is_infinite() => "-Infinity".to_owned(),
        f => float_repr(f),
    }
}

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\'' => out.push_str("\\u0027"),
            ' '..='~' => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_python() {
        let cases = [
            (1e20, "1e+20"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (0.00001, "1e-05"),
            (0.0001, "0.0001"),
            (1.5, "1.5"),
            (2.0, "2.0"),
            (-0.5, "-0.5"),
            (123.456, "123.456"),
            (1.5e-7, "1.5e-07"),
        ];
        for (f, want) in cases {
            assert_eq!(float_repr(f), want, "{f}");
        }
    }

    #[test]
    fn tojson_like_jinja2() {
        let v = serde_json::json!({"z": 1, "a": "<é'&>", "s": ["x", 1.0, null, true], "e": {}, "😀": []});
        assert_eq!(
            jinja2_tojson(&v, None),
            r#"{"a": "\u003c\u00e9\u0027\u0026\u003e", "e": {}, "s": ["x", 1.0, null, true], "z": 1, "\ud83d\ude00": []}"#
        );
        assert_eq!(
            jinja2_tojson(&serde_json::json!({"a": [1]}), Some("  ")),
            "{\n  \"a\": [\n    1\n  ]\n}"
        );
    }
}
