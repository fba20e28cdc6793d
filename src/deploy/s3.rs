//! Templates over CloudFormation's inline limit go through S3: [`TemplateUpload`] (the bucket and prefix the
//! user named, the content-addressed key) and [`S3Client`], the two S3 calls this needs (`HeadObject`,
//! `PutObject`), signed with SigV4 (`aws-sigv4`) and sent through the SDK's own HTTPS connector, so the
//! `deploy` feature adds no crate to the build (`aws-sdk-s3` would add ten; see the README).

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings, SharedHttpConnector};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use aws_types::SdkConfig;
use sha2::{Digest, Sha256};

/// Where templates over the inline limit are uploaded: `s3://BUCKET/PREFIX/<stack>/<sha256>.template`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateUpload {
    pub bucket: String,
    /// Without leading or trailing `/`; may be empty.
    pub prefix: String,
}

impl TemplateUpload {
    /// A checked bucket name and key prefix; `source` names where they came from in errors (`--s3-bucket`,
    /// `s3_bucket in FILE`).
    pub fn new(bucket: &str, prefix: Option<&str>, source: &str) -> Result<TemplateUpload, String> {
        if let Some(problem) = bucket_name_problem(bucket) {
            return Err(format!(
                "{source}: `{bucket}` is not an S3 bucket name: {problem}; name an existing bucket of this account"
            ));
        }
        let prefix = prefix.unwrap_or_default().trim_matches('/');
        let safe = |c: char| c.is_ascii_alphanumeric() || "!-_.*'()/".contains(c);
        if let Some(bad) = prefix.chars().find(|c| !safe(*c)) {
            return Err(format!(
                "{source}: the S3 prefix `{prefix}` contains {bad:?}; use letters, digits and !-_.*'()/ only"
            ));
        }
        if prefix.contains("//") || prefix.len() > 512 {
            return Err(format!(
                "{source}: the S3 prefix `{prefix}` has an empty segment (`//`) or is over 512 characters"
            ));
        }
        Ok(TemplateUpload {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }

    /// The content-addressed key of `body` for `stack`: the same template is always the same object.
    pub fn key(&self, stack: &str, body: &str) -> String {
        let digest: String = Sha256::digest(body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if self.prefix.is_empty() {
            format!("{stack}/{digest}.template")
        } else {
            format!("{}/{stack}/{digest}.template", self.prefix)
        }
    }
}

/// What is wrong with an S3 bucket name (general purpose buckets), if anything.
fn bucket_name_problem(name: &str) -> Option<&'static str> {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !(3..=63).contains(&name.len()) {
        Some("it must be 3 to 63 characters long")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        Some("only lowercase letters, digits, dots and hyphens are allowed")
    } else if !edge(name.chars().next()) || !edge(name.chars().last()) {
        Some("it must begin and end with a letter or digit")
    } else if name.contains("..") {
        Some("it must not contain two adjacent dots")
    } else {
        None
    }
}

/// `HeadObject` and `PutObject` on S3 (or on the `--endpoint-url` emulator).
pub struct S3Client {
    connector: SharedHttpConnector,
    credentials: SharedCredentialsProvider,
    region: String,
    endpoint: Option<String>,
}

/// S3 refuses the request (403) when the bucket belongs to another account than this header's.
const EXPECTED_OWNER: &str = "x-amz-expected-bucket-owner";

/// How long to wait for S3 to accept a connection and to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(120);

impl S3Client {
    /// A client with the SDK configuration's credentials, region and HTTPS connector (rustls).
    pub fn new(config: &SdkConfig, endpoint: Option<&str>) -> Result<S3Client, String> {
        let region = config
            .region()
            .ok_or("no AWS region configured; set AWS_REGION or a profile's region")?;
        let credentials = config
            .credentials_provider()
            .ok_or("no AWS credentials provider; configure credentials (AWS_PROFILE, environment, SSO, …)")?;
        let settings = HttpConnectorSettings::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .build();
        let connector = aws_smithy_http_client::default_connector(&settings, config.sleep_impl())
            .ok_or("no HTTPS connector available in this build")?;
        Ok(S3Client {
            connector,
            credentials,
            region: region.to_string(),
            endpoint: endpoint.map(str::to_owned),
        })
    }

    /// The object's URL, as `TemplateURL` takes it (see [`object_url`]).
    pub fn object_url(&self, bucket: &str, key: &str) -> String {
        object_url(self.endpoint.as_deref(), &self.region, bucket, key)
    }

