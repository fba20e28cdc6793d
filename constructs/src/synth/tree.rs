//! The resolved template: what synthesis produces once and every writer emits from.
//!
//! A [`Node`] tree is plain CloudFormation data (scalars, lists, maps with intrinsic functions already
//! resolved to logical IDs) plus three typed variants for what only exists before rendering: a
//! [`Node::Placeholder`] (an input, with its Jinja and its plain-CloudFormation spelling), a
//! [`Node::LoopId`] (the logical ID of a resource repeated per loop item) and the two loop forms
//! ([`Node::Loop`] in a list, [`Node::Repeat`] as a map member). The plain writers ([`Node::to_json_string`],
//! [`Node::to_json`], `serde::Serialize` through [`Plain`]) take the plain spelling; the AWS Proton writer (in
//! the root crate) the Jinja one. No map key is reserved: every key of a user's map is an ordinary key.

use std::borrow::Cow;
use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value as J;

use crate::stack::LoopSpec;
use crate::value::Placeholder;

/// A map key or string: borrowed for the names proton-synth writes (`Type`, `Fn::GetAtt`), owned otherwise.
pub type Text = Cow<'static, str>;

/// A loop of the template as the writers need it: its index (which members belong together) and declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct LoopHeader {
    pub index: u32,
    pub spec: Arc<LoopSpec>,
}

impl LoopHeader {
    /// `var in iterable`, the text of `{% for … %}`.
    pub fn for_text(&self) -> String {
        format!("{} in {}", self.spec.var, self.spec.iterable)
    }
}

/// A resolved template value (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    /// From user JSON only (numbers over `i64::MAX`).
    UInt(u64),
    /// A finite number that is not a whole number (whole numbers are [`Node::Int`]), or a user JSON float.
    Float(f64),
    Str(Text),
    List(Vec<Node>),
    /// Members in output order; keys are unique.
    Map(Vec<(Text, Node)>),
    /// A late-bound value: `{{ jinja }}` in a bundle, `plain` in plain CloudFormation.
    Placeholder(Arc<Placeholder>, Box<Node>),
    /// The logical ID of a resource repeated per loop item: `Id{{ loop.index }}` in a bundle, `Id` in plain
    /// CloudFormation (where the loop runs once).
    LoopId(Text),
    /// List items repeated per loop item; only a list item. Spliced into the list in plain CloudFormation.
    Loop(LoopHeader, Vec<Node>),
    /// A map member repeated per loop item (a looped resource); its key gets `{{ loop.index }}` in a bundle.
    /// Bundle writers group the members of one loop into one `{% for %}` block, where the first one is.
    Repeat(LoopHeader, Box<Node>),
}

static NULL: Node = Node::Null;

impl Node {
    /// A map from `(key, value)` pairs.
    pub fn map<K: Into<Text>>(members: impl IntoIterator<Item = (K, Node)>) -> Node {
        Node::Map(members.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A single-member map (`{"Ref": …}`, `{"Fn::GetAtt": […]}`).
    pub fn func(name: &'static str, arg: Node) -> Node {
        Node::Map(vec![(Cow::Borrowed(name), arg)])
    }

    /// A string.
    pub fn str(s: impl Into<Text>) -> Node {
        Node::Str(s.into())
    }

    /// The value of a map member.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value of a map member, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match self {
            Node::Map(m) => m.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Set a map member (replacing one with the same key in place); no-op on other nodes.
    pub fn insert(&mut self, key: impl Into<Text>, value: Node) {
        if let Node::Map(m) = self {
            let key = key.into();
            match m.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => *v = value,
                None => m.push((key, value)),
            }
        }
    }

    /// Remove a map member, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Node> {
        match self {
            Node::Map(m) => {
                let i = m.iter().position(|(k, _)| k == key)?;
                Some(m.remove(i).1)
            }
            _ => None,
        }
    }

