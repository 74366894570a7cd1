//! Bytes of uploads and results, through the `object_store` interface: a
//! folder under the data dir (URLs signed and served by this service), or an
//! S3-compatible store (URLs pre-signed by the store, bytes never pass
//! through the service on the way in or out).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::signer::Signer;
use object_store::{ObjectStore, WriteMultipart};
use tokio::io::AsyncReadExt;

use crate::config::{StorageConfig, StorageKind};

/// How an upload stream ended, when it did not end well.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the upload is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the upload was interrupted: {0}")]
    Body(String),
    #[error(transparent)]
    Store(#[from] object_store::Error),
}

/// An input made available as a local file for the engine.
pub struct StagedInput {
    pub path: PathBuf,
    /// A temporary copy (S3) is deleted when dropped; a local object is read in place.
    _temp: Option<tempfile::TempPath>,
}

enum Backend {
    Local { store: Arc<LocalFileSystem> },
    S3 { store: Arc<AmazonS3> },
}

/// The object store and the folder for temporary files.
pub struct Storage {
    backend: Backend,
    temp_dir: PathBuf,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_local() { "Storage(local)" } else { "Storage(s3)" })
    }
}

impl Storage {
    /// # Errors
    /// The folders cannot be made, or the S3 settings are incomplete.
    pub fn open(config: &StorageConfig, data_dir: &Path) -> Result<Storage, object_store::Error> {
        let temp_dir = data_dir.join("tmp");
        std::fs::create_dir_all(&temp_dir).map_err(|e| object_store::Error::Generic { store: "local", source: Box::new(e) })?;
        let backend = match config.kind {
            StorageKind::Local => {
                let root = data_dir.join("objects");
                std::fs::create_dir_all(&root).map_err(|e| object_store::Error::Generic { store: "local", source: Box::new(e) })?;
                Backend::Local { store: Arc::new(LocalFileSystem::new_with_prefix(&root)?.with_automatic_cleanup(true)) }
            }
            StorageKind::S3 => {
                // Settings not in the file come from the usual AWS_* variables.
                let mut builder = AmazonS3Builder::from_env().with_allow_http(config.allow_http);
                if let Some(bucket) = &config.bucket {
                    builder = builder.with_bucket_name(bucket);
                }
                if let Some(region) = &config.region {
                    builder = builder.with_region(region);
                }
                if let Some(endpoint) = &config.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if let Some(id) = &config.access_key_id {
                    builder = builder.with_access_key_id(id);
                }
                if let Some(secret) = &config.secret_access_key {
                    builder = builder.with_secret_access_key(secret);
                }
                Backend::S3 { store: Arc::new(builder.build()?) }
            }
        };
        Ok(Storage { backend, temp_dir })
    }

