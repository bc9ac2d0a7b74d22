//! Editors' accounts over real HTTP on a real store (issue 23): the login and logout
//! round trip and its cookies, the editor's menu on the site's pages, the CSRF checks on
//! login and on the admin's forms, the admin pages and their JSON, and bearer tokens on
//! the API. The attack suite (`accounts_attacks.rs`) tries the variants of each attack;
//! here is the interface the next issues build on, working end to end.

mod common;

use common::accounts::{add_user, audit, auth, stored_user, Answer, Client, PASSWORD};
use common::TestServer;
use dossier_auth::{Actor, Role, Scope};
use dossier_store::accounts::NewAudit;
use dossier_store::Store;
use scraper::{Html, Selector};

/// A form's fields, or a request's headers.
type Fields<'a> = Vec<(&'a str, &'a str)>;

const ADMIN: &str = "admin@archive.example";
const EDITOR: &str = "editor@archive.example";

fn archive() -> TestServer {
    let server = TestServer::builtin();
    add_user(&server, ADMIN, "Ada Admin", Role::Admin);
    add_user(&server, EDITOR, "Eddie Editor", Role::Editor);
    server
}

/// The elements of a page that `selector` picks, as text.
fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel)
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Whether a page shows the editor's menu (and so speaks for a logged-in person).
fn has_menu(html: &str) -> bool {
    !texts(html, "nav.editor").is_empty()
}

/// Whether a page has the anonymous "Editors: log in" link.
fn has_login_link(html: &str) -> bool {
    texts(html, r#"footer a[href="/login"]"#) == ["Editors: log in"]
}

fn assert_no_store(a: &Answer, what: &str) {
    let cc = a.header("cache-control").unwrap_or_default();
    assert!(cc.contains("no-store"), "{what}: Cache-Control is {cc:?}");
}

#[test]
fn logging_in_sets_a_session_cookie_and_the_pages_show_the_editor_s_menu() {
    let server = archive();
    let mut anonymous = Client::new(&server);
    let home = anonymous.get("/");
    assert_eq!(home.status, 200);
    assert!(has_login_link(&home.body) && !has_menu(&home.body));

    let mut c = Client::new(&server);
    let page = c.get("/login");
    assert_eq!(page.status, 200);
    assert_no_store(&page, "GET /login");
    let login_cookie = page.set_cookie("dossier_login").expect("a login cookie");
    assert!(login_cookie.contains("HttpOnly") && login_cookie.contains("SameSite=Strict"));
    assert_eq!(
        page.csrf().as_deref(),
        c.cookie("dossier_login"),
        "the form's token is the login cookie's"
    );

    let answer = c.login(ADMIN, PASSWORD);
    assert_eq!(answer.header("location"), Some("/"));
    assert_no_store(&answer, "POST /login");
    let line = answer.set_cookie("dossier_session").unwrap();
    let attrs: Vec<&str> = line.split(';').map(str::trim).skip(1).collect();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(attrs.contains(&flag), "{flag} missing: {line}");
    }
    // Plain http: no Secure (the browser would drop it), and a session cookie.
    assert!(
        !line.contains("Secure") && !line.contains("Max-Age"),
        "{line}"
    );
    assert!(
        c.cookie("dossier_login").is_none(),
        "the login cookie is removed"
    );

    for path in ["/", "/documents/founding-act-1997", "/search?q=PJC"] {
        let page = c.get(path);
        assert_eq!(page.status, 200, "{path}");
        let menu = texts(&page.body, "nav.editor").join(" ");
        assert!(
            menu.contains("Ada Admin") && menu.contains("admin"),
            "{path}: {menu}"
        );
        for link in ["Your account", "Accounts", "Roles", "Audit log", "Log out"] {
            assert!(menu.contains(link), "{path}: no {link:?} in {menu}");
        }
        assert!(!has_login_link(&page.body), "{path}");
        let cc = page.header("cache-control").unwrap_or_default();
        assert_eq!(cc, "private, no-store", "{path}");
        // The logout form carries the session's token.
        let (_, cookie) = c.session().unwrap();
        let viewer = auth(&server).viewer(&cookie).unwrap().unwrap();
        assert_eq!(page.csrf().as_deref(), Some(viewer.csrf.as_str()), "{path}");
    }
    // An editor's menu has no admin links.
    let mut editor = Client::new(&server);
    editor.login(EDITOR, PASSWORD);
    let menu = texts(&editor.get("/").body, "nav.editor").join(" ");
    assert!(
        menu.contains("Eddie Editor") && menu.contains("editor"),
        "{menu}"
    );
    assert!(
        !menu.contains("Accounts") && !menu.contains("Audit log"),
        "{menu}"
    );

    // The anonymous page is unchanged by the logins (the cache kept no viewer's page).
    let again = anonymous.get("/");
    assert!(has_login_link(&again.body) && !has_menu(&again.body));
    // The login is in the audit log, with the TCP peer's address.
    let login = audit(&server)
        .into_iter()
        .find(|e| e.event == "login" && e.email.as_deref() == Some(ADMIN))
        .expect("the login is audited");
    assert_eq!(login.address.as_deref(), Some("127.0.0.1"));
}

