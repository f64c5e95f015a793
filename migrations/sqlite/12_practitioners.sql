-- Practitioners (SPEC §2e, rev 3): the id of the practitioner a booking or
-- hold belongs to, as configured in `[[booking.practitioners]]`. NULL: it
-- was made before practitioners were configured, or without them; such a
-- booking or hold blocks its time for every practitioner until the practice
-- gives it to one (`slotwise assign`), so adding practitioners never
-- double-books a time already promised. An id that has left the
-- configuration keeps its bookings (listed, viewable, cancellable) and
-- blocks nobody else.
ALTER TABLE bookings ADD COLUMN practitioner_id TEXT;
ALTER TABLE holds ADD COLUMN practitioner_id TEXT;
-- `any` when the visitor asked for anyone ("first available"): a move may
-- then go to any free practitioner. NULL: they named the practitioner (a
-- move stays with them), or there were no practitioners.
ALTER TABLE bookings ADD COLUMN asked_for TEXT;
