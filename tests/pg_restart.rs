//! Three servers on one PostgreSQL that crashes and restarts under a write load: nothing
//! acknowledged is lost, the servers answer 503 meanwhile and recover by themselves.
//!
//! The PostgreSQL is a cluster of this test's own (initdb into a temporary directory, its own
//! port), never the machine's server on 5432, which other tests and people are using.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

/// A PostgreSQL cluster of our own, stopped (immediately) when dropped.
struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Postgres {
    fn start() -> Postgres {
        common::tools::require_apt(&[("pg_lsclusters", "postgresql")]);
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL is installed under /usr/lib/postgresql")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("initdb").exists())
            .max()
            .expect("a PostgreSQL server version with initdb");
        let dir = tempfile::Builder::new()
            .prefix("tagmark-pg-")
            .tempdir()
            .expect("temp dir");
        let data = dir.path().join("data");
        // A free port: bind to port 0 and let go of it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        if is_root() {
            // The server refuses to run as root.
            run(
                "chown",
                &["postgres", &dir.path().display().to_string()],
                None,
            );
        }
        let postgres = Postgres {
            bin,
            data,
            port,
            _dir: dir,
        };
        postgres.pg(
            "initdb",
            &[
                "-D",
                &postgres.data.display().to_string(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        postgres.ctl(&["start", "-w", "-t", "60"]);
        postgres
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// `pg_ctl` with the server's options (its own port, socket directory and small memory).
    fn ctl(&self, args: &[&str]) {
        let data = self.data.display().to_string();
        let socket_dir = self.data.parent().unwrap_or(Path::new("/tmp")).display();
        let options = format!(
            "-p {} -k {socket_dir} -c listen_addresses=127.0.0.1 -c shared_buffers=16MB \
             -c max_connections=100 -c fsync=on -c synchronous_commit=on",
            self.port
        );
        let log = self.data.with_file_name("server.log").display().to_string();
        let mut all = vec!["-D", &data, "-o", &options, "-l", &log];
        all.extend_from_slice(args);
        self.pg("pg_ctl", &all);
    }

    /// Run a PostgreSQL program as the postgres user.
    fn pg(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program).display().to_string();
        if is_root() {
            let mut all = vec!["-u", "postgres", "--", &program];
            all.extend_from_slice(args);
            run("runuser", &all, Some(&self.data));
        } else {
            run(&program, args, Some(&self.data));
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let program = self.bin.join("pg_ctl").display().to_string();
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", &program]);
            c
        } else {
            Command::new(&program)
        };
        let _ = command
            .args(["-D", &data, "stop", "-m", "immediate"])
            .output();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn run(program: &str, args: &[&str], log_near: Option<&Path>) {
    let output = Command::new(program)
        .args(args)
        .current_dir("/tmp")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    if !output.status.success() {
        let log = log_near
            .map(|d| d.with_file_name("server.log"))
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        panic!(
            "{program} {args:?} failed:\n{}{}\n{log}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_under_write_load_loses_nothing_acknowledged() {
    let postgres = tokio::task::spawn_blocking(Postgres::start)
        .await
        .expect("start PostgreSQL");
    let db = TestDb::on_server(&postgres.url()).await;
    let mut apps = Vec::new();
    for _ in 0..3 {
        apps.push(TestApp::start(test_config(&db.url)).await);
    }
    let admin = apps[0].admin_token().await;
    let (_, token) = apps[0].create_account(&admin, "load@example.com").await;
    let mut import_tokens = Vec::new();
    for n in 1..=3 {
        let email = format!("import{n}@example.com");
        import_tokens.push(apps[0].create_account(&admin, &email).await.1);
    }

    let started = Instant::now();
    let times = std::sync::Mutex::new((started, started));
    let postgres = std::sync::Arc::new(postgres);
    let fault = async {
        tokio::time::sleep(Duration::from_secs(8)).await;
        let crashed = Instant::now();
        // Immediate: no checkpoint, what was committed must come back from the WAL.
        let pg = postgres.clone();
        tokio::task::spawn_blocking(move || pg.ctl(&["stop", "-m", "immediate"]))
            .await
            .expect("stop PostgreSQL");
        tokio::time::sleep(Duration::from_secs(3)).await;
        let pg = postgres.clone();
        tokio::task::spawn_blocking(move || pg.ctl(&["start", "-w", "-t", "60"]))
            .await
            .expect("start PostgreSQL");
        *times.lock().unwrap() = (crashed, Instant::now());
    };
    let refs: Vec<&TestApp> = apps.iter().collect();
    let record = faults::write_load(
        &refs,
        &token,
        &import_tokens,
        16,
        Duration::from_secs(20),
        fault,
    )
    .await;
    let (crashed, back) = *times.lock().unwrap();
    let mut recovered = Duration::ZERO;
    for app in &apps {
        recovered = recovered.max(faults::wait_healthy(app, Duration::from_secs(30)).await);
    }
    let first_ok = (0..3)
        .map(|s| record.first_ok_after(s, back))
        .collect::<Option<Vec<_>>>()
        .and_then(|times| times.into_iter().max())
        .map(|t| t.saturating_duration_since(back));
    let unavailable = record.requests.iter().filter(|r| r.3 == 503).count();
    eprintln!("postgres restart: {}", record.summary(3));
    eprintln!(
        "postgres restart: killed (immediate) at {:.1} s, up again at {:.1} s; {unavailable} \
         answers 503; every server answered a 2xx again within {first_ok:?} of the restart",
        (crashed - started).as_secs_f64(),
        (back - started).as_secs_f64(),
    );

    record.check_answers();
    assert!(unavailable > 0, "no server noticed the restart");
    assert!(
        first_ok.is_some_and(|t| t < Duration::from_secs(10)),
        "servers did not recover by themselves: {first_ok:?}"
    );
    assert!(recovered < Duration::from_secs(10));
    assert!(
        record.max_latency() < Duration::from_secs(20),
        "a request took {:?}",
        record.max_latency()
    );
    record.check_stored(&db.url).await;
    for app in apps {
        app.stop().await;
    }
    db.drop_db().await;
}
