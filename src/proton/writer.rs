//! The bundle's CloudFormation writer: block-style YAML straight from the resolved template tree ([`Node`]).
//!
//! Why YAML block style rather than JSON: a loop splices a variable number of entries into a mapping
//! (`Resources`) or a list (`Stages`). In JSON every entry needs a separating comma whose presence depends on
//! the neighbours and on the iteration count; in block YAML an entry is self-delimiting lines, so a
//! `{% for %}` / `{% endfor %}` pair alone on its lines is valid for 0, 1 or 20 iterations (the tag lines
//! render as blank lines, which YAML ignores). Scalars are still written JSON-style: every string in double
//! quotes with JSON escapes (a valid YAML double-quoted scalar), numbers and booleans bare; so no value is
//! ever re-typed by a YAML reader (`"on"`, `"0777"`, `"1e3"` stay strings).
//!
//! Jinja: this writer is the only place that spells the tree's late-bound nodes as Jinja. A
//! [`Node::Placeholder`] is printed as `{{ x | tojson }}` (numbers `{{ x }}`), a [`Node::LoopId`] as
//! `Id{{ loop.index }}`; every literal `{{`, `{%` or `{#` in a string (any string: a user's value cannot pass
//! for Jinja) is written as `{{ "{" }}` followed by the rest, so it renders back to the original text (CFN
//! dynamic references `{{resolve:…}}` survive rendering). [`Node::Loop`] items and the [`Node::Repeat`]
//! members of one loop become one `{% for %}` … `{% endfor %}` block at column 0, where the first of them is;
//! repeated members' keys get `{{ loop.index }}`.

use proton_synth_constructs::synth::{LoopHeader, Node};
use proton_synth_constructs::value::{Placeholder, PlaceholderKind};
use serde_json::Value as J;

/// Appended to the logical ID of a looped resource in a bundle.
pub const LOOP_INDEX_SUFFIX: &str = "{{ loop.index }}";

/// The Jinja text of a placeholder: `{{ x | tojson }}`, or `{{ x }}` for a number.
pub fn placeholder_text(p: &Placeholder) -> String {
    let mut text = String::new();
    push_placeholder(p, &mut text);
    text
}

/// Append [`placeholder_text`] to `out`.
fn push_placeholder(p: &Placeholder, out: &mut String) {
    out.push_str("{{ ");
    out.push_str(&p.jinja);
    out.push_str(match p.kind {
        PlaceholderKind::Number => " }}",
        _ => " | tojson }}",
    });
}

/// Write a resolved template as block YAML with Jinja (see the module docs).
pub fn to_bundle_yaml(v: &Node) -> String {
    write(v, true)
}

/// The same block YAML for files that are not Jinja templates (schema, specs, registration): no Jinja
/// escaping.
pub fn to_plain_yaml(v: &J) -> String {
    write(&Node::from(v), false)
}

/// [`to_plain_yaml`] of a tree (no Jinja: placeholders take their plain spelling).
pub fn node_to_plain_yaml(v: &Node) -> String {
    write(v, false)
}

fn write(v: &Node, jinja: bool) -> String {
    let mut w = Writer {
        jinja,
        // A service's IaC file is ~20–40 KB; schemas and specs are small.
        out: String::with_capacity(if jinja { 32 * 1024 } else { 2 * 1024 }),
        pending_dashes: Vec::new(),
        scratch: String::new(),
    };
    if !w.scalar_or_block(0, &[], v) {
        w.block(v, 0);
    }
    w.out
}

/// The number as serde_json prints it (so YAML and JSON output agree).
fn float_text(f: f64) -> String {
    serde_json::Number::from_f64(f).map_or_else(|| "null".to_owned(), |n| n.to_string())
}

/// Writes lines straight into `out`. A list item whose value is a block puts its `- ` on the block's first
/// line: `pending_dashes` holds the indents of the items (several for lists nested in lists: `- - x`) until
/// that line is written.
struct Writer {
    jinja: bool,
    out: String,
    pending_dashes: Vec<usize>,
    /// The scalar being written (reused: no allocation per scalar).
    scratch: String,
}

