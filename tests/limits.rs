//! Hostile templates (issue #10): every one ends in a clean error or a clean render, within a timeout, in
//! the real binary; and `check` and `render` give the same verdict on what can be known without a spec.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proton_synth::engine::{check_bundle, render_bundle, Bundle, Finding, RenderContext};

const SCHEMA: &str = "schema:\n  format:\n    openapi: \"3.0.0\"\n  environment_input_type: \"In\"\n  types:\n    In:\n      type: object\n      properties:\n        name:\n          type: string\n          default: ok\n";
const MANIFEST: &str = "infrastructure:\n  templates:\n    - file: \"cloudformation.yaml\"\n      rendering_engine: jinja\n      template_language: cloudformation\n";
const SPEC: &str = "proton: EnvironmentSpec\nspec: {}\n";
const HEAD: &str = "Description: '{{ environment.inputs.name }}'\n";
const RESOURCE: &str = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n";

/// A fresh temporary folder holding an environment bundle whose template is `template`, and a spec.
fn bundle_dir(name: &str, template: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ps-limits-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    for (path, text) in [
        ("env/schema/schema.yaml", SCHEMA),
        ("env/infrastructure/manifest.yaml", MANIFEST),
        ("env/infrastructure/cloudformation.yaml", template),
        ("spec.yaml", SPEC),
    ] {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Run the binary; fails the test if it runs longer than 20 s (it is killed) or dies from a signal.
fn run(args: &[&Path]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_proton-synth"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read both pipes while waiting, so a long report cannot block the child.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                p.read_to_string(&mut text).unwrap();
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("{args:?} ran for more than 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let run = Run {
        code: status.code(),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    assert!(run.code.is_some(), "{args:?} was killed by a signal: {}", run.stderr);
    run
}

/// `check` and `render` of a hostile template: both end cleanly; returns the render's stderr.
fn render_hostile(name: &str, body: &str) -> (Run, Run, PathBuf) {
    let dir = bundle_dir(name, &format!("{HEAD}{body}\n{RESOURCE}"));
    let env = dir.join("env");
    let check = run(&[Path::new("check"), &env]);
    let render = run(&[
        Path::new("render"),
        &env,
        Path::new("--spec"),
        &dir.join("spec.yaml"),
        Path::new("--out"),
        &dir.join("out"),
        Path::new("--environment-name"),
        Path::new("Beta"),
    ]);
    (check, render, dir)
}

fn assert_budget_error(name: &str, body: &str, want: &str) {
    assert_render_error(name, body, &format!(":2: rendering environment.yaml failed: {want}"));
}

/// Render fails (check passes) with a line that starts with the template's path and then `want`.
fn assert_render_error(name: &str, body: &str, want: &str) {
    let (check, render, dir) = render_hostile(name, body);
    assert_eq!(check.code, Some(0), "{}", check.stderr);
    assert_eq!(render.code, Some(1), "{}", render.stderr);
    let file = dir.join("env/infrastructure/cloudformation.yaml");
    let expected = format!("error: {}{want}", file.display());
    assert!(
        render.stderr.lines().any(|l| l.starts_with(&expected)),
        "expected a line starting with\n  {expected}\nin\n{}",
        render.stderr
    );
    assert!(!dir.join("out").exists());
    fs::remove_dir_all(&dir).unwrap();
}

const OUT_OF_FUEL: &str = "the template does more work than a render may (1000000 steps, 64 MB of text); \
                           a loop runs too often or a string grows too large: make them smaller";

#[test]
fn a_loop_of_ten_billion_steps_is_stopped() {
    assert_budget_error(
        "loop",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        OUT_OF_FUEL,
    );
}

#[test]
fn a_string_doubled_forty_times_is_stopped() {
    assert_budget_error(
        "doubling",
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
        OUT_OF_FUEL,
    );
    assert_budget_error(
        "plus",
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}",
        OUT_OF_FUEL,
    );
}

#[test]
fn a_loop_scoped_set_renders_like_jinja2() {
    // Jinja2 scopes `set` inside a loop to one iteration: `s` stays "x", so this renders.
    let (_, render, dir) = render_hostile(
        "scoped",
        "# {% set s = 'x' %}{% for i in range(40) %}{% set s = s ~ s %}{% endfor %}{{ s }}",
    );
    assert_eq!(render.code, Some(0), "{}", render.stderr);
    assert!(fs::read_to_string(dir.join("out/environment.yaml"))
        .unwrap()
        .contains("\n# x\n"));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn huge_widths_and_repetitions_are_stopped_before_allocating() {
    for (name, body) in [
        ("indent", "{{ 'a\\nb' | indent(2000000000) }}"),
        ("repeat", "{{ 'ab' * 3000000000 }}"),
        ("format", "{{ '%2000000000s' | format('x') }}"),
        ("join", "{{ range(100000) | join('x' * 100000) }}"),
        ("replace", "{{ ('x' * 50000).replace('', 'y' * 50000) }}"),
        ("tojson", "{% set ns = namespace(x=[]) %}{% for i in range(22) %}{% set ns.x = [ns.x, ns.x] %}{% endfor %}{{ ns.x | tojson(indent=64) }}"),
    ] {
        assert_budget_error(name, body, OUT_OF_FUEL);
    }
}

#[test]
fn deep_values_and_recursion_end_cleanly() {
    assert_budget_error(
        "recursion",
        "{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}",
        "macros or recursive loops nest deeper than 100 levels; make the recursion end sooner",
    );
    for (name, show) in [
        ("nested-string", "|string"),
        ("nested-json", "|tojson"),
        ("nested-print", ""),
    ] {
        let body = format!(
            "{{% set ns = namespace(x=[]) %}}{{% for i in range(100000) %}}{{% set ns.x = [ns.x] %}}{{% endfor %}}{{{{ ns.x{show} }}}}"
        );
        let (_, render, dir) = render_hostile(name, &body);
        assert_eq!(render.code, Some(1), "{}", render.stderr);
        fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn comparing_large_strings_in_a_loop_times_out() {
    // minijinja does not charge `==` for the strings' length: the wall-clock limit stops it.
    assert_render_error(
        "compare",
        "{% set s = 'x' * 30000000 %}{% set t = 'x' * 30000000 %}{% for i in range(100000) %}\
         {% if s == t %}{% endif %}{% endfor %}",
        ": rendering environment.yaml failed: it took longer than 8 s (comparing or searching large strings \
         costs time the step budget does not count); make the template's strings smaller",
    );
}

#[test]
fn a_rendered_file_over_the_cloudformation_limit_is_an_error() {
    assert_render_error(
        "big",
        "# {{ 'x' * 2000000 }}",
        ": rendering environment.yaml failed: the result is larger than 1000000 bytes, CloudFormation's template size limit; make the template's \
         loops and strings smaller",
    );
}

// ----------------------------------------------------------------------------------------------------------
// check and render agree

fn bundle(template: &str) -> Bundle {
    Bundle::from_files(
        "mem",
        [
            ("env/schema/schema.yaml", SCHEMA.to_owned()),
            ("env/infrastructure/manifest.yaml", MANIFEST.to_owned()),
            (
                "env/infrastructure/cloudformation.yaml",
                format!("{HEAD}{template}\n{RESOURCE}"),
            ),
        ],
    )
}

fn errors(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.is_error())
        .map(ToString::to_string)
        .collect()
}

/// `check`'s errors, after asserting that `render` fails with the same ones (or both succeed).
fn same_verdict(template: &str) -> Vec<String> {
    let b = bundle(template);
    let checked = errors(&check_bundle(&b));
    let ctx = RenderContext {
        environment_name: Some("Beta".to_owned()),
        ..RenderContext::default()
    };
    match render_bundle(&b, SPEC, &ctx) {
        Ok(_) => assert!(checked.is_empty(), "render succeeded, check failed: {checked:?}"),
        Err(e) => assert_eq!(errors(&e), checked, "check and render disagree"),
    }
    checked
}

const FILE: &str = "error: env/infrastructure/cloudformation.yaml";

#[test]
fn a_macro_called_before_its_definition_fails_in_both() {
    assert_eq!(
        same_verdict("# {{ m() }}\n{% macro m() %}x{% endmacro %}"),
        [format!(
            "{FILE}:2: macro `m` is called before its definition on line 3; Jinja defines a macro when its \
             `{{% macro %}}` runs: move the definition above the first call"
        )]
    );
    // On one line too (Jinja2: `'m' is undefined`).
    assert_eq!(same_verdict("# {{ m() }}{% macro m() %}x{% endmacro %}").len(), 1);
    // A macro body may call a macro defined later: it is resolved when the body runs (Jinja2 renders `y`)…
    assert!(same_verdict("{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}y{% endmacro %}# {{ a() }}").is_empty());
    // …but not when the body runs before that definition (Jinja2: `'b' is undefined`).
    assert_eq!(
        same_verdict("{% macro a() %}{{ b() }}{% endmacro %}\n# {{ a() }}\n{% macro b() %}y{% endmacro %}"),
        [format!(
            "{FILE}:3: macro `a` calls macro `b`, which is defined only on line 4, after this call; move the \
             definition of `b` above it"
        )]
    );
    // `if` opens no scope (Jinja2 renders `x`); a loop does (Jinja2: `'m' is undefined`).
    assert!(same_verdict("{% if true %}{% macro m() %}x{% endmacro %}{% endif %}# {{ m() }}").is_empty());
    assert_eq!(
        same_verdict("{% for i in [1] %}{% macro m() %}x{% endmacro %}{% endfor %}# {{ m() }}").len(),
        1
    );
}

#[test]
fn include_import_and_extends_fail_in_both() {
    for tag in [
        "{% include 'x.yaml' ignore missing %}",
        "{% import 'x.yaml' as x %}",
        "{% from 'x.yaml' import y %}",
        "{% extends 'x.yaml' %}",
    ] {
        let errs = same_verdict(&format!("# {tag}"));
        assert_eq!(errs.len(), 1, "{tag}: {errs:?}");
        assert!(
            errs[0].contains("is not supported: Proton renders each infrastructure file on its own"),
            "{errs:?}"
        );
    }
}

#[test]
fn debug_and_other_unknown_functions_filters_and_tests_fail_in_both() {
    assert_eq!(
        same_verdict("# {{ debug() }}"),
        [format!(
            "{FILE}:2: `debug(…)`: unknown function (available: range, dict, namespace)"
        )]
    );
    assert_eq!(
        same_verdict("{% macro m() %}{{ debug() }}{% endmacro %}# {{ m() }}"),
        [format!(
            "{FILE}:2: `debug(…)`: unknown function (available: range, dict, namespace)"
        )]
    );
    let errs = same_verdict("# {{ [1, 2] | zip([3]) | list }}\n# {{ 'a' is startingwith('a') }}");
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(
        errs[0].starts_with(&format!("{FILE}:2: unknown filter `zip` (available: abs, ")),
        "{errs:?}"
    );
    assert!(
        errs[1].starts_with(&format!("{FILE}:3: unknown test `startingwith` (available: ")),
        "{errs:?}"
    );
}

#[test]
fn the_filter_and_test_tables_are_what_the_engine_has() {
    // Every filter and test `check` accepts exists at render time (no "unknown filter" error).
    let b = |t: &str| bundle(&format!("# {t}"));
    let ctx = RenderContext {
        environment_name: Some("Beta".to_owned()),
        ..RenderContext::default()
    };
    for name in proton_synth::engine::FILTERS {
        let e = render_bundle(&b(&format!("{{{{ 1 | {name} }}}}")), SPEC, &ctx)
            .err()
            .unwrap_or_default();
        assert!(
            !errors(&e).iter().any(|m| m.contains("unknown filter")),
            "{name}: {e:?}"
        );
    }
    for name in proton_synth::engine::TESTS
        .iter()
        .filter(|n| n.chars().all(char::is_alphabetic))
    {
        let e = render_bundle(&b(&format!("{{{{ 1 is {name} }}}}")), SPEC, &ctx)
            .err()
            .unwrap_or_default();
        assert!(!errors(&e).iter().any(|m| m.contains("unknown test")), "{name}: {e:?}");
    }
}

// ----------------------------------------------------------------------------------------------------------
// Every missing value in one run

#[test]
fn render_reports_every_missing_value_in_one_run() {
    let schema = format!("{SCHEMA}        opt:\n          type: string\n        other:\n          type: string\n");
    let template = format!(
        "{HEAD}# {{{{ environment.name }}}}\n# {{{{ environment.inputs.opt }}}}\n\
         # {{{{ environment.inputs.other | default('x') }}}}\n\
         {{% if environment.inputs.other is defined %}}# {{{{ environment.inputs.other }}}}{{% endif %}}\n\
         # {{{{ environment.inputs.opt }}}} {{{{ environment.name }}}}\n{RESOURCE}"
    );
    let b = Bundle::from_files(
        "mem",
        [
            ("env/schema/schema.yaml", schema),
            ("env/infrastructure/manifest.yaml", MANIFEST.to_owned()),
            ("env/infrastructure/cloudformation.yaml", template),
        ],
    );
    let e = render_bundle(&b, SPEC, &RenderContext::default()).unwrap_err();
    assert_eq!(
        errors(&e),
        [
            format!(
                "{FILE}:2: rendering environment.yaml failed: `environment.name` is undefined: no environment name: \
                 pass --environment-name or set environment.name in the context file"
            ),
            format!(
                "{FILE}:3: rendering environment.yaml failed: `environment.inputs.opt` is undefined: the input `opt` \
                 is optional, has no default and the spec does not set it; guard it with `is defined` or give it a default"
            ),
        ]
    );
    // With both supplied, the guarded input stays unset and the template renders.
    let ctx = RenderContext {
        environment_name: Some("Beta".to_owned()),
        ..RenderContext::default()
    };
    let files = render_bundle(&b, "proton: EnvironmentSpec\nspec:\n  opt: o\n", &ctx).unwrap();
    assert!(
        files[0].text.contains("# Beta\n# o\n# x\n\n# o Beta\n"),
        "{}",
        files[0].text
    );
}

// ----------------------------------------------------------------------------------------------------------
// Templates too deep to compile

#[test]
fn chains_too_deep_to_compile_are_rejected_by_check_and_render() {
    for (name, body) in [
        ("deep-plus", format!("# {{{{ 1{} }}}}", "+1".repeat(99_000))),
        ("deep-filters", format!("# {{{{ 1{} }}}}", "|abs".repeat(45_000))),
        ("deep-attrs", format!("# {{{{ environment{} }}}}", ".a".repeat(99_000))),
        (
            "deep-elifs",
            format!("{{% if false %}}{}{{% endif %}}", "{% elif false %}".repeat(11_000)),
        ),
    ] {
        let (check, render, dir) = render_hostile(name, &body);
        let file = dir.join("env/infrastructure/cloudformation.yaml");
        let want = format!("error: {}:2: Jinja syntax error: this ", file.display());
        assert_eq!(check.code, Some(1), "{name}: {}", check.stderr);
        assert!(check.stderr.starts_with(&want), "{name}: {}", check.stderr);
        assert_eq!(check.stdout, "", "{name}: check prints on stderr only");
        assert_eq!(render.code, Some(1), "{name}: {}", render.stderr);
        assert!(render.stderr.starts_with(&want), "{name}: {}", render.stderr);
        fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn chains_at_the_limit_compile_on_a_small_stack() {
    // Test threads have 2 MiB stacks, like the workers of `App`'s self-check.
    for body in [
        format!("# {{{{ 1{} }}}}", "+1".repeat(300)),
        format!("# {{{{ 1{} }}}}", "|abs".repeat(300)),
        format!("# {{{{ environment.inputs.name{} }}}}", "[0]".repeat(298)),
        format!("# {{{{ 'a'{} }}}}", "~'a'".repeat(300)),
        format!("{{% if false %}}{}{{% endif %}}", "{% elif false %}".repeat(300)),
    ] {
        let _ = same_verdict(&body);
    }
}

#[test]
fn check_and_render_of_200_kb_of_macro_calls_end_in_time() {
    // Every top-level call follows the calls in macro bodies: that must not be quadratic.
    let mut body = String::from("{% macro m() %}");
    for i in 0..4000 {
        body.push_str(&format!("{{{{ a{i}() }}}}"));
    }
    body.push_str("{% endmacro %}\n");
    for i in 0..2500 {
        body.push_str(&format!("{{% macro x{i}() %}}{{% endmacro %}}{{{{ m() }}}}\n"));
    }
    assert!(body.len() < 200_000);
    let (check, render, dir) = render_hostile("many-calls", &body);
    assert_eq!(check.code, Some(1));
    assert!(
        check.stderr.contains("`a3999(…)`: unknown function"),
        "{}",
        check.stderr
    );
    assert_eq!(render.code, Some(1));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_value_json_cannot_hold_is_named_in_our_words() {
    assert_render_error(
        "tojson-key",
        "# {{ {[1]: 2} | tojson }}",
        ":2: rendering environment.yaml failed: tojson: a mapping key is a list or a mapping, which JSON cannot \
         hold; use strings, numbers or booleans as keys",
    );
}
