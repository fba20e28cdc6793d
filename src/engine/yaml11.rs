//! Plain scalars the way YAML 1.1 readers resolve them: specs, schemas and manifests were read by Proton's
//! users' tooling and by Proton with YAML 1.1 readers (PyYAML, SnakeYAML), so they mean what PyYAML's
//! `safe_load` makes of them (a schema's `default: y` is the string `y`). serde-saphyr resolves with YAML 1.2's core schema plus every 1.1 boolean (`y` and `n` included);
//! [`resolve_yaml11`] re-reads each untagged plain scalar from its source text instead. Context and outputs
//! files hold only text, so [`parse_yaml_as_text`] keeps every plain scalar's spelling.
//!
//! | Plain scalar | Value | Note |
//! |---|---|---|
//! | `true`/`True`/`TRUE`, `yes`/`Yes`/`YES`, `on`/`On`/`ON` | true | |
//! | `false`/`False`/`FALSE`, `no`/`No`/`NO`, `off`/`Off`/`OFF` | false | |
//! | `y`, `Y`, `n`, `N`, `yEs`, `tRue` | string | not YAML 1.1 booleans for PyYAML or SnakeYAML |
//! | `~`, `null`, `Null`, `NULL`, empty | null | `nULL` is a string |
//! | `0777`, `0_7` | int 511, 7 | a leading `0` is octal; `08` is a string |
//! | `0x1F`, `0b101`, `+12`, `1_000` | int 31, 5, 12, 1000 | `_` is ignored |
//! | `0o777` | string | `0o` is YAML 1.2 only |
//! | `1:30`, `190:20:30` | int 90, 685230 | base 60; `1:60` is a string |
//! | `1.0e+3`, `1.`, `.5`, `1_000.5`, `1:30.5` | float 1000.0, 1.0, 0.5, 1000.5, 90.5 | |
//! | `1e3`, `1.0e3`, `-.5` | string | a float needs a dot, a signed exponent, no sign before `.5` |
//! | `.inf`, `-.inf`, `.nan` | error | floats JSON cannot hold; quote them for the text |
//! | integers beyond 64 bits | error | JSON numbers here are 64-bit; quote them |
//! | `2024-01-01` (timestamps), `=` | string | PyYAML makes a date (JSON has none) or fails |
//! | anything quoted, a block scalar (`\|`, `>`), or tagged (`!!str`) | as written | never re-read |
//! | other tags (`!Ref x`, `!!timestamp`, `!!binary`) | error | safe loaders refuse them, or JSON cannot hold them |
//! | `! yes` (the non-specific tag) | true | PyYAML resolves it like no tag |

use std::sync::LazyLock;

use regex::Regex;

use super::node::{Node, NodeValue, ParseError};

static BOOL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$")
        .expect("valid regex")
});
static FLOAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?",
        r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ))
    .expect("valid regex")
});
static INT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+",
        r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"
    ))
    .expect("valid regex")
});
static NULL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(?:~|null|Null|NULL|)$").expect("valid regex"));

/// The tags a spec may carry: YAML's own for JSON's types (`!!str`, `!!int`, …).
const SPEC_TAGS: [&str; 7] = ["str", "int", "float", "bool", "null", "seq", "map"];

/// Which tags a document may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tags {
    /// Any tag; tagged nodes are left as parsed (schemas, manifests: their readers report tags themselves).
    Any,
    /// Only YAML's own tags for JSON's types (specs): others (`!Ref`, `!!timestamp`, `!!binary`) are errors,
    /// as YAML 1.1 safe loaders refuse unknown tags and JSON has no dates or bytes.
    JsonTypes,
}

