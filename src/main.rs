//! The `slotwise` binary: serves by default; maintenance subcommands for staff.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Slotwise: an appointment booking wizard.
#[derive(Parser)]
#[command(name = "slotwise", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply database migrations (they also run at launch).
    Migrate,
    /// Delete expired sessions and print how many went.
    ClearSessions,
    /// List stored emails not yet delivered (or given up on), with attempts and last error.
    Outbox {
        /// List the emails given up on instead.
        #[arg(long)]
        failed: bool,
        /// Put the failed emails back in the queue.
        #[arg(long)]
        retry: bool,
    },
    /// List bookings for staff.
    Bookings {
        /// Only this local day (YYYY-MM-DD).
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
}

#[rocket::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let figment = rocket::Config::figment();
    let outcome = match cli.command {
        None => match {
            slotwise::logging::install(&figment);
            slotwise::build(figment)
        }
        .launch()
        .await
        {
            Ok(_) => return ExitCode::SUCCESS,
            Err(e) => Err(e.to_string()),
        },
        Some(Command::Migrate) => slotwise::cli::migrate(&figment).await,
        Some(Command::ClearSessions) => slotwise::cli::clear_sessions(&figment).await,
        Some(Command::Bookings { date }) => slotwise::cli::bookings(&figment, date).await,
        Some(Command::Outbox { failed, retry }) => slotwise::cli::outbox(&figment, failed, retry).await,
    };
    match outcome {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("slotwise: {message}");
            ExitCode::FAILURE
        }
    }
}
