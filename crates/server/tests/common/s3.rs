//! An S3-compatible store for a test, on loopback: s3s over a temporary
//! folder (s3s-fs), checking every request's SigV4 signature, and a
//! pre-signed URL's signature and expiry, against one access key.

use std::path::PathBuf;

use hyper_util::rt::TokioIo;

pub const ACCESS_KEY: &str = "fileconv-test";
pub const SECRET_KEY: &str = "fileconv-test-secret-key-0123456789";
pub const BUCKET: &str = "fileconv";

pub struct S3Store {
    pub endpoint: String,
    dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl S3Store {
    /// Starts the store with an empty bucket, in the current runtime.
    pub async fn start() -> S3Store {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(BUCKET)).unwrap();
        let mut builder = s3s::service::S3ServiceBuilder::new(s3s_fs::FileSystem::new(dir.path()).unwrap());
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(socket), service).await;
                });
            }
        });
        S3Store { endpoint, dir, server }
    }

    /// The `[storage]` table of a configuration that uses this store.
    pub fn storage_toml(&self) -> String {
        format!(
            "[storage]\nkind = \"s3\"\nbucket = \"{BUCKET}\"\nregion = \"us-east-1\"\nendpoint = \"{}\"\naccess_key_id = \"{ACCESS_KEY}\"\nsecret_access_key = \"{SECRET_KEY}\"\nallow_http = true\n",
            self.endpoint
        )
    }

    /// Where an object's bytes are on disk.
    pub fn object_path(&self, key: &str) -> PathBuf {
        self.dir.path().join(BUCKET).join(key)
    }
}

impl Drop for S3Store {
    fn drop(&mut self) {
        self.server.abort();
    }
}
