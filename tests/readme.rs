//! The README's curl walk-through, run as written against a real server: every command must
//! succeed (curl -f), and what it leaves behind is checked.
mod common;

use common::*;

/// The first ```sh block after the "## API overview" heading.
fn readme_walkthrough() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = &readme[readme
        .find("## API overview")
        .expect("API overview section")..];
    let start = section.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let end = start + section[start..].find("```").expect("end of block");
    section[start..end].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_curl_examples_work_as_written() {
    if std::process::Command::new("jq")
        .arg("--version")
        .output()
        .is_err()
        || std::process::Command::new("curl")
            .arg("--version")
            .output()
            .is_err()
    {
        panic!("this test needs curl and jq, as the README's examples do");
    }
    let db = TestDb::sqlite().await;
    let mut config = test_config(&db.url);
    config.admin = Some(("admin".into(), "change-me-please".to_owned().into()));
    let app = TestApp::start(config).await;
    let script = readme_walkthrough();
    assert!(script.starts_with("B=http://127.0.0.1:8000\n"), "{script}");
    // Point it at the test server, and make every curl fail on an HTTP error.
    let script = format!(
        "set -euo pipefail\nB={}\n{}",
        app.base,
        script["B=http://127.0.0.1:8000\n".len()..].replace("curl -s ", "curl -sf ")
    );
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .arg("-c")
            .arg(&script)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "README walk-through failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(r#""OK""#), "{stdout}");
    // The sync after the deletions reports the link as deleted.
    assert!(stdout.contains(r#""deleted":[{"link_id":"#), "{stdout}");
    assert!(
        stdout.contains(r#""hashed_password":"**********""#),
        "{stdout}"
    );
    // It ends by deleting ann's account with everything in it.
    assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM links").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM tags").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM changes").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM sync_seqs").await, 0);
}
