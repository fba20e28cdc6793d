//! The minijinja environment configured like Proton's Jinja2: no auto-escaping (even for `.yaml`/`.json`
//! names), strict undefined values, trailing newline kept, default whitespace handling, and the filters of
//! [`super::filters`]. `check` and `render` both build their environment here, so they share one parser and
//! one table of functions, filters and tests.
//!
//! # Bounded rendering
//!
//! A template is a program, and a bundle may come from anyone. Every render runs with minijinja's fuel
//! ([`FUEL`]): each instruction costs one unit, and every byte a template produces (output, `~`/`+`/`*`
//! results, filter results, captured blocks) costs 1/64 of one. minijinja checks allocations whose size is
//! known before it makes them (string repetition, concatenation, `indent`, `replace`, `join`, `format`
//! widths, …), and our own filters do the same through [`ensure_bytes`]. So one render executes at most
//! [`FUEL`] instructions and creates at most `FUEL × 64` bytes (64 MB) of strings in total, whatever the
//! template does; [`RECURSION_LIMIT`] bounds macro recursion well below what the stack of a test thread
//! (2 MiB) holds; the rendered file is capped at [`MAX_OUTPUT_BYTES`] (CloudFormation's template size limit)
//! before it is parsed; and the render runs on a thread whose stack ([`RENDER_STACK_BYTES`]) holds the
//! deepest value the fuel can build. Peak memory of a render stays under 512 MiB. An exhausted budget is an
//! ordinary error at the template's line.
//!
//! One cost escapes the fuel: minijinja 3.1 compares strings (`==`) without charging for their length, so a
//! loop comparing two 30 MB strings runs for minutes within its step budget. A render therefore also has a
//! wall-clock limit ([`RENDER_TIMEOUT`]): it runs on its own thread, and when the time is up the caller gets
//! an error naming the template, while the thread is left to end on its own (the fuel bounds it).
//!
//! Why in-process and not a child process with `setrlimit` and a timeout: since minijinja 3.1 the fuel
//! accounts for data as well as steps and is checked before large allocations, so memory is bounded exactly
//! in-process, errors keep their file and line, and no process is spawned per render. What a child process
//! would add is the power to kill an overlong render; the CLI gets that anyway, as it exits right after
//! reporting the timeout. A library caller (a test, a long-running program) keeps the abandoned thread busy
//! until its fuel runs out, which is the price of not having a hidden CLI mode, a pipe protocol and
//! platform-specific code. `tests/limits.rs` runs every hostile template of issue #10 through the real binary
//! with a timeout.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, UndefinedBehavior};
use proton_synth_constructs::fasthash::FastHashSet;

use super::bundle::IacTemplate;
use super::depth;
use super::filters;
use super::finding::Finding;
use super::pycompat;
use crate::proton::format::scan::{Lexed, Tag, TagKind};

/// Fuel of one render: instructions, plus one per 64 bytes produced (so at most 64 MB of strings). AWS's
/// sample templates render with under 2% of it.
pub const FUEL: u64 = 1_000_000;

/// How deep macros and recursive loops may nest (Jinja2's limit comes from Python's stack, ~1,000 frames,
/// which is a few hundred macro calls).
pub const RECURSION_LIMIT: usize = 100;

/// Stack of the thread a render runs on. Values nest as deep as the fuel lets a loop wrap a list in a list
/// (~70,000 levels), and dropping, printing or comparing such a value recurses once per level; this
/// reservation holds that with room to spare (only the pages a render touches are ever allocated).
pub const RENDER_STACK_BYTES: usize = 256 << 20;

/// The longest a whole render may take. The fuel bounds steps and bytes, but not the time of every step:
/// minijinja compares two strings (`==`) without charging for their length, so a loop comparing two 30 MB
/// strings would run for minutes.
pub const RENDER_TIMEOUT: Duration = Duration::from_secs(8);

/// The largest rendered file: CloudFormation accepts templates up to 1 MB (uploaded through S3).
pub const MAX_OUTPUT_BYTES: usize = 1_000_000;

/// Global functions a template may call (Jinja2's `range`, `dict`, `namespace`; minijinja's `debug` would
/// dump the engine's state into the output and is removed).
pub const FUNCTIONS: &[&str] = &["range", "dict", "namespace"];

