-- The funnel gains the practitioner step (SPEC §2e, rev 3) between service
-- and slot: the steps become 0 service, 1 practitioner, 2 slot, 3 details,
-- 4 verify, 5 confirm, 6 done. Rows recorded before move up by one, in two
-- passes so that no row ever meets its flow's next step on the primary key.
UPDATE funnel_steps SET step = step + 100 WHERE step >= 1;
UPDATE funnel_steps SET step = step - 99 WHERE step >= 100;
