-- Server-side sessions. The cookie carries a random 256-bit id; this table
-- only ever sees its SHA-256, so reading the table does not let anyone
-- impersonate a visitor.
CREATE TABLE sessions (
    id_hash             TEXT    PRIMARY KEY NOT NULL, -- hex SHA-256 of the cookie's id
    data                TEXT    NOT NULL,             -- JSON object: key -> value
    version             INTEGER NOT NULL,             -- bumped by every write (optimistic concurrency)
    created_at          INTEGER NOT NULL,             -- unix milliseconds
    expires_at          INTEGER NOT NULL,             -- min(last activity + idle timeout, absolute deadline)
    absolute_expires_at INTEGER NOT NULL              -- created_at + absolute timeout
) WITHOUT ROWID;

-- The purge walks expired rows in small batches through this index.
CREATE INDEX sessions_expires_at ON sessions (expires_at);
