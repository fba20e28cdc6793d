//! Deploy one stack the way Proton did, through a change set: create it (CREATE for a new stack, UPDATE for an
//! existing one), show it classified (replacements first), get approval, execute it, stream the stack's events
//! until it settles, and on failure show the failed events (the stack is left rolled back by CloudFormation).

use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::cfn_client::{CfnClient, ChangeSetInfo, ChangeSetRequest, StackInfo, TemplateSource};
use super::classify::ClassifyChanges;
use super::events::{failures, format_event, is_final, is_success, resources_done, EventStream};
use super::s3::TemplateUpload;
use super::template::{long_form, Record, MAX_TEMPLATE_BODY};
use crate::engine::parse_yaml;

/// One stack to deploy: its name, what it is (for messages), the template to send and the record to tag.
#[derive(Clone, Debug)]
pub struct StackPlan {
    pub stack_name: String,
    /// e.g. `environment Beta`, `instance front-end/instance-1`, `pipeline of front-end`.
    pub label: String,
    /// Long-form JSON with the record in its Metadata.
    pub template: Value,
    pub record: Record,
}

/// Where a stack's templates over [`MAX_TEMPLATE_BODY`] bytes go.
#[derive(Clone, Debug)]
pub enum Upload<'a> {
    To(&'a TemplateUpload),
    /// No bucket for this stack's placement: how to name one.
    Missing(String),
}

/// Asks a question on someone's behalf: `Ok(true)` approves; `Err` when nobody can answer.
pub type Ask = Box<dyn FnMut(&str) -> Result<bool, String>>;

/// How a change set is approved.
pub enum Approval {
    /// `--yes`: execute without asking.
    Yes,
    /// Ask with this question; `Ok(true)` executes. `Err` when nobody can answer (no terminal on stdin).
    Ask(Ask),
}

/// What every stack deploy of one command shares.
pub struct Session<'a> {
    pub cfn: &'a CfnClient,
    pub classifier: &'a dyn ClassifyChanges,
    pub capabilities: &'a [String],
    pub role_arn: Option<&'a str>,
    /// Where templates over [`MAX_TEMPLATE_BODY`] bytes go (`--s3-bucket` or the deploy file's `s3_bucket`).
    /// The deployer sets it with `cfn` for each stack, from the stack's placement.
    pub upload: Upload<'a>,
    pub approval: Approval,
    /// Progress, the change set and events are written here as they happen.
    pub out: &'a mut dyn Write,
    pub poll_interval: Duration,
    pub timeout: Duration,
}

/// How a stack deploy ended (errors are `Err`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deployed {
    /// Executed; the stack as it is now (outputs included).
    Changed(StackInfo),
    /// The template and tags were already deployed: nothing executed.
    Unchanged(StackInfo),
}

impl Deployed {
    pub fn stack(&self) -> &StackInfo {
        match self {
            Deployed::Changed(s) | Deployed::Unchanged(s) => s,
        }
    }
}

