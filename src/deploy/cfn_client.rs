//! The CloudFormation calls `deploy`, `status` and `upgrade` make, through the AWS SDK for Rust on a
//! current-thread tokio runtime, returned as plain values, and the two S3 calls of template uploads
//! ([`super::s3`]). Every call is appended to a call log (operation and its main arguments) so tests can assert
//! the exact sequence.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{Capability, ChangeSetType, Tag};
use aws_sdk_cloudformation::Client;
use indexmap::IndexMap;

use super::placement::{AssumeRole, Placement};
use super::s3::S3Client;

/// A stack as `DescribeStacks` returns it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackInfo {
    pub name: String,
    pub id: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub outputs: IndexMap<String, String>,
    pub tags: Vec<(String, String)>,
}

/// One resource change of a change set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceChange {
    /// `Add`, `Modify`, `Remove`, `Import`, `Dynamic`.
    pub action: String,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    /// `True`, `False`, `Conditional`, or `None` when CloudFormation did not say.
    pub replacement: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSetInfo {
    pub status: String,
    pub status_reason: Option<String>,
    pub execution_status: Option<String>,
    pub changes: Vec<ResourceChange>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackEvent {
    pub id: String,
    pub timestamp: String,
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
}

/// Where a change set's template comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateSource<'a> {
    /// Inline (`TemplateBody`, at most [`super::template::MAX_TEMPLATE_BODY`] bytes).
    Body(&'a str),
    /// An S3 object (`TemplateURL`), for larger templates.
    Url(&'a str),
}

/// What `CreateChangeSet` needs.
#[derive(Clone, Debug)]
pub struct ChangeSetRequest<'a> {
    pub stack_name: &'a str,
    pub change_set_name: &'a str,
    /// CREATE for a new stack, UPDATE for an existing one.
    pub create: bool,
    pub template: TemplateSource<'a>,
    pub capabilities: &'a [String],
    pub role_arn: Option<&'a str>,
    pub tags: &'a [(String, String)],
}

/// The CloudFormation and S3 calls of one placement (region and credentials). Clients of other placements made
/// with [`CfnClient::placed`] share its runtime and its call log.
pub struct CfnClient {
    rt: Arc<tokio::runtime::Runtime>,
    /// The standard chain's configuration (with `--endpoint-url`), which placed clients start from.
    base: aws_types::SdkConfig,
    endpoint_url: Option<String>,
    client: Client,
    sts: aws_sdk_sts::Client,
    s3: S3Client,
    /// `None` for the standard chain's placement; else what the call log names it.
    label: Option<String>,
    assumes_role: bool,
    /// The account of these credentials once known (from the role ARN, else GetCallerIdentity).
    account: Mutex<Option<String>>,
    calls: Arc<Mutex<Vec<String>>>,
}

/// `error: cloudformation OPERATION: message` from an SDK error, with the service's code when it sent one.
fn sdk_error<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    op: &str,
    e: aws_sdk_cloudformation::error::SdkError<E, R>,
) -> String {
    if let Some(s) = e.as_service_error() {
        let (code, message) = (s.code().unwrap_or("error"), s.message().unwrap_or("no message"));
        return format!("cloudformation {op}: {code}: {message}");
    }
    // Not an answer from CloudFormation (no connection, no credentials, timeout): the chain of causes.
    format!("cloudformation {op}: {}", error_chain(&e))
}

/// An error and its causes on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut detail = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !detail.contains(&text) {
            detail.push_str(&format!(": {text}"));
        }
        source = cause.source();
    }
    detail
}

/// Renew assumed-role credentials this long before they expire.
const RENEW_BEFORE: Duration = Duration::from_secs(300);

/// Credentials of an assumed role (aws-config's `AssumeRoleProvider` over the standard chain's credentials),
/// kept until shortly before they expire; each AssumeRole is written to the call log.
#[derive(Debug)]
struct AssumedRole {
    inner: aws_config::sts::AssumeRoleProvider,
    arn: String,
    label: String,
    cached: Mutex<Option<Credentials>>,
    calls: Arc<Mutex<Vec<String>>>,
}

