//! Snapshots of every file every example writes, plus determinism: the examples are included as modules and
//! their `app()` synthesized in memory (no process spawning).

use proton_synth::app::{App, SynthOptions};

#[path = "../examples/l1_vpc.rs"]
mod l1_vpc;

fn snapshot_app(example: &str, app: &App) {
    let synthesis = app
        .synth(&SynthOptions::default())
        .unwrap_or_else(|e| panic!("{example} failed to synthesize:\n{e}"));
    assert!(
        synthesis.warnings.is_empty(),
        "{example} has warnings: {:?}",
        synthesis.warnings
    );
    for (path, bytes) in synthesis.assembly.files() {
        if path.ends_with(".tar.gz") {
            // Binary: its bytes are pinned by the determinism test; its content by the bundle folder snapshots.
            continue;
        }
        let text = String::from_utf8(bytes.clone()).expect("text output");
        let name = format!("{example}__{}", path.replace('/', "__"));
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(name, text);
        });
    }
}

fn assert_deterministic(example: &str, build: fn() -> App) {
    let a = build().synth(&SynthOptions::default()).expect("synth");
    let b = build().synth(&SynthOptions::default()).expect("synth");
    assert_eq!(a.assembly, b.assembly, "{example}: two runs differ");
}

#[test]
fn l1_vpc() {
    snapshot_app("l1_vpc", &l1_vpc::app());
    assert_deterministic("l1_vpc", l1_vpc::app);
}
