//! The router's tests (router/cases.rs) again, each over a fresh database
//! of one PostgreSQL server started for this test binary.

mod common;

async fn app(toml: &str) -> common::TestApp {
    common::app_on_postgres(toml).await
}

include!("router/cases.rs");
