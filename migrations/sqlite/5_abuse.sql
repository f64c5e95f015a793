-- Limits that span sessions, flows and instances (SPEC §2d).
--
-- One row per counted code email, under a key that names what is limited:
-- the SHA-256 of "address:<email>" or of "client:<ip>" (no address or IP is
-- stored in the clear). A limit is a sliding window: the events of a key
-- newer than the window are counted.
CREATE TABLE abuse_events (
    id  INTEGER PRIMARY KEY,
    key TEXT    NOT NULL,
    at  INTEGER NOT NULL              -- unix ms
);
CREATE INDEX abuse_events_key ON abuse_events (key, at);
CREATE INDEX abuse_events_at ON abuse_events (at);

-- One row per key, updated first by every check of that key: the row lock
-- (PostgreSQL) or write lock (SQLite) that makes check-and-count atomic.
CREATE TABLE abuse_keys (
    key        TEXT    PRIMARY KEY NOT NULL,
    touched_at INTEGER NOT NULL       -- unix ms; keys untouched for a day are purged
);

-- The client that placed a hold (its IP), for `abuse.holds_per_client`.
ALTER TABLE holds ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX holds_client ON holds (client);