    /// Whether the object exists. S3 answers 403 instead of 404 for a missing key when the caller may not list
    /// the bucket: that counts as missing (the upload then says whether writing is allowed).
    /// `owner`: the account that must own the bucket (`x-amz-expected-bucket-owner`), so a template never goes
    /// to, or is read from, another account's bucket of that name.
    pub async fn exists(&self, bucket: &str, key: &str, owner: &str) -> Result<bool, String> {
        let url = self.object_url(bucket, key);
        let (status, region, _) = self.send("HEAD", &url, Vec::new(), owner).await?;
        match status {
            200 => Ok(true),
            403 | 404 => Ok(false),
            _ => Err(http_error("HeadObject", bucket, status, region.as_deref(), "")),
        }
    }

    /// Upload `body` as the object, to a bucket `owner` owns.
    pub async fn put(&self, bucket: &str, key: &str, body: Vec<u8>, owner: &str) -> Result<(), String> {
        let url = self.object_url(bucket, key);
        let (status, region, answer) = self.send("PUT", &url, body, owner).await?;
        match status {
            200 => Ok(()),
            _ => Err(http_error("PutObject", bucket, status, region.as_deref(), &answer)),
        }
    }

    /// Sign and send one request; returns the status, S3's `x-amz-bucket-region` and the answer's text.
    async fn send(
        &self,
        method: &str,
        url: &str,
        body: Vec<u8>,
        owner: &str,
    ) -> Result<(u16, Option<String>, String), String> {
        let op = if method == "PUT" { "PutObject" } else { "HeadObject" };
        let fail = |e: &dyn std::fmt::Display| format!("s3 {op}: {e}");
        let credentials = self.credentials.provide_credentials().await.map_err(|e| fail(&e))?;
        let identity = credentials.into();
        let mut settings = SigningSettings::default();
        // S3 signs the payload hash in x-amz-content-sha256 and does not normalize or double-encode paths.
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| fail(&e))?
            .into();
        let length = body.len().to_string();
        let headers = [("content-length", length.as_str()), (EXPECTED_OWNER, owner)];
        let signable =
            SignableRequest::new(method, url, headers.into_iter(), SignableBody::Bytes(&body)).map_err(|e| fail(&e))?;
        let (instructions, _) = sign(signable, &params).map_err(|e| fail(&e))?.into_parts();
        let mut request = http::Request::builder()
            .method(method)
            .uri(url)
            .header("content-length", length.as_str())
            .header(EXPECTED_OWNER, owner)
            .body(SdkBody::from(body))
            .map_err(|e| fail(&e))?;
        instructions.apply_to_request_http1x(&mut request);
        let request = HttpRequest::try_from(request).map_err(|e| fail(&e))?;
        let response = self.connector.call(request).await.map_err(|e| fail(&error_chain(&e)))?;
        let status = response.status().as_u16();
        let region = response.headers().get("x-amz-bucket-region").map(str::to_owned);
        let text = match ByteStream::new(response.into_body()).collect().await {
            Ok(bytes) => String::from_utf8_lossy(&bytes.into_bytes()).into_owned(),
            Err(_) => String::new(),
        };
        Ok((status, region, text))
    }
}

/// An object's URL: the regional virtual-hosted URL (path style for a bucket name with dots, which S3's TLS
/// certificates do not cover), or path style on an `--endpoint-url` (emulators serve objects there).
pub fn object_url(endpoint: Option<&str>, region: &str, bucket: &str, key: &str) -> String {
    if let Some(endpoint) = endpoint {
        return format!("{}/{bucket}/{key}", endpoint.trim_end_matches('/'));
    }
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    if bucket.contains('.') {
        format!("https://s3.{region}.{domain}/{bucket}/{key}")
    } else {
        format!("https://{bucket}.s3.{region}.{domain}/{key}")
    }
}

/// An error and its causes on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(&format!(": {more}"));
        }
        source = cause.source();
    }
    text
}