    /// Deletes leftovers of work that died with a process: files in the
    /// temporary folder (staged inputs, `.part` outputs) and, in local mode,
    /// the store's staging files (`name#n`) last written before `older_than`
    /// ago. Returns how many were deleted.
    pub fn sweep_leftovers(&self, data_dir: &Path, older_than: Duration) -> usize {
        let mut folders = vec![self.temp_dir.clone()];
        if self.is_local() {
            folders.push(data_dir.join("objects"));
        }
        let mut removed = 0;
        while let Some(folder) = folders.pop() {
            let Ok(entries) = std::fs::read_dir(&folder) else { continue };
            for entry in entries.flatten() {
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_dir() {
                    folders.push(entry.path());
                    continue;
                }
                let staged = folder == self.temp_dir || entry.file_name().to_string_lossy().contains('#');
                let old = meta.modified().ok().and_then(|t| t.elapsed().ok()).is_some_and(|age| age > older_than);
                if staged && old && std::fs::remove_file(entry.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        removed
    }

    /// True when this service serves the upload and download URLs itself.
    pub fn is_local(&self) -> bool {
        matches!(self.backend, Backend::Local { .. })
    }

    fn store(&self) -> &dyn ObjectStore {
        match &self.backend {
            Backend::Local { store } => store.as_ref(),
            Backend::S3 { store } => store.as_ref(),
        }
    }

    pub fn temp_dir(&self) -> &Path {
        &self.temp_dir
    }

    /// The store's own pre-signed URL (S3 only; `None` in local mode).
    ///
    /// # Errors
    /// The store cannot sign.
    pub async fn presigned_url(&self, method: &str, key: &str, expires_in: Duration) -> Result<Option<String>, object_store::Error> {
        let Backend::S3 { store } = &self.backend else { return Ok(None) };
        let method = if method == "PUT" { axum::http::Method::PUT } else { axum::http::Method::GET };
        Ok(Some(store.signed_url(method, &ObjectPath::from(key), expires_in).await?.to_string()))
    }

    /// The size of a stored object; `None` when there is none.
    ///
    /// # Errors
    /// The store fails for another reason than a missing object.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, object_store::Error> {
        match self.store().head(&ObjectPath::from(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes a body to `key` as it arrives, refusing it once it passes `limit`
    /// bytes; nothing is kept of a refused or broken upload.
    ///
    /// # Errors
    /// [`UploadError::TooLarge`], a broken body, or a store failure.
    pub async fn put_stream<S, E>(&self, key: &str, mut body: S, limit: u64) -> Result<u64, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let upload = self.store().put_multipart(&ObjectPath::from(key)).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, 8 << 20);
        let mut written = 0u64;
        let failure = loop {
            match body.next().await {
                None => break None,
                Some(Err(e)) => break Some(UploadError::Body(e.to_string())),
                Some(Ok(chunk)) => {
                    written += chunk.len() as u64;
                    if written > limit {
                        break Some(UploadError::TooLarge { limit });
                    }
                    if let Err(e) = writer.wait_for_capacity(4).await {
                        break Some(e.into());
                    }
                    writer.put(chunk);
                }
            }
        };
        match failure {
            None => {
                writer.finish().await?;
                Ok(written)
            }
            Some(e) => {
                let _ = writer.abort().await;
                Err(e)
            }
        }
    }

    /// The first `len` bytes of an object (fewer when it is shorter).
    ///
    /// # Errors
    /// The object is missing or the store fails.
    pub async fn head_bytes(&self, key: &str, len: u64) -> Result<Bytes, object_store::Error> {
        if len == 0 {
            return Ok(Bytes::new());
        }
        self.store().get_range(&ObjectPath::from(key), 0..len).await
    }

    /// An object as a stream of chunks, with its size.
    ///
    /// # Errors
    /// The object is missing or the store fails.
    pub async fn read_stream(
        &self,
        key: &str,
    ) -> Result<(u64, impl Stream<Item = Result<Bytes, object_store::Error>> + Send + 'static), object_store::Error> {
        let result = self.store().get(&ObjectPath::from(key)).await?;
        Ok((result.meta.size, result.into_stream()))
    }

    /// An object as a local file for the engine: the stored file itself in
    /// local mode, a temporary copy otherwise.
    ///
    /// # Errors
    /// The object is missing or cannot be copied.
    pub async fn stage_input(&self, key: &str) -> Result<StagedInput, object_store::Error> {
        let location = ObjectPath::from(key);
        if let Backend::Local { store } = &self.backend {
            let path = store.path_to_filesystem(&location)?;
            if !path.is_file() {
                return Err(object_store::Error::NotFound { path: key.to_string(), source: "no such file".into() });
            }
            return Ok(StagedInput { path, _temp: None });
        }
        let temp = tempfile::Builder::new().prefix("input-").tempfile_in(&self.temp_dir).map_err(generic)?;
        let (file, temp_path) = temp.into_parts();
        let mut file = tokio::fs::File::from_std(file);
        let (_, mut chunks) = self.read_stream(key).await?;
        while let Some(chunk) = chunks.next().await {
            tokio::io::AsyncWriteExt::write_all(&mut file, &chunk?).await.map_err(generic)?;
        }
        tokio::io::AsyncWriteExt::flush(&mut file).await.map_err(generic)?;
        Ok(StagedInput { path: temp_path.to_path_buf(), _temp: Some(temp_path) })
    }

    /// Stores a finished local file under `key`: moved into place in local
    /// mode (the temporary folder is on the same disk), streamed otherwise.
    ///
    /// # Errors
    /// The file cannot be moved or uploaded.
    pub async fn store_file(&self, key: &str, file: &Path) -> Result<u64, object_store::Error> {
        let location = ObjectPath::from(key);
        if let Backend::Local { store } = &self.backend {
            let target = store.path_to_filesystem(&location)?;
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent).await.map_err(generic)?;
            }
            tokio::fs::rename(file, &target).await.map_err(generic)?;
            return Ok(tokio::fs::metadata(&target).await.map_err(generic)?.len());
        }
        let mut source = tokio::fs::File::open(file).await.map_err(generic)?;
        let mut writer = WriteMultipart::new_with_chunk_size(self.store().put_multipart(&location).await?, 8 << 20);
        let mut buffer = vec![0u8; 1 << 20];
        let mut total = 0u64;
        loop {
            let n = source.read(&mut buffer).await.map_err(generic)?;
            if n == 0 {
                break;
            }
            writer.wait_for_capacity(4).await?;
            writer.write(&buffer[..n]);
            total += n as u64;
        }
        writer.finish().await?;
        Ok(total)
    }

    /// Deletes an object; a missing one is not an error.
    ///
    /// # Errors
    /// The store fails.
    pub async fn delete(&self, key: &str) -> Result<(), object_store::Error> {
        match self.store().delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn generic(e: std::io::Error) -> object_store::Error {
    object_store::Error::Generic { store: "fileconv", source: Box::new(e) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn s3_urls_are_the_stores_own_presigned_urls() {
        let dir = tempfile::tempdir().unwrap();
        let config = StorageConfig {
            kind: StorageKind::S3,
            bucket: Some("uploads".into()),
            region: Some("eu-west-1".into()),
            endpoint: Some("http://127.0.0.1:9000".into()),
            access_key_id: Some("AKIDEXAMPLE".into()),
            secret_access_key: Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into()),
            allow_http: true,
        };
        let storage = Storage::open(&config, dir.path()).unwrap();
        assert!(!storage.is_local());
        let url = storage.presigned_url("PUT", "uploads/abc/photo.png", Duration::from_secs(600)).await.unwrap().unwrap();
        assert!(url.starts_with("http://127.0.0.1:9000/uploads/uploads/abc/photo.png?"), "{url}");
        for part in ["X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Expires=600", "X-Amz-Signature=", "AKIDEXAMPLE"] {
            assert!(url.contains(part), "{part} missing from {url}");
        }
        let get = storage.presigned_url("GET", "uploads/abc/photo.png", Duration::from_secs(600)).await.unwrap().unwrap();
        assert_ne!(url, get);
    }

    #[tokio::test]
    async fn local_uploads_stop_at_the_limit_and_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(&StorageConfig::default(), dir.path()).unwrap();
        assert_eq!(storage.presigned_url("PUT", "a/b", Duration::from_secs(1)).await.unwrap(), None);
        let chunks = || futures_util::stream::iter((0..4).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![7u8; 1000]))));
        assert!(matches!(storage.put_stream("a/big", chunks(), 3999).await, Err(UploadError::TooLarge { limit: 3999 })));
        assert_eq!(storage.size("a/big").await.unwrap(), None);
        assert_eq!(storage.put_stream("a/ok", chunks(), 4000).await.unwrap(), 4000);
        assert_eq!(storage.size("a/ok").await.unwrap(), Some(4000));
        assert_eq!(storage.head_bytes("a/ok", 10).await.unwrap().len(), 10);
        storage.delete("a/ok").await.unwrap();
        storage.delete("a/ok").await.unwrap();
        assert_eq!(storage.size("a/ok").await.unwrap(), None);
    }
}

/// A name safe in a storage key and a URL path: letters, digits, `.`, `-`
/// and `_` kept, everything else `_`, at most 100 characters, never `.` or `..`.
pub fn safe_file_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' { c } else { '_' })
        .collect();
    let safe: String = safe.chars().rev().take(100).collect::<Vec<_>>().into_iter().rev().collect();
    if safe.trim_matches('.').is_empty() {
        format!("file{safe}").replace('.', "_")
    } else {
        safe
    }
}
