//! The attacks archive systems have fallen to, tried against a real server over real HTTP
//! and a real SQLite store (issue 23): forged and missing CSRF tokens, session fixation,
//! guessing passwords, telling known emails from unknown ones, open redirects after
//! login, a contributor reaching for the admin's pages, script in a user's name or email,
//! a disabled account's live session, a revoked API token; and the cookie's flags and the
//! security headers that back them. Each attack must be refused with nothing written.

mod common;

use common::accounts::{
    add_user, audit, auth, dossier, stored_user, without_csrf, Answer, Client, PASSWORD,
};
use common::TestServer;
use dossier_auth::{Actor, Role};
use dossier_store::Store;
use scraper::{Html, Selector};

const ADMIN: &str = "admin@archive.example";
const EDITOR: &str = "editor@archive.example";

/// The built-in dossier, an admin and an editor.
fn archive() -> TestServer {
    let server = TestServer::builtin();
    add_user(&server, ADMIN, "Archive Admin", Role::Admin);
    add_user(&server, EDITOR, "Eddie Editor", Role::Editor);
    server
}

/// The audit log's events, oldest first.
fn events(server: &TestServer) -> Vec<String> {
    let mut all: Vec<String> = audit(server).into_iter().map(|e| e.event).collect();
    all.reverse();
    all
}

/// The events that change something (a refusal's own audit line changes nothing).
fn writes(server: &TestServer) -> Vec<String> {
    events(server)
        .into_iter()
        .filter(|e| {
            !(e.ends_with("-refused") || e.contains("forbidden") || e.contains("denied"))
                && e != "user-added"
        })
        .collect()
}

/// A form's fields, or a request's extra headers.
type Fields<'a> = Vec<(&'a str, &'a str)>;

