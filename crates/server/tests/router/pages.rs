// The web pages and accounts, through the router alone. The same pages in a
// real browser: tests/browser.

/// A page's body as text, with its status and headers.
async fn page(app: &common::TestApp, method: &str, uri: &str, cookies: &str, form: Option<&str>) -> (u16, axum::http::HeaderMap, String) {
    let mut builder = axum::http::Request::builder().method(method).uri(uri).header("x-forwarded-for", "10.9.9.9").header("host", "files.test");
    if !cookies.is_empty() {
        builder = builder.header("cookie", cookies);
    }
    let body = match form {
        Some(form) => {
            builder = builder.header("content-type", "application/x-www-form-urlencoded");
            axum::body::Body::from(form.to_string())
        }
        None => axum::body::Body::empty(),
    };
    let response = app.send(builder.body(body).unwrap()).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&bytes).into_owned())
}

/// `name=value` of each `Set-Cookie`, joined as a `Cookie` header would be.
fn cookies_of(headers: &axum::http::HeaderMap, old: &str) -> String {
    let mut jar: Vec<(String, String)> = old.split("; ").filter_map(|p| p.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    for value in headers.get_all("set-cookie") {
        let pair = value.to_str().unwrap().split(';').next().unwrap();
        let (name, value) = pair.split_once('=').unwrap();
        jar.retain(|(k, _)| k != name);
        if !value.is_empty() {
            jar.push((name.to_string(), value.to_string()));
        }
    }
    jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
}

fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf-token\" content=\"").expect("a csrf meta tag") + 27;
    html[start..start + 64].to_string()
}

#[tokio::test]
async fn every_page_is_html_with_a_strict_policy_and_hashed_assets() {
    let app = app("[plans.pro]\nmax_file_mb = 777\n").await;
    for path in ["/", "/formats", "/formats?q=png&family=image", "/plans", "/docs", "/signin", "/signup"] {
        let (status, headers, html) = page(&app, "GET", path, "", None).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline") && policy.contains("frame-ancestors 'none'"), "{policy}");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert!(html.contains("<html lang=\"en\">") && html.contains("<main id=\"main\">"), "{path}");
        assert!(!html.contains("<script>") && !html.contains(" style=\""), "{path} has inline script or style");
    }
    let (_, _, plans) = page(&app, "GET", "/plans", "", None).await;
    assert!(plans.contains("777 MB"), "the plans page shows the configuration");
    let (_, _, docs) = page(&app, "GET", "/docs", "", None).await;
    assert!(docs.contains("BASE_URL=&#34;http://files.test&#34;") && docs.contains("/api/jobs/{jobId}"), "the docs fill in this server's URL");
    let (_, _, formats) = page(&app, "GET", "/formats?q=png&family=image", "", None).await;
    assert!(formats.contains("(png, image)") && !formats.contains("(mp3, audio)"), "server-side filtering");
    let (_, _, home) = page(&app, "GET", "/", "", None).await;
    let css = home.split("href=\"").find_map(|s| s.split('"').next().filter(|u| u.starts_with("/assets/site."))).unwrap().to_string();
    let (status, headers, body) = page(&app, "GET", &css, "", None).await;
    assert_eq!(status, 200);
    assert!(headers["cache-control"].to_str().unwrap().contains("immutable") && body.contains(":root"));
    assert_eq!(page(&app, "GET", "/assets/site.0000000000.css", "", None).await.0, 404);

    // The catalogue the converter loads comes gzipped to a client that takes it.
    let request = axum::http::Request::builder().uri("/api/formats").header("accept-encoding", "br, gzip").body(axum::body::Body::empty()).unwrap();
    let response = app.send(request).await;
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let gzipped = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    let mut plain = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gzipped[..]), &mut plain).unwrap();
    let catalogue: serde_json::Value = serde_json::from_str(&plain).unwrap();
    assert!(catalogue["conversions"].as_array().unwrap().len() > 1000 && gzipped.len() * 5 < plain.len(), "{} bytes gzipped from {}", gzipped.len(), plain.len());
    let (_, headers, _) = app.json("GET", "/api/formats", "10.0.0.3", None, None).await;
    assert!(headers.get("content-encoding").is_none());
}