/// Re-resolve every untagged plain scalar of `node` (keys included) from its text in `source`.
pub fn resolve_yaml11(node: &mut Node, source: &str, tags: Tags) -> Result<(), ParseError> {
    if tags == Tags::JsonTypes {
        check_tag(node)?;
    }
    match &mut node.value {
        NodeValue::Seq(items) => items.iter_mut().try_for_each(|n| resolve_yaml11(n, source, tags)),
        NodeValue::Map(entries) => entries.iter_mut().try_for_each(|(k, v)| {
            resolve_yaml11(k, source, tags)?;
            resolve_yaml11(v, source, tags)
        }),
        _ => {
            if let Some(plain) = plain_text(node, source) {
                let resolved = resolve_plain(plain).map_err(|message| ParseError {
                    line: Some(node.line).filter(|l| *l > 0),
                    message: format!("`{plain}`: {message}"),
                })?;
                match resolved {
                    Some(value) => node.value = value,
                    None if node.as_str() != Some(plain) => node.value = NodeValue::String(plain.to_owned()),
                    None => {}
                }
            }
            Ok(())
        }
    }
}

fn check_tag(node: &Node) -> Result<(), ParseError> {
    let Some(tag) = node.tag.as_ref().filter(|t| *t != "!") else {
        return Ok(());
    };
    let core = tag.strip_prefix("tag:yaml.org,2002:");
    if core.is_some_and(|t| SPEC_TAGS.contains(&t)) {
        return Ok(());
    }
    let shown = core.map_or_else(|| tag.clone(), |t| format!("!!{t}"));
    Err(ParseError {
        line: Some(node.line).filter(|l| *l > 0),
        message: format!(
            "unknown tag `{shown}`; a spec holds plain values: remove the tag (quote the value for a string)"
        ),
    })
}

/// The source text of an untagged plain scalar; `None` for quoted, block and tagged scalars.
fn plain_text<'s>(node: &Node, source: &'s str) -> Option<&'s str> {
    // The non-specific tag `!` resolves like no tag in PyYAML (`! 10` is the number 10).
    if node.tag.as_ref().is_some_and(|t| t != "!") {
        return None;
    }
    let (offset, len) = node.defined?;
    let raw = source.get(offset..offset.checked_add(len)?)?;
    match &node.value {
        // serde-saphyr resolves only plain scalars to these: the text is the scalar.
        NodeValue::Null | NodeValue::Bool(_) | NodeValue::Number(_) => Some(raw),
        NodeValue::String(s) => {
            // Non-finite floats arrive in their canonical spelling (`.NaN` as `.nan`).
            let canonical = matches!(s.as_str(), ".nan" | ".inf" | "-.inf");
            let same = s == raw || (canonical && s.eq_ignore_ascii_case(raw.trim_start_matches('+')));
            let quoted = raw.starts_with(['\'', '"']);
            (same && !quoted && !is_block_content(source, offset)).then_some(raw)
        }
        NodeValue::Seq(_) | NodeValue::Map(_) => None,
    }
}

/// Does the scalar at `offset` start on a line after a block scalar header (`|`, `>-`, `|2+ # note`)?
fn is_block_content(source: &str, offset: usize) -> bool {
    let before = source[..offset].trim_end_matches([' ', '\t']);
    if !before.ends_with('\n') {
        return false;
    }
    let header = before.trim_end().rsplit('\n').next().unwrap_or("");
    let header = match header.find(" #") {
        Some(i) => &header[..i],
        None => header,
    };
    let token = header.trim_end().rsplit([' ', '\t']).next().unwrap_or("");
    token.starts_with(['|', '>']) && token[1..].chars().all(|c| matches!(c, '-' | '+' | '1'..='9'))
}

/// PyYAML's implicit resolvers (bool, float, int, null, in its order) and constructors for one plain
/// scalar; `None` for a string (the scalar's text).
fn resolve_plain(text: &str) -> Result<Option<NodeValue>, String> {
    // PyYAML picks resolvers by the first character; so do we, which skips the patterns for most words.
    let first = text.as_bytes().first().copied();
    let boolish = matches!(
        first,
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O')
    );
    if boolish && BOOL.is_match(text) {
        return Ok(Some(NodeValue::Bool(
            matches!(first, Some(b'y' | b'Y' | b't' | b'T')) || text.eq_ignore_ascii_case("on"),
        )));
    }
    let numeric = matches!(first, Some(b'-' | b'+' | b'.' | b'0'..=b'9'));
    if numeric && FLOAT.is_match(text) {
        return float(text).map(Some);
    }
    if numeric && INT.is_match(text) {
        return int(text).map(Some);
    }
    if matches!(first, None | Some(b'~' | b'n' | b'N')) && NULL.is_match(text) {
        return Ok(Some(NodeValue::Null));
    }
    Ok(None)
}

