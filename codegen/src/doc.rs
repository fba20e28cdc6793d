//! Schema descriptions → one-line rustdoc text: first paragraph, shortened, Markdown made safe (no broken
//! intra-doc links, no stray HTML, no bare URLs).

enum Tok {
    /// A single character of plain text.
    Char(char),
    /// A code span, verbatim (backticks included).
    Code(String),
    /// A Markdown link `[text](url)`.
    Link(String, String),
    /// A bare URL.
    Url(String),
}

fn tokenize(s: &str) -> Vec<Tok> {
    let cs: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c == '`' {
            let run = cs[i..].iter().take_while(|&&c| c == '`').count();
            // Find a closing run of the same length.
            let mut j = i + run;
            let mut close = None;
            while j < cs.len() {
                if cs[j] == '`' {
                    let r = cs[j..].iter().take_while(|&&c| c == '`').count();
                    if r == run {
                        close = Some(j);
                        break;
                    }
                    j += r;
                } else {
                    j += 1;
                }
            }
            match close {
                Some(j) => {
                    out.push(Tok::Code(cs[i..j + run].iter().collect()));
                    i = j + run;
                }
                None => {
                    out.extend(std::iter::repeat_with(|| Tok::Char('`')).take(run));
                    i += run;
                }
            }
            continue;
        }
        if c == '[' {
            if let Some(close) = cs[i + 1..]
                .iter()
                .position(|&c| c == ']' || c == '[')
                .map(|p| p + i + 1)
            {
                if cs[close] == ']' && cs.get(close + 1) == Some(&'(') {
                    if let Some(end) = cs[close + 2..].iter().position(|&c| c == ')' || c.is_whitespace()) {
                        let end = end + close + 2;
                        if cs[end] == ')' && end > close + 2 {
                            out.push(Tok::Link(
                                cs[i + 1..close].iter().collect(),
                                cs[close + 2..end].iter().collect(),
                            ));
                            i = end + 1;
                            continue;
                        }
                    }
                }
            }
        }
        let rest: String = cs[i..cs.len().min(i + 8)].iter().collect();
        let at_word_start = i == 0 || !cs[i - 1].is_ascii_alphanumeric();
        if at_word_start && (rest.starts_with("http://") || rest.starts_with("https://")) {
            let mut end = i;
            while end < cs.len() && !cs[end].is_whitespace() && !matches!(cs[end], '<' | '>' | '"' | '`') {
                end += 1;
            }
            while end > i && matches!(cs[end - 1], '.' | ',' | ';' | ':' | ')' | '\'' | ']') {
                end -= 1;
            }
            out.push(Tok::Url(cs[i..end].iter().collect()));
            i = end;
            continue;
        }
        out.push(Tok::Char(c));
        i += 1;
    }
    out
}

fn escape_char(c: char, out: &mut String) {
    match c {
        '[' => out.push_str("\\["),
        ']' => out.push_str("\\]"),
        '`' => out.push_str("\\`"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        _ => out.push(c),
    }
}

fn tok_len(t: &Tok) -> usize {
    match t {
        Tok::Char(_) => 1,
        Tok::Code(s) | Tok::Url(s) => s.chars().count(),
        Tok::Link(text, _) => text.chars().count(),
    }
}

/// The first paragraph of a description as a single line of safe Markdown, shortened to about `max`
/// visible characters (at a sentence end when possible, else at a word with an ellipsis). `None` if empty.
pub fn doc_line(desc: &str, max: usize) -> Option<String> {
    let first = desc.split('\n').map(str::trim).find(|l| !l.is_empty())?;
    let text = first.split_whitespace().collect::<Vec<_>>().join(" ");
    let toks = tokenize(&text);
    let total: usize = toks.iter().map(tok_len).sum();
    let mut end = toks.len();
    let mut ellipsis = false;
    if total > max {
        // Candidate cut points: spaces; prefer one right after a period.
        let mut len = 0;
        let mut last_space = None;
        let mut last_sentence = None;
        for (k, t) in toks.iter().enumerate() {
            if len > max {
                break;
            }
            if let Tok::Char(' ') = t {
                last_space = Some(k);
                if k > 0 && matches!(toks[k - 1], Tok::Char('.')) {
                    last_sentence = Some(k);
                }
            }
            len += tok_len(t);
        }
        match (last_sentence, last_space) {
            (Some(k), _) if k * 3 >= max => end = k,
            (_, Some(k)) => {
                end = k;
                ellipsis = true;
            }
            _ => {}
        }
    }
    let mut out = String::new();
    for t in &toks[..end] {
        match t {
            Tok::Char(c) => escape_char(*c, &mut out),
            Tok::Code(s) => out.push_str(s),
            Tok::Link(text, url) => {
                out.push('[');
                for c in text.chars() {
                    escape_char(c, &mut out);
                }
                out.push_str("](");
                out.push_str(url);
                out.push(')');
            }
            Tok::Url(u) => {
                out.push('<');
                out.push_str(u);
                out.push('>');
            }
        }
    }
    let mut out = out.trim_end().to_owned();
    if ellipsis {
        out.push('…');
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::doc_line;

    #[test]
    fn escapes_and_keeps_links() {
        assert_eq!(
            doc_line(
                "See [DNS](https://x.example/a) and [brackets] <tag> ``code [x]``.\n More.",
                200
            )
            .unwrap(),
            "See [DNS](https://x.example/a) and \\[brackets\\] &lt;tag&gt; ``code [x]``."
        );
        assert_eq!(
            doc_line("Go to https://a.example/b.", 200).unwrap(),
            "Go to <https://a.example/b>."
        );
        assert_eq!(doc_line("  \n ", 200), None);
    }

    #[test]
    fn shortens() {
        let long = format!("First sentence is here. {}", "word ".repeat(60));
        assert_eq!(doc_line(&long, 40).unwrap(), "First sentence is here.");
        let long = "word ".repeat(60);
        let d = doc_line(&long, 40).unwrap();
        assert!(d.ends_with('…') && d.chars().count() <= 42, "{d}");
    }
}