/// Filters a template may use: Jinja2's built-ins that minijinja has or [`super::filters`] adds, and Proton's
/// four. Jinja2's other built-ins (`wordwrap`, `filesizeformat`, `striptags`, `urlize`, …) are unknown
/// filters to `check` and `render` alike.
pub const FILTERS: &[&str] = &[
    "abs",
    "attr",
    "batch",
    "capitalize",
    "center",
    "count",
    "d",
    "default",
    "dictsort",
    "e",
    "escape",
    "first",
    "float",
    "groupby",
    "indent",
    "int",
    "items",
    "join",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "pprint",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "slice",
    "sort",
    "string",
    "sum",
    "title",
    "tojson",
    "trim",
    "truncate",
    "unique",
    "upper",
    "format",
    "proton_cfn_sanitize",
    "proton_cfn_ecs_task_definition_formatted_env_vars",
    "proton_cfn_lambda_function_formatted_env_vars",
    "proton_cfn_iam_policy_arns",
];

/// minijinja filters that Jinja2 does not have: a template using them would render here and fail in Proton.
const NOT_JINJA2_FILTERS: &[&str] = &["bool", "chain", "lines", "split", "zip"];

/// Tests (`is …`) a template may use: Jinja2's built-ins that minijinja has.
pub const TESTS: &[&str] = &[
    "boolean",
    "defined",
    "divisibleby",
    "eq",
    "equalto",
    "escaped",
    "even",
    "false",
    "filter",
    "float",
    "ge",
    "greaterthan",
    "gt",
    "in",
    "integer",
    "iterable",
    "le",
    "lessthan",
    "lower",
    "lt",
    "mapping",
    "ne",
    "none",
    "number",
    "odd",
    "sameas",
    "sequence",
    "string",
    "test",
    "true",
    "undefined",
    "upper",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
];

/// minijinja tests that Jinja2 does not have.
const NOT_JINJA2_TESTS: &[&str] = &["endingwith", "int", "safe", "startingwith"];

/// A fresh environment with Proton's settings, the limits above and no templates.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // Must come before templates are added: the callback is consulted when a template is compiled.
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Building the default delimiters cannot fail.
    if let Ok(syntax) = SyntaxConfig::builder().keep_trailing_newline(true).build() {
        env.set_syntax(syntax);
    }
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(RECURSION_LIMIT);
    env.remove_global("debug");
    for name in NOT_JINJA2_FILTERS {
        env.remove_filter(name);
    }
    for name in NOT_JINJA2_TESTS {
        env.remove_test(name);
    }
    filters::register(&mut env);
    env.set_unknown_method_callback(pycompat::call_method);
    env
}

/// Fail with minijinja's out-of-fuel error unless the rest of the render's fuel can pay for `bytes` more
/// bytes; filters call this before building a string whose size they can compute.
pub fn ensure_bytes(state: &State, bytes: usize) -> Result<(), Error> {
    let affordable = state
        .fuel_levels()
        .map_or(u64::MAX, |(_, remaining)| remaining.saturating_mul(64));
    if bytes as u64 >= affordable {
        Err(Error::from(ErrorKind::OutOfFuel))
    } else {
        Ok(())
    }
}

/// The template and output file a render thread is working on, for the timeout's message.
pub type Current = Arc<Mutex<(String, String)>>;

/// Run `f` (rendering) on a thread with a [`RENDER_STACK_BYTES`] stack, waiting at most [`RENDER_TIMEOUT`].
/// `f` records in its argument which template it renders. When the time is up, the thread is left to finish
/// on its own (the fuel bounds it; the CLI exits right after reporting) and the render fails.
pub fn on_render_thread<R: Send + 'static>(f: impl FnOnce(&Current) -> R + Send + 'static) -> Result<R, Finding> {
    let current: Current = Arc::default();
    let (tx, rx) = mpsc::channel();
    let shared = Arc::clone(&current);
    std::thread::Builder::new()
        .name("render".to_owned())
        .stack_size(RENDER_STACK_BYTES)
        .spawn(move || {
            let _ = tx.send(f(&shared));
        })
        .map_err(|e| {
            Finding::error(format!(
                "cannot start the render thread: {}; free some memory and retry",
                crate::engine::io_words(&e)
            ))
        })?;
    match rx.recv_timeout(RENDER_TIMEOUT) {
        Ok(r) => Ok(r),
        Err(RecvTimeoutError::Disconnected) => Err(Finding::error(
            "the renderer failed unexpectedly; please report this bundle as a bug",
        )),
        Err(RecvTimeoutError::Timeout) => {
            let (file, output) = current.lock().map(|c| c.clone()).unwrap_or_default();
            Err(Finding::error(format!(
                "rendering {output} failed: it took longer than {} s (comparing or searching large strings \
                 costs time the step budget does not count); make the template's strings smaller",
                RENDER_TIMEOUT.as_secs()
            ))
            .in_file(file))
        }
    }
}

