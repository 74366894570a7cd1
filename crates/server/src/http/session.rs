//! Browser sessions: the sign-in cookie, and the CSRF tokens that every
//! form and every signed-in API call from the pages must carry.
//!
//! The session cookie holds a random token; the database keeps only its
//! SHA-256. A CSRF token is an HMAC of the session token (or, before
//! signing in, of a random pre-session cookie) under the service's signing
//! key: a page of this site can read it, another site can neither read nor
//! compute it. Cookies are `HttpOnly`, `SameSite=Lax`, and `Secure` when the
//! service is reached over https.

use axum::http::{header, HeaderMap, HeaderValue};

use crate::http::auth::hash_key;
use crate::http::AppState;
use crate::ids::random_hex;
use crate::store::accounts::UserRecord;
use crate::store::records::now_ms;

/// The sign-in cookie.
pub const SESSION_COOKIE: &str = "fileconv_session";
/// The pre-session cookie that anonymous forms' CSRF tokens are tied to.
pub const CSRF_COOKIE: &str = "fileconv_csrf";
/// The header a signed-in page's API calls carry their CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lasts.
pub const SESSION_DAYS: i64 = 30;

const CSRF_PURPOSE: &str = "CSRF";

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty() && value.len() <= 128)
}

/// The signed-in user, with the hash of their session token.
///
/// # Errors
/// A database failure.
pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Option<(UserRecord, String)>, sqlx::Error> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else { return Ok(None) };
    let hash = hash_key(token);
    Ok(state.db.session_user(&hash, now_ms()).await?.map(|user| (user, hash)))
}

/// Starts a session for `user`: the `Set-Cookie` value to send.
///
/// # Errors
/// A database failure.
pub async fn start(state: &AppState, headers: &HeaderMap, user_id: &str) -> Result<HeaderValue, sqlx::Error> {
    let token = random_hex(32);
    let now = now_ms();
    let days = SESSION_DAYS * 24 * 3600;
    state.db.insert_session(&hash_key(&token), user_id, now, now + days * 1000).await?;
    Ok(set_cookie(state, headers, SESSION_COOKIE, &token, days))
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, for the whole site,
/// `Secure` over https; `max_age` 0 removes the cookie.
pub fn set_cookie(state: &AppState, headers: &HeaderMap, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if super::routes::base_url(state, headers).starts_with("https:") { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")).expect("cookie names and hex values are header-safe")
}

/// The CSRF token for the forms of a page answering `headers`, and the
/// pre-session cookie to set when the request had neither cookie.
pub fn csrf_token(state: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    if let Some(base) = cookie(headers, SESSION_COOKIE).or_else(|| cookie(headers, CSRF_COOKIE)) {
        return (state.signer.token(CSRF_PURPOSE, base), None);
    }
    let base = random_hex(16);
    (state.signer.token(CSRF_PURPOSE, &base), Some(set_cookie(state, headers, CSRF_COOKIE, &base, 24 * 3600)))
}

/// Whether `token` is the CSRF token of this request's session (or, with
/// no session cookie, of its pre-session cookie), compared in constant time.
pub fn csrf_matches(state: &AppState, headers: &HeaderMap, token: &str) -> bool {
    cookie(headers, SESSION_COOKIE)
        .or_else(|| cookie(headers, CSRF_COOKIE))
        .is_some_and(|base| state.signer.token_matches(CSRF_PURPOSE, base, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; fileconv_session_x=2; fileconv_session=abc".parse().unwrap());
        headers.append(header::COOKIE, "other=3".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "other"), Some("3"));
        assert_eq!(cookie(&headers, CSRF_COOKIE), None);
    }
}
