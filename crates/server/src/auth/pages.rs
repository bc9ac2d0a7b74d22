//! `GET`/`POST /login`, `POST /logout` and `GET /account`.

use super::cookies::Cookies;
use super::{client_address, internal, private_page, see_other, service, Viewing};
use crate::error::HttpError;
use crate::routes::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use dossier_auth::{AuthError, LoggedIn};
use dossier_publish::time::rfc3339;
use serde::Serialize;

/// The login page's context.
#[derive(Serialize)]
struct LoginView<'a> {
    /// The form's token, equal to the login cookie.
    csrf: &'a str,
    /// What was typed, kept after a failure (never the password).
    email: &'a str,
    /// Where to go after logging in (already checked by `safe_next`).
    next: Option<&'a str>,
    /// Why the last try failed.
    message: Option<&'a str>,
}

/// `next` from a query string or form, if it is a path on this site.
fn next_of(pairs: &[(String, String)]) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == "next")
        .and_then(|(_, v)| dossier_auth::redirect::safe_next(v))
}

fn pairs(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

/// `GET /login`: the form, with a fresh token in the login cookie (or the one the browser
/// has, so that two open login tabs both work). A viewer already logged in goes on to
/// `next`.
pub(super) async fn login_page(
    State(state): State<AppState>,
    viewing: Viewing,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    service(&state)?;
    let next = next_of(&pairs(query.unwrap_or_default().as_bytes()));
    if viewing.0.is_some() {
        return Ok(see_other(next.as_deref().unwrap_or("/")));
    }
    let cookies = Cookies::for_site(&state.site);
    let token = match cookies.login(&headers) {
        Some(token) => token.to_string(),
        None => dossier_auth::secret::random_token(),
    };
    let view = LoginView {
        csrf: &token,
        email: "",
        next: next.as_deref(),
        message: None,
    };
    let mut r = private_page(
        &state,
        &viewing,
        StatusCode::OK,
        "login.html",
        "Log in",
        &view,
    )?;
    r.headers_mut()
        .append(header::SET_COOKIE, cookies.set_login(&token));
    Ok(r)
}

/// `POST /login` (`email`, `password`, `csrf`, optional `next`; the CSRF checks have
/// passed): a new session and `303 See Other` to `next`, or the form again with one
/// message for every failure (401), or 429 with `Retry-After` when the limits say wait.
pub(super) async fn login(
    State(state): State<AppState>,
    viewing: Viewing,
    headers: HeaderMap,
    extensions: Extensions,
    body: Bytes,
) -> Result<Response, HttpError> {
    let auth = service(&state)?;
    let form = pairs(&body);
    let email = field(&form, "email").trim().to_string();
    let password = field(&form, "password").to_string();
    let next = next_of(&form);
    let address = client_address(&extensions);
    let cookies = Cookies::for_site(&state.site);
    // A session the browser already had ends: the new one has a fresh id either way.
    let previous = viewing
        .0
        .as_ref()
        .and_then(|_| cookies.session(&headers))
        .map(str::to_string);
    let typed = email.clone();
    let outcome = state
        .blocking(move |_| {
            let outcome = auth.login(&typed, &password, &address);
            if let (Ok(_), Some(previous)) = (&outcome, previous) {
                auth.logout(&previous, &address).map_err(internal)?;
            }
            Ok::<_, HttpError>(outcome)
        })
        .await?;
    let (status, message, retry_after) = match outcome {
        Ok(LoggedIn { cookie, .. }) => {
            let mut r = see_other(next.as_deref().unwrap_or("/"));
            let h = r.headers_mut();
            h.append(header::SET_COOKIE, cookies.set_session(&cookie));
            h.append(header::SET_COOKIE, cookies.clear_login());
            return Ok(r);
        }
        Err(e @ AuthError::Refused) => (StatusCode::UNAUTHORIZED, e.to_string(), None),
        Err(AuthError::TooMany { retry_after }) => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed logins for this account or from this address. Try again in {}.",
                wait_in_words(retry_after)
            ),
            Some(retry_after),
        ),
        Err(e) => return Err(internal(e)),
    };
    // The token that passed the check is the one in the login cookie: the form keeps it.
    let token = cookies.login(&headers).unwrap_or_default().to_string();
    let view = LoginView {
        csrf: &token,
        email: &email,
        next: next.as_deref(),
        message: Some(&message),
    };
    let mut r = private_page(&state, &viewing, status, "login.html", "Log in", &view)?;
    if let Some(secs) = retry_after {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    }
    Ok(r)
}

