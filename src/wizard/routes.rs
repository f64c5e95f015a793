//! The wizard's routes. Each handler: admit the visitor to its step (else
//! `303` to the first incomplete one), validate, call into the booking and
//! code modules, store the state, redirect (or re-render with `422`).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use rand::rngs::OsRng;
use rand::RngCore;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{Redirect, Responder};
use rocket_dyn_templates::context;
use serde::Serialize;
use serde_json::{json, Value};

use super::state::{Details, Step, WizardState};
use super::{DONE_KEY, STATE_KEY};
use crate::booking::availability::{self, Busy};
use crate::booking::store::{self, Confirmed, NewBooking};
use crate::config::Service;
use crate::config::Settings;
use crate::db::Db;
use crate::i18n::{format_date, format_datetime, t, t_args};
use crate::mail::{Appointment, Notifier, Recipient};
use crate::otp::{Check, Codes, SendRefused};
use crate::secrets::{sha256_hex, Secrets};
use crate::session::CsrfForm;
use crate::web::{error_page, Page, View};

/// What a wizard handler answers.
#[derive(Responder)]
pub enum Reply {
    /// `303` somewhere.
    Redirect(Redirect),
    /// A page with its status.
    Page((Status, View)),
}

type Result<T = Reply> = std::result::Result<T, Reply>;

/// Everything a wizard handler needs, loaded once.
pub struct Ctx<'r> {
    page: Page<'r>,
    settings: &'r Settings,
    db: &'r Db,
    secrets: &'r Secrets,
    notifier: &'r Notifier,
    state: WizardState,
    /// The session holds `state` (it did at load, or `save` stored it).
    stored: bool,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Ctx<'r> {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let page = match req.guard::<Page<'r>>().await {
            Outcome::Success(page) => page,
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(s) => return Outcome::Forward(s),
        };
        let rocket = req.rocket();
        let (Some(settings), Some(db), Some(secrets), Some(notifier)) =
            (rocket.state::<Settings>(), rocket.state::<Db>(), rocket.state::<Secrets>(), rocket.state::<Notifier>())
        else {
            return Outcome::Error((Status::InternalServerError, "app not configured"));
        };
        let stored = page.session.get::<WizardState>(STATE_KEY);
        let (stored, state) = (stored.is_some(), stored.unwrap_or_default());
        Outcome::Success(Ctx { page, settings, db, secrets, notifier, state, stored })
    }
}

/// One entry of the wizard's step list (`steps` in templates).
#[derive(Serialize)]
struct StepLink {
    number: usize,
    path: String,
    /// `done`, `current` or `todo`.
    status: &'static str,
    label: String,
}

