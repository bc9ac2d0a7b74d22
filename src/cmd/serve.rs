//! `dossier serve`.

use crate::cli::ServeArgs;
use anyhow::{Context, Result};
use dossier_store::Store;
use std::path::Path;
use std::sync::Arc;

pub fn run(data_dir: &Path, args: ServeArgs) -> Result<()> {
    // Start-up may write (the built-in dossier into an empty store, the index brought in
    // step with the store); serving only reads, so the writer lock is let go before it.
    let starting = super::lock::lock_for_writing(data_dir, "serve (starting)")?;
    let store = super::open_store(data_dir)?;
    if store.is_empty()? {
        let summary = super::load_builtin(&store)?;
        tracing::info!(
            "empty store: loaded the built-in dossier ({})",
            super::describe(summary)
        );
    }
    let index = Arc::new(super::open_index(data_dir, &store)?);
    let oai_key = super::oai_key(data_dir, &store)?;
    drop(starting);
    let listener = store
        .listen()
        .transpose()
        .context("cannot listen for the database's changes")?;
    let store: Arc<dyn Store> = Arc::new(store);
    if let Some(listener) = listener {
        follow(listener, store.clone(), index.clone())?;
    }
    let store_for_links = store.clone();
    let mut state = dossier_server::AppState::new(store, index).with_oai_key(oai_key);
    if let Some(site) = super::site(&args.site)? {
        state = state.with_site(site);
    }
    state = state.with_workers(
        args.workers
            .map_or(dossier_store::READ_CONNECTIONS, |n| n as usize),
        args.queue
            .map_or(dossier_server::DEFAULT_QUEUE, |n| n as usize),
    );
    let (workers, queue) = state.workers();
    state = state.with_cache_bytes((args.cache_mb as usize).saturating_mul(1 << 20));
    if !args.trusted_proxies.is_empty() {
        tracing::info!(proxies = ?args.trusted_proxies, "X-Forwarded-For is read from these proxies");
        state = state.with_trusted_proxies(args.trusted_proxies.clone());
    }
    let link_job = match args.check_links_every {
        Some(every) => {
            let started_at = dossier_upkeep::check::unix_now();
            state = state.with_link_schedule(dossier_server::LinkSchedule { every, started_at });
            let policy = dossier_upkeep::fetch::FetchPolicy {
                allow_hosts: args.check_links_allow_hosts.clone(),
                ..Default::default()
            };
            let checker = dossier_upkeep::check::Checker::new(policy, Default::default())
                .map_err(|e| anyhow::anyhow!("cannot set up the link checker: {e}"))?;
            Some((Arc::new(checker), every, started_at))
        }
        None => None,
    };
    let limits = dossier_server::Limits {
        max_connections: match args.max_connections {
            Some(n) => n as usize,
            None => dossier_server::Limits::max_connections_for(open_file_limit()),
        },
        ..dossier_server::Limits::default()
    };
    // Store and render work runs on the server's own request workers, so tokio's
    // blocking pool is left only what the runtime itself needs (its default would grow
    // to 512 threads).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(BLOCKING_THREADS)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {} (is another server running there?)",
                    args.addr
                )
            })?;
        let local = listener.local_addr()?;
        if let Some((checker, every, started_at)) = link_job {
            tracing::info!(every = ?every, "checking the cited links on a schedule");
            tokio::spawn(dossier_upkeep::check::run_on_schedule(
                store_for_links,
                checker,
                every,
                started_at,
            ));
        }
        tracing::info!(
            data_dir = %data_dir.display(),
            max_connections = limits.max_connections,
            workers,
            queue,
            cache_mb = args.cache_mb,
            "serving the archive at http://{local}"
        );
        if !state.has_configured_site() {
            let site = dossier_publish::site::Site::from_listen_address(local);
            tracing::warn!(
                "no --base-url: absolute links in feeds, the sitemap, OAI-PMH and citations \
                 use {} (the listening address); set --base-url (DOSSIER_BASE_URL) to the \
                 site's public address",
                site.base_url()
            );
        }
        // The signals are caught from here on, before the line that says the server is
        // up (what a supervisor or a script waits for).
        let stop = stop_requested();
        // Not a reason to stop serving if nobody reads it (`crate::out`).
        let _ = crate::out::print(&format!(
            "dossier is serving at http://{local} — stop with Ctrl-C\n"
        ));
        dossier_server::serve_with_limits(listener, state, limits, async {
            stop.await;
            tracing::info!("shutting down");
        })
        .await
        .context("the server stopped with an error")
    })
}

/// Ctrl-C (SIGINT) or SIGTERM, the signal systemd, Docker and `kill` send to stop a
/// service: either ends the server gracefully (requests in progress are answered). The
/// handlers are in place when this returns, and the future ends at the first signal; call
/// it inside the runtime.
fn stop_requested() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                return Box::pin(async move {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                });
            }
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "cannot handle SIGTERM; stop with Ctrl-C (SIGINT)")
            }
        }
    }
    Box::pin(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// How long the index's follower waits for a notification before it looks at the change
/// log anyway (a notification lost with a connection is then late by this much at most).
const FOLLOW_AT_LEAST_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Keeps the search index in step with writes made by other servers on the same database
/// (PostgreSQL): a thread that wakes at each commit that logged a change (LISTEN/NOTIFY)
/// and applies the change log. This server's own writes bring the index along as they
/// always did; the follower then finds nothing left to do.
fn follow(
    mut listener: dossier_store::postgres::ChangeListener,
    store: Arc<dyn Store>,
    index: Arc<dossier_search::SearchIndex>,
) -> Result<()> {
    std::thread::Builder::new()
        .name("index-follower".into())
        .spawn(move || loop {
            listener.wait(FOLLOW_AT_LEAST_EVERY);
            match index.sync(store.as_ref()) {
                Ok(report) if report.applied > 0 => {
                    tracing::debug!(applied = report.applied, seq = report.seq, "followed the change log")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot bring the search index up to date; trying again"),
            }
        })
        .context("cannot start the search index's follower")?;
    Ok(())
}

/// The most threads of tokio's blocking pool.
const BLOCKING_THREADS: usize = 8;

/// The process's soft limit on open files (`None`: unlimited or unknown), from which the
/// default connection cap is derived.
#[cfg(target_os = "linux")]
fn open_file_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

#[cfg(not(target_os = "linux"))]
fn open_file_limit() -> Option<u64> {
    None
}
