//! `[default]`: Rocket's own keys (`address`, `port`, `secret_key`,
//! `limits`, ...), checked before anything else so that a bad one is named
//! the way ours are, and the launch's own errors turned into one line.
//!
//! NOTE: Rocket reads its own configuration only after every stage has run
//! and then says just "failed to extract configuration". The binary calls
//! [`rocket_config`] first instead.

use rocket::error::ErrorKind;
use rocket::figment::error::Kind;
use rocket::figment::Figment;

use super::error::{figment_key, ConfigError};

/// How to make a secret key, for messages.
pub const MAKE_SECRET_KEY: &str =
    "make one with `openssl rand -base64 32` and set it as `secret_key` in Rocket.toml or ROCKET_SECRET_KEY";

/// Rocket's configuration from `figment`, or one error per bad key.
pub fn rocket_config(figment: &Figment) -> Result<rocket::Config, Vec<ConfigError>> {
    figment.extract::<rocket::Config>().map_err(|e| e.into_iter().map(|e| rocket_key_error(e, Some(figment))).collect())
}

/// One of Rocket's keys named, with its bad value (looked up in `figment`
/// when the message lacks it) and a hint where the fix is not obvious. A
/// secret key's value is never repeated.
fn rocket_key_error(e: rocket::figment::Error, figment: Option<&Figment>) -> ConfigError {
    let key = figment_key(&e);
    let hint = match key.as_str() {
        "secret_key" => {
            return ConfigError::new(
                key,
                format!("is not 256 bits in base64 (44 characters) or hex (64): {MAKE_SECRET_KEY}"),
            )
        }
        "port" => " (use a number from 0 to 65535)",
        "address" => " (use an IP address such as 127.0.0.1 or 0.0.0.0)",
        "workers" | "max_blocking" => " (use a positive number)",
        "log_level" => " (use \"off\", \"critical\", \"normal\" or \"debug\")",
        _ => "",
    };
    let value = match (&e.kind, figment.and_then(|f| f.find_value(&key).ok())) {
        (Kind::Message(_), Some(value)) => value.as_str().map(|v| format!("`{v}`: ")).unwrap_or_default(),
        _ => String::new(),
    };
    ConfigError::new(key, format!("{value}{}{hint}", e.kind))
}

/// The lines for a launch error Rocket returns (one per problem); none when
/// a stage has already said what went wrong. `config` is what it launched
/// with.
pub fn launch_error(e: &rocket::Error, config: &rocket::Config) -> Vec<String> {
    let line = match e.kind() {
        ErrorKind::FailedFairings(_) => return Vec::new(),
        ErrorKind::Config(figment) => {
            return figment.clone().into_iter().map(|e| rocket_key_error(e, None).to_string()).collect()
        }
        ErrorKind::Bind(io) => format!(
            "cannot listen on {}:{} (`address`, `port`): {io} (is another server using the port? choose \
             another, e.g. ROCKET_PORT={})",
            config.address,
            config.port,
            config.port.wrapping_add(1).max(1024)
        ),
        ErrorKind::InsecureSecretKey(profile) => {
            ConfigError::new("secret_key", format!("must be set in the `{profile}` profile: {MAKE_SECRET_KEY}"))
                .to_string()
        }
        kind => kind.to_string(),
    };
    vec![line]
}

#[cfg(test)]
mod tests {
    use rocket::figment::providers::Serialized;

    use super::*;

    fn key_of(key: &str, value: &str) -> ConfigError {
        // NOTE: not `Config::figment()`, whose ROCKET_* variables would win.
        let figment = Figment::from(rocket::Config::debug_default()).merge(Serialized::default(key, value));
        let mut errors = rocket_config(&figment).expect_err(key);
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors.remove(0)
    }

    #[test]
    fn rocket_keys_are_named_with_their_value() {
        let port = key_of("port", "abc");
        assert_eq!(port.key, "port");
        assert!(port.message.contains("\"abc\"") && port.message.contains("65535"), "{}", port.message);
        let address = key_of("address", "nowhere");
        assert_eq!(address.key, "address");
        assert!(address.message.contains("nowhere"), "{}", address.message);
    }

    #[test]
    fn a_bad_secret_key_says_how_to_make_one_and_is_not_repeated() {
        let error = key_of("secret_key", "hunter2");
        assert_eq!(error.key, "secret_key");
        assert!(error.message.contains("openssl rand -base64 32"), "{}", error.message);
        assert!(!error.message.contains("hunter2"), "{}", error.message);
    }
}
