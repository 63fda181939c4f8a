//! `minqing`: the desktop shell. It parses arguments, calls the core's API and
//! prints; it decides nothing itself.

use crate::net;
use clap::{Parser, Subcommand};
use minqing_core::{LocationInput, Minqing, MinqingError};
use minqing_protocol::LocationSource;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "minqing", version, about = "民情直通车 desktop shell")]
struct Cli {
    /// Where the device store lives (default: the platform data dir, e.g.
    /// ~/.local/share/minqing on Linux).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Messages in English instead of Chinese.
    #[arg(long, global = true)]
    en: bool,
    /// The server to sync with (remembered in the store), e.g. https://minqing.example.cn
    #[arg(long, global = true, env = "MINQING_SERVER")]
    server: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Photos: read what the capture step reads.
    Photo {
        #[command(subcommand)]
        command: PhotoCommand,
    },
    /// Create and submit (完成) a ticket, offline; prints its id (for scripts;
    /// every verb also takes the short #handle that `list` shows).
    Report {
        #[arg(long)]
        text: String,
        #[arg(long = "photo")]
        photos: Vec<PathBuf>,
        #[arg(long)]
        category: Option<String>,
        /// WGS-84 latitude of the place (with --lon).
        #[arg(long, requires = "lon", allow_hyphen_values = true)]
        lat: Option<f64>,
        /// WGS-84 longitude of the place (with --lat).
        #[arg(long, requires = "lat", allow_hyphen_values = true)]
        lon: Option<f64>,
    },
    /// The outbox: one entry per mutation or upload, with its state.
    Queue {
        #[arg(long)]
        json: bool,
    },
    /// Log in with a phone number and the code texted to it.
    Login {
        #[arg(long)]
        phone: String,
        /// The texted code; without it, a code is requested (and asked for on a terminal).
        #[arg(long)]
        code: Option<String>,
    },
    /// Push and pull until idle; exits 0 only when nothing is left pending.
    Sync {
        #[arg(long)]
        json: bool,
    },
    /// Items on this device, newest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One item: names, the timeline, the clocks, what you may do now.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    #[command(flatten)]
    Verb(crate::verbs::Verb),
    /// Sync in the background and print items as they appear or change (Ctrl-C ends).
    Watch {
        #[arg(long)]
        json: bool,
    },
    /// Register a push token for this session (a test token: the server then
    /// pushes this device's notices to it through the vendor), and sync so
    /// the server has it.
    PushToken {
        /// `hms`, `mipush`, `fcm` or `apns`.
        #[arg(long)]
        provider: String,
        #[arg(long)]
        token: String,
    },
}

#[derive(Subcommand)]
enum PhotoCommand {
    /// EXIF, hash and warnings of a photo file.
    Inspect {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

/// The whole command line (the binary's `main`).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("minqing: {e}");
            ExitCode::FAILURE
        }
    }
}

fn data_dir(cli: &Cli) -> PathBuf {
    cli.data_dir.clone().unwrap_or_else(|| {
        dirs::data_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("minqing")
    })
}

fn open(cli: &Cli) -> Result<Minqing, MinqingError> {
    let core = Minqing::open_at(data_dir(cli)).map_err(|e| e.to_public(lang(cli)))?;
    core.set_language(lang(cli));
    Ok(core)
}

fn lang(cli: &Cli) -> minqing_core::Lang {
    if cli.en {
        minqing_core::Lang::En
    } else {
        minqing_core::Lang::ZhCn
    }
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let networked = matches!(
        cli.command,
        Command::Login { .. }
            | Command::Sync { .. }
            | Command::List { .. }
            | Command::Show { .. }
            | Command::Watch { .. }
            | Command::PushToken { .. }
    );
    if networked {
        let rt = tokio::runtime::Runtime::new()?;
        return rt.block_on(run_net(cli));
    }
    match &cli.command {
        Command::Photo {
            command: PhotoCommand::Inspect { file, json },
        } => {
            let info = minqing_core::inspect::inspect_file(&file.to_string_lossy(), lang(&cli))?;
            if *json {
                println!("{}", serde_json::to_string(&info)?);
            } else {
                println!("{}", serde_json::to_string_pretty(&info)?);
            }
        }
        Command::Report {
            text,
            photos,
            category,
            lat,
            lon,
        } => {
            let core = open(&cli)?;
            let drafts = core.drafts();
            let draft = drafts.create()?;
            drafts.set_text(draft.id.clone(), text.clone())?;
            if category.is_some() {
                drafts.set_category(draft.id.clone(), category.clone(), None)?;
            }
            if let (Some(latitude), Some(longitude)) = (lat, lon) {
                drafts.set_location(
                    draft.id.clone(),
                    Some(LocationInput {
                        latitude: *latitude,
                        longitude: *longitude,
                        accuracy_m: None,
                        source: LocationSource::Manual,
                        address: None,
                    }),
                )?;
            }
            for p in photos {
                let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
                match drafts.add_photo_bytes(draft.id.clone(), bytes) {
                    Ok(view) => {
                        for w in view
                            .photos
                            .last()
                            .map(|p| &p.warnings)
                            .into_iter()
                            .flatten()
                        {
                            eprintln!("{}: {w}", p.display());
                        }
                    }
                    Err(e) => {
                        // Nothing half-done stays behind: the draft goes too.
                        let _ = drafts.delete(draft.id.clone());
                        return Err(format!("{}: {e}", p.display()).into());
                    }
                }
            }
            let ticket = drafts.submit(draft.id)?;
            println!("{}", ticket.id);
        }
        Command::Queue { json } => {
            let core = open(&cli)?;
            let entries = core.sync().outbox()?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
            } else if entries.is_empty() {
                println!(
                    "{}",
                    if cli.en {
                        "Outbox is empty"
                    } else {
                        "没有待发送的内容"
                    }
                );
            } else {
                for e in entries {
                    println!(
                        "{:>4}  {:>5}  {:<14} {}  {}{}",
                        e.entry_id,
                        e.mutation_id
                            .map(|m| m.to_string())
                            .unwrap_or_else(|| "-".into()),
                        e.kind,
                        crate::net::handle(&e.ticket_id),
                        if cli.en {
                            e.state.as_str()
                        } else {
                            e.state.label_zh()
                        },
                        e.reject_reason
                            .map(|r| format!(" ({r})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        Command::Verb(verb) => {
            let core = open(&cli)?;
            let t = crate::verbs::run(&core, verb.clone())?;
            println!("{}", crate::net::line(&t));
        }
        // Networked commands returned above.
        _ => {}
    }
    Ok(())
}

async fn run_net(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let core = std::sync::Arc::new(open(&cli)?);
    if let Some(url) = &cli.server {
        core.sync().set_server(url.clone())?;
    }
    let en = cli.en;
    match &cli.command {
        Command::Login { phone, code } => net::login(&core, en, phone, code.as_deref()).await,
        Command::Sync { json } => net::sync(&core, en, *json).await,
        Command::List { json } => net::list(&core, en, *json),
        Command::Show { id, json } => net::show(&core, id, en, *json),
        Command::Watch { json } => net::watch(core.clone(), *json).await,
        Command::PushToken { provider, token } => net::push_token(&core, en, provider, token).await,
        _ => Ok(()),
    }
}
