//! Who is calling: an API key's owner and plan, or the free tier keyed by
//! client IP; plus the monthly API-call quota of keyed plans.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};

use crate::ids::random_hex;
use crate::http::AppState;
use crate::config::FREE_PLAN;
use crate::error::ApiError;
use crate::http::{quota, session};

/// The prefix of every API key.
pub const KEY_PREFIX: &str = "coco_";


/// What is stored of a key: its SHA-256, hex.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A new key: (`coco_` + 48 hex digits, its public id, its hash). The key
/// itself is shown once and never stored.
pub fn new_api_key() -> (String, String, String) {
    let secret = random_hex(24);
    let key = format!("{KEY_PREFIX}{secret}");
    let id = secret[..12].to_string();
    let hash = hash_key(&key);
    (key, id, hash)
}

/// The client's address. With no trusted proxy, the connection's. Behind
/// `hops` trusted proxies, each of which appends the address it saw to
/// `X-Forwarded-For`, the entry `hops` places from the right: entries
/// further left were written by the client and prove nothing. A header with
/// fewer entries than that, or one that does not parse, gives the
/// connection's address.
pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>, hops: u32) -> IpAddr {
    let peer_ip = peer.map(|p| p.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    if hops == 0 {
        return peer_ip;
    }
    // Several headers are one list, in order.
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let Some(index) = entries.len().checked_sub(hops as usize) else { return peer_ip };
    entries[index].parse::<IpAddr>().unwrap_or(peer_ip)
}

/// The caller of an API route.
#[derive(Clone, Debug)]
pub struct Client {
    /// `key:<id>`, `user:<id>` or `ip:<address>`: what files, jobs and counters belong to.
    pub owner: String,
    pub plan: String,
    pub ip: IpAddr,
}

impl FromRequestParts<Arc<AppState>> for Client {
    type Rejection = ApiError;

    /// A request with a key is its owner's (the key's, or the account's
    /// that made it); one without a key, from a signed-in page (session
    /// cookie and its CSRF token in `X-CSRF-Token`), is the account's;
    /// any other is the free tier of its address.
    ///
    /// # Errors
    /// 401 for a malformed, unknown or revoked key; 403 for a session
    /// cookie with a wrong CSRF token; 429 when a keyed plan's monthly API
    /// calls are used up.
    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        let ip = client_ip(&parts.headers, peer, state.config.proxy_hops());
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            if let Some(token) = parts.headers.get(session::CSRF_HEADER).and_then(|v| v.to_str().ok()) {
                if !session::csrf_matches(state, &parts.headers, token) {
                    return Err(ApiError::new(axum::http::StatusCode::FORBIDDEN, "bad_csrf_token", "the page's session has changed: reload it"));
                }
                if let Some((user, _)) = session::signed_in(state, &parts.headers).await? {
                    return Ok(Client { owner: user.owner(), plan: user.plan, ip });
                }
            }
            return Ok(Client { owner: format!("ip:{ip}"), plan: FREE_PLAN.to_string(), ip });
        };
        let value = value.to_str().map_err(|_| ApiError::unauthorized("the Authorization header is not text"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| ApiError::unauthorized("expected Authorization: Bearer coco_..."))?;
        if !token.starts_with(KEY_PREFIX) {
            return Err(ApiError::unauthorized("API keys start with coco_"));
        }
        let key = state.db.active_key(&hash_key(token)).await?.ok_or_else(|| ApiError::unauthorized("unknown or revoked API key"))?;
        state.db.key_used(&key.id, crate::store::records::now_ms()).await?;
        let client = Client { owner: key.owner(), plan: key.plan, ip };
        let plan = state.plan(&client.plan);
        quota::consume(&state.db, &client.owner, quota::Kind::ApiCalls, plan.api_calls_per_month).await?;
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_counted_from_the_right() {
        let peer: SocketAddr = "10.0.0.9:5000".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "6.6.6.6, 1.2.3.4".parse().unwrap());
        assert_eq!(client_ip(&headers, Some(peer), 0), peer.ip());
        assert_eq!(client_ip(&headers, Some(peer), 1).to_string(), "1.2.3.4");
        assert_eq!(client_ip(&headers, Some(peer), 2).to_string(), "6.6.6.6");
        assert_eq!(client_ip(&headers, Some(peer), 3), peer.ip());
        headers.append("x-forwarded-for", "5.5.5.5".parse().unwrap());
        assert_eq!(client_ip(&headers, Some(peer), 1).to_string(), "5.5.5.5");
        headers.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client_ip(&headers, Some(peer), 1), peer.ip());
    }
}
