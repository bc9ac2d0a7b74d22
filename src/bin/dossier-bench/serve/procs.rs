//! The two servers under test as child processes (`dossier serve`, nginx), their memory
//! and threads read from /proc, and nginx's configuration.

use super::client;
use anyhow::{bail, Context, Result};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A free port on 127.0.0.1 (bound and let go; nothing else on this machine is expected
/// to take it in the moment before the server binds it).
pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("cannot bind 127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// A server under test. Stopped (signal, then kill after 10 s) on drop.
pub struct Server {
    pub name: &'static str,
    child: Child,
    /// The signal that stops it cleanly (`INT` for dossier, which waits for Ctrl-C;
    /// `QUIT` for nginx, whose workers finish their requests and exit with it).
    stop_signal: &'static str,
}

impl Server {
    /// Starts `cmd` (its output goes to `log`) and waits until `addr` answers `probe` with
    /// 200, for at most `wait`.
    pub fn start(
        name: &'static str,
        mut cmd: Command,
        addr: SocketAddr,
        log: &Path,
        stop_signal: &'static str,
        probe: &str,
        wait: Duration,
    ) -> Result<Server> {
        let out = std::fs::File::create(log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        let mut server = Server {
            name,
            child,
            stop_signal,
        };
        let deadline = Instant::now() + wait;
        loop {
            if let Some(status) = server.child.try_wait()? {
                let log_text = std::fs::read_to_string(log).unwrap_or_default();
                bail!("{name} exited ({status}) before answering:\n{log_text}");
            }
            if let Ok(r) = client::get(addr, probe, None) {
                if r.status == 200 {
                    return Ok(server);
                }
                bail!("{name} answers {probe} with {}", r.status);
            }
            if Instant::now() > deadline {
                bail!("{name} did not answer on {addr} within {wait:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The process and, for nginx, its workers.
    pub fn pids(&self) -> Vec<u32> {
        let mut pids = vec![self.pid()];
        pids.extend(children_of(self.pid()));
        pids
    }

    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill")
            .arg(format!("-{}", self.stop_signal))
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("{} did not stop in 10 s: killed", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One process's memory and threads from /proc/PID/status.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcMem {
    pub rss: u64,
    pub hwm: u64,
    pub threads: u64,
}

pub fn proc_mem(pid: u32) -> Option<ProcMem> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some(ProcMem {
        rss: field("VmRSS:")? * 1024,
        hwm: field("VmHWM:")? * 1024,
        threads: field("Threads:")?,
    })
}

/// The processes whose parent is `pid` (nginx's workers).
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            std::fs::read_to_string(format!("/proc/{child}/stat"))
                .ok()
                .and_then(|s| {
                    // The field after the command name (in parentheses) is the state,
                    // then the parent's id.
                    let rest = s.rsplit_once(") ")?.1;
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

/// The largest memory and thread count seen while sampling.
#[derive(Debug, Clone, Copy, Default)]
pub struct Peak {
    /// The largest sum of VmRSS over the server's processes.
    pub rss: u64,
    /// The largest sum of thread counts.
    pub threads: u64,
}

impl Peak {
    pub fn max(self, other: Peak) -> Peak {
        Peak {
            rss: self.rss.max(other.rss),
            threads: self.threads.max(other.threads),
        }
    }
}

/// The processes' current memory and threads, summed.
pub fn now(pids: &[u32]) -> Peak {
    pids.iter()
        .filter_map(|&p| proc_mem(p))
        .fold(Peak::default(), |acc, m| Peak {
            rss: acc.rss + m.rss,
            threads: acc.threads + m.threads,
        })
}

/// Runs `work` while sampling `pids` every 50 ms; returns its result and the peak.
pub fn sampled<T>(pids: &[u32], work: impl FnOnce() -> T) -> (T, Peak) {
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut peak = now(pids);
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
                peak = peak.max(now(pids));
            }
            peak
        });
        let out = work();
        done.store(true, Ordering::Relaxed);
        (out, sampler.join().unwrap_or_default())
    })
}

/// nginx's binary: `--nginx`, else on the PATH, else Debian's /usr/sbin/nginx (not on a
/// normal user's PATH).
pub fn find_nginx(given: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("nginx"))
        .find(|p| p.is_file());
    on_path.context(
        "nginx not found: install it (Debian/Ubuntu: apt-get install -y nginx-light) or pass --nginx PATH",
    )
}

/// The output of `tool ARG` (stdout and stderr: nginx prints its version on stderr), or
/// `None` when it cannot be run.
pub fn tool_output(tool: &Path, arg: &str) -> Option<String> {
    let out = Command::new(tool).arg(arg).output().ok()?;
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    Some(s)
}

/// A minimal nginx.conf serving `root` on `port`, with its pid file, logs and temporary
/// folders under `prefix` (so it runs without root and touches nothing of the system's
/// nginx). `configure` is `nginx -V`'s output: the temporary folders of modules built
/// out must not be named.
///
/// Each URL path of the site maps to the export's file: `/dossiers/nato-russia` to
/// `dossiers/nato-russia.html` (the export's naming, `html::static_file`), or to
/// `dossiers/nato-russia.json` when the request accepts JSON (that file is the dossier
/// server's own JSON answer, written beside the export by the bench: the export has no
/// JSON). nginx's defaults are kept otherwise (keep-alive requests, buffers): what an
/// operator would run.
pub fn nginx_conf(
    prefix: &Path,
    root: &Path,
    port: u16,
    configure: &str,
    root_user: bool,
) -> String {
    let p = prefix.display();
    let mut temp = format!("    client_body_temp_path {p}/temp/body;\n");
    for (directive, module, dir) in [
        ("proxy_temp_path", "http_proxy_module", "proxy"),
        ("fastcgi_temp_path", "http_fastcgi_module", "fastcgi"),
        ("uwsgi_temp_path", "http_uwsgi_module", "uwsgi"),
        ("scgi_temp_path", "http_scgi_module", "scgi"),
    ] {
        if !configure.contains(&format!("--without-{module}")) {
            temp.push_str(&format!("    {directive} {p}/temp/{dir};\n"));
        }
    }
    // Run by root, nginx would hand its workers to another user, who may not read the
    // export; the workers stay the current user.
    let user = if root_user { "user root;\n" } else { "" };
    format!(
        "# Written by dossier-bench serve.
{user}worker_processes auto;
daemon off;
pid {p}/nginx.pid;
error_log {p}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
{temp}    types {{
        text/html html;
        text/css css;
        application/json json;
        application/javascript js;
        application/xml xml;
        application/atom+xml atom;
        text/plain txt bib ris;
    }}
    default_type application/octet-stream;
    map $http_accept $representation {{
        default \".html\";
        \"~application/json\" \".json\";
    }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{
            try_files $uri$representation $uri $uri/index.html =404;
        }}
    }}
}}
",
        root = root.display(),
    )
}

