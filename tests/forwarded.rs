//! The client's address behind nginx: `X-Forwarded-For` read only from a trusted proxy
//! (`dossier serve --trusted-proxy`), for login limits and the audit log. Without it, one
//! guesser behind nginx would hold back every reader's logins (all share nginx's address).

mod common;

use common::accounts::{audit, Client};
use common::TestServer;

/// A failed login from `client` as nginx would pass it on (`X-Forwarded-For`, with what
/// the client itself sent to the left); returns the status.
fn failed_login(c: &mut Client, email: &str, forwarded: &str) -> u16 {
    let page = c.get("/login");
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.csrf().expect("the login form has a csrf field");
    let fields = [
        ("email", email),
        ("password", "not-the-password-at-all"),
        ("csrf", csrf.as_str()),
    ];
    c.post_with("/login", &fields, &[("X-Forwarded-For", forwarded)])
        .status
}

/// The addresses of the audit log's failed logins, oldest first.
fn failed_login_addresses(server: &TestServer) -> Vec<String> {
    let mut entries = audit(server);
    entries.reverse();
    entries
        .into_iter()
        .filter(|e| e.event == "login-failed")
        .map(|e| e.address.unwrap_or_default())
        .collect()
}

#[test]
fn behind_a_trusted_proxy_each_client_has_its_own_limit() {
    let server = TestServer::with_app(
        |_| {},
        |state| state.with_trusted_proxies(vec!["127.0.0.1".parse().unwrap()]),
    );
    let mut c = Client::new(&server);
    // One guesser, trying another email each time, until its address is held back. What
    // it writes into the header itself (the left entry) is not believed.
    let mut held_back = false;
    for i in 0..20 {
        let status = failed_login(
            &mut c,
            &format!("guess{i}@example.org"),
            "10.0.0.1, 203.0.113.5",
        );
        if status == 429 {
            held_back = true;
            break;
        }
        assert_eq!(status, 401);
    }
    assert!(held_back, "the guesser's address was never held back");
    // Another reader behind the same nginx is not.
    let mut d = Client::new(&server);
    assert_eq!(
        failed_login(&mut d, "reader@example.org", "198.51.100.7"),
        401
    );
    let addresses = failed_login_addresses(&server);
    assert!(!addresses.is_empty());
    let (last, guesses) = addresses.split_last().unwrap();
    assert!(guesses.iter().all(|a| a == "203.0.113.5"), "{addresses:?}");
    assert_eq!(last, "198.51.100.7");
}

#[test]
fn the_header_is_ignored_unless_the_proxy_is_trusted() {
    // Trusting another address (not the test client's 127.0.0.1), and trusting none.
    let other = TestServer::with_app(
        |_| {},
        |state| state.with_trusted_proxies(vec!["192.0.2.1".parse().unwrap()]),
    );
    let none = TestServer::with_app(|_| {}, |state| state);
    for server in [&other, &none] {
        let mut c = Client::new(server);
        for forged in [
            "203.0.113.5",
            "<script>alert(1)</script>",
            "unknown, 127.0.0.2",
        ] {
            assert_eq!(failed_login(&mut c, "someone@example.org", forged), 401);
        }
        let addresses = failed_login_addresses(server);
        assert_eq!(addresses.len(), 3, "{addresses:?}");
        assert!(addresses.iter().all(|a| a == "127.0.0.1"), "{addresses:?}");
    }
}
