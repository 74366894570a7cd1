//! The pages' stylesheet and scripts, embedded in the binary and served
//! under names that carry a hash of their content, so a browser may keep
//! them for a year and a new build is never mixed with an old cache.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: [Asset; 4] = [
    Asset { name: "site.css", content_type: "text/css; charset=utf-8", body: include_bytes!("../../assets/site.css") },
    Asset { name: "converter.js", content_type: "text/javascript; charset=utf-8", body: include_bytes!("../../assets/converter.js") },
    Asset { name: "formats.js", content_type: "text/javascript; charset=utf-8", body: include_bytes!("../../assets/formats.js") },
    Asset { name: "profile.js", content_type: "text/javascript; charset=utf-8", body: include_bytes!("../../assets/profile.js") },
];

/// The URL of each asset, as the templates link them.
#[derive(Debug)]
pub struct AssetUrls {
    pub css: String,
    pub converter_js: String,
    pub formats_js: String,
    pub profile_js: String,
    /// Hashed file name → index in [`ASSETS`].
    names: Vec<(String, usize)>,
}

/// `site.css` → `site.1a2b3c4d5e.css`.
fn hashed_name(asset: &Asset) -> String {
    let digest = hex::encode(&Sha256::digest(asset.body)[..5]);
    match asset.name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{digest}.{ext}"),
        None => format!("{}.{digest}", asset.name),
    }
}

pub fn urls() -> &'static AssetUrls {
    static URLS: OnceLock<AssetUrls> = OnceLock::new();
    URLS.get_or_init(|| {
        let names: Vec<(String, usize)> = ASSETS.iter().enumerate().map(|(i, a)| (hashed_name(a), i)).collect();
        let url = |i: usize| format!("/assets/{}", names[i].0);
        AssetUrls { css: url(0), converter_js: url(1), formats_js: url(2), profile_js: url(3), names }
    })
}

/// `GET /assets/{name}`: an embedded file by its hashed name, cacheable for a year.
pub async fn serve(Path(name): Path<String>) -> Response {
    let Some(&(_, index)) = urls().names.iter().find(|(hashed, _)| *hashed == name) else {
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain")], "no such asset").into_response();
    };
    let asset = &ASSETS[index];
    let mut response = asset.body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_content_hash() {
        let urls = urls();
        assert!(urls.css.starts_with("/assets/site.") && urls.css.ends_with(".css") && urls.css.len() == "/assets/site..css".len() + 10, "{}", urls.css);
        assert_ne!(urls.converter_js, urls.formats_js);
    }
}
