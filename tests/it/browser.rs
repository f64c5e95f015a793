//! The wizard in a real browser: starts the `slotwise` binary on a free
//! loopback port with the shipped `Rocket.toml` (its own SQLite file and
//! outbox aside), then runs `tests/browser/e2e.mjs` (headless Chromium
//! through playwright-core), which books once at 360 px in German and dark,
//! once on a desktop in English and light, once with the keyboard alone, runs
//! axe-core on every page and error state in both themes, and checks texts,
//! the reference and the screenshots' pixels. A second server, configured
//! with the practice of three of docs/configuration.md, runs `tests/browser/practitioners.mjs`:
//! "anyone" at 360 px in German and dark, Ben Roth by name on a desktop.
//!
//! Needs `/usr/bin/chromium` (Debian `chromium`), Node and
//! `npm ci --prefix tests/browser`; `.ci/run` installs them. Without them the
//! test prints a `SKIPPED:` line on stderr and passes, except under
//! `CI=true`, where it fails. Screenshots land in `target/browser-screenshots/`.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::process::{tail, KillOnDrop, Launch, Process};

const CHROMIUM: &str = "/usr/bin/chromium";

/// A fixed 32-byte key (base64): the test must not depend on the profile.
const SECRET_KEY: &str = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=";

// NOTE: the shipped opening hours, not all-day ones: the screenshots are
// what `cargo run` shows (README's screenshots), and weekday hours within a 14-day horizon
// always leave free times, whatever the clock says.

/// The whole browser run may take this long before it counts as hung.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(300);

fn manifest_dir() -> PathBuf {
    PathBuf::from(support::MANIFEST_DIR)
}

/// `target/` of this build (respects `CARGO_TARGET_DIR`): the binary lives in
/// `target/<profile>/slotwise`.
fn target_dir() -> PathBuf {
    let bin = Path::new(support::SLOTWISE_BIN);
    bin.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_else(|| manifest_dir().join("target"))
}

/// What is missing to run the browser, if anything, and how to get it.
fn missing_tools() -> Option<(String, &'static str)> {
    if !Path::new(CHROMIUM).exists() {
        return Some((format!("{CHROMIUM} is missing"), "apt-get update && apt-get install -y chromium"));
    }
    for package in ["playwright-core", "axe-core"] {
        if !manifest_dir().join("tests/browser/node_modules").join(package).is_dir() {
            return Some((format!("tests/browser/node_modules/{package} is missing"), "npm ci --prefix tests/browser"));
        }
    }
    if Command::new("node").arg("--version").stdout(Stdio::null()).status().map_or(true, |s| !s.success()) {
        return Some(("node is not on PATH".into(), "apt-get install -y nodejs npm"));
    }
    None
}

/// Starts the real server with its own database and outbox, logging to
/// `log`, with `env` besides; waits for `/healthz`.
fn start_server(dir: &Path, log: &Path, env: &[(&str, String)]) -> Process {
    let launch = Launch::new(Path::new(support::SLOTWISE_BIN), &manifest_dir()).expect("a free loopback port");
    let base = launch.base();
    let db = dir.join("b.db");
    let outbox = dir.join("outbox");
    launch
        .env("ROCKET_SECRET_KEY", SECRET_KEY)
        .env("ROCKET_CLI_COLORS", "false")
        // NOTE: the scripted visitors fill the details form faster than a
        // person; `abuse.min_fill_secs` has its own tests (tests/it/bots.rs).
        .env("ROCKET_ABUSE", "{min_fill_secs=0}")
        .env("ROCKET_DATABASES", format!("{{slotwise={{url=\"sqlite://{}?mode=rwc\"}}}}", db.display()))
        .env("ROCKET_MAIL", format!("{{transport=\"file\",outbox_dir=\"{}\",public_url=\"{base}\"}}", outbox.display()))
        .envs(env.iter().map(|(k, v)| (k.to_string(), v.clone())))
        .log_to(log.to_path_buf())
        .start()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `tests/browser/<script>` (with `script_env`) against a fresh server
/// (started with `env`) and returns its output, or `None` after a skip;
/// fails the test when the script fails, hangs, or ends without its closing
/// line.
fn run_script(test: &str, script: &str, env: &[(&str, String)], script_env: &[(&str, String)]) -> Option<String> {
    if let Some((missing, enable)) = missing_tools() {
        support::skip::skip(test, &missing, enable);
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("outbox")).expect("outbox");
    // NOTE: overwritten, not emptied first: another `cargo test` may be
    // writing the same files at this moment.
    let screenshots = target_dir().join("browser-screenshots");
    std::fs::create_dir_all(&screenshots).expect("screenshot folder");

    let server_log = dir.path().join("server.log");
    let slotwise = start_server(dir.path(), &server_log, env);

    let browser_log = dir.path().join("browser.log");
    let log_file = std::fs::File::create(&browser_log).expect("browser log file");
    let node = Command::new("node")
        .current_dir(manifest_dir())
        .arg(Path::new("tests/browser").join(script))
        .arg(slotwise.base())
        .arg(dir.path().join("outbox"))
        .arg(&screenshots)
        .envs(script_env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().expect("browser log file"))
        .stderr(log_file)
        .spawn()
        .expect("start node");
    let mut node = KillOnDrop(node);
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    let status = loop {
        if let Some(status) = node.0.try_wait().expect("waiting for node") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            break None;
        }
        // NOTE: waits for a real process or socket; the app's clock is not involved.
        std::thread::sleep(Duration::from_millis(200));
    };
    drop(node);

    let output = std::fs::read_to_string(&browser_log).unwrap_or_default();
    println!("{output}");
    let server = tail(&server_log, 60);
    let status =
        status.unwrap_or_else(|| panic!("{script} hung for {BROWSER_TIMEOUT:?}:\n{output}\n--- server log:\n{server}"));
    assert!(status.success(), "{script} failed ({status}):\n{output}\n--- server log (tail):\n{server}");
    assert!(output.contains("all checks passed"), "{script} ended without its closing line:\n{output}");
    Some(output)
}

