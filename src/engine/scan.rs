//! A small walker over Jinja template source that lists every variable reference with its line.
//!
//! minijinja's `Template::undeclared_variables` gives dotted names but neither lines nor what a loop
//! variable iterates over. This walker tokenizes the `{{ }}` and `{% %}` tags (skipping `{# #}` comments
//! and `{% raw %}` blocks), tracks the scopes that `for`, `set`, `with`, `macro` and `call` open, and
//! resolves each reference to a path from a global name: inside
//! `{% for service_instance in service_instances %}`, `service_instance.inputs.port` becomes
//! `service_instances[*].inputs.port`. Syntax errors are left to minijinja.

use std::collections::HashMap;

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
    /// `callee`, which was not defined yet at that point ([`super::macros::late_calls`]).
    pub late_calls: Vec<(usize, String, String)>,
    /// Paths (as written) that the template allows to be undefined: `x is defined`, `x is undefined`,
    /// `x | default(…)`, `x | d(…)`.
    pub guarded: Vec<String>,
}

/// Walk a template's source.
pub fn scan(source: &str) -> ScanResult {
    let mut walker = Walker {
        scopes: vec![Scope::default()],
        out: ScanResult::default(),
        macros: Vec::new(),
        body_calls: Vec::new(),
        top_calls: Vec::new(),
    };
    for tag in lex(source) {
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
    walker.out.late_calls = super::macros::late_calls(&walker.out.macros, &walker.body_calls, &walker.top_calls);
    walker.out
}

// ---------------------------------------------------------------------------------------------------------
// Lexer

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Name(String),
    Str(String),
    Int(i64),
    Num,
    Op(&'static str),
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TagKind {
    Expr,
    Stmt,
}

#[derive(Clone, Debug)]
pub(super) struct Tag {
    pub(super) kind: TagKind,
    pub(super) line: usize,
    pub(super) tokens: Vec<Token>,
}

const OPERATORS: &[&str] = &[
    "**", "//", "==", "!=", ">=", "<=", ".", "|", "(", ")", "[", "]", "{", "}", ",", ":", "=", "<", ">", "+", "-", "*",
    "/", "%", "~", "!",
];

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn advance(&mut self, n: usize) {
        let end = (self.pos + n).min(self.src.len());
        self.line += self.src[self.pos..end].matches('\n').count();
        self.pos = end;
    }

    /// Skip template data up to the next tag opener; returns it (`{{`, `{%` or `{#`).
    fn next_opener(&mut self) -> Option<&'static str> {
        loop {
            let rest = self.rest();
            let Some(i) = rest.find('{') else {
                self.advance(rest.len());
                return None;
            };
            let tail = &rest[i..];
            self.advance(i);
            match ["{{", "{%", "{#"].into_iter().find(|o| tail.starts_with(o)) {
                Some(o) => return Some(o),
                None => self.advance(1),
            }
        }
    }

    fn skip_ws(&mut self) {
        let n = self.rest().len() - self.rest().trim_start().len();
        self.advance(n);
    }

    /// Tokens up to the closer (`}}` or `%}`), honouring brackets and strings.
    fn tokens(&mut self, closer: &str) -> Vec<Token> {
        let mut out = Vec::new();
        let mut depth = 0usize;
        if self.rest().starts_with(['-', '+']) {
            self.advance(1);
        }
        loop {
            self.skip_ws();
            let rest = self.rest();
            if rest.is_empty() {
                return out;
            }
            if depth == 0 {
                for ws in ["", "-", "+"] {
                    if rest.starts_with(ws) && rest[ws.len()..].starts_with(closer) {
                        self.advance(ws.len() + closer.len());
                        return out;
                    }
                }
            }
            let line = self.line;
            let c = rest.chars().next().unwrap_or(' ');
            let tok = if c == '"' || c == '\'' {
                self.string(c)
            } else if c.is_ascii_digit() {
                self.number()
            } else if c.is_alphabetic() || c == '_' {
                let n = rest
                    .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                    .unwrap_or(rest.len());
                self.advance(n);
                Tok::Name(rest[..n].to_owned())
            } else if let Some(op) = OPERATORS.iter().find(|o| rest.starts_with(**o)) {
                self.advance(op.len());
                match *op {
                    "(" | "[" | "{" => depth += 1,
                    ")" | "]" | "}" => depth = depth.saturating_sub(1),
                    _ => {}
                }
                Tok::Op(op)
            } else {
                self.advance(c.len_utf8());
                Tok::Op("?")
            };
            out.push(Token { tok, line });
        }
    }

    fn string(&mut self, quote: char) -> Tok {
        let rest = self.rest();
        let mut value = String::new();
        let mut chars = rest.char_indices().skip(1);
        let mut end = rest.len();
        while let Some((i, ch)) = chars.next() {
            match ch {
                '\\' => {
                    if let Some((_, esc)) = chars.next() {
                        value.push(match esc {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                    }
                }
                c if c == quote => {
                    end = i + 1;
                    break;
                }
                c => value.push(c),
            }
        }
        self.advance(end);
        Tok::Str(value)
    }

    fn number(&mut self) -> Tok {
        let rest = self.rest();
        let n = rest
            .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '.'))
            .unwrap_or(rest.len());
        // `1.x` is not a float: stop a number at a dot not followed by a digit.
        let text = &rest[..n];
        let text = match text.find('.') {
            Some(d) if !text[d + 1..].starts_with(|c: char| c.is_ascii_digit()) => &text[..d],
            _ => text,
        };
        self.advance(text.len());
        match text.replace('_', "").parse::<i64>() {
            Ok(i) => Tok::Int(i),
            Err(_) => Tok::Num,
        }
    }

    fn skip_comment(&mut self) {
        match self.rest().find("#}") {
            Some(i) => self.advance(i + 2),
            None => self.advance(self.rest().len()),
        }
    }

    /// After `{% raw %}`: skip to the end of `{% endraw %}`.
    fn skip_raw(&mut self) {
        let rest = self.rest();
        let mut from = 0;
        while let Some(i) = rest[from..].find("{%") {
            let at = from + i;
            let inner = rest[at + 2..].trim_start_matches(['-', '+']).trim_start();
            if let Some(after) = inner.strip_prefix("endraw") {
                let after = after.trim_start().trim_start_matches(['-', '+']);
                if after.starts_with("%}") {
                    let consumed = rest.len() - after.len() + 2;
                    self.advance(consumed);
                    return;
                }
            }
            from = at + 2;
        }
        self.advance(rest.len());
    }
}

