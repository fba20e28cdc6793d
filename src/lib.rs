//! proton-synth: typed AWS Proton templates in Rust.
//!
//! See `ARCHITECTURE.md` for the code map.

pub mod app;
pub mod assembly;
pub mod cli;
#[cfg(feature = "deploy")]
pub mod deploy;
pub mod diff;
pub mod engine;
pub mod output;
pub mod proton;
pub mod yaml;

pub use proton_synth_constructs as constructs;

/// The allocator of every program built on proton-synth (feature `mimalloc`, on by default; without transparent
/// huge pages, which cost each process ~1 ms at start for zeroing a 2 MB page). Synthesis builds
/// and drops trees of small values; mimalloc runs the 1,000-bundle benchmark in ~25–30 % less wall time than glibc's
/// malloc (ARCHITECTURE.md, "Performance"). A program that sets its own `#[global_allocator]` depends on
/// proton-synth with `default-features = false`.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The README's Rust examples, compiled as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
