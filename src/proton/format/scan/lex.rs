//! The lexer of the scanner: a template's `{{ }}` and `{% %}` tags as tokens, with their lines (comments and
//! `{% raw %}` blocks skipped).

use std::borrow::Cow;

/// A token, borrowing from the source (a string literal is owned only when it has escapes).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok<'a> {
    Name(&'a str),
    Str(Cow<'a, str>),
    Int(i64),
    Num,
    Op(&'static str),
}

#[derive(Clone, Debug)]
pub(crate) struct Token<'a> {
    pub(crate) tok: Tok<'a>,
    pub(crate) line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TagKind {
    Expr,
    Stmt,
}

#[derive(Clone, Debug)]
pub(crate) struct Tag<'a> {
    pub(crate) kind: TagKind,
    pub(crate) line: usize,
    pub(crate) tokens: Vec<Token<'a>>,
    /// Where the tag is in the source, its delimiters included.
    pub(crate) span: std::ops::Range<usize>,
}

/// A template's tags, and whether the lexer skipped a comment or a `{% raw %}` block (which [`Tag`]s do not
/// show).
pub(crate) struct Lexed<'a> {
    pub(crate) tags: Vec<Tag<'a>>,
    pub(crate) skipped: bool,
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
        self.line += count_newlines(&self.src.as_bytes()[self.pos..end]);
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
    fn tokens(&mut self, closer: &str) -> Vec<Token<'a>> {
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
                Tok::Name(&rest[..n])
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

    fn string(&mut self, quote: char) -> Tok<'a> {
        let rest = self.rest();
        let body = &rest[quote.len_utf8()..];
        // Without escapes the literal is a slice of the source.
        if let Some(i) = body.find([quote, '\\']) {
            if body[i..].starts_with(quote) {
                self.advance(quote.len_utf8() + i + quote.len_utf8());
                return Tok::Str(Cow::Borrowed(&body[..i]));
            }
        }
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
        Tok::Str(Cow::Owned(value))
    }

    fn number(&mut self) -> Tok<'a> {
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

/// The number of `\n` bytes: 32 at a time into a byte counter (which vectorizes; `str::matches` calls memchr
/// once per line, and a `usize` count per byte does not vectorize).
fn count_newlines(bytes: &[u8]) -> usize {
    let mut chunks = bytes.chunks_exact(32);
    let mut n = 0;
    for chunk in &mut chunks {
        n += usize::from(chunk.iter().map(|&b| u8::from(b == b'\n')).sum::<u8>());
    }
    n + chunks.remainder().iter().filter(|&&b| b == b'\n').count()
}

/// The `{{ }}` and `{% %}` tags of a template, tokenized (comments and raw blocks skipped).
pub(crate) fn lex(source: &str) -> Vec<Tag<'_>> {
    lex_all(source).tags
}

/// [`lex`], and whether anything was skipped.
pub(crate) fn lex_all(source: &str) -> Lexed<'_> {
    let mut lx = Lexer {
        src: source,
        pos: 0,
        line: 1,
    };
    let mut tags = Vec::new();
    let mut skipped = false;
    while let Some(opener) = lx.next_opener() {
        let (line, start) = (lx.line, lx.pos);
        lx.advance(2);
        let kind = match opener {
            "{#" => {
                lx.skip_comment();
                skipped = true;
                continue;
            }
            "{{" => TagKind::Expr,
            _ => TagKind::Stmt,
        };
        let tokens = lx.tokens(if kind == TagKind::Expr { "}}" } else { "%}" });
        if kind == TagKind::Stmt && matches!(tokens.first().map(|t| &t.tok), Some(Tok::Name("raw"))) {
            lx.skip_raw();
            skipped = true;
            continue;
        }
        tags.push(Tag {
            kind,
            line,
            tokens,
            span: start..lx.pos,
        });
    }
    Lexed { tags, skipped }
}

#[cfg(test)]
mod tests {
    use super::count_newlines;

    #[test]
    fn count_newlines_counts_every_newline_at_every_length() {
        for len in 0..100 {
            for every in 1..5 {
                let text: Vec<u8> = (0..len).map(|i| if i % every == 0 { b'\n' } else { b'x' }).collect();
                let expected = text.iter().filter(|&&b| b == b'\n').count();
                assert_eq!(count_newlines(&text), expected, "{len} bytes, a newline every {every}");
            }
        }
    }
}
