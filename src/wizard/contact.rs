//! The visitor's contact details as types that can only hold valid values
//! ("parse, don't validate"): each `parse` says what is wrong as the catalog
//! id of its message. The details form parses into them (`fields.rs`), the
//! wizard state stores them, the booking and the code email read them.
//!
//! In the session each is its plain string (`#[serde(transparent)]`), as
//! the previous release stored them.

use serde::{Deserialize, Serialize};

fn chars(text: &str) -> usize {
    text.chars().count()
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_type!(
    /// A name: 1–100 characters, no control characters.
    Name
);
text_type!(
    /// An email address mail can be sent to, at most 254 characters.
    Email
);
text_type!(
    /// A phone number or nothing: at most 32 digits, spaces and `+-()/.`.
    Phone
);
text_type!(
    /// Notes or nothing: at most 1000 characters.
    Notes
);

impl Name {
    /// Trims `raw` and checks it.
    pub fn parse(raw: &str) -> Result<Name, &'static str> {
        let name = raw.trim();
        if name.is_empty() {
            Err("err-required")
        } else if chars(name) > 100 {
            Err("err-name-too-long")
        } else if name.chars().any(char::is_control) {
            Err("err-name-invalid")
        } else {
            Ok(Name(name.to_string()))
        }
    }
}

impl Email {
    /// Trims `raw` and checks it.
    pub fn parse(raw: &str) -> Result<Email, &'static str> {
        let email = raw.trim();
        if email.is_empty() {
            Err("err-required")
        } else if chars(email) > 254 {
            Err("err-email-too-long")
        } else if email.parse::<lettre::Address>().is_err() {
            Err("err-email-invalid")
        } else {
            Ok(Email(email.to_string()))
        }
    }
}

impl Phone {
    /// Trims `raw` and checks it; empty is no phone.
    pub fn parse(raw: &str) -> Result<Phone, &'static str> {
        let phone = raw.trim();
        if chars(phone) > 32 {
            Err("err-phone-too-long")
        } else if !phone.chars().all(|c| c.is_ascii_digit() || " +-()/.".contains(c)) {
            Err("err-phone-invalid")
        } else {
            Ok(Phone(phone.to_string()))
        }
    }

    /// No phone.
    pub fn none() -> Phone {
        Phone(String::new())
    }
}

impl Notes {
    /// Trims `raw` and checks it; empty is no notes.
    pub fn parse(raw: &str) -> Result<Notes, &'static str> {
        let notes = raw.trim();
        if chars(notes) > 1000 {
            Err("err-notes-too-long")
        } else {
            Ok(Notes(notes.to_string()))
        }
    }

    /// No notes.
    pub fn none() -> Notes {
        Notes(String::new())
    }
}

/// Contact details as entered: every field valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Details {
    /// Name.
    pub name: Name,
    /// The address the code goes to.
    pub email: Email,
    /// Phone, or empty.
    pub phone: Phone,
    /// Notes, or empty.
    pub notes: Notes,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_says_what_is_wrong() {
        assert_eq!(Name::parse("  Ada ").map(|n| n.0), Ok("Ada".to_string()));
        assert_eq!(Name::parse(" "), Err("err-required"));
        assert_eq!(Name::parse(&"x".repeat(101)), Err("err-name-too-long"));
        assert_eq!(Name::parse("Ada\u{7}"), Err("err-name-invalid"), "a control character is not a length");
        assert_eq!(Email::parse("nope"), Err("err-email-invalid"));
        assert_eq!(Email::parse(&format!("{}@x.test", "a".repeat(250))), Err("err-email-too-long"));
        assert_eq!(Phone::parse("+49 (30) 1234-5"), Ok(Phone("+49 (30) 1234-5".into())));
        assert_eq!(Phone::parse("call me"), Err("err-phone-invalid"));
        assert_eq!(Notes::parse(&"n".repeat(1001)), Err("err-notes-too-long"));
    }

    #[test]
    fn details_are_stored_as_the_previous_release_stored_them() {
        let json = r#"{"name":"Ada","email":"ada@example.test","phone":"","notes":"n"}"#;
        let details: Details = serde_json::from_str(json).expect("the old shape reads");
        assert_eq!(details.email.as_str(), "ada@example.test");
        assert_eq!(serde_json::to_string(&details).expect("serializes"), json);
    }
}
