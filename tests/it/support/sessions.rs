//! What a [`TestApp`]'s session store holds, whichever store it is: the
//! `sessions` table for `database` and `cached_database` (the database is
//! the latter's source of truth), the hashes under the test's prefix for
//! `redis`.

use super::app::TestApp;
use super::redis::RedisSessions;

impl TestApp {
    /// The sessions in Redis when the store is `redis` (not `cached_database`).
    fn redis_only(&self) -> Option<&RedisSessions> {
        self.redis.as_ref().filter(|r| !r.cached)
    }

    /// How many sessions are stored.
    pub async fn session_count(&self) -> i64 {
        match self.redis_only() {
            Some(redis) => redis.hashes().await.len() as i64,
            None => self.count("sessions").await,
        }
    }

    /// The storage keys (hashes of the ids) of the stored sessions.
    pub async fn session_hashes(&self) -> Vec<String> {
        match self.redis_only() {
            Some(redis) => redis.hashes().await,
            None => {
                let db = self.db().await;
                let rows = sqlx::query_scalar("SELECT id_hash FROM sessions").fetch_all(&db).await.unwrap();
                db.close().await;
                rows
            }
        }
    }

    /// Every stored session as (storage key, everything stored with it as
    /// text): the table's rows, and in Redis each hash's fields and values
    /// (both, for `cached_database`).
    pub async fn stored_sessions(&self) -> Vec<(String, String)> {
        let mut all = Vec::new();
        if self.redis_only().is_none() {
            let db = self.db().await;
            all = sqlx::query_as("SELECT id_hash, data FROM sessions").fetch_all(&db).await.unwrap();
            db.close().await;
        }
        if let Some(redis) = &self.redis {
            for hash in redis.hashes().await {
                let fields = redis.fields(&hash).await;
                all.push((hash, fields.iter().map(|(f, v)| format!("{f}={v}")).collect::<Vec<_>>().join("\n")));
            }
        }
        all
    }

    /// Forgets every stored session (as if the store had lost them).
    pub async fn forget_sessions(&self) {
        if self.redis_only().is_none() {
            let db = self.db().await;
            sqlx::query("DELETE FROM sessions").execute(&db).await.unwrap();
            db.close().await;
        }
        if let Some(redis) = &self.redis {
            redis.clear().await;
        }
    }

    /// The write count of the one stored session (the table's `version`,
    /// Redis's `\0ver`).
    pub async fn session_version(&self) -> i64 {
        if let Some(redis) = self.redis_only() {
            let hashes = redis.hashes().await;
            assert_eq!(hashes.len(), 1, "one session");
            return redis.fields(&hashes[0]).await["\0ver"].parse().unwrap();
        }
        let db = self.db().await;
        let version = sqlx::query_scalar("SELECT version FROM sessions").fetch_one(&db).await.unwrap();
        db.close().await;
        version
    }

    /// Moves every stored session's idle deadline to `at` (unix ms), leaving
    /// anything else (Redis's own expiry of the key included) as it is: as
    /// sessions look once their deadline passed but before anything removed
    /// them.
    pub async fn backdate_sessions_to(&self, at: i64) {
        match self.redis_only() {
            Some(redis) => {
                for hash in redis.hashes().await {
                    redis.set_field(&hash, "\0exp", &at.to_string()).await;
                }
            }
            None => {
                let db = self.db().await;
                sqlx::query("UPDATE sessions SET expires_at = $1").bind(at).execute(&db).await.unwrap();
                db.close().await;
            }
        }
    }

    /// From now on every session write fails; reads still work.
    pub async fn refuse_session_writes(&self) {
        if let Some(redis) = self.redis_only() {
            return redis.refuse_writes().await;
        }
        let pool = self.db().await;
        let refuse: &[&str] = if self.on_sqlite() {
            &["CREATE TRIGGER refuse BEFORE UPDATE ON sessions BEGIN SELECT RAISE(ABORT, 'read-only'); END"]
        } else {
            &[
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'read-only'; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER refuse BEFORE UPDATE ON sessions FOR EACH ROW EXECUTE FUNCTION refuse()",
            ]
        };
        for sql in refuse {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        pool.close().await;
    }

    /// The variables a `slotwise` subcommand needs to reach this app's
    /// database and session store.
    pub fn cli_env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("ROCKET_DATABASES", format!("{{slotwise={{url=\"{}\"}}}}", self.db_url)),
            ("ROCKET_SECRET_KEY", super::SECRET.to_string()),
        ];
        if let Some(redis) = &self.redis {
            env.push(("ROCKET_SESSION", redis.env()));
        }
        env
    }
}
