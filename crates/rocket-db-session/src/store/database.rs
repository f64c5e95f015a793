//! `session.store = "database"`: sessions in a database table, one row per
//! session keyed by the id's hash, the values as one JSON object.
//!
//! Each operation is one statement on a connection of its own, taken on
//! [`Lane::Write`](crate::Lane) for writes. A save applies the request's per-key
//! changes inside the database — `json_remove`/`json_set` on SQLite,
//! `jsonb`'s `-` and `||` on PostgreSQL — to whatever the row holds at that
//! moment, so concurrent saves of different keys never conflict and never
//! retry, and `WHERE id_hash = …` finds nothing for a session that was
//! flushed or cycled meanwhile.

use serde_json::Value;

use super::{parse_data, New, Record, SessionStore, StoreError, Update};
use crate::db::{self, on, Backend, Connections, Lane};

/// Rows deleted per purge statement: small enough never to hold the write
/// lock for long.
const PURGE_BATCH: i64 = 500;

/// Sessions in a database table (`session.table`), on connections from `C`.
pub struct DatabaseStore<C: Connections> {
    db: C,
    backend: Backend,
    table: String,
    sql: Statements,
}

/// The store's fixed statements, written once for its table.
struct Statements {
    stored: String,
    create: String,
    touch: String,
    delete: String,
    delete_holding: String,
    purge: String,
}

impl Statements {
    fn new(table: &str, backend: Backend) -> Statements {
        // NOTE: on PostgreSQL, `SKIP LOCKED` lets instances purging at once
        // each take rows the others have not, instead of queueing on the
        // same rows and deleting nothing.
        let skip_locked = match backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        Statements {
            stored: format!("SELECT {STORED} FROM {table} WHERE id_hash = $1"),
            create: format!(
                "INSERT INTO {table} (id_hash, data, version, created_at, expires_at, absolute_expires_at) \
                 VALUES ($1, $2, 1, $3, $4, $5)"
            ),
            // NOTE: the bounds are written as differences so that PostgreSQL
            // does not probe the `expires_at` index to plan them (see
            // `stored`).
            touch: format!(
                "UPDATE {table} SET expires_at = $1 WHERE id_hash = $2 AND expires_at - $3 > 0 AND $1 - expires_at > 0"
            ),
            delete: format!("DELETE FROM {table} WHERE id_hash = $1"),
            // NOTE: a scan of every row: erasing an address is rare, and no
            // index could serve a search inside the data.
            delete_holding: format!("DELETE FROM {table} WHERE LOWER(data) LIKE $1 ESCAPE '\\' RETURNING id_hash"),
            purge: format!(
                "DELETE FROM {table} WHERE id_hash IN \
                 (SELECT id_hash FROM {table} WHERE expires_at <= $1 LIMIT $2{skip_locked})"
            ),
        }
    }
}

/// A stored row, expired or not.
#[derive(sqlx::FromRow)]
pub(super) struct Stored {
    /// The JSON object of values.
    pub data: String,
    /// Writes so far.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub version: i64,
    /// Unix ms: the idle deadline.
    pub expires_at: i64,
    /// Unix ms: the absolute deadline.
    pub absolute_expires_at: i64,
}

/// [`Stored`]'s columns.
const STORED: &str = "data, version, expires_at, absolute_expires_at";

/// What an update returns when only its success matters.
#[derive(sqlx::FromRow)]
struct Version {
    #[allow(dead_code)]
    version: i64,
}

impl<C: Connections> DatabaseStore<C> {
    /// The store on `db`, in `table` (a plain identifier; see
    /// [`crate::SessionConfig::table`]). The table must exist: see
    /// [`crate::migrate`].
    pub fn new(db: C, table: &str) -> DatabaseStore<C> {
        let backend = db.backend();
        DatabaseStore { sql: Statements::new(table, backend), db, backend, table: table.to_string() }
    }

    /// The connections this store uses.
    #[cfg(feature = "redis")]
    pub(super) fn connections(&self) -> &C {
        &self.db
    }

    /// The table this store uses.
    #[cfg(feature = "redis")]
    pub(super) fn table(&self) -> &str {
        &self.table
    }

    /// The row stored under `key`, expired or not.
    ///
    /// NOTE: the deadline is checked by the callers, not in SQL. With
    /// `expires_at > $2` in the query, PostgreSQL planned every lookup afresh
    /// and, to estimate that range, probed the end of the `expires_at` index
    /// — which, while a purge deletes from that very end, means walking dead
    /// entries: 15–40 ms per lookup during the purge of a million sessions. A
    /// bare primary-key lookup has one cached plan.
    pub(super) async fn stored(&self, key: &str) -> Result<Option<Stored>, StoreError> {
        Ok(on(&self.db, Lane::Read).fetch_optional(sqlx::query_as(&self.sql.stored).bind(key)).await?)
    }

