//! Whose is it? A resource is ours only when this workspace created it — its create call
//! succeeded and the ledger recorded that — or when it carries this workspace's tag. A name
//! alone proves nothing: a teammate's role or table may have exactly the name we would use.
//! Deploy looks before it creates and cleanup looks before it deletes, both through here.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata as _;

use super::ledger::{Kind, State};
use super::{ProvisionError, TAG_DESIGN, TAG_WORKSPACE, aws_fail};
use crate::aws::clients::{Clients, error_text};

/// A resource's tags.
pub type Tags = BTreeMap<String, String>;

/// Look a resource up: `None` when it does not exist, its tags when it does.
pub async fn look(c: &Clients, kind: Kind, name: &str) -> Result<Option<Tags>, ProvisionError> {
    match kind {
        Kind::Table => table_tags(c, name).await,
        Kind::Role => role_tags(c, name).await,
        Kind::Function => function_tags(c, name).await,
        Kind::LogGroup => log_group_tags(c, name).await,
        // An inline policy lives and dies with its role.
        Kind::RolePolicy => match name.split_once('/') {
            Some((role, _)) => role_tags(c, role).await,
            None => Ok(None),
        },
    }
}

/// Whether `tags` carry this workspace's id.
pub fn tagged_ours(tags: &Tags, workspace_id: Option<&str>) -> bool {
    workspace_id.is_some_and(|w| tags.get(TAG_WORKSPACE).map(String::as_str) == Some(w))
}

/// Who a resource that exists belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// This workspace: created here, or tagged with this workspace's id.
    Us,
    /// Someone else; the reason says who, as far as can be told.
    Other(String),
}

/// The owner of an existing resource with `tags`, given what the ledger says of its name.
pub fn owner(tags: &Tags, ledger_state: Option<State>, workspace_id: Option<&str>) -> Owner {
    if tagged_ours(tags, workspace_id) || ledger_state == Some(State::Created) {
        return Owner::Us;
    }
    Owner::Other(match ledger_state {
        Some(State::Planned | State::NotCreated) => {
            "it exists, but this workspace's create call for it did not succeed and it does not \
             carry this workspace's tag"
                .to_string()
        }
        _ => match tags.get(TAG_WORKSPACE) {
            Some(id) => format!(
                "it was created by another ddb-architect workspace, id {id}: run cleanup there, \
                 or here with --workspace-id {id} if that folder is gone"
            ),
            None if tags.contains_key(TAG_DESIGN) => {
                "it was made by an older ddb-architect without a workspace id; delete it \
                 yourself if it is no longer needed"
                    .to_string()
            }
            None => "it was not created by ddb-architect".to_string(),
        },
    })
}

async fn table_tags(c: &Clients, name: &str) -> Result<Option<Tags>, ProvisionError> {
    let desc = match c.dynamo.describe_table().table_name(name).send().await {
        Ok(d) => d,
        Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(None),
        Err(e) => {
            return Err(aws_fail(
                e.code(),
                &error_text(&e),
                "dynamodb:DescribeTable",
                name,
            ));
        }
    };
    let Some(arn) = desc.table().and_then(|t| t.table_arn()) else {
        return Ok(Some(Tags::new()));
    };
    let tags = c
        .dynamo
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| {
            aws_fail(
                e.code(),
                &error_text(&e),
                "dynamodb:ListTagsOfResource",
                name,
            )
        })?;
    Ok(Some(
        tags.tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
    ))
}

async fn function_tags(c: &Clients, name: &str) -> Result<Option<Tags>, ProvisionError> {
    match c.lambda.get_function().function_name(name).send().await {
        Ok(f) => Ok(Some(
            f.tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        )),
        Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
        Err(e) => Err(aws_fail(
            e.code(),
            &error_text(&e),
            "lambda:GetFunction",
            name,
        )),
    }
}

async fn role_tags(c: &Clients, name: &str) -> Result<Option<Tags>, ProvisionError> {
    match c.iam.get_role().role_name(name).send().await {
        Ok(_) => {}
        Err(e) if e.code() == Some("NoSuchEntity") => return Ok(None),
        Err(e) => return Err(aws_fail(e.code(), &error_text(&e), "iam:GetRole", name)),
    }
    let tags = c
        .iam
        .list_role_tags()
        .role_name(name)
        .send()
        .await
        .map_err(|e| aws_fail(e.code(), &error_text(&e), "iam:ListRoleTags", name))?;
    Ok(Some(
        tags.tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
    ))
}

async fn log_group_tags(c: &Clients, name: &str) -> Result<Option<Tags>, ProvisionError> {
    let groups = c
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .map_err(|e| aws_fail(e.code(), &error_text(&e), "logs:DescribeLogGroups", name))?;
    let Some(g) = groups
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
    else {
        return Ok(None);
    };
    let Some(arn) = g.arn() else {
        return Ok(Some(Tags::new()));
    };
    // DescribeLogGroups gives the ARN with a trailing ":*"; tags are read on the plain ARN.
    let arn = arn.trim_end_matches(":*");
    // Tags that cannot be read prove nothing: the group then counts as untagged (ours only
    // if the ledger recorded creating it).
    match c
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
    {
        Ok(t) => Ok(Some(
            t.tags().cloned().unwrap_or_default().into_iter().collect(),
        )),
        Err(e) => {
            tracing::debug!("logs:ListTagsForResource on {name}: {}", error_text(&e));
            Ok(Some(Tags::new()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_name_alone_proves_nothing() {
        let none = tags(&[]);
        let ours = tags(&[(TAG_WORKSPACE, "w1"), (TAG_DESIGN, "shop")]);
        let theirs = tags(&[(TAG_WORKSPACE, "w2"), (TAG_DESIGN, "shop")]);
        let old = tags(&[(TAG_DESIGN, "shop")]);
        assert_eq!(owner(&ours, None, Some("w1")), Owner::Us);
        assert_eq!(owner(&none, Some(State::Created), Some("w1")), Owner::Us);
        // A planned entry whose create failed: what is there is someone else's.
        assert!(matches!(
            owner(&none, Some(State::Planned), Some("w1")),
            Owner::Other(_)
        ));
        assert!(matches!(
            owner(&theirs, Some(State::Planned), Some("w1")),
            Owner::Other(_)
        ));
        assert!(
            matches!(owner(&theirs, None, Some("w1")), Owner::Other(w) if w.contains("another"))
        );
        assert!(matches!(owner(&old, None, Some("w1")), Owner::Other(_)));
        assert!(matches!(owner(&ours, None, None), Owner::Other(_)));
        assert!(
            matches!(owner(&none, None, Some("w1")), Owner::Other(w) if w.contains("not created by"))
        );
    }
}
