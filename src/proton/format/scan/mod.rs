//! A small walker over Jinja template source that lists every variable reference with its line.
//!
//! minijinja's `Template::undeclared_variables` gives dotted names but neither lines nor what a loop
//! variable iterates over. This walker tokenizes the `{{ }}` and `{% %}` tags (skipping `{# #}` comments
//! and `{% raw %}` blocks), tracks the scopes that `for`, `set`, `with`, `macro` and `call` open, and
//! resolves each reference to a path from a global name: inside
//! `{% for service_instance in service_instances %}`, `service_instance.inputs.port` becomes
//! `service_instances[*].inputs.port`. Syntax errors are left to minijinja.

mod lex;
mod macros;
mod walk;

pub(crate) use lex::{lex, lex_all, Lexed, Tag, TagKind, Tok};
use walk::{last_filter, Scope, Walker};

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// `.name` or `["name"]`.
    Attr(String),
    /// `[0]`.
    Index(i64),
    /// An element of a list a `for` loop iterates over.
    Each,
    /// `[expr]` that is not a literal: the rest of the path is unknown.
    Dynamic,
}

/// What a reference points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A path from a global (context) name; the first segment is `Attr(name)`.
    Global(Vec<Segment>),
    /// A call of a global function such as `range(…)`.
    Function(String),
    /// A local whose value cannot be traced (loop metadata, `set` from an expression, macro arguments).
    Untracked,
}

/// A variable reference in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub line: usize,
    /// As written, e.g. `service_instance.inputs.port`.
    pub text: String,
    pub target: Target,
}

/// Something the walker noticed that is not a variable (e.g. `{% include %}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub line: usize,
    pub message: String,
    pub is_error: bool,
}

/// One `{{ … }}` expression: the references it contains and the filter applied last to its whole value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    pub line: usize,
    /// Indices into [`ScanResult::references`].
    pub references: std::ops::Range<usize>,
    /// `tojson` in `{{ x | lower | tojson }}`; `None` when the expression does not end with a filter.
    pub last_filter: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct ScanResult {
    pub references: Vec<Reference>,
    pub notices: Vec<Notice>,
    pub placeholders: Vec<Placeholder>,
    /// Filters used (`x | name`, `{% filter name %}`), with their line.
    pub filters: Vec<(usize, String)>,
    /// Tests used (`x is name`), with their line.
    pub tests: Vec<(usize, String)>,
    /// Macros defined, with the line of their `{% macro %}`.
    pub macros: Vec<(usize, String)>,
    /// Functions called inside a macro body (resolved when the macro runs), with their line.
    pub calls_in_macros: Vec<(usize, String)>,
    /// `(line, macro, callee)`: a call of `macro` on `line` whose body (or a macro it calls) calls
    /// `callee`, which was not defined yet at that point ([`macros::late_calls`]).
    pub late_calls: Vec<(usize, String, String)>,
    /// Paths (as written) that the template allows to be undefined: `x is defined`, `x is undefined`,
    /// `x | default(…)`, `x | d(…)`.
    pub guarded: Vec<String>,
}

/// Walk a template's source.
pub fn scan(source: &str) -> ScanResult {
    scan_tags(&lex(source))
}

/// [`scan`] of a template already lexed.
pub(crate) fn scan_tags(tags: &[Tag<'_>]) -> ScanResult {
    let mut walker = Walker {
        scopes: vec![Scope::default()],
        out: ScanResult::default(),
        macros: Vec::new(),
        body_calls: Vec::new(),
        top_calls: Vec::new(),
    };
    for tag in tags {
        match tag.kind {
            TagKind::Expr => {
                let first = walker.out.references.len();
                walker.expression(&tag.tokens);
                walker.out.placeholders.push(Placeholder {
                    line: tag.line,
                    references: first..walker.out.references.len(),
                    last_filter: last_filter(&tag.tokens),
                });
            }
            TagKind::Stmt => walker.statement(&tag.tokens, tag.line),
        }
    }
    walker.out.late_calls = macros::late_calls(&walker.out.macros, &walker.body_calls, &walker.top_calls);
    walker.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globals(src: &str) -> Vec<(usize, String)> {
        scan(src)
            .references
            .into_iter()
            .filter(|r| matches!(r.target, Target::Global(_)))
            .map(|r| (r.line, r.text))
            .collect()
    }

    #[test]
    fn finds_paths_with_lines() {
        let src = "a: '{{ service.name }}'\n{# {{ hidden }} #}\nb: {{ x.y['z'] | default(q.r) | truncate(3, true) }}\n";
        assert_eq!(
            globals(src),
            vec![(1, "service.name".into()), (3, "x.y[\"z\"]".into()), (3, "q.r".into())]
        );
    }

    #[test]
    fn resolves_loop_variables() {
        let src = "{% for si in service_instances %}{{ si.inputs.port }}{{ loop.index }}{% endfor %}{{ si.name }}";
        let r = scan(src).references;
        let paths: Vec<_> = r.iter().map(|r| r.target.clone()).collect();
        let attr = |s: &str| Segment::Attr(s.to_owned());
        assert_eq!(paths[0], Target::Global(vec![attr("service_instances")]));
        assert_eq!(
            paths[1],
            Target::Global(vec![
                attr("service_instances"),
                Segment::Each,
                attr("inputs"),
                attr("port")
            ])
        );
        assert_eq!(paths[2], Target::Untracked);
        assert_eq!(
            paths[3],
            Target::Global(vec![attr("si"), attr("name")]),
            "outside the loop"
        );
    }

    #[test]
    fn skips_raw_blocks_tests_and_strings() {
        let src = "{% raw %}{{ nope }}{% endraw %}{% if a is not defined and b is divisibleby(2) %}'{{ \"{{x}}\" }}'{% endif %}";
        assert_eq!(globals(src), vec![(1, "a".into()), (1, "b".into())]);
    }

    #[test]
    fn many_braces_are_fine() {
        let src = format!("{}{{{{ a }}}}", "{ ".repeat(200_000));
        assert_eq!(globals(&src), vec![(1, "a".into())]);
    }

    #[test]
    fn lists_placeholders_with_their_last_filter() {
        let src = "a: {{ x | tojson }}\nb: '{{ (y ~ z) | truncate(3, true) }}'\nc: {{ w | tojson if w else 1 }}\n";
        let p = scan(src).placeholders;
        let got: Vec<_> = p
            .iter()
            .map(|p| (p.line, p.references.len(), p.last_filter.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![(1, 1, Some("tojson")), (2, 2, Some("truncate")), (3, 2, None)]
        );
    }

    #[test]
    fn reports_include() {
        let n = scan("x\n{% include 'other.yaml' %}").notices;
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].line, 2);
        assert!(n[0].is_error);
    }
}
