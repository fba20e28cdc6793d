//! proton-synth: typed AWS Proton templates in Rust.
//!
//! See `ARCHITECTURE.md` for the code map.

pub mod app;
pub mod assembly;
#[cfg(feature = "deploy")]
pub mod deploy;
pub mod local;
pub mod proton;
pub mod yaml;

pub use proton_synth_constructs as constructs;
