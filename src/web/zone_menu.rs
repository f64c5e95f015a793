//! The zone switcher's `<select>` (`page.zones` in templates): a first group
//! with the practice's time, the visitor's choice and the zones of the
//! regions their `Accept-Language` names, then every zone by region — the
//! same for every visitor of a language, so written into that language's
//! templates once (`view.rs`), never into a page's context.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use chrono_tz::Tz;
use fluent_templates::fluent_bundle::FluentValue;
use serde::Serialize;

use crate::i18n::{self, t, t_args, zones};

/// The switcher as templates read it.
#[derive(Serialize)]
pub struct ZoneMenu {
    /// The first group: the practice's time (`practice`), the visitor's
    /// choice, their `Accept-Language` regions' zones.
    pub first: Vec<ZoneOption>,
}

/// One `<option>`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ZoneOption {
    /// The form value: `practice` or an IANA name.
    pub value: String,
    /// What the visitor reads.
    pub label: String,
    /// The visitor's current zone.
    pub selected: bool,
}

/// The switcher in `lang` for a visitor of a practice in `practice` who
/// chose `chosen` (if any) and whose browser asks for `accept_language`.
pub fn menu(lang: &str, practice: Tz, chosen: Option<Tz>, accept_language: Option<&str>) -> ZoneMenu {
    let chosen = chosen.filter(|z| *z != practice);
    let label = practice_label(lang, practice);
    let mut first = vec![ZoneOption { value: "practice".into(), label, selected: chosen.is_none() }];
    let tags = accept_language.map(i18n::preferences).unwrap_or_default();
    let suggested = chosen.into_iter().chain(zones::of_tags(&tags));
    for zone in suggested.filter(|z| *z != practice) {
        if !first.iter().any(|o| o.value == zone.name()) {
            let name = zone.name().to_string();
            first.push(ZoneOption { value: name.clone(), label: city(&name), selected: Some(zone) == chosen });
        }
    }
    ZoneMenu { first }
}

/// "Practice time (Europe/Berlin)" in `lang`, formatted once per language
/// and zone.
///
/// NOTE: a Fluent message with an argument is formatted afresh on every
/// call (tag parsing, fallback chain, pattern); this one is the same on
/// every page of a language, so each page only copies it.
fn practice_label(lang: &str, practice: Tz) -> String {
    static CACHE: OnceLock<RwLock<HashMap<(String, Tz), String>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (lang.to_string(), practice);
    if let Some(label) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return label.clone();
    }
    let label = t_args(lang, "prefs-tz-practice", &[("zone", FluentValue::from(practice.name()))]);
    cache.write().unwrap_or_else(|e| e.into_inner()).insert(key, label.clone());
    label
}

/// Every zone as `<optgroup>`s in `lang`, made once per language.
///
/// NOTE: 400-odd options on every page: written once per language here
/// rather than looped over by Tera on every request (a loop of that size
/// would cost more than the rest of a page). The visitor's choice is in the
/// first group, so this part never changes.
pub(super) fn regions(lang: &str) -> Arc<str> {
    static CACHE: OnceLock<RwLock<HashMap<String, Arc<str>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(html) = cache.read().unwrap_or_else(|e| e.into_inner()).get(lang) {
        return html.clone();
    }
    let mut html = String::new();
    for (region, zones) in zones::by_region() {
        let label = crate::templating::escape_html(&t(lang, &format!("tz-region-{region}")));
        html.push_str(&format!("<optgroup label=\"{label}\">"));
        // NOTE: IANA names hold only letters, digits and `_ / + -`, nothing
        // to escape.
        for zone in zones {
            html.push_str(&format!("<option value=\"{}\">{}</option>", zone.name(), city(zone.name())));
        }
        html.push_str("</optgroup>");
    }
    let html: Arc<str> = html.into();
    cache.write().unwrap_or_else(|e| e.into_inner()).insert(lang.to_string(), html.clone());
    html
}

/// What a visitor reads for a zone: its place, without the region its
/// group (or the visitor) already names, in words (`America/New_York` →
/// `New York`, `America/Argentina/Buenos_Aires` → `Argentina / Buenos Aires`).
fn city(name: &str) -> String {
    name.split_once('/').map_or(name, |(_, place)| place).replace('_', " ").replace('/', " / ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    fn values(menu: &ZoneMenu) -> Vec<&str> {
        menu.first.iter().map(|o| o.value.as_str()).collect()
    }

    #[test]
    fn the_practice_comes_first_then_the_choice_then_the_browsers_regions() {
        let menu = menu("en", BERLIN, None, Some("en-US, de-AT;q=0.5"));
        assert_eq!(
            menu.first[0],
            ZoneOption { value: "practice".into(), label: "Practice time (Europe/Berlin)".into(), selected: true }
        );
        assert_eq!(&values(&menu)[1..3], ["America/New_York", "America/Detroit"]);
        assert!(values(&menu).contains(&"Europe/Vienna"));
        let chosen = super::menu("de", BERLIN, Some(chrono_tz::Asia::Tokyo), Some("de-DE"));
        assert_eq!(values(&chosen)[..2], ["practice", "Asia/Tokyo"]);
        assert!(!chosen.first[0].selected && chosen.first[1].selected);
        assert!(!values(&chosen).contains(&"Europe/Berlin"), "the practice's zone is the practice option");
        assert_eq!(chosen.first[0].label, "Zeit der Praxis (Europe/Berlin)");
    }

    #[test]
    fn every_zone_is_offered_by_region_with_translated_region_names() {
        let de = regions("de");
        assert!(
            de.starts_with("<optgroup label=\"Afrika\"><option value=\"Africa/Abidjan\">Abidjan</option>"),
            "{}",
            &de[..80]
        );
        assert!(
            de.contains("<optgroup label=\"Europa\">")
                && de.contains("<option value=\"Europe/Berlin\">Berlin</option>")
        );
        assert!(
            de.contains("<option value=\"America/New_York\">New York</option>")
                && de.contains("<option value=\"UTC\">UTC</option>")
        );
        assert!(de.contains(">Argentina / Buenos Aires</option>"));
        assert!(!de.contains("selected"), "the choice is in the first group");
        let plain = |name: &str| name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_/+-".contains(&b));
        assert!(zones::by_region().iter().flat_map(|(_, zones)| zones).all(|zone| plain(zone.name())));
    }
}
