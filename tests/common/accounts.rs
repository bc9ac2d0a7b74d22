//! A browser's side of the accounts, for the attack and login tests: a client that keeps
//! its cookies and does not follow redirects (so a test sees every `Location` and
//! `Set-Cookie`), the login form's round trip, and accounts made the two ways an admin
//! makes them (the `dossier-auth` service, and the `dossier user add` binary).

use super::TestServer;
use dossier_auth::{Actor, Auth, Role};
use dossier_store::accounts::{AuditEntry, User};
use dossier_store::Store;
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

/// A password the policy accepts (long, not a common one, not the email).
pub const PASSWORD: &str = "umbral-quince-lantern-1997";

/// One answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every `Set-Cookie` line, whole (name, value and attributes).
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }

    /// The `Set-Cookie` line for the cookie `name`, if the answer set it.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|line| cookie_pair(line).is_some_and(|(n, _)| n == name))
    }

    /// The page's login or session CSRF token (the hidden `csrf` field of its first form
    /// that has one).
    pub fn csrf(&self) -> Option<String> {
        csrf_in(&self.body)
    }
}

/// A cookie line's `name=value`, split.
pub fn cookie_pair(line: &str) -> Option<(String, String)> {
    let first = line.split(';').next()?;
    let (name, value) = first.split_once('=')?;
    Some((name.trim().to_string(), value.trim().to_string()))
}

/// The value of the first `<input name="csrf">` in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(r#"input[name="csrf"]"#).unwrap();
    doc.select(&sel)
        .find_map(|e| e.value().attr("value").map(str::to_string))
}

/// A page with every csrf value blanked, to compare two answers that differ only by their
/// fresh tokens.
pub fn without_csrf(html: &str, cookies: &[&str]) -> String {
    let mut out = html.to_string();
    let mut tokens: Vec<String> = csrf_values(html);
    tokens.extend(cookies.iter().map(|c| c.to_string()));
    for t in tokens.iter().filter(|t| !t.is_empty()) {
        out = out.replace(t.as_str(), "CSRF");
    }
    out
}