/// A wait as a person says it: `40 seconds`, `2 minutes`.
fn wait_in_words(secs: u64) -> String {
    match secs {
        0 | 1 => "a second".into(),
        2..=90 => format!("{secs} seconds"),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

/// `POST /logout` (the CSRF checks have passed, so there is a session): the session ends
/// in the store at once, the cookie is removed, and the browser goes to the home page.
pub(super) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
) -> Result<Response, HttpError> {
    let auth = service(&state)?;
    let cookies = Cookies::for_site(&state.site);
    if let Some(cookie) = cookies.session(&headers).map(str::to_string) {
        let address = client_address(&extensions);
        state
            .blocking(move |_| auth.logout(&cookie, &address).map_err(internal))
            .await?;
    }
    let mut r = see_other("/");
    r.headers_mut()
        .append(header::SET_COOKIE, cookies.clear_session());
    Ok(r)
}

/// An API token as the account page shows it (never its secret, which is not kept).
#[derive(Serialize)]
struct TokenRow {
    id: i64,
    label: String,
    scope: String,
    created: String,
    last_used: Option<String>,
    revoked: Option<String>,
}

#[derive(Serialize)]
struct RightRow {
    name: &'static str,
    describe: &'static str,
}

#[derive(Serialize)]
struct AccountView {
    user: dossier_store::accounts::User,
    last_login: Option<String>,
    rights: Vec<RightRow>,
    tokens: Vec<TokenRow>,
}

/// `GET /account`: the viewer's own account, rights and API tokens; anonymous readers are
/// sent to log in first.
pub(super) async fn account(
    State(state): State<AppState>,
    viewing: Viewing,
) -> Result<Response, HttpError> {
    let auth = service(&state)?;
    let Some(viewer) = viewing.0.clone() else {
        return Ok(see_other("/login?next=/account"));
    };
    let id = viewer.user.id;
    let tokens = state
        .blocking(move |_| {
            auth.accounts()
                .tokens(Some(id))
                .map_err(|e| internal(e.into()))
        })
        .await?;
    let view = AccountView {
        last_login: viewer.user.last_login.map(rfc3339),
        rights: viewer
            .role
            .rights()
            .map(|r| RightRow {
                name: r.name(),
                describe: r.describe(),
            })
            .collect(),
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                label: t.label,
                scope: t.scope,
                created: rfc3339(t.created),
                last_used: t.last_used.map(rfc3339),
                revoked: t.revoked.map(rfc3339),
            })
            .collect(),
        user: viewer.user,
    };
    private_page(
        &state,
        &viewing,
        StatusCode::OK,
        "account.html",
        "Your account",
        &view,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_in_words() {
        assert_eq!(wait_in_words(1), "a second");
        assert_eq!(wait_in_words(8), "8 seconds");
        assert_eq!(wait_in_words(900), "15 minutes");
        assert_eq!(wait_in_words(91), "2 minutes");
    }

    #[test]
    fn next_is_kept_only_when_it_is_a_path_here() {
        let p = |v: &str| vec![("next".to_string(), v.to_string())];
        assert_eq!(next_of(&p("/admin/users")).as_deref(), Some("/admin/users"));
        assert_eq!(next_of(&p("//evil.example")), None);
        assert_eq!(next_of(&p("https://evil.example/")), None);
        assert_eq!(next_of(&[]), None);
    }

    #[test]
    fn a_refused_login_keeps_the_email_and_never_the_password() {
        let r = dossier_publish::Renderer::new();
        let html = r
            .render(
                "login.html",
                "Log in",
                &LoginView {
                    csrf: "tok",
                    email: "\"><script>alert(1)</script>",
                    next: Some("/a?b=c"),
                    message: Some("The email or the password is not right."),
                },
            )
            .unwrap();
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("name=\"csrf\" value=\"tok\""), "{html}");
        assert!(html.contains("name=\"next\" value=\"/a?b=c\""), "{html}");
        assert!(html.contains("role=\"alert\""), "{html}");
        assert!(!html.contains("type=\"password\" value"), "{html}");
    }
}
