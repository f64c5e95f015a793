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
        T::non_zero(value).ok_or_else(|| ConfigError::new(key, "must be at least 1"))
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
