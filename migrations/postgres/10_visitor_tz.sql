-- The visitor's own time zone (SPEC §3, rev 3): the IANA name of the zone
-- the visitor had chosen when they made or last moved the booking, when it
-- differs from the practice's; NULL otherwise. The emails about the booking
-- (and its reminders) give the visitor's time in it beside the practice's.
-- Retention and `slotwise erase` blank it with the contact details.
ALTER TABLE bookings ADD COLUMN visitor_tz TEXT;
