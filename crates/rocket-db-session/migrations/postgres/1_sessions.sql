-- Server-side sessions. The cookie carries a random 256-bit id; this table
-- only ever sees its SHA-256, so reading the table does not let anyone
-- impersonate a visitor. `{table}` is `session.table`. IF NOT EXISTS: a
-- table made by an app before it used this crate is kept as it is.
CREATE TABLE IF NOT EXISTS {table} (
    id_hash             TEXT    PRIMARY KEY, -- hex SHA-256 of the cookie's id
    data                TEXT    NOT NULL,    -- JSON object: key -> value
    version             BIGINT  NOT NULL,    -- bumped by every write
    created_at          BIGINT  NOT NULL,    -- unix milliseconds
    expires_at          BIGINT  NOT NULL,    -- min(last activity + idle timeout, absolute deadline)
    absolute_expires_at BIGINT  NOT NULL     -- created_at + absolute timeout
);

-- The purge walks expired rows in small batches through this index.
CREATE INDEX IF NOT EXISTS {table}_expires_at ON {table} (expires_at);
