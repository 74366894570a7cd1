//! Accounts of the web pages: users, their sign-in sessions, and the API
//! keys they make on their profile page.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::records::{key_from_row, Db, KeyRecord, KEY_COLUMNS};

#[derive(Clone, Debug)]
pub struct UserRecord {
    pub id: String,
    /// Lowercase, as signed up with.
    pub email: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub plan: String,
    pub created_at: i64,
}

impl UserRecord {
    /// What its files, jobs, keys' requests and counters belong to.
    pub fn owner(&self) -> String {
        format!("user:{}", self.id)
    }
}

const USER_COLUMNS: &str = "id, email, password_hash, plan, created_at";

impl Db {
    /// Adds a user; false when the email is taken.
    ///
    /// # Errors
    /// A database failure.
    pub async fn insert_user(&self, user: &UserRecord) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(&format!("INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING"))
            .bind(&user.id)
            .bind(&user.email)
            .bind(&user.password_hash)
            .bind(&user.plan)
            .bind(user.created_at)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, sqlx::Error> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1")).bind(email).fetch_optional(&self.pool).await?;
        row.map(|r| user_from_row(&r)).transpose()
    }

    pub async fn users(&self) -> Result<Vec<UserRecord>, sqlx::Error> {
        let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY created_at, email")).fetch_all(&self.pool).await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Sets a user's plan; false when there is no such user.
    pub async fn set_user_plan(&self, email: &str, plan: &str) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query("UPDATE users SET plan = $1 WHERE email = $2").bind(plan).bind(email).execute(&self.pool).await?.rows_affected() == 1)
    }

    /// Replaces a user's password hash and ends every session of theirs but `keep`.
    pub async fn set_user_password(&self, user_id: &str, password_hash: &str, keep: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(password_hash).bind(user_id).execute(&self.pool).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2").bind(user_id).bind(keep).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn insert_session(&self, token_hash: &str, user_id: &str, now: i64, expires_at: i64) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The user a live session belongs to.
    pub async fn session_user(&self, token_hash: &str, now: i64) -> Result<Option<UserRecord>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT u.id, u.email, u.password_hash, u.plan, u.created_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| user_from_row(&r)).transpose()
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    /// Drops sessions that ended before `now`.
    pub async fn purge_sessions(&self, now: i64) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&self.pool).await?.rows_affected())
    }

    /// A user's keys, revoked ones included, newest first.
    pub async fn user_keys(&self, user_id: &str) -> Result<Vec<KeyRecord>, sqlx::Error> {
        let rows = sqlx::query(&format!("SELECT {KEY_COLUMNS} WHERE k.user_id = $1 ORDER BY k.created_at DESC, k.id")).bind(user_id).fetch_all(&self.pool).await?;
        rows.iter().map(key_from_row).collect()
    }

    /// Revokes one of a user's keys; false when the user has no such live key.
    pub async fn revoke_user_key(&self, user_id: &str, key_id: &str, now: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(key_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

fn user_from_row(r: &AnyRow) -> Result<UserRecord, sqlx::Error> {
    Ok(UserRecord {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        password_hash: r.try_get("password_hash")?,
        plan: r.try_get("plan")?,
        created_at: r.try_get("created_at")?,
    })
}