impl AssumedRole {
    fn new(
        rt: &tokio::runtime::Runtime,
        base: &aws_types::SdkConfig,
        role: &AssumeRole,
        calls: Arc<Mutex<Vec<String>>>,
        label: &str,
    ) -> AssumedRole {
        let mut builder = aws_config::sts::AssumeRoleProvider::builder(&role.arn)
            .configure(base)
            .session_name(&role.session_name);
        if let Some(id) = &role.external_id {
            builder = builder.external_id(id);
        }
        AssumedRole {
            inner: rt.block_on(builder.build()),
            arn: role.arn.clone(),
            label: label.to_owned(),
            cached: Mutex::new(None),
            calls,
        }
    }

    async fn credentials(&self) -> provider::Result {
        let fresh = |c: &Credentials| c.expiry().is_none_or(|t| t > SystemTime::now() + RENEW_BEFORE);
        if let Some(c) = self.cached.lock().ok().and_then(|c| c.clone()).filter(fresh) {
            return Ok(c);
        }
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(format!("[{}] AssumeRole {}", self.label, self.arn));
        }
        let credentials = self.inner.provide_credentials().await?;
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some(credentials.clone());
        }
        Ok(credentials)
    }
}

impl ProvideCredentials for AssumedRole {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(self.credentials())
    }
}

