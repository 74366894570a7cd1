//! Parts of a document a reader leaves unread until a writer asks for them.
//!
//! An office file holds two readings of the same content: the flowing tree
//! (what Markdown, HTML and text writers use) and the page layer (what the
//! PDF writer uses: slides, page flows, sheet grids). Each costs about what
//! the other does, and a conversion uses one of them, so readers of office
//! files defer both: [`Document::deferred`] keeps the input ([`KeptInput`]),
//! [`crate::Value::into_document`] reads the flowing tree for the writers
//! of flowing text, and the PDF writer reads the page layer
//! ([`Document::read_pages`]) and the tree only when it flows the text
//! itself.

use std::path::PathBuf;
use std::sync::Arc;

use super::fixed::PageLayer;
use super::Document;
use crate::{Context, Input, Result};

/// A reader's input kept for a later reading: its path when it has one
/// (read again then, so a file converted to Markdown is not kept twice in
/// memory), else a copy of its bytes, shared by every deferred part.
#[derive(Clone)]
pub struct KeptInput(Arc<Kept>);

enum Kept {
    Path(PathBuf),
    Bytes(Arc<[u8]>),
}

impl KeptInput {
    /// # Errors
    /// [`crate::Error::LimitExceeded`] when the copy passes the memory budget.
    pub fn new(input: &Input<'_>, ctx: &Context<'_>) -> Result<KeptInput> {
        let kept = match input.path {
            Some(path) => Kept::Path(path.to_path_buf()),
            None => {
                ctx.charge_memory(input.bytes.len() as u64, "memory for the file kept for a later reading (bytes)")?;
                Kept::Bytes(input.bytes.into())
            }
        };
        Ok(KeptInput(Arc::new(kept)))
    }

    /// Runs `read` on the input's bytes.
    ///
    /// # Errors
    /// What `read` gives; I/O errors reading the file again;
    /// [`crate::Error::LimitExceeded`] when its bytes pass the memory budget.
    pub fn read<T>(&self, ctx: &Context<'_>, read: impl FnOnce(&[u8]) -> Result<T>) -> Result<T> {
        match &*self.0 {
            Kept::Bytes(bytes) => read(bytes),
            Kept::Path(path) => {
                let bytes = std::fs::read(path)?;
                ctx.charge_memory(bytes.len() as u64, "memory for the file read again (bytes)")?;
                read(&bytes)
            }
        }
    }
}

type ReadPages = dyn Fn(&Context<'_>) -> Result<PageLayer> + Send + Sync;

/// A page layer read only when a writer of pages asks for it.
#[derive(Clone)]
pub struct LazyPages(Arc<ReadPages>);

impl LazyPages {
    /// The page layer `read` finds in the kept input. When the file's
    /// layout cannot be read (broken or past a limit), the document still
    /// converts, its text flowing onto pages, and a note says so.
    pub fn from_kept(kept: KeptInput, read: fn(&[u8], &Context<'_>) -> Result<PageLayer>) -> LazyPages {
        LazyPages(Arc::new(move |ctx| match kept.read(ctx, |bytes| read(bytes, ctx)) {
            Ok(layer) => Ok(layer),
            Err(e) if matches!(e.kind(), crate::ErrorKind::InvalidInput | crate::ErrorKind::LimitExceeded) => {
                ctx.note(format!("the file's page layout could not be read ({e}); its text is set on pages of the writer's own"));
                Ok(PageLayer::Unread)
            }
            Err(e) => Err(e),
        }))
    }

    /// [`LazyPages::from_kept`] for a reader that reads the flowing tree at once.
    ///
    /// # Errors
    /// As [`KeptInput::new`].
    pub fn from_input(input: &Input<'_>, ctx: &Context<'_>, read: fn(&[u8], &Context<'_>) -> Result<PageLayer>) -> Result<LazyPages> {
        Ok(LazyPages::from_kept(KeptInput::new(input, ctx)?, read))
    }

    /// Reads the layer.
    ///
    /// # Errors
    /// What the reader gives (cancellation, limits).
    pub fn read(&self, ctx: &Context<'_>) -> Result<PageLayer> {
        (self.0)(ctx)
    }
}

type ReadFlow = dyn Fn(&Context<'_>) -> Result<Document> + Send + Sync;

/// A document's flowing tree (blocks, title, author) read only when a
/// writer of flowing text asks for it.
#[derive(Clone)]
pub struct LazyFlow(Arc<ReadFlow>);

impl LazyFlow {
    /// Reads the tree.
    ///
    /// # Errors
    /// What the reader gives: [`crate::Error::InvalidInput`] for a broken
    /// file, limits, cancellation.
    pub fn read(&self, ctx: &Context<'_>) -> Result<Document> {
        (self.0)(ctx)
    }
}

macro_rules! opaque {
    ($($name:ident),*) => {$(
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($name))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                Arc::ptr_eq(&self.0, &other.0)
            }
        }
    )*};
}
opaque!(LazyPages, LazyFlow);

impl Document {
    /// A document whose flowing tree and page layer are both read later,
    /// from the kept input, by `flow` and `pages`.
    ///
    /// # Errors
    /// As [`KeptInput::new`].
    pub fn deferred(
        input: &Input<'_>,
        ctx: &Context<'_>,
        flow: fn(&[u8], &Context<'_>) -> Result<Document>,
        pages: fn(&[u8], &Context<'_>) -> Result<PageLayer>,
    ) -> Result<Document> {
        let kept = KeptInput::new(input, ctx)?;
        let lazy_pages = Some(LazyPages::from_kept(kept.clone(), pages));
        let lazy_flow = Some(LazyFlow(Arc::new(move |ctx| kept.read(ctx, |bytes| flow(bytes, ctx)))));
        Ok(Document { lazy_flow, lazy_pages, ..Document::default() })
    }

    /// Reads the flowing tree its reader deferred, for a writer of flowing text.
    ///
    /// # Errors
    /// What the deferred reader gives.
    pub fn read_flow(&mut self, ctx: &Context<'_>) -> Result<()> {
        if let Some(lazy) = self.lazy_flow.take() {
            let flow = lazy.read(ctx)?;
            self.blocks = flow.blocks;
            self.title = self.title.take().or(flow.title);
            self.author = self.author.take().or(flow.author);
        }
        Ok(())
    }

    /// Reads the page layer its reader deferred, for a writer of pages.
    ///
    /// # Errors
    /// What the deferred reader gives (cancellation, limits).
    pub fn read_pages(&mut self, ctx: &Context<'_>) -> Result<()> {
        if let Some(lazy) = self.lazy_pages.take() {
            match lazy.read(ctx)? {
                PageLayer::Fixed(pages) => self.fixed_pages = pages,
                PageLayer::Flow(flow) => self.page_flow = Some(flow),
                PageLayer::Sheets(grids) => self.sheet_grids = grids,
                PageLayer::Unread => {}
            }
        }
        Ok(())
    }
}
