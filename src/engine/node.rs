//! YAML and JSON documents as a tree that keeps each node's line and tag.
//!
//! serde-saphyr ignores unknown tags such as CloudFormation's `!Ref` when it deserializes into a generic
//! value, so a plain `serde_json::Value` would lose them. [`Node`] deserializes each node through
//! `Spanned<Tagged<_>>`, which keeps the tag and the line: enough to report where a spec input, a schema
//! keyword or a misspelt CloudFormation tag is.

use std::fmt;

use std::sync::LazyLock;

use regex::Regex;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Budget, NonFiniteFloatPolicy, Options, Spanned, Tagged};

use super::limits;

/// One YAML node.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// 1-based line where the node starts (0 when unknown).
    pub line: usize,
    /// The resolved tag, e.g. `!Ref` or `tag:yaml.org,2002:str`.
    pub tag: Option<String>,
    pub value: NodeValue,
    /// Byte range of a scalar where it stands in the source, quotes included (the tag is not); a collection's
    /// range is where it starts. Empty when unknown. For an alias, the alias itself (`*a`).
    pub span: std::ops::Range<usize>,
    /// Byte offset and length of the node's text where it is defined (the anchored node, for an alias), when
    /// known.
    pub defined: Option<(usize, usize)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Seq(Vec<Node>),
    /// Entries in document order. Keys are scalars turned into text.
    Map(Vec<(Node, Node)>),
}

/// A YAML (or JSON) syntax error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parse one YAML document (JSON is YAML too). An empty document is [`NodeValue::Null`]. Plain scalars
/// resolve as YAML 1.2 (`yes` is a boolean, `0777` the number 777); [`super::yaml11`] re-reads them the
/// way YAML 1.1 readers do. The document is bounded by [`limits::MAX_YAML_NODES`] and
/// [`limits::MAX_YAML_DEPTH`].
pub fn parse_yaml(text: &str) -> Result<Node, ParseError> {
    let mut budget = Budget::default();
    budget.max_nodes = limits::MAX_YAML_NODES;
    budget.max_depth = limits::MAX_YAML_DEPTH;
    let mut options = Options::default();
    options.budget = Some(budget);
    options.non_finite_float_policy = NonFiniteFloatPolicy::AsString;
    options.with_snippet = false;
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|e| {
        let e = e.without_snippet();
        let line = e.location().map(|l| l.line() as usize).filter(|l| *l > 0);
        ParseError {
            line,
            message: error_words(e),
        }
    })
}

static LOCATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r" ?\((?:defined|used) at line \d+, column \d+\)| at line \d+, column \d+").expect("valid regex")
});

/// serde-saphyr's error in our words: no type names, option names or API hints, no location (the
/// finding carries the line).
fn error_words(mut e: &serde_saphyr::Error) -> String {
    use serde_saphyr::Error as E;
    // An error met while replaying an alias (e.g. the node budget of an alias bomb) comes wrapped.
    while let E::AliasError { error, .. } | E::WithSnippet { error, .. } = e {
        e = error;
    }
    match e {
        E::Budget { breach, .. } => match breach {
            BudgetBreach::Nodes { .. } => format!(
                "the document has more than {} values; this tool reads at most that many",
                limits::MAX_YAML_NODES
            ),
            BudgetBreach::Depth { .. } => too_deep(),
            BudgetBreach::Documents { .. } => one_document(),
            _ => {
                "the document is too large for this tool (too many values, aliases or anchors); simplify it".to_owned()
            }
        },
        E::DuplicateMappingKey { key, .. } => match key {
            Some(k) => format!("duplicate key `{k}`; a key may appear only once in a mapping"),
            None => "duplicate key; a key may appear only once in a mapping".to_owned(),
        },
        E::MultipleDocuments { .. } => one_document(),
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => {
            "aliases (`*name`) expand to too much; write the values out".to_owned()
        }
        E::IOError { .. } => "the document could not be read".to_owned(),
        E::InvalidScalar { ty, .. } => {
            let what = match *ty {
                "boolean" => "a boolean",
                "floating point" => "a float",
                t if t.starts_with(['u', 'i']) => "an integer",
                _ => "what its tag says",
            };
            format!("the value is not {what}, as its tag (`!!int`, `!!float`, `!!bool`) says; fix the value or remove the tag")
        }
        E::UnknownAnchor { .. } => {
            "an alias (`*name`) names no anchor (`&name`) defined before it; define the anchor first".to_owned()
        }
        E::RecursiveReferencesRequireWeakTypes { .. } => {
            "an alias (`*name`) refers to the list or mapping that contains it; write the value out".to_owned()
        }
        E::TaggedScalarCannotDeserializeIntoString { .. } => {
            "a value with this tag cannot be read; remove the tag (quote the value for a string)".to_owned()
        }
        other => {
            let text = LOCATION.replace_all(&other.to_string(), "").trim().to_owned();
            match text.as_str() {
                "" => "invalid YAML".to_owned(),
                // The parser's own guard, met before the budget's on very deep flow collections.
                "recursion limit exceeded" => too_deep(),
                t if t.starts_with("tabs disallowed") => "a tab indents a line; YAML indents with spaces".to_owned(),
                _ => text,
            }
        }
    }
}