/// Logs an internal failure and answers the translated `500` page.
fn internal(ctx: &Ctx<'_>, what: &str, e: impl std::fmt::Display) -> Reply {
    rocket::error!("{what}: {e}");
    Reply::Page(error_page(&ctx.page, Status::InternalServerError, None))
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

impl<'r> Ctx<'r> {
    fn t(&self, key: &str) -> String {
        t(&self.page.lang, key)
    }

    fn first(&self) -> Reply {
        Reply::Redirect(Redirect::to(self.state.first_incomplete().path()))
    }

    fn admit(&self, step: Step) -> Result<()> {
        if self.state.admits(step) {
            Ok(())
        } else {
            Err(self.first())
        }
    }

    fn save(&mut self) -> Result<()> {
        if self.state.flow_id.is_empty() {
            self.state.flow_id = random_token(16);
        }
        self.page.session.insert(STATE_KEY, &self.state).map_err(|e| internal(self, "saving the wizard", e))?;
        self.stored = true;
        Ok(())
    }

    /// The current step for templates (`page.session.step`): the one the
    /// session's wizard state points to, without reading it again.
    fn current_step(&self) -> Option<&'static str> {
        self.stored.then(|| self.state.first_incomplete().name())
    }

    fn service(&self) -> Option<&'r Service> {
        self.state.service.as_deref().and_then(|id| self.settings.booking.service(id))
    }

    fn slot(&self) -> Option<DateTime<Utc>> {
        self.state.slot.and_then(DateTime::from_timestamp_millis)
    }

    fn codes(&self) -> Codes<'r> {
        Codes { config: &self.settings.otp, secrets: self.secrets, pool: &self.db.pool }
    }

    fn steps(&self, current: Step) -> Vec<StepLink> {
        let first = self.state.first_incomplete();
        Step::ALL
            .iter()
            .enumerate()
            .map(|(i, step)| StepLink {
                number: i + 1,
                path: step.path(),
                status: if *step == current {
                    "current"
                } else if *step < first {
                    "done"
                } else {
                    "todo"
                },
                label: self.t(&format!("step-{}", step.name())),
            })
            .collect()
    }

    /// Renders `step` with `extra` merged into the context.
    fn render(&self, step: Step, status: Status, extra: Value) -> Reply {
        let mut ctx = json!({
            "page": self.page.view_with_step(self.current_step()),
            "steps": self.steps(step),
            "step_number": Step::ALL.iter().position(|s| *s == step).unwrap_or(0) + 1,
            "step_count": Step::ALL.len(),
            "step_name": step.name(),
            "errors": {},
            "values": {},
        });
        if let (Some(map), Value::Object(extra)) = (ctx.as_object_mut(), extra) {
            map.extend(extra);
        }
        Reply::Page((status, View::from_json(step.name(), ctx)))
    }

    /// The appointment being booked, for emails and summaries.
    fn appointment(&self) -> Option<Appointment<'r>> {
        let service = self.service()?;
        let start = self.slot()?;
        Some(Appointment {
            service: service.name_in(&self.page.lang),
            starts_at: start,
            ends_at: start + Duration::minutes(service.duration_minutes.into()),
            tz: self.settings.booking.tz(),
        })
    }

    async fn busy_around(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> sqlx::Result<Vec<Busy>> {
        store::busy(&self.db.pool, from, to, &self.state.flow_id).await
    }

    fn fits(&self, service: &Service, start: DateTime<Utc>, busy: &[Busy]) -> bool {
        availability::is_bookable(&self.settings.booking, service, start, now(), busy)
    }

    /// Holds `start` for this flow (when holds are on); false if it is not free.
    async fn hold(&self, service: &Service, start: DateTime<Utc>) -> sqlx::Result<bool> {
        let booking = &self.settings.booking;
        if booking.hold_minutes == 0 {
            let span = availability::busy_span(service, start);
            let busy = self.busy_around(span.start, span.end).await?;
            return Ok(self.fits(service, start, &busy));
        }
        let expires = now() + Duration::minutes(booking.hold_minutes.into());
        let span = availability::busy_span(service, start);
        let mut writer = self.db.durable_writer().await?;
        let placed =
            store::hold(&mut writer, &self.state.flow_id, span, expires, |busy| self.fits(service, start, busy))
                .await?;
        writer.finish();
        Ok(placed)
    }

    /// Releases this flow's hold, if any.
    async fn release(&self) -> sqlx::Result<()> {
        let mut writer = self.db.durable_writer().await?;
        store::release(&mut writer, &self.state.flow_id).await?;
        writer.finish();
        Ok(())
    }
}

