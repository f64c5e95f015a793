//! Form bots at the details step (SPEC §2d): the honeypot field `website`,
//! which people never see and bots fill, and the minimum fill time
//! `abuse.min_fill_secs`, counted from when this flow's details form was
//! first shown. Neither needs JavaScript or a third party; neither stops a
//! bot driven by a person or a headless browser that waits (the limits
//! across sessions take over there).
//!
//! The rules are pure ([`judge`]); the session keeps when the form was first
//! shown under a private key ([`SHOWN_KEY`]), tied to the flow.

use serde::{Deserialize, Serialize};

use crate::session::{Session, SessionError};

/// Session key of when this flow's details form was first shown (private:
/// templates do not see it).
pub const SHOWN_KEY: &str = "_details_shown";

/// The honeypot field's name.
pub const HONEYPOT: &str = "website";

/// When one flow's details form was first shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Shown {
    /// The flow (a new flow's form is shown anew).
    flow: String,
    /// Unix ms.
    at: i64,
}

/// What a details POST is, as far as bots go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Judged like any POST.
    Person,
    /// The hidden field is filled.
    Honeypot,
    /// Sent sooner than `min_fill_secs` after the form was first shown (or
    /// without it ever being shown).
    TooSoon,
}

/// Judges a details POST: `website` as posted, when the form was first shown
/// (unix ms, `None`: never), `now` (unix ms) and `abuse.min_fill_secs`
/// (0: no minimum).
pub fn judge(website: &str, shown_at: Option<i64>, now: i64, min_fill_secs: u32) -> Verdict {
    let min_ms = i64::from(min_fill_secs) * 1000;
    if !website.trim().is_empty() {
        Verdict::Honeypot
    } else if min_ms > 0 && shown_at.is_none_or(|at| now.saturating_sub(at) < min_ms) {
        Verdict::TooSoon
    } else {
        Verdict::Person
    }
}

/// When `flow`'s details form was first shown, if it was.
pub fn shown_at(session: &Session<'_>, flow: &str) -> Option<i64> {
    session.get::<Shown>(SHOWN_KEY).filter(|s| s.flow == flow).map(|s| s.at)
}

/// Remembers that `flow`'s details form is shown at `now`, unless it was
/// shown before (the first showing counts).
pub fn shown(session: &Session<'_>, flow: &str, now: i64) -> Result<(), SessionError> {
    if shown_at(session, flow).is_some() {
        return Ok(());
    }
    session.insert(SHOWN_KEY, &Shown { flow: flow.to_string(), at: now })
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: i64 = 1_900_000_000_000;

    #[test]
    fn a_filled_honeypot_is_a_bot_whatever_the_time() {
        assert_eq!(judge("https://spam.example", Some(AT), AT + 60_000, 2), Verdict::Honeypot);
        assert_eq!(judge("x", Some(AT), AT + 60_000, 0), Verdict::Honeypot);
        assert_eq!(judge("  ", Some(AT), AT + 60_000, 2), Verdict::Person, "blank is empty");
    }

    #[test]
    fn a_post_sooner_than_the_minimum_is_too_soon() {
        assert_eq!(judge("", Some(AT), AT + 1_999, 2), Verdict::TooSoon);
        assert_eq!(judge("", Some(AT), AT + 2_000, 2), Verdict::Person);
        assert_eq!(judge("", None, AT, 2), Verdict::TooSoon, "a form never shown");
        assert_eq!(judge("", Some(AT), AT - 5_000, 2), Verdict::TooSoon, "a clock that went back");
    }

    #[test]
    fn zero_turns_the_minimum_off() {
        assert_eq!(judge("", None, AT, 0), Verdict::Person);
        assert_eq!(judge("", Some(AT), AT, 0), Verdict::Person);
    }
}