/// Python's `json` gives up on values nested deeper than this (its recursion limit).
const MAX_JSON_DEPTH: usize = 990;

/// Check that serializing `value` stays within the fuel and Python's nesting limit, without recursing: a
/// value built by a template may share sub-values (`[x, x]` doubled 40 times), so its tree can be far
/// larger than the memory it takes.
pub fn ensure_serializable(state: &State, value: &minijinja::value::Value) -> Result<(), Error> {
    use minijinja::value::ValueKind;
    let mut stack = vec![(value.clone(), 0usize)];
    let mut nodes = 0usize;
    while let Some((v, depth)) = stack.pop() {
        nodes += 1;
        if nodes & 1023 == 0 {
            ensure_bytes(state, nodes.saturating_mul(16))?;
        }
        if depth > MAX_JSON_DEPTH {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "the value is nested more than {MAX_JSON_DEPTH} levels deep, more than Jinja2's tojson \
                     handles; build a flatter value"
                ),
            ));
        }
        match v.kind() {
            ValueKind::Seq | ValueKind::Iterable => stack.extend(v.try_iter()?.map(|x| (x, depth + 1))),
            ValueKind::Map => {
                for key in v.try_iter()? {
                    let item = v.get_item(&key)?;
                    stack.push((item, depth + 1));
                }
            }
            _ => {}
        }
    }
    ensure_bytes(state, nodes.saturating_mul(16))
}

/// The environment templates are compiled in to check them (shared: compiling leaves it unchanged).
fn check_environment() -> &'static Environment<'static> {
    static ENV: std::sync::OnceLock<Environment<'static>> = std::sync::OnceLock::new();
    ENV.get_or_init(environment)
}

/// The Jinja syntax errors of one template (`tags`: its lexed tags), including chains too deep to compile
/// ([`depth`]), as [`add_templates`] finds them; the template is compiled and dropped.
pub fn syntax_findings(t: &IacTemplate, tags: &[Tag<'_>]) -> Vec<Finding> {
    if let Some((line, message)) = depth::too_deep_tags(tags) {
        let f = Finding::error(format!("Jinja syntax error: {message}"));
        return vec![f.in_file(&t.display).at_line(line)];
    }
    match check_environment().template_from_named_str(&t.display, &t.text) {
        Ok(_) => Vec::new(),
        Err(e) => vec![error_finding(&e, &t.display, "Jinja syntax error")],
    }
}

/// [`syntax_findings`] for a template this program wrote (the synthesizer's self-check), compiling its tags
/// alone: the text between tags is data to Jinja's parser, so the tags, one per line, compile exactly when
/// the template does. An expression tag repeated between the same two statements is compiled once.
///
/// [`syntax_findings`] decides instead when the tags do not compile (for the error and its line), when
/// `lexed` skipped a comment or raw block (which its tags do not show) and for chains too deep to compile.
/// A bundle read from files is checked by [`syntax_findings`] alone: there the lexer is not trusted to find
/// every tag Jinja finds.
pub fn generated_syntax_findings(t: &IacTemplate, lexed: &Lexed<'_>) -> Vec<Finding> {
    if lexed.skipped || depth::too_deep_tags(&lexed.tags).is_some() {
        return syntax_findings(t, &lexed.tags);
    }
    let mut skeleton = String::with_capacity(lexed.tags.iter().map(|tag| tag.span.len() + 1).sum());
    // An expression tag parses alike wherever it stands between the same two statements (the parser's
    // nesting is the same there), so a repeat of one already kept since the last statement is left out.
    let mut since_statement: FastHashSet<&str> = FastHashSet::default();
    for tag in &lexed.tags {
        let text = &t.text[tag.span.clone()];
        match tag.kind {
            TagKind::Stmt => since_statement.clear(),
            TagKind::Expr if !since_statement.insert(text) => continue,
            TagKind::Expr => {}
        }
        skeleton.push_str(text);
        skeleton.push('\n');
    }
    match check_environment().template_from_named_str(&t.display, &skeleton) {
        Ok(_) => Vec::new(),
        Err(_) => syntax_findings(t, &lexed.tags),
    }
}

/// Compile every template into `env` under its display path; syntax errors and chains too deep to compile
/// ([`depth`]) become findings.
pub fn add_templates(env: &mut Environment<'static>, templates: &[IacTemplate]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for t in templates {
        if let Some((line, message)) = depth::too_deep(&t.text) {
            let f = Finding::error(format!("Jinja syntax error: {message}"));
            findings.push(f.in_file(&t.display).at_line(line));
            continue;
        }
        if let Err(e) = env.add_template_owned(t.display.clone(), t.text.clone()) {
            findings.push(error_finding(&e, &t.display, "Jinja syntax error"));
        }
    }
    findings
}

