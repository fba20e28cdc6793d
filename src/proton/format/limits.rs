//! AWS Proton's limits (format notes, section 9), the one table that the bundle writer
//! ([`crate::proton`]) and the checker and renderer ([`crate::engine`]) both enforce.
//!
//! | Limit | Value |
//! |---|---|
//! | [`MAX_ARCHIVE_BYTES`]: a bundle `.tar.gz` | 5 MB |
//! | [`MAX_FILES`]: files in a bundle | 10 |
//! | [`MAX_MANIFEST_OR_SCHEMA_BYTES`]: `manifest.yaml`, `schema.yaml` | 50 KB each |
//! | [`MAX_OTHER_FILE_BYTES`]: any other bundle file | 200 KB |
//! | [`MAX_NAME_LEN`]: template, environment, service and instance names | 100 characters |
//! | [`MAX_PARAMETER_NAME`]: schema property (input) names | 100 characters |
//! | [`MAX_INSTANCES`]: service instances per service | 20 |
//! | [`MAX_COMPATIBLE_ENVIRONMENTS`]: compatible environment templates of a service template version | 10 |
//!
//! **1 KB is 1,000 bytes here.** AWS's quota page says "5 MB", "50 KB" and "200 KB" without saying whether
//! it means powers of 1,000 or 1,024 (see `proton-bundle-format.md`, section 9). The decimal reading is
//! the stricter one: a bundle within it is within the other too, so what `synth` writes and `check`
//! accepts is accepted by Proton under either reading.

/// A bundle archive (`.tar.gz`): 5 MB.
pub const MAX_ARCHIVE_BYTES: u64 = 5_000_000;
/// Files in a bundle (every file counts, to be safe).
pub const MAX_FILES: usize = 10;
/// `manifest.yaml` and `schema.yaml`: 50 KB each.
pub const MAX_MANIFEST_OR_SCHEMA_BYTES: usize = 50_000;
/// Any other bundle file (the IaC templates): 200 KB.
pub const MAX_OTHER_FILE_BYTES: usize = 200_000;
/// Template, environment, service and instance names.
pub const MAX_NAME_LEN: usize = 100;
/// Schema property (input) names.
pub const MAX_PARAMETER_NAME: usize = 100;
/// Service instances per service (Proton's default quota).
pub const MAX_INSTANCES: usize = 20;
/// Compatible environment templates of one service template version.
pub const MAX_COMPATIBLE_ENVIRONMENTS: usize = 10;

/// The size limit of the bundle file at `path` (`/`-separated): manifests and the schema have their own.
pub fn max_file_bytes(path: &str) -> usize {
    let name = path.rsplit('/').next().unwrap_or(path);
    if matches!(name, "manifest.yaml" | "schema.yaml") {
        MAX_MANIFEST_OR_SCHEMA_BYTES
    } else {
        MAX_OTHER_FILE_BYTES
    }
}
