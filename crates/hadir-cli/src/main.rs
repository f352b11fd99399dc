//! `hadir`: the one binary. The server, the demo, the office relay and the admin/batch commands.

mod demo;
mod demo_history;
mod demo_kinerja;
mod demo_sessions;
mod loadgen;
mod migrate;
mod recap;
mod recompute;
mod settings;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use hadir_server::Server;
use hadir_server::import::{ImportReport, import_employees_csv, import_units_csv};
use hadir_store::{Audit, Role, Store};
use settings::{Opened, Settings};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "hadir", version, about = "Hadir — presensi ASN daerah: server, relay kantor, dan perintah admin.")]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Default)]
pub struct GlobalArgs {
    /// Data directory (SQLite database, photos). Default ./hadir-data.
    #[arg(long, global = true, env = "HADIR_DATA")]
    pub data: Option<PathBuf>,
    /// Database URL: sqlite://FILE or postgres://USER:PASSWORD@HOST:PORT/DB. Default: SQLite in the
    /// data directory.
    #[arg(long, global = true, env = "HADIR_DATABASE_URL")]
    pub database_url: Option<String>,
    /// TOML configuration file. Default: DATA/hadir.toml when it exists.
    #[arg(long, global = true, env = "HADIR_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the central server.
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080.
        #[arg(long)]
        listen: Option<String>,
    },
    /// Seed a demo regency into the data directory (if empty), print logins, and serve it.
    Demo {
        #[arg(long)]
        listen: Option<String>,
        /// Seed only, then exit.
        #[arg(long)]
        seed_only: bool,
    },
    /// Administrator accounts and roles.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Bulk load from CSV, with a progress bar and a per-line error report.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Run the office relay: read terminals on the LAN (port 4370) and forward to the server.
    /// Configure it with `--config relay.toml` (server, token, interval_secs, buffer,
    /// status_listen, [[terminals]]).
    Relay,
    /// Benchmark the morning rush: seed N employees, start a server, everyone checks in once.
    Loadgen(loadgen::LoadgenArgs),
    /// Check the punch hash chain from the first punch to the last; names the first broken link.
    VerifyChain,
    /// Recompute and store day records for a date range (all employees, or a unit subtree).
    Recompute(recompute::RecomputeArgs),
    /// Write the monthly recap (XLSX, CSV or JSON) of every unit or one unit's subtree.
    Recap(recap::RecapArgs),
    /// Write a consistent copy of the SQLite database (VACUUM INTO).
    Backup {
        /// Destination file.
        out: PathBuf,
    },
    /// The local photo store.
    Blobs {
        #[command(subcommand)]
        command: BlobsCommand,
    },
    /// Move an installation from SQLite to an empty PostgreSQL database (same ids; row counts
    /// and the punch hash chain are verified afterwards). Stop the server first.
    MigrateData {
        /// The source, e.g. sqlite:///srv/hadir/hadir.db
        #[arg(long)]
        from: String,
        /// The target, e.g. postgres://hadir:SECRET@db/hadir (an empty database)
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an administrator (BKD). The password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "Administrator BKD")]
        name: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Grant an employee the operator or head role on a unit subtree.
    Grant {
        /// The employee's NIP or login.
        #[arg(long)]
        login: String,
        /// operator or head.
        #[arg(long)]
        role: String,
        #[arg(long)]
        unit: String,
    },
    /// Revoke a role.
    Revoke {
        #[arg(long)]
        login: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        unit: String,
    },
}

