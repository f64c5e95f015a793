//! Launch errors as an operator meets them: the real `slotwise` binary,
//! started with one bad value at a time, prints exactly one `Error:` line
//! that names the key and the bad value (or, for a secret key, how to make
//! one), and exits non-zero. Every other variable is the same good setup,
//! which is shown to launch first, so each failure is the bad value's.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::process::{free_port, KillOnDrop, Launch};
use support::{Backend, MANIFEST_DIR, SLOTWISE_BIN};

/// How long a failing launch may take (a good one would serve forever).
const WITHIN: Duration = Duration::from_secs(60);

/// One bad configuration: the variables that make it bad, the key the line
/// must name, and the text (the value, or a hint) it must contain.
struct Case {
    env: &'static [(&'static str, &'static str)],
    key: &'static str,
    shows: &'static str,
}

const CASES: &[Case] = &[
    Case { env: &[("ROCKET_PORT", "abc")], key: "port", shows: "\"abc\"" },
    Case { env: &[("ROCKET_ADDRESS", "nowhere")], key: "address", shows: "nowhere" },
    Case { env: &[("ROCKET_PROFILE", "release")], key: "secret_key", shows: "openssl rand -base64 32" },
    Case { env: &[("ROCKET_SECRET_KEY", "short")], key: "secret_key", shows: "openssl rand -base64 32" },
    Case {
        env: &[("ROCKET_DATABASES", "{slotwise={url=\"mysql://db.example.test/x\"}}")],
        key: "databases.slotwise.url",
        shows: "mysql://db.example.test/x",
    },
    Case {
        env: &[("ROCKET_TEMPLATE_DIR", "/nonexistent/templates")],
        key: "template_dir",
        shows: "/nonexistent/templates",
    },
    Case { env: &[("ROCKET_BOOKING", "{timezone=\"Mars/Olympus\"}")], key: "booking.timezone", shows: "Mars/Olympus" },
    Case { env: &[("ROCKET_BOOKING", "{hours={mon=[\"9-17\"]}}")], key: "booking.hours.mon", shows: "9-17" },
    Case { env: &[("ROCKET_OTP", "{length=3}")], key: "otp.length", shows: "3" },
    Case { env: &[("ROCKET_MAIL", "{transport=\"smtp\",smtp_url=\"nope\"}")], key: "mail.smtp_url", shows: "nope" },
    Case { env: &[("ROCKET_SESSION", "{idle_timeout_secs=0}")], key: "session.idle_timeout_secs", shows: "0" },
    Case { env: &[("ROCKET_I18N", "{default_language=\"fr\"}")], key: "i18n.default_language", shows: "fr" },
    Case {
        env: &[("ROCKET_I18N", "{languages=[\"en\",\"de\",\"fr\"]}")],
        key: "i18n.languages",
        shows: "no catalog for `fr`",
    },
    Case {
        env: &[("ROCKET_SESSION", "{store=\"redis\",redis_url=\"nope://cache.test\"}")],
        key: "session.redis_url",
        shows: "nope://cache.test",
    },
    Case { env: &[("ROCKET_SESSION", "{redis_prefix=\"\"}")], key: "session.redis_prefix", shows: "is empty" },
    Case {
        env: &[("ROCKET_WEBHOOKS", "[{url=\"ftp://crm.example.test/h\",secret=\"0123456789abcdef\"}]")],
        key: "webhooks[0].url",
        shows: "ftp://crm.example.test/h",
    },
    Case {
        env: &[("ROCKET_WEBHOOKS", "[{url=\"https://crm.example.test/h\",secret=\"short\"}]")],
        key: "webhooks[0].secret",
        shows: "at least 16 characters",
    },
    Case {
        env: &[(
            "ROCKET_WEBHOOKS",
            "[{url=\"https://crm.example.test/h\",secret=\"0123456789abcdef\",events=[\"booking.paid\"]}]",
        )],
        key: "webhooks[0].events",
        shows: "booking.paid",
    },
];