impl Writer {
    /// Write `v` as a scalar into `buf`; false (nothing written) when it is a block.
    fn scalar(&self, v: &Node, buf: &mut String) -> bool {
        use std::fmt::Write as _;
        match v {
            Node::Null => buf.push_str("null"),
            Node::Bool(b) => buf.push_str(if *b { "true" } else { "false" }),
            Node::Int(i) => {
                let _ = write!(buf, "{i}");
            }
            Node::UInt(u) => {
                let _ = write!(buf, "{u}");
            }
            Node::Float(f) => buf.push_str(&float_text(*f)),
            Node::Str(s) => escape_into(s, self.jinja, buf),
            Node::List(a) if a.is_empty() => buf.push_str("[]"),
            Node::Map(o) if o.is_empty() => buf.push_str("{}"),
            Node::LoopId(id) if self.jinja => {
                buf.push_str(id);
                buf.push_str(LOOP_INDEX_SUFFIX);
            }
            Node::LoopId(id) => escape_into(id, false, buf),
            Node::Placeholder(p, _) if self.jinja => push_placeholder(p, buf),
            Node::Placeholder(_, plain) | Node::Repeat(_, plain) => return self.scalar(plain, buf),
            Node::Map(_) | Node::List(_) | Node::Loop(..) => return false,
        }
        true
    }

    /// A line `prefix` + the scalar `v`, or `prefix_block` then `v` as a block at `indent + 2`.
    fn scalar_or_block(&mut self, indent: usize, prefix: &[&str], v: &Node) -> bool {
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        let scalar = self.scalar(v, &mut buf);
        if scalar {
            let mut parts: [&str; 4] = [""; 4];
            parts[..prefix.len()].copy_from_slice(prefix);
            parts[prefix.len()] = &buf;
            self.line(indent, &parts[..=prefix.len()]);
        }
        self.scratch = buf;
        scalar
    }

    fn indent(&mut self, n: usize) {
        const SPACES: &str = "                                                                ";
        let mut n = n;
        while n > 0 {
            let step = n.min(SPACES.len());
            self.out.push_str(&SPACES[..step]);
            n -= step;
        }
    }

    /// A content line at `indent`, made of `parts`.
    fn line(&mut self, indent: usize, parts: &[&str]) {
        // Most lines have no list item waiting for its dash.
        if self.pending_dashes.is_empty() {
            self.indent(indent);
        } else {
            self.dashes_and_indent(indent);
        }
        for p in parts {
            self.out.push_str(p);
        }
        self.out.push('\n');
    }

    /// The pending dashes and the indent of a line at `indent`: on the line itself when they chain up to it
    /// (`- - x`), else each on a line of its own first.
    fn dashes_and_indent(&mut self, indent: usize) {
        let mut dashes = std::mem::take(&mut self.pending_dashes);
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
        dashes.clear();
        self.pending_dashes = dashes;
    }

    /// A Jinja control line (`{% for %}`), at column 0.
    fn control(&mut self, parts: &[&str]) {
        let mut dashes = std::mem::take(&mut self.pending_dashes);
        self.flush_dashes(&dashes);
        dashes.clear();
        self.pending_dashes = dashes;
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

    fn block(&mut self, v: &Node, indent: usize) {
        match v {
            Node::Map(o) => self.members(o, indent),
            Node::List(items) => {
                for item in items {
                    match item {
                        Node::Loop(header, looped) => {
                            self.open_loop(header);
                            looped.iter().for_each(|i| self.list_item(i, indent));
                            self.close_loop();
                        }
                        other => self.list_item(other, indent),
                    }
                }
            }
            Node::Placeholder(_, plain) | Node::Repeat(_, plain) => self.block(plain, indent),
            other => {
                self.scalar_or_block(indent, &[], other);
            }
        }
    }

    /// The members of a map; the repeated members of one loop as one `{% for %}` block, where the first is.
    fn members(&mut self, members: &[(proton_synth_constructs::synth::tree::Text, Node)], indent: usize) {
        let mut done_loops: Vec<u32> = Vec::new();
        for (i, (k, val)) in members.iter().enumerate() {
            match val {
                Node::Repeat(header, _) if self.jinja => {
                    if done_loops.contains(&header.index) {
                        continue;
                    }
                    done_loops.push(header.index);
                    self.open_loop(header);
                    for (k, val) in &members[i..] {
                        if let Node::Repeat(h, inner) = val {
                            if h.index == header.index {
                                self.entry(&format!("{k}{LOOP_INDEX_SUFFIX}"), inner, indent);
                            }
                        }
                    }
                    self.close_loop();
                }
                _ => {
                    let key = self.key(k);
                    self.entry(&key, val, indent);
                }
            }
        }
    }

    fn open_loop(&mut self, header: &LoopHeader) {
        if self.jinja {
            self.control(&["{% for ", &header.spec.var, " in ", &header.spec.iterable, " %}"]);
        }
    }

    fn close_loop(&mut self) {
        if self.jinja {
            self.control(&["{% endfor %}"]);
        }
    }

    fn entry(&mut self, key_text: &str, val: &Node, indent: usize) {
        if !self.scalar_or_block(indent, &[key_text, ": "], val) {
            self.line(indent, &[key_text, ":"]);
            self.block(val, indent + 2);
        }
    }

    fn list_item(&mut self, item: &Node, indent: usize) {
        if self.scalar_or_block(indent, &["- "], item) {
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

    /// A mapping key: plain when it is an unambiguous identifier-like word, otherwise quoted. (A plain key
    /// has no space, so no `": "` either; a trailing `:` is what would end it early.)
    fn key<'k>(&self, k: &'k str) -> std::borrow::Cow<'k, str> {
        let plain = k.bytes().next().is_some_and(|c| c.is_ascii_alphabetic())
            && k.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b':'))
            && !k.ends_with(':')
            && (k.len() > 5
                || !["y", "n", "yes", "no", "on", "off", "true", "false", "null"]
                    .iter()
                    .any(|w| k.eq_ignore_ascii_case(w)));
        if plain {
            std::borrow::Cow::Borrowed(k)
        } else {
            let mut q = String::with_capacity(k.len() + 2);
            escape_into(k, self.jinja, &mut q);
            std::borrow::Cow::Owned(q)
        }
    }
}

