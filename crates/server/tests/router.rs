//! Every route and every error status, through the router alone (tower's
//! `oneshot`), over a fresh SQLite database and local store per test.

mod common;

use common::app;

include!("router/cases.rs");
include!("router/pages.rs");
