//! [`ConfigError`]: a bad value, named by its dotted key.

/// A configuration problem, named by its dotted key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration `{key}`: {message}")]
pub struct ConfigError {
    /// The dotted key, e.g. `session.idle_timeout_secs`.
    pub key: String,
    /// What is wrong with it, for the operator.
    pub message: String,
}

impl ConfigError {
    /// Builds an error for `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { key: key.into(), message: message.into() }
    }

    /// `Err` naming `key` unless `value` is at least 1.
    pub(super) fn non_zero<T: NonZeroFrom>(key: &str, value: u64) -> Result<T, ConfigError> {
        T::non_zero(value).ok_or_else(|| ConfigError::new(key, format!("is {value}; must be at least 1")))
    }
}

/// The dotted key a figment error is about: its path, plus the field for the
/// kinds that report the table a field is in.
pub(super) fn figment_key(e: &rocket::figment::Error) -> String {
    use rocket::figment::error::Kind;
    let mut path = e.path.clone();
    let field = match &e.kind {
        Kind::UnknownField(field, _) => Some(field.as_str()),
        Kind::MissingField(field) => Some(field.as_ref()),
        _ => None,
    };
    if let Some(field) = field.filter(|f| path.last().map(String::as_str) != Some(*f)) {
        path.push(field.to_string());
    }
    if path.is_empty() {
        "configuration".to_string()
    } else {
        path.join(".")
    }
}

/// The `NonZero*` types a section reads.
pub(super) trait NonZeroFrom: Sized {
    fn non_zero(value: u64) -> Option<Self>;
}

impl NonZeroFrom for std::num::NonZeroU64 {
    fn non_zero(value: u64) -> Option<Self> {
        Self::new(value)
    }
}

impl NonZeroFrom for std::num::NonZeroU32 {
    fn non_zero(value: u64) -> Option<Self> {
        u32::try_from(value).ok().and_then(Self::new)
    }
}