/// A JSON-escaped double-quoted scalar, with characters YAML does not allow unescaped written as `\u`
/// escapes and Jinja openers neutralized.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    escape_into(s, true, &mut out);
    out
}

/// A JSON-escaped double-quoted YAML scalar (no Jinja escaping).
pub fn quote_yaml(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    escape_into(s, false, &mut out);
    out
}

/// Append `s` double-quoted: JSON escapes (as serde_json writes them), `\u` escapes for what YAML does not
/// allow unescaped (C1 controls, BOM, non-characters, line/paragraph separators) and, with `jinja`, every
/// `{` that opens `{{`, `{%` or `{#` written as `{{ "{" }}`.
fn escape_into(s: &str, jinja: bool, out: &mut String) {
    use std::fmt::Write as _;
    out.push('"');
    // Most strings need no escaping at all: printable ASCII without quotes, backslashes or braces.
    if is_plain_ascii(s.as_bytes()) {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let code = c as u32;
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '{' if jinja && matches!(chars.peek(), Some('{' | '%' | '#')) => out.push_str("{{ \"{\" }}"),
            _ if code < 0x20
                || (0x7f..=0x9f).contains(&code)
                || matches!(c, '\u{feff}' | '\u{fffe}' | '\u{ffff}' | '\u{2028}' | '\u{2029}') =>
            {
                let _ = write!(out, "\\u{code:04x}");
            }
            _ => out.push(c),
        }
    }
    out.push('"');
}

