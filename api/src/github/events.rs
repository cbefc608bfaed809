//! The webhook payloads WhaleRay acts on, read into domain changes. Only the fields used are
//! declared; GitHub adds fields freely, so unknown ones are ignored.

use serde::Deserialize;
use whaleray_shared::InstallationId;
use whaleray_shared::domain::{InstallationUpdate, RepositoriesChange, SelectionKind};

/// A delivery's payload could not be read as its event says.
#[derive(Debug, thiserror::Error)]
#[error("the {event} payload is malformed: {reason}")]
pub struct PayloadError {
    /// The `X-GitHub-Event` value.
    pub event: String,
    /// What was wrong.
    pub reason: String,
}

/// What a delivery asks of WhaleRay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookEvent {
    /// `ping`, sent when the webhook is created.
    Ping,
    /// A change to an installation to record.
    Installation {
        /// The installation.
        id: InstallationId,
        /// What changed.
        update: InstallationUpdate,
    },
    /// A `push`: deploys the projects whose production branch it updated.
    Push(super::push::Push),
    /// An event or action WhaleRay does not act on; answered 202.
    Ignored {
        /// `event` or `event.action`.
        what: String,
    },
}

#[derive(Deserialize)]
struct Account {
    id: u64,
    login: String,
}

#[derive(Deserialize)]
struct Installation {
    id: u64,
    account: Account,
    repository_selection: Option<String>,
    #[serde(default)]
    suspended_at: Option<String>,
}

#[derive(Deserialize)]
struct Repository {
    name: String,
}

#[derive(Deserialize)]
struct InstallationPayload {
    action: String,
    installation: Installation,
    #[serde(default)]
    repositories: Option<Vec<Repository>>,
}

#[derive(Deserialize)]
struct InstallationRepositoriesPayload {
    action: String,
    installation: Installation,
    repository_selection: String,
    #[serde(default)]
    repositories_added: Vec<Repository>,
    #[serde(default)]
    repositories_removed: Vec<Repository>,
}

#[derive(Deserialize)]
struct InstallationRef {
    id: u64,
}

#[derive(Deserialize)]
struct InstallationTargetPayload {
    action: String,
    account: Account,
    installation: InstallationRef,
}

/// Reads a verified delivery of event `event`. Events WhaleRay does not act on are not parsed.
pub fn parse(event: &str, body: &[u8]) -> Result<WebhookEvent, PayloadError> {
    let fail = |reason: String| PayloadError { event: event.to_owned(), reason };
    let read = |e: serde_json::Error| fail(e.to_string());
    match event {
        "ping" => {
            serde_json::from_slice::<serde_json::Value>(body).map_err(read)?;
            Ok(WebhookEvent::Ping)
        }
        "installation" => installation(serde_json::from_slice(body).map_err(read)?, &fail),
        "installation_repositories" => {
            installation_repositories(serde_json::from_slice(body).map_err(read)?, &fail)
        }
        "installation_target" => {
            let payload: InstallationTargetPayload = serde_json::from_slice(body).map_err(read)?;
            if payload.action != "renamed" {
                return Ok(ignored(event, &payload.action));
            }
            let id = installation_id(payload.installation.id, &fail)?;
            let update = InstallationUpdate::account(payload.account.id, payload.account.login);
            Ok(WebhookEvent::Installation { id, update })
        }
        "push" => super::push::parse(body).map(WebhookEvent::Push),
        other => Ok(WebhookEvent::Ignored { what: other.to_owned() }),
    }
}

fn ignored(event: &str, action: &str) -> WebhookEvent {
    WebhookEvent::Ignored { what: format!("{event}.{action}") }
}

fn installation_id(
    id: u64,
    fail: &impl Fn(String) -> PayloadError,
) -> Result<InstallationId, PayloadError> {
    InstallationId::new(id).map_err(|e| fail(e.to_string()))
}

fn selection(
    value: Option<&str>,
    fail: &impl Fn(String) -> PayloadError,
) -> Result<Option<SelectionKind>, PayloadError> {
    match value {
        None => Ok(None),
        Some("all") => Ok(Some(SelectionKind::All)),
        Some("selected") => Ok(Some(SelectionKind::Selected)),
        Some(other) => Err(fail(format!("unknown repository_selection {other:?}"))),
    }
}

fn names(repositories: &[Repository]) -> std::collections::BTreeSet<String> {
    repositories.iter().map(|r| r.name.to_ascii_lowercase()).collect()
}

/// The common part of every installation-carrying payload: the account and the selection.
fn base(
    installation: &Installation,
    fail: &impl Fn(String) -> PayloadError,
) -> Result<(InstallationId, InstallationUpdate), PayloadError> {
    let id = installation_id(installation.id, fail)?;
    let mut update =
        InstallationUpdate::account(installation.account.id, installation.account.login.clone());
    update.selection = selection(installation.repository_selection.as_deref(), fail)?;
    Ok((id, update))
}

