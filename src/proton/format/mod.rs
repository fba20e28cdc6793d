//! The AWS Proton format model: what a template bundle is and may contain, defined once and used by the
//! bundle writer ([`crate::proton`]) and by `check` and `render` ([`crate::engine`]) alike.
//!
//! - [`kind`]: template kinds (environment, service), bundle kinds, and the kinds of infrastructure file
//!   with their folders, Jinja namespaces and schema input type keys;
//! - [`limits`]: Proton's limits (5 MB, 10 files, 50 KB / 200 KB, 100-character names, 20 instances, …);
//! - [`names`]: the name rule of templates, environments, services, instances and inputs;
//! - [`namespace`]: the Jinja variables each kind of infrastructure file may use (the table of section 4.1);
//! - [`scan`]: the Jinja scanner, which lists every variable reference of a template source with its path;
//! - [`Severity`]: how bad a diagnostic or finding is (one type, from the constructs crate).
//!
//! Invariant: nothing here reads files, prints or depends on `engine` or on the writer; both depend on it.

pub mod kind;
pub mod limits;
pub mod names;
pub mod namespace;
pub mod scan;

pub use kind::{BundleKind, InfraKind, TemplateKind};
pub use limits::{
    max_file_bytes, MAX_ARCHIVE_BYTES, MAX_COMPATIBLE_ENVIRONMENTS, MAX_FILES, MAX_INSTANCES,
    MAX_MANIFEST_OR_SCHEMA_BYTES, MAX_NAME_LEN, MAX_OTHER_FILE_BYTES, MAX_PARAMETER_NAME,
};
pub use names::{check_name, is_identifier, is_valid_name};
pub use proton_synth_constructs::Severity;