/// The `{{ }}` and `{% %}` tags of a template, tokenized (comments and raw blocks skipped).
pub(super) fn lex(source: &str) -> Vec<Tag> {
    let mut lx = Lexer {
        src: source,
        pos: 0,
        line: 1,
    };
    let mut tags = Vec::new();
    while let Some(opener) = lx.next_opener() {
        let line = lx.line;
        lx.advance(2);
        match opener {
            "{#" => lx.skip_comment(),
            "{{" => {
                let tokens = lx.tokens("}}");
                tags.push(Tag {
                    kind: TagKind::Expr,
                    line,
                    tokens,
                });
            }
            _ => {
                let tokens = lx.tokens("%}");
                let is_raw = matches!(tokens.first().map(|t| &t.tok), Some(Tok::Name(n)) if n == "raw");
                if is_raw {
                    lx.skip_raw();
                } else {
                    tags.push(Tag {
                        kind: TagKind::Stmt,
                        line,
                        tokens,
                    });
                }
            }
        }
    }
    tags
}

// ---------------------------------------------------------------------------------------------------------
// Walker

/// What a local name stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Binding {
    /// The value at this global path.
    Path(Vec<Segment>),
    Untracked,
}

#[derive(Clone, Debug, Default)]
struct Scope {
    /// The statement that opened it (`for`, `with`, …); empty for the template's top level.
    opener: String,
    names: HashMap<String, Binding>,
}

struct Walker {
    scopes: Vec<Scope>,
    out: ScanResult,
    /// The macros whose bodies are being walked, innermost last.
    macros: Vec<String>,
    /// `(macro, name)`: the calls inside macro bodies.
    body_calls: Vec<(String, String)>,
    /// `(line, name, macros defined so far)`: calls of defined names at the top level.
    top_calls: Vec<(usize, String, usize)>,
}

const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "is",
    "if",
    "else",
    "true",
    "false",
    "none",
    "True",
    "False",
    "None",
    "recursive",
];

fn name_of(t: Option<&Token>) -> Option<&str> {
    match t.map(|t| &t.tok) {
        Some(Tok::Name(n)) => Some(n),
        _ => None,
    }
}

fn is_op(t: Option<&Token>, op: &str) -> bool {
    matches!(t.map(|t| &t.tok), Some(Tok::Op(o)) if *o == op)
}

