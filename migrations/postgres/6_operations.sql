-- Operations (SPEC §7): the booking funnel and personal-data retention.

-- One row per flow and wizard step it reached: counted once per flow and
-- step, whichever instance saw it. `flow_hash` is an HMAC of the flow id
-- under the app secret, so a row links to no booking and no session.
CREATE TABLE funnel_steps (
    flow_hash TEXT    NOT NULL,
    step      INTEGER NOT NULL,     -- 0 service, 1 slot, 2 details, 3 verify, 4 confirm, 5 done
    day       TEXT    NOT NULL,     -- local date (booking.timezone) it was reached, YYYY-MM-DD
    PRIMARY KEY (flow_hash, step)
);
CREATE INDEX funnel_steps_day ON funnel_steps (day);

-- When a booking's contact details (name, email, phone, notes) were blanked,
-- by retention or `slotwise erase`; NULL while they are kept.
ALTER TABLE bookings ADD COLUMN erased_at BIGINT;
-- Retention walks the bookings it has yet to erase, oldest end first.
CREATE INDEX bookings_unerased_end ON bookings (ends_at) WHERE erased_at IS NULL;
-- ... and code rows (which hold an address) by their last send.
CREATE INDEX otp_codes_last_sent_at ON otp_codes (last_sent_at);

-- Erasures take this row first, so two instances never erase the same rows
-- at once (as the `booking` row does for bookings).
INSERT INTO locks (name, counter) VALUES ('erasure', 0);
