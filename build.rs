//! Link the example programs and the `proton-synth` binary as position-dependent executables on Linux
//! (`-no-pie`): the dynamic loader then has no relative relocations to apply at each start (~20,000 for an
//! example, touching ~100 pages of `.data.rel.ro`), which was most of the time a short command (`list`,
//! `--help`) spent before `main`. The cost is the executable's own address randomization (libraries, heap
//! and stack stay randomized); see ARCHITECTURE.md, "Performance". Link arguments only: nothing is compiled
//! differently, so build times do not change.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-examples=-no-pie");
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
