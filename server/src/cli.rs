//! The `minqing-server` command line: `demo` (embedded SQLite, seeded, prints
//! how to log in) and `serve` (configured by file, environment and flags;
//! `--seed-demo` seeds and prints the same demo data, e.g. into PostgreSQL).
//!
//! SIGTERM or SIGINT shuts the server down gracefully (`crate::app`, "Shutting
//! down") and it exits 0; a second signal during that exits at once (1).

use crate::app::{Config, Server};
use crate::seed::seed_demo;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "minqing-server", about = "民情直通车 cloud platform")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Common {
    /// TOML configuration file (keys as in `Config`; flags and environment win).
    #[arg(long, env = "MINQING_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (database, uploads, sms.log).
    #[arg(long, env = "MINQING_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Address to listen on (port 0: any free port).
    #[arg(long, env = "MINQING_LISTEN")]
    listen: Option<String>,
    /// Directory of working-day calendar files, one TOML file per year; each
    /// replaces the built-in State Council arrangement for its year.
    #[arg(long, env = "MINQING_CALENDAR_DIR")]
    calendar_dir: Option<PathBuf>,
    /// On SIGTERM/SIGINT, how many seconds requests in flight get to finish.
    #[arg(long, env = "MINQING_SHUTDOWN_GRACE_SECS")]
    shutdown_grace_secs: Option<u64>,
    /// The web console's built files (`console/dist` by default).
    #[arg(long, env = "MINQING_CONSOLE_DIR")]
    console_dir: Option<PathBuf>,
    /// Which gateway sends texts: `log` (`<data_dir>/sms.log`, the default),
    /// `tencent` (Tencent Cloud SMS) or `aliyun` (Alibaba Cloud SMS); their
    /// settings in the config file's `[sms.tencent]` / `[sms.aliyun]`, the
    /// SecretKey / AccessKeySecret in `MINQING_SMS_SECRET_KEY`.
    #[arg(long, env = "MINQING_SMS_PROVIDER")]
    sms_provider: Option<String>,
    /// With the demo directory, also file demo items (the manhole story and two
    /// dozen more, reviews, chases) for the console to show.
    #[arg(long)]
    demo_items: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Run on an embedded SQLite database with Haining demo data.
    Demo {
        #[command(flatten)]
        common: Common,
    },
    /// Run a configured deployment.
    Serve {
        #[command(flatten)]
        common: Common,
        /// `sqlite://path` or `postgres://…`.
        #[arg(long, env = "MINQING_DATABASE_URL")]
        database_url: Option<String>,
        /// Seed the Haining demo data when the directory is empty (as `demo`
        /// does), and print the demo phone numbers.
        #[arg(long)]
        seed_demo: bool,
    },
    /// Print the OpenAPI document (what `/openapi.json` serves) and exit.
    Openapi,
}

fn load(common: &Common) -> Result<Config, String> {
    let mut config = match &common.config {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Config::default(),
    };
    if let Some(d) = &common.data_dir {
        config.data_dir = d.clone();
    }
    if let Some(l) = &common.listen {
        config.listen = l.clone();
    }
    if let Some(c) = &common.calendar_dir {
        config.calendar_dir = Some(c.clone());
    }
    if let Some(g) = common.shutdown_grace_secs {
        config.shutdown_grace_secs = g;
    }
    if let Some(d) = &common.console_dir {
        config.console_dir = Some(d.clone());
    }
    // The server secret only from the environment (a flag would show in `ps`).
    if let Ok(secret) = std::env::var("MINQING_SERVER_SECRET") {
        if !secret.trim().is_empty() {
            config.server_secret = Some(crate::app::SecretText(secret));
        }
    }
    // The SMS gateway (`[sms]`, ADR 0018): which one by flag or environment,
    // Tencent's SecretKey only from the environment.
    if let Some(p) = &common.sms_provider {
        config.sms.provider = p.clone();
    }
    if let Ok(key) = std::env::var("MINQING_SMS_SECRET_KEY") {
        if !key.trim().is_empty() {
            config.sms.tencent.secret_key = Some(crate::app::SecretText(key.clone()));
            config.sms.aliyun.access_key_secret = Some(crate::app::SecretText(key));
        }
    }
    Ok(config)
}

/// Run the command line (the binary's whole `main`).
pub fn main() {
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    rt.block_on(run());
}

async fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let demo_items = match &cli.command {
        Command::Demo { common } | Command::Serve { common, .. } => common.demo_items,
        Command::Openapi => {
            println!("{}", crate::http::doc::json());
            return;
        }
    };
    let (config, demo) = match &cli.command {
        Command::Demo { common } => (load(common), true),
        Command::Serve {
            common,
            database_url,
            seed_demo,
        } => (
            load(common).map(|mut c| {
                if database_url.is_some() {
                    c.database_url = database_url.clone();
                }
                c
            }),
            *seed_demo,
        ),
        Command::Openapi => return,
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("配置错误 / configuration error: {e}");
            std::process::exit(2);
        }
    };
    let server = match Server::bind(&config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("启动失败 / cannot start: {e}");
            std::process::exit(1);
        }
    };
    if demo {
        // Off the async workers: the PostgreSQL client blocks.
        let db = server.state().db.clone();
        let seeded = tokio::task::spawn_blocking(move || {
            let people = seed_demo(&db)?;
            if demo_items && !people.is_empty() {
                // Items for the console to show (the manhole story and more).
                if let Err(e) = crate::seed::seed_demo_items(&db, &people, crate::store::now_ms()) {
                    eprintln!("演示事项创建失败 / cannot seed demo items: {e}");
                }
            }
            Ok::<_, crate::store::StoreError>(people)
        })
        .await
        .unwrap_or_else(|e| {
            eprintln!("演示数据创建失败 / cannot seed: {e}");
            std::process::exit(1);
        });
        match seeded {
            Ok(people) if !people.is_empty() => {
                println!("演示数据已创建 / demo data seeded:");
                for p in people {
                    let pw = p
                        .password
                        .map(|p| format!("  密码/password {p}"))
                        .unwrap_or_default();
                    println!(
                        "  {}  {:<10} {:<8} {}{}",
                        p.phone,
                        p.role.label_zh(),
                        p.name,
                        p.group,
                        pw
                    );
                }
                println!(
                    "登录验证码写入 / login codes go to {}",
                    config.data_dir.join("sms.log").display()
                );
            }
            Ok(_) => println!(
                "使用已有数据 / using existing data in {}",
                config.data_dir.display()
            ),
            Err(e) => {
                eprintln!("演示数据创建失败 / cannot seed: {e}");
                std::process::exit(1);
            }
        }
    }
    let signals = match crate::shutdown::signals() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("启动失败 / cannot start: signal handlers: {e}");
            std::process::exit(1);
        }
    };
    let stop = async move {
        let name = signals.await;
        tracing::info!(signal = name, "asked to stop");
        // A second signal does not wait for the grace period.
        tokio::spawn(async {
            if let Ok(again) = crate::shutdown::signals() {
                let name = again.await;
                eprintln!("{name} again: stopping now, without waiting for requests in flight");
                std::process::exit(1);
            }
        });
    };
    // Tests and scripts read this line to find the port.
    println!("listening on http://{}", server.addr);
    use std::io::Write;
    let _ = std::io::stdout().flush();
    if let Err(e) = server.run_until(stop).await {
        eprintln!("服务器错误 / server error: {e}");
        std::process::exit(1);
    }
    println!("已停止 / stopped");
    let _ = std::io::stdout().flush();
}