#[test]
fn a_failed_login_shows_the_form_again_with_the_email_and_without_the_password() {
    let server = archive();
    let mut c = Client::new(&server);
    for email in [EDITOR, "nobody@archive.example"] {
        let answer = c.try_login(email, "not-the-password-at-all", Some("/admin/users"));
        assert_eq!(answer.status, 401, "{email}");
        assert_no_store(&answer, "a failed login");
        assert_eq!(
            texts(&answer.body, "p.error"),
            ["The email or the password is not right."]
        );
        let doc = Html::parse_document(&answer.body);
        let value = |sel: &str| {
            doc.select(&Selector::parse(sel).unwrap())
                .next()
                .and_then(|e| e.value().attr("value").map(str::to_string))
        };
        assert_eq!(value("input[name=email]").as_deref(), Some(email));
        assert_eq!(value("input[name=password]"), None);
        assert_eq!(value("input[name=next]").as_deref(), Some("/admin/users"));
        assert!(!answer.body.contains("not-the-password-at-all"));
        assert!(c.session().is_none());
    }
}

#[test]
fn after_login_next_is_followed_only_to_a_path_on_this_site() {
    let server = archive();
    let mut c = Client::new(&server);
    let answer = c.try_login(ADMIN, PASSWORD, Some("/admin/audit?before=5"));
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location"), Some("/admin/audit?before=5"));
    // A page that needs a login sends the reader there with `next`, and back after.
    let mut c = Client::new(&server);
    let answer = c.get("/admin/users");
    assert_eq!(answer.status, 303);
    assert_eq!(
        answer.header("location"),
        Some("/login?next=%2Fadmin%2Fusers")
    );
    let page = c.get("/login?next=%2Fadmin%2Fusers");
    let doc = Html::parse_document(&page.body);
    let next = doc
        .select(&Selector::parse("input[name=next]").unwrap())
        .next()
        .and_then(|e| e.value().attr("value"));
    assert_eq!(next, Some("/admin/users"));
    for evil in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let mut c = Client::new(&server);
        let answer = c.try_login(ADMIN, PASSWORD, Some(evil));
        assert_eq!(answer.status, 303, "{evil}");
        assert_eq!(answer.header("location"), Some("/"), "{evil}");
    }
}

