//! `hadir recompute --from DATE --to DATE [--unit CODE]`: recompute and store day records now
//! (after a policy change reaching back further than the automatic recompute, or to rebuild
//! them). Idempotent: a second run changes nothing.

use anyhow::{Result, bail};
use clap::Args;
use hadir_server::context::Policies;
use hadir_server::days::recompute_range;
use hadir_store::Store;
use jiff::civil::Date;

#[derive(Args)]
pub struct RecomputeArgs {
    /// First day (YYYY-MM-DD).
    #[arg(long)]
    pub from: String,
    /// Last day, inclusive (later than an employee's today is cut to today).
    #[arg(long)]
    pub to: String,
    /// Only this unit and its sub-units.
    #[arg(long)]
    pub unit: Option<String>,
}

fn day(s: &str, what: &str) -> Result<Date> {
    s.trim().parse().map_err(|_| anyhow::anyhow!("--{what} harus berformat TTTT-BB-HH, bukan {s:?}"))
}

pub async fn run(store: &dyn Store, args: RecomputeArgs) -> Result<()> {
    let (from, to) = (day(&args.from, "from")?, day(&args.to, "to")?);
    if to < from {
        bail!("--to ({to}) sebelum --from ({from})");
    }
    if let Some(u) = &args.unit
        && store.unit_by_code(u).await.is_err()
    {
        bail!("unit kerja '{u}' tidak ditemukan");
    }
    let policies = Policies::load(store).await?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} pegawai  {elapsed_precise}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let report = recompute_range(store, &policies, args.unit.as_deref(), from, to, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await?;
    bar.finish_and_clear();
    println!(
        "Dihitung ulang {from} s.d. {to}: {} pegawai, {} hari, {} catatan baru/berubah.",
        report.employees, report.days, report.changed
    );
    Ok(())
}