impl Walker {
    fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.names.get(name))
    }

    fn declare(&mut self, name: &str, binding: Binding) {
        if let Some(s) = self.scopes.last_mut() {
            s.names.insert(name.to_owned(), binding);
        }
    }

    fn push(&mut self, opener: &str, names: Vec<(String, Binding)>) {
        self.scopes.push(Scope {
            opener: opener.to_owned(),
            names: names.into_iter().collect(),
        });
    }

    fn pop(&mut self, opener: &str) {
        if self.scopes.len() > 1 && self.scopes.last().is_some_and(|s| s.opener == opener) {
            self.scopes.pop();
        }
    }

    fn notice(&mut self, line: usize, message: String, is_error: bool) {
        self.out.notices.push(Notice {
            line,
            message,
            is_error,
        });
    }

    /// Record every reference in an expression's tokens.
    fn expression(&mut self, toks: &[Token]) {
        let mut i = 0;
        while i < toks.len() {
            let Tok::Name(name) = &toks[i].tok else {
                i += 1;
                continue;
            };
            let prev = i.checked_sub(1).map(|p| &toks[p]);
            let before_prev = i.checked_sub(2).map(|p| &toks[p]);
            let is_test =
                name_of(prev) == Some("is") || (name_of(prev) == Some("not") && name_of(before_prev) == Some("is"));
            let is_kwarg = is_op(toks.get(i + 1), "=");
            if is_op(prev, "|") {
                self.out.filters.push((toks[i].line, name.clone()));
            } else if is_test && !KEYWORDS.contains(&name.as_str()) {
                self.out.tests.push((toks[i].line, name.clone()));
            }
            if is_op(prev, ".") || is_op(prev, "|") || is_test || is_kwarg || KEYWORDS.contains(&name.as_str()) {
                i += 1;
                continue;
            }
            i = self.path_at(toks, i);
        }
    }

    /// A path starting at the name `toks[start]`; records it and returns the index after it.
    fn path_at(&mut self, toks: &[Token], start: usize) -> usize {
        let Tok::Name(root) = &toks[start].tok else {
            return start + 1;
        };
        let (segments, text, mut i) = read_path(toks, start);
        let called = is_op(toks.get(i), "(");
        let line = toks[start].line;
        let mut segments = segments;
        if called && segments.is_empty() {
            let target = match (self.lookup(root), self.macros.last()) {
                (Some(_), None) => {
                    self.top_calls.push((line, root.clone(), self.out.macros.len()));
                    Target::Untracked
                }
                (Some(_), Some(current)) => {
                    self.body_calls.push((current.clone(), root.clone()));
                    Target::Untracked
                }
                (None, Some(current)) => {
                    self.body_calls.push((current.clone(), root.clone()));
                    self.out.calls_in_macros.push((line, root.clone()));
                    Target::Untracked
                }
                (None, None) => Target::Function(root.clone()),
            };
            self.out.references.push(Reference {
                line,
                text: root.clone(),
                target,
            });
            return i;
        }
        if called {
            segments.pop(); // a method such as `.items()`
        }
        let target = self.resolve(root, segments);
        if is_guard(&toks[i.min(toks.len())..]) {
            self.out.guarded.push(text.clone());
        }
        self.out.references.push(Reference { line, text, target });
        if matches!(toks.get(i).map(|t| &t.tok), Some(Tok::Op("["))) {
            i += 1; // a dynamic subscript: its inside is an expression of its own
        }
        i
    }

    fn resolve(&self, root: &str, segments: Vec<Segment>) -> Target {
        match self.lookup(root) {
            None => {
                let mut path = vec![Segment::Attr(root.to_owned())];
                path.extend(segments);
                Target::Global(path)
            }
            Some(Binding::Path(base)) => {
                let mut path = base.clone();
                path.extend(segments);
                Target::Global(path)
            }
            Some(Binding::Untracked) => Target::Untracked,
        }
    }

    /// The binding of an expression that is exactly one path (for `for … in X` and `set y = X`).
    fn binding_of(&self, toks: &[Token]) -> Binding {
        if toks.is_empty() || name_of(toks.first()).is_none() {
            return Binding::Untracked;
        }
        let (segments, _, end) = read_path(toks, 0);
        if end != toks.len() || segments.contains(&Segment::Dynamic) {
            return Binding::Untracked;
        }
        let root = name_of(toks.first()).unwrap_or_default();
        match self.resolve(root, segments) {
            Target::Global(p) => Binding::Path(p),
            _ => Binding::Untracked,
        }
    }

    fn statement(&mut self, toks: &[Token], line: usize) {
        let Some(keyword) = name_of(toks.first()) else {
            return;
        };
        let rest = &toks[1..];
        match keyword {
            "for" => self.for_loop(rest),
            "endfor" => self.pop("for"),
            "if" | "elif" => self.expression(rest),
            "set" => self.set(rest),
            "with" => self.with(rest),
            "endwith" => self.pop("with"),
            "macro" => {
                if let Some(name) = name_of(rest.first()) {
                    self.out.macros.push((line, name.to_owned()));
                    self.macros.push(name.to_owned());
                }
                self.macro_def(rest)
            }
            "endmacro" => {
                self.macros.pop();
                self.pop("macro")
            }
            "call" => self.call(rest),
            "endcall" => self.pop("call"),
            "filter" => {
                if let Some(name) = name_of(rest.first()) {
                    self.out.filters.push((line, name.to_owned()));
                }
                self.expression(&rest[rest.len().min(1)..]);
            }
            "autoescape" => self.expression(&rest[rest.len().min(1)..]),
            "include" | "import" | "from" | "extends" => self.notice(
                line,
                format!("`{{% {keyword} %}}` is not supported: Proton renders each infrastructure file on its own, with no other template to load"),
                true,
            ),
            "break" | "continue" | "do" => self.notice(
                line,
                format!("`{{% {keyword} %}}` needs a Jinja extension that Proton's Jinja may not enable; avoid it"),
                false,
            ),
            _ => {}
        }
    }

    fn for_loop(&mut self, toks: &[Token]) {
        let Some(in_at) = toks.iter().position(|t| name_of(Some(t)) == Some("in")) else {
            return;
        };
        let targets: Vec<String> = toks[..in_at]
            .iter()
            .filter_map(|t| name_of(Some(t)).map(str::to_owned))
            .collect();
        let cond_at = toks[in_at + 1..]
            .iter()
            .position(|t| matches!(name_of(Some(t)), Some("if") | Some("recursive")))
            .map_or(toks.len(), |p| p + in_at + 1);
        let iterable = &toks[in_at + 1..cond_at];
        self.expression(iterable);
        let item = match (self.binding_of(iterable), targets.len()) {
            (Binding::Path(mut p), 1) => {
                p.push(Segment::Each);
                Binding::Path(p)
            }
            _ => Binding::Untracked,
        };
        let mut names: Vec<(String, Binding)> = targets.into_iter().map(|t| (t, item.clone())).collect();
        names.push(("loop".to_owned(), Binding::Untracked));
        self.push("for", names);
        if cond_at < toks.len() {
            self.expression(&toks[cond_at + 1..]);
        }
    }

    fn set(&mut self, toks: &[Token]) {
        match toks.iter().position(|t| is_op(Some(t), "=")) {
            Some(eq) => {
                let value = &toks[eq + 1..];
                self.expression(value);
                let targets = &toks[..eq];
                if is_op(targets.get(1), ".") {
                    // `set ns.attr = …` assigns into a namespace object.
                    self.expression(&targets[..1]);
                    return;
                }
                let names: Vec<String> = targets
                    .iter()
                    .filter_map(|t| name_of(Some(t)).map(str::to_owned))
                    .collect();
                let binding = if names.len() == 1 {
                    self.binding_of(value)
                } else {
                    Binding::Untracked
                };
                for n in names {
                    self.declare(&n, binding.clone());
                }
            }
            None => {
                // Block set: `{% set x %}…{% endset %}`, possibly with filters.
                if let Some(n) = name_of(toks.first()) {
                    self.declare(n, Binding::Untracked);
                }
            }
        }
    }

    fn with(&mut self, toks: &[Token]) {
        let mut names = Vec::new();
        for (i, t) in toks.iter().enumerate() {
            if let (Some(n), true) = (name_of(Some(t)), is_op(toks.get(i + 1), "=")) {
                let end = toks[i + 2..]
                    .iter()
                    .position(|t| is_op(Some(t), ","))
                    .map_or(toks.len(), |p| p + i + 2);
                let value = &toks[i + 2..end];
                self.expression(value);
                names.push((n.to_owned(), self.binding_of(value)));
            }
        }
        self.push("with", names);
    }

    fn macro_def(&mut self, toks: &[Token]) {
        if let Some(n) = name_of(toks.first()) {
            self.declare(n, Binding::Untracked);
        }
        let args = macro_args(toks.get(1..).unwrap_or_default());
        self.default_values(toks.get(1..).unwrap_or_default());
        let mut names: Vec<(String, Binding)> = args.into_iter().map(|a| (a, Binding::Untracked)).collect();
        for implicit in ["varargs", "kwargs", "caller"] {
            names.push((implicit.to_owned(), Binding::Untracked));
        }
        self.push("macro", names);
    }

    fn call(&mut self, toks: &[Token]) {
        let (args, rest) = if is_op(toks.first(), "(") {
            let close = closing_paren(toks, 0);
            (
                macro_args(&toks[..close.min(toks.len())]),
                &toks[close.min(toks.len())..],
            )
        } else {
            (Vec::new(), toks)
        };
        self.expression(rest);
        self.push("call", args.into_iter().map(|a| (a, Binding::Untracked)).collect());
    }

    /// The default values in a macro signature are expressions.
    fn default_values(&mut self, sig: &[Token]) {
        for (i, t) in sig.iter().enumerate() {
            if is_op(Some(t), "=") {
                let end = sig[i + 1..]
                    .iter()
                    .position(|t| is_op(Some(t), ",") || is_op(Some(t), ")"))
                    .map_or(sig.len(), |p| p + i + 1);
                self.expression(&sig[i + 1..end]);
            }
        }
    }
}