    /// The members, if this is a map.
    pub fn as_map(&self) -> Option<&[(Text, Node)]> {
        match self {
            Node::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The members, if this is a map.
    pub fn as_map_mut(&mut self) -> Option<&mut Vec<(Text, Node)>> {
        match self {
            Node::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items, if this is a list.
    pub fn as_list(&self) -> Option<&[Node]> {
        match self {
            Node::List(l) => Some(l),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The placeholder, if this is one.
    pub fn placeholder(&self) -> Option<&Placeholder> {
        match self {
            Node::Placeholder(p, _) => Some(p),
            _ => None,
        }
    }

    /// Visit every node, depth first (both spellings of a placeholder).
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Node)) {
        f(self);
        match self {
            Node::List(items) | Node::Loop(_, items) => items.iter().for_each(|n| n.walk(f)),
            Node::Map(m) => m.iter().for_each(|(_, n)| n.walk(f)),
            Node::Placeholder(_, n) | Node::Repeat(_, n) => n.walk(f),
            _ => {}
        }
    }

    /// The plain-CloudFormation spelling as a `serde_json::Value` (for tests, assertions and `diff`; the
    /// writers do not go through it).
    pub fn to_json(&self) -> J {
        serde_json::to_value(Plain(self)).unwrap_or(J::Null)
    }

    /// The plain-CloudFormation spelling as pretty JSON with a trailing newline (the `.template.json` files),
    /// as `serde_json::to_string_pretty` of [`Plain`] writes it.
    pub fn to_json_string(&self) -> String {
        super::json::to_string(self)
    }

    /// The length of [`Node::to_json_string`]'s output, without building it.
    pub fn json_len(&self) -> usize {
        super::json::len(self)
    }
}

impl From<&J> for Node {
    /// User-supplied JSON, verbatim: its keys are ordinary keys, its strings ordinary strings.
    fn from(v: &J) -> Node {
        match v {
            J::Null => Node::Null,
            J::Bool(b) => Node::Bool(*b),
            J::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => Node::Int(i),
                (None, Some(u)) => Node::UInt(u),
                _ => Node::Float(n.as_f64().unwrap_or_default()),
            },
            J::String(s) => Node::Str(Cow::Owned(s.clone())),
            J::Array(a) => Node::List(a.iter().map(Node::from).collect()),
            J::Object(o) => Node::Map(o.iter().map(|(k, v)| (Cow::Owned(k.clone()), Node::from(v))).collect()),
        }
    }
}

impl PartialEq<&str> for Node {
    /// True for a string equal to `other`.
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl std::ops::Index<&str> for Node {
    type Output = Node;
    /// The member `key`, or `Null` (like `serde_json::Value`).
    fn index(&self, key: &str) -> &Node {
        self.get(key).unwrap_or(&NULL)
    }
}

impl std::ops::Index<usize> for Node {
    type Output = Node;
    /// The item `i`, or `Null`.
    fn index(&self, i: usize) -> &Node {
        self.as_list().and_then(|l| l.get(i)).unwrap_or(&NULL)
    }
}

/// A [`Node`] serialized in its plain-CloudFormation spelling: placeholders as their plain expression, looped
/// IDs without the index, loop items spliced, repeated members as ordinary members.
pub struct Plain<'a>(pub &'a Node);

impl Serialize for Plain<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Node::Null => s.serialize_unit(),
            Node::Bool(b) => s.serialize_bool(*b),
            Node::Int(i) => s.serialize_i64(*i),
            Node::UInt(u) => s.serialize_u64(*u),
            Node::Float(f) => s.serialize_f64(*f),
            Node::Str(t) | Node::LoopId(t) => s.serialize_str(t),
            Node::Placeholder(_, plain) => Plain(plain).serialize(s),
            Node::Repeat(_, inner) => Plain(inner).serialize(s),
            Node::List(items) => {
                let mut seq = s.serialize_seq(None)?;
                for item in items {
                    match item {
                        Node::Loop(_, looped) => looped.iter().try_for_each(|i| seq.serialize_element(&Plain(i)))?,
                        other => seq.serialize_element(&Plain(other))?,
                    }
                }
                seq.end()
            }
            // Outside a list a loop has no plain spelling; synthesis reports it as an error before.
            Node::Loop(_, _) => s.serialize_unit(),
            Node::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k.as_ref(), &Plain(v))?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn user_json_is_kept_verbatim() {
        // (Keys shaped like the former loop and Jinja markers: tests/proton.rs, through both writers.)
        let user = json!({"for": "x in y", "items": [1], "jinja": "{{ x }}", "n": 1.5, "u": u64::MAX, "z": null});
        let node = Node::from(&user);
        assert_eq!(node.to_json(), user);
        assert_eq!(node["items"][0], Node::Int(1));
        assert_eq!(
            node.to_json_string(),
            format!("{}\n", serde_json::to_string_pretty(&user).unwrap())
        );
        assert_eq!(node.json_len(), node.to_json_string().len());
        let odd = json!({"s": "q\"b\\n\n\t\u{1}\u{7f}é€😀", "e": [], "m": {}, "l": [[], [{}], -12, 0, 1e300, -0.5, true, false],
                         "deep": {"a": {"b": [1, {"c": [null]}]}}});
        let node = Node::from(&odd);
        assert_eq!(
            node.json_len(),
            node.to_json_string().len(),
            "{}",
            node.to_json_string()
        );
        assert_eq!(Node::Map(vec![]).json_len(), 3);
    }

    /// The JSON writer against serde_json's pretty printer through `Plain`, on loops, placeholders and every
    /// kind of scalar.
    #[test]
    fn json_writer_writes_what_serde_json_writes() {
        let serde_text = |n: &Node| format!("{}\n", serde_json::to_string_pretty(&Plain(n)).unwrap());
        let header = LoopHeader {
            index: 0,
            spec: Arc::new(LoopSpec {
                var: "i".into(),
                iterable: "items".into(),
            }),
        };
        let odd = Node::from(
            &json!({"s": "q\"b\\n\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}é€😀", "f": [1.5, -0.25, 1e300, 2.0, 3e-7],
                                     "n": [-9_223_372_036_854_775_807i64, u64::MAX, 0], "b": [true, false, null]}),
        );
        let looped = Node::map([
            ("odd", odd),
            ("only_loop", Node::List(vec![Node::Loop(header.clone(), vec![])])),
            (
                "mixed",
                Node::List(vec![
                    Node::Int(1),
                    Node::Loop(header.clone(), vec![Node::str("a"), Node::Map(vec![])]),
                    Node::LoopId("Id".into()),
                ]),
            ),
            (
                "repeat",
                Node::Repeat(header, Box::new(Node::List(vec![Node::List(vec![])]))),
            ),
        ]);
        for n in [looped, Node::Null, Node::List(vec![]), Node::str("x")] {
            assert_eq!(n.to_json_string(), serde_text(&n));
            assert_eq!(n.json_len(), serde_text(&n).len());
        }
    }
}
