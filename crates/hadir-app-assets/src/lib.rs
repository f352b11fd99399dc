//! The employee app (plain JavaScript PWA) embedded with rust-embed, shared by `hadir serve`
//! and `hadir relay` (issue 21: the relay serves the same app on the office LAN). The files stay
//! in `crates/hadir-server/web/app/`; this crate only embeds them, so the relay does not depend
//! on the whole server. In debug builds rust-embed reads them from disk, so front-end work needs
//! no rebuild.

use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../hadir-server/web/app/"]
pub struct AppAssets;