/// The good setup in `dir`: its own database and outbox, a free port, the
/// debug profile (so no `secret_key` is needed).
fn good_env(dir: &Path) -> Vec<(String, String)> {
    let db = dir.join("launch.db");
    let outbox = dir.join("outbox");
    [
        ("ROCKET_ADDRESS", "127.0.0.1".to_string()),
        ("ROCKET_CLI_COLORS", "false".to_string()),
        ("ROCKET_DATABASES", format!("{{slotwise={{url=\"sqlite://{}?mode=rwc\"}}}}", db.display())),
        ("ROCKET_MAIL", format!("{{transport=\"file\",outbox_dir=\"{}\"}}", outbox.display())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// What one launch printed (stdout and stderr, colour codes removed) and
/// whether it exited non-zero in time.
struct Outcome {
    failed: bool,
    output: String,
}

impl Outcome {
    fn error_lines(&self) -> Vec<&str> {
        self.output.lines().filter(|l| l.trim_start().starts_with("Error:")).collect()
    }
}

/// Runs the binary in this checkout (where Rocket.toml and templates/ are)
/// with our environment cleared and `env` set; kills it if it still runs
/// after [`WITHIN`].
fn launch(env: &[(String, String)], dir: &Path) -> Outcome {
    let (out, err) = (dir.join("stdout.txt"), dir.join("stderr.txt"));
    let file = |p: &PathBuf| std::fs::File::create(p).expect("output file");
    let mut command = Command::new(SLOTWISE_BIN);
    command
        .current_dir(MANIFEST_DIR)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ROCKET_PORT", free_port().expect("a free port").to_string())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(file(&out))
        .stderr(file(&err));
    let mut child = KillOnDrop(command.spawn().expect("start slotwise"));
    let deadline = Instant::now() + WITHIN;
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait for slotwise") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            break None;
        }
        // NOTE: waits for a real process or socket; the app's clock is not involved.
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(child);
    let read = |p: &PathBuf| std::fs::read_to_string(p).unwrap_or_default();
    let output = strip_colours(&format!("{}{}", read(&out), read(&err)));
    Outcome { failed: status.is_some_and(|s| !s.success()), output }
}

/// `text` without ANSI colour sequences.
fn strip_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn the_good_setup_launches() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = Launch::new(Path::new(SLOTWISE_BIN), Path::new(MANIFEST_DIR))
        .expect("a free port")
        .clear_env()
        .envs(good_env(dir.path()))
        .log_to(dir.path().join("server.log"))
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    server.stop();
}

#[test]
fn each_bad_value_stops_the_launch_with_one_line_naming_its_key() {
    let runs: Vec<_> = CASES
        .iter()
        .map(|case| {
            std::thread::spawn(move || {
                let dir = tempfile::tempdir().expect("temp dir");
                let mut env = good_env(dir.path());
                env.extend(case.env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
                (case, launch(&env, dir.path()))
            })
        })
        .collect();
    let mut wrong = Vec::new();
    for run in runs {
        let (case, outcome) = run.join().expect("a launch thread");
        let lines = outcome.error_lines();
        let named = lines.first().is_some_and(|l| l.contains(&format!("`{}`", case.key)) && l.contains(case.shows));
        if !outcome.failed || lines.len() != 1 || !named {
            wrong.push(format!(
                "{:?}: wanted a non-zero exit and one `Error:` line naming `{}` and showing {:?}; got exit {} and:\n{}",
                case.env,
                case.key,
                case.shows,
                if outcome.failed { "non-zero" } else { "zero or none" },
                outcome.output
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn a_template_that_does_not_parse_is_one_line_naming_its_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The pages are loaded before anything else reads the folder: a base and
    // a broken page are enough.
    let templates = dir.path().join("templates");
    std::fs::create_dir_all(&templates).expect("templates folder");
    std::fs::write(templates.join("base.html.j2"), "{% block main %}{% endblock main %}").expect("write");
    std::fs::write(templates.join("details.html.j2"), "{% extends \"base\" %}{% if %}").expect("write");
    let mut env = good_env(dir.path());
    env.push(("ROCKET_TEMPLATE_DIR".into(), templates.display().to_string()));
    let outcome = launch(&env, dir.path());
    let lines = outcome.error_lines();
    assert!(outcome.failed && lines.len() == 1, "{}", outcome.output);
    assert!(lines[0].contains("`template_dir`") && lines[0].contains("details.html.j2"), "{}", lines[0]);
    assert!(lines[0].contains("syntax error"), "{}", lines[0]);
}

#[test]
fn a_port_in_use_is_named_with_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = taken.local_addr().expect("its address").port().to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut env = good_env(dir.path());
    env.push(("ROCKET_PORT".into(), port.clone()));
    let outcome = launch(&env, dir.path());
    let lines = outcome.error_lines();
    assert!(outcome.failed && lines.len() == 1, "{}", outcome.output);
    assert!(lines[0].contains(&format!("127.0.0.1:{port}")) && lines[0].contains("`port`"), "{}", lines[0]);
}

#[test]
fn a_missing_postgres_database_says_how_to_create_it() {
    let Some(Backend::Postgres(admin)) = Backend::postgres("launch::a_missing_postgres_database_says_how_to_create_it")
    else {
        return;
    };
    let (base, _) = admin.split('?').next().unwrap_or(&admin).rsplit_once('/').expect("a URL with a path");
    let name = format!("slotwise_missing_{:016x}", rand::random::<u64>());
    let dir = tempfile::tempdir().expect("temp dir");
    let mut env = good_env(dir.path());
    env.push(("ROCKET_DATABASES".into(), format!("{{slotwise={{url=\"{base}/{name}\"}}}}")));
    let outcome = launch(&env, dir.path());
    let lines = outcome.error_lines();
    assert!(outcome.failed && lines.len() == 1, "{}", outcome.output);
    assert!(lines[0].contains("`databases.slotwise.url`") && lines[0].contains("createdb"), "{}", lines[0]);
    assert!(lines[0].contains(&name), "{}", lines[0]);
}
