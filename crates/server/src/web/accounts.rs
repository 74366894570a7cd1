//! Accounts: sign up, sign in and out, the profile page with usage and API
//! keys, and password changes. Passwords are kept as argon2id PHC strings
//! and checked off the async threads; a sign-in to an unknown email costs
//! the same hashing as a wrong password. Attempts are limited per address
//! (the rate limiter's sign-in class) and failures per account per hour.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::{check_form, see_other, Frame, Visit};
use crate::config::FREE_PLAN;
use crate::error::ApiError;
use crate::http::auth::{hash_key, new_api_key};
use crate::http::{quota, session, AppState};
use crate::ids::random_hex;
use crate::store::accounts::UserRecord;
use crate::store::records::now_ms;

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_BYTES: usize = 1024;

/// An argon2id hash of `password` with a random salt (OWASP's parameters,
/// the crate's defaults: 19 MiB, 2 passes).
///
/// # Errors
/// The hasher fails (it does not for these inputs).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ApiError::internal("reading random bytes", e))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::internal("encoding a salt", e))?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| ApiError::internal("hashing a password", e))
}

/// Whether a password may be chosen: at least [`MIN_PASSWORD_CHARS`]
/// characters, and short enough to hash cheaply.
fn acceptable_new_password(password: &str) -> bool {
    password.chars().count() >= MIN_PASSWORD_CHARS && password.len() <= MAX_PASSWORD_BYTES
}

/// Whether `password` matches the PHC string `hash` (constant-time); a
/// password longer than any that can be chosen is not hashed at all.
pub fn password_matches(password: &str, hash: &str) -> bool {
    password.len() <= MAX_PASSWORD_BYTES
        && PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Runs password hashing or checking on the blocking threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ApiError::internal("password hashing", e))
}

/// A hash to check unknown emails against, so they take as long as known ones.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_hex(16)).unwrap_or_default())
}

/// An email as kept: trimmed and lowercase; `None` unless it looks like one.
fn normal_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    plausible.then_some(email)
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    frame: Frame,
    heading: &'static str,
    action: &'static str,
    signing_up: bool,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn account_page(state: &AppState, headers: &HeaderMap, signing_up: bool, status: StatusCode, email: String, error: Option<String>) -> Result<Response, ApiError> {
    let (here, heading, action) = if signing_up { ("signup", "Sign up", "/signup") } else { ("signin", "Sign in", "/signin") };
    let visit = Visit::new(state, headers, here).await?;
    let page = AccountPage { frame: visit.frame.clone(), heading, action, signing_up, email, error };
    Ok(visit.render(status, &page))
}

