//! The `proton-synth` binary: the local Proton tools (`render`, `check`, `diff OLD NEW`) and `synth`/`list` of an empty app.
//! User programs build their own binary with `proton_synth::app::App` and `proton_synth::cli::run_lazily`.

fn main() {
    std::process::exit(proton_synth::cli::run_lazily(|| {
        proton_synth::app::App::new("proton-synth")
    }));
}
