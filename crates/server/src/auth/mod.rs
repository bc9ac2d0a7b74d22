//! Editors' accounts on the web: who is asking, and the pages to log in, log out and
//! manage accounts. The rules (passwords, sessions, limits, rights) are `dossier-auth`'s;
//! here is the HTTP around them.
//!
//! [`layer`] runs on every request before its handler:
//! - outside `/api/v1`, a session cookie is resolved to the [`Viewer`] it belongs to and
//!   put on the request as an `Option<Viewer>` extension ([`Viewing`] reads it); an unknown
//!   or ended session is anonymous, and its cookie is removed in the answer;
//! - a state-changing request outside `/api/v1` and `/oai` passes the [`csrf`] checks, or
//!   is answered 403 with nothing written;
//! - on `/api/v1`, `Authorization: Bearer` is resolved to a [`Bearer`] extension; a token
//!   that is unknown, revoked or its account's disabled is 401 with `WWW-Authenticate`,
//!   never silently anonymous. Cookies are not read there.
//!
//! An answer to a request with credentials says `Cache-Control: private, no-store` (the
//! response cache already keeps such requests out, [`crate::security::carries_credentials`]).

mod admin;
pub(crate) mod cookies;
pub(crate) mod csrf;
mod pages;

use crate::error::HttpError;
use crate::negotiate::Wants;
use crate::routes::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use cookies::Cookies;
use dossier_auth::{AuthError, Bearer, Right, Viewer};
use dossier_publish::pages::View;
use dossier_store::accounts::NewAudit;
use serde::Serialize;
use std::net::SocketAddr;

/// The most a form's body may hold (the largest form, login, needs a few hundred bytes).
const FORM_LIMIT: usize = 64 * 1024;

/// The most an editing form may send (a document's full text, a dossier's outline): the
/// largest request body axum reads by default.
const EDIT_FORM_LIMIT: usize = 2 * 1024 * 1024;

/// The body limit of a state-changing request to `path`: the editing forms' (a record's
/// edit, new or delete form, a draft's actions) are larger than the accounts' forms.
fn form_limit(path: &str) -> usize {
    let editing = path.ends_with("/edit")
        || path.ends_with("/new")
        || path.ends_with("/delete")
        || path.starts_with("/drafts/");
    if editing {
        EDIT_FORM_LIMIT
    } else {
        FORM_LIMIT
    }
}

/// The routes of accounts: login, logout, the own account and the admin pages.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(pages::login_page).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/account", get(pages::account))
        .route("/admin/users", get(admin::users))
        .route("/admin/users/{id}/{action}", post(admin::change_user))
        .route("/admin/audit", get(admin::audit))
        .route("/admin/roles", get(admin::roles))
}

/// Whether `path` is the JSON API's.
pub(crate) fn is_api(path: &str) -> bool {
    path == "/api/v1" || path.starts_with("/api/v1/")
}

/// The client's address for limits and the audit log: the TCP peer (the connection's
/// service puts it on every request), never a header the client chooses.
pub(crate) fn client_address(parts_or_request: &axum::http::Extensions) -> String {
    parts_or_request
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The logged-in viewer of a request, if any (what [`layer`] resolved).
#[derive(Debug, Clone, Default)]
pub(crate) struct Viewing(pub(crate) Option<Viewer>);

impl<S: Send + Sync> FromRequestParts<S> for Viewing {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Viewing(
            parts.extensions.get::<Option<Viewer>>().cloned().flatten(),
        ))
    }
}

/// A link of the editor's menu.
#[derive(Debug, Serialize)]
struct MenuLink {
    url: &'static str,
    label: &'static str,
}

/// What the templates see of the viewer (`viewer` in the context; `base.html`'s menu).
#[derive(Debug, Serialize)]
struct ViewerContext<'a> {
    name: &'a str,
    email: &'a str,
    role: &'static str,
    /// The session's token, for the forms of the page (the logout form in the menu).
    csrf: &'a str,
    /// The pages the role may open.
    menu: Vec<MenuLink>,
    /// Whether the viewer may edit records (draft changes): record pages link to
    /// their edit forms.
    edit: bool,
}

