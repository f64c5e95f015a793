-- Bookings, holds and the lock row that serialises booking transactions.
-- All times are unix milliseconds (UTC).

CREATE TABLE bookings (
    id                BIGSERIAL PRIMARY KEY,
    reference         TEXT    NOT NULL UNIQUE,   -- shown to the visitor, e.g. "K7Q-M3XP"
    flow_id           TEXT    NOT NULL UNIQUE,   -- the wizard flow that made it: a second confirm finds it
    service_id        TEXT    NOT NULL,
    starts_at         BIGINT  NOT NULL,
    ends_at           BIGINT  NOT NULL,          -- end of the appointment itself
    busy_until        BIGINT  NOT NULL,          -- ends_at plus the service's buffer: what capacity counts
    name              TEXT    NOT NULL,
    email             TEXT    NOT NULL,
    phone             TEXT    NOT NULL,
    notes             TEXT    NOT NULL,
    lang              TEXT    NOT NULL,          -- language of the emails about it
    cancel_token_hash TEXT    NOT NULL,          -- SHA-256 of the token in the cancellation link
    created_at        BIGINT  NOT NULL,
    cancelled_at      BIGINT                     -- NULL while the booking stands
);
CREATE INDEX bookings_span ON bookings (starts_at, busy_until);

-- A slot held for a visitor between choosing it and confirming; one per flow.
CREATE TABLE holds (
    flow_id    TEXT    PRIMARY KEY,
    starts_at  BIGINT  NOT NULL,
    busy_until BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX holds_span ON holds (starts_at, busy_until);

-- Every booking transaction first updates this row: on SQLite that takes the
-- write lock before anything is read; on PostgreSQL the row lock queues
-- transactions of every app instance one behind the other.
CREATE TABLE locks (
    name    TEXT    PRIMARY KEY,
    counter BIGINT  NOT NULL
);
INSERT INTO locks (name, counter) VALUES ('booking', 0);
