//! Keys nobody reads: a misspelt section (`[default.mial]`) or top-level key
//! (`prot = 9000`) would otherwise be ignored without a word, and real
//! settings silently not apply. Unknown keys inside a known section are
//! errors already (each section denies them).

use std::collections::BTreeMap;

use rocket::figment::value::Value;
use rocket::figment::Figment;

/// Rocket's own keys, and those of the fairings Slotwise attaches.
const ROCKET: &[&str] = &[
    "address",
    "port",
    "workers",
    "max_blocking",
    "ident",
    "ip_header",
    "proxy_proto_header",
    "limits",
    "temp_dir",
    "keep_alive",
    "tls",
    "mtls",
    "secret_key",
    "shutdown",
    "log_level",
    "cli_colors",
    "template_dir",
    "databases",
    // NOTE: `ROCKET_CONFIG` names the configuration file itself; as every
    // `ROCKET_*` variable, it lands in the figment (as `config`).
    "config",
];

/// Slotwise's own sections (SPEC §4).
const SLOTWISE: &[&str] =
    &["session", "otp", "mail", "practice", "i18n", "booking", "abuse", "security", "staff", "metrics", "webhooks"];

/// One warning line per top-level key that neither Rocket nor Slotwise
/// reads, with the closest known key when one is near.
pub fn warnings(figment: &Figment) -> Vec<String> {
    let Ok(keys) = figment.extract::<BTreeMap<String, Value>>() else { return Vec::new() };
    keys.keys().filter(|key| !is_known(key)).map(|key| warning(key)).collect()
}

fn is_known(key: &str) -> bool {
    ROCKET.contains(&key) || SLOTWISE.contains(&key)
}

/// The line for `key`.
fn warning(key: &str) -> String {
    match closest(key) {
        Some(known) => format!("unknown configuration key `{key}` is ignored; did you mean `{known}`?"),
        None => format!("unknown configuration key `{key}` is ignored"),
    }
}

/// The known key nearest to `key`, when it is near enough to be a typo.
fn closest(key: &str) -> Option<&'static str> {
    let known = ROCKET.iter().chain(SLOTWISE).copied();
    let (distance, best) = known.map(|k| (strsim::damerau_levenshtein(key, k), k)).min()?;
    (distance <= 2 || (distance <= 3 && key.len() >= 8)).then_some(best)
}

#[cfg(test)]
mod tests {
    use rocket::figment::providers::{Format, Toml};

    use super::*;

    #[test]
    fn the_file_named_by_rocket_config_is_no_unknown_key() {
        let figment = Figment::from(Toml::string("config = \"/etc/slotwise/Rocket.toml\"\nport = 1\n"));
        assert!(warnings(&figment).is_empty());
    }

    #[test]
    fn misspelt_sections_and_keys_are_named_with_the_closest_known_one() {
        let figment = Figment::from(Toml::string("prot = 9000\nzzz = 1\nport = 1\n[mial]\nfrom = \"a\"\n[booking]\n"));
        assert_eq!(
            warnings(&figment),
            [
                "unknown configuration key `mial` is ignored; did you mean `mail`?",
                "unknown configuration key `prot` is ignored; did you mean `port`?",
                "unknown configuration key `zzz` is ignored",
            ]
        );
    }

    #[test]
    fn every_known_key_passes() {
        let all: Vec<String> = ROCKET.iter().chain(SLOTWISE).map(|k| format!("{k} = 1")).collect();
        assert!(warnings(&Figment::from(Toml::string(&all.join("\n")))).is_empty());
    }
}