    /// [`SessionStore::update`], returning the row as it now is (`None`:
    /// the session is gone and nothing was written).
    #[cfg(feature = "redis")]
    pub(super) async fn update_returning(&self, update: Update<'_>) -> Result<Option<Stored>, StoreError> {
        self.apply(update, STORED).await
    }

    /// Deletes the sessions whose data holds `text` (see
    /// [`SessionStore::delete_holding`]); their keys.
    pub(super) async fn delete_holding_keys(&self, text: &str) -> Result<Vec<String>, StoreError> {
        let query = sqlx::query_scalar(&self.sql.delete_holding).bind(super::containing(text));
        Ok(on(&self.db, Lane::Write).fetch_all(query).await?)
    }

    /// Runs the update of [`update_sql`], returning `returning` of the row.
    async fn apply<O>(&self, update: Update<'_>, returning: &str) -> Result<Option<O>, StoreError>
    where
        O: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let (sql, args) = update_sql(self.backend, &self.table, &update);
        let sql = format!("{sql} RETURNING {returning}");
        let mut query = sqlx::query_as(&sql);
        for arg in &args {
            query = match arg {
                Arg::Text(text) => query.bind(text.as_str()),
                Arg::Int(n) => query.bind(*n),
            };
        }
        Ok(on(&self.db, Lane::Write).fetch_optional(query).await?)
    }
}

/// The `SET` clause and its arguments for one request's changes.
///
/// NOTE: the key and the deadline are only assigned when they change: an
/// assigned primary key makes SQLite delete and re-insert the row, and an
/// assigned indexed column costs an index update on both backends (and
/// rules out PostgreSQL's in-page "HOT" update).
fn update_sql(backend: Backend, table: &str, update: &Update<'_>) -> (String, Vec<Arg>) {
    // NOTE: `arg` numbers each placeholder as it is pushed, as sqlx's
    // `QueryBuilder::push_bind` would; `QueryBuilder<Any>` itself writes `?`
    // (sqlx-core 0.8.6 `Arguments::format_placeholder`), which PostgreSQL
    // rejects.
    let mut args = Vec::new();
    let mut arg = |value: Arg| {
        args.push(value);
        format!("${}", args.len())
    };
    let removed: Vec<&str> = update.changes.iter().filter(|(_, v)| v.is_none()).map(|(k, _)| k.as_str()).collect();
    let set: Vec<(&str, &Value)> =
        update.changes.iter().filter_map(|(k, v)| v.as_ref().map(|v| (k.as_str(), v))).collect();
    let data = match backend {
        Backend::Sqlite => {
            let mut data = String::from("data");
            if !removed.is_empty() {
                let paths: Vec<String> = removed.iter().map(|k| arg(Arg::Text(json_path(k)))).collect();
                data = format!("json_remove({data}, {})", paths.join(", "));
            }
            if !set.is_empty() {
                let pairs: Vec<String> = set
                    .iter()
                    .map(|(k, v)| format!("{}, json({})", arg(Arg::Text(json_path(k))), arg(Arg::Text(v.to_string()))))
                    .collect();
                data = format!("json_set({data}, {})", pairs.join(", "));
            }
            data
        }
        Backend::Postgres => {
            let mut data = String::from("data::jsonb");
            for key in removed {
                data = format!("({data} - {}::text)", arg(Arg::Text(key.to_string())));
            }
            if !set.is_empty() {
                let object: serde_json::Map<String, Value> =
                    set.iter().map(|(k, v)| (k.to_string(), (*v).clone())).collect();
                data = format!("({data} || {}::jsonb)", arg(Arg::Text(Value::Object(object).to_string())));
            }
            format!("{data}::text")
        }
    };
    // NOTE: the version counts writes; no save here reads it, but
    // `cached.rs` serves a Redis copy only at the row's current version.
    let mut assignments = vec!["version = version + 1".to_string()];
    if !update.changes.is_empty() {
        assignments.push(format!("data = {data}"));
    }
    if let Some(new_key) = update.new_key {
        assignments.push(format!("id_hash = {}", arg(Arg::Text(new_key.to_string()))));
    }
    if let Some(expires_at) = update.expires_at {
        assignments.push(format!("expires_at = {}", arg(Arg::Int(expires_at))));
    }
    let key = arg(Arg::Text(update.key.to_string()));
    (format!("UPDATE {table} SET {} WHERE id_hash = {key}", assignments.join(", ")), args)
}

/// A bound argument of [`update_sql`].
#[derive(Debug, PartialEq)]
enum Arg {
    Text(String),
    Int(i64),
}

