-- Webhook deliveries (SPEC §7): one row per booking event and subscribed URL,
-- stored in the same transaction as the booking change and POSTed by a sender
-- task of the running app, on the emails' retry schedule (§2c).
--
-- NOTE: number 11, not 10: another branch (issue 25) may add a migration 10.
CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    event_id        TEXT    NOT NULL,            -- the body's `id` and `Slotwise-Event-Id`: the same on every attempt
    event           TEXT    NOT NULL,            -- booking.created | booking.moved | booking.cancelled
    reference       TEXT    NOT NULL,            -- the booking it is about
    url             TEXT    NOT NULL,            -- the [[webhooks]] url it goes to (its secret is read at send time)
    sealed          TEXT    NOT NULL,            -- the body without contact details, AES-256-GCM under a key derived
                                                 -- from secret_key; '' once delivered
    contact         TEXT    NOT NULL,            -- name, email, phone, notes, sealed apart; '' once delivered or erased
    status          TEXT    NOT NULL,            -- pending | sent | failed
    due_at          BIGINT  NOT NULL,            -- unix ms: when it was stored
    next_attempt_at BIGINT  NOT NULL,            -- unix ms: due_at, then after each failure the back-off
    attempts        BIGINT  NOT NULL,            -- delivery attempts so far
    last_error      TEXT    NOT NULL,            -- why the last attempt failed ('' if none)
    claimed_until   BIGINT  NOT NULL,            -- unix ms: an instance is delivering it until then (its lease)
    created_at      BIGINT  NOT NULL,
    sent_at         BIGINT                       -- NULL until delivered
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_reference ON webhook_deliveries (reference);
