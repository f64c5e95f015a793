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
    /// Per wizard step: flows that reached it, stopped there, went on.
    Funnel {
        /// Over the last N local days (today included).
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=3660))]
        days: u32,
    },
    /// Erase the contact details of every booking of an address.
    Erase {
        /// The address (compared without regard to case).
        #[arg(long)]
        email: String,
    },
    /// Print every booking of an address as JSON.
    Export {
        /// The address (compared without regard to case).
        #[arg(long)]
        email: String,
    },
}

#[rocket::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let figment = rocket::Config::figment();
    let outcome = match cli.command {
        None => return serve(figment).await,
        Some(Command::Migrate) => slotwise::cli::migrate(&figment).await,
        Some(Command::ClearSessions) => slotwise::cli::clear_sessions(&figment).await,
        Some(Command::Bookings { date }) => slotwise::cli::bookings(&figment, date).await,
        Some(Command::Outbox { failed, retry }) => slotwise::cli::outbox(&figment, failed, retry).await,
        Some(Command::Funnel { days }) => slotwise::cli::funnel(&figment, days).await,
        Some(Command::Erase { email }) => slotwise::cli::erase(&figment, &email).await,
        Some(Command::Export { email }) => slotwise::cli::export(&figment, &email).await,
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

/// Serves until shut down. Every launch problem is one `Error:` line naming
/// its key on stderr, and the exit code is non-zero.
async fn serve(figment: rocket::figment::Figment) -> ExitCode {
    use slotwise::config;
    // NOTE: Rocket reads its own keys (port, address, secret_key, ...) only
    // after every stage has run, and then names none of them.
    let rocket_config = match config::rocket_config(&figment) {
        Ok(rocket_config) => rocket_config,
        Err(errors) => {
            errors.iter().for_each(|e| config::report(e));
            return ExitCode::FAILURE;
        }
    };
    slotwise::logging::install(&figment);
    match slotwise::build(figment).launch().await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            config::launch_error(&e, &rocket_config).iter().for_each(|line| config::report(line));
            ExitCode::FAILURE
        }
    }
}