#[test]
fn logout_ends_the_session_and_its_cookie_then_gets_the_anonymous_page() {
    let server = archive();
    let editor = stored_user(&server, EDITOR);
    let mut c = Client::new(&server);
    c.login(ADMIN, PASSWORD);
    let (name, cookie) = c.session().unwrap();
    let csrf = c.session_csrf();

    let answer = c.post("/logout", &[("csrf", &csrf)]);
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location"), Some("/"));
    let cleared = answer.set_cookie(&name).unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert!(c.session().is_none());
    assert!(
        auth(&server).viewer(&cookie).unwrap().is_none(),
        "the session is gone"
    );
    assert!(audit(&server).iter().any(|e| e.event == "logout"));

    // The old cookie, replayed, is anonymous: the anonymous page, and the cookie removed.
    let mut replay = Client::new(&server);
    let old = format!("{name}={cookie}");
    let page = replay.get_with("/", &[("Cookie", &old), ("Accept", "text/html")]);
    assert_eq!(page.status, 200);
    assert!(!has_menu(&page.body) && has_login_link(&page.body));
    assert!(page
        .set_cookie(&name)
        .is_some_and(|l| l.contains("Max-Age=0")));
    // A POST with it and its old token fails and changes nothing.
    let answer = replay.post_with(
        &format!("/admin/users/{}/disable", editor.id),
        &[("csrf", &csrf)],
        &[("Cookie", &old)],
    );
    assert_eq!(answer.status, 403);
    assert!(!stored_user(&server, EDITOR).disabled);
}

#[test]
fn a_login_without_the_login_token_is_refused_and_makes_no_session() {
    let server = archive();
    let audit_before = audit(&server).len();
    // No token, a wrong one, and a right-looking one without the cookie it must equal.
    let mut c = Client::new(&server);
    let page = c.get("/login");
    let token = page.csrf().unwrap();
    let cases: Vec<(Fields, Option<&str>)> = vec![
        (vec![("email", ADMIN), ("password", PASSWORD)], None),
        (
            vec![("email", ADMIN), ("password", PASSWORD), ("csrf", "forged")],
            None,
        ),
        (
            vec![("email", ADMIN), ("password", PASSWORD), ("csrf", &token)],
            Some("theme=dark"),
        ),
    ];
    for (fields, cookie) in cases {
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("Cookie", c)).into_iter().collect();
        let answer = c.post_with("/login", &fields, &headers);
        assert_eq!(answer.status, 403, "{fields:?}");
        assert!(answer.set_cookie("dossier_session").is_none(), "{fields:?}");
        assert!(c.session().is_none());
    }
    let log = audit(&server);
    assert!(!log.iter().any(|e| e.event == "login"), "no login happened");
    assert_eq!(
        log.iter().filter(|e| e.event == "csrf-refused").count(),
        3,
        "each refusal is audited"
    );
    assert_eq!(log.len(), audit_before + 3);
}

