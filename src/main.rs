use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tagmark::config::{Cli, Command, Config, LogFormat};
use tracing_subscriber::EnvFilter;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = async {
        let config = Config::load(cli.settings)?;
        init_logging(config.log_format);
        match cli.command {
            Command::Serve => {
                tagmark::Application::build(config)
                    .await?
                    .run_until_stopped()
                    .await
            }
            Command::Admin { command } => tagmark::admin::run(&config, command).await,
            Command::MigrateSeed { from, skip_invalid } => {
                tagmark::seed::run(&config, &from, skip_invalid).await
            }
            command @ (Command::Import { .. } | Command::Export { .. }) => {
                tagmark::transfer::run(&config, command).await
            }
        }
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tagmark: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter =
        EnvFilter::try_from_env("TAGMARK_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // Colours only for a person at a terminal: escape codes are noise in a log file or a
    // journal, and writing them was over a third of the cost of each request's log line.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
