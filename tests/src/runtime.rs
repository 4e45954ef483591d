//! The real binaries under cargo-lambda's Runtime API emulator, and the loopback ports they
//! and their servers listen on.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::process::{Child, Command};

use crate::{workspace, Result};

/// Path of a function binary built by `cargo build --workspace --bins` (the Makefile does that
/// before running the tests).
pub fn function_binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    let path = target.join("debug").join(name);
    assert!(
        path.exists(),
        "{} is missing: build the functions first with `cargo build --workspace --bins` \
         (`make test` does)",
        path.display()
    );
    path
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Wait (up to 20 s) until `server`, just spawned, accepts connections on loopback `port`.
pub async fn wait_for_port(port: u16, server: &mut Child, what: &str) -> Result<()> {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if let Some(status) = server.try_wait()? {
            return Err(format!("{what} exited early: {status}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{what} did not open its port").into())
}

/// cargo-lambda's Runtime API emulator (`cargo lambda watch --only-lambda-apis`) with a function
/// binary polling it, as Lambda runs a function; invoked with `cargo lambda invoke`.
pub struct LocalRuntime {
    port: u16,
    emulator: Child,
    function: Child,
}

impl LocalRuntime {
    /// Start the emulator and `binary` with `env` (plus what the emulator requires).
    pub async fn start(binary: &Path, env: &[(&str, String)]) -> Result<LocalRuntime> {
        LocalRuntime::start_with_stdout(binary, env, Stdio::null()).await
    }

    /// [`LocalRuntime::start`] with the function's log lines (its stdout) written to `log`.
    pub async fn start_logged(
        binary: &Path,
        env: &[(&str, String)],
        log: &Path,
    ) -> Result<LocalRuntime> {
        LocalRuntime::start_with_stdout(binary, env, std::fs::File::create(log)?.into()).await
    }

    async fn start_with_stdout(
        binary: &Path,
        env: &[(&str, String)],
        stdout: Stdio,
    ) -> Result<LocalRuntime> {
        let port = free_port()?;
        let mut emulator = Command::new("cargo")
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "-A",
                "127.0.0.1",
                "-P",
            ])
            .arg(port.to_string())
            .current_dir(workspace())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                format!("cargo lambda is not installed ({e}): run `make test` or scripts/tools.sh")
            })?;
        wait_for_port(port, &mut emulator, "cargo lambda watch").await?;
        let mut command = Command::new(binary);
        command
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{port}/.rt"),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_LEVEL", "warn")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (k, v) in env {
            command.env(k, v);
        }
        let function = command.spawn()?;
        Ok(LocalRuntime {
            port,
            emulator,
            function,
        })
    }

    /// `cargo lambda invoke --data-ascii <event> -o json`: the function's response, or its
    /// error as `{"error": "<errorType and message>", "message": ...}`, `message` being the
    /// same text on one line, without the box cargo lambda draws around it (it wraps long
    /// messages at a width of its own).
    pub async fn invoke(&mut self, event: &Value) -> Result<Value> {
        self.invoke_with(&["--data-ascii".to_owned(), event.to_string()])
            .await
    }

    /// `cargo lambda invoke --data-file <file> -o json`, as a user would run it by hand.
    pub async fn invoke_file(&mut self, file: &Path) -> Result<Value> {
        self.invoke_with(&["--data-file".to_owned(), file.display().to_string()])
            .await
    }

    /// `cargo lambda invoke` with the given data arguments (`--data-ascii`, `--data-file`).
    pub async fn invoke_with(&mut self, data: &[String]) -> Result<Value> {
        if let Some(status) = self.function.try_wait()? {
            return Err(format!("function exited: {status}").into());
        }
        let out = Command::new("cargo")
            .args(["lambda", "invoke", "-A", "127.0.0.1", "-P"])
            .arg(self.port.to_string())
            .args(["-o", "json"])
            .args(data)
            .current_dir(workspace())
            .stdin(Stdio::null())
            .output()
            .await?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if out.status.success() {
            return Ok(serde_json::from_str(stdout.trim())
                .map_err(|e| format!("invoke output is not JSON ({e}): {stdout}"))?);
        }
        // A function error: cargo lambda prints its type and message.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let error = format!("{stdout}{stderr}");
        let message = error
            .split_whitespace()
            .filter(|word| !matches!(*word, "│" | "×"))
            .collect::<Vec<_>>()
            .join(" ");
        Ok(serde_json::json!({ "error": error, "message": message }))
    }

    pub async fn stop(mut self) {
        let _ = self.function.kill().await;
        let _ = self.emulator.kill().await;
    }
}
