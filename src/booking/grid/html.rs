//! The grid's days as HTML, shared by the wizard's slot step and a
//! booking's reschedule page: each day is one line of the overview, its
//! date and how many times it offers, or why none. Only one day shows its
//! times at a time: the one holding the choice, else the first with any
//! ([`Day::open`]); opening another (`<details name="day">`) closes it,
//! without JavaScript.
//!
//! Each day's times are a form of their own, posting `slot` (and the booking
//! link's `token` on the reschedule page, whose button then says so): a
//! radio group spans its form, and a browser lets Tab into a group only at
//! its checked radio, or with none checked at its first; with one form for
//! all days, the times of a day opened later could not be reached by
//! keyboard at all. With the visitor's own zone each time gives theirs too,
//! one time per row (`two-zones`).
//!
//! NOTE: written here rather than as a Tera macro: the slot page is the
//! wizard's hot path, and the macro (every time serialised into the page's
//! context, copied into the macro's frame, and each `{% if %}` a path
//! lookup) was most of its cost. `bench/profile.py slot` (all-day hours,
//! 336 times a page): 8.86 million instructions a request with the macro,
//! see docs/benchmark.md for the figure with this writer.

use std::fmt::Write;

use crate::templating::escape_html;

use super::{Day, Grid};
use crate::booking::availability::Empty;
use crate::i18n::{t, t_args};

/// Where the times' forms post, and what they carry besides `slot`.
pub struct Form<'a> {
    /// The form's `action`.
    pub action: &'a str,
    /// The page's CSRF token.
    pub csrf_token: &'a str,
    /// The booking link's token (the reschedule page), posted as `token`.
    pub token: Option<&'a str>,
    /// Whether the last choice was refused (`aria-invalid`, described by
    /// the page's `#slot-error`).
    pub invalid: bool,
}

impl Grid<'_> {
    /// The day overview with each day's times, in `lang`, their forms
    /// posting as `form` says.
    pub fn days_html(&self, lang: &str, form: &Form<'_>) -> String {
        let mut html = String::with_capacity(512 + 160 * self.days.iter().map(|d| d.slots.len()).sum::<usize>());
        let two_zones = if self.visitor_zone.is_some() { " two-zones" } else { "" };
        let _ = writeln!(html, "<div class=\"days{two_zones}\">");
        let submit = match form.token {
            Some(_) => escape_html(&t(lang, "reschedule-submit")),
            None => escape_html(&t(lang, "wizard-continue")),
        };
        for day in &self.days {
            if day.free > 0 {
                write_day(&mut html, day, lang, form, &submit);
            } else {
                let why = match day.why {
                    Some(Empty::Closed) => "slot-closed",
                    Some(Empty::Full) => "slot-full",
                    Some(Empty::Late) => "slot-late",
                    _ => "slot-none-day",
                };
                let _ = writeln!(
                    html,
                    "  <p class=\"day day-empty\"><span class=\"day-label\">{}</span> <span class=\"day-count\">{}</span></p>",
                    escape_html(&day.label),
                    escape_html(&t(lang, why))
                );
            }
        }
        html.push_str("</div>\n");
        html
    }
}

/// One day that offers times: its summary line and its form.
fn write_day(html: &mut String, day: &Day, lang: &str, form: &Form<'_>, submit: &str) {
    let open = if day.open { " open" } else { "" };
    let free = t_args(lang, "slot-day-free", &[("count", day.free.into())]);
    let label = escape_html(&day.label);
    let _ = writeln!(html, "  <details class=\"day\" name=\"day\"{open}>");
    let _ = writeln!(
        html,
        "    <summary><span class=\"day-label\">{label}</span> <span class=\"day-count\">{}</span></summary>",
        escape_html(&free)
    );
    let _ = writeln!(html, "    <form method=\"post\" action=\"{}\" novalidate>", escape_html(form.action));
    let _ =
        writeln!(html, "      <input type=\"hidden\" name=\"csrf_token\" value=\"{}\">", escape_html(form.csrf_token));
    if let Some(token) = form.token {
        let _ = writeln!(html, "      <input type=\"hidden\" name=\"token\" value=\"{}\">", escape_html(token));
    }
    let described = if form.invalid { " aria-describedby=\"slot-error\"" } else { "" };
    let _ = writeln!(html, "      <fieldset class=\"times\"{described}>");
    let _ = writeln!(html, "        <legend class=\"visually-hidden\">{label}</legend>");
    let invalid = if form.invalid { " aria-invalid=\"true\"" } else { "" };
    for (i, slot) in day.slots.iter().enumerate() {
        let id = if day.open && i == 0 { " id=\"slot\"" } else { "" };
        let checked = if slot.checked { " checked" } else { "" };
        let _ = writeln!(
            html,
            "        <label class=\"time\"><input type=\"radio\"{id} name=\"slot\" value=\"{}\"{checked}{invalid}> {}</label>",
            escape_html(&slot.value),
            escape_html(&slot.label)
        );
    }
    html.push_str("      </fieldset>\n");
    let _ = writeln!(
        html,
        "      <div class=\"submit-bar\"><button type=\"submit\" class=\"primary\">{submit}</button></div>"
    );
    html.push_str("    </form>\n  </details>\n");
}

