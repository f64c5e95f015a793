-- Managing a booking from its link (SPEC §2b): each move raises the event's
-- SEQUENCE in the calendar files sent about it, so calendar clients replace
-- the event rather than add one.
ALTER TABLE bookings ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
