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
        /// Only this practitioner's bookings (their id).
        #[arg(long)]
        practitioner: Option<String>,
    },
    /// Give bookings made before practitioners were configured to one practitioner.
    Assign {
        /// The practitioner's id.
        #[arg(long)]
        practitioner: String,
        /// The bookings' references.
        #[arg(required = true)]
        references: Vec<String>,
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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // `--help` and `--version`, as clap prints them.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("slotwise: {}", one_line(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    let figment = rocket::Config::figment();
    let outcome = match cli.command {
        None => return serve(figment).await,
        Some(Command::Migrate) => slotwise::cli::migrate(&figment).await,
        Some(Command::ClearSessions) => slotwise::cli::clear_sessions(&figment).await,
        Some(Command::Bookings { date, practitioner }) => {
            slotwise::cli::bookings(&figment, date, practitioner.as_deref()).await
        }
        Some(Command::Assign { practitioner, references }) => {
            slotwise::cli::assign(&figment, &practitioner, &references).await
        }
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

/// A clap error as one line (SPEC §5): its message up to the first blank
/// line, lines joined, without the `error: ` prefix, the usage and the hint.
fn one_line(rendered: &str) -> String {
    let message: Vec<&str> = rendered.lines().map(str::trim).take_while(|line| !line.is_empty()).collect();
    message.join(" ").trim_start_matches("error: ").to_string()
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{one_line, Cli};

    fn error_of(args: &[&str]) -> String {
        let e = Cli::try_parse_from(args).err().expect("refused");
        one_line(&e.to_string())
    }

    #[test]
    fn bad_input_is_one_line_naming_what_is_wrong() {
        let missing = error_of(&["slotwise", "erase"]);
        assert_eq!(missing, "the following required arguments were not provided: --email <EMAIL>");
        let many = error_of(&["slotwise", "funnel", "--days", "many"]);
        assert!(many.starts_with("invalid value 'many' for '--days <DAYS>'"), "{many}");
        for message in
            [missing, many, error_of(&["slotwise", "nonsense"]), error_of(&["slotwise", "bookings", "--date", "x"])]
        {
            assert!(!message.contains('\n') && !message.contains("Usage"), "{message}");
        }
    }
}
