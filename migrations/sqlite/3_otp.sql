-- Emailed one-time codes, one row per booking flow. The code itself is never
-- stored: `code_hash` is an HMAC-SHA256 keyed with the app secret over
-- (flow, address, code), so a leaked row neither reveals the code nor lets
-- anyone test guesses offline without the secret. '' means no live code.
CREATE TABLE otp_codes (
    flow_id      TEXT    PRIMARY KEY NOT NULL,
    email        TEXT    NOT NULL,     -- the address the live code was sent to
    code_hash    TEXT    NOT NULL,
    expires_at   INTEGER NOT NULL,     -- unix ms
    attempts     INTEGER NOT NULL,     -- wrong tries on the live code
    sends        INTEGER NOT NULL,     -- codes sent in this flow, whatever the address
    last_sent_at INTEGER NOT NULL      -- unix ms of the last send (cooldown)
);
