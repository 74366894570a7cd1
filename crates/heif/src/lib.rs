//! HEIC/HEIF and AVIF, read and written through the system libheif.
//!
//! | format | read | write | backend |
//! |---|---|---|---|
//! | heic | yes: grids, rotation, alpha, 10-bit, bursts as frames | yes (x265) | the system libheif 1.15 |
//! | avif | yes | yes (libaom) | the system libheif 1.15 |
//!
//! A crate of its own, apart from `fileconv-image`, because libheif and the
//! codec libraries it loads cost a program 5 ms at every start: the
//! command-line tool's quick binary leaves them out (see `fileconv-cli`).

mod avif;
mod heic;

/// Does nothing; calling it makes sure this crate, and so its registrations,
/// are linked into the program.
#[inline(never)]
pub fn link() {}