/// Whether every byte is printable ASCII (0x20..0x7f) other than `"`, `\\` and `{`.
fn is_plain_ascii(bytes: &[u8]) -> bool {
    use proton_synth_constructs::bytescan::{any, below, del_or_high, eq};
    !any(
        bytes,
        |x| below(x, 0x20) | del_or_high(x) | eq(x, b'"') | eq(x, b'\\') | eq(x, b'{'),
        |b| !(0x20..0x7f).contains(&b) || matches!(b, b'"' | b'\\' | b'{'),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn is_plain_ascii_finds_every_byte_to_escape_at_every_position() {
        for len in 0..20 {
            let clean = vec![b'a'; len];
            assert!(is_plain_ascii(&clean));
            for at in 0..len {
                for b in 0u8..=255 {
                    let mut s = clean.clone();
                    s[at] = b;
                    let expected = (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\\' | b'{');
                    assert_eq!(is_plain_ascii(&s), expected, "byte {b:#x} at {at} of {len}");
                }
            }
        }
    }

    #[test]
    fn quotes_strings_and_escapes_jinja() {
        assert_eq!(quote("a{{resolve:ssm:x}}"), r#""a{{ "{" }}{resolve:ssm:x}}""#);
        assert_eq!(quote("{%x{#"), r#""{{ "{" }}%x{{ "{" }}#""#);
        assert_eq!(quote("plain {x}"), r#""plain {x}""#);
    }

    /// The former two-pass escaping (serde_json, then YAML and Jinja fix-ups), as the reference.
    fn reference_escape(s: &str, jinja: bool) -> String {
        let json = serde_json::to_string(s).unwrap();
        let chars: Vec<char> = json.chars().collect();
        let mut out = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let code = c as u32;
            if jinja && c == '{' && matches!(chars.get(i + 1), Some('{' | '%' | '#')) {
                out.push_str("{{ \"{\" }}");
            } else if (0x7f..=0x9f).contains(&code)
                || matches!(c, '\u{feff}' | '\u{fffe}' | '\u{ffff}' | '\u{2028}' | '\u{2029}')
            {
                out.push_str(&format!("\\u{code:04x}"));
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn one_pass_escaping_matches_the_reference() {
        for s in [
            "",
            "plain",
            "q\"b\\s",
            "\n\r\t\u{8}\u{c}\u{1}\u{1f}",
            "\u{7f}\u{85}\u{9f}\u{a0}",
            "\u{feff}\u{2028}\u{2029}\u{fffe}",
            "é€😀",
            "${AWS::Region}",
            "{{",
            "{%x{#y{z{",
            "a{{resolve:ssm:x}}",
            "{\"{",
        ] {
            for jinja in [true, false] {
                let mut out = String::new();
                escape_into(s, jinja, &mut out);
                assert_eq!(out, reference_escape(s, jinja), "{s:?}");
            }
        }
    }

    #[test]
    fn writes_block_yaml_with_loops() {
        use proton_synth_constructs::stack::LoopSpec;
        use proton_synth_constructs::synth::LoopHeader;
        use std::sync::Arc;
        let header = LoopHeader {
            index: 0,
            spec: Arc::new(LoopSpec {
                var: "i".into(),
                iterable: "is".into(),
            }),
        };
        let x = Placeholder {
            jinja: "x".into(),
            kind: PlaceholderKind::Number,
            plain: proton_synth_constructs::Expr::Int(1),
        };
        let name = Placeholder {
            jinja: "i.name".into(),
            kind: PlaceholderKind::String,
            plain: proton_synth_constructs::Expr::Str("n".into()),
        };
        let ph = |p: &Placeholder, plain: Node| Node::Placeholder(Arc::new(p.clone()), Box::new(plain));
        let typed = |t: &'static str| Node::map([("Type", Node::str(t))]);
        let v = Node::map([
            (
                "Resources",
                Node::map([
                    (
                        "A",
                        Node::map([
                            ("Type", Node::str("T")),
                            (
                                "Properties",
                                Node::map([
                                    ("L", Node::List(vec![Node::Int(1), ph(&x, Node::Int(1))])),
                                    ("E", Node::List(vec![])),
                                ]),
                            ),
                        ]),
                    ),
                    ("B", Node::Repeat(header.clone(), Box::new(typed("T")))),
                    ("C", typed("U")),
                    ("D", Node::Repeat(header.clone(), Box::new(typed("V")))),
                ]),
            ),
            (
                "S",
                Node::List(vec![
                    Node::map([("Name", Node::str("a"))]),
                    Node::Loop(header, vec![Node::map([("Name", ph(&name, Node::str("n")))])]),
                ]),
            ),
            ("yes", Node::str("no")),
        ]);
        let y = to_bundle_yaml(&v);
        let expected = "Resources:\n  A:\n    Type: \"T\"\n    Properties:\n      L:\n        - 1\n        - {{ x }}\n      E: []\n{% for i in is %}\n  B{{ loop.index }}:\n    Type: \"T\"\n  D{{ loop.index }}:\n    Type: \"V\"\n{% endfor %}\n  C:\n    Type: \"U\"\nS:\n  - Name: \"a\"\n{% for i in is %}\n  - Name: {{ i.name | tojson }}\n{% endfor %}\n\"yes\": \"no\"\n";
        assert_eq!(y, expected);
        // The plain spelling of the same tree: no Jinja, loops once, placeholders as their plain value.
        assert_eq!(
            v.to_json(),
            json!({"Resources": {"A": {"Type": "T", "Properties": {"L": [1, 1], "E": []}}, "B": {"Type": "T"},
                   "C": {"Type": "U"}, "D": {"Type": "V"}}, "S": [{"Name": "a"}, {"Name": "n"}], "yes": "no"})
        );
    }
}