#[tokio::test]
async fn sign_up_sign_in_keys_and_usage() {
    let app = app("").await;
    let (_, headers, html) = page(&app, "GET", "/signup", "", None).await;
    let mut jar = cookies_of(&headers, "");
    let csrf = csrf_of(&html);
    assert!(jar.starts_with("fileconv_csrf="), "{jar}");
    assert!(headers["set-cookie"].to_str().unwrap().contains("HttpOnly; SameSite=Lax"));

    // Forms need the visitor's token, and not another site's origin.
    let (status, _, _) = page(&app, "POST", "/signup", &jar, Some("email=ann%40example.com&password=long+enough+pw&csrf=00")).await;
    assert_eq!(status, 403);
    let (status, _, html) = page(&app, "POST", "/signup", &jar, Some(&format!("email=ann%40example.com&password=short&csrf={csrf}"))).await;
    assert_eq!(status, 400);
    assert!(html.contains("at least 10 characters"));
    let (status, headers, _) = page(&app, "POST", "/signup", &jar, Some(&format!("email=Ann%40Example.com&password=long+enough+pw&csrf={csrf}"))).await;
    assert_eq!(status, 303);
    assert_eq!(headers["location"], "/profile");
    jar = cookies_of(&headers, &jar);
    assert!(jar.contains("fileconv_session="), "{jar}");
    let (status, _, html) = page(&app, "GET", "/profile", &jar, None).await;
    assert_eq!(status, 200);
    assert!(html.contains("ann@example.com") && html.contains("free"));
    let csrf = csrf_of(&html);
    let (status, _, _) = page(&app, "POST", "/signup", "", Some("email=ann%40example.com&password=long+enough+pw&csrf=00")).await;
    assert_eq!(status, 403, "no cookie, no form");

    // A key shown once, used, counted, revoked.
    let (status, _, html) = page(&app, "POST", "/profile/keys", &jar, Some(&format!("label=ci&csrf={csrf}"))).await;
    assert_eq!(status, 200);
    let start = html.find("coco_").unwrap();
    let key = html[start..start + 53].to_string();
    let (status, _, body) = app.json("POST", "/api/files/get-upload-url", "10.1.1.1", Some(&key), Some(serde_json::json!({"fileName": "a.png", "fileSize": 100}))).await;
    assert_eq!(status, 200, "{body}");
    let (_, _, html) = page(&app, "GET", "/profile", &jar, None).await;
    assert!(html.contains("data-usage=\"api-calls\">1 of no limit"), "the key's calls count against the account");
    assert!(html.contains("<td class=\"uses\">1</td>"), "the key's requests are counted");
    let id = &key[5..17];
    let (status, headers, _) = page(&app, "POST", &format!("/profile/keys/{id}/revoke"), &jar, Some(&format!("csrf={csrf}"))).await;
    assert_eq!((status, headers["location"].to_str().unwrap()), (303, &*format!("/profile?revoked={id}")));
    let (status, _, _) = app.json("POST", "/api/files/get-upload-url", "10.1.1.1", Some(&key), Some(serde_json::json!({"fileName": "a.png", "fileSize": 100}))).await;
    assert_eq!(status, 401);

    // The page's own API calls: the account's, with the session's token only.
    let api = |token: &str| {
        axum::http::Request::builder()
            .method("POST")
            .uri("/api/files/get-upload-url")
            .header("x-forwarded-for", "10.2.2.2")
            .header("cookie", jar.clone())
            .header("x-csrf-token", token.to_string())
            .header("content-type", "application/json")
            .body(axum::body::Body::from(r#"{"fileName":"b.png","fileSize":100}"#))
            .unwrap()
    };
    assert_eq!(app.send(api(&"0".repeat(64))).await.status(), 403);
    assert_eq!(app.send(api(&csrf)).await.status(), 200);
    let (_, _, html) = page(&app, "GET", "/profile", &jar, None).await;
    assert!(html.contains("data-usage=\"files\">2 of"), "both uploads count against the account");

    // Sign out, wrong password, sign in, change password.
    let (status, headers, _) = page(&app, "POST", "/signout", &jar, Some(&format!("csrf={csrf}"))).await;
    assert_eq!(status, 303);
    jar = cookies_of(&headers, &jar);
    assert!(!jar.contains("fileconv_session"));
    assert_eq!(page(&app, "GET", "/profile", &jar, None).await.0, 303);
    let (_, _, html) = page(&app, "GET", "/signin", &jar, None).await;
    let csrf = csrf_of(&html);
    let (status, _, html) = page(&app, "POST", "/signin", &jar, Some(&format!("email=ann%40example.com&password=wrong+password&csrf={csrf}"))).await;
    assert_eq!(status, 401);
    assert!(html.contains("The email or the password is wrong."));
    let (status, _, _) = page(&app, "POST", "/signin", &jar, Some(&format!("email=nobody%40example.com&password=wrong+password&csrf={csrf}"))).await;
    assert_eq!(status, 401);
    let (status, headers, _) = page(&app, "POST", "/signin", &jar, Some(&format!("email=ann%40example.com&password=long+enough+pw&csrf={csrf}"))).await;
    assert_eq!(status, 303);
    jar = cookies_of(&headers, &jar);
    let (_, _, html) = page(&app, "GET", "/profile", &jar, None).await;
    let csrf = csrf_of(&html);
    let (status, _, _) = page(&app, "POST", "/profile/password", &jar, Some(&format!("current=nope&password=another+long+one&csrf={csrf}"))).await;
    assert_eq!(status, 401);
    let (status, headers, _) = page(&app, "POST", "/profile/password", &jar, Some(&format!("current=long+enough+pw&password=another+long+one&csrf={csrf}"))).await;
    assert_eq!((status, headers["location"].to_str().unwrap()), (303, "/profile?changed=1"));
    assert!(app.state.db.users().await.unwrap()[0].password_hash.starts_with("$argon2id$"));
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_account() {
    let app = app("[rate_limits]\nfailed_sign_ins_per_hour = 2\nsign_in_per_minute = 100\n").await;
    let (_, headers, html) = page(&app, "GET", "/signin", "", None).await;
    let jar = cookies_of(&headers, "");
    let csrf = csrf_of(&html);
    let form = format!("email=bob%40example.com&password=guess&csrf={csrf}");
    assert_eq!(page(&app, "POST", "/signin", &jar, Some(&form)).await.0, 401);
    assert_eq!(page(&app, "POST", "/signin", &jar, Some(&form)).await.0, 401);
    let (status, _, html) = page(&app, "POST", "/signin", &jar, Some(&form)).await;
    assert_eq!(status, 429);
    assert!(html.contains("Too many failed sign-ins"));
}

#[tokio::test]
async fn forms_from_another_site_are_refused() {
    let app = app("").await;
    let (_, headers, html) = page(&app, "GET", "/signin", "", None).await;
    let jar = cookies_of(&headers, "");
    let csrf = csrf_of(&html);
    let request = axum::http::Request::builder()
        .method("POST")
        .uri("/signin")
        .header("host", "files.test")
        .header("origin", "https://evil.test")
        .header("cookie", jar)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!("email=a%40b.cd&password=x&csrf={csrf}")))
        .unwrap();
    assert_eq!(app.send(request).await.status(), 403);
}