/// The filter applied last to a whole expression: `| name` at bracket depth 0, followed by nothing or
/// by its argument list only.
fn last_filter(toks: &[Token]) -> Option<String> {
    let mut depth = 0usize;
    let mut last = None;
    for (i, t) in toks.iter().enumerate() {
        match &t.tok {
            Tok::Op("(") | Tok::Op("[") | Tok::Op("{") => depth += 1,
            Tok::Op(")") | Tok::Op("]") | Tok::Op("}") => depth = depth.saturating_sub(1),
            Tok::Op("|") if depth == 0 => last = Some(i),
            _ => {}
        }
    }
    let at = last?;
    let name = name_of(toks.get(at + 1))?;
    let rest = at + 2;
    let ends_here = rest == toks.len() || (is_op(toks.get(rest), "(") && closing_paren(toks, rest) == toks.len());
    ends_here.then(|| name.to_owned())
}

/// Whether the tokens after a path make it a test for undefined or give it a default.
fn is_guard(after: &[Token]) -> bool {
    let name = |i: usize| name_of(after.get(i));
    match name(0) {
        Some("is") => {
            let test = if name(1) == Some("not") { name(2) } else { name(1) };
            matches!(test, Some("defined" | "undefined"))
        }
        _ => is_op(after.first(), "|") && matches!(name(1), Some("default" | "d")),
    }
}

