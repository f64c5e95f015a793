-- Emails that must never be lost (SPEC §2c): stored in the same transaction
-- as the change that causes them (a booking, a cancellation) and delivered
-- by a sender task of the running app, retrying until `mail.give_up_hours`.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL,            -- confirmation | cancellation | reminder
    reference       TEXT    NOT NULL,            -- the booking it is about
    message_id      TEXT    NOT NULL UNIQUE,     -- the Message-ID inside the message: stable across retries
    recipient       TEXT    NOT NULL,            -- the envelope's address
    sealed          TEXT    NOT NULL,            -- the formatted message, AES-256-GCM under a key derived from
                                                 -- secret_key (it carries the booking link); '' once sent
    status          TEXT    NOT NULL,            -- pending | sent | failed
    due_at          INTEGER  NOT NULL,            -- unix ms: when it may go (reminders: start minus lead time)
    next_attempt_at INTEGER  NOT NULL,            -- unix ms: due_at, then after each failure the back-off
    attempts        INTEGER  NOT NULL,            -- delivery attempts so far
    last_error      TEXT    NOT NULL,            -- why the last attempt failed ('' if none)
    claimed_until   INTEGER  NOT NULL,            -- unix ms: an instance is delivering it until then (its lease)
    created_at      INTEGER  NOT NULL,
    sent_at         INTEGER                       -- NULL until delivered
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_reference ON outbox (reference);