impl Session<'_> {
    fn say(&mut self, line: impl AsRef<str>) {
        // Progress output is best effort: a closed stdout must not abort a deploy half way.
        let _ = writeln!(self.out, "{}", line.as_ref());
    }

    /// Deploy one stack; see the module doc. Errors are complete `error: …` lines.
    pub fn deploy_stack(&mut self, plan: &StackPlan) -> Result<Deployed, String> {
        let name = plan.stack_name.as_str();
        let body = serde_json::to_string(&plan.template).map_err(|e| format!("error: {name}: {e}"))?;
        let upload = match &self.upload {
            _ if body.len() <= MAX_TEMPLATE_BODY => None,
            Upload::To(u) => Some(*u),
            Upload::Missing(fix) => {
                return Err(format!(
                    "error: {name}: the template is {} bytes, over CloudFormation's {MAX_TEMPLATE_BODY}-byte \
                     inline limit, so it must go through S3; {fix}",
                    body.len()
                ));
            }
        };
        let existing = self
            .cfn
            .describe_stack(name)
            .map_err(|e| format!("error: {name}: {e}"))?;
        let create = match &existing {
            None => true,
            Some(s) => check_deployable(s)?,
        };
        let old = match (&existing, create) {
            (Some(_), false) => Some(self.current_template(name)?),
            _ => None,
        };
        let change_set = change_set_name();
        self.say(format!(
            "== {} (stack {name}): {} change set {change_set}",
            plan.label,
            if create { "CREATE" } else { "UPDATE" }
        ));
        let tags = plan.record.tags();
        let url = match upload {
            Some(u) => Some(self.upload_template(name, &body, u)?),
            None => None,
        };
        self.cfn
            .create_change_set(&ChangeSetRequest {
                stack_name: name,
                change_set_name: &change_set,
                create,
                template: url.as_deref().map_or(TemplateSource::Body(&body), TemplateSource::Url),
                capabilities: self.capabilities,
                role_arn: self.role_arn,
                tags: &tags,
            })
            .map_err(|e| format!("error: {name}: {e}"))?;
        let info = self.wait_for_change_set(name, &change_set)?;
        if info.status == "FAILED" {
            return self.no_changes_or_error(name, &change_set, &info, existing, &plan.record);
        }
        self.show_changes(old.as_ref(), &plan.template, &info);
        if !self.approved(name, &change_set)? {
            return Err(format!(
                "error: {name}: change set {change_set} not approved; nothing was executed"
            ));
        }
        self.execute(name, &change_set, &plan.template)
    }

    /// Put a template over the inline limit in S3 under its SHA-256 (skipped when that object is already there:
    /// the same template is the same key) and return its `TemplateURL`.
    fn upload_template(&mut self, name: &str, body: &str, upload: &TemplateUpload) -> Result<String, String> {
        let key = upload.key(name, body);
        let bucket = upload.bucket.as_str();
        // The bucket must be this account's: a bucket of that name elsewhere is refused by S3 (403).
        let owner = self.cfn.account().map_err(|e| format!("error: {name}: {e}"))?;
        let exists = (self.cfn.object_exists(bucket, &key, &owner)).map_err(|e| format!("error: {name}: {e}"))?;
        if exists {
            self.say(format!(
                "   template ({} bytes) already in s3://{bucket}/{key}",
                body.len()
            ));
        } else {
            (self.cfn.put_object(bucket, &key, body, &owner)).map_err(|e| format!("error: {name}: {e}"))?;
            self.say(format!(
                "   template ({} bytes) uploaded to s3://{bucket}/{key}",
                body.len()
            ));
        }
        Ok(self.cfn.object_url(bucket, &key))
    }

    fn current_template(&self, name: &str) -> Result<Value, String> {
        let text = self.cfn.get_template(name).map_err(|e| format!("error: {name}: {e}"))?;
        let node = parse_yaml(&text)
            .map_err(|e| format!("error: {name}: the deployed template does not parse: {}", e.message))?;
        Ok(long_form(&node))
    }

    fn wait_for_change_set(&mut self, name: &str, change_set: &str) -> Result<ChangeSetInfo, String> {
        let start = Instant::now();
        loop {
            let info = (self.cfn.describe_change_set(name, change_set)).map_err(|e| format!("error: {name}: {e}"))?;
            if !matches!(info.status.as_str(), "CREATE_PENDING" | "CREATE_IN_PROGRESS") {
                return Ok(info);
            }
            if start.elapsed() > self.timeout {
                return Err(format!(
                    "error: {name}: change set {change_set} still {} after {:?}; look at it in the console",
                    info.status, self.timeout
                ));
            }
            self.cfn.sleep(self.poll_interval);
        }
    }

    /// A FAILED change set: "no changes" is success (the change set is deleted), anything else an error.
    fn no_changes_or_error(
        &mut self,
        name: &str,
        change_set: &str,
        info: &ChangeSetInfo,
        existing: Option<StackInfo>,
        record: &Record,
    ) -> Result<Deployed, String> {
        let reason = info.status_reason.clone().unwrap_or_default();
        let empty = reason.contains("didn't contain changes") || reason.contains("No updates");
        self.cfn
            .delete_change_set(name, change_set)
            .map_err(|e| format!("error: {name}: {e}"))?;
        match existing {
            Some(stack) if empty => {
                self.say(format!("   no changes: {name} is up to date"));
                let tags = stack.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                if Record::from_tags(tags).as_ref() != Some(record) {
                    self.say(format!(
                        "   note: CloudFormation saw no change, so {name} keeps its old proton-synth tags; they \
                         change with the next template change"
                    ));
                }
                Ok(Deployed::Unchanged(stack))
            }
            _ => Err(format!(
                "error: {name}: CloudFormation rejected change set {change_set}: {reason}; fix the template or spec"
            )),
        }
    }

    fn show_changes(&mut self, old: Option<&Value>, new: &Value, info: &ChangeSetInfo) {
        let classified = self.classifier.classify(old, new, &info.changes);
        let replaced = classified.iter().filter(|c| c.impact.replaces()).count();
        self.say(format!("   {} change(s), {replaced} replacement(s):", classified.len()));
        for c in &classified {
            let mut line = format!(
                "   {:<12} {:<44} {}",
                c.impact.to_string(),
                c.change.resource_type,
                c.change.logical_id
            );
            if let Some(note) = &c.note {
                line.push_str(&format!("  ({note})"));
            }
            self.say(line);
        }
    }

    fn approved(&mut self, name: &str, change_set: &str) -> Result<bool, String> {
        let question = format!("Execute change set {change_set} on {name}? [y/N] ");
        let answer = match &mut self.approval {
            Approval::Yes => return Ok(true),
            Approval::Ask(ask) => ask(&question),
        };
        match answer {
            Ok(true) => Ok(true),
            other => {
                self.cfn
                    .delete_change_set(name, change_set)
                    .map_err(|e| format!("error: {name}: {e}"))?;
                other.map_err(|e| format!("error: {name}: {e}; change set {change_set} was deleted"))
            }
        }
    }

    fn execute(&mut self, name: &str, change_set: &str, template: &Value) -> Result<Deployed, String> {
        let before = self.cfn.stack_events(name).unwrap_or_default();
        let mut stream = EventStream::after(&before);
        let total = template
            .get("Resources")
            .and_then(Value::as_object)
            .map_or(0, |r| r.len());
        if let Err(e) = self.cfn.execute_change_set(name, change_set) {
            self.say(format!("   {e}"));
            let events = self.cfn.stack_events(name).unwrap_or_default();
            self.report_failures(&stream.fresh(&events));
            return Err(format!("error: {name}: {e}"));
        }
        let start = Instant::now();
        let mut seen = Vec::new();
        loop {
            let events = self.cfn.stack_events(name).map_err(|e| format!("error: {name}: {e}"))?;
            for e in stream.fresh(&events) {
                self.say(format_event(&e));
                seen.push(e);
            }
            let stack = (self
                .cfn
                .describe_stack(name)
                .map_err(|e| format!("error: {name}: {e}"))?)
            .ok_or_else(|| format!("error: {name}: the stack disappeared while deploying"))?;
            if is_final(&stack.status) {
                return self.finish(name, stack, &seen);
            }
            self.say(format!(
                "   … {} ({}/{total} resources done)",
                stack.status,
                resources_done(&seen)
            ));
            if start.elapsed() > self.timeout {
                return Err(format!(
                    "error: {name}: still {} after {:?}; CloudFormation goes on: follow it with `aws cloudformation \
                     describe-stack-events --stack-name {name}`",
                    stack.status, self.timeout
                ));
            }
            self.cfn.sleep(self.poll_interval);
        }
    }

    fn finish(
        &mut self,
        name: &str,
        stack: StackInfo,
        seen: &[super::cfn_client::StackEvent],
    ) -> Result<Deployed, String> {
        if is_success(&stack.status) {
            self.say(format!("   {name}: {}", stack.status));
            return Ok(Deployed::Changed(stack));
        }
        self.report_failures(seen);
        let reason = stack
            .status_reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        Err(format!(
            "error: {name}: deploy failed, the stack is {}{reason}; fix the cause in the failed events above and deploy again",
            stack.status
        ))
    }

    fn report_failures(&mut self, events: &[super::cfn_client::StackEvent]) {
        let failed = failures(events);
        if failed.is_empty() {
            return;
        }
        self.say("   failed events:");
        for e in failed {
            self.say(format!(
                "   {} {} {}: {}",
                e.status,
                e.resource_type,
                e.logical_id,
                e.reason.as_deref().unwrap_or("(no reason given)")
            ));
        }
    }
}

/// May this stack be deployed to, and is it a CREATE (`true`) or an UPDATE?
fn check_deployable(stack: &StackInfo) -> Result<bool, String> {
    let name = &stack.name;
    match stack.status.as_str() {
        // A stack created by a CREATE change set that never executed: create it again.
        "REVIEW_IN_PROGRESS" => Ok(true),
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" | "DELETE_FAILED" => Err(format!(
            "error: {name}: the stack is {} (its creation failed) and cannot be updated; delete it with \
             `aws cloudformation delete-stack --stack-name {name}` and deploy again",
            stack.status
        )),
        s if s.ends_with("_IN_PROGRESS") => Err(format!(
            "error: {name}: the stack is busy ({s}); wait until it settles and deploy again"
        )),
        _ => Ok(false),
    }
}

fn change_set_name() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    format!("proton-synth-{}-{:03}", now.as_secs(), now.subsec_millis())
}