impl Viewing {
    /// The keys to add to a template's context: `{"viewer": …}` for a logged-in viewer.
    pub(crate) fn context(&self) -> Option<serde_json::Value> {
        let viewer = self.0.as_ref()?;
        let mut menu = vec![MenuLink {
            url: "/account",
            label: "Your account",
        }];
        if viewer.can(Right::Draft) {
            menu.push(MenuLink {
                url: "/drafts",
                label: "Drafts",
            });
        }
        if viewer.can(Right::EditAny) {
            menu.push(MenuLink {
                url: "/review/links",
                label: "Link checks",
            });
            menu.push(MenuLink {
                url: "/review/gaps",
                label: "Gaps",
            });
        }
        if viewer.can(Right::Publish) {
            menu.push(MenuLink {
                url: "/merges",
                label: "Merges",
            });
        }
        if viewer.can(Right::ManageUsers) {
            menu.push(MenuLink {
                url: "/admin/users",
                label: "Accounts",
            });
            menu.push(MenuLink {
                url: "/admin/roles",
                label: "Roles",
            });
        }
        if viewer.can(Right::ReadAudit) {
            menu.push(MenuLink {
                url: "/admin/audit",
                label: "Audit log",
            });
        }
        let context = ViewerContext {
            name: &viewer.user.name,
            email: &viewer.user.email,
            role: viewer.role.name(),
            csrf: &viewer.csrf,
            menu,
            edit: viewer.can(Right::Draft),
        };
        Some(serde_json::json!({ "viewer": context }))
    }
}

/// A page as JSON (the view) or HTML (the view through `template`, with the viewer's menu
/// when someone is logged in), varying with `Accept`.
pub(crate) fn page(
    state: &AppState,
    wants: Wants,
    viewing: &Viewing,
    template: &str,
    title: &str,
    view: &dyn View,
) -> Result<Response, HttpError> {
    match viewing.context() {
        Some(extra) if !wants.json => {
            let html = view.html_with(&state.renderer, template, title, &extra)?;
            let mut response = axum::response::Html(html).into_response();
            response
                .headers_mut()
                .insert(header::VARY, HeaderValue::from_static("Accept"));
            Ok(response)
        }
        _ => wants.page(state, template, title, view),
    }
}

/// A page of accounts (login, account, admin): HTML with the viewer's menu, never kept by
/// any cache.
pub(crate) fn private_page<T: Serialize>(
    state: &AppState,
    viewing: &Viewing,
    status: StatusCode,
    template: &str,
    title: &str,
    view: &T,
) -> Result<Response, HttpError> {
    let extra = viewing.context().unwrap_or(serde_json::Value::Null);
    let html = state.renderer.render_with(template, title, view, &extra)?;
    Ok(no_store(
        (status, axum::response::Html(html)).into_response(),
    ))
}