/// `s3 OPERATION s3://BUCKET: HTTP status: Code: Message` with a hint for the usual causes.
fn http_error(op: &str, bucket: &str, status: u16, region: Option<&str>, answer: &str) -> String {
    let element = |name: &str| {
        let start = answer.find(&format!("<{name}>"))? + name.len() + 2;
        let end = answer[start..].find(&format!("</{name}>"))? + start;
        Some(answer[start..end].to_owned())
    };
    let detail = match (element("Code"), element("Message")) {
        (Some(code), Some(message)) => format!(": {code}: {message}"),
        (Some(code), None) => format!(": {code}"),
        _ => String::new(),
    };
    let hint = match (status, region) {
        (301 | 400, Some(r)) => {
            format!("; the bucket is in {r}: deploy with AWS_REGION={r} or use a bucket of this Region")
        }
        (403, _) => "; the bucket must belong to the deploying account, and the credentials need s3:PutObject (and \
             s3:GetObject for CloudFormation) on it"
            .to_owned(),
        (404, _) => "; the bucket does not exist: create it or name another one".to_owned(),
        _ => String::new(),
    };
    format!("s3 {op} s3://{bucket}: HTTP {status}{detail}{hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_content_addressed_below_the_prefix() {
        let upload = TemplateUpload::new("my-bucket", Some("/cfn/templates/"), "--s3-prefix").unwrap();
        assert_eq!(upload.prefix, "cfn/templates");
        let key = upload.key("front-end-pipeline", "{}");
        assert_eq!(
            key,
            "cfn/templates/front-end-pipeline/44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a.template"
        );
        assert_eq!(upload.key("front-end-pipeline", "{}"), key);
        assert_ne!(upload.key("front-end-pipeline", "{ }"), key);
        let bare = TemplateUpload::new("my-bucket", None, "--s3-bucket").unwrap();
        assert!(bare.key("s", "{}").starts_with("s/44136fa3"));
    }

    #[test]
    fn bucket_names_and_prefixes_are_checked() {
        for (bucket, problem) in [
            ("ab", "3 to 63"),
            ("My-Bucket", "lowercase"),
            ("-bucket", "begin and end"),
            ("a..b", "adjacent dots"),
            ("s3://bucket", "lowercase"),
        ] {
            let err = TemplateUpload::new(bucket, None, "--s3-bucket").unwrap_err();
            assert!(
                err.starts_with(&format!("--s3-bucket: `{bucket}` is not an S3 bucket name")),
                "{err}"
            );
            assert!(err.contains(problem), "{err}");
        }
        let err = TemplateUpload::new("bucket", Some("a b"), "s3_prefix in f.yaml").unwrap_err();
        assert_eq!(
            err,
            "s3_prefix in f.yaml: the S3 prefix `a b` contains ' '; use letters, digits and !-_.*'()/ only"
        );
        assert!(TemplateUpload::new("bucket", Some("a//b"), "--s3-prefix").is_err());
    }

    #[test]
    fn template_urls_are_regional_virtual_hosted_or_path_style_on_an_endpoint() {
        let url = |endpoint, region, bucket| object_url(endpoint, region, bucket, "p/s/abc.template");
        assert_eq!(
            url(None, "eu-west-1", "b"),
            "https://b.s3.eu-west-1.amazonaws.com/p/s/abc.template"
        );
        assert_eq!(
            url(None, "eu-west-1", "my.b"),
            "https://s3.eu-west-1.amazonaws.com/my.b/p/s/abc.template"
        );
        assert_eq!(
            url(None, "cn-north-1", "b"),
            "https://b.s3.cn-north-1.amazonaws.com.cn/p/s/abc.template"
        );
        assert_eq!(
            url(Some("http://127.0.0.1:5000/"), "us-east-1", "b"),
            "http://127.0.0.1:5000/b/p/s/abc.template"
        );
    }

    /// What a client sends, seen by a one-shot HTTP server on a loopback port that answers 404.
    fn first_request(call: impl FnOnce(&S3Client, &tokio::runtime::Runtime)) -> String {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = vec![0u8; 8192];
            let n = stream.read(&mut request).unwrap();
            let answer = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            stream.write_all(answer.as_bytes()).unwrap();
            String::from_utf8_lossy(&request[..n]).into_owned()
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let config = rt.block_on(
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .region(aws_types::region::Region::new("eu-west-1"))
                .credentials_provider(aws_credential_types::Credentials::for_tests())
                .load(),
        );
        let client = S3Client::new(&config, Some(&endpoint)).unwrap();
        call(&client, &rt);
        server.join().unwrap()
    }

    #[test]
    fn requests_name_the_account_that_must_own_the_bucket_and_sign_it() {
        let request = first_request(|client, rt| {
            assert_eq!(rt.block_on(client.exists("b", "k.template", "222233334444")), Ok(false));
        });
        let lower = request.to_ascii_lowercase();
        assert!(lower.starts_with("head /b/k.template http/1.1\r\n"), "{request}");
        assert!(
            lower.contains("\r\nx-amz-expected-bucket-owner: 222233334444\r\n"),
            "{request}"
        );
        let signed = lower
            .lines()
            .find(|l| l.starts_with("authorization:"))
            .unwrap_or_default();
        assert!(
            signed.contains("/eu-west-1/s3/aws4_request") && signed.contains("x-amz-expected-bucket-owner"),
            "the owner header is not signed: {request}"
        );
    }

    #[test]
    fn s3_error_answers_become_one_line_with_a_hint() {
        let answer = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does \
                      not exist</Message></Error>";
        assert_eq!(
            http_error("PutObject", "b", 404, None, answer),
            "s3 PutObject s3://b: HTTP 404: NoSuchBucket: The specified bucket does not exist; the bucket does not \
             exist: create it or name another one"
        );
        assert!(http_error("HeadObject", "b", 301, Some("eu-west-1"), "")
            .ends_with("AWS_REGION=eu-west-1 or use a bucket of this Region"));
    }
}