/// `len` random bytes from the OS, base64url.
pub fn random_token(len: usize) -> String {
    use base64::Engine;
    let mut bytes = vec![0u8; len];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn errors_json(errors: &BTreeMap<&'static str, String>) -> Value {
    json!(errors)
}

/// `GET /book`: to the first step not yet completed.
#[rocket::get("/book")]
fn book(ctx: Ctx<'_>) -> Reply {
    ctx.first()
}

// ---------------------------------------------------------------- service

#[derive(FromForm)]
struct ServiceForm {
    service: Option<String>,
}

fn service_page(ctx: &Ctx<'_>, status: Status, selected: Option<&str>, errors: Value) -> Reply {
    let services: Vec<Value> = ctx
        .settings
        .booking
        .services
        .iter()
        .map(|s| {
            json!({ "id": s.id, "name": s.name_in(&ctx.page.lang), "checked": Some(s.id.as_str()) == selected,
                    "duration": t_args(&ctx.page.lang, "service-duration",
                        &[("minutes", FluentValue::from(s.duration_minutes.to_string()))]) })
        })
        .collect();
    ctx.render(Step::Service, status, json!({ "services": services, "errors": errors }))
}

#[rocket::get("/book/service")]
fn service_get(ctx: Ctx<'_>) -> Reply {
    service_page(&ctx, Status::Ok, ctx.state.service.as_deref(), json!({}))
}

#[rocket::post("/book/service", data = "<form>")]
async fn service_post(mut ctx: Ctx<'_>, form: CsrfForm<ServiceForm>) -> Reply {
    let chosen = form.value.and_then(|f| f.service).and_then(|id| ctx.settings.booking.service(&id));
    let Some(service) = chosen else {
        let errors = json!({ "service": ctx.t("err-service") });
        return service_page(&ctx, Status::UnprocessableEntity, None, errors);
    };
    if ctx.state.flow_id.is_empty() {
        ctx.state.flow_id = random_token(16);
    }
    if ctx.state.service.as_deref() != Some(service.id.as_str()) {
        ctx.state.service = Some(service.id.clone());
        // A new service keeps the slot only if it still fits (and re-holds it).
        if let Some(start) = ctx.slot() {
            match ctx.hold(service, start).await {
                Ok(true) => {}
                Ok(false) => {
                    ctx.state.slot = None;
                    if let Err(e) = ctx.release().await {
                        return internal(&ctx, "releasing a hold", e);
                    }
                }
                Err(e) => return internal(&ctx, "holding a slot", e),
            }
        }
    }
    if let Err(reply) = ctx.save() {
        return reply;
    }
    ctx.first()
}

// ------------------------------------------------------------------- slot

/// Days shown on one slot page.
const DAYS_PER_PAGE: i64 = 7;

async fn slot_page(
    ctx: &Ctx<'_>,
    status: Status,
    date: Option<NaiveDate>,
    errors: Value,
    notice: Option<String>,
) -> Reply {
    let Some(service) = ctx.service() else { return ctx.first() };
    let booking = &ctx.settings.booking;
    let tz = booking.tz();
    let now = now();
    let (first_day, last_day) = availability::horizon(booking, now);
    let held = ctx.slot();
    let start_day = date
        .or_else(|| held.map(|h| h.with_timezone(&tz).date_naive()))
        .unwrap_or(first_day)
        .clamp(first_day, last_day);
    let end_day = (start_day + Duration::days(DAYS_PER_PAGE - 1)).min(last_day);
    let from = now;
    let to = now + Duration::days((end_day - first_day).num_days() + 3);
    let busy = match ctx.busy_around(from, to).await {
        Ok(busy) => busy,
        Err(e) => return internal(ctx, "loading availability", e),
    };
    let mut days = Vec::new();
    let mut day = start_day;
    while day <= end_day {
        let slots: Vec<Value> = availability::day_slots(booking, service, day, now, &busy)
            .into_iter()
            .map(|s| json!({ "value": s.value, "label": s.label, "checked": Some(s.start) == held }))
            .collect();
        days.push(json!({ "date": day.to_string(), "label": format_date(&ctx.page.lang, day), "slots": slots }));
        day += Duration::days(1);
    }
    let prev = (start_day > first_day).then(|| (start_day - Duration::days(DAYS_PER_PAGE)).max(first_day).to_string());
    let next = (end_day < last_day).then(|| (end_day + Duration::days(1)).to_string());
    let context = json!({
        "service": service.name_in(&ctx.page.lang),
        "days": days,
        "any": days.iter().any(|d| d["slots"].as_array().is_some_and(|s| !s.is_empty())),
        "prev": prev,
        "next": next,
        "errors": errors,
        "notice": notice,
        "zone": tz.name(),
    });
    ctx.render(Step::Slot, status, context)
}

#[rocket::get("/book/slot?<date>")]
async fn slot_get(ctx: Ctx<'_>, date: Option<&str>) -> Reply {
    if let Err(r) = ctx.admit(Step::Slot) {
        return r;
    }
    let date = date.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    slot_page(&ctx, Status::Ok, date, json!({}), None).await
}

#[derive(FromForm)]
struct SlotForm {
    slot: Option<String>,
}

#[rocket::post("/book/slot", data = "<form>")]
async fn slot_post(mut ctx: Ctx<'_>, form: CsrfForm<SlotForm>) -> Reply {
    if let Err(r) = ctx.admit(Step::Slot) {
        return r;
    }
    let Some(service) = ctx.service() else { return ctx.first() };
    let tz = ctx.settings.booking.tz();
    let value = form.value.and_then(|f| f.slot).unwrap_or_default();
    let Some(start) = availability::parse_slot_value(tz, value.trim()) else {
        let errors = json!({ "slot": ctx.t("err-slot-invalid") });
        return slot_page(&ctx, Status::UnprocessableEntity, None, errors, None).await;
    };
    let held = match ctx.hold(service, start).await {
        Ok(held) => held,
        Err(e) => return internal(&ctx, "holding a slot", e),
    };
    if !held {
        let errors = json!({ "slot": ctx.t("err-slot-unavailable") });
        let day = start.with_timezone(&tz).date_naive();
        return slot_page(&ctx, Status::UnprocessableEntity, Some(day), errors, None).await;
    }
    ctx.state.slot = Some(start.timestamp_millis());
    if let Err(reply) = ctx.save() {
        return reply;
    }
    ctx.first()
}

// ---------------------------------------------------------------- details

/// Validates the details form; errors are message ids by field.
pub fn validate_details(
    raw: &BTreeMap<String, String>,
) -> std::result::Result<Details, BTreeMap<&'static str, &'static str>> {
    let get = |k: &str| raw.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let (name, email, phone, notes) = (get("name"), get("email"), get("phone"), get("notes"));
    let mut errors = BTreeMap::new();
    let len = |s: &str| s.chars().count();
    if name.is_empty() {
        errors.insert("name", "err-required");
    } else if len(&name) > 100 || name.chars().any(char::is_control) {
        errors.insert("name", "err-name-too-long");
    }
    if email.is_empty() {
        errors.insert("email", "err-required");
    } else if len(&email) > 254 {
        errors.insert("email", "err-email-too-long");
    } else if email.parse::<lettre::Address>().is_err() {
        errors.insert("email", "err-email-invalid");
    }
    if len(&phone) > 32 {
        errors.insert("phone", "err-phone-too-long");
    } else if !phone.chars().all(|c| c.is_ascii_digit() || " +-()/.".contains(c)) {
        errors.insert("phone", "err-phone-invalid");
    }
    if len(&notes) > 1000 {
        errors.insert("notes", "err-notes-too-long");
    }
    if errors.is_empty() {
        Ok(Details { name, email, phone, notes })
    } else {
        Err(errors)
    }
}

fn details_page(ctx: &Ctx<'_>, status: Status, values: Value, errors: Value) -> Reply {
    ctx.render(Step::Details, status, json!({ "values": values, "errors": errors }))
}

#[rocket::get("/book/details")]
fn details_get(ctx: Ctx<'_>) -> Reply {
    if let Err(r) = ctx.admit(Step::Details) {
        return r;
    }
    let values = ctx.state.details.as_ref().map(|d| json!(d)).unwrap_or(json!({}));
    details_page(&ctx, Status::Ok, values, json!({}))
}

/// Why a code could not be sent.
enum SendFailure {
    Refused(SendRefused),
    Mail,
}

fn send_failure_message(ctx: &Ctx<'_>, failure: &SendFailure) -> (Status, String) {
    match failure {
        SendFailure::Refused(SendRefused::Cooldown(secs)) => (
            Status::TooManyRequests,
            t_args(&ctx.page.lang, "err-cooldown", &[("seconds", FluentValue::from(secs.to_string()))]),
        ),
        SendFailure::Refused(SendRefused::MaxSends) => (Status::TooManyRequests, ctx.t("err-max-sends")),
        SendFailure::Mail => (Status::ServiceUnavailable, ctx.t("err-mail-failed")),
    }
}

/// Sends a fresh code to the details' address (limits permitting).
async fn send_code(
    ctx: &Ctx<'_>,
    state: &WizardState,
) -> std::result::Result<std::result::Result<(), SendFailure>, Reply> {
    let (Some(details), Some(appointment)) = (state.details.as_ref(), ctx.appointment()) else {
        return Ok(Err(SendFailure::Mail));
    };
    let codes = ctx.codes();
    let reserved = match codes.reserve(&state.flow_id, &details.email).await {
        Ok(Ok(reserved)) => reserved,
        Ok(Err(refused)) => return Ok(Err(SendFailure::Refused(refused))),
        Err(e) => return Err(internal(ctx, "reserving a code", e)),
    };
    let to = Recipient { name: &details.name, email: &details.email, lang: &ctx.page.lang };
    let ttl_minutes = ctx.settings.otp.ttl_secs.get().div_ceil(60);
    let sent = ctx.notifier.code(&to, &reserved.code, ttl_minutes, &appointment).await;
    match sent {
        Ok(()) => Ok(Ok(())),
        Err(_) => {
            if let Err(e) = codes.refund(&state.flow_id, &reserved).await {
                return Err(internal(ctx, "refunding a code", e));
            }
            Ok(Err(SendFailure::Mail))
        }
    }
}

#[rocket::post("/book/details", data = "<form>")]
async fn details_post(mut ctx: Ctx<'_>, form: CsrfForm<Empty>) -> Reply {
    if let Err(r) = ctx.admit(Step::Details) {
        return r;
    }
    let values = json!({
        "name": form.raw("name"), "email": form.raw("email"), "phone": form.raw("phone"), "notes": form.raw("notes"),
    });
    let details = match validate_details(&form.raw) {
        Ok(details) => details,
        Err(errors) => {
            let errors: BTreeMap<&str, String> = errors.into_iter().map(|(f, id)| (f, ctx.t(id))).collect();
            return details_page(&ctx, Status::UnprocessableEntity, values, errors_json(&errors));
        }
    };
    let mut next = ctx.state.clone();
    next.set_details(details.clone());
    if !next.is_verified() {
        let live = match ctx.codes().has_live_code(&next.flow_id, &details.email).await {
            Ok(live) => live,
            Err(e) => return internal(&ctx, "looking up a code", e),
        };
        if !live {
            match send_code(&ctx, &next).await {
                Ok(Ok(())) => {}
                Ok(Err(failure)) => {
                    let (status, message) = send_failure_message(&ctx, &failure);
                    return details_page(&ctx, status, values, json!({ "email": message }));
                }
                Err(reply) => return reply,
            }
        }
    }
    ctx.state = next;
    if let Err(reply) = ctx.save() {
        return reply;
    }
    ctx.first()
}

// ----------------------------------------------------------------- verify

fn verify_page(ctx: &Ctx<'_>, status: Status, error: Option<String>, notice: Option<String>) -> Reply {
    let email = ctx.state.details.as_ref().map(|d| d.email.clone()).unwrap_or_default();
    ctx.render(
        Step::Verify,
        status,
        json!({ "email": email, "errors": error.map(|e| json!({ "code": e })).unwrap_or(json!({})),
                "notice": notice, "length": ctx.settings.otp.length }),
    )
}

#[rocket::get("/book/verify")]
fn verify_get(ctx: Ctx<'_>) -> Reply {
    if let Err(r) = ctx.admit(Step::Verify) {
        return r;
    }
    if ctx.state.is_verified() {
        return ctx.first();
    }
    verify_page(&ctx, Status::Ok, None, None)
}

#[derive(FromForm)]
struct CodeForm {
    code: Option<String>,
}

#[rocket::post("/book/verify", data = "<form>")]
async fn verify_post(mut ctx: Ctx<'_>, form: CsrfForm<CodeForm>) -> Reply {
    if let Err(r) = ctx.admit(Step::Verify) {
        return r;
    }
    let Some(email) = ctx.state.details.as_ref().map(|d| d.email.clone()) else { return ctx.first() };
    if ctx.state.is_verified() {
        return ctx.first();
    }
    let code: String =
        form.value.and_then(|f| f.code).unwrap_or_default().chars().filter(|c| !c.is_whitespace()).collect();
    let check = match ctx.codes().check(&ctx.state.flow_id, &email, &code).await {
        Ok(check) => check,
        Err(e) => return internal(&ctx, "checking a code", e),
    };
    let lang = ctx.page.lang.clone();
    let (status, message) = match check {
        Check::Verified => {
            ctx.state.verified_email = Some(email);
            if let Err(reply) = ctx.save() {
                return reply;
            }
            // NOTE: new privilege, new id (against session fixation).
            ctx.page.session.cycle_id();
            return Reply::Redirect(Redirect::to(Step::Confirm.path()));
        }
        Check::Wrong(left) => {
            (Status::UnprocessableEntity, t_args(&lang, "err-code-wrong", &[("tries", FluentValue::from(left))]))
        }
        Check::Exhausted => (Status::TooManyRequests, t(&lang, "err-code-exhausted")),
        Check::Expired => (Status::UnprocessableEntity, t(&lang, "err-code-expired")),
        Check::NoCode => (Status::UnprocessableEntity, t(&lang, "err-code-none")),
    };
    verify_page(&ctx, status, Some(message), None)
}

/// A form with no fields of its own (the CSRF token is checked by the guard).
#[derive(FromForm)]
struct Empty {
    #[allow(dead_code)]
    csrf_token: Option<String>,
}

#[rocket::post("/book/verify/resend", data = "<_form>")]
async fn resend(ctx: Ctx<'_>, _form: CsrfForm<Empty>) -> Reply {
    if let Err(r) = ctx.admit(Step::Verify) {
        return r;
    }
    if ctx.state.details.is_none() || ctx.state.is_verified() {
        return ctx.first();
    }
    match send_code(&ctx, &ctx.state).await {
        Ok(Ok(())) => Reply::Redirect(Redirect::to(Step::Verify.path())),
        Ok(Err(failure)) => {
            let (status, message) = send_failure_message(&ctx, &failure);
            verify_page(&ctx, status, Some(message), None)
        }
        Err(reply) => reply,
    }
}

// ---------------------------------------------------------------- confirm

fn summary(ctx: &Ctx<'_>) -> Value {
    let (Some(service), Some(start), Some(details)) = (ctx.service(), ctx.slot(), ctx.state.details.as_ref()) else {
        return json!({});
    };
    json!({
        "service": service.name_in(&ctx.page.lang),
        "when": format_datetime(&ctx.page.lang, ctx.settings.booking.tz(), start),
        "duration": t_args(&ctx.page.lang, "service-duration", &[("minutes", FluentValue::from(service.duration_minutes.to_string()))]),
        "name": details.name, "email": details.email, "phone": details.phone, "notes": details.notes,
    })
}

#[rocket::get("/book/confirm")]
fn confirm_get(ctx: Ctx<'_>) -> Reply {
    if let Err(r) = ctx.admit(Step::Confirm) {
        return r;
    }
    ctx.render(Step::Confirm, Status::Ok, json!({ "summary": summary(&ctx) }))
}

/// Short, unambiguous booking references: `XXXX-XXXX` without 0/O/1/I/L/U.
pub fn booking_reference() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ23456789";
    let mut bytes = [0u8; 8];
    OsRng.fill_bytes(&mut bytes);
    let chars: String = bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

#[rocket::post("/book/confirm", data = "<_form>")]
async fn confirm_post(mut ctx: Ctx<'_>, _form: CsrfForm<Empty>) -> Reply {
    if let Err(r) = ctx.admit(Step::Confirm) {
        return r;
    }
    let (Some(service), Some(start), Some(details)) = (ctx.service(), ctx.slot(), ctx.state.details.clone()) else {
        return ctx.first();
    };
    let span = availability::busy_span(service, start);
    let token = random_token(24);
    let token_hash = sha256_hex(&token);
    let mut outcome = None;
    for _ in 0..3 {
        let reference = booking_reference();
        let booking = NewBooking {
            reference: &reference,
            flow_id: &ctx.state.flow_id,
            service_id: &service.id,
            starts_at: start,
            ends_at: start + Duration::minutes(service.duration_minutes.into()),
            busy_until: span.end,
            name: &details.name,
            email: &details.email,
            phone: &details.phone,
            notes: &details.notes,
            lang: &ctx.page.lang,
            cancel_token_hash: &token_hash,
        };
        let confirmed = async {
            let mut writer = ctx.db.durable_writer().await?;
            let confirmed = store::confirm(&mut writer, &booking, |busy| ctx.fits(service, start, busy)).await?;
            writer.finish();
            Ok::<_, sqlx::Error>(confirmed)
        };
        match confirmed.await {
            Ok(result) => {
                outcome = Some((result, reference));
                break;
            }
            // NOTE: a reference collision violates its unique index: draw again.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => continue,
            Err(e) => return internal(&ctx, "confirming a booking", e),
        }
    }
    let Some((result, reference)) = outcome else { return internal(&ctx, "confirming a booking", "no free reference") };
    let reference = match result {
        Confirmed::Taken => {
            ctx.state.slot = None;
            if let Err(e) = ctx.release().await {
                return internal(&ctx, "releasing a hold", e);
            }
            if let Err(reply) = ctx.save() {
                return reply;
            }
            return slot_page(&ctx, Status::Conflict, None, json!({}), Some(ctx.t("err-slot-taken"))).await;
        }
        Confirmed::Already(existing) => existing,
        Confirmed::New => {
            let url = format!("{}/booking/{}?token={}", ctx.settings.mail.public_base(), reference, token);
            if let Some(appointment) = ctx.appointment() {
                let to = Recipient { name: &details.name, email: &details.email, lang: &ctx.page.lang };
                // NOTE: a failure is logged by the notifier; the booking stands
                // and the visitor sees the reference.
                let _ = ctx.notifier.confirmation(&to, &reference, &appointment, &url).await;
            }
            reference
        }
    };
    let session = ctx.page.session;
    session.remove(STATE_KEY);
    if let Err(e) = session.insert(DONE_KEY, &reference) {
        return internal(&ctx, "saving the reference", e);
    }
    session.cycle_id();
    Reply::Redirect(Redirect::to("/book/done"))
}

#[rocket::get("/book/done")]
fn done(ctx: Ctx<'_>) -> Reply {
    match ctx.page.session.get::<String>(DONE_KEY) {
        Some(reference) => {
            let page = ctx.page.view_with_step(ctx.current_step());
            Reply::Page((Status::Ok, View::render("done", context! { page, reference })))
        }
        None => ctx.first(),
    }
}

#[rocket::post("/book/cancel", data = "<_form>")]
async fn cancel(ctx: Ctx<'_>, _form: CsrfForm<Empty>) -> Reply {
    if !ctx.state.flow_id.is_empty() {
        if let Err(e) = ctx.release().await {
            return internal(&ctx, "releasing a hold", e);
        }
    }
    ctx.page.session.remove(STATE_KEY);
    Reply::Redirect(Redirect::to("/"))
}

/// The wizard's routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        book,
        service_get,
        service_post,
        slot_get,
        slot_post,
        details_get,
        details_post,
        verify_get,
        verify_post,
        resend,
        confirm_get,
        confirm_post,
        done,
        cancel
    ]
}
