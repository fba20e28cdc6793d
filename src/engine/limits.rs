//! Every limit that applies when reading local input, in one table. Each reader (bundle folder,
//! `.tar.gz`, spec, context file, outputs files, and the YAML parser behind all of them) takes its bound
//! from here, checks a file's size before reading it and reads through a reader that stops at the bound,
//! so no input (a huge or sparse file, `/dev/zero`, an archive entry whose header lies) costs more memory
//! than the bound.
//!
//! | Limit | Value | Whose |
//! |---|---|---|
//! | [`MAX_ARCHIVE_BYTES`]: a bundle `.tar.gz` | 5,000,000 bytes | Proton (reported as a finding) |
//! | [`MAX_FILES`]: files in a bundle | 10 | Proton (finding) |
//! | [`MAX_MANIFEST_OR_SCHEMA_BYTES`]: `manifest.yaml`, `schema.yaml` | 50,000 bytes | Proton (finding) |
//! | [`MAX_OTHER_FILE_BYTES`]: any other bundle file | 200,000 bytes | Proton (finding) |
//! | [`MAX_ARCHIVE_READ_BYTES`]: a `.tar.gz` we read at all | 64 MiB | ours (load error) |
//! | [`MAX_UNPACKED_BYTES`]: all bundle files together, unpacked | 64 MiB | ours (load error) |
//! | [`MAX_TAR_STREAM_BYTES`]: a `.tar.gz` decompressed (files, headers, padding) | 64 MiB + 20 MB | ours (load error) |
//! | [`MAX_ENTRIES`]: files, folders and other entries in a bundle | 10,000 | ours (load error) |
//! | [`MAX_DEPTH`]: nested folders in a bundle folder | 16 | ours (load error) |
//! | [`MAX_SPEC_BYTES`]: a spec file | 1 MiB | ours |
//! | [`MAX_CONTEXT_BYTES`]: a `--context` file | 1 MiB | ours |
//! | [`MAX_OUTPUTS_BYTES`]: an outputs file (`--env-outputs` …, `outputs_file`) | 4 MiB | ours |
//! | [`MAX_YAML_NODES`]: nodes in one YAML/JSON document | 250,000 | ours |
//! | [`MAX_YAML_DEPTH`]: nesting of one YAML/JSON document | 32 | ours |
//!
//! Proton's sizes use 1 KB = 1000 bytes, the stricter reading of AWS's "KB" (the synthesizer's own copy in
//! `proton::bundle::limits` reads it as 1024 bytes; the two are to be unified). Our own bounds are far above
//! anything a real bundle, spec or outputs file needs; they exist so that hostile input fails fast with a
//! clear message. Only regular files and folders are ever opened (see `super::read`).

/// A bundle archive, as Proton accepted it.
pub const MAX_ARCHIVE_BYTES: u64 = 5_000_000;
/// Files in a bundle, as Proton accepted it.
pub const MAX_FILES: usize = 10;
/// `manifest.yaml` and `schema.yaml`, as Proton accepted them.
pub const MAX_MANIFEST_OR_SCHEMA_BYTES: usize = 50_000;
/// Any other bundle file, as Proton accepted it.
pub const MAX_OTHER_FILE_BYTES: usize = 200_000;
/// The largest `.tar.gz` read at all (larger ones are not read; Proton's own limit is a finding).
pub const MAX_ARCHIVE_READ_BYTES: u64 = 64 << 20;
/// All files of a bundle together, unpacked: protection against archive bombs and huge folders.
pub const MAX_UNPACKED_BYTES: u64 = 64 << 20;
/// Files and folders in a bundle.
pub const MAX_ENTRIES: usize = 10_000;
/// Nested folders in a bundle folder.
pub const MAX_DEPTH: usize = 16;
/// The decompressed tar stream of a bundle archive: its files plus headers and padding.
pub const MAX_TAR_STREAM_BYTES: u64 = MAX_UNPACKED_BYTES + (MAX_ENTRIES as u64) * 2048;
/// A spec file.
pub const MAX_SPEC_BYTES: u64 = 1 << 20;
/// A context file.
pub const MAX_CONTEXT_BYTES: u64 = 1 << 20;
/// An outputs file.
pub const MAX_OUTPUTS_BYTES: u64 = 4 << 20;
/// Nodes in one YAML or JSON document.
pub const MAX_YAML_NODES: usize = 250_000;
/// Nesting of collections in one YAML or JSON document. The deepest real template we know (a rendered
/// 20-instance pipeline) nests 13 levels. Deserializing costs ~35 KB of stack per level in a debug build,
/// so 32 levels stay within a 2 MiB thread stack (serde-saphyr's default of 64 overflowed it).
pub const MAX_YAML_DEPTH: usize = 32;

/// A byte count for messages: `64 MiB`, `1 MiB`, `5000000 bytes`.
pub fn describe_bytes(n: u64) -> String {
    if n >= 1 << 20 && n.trailing_zeros() >= 20 {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}
