//! Benchmark: a backlog of records on one emulated terminal, pulled by the
//! relay and uploaded to a fake server (idempotent, in memory). Measures the
//! time until every record was buffered and until every record reached the
//! server.
//!
//! `cargo run --release -p hadir-relay --example relay_backlog -- [records] [tcp|udp] [record_size] [batch_size]`
//! (defaults: 100000 tcp 40 500).

use std::time::{Duration, Instant};

use hadir_relay::emulator::{Emulator, EmulatorConfig};
use hadir_relay::fake_server::FakeServer;
use hadir_relay::{Protocol, RelayConfig, TerminalConfig};
use jiff::civil::date;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let records: u32 = args.first().map(|s| s.parse()).transpose()?.unwrap_or(100_000);
    let protocol = match args.get(1).map(String::as_str) {
        Some("udp") => Protocol::Udp,
        _ => Protocol::Tcp,
    };
    let record_size: u32 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(40);
    let batch_size: usize = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(500);

    let emu = Emulator::start(EmulatorConfig { serial: "BENCH1".into(), record_size, ..Default::default() }).await?;
    let t0 = date(2023, 1, 2).at(6, 0, 0, 0);
    emu.add_punches((0..records).map(|i| {
        let pin = (1 + i % 5000).to_string();
        (pin, t0.saturating_add(jiff::SignedDuration::from_secs(i64::from(i) * 7)), (i % 2) as u8, 1)
    }));
    let server = FakeServer::start("bench")?;
    let dir = tempfile::tempdir()?;
    let addr = if protocol == Protocol::Tcp { emu.tcp_addr() } else { emu.udp_addr() };
    let config = RelayConfig {
        server: server.url(),
        token: "bench".into(),
        interval_secs: 3600,
        buffer: dir.path().join("relay.db"),
        status_listen: "127.0.0.1:0".into(),
        status_password_hash: None,
        status_password: None,
        timeout_secs: 10,
        roster_interval_secs: 0,
        batch_size,
        retry_min_ms: 100,
        retry_max_secs: 2,
        app_listen: None,
        app_url: None,
        app_photo_max_bytes: 2 * 1024 * 1024,
        terminals: vec![TerminalConfig::new(addr.to_string(), protocol)],
    };

    let start = Instant::now();
    let relay = hadir_relay::start(config).await?;
    let mut buffered_at = None;
    loop {
        if buffered_at.is_none() && relay.status().terminals[0].unread == Some(0) {
            buffered_at = Some(start.elapsed());
        }
        if server.stored() >= records as usize {
            break;
        }
        anyhow::ensure!(start.elapsed() < Duration::from_secs(600), "gave up after 10 minutes");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let total = start.elapsed();
    let posts = hadir_relay::fake_server::lock(&server.state()).posts;
    println!(
        "relay_backlog: {records} records, {protocol:?}, {record_size}-byte records, batches of {batch_size}\n  \
         read from terminal + buffered: {:.2} s\n  all on the server: {:.2} s ({:.0} records/s, {posts} requests, {} chunk reads)",
        buffered_at.unwrap_or(total).as_secs_f64(),
        total.as_secs_f64(),
        f64::from(records) / total.as_secs_f64(),
        emu.stats().chunk_reads,
    );
    relay.shutdown().await;
    Ok(())
}
