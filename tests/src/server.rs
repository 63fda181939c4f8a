//! Start the real server (`minqing-server demo`, or `serve` on a shared
//! database) as a child process on a free loopback port, learn the demo phone numbers from what it prints, and read
//! login codes from its `sms.log` like a developer would.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The server secret every test server process is given (hex, 32 bytes).
pub const TEST_SERVER_SECRET: &str =
    "6d696e71696e672d746573742d7365727665722d7365637265742d6b6579210a";

pub struct ServerProc {
    child: Child,
    pub url: String,
    pub addr: String,
    pub data_dir: PathBuf,
    /// Demo people by name → phone (printed on the first start only).
    pub phones: HashMap<String, String>,
}

impl ServerProc {
    /// `minqing-server demo` in `data_dir` on `listen` (`127.0.0.1:0` for any port).
    pub fn start(bin: &Path, data_dir: &Path, listen: &str) -> ServerProc {
        Self::start_with(bin, data_dir, listen, &[])
    }

    /// [`ServerProc::start`] with more arguments (`--config FILE`, …).
    pub fn start_with(bin: &Path, data_dir: &Path, listen: &str, extra: &[&str]) -> ServerProc {
        let mut cmd = Command::new(bin);
        cmd.args(["demo", "--data-dir"])
            .arg(data_dir)
            .args(["--listen", listen]);
        cmd.args(extra);
        Self::spawn(cmd, data_dir)
    }

    /// `minqing-server serve --database-url <url>` in `data_dir` on `listen`;
    /// with `seed_demo` it seeds the demo directory (when empty) and prints the
    /// phone numbers like `demo`. Several such servers may share one database.
    pub fn start_serve(
        bin: &Path,
        data_dir: &Path,
        listen: &str,
        database_url: &str,
        seed_demo: bool,
    ) -> ServerProc {
        Self::start_serve_with(bin, data_dir, listen, database_url, seed_demo, &[])
    }

    /// [`ServerProc::start_serve`] with more arguments (`--config FILE`, …).
    pub fn start_serve_with(
        bin: &Path,
        data_dir: &Path,
        listen: &str,
        database_url: &str,
        seed_demo: bool,
        extra: &[&str],
    ) -> ServerProc {
        let mut cmd = Command::new(bin);
        cmd.args(["serve", "--data-dir"]).arg(data_dir).args([
            "--listen",
            listen,
            "--database-url",
            database_url,
        ]);
        cmd.args(extra);
        if seed_demo {
            cmd.arg("--seed-demo");
        }
        Self::spawn(cmd, data_dir)
    }

    fn spawn(mut cmd: Command, data_dir: &Path) -> ServerProc {
        // Server processes sharing one database need one server secret (the
        // key of stored codes and tokens); without it each would make its own
        // file in its data dir, and the second would refuse to start.
        if !cmd.get_envs().any(|(k, _)| k == "MINQING_SERVER_SECRET") {
            cmd.env("MINQING_SERVER_SECRET", TEST_SERVER_SECRET);
        }
        let mut child = cmd
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start minqing-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut phones = HashMap::new();
        let url = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .expect("read stdout");
            if let Some(u) = line.strip_prefix("listening on ") {
                break u.trim().to_owned();
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.len() >= 3 && words[0].len() == 11 && words[0].starts_with('1') {
                phones.insert(words[2].to_owned(), words[0].to_owned());
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let addr = url.trim_start_matches("http://").to_owned();
        ServerProc {
            child,
            url,
            addr,
            data_dir: data_dir.to_path_buf(),
            phones,
        }
    }

    pub fn phone(&self, name: &str) -> String {
        self.phones
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("no demo user {name}"))
    }

    /// The newest login code texted to `phone` (waits briefly for the write).
    pub fn code_for(&self, phone: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let log = std::fs::read_to_string(self.data_dir.join("sms.log")).unwrap_or_default();
            if let Some(c) = minqing_server::sms::latest_code(&log, phone) {
                return c;
            }
            assert!(Instant::now() < deadline, "no code for {phone} in sms.log");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM: what a deployment sends to stop the server (systemd, Docker,
    /// Kubernetes); the server shuts down gracefully. Returns at once.
    pub fn terminate(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(sent, "kill -TERM {}", self.child.id());
    }

    /// Wait up to `limit` for the process to exit: its exit status, or `None`
    /// if it is still running.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= until {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// SIGKILL: no shutdown, no flush — what a crash looks like.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Resident memory of the server process in bytes (Linux).
    pub fn rss_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let kb: u64 = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        Some(kb * 1024)
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        self.kill();
    }
}
