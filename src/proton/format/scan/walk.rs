//! The walker of the scanner: the scopes `for`, `set`, `with`, `macro` and `call` open, and each reference
//! resolved to a path from a global name.

use std::collections::HashMap;

use super::lex::{Tok, Token};
use super::{Notice, Reference, ScanResult, Segment, Target};

/// What a local name stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Binding {
    /// The value at this global path.
    Path(Vec<Segment>),
    Untracked,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Scope {
    /// The statement that opened it (`for`, `with`, …); empty for the template's top level.
    opener: String,
    names: HashMap<String, Binding>,
}

pub(super) struct Walker {
    pub(super) scopes: Vec<Scope>,
    pub(super) out: ScanResult,
    /// The macros whose bodies are being walked, innermost last.
    pub(super) macros: Vec<String>,
    /// `(macro, name)`: the calls inside macro bodies.
    pub(super) body_calls: Vec<(String, String)>,
    /// `(line, name, macros defined so far)`: calls of defined names at the top level.
    pub(super) top_calls: Vec<(usize, String, usize)>,
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

fn name_of<'a>(t: Option<&Token<'a>>) -> Option<&'a str> {
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
    pub(super) fn expression(&mut self, toks: &[Token]) {
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
                self.out.filters.push((toks[i].line, name.to_string()));
            } else if is_test && !KEYWORDS.contains(name) {
                self.out.tests.push((toks[i].line, name.to_string()));
            }
            if is_op(prev, ".") || is_op(prev, "|") || is_test || is_kwarg || KEYWORDS.contains(name) {
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
                    self.top_calls.push((line, root.to_string(), self.out.macros.len()));
                    Target::Untracked
                }
                (Some(_), Some(current)) => {
                    self.body_calls.push((current.clone(), root.to_string()));
                    Target::Untracked
                }
                (None, Some(current)) => {
                    self.body_calls.push((current.clone(), root.to_string()));
                    self.out.calls_in_macros.push((line, root.to_string()));
                    Target::Untracked
                }
                (None, None) => Target::Function(root.to_string()),
            };
            self.out.references.push(Reference {
                line,
                text: root.to_string(),
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

    pub(super) fn statement(&mut self, toks: &[Token], line: usize) {
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
pub(super) fn last_filter(toks: &[Token]) -> Option<String> {
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
                    out.push(n.to_string());
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
                    segments.push(Segment::Attr(a.to_string()));
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
                    text.push_str(&format!("[{}]", serde_json::Value::from(s.as_ref())));
                    segments.push(Segment::Attr(s.to_string()));
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
