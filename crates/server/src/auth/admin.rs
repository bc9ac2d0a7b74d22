//! The administrators' pages: accounts (change a role, disable, enable, unlock), the
//! audit log (HTML, or JSON with `Accept: application/json`; paged with `?before=ID`) and
//! the table of rights. The service checks the right again on every change
//! (`Actor::User`), so a page that forgot to check could still change nothing.

use super::{
    client_address, internal, no_store, now, private_page, refusal, see_other, service, Viewing,
};
use crate::error::HttpError;
use crate::negotiate::Wants;
use crate::routes::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, Extensions, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use dossier_auth::{Actor, Right, Role, Viewer, RIGHTS};
use dossier_publish::time::rfc3339;
use dossier_store::accounts::{AuditEntry, User};
use serde::Serialize;

/// Audit entries per page.
const AUDIT_PAGE: usize = 50;

/// The viewer if they may use `right`; else the answer (boxed: it is large): anonymous
/// readers go to log in and come back, a logged-in account without the right gets 403.
fn require(
    state: &AppState,
    wants: Wants,
    viewing: &Viewing,
    right: Right,
    uri: &Uri,
) -> Result<Viewer, Box<Response>> {
    match &viewing.0 {
        None => {
            let here = uri.path_and_query().map_or("/", |p| p.as_str());
            let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
            Err(Box::new(see_other(&format!("/login?next={next}"))))
        }
        Some(viewer) if viewer.can(right) => Ok(viewer.clone()),
        Some(viewer) => Err(Box::new(refusal(
            state,
            wants,
            viewing,
            StatusCode::FORBIDDEN,
            &format!(
                "This page is for accounts that may {}; yours is {}.",
                right.describe().to_lowercase(),
                viewer.role.name()
            ),
        ))),
    }
}

/// A row of the accounts table.
#[derive(Serialize)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    disabled: bool,
    failed_logins: u32,
    /// Until when logins are refused, when that is still ahead.
    locked_until: Option<String>,
    last_login: Option<String>,
    /// The viewer's own account (changed on the command line only).
    is_self: bool,
}

impl UserRow {
    fn of(user: User, viewer: &Viewer, now: i64) -> UserRow {
        UserRow {
            id: user.id,
            is_self: user.id == viewer.user.id,
            locked_until: user.locked_until.filter(|t| *t > now).map(rfc3339),
            last_login: user.last_login.map(rfc3339),
            email: user.email,
            name: user.name,
            role: user.role,
            disabled: user.disabled,
            failed_logins: user.failed_logins,
        }
    }
}

#[derive(Serialize)]
struct UsersView {
    csrf: String,
    roles: Vec<&'static str>,
    users: Vec<UserRow>,
    locked: Vec<UserRow>,
    message: Option<&'static str>,
}

/// `GET /admin/users`: every account with the forms to change it, and the locked ones.
pub(super) async fn users(
    State(state): State<AppState>,
    wants: Wants,
    viewing: Viewing,
    uri: Uri,
    extensions: Extensions,
) -> Result<Response, HttpError> {
    let auth = service(&state)?;
    let viewer = match require(&state, wants, &viewing, Right::ManageUsers, &uri) {
        Ok(viewer) => viewer,
        Err(answer) => return Ok(*answer),
    };
    let actor = Actor::of(&viewer, &client_address(&extensions));
    let (users, locked) = state
        .blocking(move |_| {
            let users = auth.accounts().users().map_err(|e| internal(e.into()))?;
            let locked = auth.locked_users(&actor).map_err(internal)?;
            Ok::<_, HttpError>((users, locked))
        })
        .await?;
    let now = now();
    let message = match uri.query() {
        Some("changed") => Some("The account was changed."),
        _ => None,
    };
    let view = UsersView {
        csrf: viewer.csrf.clone(),
        roles: Role::OF_ACCOUNTS.iter().map(|r| r.name()).collect(),
        users: users
            .into_iter()
            .map(|u| UserRow::of(u, &viewer, now))
            .collect(),
        locked: locked
            .into_iter()
            .map(|u| UserRow::of(u, &viewer, now))
            .collect(),
        message,
    };
    if wants.json {
        return Ok(json(&serde_json::json!({
            "users": view.users,
            "locked": view.locked,
        })));
    }
    private_page(
        &state,
        &viewing,
        StatusCode::OK,
        "admin-users.html",
        "Accounts",
        &view,
    )
}