fn csrf_values(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(r#"input[name="csrf"], meta[name="csrf"]"#).unwrap();
    doc.select(&sel)
        .filter_map(|e| {
            e.value()
                .attr("value")
                .or(e.value().attr("content"))
                .map(str::to_string)
        })
        .collect()
}

/// `application/x-www-form-urlencoded` for a form's fields.
pub fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but the unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A browser: keeps the cookies it is given, sends them back, follows no redirect.
pub struct Client {
    pub base: String,
    /// What the client's forms send as `Origin` (the site's own origin, as a browser on
    /// its pages would; a test of a site configured as https sets that one).
    pub origin: String,
    agent: ureq::Agent,
    pub jar: BTreeMap<String, String>,
}

impl Client {
    pub fn new(server: &TestServer) -> Client {
        Client {
            base: server.base.clone(),
            origin: server.base.clone(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .build()
                .into(),
            jar: BTreeMap::new(),
        }
    }

    /// The value of a cookie the client holds.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.jar.get(name).map(String::as_str)
    }

    /// The `Cookie` header this client sends (empty when it holds none).
    pub fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, answer: &Answer) {
        for line in answer.set_cookies() {
            let Some((name, value)) = cookie_pair(&line) else {
                continue;
            };
            let lower = line.to_ascii_lowercase();
            let gone = value.is_empty()
                || lower.contains("max-age=0")
                || lower.contains("expires=thu, 01 jan 1970");
            if gone {
                self.jar.remove(&name);
            } else {
                self.jar.insert(name, value);
            }
        }
    }

    /// A request with this client's cookies (unless `headers` sets its own `Cookie`).
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, String)>,
    ) -> Answer {
        self.try_send(method, path, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Like [`Client::send`], with a failed exchange (the server closed the connection
    /// before reading all of a large body, say) as an error.
    pub fn try_send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, String)>,
    ) -> Result<Answer, ureq::Error> {
        let url = format!("{}{path}", self.base);
        let cookies = self.cookie_header();
        let own_cookie = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("cookie"));
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if !own_cookie && !cookies.is_empty() {
            all.push(("Cookie", cookies.as_str()));
        }
        let result = match body {
            Some((ct, b)) => {
                let mut req = match method {
                    "POST" => self.agent.post(&url),
                    "PUT" => self.agent.put(&url),
                    "PATCH" => self.agent.patch(&url),
                    other => panic!("no body for {other}"),
                }
                .header("Content-Type", ct);
                for (k, v) in &all {
                    req = req.header(*k, *v);
                }
                req.send(b)
            }
            None => {
                let mut req = match method {
                    "GET" => self.agent.get(&url).force_send_body(),
                    "DELETE" => self.agent.delete(&url).force_send_body(),
                    "POST" => self.agent.post(&url),
                    other => panic!("unknown method {other}"),
                };
                for (k, v) in &all {
                    req = req.header(*k, *v);
                }
                req.send_empty()
            }
        };
        let mut r = result?;
        let answer = Answer {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.body_mut().read_to_string().unwrap_or_default(),
        };
        self.keep(&answer);
        Ok(answer)
    }

    pub fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, &[("Accept", "text/html")], None)
    }

    pub fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.send("GET", path, headers, None)
    }

    pub fn get_json(&mut self, path: &str) -> Answer {
        self.send("GET", path, &[("Accept", "application/json")], None)
    }

    /// POSTs a form, as a browser on this site would (`Origin` is the site's,
    /// `Sec-Fetch-Site: same-origin`), with any further headers.
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.post_with(path, fields, &[])
    }

    pub fn post_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let origin = self.origin.clone();
        let mut all: Vec<(&str, &str)> = vec![("Accept", "text/html")];
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("origin"))
        {
            all.push(("Origin", origin.as_str()));
        }
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("sec-fetch-site"))
        {
            all.push(("Sec-Fetch-Site", "same-origin"));
        }
        all.extend_from_slice(headers);
        self.send(
            "POST",
            path,
            &all,
            Some(("application/x-www-form-urlencoded", form(fields))),
        )
    }

    /// Opens the login page and posts the form, with `next` when given; returns the
    /// answer to the POST.
    pub fn try_login(&mut self, email: &str, password: &str, next: Option<&str>) -> Answer {
        let page = self.get("/login");
        assert_eq!(page.status, 200, "GET /login: {}", page.body);
        let csrf = page
            .csrf()
            .unwrap_or_else(|| panic!("the login page has no csrf field: {}", page.body));
        let mut fields = vec![("email", email), ("password", password), ("csrf", &csrf)];
        if let Some(next) = next {
            fields.push(("next", next));
        }
        self.post("/login", &fields)
    }

    /// Logs in and asserts that it worked (a redirect, and a session cookie).
    pub fn login(&mut self, email: &str, password: &str) -> Answer {
        let answer = self.try_login(email, password, None);
        assert_eq!(
            answer.status, 303,
            "login as {email} should redirect: {} {}",
            answer.status, answer.body
        );
        assert!(
            self.session().is_some(),
            "login as {email} set no session cookie: {:?}",
            answer.set_cookies()
        );
        answer
    }

    /// The session cookie this client holds (either name), as `(name, value)`.
    pub fn session(&self) -> Option<(String, String)> {
        self.jar
            .iter()
            .find(|(k, _)| {
                k.as_str() == "dossier_session" || k.as_str() == "__Host-dossier_session"
            })
            .map(|(k, v)| (k.clone(), v.clone()))
    }

    /// The session's CSRF token, read from the account page's forms.
    pub fn session_csrf(&mut self) -> String {
        let page = self.get("/account");
        assert_eq!(page.status, 200, "GET /account: {}", page.body);
        page.csrf()
            .unwrap_or_else(|| panic!("the account page has no csrf field: {}", page.body))
    }

    /// Whether this client is logged in: the account page answers it (not a redirect to
    /// the login page, not a refusal).
    pub fn logged_in(&mut self) -> bool {
        self.get("/account").status == 200
    }
}

/// The auth service over the test server's store (the same rules the server applies).
pub fn auth(server: &TestServer) -> Auth {
    let store: Arc<dyn Store> = server.store.clone();
    Auth::new(store).expect("the SQLite store keeps accounts")
}

/// Makes an account through the auth service, as the command line does.
pub fn add_user(server: &TestServer, email: &str, name: &str, role: Role) -> User {
    auth(server)
        .add_user(&Actor::Cli, email, Some(name), role, PASSWORD)
        .unwrap_or_else(|e| panic!("adding {email}: {e}"))
}

/// The account with this email, as stored now.
pub fn stored_user(server: &TestServer, email: &str) -> User {
    server
        .store
        .accounts()
        .expect("accounts")
        .user_by_email(email)
        .unwrap()
        .unwrap_or_else(|| panic!("no account {email}"))
}

/// The whole audit log, newest first.
pub fn audit(server: &TestServer) -> Vec<AuditEntry> {
    server
        .store
        .accounts()
        .expect("accounts")
        .audit_log(None, 100_000)
        .unwrap()
}

/// The test server's data directory (for the `dossier` binary's `--data-dir`).
pub fn data_dir(server: &TestServer) -> &std::path::Path {
    server._dir.path()
}

/// Runs the real `dossier` binary against the test server's data directory, with `stdin`
/// as its standard input; returns (success, stdout, stderr).
pub fn dossier(server: &TestServer, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dossier"))
        .arg("--data-dir")
        .arg(data_dir(server))
        .args(args)
        .env_remove("DOSSIER_DATA_DIR")
        .env_remove("DOSSIER_ADDR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the dossier binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
