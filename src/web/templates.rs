//! The template stage: checks `template_dir` and that every language of
//! `i18n.languages` has a catalog, then has rocket_dyn_templates load the
//! templates (and reload them in debug builds) into [`Views`].
//!
//! NOTE: rocket_dyn_templates finds the `*.j2` files and, in debug builds,
//! notices changes; its callback then has [`Views`] load the folder into
//! the app's own MiniJinja environment (per-language variants, the app's
//! escaping), which is what pages render with.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use rocket::fairing::AdHoc;
use rocket::figment::value::magic::RelativePathBuf;
use rocket::figment::Figment;
use rocket_dyn_templates::Template;

use super::Views;
use crate::config::{self, ConfigError, Settings};
use crate::i18n;

/// The template every page extends: a folder without it is not Slotwise's.
const BASE: &str = "base.html.j2";

/// Checks `template_dir` and attaches the template fairing, which fills
/// `views` (managed here); a bad folder stops the launch with one line.
///
/// NOTE: rocket_dyn_templates reports a bad folder in two lines that do not
/// name the key, so the folder is checked first. Its fairing, attached from
/// here, runs after the other stages; nothing needs templates before the
/// first request.
pub fn stage(views: Views) -> AdHoc {
    AdHoc::try_on_ignite("Templates", |rocket| async move {
        if config::stopped(&rocket) {
            return Err(rocket);
        }
        if let Err(e) = check_dir(rocket.figment()).and_then(|()| check_catalogs(&rocket)) {
            return Err(config::stop(rocket, &e));
        }
        if let Some(settings) = rocket.state::<Settings>() {
            views.offer(&settings.i18n.languages);
        }
        let dir = template_dir(rocket.figment()).unwrap_or_default();
        // NOTE: loaded here so that a template that does not parse stops the
        // launch with one line naming it (rocket_dyn_templates would print
        // several). Its callback's first call, at its own ignite just after,
        // finds them loaded; every later call is a reload in a debug build.
        if let Err(e) = views.load(&dir) {
            return Err(config::stop(rocket, &ConfigError::new("template_dir", e)));
        }
        let (loaded, first) = (views.clone(), AtomicBool::new(true));
        Ok(rocket.manage(views).attach(Template::try_custom(move |_| {
            if !first.swap(false, Ordering::Relaxed) {
                loaded.load(&dir)?;
            }
            Ok(())
        })))
    })
}

/// `template_dir` as rocket_dyn_templates reads it (relative to the
/// configuration file that set it, `templates` when unset), checked to be
/// a folder holding Slotwise's templates.
fn template_dir(figment: &Figment) -> Result<PathBuf, ConfigError> {
    match figment.extract_inner::<RelativePathBuf>("template_dir") {
        Ok(path) => Ok(path.relative()),
        Err(e) if e.missing() => Ok(PathBuf::from("templates")),
        Err(e) => Err(ConfigError::new("template_dir", e.kind.to_string())),
    }
}

/// Every language of `i18n.languages` has a catalog under `locales/`.
fn check_catalogs(rocket: &rocket::Rocket<rocket::Build>) -> Result<(), ConfigError> {
    let Some(settings) = rocket.state::<Settings>() else { return Ok(()) };
    match settings.i18n.languages.iter().find(|l| !i18n::has_catalog(l)) {
        Some(lang) => Err(ConfigError::new("i18n.languages", format!("no catalog for `{lang}` in locales/"))),
        None => Ok(()),
    }
}

fn check_dir(figment: &Figment) -> Result<(), ConfigError> {
    let dir = template_dir(figment)?;
    let bad = |why: String| {
        ConfigError::new(
            "template_dir",
            format!("`{}` {why} (start slotwise where its templates/ folder is, or set template_dir)", dir.display()),
        )
    };
    match std::fs::metadata(&dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(bad("is not a folder".into())),
        Err(e) => return Err(bad(format!("cannot be read: {e}"))),
    }
    if !dir.join(BASE).is_file() {
        return Err(bad(format!("has no {BASE}")));
    }
    Ok(())
}
