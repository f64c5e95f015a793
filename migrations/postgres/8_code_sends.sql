-- A code send is provisional until the email went out: 0 from the moment it
-- is counted until the mail server accepted it. A provisional send older than
-- the longest delivery (the app stopped in between) counts as never made.
ALTER TABLE otp_codes ADD COLUMN sent_ok INTEGER NOT NULL DEFAULT 1;
