//! Bad specs: YAML 1.1 scalars, the YAML parser's limits and errors, the bad-spec corpus in
//! `tests/bad_input/specs/`. Every message is our own (no crate internals).

mod common;

use std::fs;
use std::path::PathBuf;

use common::{assert_no_leak, messages, root, samples};
use proton_synth::engine::{load_bundle, render_bundle, Bundle, RenderContext};

/// A small environment bundle with a string, a boolean and a number input.
fn yaml11_bundle() -> Bundle {
    load_bundle(&root().join("tests/bad_input/bundle")).unwrap()
}

#[test]
fn spec_scalars_are_read_as_yaml_1_1_readers_read_them() {
    let bundle = yaml11_bundle();
    let ctx = RenderContext::default();
    let render = |spec: &str| render_bundle(&bundle, spec, &ctx);
    let files = render("proton: EnvironmentSpec\nspec:\n  stream_handler: Y\n  enabled: yes\n  mode: 0777\n").unwrap();
    let text = &files[0].text;
    assert!(text.contains("TopicName: \"Y\""), "{text}");
    assert!(text.contains("Value: true"), "{text}");
    assert!(text.contains("Value: 511"), "{text}");
    for handler in ["n", "N", "y", "'yes'", "\"on\""] {
        let spec =
            format!("proton: EnvironmentSpec\nspec:\n  stream_handler: {handler}\n  enabled: Off\n  mode: 1:30\n");
        let files = render(&spec).unwrap_or_else(|e| panic!("{handler}: {e:?}"));
        assert!(files[0].text.contains("Value: false"), "{}", files[0].text);
        assert!(files[0].text.contains("Value: 90"), "{}", files[0].text);
    }
    // A YAML 1.1 boolean is a boolean: a string input rejects it, as Proton did.
    let e = render("proton: EnvironmentSpec\nspec:\n  stream_handler: yes\n").unwrap_err();
    assert!(
        messages(&e)[0].starts_with("error: spec:3: spec.stream_handler: expected a string"),
        "{e:?}"
    );
    let e = render("proton: EnvironmentSpec\nspec:\n  mode: .inf\n").unwrap_err();
    assert_eq!(
        messages(&e),
        ["error: spec:3: invalid YAML: `.inf`: YAML 1.1 reads this as an infinite or not-a-number float, which JSON \
          cannot hold; quote it to pass the text"]
    );
}

#[test]
fn schema_defaults_are_read_as_yaml_1_1_too() {
    let schema = "schema:\n  format: {openapi: \"3.0.0\"}\n  environment_input_type: In\n  types:\n    In:\n      type: object\n      properties:\n        stream_handler: {type: string, default: Y}\n        enabled: {type: boolean, default: on}\n        mode: {type: number, default: 0777}\n";
    let mut bundle = yaml11_bundle();
    bundle
        .files
        .insert("schema/schema.yaml".to_owned(), schema.as_bytes().to_vec());
    let files = render_bundle(
        &bundle,
        "proton: EnvironmentSpec\nspec: {}\n",
        &RenderContext::default(),
    )
    .unwrap();
    let text = &files[0].text;
    assert!(text.contains("TopicName: \"Y\""), "{text}");
    assert!(text.contains("Value: true"), "{text}");
    assert!(text.contains("Value: 511"), "{text}");
}

// ----------------------------------------------------------------------------------------------------------
// Messages in our words

#[test]
fn yaml_parser_errors_are_in_our_words() {
    let bundle = yaml11_bundle();
    let ctx = RenderContext::default();
    let render = |spec: &str| messages(&render_bundle(&bundle, spec, &ctx).unwrap_err());
    let cases: Vec<(String, String)> =
        vec![
        (
            "proton: EnvironmentSpec\nspec: {}\nspec: {}\n".to_owned(),
            "error: spec:3: invalid YAML: duplicate key `spec`; a key may appear only once in a mapping".to_owned(),
        ),
        (
            "proton: EnvironmentSpec\n---\nproton: EnvironmentSpec\n".to_owned(),
            "error: spec:3: invalid YAML: more than one YAML document (a `---` line starts another); give exactly one"
                .to_owned(),
        ),
        (
            format!("proton: EnvironmentSpec\nspec:\n  x: [{}0]\n", "0, ".repeat(250_001)),
            "error: spec:3: invalid YAML: the document has more than 250000 values; this tool reads at most that many"
                .to_owned(),
        ),
        (
            format!("proton: EnvironmentSpec\nspec:\n  x: {}{}\n", "[".repeat(70), "]".repeat(70)),
            "error: spec:3: invalid YAML: lists and mappings are nested more than 32 levels deep; this tool reads at \
             most that many"
                .to_owned(),
        ),
    ];
    for (spec, want) in cases {
        let got = render(&spec);
        assert_eq!(got, [want], "{}", &spec[..spec.len().min(80)]);
        assert_no_leak(&got[0]);
    }
}