#[cfg(test)]
mod tests {
    use super::super::SlotOption;
    use super::*;

    fn grid(days: Vec<Day>, visitor_zone: Option<String>) -> Grid<'static> {
        Grid {
            service: "Consultation",
            days,
            any: true,
            prev: None,
            next: None,
            zone: String::new(),
            zone_abbreviation: String::new(),
            visitor_zone,
        }
    }

    fn day(label: &str, times: &[(&str, bool)], why: Option<Empty>, open: bool) -> Day {
        let slots: Vec<SlotOption> = times
            .iter()
            .map(|&(value, checked)| SlotOption { value: value.into(), label: value[11..].into(), checked })
            .collect();
        Day { date: String::new(), label: label.into(), free: slots.len(), slots, why, open }
    }

    const FORM: Form<'static> = Form { action: "/book/slot", csrf_token: "tok&en", token: None, invalid: false };

    #[test]
    fn each_day_is_a_line_and_the_open_one_a_form_of_its_times() {
        let days = vec![
            day("Mon, 3 Mar", &[], Some(Empty::Closed), false),
            day("Tue, 4 Mar", &[("2031-03-04T09:00", false), ("2031-03-04T09:30", true)], None, true),
            day("Wed, 5 Mar", &[("2031-03-05T09:00", false)], None, false),
        ];
        let html = grid(days, None).days_html("en", &FORM);
        assert!(html.starts_with("<div class=\"days\">"), "{html}");
        assert!(html.contains("<span class=\"day-label\">Mon, 3 Mar</span> <span class=\"day-count\">closed</span>"));
        assert!(html.contains("<details class=\"day\" name=\"day\" open>"), "the chosen day is open: {html}");
        assert_eq!(html.matches("<details").count(), 2, "one per day with times");
        // NOTE: escaped as Tera escapes it (`/` too); a browser reads it back.
        assert_eq!(html.matches("<form method=\"post\" action=\"/book/slot\" novalidate>").count(), 2);
        assert_eq!(html.matches("value=\"tok&amp;en\"").count(), 2, "each form its escaped token");
        assert!(html.contains("<input type=\"radio\" id=\"slot\" name=\"slot\" value=\"2031-03-04T09:00\"> 09:00"));
        assert!(html.contains("name=\"slot\" value=\"2031-03-04T09:30\" checked> 09:30"));
        assert_eq!(html.matches("id=\"slot\"").count(), 1, "only the open day's first time");
        assert!(!html.contains("name=\"token\"") && !html.contains("aria-invalid"));
        assert_eq!(html.matches(">Continue</button>").count(), 2);
    }

    #[test]
    fn the_reschedule_page_posts_the_token_and_a_refusal_marks_every_time() {
        let days = vec![day("Tue", &[("2031-03-04T09:00", false)], None, true)];
        let form = Form { action: "/booking/AB/reschedule", token: Some("t0k"), invalid: true, ..FORM };
        let html = grid(days, Some("New York".into())).days_html("de", &form);
        assert!(html.starts_with("<div class=\"days two-zones\">"), "{html}");
        assert!(html.contains("<input type=\"hidden\" name=\"token\" value=\"t0k\">"));
        assert!(html.contains("<fieldset class=\"times\" aria-describedby=\"slot-error\">"));
        assert!(html.contains("value=\"2031-03-04T09:00\" aria-invalid=\"true\">"));
        assert!(html.contains(&format!(">{}</button>", escape_html(&t("de", "reschedule-submit")))));
        assert!(html.contains(&escape_html(&t_args("de", "slot-day-free", &[("count", 1.into())]))));
    }
}