/// Sign and digits without `_`.
fn sign_and_digits(text: &str) -> (bool, String) {
    let digits: String = text.chars().filter(|c| *c != '_').collect();
    match digits.strip_prefix('-') {
        Some(rest) => (true, rest.to_owned()),
        None => (false, digits.strip_prefix('+').unwrap_or(&digits).to_owned()),
    }
}

fn float(text: &str) -> Result<NodeValue, String> {
    let (negative, digits) = sign_and_digits(text);
    let lower = digits.to_ascii_lowercase();
    if lower == ".inf" || lower == ".nan" {
        return Err("YAML 1.1 reads this as an infinite or not-a-number float, which JSON cannot hold; quote it to pass the text".to_owned());
    }
    let magnitude = if lower.contains(':') {
        lower
            .split(':')
            .try_fold(0.0_f64, |acc, part| part.parse::<f64>().map(|p| acc * 60.0 + p))
            .ok()
    } else {
        lower.parse::<f64>().ok()
    };
    let value = magnitude.map(|m| if negative { -m } else { m });
    value
        .and_then(serde_json::Number::from_f64)
        .map(NodeValue::Number)
        .ok_or_else(|| "a float too large for JSON; quote it to pass the text".to_owned())
}

fn int(text: &str) -> Result<NodeValue, String> {
    let (negative, digits) = sign_and_digits(text);
    let magnitude: Option<u128> = if digits == "0" {
        Some(0)
    } else if let Some(bin) = digits.strip_prefix("0b") {
        u128::from_str_radix(bin, 2).ok()
    } else if let Some(hex) = digits.strip_prefix("0x") {
        u128::from_str_radix(hex, 16).ok()
    } else if digits.contains(':') {
        digits.split(':').try_fold(0_u128, |acc, part| {
            part.parse::<u128>()
                .ok()
                .and_then(|p| acc.checked_mul(60)?.checked_add(p))
        })
    } else if let Some(oct) = digits.strip_prefix('0') {
        u128::from_str_radix(oct, 8).ok()
    } else {
        digits.parse::<u128>().ok()
    };
    let Some(magnitude) = magnitude else {
        // `0b_` and `0x_`: PyYAML fails on them too.
        return Ok(NodeValue::String(text.to_owned()));
    };
    let number = if negative {
        i64::try_from(magnitude)
            .ok()
            .map(|m| serde_json::Number::from(-m))
            .or_else(|| (magnitude == 1 << 63).then(|| serde_json::Number::from(i64::MIN)))
    } else {
        u64::try_from(magnitude).ok().map(serde_json::Number::from)
    };
    number
        .map(NodeValue::Number)
        .ok_or_else(|| "an integer too large for a 64-bit number; quote it to pass the text".to_owned())
}

/// Parse one YAML document whose scalars are all text (context and outputs files): a plain scalar keeps its
/// spelling, so `012345678901` stays `012345678901` (not the number 12345678901), `1.10` stays `1.10` and
/// `y` stays `y`; `~`, `null` and empty values stay null.
pub fn parse_yaml_as_text(text: &str) -> Result<Node, ParseError> {
    let mut root = super::node::parse_yaml(text)?;
    plain_scalars_as_text(&mut root, text);
    Ok(root)
}

fn plain_scalars_as_text(node: &mut Node, source: &str) {
    match &mut node.value {
        NodeValue::Seq(items) => items.iter_mut().for_each(|n| plain_scalars_as_text(n, source)),
        NodeValue::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            plain_scalars_as_text(k, source);
            plain_scalars_as_text(v, source);
        }),
        NodeValue::Null => {}
        _ => {
            if let Some(plain) = plain_text(node, source) {
                node.value = NodeValue::String(plain.to_owned());
            }
        }
    }
}

