//! `fileconv-server`: runs the service, or manages its API keys and accounts.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
// Linked so that its formats register (tests only; see Cargo.toml).
#[cfg(feature = "test-formats")]
use fileconv_testformats as _;
use fileconv_server::http::auth::{hash_key, new_api_key};
use fileconv_server::config::{Config, Role, FREE_PLAN};
use fileconv_server::store::records::{now_ms, Db};

#[derive(Parser)]
#[command(name = "fileconv-server", version, about = "The fileconv HTTP service (CocoConvert API)")]
struct Cli {
    /// Address to listen on [default: 127.0.0.1:8080, or the configuration's]
    #[arg(long, global = true)]
    listen: Option<String>,
    /// Folder for records, files and keys [default: ./fileconv-data, or the configuration's]
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// TOML configuration file (see docs/SERVER.md)
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// all: the API and the conversions; api: the API only; worker: the conversions only [default: all, or the configuration's]
    #[arg(long, value_enum)]
    role: Option<Role>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Manage the accounts people sign up for on the web pages.
    Users {
        #[command(subcommand)]
        action: UserAction,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Put an account (by its email) on a plan; its keys follow it.
    SetPlan { email: String, plan: String },
    /// List accounts: email, plan, created.
    List,
}

#[derive(Subcommand)]
enum KeyAction {
    /// Create a key and print it (it is shown once; only its hash is kept).
    Create {
        /// plus, pro, business, enterprise, or a plan of the configuration
        #[arg(long)]
        plan: String,
        /// A note to recognise the key by.
        #[arg(long)]
        label: Option<String>,
    },
    /// List keys: id, plan, label, created, revoked.
    List,
    /// Revoke a key, given whole or by its id.
    Revoke { key: String },
}

fn main() -> ExitCode {
    // A converter child (started by the service itself) runs before
    // anything else: no runtime, no logging on its stdout.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "convert-child") {
        let folder = match (args.get(2), args.get(3)) {
            (Some(flag), Some(dir)) if flag == "--folder" => PathBuf::from(dir),
            _ => {
                eprintln!("usage: fileconv-server convert-child --folder DIR (started by the service)");
                return ExitCode::from(2);
            }
        };
        return ExitCode::from(fileconv_server::sandbox::child::main(&folder).clamp(0, 255) as u8);
    }
    let cli = Cli::parse();
    let mut config = match Config::load(cli.config.as_deref()).and_then(|mut c| c.apply_env().map(|()| c)) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("fileconv-server: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(listen) = cli.listen {
        config.listen = listen;
    }
    if let Some(role) = cli.role {
        config.role = role;
    }
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    init_logs(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let result = runtime.block_on(async move {
        match cli.command {
            None => serve(config).await,
            Some(Command::Keys { action }) => keys(config, action).await,
            Some(Command::Users { action }) => users(config, action).await,
        }
    });
    // A conversion abandoned at its deadline may still be running: it does not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fileconv-server: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logs(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if config.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let running = fileconv_server::start(config).await.map_err(|e| e.to_string())?;
    // Scripts wait for this line: the address is real even with port 0.
    println!("fileconv-server listening on http://{}", running.addr);
    shutdown_signal().await;
    running.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("a SIGTERM handler");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// The records, for an operator's command.
async fn records(config: &Config) -> Result<Db, String> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| format!("{}: {e}", config.data_dir.display()))?;
    Db::connect(&config.database_url()).await.map_err(|e| format!("database: {e}"))
}

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default()
}

async fn users(config: Config, action: UserAction) -> Result<(), String> {
    let db = records(&config).await?;
    let result = match action {
        UserAction::SetPlan { email, plan } => {
            if !config.plans.contains_key(&plan) {
                let plans: Vec<&str> = config.plans.keys().map(String::as_str).collect();
                return Err(format!("unknown plan '{plan}' (plans: {})", plans.join(", ")));
            }
            let email = email.trim().to_lowercase();
            match db.set_user_plan(&email, &plan).await {
                Ok(true) => {
                    println!("{email} is on the {plan} plan");
                    Ok(())
                }
                Ok(false) => Err(format!("no account '{email}'")),
                Err(e) => Err(e.to_string()),
            }
        }
        UserAction::List => db.users().await.map_err(|e| e.to_string()).map(|users| {
            println!("{:<40} {:<12} created", "email", "plan");
            for u in users {
                println!("{:<40} {:<12} {}", u.email, u.plan, time(u.created_at));
            }
        }),
    };
    db.close().await;
    result
}

async fn keys(config: Config, action: KeyAction) -> Result<(), String> {
    let db = records(&config).await?;
    let result = match action {
        KeyAction::Create { plan, label } => {
            if plan == FREE_PLAN || !config.plans.contains_key(&plan) {
                let plans: Vec<&str> = config.plans.keys().map(String::as_str).filter(|p| *p != FREE_PLAN).collect();
                return Err(format!("unknown plan '{plan}' (plans: {})", plans.join(", ")));
            }
            let (key, id, hash) = new_api_key();
            db.insert_key(&id, &hash, &plan, label.as_deref(), None, now_ms()).await.map_err(|e| e.to_string())?;
            println!("{key}");
            Ok(())
        }
        KeyAction::List => {
            let keys = db.keys().await.map_err(|e| e.to_string())?;
            println!("{:<14} {:<12} {:<24} {:<26} {:<26} {:>8} revoked", "id", "plan", "label", "created", "last used", "requests");
            for k in keys {
                let last = k.last_used_at.map(time).unwrap_or_else(|| "-".into());
                println!("{:<14} {:<12} {:<24} {:<26} {:<26} {:>8} {}", k.id, k.plan, k.label.unwrap_or_default(), time(k.created_at), last, k.uses, k.revoked_at.map(time).unwrap_or_else(|| "-".into()));
            }
            Ok(())
        }
        KeyAction::Revoke { key } => {
            // A whole key is matched by its hash, an id by itself.
            let (id, hash) = if key.starts_with(fileconv_server::http::auth::KEY_PREFIX) { (String::new(), hash_key(&key)) } else { (key.clone(), String::new()) };
            if db.revoke_key(&id, &hash, now_ms()).await.map_err(|e| e.to_string())? {
                println!("revoked");
                Ok(())
            } else {
                Err(format!("no active key '{key}'"))
            }
        }
    };
    db.close().await;
    result
}