fn attr<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    line.split(';').skip(1).map(str::trim).find_map(|a| {
        let (k, v) = a.split_once('=').unwrap_or((a, ""));
        k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

// ---------------------------------------------------------------------------------------
// Cross-site request forgery
// ---------------------------------------------------------------------------------------

#[test]
fn a_login_with_a_forged_or_missing_csrf_token_is_refused_and_nothing_is_written() {
    let server = archive();
    let mut c = Client::new(&server);
    let page = c.get("/login");
    assert_eq!(page.status, 200);
    let token = page.csrf().expect("the login form carries a csrf token");
    let login_cookie = c.cookie("dossier_login").map(str::to_string);
    assert!(
        login_cookie.is_some(),
        "GET /login sets the dossier_login cookie: {:?}",
        page.set_cookies()
    );

    let cases: Vec<(&str, Fields, Fields, bool)> = vec![
        ("no csrf field", vec![], vec![], true),
        ("an empty csrf field", vec![("csrf", "")], vec![], true),
        (
            "a forged csrf field",
            vec![("csrf", "forged-by-attacker")],
            vec![],
            true,
        ),
        // The right token, without the login cookie it must match (a forged page that
        // copied a token has no way to set the cookie).
        (
            "no dossier_login cookie",
            vec![("csrf", &token)],
            vec![],
            false,
        ),
        (
            "a cross-site Origin",
            vec![("csrf", &token)],
            vec![("Origin", "https://evil.example")],
            true,
        ),
        (
            "Sec-Fetch-Site: cross-site",
            vec![("csrf", &token)],
            vec![("Sec-Fetch-Site", "cross-site")],
            true,
        ),
        // A sibling host (another subdomain) is not this site either.
        (
            "Sec-Fetch-Site: same-site",
            vec![("csrf", &token)],
            vec![("Sec-Fetch-Site", "same-site")],
            true,
        ),
        // What a sandboxed frame or a data: page sends.
        (
            "Origin: null",
            vec![("csrf", &token)],
            vec![("Origin", "null")],
            true,
        ),
    ];
    for (what, csrf, headers, with_cookie) in cases {
        let mut fields = vec![("email", ADMIN), ("password", PASSWORD)];
        fields.extend(csrf);
        let answer = if with_cookie {
            c.post_with("/login", &fields, &headers)
        } else {
            let mut bare = Client::new(&server);
            bare.post_with("/login", &fields, &headers)
        };
        assert_eq!(answer.status, 403, "{what}: {}", answer.body);
        assert!(
            answer.set_cookie("dossier_session").is_none(),
            "{what}: a session cookie was set: {:?}",
            answer.set_cookies()
        );
        assert!(c.session().is_none(), "{what}: the client holds a session");
    }
    assert!(
        !writes(&server).iter().any(|e| e == "login"),
        "a refused login was logged in: {:?}",
        events(&server)
    );
    assert_eq!(stored_user(&server, ADMIN).last_login, None);
    assert!(
        events(&server).iter().any(|e| e == "csrf-refused"),
        "the refusals are in the audit log: {:?}",
        events(&server)
    );

    // The same form with its token and cookie works: the refusals above were the token's.
    let answer = c.post(
        "/login",
        &[("email", ADMIN), ("password", PASSWORD), ("csrf", &token)],
    );
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert!(c.logged_in());
}

#[test]
fn a_logout_with_a_forged_or_missing_csrf_token_is_refused_and_the_session_lives() {
    let server = archive();
    let mut c = Client::new(&server);
    c.login(EDITOR, PASSWORD);
    let token = c.session_csrf();
    let before = writes(&server);

    for (what, fields, headers) in [
        ("no csrf field", vec![], vec![]),
        (
            "a forged csrf field",
            vec![("csrf", "forged-by-attacker")],
            vec![],
        ),
        (
            "a cross-site Origin",
            vec![("csrf", token.as_str())],
            vec![("Origin", "https://evil.example")],
        ),
        (
            "Sec-Fetch-Site: cross-site",
            vec![("csrf", token.as_str())],
            vec![("Sec-Fetch-Site", "cross-site")],
        ),
    ] {
        let answer = c.post_with("/logout", &fields, &headers);
        assert_eq!(answer.status, 403, "{what}: {}", answer.body);
        assert!(c.logged_in(), "{what}: the session ended");
    }
    assert_eq!(
        writes(&server),
        before,
        "a refused logout wrote to the store"
    );

    // With the token, logout ends the session, and the old cookie is dead on the server
    // (not only dropped by the browser).
    let (name, old) = c.session().unwrap();
    let answer = c.post("/logout", &[("csrf", &token)]);
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert!(!c.logged_in());
    let mut replay = Client::new(&server);
    let cookie = format!("{name}={old}");
    let answer = replay.get_with("/account", &[("Cookie", &cookie), ("Accept", "text/html")]);
    assert_ne!(
        answer.status, 200,
        "the logged-out cookie still opens /account"
    );
    assert!(events(&server).iter().any(|e| e == "logout"));
}

#[test]
fn an_admin_post_with_a_forged_or_missing_csrf_token_is_refused_and_nothing_is_written() {
    let server = archive();
    let editor = stored_user(&server, EDITOR);
    let mut admin = Client::new(&server);
    admin.login(ADMIN, PASSWORD);
    let token = admin.session_csrf();
    let before = writes(&server);
    let role_url = format!("/admin/users/{}/role", editor.id);
    let disable_url = format!("/admin/users/{}/disable", editor.id);

    for (what, url, fields, headers) in [
        ("role: no csrf", &role_url, vec![("role", "admin")], vec![]),
        (
            "role: forged csrf",
            &role_url,
            vec![("role", "admin"), ("csrf", "forged-by-attacker")],
            vec![],
        ),
        (
            "role: cross-site Origin",
            &role_url,
            vec![("role", "admin"), ("csrf", token.as_str())],
            vec![("Origin", "https://evil.example")],
        ),
        (
            "role: Sec-Fetch-Site cross-site",
            &role_url,
            vec![("role", "admin"), ("csrf", token.as_str())],
            vec![("Sec-Fetch-Site", "cross-site")],
        ),
        ("disable: no csrf", &disable_url, vec![], vec![]),
        (
            "disable: forged csrf",
            &disable_url,
            vec![("csrf", "forged-by-attacker")],
            vec![],
        ),
    ] {
        let answer = admin.post_with(url, &fields, &headers);
        assert_eq!(answer.status, 403, "{what}: {}", answer.body);
    }
    let after = stored_user(&server, EDITOR);
    assert_eq!(after.role, "editor", "a forged request changed the role");
    assert!(!after.disabled, "a forged request disabled the account");
    assert_eq!(
        writes(&server),
        before,
        "a refused admin request wrote to the store"
    );

    // Another session's token is no better than a forged one.
    let mut other = Client::new(&server);
    other.login(ADMIN, PASSWORD);
    let others_token = other.session_csrf();
    assert_ne!(others_token, token, "two sessions share a csrf token");
    let answer = admin.post(&role_url, &[("role", "admin"), ("csrf", &others_token)]);
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(stored_user(&server, EDITOR).role, "editor");

    // With its own token the admin's request goes through.
    let answer = admin.post(&role_url, &[("role", "reviewer"), ("csrf", &token)]);
    assert!(
        answer.status == 303 || answer.status == 200,
        "{} {}",
        answer.status,
        answer.body
    );
    assert_eq!(stored_user(&server, EDITOR).role, "reviewer");
}

// ---------------------------------------------------------------------------------------
// Session fixation
// ---------------------------------------------------------------------------------------

#[test]
fn a_session_id_chosen_by_an_attacker_does_not_survive_login() {
    let server = TestServer::builtin();
    // This account is made by the real binary, as an administrator would.
    let (ok, out, err) = dossier(
        &server,
        &[
            "user",
            "add",
            "fixed@archive.example",
            "--role",
            "editor",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "dossier user add failed: {out}{err}");
    assert!(
        !out.contains(PASSWORD) && !err.contains(PASSWORD),
        "the password was echoed"
    );

    let planted = "dossier_session=attacker-chosen";
    let mut c = Client::new(&server);
    let page = c.get_with("/login", &[("Cookie", planted), ("Accept", "text/html")]);
    assert_eq!(page.status, 200);
    let token = page.csrf().unwrap();
    let login = c.cookie("dossier_login").unwrap().to_string();
    let cookie = format!("{planted}; dossier_login={login}");
    let origin = server.base.clone();
    let answer = c.send(
        "POST",
        "/login",
        &[
            ("Cookie", &cookie),
            ("Origin", &origin),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        Some((
            "application/x-www-form-urlencoded",
            common::accounts::form(&[
                ("email", "fixed@archive.example"),
                ("password", PASSWORD),
                ("csrf", &token),
            ]),
        )),
    );
    assert_eq!(answer.status, 303, "{}", answer.body);
    let line = answer
        .set_cookie("dossier_session")
        .expect("login sets a new session cookie");
    let (_, issued) = common::accounts::cookie_pair(&line).unwrap();
    assert_ne!(issued, "attacker-chosen", "the planted id was kept");
    assert!(
        issued.len() >= 32,
        "the session id is long and random: {issued}"
    );

    // The server's session is the issued one; the planted value opens nothing.
    assert!(c.logged_in());
    let mut attacker = Client::new(&server);
    let answer = attacker.get_with("/account", &[("Cookie", planted), ("Accept", "text/html")]);
    assert_ne!(answer.status, 200, "the attacker's id opens the account");
    let store = server.store.accounts().unwrap();
    assert!(store
        .session(&dossier_auth::secret::digest("attacker-chosen"))
        .unwrap()
        .is_none());
}

#[test]
fn a_change_of_role_ends_the_account_s_sessions() {
    let server = archive();
    let mut c = Client::new(&server);
    c.login(EDITOR, PASSWORD);
    assert!(c.logged_in());
    auth(&server)
        .set_role(&Actor::Cli, EDITOR, Role::Contributor)
        .unwrap();
    assert!(!c.logged_in(), "the old session outlived the role change");
}

// ---------------------------------------------------------------------------------------
// Guessing passwords, and telling accounts apart
// ---------------------------------------------------------------------------------------

#[test]
fn fifty_wrong_passwords_lock_the_account_and_the_admin_sees_it() {
    let server = archive();
    // The admin logs in first: the guesses come from the same address (127.0.0.1), which
    // the per-address limit holds back too.
    let mut admin = Client::new(&server);
    admin.login(ADMIN, PASSWORD);

    // Fifty wrong guesses, then more until the delay in force is at least 2 s (the
    // limiter counts whole seconds, so a 1 s delay may end at the next tick), so that the
    // right password below is tried inside the delay.
    let mut attacker = Client::new(&server);
    let mut statuses = Vec::new();
    let mut retry = 0;
    let mut i = 0;
    while i < 50 || retry < 2 {
        assert!(i < 80, "the delay never grew: {statuses:?}");
        let answer = attacker.try_login(EDITOR, &format!("wrong-password-{i:02}-guess"), None);
        assert!(
            answer.set_cookie("dossier_session").is_none(),
            "guess {i} logged in"
        );
        statuses.push(answer.status);
        retry = 0;
        if answer.status == 429 {
            retry = answer
                .header("retry-after")
                .expect("429 says Retry-After")
                .parse()
                .expect("Retry-After in seconds");
            assert!((1..=15 * 60).contains(&retry), "Retry-After: {retry}");
            if i >= 50 && retry < 2 {
                // Let the short delay pass, so that the next guess is counted.
                std::thread::sleep(std::time::Duration::from_secs(retry + 1));
            }
        }
        i += 1;
    }
    let first_429 = statuses.iter().position(|s| *s == 429);
    assert!(
        first_429.is_some_and(|i| i <= 10),
        "the guesses were not held back soon: {statuses:?}"
    );
    let tried = statuses.iter().filter(|s| **s != 429).count();
    assert!(
        tried <= 15,
        "{tried} of {} guesses were checked: {statuses:?}",
        statuses.len()
    );

    // The right password is refused too, until the delay passes.
    let answer = attacker.try_login(EDITOR, PASSWORD, None);
    assert_eq!(
        answer.status, 429,
        "the right password got in during the lock"
    );
    assert!(answer.set_cookie("dossier_session").is_none());

    let locked = stored_user(&server, EDITOR);
    assert!(
        locked.locked_until.is_some(),
        "the account is not marked locked"
    );
    assert!(events(&server).iter().any(|e| e == "lockout"));
    // No guess is written down anywhere in the log.
    for entry in audit(&server) {
        let line = format!("{entry:?}");
        assert!(
            !line.contains("wrong-password-"),
            "a password in the audit log: {line}"
        );
    }

    // The admin sees the account locked, on the page and in JSON.
    let page = admin.get("/admin/users");
    assert_eq!(page.status, 200, "{}", page.body);
    let doc = Html::parse_document(&page.body);
    let rows = Selector::parse("tr, li").unwrap();
    assert!(
        doc.select(&rows).any(|row| {
            let text = row.text().collect::<String>();
            text.contains(EDITOR) && text.to_lowercase().contains("locked")
        }),
        "/admin/users does not show {EDITOR} as locked"
    );
    // And in the JSON: the account's row, and the list of locked accounts.
    let json = admin.get_json("/admin/users");
    assert_eq!(json.status, 200, "{}", json.body);
    assert!(json
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json")));
    let value: serde_json::Value = serde_json::from_str(&json.body).expect("JSON");
    let listed = json_users(&value)
        .into_iter()
        .find(|u| u["email"] == EDITOR)
        .unwrap_or_else(|| panic!("{EDITOR} is not in /admin/users JSON: {value}"));
    assert!(
        !listed["locked_until"].is_null(),
        "the JSON does not show the lock: {listed}"
    );
    assert!(
        value["locked"]
            .as_array()
            .is_some_and(|l| l.iter().any(|u| u["email"] == EDITOR)),
        "{EDITOR} is not among the locked accounts: {value}"
    );
    assert!(
        !json.body.contains("argon2"),
        "the JSON carries a password hash"
    );
}

/// The accounts in the admin's JSON list (under `users`).
fn json_users(value: &serde_json::Value) -> Vec<&serde_json::Value> {
    value["users"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

#[test]
fn the_delay_passes_and_the_right_password_then_works() {
    let server = archive();
    let mut c = Client::new(&server);
    let mut retry = None;
    for i in 0..20 {
        let answer = c.try_login(EDITOR, &format!("wrong-password-{i:02}-guess"), None);
        if answer.status == 429 {
            retry = answer.header("retry-after").map(str::to_string);
            break;
        }
    }
    let retry: u64 = retry
        .expect("the guesses were held back")
        .parse()
        .expect("Retry-After in seconds");
    assert!(
        retry <= 60,
        "the first delays are short (doubling from 1 s): {retry}"
    );
    std::thread::sleep(std::time::Duration::from_secs(retry + 1));
    let answer = c.try_login(EDITOR, PASSWORD, None);
    assert_eq!(
        answer.status, 303,
        "the right password after the delay: {}",
        answer.body
    );
    assert_eq!(stored_user(&server, EDITOR).failed_logins, 0);
}

#[test]
fn an_unknown_email_and_a_wrong_password_get_the_same_answer() {
    let server = archive();
    // Same length, so that the echoed email (if the form keeps it) is the only difference
    // to blank out.
    let known = EDITOR;
    let unknown = "nobody@archive.example";
    let mut a = Client::new(&server);
    let wrong = a.try_login(known, "not-the-password-at-all", None);
    let mut b = Client::new(&server);
    let missing = b.try_login(unknown, "not-the-password-at-all", None);
    assert_ne!(wrong.status, 303);
    assert_eq!(wrong.status, missing.status, "statuses differ");
    let login_a = a.cookie("dossier_login").unwrap_or_default().to_string();
    let login_b = b.cookie("dossier_login").unwrap_or_default().to_string();
    let body_a = without_csrf(&wrong.body, &[&login_a]).replace(known, "EMAIL");
    let body_b = without_csrf(&missing.body, &[&login_b]).replace(unknown, "EMAIL");
    assert_eq!(body_a, body_b, "the bodies tell the two apart");
    let names = |a: &Answer| {
        let mut n: Vec<String> = a
            .set_cookies()
            .iter()
            .filter_map(|l| common::accounts::cookie_pair(l).map(|(n, _)| n))
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&wrong), names(&missing), "the cookies differ");
    // A disabled account answers alike too.
    auth(&server)
        .set_disabled(&Actor::Cli, ADMIN, true)
        .unwrap();
    let mut d = Client::new(&server);
    let disabled = d.try_login(ADMIN, PASSWORD, None);
    assert_eq!(disabled.status, wrong.status);
    let login_d = d.cookie("dossier_login").unwrap_or_default().to_string();
    assert_eq!(
        without_csrf(&disabled.body, &[&login_d]).replace(ADMIN, "EMAIL"),
        body_a,
        "a disabled account is told apart"
    );
}

// ---------------------------------------------------------------------------------------
// Open redirects
// ---------------------------------------------------------------------------------------

/// Whether a `Location` stays on this site: a path, starting with one `/`, with nothing
/// a browser reads as another host.
fn stays_on_site(location: &str) -> bool {
    let b = location.as_bytes();
    !b.is_empty()
        && b[0] == b'/'
        && b.get(1).is_none_or(|c| *c != b'/' && *c != b'\\')
        && !location
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        && !location.to_ascii_lowercase().starts_with("/%2f")
        && !location.to_ascii_lowercase().starts_with("/%5c")
}

#[test]
fn after_login_next_goes_only_to_a_path_on_this_site() {
    let server = archive();
    let hostile = [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%2F%2Fevil.example",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "http:evil.example",
        "///evil.example",
        "/%09/evil.example",
        " //evil.example",
        "https:/\\evil.example",
    ];
    for next in hostile {
        let mut c = Client::new(&server);
        let answer = c.try_login(EDITOR, PASSWORD, Some(next));
        assert_eq!(answer.status, 303, "next={next:?}: {}", answer.body);
        let location = answer.header("location").unwrap_or_default();
        assert!(
            stays_on_site(location),
            "next={next:?} sent the browser to {location:?}"
        );
        assert!(
            !location.contains("evil.example"),
            "next={next:?} → {location:?}"
        );
    }
    // The login page carries `next` to its form without letting it out of the attribute.
    let mut c = Client::new(&server);
    let page = c.get("/login?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E");
    assert_eq!(page.status, 200);
    assert_no_injection(&page.body, "/login?next=…");

    let mut c = Client::new(&server);
    let answer = c.try_login(EDITOR, PASSWORD, Some("/documents/founding-act-1997"));
    assert_eq!(answer.status, 303);
    assert_eq!(
        answer.header("location"),
        Some("/documents/founding-act-1997")
    );
}

// ---------------------------------------------------------------------------------------
// A contributor reaching past their role
// ---------------------------------------------------------------------------------------

#[test]
fn a_contributor_cannot_open_or_change_what_is_not_theirs() {
    let server = archive();
    let contributor = add_user(
        &server,
        "carol@archive.example",
        "Carol Contributor",
        Role::Contributor,
    );
    let admin = stored_user(&server, ADMIN);
    let editor = stored_user(&server, EDITOR);
    let a = auth(&server);
    let (_, _) = a
        .create_token(
            &Actor::Cli,
            EDITOR,
            dossier_auth::Scope::Write,
            "editor's import script",
        )
        .unwrap();

    let mut c = Client::new(&server);
    c.login("carol@archive.example", PASSWORD);
    for path in ["/admin/users", "/admin/audit"] {
        let page = c.get(path);
        assert_eq!(page.status, 403, "{path} as a contributor: {}", page.body);
        assert!(
            !page.body.contains(ADMIN),
            "{path} leaked the admin's email"
        );
        let json = c.get_json(path);
        assert_eq!(
            json.status, 403,
            "{path} (JSON) as a contributor: {}",
            json.body
        );
        assert!(!json.body.contains(ADMIN));
    }
    // Another account's details by number or by email are not hers to read.
    for path in [
        format!("/account?user={}", editor.id),
        format!("/account?email={EDITOR}"),
        format!("/account/{}", editor.id),
    ] {
        let page = c.get(&path);
        assert!(
            !page.body.contains(EDITOR) && !page.body.contains("editor's import script"),
            "{path} shows the editor's account"
        );
    }

    let token = c.session_csrf();
    let before = writes(&server);
    for (url, fields) in [
        (
            format!("/admin/users/{}/role", contributor.id),
            vec![("role", "admin"), ("csrf", token.as_str())],
        ),
        (
            format!("/admin/users/{}/role", admin.id),
            vec![("role", "contributor"), ("csrf", token.as_str())],
        ),
        (
            format!("/admin/users/{}/disable", admin.id),
            vec![("csrf", token.as_str())],
        ),
        (
            format!("/admin/users/{}/disable", editor.id),
            vec![("csrf", token.as_str())],
        ),
    ] {
        let answer = c.post(&url, &fields);
        assert_eq!(
            answer.status, 403,
            "POST {url} as a contributor: {}",
            answer.body
        );
    }
    assert_eq!(
        stored_user(&server, "carol@archive.example").role,
        "contributor"
    );
    assert_eq!(stored_user(&server, ADMIN).role, "admin");
    assert!(!stored_user(&server, ADMIN).disabled);
    assert!(!stored_user(&server, EDITOR).disabled);
    assert_eq!(
        writes(&server),
        before,
        "a refused request wrote to the store"
    );

    // Nobody logged in: the admin pages are closed too.
    let mut anonymous = Client::new(&server);
    for path in ["/admin/users", "/admin/audit", "/account"] {
        let page = anonymous.get(path);
        assert!(
            page.status == 303 || page.status == 401 || page.status == 403,
            "{path} anonymously: {}",
            page.status
        );
        assert!(!page.body.contains(ADMIN));
    }
}

// ---------------------------------------------------------------------------------------
// Script in a user's name or email
// ---------------------------------------------------------------------------------------

const PAYLOADS: [&str; 3] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
];

/// Fails if the page holds anything a payload could have made: a script with an inline
/// body, an event-handler attribute, a `javascript:` address, an `<img src=x>`.
fn assert_no_injection(html: &str, page: &str) {
    let doc = Html::parse_document(html);
    let all = Selector::parse("*").unwrap();
    for el in doc.select(&all) {
        let v = el.value();
        if v.name() == "script" && v.attr("type") == Some("application/ld+json") {
            // The record page's own JSON-LD: data, never run; a `<` in it could close it.
            let data: String = el.text().collect();
            assert!(!data.contains('<'), "{page}: a `<` in the JSON-LD: {data}");
            continue;
        }
        if v.name() == "script" {
            let body: String = el.text().collect();
            assert!(
                body.trim().is_empty() && v.attr("src").is_some(),
                "{page}: an inline script: {}",
                el.html()
            );
        }
        for (name, value) in v.attrs() {
            assert!(
                !name.to_ascii_lowercase().starts_with("on"),
                "{page}: an event handler attribute: {}",
                el.html()
            );
            let squashed: String = value
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .collect::<String>()
                .to_ascii_lowercase();
            assert!(
                !squashed.starts_with("javascript:"),
                "{page}: a javascript: address: {}",
                el.html()
            );
        }
        if v.name() == "img" {
            assert_ne!(v.attr("src"), Some("x"), "{page}: {}", el.html());
        }
    }
}

/// The page's text (what a reader sees), whitespace collapsed.
fn page_text(html: &str) -> String {
    let doc = Html::parse_document(html);
    let body = Selector::parse("body").unwrap();
    let text: String = doc
        .select(&body)
        .flat_map(|b| b.text())
        .collect::<Vec<_>>()
        .join(" ");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn script_in_a_name_or_an_email_is_shown_as_text_on_every_page_that_names_the_user() {
    let server = archive();
    let a = auth(&server);
    let mut accounts = Vec::new();
    for (i, payload) in PAYLOADS.iter().enumerate() {
        // An email with the payload where the simple email rule allows one (no spaces).
        // Where the payload has spaces (which no email may hold), its spaceless form:
        // `"><svg/onload=alert(1)>` is an element with an event handler all the same.
        let local = if payload.contains(' ') {
            "\"><svg/onload=alert(1)>".to_string()
        } else {
            payload.to_string()
        };
        let email = format!("{local}@xss{i}.example");
        let email = match a.add_user(
            &Actor::Cli,
            &email,
            Some(payload),
            Role::Contributor,
            PASSWORD,
        ) {
            Ok(user) => user.email,
            Err(dossier_auth::AuthError::BadEmail(_)) => {
                let plain = format!("user{i}@xss.example");
                a.add_user(
                    &Actor::Cli,
                    &plain,
                    Some(payload),
                    Role::Contributor,
                    PASSWORD,
                )
                .unwrap()
                .email
            }
            Err(e) => panic!("adding {email}: {e}"),
        };
        accounts.push((email, payload.to_string()));
    }
    // An attacker with no account types a payload as the email: the failed login is in the
    // audit log the admin reads.
    let mut stranger = Client::new(&server);
    let typed = "<script>alert(1)</script>\"><img src=x onerror=alert(1)>";
    assert_ne!(
        stranger
            .try_login(typed, "whatever-password-1", None)
            .status,
        303
    );

    // Each account logs in (its name is in the menu of every page) and opens its account.
    for (email, name) in &accounts {
        let mut c = Client::new(&server);
        c.login(email, PASSWORD);
        for path in ["/account", "/", "/documents/founding-act-1997"] {
            let page = c.get(path);
            assert_eq!(page.status, 200, "{path} as {email}");
            assert_no_injection(&page.body, &format!("{path} as {email}"));
            assert!(
                page_text(&page.body).contains(name.as_str()),
                "{path}: the name {name:?} is not shown as text"
            );
        }
        let account = c.get("/account");
        assert!(
            page_text(&account.body).contains(email.as_str()),
            "/account: the email {email:?} is not shown as text"
        );
    }

    let mut admin = Client::new(&server);
    admin.login(ADMIN, PASSWORD);
    let users = admin.get("/admin/users");
    assert_eq!(users.status, 200);
    assert_no_injection(&users.body, "/admin/users");
    let text = page_text(&users.body);
    for (email, name) in &accounts {
        assert!(
            text.contains(email.as_str()),
            "/admin/users: {email:?} not shown as text"
        );
        assert!(
            text.contains(name.as_str()),
            "/admin/users: {name:?} not shown as text"
        );
    }
    let log = admin.get("/admin/audit");
    assert_eq!(log.status, 200);
    assert_no_injection(&log.body, "/admin/audit");
    let text = page_text(&log.body);
    assert!(
        text.contains(typed),
        "/admin/audit: the typed email is not shown as text"
    );
    for (email, _) in &accounts {
        assert!(
            text.contains(email.as_str()),
            "/admin/audit: {email:?} not shown as text"
        );
    }
    // The JSON carries the strings as they are (JSON is not HTML), with its own type.
    let json = admin.get_json("/admin/audit");
    assert_eq!(json.status, 200);
    assert!(json
        .header("content-type")
        .unwrap_or_default()
        .starts_with("application/json"));
    let value: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert!(value.to_string().contains("onerror=alert(1)"));
}

// ---------------------------------------------------------------------------------------
// Disabled accounts and revoked tokens
// ---------------------------------------------------------------------------------------

#[test]
fn a_disabled_account_s_live_session_stops_at_the_next_request() {
    let server = archive();
    let mut c = Client::new(&server);
    c.login(EDITOR, PASSWORD);
    assert!(c.logged_in());
    let page = c.get("/");
    assert!(page_text(&page.body).contains("Eddie Editor"));

    // Disabled by an admin on the web.
    let editor = stored_user(&server, EDITOR);
    let mut admin = Client::new(&server);
    admin.login(ADMIN, PASSWORD);
    let token = admin.session_csrf();
    let answer = admin.post(
        &format!("/admin/users/{}/disable", editor.id),
        &[("csrf", &token)],
    );
    assert!(
        answer.status == 303 || answer.status == 200,
        "{}",
        answer.status
    );
    assert!(stored_user(&server, EDITOR).disabled);

    assert!(!c.logged_in(), "the disabled account's session still works");
    let page = c.get("/");
    assert!(
        !page_text(&page.body).contains("Eddie Editor"),
        "the menu still names the disabled account"
    );
    assert_ne!(c.try_login(EDITOR, PASSWORD, None).status, 303);

    // Disabled on the command line (the service the CLI calls), the same.
    let mut admin2 = Client::new(&server);
    let reviewer = "rita@archive.example";
    add_user(&server, reviewer, "Rita Reviewer", Role::Reviewer);
    admin2.login(reviewer, PASSWORD);
    assert!(admin2.logged_in());
    auth(&server)
        .set_disabled(&Actor::Cli, reviewer, true)
        .unwrap();
    assert!(!admin2.logged_in());
}

#[test]
fn a_revoked_token_is_refused_on_the_api() {
    let server = archive();
    let (ok, out, err) = dossier(
        &server,
        &["token", "create", "--user", EDITOR, "--scope", "write"],
        "",
    );
    assert!(ok, "dossier token create failed: {out}{err}");
    let secret = out
        .lines()
        .last()
        .expect("the token on the last line")
        .trim()
        .to_string();
    assert!(secret.len() >= 32, "the token: {secret:?}");
    let bearer = format!("Bearer {secret}");

    let mut c = Client::new(&server);
    let answer = c.get_with(
        "/api/v1/dossiers",
        &[("Authorization", &bearer), ("Accept", "application/json")],
    );
    assert_eq!(answer.status, 200, "a good token: {}", answer.body);
    let editor = stored_user(&server, EDITOR);
    let store = server.store.accounts().unwrap();
    let tokens = store.tokens(Some(editor.id)).unwrap();
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0].last_used.is_some(), "last use not recorded");
    assert_ne!(tokens[0].hash, secret, "the token is stored in the clear");

    auth(&server)
        .revoke_token(&Actor::Cli, tokens[0].id)
        .unwrap();
    let answer = c.get_with(
        "/api/v1/dossiers",
        &[("Authorization", &bearer), ("Accept", "application/json")],
    );
    assert_eq!(answer.status, 401, "a revoked token: {}", answer.body);
    assert!(
        answer.header("www-authenticate").is_some(),
        "401 says how to authenticate"
    );
    for bad in ["Bearer not-a-token", "Bearer ", "Basic YWRtaW46YWRtaW4="] {
        let answer = c.get_with(
            "/api/v1/dossiers",
            &[("Authorization", bad), ("Accept", "application/json")],
        );
        assert_eq!(answer.status, 401, "{bad:?}: {}", answer.body);
    }
    assert!(events(&server).iter().any(|e| e == "token-refused"));
    // The secret was shown once, on the command line: not in the store, the log or a page.
    let mut admin = Client::new(&server);
    admin.login(ADMIN, PASSWORD);
    for path in ["/admin/audit", "/admin/users"] {
        assert!(
            !admin.get(path).body.contains(&secret),
            "{path} shows the token"
        );
        assert!(
            !admin.get_json(path).body.contains(&secret),
            "{path} (JSON) shows the token"
        );
    }
    assert!(!format!("{:?}", audit(&server)).contains(&secret));
    let mut owner = Client::new(&server);
    owner.login(EDITOR, PASSWORD);
    assert!(
        !owner.get("/account").body.contains(&secret),
        "/account shows the token"
    );

    // A live token of an account that is then disabled stops too.
    let (_, live) = auth(&server)
        .create_token(&Actor::Cli, EDITOR, dossier_auth::Scope::Read, "reader")
        .unwrap();
    let live = format!("Bearer {live}");
    let answer = c.get_with("/api/v1/dossiers", &[("Authorization", &live)]);
    assert_eq!(answer.status, 200);
    auth(&server)
        .set_disabled(&Actor::Cli, EDITOR, true)
        .unwrap();
    let answer = c.get_with("/api/v1/dossiers", &[("Authorization", &live)]);
    assert_eq!(answer.status, 401, "a disabled account's token");
}

// ---------------------------------------------------------------------------------------
// The cookie and the headers
// ---------------------------------------------------------------------------------------

#[test]
fn the_session_cookie_is_httponly_samesite_lax_and_path_root() {
    let server = archive();
    let mut c = Client::new(&server);
    let page = c.get("/login");
    let login = page.set_cookie("dossier_login").expect("the login cookie");
    assert!(attr(&login, "HttpOnly").is_some(), "{login}");
    assert!(attr(&login, "Domain").is_none(), "{login}");

    let answer = c.login(EDITOR, PASSWORD);
    let line = answer
        .set_cookie("dossier_session")
        .expect("the session cookie");
    assert!(attr(&line, "HttpOnly").is_some(), "{line}");
    assert!(
        attr(&line, "SameSite").is_some_and(|v| v.eq_ignore_ascii_case("lax")),
        "{line}"
    );
    assert_eq!(attr(&line, "Path"), Some("/"), "{line}");
    assert!(attr(&line, "Domain").is_none(), "{line}");
    // Plain http: `Secure` would make the browser drop it.
    assert!(attr(&line, "Secure").is_none(), "{line}");
    assert!(answer.set_cookie("__Host-dossier_session").is_none());
}

#[test]
fn on_an_https_site_the_session_cookie_is_secure_and_host_only() {
    let site = "https://archive.example.org";
    let server = TestServer::with_app(
        |store| {
            let archive = dossier_ingest::builtin::archive().unwrap();
            store.write(&archive).unwrap();
        },
        move |state| {
            state.with_site(dossier_publish::site::Site::new(&format!("{site}/")).unwrap())
        },
    );
    add_user(&server, EDITOR, "Eddie Editor", Role::Editor);
    let mut c = Client::new(&server);
    c.origin = site.to_string();
    let answer = c.login(EDITOR, PASSWORD);
    let line = answer
        .set_cookie("__Host-dossier_session")
        .unwrap_or_else(|| panic!("no __Host- session cookie: {:?}", answer.set_cookies()));
    assert!(attr(&line, "Secure").is_some(), "{line}");
    assert!(attr(&line, "HttpOnly").is_some(), "{line}");
    assert!(
        attr(&line, "SameSite").is_some_and(|v| v.eq_ignore_ascii_case("lax")),
        "{line}"
    );
    assert_eq!(attr(&line, "Path"), Some("/"), "{line}");
    assert!(attr(&line, "Domain").is_none(), "{line}");
    assert!(answer.set_cookie("dossier_session").is_none());
    assert!(c.logged_in());
    // The same session under the plain name is not read: a cookie without the `__Host-`
    // prefix may have been set by a sibling host (cookie tossing).
    let (_, value) = c.session().unwrap();
    let tossed = format!("dossier_session={value}");
    let mut sibling = Client::new(&server);
    let answer = sibling.get_with("/account", &[("Cookie", &tossed), ("Accept", "text/html")]);
    assert_ne!(
        answer.status, 200,
        "the unprefixed cookie opens the account on https"
    );
    // Every cookie the site sets over https is Secure.
    let mut fresh = Client::new(&server);
    for line in fresh.get("/login").set_cookies() {
        assert!(attr(&line, "Secure").is_some(), "{line}");
    }
}

fn assert_security_headers(a: &Answer, what: &str) {
    let csp = a
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(
        csp.contains("script-src 'self'") || csp.contains("default-src 'none'"),
        "{what}: {csp}"
    );
    assert_eq!(
        a.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    let referrer = a
        .header("referrer-policy")
        .unwrap_or_else(|| panic!("{what}: no Referrer-Policy"));
    assert!(
        [
            "no-referrer",
            "same-origin",
            "strict-origin",
            "strict-origin-when-cross-origin"
        ]
        .contains(&referrer),
        "{what}: Referrer-Policy {referrer}"
    );
}

#[test]
fn every_kind_of_answer_carries_the_security_headers() {
    let server = archive();
    let mut c = Client::new(&server);
    for (path, html) in [
        ("/", true),
        ("/documents/founding-act-1997", true),
        ("/no/such/page", true),
        ("/login", true),
        ("/search?q=founding", true),
        ("/api/v1/dossiers", false),
        ("/api/v1/no-such-thing", false),
        ("/static/style.css", false),
    ] {
        let a = if html {
            c.get(path)
        } else {
            c.get_with(path, &[("Accept", "application/json")])
        };
        assert_security_headers(&a, path);
        if html
            && a.header("content-type")
                .unwrap_or_default()
                .starts_with("text/html")
        {
            assert_no_injection(&a.body, path);
        }
    }
    assert_eq!(c.get("/no/such/page").status, 404);
    assert!(c
        .get("/login")
        .header("cache-control")
        .is_some_and(|v| v.contains("no-store")));

    // Logged in: the same headers, answers kept from shared caches, and the editor's menu
    // never served to someone else from the server's response cache.
    c.login(EDITOR, PASSWORD);
    for path in ["/", "/account", "/documents/founding-act-1997"] {
        let a = c.get(path);
        assert_eq!(a.status, 200, "{path}");
        assert_security_headers(&a, path);
        assert_no_injection(&a.body, path);
        let cc = a.header("cache-control").unwrap_or_default();
        assert!(
            cc.contains("private") || cc.contains("no-store"),
            "{path} logged in: Cache-Control {cc:?}"
        );
        assert!(
            page_text(&a.body).contains("Eddie Editor"),
            "{path}: no menu"
        );
        let anonymous = Client::new(&server).get(path);
        assert!(
            !page_text(&anonymous.body).contains("Eddie Editor"),
            "{path}: the editor's page was served to an anonymous reader"
        );
    }
    let mut admin = Client::new(&server);
    admin.login(ADMIN, PASSWORD);
    for path in ["/admin/users", "/admin/audit", "/admin/roles"] {
        let a = admin.get(path);
        assert_eq!(a.status, 200, "{path}");
        assert_security_headers(&a, path);
        assert_no_injection(&a.body, path);
        assert!(
            a.header("cache-control")
                .is_some_and(|v| v.contains("no-store")),
            "{path}"
        );
    }
    let a = admin.get_json("/admin/audit");
    assert_security_headers(&a, "/admin/audit (JSON)");
}

// ---------------------------------------------------------------------------------------
// Hostile forms and cookies
// ---------------------------------------------------------------------------------------

#[test]
fn hostile_forms_and_cookies_get_a_clear_refusal_never_a_server_error() {
    let server = archive();
    let mut c = Client::new(&server);
    let token = c.get("/login").csrf().unwrap();
    let huge = "a".repeat(200 * 1024);
    let long = "b".repeat(10_000);
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "a 10,000-character email",
            vec![("email", &long), ("password", PASSWORD), ("csrf", &token)],
        ),
        (
            "a 10,000-character password",
            vec![("email", EDITOR), ("password", &long), ("csrf", &token)],
        ),
        (
            "a 10,000-character csrf",
            vec![("email", EDITOR), ("password", PASSWORD), ("csrf", &long)],
        ),
    ];
    for (what, fields) in cases {
        let answer = c.post("/login", &fields);
        assert!(
            (400..500).contains(&answer.status) || answer.status == 200,
            "{what}: {} {}",
            answer.status,
            &answer.body[..answer.body.len().min(300)]
        );
        assert!(c.session().is_none(), "{what}: logged in");
    }
    // A body larger than any form: refused (413), or the connection closed before the
    // server read it all, which the client may see first.
    let body = common::accounts::form(&[("email", EDITOR), ("password", &huge), ("csrf", &token)]);
    let origin = server.base.clone();
    let cookie = c.cookie_header();
    let headers = [
        ("Origin", origin.as_str()),
        ("Cookie", cookie.as_str()),
        ("Sec-Fetch-Site", "same-origin"),
    ];
    match c.try_send(
        "POST",
        "/login",
        &headers,
        Some(("application/x-www-form-urlencoded", body)),
    ) {
        Ok(answer) => assert_eq!(answer.status, 413, "a huge form: {}", answer.body),
        Err(e) => assert!(matches!(e, ureq::Error::Io(_)), "a huge form: {e}"),
    }
    assert!(c.session().is_none());
    // Not a form at all.
    let answer = c.send(
        "POST",
        "/login",
        &[("Origin", &origin), ("Cookie", &cookie)],
        Some((
            "application/json",
            format!(r#"{{"email":"{EDITOR}","password":"{PASSWORD}","csrf":"{token}"}}"#),
        )),
    );
    assert!(
        (400..500).contains(&answer.status),
        "JSON login: {}",
        answer.status
    );
    assert!(c.session().is_none());

    // A session cookie that is junk, huge or repeated is an anonymous visit.
    for cookie in [
        "dossier_session=".to_string(),
        format!("dossier_session={long}"),
        "dossier_session=%00%ff; dossier_session=..%2f".to_string(),
        "dossier_session=\"quoted\"".to_string(),
    ] {
        let answer = Client::new(&server).get_with("/", &[("Cookie", &cookie)]);
        assert_eq!(answer.status, 200, "{cookie:.40}");
        assert!(!answer.body.contains("Log out"), "{cookie:.40}");
    }
    assert_eq!(stored_user(&server, EDITOR).last_login, None);
}