#[test]
fn an_admin_form_posted_without_its_token_or_from_another_site_changes_nothing() {
    let server = archive();
    let editor = stored_user(&server, EDITOR);
    let mut admin = Client::new(&server);
    admin.login(ADMIN, PASSWORD);
    let page = admin.get("/admin/users");
    let csrf = page.csrf().unwrap();
    let role = format!("/admin/users/{}/role", editor.id);
    let disable = format!("/admin/users/{}/disable", editor.id);
    let refused: Vec<(&str, Fields, Fields)> = vec![
        (&role, vec![("role", "admin")], vec![]),
        (&role, vec![("role", "admin"), ("csrf", "nope")], vec![]),
        (
            &role,
            vec![("role", "admin"), ("csrf", &csrf)],
            vec![("Sec-Fetch-Site", "cross-site")],
        ),
        (
            &disable,
            vec![("csrf", &csrf)],
            vec![("Origin", "https://evil.example")],
        ),
        (&disable, vec![("csrf", &csrf)], vec![("Origin", "null")]),
    ];
    for (path, fields, headers) in refused {
        let answer = admin.post_with(path, &fields, &headers);
        assert_eq!(answer.status, 403, "{path} {fields:?} {headers:?}");
        assert_no_store(&answer, "a refusal");
        let now = stored_user(&server, EDITOR);
        assert_eq!((now.role.as_str(), now.disabled), ("editor", false));
    }
    // The same forms with the token, from this site: done, and back to the list.
    let mut eddie = Client::new(&server);
    eddie.login(EDITOR, PASSWORD);
    let answer = admin.post(&role, &[("role", "reviewer"), ("csrf", &csrf)]);
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert!(answer
        .header("location")
        .is_some_and(|l| l.starts_with("/admin/users")));
    assert_eq!(stored_user(&server, EDITOR).role, "reviewer");
    assert!(
        !eddie.logged_in(),
        "a change of role ends the account's sessions"
    );
    // The X-CSRF-Token header does as well as the field.
    let answer = admin.post_with(&disable, &[], &[("X-CSRF-Token", &csrf)]);
    assert_eq!(answer.status, 303);
    assert!(stored_user(&server, EDITOR).disabled);
    let answer = admin.post(
        &format!("/admin/users/{}/enable", editor.id),
        &[("csrf", &csrf)],
    );
    assert_eq!(answer.status, 303);
    assert!(!stored_user(&server, EDITOR).disabled);
    // No role an account cannot have, and not one's own account.
    let answer = admin.post(&role, &[("role", "reader"), ("csrf", &csrf)]);
    assert_eq!(answer.status, 400);
    let me = stored_user(&server, ADMIN);
    let answer = admin.post(
        &format!("/admin/users/{}/role", me.id),
        &[("role", "editor"), ("csrf", &csrf)],
    );
    assert_eq!(answer.status, 403);
    assert_eq!(stored_user(&server, ADMIN).role, "admin");
}

#[test]
fn the_admin_pages_are_for_admins_and_escape_what_users_typed() {
    let server = archive();
    let hostile = [
        ("<script>alert(1)</script>", "script@archive.example"),
        (
            "\"><img src=x onerror=alert(1)>",
            "img\"><svg@archive.example",
        ),
        ("javascript:alert(1)", "js@archive.example"),
    ];
    for (name, email) in hostile {
        add_user(&server, email, name, Role::Contributor);
    }
    let mut editor = Client::new(&server);
    editor.login(EDITOR, PASSWORD);
    for path in ["/admin/users", "/admin/audit", "/admin/roles"] {
        let answer = editor.get(path);
        assert_eq!(answer.status, 403, "{path} as an editor");
        assert_no_store(&answer, path);
        assert!(has_menu(&answer.body), "the refusal still shows the menu");
    }

    let mut admin = Client::new(&server);
    admin.login(ADMIN, PASSWORD);
    let page = admin.get("/admin/users");
    assert_eq!(page.status, 200);
    assert_no_store(&page, "/admin/users");
    let cells = texts(&page.body, "table.users td").join("\n");
    for (name, email) in hostile {
        assert!(cells.contains(name), "{name:?} is not shown as text");
        assert!(cells.contains(email), "{email:?} is not shown as text");
    }
    assert!(cells.contains("Eddie Editor") && cells.contains(EDITOR));
    let doc = Html::parse_document(&page.body);
    for bad in [
        "script:not([src])",
        "img",
        "svg",
        "[onerror]",
        r#"a[href^="javascript"]"#,
    ] {
        let sel = Selector::parse(bad).unwrap();
        assert_eq!(doc.select(&sel).count(), 0, "{bad} in /admin/users");
    }
    // Each other account has its forms; one's own has none.
    let forms = Selector::parse("form[method=post]").unwrap();
    let actions: Vec<&str> = doc
        .select(&forms)
        .filter_map(|f| f.value().attr("action"))
        .collect();
    let editor_id = stored_user(&server, EDITOR).id;
    let admin_id = stored_user(&server, ADMIN).id;
    for action in ["role", "disable"] {
        assert!(actions.contains(&format!("/admin/users/{editor_id}/{action}").as_str()));
        assert!(!actions.contains(&format!("/admin/users/{admin_id}/{action}").as_str()));
    }

    let roles = admin.get("/admin/roles");
    assert_eq!(roles.status, 200);
    let heads = texts(&roles.body, "table.rights thead th");
    assert_eq!(
        heads,
        [
            "Right",
            "reader",
            "contributor",
            "editor",
            "reviewer",
            "admin"
        ]
    );
    assert_eq!(
        texts(&roles.body, "table.rights tbody tr").len(),
        dossier_auth::RIGHTS.len()
    );
}