fn installation(
    payload: InstallationPayload,
    fail: &impl Fn(String) -> PayloadError,
) -> Result<WebhookEvent, PayloadError> {
    let (id, mut update) = base(&payload.installation, fail)?;
    match payload.action.as_str() {
        "created" => {
            let listed = payload.repositories.as_deref().unwrap_or_default();
            update.repositories = RepositoriesChange::Exactly(names(listed));
            update.suspended = Some(payload.installation.suspended_at.is_some());
        }
        "new_permissions_accepted" => {
            update.suspended = Some(payload.installation.suspended_at.is_some());
        }
        "deleted" => update.deleted = true,
        "suspend" => update.suspended = Some(true),
        "unsuspend" => update.suspended = Some(false),
        other => return Ok(ignored("installation", other)),
    }
    Ok(WebhookEvent::Installation { id, update })
}

fn installation_repositories(
    payload: InstallationRepositoriesPayload,
    fail: &impl Fn(String) -> PayloadError,
) -> Result<WebhookEvent, PayloadError> {
    let (id, mut update) = base(&payload.installation, fail)?;
    update.selection = selection(Some(&payload.repository_selection), fail)?;
    update.repositories = match payload.action.as_str() {
        "added" => RepositoriesChange::Add(names(&payload.repositories_added)),
        "removed" => RepositoriesChange::Remove(names(&payload.repositories_removed)),
        other => return Ok(ignored("installation_repositories", other)),
    };
    Ok(WebhookEvent::Installation { id, update })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn installation_json(selection: &str) -> serde_json::Value {
        json!({
            "id": 77, "account": {"id": 9001, "login": "Acme", "type": "Organization"},
            "repository_selection": selection, "suspended_at": null, "app_id": 1,
            "permissions": {"contents": "read", "metadata": "read"}, "events": ["push"]
        })
    }

    fn parse_json(event: &str, value: serde_json::Value) -> WebhookEvent {
        parse(event, value.to_string().as_bytes()).unwrap()
    }

    fn update(event: WebhookEvent) -> InstallationUpdate {
        match event {
            WebhookEvent::Installation { id, update } => {
                assert_eq!(id.get(), 77);
                update
            }
            other => panic!("expected an installation change, got {other:?}"),
        }
    }

    #[test]
    fn created_with_selected_repositories_lists_them_exactly() {
        let u = update(parse_json(
            "installation",
            json!({"action": "created", "installation": installation_json("selected"),
                   "repositories": [{"id": 1, "name": "Web", "full_name": "Acme/Web", "private": true}],
                   "sender": {"id": 5, "login": "alice"}}),
        ));
        assert_eq!((u.account_id, u.account_login.as_str()), (9001, "Acme"));
        assert_eq!(u.selection, Some(SelectionKind::Selected));
        assert_eq!(u.repositories, RepositoriesChange::Exactly(["web".to_owned()].into()));
        assert_eq!(u.suspended, Some(false));
    }

    #[test]
    fn each_installation_action_sets_what_it_means() {
        let action = |a: &str| {
            parse_json(
                "installation",
                json!({"action": a, "installation": installation_json("all")}),
            )
        };
        assert!(update(action("deleted")).deleted);
        assert_eq!(update(action("suspend")).suspended, Some(true));
        assert_eq!(update(action("unsuspend")).suspended, Some(false));
        assert_eq!(update(action("new_permissions_accepted")).selection, Some(SelectionKind::All));
        assert_eq!(
            action("transferred"),
            WebhookEvent::Ignored { what: "installation.transferred".into() }
        );
    }

    #[test]
    fn repositories_added_and_removed_become_deltas() {
        let event = |a: &str| {
            parse_json(
                "installation_repositories",
                json!({"action": a, "installation": installation_json("selected"),
                       "repository_selection": "selected",
                       "repositories_added": [{"name": "api"}], "repositories_removed": [{"name": "Old"}]}),
            )
        };
        assert_eq!(
            update(event("added")).repositories,
            RepositoriesChange::Add(["api".to_owned()].into())
        );
        assert_eq!(
            update(event("removed")).repositories,
            RepositoriesChange::Remove(["old".to_owned()].into())
        );
    }

    #[test]
    fn a_renamed_target_changes_only_the_login() {
        let u = update(parse_json(
            "installation_target",
            json!({"action": "renamed", "target_type": "Organization",
                   "account": {"id": 9001, "login": "acme-inc"},
                   "changes": {"login": {"from": "Acme"}}, "installation": {"id": 77}}),
        ));
        assert_eq!(u, InstallationUpdate::account(9001, "acme-inc"));
    }

    #[test]
    fn malformed_payloads_are_typed_errors_and_unknown_events_are_not_parsed() {
        assert!(parse("installation", b"").is_err());
        assert!(parse("installation", b"{\"action\":\"created\"}").is_err());
        let zero = json!({"action": "deleted", "installation": {"id": 0, "account": {"id": 1, "login": "a"}}});
        assert!(parse("installation", zero.to_string().as_bytes()).is_err());
        let odd = json!({"action": "created", "installation": installation_json("some")});
        assert!(parse("installation", odd.to_string().as_bytes()).is_err());
        assert_eq!(
            parse("issues", b"not even json").unwrap(),
            WebhookEvent::Ignored { what: "issues".into() }
        );
    }
}