#[test]
fn a_visitor_books_in_german_and_dark_in_a_real_browser() {
    let test = "browser::a_visitor_books_in_german_and_dark_in_a_real_browser";
    if run_script(test, "e2e.mjs", &[], &[]).is_none() {
        return;
    }
    let screenshots = target_dir().join("browser-screenshots");
    let pngs = std::fs::read_dir(&screenshots).expect("screenshots").count();
    assert!(pngs >= 20, "only {pngs} screenshots in {}", screenshots.display());
}

/// The "Practitioners" example of docs/configuration.md appended to the shipped `Rocket.toml`,
/// as a practice would paste it (the file `ROCKET_CONFIG` names).
fn practice_of_three(dir: &Path) -> PathBuf {
    let shipped = std::fs::read_to_string(manifest_dir().join("Rocket.toml")).expect("Rocket.toml");
    let readme = std::fs::read_to_string(manifest_dir().join("docs/configuration.md")).expect("docs/configuration.md");
    let block =
        readme.split("```toml practitioners\n").nth(1).expect("docs/configuration.md has the practitioners example");
    let example = block.split("```").next().expect("the block ends");
    let path = dir.join("Rocket.toml");
    std::fs::write(&path, format!("{shipped}\n{example}")).expect("write Rocket.toml");
    path
}

#[test]
fn visitors_choose_anyone_and_a_named_practitioner_in_a_real_browser() {
    let config = tempfile::tempdir().expect("temp dir");
    let path = practice_of_three(config.path());
    let test = "browser::visitors_choose_anyone_and_a_named_practitioner_in_a_real_browser";
    // NOTE: a file's relative `template_dir` resolves from the file's own
    // folder, so the copy names the project's templates outright.
    let templates = manifest_dir().join("templates").display().to_string();
    let reminder = config.path().join("reminder.eml");
    std::fs::write(&reminder, reminder_email(REMINDER_LINK)).expect("write reminder.eml");
    let env = [("ROCKET_CONFIG", path.display().to_string()), ("ROCKET_TEMPLATE_DIR", templates)];
    let script_env = [
        ("SLOTWISE_REMINDER_EML", reminder.display().to_string()),
        ("SLOTWISE_REMINDER_LINK", REMINDER_LINK.to_string()),
    ];
    run_script(test, "practitioners.mjs", &env, &script_env);
}

/// The booking link of the harness's reminder.
const REMINDER_LINK: &str = "http://127.0.0.1/booking/RM7D-4KQP?token=reminder-token";

/// A reminder email in German, as the shipped configuration writes it
/// (formatted, as the outbox stores it): none falls due while the browser
/// runs, a day before the appointment.
fn reminder_email(link: &str) -> Vec<u8> {
    use slotwise::mail::{Appointment, Mailer, Notifier, Recipient};
    let figment = rocket::Config::figment().merge(("mail.transport", "log"));
    let settings = slotwise::config::Settings::from_figment(&figment).expect("the shipped configuration");
    let mailer = Mailer::new(&settings.mail).expect("a mailer");
    let notifier = Notifier::new(mailer, &manifest_dir().join("templates"), &settings.practice).expect("templates");
    let service = settings.booking.services.first().expect("a service");
    let starts_at = support::start();
    let appointment = Appointment {
        service: service.name_in("de"),
        starts_at,
        ends_at: starts_at + chrono::Duration::minutes(i64::from(service.duration_minutes)),
        tz: settings.booking.tz(),
        visitor: None,
        practitioner: Some("Dr. Anna Weber"),
    };
    let to = Recipient { name: "Mira Stein", email: "mira@example.test", lang: "de" };
    notifier.reminder_message(&to, "RM7D-4KQP", &appointment, link).expect("a reminder").formatted()
}