/// Whether this process runs as root (from /proc/self/status's real uid).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_conf_names_only_the_modules_built_in() {
        let conf = nginx_conf(
            Path::new("/w/nginx"),
            Path::new("/w/site"),
            8081,
            "configure arguments: --without-http_uwsgi_module --without-http_scgi_module",
            false,
        );
        assert!(conf.contains("listen 127.0.0.1:8081;"), "{conf}");
        assert!(conf.contains("root /w/site;"), "{conf}");
        assert!(
            conf.contains("fastcgi_temp_path /w/nginx/temp/fastcgi;"),
            "{conf}"
        );
        assert!(!conf.contains("uwsgi_temp_path"), "{conf}");
        assert!(!conf.contains("scgi_temp_path"), "{conf}");
        assert!(!conf.contains("user root"), "{conf}");
        assert!(nginx_conf(Path::new("/p"), Path::new("/r"), 1, "", true).contains("user root;"));
    }

    /// The configuration over real HTTP: the server's URL paths find the export's files,
    /// and the JSON twin with `Accept: application/json`.
    #[test]
    #[ignore = "needs nginx (apt-get install -y nginx-light)"]
    fn nginx_serves_the_export_under_the_servers_paths() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        std::fs::create_dir_all(site.join("dossiers")).unwrap();
        std::fs::write(site.join("index.html"), "home").unwrap();
        std::fs::write(site.join("dossiers/x.html"), "<p>page</p>").unwrap();
        std::fs::write(site.join("dossiers/x.json"), "{\"slug\":\"x\"}").unwrap();
        std::fs::write(site.join("style.css"), "p {}").unwrap();
        let prefix = dir.path().join("nginx");
        std::fs::create_dir_all(prefix.join("temp")).unwrap();
        let nginx = find_nginx(None).unwrap();
        let port = free_port().unwrap();
        let conf = prefix.join("nginx.conf");
        let configure = tool_output(&nginx, "-V").unwrap();
        std::fs::write(
            &conf,
            nginx_conf(&prefix, &site, port, &configure, is_root()),
        )
        .unwrap();
        let mut cmd = Command::new(&nginx);
        cmd.arg("-p").arg(&prefix).arg("-c").arg(&conf);
        cmd.arg("-e").arg(prefix.join("error.log"));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log = prefix.join("stderr.log");
        let server = Server::start(
            "nginx",
            cmd,
            addr,
            &log,
            "QUIT",
            "/",
            Duration::from_secs(20),
        )
        .unwrap();
        let page = client::get(addr, "/dossiers/x", None).unwrap();
        assert_eq!((page.status, page.text().as_str()), (200, "<p>page</p>"));
        assert_eq!(page.header("content-type"), Some("text/html"));
        let json = client::get(addr, "/dossiers/x", Some("application/json")).unwrap();
        assert_eq!(
            (json.status, json.text().as_str()),
            (200, "{\"slug\":\"x\"}")
        );
        assert_eq!(json.header("content-type"), Some("application/json"));
        let css = client::get(addr, "/style.css", None).unwrap();
        assert_eq!(
            (css.status, css.header("content-type")),
            (200, Some("text/css"))
        );
        assert_eq!(client::get(addr, "/", None).unwrap().text(), "home");
        assert_eq!(client::get(addr, "/dossiers/y", None).unwrap().status, 404);
        // Stopped on drop, workers and all.
        let pids = server.pids();
        assert!(pids.len() >= 2, "master and workers: {pids:?}");
        drop(server);
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            pids.iter().all(|p| proc_mem(*p).is_none()),
            "{pids:?} still run"
        );
    }

    #[test]
    fn samples_this_process() {
        let me = std::process::id();
        let (_, peak) = sampled(&[me], || std::thread::sleep(Duration::from_millis(120)));
        assert!(peak.rss > 0 && peak.threads >= 2, "{peak:?}");
        let m = proc_mem(me).unwrap();
        assert!(m.hwm >= m.rss, "{m:?}");
    }
}
