//! The minijinja environment configured like Proton's Jinja2: no auto-escaping (even for `.yaml`/`.json`
//! names), strict undefined values, trailing newline kept, default whitespace handling, and the filters of
//! [`super::filters`].

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use super::bundle::IacTemplate;
use super::filters;
use super::finding::Finding;
use super::pycompat;

/// A fresh environment with Proton's settings and no templates.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // Must come before templates are added: the callback is consulted when a template is compiled.
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Building the default delimiters cannot fail.
    if let Ok(syntax) = SyntaxConfig::builder().keep_trailing_newline(true).build() {
        env.set_syntax(syntax);
    }
    filters::register(&mut env);
    env.set_unknown_method_callback(pycompat::call_method);
    env
}

/// Compile every template into `env` under its display path; syntax errors become findings.
pub fn add_templates(env: &mut Environment<'static>, templates: &[IacTemplate]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for t in templates {
        if let Err(e) = env.add_template_owned(t.display.clone(), t.text.clone()) {
            findings.push(error_finding(&e, &t.display, "Jinja syntax error"));
        }
    }
    findings
}

/// A minijinja error as a finding in `file`, prefixed with `what`.
pub fn error_finding(e: &minijinja::Error, file: &str, what: &str) -> Finding {
    let detail = e.detail().map(str::to_owned).unwrap_or_else(|| e.kind().to_string());
    Finding::error(format!("{what}: {detail}"))
        .in_file(file)
        .at_line(e.line())
}
