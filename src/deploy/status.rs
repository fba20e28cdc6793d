//! `status`: every stack the deploy file describes, with the template version and spec hash it runs (read back
//! from CloudFormation: the running template's `Metadata.proton-synth`, else the stack's tags), whether its
//! spec drifted from the file's and whether it runs an older template version than the file names.
//! `upgrade`: re-deploy the outdated stacks, one change set each (Proton's "update to latest minor version").

use std::fmt::Write as _;

use super::cfn_client::{CfnClient, StackInfo};
use super::config::{DeployFile, Version};
use super::connections::Connections;
use super::deployer::{Deployer, ServiceParts};
use super::orchestrate::Deployed;
use super::plan::{Loaded, Part};
use super::template::Record;
use crate::engine::parse_yaml;

/// One stack's state against the deploy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackStatus {
    /// The environment or service it belongs to.
    pub owner: String,
    /// `None` for an environment or a pipeline; the instance's name otherwise.
    pub instance: Option<String>,
    pub pipeline: bool,
    pub stack_name: String,
    /// Where it was looked up: its Region, and the assumed role's account when placed through a role.
    pub place: String,
    /// `None` when the stack does not exist.
    pub stack_status: Option<String>,
    /// What runs, `None` when the stack has no proton-synth record.
    pub deployed: Option<Record>,
    /// What the deploy file asks for.
    pub wanted: Record,
}

impl StackStatus {
    /// Runs an older template version than the file names (same major, or any major with `major`).
    pub fn outdated(&self, major: bool) -> bool {
        let want = self.wanted.version;
        self.deployed.as_ref().is_some_and(|d| {
            d.template == self.wanted.template && d.version < want && (major || d.version.major == want.major)
        })
    }

    /// The spec it was deployed from differs from the file's.
    pub fn drifted(&self) -> bool {
        self.deployed
            .as_ref()
            .is_some_and(|d| d.spec_hash != self.wanted.spec_hash)
    }

    fn what(&self) -> String {
        match (&self.instance, self.pipeline) {
            (Some(i), _) => format!("{}/{i}", self.owner),
            (None, true) => format!("{}/pipeline", self.owner),
            (None, false) => self.owner.clone(),
        }
    }
}

/// The status of every stack of the file.
/// Each stack is read where its placement puts it (an instance where its environment is).
pub fn status(connections: &Connections<'_>, file: &DeployFile) -> Result<Vec<StackStatus>, Vec<String>> {
    let mut out = Vec::new();
    for env in &file.environments {
        let loaded = Loaded::load(&env.template, &env.spec)?;
        out.push(one(
            connections.environment(&env.name).cfn,
            &loaded,
            &env.name,
            None,
            false,
            &env.stack_name,
            Part::Environment,
        )?);
    }
    for svc in &file.services {
        let loaded = Loaded::load(&svc.template, &svc.spec)?;
        for i in loaded.instances() {
            let stack = svc.stack_name(&i.name);
            out.push(one(
                connections.environment(&i.environment).cfn,
                &loaded,
                &svc.name,
                Some(&i.name),
                false,
                &stack,
                Part::Instance(&i.name),
            )?);
        }
        if svc.pipeline.unwrap_or(loaded.has_pipeline()) {
            let stack = svc.stack_name("pipeline");
            let cfn = connections.pipeline(&svc.name).cfn;
            out.push(one(cfn, &loaded, &svc.name, None, true, &stack, Part::Pipeline)?);
        }
    }
    Ok(out)
}

fn one(
    cfn: &CfnClient,
    loaded: &Loaded,
    owner: &str,
    instance: Option<&str>,
    pipeline: bool,
    stack_name: &str,
    part: Part<'_>,
) -> Result<StackStatus, Vec<String>> {
    let stack = cfn
        .describe_stack(stack_name)
        .map_err(|e| vec![format!("error: {stack_name}: {e}")])?;
    let deployed = match &stack {
        Some(s) if s.status != "REVIEW_IN_PROGRESS" => deployed_record(cfn, s)?,
        _ => None,
    };
    Ok(StackStatus {
        owner: owner.to_owned(),
        instance: instance.map(str::to_owned),
        pipeline,
        stack_name: stack_name.to_owned(),
        place: cfn.place(),
        stack_status: stack.map(|s| s.status),
        deployed,
        wanted: Record {
            template: loaded.template.name.clone(),
            version: loaded.template.version,
            spec_hash: loaded.spec_hash(part),
        },
    })
}

/// The record of the template that runs (its Metadata), else of the stack's tags.
fn deployed_record(cfn: &CfnClient, stack: &StackInfo) -> Result<Option<Record>, Vec<String>> {
    let text = cfn
        .get_template(&stack.name)
        .map_err(|e| vec![format!("error: {}: {e}", stack.name)])?;
    let from_metadata = parse_yaml(&text).ok().and_then(|node| {
        let meta = node.to_json().get("Metadata")?.get("proton-synth")?.clone();
        Some(Record {
            template: meta.get("template")?.as_str()?.to_owned(),
            version: Version::parse(meta.get("template-version")?.as_str()?)?,
            spec_hash: meta.get("spec-hash")?.as_str().unwrap_or_default().to_owned(),
        })
    });
    Ok(from_metadata.or_else(|| Record::from_tags(stack.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))))
}

