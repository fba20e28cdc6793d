//! Schema `pattern`s: ECMA-262 regular expressions, translated to the regex crate's syntax; the first 64
//! distinct ones a process compiles are kept, so each of those is compiled once.

use regex::Regex;

/// How many distinct patterns [`Pattern::new`] keeps compiled.
const PATTERN_CACHE: usize = 64;

/// An ECMA-262 pattern compiled (translated to the regex crate's syntax, within a size and nesting limit), or
/// why it does not compile.
fn compile_ecma_pattern(source: &str) -> Result<Regex, String> {
    let translated = translate_ecma_pattern(source);
    regex::RegexBuilder::new(&translated)
        .size_limit(1 << 20)
        .nest_limit(64)
        .build()
        .map_err(|e| {
            let text = e.to_string();
            // The regex crate's last line is its reason, after a drawing of the pattern.
            let last = text.lines().last().unwrap_or("invalid pattern").trim();
            last.strip_prefix("error: ").unwrap_or(last).to_owned()
        })
}

/// A `pattern` with its source text (for messages) and the compiled regex.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub source: String,
    regex: Regex,
}

impl Pattern {
    /// Compile an ECMA-262 pattern. A process compiles each pattern once: synthesis checks an input's
    /// pattern, its default and every spec value against it and then builds the self-check's schema, which
    /// would otherwise compile the same few patterns many times over (a regex costs more to compile than
    /// the rest of a small template's synthesis). At most [`PATTERN_CACHE`] distinct patterns are kept, for the
    /// life of the process (each compiled within the 1 MiB size limit).
    pub fn new(source: &str) -> Result<Pattern, String> {
        type Cache = std::sync::Mutex<std::collections::HashMap<String, Result<Regex, String>>>;
        static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let cached = cache.lock().ok().and_then(|c| c.get(source).cloned());
        let compiled = cached.unwrap_or_else(|| {
            let compiled = compile_ecma_pattern(source);
            if let Ok(mut c) = cache.lock() {
                if c.len() < PATTERN_CACHE {
                    c.insert(source.to_owned(), compiled.clone());
                }
            }
            compiled
        });
        compiled.map(|regex| Pattern {
            source: source.to_owned(),
            regex,
        })
    }

    /// ECMA `RegExp.prototype.test`: a match anywhere in the value.
    pub fn is_match(&self, value: &str) -> bool {
        self.regex.is_match(value)
    }
}

/// `\d` and `\w` are ASCII-only in ECMA-262 (without the `u` flag) but Unicode-aware in Rust.
fn translate_ecma_pattern(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 8);
    let mut in_class = false;
    let mut chars = src.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('d') if in_class => out.push_str("0-9"),
                Some('d') => out.push_str("[0-9]"),
                Some('w') if in_class => out.push_str("A-Za-z0-9_"),
                Some('w') => out.push_str("[A-Za-z0-9_]"),
                Some('D') if !in_class => out.push_str("[^0-9]"),
                Some('W') if !in_class => out.push_str("[^A-Za-z0-9_]"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal in ECMA only when escaped; copy as is.
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecma_patterns_are_unanchored_and_ascii() {
        let p = Pattern::new(r"([0-9]{1,3}\.){3}[0-9]{1,3}($|/(16|24))").unwrap();
        assert!(p.is_match("10.0.0.0/16"));
        assert!(p.is_match("x10.0.0.0/24"), "not anchored at the start");
        assert!(!p.is_match("10.0.0.0/8"));
        let d = Pattern::new(r"^\d+$").unwrap();
        assert!(d.is_match("123") && !d.is_match("١٢٣"));
        assert!(Pattern::new(r"(?=x)").is_err());
    }

    /// Past the cache's room patterns are still compiled, and a cached pattern (valid or not) gives what a
    /// first compile gives.
    #[test]
    fn patterns_compile_alike_cached_or_not() {
        for round in 0..2 {
            for n in 0..PATTERN_CACHE + 8 {
                let p = Pattern::new(&format!("^a{{{n}}}$")).unwrap();
                assert!(
                    p.is_match(&"a".repeat(n)) && !p.is_match(&"a".repeat(n + 1)),
                    "{n}, round {round}"
                );
            }
            let bad = Pattern::new("(unclosed").unwrap_err();
            assert_eq!(Pattern::new("(unclosed").unwrap_err(), bad);
        }
    }
}