#[derive(Subcommand)]
enum BlobsCommand {
    /// Write every live photo and evidence file kept in segments (blobs/segments/) as its own
    /// file where the `files` layout keeps it (blobs/photos/ab/cd/…), so that `aws s3 sync`
    /// can copy them. Files already there with the same bytes are skipped. Only reads the
    /// segments: safe while the server runs (what it stores meanwhile goes with the next run).
    ExportFiles {
        /// Write under this directory instead of the blob store's own.
        #[arg(long)]
        to: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ImportWhat {
    /// Units: code,name,parent_code,timezone,location_name,lat,lon,radius_m (parents first).
    Units { file: PathBuf },
    /// Employees: nip,login,name,category,unit_code,password,device_pin,start_date,position,tpp_base.
    Employees { file: PathBuf },
}

fn main() -> std::process::ExitCode {
    // Before any thread exists, so the arena limit holds for all of them.
    hadir_server::allocator::tune();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HADIR_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in journald or a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(run(cli)));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One readable line (with causes), no backtrace: this is for the person at the console.
            eprintln!("galat: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve { listen } => {
            let settings = Settings::load(&cli.global, listen)?;
            let opened = settings.open().await?;
            serve(settings, opened).await
        }
        Command::Demo { listen, seed_only } => {
            let mut settings = Settings::load(&cli.global, listen)?;
            // The demo regency has a name on every page and export, unless one is configured.
            if settings.server.regency_name == hadir_server::ServerConfig::default().regency_name {
                settings.server.regency_name = demo::REGENCY.into();
            }
            // The demo regency lies in WITA (its office is in Kalimantan Timur).
            if settings.server.timezone == hadir_server::ServerConfig::default().timezone {
                settings.server.timezone = "Asia/Makassar".into();
            }
            let opened = settings.open().await?;
            let logins = demo::seed_if_empty(opened.store.as_ref()).await?;
            demo::print_logins(&logins, &settings.listen);
            if seed_only {
                return Ok(());
            }
            serve(settings, opened).await
        }
        Command::Admin { command } => {
            let settings = Settings::load(&cli.global, None)?;
            let opened = settings.open().await?;
            admin(opened.store, command).await
        }
        Command::Import { what } => {
            let settings = Settings::load(&cli.global, None)?;
            let opened = settings.open().await?;
            import(opened.store.as_ref(), what).await
        }
        Command::Loadgen(args) => loadgen::run(args, cli.global.database_url.clone()).await,
        Command::Relay => {
            let config = cli.global.config.clone().context("hadir relay needs --config relay.toml")?;
            let cfg =
                hadir_relay::RelayConfig::load(&config).with_context(|| format!("cannot load {}", config.display()))?;
            hadir_relay::run(cfg).await
        }
        Command::VerifyChain => {
            let settings = Settings::load(&cli.global, None)?;
            let opened = settings.open().await?;
            let report = opened.store.verify_chain().await?;
            match report.first_broken {
                None => {
                    println!("Rantai presensi utuh: {} punch diperiksa.", report.checked);
                    Ok(())
                }
                Some((id, _)) => {
                    println!(
                        "RANTAI RUSAK pada punch id {id} (punch ke-{} yang diperiksa): data punch ini atau sebelumnya telah diubah.",
                        report.checked
                    );
                    std::process::exit(1);
                }
            }
        }
        Command::Recap(args) => {
            let settings = Settings::load(&cli.global, None)?;
            let opened = settings.open().await?;
            recap::run(opened.store.as_ref(), &settings.server.regency_name, &settings.server.timezone, args).await
        }
        Command::Recompute(args) => {
            let settings = Settings::load(&cli.global, None)?;
            let opened = settings.open().await?;
            recompute::run(opened.store.as_ref(), args).await
        }
        Command::MigrateData { from, to } => {
            if settings::Backend::of(&from)? != settings::Backend::Sqlite
                || settings::Backend::of(&to)? != settings::Backend::Postgres
            {
                bail!("migrate-data copies from sqlite://… to postgres://…");
            }
            let report = migrate::migrate(&from, &to, |table, n| eprintln!("  {table}: {n}")).await?;
            for (t, n) in &report.tables {
                println!("{t:<24} {n:>10}");
            }
            println!("rantai absen terverifikasi: {} tautan", report.chain_checked);
            eprintln!("Selesai: {} tabel dipindahkan ke {}", report.tables.len(), settings::redact(&to));
            Ok(())
        }
        Command::Blobs { command: BlobsCommand::ExportFiles { to } } => {
            let settings = Settings::load(&cli.global, None)?;
            // Not `settings.open()`: the export only reads the segments, and needs no database.
            let root = settings.blob_root().context("foto sudah disimpan di S3 (blob_url): tidak ada yang diekspor")?;
            let dest = to.unwrap_or_else(|| root.clone());
            let r = tokio::task::spawn_blocking({
                let dest = dest.clone();
                move || hadir_blob::BlobStore::export_segments_to_files(&root, &dest)
            })
            .await??;
            println!(
                "Ekspor selesai: {} berkas baru ({:.1} MB), {} sudah ada, {} terhapus selama ekspor, dari {} segmen ke {}",
                r.written,
                r.bytes_written as f64 / 1e6,
                r.already_present,
                r.withdrawn,
                r.segments,
                dest.display()
            );
            if r.unreadable > 0 {
                bail!("{} rekaman segmen rusak dan tidak diekspor (lihat log)", r.unreadable);
            }
            Ok(())
        }
        Command::Backup { out } => {
            let settings = Settings::load(&cli.global, None)?;
            let opened = settings.open().await?;
            opened
                .sqlite
                .context("`hadir backup` copies the SQLite store; back up PostgreSQL with pg_dump")?
                .backup_to(&out)
                .await?;
            eprintln!("Cadangan ditulis ke {}", out.display());
            Ok(())
        }
    }
}