/// Names of the parameters in `(a, b=1, c)`.
fn macro_args(sig: &[Token]) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    for (i, t) in sig.iter().enumerate() {
        match &t.tok {
            Tok::Op("(") | Tok::Op("[") | Tok::Op("{") => depth += 1,
            Tok::Op(")") | Tok::Op("]") | Tok::Op("}") => depth = depth.saturating_sub(1),
            Tok::Name(n) if depth == 1 => {
                let prev_sep = i == 0 || is_op(sig.get(i - 1), "(") || is_op(sig.get(i - 1), ",");
                if prev_sep {
                    out.push(n.clone());
                }
            }
            _ => {}
        }
    }
    out
}

fn closing_paren(toks: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        match &t.tok {
            Tok::Op("(") => depth += 1,
            Tok::Op(")") => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

/// Read `name(.attr | ["key"] | [0])*` from `start`; a non-literal subscript ends the path with
/// [`Segment::Dynamic`] and leaves the index at the `[`.
fn read_path(toks: &[Token], start: usize) -> (Vec<Segment>, String, usize) {
    let mut text = name_of(toks.get(start)).unwrap_or_default().to_owned();
    let mut segments = Vec::new();
    let mut i = start + 1;
    loop {
        if is_op(toks.get(i), ".") {
            match toks.get(i + 1).map(|t| &t.tok) {
                Some(Tok::Name(a)) => {
                    text.push('.');
                    text.push_str(a);
                    segments.push(Segment::Attr(a.clone()));
                    i += 2;
                }
                Some(Tok::Int(n)) => {
                    text.push_str(&format!(".{n}"));
                    segments.push(Segment::Index(*n));
                    i += 2;
                }
                _ => return (segments, text, i),
            }
        } else if is_op(toks.get(i), "[") {
            match (toks.get(i + 1).map(|t| &t.tok), is_op(toks.get(i + 2), "]")) {
                (Some(Tok::Str(s)), true) => {
                    text.push_str(&format!("[{}]", serde_json::Value::from(s.as_str())));
                    segments.push(Segment::Attr(s.clone()));
                    i += 3;
                }
                (Some(Tok::Int(n)), true) => {
                    text.push_str(&format!("[{n}]"));
                    segments.push(Segment::Index(*n));
                    i += 3;
                }
                _ => {
                    segments.push(Segment::Dynamic);
                    return (segments, text, i);
                }
            }
        } else {
            return (segments, text, i);
        }
    }
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
