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
    let mut w = Writer {
        jinja,
        out: String::with_capacity(4096),
        pending_dashes: Vec::new(),
    };
    match w.scalar(v) {
        Some(s) => w.line(0, &[&s]),
        None => w.block(v, 0),
    }
    w.out
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

/// Writes lines straight into `out`. A list item whose value is a block puts its `- ` on the block's first
/// line: `pending_dashes` holds the indents of the items (several for lists nested in lists: `- - x`) until
/// that line is written.
struct Writer {
    jinja: bool,
    out: String,
    pending_dashes: Vec<usize>,
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

    fn indent(&mut self, n: usize) {
        self.out.extend(std::iter::repeat_n(' ', n));
    }

    /// A content line at `indent`, made of `parts`.
    fn line(&mut self, indent: usize, parts: &[&str]) {
        let dashes = std::mem::take(&mut self.pending_dashes);
        let chained = dashes.iter().enumerate().all(|(i, d)| *d == dashes[0] + 2 * i)
            && dashes.last().is_some_and(|d| indent == d + 2);
        if chained {
            self.indent(dashes[0]);
            for _ in &dashes {
                self.out.push_str("- ");
            }
        } else {
            self.flush_dashes(&dashes);
            self.indent(indent);
        }
        for p in parts {
            self.out.push_str(p);
        }
        self.out.push('\n');
    }

    /// A Jinja control line (`{% for %}`), at column 0.
    fn control(&mut self, parts: &[&str]) {
        let dashes = std::mem::take(&mut self.pending_dashes);
        self.flush_dashes(&dashes);
        for p in parts {
            self.out.push_str(p);
        }
        self.out.push('\n');
    }

    /// Dashes that cannot share the next line: each alone on its line.
    fn flush_dashes(&mut self, dashes: &[usize]) {
        for d in dashes {
            self.indent(*d);
            self.out.push_str("-\n");
        }
    }

    fn block(&mut self, v: &J, indent: usize) {
        match v {
            J::Object(o) => {
                for (k, val) in o {
                    if let Some((header, body)) = loop_body(val).filter(|_| self.jinja) {
                        self.control(&["{% for ", header, " %}"]);
                        for (raw_key, item) in body {
                            self.entry(raw_key, item, indent);
                        }
                        self.control(&["{% endfor %}"]);
                    } else {
                        let key = self.key(k);
                        self.entry(&key, val, indent);
                    }
                }
            }
            J::Array(items) => {
                for item in items {
                    if let Some((header, body)) = loop_items(item).filter(|_| self.jinja) {
                        self.control(&["{% for ", header, " %}"]);
                        for i in body {
                            self.list_item(i, indent);
                        }
                        self.control(&["{% endfor %}"]);
                    } else {
                        self.list_item(item, indent);
                    }
                }
            }
            other => {
                let s = self.scalar(other).unwrap_or_default();
                self.line(indent, &[&s]);
            }
        }
    }

    fn entry(&mut self, key_text: &str, val: &J, indent: usize) {
        match self.scalar(val) {
            Some(s) => self.line(indent, &[key_text, ": ", &s]),
            None => {
                self.line(indent, &[key_text, ":"]);
                self.block(val, indent + 2);
            }
        }
    }

    fn list_item(&mut self, item: &J, indent: usize) {
        if let Some(s) = self.scalar(item) {
            self.line(indent, &["- ", &s]);
            return;
        }
        self.pending_dashes.push(indent);
        self.block(item, indent + 2);
        if self.pending_dashes.last() == Some(&indent) {
            // The block wrote nothing (cannot happen for non-empty values; kept total).
            self.pending_dashes.pop();
            self.line(indent, &["- null"]);
        }
    }

    /// A mapping key: plain when it is an unambiguous identifier-like word, otherwise quoted.
    fn key<'k>(&self, k: &'k str) -> std::borrow::Cow<'k, str> {
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
            std::borrow::Cow::Borrowed(k)
        } else {
            std::borrow::Cow::Owned(self.quote(k))
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
    // Most strings need no escaping at all: printable ASCII without quotes, backslashes or braces.
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\\' | b'{'))
    {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
        return out;
    }
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