/// SQLite's JSON path of a top-level key.
///
/// NOTE: session keys are the app's own constants (letters, digits, `_`); a
/// key with a `"` could not be quoted in a SQLite path, so it is refused in
/// `Session::insert` before it gets here.
fn json_path(key: &str) -> String {
    format!("$.\"{key}\"")
}

#[rocket::async_trait]
impl<C: Connections> SessionStore for DatabaseStore<C> {
    /// One primary-key lookup of the row; its deadline checked here.
    async fn load(&self, key: &str, now: i64) -> Result<Option<Record>, StoreError> {
        let row = self.stored(key).await?;
        Ok(row.filter(|r| r.expires_at > now).map(|r| Record {
            data: parse_data(&r.data),
            expires_at: r.expires_at,
            absolute_expires_at: r.absolute_expires_at,
        }))
    }

    async fn create(&self, new: New<'_>) -> Result<(), StoreError> {
        let data = serde_json::to_string(new.data).map_err(|e| sqlx::Error::Encode(e.into()))?;
        let query = sqlx::query(&self.sql.create)
            .bind(new.key)
            .bind(&data)
            .bind(new.now)
            .bind(new.expires_at)
            .bind(new.absolute_expires_at);
        on(&self.db, Lane::Write).execute(query).await?;
        Ok(())
    }

    async fn update(&self, update: Update<'_>) -> Result<bool, StoreError> {
        Ok(self.apply::<Version>(update, "version").await?.is_some())
    }

    async fn touch(&self, key: &str, expires_at: i64, now: i64) -> Result<(), StoreError> {
        let query = sqlx::query(&self.sql.touch).bind(expires_at).bind(key).bind(now);
        on(&self.db, Lane::Write).execute(query).await?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        on(&self.db, Lane::Write).execute(sqlx::query(&self.sql.delete).bind(key)).await?;
        Ok(())
    }

    async fn delete_holding(&self, text: &str) -> Result<u64, StoreError> {
        Ok(self.delete_holding_keys(text).await?.len() as u64)
    }

    /// Deletes in batches, each taking its turn on the writer like any
    /// session write, so on SQLite a request's write waits for at most one
    /// batch instead of sleeping in the busy handler.
    async fn purge(&self, now: i64) -> Result<u64, StoreError> {
        let sql = self.sql.purge.as_str();
        let purged = db::paced(|| async move {
            let done = on(&self.db, Lane::Write).execute(sqlx::query(sql).bind(now).bind(PURGE_BATCH)).await?;
            Ok::<_, sqlx::Error>((done.rows_affected(), done.rows_affected() == PURGE_BATCH as u64))
        })
        .await?;
        Ok(purged)
    }

    /// Nothing beyond the database, which an app's health check asks itself.
    async fn check(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    fn changes() -> BTreeMap<String, Option<Value>> {
        BTreeMap::from([("gone".to_string(), None), ("lang".to_string(), Some(json!("de")))])
    }

    #[test]
    fn sqlite_applies_removals_then_sets_in_one_statement() {
        let changes = changes();
        let update = Update { key: "k", new_key: None, changes: &changes, expires_at: Some(9), now: 0 };
        let (sql, args) = update_sql(Backend::Sqlite, "sessions", &update);
        assert_eq!(
            sql,
            "UPDATE sessions SET version = version + 1, data = json_set(json_remove(data, $1), $2, json($3)), \
             expires_at = $4 WHERE id_hash = $5"
        );
        assert_eq!(
            args,
            [
                Arg::Text("$.\"gone\"".into()),
                Arg::Text("$.\"lang\"".into()),
                Arg::Text("\"de\"".into()),
                Arg::Int(9),
                Arg::Text("k".into())
            ]
        );
    }

    #[test]
    fn postgres_merges_the_sets_as_one_object() {
        let changes = changes();
        let update = Update { key: "k", new_key: Some("n"), changes: &changes, expires_at: None, now: 0 };
        let (sql, args) = update_sql(Backend::Postgres, "sessions", &update);
        assert_eq!(
            sql,
            "UPDATE sessions SET version = version + 1, data = ((data::jsonb - $1::text) || $2::jsonb)::text, \
             id_hash = $3 WHERE id_hash = $4"
        );
        assert_eq!(args[1], Arg::Text("{\"lang\":\"de\"}".into()));
    }

    #[test]
    fn a_cycle_alone_only_moves_the_key() {
        let changes = BTreeMap::new();
        let update = Update { key: "k", new_key: Some("n"), changes: &changes, expires_at: None, now: 0 };
        let (sql, _) = update_sql(Backend::Sqlite, "sessions", &update);
        assert_eq!(sql, "UPDATE sessions SET version = version + 1, id_hash = $1 WHERE id_hash = $2");
    }
}