/// A refusal (403 and the like) as the error page with the viewer's menu, or as
/// problem+json when JSON is preferred; never cached.
pub(crate) fn refusal(
    state: &AppState,
    wants: Wants,
    viewing: &Viewing,
    status: StatusCode,
    detail: &str,
) -> Response {
    let title = status.canonical_reason().unwrap_or("Refused");
    let problem = serde_json::json!({
        "type": "about:blank",
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    if wants.json {
        let mut r = (status, problem.to_string()).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        return no_store(r);
    }
    match private_page(state, viewing, status, "error.html", title, &problem) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// `Cache-Control: no-store` on an answer (login, account and admin pages, refusals).
pub(crate) fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `303 See Other` to a path on this site.
pub(crate) fn see_other(path: &str) -> Response {
    let location = HeaderValue::from_str(path).unwrap_or(HeaderValue::from_static("/"));
    no_store((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
}

/// An error of the accounts service as an HTTP error. Handlers answer the expected ones
/// themselves (a refused login, a missing right); what is left is a request naming an
/// account that is not there, a value the service refused, or a failure of ours.
pub(crate) fn internal(e: AuthError) -> HttpError {
    match e {
        AuthError::NoSuchUser(_) => HttpError::NotFound(e.to_string()),
        AuthError::BadEmail(_) | AuthError::Exists(_) | AuthError::Password(_) => {
            HttpError::BadRequest(e.to_string())
        }
        e => HttpError::Internal(Box::new(e)),
    }
}

/// The site's accounts service, or the 404 of an archive whose store keeps no accounts.
pub(crate) fn service(state: &AppState) -> Result<dossier_auth::Auth, HttpError> {
    state.auth.clone().ok_or_else(|| {
        HttpError::NotFound("This archive keeps no accounts: its store has none.".into())
    })
}

/// Seconds since 1970 now.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The layer: who is asking, and the CSRF checks (see the module's documentation).
pub(crate) async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if is_api(request.uri().path()) {
        return api_layer(state, request, next).await;
    }
    let cookies = Cookies::for_site(&state.site);
    let cookie = cookies.session(request.headers()).map(str::to_string);
    let had_cookie = cookie.is_some();
    let viewer = match (cookie, state.auth.clone()) {
        (Some(cookie), Some(auth)) => {
            match state
                .blocking(move |_| auth.viewer(&cookie).map_err(internal))
                .await
            {
                Ok(viewer) => viewer,
                Err(e) => return e.into_response(),
            }
        }
        _ => None,
    };
    let ended = had_cookie && viewer.is_none();
    let credentialed = viewer.is_some();
    let mut request = request;
    if csrf::changes_state(request.method()) && !csrf::exempt(request.uri().path()) {
        request = match checked(&state, request, viewer.as_ref(), cookies).await {
            Ok(request) => request,
            Err(refused) => return refused,
        };
    }
    request.extensions_mut().insert(viewer);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let sets_session = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(cookies.session_name().as_bytes()));
    if ended && !sets_session {
        // The browser stops sending a cookie that names no session any more.
        headers.append(header::SET_COOKIE, cookies.clear_session());
    }
    if credentialed {
        let keep = headers
            .get(header::CACHE_CONTROL)
            .is_some_and(|v| v.as_bytes() == b"no-store");
        if !keep {
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
        }
    }
    response
}

/// A state-changing request after the CSRF checks, its body read (at most
/// [`FORM_LIMIT`]) and put back for the handler; else the refusal to send.
async fn checked(
    state: &AppState,
    request: Request,
    viewer: Option<&Viewer>,
    cookies: Cookies,
) -> Result<Request, Response> {
    let (mut parts, body) = request.into_parts();
    let Ok(wants) = Wants::from_request_parts(&mut parts, &()).await;
    let viewing = Viewing(viewer.cloned());
    let refuse = |why: csrf::Refusal| {
        let mut detail = format!(
            "{} {}: {}",
            parts.method,
            truncated(parts.uri.path(), 200),
            why.reason()
        );
        if why == csrf::Refusal::ForeignOrigin {
            // What an operator needs when the site's own pages are refused: the origin
            // the browser used and the one configured (`--base-url`).
            let origin = parts
                .headers
                .get(header::ORIGIN)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .unwrap_or_default();
            detail.push_str(&format!(
                " ({} is not {})",
                truncated(&origin, 100),
                csrf::origin_of(state.site.base_url())
            ));
        }
        let address = client_address(&parts.extensions);
        // Audited: a refusal that names a session or one of the site's own forms. A POST
        // to any other address without a session writes nothing (bots would otherwise
        // fill the log, a write per request).
        let path = parts.uri.path();
        let own_form = path == "/login" || path == "/logout" || path.starts_with("/admin/");
        let auth = state.auth.clone().filter(|_| viewer.is_some() || own_form);
        let (user, email) = match viewer {
            Some(v) => (Some(v.user.id), Some(v.user.email.clone())),
            None => (None, None),
        };
        let state = state.clone();
        let viewing = viewing.clone();
        async move {
            if auth.is_some() {
                tracing::info!(%detail, %address, "refused a request that may be forged");
            } else {
                tracing::debug!(%detail, %address, "refused a state-changing request");
            }
            if let Some(auth) = auth {
                let audit = state
                    .blocking(move |_| {
                        auth.accounts()
                            .audit(&NewAudit {
                                at: now(),
                                event: "csrf-refused",
                                user,
                                email: email.as_deref(),
                                actor: email.as_deref(),
                                address: Some(&address),
                                detail: &detail,
                            })
                            .map_err(|e| internal(e.into()))
                    })
                    .await;
                if let Err(e) = audit {
                    tracing::warn!(error = %e, "cannot write a refused request to the audit log");
                }
            }
            refusal(
                &state,
                wants,
                &viewing,
                StatusCode::FORBIDDEN,
                "This request did not come from one of this site's own forms, or the form is \
                 out of date (your session may have ended). Nothing was changed. Go back, \
                 reload the page and try again.",
            )
        }
    };
    // The body is read first even when the headers alone refuse the request: an answer
    // sent before the body is read ends the connection, which a client may have reused.
    let bytes = match axum::body::to_bytes(body, form_limit(parts.uri.path())).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let mut answer = refusal(
                state,
                wants,
                &viewing,
                StatusCode::PAYLOAD_TOO_LARGE,
                "The form sent more than this site's forms ever send.",
            );
            // The rest of the body is not read: the connection ends with this answer, and
            // says so, so that the client does not send its next request on it.
            answer
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return Err(answer);
        }
    };
    if let Err(why) = csrf::check_headers(&parts.headers, &state.site) {
        return Err(refuse(why).await);
    }
    let given = csrf::token_of(&parts.headers, &bytes);
    let expected = if parts.uri.path() == "/login" {
        cookies.login(&parts.headers).map(str::to_string)
    } else {
        viewer.map(|v| v.csrf.clone())
    };
    if let Err(why) = csrf::check_token(given.as_deref(), expected.as_deref()) {
        return Err(refuse(why).await);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn truncated(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `/api/v1`: an `Authorization` header must carry a bearer token that is valid now.
async fn api_layer(state: AppState, mut request: Request, next: Next) -> Response {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return next.run(request).await;
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string())
        .filter(|t| !t.is_empty() && !t.contains(char::is_whitespace));
    let Some(token) = token else {
        return unauthorized(
            "invalid_request",
            "The Authorization header must be `Bearer` and an API token.",
        );
    };
    let Some(auth) = state.auth.clone() else {
        return unauthorized("invalid_token", "This archive keeps no API tokens.");
    };
    let address = client_address(request.extensions());
    let checked = state
        .blocking(move |_| match auth.bearer(&token, &address) {
            Ok(bearer) => Ok(Some(bearer)),
            Err(AuthError::BadToken) => Ok(None),
            Err(e) => Err(internal(e)),
        })
        .await;
    match checked {
        Ok(Some(bearer)) => {
            request.extensions_mut().insert::<Bearer>(bearer);
            let mut response = next.run(request).await;
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            response
        }
        Ok(None) => unauthorized(
            "invalid_token",
            "The API token is not valid: it is unknown or revoked, or its account is disabled.",
        ),
        Err(e) => e.into_response(),
    }
}

/// 401 with `WWW-Authenticate: Bearer` (RFC 6750) and a problem+json body.
fn unauthorized(error: &'static str, detail: &str) -> Response {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": detail,
    });
    let challenge = format!("Bearer realm=\"dossier\", error=\"{error}\"");
    let mut r = (StatusCode::UNAUTHORIZED, body.to_string()).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        h.insert(header::WWW_AUTHENTICATE, v);
    }
    no_store(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths() {
        assert!(is_api("/api/v1") && is_api("/api/v1/documents/x"));
        assert!(!is_api("/api/v10") && !is_api("/api") && !is_api("/login"));
    }

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncated("abc", 10), "abc");
        assert_eq!(truncated("aé", 2), "a");
        assert_eq!(truncated("abcdef", 3), "abc");
    }
}
