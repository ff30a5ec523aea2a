//! IAM documents for the benchmark role: a trust policy for Lambda and an inline policy that
//! allows only the item operations the design's benchmark makes, on the design's own
//! benchmark tables and the function's own log group.

use serde_json::{Value, json};

use crate::design::{Api, Design};

/// Trust policy that lets Lambda assume the role.
pub fn trust_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    })
}

/// DynamoDB actions a benchmark of this design calls: PutItem to load items, the operation
/// of every access pattern, and DescribeTable to check tables are ACTIVE.
pub fn dynamodb_actions(d: &Design) -> Vec<String> {
    let mut actions = vec![
        "dynamodb:DescribeTable".to_string(),
        "dynamodb:PutItem".to_string(),
    ];
    for p in &d.access_patterns {
        if p.api == Api::Scan {
            continue; // never granted: a Scan is not an access pattern (DDB101)
        }
        let a = format!("dynamodb:{}", p.api.name());
        if !actions.contains(&a) {
            actions.push(a);
        }
    }
    actions.sort();
    actions
}

/// Where a policy applies.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    /// ARN partition (aws, aws-cn, aws-us-gov).
    pub partition: &'a str,
    /// Region.
    pub region: &'a str,
    /// Account id.
    pub account: &'a str,
    /// Prefix of the design's benchmark tables.
    pub table_prefix: &'a str,
    /// The Lambda function's name.
    pub function: &'a str,
}

/// The inline policy of the benchmark role.
pub fn benchmark_policy(d: &Design, s: &Scope<'_>) -> Value {
    let table = format!(
        "arn:{}:dynamodb:{}:{}:table/{}*",
        s.partition, s.region, s.account, s.table_prefix
    );
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "BenchmarkTables",
                "Effect": "Allow",
                "Action": dynamodb_actions(d),
                "Resource": [table.clone(), format!("{table}/index/*")]
            },
            {
                "Sid": "OwnLogGroup",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": format!(
                    "arn:{}:logs:{}:{}:log-group:/aws/lambda/{}:*",
                    s.partition, s.region, s.account, s.function
                )
            }
        ]
    })
}

/// Problems with a policy judged against least privilege for `scope`: any action or resource
/// wildcard other than the table-name suffix, the index suffix and the log-stream suffix, any
/// action outside DynamoDB items and our own logs, any Deny-less catch-all.
pub fn least_privilege_problems(policy: &Value, s: &Scope<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    let allowed_tables = format!(
        "arn:{}:dynamodb:{}:{}:table/{}*",
        s.partition, s.region, s.account, s.table_prefix
    );
    let allowed_resources = [
        allowed_tables.clone(),
        format!("{allowed_tables}/index/*"),
        format!(
            "arn:{}:logs:{}:{}:log-group:/aws/lambda/{}:*",
            s.partition, s.region, s.account, s.function
        ),
    ];
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(x) => vec![x.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    let statements = match &policy["Statement"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    for st in statements {
        if st["Effect"] != "Allow" {
            continue;
        }
        if st.get("NotAction").is_some() || st.get("NotResource").is_some() {
            problems.push("NotAction/NotResource grant more than they name".to_string());
        }
        for a in list(&st["Action"]) {
            let ok = (a.starts_with("dynamodb:") && !a.contains('*') && {
                let op = a.trim_start_matches("dynamodb:");
                [
                    "GetItem",
                    "Query",
                    "PutItem",
                    "UpdateItem",
                    "DeleteItem",
                    "DescribeTable",
                ]
                .contains(&op)
            }) || a == "logs:CreateLogStream"
                || a == "logs:PutLogEvents";
            if !ok {
                problems.push(format!("action `{a}` is broader than the benchmark needs"));
            }
        }
        for r in list(&st["Resource"]) {
            if !allowed_resources.contains(&r) {
                problems.push(format!(
                    "resource `{r}` is outside the benchmark's tables and log group"
                ));
            }
        }
    }
    problems
}
