//! The bundle's CloudFormation writer: block-style YAML from the [`Mode::Bundle`] JSON tree.
//!
//! Why YAML block style rather than JSON: a loop splices a variable number of entries into a mapping
//! (`Resources`) or a list (`Stages`). In JSON every entry needs a separating comma whose presence depends on
//! the neighbours and on the iteration count; in block YAML an entry is self-delimiting lines, so a
//! `{% for %}` / `{% endfor %}` pair alone on its lines is valid for 0, 1 or 20 iterations (the tag lines
//! render as blank lines, which YAML ignores). Scalars are still written JSON-style: every string in double
//! quotes with JSON escapes (a valid YAML double-quoted scalar), numbers and booleans bare; so no value is
//! ever re-typed by a YAML reader (`"on"`, `"0777"`, `"1e3"` stay strings).
//!
//! Jinja: `{"::jinja": text}` ([`JINJA_KEY`]) is printed raw; every literal `{{`, `{%` or `{#` in string
//! content is written as `{{ "{" }}` followed by the rest, so it renders back to the original text (CFN
//! dynamic references `{{resolve:…}}` survive rendering). Loop groups ([`LOOP_KEY`]) become `{% for %}` …
//! `{% endfor %}` at column 0; keys of a loop body are printed raw (they carry `{{ loop.index }}`).
//!
//! [`Mode::Bundle`]: proton_synth_constructs::Mode::Bundle

use proton_synth_constructs::synth::{JINJA_KEY, LOOP_BODY_KEY, LOOP_ITEMS_KEY, LOOP_KEY};
use serde_json::Value as J;

enum Line {
    Text(usize, String),
    Control(String),
}

/// Write a bundle-mode JSON tree as block YAML with raw Jinja (see the module docs).
pub fn to_bundle_yaml(v: &J) -> String {
    write(v, true)
}

/// The same block YAML for files that are not Jinja templates (schema, specs, registration): no Jinja
/// escaping, no raw Jinja objects.
pub fn to_plain_yaml(v: &J) -> String {
    write(v, false)
}

fn write(v: &J, jinja: bool) -> String {
    let w = Writer { jinja };
    let mut lines = Vec::new();
    match w.scalar(v) {
        Some(s) => lines.push(Line::Text(0, s)),
        None => w.block(v, 0, &mut lines),
    }
    let mut out = String::new();
    for l in lines {
        match l {
            Line::Text(indent, text) => {
                out.extend(std::iter::repeat_n(' ', indent));
                out.push_str(&text);
            }
            Line::Control(text) => out.push_str(&text),
        }
        out.push('\n');
    }
    out
}

/// The raw Jinja text of a `{"::jinja": text}` object.
pub fn jinja_text(v: &J) -> Option<&str> {
    let o = v.as_object()?;
    if o.len() == 1 {
        o.get(JINJA_KEY)?.as_str()
    } else {
        None
    }
}

/// `(header, body)` of a loop group of a mapping: `{"::for": "x in xs", "::body": {...}}`.
pub fn loop_body(v: &J) -> Option<(&str, &serde_json::Map<String, J>)> {
    let o = v.as_object()?;
    Some((o.get(LOOP_KEY)?.as_str()?, o.get(LOOP_BODY_KEY)?.as_object()?))
}

/// `(header, items)` of a loop group of a list: `{"::for": "x in xs", "::items": [...]}`.
pub fn loop_items(v: &J) -> Option<(&str, &Vec<J>)> {
    let o = v.as_object()?;
    Some((o.get(LOOP_KEY)?.as_str()?, o.get(LOOP_ITEMS_KEY)?.as_array()?))
}

struct Writer {
    jinja: bool,
}

impl Writer {
    fn scalar(&self, v: &J) -> Option<String> {
        match v {
            J::Null => Some("null".into()),
            J::Bool(b) => Some(b.to_string()),
            J::Number(n) => Some(n.to_string()),
            J::String(s) => Some(self.quote(s)),
            J::Array(a) if a.is_empty() => Some("[]".into()),
            J::Object(o) if o.is_empty() => Some("{}".into()),
            J::Object(_) if self.jinja => jinja_text(v).map(str::to_owned),
            J::Object(_) => None,
            J::Array(_) => None,
        }
    }

