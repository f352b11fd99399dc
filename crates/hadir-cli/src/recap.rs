//! `hadir recap --month YYYY-MM [--unit CODE] --out FILE.(xlsx|csv|json)`: the monthly recap
//! (issue 8) written to a file, exactly as `GET /api/v1/recap` serves it (locked units from
//! their frozen figures, the rest computed from the same day records the employees see).

use anyhow::{Context, Result, bail};
use clap::Args;
use hadir_server::context::Policies;
use hadir_server::{recap, recap_export};
use hadir_store::Store;
use std::path::PathBuf;

#[derive(Args)]
pub struct RecapArgs {
    /// The month, `YYYY-MM`.
    #[arg(long)]
    pub month: String,
    /// Only this unit and its sub-units.
    #[arg(long)]
    pub unit: Option<String>,
    /// Output file; the format follows the extension (`.xlsx`, `.csv`, `.json`).
    #[arg(long)]
    pub out: PathBuf,
}

/// `regency` and `timezone` are the regency's name and zone (settings `server.regency_name`,
/// `server.timezone`).
pub async fn run(store: &dyn Store, regency: &str, timezone: &str, args: RecapArgs) -> Result<()> {
    let Some((first, _)) = recap::month_bounds(&args.month) else {
        bail!("--month harus berformat TTTT-BB, bukan {:?}", args.month);
    };
    let ext = args.out.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if !["xlsx", "csv", "json"].contains(&ext.as_str()) {
        bail!("--out harus berakhiran .xlsx, .csv atau .json");
    }
    let unit = match &args.unit {
        Some(code) => {
            Some(store.unit_by_code(code).await.map_err(|_| anyhow::anyhow!("unit kerja '{code}' tidak ditemukan"))?)
        }
        None => None,
    };
    let policies = Policies::load(store).await?;
    let started = std::time::Instant::now();
    let mut r = recap::build_recap(store, &policies, regency, first, unit.as_ref()).await?;
    if r.timezone.is_empty() {
        r.timezone = timezone.to_string();
    }
    let bytes = match ext.as_str() {
        "xlsx" => recap_export::to_xlsx(&r).context("cannot build the XLSX")?,
        "csv" => recap_export::to_csv(&r),
        _ => serde_json::to_vec_pretty(&r)?,
    };
    std::fs::write(&args.out, bytes).with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!(
        "Rekap {} ({}, {}): {} pegawai, {} unit, ditulis ke {} dalam {:.1} s.",
        r.month,
        r.unit_code.as_deref().unwrap_or("semua unit"),
        r.state.sheet_label(),
        r.employees.len(),
        r.units.len(),
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    for s in &r.skipped {
        eprintln!("  tidak direkap: {} {} — {}", s.login, s.name, s.reason);
    }
    Ok(())
}
