//! How the store connects to PostgreSQL: the URL's settings, and TLS.
//!
//! The URL is libpq's (`postgres://…` or `key=value` settings), parsed by the driver, with
//! two of libpq's TLS settings read here first because the driver does not know them:
//! `sslrootcert=PATH` (also libpq's `PGSSLROOTCERT` variable) and the `sslmode` values
//! `verify-ca` and `verify-full`.
//!
//! The connection is encrypted when `sslmode` is `require`, `verify-ca` or `verify-full`,
//! and then the server's certificate is always verified, name included, against
//! `sslrootcert` (a PEM file: a private CA, or the server's own self-signed certificate)
//! or else Mozilla's root certificates. libpq's `require` skips that check; a password
//! sent to a server nobody checked is not protected, so here it is not skipped. Without
//! an `sslmode` (or with `disable`, `allow` or `prefer`) the connection is not
//! encrypted, as before: the local socket, or a private network.

use ::postgres::config::SslMode;
use ::postgres::{Client, Config};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The settings of a connection and its TLS connector (used when `sslmode` asks for TLS).
#[derive(Clone)]
pub(crate) struct Connect {
    pub(crate) config: Config,
    tls: MakeRustlsConnect,
}

impl std::fmt::Debug for Connect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connect")
            .field("ssl_mode", &self.config.get_ssl_mode())
            .finish_non_exhaustive()
    }
}

impl Connect {
    /// Reads `url`; the error says what is wrong with it (never the password).
    pub(crate) fn parse(url: &str) -> Result<Self, String> {
        let tls_settings = TlsSettings::take(url)?;
        let mut config: Config = tls_settings.rest.parse().map_err(|e| format!("{e}"))?;
        let root_cert = tls_settings
            .root_cert
            .or_else(|| std::env::var_os("PGSSLROOTCERT").map(PathBuf::from));
        let tls = if tls_settings.verify || config.get_ssl_mode() == SslMode::Require {
            config.ssl_mode(SslMode::Require);
            client_config(root_cert.as_deref())?
        } else {
            // `prefer` would try TLS and fail on a certificate it cannot verify (Debian's
            // own snakeoil one, on a local server): not encrypting is what it did before.
            config.ssl_mode(SslMode::Disable);
            client_config(None)?
        };
        Ok(Connect {
            config,
            tls: MakeRustlsConnect::new(tls),
        })
    }

    /// A new connection.
    pub(crate) fn connect(&self) -> Result<Client, ::postgres::Error> {
        self.config.connect(self.tls.clone())
    }

    /// Whether connections are encrypted.
    #[cfg(test)]
    pub(crate) fn encrypted(&self) -> bool {
        self.config.get_ssl_mode() == SslMode::Require
    }
}

/// What [`TlsSettings::take`] read of the URL, and the URL without it.
struct TlsSettings {
    rest: String,
    root_cert: Option<PathBuf>,
    /// `sslmode=verify-ca` or `verify-full`.
    verify: bool,
}

impl TlsSettings {
    /// Takes `sslrootcert` and the `verify-*` modes out of a URL's query or out of
    /// `key=value` settings.
    fn take(url: &str) -> Result<Self, String> {
        let mut root_cert = None;
        let mut verify = false;
        let mut read = |key: &str, value: &str| -> Result<bool, String> {
            match (key, value) {
                ("sslrootcert", path) if !path.is_empty() => {
                    root_cert = Some(PathBuf::from(path));
                    Ok(true)
                }
                ("sslrootcert", _) => Err("`sslrootcert` names no file".into()),
                ("sslmode", "verify-ca" | "verify-full") => {
                    verify = true;
                    Ok(true)
                }
                _ => Ok(false),
            }
        };
        let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            match url.split_once('?') {
                None => url.to_string(),
                Some((base, query)) => {
                    let mut kept = Vec::new();
                    for pair in query.split('&') {
                        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                        if !read(k, &percent_decode(v)?)? {
                            kept.push(pair);
                        }
                    }
                    if kept.is_empty() {
                        base.to_string()
                    } else {
                        format!("{base}?{}", kept.join("&"))
                    }
                }
            }
        } else {
            // `key=value` settings: the two keys' settings are cut out, the rest is left
            // byte for byte (a quoted password keeps its spaces).
            let mut rest = String::with_capacity(url.len());
            let mut from = 0;
            for setting in settings(url) {
                if read(setting.key, &setting.value)? {
                    rest.push_str(&url[from..setting.span.start]);
                    from = setting.span.end;
                }
            }
            rest.push_str(&url[from..]);
            rest.trim().to_string()
        };
        Ok(TlsSettings {
            rest,
            root_cert,
            verify,
        })
    }
}

/// One `key=value` setting of a libpq connection string, its value unquoted, and where
/// it stands in the string.
struct Setting<'a> {
    key: &'a str,
    value: String,
    span: std::ops::Range<usize>,
}

