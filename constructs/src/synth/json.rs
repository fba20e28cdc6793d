//! The plain-CloudFormation JSON writer: a [`Node`] tree as serde_json's pretty format (two-space indent,
//! `"key": value`, the same string escapes and number spellings), written in one walk without serde's
//! machinery. `serde::Serialize` through [`super::Plain`] gives the same text (tested); this is the fast path
//! of every `.template.json` and of [`Node::json_len`].

use super::tree::Node;

/// Where the text goes: a string, or a counter of its bytes.
trait Out {
    fn put(&mut self, s: &str);
}

impl Out for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

struct Count(usize);

impl Out for Count {
    fn put(&mut self, s: &str) {
        self.0 += s.len();
    }
}

/// [`Node::to_json_string`]: pretty JSON with a trailing newline.
pub(super) fn to_string(node: &Node) -> String {
    let mut out = String::with_capacity(32 * 1024);
    value(&mut out, node, 0);
    out.push('\n');
    out
}

/// The length of [`to_string`]'s text, without building it.
pub(super) fn len(node: &Node) -> usize {
    let mut count = Count(0);
    value(&mut count, node, 0);
    count.0 + 1
}

const INDENT: &str = "                                                                ";

fn newline(out: &mut impl Out, depth: usize) {
    out.put("\n");
    let mut n = depth * 2;
    while n > 0 {
        let step = n.min(INDENT.len());
        out.put(&INDENT[..step]);
        n -= step;
    }
}

fn value(out: &mut impl Out, node: &Node, depth: usize) {
    match node {
        // Outside a list a loop has no plain spelling; synthesis reports it as an error before.
        Node::Null | Node::Loop(..) => out.put("null"),
        Node::Bool(b) => out.put(if *b { "true" } else { "false" }),
        Node::Int(i) => out.put(itoa::Buffer::new().format(*i)),
        Node::UInt(u) => out.put(itoa::Buffer::new().format(*u)),
        Node::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => out.put(&n.to_string()),
            None => out.put("null"),
        },
        Node::Str(s) | Node::LoopId(s) => string(out, s),
        Node::Placeholder(_, plain) => value(out, plain, depth),
        Node::Repeat(_, inner) => value(out, inner, depth),
        Node::List(items) => {
            out.put("[");
            let mut first = true;
            let mut item = |out: &mut _, n: &Node| {
                out_sep(out, &mut first, depth + 1);
                value(out, n, depth + 1);
            };
            for n in items {
                match n {
                    Node::Loop(_, looped) => looped.iter().for_each(|l| item(out, l)),
                    other => item(out, other),
                }
            }
            if !first {
                newline(out, depth);
            }
            out.put("]");
        }
        Node::Map(members) => {
            out.put("{");
            for (i, (k, v)) in members.iter().enumerate() {
                out.put(if i == 0 { "" } else { "," });
                newline(out, depth + 1);
                string(out, k);
                out.put(": ");
                value(out, v, depth + 1);
            }
            if !members.is_empty() {
                newline(out, depth);
            }
            out.put("}");
        }
    }
}

/// The separator before an item: none before the first.
fn out_sep(out: &mut impl Out, first: &mut bool, depth: usize) {
    if !std::mem::take(first) {
        out.put(",");
    }
    newline(out, depth);
}

