-- The calendar rules: a buffer before each appointment, and daily caps that
-- count holds by service. All times are unix milliseconds (UTC).

-- The first instant a booking or hold occupies: its start minus the service's
-- buffer before. Capacity counts [busy_from, busy_until); the daily caps count
-- starts_at, the appointment's own start.
-- NOTE: SQLite adds a NOT NULL column only with a default. Every insert names
-- busy_from; rows from before this migration had no buffer before, so their
-- busy span starts at their start.
ALTER TABLE bookings ADD COLUMN busy_from INTEGER NOT NULL DEFAULT 0;
UPDATE bookings SET busy_from = starts_at;
CREATE INDEX bookings_busy ON bookings (busy_from, busy_until);

ALTER TABLE holds ADD COLUMN busy_from INTEGER NOT NULL DEFAULT 0;
UPDATE holds SET busy_from = starts_at;
CREATE INDEX holds_busy ON holds (busy_from, busy_until);

-- The held service, so that a service's daily cap counts its holds. Holds
-- placed before this migration ('') count toward the overall cap only; they
-- lapse within booking.hold_minutes.
ALTER TABLE holds ADD COLUMN service_id TEXT NOT NULL DEFAULT '';