/// `GET /signup`.
pub async fn signup_page(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Response, ApiError> {
    account_page(&state, &headers, true, StatusCode::OK, String::new(), None).await
}

/// `GET /signin`.
pub async fn signin_page(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Response, ApiError> {
    account_page(&state, &headers, false, StatusCode::OK, String::new(), None).await
}

/// `POST /signup`: a new account on the free plan, signed in at once.
pub async fn signup(State(state): State<Arc<AppState>>, headers: HeaderMap, Form(form): Form<Credentials>) -> Result<Response, ApiError> {
    check_form(&state, &headers, &form.csrf)?;
    let Some(email) = normal_email(&form.email) else {
        return account_page(&state, &headers, true, StatusCode::BAD_REQUEST, form.email.chars().take(254).collect(), Some("Enter an email address like name@example.com.".into())).await;
    };
    if !acceptable_new_password(&form.password) {
        let message = format!("Choose a password of at least {MIN_PASSWORD_CHARS} characters.");
        return account_page(&state, &headers, true, StatusCode::BAD_REQUEST, email, Some(message)).await;
    }
    let password = form.password;
    let password_hash = blocking(move || hash_password(&password)).await??;
    let user = UserRecord { id: random_hex(12), email, password_hash, plan: FREE_PLAN.to_string(), created_at: now_ms() };
    if !state.db.insert_user(&user).await? {
        let message = "An account with this email exists: sign in instead.".to_string();
        return account_page(&state, &headers, true, StatusCode::CONFLICT, user.email, Some(message)).await;
    }
    tracing::info!(user = %user.id, "account created");
    let cookie = session::start(&state, &headers, &user.id).await?;
    Ok(see_other("/profile", vec![cookie]))
}

/// `POST /signin`.
pub async fn signin(State(state): State<Arc<AppState>>, headers: HeaderMap, Form(form): Form<Credentials>) -> Result<Response, ApiError> {
    check_form(&state, &headers, &form.csrf)?;
    let email = normal_email(&form.email).unwrap_or_default();
    let failures_owner = format!("signin:{email}");
    let window = quota::Kind::FilesPerHour.window(chrono::Utc::now()).0.timestamp_millis();
    let limit = u64::from(state.config.rate_limits.failed_sign_ins_per_hour);
    if limit > 0 && state.db.usage(&failures_owner, "failed_sign_ins", window).await? >= limit as i64 {
        let message = "Too many failed sign-ins to this account in the last hour: try again later.".to_string();
        return account_page(&state, &headers, false, StatusCode::TOO_MANY_REQUESTS, email, Some(message)).await;
    }
    let user = if email.is_empty() { None } else { state.db.user_by_email(&email).await? };
    let hash = user.as_ref().map_or_else(|| decoy_hash().to_string(), |u| u.password_hash.clone());
    let password = form.password;
    let matches = blocking(move || password_matches(&password, &hash)).await?;
    let Some(user) = user.filter(|_| matches) else {
        if !email.is_empty() {
            state.db.consume(&failures_owner, "failed_sign_ins", window, 0).await?;
        }
        return account_page(&state, &headers, false, StatusCode::UNAUTHORIZED, email, Some("The email or the password is wrong.".into())).await;
    };
    let cookie = session::start(&state, &headers, &user.id).await?;
    Ok(see_other("/profile", vec![cookie]))
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /signout`: ends this session.
pub async fn signout(State(state): State<Arc<AppState>>, headers: HeaderMap, Form(form): Form<CsrfOnly>) -> Result<Response, ApiError> {
    check_form(&state, &headers, &form.csrf)?;
    if let Some(token) = session::cookie(&headers, session::SESSION_COOKIE) {
        state.db.delete_session(&hash_key(token)).await?;
    }
    Ok(see_other("/", vec![session::set_cookie(&state, &headers, session::SESSION_COOKIE, "", 0)]))
}

/// One usage bar of the profile page.
struct Usage {
    id: &'static str,
    label: &'static str,
    used: i64,
    /// The bar's maximum: the limit, or the use itself when there is none.
    max: i64,
    limit: String,
}

/// One key as the profile page lists it.
struct KeyRow {
    id: String,
    label: String,
    created: String,
    last_used: String,
    uses: i64,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    frame: Frame,
    email: String,
    plan: String,
    usage: Vec<Usage>,
    keys: Vec<KeyRow>,
    new_key: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct ProfileQuery {
    #[serde(default)]
    changed: Option<String>,
    #[serde(default)]
    revoked: Option<String>,
}

/// `GET /profile`: plan, usage, keys; sign-in first.
pub async fn profile(State(state): State<Arc<AppState>>, headers: HeaderMap, Query(query): Query<ProfileQuery>) -> Result<Response, ApiError> {
    let notice = if query.changed.is_some() {
        Some("Your password is changed; other sessions are signed out.".to_string())
    } else {
        query.revoked.map(|id| format!("Key coco_{}… is revoked.", id.chars().filter(char::is_ascii_hexdigit).take(12).collect::<String>()))
    };
    profile_page(&state, &headers, StatusCode::OK, None, notice, None).await
}

async fn profile_page(state: &AppState, headers: &HeaderMap, status: StatusCode, new_key: Option<String>, notice: Option<String>, error: Option<String>) -> Result<Response, ApiError> {
    let visit = Visit::new(state, headers, "profile").await?;
    let Some((user, _)) = visit.user.clone() else { return Ok(see_other("/signin", Vec::new())) };
    let plan = state.plan(&user.plan);
    let owner = user.owner();
    let now = chrono::Utc::now();
    let mut usage = Vec::new();
    for (id, label, kind, limit) in [
        ("conversions", "Conversions today", quota::Kind::ConversionsPerDay, plan.conversions_per_day),
        ("files", "Files this hour", quota::Kind::FilesPerHour, plan.files_per_hour),
        ("api-calls", "API calls this month", quota::Kind::ApiCalls, plan.api_calls_per_month),
    ] {
        let used = state.db.usage(&owner, kind.name(), kind.window(now).0.timestamp_millis()).await?;
        let (max, limit) = if limit == 0 { (used.max(1), "no limit".to_string()) } else { (limit as i64, super::pages::count_words(limit)) };
        usage.push(Usage { id, label, used, max, limit });
    }
    let time = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default();
    let keys = state
        .db
        .user_keys(&user.id)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            label: k.label.clone().filter(|l| !l.is_empty()).unwrap_or_else(|| "(no label)".to_string()),
            created: time(k.created_at),
            last_used: k.last_used_at.map(time).unwrap_or_else(|| "never".to_string()),
            uses: k.uses,
            revoked: k.revoked_at.is_some(),
            id: k.id,
        })
        .collect();
    let page = ProfilePage { frame: visit.frame.clone(), email: user.email, plan: user.plan, usage, keys, new_key, notice, error };
    Ok(visit.render(status, &page))
}

/// The signed-in user of a form's request, after its CSRF check.
async fn form_user(state: &AppState, headers: &HeaderMap, csrf: &str) -> Result<Option<(UserRecord, String)>, ApiError> {
    check_form(state, headers, csrf)?;
    Ok(session::signed_in(state, headers).await?)
}

#[derive(Deserialize)]
pub struct NewKey {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    label: String,
}

/// Keys one account may hold at once.
const MAX_KEYS_PER_USER: usize = 20;

/// `POST /profile/keys`: a new key on the account's plan, shown once.
pub async fn create_key(State(state): State<Arc<AppState>>, headers: HeaderMap, Form(form): Form<NewKey>) -> Result<Response, ApiError> {
    let Some((user, _)) = form_user(&state, &headers, &form.csrf).await? else { return Ok(see_other("/signin", Vec::new())) };
    let live = state.db.user_keys(&user.id).await?.iter().filter(|k| k.revoked_at.is_none()).count();
    if live >= MAX_KEYS_PER_USER {
        let message = format!("An account holds at most {MAX_KEYS_PER_USER} keys: revoke one first.");
        return profile_page(&state, &headers, StatusCode::CONFLICT, None, None, Some(message)).await;
    }
    let label: String = form.label.trim().chars().filter(|c| !c.is_control()).take(100).collect();
    let (key, id, hash) = new_api_key();
    state.db.insert_key(&id, &hash, &user.plan, Some(&label).filter(|l| !l.is_empty()).map(String::as_str), Some(&user.id), now_ms()).await?;
    tracing::info!(user = %user.id, key = %id, "API key created");
    profile_page(&state, &headers, StatusCode::OK, Some(key), None, None).await
}

/// `POST /profile/keys/{id}/revoke`.
pub async fn revoke_key(State(state): State<Arc<AppState>>, headers: HeaderMap, Path(id): Path<String>, Form(form): Form<CsrfOnly>) -> Result<Response, ApiError> {
    let Some((user, _)) = form_user(&state, &headers, &form.csrf).await? else { return Ok(see_other("/signin", Vec::new())) };
    if !state.db.revoke_user_key(&user.id, &id, now_ms()).await? {
        return Err(ApiError::not_found("key"));
    }
    Ok(see_other(&format!("/profile?revoked={id}"), Vec::new()))
}

#[derive(Deserialize)]
pub struct NewPassword {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
}

/// `POST /profile/password`: needs the current password; signs out the
/// account's other sessions.
pub async fn change_password(State(state): State<Arc<AppState>>, headers: HeaderMap, Form(form): Form<NewPassword>) -> Result<Response, ApiError> {
    let Some((user, session_hash)) = form_user(&state, &headers, &form.csrf).await? else { return Ok(see_other("/signin", Vec::new())) };
    let (current, hash) = (form.current, user.password_hash.clone());
    if !blocking(move || password_matches(&current, &hash)).await? {
        return profile_page(&state, &headers, StatusCode::UNAUTHORIZED, None, None, Some("The current password is wrong.".into())).await;
    }
    if !acceptable_new_password(&form.password) {
        let message = format!("Choose a new password of at least {MIN_PASSWORD_CHARS} characters.");
        return profile_page(&state, &headers, StatusCode::BAD_REQUEST, None, None, Some(message)).await;
    }
    let password = form.password;
    let new_hash = blocking(move || hash_password(&password)).await??;
    state.db.set_user_password(&user.id, &new_hash, &session_hash).await?;
    Ok(see_other("/profile?changed=1", Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_to_argon2id_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(password_matches("correct horse battery", &hash));
        assert!(!password_matches("correct horse batterz", &hash));
        assert!(!password_matches("x", "not a hash"));
        assert_ne!(hash, hash_password("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn emails_are_normalised_or_refused() {
        assert_eq!(normal_email(" Ann@Example.COM ").as_deref(), Some("ann@example.com"));
        for bad in ["", "ann", "ann@", "@example.com", "ann@example", "a n@example.com", "ann@.com", "<a>@x.com"] {
            assert_eq!(normal_email(bad), None, "{bad}");
        }
    }
}
