//! Output folders that cannot destroy data.
//!
//! Every folder proton-synth writes (`synth --out`, `render --out`) goes through a [`StagingDir`]:
//!
//! 1. **Guard** ([`StagingDir::open`]): the output path is resolved (symbolic links and `..` followed) and
//!    refused when it is the root folder, the home folder (or a parent of it), the current folder (or a
//!    parent of it), when it contains or lies inside an input of the run ([`OutputOptions::inputs`]), when
//!    it is a file, or when it is a non-empty folder without our [`MARKER`] file (unless
//!    [`OutputOptions::force`]). Only the last refusal can be overridden.
//! 2. **Lock**: an advisory lock on `.NAME.lock` beside the output serializes runs into one folder; a
//!    second run waits up to [`OutputOptions::lock_wait`], then fails naming the process that holds it.
//! 3. **Recovery**: under the lock, `.NAME.tmp-PID` / `.NAME.old-PID` folders of dead processes are
//!    removed (only when they carry the marker, or are empty), and a `NAME` lost by a run killed between
//!    its two renames is restored from its `.NAME.old-PID`.
//! 4. **Staging**: files go into `.NAME.tmp-PID` (marker first), which [`StagingDir::commit`] swaps with
//!    `NAME` in one `renameat2(RENAME_EXCHANGE)` on Linux, or with two renames elsewhere (recovered by the
//!    next run if interrupted). Dropped without a commit, the staging folder removes itself.
//!
//! Errors are [`OutputError`]s: where, what, and how to fix it.

mod guard;
mod lock;
mod staging;
mod stale;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub use guard::is_output_folder;
pub use staging::StagingDir;

/// The file that marks a folder as written by proton-synth; written first into every output folder.
pub const MARKER: &str = ".proton-synth-out";

/// The marker's contents: a format line (`proton-synth-out <version>`), then an explanation for people.
pub const MARKER_TEXT: &str = "proton-synth-out 1\n\
# This folder was written by proton-synth. The next `synth` or `render` into it replaces it as a whole,\n\
# so keep nothing else here. Without this file proton-synth refuses to replace the folder (unless --force).\n";

/// How long a run waits for another run writing the same output folder, by default.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(60);

/// What a run may replace, and what it must not touch.
#[derive(Clone, Debug)]
pub struct OutputOptions {
    /// Replace a non-empty folder that proton-synth did not write (`--force`). Never replaces a file, the
    /// root, home or current folder, or a folder holding an input.
    pub force: bool,
    /// The run's input files and folders: the output may neither contain them nor lie inside them.
    pub inputs: Vec<PathBuf>,
    /// How long to wait for another run holding the output's lock.
    pub lock_wait: Duration,
}

impl Default for OutputOptions {
    fn default() -> Self {
        OutputOptions {
            force: false,
            inputs: Vec::new(),
            lock_wait: DEFAULT_LOCK_WAIT,
        }
    }
}

/// Why an output folder was refused or could not be written: `<path>: <what>; <how to fix>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputError {
    /// The output folder as the user gave it.
    pub path: PathBuf,
    pub what: String,
    pub fix: String,
}

impl OutputError {
    pub(crate) fn new(path: &std::path::Path, what: impl Into<String>, fix: impl Into<String>) -> Self {
        OutputError {
            path: path.to_path_buf(),
            what: what.into(),
            fix: fix.into(),
        }
    }

    /// An I/O failure while doing `action`.
    pub(crate) fn io(path: &std::path::Path, action: &str, e: &std::io::Error) -> Self {
        Self::new(
            path,
            format!("cannot {action}: {}", crate::engine::io_words(e)),
            "check that the folder and its parent are writable",
        )
    }
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}; {}", self.path.display(), self.what, self.fix)
    }
}

impl std::error::Error for OutputError {}

/// For callers that report I/O errors (`?` in a function returning `io::Result`).
impl From<OutputError> for std::io::Error {
    fn from(e: OutputError) -> Self {
        std::io::Error::other(e)
    }
}

/// The checks of an output path that touch nothing: resolve it (absolute, symbolic links and `..`
/// followed) and refuse the root, home and current folders and their parents, and any folder that contains or
/// lies inside one of `inputs`. Returns the resolved path. [`StagingDir::open`] runs this first.
pub fn check_out(out: &std::path::Path, inputs: &[PathBuf]) -> Result<PathBuf, OutputError> {
    let target = guard::resolve(out)?;
    guard::refuse_protected(&target, out, inputs)?;
    Ok(target)
}

/// The inputs of a render: the bundle, the spec, the context file and every outputs file read (from flags
/// or the context file), for [`OutputOptions::inputs`].
pub fn render_inputs(args: &crate::engine::RenderArgs, ctx: &crate::engine::RenderContext) -> Vec<PathBuf> {
    let mut inputs = vec![args.bundle.clone(), args.spec.clone()];
    inputs.extend(args.context.clone());
    // Outputs read from a file name it as their source (inline outputs name a context key, not a path,
    // and are skipped by the guard because no such file exists).
    let environments = ctx.environments.values().filter_map(|e| e.outputs.as_ref());
    let instances = ctx.instances.values().flat_map(|i| {
        i.outputs
            .as_ref()
            .into_iter()
            .chain(i.component.as_ref().map(|c| &c.outputs))
    });
    inputs.extend(environments.chain(instances).map(|o| PathBuf::from(&o.source)));
    inputs
}
