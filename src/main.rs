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
