//! The wizard's forms, parsed at the edge: each field is a newtype that can
//! only hold a valid value ("parse, don't validate"). A field's error is the
//! catalog id of its message, so the `422` page can say it in the visitor's
//! language next to the field.

use rocket::form::{self, FromForm, FromFormField, ValueField};

use super::contact::{Details, Email, Name, Notes, Phone};

/// A form with no fields of its own (the CSRF token is checked by the guard).
#[derive(FromForm)]
pub struct Empty {
    #[allow(dead_code)]
    csrf_token: Option<String>,
}

/// `POST /book/confirm`: the token, and the `summary` the page showed.
#[derive(FromForm)]
pub struct ConfirmForm {
    #[allow(dead_code)]
    csrf_token: Option<String>,
    /// The summary of the choices the page showed (`None`: an older page,
    /// judged as before summaries).
    pub summary: Option<String>,
}

/// `POST /book/service`.
#[derive(FromForm)]
pub struct ServiceForm {
    /// A service id (checked against the configuration by the handler).
    pub service: Option<String>,
}

/// `POST /book/practitioner`.
#[derive(FromForm)]
pub struct PractitionerForm {
    /// A practitioner's id or `any` (checked against the configuration by the handler).
    pub practitioner: Option<String>,
}

/// `POST /book/slot`.
#[derive(FromForm)]
pub struct SlotForm {
    /// The chosen start.
    pub slot: SlotValue,
}

/// `POST /book/verify`.
#[derive(FromForm)]
pub struct CodeForm {
    /// The code as typed (spaces are dropped before checking).
    pub code: Option<String>,
}

/// `POST /book/details`.
#[derive(FromForm)]
pub struct DetailsForm {
    /// Required, at most 100 characters.
    pub name: Name,
    /// Required, a valid address of at most 254 characters.
    pub email: Email,
    /// Optional, at most 32 characters of digits and `+-()/. `.
    pub phone: Phone,
    /// Optional, at most 1000 characters.
    pub notes: Notes,
}

impl DetailsForm {
    /// The details to store.
    pub fn details(&self) -> Details {
        let (name, email) = (self.name.clone(), self.email.clone());
        Details { name, email, phone: self.phone.clone(), notes: self.notes.clone() }
    }
}

/// The catalog id of each faulty field's message, by field name.
pub fn error_ids<'a, 'v: 'a>(errors: impl Iterator<Item = &'a form::Error<'v>>) -> Vec<(String, String)> {
    errors
        .filter_map(|e| {
            let field = e.name.as_ref()?.to_string();
            let id = match &e.kind {
                // Only the newtypes below raise validation errors: their message is the id.
                form::error::ErrorKind::Validation(id) => id.to_string(),
                _ => "err-required".to_string(),
            };
            Some((field, id))
        })
        .collect()
}

fn invalid<'v, T>(id: &'static str) -> form::Result<'v, T> {
    Err(form::Error::validation(id).into())
}

/// A form field parsed by `$parse`, a missing optional one `$none`.
macro_rules! field {
    ($type:ident $(, $none:expr)?) => {
        impl<'v> FromFormField<'v> for $type {
            fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
                $type::parse(field.value).or_else(invalid)
            }
            $(
                fn default() -> Option<Self> {
                    Some($none)
                }
            )?
        }
    };
}

field!(Name);
field!(Email);
field!(Phone, Phone::none());
field!(Notes, Notes::none());

/// A slot value as the slot step offers it: `YYYY-MM-DDTHH:MM`, or with the
/// offset of a local time that occurs twice, `YYYY-MM-DDTHH:MM+01:00`.
/// Which instant it is depends on the practice's zone
/// (`booking::availability::parse_slot_value`).
#[derive(Debug, PartialEq)]
pub struct SlotValue(pub String);

impl<'v> FromFormField<'v> for SlotValue {
    fn from_value(field: ValueField<'v>) -> form::Result<'v, Self> {
        let value = field.value.trim();
        let shape = |pattern: &[u8]| {
            value.len() == pattern.len()
                && value.bytes().zip(pattern).all(|(b, p)| if *p == b'9' { b.is_ascii_digit() } else { b == *p })
        };
        let offset = shape(b"9999-99-99T99:99+99:99") || shape(b"9999-99-99T99:99-99:99");
        if shape(b"9999-99-99T99:99") || offset {
            Ok(SlotValue(value.to_string()))
        } else {
            invalid("err-slot-invalid")
        }
    }
}

#[cfg(test)]
mod tests {
    use rocket::form::Form;

    use super::*;

    fn details(body: &str) -> Result<Details, Vec<(String, String)>> {
        Form::<DetailsForm>::parse_encoded(rocket::http::RawStr::new(body))
            .map(|f| f.details())
            .map_err(|e| error_ids(e.iter()))
    }

    #[test]
    fn details_are_trimmed_and_optional_fields_may_be_missing() {
        let d = details("name=+Ada+&email=ada%40example.test").expect("valid");
        assert_eq!(
            (d.name.as_str(), d.email.as_str(), d.phone.as_str(), d.notes.as_str()),
            ("Ada", "ada@example.test", "", "")
        );
    }

    #[test]
    fn each_faulty_field_names_its_message() {
        let long = "x".repeat(101);
        let mut errors = details(&format!("name={long}&email=nope&phone=abc&notes=ok")).unwrap_err();
        errors.sort();
        let want = [("email", "err-email-invalid"), ("name", "err-name-too-long"), ("phone", "err-phone-invalid")];
        assert_eq!(errors, want.map(|(f, m)| (f.to_string(), m.to_string())));
        let errors = details("phone=1").unwrap_err();
        assert!(errors.contains(&("name".into(), "err-required".into())), "{errors:?}");
        assert!(errors.contains(&("email".into(), "err-required".into())), "{errors:?}");
        let errors = details(&format!("name=A&email={}%40x.test", "a".repeat(250))).unwrap_err();
        assert_eq!(errors, [("email".to_string(), "err-email-too-long".to_string())]);
        let errors = details(&format!("name=A&email=a%40x.test&phone={}&notes={}", "1".repeat(33), "n".repeat(1001)));
        let mut errors = errors.unwrap_err();
        errors.sort();
        assert_eq!(errors[0], ("notes".to_string(), "err-notes-too-long".to_string()));
        assert_eq!(errors[1], ("phone".to_string(), "err-phone-too-long".to_string()));
    }

    #[test]
    fn slot_values_must_have_the_offered_shape() {
        let parse = |v: &str| Form::<SlotForm>::parse_encoded(rocket::http::RawStr::new(v)).map(|f| f.slot.0);
        assert_eq!(parse("slot=2026-10-25T02%3A30").unwrap(), "2026-10-25T02:30");
        assert_eq!(parse("slot=2026-10-25T02%3A30%2B01%3A00").unwrap(), "2026-10-25T02:30+01:00");
        for bad in ["slot=", "slot=2026-10-25", "slot=2026-10-25T2%3A30", "slot=tomorrow", "other=1"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
