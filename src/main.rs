//! `dossier`: an archive engine for formal international relations.

mod cli;
mod cmd;
mod memory;
mod out;
mod progress;

use clap::Parser;

/// mimalloc instead of the system allocator: imports allocate and free many small strings
/// on two threads (the reader makes records, the writer drops them), where glibc's malloc
/// spent about a sixth of the import's time; see BENCHMARKS.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    if matches!(cli.command, cli::Command::Import(_)) {
        memory::prefer_small_pages();
    }
    // The server logs what it does; one-shot commands speak only when something is wrong.
    let default_level = if matches!(cli.command, cli::Command::Serve(_)) {
        "info"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DOSSIER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .init();
    match cmd::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", describe_error(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each said once. Many errors repeat their cause in their own
/// message ("cannot open the store at …: {source}") and also give it as their source, so
/// anyhow's `{:#}`, which joins every link of the chain, would say it twice.
fn describe_error(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::describe_error;

    #[derive(Debug, thiserror::Error)]
    #[error("search index error: {0}")]
    struct Repeats(#[from] std::io::Error);

    #[test]
    fn an_error_says_each_cause_once() {
        let io = std::io::Error::other("Failed to acquire Lockfile");
        let e = anyhow::Error::from(Repeats(io)).context("cannot open the search index");
        assert_eq!(
            describe_error(&e),
            "cannot open the search index: search index error: Failed to acquire Lockfile"
        );
        let plain = anyhow::anyhow!("disk full").context("cannot write out/index.html");
        assert_eq!(
            describe_error(&plain),
            "cannot write out/index.html: disk full"
        );
    }
}