#[test]
fn deep_nesting_fails_cleanly_on_a_small_thread_stack() {
    // Worker threads (and test threads) have 2 MiB stacks; serde-saphyr's default depth overflowed them.
    let bundle = yaml11_bundle();
    let worker = std::thread::Builder::new().stack_size(2 << 20).spawn(move || {
        let mut out = Vec::new();
        for depth in [28, 33, 64, 10_000] {
            let spec = format!(
                "proton: EnvironmentSpec\nspec:\n  x: {}{}\n",
                "[".repeat(depth),
                "]".repeat(depth)
            );
            out.push(messages(
                &render_bundle(&bundle, &spec, &RenderContext::default()).unwrap_err(),
            ));
        }
        out
    });
    let out = worker.unwrap().join().expect("no stack overflow");
    assert!(out[0][0].contains("spec.x: unknown"), "{:?}", out[0]);
    for m in &out[1..] {
        assert!(m[0].contains("nested more than 32 levels deep"), "{m:?}");
    }
}

#[test]
fn a_missing_service_name_names_the_service_name_flag() {
    let bundle = load_bundle(&samples().join("service")).unwrap();
    let spec = fs::read_to_string(samples().join("specs/svc-spec.yaml")).unwrap();
    let ctx = RenderContext::default();
    let e = messages(&render_bundle(&bundle, &spec, &ctx).unwrap_err());
    assert!(
        e.iter()
            .any(|m| m.ends_with("no service name: pass --service-name or set service.name in the context file")),
        "{e:?}"
    );
    assert!(!e.iter().any(|m| m.contains("--name ")), "{e:?}");
}

/// `tests/bad_input/specs/NAME.yaml`, rendered against a small bundle, must fail with exactly the messages in
/// `NAME.expected` (run with `BLESS=1` to write them after a deliberate change, then review the diff).
#[test]
fn the_bad_spec_corpus_fails_with_the_expected_messages() {
    let dir = root().join("tests/bad_input/specs");
    let bundle = yaml11_bundle();
    let mut names: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    names.sort();
    assert!(names.len() >= 15, "the corpus is missing");
    for path in names {
        let spec = fs::read_to_string(&path).unwrap();
        let got = match render_bundle(&bundle, &spec, &RenderContext::default()) {
            Ok(_) => panic!("{} rendered", path.display()),
            Err(e) => messages(&e).join("\n") + "\n",
        };
        assert_no_leak(&got);
        let expected = path.with_extension("expected");
        if std::env::var_os("BLESS").is_some() {
            fs::write(&expected, &got).unwrap();
        }
        assert_eq!(
            got,
            fs::read_to_string(&expected).unwrap_or_default(),
            "{}",
            path.display()
        );
    }
}

#[test]
fn an_alias_bomb_is_stopped_by_the_node_bound_in_our_words() {
    // A billion laughs: ten levels of ten aliases each. The node budget stops it while an alias is replayed,
    // where serde-saphyr wraps its error; the message must still be ours.
    let mut spec = String::from("proton: EnvironmentSpec\nspec:\n  lol:\n    a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let alias = format!("*a{}", i - 1);
        spec += &format!("    a{i}: &a{i} [{}]\n", [alias.as_str(); 10].join(", "));
    }
    let e = render_bundle(&yaml11_bundle(), &spec, &RenderContext::default()).unwrap_err();
    let text = messages(&e).join("\n");
    assert_no_leak(&text);
    assert!(
        text.starts_with("error: spec:") && text.contains(": invalid YAML: the document has more than "),
        "{text}"
    );
}