/// Parse one YAML document as YAML 1.1 readers do (see the module doc).
pub fn parse_yaml11(text: &str, tags: Tags) -> Result<Node, ParseError> {
    let mut root = super::node::parse_yaml(text)?;
    resolve_yaml11(&mut root, text, tags)?;
    Ok(root)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    /// Plain scalar → what PyYAML 6's `safe_load` gives (floats and ints as JSON numbers).
    const TABLE: &[(&str, &str)] = &[
        ("y", r#""y""#),
        ("Y", r#""Y""#),
        ("n", r#""n""#),
        ("N", r#""N""#),
        ("yes", "true"),
        ("Yes", "true"),
        ("YES", "true"),
        ("yEs", r#""yEs""#),
        ("no", "false"),
        ("No", "false"),
        ("NO", "false"),
        ("on", "true"),
        ("On", "true"),
        ("ON", "true"),
        ("off", "false"),
        ("Off", "false"),
        ("OFF", "false"),
        ("true", "true"),
        ("True", "true"),
        ("TRUE", "true"),
        ("tRue", r#""tRue""#),
        ("false", "false"),
        ("False", "false"),
        ("FALSE", "false"),
        ("~", "null"),
        ("null", "null"),
        ("Null", "null"),
        ("NULL", "null"),
        ("nULL", r#""nULL""#),
        ("", "null"),
        ("0777", "511"),
        ("0_7", "7"),
        ("08", r#""08""#),
        ("0o777", r#""0o777""#),
        ("0x1F", "31"),
        ("0b101", "5"),
        ("+12", "12"),
        ("-0", "0"),
        ("1_000", "1000"),
        ("1__0", "10"),
        ("12345678901234567890", "12345678901234567890"),
        ("1:30", "90"),
        ("-1:30", "-90"),
        ("190:20:30", "685230"),
        ("1:60", r#""1:60""#),
        ("1e3", r#""1e3""#),
        ("1.0e3", r#""1.0e3""#),
        ("1.0e+3", "1000.0"),
        ("1.5E-2", "0.015"),
        ("1.", "1.0"),
        (".5", "0.5"),
        ("-.5", r#""-.5""#),
        ("+.5", r#""+.5""#),
        ("09.5", "9.5"),
        ("1_000.5", "1000.5"),
        ("1:30.5", "90.5"),
        ("nan", r#""nan""#),
        ("inf", r#""inf""#),
        ("2024-01-01", r#""2024-01-01""#),
        ("=", r#""=""#),
        ("plain text", r#""plain text""#),
    ];

    fn value(doc: &str) -> Result<Value, ParseError> {
        parse_yaml11(doc, Tags::JsonTypes).map(|n| n.get("k").map(Node::to_json).unwrap_or(Value::Null))
    }

    #[test]
    fn plain_scalars_resolve_as_pyyaml() {
        for (plain, expected) in TABLE {
            let expected: Value = serde_json::from_str(expected).unwrap();
            assert_eq!(value(&format!("k: {plain}\n")).unwrap(), expected, "k: {plain}");
            // The same in a flow mapping and as a list item.
            assert_eq!(value(&format!("{{k: {plain}}}")).unwrap(), expected, "{{k: {plain}}}");
        }
    }

    #[test]
    fn quoted_block_and_tagged_scalars_stay_strings() {
        for (plain, _) in TABLE.iter().filter(|(p, _)| !p.is_empty()) {
            assert_eq!(
                value(&format!("k: '{plain}'\n")).unwrap(),
                json!(plain),
                "single-quoted {plain}"
            );
            assert_eq!(
                value(&format!("k: \"{plain}\"\n")).unwrap(),
                json!(plain),
                "double-quoted {plain}"
            );
            assert_eq!(
                value(&format!("k: |-\n  {plain}\n")).unwrap(),
                json!(plain),
                "block {plain}"
            );
            assert_eq!(
                value(&format!("k: >- # note\n  {plain}\n")).unwrap(),
                json!(plain),
                "folded {plain}"
            );
            assert_eq!(
                value(&format!("k: !!str {plain}\n")).unwrap(),
                json!(plain),
                "!!str {plain}"
            );
        }
        assert_eq!(value("k:\n  y\n").unwrap(), json!("y"));
        assert_eq!(value("k:\n  yes\n").unwrap(), json!(true));
    }

    #[test]
    fn other_tags_are_errors_and_the_non_specific_tag_is_no_tag() {
        assert_eq!(value("k: ! yes\n").unwrap(), json!(true));
        assert_eq!(value("k: ! y\n").unwrap(), json!("y"));
        assert_eq!(value("k: !!int 12\n").unwrap(), json!(12));
        for (doc, tag) in [("k: !Ref x\n", "!Ref"), ("k: !!binary aGk=\n", "!!binary")] {
            let e = value(doc).unwrap_err();
            assert_eq!(e.line, Some(1));
            assert_eq!(
                e.message,
                format!(
                    "unknown tag `{tag}`; a spec holds plain values: remove the tag (quote the value for a string)"
                )
            );
        }
        // serde-saphyr refuses a timestamp itself.
        let e = value("k: !!timestamp 2020-01-01\n").unwrap_err();
        assert_eq!(
            e.message,
            "a value with this tag cannot be read; remove the tag (quote the value for a string)"
        );
    }

    #[test]
    fn text_documents_keep_the_spelling_of_plain_scalars() {
        let n = parse_yaml_as_text("a: 012345678901\nb: 1.10\nc: y\nd: yes\ne: ~\nf: '007'\n0x1F: .NaN\n").unwrap();
        assert_eq!(
            n.to_json(),
            json!({"a": "012345678901", "b": "1.10", "c": "y", "d": "yes", "e": null, "f": "007", "0x1F": ".NaN"})
        );
    }

    #[test]
    fn keys_aliases_and_lists_resolve_too() {
        let n = parse_yaml11("y: 1\nyes: &a 0777\nlist: [Y, on, *a]\n", Tags::JsonTypes).unwrap();
        assert_eq!(n.to_json(), json!({"y": 1, "true": 511, "list": ["Y", true, 511]}));
    }

    #[test]
    fn unrepresentable_numbers_are_errors_with_a_line() {
        for plain in [".inf", "-.inf", ".NaN", "123456789012345678901234567890"] {
            let e = value(&format!("a: 1\nk: {plain}\n")).unwrap_err();
            assert_eq!(e.line, Some(2), "{plain}");
            assert!(e.message.starts_with(&format!("`{plain}`: ")), "{}", e.message);
            assert!(e.message.ends_with("; quote it to pass the text"), "{}", e.message);
        }
    }

    /// When PyYAML is installed, the table is checked against it.
    #[test]
    fn table_matches_pyyaml_when_available() {
        // PyYAML cannot construct `=` (it fails); every other row goes to it.
        let doc: String = TABLE
            .iter()
            .enumerate()
            .filter(|(_, (p, _))| *p != "=")
            .map(|(i, (p, _))| format!("k{i}: {p}\n"))
            .collect();
        let script = "import sys, json, yaml, datetime\nd = yaml.safe_load(sys.stdin.read())\nprint(json.dumps({k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in d.items()}))";
        let run = std::process::Command::new("python3")
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn();
        let Ok(mut child) = run else { return };
        use std::io::Write;
        child.stdin.take().unwrap().write_all(doc.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        if !out.status.success() {
            eprintln!("PyYAML not available; the table is checked against its recorded values only");
            return;
        }
        let py: Value = serde_json::from_slice(&out.stdout).unwrap();
        for (i, (plain, expected)) in TABLE.iter().enumerate() {
            if let Some(v) = py.get(format!("k{i}")) {
                let expected: Value = serde_json::from_str(expected).unwrap();
                assert_eq!(v, &expected, "PyYAML reads {plain:?} as {v}");
            }
        }
    }
}
