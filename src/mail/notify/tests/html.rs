//! The HTML parts as a patient's mail client shows them: one layout for
//! every kind, the booking's page as a button and as a link that wraps, the
//! practice in the footer. (How they look at 360 px: the browser test.)

use super::*;

const URL: &str = "https://book.example.test/booking/ABCD-EFGH?token=tok&x=1";
/// [`URL`] as the HTML writes it: only `&` escaped.
const HREF: &str = "https://book.example.test/booking/ABCD-EFGH?token=tok&amp;x=1";

/// Every kind in `lang`, sent and decoded: (kind, email).
async fn every_kind(outbox: &Outbox, lang: &str) -> Vec<(&'static str, Sent)> {
    let (to, appointment, n) = (to(lang), appointment("Consultation"), &outbox.notifier);
    let mut sent = Vec::new();
    n.code(&to, "482913", 10, &appointment).await.expect("code");
    sent.push(("code", decode(&outbox.take())));
    let messages = [
        ("confirmation", n.confirmation_message(&to, "ABCD-EFGH", &appointment, URL)),
        ("moved", n.moved_message(&to, "ABCD-EFGH", (&appointment, &appointment), URL, 1)),
        ("reminder", n.reminder_message(&to, "ABCD-EFGH", &appointment, URL)),
        ("cancellation", n.cancellation_message(&to, "ABCD-EFGH", &appointment, 0)),
    ];
    for (kind, message) in messages {
        n.mailer().send(message.expect("rendered")).await.expect("sent");
        sent.push((kind, decode(&outbox.take())));
    }
    sent
}

#[tokio::test]
async fn the_booking_page_is_a_button_and_a_link_that_wraps() {
    let outbox = Outbox::new();
    for lang in LANGS {
        for (kind, sent) in every_kind(&outbox, lang).await {
            let anchors = sent.html.matches(&format!("<a href=\"{HREF}\"")).count();
            if matches!(kind, "code" | "cancellation") {
                assert_eq!(anchors, 0, "{kind} has nothing to manage");
                continue;
            }
            assert_eq!(anchors, 2, "{kind} in {lang}: a button and a link:\n{}", sent.html);
            let button = format!("text-decoration:none;\">{}</a>", t(lang, "mail-manage-button"));
            assert!(sent.html.contains(&button), "{kind} in {lang}: the button:\n{}", sent.html);
            let link = format!("word-break:break-all;overflow-wrap:anywhere;\">{HREF}</a>");
            assert!(sent.html.contains(&link), "{kind} in {lang}: the link as text that wraps:\n{}", sent.html);
            assert!(!sent.html.contains("&#x2F;"), "{kind}: no entity-encoded slashes:\n{}", sent.html);
            let said = t_args(lang, "mail-confirm-cancel", &args(&[("url", URL)]));
            assert!(sent.text.contains(&said), "{kind} in {lang}: the text part keeps the link:\n{}", sent.text);
        }
    }
}

#[test]
fn the_emails_say_see_move_or_cancel() {
    assert_eq!(t("en", "mail-manage-button"), "See, move or cancel your booking");
    let url = args(&[("url", URL)]);
    assert!(t_args("en", "mail-confirm-cancel", &url).starts_with("To see, move or cancel your booking"));
    assert_eq!(t("de", "mail-manage-button"), "Buchung ansehen, verschieben oder absagen");
    assert!(t_args("de", "mail-confirm-cancel", &url).starts_with("Buchung ansehen, verschieben oder absagen"));
}

#[tokio::test]
async fn every_kind_shares_one_layout_safe_for_mail_clients() {
    let outbox = Outbox::new();
    for lang in LANGS {
        for (kind, sent) in every_kind(&outbox, lang).await {
            let html = &sent.html;
            assert!(html.starts_with("<!doctype html>\n<html lang="), "{kind}: {html}");
            assert!(
                html.contains(&format!("<title>{}</title>", crate::templating::escape_html(&sent.subject))),
                "{kind}: {html}"
            );
            assert!(html.contains("max-width:560px"), "{kind}: one narrow card: {html}");
            assert!(html.contains("<table role=\"presentation\""), "{kind}: a table frame: {html}");
            for absent in ["<style", "<link", "<script", "class="] {
                assert!(!html.contains(absent), "{kind}: {absent} is no use in a mail client: {html}");
            }
            let footer = html.rsplit("border-top:1px solid").next().expect("a footer");
            assert!(footer.starts_with(" #d5d8dc;font-size:14px;color:#5b6166;\">Praxis Weber"), "{kind}: {footer}");
            let full = kind != "code";
            for contact in
                ["Hauptstraße 1, 10115 Berlin", "href=\"tel:+49301234567\"", "href=\"mailto:info@praxis.test\""]
            {
                assert_eq!(footer.contains(contact), full, "{kind}: {contact} in {footer}");
            }
        }
    }
}
