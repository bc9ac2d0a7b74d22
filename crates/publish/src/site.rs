//! Where the archive is published: the absolute addresses that citations, OAI-PMH, feeds
//! and the sitemap must carry (a reference manager or a harvester cannot resolve a
//! relative link), and the names a harvester shows.

use crate::PublishError;

/// The archive as the outside world addresses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// Absolute `http(s)` address of the site's root, ending in `/`, e.g.
    /// `https://archive.example.org/` or `https://example.org/dossier/`.
    base_url: String,
    /// The archive's name, as OAI-PMH `repositoryName`, the feeds' author and the
    /// citations' archive.
    pub name: String,
    /// Who answers for the archive (OAI-PMH `adminEmail`).
    pub admin_email: String,
    /// Pages are static files (`documents/x.html`), as in the static export.
    static_files: bool,
}

/// The archive's name when a deployment does not give one.
pub const DEFAULT_NAME: &str = "dossier: an archive of formal international relations";

impl Site {
    /// A site at `base_url` (must be absolute `http` or `https`, with a host and no query
    /// or fragment). The admin e-mail defaults to `webmaster@` the host; set it with
    /// [`Site::with_admin_email`].
    pub fn new(base_url: &str) -> Result<Site, PublishError> {
        let bad = |why: &str| PublishError::Config(format!("base URL {base_url:?}: {why}"));
        let rest = base_url
            .strip_prefix("https://")
            .or_else(|| base_url.strip_prefix("http://"))
            .ok_or_else(|| bad("must start with http:// or https://"))?;
        if rest.contains(['?', '#', ' ', '"', '<', '>', '\\']) {
            return Err(bad("must not hold a query, a fragment, spaces or quotes"));
        }
        let host = rest.split('/').next().unwrap_or_default();
        if !is_host(host) {
            return Err(bad("has no valid host name"));
        }
        let mut base = base_url.to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        let admin_email = default_admin_email(host);
        Ok(Site {
            base_url: base,
            name: DEFAULT_NAME.into(),
            admin_email,
            static_files: false,
        })
    }

    /// The site at the address a server listens on, for a server with no configured base
    /// URL: absolute links come from configuration, never from a request's `Host` header
    /// (which the client chooses). An IPv4 address is kept as it is; an unspecified
    /// address (`0.0.0.0`, `::`) or an IPv6 one becomes `localhost`, with the port.
    pub fn from_listen_address(addr: std::net::SocketAddr) -> Site {
        let host = match addr.ip() {
            std::net::IpAddr::V4(ip) if !ip.is_unspecified() => ip.to_string(),
            _ => "localhost".to_string(),
        };
        let host = format!("{host}:{}", addr.port());
        Site::new(&format!("http://{host}/")).unwrap_or_else(|_| Site {
            base_url: "http://localhost/".into(),
            name: DEFAULT_NAME.into(),
            admin_email: default_admin_email("localhost"),
            static_files: false,
        })
    }

    /// Sets the admin e-mail; refused unless it looks like `user@host.domain` (the form
    /// OAI-PMH's schema requires).
    pub fn with_admin_email(mut self, email: &str) -> Result<Site, PublishError> {
        let ok = email.split_once('@').is_some_and(|(user, domain)| {
            !user.is_empty()
                && !user.contains(char::is_whitespace)
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains(char::is_whitespace)
                && !email.contains(['<', '>', '"', '&'])
        });
        if !ok {
            return Err(PublishError::Config(format!(
                "admin e-mail {email:?} is not an address of the form name@host.domain"
            )));
        }
        self.admin_email = email.into();
        Ok(self)
    }

    /// Sets the archive's name.
    pub fn with_name(mut self, name: &str) -> Site {
        if !name.trim().is_empty() {
            self.name = name.trim().into();
        }
        self
    }

    /// The same site published as static files: page addresses end in `.html`.
    pub fn with_static_files(mut self) -> Site {
        self.static_files = true;
        self
    }

    /// The absolute address of a page, given its site path (`/documents/x`): the path
    /// itself on a server, its file (`documents/x.html`) in a static copy.
    pub fn page_url(&self, path: &str) -> String {
        if self.static_files {
            self.url(&crate::html::static_file(path))
        } else {
            self.url(path)
        }
    }

    /// The base URL, ending in `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The host (with port, if any) of the base URL.
    pub fn host(&self) -> &str {
        let rest = self.base_url.split_once("://").map_or("", |x| x.1);
        rest.split('/').next().unwrap_or_default()
    }

    /// The host without a port: OAI-PMH's repository identifier.
    pub fn host_name(&self) -> &str {
        let h = self.host();
        match h.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => h,
        }
    }

    /// The absolute URL of a site path (`/documents/x` → `https://…/documents/x`).
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.base_url.trim_end_matches('/'),
            if path.starts_with('/') {
                path.to_string()
            } else {
                format!("/{path}")
            }
        )
    }
}

/// A host name or IPv4 address, with an optional port: letters, digits, `.`, `-`.
fn is_host(h: &str) -> bool {
    let (name, port) = match h.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (h, None),
    };
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && !name.starts_with(['.', '-'])
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `webmaster@host`; a host without a dot (`localhost`) gets the reserved `.invalid`
/// suffix so that the address is well-formed and visibly not real until configured.
fn default_admin_email(host: &str) -> String {
    let name = host.split(':').next().unwrap_or("localhost");
    if name.contains('.') {
        format!("webmaster@{name}")
    } else {
        format!("webmaster@{name}.invalid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let s = Site::new("https://example.org/archive").unwrap();
        assert_eq!(s.base_url(), "https://example.org/archive/");
        assert_eq!(
            s.url("/documents/x"),
            "https://example.org/archive/documents/x"
        );
        assert_eq!(s.host_name(), "example.org");
        assert_eq!(s.admin_email, "webmaster@example.org");
        assert_eq!(
            s.clone().with_static_files().page_url("/documents/x"),
            "https://example.org/archive/documents/x.html"
        );
        assert_eq!(
            s.clone().with_static_files().page_url("/"),
            "https://example.org/archive/index.html"
        );
        let l = Site::new("http://127.0.0.1:8080").unwrap();
        assert_eq!(l.host(), "127.0.0.1:8080");
        assert_eq!(l.host_name(), "127.0.0.1");
        assert!(Site::new("ftp://x.org").is_err());
        assert!(Site::new("https://x.org/?q=1").is_err());
        assert!(Site::new("https://<x>/").is_err());
    }

    #[test]
    fn listen_addresses() {
        let at = |a: &str| Site::from_listen_address(a.parse().unwrap());
        assert_eq!(at("127.0.0.1:8080").base_url(), "http://127.0.0.1:8080/");
        assert_eq!(at("0.0.0.0:80").base_url(), "http://localhost:80/");
        assert_eq!(at("[::1]:8080").base_url(), "http://localhost:8080/");
        assert_eq!(at("[::]:8080").admin_email, "webmaster@localhost.invalid");
    }

    #[test]
    fn admin_email_is_checked() {
        let s = Site::new("https://example.org/").unwrap();
        assert!(s.clone().with_admin_email("archive@example.org").is_ok());
        assert!(s.clone().with_admin_email("nobody").is_err());
        assert!(s.clone().with_admin_email("a@localhost").is_err());
        assert!(s.with_admin_email("<a>@x.org").is_err());
    }
}