/// The settings of a libpq connection string, as libpq reads them: `key = value`, spaces
/// allowed around `=`, a value in single quotes may hold spaces, and `\` escapes the next
/// character. What cannot be read is left to the driver, which says what is wrong.
fn settings(s: &str) -> Vec<Setting<'_>> {
    let bytes = s.as_bytes();
    let skip_spaces = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut out = Vec::new();
    let mut i = skip_spaces(0);
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i] != b'=' && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let key = &s[start..i];
        i = skip_spaces(i);
        if bytes.get(i) != Some(&b'=') {
            break;
        }
        i = skip_spaces(i + 1);
        let quoted = bytes.get(i) == Some(&b'\'');
        if quoted {
            i += 1;
        }
        let mut value = Vec::new();
        while i < bytes.len() {
            match bytes[i] {
                b'\'' if quoted => {
                    i += 1;
                    break;
                }
                c if !quoted && c.is_ascii_whitespace() => break,
                b'\\' if i + 1 < bytes.len() => {
                    value.push(bytes[i + 1]);
                    i += 2;
                }
                c => {
                    value.push(c);
                    i += 1;
                }
            }
        }
        out.push(Setting {
            key,
            value: String::from_utf8_lossy(&value).into_owned(),
            span: start..i,
        });
        i = skip_spaces(i);
    }
    out
}

/// `%2F` and the like in a URL's query value.
fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| "a `%` in the URL is not followed by two hex digits".to_string())?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the URL's query is not UTF-8".to_string())
}

/// rustls' settings: the roots from `root_cert`, else Mozilla's.
fn client_config(root_cert: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    match root_cert {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("cannot read sslrootcert {}: {e}", path.display()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("cannot read sslrootcert {}: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!(
                    "sslrootcert {} holds no PEM certificate",
                    path.display()
                ));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| {
                    format!(
                        "sslrootcert {}: a certificate rustls refuses: {e}",
                        path.display()
                    )
                })?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    // ring, as the HTTP client's rustls already uses; its provider is marked deprecated
    // only for lacking post-quantum key exchange (aws-lc-rs has it, with a C build).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_settings_are_taken_out_of_a_url_and_key_value_settings() {
        let s = TlsSettings::take(
            "postgres://u:p@db.example:5432/d?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x",
        )
        .unwrap();
        assert_eq!(
            s.rest,
            "postgres://u:p@db.example:5432/d?application_name=x"
        );
        assert_eq!(s.root_cert.as_deref(), Some(Path::new("/etc/ca.pem")));
        assert!(s.verify);
        let s =
            TlsSettings::take("host=db dbname=d sslmode=verify-ca sslrootcert=/ca.pem").unwrap();
        assert_eq!(s.rest, "host=db dbname=d");
        assert!(s.verify);
        // Spaces around `=`, and a quoted password's spaces, as libpq reads them.
        let s = TlsSettings::take(
            "host=db password='two  spaces\\' here' sslmode = verify-full sslrootcert='/my ca.pem'",
        )
        .unwrap();
        assert_eq!(s.rest, "host=db password='two  spaces\\' here'");
        assert_eq!(s.root_cert.as_deref(), Some(Path::new("/my ca.pem")));
        assert!(s.verify);
        let s = TlsSettings::take("postgres://u@h/d?sslmode=require").unwrap();
        assert_eq!(s.rest, "postgres://u@h/d?sslmode=require");
        assert!(!s.verify && s.root_cert.is_none());
        assert!(TlsSettings::take("postgres://u@h/d?sslrootcert=").is_err());
        assert!(TlsSettings::take("postgres://u@h/d?sslrootcert=%zz").is_err());
    }

    #[test]
    fn tls_is_used_only_when_asked_for_and_then_verified() {
        for (url, encrypted) in [
            ("postgres://u@h/d", false),
            ("postgres://u@h/d?sslmode=disable", false),
            ("postgres://u@h/d?sslmode=prefer", false),
            ("postgres://u@h/d?sslmode=require", true),
            ("postgres://u@h/d?sslmode=verify-full", true),
            ("host=h dbname=d sslmode=verify-ca", true),
        ] {
            assert_eq!(Connect::parse(url).unwrap().encrypted(), encrypted, "{url}");
        }
    }

    #[test]
    fn a_root_certificate_that_cannot_be_used_is_named() {
        let e = Connect::parse("postgres://u@h/d?sslmode=require&sslrootcert=/no/such/ca.pem")
            .unwrap_err();
        assert!(e.contains("/no/such/ca.pem"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = Connect::parse(&format!(
            "postgres://u@h/d?sslmode=require&sslrootcert={}",
            empty.display()
        ))
        .unwrap_err();
        assert!(e.contains("holds no PEM certificate"), "{e}");
        // Not asked for TLS: the file is not read.
        assert!(Connect::parse("postgres://u@h/d?sslrootcert=/no/such/ca.pem").is_ok());
    }
}
