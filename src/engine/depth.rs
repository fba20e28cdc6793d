//! Templates nested deeper than the engine can compile safely. minijinja's parser limits nested blocks
//! and parentheses, but a chain of operators (`1 + 1 + …`, `x|abs|abs…`, `a.b.c…`, `x[0][0]…`) or of
//! `elif`s builds a tree as deep as the chain is long, and compiling a 200 KB chain would overflow the
//! stack. Jinja2 fails on such templates too (Python's recursion limit: chains of a few hundred to a few
//! thousand), so they are rejected before compiling, with the line of the offending tag.

use crate::proton::format::scan::{lex, Tag, TagKind, Tok};

/// The most operators one tag may chain (Jinja2 compiles ~300 `+` or filters, not ~900).
pub const MAX_TAG_OPERATORS: usize = 300;

/// The most `elif`s one `if` may have.
pub const MAX_ELIFS: usize = 300;

/// The first tag that is too deep: its line and what to do.
pub fn too_deep(source: &str) -> Option<(usize, String)> {
    too_deep_tags(&lex(source))
}

/// [`too_deep`] of a template already lexed.
pub fn too_deep_tags(tags: &[Tag<'_>]) -> Option<(usize, String)> {
    let mut elifs: Vec<usize> = Vec::new();
    for tag in tags {
        let operators = tag.tokens.iter().filter(|t| is_operator(&t.tok)).count();
        if operators > MAX_TAG_OPERATORS {
            return Some((
                tag.line,
                format!(
                    "this tag chains {operators} operators, more than the {MAX_TAG_OPERATORS} a template may \
                     (Jinja2 cannot compile such deep expressions either); split it with `{{% set %}}`"
                ),
            ));
        }
        if tag.kind != TagKind::Stmt {
            continue;
        }
        match tag.tokens.first().map(|t| &t.tok) {
            Some(Tok::Name("if")) => elifs.push(0),
            Some(Tok::Name("endif")) => {
                elifs.pop();
            }
            Some(Tok::Name("elif")) => {
                let Some(count) = elifs.last_mut() else { continue };
                *count += 1;
                if *count > MAX_ELIFS {
                    return Some((
                        tag.line,
                        format!(
                            "this `if` has more than {MAX_ELIFS} `elif`s; use a lookup in a dict \
                             (`{{{{ {{'a': 1, 'b': 2}}[key] }}}}`) instead"
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether a token makes the expression tree one level deeper when chained.
fn is_operator(tok: &Tok) -> bool {
    match tok {
        Tok::Op(o) => !matches!(*o, "," | ":" | ")" | "]" | "}" | "=" | "?"),
        Tok::Name(n) => matches!(*n, "and" | "or" | "not" | "is" | "in" | "if" | "else"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_chains_per_tag_and_elifs_per_if() {
        let chain = |op: &str, n: usize| format!("a\n{{{{ 1{} }}}}", op.repeat(n));
        assert_eq!(too_deep(&chain("+1", 300)), None);
        assert_eq!(too_deep(&chain("+1", 301)).map(|(l, _)| l), Some(2));
        assert_eq!(too_deep(&chain("|abs", 301)).map(|(l, _)| l), Some(2));
        assert_eq!(too_deep(&format!("{{{{ [{}] }}}}", "1,".repeat(5000))), None);
        let elifs = |n: usize| format!("{{% if a %}}{}{{% endif %}}", "{% elif a %}".repeat(n));
        assert_eq!(too_deep(&elifs(300)), None);
        assert!(too_deep(&elifs(301)).is_some_and(|(_, m)| m.contains("more than 300 `elif`s")));
        // Many small tags and many separate ifs are fine.
        assert_eq!(
            too_deep(&"{{ a + b }}{% if a %}{% elif b %}{% endif %}".repeat(2000)),
            None
        );
    }
}