    fn block(&self, v: &J, indent: usize, out: &mut Vec<Line>) {
        match v {
            J::Object(o) => {
                for (k, val) in o {
                    if let Some((header, body)) = loop_body(val).filter(|_| self.jinja) {
                        out.push(Line::Control(format!("{{% for {header} %}}")));
                        for (raw_key, item) in body {
                            self.entry(raw_key.clone(), item, indent, out);
                        }
                        out.push(Line::Control("{% endfor %}".into()));
                    } else {
                        self.entry(self.key(k), val, indent, out);
                    }
                }
            }
            J::Array(items) => {
                for item in items {
                    if let Some((header, body)) = loop_items(item).filter(|_| self.jinja) {
                        out.push(Line::Control(format!("{{% for {header} %}}")));
                        for i in body {
                            self.list_item(i, indent, out);
                        }
                        out.push(Line::Control("{% endfor %}".into()));
                    } else {
                        self.list_item(item, indent, out);
                    }
                }
            }
            other => out.push(Line::Text(indent, self.scalar(other).unwrap_or_default())),
        }
    }

    fn entry(&self, key_text: String, val: &J, indent: usize, out: &mut Vec<Line>) {
        match self.scalar(val) {
            Some(s) => out.push(Line::Text(indent, format!("{key_text}: {s}"))),
            None => {
                out.push(Line::Text(indent, format!("{key_text}:")));
                self.block(val, indent + 2, out);
            }
        }
    }

    fn list_item(&self, item: &J, indent: usize, out: &mut Vec<Line>) {
        if let Some(s) = self.scalar(item) {
            out.push(Line::Text(indent, format!("- {s}")));
            return;
        }
        let mut inner = Vec::new();
        self.block(item, indent + 2, &mut inner);
        let mut iter = inner.into_iter();
        match iter.next() {
            Some(Line::Text(i, t)) if i == indent + 2 => out.push(Line::Text(indent, format!("- {t}"))),
            Some(first) => {
                out.push(Line::Text(indent, "-".into()));
                out.push(first);
            }
            None => out.push(Line::Text(indent, "- null".into())),
        }
        out.extend(iter);
    }

    /// A mapping key: plain when it is an unambiguous identifier-like word, otherwise quoted.
    fn key(&self, k: &str) -> String {
        let plain = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
            && !k.ends_with(':')
            && !k.contains(": ")
            && !matches!(
                k.to_ascii_lowercase().as_str(),
                "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
            );
        if plain {
            k.to_owned()
        } else {
            self.quote(k)
        }
    }

    fn quote(&self, s: &str) -> String {
        if self.jinja {
            quote(s)
        } else {
            quote_yaml(s)
        }
    }
}

/// A JSON-escaped double-quoted scalar, with characters YAML does not allow unescaped written as `\u`
/// escapes and Jinja openers neutralized.
pub fn quote(s: &str) -> String {
    escape(s, true)
}

/// A JSON-escaped double-quoted YAML scalar (no Jinja escaping).
pub fn quote_yaml(s: &str) -> String {
    escape(s, false)
}

fn escape(s: &str, jinja: bool) -> String {
    let json = serde_json::to_string(s).unwrap_or_default();
    let mut out = String::with_capacity(json.len());
    let chars: Vec<char> = json.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let code = c as u32;
        if jinja && c == '{' && matches!(chars.get(i + 1), Some('{' | '%' | '#')) {
            out.push_str("{{ \"{\" }}");
        } else if (0x7f..=0x9f).contains(&code)
            || c == '\u{feff}'
            || c == '\u{fffe}'
            || c == '\u{ffff}'
            || c == '\u{2028}'
            || c == '\u{2029}'
        {
            out.push_str(&format!("\\u{code:04x}"));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotes_strings_and_escapes_jinja() {
        assert_eq!(quote("a{{resolve:ssm:x}}"), r#""a{{ "{" }}{resolve:ssm:x}}""#);
        assert_eq!(quote("{%x{#"), r#""{{ "{" }}%x{{ "{" }}#""#);
        assert_eq!(quote("plain {x}"), r#""plain {x}""#);
    }

    #[test]
    fn writes_block_yaml_with_loops() {
        let v = json!({
            "Resources": {
                "A": {"Type": "T", "Properties": {"L": [1, {"::jinja": "{{ x }}"}], "E": []}},
                "::for:0": {"::for": "i in is", "::body": {"B{{ loop.index }}": {"Type": "T"}}}
            },
            "S": [{"Name": "a"}, {"::for": "i in is", "::items": [{"Name": {"::jinja": "{{ i.name | tojson }}"}}]}],
            "yes": "no"
        });
        let y = to_bundle_yaml(&v);
        let expected = "Resources:\n  A:\n    Type: \"T\"\n    Properties:\n      L:\n        - 1\n        - {{ x }}\n      E: []\n{% for i in is %}\n  B{{ loop.index }}:\n    Type: \"T\"\n{% endfor %}\nS:\n  - Name: \"a\"\n{% for i in is %}\n  - Name: {{ i.name | tojson }}\n{% endfor %}\n\"yes\": \"no\"\n";
        assert_eq!(y, expected);
    }
}
