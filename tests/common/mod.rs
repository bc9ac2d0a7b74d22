//! A real server on a real port over a real SQLite file, for integration tests.

#![allow(dead_code)]

pub mod accounts;
pub mod browser;
pub mod forms;
pub mod xml;

use dossier_store::{SqliteStore, Store};
use std::sync::Arc;

pub struct TestServer {
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub store: Arc<SqliteStore>,
    pub search: Arc<dossier_search::SearchIndex>,
    _dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestServer {
    /// A server over a fresh data directory holding the built-in dossier.
    pub fn builtin() -> Self {
        Self::with(|store| {
            let archive = dossier_ingest::builtin::archive().expect("built-in dossier loads");
            store.write(&archive).expect("built-in dossier stores");
        })
    }

    /// A server over a fresh data directory that `fill` writes into first.
    pub fn with(fill: impl FnOnce(&SqliteStore)) -> Self {
        Self::with_app(fill, |state| state)
    }

    /// Like [`TestServer::with`], with the app state shaped by `configure` (a site
    /// address, an OAI-PMH key…).
    pub fn with_app(
        fill: impl FnOnce(&SqliteStore),
        configure: impl FnOnce(dossier_server::AppState) -> dossier_server::AppState + Send + 'static,
    ) -> Self {
        Self::with_limits(fill, configure, dossier_server::Limits::default())
    }

    /// Like [`TestServer::with_app`], serving within the given connection limits.
    pub fn with_limits(
        fill: impl FnOnce(&SqliteStore),
        configure: impl FnOnce(dossier_server::AppState) -> dossier_server::AppState + Send + 'static,
        limits: dossier_server::Limits,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("dossier.db")).unwrap());
        fill(&store);
        let (index, _) =
            dossier_search::SearchIndex::open(&dir.path().join("index"), store.as_ref()).unwrap();
        let search = Arc::new(index);
        let served = search.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let shared: Arc<dyn Store> = store.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let state = configure(dossier_server::AppState::new(shared, served));
                dossier_server::serve_with_limits(listener, state, limits, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            });
        });
        let addr = addr_rx.recv().unwrap();
        TestServer {
            base: format!("http://{addr}"),
            addr,
            store,
            search,
            _dir: dir,
            _shutdown: tx,
        }
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into()
    }

    /// A request with the given method and headers; returns status, headers and body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, &str)>,
    ) -> (u16, ureq::http::HeaderMap, String) {
        let url = format!("{}{path}", self.base);
        let mut r = match (method, body) {
            ("POST", Some((ct, b))) => {
                let mut req = Self::agent().post(&url).header("Content-Type", ct);
                for (k, v) in headers {
                    req = req.header(*k, *v);
                }
                req.send(b.to_string()).unwrap()
            }
            ("OPTIONS", _) => {
                let mut req = Self::agent().options(&url);
                for (k, v) in headers {
                    req = req.header(*k, *v);
                }
                req.call().unwrap()
            }
            _ => {
                let mut req = Self::agent().get(&url);
                for (k, v) in headers {
                    req = req.header(*k, *v);
                }
                req.call().unwrap()
            }
        };
        let status = r.status().as_u16();
        let h = r.headers().clone();
        let body = r.body_mut().read_to_string().unwrap_or_default();
        (status, h, body)
    }

    /// GETs `path`; returns status, content type and body.
    pub fn get(&self, path: &str) -> (u16, String, String) {
        let (status, h, body) = self.request("GET", path, &[], None);
        let ct = h
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (status, ct, body)
    }

    /// GETs `path` as a browser would; returns the status and the body.
    pub fn html(&self, path: &str) -> (u16, String) {
        let mut r = Self::agent()
            .get(&format!("{}{path}", self.base))
            .header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .call()
            .unwrap();
        let status = r.status().as_u16();
        (status, r.body_mut().read_to_string().unwrap())
    }

    /// GETs `path` with `Accept: application/json`; returns status, content type and JSON.
    pub fn json(&self, path: &str) -> (u16, String, serde_json::Value) {
        let mut r = Self::agent()
            .get(&format!("{}{path}", self.base))
            .header("Accept", "application/json")
            .call()
            .unwrap();
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = r.body_mut().read_to_string().unwrap();
        let json = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body}"));
        (status, ct, json)
    }
}

/// The text a reader sees: tags removed, entities decoded, whitespace collapsed.
pub fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = decode_entities(&out);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&amp;", "&")
}

/// Collapses whitespace, so facts can be compared with page text.
pub fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