impl CfnClient {
    /// A client from the standard credential chain and region (`AWS_PROFILE`, `AWS_REGION`, …), talking to
    /// `endpoint_url` instead of AWS when given.
    pub fn connect(endpoint_url: Option<&str>) -> Result<CfnClient, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let config = rt.block_on(loader.load());
        if config.region().is_none() {
            return Err("no AWS region configured; set AWS_REGION or a profile's region".to_owned());
        }
        Ok(CfnClient {
            s3: S3Client::new(&config, endpoint_url)?,
            rt: Arc::new(rt),
            client: Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            base: config,
            endpoint_url: endpoint_url.map(str::to_owned),
            label: None,
            assumes_role: false,
            account: Mutex::new(None),
            calls: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// A client for `placement`: its region, and the role assumed with this client's credentials (STS
    /// AssumeRole, on first use, renewed before it expires). Shares the runtime and the call log, where its calls
    /// are prefixed with `[REGION as ROLE] `.
    pub fn placed(&self, placement: &Placement) -> Result<CfnClient, String> {
        let mut builder = self.base.clone().into_builder();
        if let Some(region) = &placement.region {
            builder = builder.region(aws_types::region::Region::new(region.clone()));
        }
        let label = placement.label();
        if let Some(role) = &placement.role {
            let assumed = AssumedRole::new(&self.rt, &self.base, role, self.calls.clone(), &label);
            builder = builder.credentials_provider(SharedCredentialsProvider::new(assumed));
        }
        let config = builder.build();
        Ok(CfnClient {
            s3: S3Client::new(&config, self.endpoint_url.as_deref())?,
            rt: self.rt.clone(),
            client: Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            base: self.base.clone(),
            endpoint_url: self.endpoint_url.clone(),
            label: Some(label),
            assumes_role: placement.role.is_some(),
            account: Mutex::new(placement.role.as_ref().map(|r| r.account.clone())),
            calls: self.calls.clone(),
        })
    }

    /// Its Region, and the assumed role's account when it has one: `eu-west-1 222233334444`.
    pub fn place(&self) -> String {
        match &self.label {
            Some(_) => match self.account.lock().ok().and_then(|a| a.clone()) {
                Some(account) if self.assumes_role => format!("{} {account}", self.region()),
                _ => self.region(),
            },
            None => self.region(),
        }
    }

    /// The Region its calls go to.
    pub fn region(&self) -> String {
        (self.client.config().region()).map_or_else(String::new, ToString::to_string)
    }

    /// The account of its credentials: the assumed role's, else STS GetCallerIdentity's (asked once).
    pub fn account(&self) -> Result<String, String> {
        if let Some(account) = self.account.lock().ok().and_then(|a| a.clone()) {
            return Ok(account);
        }
        self.log("GetCallerIdentity".to_owned());
        let out = (self.rt.block_on(self.sts.get_caller_identity().send()))
            .map_err(|e| format!("sts GetCallerIdentity: {}", error_chain(&e)))?;
        let account = (out.account())
            .ok_or("sts GetCallerIdentity: no account in the answer")?
            .to_owned();
        if let Ok(mut cached) = self.account.lock() {
            *cached = Some(account.clone());
        }
        Ok(account)
    }

    /// Every call made so far, in order: `Operation arg…`.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn log(&self, call: String) {
        let call = match &self.label {
            Some(label) => format!("[{label}] {call}"),
            None => call,
        };
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
    }

    /// The stack, or `None` when it does not exist.
    pub fn describe_stack(&self, name: &str) -> Result<Option<StackInfo>, String> {
        self.log(format!("DescribeStacks {name}"));
        let result = self.rt.block_on(self.client.describe_stacks().stack_name(name).send());
        let out = match result {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .and_then(|s| s.message())
                    .is_some_and(|m| m.contains("does not exist")) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(sdk_error("DescribeStacks", e)),
        };
        let Some(s) = out.stacks().first() else { return Ok(None) };
        Ok(Some(StackInfo {
            name: s.stack_name().unwrap_or(name).to_owned(),
            id: s.stack_id().unwrap_or_default().to_owned(),
            status: s.stack_status().map(|x| x.as_str().to_owned()).unwrap_or_default(),
            status_reason: s.stack_status_reason().map(str::to_owned),
            outputs: (s.outputs().iter())
                .filter_map(|o| {
                    Some((
                        o.output_key()?.to_owned(),
                        o.output_value().unwrap_or_default().to_owned(),
                    ))
                })
                .collect(),
            tags: (s.tags().iter())
                .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                .collect(),
        }))
    }

    /// The template a stack runs now (`GetTemplate`, original form).
    pub fn get_template(&self, name: &str) -> Result<String, String> {
        self.log(format!("GetTemplate {name}"));
        let out = (self.rt.block_on(self.client.get_template().stack_name(name).send()))
            .map_err(|e| sdk_error("GetTemplate", e))?;
        Ok(out.template_body().unwrap_or_default().to_owned())
    }

    pub fn create_change_set(&self, r: &ChangeSetRequest<'_>) -> Result<(), String> {
        let kind = if r.create {
            ChangeSetType::Create
        } else {
            ChangeSetType::Update
        };
        let (body, url) = match r.template {
            TemplateSource::Body(b) => (Some(b.to_owned()), None),
            TemplateSource::Url(u) => (None, Some(u.to_owned())),
        };
        let from = url.as_deref().map(|u| format!(" TemplateURL={u}")).unwrap_or_default();
        self.log(format!("CreateChangeSet {} {}{from}", r.stack_name, kind.as_str()));
        let mut tags = Vec::new();
        for (k, v) in r.tags {
            tags.push(Tag::builder().key(k).value(v).build());
        }
        let request = (self.client.create_change_set())
            .stack_name(r.stack_name)
            .change_set_name(r.change_set_name)
            .change_set_type(kind)
            .set_template_body(body)
            .set_template_url(url)
            .set_capabilities(Some(
                r.capabilities.iter().map(|c| Capability::from(c.as_str())).collect(),
            ))
            .set_role_arn(r.role_arn.map(str::to_owned))
            .set_tags(Some(tags));
        (self.rt.block_on(request.send()))
            .map(|_| ())
            .map_err(|e| sdk_error("CreateChangeSet", e))
    }

    pub fn describe_change_set(&self, stack: &str, change_set: &str) -> Result<ChangeSetInfo, String> {
        self.log(format!("DescribeChangeSet {stack} {change_set}"));
        let mut info = ChangeSetInfo::default();
        let mut token = None;
        loop {
            let request = (self.client.describe_change_set())
                .stack_name(stack)
                .change_set_name(change_set)
                .set_next_token(token.take());
            let out = self
                .rt
                .block_on(request.send())
                .map_err(|e| sdk_error("DescribeChangeSet", e))?;
            info.status = out.status().map(|s| s.as_str().to_owned()).unwrap_or_default();
            info.status_reason = out.status_reason().map(str::to_owned);
            info.execution_status = out.execution_status().map(|s| s.as_str().to_owned());
            info.changes.extend(
                out.changes()
                    .iter()
                    .filter_map(|c| c.resource_change())
                    .map(|c| ResourceChange {
                        action: c.action().map(|a| a.as_str().to_owned()).unwrap_or_default(),
                        logical_id: c.logical_resource_id().unwrap_or_default().to_owned(),
                        physical_id: c.physical_resource_id().map(str::to_owned),
                        resource_type: c.resource_type().unwrap_or_default().to_owned(),
                        replacement: c.replacement().map(|r| r.as_str().to_owned()),
                    }),
            );
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => return Ok(info),
            }
        }
    }

