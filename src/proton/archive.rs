//! The deterministic `.tar.gz` of a bundle, and Proton's size limits checked on the files and the archive.

use std::collections::BTreeMap;
use std::io::Write;

use proton_synth_constructs::Diagnostic;

use super::format::limits::{max_file_bytes, MAX_ARCHIVE_BYTES, MAX_FILES};

fn check_sizes(template: &str, files: &BTreeMap<String, Vec<u8>>, tar_gz: &[u8], diags: &mut Vec<Diagnostic>) {
    if files.len() > MAX_FILES {
        diags.push(Diagnostic::error(
            template,
            format!(
                "the bundle has {} files; AWS Proton allows at most {MAX_FILES}",
                files.len()
            ),
        ));
    }
    for (path, body) in files {
        let max = max_file_bytes(path);
        if body.len() > max {
            diags.push(Diagnostic::error(
                template,
                format!("{path} is {} bytes; AWS Proton allows at most {max}", body.len()),
            ));
        }
    }
    if tar_gz.len() as u64 > MAX_ARCHIVE_BYTES {
        diags.push(Diagnostic::error(
            template,
            format!(
                "the bundle archive is {} bytes; AWS Proton allows at most {MAX_ARCHIVE_BYTES}",
                tar_gz.len()
            ),
        ));
    }
}

/// A deterministic `.tar.gz` of `files` under one wrapping folder `root`: sorted entries, GNU headers,
/// mtime 0, uid/gid 0, empty owner names, modes 0644/0755, gzip level 1 (pinned: the bytes depend on it;
/// bundles are small text, level 6 saves little and costs three times the time) with header mtime 0.
pub fn deterministic_tar_gz(root: &str, files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<Vec<u8>> {
    let mut entries: BTreeMap<String, Option<&[u8]>> = BTreeMap::new();
    entries.insert(format!("{root}/"), None);
    for (path, body) in files {
        let full = format!("{root}/{path}");
        let mut dir = full.as_str();
        while let Some(pos) = dir.rfind('/') {
            dir = &dir[..pos];
            entries.insert(format!("{dir}/"), None);
        }
        entries.insert(full, Some(body));
    }
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::new(1));
    let mut builder = tar::Builder::new(gz);
    for (path, body) in &entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        match body {
            Some(data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(data.len() as u64);
                builder.append_data(&mut h, path, *data)?;
            }
            None => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                builder.append_data(&mut h, path, std::io::empty())?;
            }
        }
    }
    let mut gz = builder.into_inner()?;
    gz.flush()?;
    gz.finish()
}

pub(super) fn finish_bundle(name: &str, files: &BTreeMap<String, Vec<u8>>, diags: &mut Vec<Diagnostic>) -> Vec<u8> {
    match deterministic_tar_gz(name, files) {
        Ok(t) => {
            check_sizes(name, files, &t, diags);
            t
        }
        Err(e) => {
            diags.push(Diagnostic::error(
                name,
                format!(
                    "cannot build the archive: {}; report this as a bug",
                    crate::engine::io_words(&e)
                ),
            ));
            Vec::new()
        }
    }
}