/// What a form of the accounts page asks.
enum Change {
    Role(Role),
    Disable,
    Enable,
    Unlock,
}

/// `POST /admin/users/{id}/{role|disable|enable|unlock}` (the CSRF checks have passed):
/// the change through the service, then `303 See Other` back to the accounts page.
pub(super) async fn change_user(
    State(state): State<AppState>,
    wants: Wants,
    viewing: Viewing,
    Path((id, action)): Path<(String, String)>,
    uri: Uri,
    extensions: Extensions,
    body: Bytes,
) -> Result<Response, HttpError> {
    let auth = service(&state)?;
    let viewer = match require(&state, wants, &viewing, Right::ManageUsers, &uri) {
        Ok(viewer) => viewer,
        Err(answer) => return Ok(*answer),
    };
    let no_such = || HttpError::NotFound("There is no such account or action.".into());
    let id: i64 = id.parse().map_err(|_| no_such())?;
    let change = match action.as_str() {
        "role" => {
            let role = form_urlencoded::parse(&body)
                .find(|(k, _)| k == "role")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            match role.parse::<Role>() {
                Ok(role) if role != Role::Reader => Change::Role(role),
                _ => {
                    return Err(HttpError::BadRequest(format!(
                        "`{role}` is not a role an account can have; the roles are \
                         contributor, editor, reviewer and admin."
                    )))
                }
            }
        }
        "disable" => Change::Disable,
        "enable" => Change::Enable,
        "unlock" => Change::Unlock,
        _ => return Err(no_such()),
    };
    if id == viewer.user.id {
        return Ok(refusal(
            &state,
            wants,
            &viewing,
            StatusCode::FORBIDDEN,
            "Your own account is changed on the command line (`dossier user`), so that the \
             last administrator cannot lock everyone out by mistake. Nothing was changed.",
        ));
    }
    let actor = Actor::of(&viewer, &client_address(&extensions));
    let done = state
        .blocking(move |_| {
            let Some(user) = auth.accounts().user(id).map_err(|e| internal(e.into()))? else {
                return Ok(None);
            };
            let email = user.email.as_str();
            match change {
                Change::Role(role) => auth.set_role(&actor, email, role),
                Change::Disable => auth.set_disabled(&actor, email, true),
                Change::Enable => auth.set_disabled(&actor, email, false),
                Change::Unlock => auth.unlock(&actor, email),
            }
            .map(Some)
            .map_err(internal)
        })
        .await;
    match done {
        Ok(Some(user)) => Ok(see_other(&format!("/admin/users?changed#user-{}", user.id))),
        Ok(None) => Err(no_such()),
        Err(e) => Err(e),
    }
}

/// An audit entry, with its time in words as well as in seconds.
#[derive(Serialize)]
struct AuditRow {
    #[serde(flatten)]
    entry: AuditEntry,
    /// `at` as `YYYY-MM-DDThh:mm:ssZ`.
    time: String,
}

#[derive(Serialize)]
struct AuditView {
    entries: Vec<AuditRow>,
    /// The `before` this page was asked with.
    before: Option<i64>,
    /// The next (older) page, when there may be one.
    next: Option<String>,
}

