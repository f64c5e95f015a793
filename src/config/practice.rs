//! `[practice]` (SPEC §1a): who the visitor books with — the name on every
//! page and email, and the address and contacts shown where they help.

use serde::{Deserialize, Serialize};

use super::error::ConfigError;

/// `[practice]`, checked; unset values are `None` and never shown empty.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(try_from = "Raw")]
pub struct PracticeConfig {
    /// The name visitors see (page titles and header, email subjects and
    /// signatures, the `.ics` `ORGANIZER`).
    pub name: String,
    /// The address: confirm, done and booking pages, emails about a
    /// booking, the `.ics` `LOCATION`.
    pub address: Option<String>,
    /// A phone number to call.
    pub phone: Option<String>,
    /// The practice's address: `Reply-To` of every email, the `.ics`
    /// `ORGANIZER`.
    pub email: Option<String>,
    /// The practice's website (`http(s)://…`).
    pub website: Option<String>,
}

impl Default for PracticeConfig {
    fn default() -> Self {
        Raw::default().try_into().expect("the default [practice] is valid")
    }
}

impl PracticeConfig {
    /// Whether any way to contact the practice is set.
    pub fn has_contact(&self) -> bool {
        self.phone.is_some() || self.email.is_some() || self.website.is_some()
    }
}

/// `[practice]` as written.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Raw {
    name: String,
    address: String,
    phone: String,
    email: String,
    website: String,
}

impl Default for Raw {
    fn default() -> Self {
        Raw {
            name: "Slotwise".into(),
            address: String::new(),
            phone: String::new(),
            email: String::new(),
            website: String::new(),
        }
    }
}

/// `value` trimmed, `None` when empty.
fn set(value: String) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

impl TryFrom<Raw> for PracticeConfig {
    type Error = ConfigError;

    fn try_from(raw: Raw) -> Result<Self, ConfigError> {
        let name = raw.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(ConfigError::new("practice.name", "give the practice's name (1 to 100 characters, one line)"));
        }
        let email = set(raw.email);
        if let Some(email) = &email {
            if email.parse::<lettre::Address>().is_err() {
                return Err(ConfigError::new("practice.email", format!("`{email}` is not an email address")));
            }
        }
        let website = set(raw.website);
        if let Some(website) = &website {
            let ok = url::Url::parse(website).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
            if !ok {
                return Err(ConfigError::new(
                    "practice.website",
                    format!("`{website}`: use an http:// or https:// address"),
                ));
            }
        }
        for (key, value) in [("practice.address", &raw.address), ("practice.phone", &raw.phone)] {
            if value.chars().any(|c| c.is_control() && c != '\n') {
                return Err(ConfigError::new(key, "has control characters"));
            }
        }
        Ok(PracticeConfig { name, address: set(raw.address), phone: set(raw.phone), email, website })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(toml: &str) -> Result<PracticeConfig, String> {
        use rocket::figment::providers::{Format, Toml};
        rocket::figment::Figment::from(Toml::string(toml)).extract_inner("practice").map_err(|e| e.to_string())
    }

    #[test]
    fn unset_values_are_none_and_the_name_defaults() {
        let practice = read("[practice]\naddress = \"  \"").unwrap();
        assert_eq!(practice.name, "Slotwise");
        assert!(practice.address.is_none() && practice.email.is_none() && !practice.has_contact());
    }

    #[test]
    fn bad_values_name_their_key() {
        for (toml, key) in [
            ("[practice]\nname = \"\"", "practice.name"),
            ("[practice]\nemail = \"nope\"", "practice.email"),
            ("[practice]\nwebsite = \"ftp://x.test\"", "practice.website"),
            ("[practice]\nwebsite = \"praxis.test\"", "practice.website"),
        ] {
            assert!(read(toml).unwrap_err().contains(key), "{toml}");
        }
        let full = read(
            "[practice]\nname = \"Praxis Dr. Weber\"\nemail = \"info@praxis.test\"\nwebsite = \"https://praxis.test\"",
        );
        assert!(full.unwrap().has_contact());
    }
}
