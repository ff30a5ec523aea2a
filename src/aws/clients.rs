//! AWS configuration the AWS way (credential chain, profiles, Region, endpoint overrides) and
//! one client per service the executor uses.

use aws_config::{BehaviorVersion, Region, SdkConfig, retry::RetryConfig};
// SdkError and error metadata are the same types in every service crate.
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

/// How to reach AWS.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Named profile (`--profile`); AWS_PROFILE applies when absent.
    pub profile: Option<String>,
    /// Region (`--region`); AWS_REGION or the profile's Region apply when absent.
    pub region: Option<String>,
    /// Endpoint for every service (AWS_ENDPOINT_URL also works); used with stand-ins.
    pub endpoint_url: Option<String>,
    /// Endpoint for DynamoDB only (AWS_ENDPOINT_URL_DYNAMODB also works).
    pub dynamodb_endpoint: Option<String>,
    /// Static credentials (access key, secret), for stand-ins; the credential chain otherwise.
    pub static_credentials: Option<(String, String)>,
}

/// Why AWS could not be configured.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No Region anywhere.
    #[error(
        "no AWS Region is set: pass --region, set AWS_REGION, or add `region = …` to your profile \
         in ~/.aws/config"
    )]
    NoRegion,
}

/// Clients for every service the executor calls.
#[derive(Clone, Debug)]
pub struct Clients {
    /// The Region every resource lives in.
    pub region: String,
    /// DynamoDB.
    pub dynamo: aws_sdk_dynamodb::Client,
    /// IAM.
    pub iam: aws_sdk_iam::Client,
    /// Lambda.
    pub lambda: aws_sdk_lambda::Client,
    /// STS.
    pub sts: aws_sdk_sts::Client,
    /// CloudWatch Logs.
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

/// Load the shared configuration: credential chain, profile, Region, endpoint overrides, and
/// the standard retry mode (throttling is retried with backoff).
pub async fn load(s: &Settings) -> Result<SdkConfig, ConfigError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(5));
    if let Some(p) = &s.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &s.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(e) = &s.endpoint_url {
        loader = loader.endpoint_url(e);
    }
    if let Some((key, secret)) = &s.static_credentials {
        loader = loader.credentials_provider(aws_sdk_sts::config::Credentials::new(
            key,
            secret,
            None,
            None,
            "ddb-architect-static",
        ));
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(ConfigError::NoRegion);
    }
    Ok(config)
}

impl Clients {
    /// One client per service from a loaded configuration.
    pub fn new(config: &SdkConfig, s: &Settings) -> Self {
        let region = config
            .region()
            .map(|r| r.as_ref().to_string())
            .unwrap_or_default();
        let mut dynamo = aws_sdk_dynamodb::config::Builder::from(config);
        if let Some(e) = &s.dynamodb_endpoint {
            dynamo = dynamo.endpoint_url(e);
        }
        Self {
            region,
            dynamo: aws_sdk_dynamodb::Client::from_conf(dynamo.build()),
            iam: aws_sdk_iam::Client::new(config),
            lambda: aws_sdk_lambda::Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
        }
    }
}

/// An SDK error as one line: the service's code and message, or the cause chain (which is
/// where "no credentials", timeouts and refused connections are described).
pub fn error_text<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        _ => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(x) = src {
                s.push_str(": ");
                s.push_str(&x.to_string());
                src = x.source();
            }
            s
        }
    }
}

/// The error code of an SDK error, if the service sent one.
pub fn error_code<E, R>(e: &SdkError<E, R>) -> Option<String>
where
    E: ProvideErrorMetadata,
{
    e.code().map(str::to_string)
}

/// What to do about an AWS failure, for people: the fix for the usual causes.
pub fn advice(code: Option<&str>, text: &str, operation: &str, target: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let fix = match code {
        _ if lower.contains("no credentials") || lower.contains("credentialsnotloaded")
            || lower.contains("failed to load credentials") =>
        {
            "no AWS credentials were found: run `aws configure` (or `aws sso login --profile NAME` \
             and pass --profile NAME), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                .to_string()
        }
        Some("ExpiredToken" | "ExpiredTokenException" | "RequestExpired") => {
            "your session has expired: refresh it (`aws sso login`, or new temporary credentials) and run again"
                .to_string()
        }
        Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation") => format!(
            "the caller may not call {operation} on {target}: ask an administrator for that permission, \
             or use a profile that has it"
        ),
        Some("UnrecognizedClientException" | "InvalidClientTokenId" | "SignatureDoesNotMatch") => {
            "AWS does not recognise these credentials: check the access key and secret, or the profile"
                .to_string()
        }
        Some("ThrottlingException" | "Throttling" | "TooManyRequestsException") => {
            "AWS kept throttling after retries: wait a minute and run again".to_string()
        }
        _ if lower.contains("dispatch failure") || lower.contains("connection refused")
            || lower.contains("timed out") || lower.contains("dns error") =>
        {
            "AWS could not be reached: check the network, the Region, and any AWS_ENDPOINT_URL setting"
                .to_string()
        }
        _ => String::new(),
    };
    if fix.is_empty() {
        format!("{operation} on {target} failed: {text}")
    } else {
        format!("{operation} on {target} failed: {text}. Fix: {fix}")
    }
}
