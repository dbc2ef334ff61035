//! The binary: its configuration (TOML, environment, flags) and command line, run as a
//! process.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

/// A child process that is killed when dropped, whatever happens to the test.
struct Child {
    child: std::process::Child,
    log: std::path::PathBuf,
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Child {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn tagmark(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tagmark"));
    command
        .current_dir(cwd)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    command
}

/// Run to completion (at most 60 s); exit success and standard error.
fn run_to_exit(mut command: Command) -> (bool, String) {
    let mut child = command
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tagmark");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tagmark did not exit within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.success(), stderr)
}

fn spawn_server(mut command: Command, log_dir: &Path, name: &str) -> Child {
    let log = log_dir.join(format!("{name}.log"));
    let file = std::fs::File::create(&log).unwrap();
    let child = command.stderr(file).spawn().expect("start tagmark");
    Child { child, log }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Wait (at most 60 s) until the server answers /health with 200.
async fn wait_healthy(child: &mut Child, port: u16) -> Value {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.child.try_wait().unwrap() {
            panic!("tagmark exited ({status}) before serving: {}", child.log());
        }
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
        {
            let status = response.status();
            let body: Value = response.json().await.expect("health is JSON");
            assert_eq!(status, StatusCode::OK, "{body}");
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "tagmark did not answer on port {port} within 60 s: {}",
            child.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_database_scheme_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = tagmark(dir.path());
    command
        .arg("serve")
        .env("TAGMARK_DATABASE_URL", "foo://x")
        .env("TAGMARK_BIND", format!("127.0.0.1:{}", free_port()));
    let (success, stderr) = run_to_exit(command);
    assert!(!success, "{stderr}");
    assert!(stderr.contains("\"foo\""), "the scheme is named: {stderr}");
    assert!(
        stderr.contains("sqlite://"),
        "the choices are named: {stderr}"
    );
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_secret_key_is_refused_without_echoing_it() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "hunter2-but-longer";
    let mut command = tagmark(dir.path());
    command
        .arg("serve")
        .env("TAGMARK_SECRET_KEY", secret)
        .env("TAGMARK_BIND", format!("127.0.0.1:{}", free_port()));
    let (success, stderr) = run_to_exit(command);
    assert!(!success, "{stderr}");
    assert!(stderr.contains("at least 32 bytes"), "{stderr}");
    assert!(!stderr.contains(secret), "the secret is echoed: {stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "the secret is echoed: {stderr}"
    );
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_without_configuration_keeps_its_data_in_tagmark_db() {
    let dir = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut command = tagmark(dir.path());
    command
        .arg("serve")
        .env("TAGMARK_BIND", format!("127.0.0.1:{port}"));
    let mut child = spawn_server(command, logs.path(), "default");
    let health = wait_healthy(&mut child, port).await;
    assert_eq!(health["status"], "ok");
    assert!(
        dir.path().join("tagmark.db").is_file(),
        "{:?}",
        entries(dir.path())
    );
    drop(child);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_toml_file_configures_and_env_and_flags_override_it() {
    let dir = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let (p1, p2, p3) = (free_port(), free_port(), free_port());
    let db = dir.path().join("from-file.db");
    let config = dir.path().join("tagmark.toml");
    std::fs::write(
        &config,
        format!(
            "bind = \"127.0.0.1:{p1}\"\ndatabase_url = \"sqlite://{}\"\n",
            db.display()
        ),
    )
    .unwrap();

    let mut command = tagmark(dir.path());
    command.args(["serve", "--config"]).arg(&config);
    let mut child = spawn_server(command, logs.path(), "file");
    wait_healthy(&mut child, p1).await;
    assert!(db.is_file(), "the file's database_url is used");
    assert!(!dir.path().join("tagmark.db").exists());
    drop(child);

    let mut command = tagmark(dir.path());
    command
        .args(["serve", "--config"])
        .arg(&config)
        .env("TAGMARK_BIND", format!("127.0.0.1:{p2}"));
    let mut child = spawn_server(command, logs.path(), "env");
    wait_healthy(&mut child, p2).await;
    assert!(
        reqwest::get(format!("http://127.0.0.1:{p1}/health"))
            .await
            .is_err(),
        "the file's address is overridden by the environment"
    );
    drop(child);

    let mut command = tagmark(dir.path());
    command
        .env("TAGMARK_CONFIG", &config)
        .env("TAGMARK_BIND", format!("127.0.0.1:{p2}"))
        .args(["serve", "--bind", &format!("127.0.0.1:{p3}")]);
    let mut child = spawn_server(command, logs.path(), "flag");
    wait_healthy(&mut child, p3).await;
    assert!(
        reqwest::get(format!("http://127.0.0.1:{p2}/health"))
            .await
            .is_err(),
        "the flag wins over the environment"
    );
    drop(child);

    // A file with an unknown setting is refused, naming the file.
    std::fs::write(&config, "bnid = \"127.0.0.1:1\"\n").unwrap();
    let mut command = tagmark(dir.path());
    command.args(["serve", "--config"]).arg(&config);
    let (success, stderr) = run_to_exit(command);
    assert!(!success, "{stderr}");
    assert!(stderr.contains("tagmark.toml"), "{stderr}");
}