/// `GET /admin/audit[?before=ID]`: the newest entries (older than `before`), as a table or,
/// with `Accept: application/json`, as `{"entries": […], "next": "/admin/audit?before=…"}`.
pub(super) async fn audit(
    State(state): State<AppState>,
    wants: Wants,
    viewing: Viewing,
    uri: Uri,
    extensions: Extensions,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    let auth = service(&state)?;
    let viewer = match require(&state, wants, &viewing, Right::ReadAudit, &uri) {
        Ok(viewer) => viewer,
        Err(answer) => return Ok(*answer),
    };
    let before = before_of(query.as_deref())?;
    let actor = Actor::of(&viewer, &client_address(&extensions));
    let entries = state
        .blocking(move |_| auth.audit_log(&actor, before, AUDIT_PAGE).map_err(internal))
        .await?;
    let next = (entries.len() == AUDIT_PAGE)
        .then(|| {
            entries
                .last()
                .map(|e| format!("/admin/audit?before={}", e.id))
        })
        .flatten();
    let view = AuditView {
        entries: entries
            .into_iter()
            .map(|entry| AuditRow {
                time: rfc3339(entry.at),
                entry,
            })
            .collect(),
        before,
        next,
    };
    if wants.json {
        return Ok(json(&view));
    }
    private_page(
        &state,
        &viewing,
        StatusCode::OK,
        "admin-audit.html",
        "Audit log",
        &view,
    )
}

/// `before` from the query string: a positive whole number, or absent.
fn before_of(query: Option<&str>) -> Result<Option<i64>, HttpError> {
    let mut before = None;
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if k != "before" {
            continue;
        }
        if before.is_some() {
            return Err(HttpError::BadRequest("`before` is given twice.".into()));
        }
        match v.parse::<i64>() {
            Ok(n) if n > 0 => before = Some(n),
            _ => {
                return Err(HttpError::BadRequest(format!(
                    "`before` must be the number of an audit entry, not `{v}`."
                )))
            }
        }
    }
    Ok(before)
}

/// A row of the rights table: the right and, for each of [`Role::ALL`], whether it has it.
#[derive(Serialize)]
struct RightsRow {
    name: &'static str,
    describe: &'static str,
    roles: Vec<bool>,
}

#[derive(Serialize)]
struct RolesView {
    roles: Vec<&'static str>,
    rights: Vec<RightsRow>,
}

fn roles_view() -> RolesView {
    RolesView {
        roles: Role::ALL.iter().map(|r| r.name()).collect(),
        rights: RIGHTS
            .iter()
            .map(|(right, _)| RightsRow {
                name: right.name(),
                describe: right.describe(),
                roles: Role::ALL.iter().map(|role| role.can(*right)).collect(),
            })
            .collect(),
    }
}

/// `GET /admin/roles`: the one table of rights, as the code holds it.
pub(super) async fn roles(
    State(state): State<AppState>,
    wants: Wants,
    viewing: Viewing,
    uri: Uri,
) -> Result<Response, HttpError> {
    service(&state)?;
    if let Err(answer) = require(&state, wants, &viewing, Right::ManageUsers, &uri) {
        return Ok(*answer);
    }
    let view = roles_view();
    if wants.json {
        return Ok(json(&view));
    }
    private_page(
        &state,
        &viewing,
        StatusCode::OK,
        "admin-roles.html",
        "Roles and rights",
        &view,
    )
}

/// JSON that no cache keeps, varying with `Accept`.
fn json<T: Serialize>(value: &T) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    no_store(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn before_is_a_positive_number_given_once() {
        assert_eq!(before_of(None).unwrap(), None);
        assert_eq!(before_of(Some("before=12")).unwrap(), Some(12));
        assert_eq!(before_of(Some("x=1")).unwrap(), None);
        for bad in [
            "before=0",
            "before=-1",
            "before=x",
            "before=1&before=2",
            "before=",
        ] {
            assert!(before_of(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_rights_page_shows_the_table() {
        let view = roles_view();
        assert_eq!(view.rights.len(), RIGHTS.len());
        let manage = view
            .rights
            .iter()
            .find(|r| r.name == "manage-users")
            .unwrap();
        // Only the admin column.
        assert_eq!(manage.roles, vec![false, false, false, false, true]);
        let html = dossier_publish::Renderer::new()
            .render("admin-roles.html", "Roles", &view)
            .unwrap();
        assert!(html.contains("<code>publish</code>"), "{html}");
        assert_eq!(
            html.matches("aria-label=\"yes\"").count(),
            RIGHTS.iter().map(|(_, roles)| roles.len()).sum::<usize>()
        );
    }
}