/// A JSON string as serde_json escapes it: `"`, `\` and the control characters (the short escapes where
/// JSON has them, else `\u00XX`); everything else as is.
fn string(out: &mut impl Out, s: &str) {
    out.put("\"");
    let bytes = s.as_bytes();
    // Most strings (names, types, ARNs) need no escape at all.
    if !needs_escape(bytes) {
        out.put(s);
        out.put("\"");
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.put(&s[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let code = [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ];
            out.put(std::str::from_utf8(&code).unwrap_or_default());
        } else {
            out.put(escape);
        }
        start = i + 1;
    }
    out.put(&s[start..]);
    out.put("\"");
}

/// A JSON document written as it goes, in the same pretty format as the templates (serde_json's
/// `to_string_pretty`): for documents that are not a [`Node`] tree, such as `manifest.json`, so they need not
/// be built as one first. The caller opens and closes what it writes in order; [`PrettyJson::finish`] adds the
/// trailing newline.
pub struct PrettyJson {
    out: String,
    depth: usize,
    /// Nothing written yet in the innermost open array or object.
    first: bool,
}

impl PrettyJson {
    /// An empty document with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> PrettyJson {
        PrettyJson {
            out: String::with_capacity(capacity),
            depth: 0,
            first: true,
        }
    }

    /// Open an object; its members follow ([`PrettyJson::key`]).
    pub fn open_object(&mut self) {
        self.open('{');
    }

    /// Close the innermost open object (`{}` when it has no member).
    pub fn close_object(&mut self) {
        self.close('}');
    }

    /// Open an array; its elements follow ([`PrettyJson::item`]).
    pub fn open_array(&mut self) {
        self.open('[');
    }

    /// Close the innermost open array (`[]` when it has no element).
    pub fn close_array(&mut self) {
        self.close(']');
    }

    fn open(&mut self, bracket: char) {
        self.out.push(bracket);
        self.depth += 1;
        self.first = true;
    }

    fn close(&mut self, bracket: char) {
        self.depth = self.depth.saturating_sub(1);
        if !self.first {
            newline(&mut self.out, self.depth);
        }
        self.out.push(bracket);
        self.first = false;
    }

    /// Start the next element of an array.
    pub fn item(&mut self) {
        out_sep(&mut self.out, &mut self.first, self.depth);
    }

    /// Start the member `key` of an object; its value follows.
    pub fn key(&mut self, key: &str) {
        self.item();
        string(&mut self.out, key);
        self.out.push_str(": ");
    }

    /// A string value.
    pub fn str(&mut self, s: &str) {
        string(&mut self.out, s);
    }

    /// A number value.
    pub fn uint(&mut self, n: u64) {
        self.out.push_str(itoa::Buffer::new().format(n));
    }

    /// An array of strings.
    pub fn strs<S: AsRef<str>>(&mut self, items: &[S]) {
        self.open_array();
        for s in items {
            self.item();
            self.str(s.as_ref());
        }
        self.close_array();
    }

    /// The text, with a trailing newline.
    pub fn finish(mut self) -> String {
        self.out.push('\n');
        self.out
    }
}

/// Whether any byte is a control character, `"` or `\\`.
fn needs_escape(bytes: &[u8]) -> bool {
    use crate::bytescan::{any, below, eq};
    any(
        bytes,
        |x| below(x, 0x20) | eq(x, b'"') | eq(x, b'\\'),
        |b| b < 0x20 || b == b'"' || b == b'\\',
    )
}

#[cfg(test)]
mod tests {
    use super::{needs_escape, PrettyJson};

    #[test]
    fn pretty_json_writes_what_serde_json_writes() {
        let odd = "quote \" backslash \\ tab \t nul \u{0} del \u{7f} é 🦀";
        let expected = serde_json::json!({
            "app": odd,
            "empty_list": [],
            "empty_object": {},
            "list": [{"a": 1, "b": ["x", odd]}, {}, []],
            "n": 18446744073709551615u64,
        });
        let mut p = PrettyJson::with_capacity(0);
        p.open_object();
        p.key("app");
        p.str(odd);
        p.key("empty_list");
        p.strs::<&str>(&[]);
        p.key("empty_object");
        p.open_object();
        p.close_object();
        p.key("list");
        p.open_array();
        p.item();
        p.open_object();
        p.key("a");
        p.uint(1);
        p.key("b");
        p.strs(&["x", odd]);
        p.close_object();
        p.item();
        p.open_object();
        p.close_object();
        p.item();
        p.open_array();
        p.close_array();
        p.close_array();
        p.key("n");
        p.uint(u64::MAX);
        p.close_object();
        let mut serde_text = serde_json::to_string_pretty(&expected).unwrap();
        serde_text.push('\n');
        assert_eq!(p.finish(), serde_text);
    }

    #[test]
    fn needs_escape_finds_every_byte_to_escape_at_every_position() {
        for len in 0..20 {
            let clean = vec![b'a'; len];
            assert!(!needs_escape(&clean));
            for at in 0..len {
                for b in 0u8..=255 {
                    let mut s = clean.clone();
                    s[at] = b;
                    let expected = b < 0x20 || b == b'"' || b == b'\\';
                    assert_eq!(needs_escape(&s), expected, "byte {b:#x} at {at} of {len}");
                }
            }
        }
    }
}
