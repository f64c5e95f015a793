//! The yardstick: `examples/bare.rs`, a bare Rocket page answering the same
//! bytes as the app's landing page, started beside the app for one sitting.

use std::path::Path;

use base64::Engine;

use crate::server::Server;

/// Saves the app's landing page (as a visitor without a cookie gets it) and
/// starts the bare page serving those bytes, from the release build beside
/// this driver.
pub fn start(app: &Path, base: &str, dir: &Path) -> Result<Server, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin = exe.with_file_name("bare");
    if !bin.exists() {
        return Err(format!("{} is missing: cargo build --release --example bare", bin.display()));
    }
    let body = crate::http::agent()
        .get(&format!("{base}/"))
        .call()
        .map_err(|e| format!("GET / for the bare page: {e}"))?
        .into_string()
        .map_err(|e| e.to_string())?;
    let file = dir.join("bare.html");
    std::fs::write(&file, &body).map_err(|e| format!("{}: {e}", file.display()))?;
    eprintln!("bare page: {} bytes, the landing page of {}", body.len(), app.display());
    let key: [u8; 32] = rand::random();
    let env = |_port| {
        vec![
            ("BARE_BODY".to_string(), file.display().to_string()),
            ("ROCKET_LOG_LEVEL".to_string(), "off".to_string()),
            ("ROCKET_SECRET_KEY".to_string(), base64::engine::general_purpose::STANDARD.encode(key)),
        ]
    };
    // NOTE: started in the scratch folder, so that it reads no Rocket.toml.
    Server::start(&bin, dir, env, dir.join("bare.log"))
}