#[test]
fn the_audit_log_as_json_lists_the_logins_and_pages_back() {
    let server = archive();
    let mut admin = Client::new(&server);
    admin.login(ADMIN, PASSWORD);
    let answer = admin.get_json("/admin/audit");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_no_store(&answer, "/admin/audit as JSON");
    let value: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    let entries = value["entries"].as_array().unwrap();
    let login = entries
        .iter()
        .find(|e| e["event"] == "login")
        .unwrap_or_else(|| panic!("no login in {value}"));
    assert_eq!(login["email"], ADMIN);
    assert_eq!(login["address"], "127.0.0.1");
    assert!(login["time"].as_str().unwrap().ends_with('Z'));
    assert!(value["next"].is_null(), "one page: {value}");

    // Past a page, `next` names the older entries, and they follow on.
    let accounts = server.store.accounts().unwrap();
    for i in 0..60 {
        accounts
            .audit(&NewAudit {
                at: 1_700_000_000 + i,
                event: "login-failed",
                email: Some(EDITOR),
                address: Some("192.0.2.1"),
                ..NewAudit::default()
            })
            .unwrap();
    }
    let first: serde_json::Value =
        serde_json::from_str(&admin.get_json("/admin/audit").body).unwrap();
    let ids = |v: &serde_json::Value| -> Vec<i64> {
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect()
    };
    let page1 = ids(&first);
    assert_eq!(page1.len(), 50);
    let next = first["next"].as_str().unwrap().to_string();
    assert_eq!(next, format!("/admin/audit?before={}", page1[49]));
    let second: serde_json::Value = serde_json::from_str(&admin.get_json(&next).body).unwrap();
    let page2 = ids(&second);
    assert!(!page2.is_empty() && page2[0] < page1[49]);
    assert!(page1.windows(2).all(|w| w[0] > w[1]), "newest first");
    // The HTML page shows the same entries, and a bad `before` is a 400.
    let html = admin.get("/admin/audit");
    assert_eq!(texts(&html.body, "table.audit tbody tr").len(), 50);
    assert_eq!(admin.get("/admin/audit?before=x").status, 400);
}

#[test]
fn bearer_tokens_on_the_api_are_checked_never_ignored() {
    let server = archive();
    let service = auth(&server);
    let (_, secret) = service
        .create_token(&Actor::Cli, EDITOR, Scope::Read, "script")
        .unwrap();
    let mut c = Client::new(&server);
    let ok = c.get_with(
        "/api/v1/documents",
        &[("Authorization", &format!("Bearer {secret}"))],
    );
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("cache-control"), Some("private, no-store"));
    for bad in ["Bearer not-a-token", "Bearer ", "Basic YTpi", "bearer x y"] {
        let answer = c.get_with("/api/v1/documents", &[("Authorization", bad)]);
        assert_eq!(answer.status, 401, "{bad}");
        let challenge = answer.header("www-authenticate").unwrap_or_default();
        assert!(challenge.starts_with("Bearer "), "{bad}: {challenge}");
        assert!(
            answer
                .header("content-type")
                .is_some_and(|t| t == "application/problem+json"),
            "{bad}"
        );
    }
    let answer = c.get_with(
        "/api/v1/documents",
        &[("Authorization", "Bearer not-a-token")],
    );
    assert!(answer
        .header("www-authenticate")
        .unwrap()
        .contains("error=\"invalid_token\""));
    // The API reads no session cookie, and takes no CSRF token: a cookie there is nothing.
    c.login(ADMIN, PASSWORD);
    let api = c.get_json("/api/v1/documents");
    assert_eq!(api.status, 200);
}