/// A minijinja error as a finding in `file`, prefixed with `what`, with how to fix the errors a limit raises.
pub fn error_finding(e: &minijinja::Error, file: &str, what: &str) -> Finding {
    let detail = e.detail().map(str::to_owned).unwrap_or_else(|| e.kind().to_string());
    let message = match e.kind() {
        ErrorKind::OutOfFuel => format!(
            "{what}: the template does more work than a render may ({FUEL} steps, {} MB of text); \
             a loop runs too often or a string grows too large: make them smaller",
            FUEL * 64 / 1_000_000
        ),
        _ if detail == "recursion limit exceeded" => format!(
            "{what}: macros or recursive loops nest deeper than {RECURSION_LIMIT} levels; \
             make the recursion end sooner"
        ),
        _ => format!("{what}: {detail}"),
    };
    Finding::error(message).in_file(file).at_line(e.line())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proton::format::scan::lex_all;
    use crate::proton::format::InfraKind;

    fn template(text: &str) -> IacTemplate {
        IacTemplate {
            kind: InfraKind::ServiceInstance,
            path: "instance_infrastructure/cloudformation.yaml".into(),
            display: "svc/instance_infrastructure/cloudformation.yaml".into(),
            text: text.into(),
        }
    }

    /// Compiling the tags alone finds what compiling the whole text finds, with the same message and line.
    #[test]
    fn generated_syntax_findings_match_the_whole_text() {
        let texts = [
            "a: 1\nb: {{ x | tojson }}\n",
            "a: {{ {'k': {'j': 1}} }}\nb: \"{{ '}}' }}\"\n",
            "{%- for i in y -%}\n  - {{ i }}\n{%- endfor %}\n",
            "{% set v %}\ntext {{ a }}\n{% endset %}\n{{ v }}",
            "{% macro m(x) %}{{ x }}{% endmacro %}\n{{ m(1) }}\n",
            "a: 1\n{# a comment with {{ #}\nb: {{ c }}\n",
            "a: {% raw %}{{ not a tag {% if %}{% endraw %}\nb: {{ c }}\n",
            "a: 1\n\nb: {% if x %}\nc: 2\n",
            "a: 1\nb: {{ x | }}\n",
            "a: 1\nb: {% endfor %}\n",
            "a: 1\n{% for i in %}\n{% endfor %}\n",
            "a: 1\nb: {{ x\nc: 2\n",
            "a: {% raw %}\nb: 1\n",
            "a: {# open\n",
        ];
        let mut failing = 0;
        for text in texts {
            let t = template(text);
            let lexed = lex_all(text);
            let shown = |f: Vec<Finding>| f.iter().map(ToString::to_string).collect::<Vec<_>>();
            let whole = shown(syntax_findings(&t, &lexed.tags));
            assert_eq!(shown(generated_syntax_findings(&t, &lexed)), whole, "{text:?}");
            failing += usize::from(!whole.is_empty());
        }
        // The first seven compile, the last seven do not.
        assert_eq!(failing, 7);
    }
}