fn too_deep() -> String {
    format!(
        "lists and mappings are nested more than {} levels deep; this tool reads at most that many",
        limits::MAX_YAML_DEPTH
    )
}

fn one_document() -> String {
    "more than one YAML document (a `---` line starts another); give exactly one".to_owned()
}

impl Node {
    pub fn is_null(&self) -> bool {
        matches!(self.value, NodeValue::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            NodeValue::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().find(|(k, _)| k.key_text() == key).map(|(_, v)| v)
    }

    /// The key node and the value of `key` in a mapping (the key's line is where the entry starts).
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.key_text() == key)
            .map(|(k, v)| (k, v))
    }

    /// A scalar as the text a YAML reader sees (`80`, `true`, `x`); empty for collections and null.
    pub fn key_text(&self) -> String {
        match &self.value {
            NodeValue::Null => String::new(),
            NodeValue::Bool(b) => b.to_string(),
            NodeValue::Number(n) => n.to_string(),
            NodeValue::String(s) => s.clone(),
            NodeValue::Seq(_) | NodeValue::Map(_) => String::new(),
        }
    }

    /// What kind of value this is, for messages: `a string`, `a number`, …
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Number(_) => "a number",
            NodeValue::String(_) => "a string",
            NodeValue::Seq(_) => "a list",
            NodeValue::Map(_) => "a mapping",
        }
    }

    /// The node as JSON (tags dropped, keys as text).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Number(n) => Value::Number(n.clone()),
            NodeValue::String(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => {
                Value::Object(entries.iter().map(|(k, v)| (k.key_text(), v.to_json())).collect())
            }
        }
    }

    /// Every node of the tree, depth first, this one included.
    pub fn walk(&self, visit: &mut dyn FnMut(&Node)) {
        visit(self);
        match &self.value {
            NodeValue::Seq(items) => items.iter().for_each(|n| n.walk(visit)),
            NodeValue::Map(entries) => entries.iter().for_each(|(k, v)| {
                k.walk(visit);
                v.walk(visit);
            }),
            _ => {}
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned: Spanned<Tagged<NodeValue>> = Spanned::deserialize(deserializer)?;
        let line = usize::try_from(spanned.referenced.line()).unwrap_or(0);
        let span = spanned.referenced.span();
        let start = span.byte_offset().and_then(|o| usize::try_from(o).ok()).unwrap_or(0);
        let len = span.byte_len().and_then(|l| usize::try_from(l).ok()).unwrap_or(0);
        let def = spanned.defined.span();
        let defined = match (def.byte_offset(), def.byte_len()) {
            (Some(o), Some(l)) => usize::try_from(o).ok().zip(usize::try_from(l).ok()),
            _ => None,
        };
        let Tagged(value, tag) = spanned.value;
        Ok(Node {
            line,
            tag,
            value,
            span: start..start + len,
            defined,
        })
    }
}

impl<'de> Deserialize<'de> for NodeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = NodeValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }

    fn visit_none<E>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<NodeValue, D::Error> {
        NodeValue::deserialize(d)
    }

    fn visit_bool<E>(self, v: bool) -> Result<NodeValue, E> {
        Ok(NodeValue::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<NodeValue, E> {
        Ok(NodeValue::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<NodeValue, E> {
        Ok(NodeValue::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<NodeValue, E> {
        // NaN and infinities have no JSON form; keep their YAML spelling as text.
        Ok(serde_json::Number::from_f64(v)
            .map(NodeValue::Number)
            .unwrap_or_else(|| NodeValue::String(v.to_string())))
    }

    fn visit_str<E>(self, v: &str) -> Result<NodeValue, E> {
        Ok(NodeValue::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<NodeValue, E> {
        Ok(NodeValue::String(v))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<NodeValue, E> {
        Ok(NodeValue::String(String::from_utf8_lossy(v).into_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(NodeValue::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<Node, Node>()? {
            entries.push(entry);
        }
        Ok(NodeValue::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_tags_and_lines() {
        let n = parse_yaml("A: !Ref Foo\nB:\n  - !GetAtt X.Arn\n").unwrap();
        let a = n.get("A").unwrap();
        assert_eq!((a.line, a.tag.as_deref(), a.as_str()), (1, Some("!Ref"), Some("Foo")));
        let b = &n.get("B").unwrap().as_seq().unwrap()[0];
        assert_eq!((b.line, b.tag.as_deref()), (3, Some("!GetAtt")));
    }

    #[test]
    fn keeps_scalar_spans_with_quotes() {
        let text = "a: 'x y'\nb: !Ref Foo\n";
        let n = parse_yaml(text).unwrap();
        let span = |k: &str| n.get(k).unwrap().span.clone();
        assert_eq!(&text[span("a")], "'x y'");
        assert_eq!(&text[span("b")], "Foo");
    }

    #[test]
    fn reports_syntax_errors_with_line() {
        let e = parse_yaml("a: 1\nb: [1\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(!e.message.contains(" at line "), "{}", e.message);
    }
}