    pub fn execute_change_set(&self, stack: &str, change_set: &str) -> Result<(), String> {
        self.log(format!("ExecuteChangeSet {stack} {change_set}"));
        let request = self
            .client
            .execute_change_set()
            .stack_name(stack)
            .change_set_name(change_set);
        (self.rt.block_on(request.send()))
            .map(|_| ())
            .map_err(|e| sdk_error("ExecuteChangeSet", e))
    }

    pub fn delete_change_set(&self, stack: &str, change_set: &str) -> Result<(), String> {
        self.log(format!("DeleteChangeSet {stack} {change_set}"));
        let request = self
            .client
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(change_set);
        (self.rt.block_on(request.send()))
            .map(|_| ())
            .map_err(|e| sdk_error("DeleteChangeSet", e))
    }

    /// The stack's events, newest first (first page: the most recent 100).
    pub fn stack_events(&self, stack: &str) -> Result<Vec<StackEvent>, String> {
        self.log(format!("DescribeStackEvents {stack}"));
        let out = (self
            .rt
            .block_on(self.client.describe_stack_events().stack_name(stack).send()))
        .map_err(|e| sdk_error("DescribeStackEvents", e))?;
        Ok((out.stack_events().iter())
            .map(|e| StackEvent {
                id: e.event_id().unwrap_or_default().to_owned(),
                timestamp: e.timestamp().map(|t| t.to_string()).unwrap_or_default(),
                logical_id: e.logical_resource_id().unwrap_or_default().to_owned(),
                resource_type: e.resource_type().unwrap_or_default().to_owned(),
                status: e.resource_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                reason: e.resource_status_reason().map(str::to_owned),
            })
            .collect())
    }

    /// The `TemplateURL` of an S3 object (see [`S3Client::object_url`]).
    pub fn object_url(&self, bucket: &str, key: &str) -> String {
        self.s3.object_url(bucket, key)
    }

    /// Whether an S3 object exists (`HeadObject`), in a bucket `owner` must own.
    pub fn object_exists(&self, bucket: &str, key: &str, owner: &str) -> Result<bool, String> {
        self.log(format!("HeadObject {bucket}/{key} owner={owner}"));
        self.rt.block_on(self.s3.exists(bucket, key, owner))
    }

    /// Upload an S3 object (`PutObject`) to a bucket `owner` must own.
    pub fn put_object(&self, bucket: &str, key: &str, body: &str, owner: &str) -> Result<(), String> {
        self.log(format!("PutObject {bucket}/{key} owner={owner}"));
        self.rt
            .block_on(self.s3.put(bucket, key, body.as_bytes().to_vec(), owner))
    }

    /// Sleep between polls (on the client's runtime). The timer is created inside `block_on`: tokio's
    /// `sleep()` registers with the runtime's time driver when it is called, not when first polled.
    pub fn sleep(&self, duration: std::time::Duration) {
        self.rt.block_on(async { tokio::time::sleep(duration).await });
    }
}
