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
    /// The profile asked for is in neither shared file.
    #[error("{}", unknown_profile_text(.name, .from, .known))]
    UnknownProfile {
        /// The profile asked for.
        name: String,
        /// Where the name came from (--profile or AWS_PROFILE).
        from: &'static str,
        /// The profiles that exist.
        known: Vec<String>,
    },
}

fn unknown_profile_text(name: &str, source: &str, known: &[String]) -> String {
    let files = "~/.aws/config or ~/.aws/credentials";
    if known.is_empty() {
        return format!(
            "the AWS profile `{name}` (from {source}) does not exist: no profiles are set up in \
             {files}. Create it with `aws configure --profile {name}` (or `aws configure sso`)"
        );
    }
    let close = known
        .iter()
        .filter(|k| strsim::jaro_winkler(k, name) > 0.8)
        .map(|k| format!(" Did you mean `{k}`?"))
        .next()
        .unwrap_or_default();
    format!(
        "the AWS profile `{name}` (from {source}) is not in {files}; the profiles there are: {}.{close}",
        known.join(", ")
    )
}

/// The profile names in the shared config and credentials files (AWS_CONFIG_FILE and
/// AWS_SHARED_CREDENTIALS_FILE move them, as for the AWS CLI), sorted, without repeats.
pub fn profile_names() -> Vec<String> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let file = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(std::path::PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
    };
    let mut names = Vec::new();
    for (path, in_config) in [
        (file("AWS_CONFIG_FILE", "config"), true),
        (file("AWS_SHARED_CREDENTIALS_FILE", "credentials"), false),
    ] {
        let Some(text) = path.and_then(|p| std::fs::read_to_string(p).ok()) else {
            continue;
        };
        names.extend(section_profiles(&text, in_config));
    }
    names.sort();
    names.dedup();
    names
}

/// Profile names in one shared file: `[profile NAME]` and `[default]` in the config file,
/// `[NAME]` in the credentials file. Other sections (sso-session, services) are not profiles.
pub fn section_profiles(text: &str, config_file: bool) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let inner = l.strip_prefix('[')?.strip_suffix(']')?.trim();
            if !config_file {
                return Some(inner.to_string());
            }
            if inner == "default" {
                return Some(inner.to_string());
            }
            inner
                .strip_prefix("profile")
                .filter(|rest| rest.starts_with(char::is_whitespace))
                .map(|rest| rest.trim().to_string())
        })
        .filter(|n| !n.is_empty())
        .collect()
}

/// The profile a run uses, and where its name came from.
fn chosen_profile(s: &Settings) -> Option<(String, &'static str)> {
    if let Some(p) = &s.profile {
        return Some((p.clone(), "--profile"));
    }
    std::env::var("AWS_PROFILE")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .map(|p| (p, "AWS_PROFILE"))
}

/// Check that a named profile exists before the SDK quietly finds no Region or credentials
/// in it. A profile with static credentials given in code needs no file.
fn check_profile(s: &Settings) -> Result<(), ConfigError> {
    if s.static_credentials.is_some() {
        return Ok(());
    }
    let Some((name, source)) = chosen_profile(s) else {
        return Ok(());
    };
    let known = profile_names();
    if known.contains(&name) {
        return Ok(());
    }
    // Environment credentials make the profile matter for its Region only; the SDK falls back
    // to AWS_REGION then. Still a mistake worth naming.
    Err(ConfigError::UnknownProfile {
        name,
        from: source,
        known,
    })
}

pub use crate::design::regions::{KNOWN_REGIONS, is_known_region};

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
    check_profile(s)?;
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

/// Any error with its causes, as one line.
pub fn error_text_plain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        s.push_str(": ");
        s.push_str(&x.to_string());
        src = x.source();
    }
    s
}

/// The error code of an SDK error, if the service sent one.
pub fn error_code<E, R>(e: &SdkError<E, R>) -> Option<String>
where
    E: ProvideErrorMetadata,
{
    e.code().map(str::to_string)
}

/// Whether an error's text (lower case) says no credentials could be found — the SDK reports
/// that as a "dispatch failure", which must not be mistaken for the network.
pub fn credentials_missing(lower: &str) -> bool {
    lower.contains("no credentials")
        || lower.contains("credentialsnotloaded")
        || lower.contains("failed to load credentials")
        || lower.contains("credentials provider")
        || lower.contains("credential provider")
        || lower.contains("provided credentials")
        || lower.contains("could not load credentials")
}

/// What to do about an AWS failure, for people: the fix for the usual causes.
pub fn advice(code: Option<&str>, text: &str, operation: &str, target: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let fix = match code {
        _ if credentials_missing(&lower) =>
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
