//! Random identifiers: job, file and key ids, worker names.

/// `bytes` random bytes as lowercase hex, from the operating system's generator.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random generator works");
    hex::encode(buf)
}