async fn serve(settings: Settings, opened: Opened) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, data = %settings.data.display(), "hadir serving");
    // A line tests and scripts can wait for.
    println!("listening on http://{addr}");
    let server = Server { config: settings.server.clone(), store: opened.store, blob: opened.blob };
    server
        .run(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

async fn admin(store: Arc<dyn Store>, cmd: AdminCommand) -> Result<()> {
    match cmd {
        AdminCommand::Create { username, name, password_stdin: _ } => {
            let mut pw = String::new();
            std::io::stdin().read_to_string(&mut pw)?;
            let pw = pw.trim_end_matches(['\n', '\r']).to_string();
            if pw.chars().count() < 8 {
                bail!("kata sandi admin minimal 8 karakter");
            }
            let hash = hadir_server::auth::password::hash(pw).await;
            store.create_admin(username.trim(), &name, &hash).await.map_err(|e| match e {
                hadir_store::StoreError::Conflict(_) => anyhow::anyhow!("nama pengguna '{username}' sudah ada"),
                e => e.into(),
            })?;
            eprintln!("Admin '{username}' dibuat.");
        }
        AdminCommand::Grant { login, role, unit } => {
            let role = Role::parse(&role).context("role must be operator or head")?;
            let e = store.employee_by_login(&login).await.context("employee not found")?;
            let audit = Audit::new((None, "cli"), "grant_role", "account", &e.login)
                .after(serde_json::json!({"role": role.as_str(), "unit": unit}));
            store.grant_role(e.account_id, role, &unit, audit).await?;
            eprintln!("{} sekarang {} di unit {unit}.", e.name, role.as_str());
        }
        AdminCommand::Revoke { login, role, unit } => {
            let role = Role::parse(&role).context("role must be operator or head")?;
            let e = store.employee_by_login(&login).await.context("employee not found")?;
            let audit = Audit::new((None, "cli"), "revoke_role", "account", &e.login)
                .before(serde_json::json!({"role": role.as_str(), "unit": unit}));
            store.revoke_role(e.account_id, role, &unit, audit).await?;
            eprintln!("Peran {} {} di unit {unit} dicabut.", e.name, role.as_str());
        }
    }
    Ok(())
}

async fn import(store: &dyn Store, what: ImportWhat) -> Result<()> {
    let (file, units) = match &what {
        ImportWhat::Units { file } => (file, true),
        ImportWhat::Employees { file } => (file, false),
    };
    let data = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let lines = data.iter().filter(|b| **b == b'\n').count().saturating_sub(1) as u64 + 1;
    let bar = indicatif::ProgressBar::new(lines);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} baris  {elapsed_precise}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |n: u64| bar.set_position(n);
    let actor = (None, "cli");
    let report = if units {
        import_units_csv(store, &data, actor, progress).await
    } else {
        import_employees_csv(store, &data, actor, |_| true, true, progress).await
    }
    .map_err(|e| anyhow::anyhow!("{} ({})", e.message, e.code))?;
    bar.finish_and_clear();
    print_report(&report);
    if report.failed > 0 {
        std::process::exit(2);
    }
    Ok(())
}

fn print_report(r: &ImportReport) {
    println!("Baris: {}  berhasil: {}  gagal: {}", r.total, r.imported, r.failed);
    for e in &r.errors {
        println!(
            "  baris {}: [{}] {} ({})",
            e.line,
            if e.field.is_empty() { "-" } else { &e.field },
            e.message,
            e.code
        );
    }
}