/// The status as a table, one stack a line, then what `upgrade` would do.
pub fn format_status(rows: &[StackStatus]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<32} {:<32} {:<24} {:<22} {:<26} {:<18} VERSION",
        "WHAT", "STACK", "WHERE", "TEMPLATE", "STATUS", "SPEC"
    );
    for r in rows {
        let template = match &r.deployed {
            Some(d) => format!("{} {}", d.template, d.version),
            None => "-".to_owned(),
        };
        let spec = match &r.deployed {
            Some(d) if r.drifted() => format!("{} drifted", short(&d.spec_hash)),
            Some(d) => format!("{} same", short(&d.spec_hash)),
            None => "-".to_owned(),
        };
        let version = match &r.deployed {
            _ if r.stack_status.as_deref().is_none_or(|s| s == "REVIEW_IN_PROGRESS") => "not deployed".to_owned(),
            None => "no proton-synth record".to_owned(),
            Some(d) if d.template != r.wanted.template => format!("other template (file: {})", r.wanted.template),
            Some(d) if d.version < r.wanted.version => format!("outdated ({} → {})", d.version, r.wanted.version),
            Some(d) if d.version > r.wanted.version => format!("newer than the file ({})", r.wanted.version),
            Some(_) => "latest".to_owned(),
        };
        let status = r.stack_status.as_deref().unwrap_or("-");
        let _ = writeln!(
            s,
            "{:<32} {:<32} {:<24} {template:<22} {status:<26} {spec:<18} {version}",
            r.what(),
            r.stack_name,
            r.place
        );
    }
    let outdated: Vec<String> = rows
        .iter()
        .filter(|r| r.outdated(true))
        .map(StackStatus::what)
        .collect();
    if outdated.is_empty() {
        s.push_str("every deployed stack runs its template's version in the deploy file\n");
    } else {
        let _ = writeln!(s, "outdated: {} (run `proton-synth upgrade`)", outdated.join(", "));
    }
    s
}

fn short(hash: &str) -> &str {
    hash.get(..8).unwrap_or(hash)
}

/// `upgrade`: re-deploy every outdated stack (of `names` only, when given): environments first, then each
/// service's outdated instances and its pipeline. Returns the deploys done.
pub fn upgrade(deployer: &mut Deployer<'_>, names: &[String], major: bool) -> Result<Vec<Deployed>, Vec<String>> {
    let rows = status(deployer.connections, deployer.file)?;
    let selected = |r: &&StackStatus| r.outdated(major) && (names.is_empty() || names.contains(&r.owner));
    let outdated: Vec<&StackStatus> = rows.iter().filter(selected).collect();
    let mut done = Vec::new();
    let file = deployer.file;
    for env in &file.environments {
        if outdated.iter().any(|r| r.owner == env.name) {
            done.push(deployer.environment(env)?);
        }
    }
    for svc in &file.services {
        let mine: Vec<&&StackStatus> = outdated.iter().filter(|r| r.owner == svc.name).collect();
        if mine.is_empty() {
            continue;
        }
        let parts = ServiceParts {
            instances: Some(mine.iter().filter_map(|r| r.instance.clone()).collect()),
            pipeline: mine.iter().any(|r| r.pipeline),
        };
        done.extend(deployer.service(svc, &parts)?);
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(stack: &str, status: Option<&str>, deployed: Option<(&str, &str)>) -> StackStatus {
        let record = |version: &str, hash: &str| Record {
            template: "svc".into(),
            version: Version::parse(version).unwrap(),
            spec_hash: hash.into(),
        };
        StackStatus {
            owner: "web".into(),
            instance: Some(stack.into()),
            pipeline: false,
            stack_name: format!("web-{stack}"),
            place: "us-east-1".into(),
            stack_status: status.map(str::to_owned),
            deployed: deployed.map(|(v, h)| record(v, h)),
            wanted: record("1.2", "aaaaaaaaaaaaaaaa"),
        }
    }

    #[test]
    fn outdated_drifted_and_not_deployed_stacks_are_told_apart() {
        let rows = [
            row("a", Some("UPDATE_COMPLETE"), Some(("1.2", "aaaaaaaaaaaaaaaa"))),
            row("b", Some("CREATE_COMPLETE"), Some(("1.1", "bbbbbbbbbbbbbbbb"))),
            row("c", None, None),
            row("d", Some("CREATE_COMPLETE"), Some(("0.9", "aaaaaaaaaaaaaaaa"))),
            row("e", Some("UPDATE_COMPLETE"), None),
        ];
        assert!(!rows[0].outdated(true) && !rows[0].drifted());
        assert!(rows[1].outdated(false) && rows[1].drifted());
        assert!(!rows[2].outdated(true) && !rows[2].drifted());
        assert!(
            !rows[3].outdated(false) && rows[3].outdated(true),
            "a major upgrade needs --major"
        );
        let table = format_status(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("WHAT") && lines[0].ends_with("VERSION"));
        assert!(
            lines[1].starts_with("web/a") && lines[1].ends_with("aaaaaaaa same      latest"),
            "{table}"
        );
        assert!(lines[2].ends_with("bbbbbbbb drifted   outdated (1.1 → 1.2)"), "{table}");
        assert!(lines[3].ends_with("not deployed"), "{table}");
        assert!(lines[5].ends_with("no proton-synth record"), "{table}");
        assert_eq!(lines[6], "outdated: web/b, web/d (run `proton-synth upgrade`)");
    }
}
