//! The web pages, served by the same binary as the API: the converter
//! (`/`), the conversions (`/formats`), plans (`/plans`), the API's
//! documentation (`/docs`), and accounts (sign up, sign in, profile with
//! API keys). Server-rendered from askama templates (checked when the crate
//! compiles), with a little plain JavaScript that calls the public API
//! exactly as a script would. Every page carries a strict
//! Content-Security-Policy (no inline script or style) and is compressed
//! for clients that accept gzip.

pub mod accounts;
pub mod assets;
pub mod pages;

use std::sync::Arc;

use askama::Template;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{from_fn_with_state, map_response_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::config::{Config, StorageKind};
use crate::error::ApiError;
use crate::http::{session, AppState};
use crate::store::accounts::UserRecord;

/// The whole site: the API ([`crate::http::router`]) and the pages.
pub fn site(state: Arc<AppState>) -> Router {
    crate::http::router(state.clone()).merge(pages_router(state))
}

fn pages_router(state: Arc<AppState>) -> Router {
    let policy = HeaderValue::from_str(&content_security_policy(&state.config)).expect("the policy is ASCII");
    Router::new()
        .route("/", get(pages::converter))
        .route("/formats", get(pages::formats))
        .route("/plans", get(pages::plans))
        .route("/docs", get(pages::docs))
        .route("/signup", get(accounts::signup_page).post(accounts::signup))
        .route("/signin", get(accounts::signin_page).post(accounts::signin))
        .route("/signout", post(accounts::signout))
        .route("/profile", get(accounts::profile))
        .route("/profile/keys", post(accounts::create_key))
        .route("/profile/keys/{id}/revoke", post(accounts::revoke_key))
        .route("/profile/password", post(accounts::change_password))
        .route("/assets/{name}", get(assets::serve))
        .layer(from_fn_with_state(state.clone(), crate::http::ratelimit::limit))
        .layer(from_fn_with_state(state.metrics.clone(), crate::http::record))
        .layer(map_response_with_state(policy, security_headers))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// The policy every page is served with: scripts, styles and fonts from
/// this site only (no inline script or style), requests to this site and
/// to the object store (uploads, downloads for the zip), no framing.
pub fn content_security_policy(config: &Config) -> String {
    let mut connect = "'self'".to_string();
    if config.storage.kind == StorageKind::S3 {
        match &config.storage.endpoint {
            Some(endpoint) => {
                if let Ok(url) = url::Url::parse(endpoint) {
                    connect.push(' ');
                    connect.push_str(&url.origin().ascii_serialization());
                }
            }
            None => connect.push_str(" https://*.amazonaws.com"),
        }
    }
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src {connect}; \
         form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
}

async fn security_headers(axum::extract::State(policy): axum::extract::State<HeaderValue>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-cache, private"));
    response
}

/// What the layout of every page needs.
#[derive(Clone)]
pub struct Frame {
    /// Which navigation entry is the current page.
    pub here: &'static str,
    /// The CSRF token of this visitor's forms and API calls.
    pub csrf: String,
    /// The signed-in user's email.
    pub user: Option<String>,
    pub assets: &'static assets::AssetUrls,
    pub version: &'static str,
}

/// A page being answered: its frame, the signed-in user (with their
/// session's token hash), and the pre-session cookie to set if any.
pub struct Visit {
    pub frame: Frame,
    pub user: Option<(UserRecord, String)>,
    cookie: Option<HeaderValue>,
}

impl Visit {
    /// # Errors
    /// A database failure.
    pub async fn new(state: &AppState, headers: &HeaderMap, here: &'static str) -> Result<Visit, ApiError> {
        let user = session::signed_in(state, headers).await?;
        let (csrf, cookie) = session::csrf_token(state, headers);
        let frame = Frame { here, csrf, user: user.as_ref().map(|(u, _)| u.email.clone()), assets: assets::urls(), version: env!("CARGO_PKG_VERSION") };
        Ok(Visit { frame, user, cookie })
    }

    /// The page `template` as HTML with `status`, setting the pre-session cookie when needed.
    pub fn render(self, status: StatusCode, template: &impl Template) -> Response {
        let mut response = match template.render() {
            Ok(html) => (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
            Err(e) => return ApiError::internal("rendering a page", e).into_response(),
        };
        if let Some(cookie) = self.cookie {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        response
    }
}

/// A `303 See Other` to `to`, with extra `Set-Cookie` values.
pub fn see_other(to: &str, cookies: Vec<HeaderValue>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, HeaderValue::from_str(to).unwrap_or(HeaderValue::from_static("/")))]).into_response();
    for cookie in cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// Refuses a form whose CSRF token is not this visitor's, or that another
/// site's page sent (`Origin` naming another host).
///
/// # Errors
/// 403 `bad_csrf_token`.
pub fn check_form(state: &AppState, headers: &HeaderMap, token: &str) -> Result<(), ApiError> {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let foreign = match text(header::ORIGIN).filter(|o| *o != "null") {
        Some(origin) => {
            let same_host = url::Url::parse(origin).ok().is_some_and(|url| {
                let host = url.host_str().unwrap_or_default();
                let authority = url.port().map_or_else(|| host.to_string(), |port| format!("{host}:{port}"));
                text(header::HOST) == Some(authority.as_str())
            });
            let public = state.config.public_url.as_deref().and_then(|p| url::Url::parse(p).ok()).map(|u| u.origin().ascii_serialization());
            !same_host && public.as_deref() != Some(origin)
        }
        None => false,
    };
    if foreign || !session::csrf_matches(state, headers, token) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "bad_csrf_token", "this form has expired or came from another site: reload the page and try again"));
    }
    Ok(())
}
