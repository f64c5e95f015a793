//! `[abuse]`: limits that span sessions, flows and instances (SPEC §2d).

use std::net::IpAddr;

use serde::Deserialize;

use super::error::ConfigError;

/// `[abuse]`, checked. A limit of 0 means no limit.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "Raw")]
pub struct AbuseConfig {
    /// Code emails one address may receive in any 24 hours.
    pub sends_per_address_per_day: u32,
    /// Code emails one client may request in any hour.
    pub sends_per_client_per_hour: u32,
    /// Slots one client may hold at once.
    pub holds_per_client: u32,
    /// Peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Seconds a details form must have been shown before its POST is
    /// judged (sooner: `422`, "please check and send again"); 0 = off.
    pub min_fill_secs: u32,
}

/// `[abuse]` as written.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Raw {
    sends_per_address_per_day: u32,
    sends_per_client_per_hour: u32,
    holds_per_client: u32,
    trusted_proxies: Vec<String>,
    min_fill_secs: u32,
}

impl Default for Raw {
    fn default() -> Self {
        Raw {
            sends_per_address_per_day: 10,
            sends_per_client_per_hour: 30,
            holds_per_client: 10,
            trusted_proxies: Vec::new(),
            min_fill_secs: 2,
        }
    }
}

impl TryFrom<Raw> for AbuseConfig {
    type Error = ConfigError;

    fn try_from(raw: Raw) -> Result<Self, ConfigError> {
        let trusted_proxies = raw
            .trusted_proxies
            .iter()
            .map(|p| {
                p.trim().parse::<IpAddr>().map_err(|_| {
                    ConfigError::new("abuse.trusted_proxies", format!("`{p}` is not an IP address like \"127.0.0.1\""))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(AbuseConfig {
            sends_per_address_per_day: raw.sends_per_address_per_day,
            sends_per_client_per_hour: raw.sends_per_client_per_hour,
            holds_per_client: raw.holds_per_client,
            trusted_proxies,
            min_fill_secs: raw.min_fill_secs,
        })
    }
}

impl Default for AbuseConfig {
    fn default() -> Self {
        Raw::default().try_into().expect("the default [abuse] is valid")
    }
}

#[cfg(test)]
mod tests {
    use crate::config::tests::settings;

    #[test]
    fn trusted_proxies_are_ip_addresses() {
        let ok = settings("[abuse]\ntrusted_proxies = [\"127.0.0.1\", \"::1\"]").expect("valid");
        assert_eq!(ok.abuse.trusted_proxies.len(), 2);
        let err = settings("[abuse]\ntrusted_proxies = [\"proxy.local\"]").expect_err("a name");
        assert_eq!(err.key, "abuse.trusted_proxies");
        assert_eq!(settings("").expect("defaults").abuse.sends_per_address_per_day, 10);
    }

    #[test]
    fn min_fill_secs_defaults_to_two_and_zero_turns_it_off() {
        assert_eq!(settings("").expect("defaults").abuse.min_fill_secs, 2);
        assert_eq!(settings("[abuse]\nmin_fill_secs = 0").expect("valid").abuse.min_fill_secs, 0);
        let err = settings("[abuse]\nmin_fill_secs = -1").expect_err("negative");
        assert!(err.key.starts_with("abuse"), "{}", err.key);
    }
}
