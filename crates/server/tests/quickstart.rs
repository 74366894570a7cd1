//! Acceptance: the published Quick Start, a plain curl + jq script
//! (`scripts/quickstart.sh`: one poll, no `-L`), against the real server
//! binary, with a key made by `fileconv-server keys create` and without one.

mod common;

use std::path::Path;
use std::process::Command;

use common::server::{write_config, Server};
use common::{image_size, rose_png, testdata};

fn run_quickstart(script: &Path, dir: &Path, base_url: &str, key: &str) -> String {
    std::fs::write(dir.join("photo.png"), rose_png()).unwrap();
    let _ = std::fs::remove_file(dir.join("output.jpg"));
    let output = Command::new("bash").arg(script).current_dir(dir).env("BASE_URL", base_url).env("API_KEY", key).output().unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "quickstart failed: {log}");
    log
}

fn check_output(dir: &Path) {
    let jpg = std::fs::read(dir.join("output.jpg")).expect("output.jpg written");
    assert!(jpg.starts_with(&[0xFF, 0xD8, 0xFF]), "output.jpg is not a JPEG: {:?}", String::from_utf8_lossy(&jpg[..jpg.len().min(200)]));
    assert_eq!(image_size(&jpg, "jpg"), image_size(&rose_png(), "png"));
}

#[test]
fn the_quick_start_script_runs_unchanged_with_a_key_and_without() {
    quick_start_on("");
}

#[test]
fn the_quick_start_script_runs_on_postgresql() {
    let postgres = common::postgres::Postgres::start();
    quick_start_on(&format!("database_url = \"{}\"\n", postgres.database("quickstart")));
}

/// The Quick Start, keyed and free, against a server configured by `toml`.
fn quick_start_on(toml: &str) {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let config = write_config(work.path(), toml);
    let key = Server::keys(&data, &config, &["create", "--plan", "pro", "--label", "quickstart"]).trim().to_string();
    assert!(key.starts_with("coco_") && key.len() == 53, "{key}");
    let listed = Server::keys(&data, &config, &["list"]);
    assert!(listed.contains("pro") && listed.contains("quickstart") && !listed.contains(&key), "{listed}");

    let server = Server::start(&data, &config, "127.0.0.1:0");
    let script = testdata("../scripts/quickstart.sh");

    let keyed = work.path().join("keyed");
    std::fs::create_dir_all(&keyed).unwrap();
    run_quickstart(&script, &keyed, &server.base_url, &key);
    check_output(&keyed);

    // The free tier: the same script with the Authorization lines removed.
    let text = std::fs::read_to_string(&script).unwrap();
    let free_text: String = text.lines().filter(|l| !l.contains("Authorization")).map(|l| format!("{l}\n")).collect();
    assert_eq!(text.lines().count() - free_text.lines().count(), 3);
    let free_script = work.path().join("quickstart-free.sh");
    std::fs::write(&free_script, free_text).unwrap();
    let free = work.path().join("free");
    std::fs::create_dir_all(&free).unwrap();
    run_quickstart(&free_script, &free, &server.base_url, "unused");
    check_output(&free);

    // A revoked key is refused: the script's download then fetches "null".
    Server::keys(&data, &config, &["revoke", &key]);
    let response = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", &format!("Authorization: Bearer {key}")])
        .arg(format!("{}/api/jobs/none", server.base_url))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&response.stdout), "401");

    assert!(server.stop().success(), "graceful stop");
}
