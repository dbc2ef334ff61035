//! External tools a test needs (a browser, Python packages, database servers): installed when
//! missing, never skipped. `.ci/deps` installs the same lists up front; this makes `cargo test`
//! alone work on a fresh machine too. Installs are serialised across test processes by a lock.

use std::path::Path;
use std::process::Command;

const LOCK: &str = "/tmp/tagmark-test-tools.lock";

fn run_locked(script: &str) {
    let status = Command::new("flock")
        .args([LOCK, "bash", "-c", script])
        .status()
        .unwrap_or_else(|e| panic!("cannot run flock/bash to install test tools: {e}"));
    assert!(status.success(), "installing test tools failed: {script}");
}

/// Make sure each `(file, package)` exists: when `file` (an absolute path, or a command name
/// looked up on PATH) is missing, `package` is installed from Debian's archive.
pub fn require_apt(tools: &[(&str, &str)]) {
    let missing: Vec<&str> = tools
        .iter()
        .filter(|(file, _)| !exists(file))
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return;
    }
    // Checked again under the lock: another test process may have installed them meanwhile.
    let checks: Vec<String> = tools
        .iter()
        .map(|(file, _)| format!("{{ [ -e {file} ] || command -v {file}; }} >/dev/null"))
        .collect();
    run_locked(&format!(
        "{} || {{ apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {} >/dev/null; }}",
        checks.join(" && "),
        missing.join(" ")
    ));
    for (file, package) in tools {
        assert!(
            exists(file),
            "{file} is still missing after installing {package}"
        );
    }
}

/// Make sure each Python module `(import_name, pip_spec)` imports; installs `pip_spec` if not.
/// A pinned spec (`name==version`) is also installed over another installed version.
pub fn require_pip(modules: &[(&str, &str)]) {
    let missing: Vec<&str> = modules
        .iter()
        .filter(|(module, spec)| !python_has(module) || !pin_holds(spec))
        .map(|(_, spec)| *spec)
        .collect();
    if missing.is_empty() {
        return;
    }
    run_locked(&format!(
        "python3 -m pip install -q --disable-pip-version-check {}",
        missing.join(" ")
    ));
    for (module, spec) in modules {
        assert!(
            python_has(module),
            "python module {module} missing after installing {spec}"
        );
        assert!(
            pin_holds(spec),
            "{spec} is not installed after installing it"
        );
    }
}

/// True unless `spec` pins a version (`name==version`) other than the installed one.
fn pin_holds(spec: &str) -> bool {
    let Some((name, version)) = spec.split_once("==") else {
        return true;
    };
    let check =
        "import sys, importlib.metadata as m; sys.exit(m.version(sys.argv[1]) != sys.argv[2])";
    Command::new("python3")
        .args(["-c", check, name.trim(), version.trim()])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn python_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn exists(file: &str) -> bool {
    if file.contains('/') {
        return Path::new(file).exists();
    }
    Command::new("bash")
        .args(["-c", &format!("command -v {file}")])
        .output()
        .is_ok_and(|o| o.status.success())
}
