//! The generator's inputs: the type list (`codegen/services.txt`) and the registry schemas vendored in
//! `constructs/schemas/` ([`vendor`] refreshes them from an installed cfn-lint package).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use serde_json::{Map, Value as J};

use crate::naming::{schema_file_name, service_module};
use crate::{PROVIDER_REGION, SCHEMA_DIR, SERVICES_FILE};

/// Read `codegen/services.txt`.
pub fn read_services(root: &Path) -> Result<Vec<String>, String> {
    let path = root.join(SERVICES_FILE);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out: Vec<String> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.split('#').next().unwrap_or_default().trim();
        if t.is_empty() {
            continue;
        }
        let parts: Vec<&str> = t.split("::").collect();
        if parts.len() != 3
            || parts
                .iter()
                .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(format!("{}:{}: not a resource type name: {t:?}", path.display(), n + 1));
        }
        if out.iter().any(|x| x == t) {
            return Err(format!("{}:{}: duplicate type {t}", path.display(), n + 1));
        }
        out.push(t.to_owned());
    }
    Ok(out)
}

/// The cfn-lint version recorded in `constructs/schemas/README.md` by [`vendor`].
pub fn vendored_version(root: &Path) -> Result<String, String> {
    let path = root.join(SCHEMA_DIR).join("README.md");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let marker = "PyPI package `cfn-lint` version ";
    let start = text
        .find(marker)
        .ok_or_else(|| format!("{}: no line with {marker:?}", path.display()))?;
    let version: String = text[start + marker.len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    if version.is_empty() {
        return Err(format!("{}: empty cfn-lint version", path.display()));
    }
    Ok(version)
}

/// Copy the schema of every type of `services.txt` from an installed cfn-lint package
/// (`<site-packages>/cfnlint/data/schemas`) into `constructs/schemas/`, remove stale schema files and
/// rewrite `constructs/schemas/README.md`. Returns the cfn-lint version.
pub fn vendor(root: &Path, cfnlint_schemas: &Path) -> Result<String, String> {
    let types = read_services(root)?;
    let version_py = cfnlint_schemas.join("../../version.py");
    let version_text = fs::read_to_string(&version_py).map_err(|e| format!("{}: {e}", version_py.display()))?;
    let version = version_text
        .lines()
        .find_map(|l| l.trim().strip_prefix("__version__ = "))
        .map(|v| v.trim_matches(|c| c == '"' || c == '\'').to_owned())
        .ok_or_else(|| format!("{}: no __version__", version_py.display()))?;
    let provider_path = cfnlint_schemas.join(format!("providers/{PROVIDER_REGION}.json"));
    let provider: Map<String, J> = serde_json::from_str(
        &fs::read_to_string(&provider_path).map_err(|e| format!("{}: {e}", provider_path.display()))?,
    )
    .map_err(|e| format!("{}: {e}", provider_path.display()))?;
    let dir = root.join(SCHEMA_DIR);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut rows = String::new();
    let mut keep = BTreeSet::new();
    for t in &types {
        let hash = provider
            .get(t)
            .and_then(J::as_str)
            .ok_or_else(|| format!("{t}: not in {}", provider_path.display()))?;
        let src = cfnlint_schemas.join(format!("resources/{hash}.json"));
        let file = schema_file_name(t);
        fs::copy(&src, dir.join(&file)).map_err(|e| format!("{}: {e}", src.display()))?;
        writeln!(rows, "| `{t}` | `{hash}` | [`{file}`]({file}) |").unwrap();
        keep.insert(file);
    }
    for entry in fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let name = entry
            .map_err(|e| e.to_string())?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".json") && !keep.contains(&name) {
            fs::remove_file(dir.join(&name)).map_err(|e| format!("{name}: {e}"))?;
        }
    }
    let readme = format!(
        "# Vendored CloudFormation resource schemas\n\n\
         Source: PyPI package `cfn-lint` version {version}, files `cfnlint/data/schemas/resources/<hash>.json`, \
         chosen through the {PROVIDER_REGION} provider map `cfnlint/data/schemas/providers/{PROVIDER_REGION}.json`. \
         cfn-lint ships the AWS CloudFormation registry resource schemas with its own corrections applied. \
         The files are byte-identical copies, renamed after the type (`AWS::EC2::VPC` → `AWS_EC2_VPC.json`).\n\n\
         License: MIT-0 (cfn-lint, <https://github.com/aws-cloudformation/cfn-lint>).\n\n\
         These files are the only input of the code generator (`cargo run -p proton-synth-codegen`), which works \
         offline. To add a type: add a line to `codegen/services.txt`, then re-vendor and regenerate with\n\
         `cargo run -p proton-synth-codegen -- --vendor <site-packages>/cfnlint/data/schemas`\n\
         (this also updates this file).\n\n\
         | Type | Hash | File |\n|---|---|---|\n{rows}"
    );
    let readme_path = dir.join("README.md");
    fs::write(&readme_path, readme).map_err(|e| format!("{}: {e}", readme_path.display()))?;
    Ok(version)
}

/// The vendored schema of each of `types`, by service module (`ec2`, `s3`, …), each checked to be the schema
/// of its type.
pub(crate) fn read_schemas(root: &Path, types: Vec<String>) -> Result<BTreeMap<String, Vec<(String, J)>>, String> {
    let mut by_service: BTreeMap<String, Vec<(String, J)>> = BTreeMap::new();
    for t in types {
        let path = root.join(SCHEMA_DIR).join(schema_file_name(&t));
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("{}: {e} (vendor it: see {SCHEMA_DIR}/README.md)", path.display()))?;
        let schema: J = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if schema.get("typeName").and_then(J::as_str) != Some(t.as_str()) {
            return Err(format!("{}: typeName is not {t}", path.display()));
        }
        by_service.entry(service_module(&t)).or_default().push((t, schema));
    }
    Ok(by_service)
}
