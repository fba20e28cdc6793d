//! proton-synth: typed AWS Proton templates in Rust.
//!
//! See `ARCHITECTURE.md` for the code map.

pub mod app;
pub mod assembly;
#[cfg(feature = "deploy")]
pub mod deploy;
pub mod diff;
pub mod engine;
pub mod output;
pub mod proton;
pub mod yaml;

pub use proton_synth_constructs as constructs;

/// The README's Rust examples, compiled as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
