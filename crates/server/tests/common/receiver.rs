//! A webhook receiver on loopback: records every request and answers with
//! the statuses it was given, in order (200 once they run out).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Hit {
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Unix milliseconds.
    pub at: i64,
}

#[derive(Default)]
struct Book {
    hits: Mutex<Vec<Hit>>,
    statuses: Mutex<VecDeque<u16>>,
}

pub struct Receiver {
    /// `http://127.0.0.1:PORT/hook`
    pub url: String,
    book: Arc<Book>,
}

impl Receiver {
    pub async fn start(statuses: &[u16]) -> Receiver {
        let book = Arc::new(Book { hits: Mutex::default(), statuses: Mutex::new(statuses.iter().copied().collect()) });
        let app = axum::Router::new().route("/hook", axum::routing::post(record)).with_state(book.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, book }
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.book.hits.lock().unwrap().clone()
    }

    /// The hits once there are `n`, or panics after `within`.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Hit> {
        let deadline = std::time::Instant::now() + within;
        loop {
            let hits = self.hits();
            if hits.len() >= n {
                return hits;
            }
            assert!(std::time::Instant::now() < deadline, "{} of {n} deliveries within {within:?}", hits.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn record(State(book): State<Arc<Book>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let at = fileconv_server::store::records::now_ms();
    book.hits.lock().unwrap().push(Hit { headers, body, at });
    let status = book.statuses.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}
