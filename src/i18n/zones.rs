//! The IANA zones a visitor may choose from: tzdb's `zone.tab` (public
//! domain, compiled in; one line per country and zone), kept to the names
//! `chrono-tz` knows, grouped by region, and the zones of a country — what
//! the zone switcher offers first to a visitor whose `Accept-Language` names
//! a region (`en-US`: the zones of the United States).

use std::sync::OnceLock;

use chrono_tz::Tz;

/// tzdb's `zone.tab`: `country<TAB>coordinates<TAB>zone[<TAB>comment]`.
const ZONE_TAB: &str = include_str!("zone.tab");

/// The regions, in the switcher's order; `UTC` is under `Etc`.
pub const REGIONS: [&str; 11] = [
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
    "Etc",
];

/// `zone.tab`'s lines as (country, zone), in its order.
fn table() -> &'static [(&'static str, Tz)] {
    static TABLE: OnceLock<Vec<(&'static str, Tz)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        ZONE_TAB
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let mut columns = line.split('\t');
                let country = columns.next()?;
                let zone = columns.nth(1)?.parse::<Tz>().ok()?;
                Some((country, zone))
            })
            .collect()
    })
}

/// Every zone the switcher offers, by region in [`REGIONS`] order, each
/// region's zones by name.
pub fn by_region() -> &'static [(&'static str, Vec<Tz>)] {
    static GROUPS: OnceLock<Vec<(&'static str, Vec<Tz>)>> = OnceLock::new();
    GROUPS.get_or_init(|| {
        REGIONS
            .iter()
            .map(|region| {
                let mut zones: Vec<Tz> = table()
                    .iter()
                    .map(|(_, zone)| *zone)
                    .filter(|zone| zone.name().split('/').next() == Some(*region))
                    .collect();
                if *region == "Etc" {
                    zones.push(Tz::UTC);
                }
                zones.sort_by_key(|zone| zone.name());
                zones.dedup();
                (*region, zones)
            })
            .filter(|(_, zones)| !zones.is_empty())
            .collect()
    })
}

/// The zones of the country `code` (ISO 3166 alpha-2, any case), in
/// `zone.tab`'s order (its most populous zone first).
pub fn of_country(code: &str) -> impl Iterator<Item = Tz> + '_ {
    table().iter().filter(move |(country, _)| country.eq_ignore_ascii_case(code)).map(|(_, zone)| *zone)
}

/// The region a language tag names (`en-US`, `zh-Hant-TW`: `US`, `TW`),
/// if it names one as two letters.
pub fn tag_region(tag: &str) -> Option<&str> {
    tag.split('-').skip(1).find(|part| part.len() == 2 && part.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// The zones of the regions `tags` name (most wanted first), each once.
pub fn of_tags(tags: &[&str]) -> Vec<Tz> {
    let mut zones = Vec::new();
    for region in tags.iter().filter_map(|tag| tag_region(tag)) {
        for zone in of_country(region) {
            if !zones.contains(&zone) {
                zones.push(zone);
            }
        }
    }
    zones
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_zone_tab_zone_is_known_and_offered_once_in_its_region() {
        let all: Vec<Tz> = by_region().iter().flat_map(|(_, zones)| zones.iter().copied()).collect();
        assert!(all.len() > 400, "{}", all.len());
        let mut names: Vec<&str> = all.iter().map(|z| z.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len(), "each once");
        for (region, zones) in by_region() {
            assert!(zones.iter().all(|z| z.name().starts_with(region) || *z == Tz::UTC), "{region}");
            assert!(zones.windows(2).all(|w| w[0].name() < w[1].name()), "{region} sorted");
        }
        assert!(all.contains(&chrono_tz::Europe::Berlin) && all.contains(&chrono_tz::America::New_York));
        assert!(all.contains(&Tz::UTC));
    }

    #[test]
    fn a_tag_with_a_region_suggests_that_countrys_zones() {
        assert_eq!(tag_region("en-US"), Some("US"));
        assert_eq!(tag_region("zh-Hant-TW"), Some("TW"));
        assert_eq!(tag_region("de"), None);
        assert_eq!(tag_region("es-419"), None);
        let us = of_tags(&["en-US", "en"]);
        assert_eq!(us.first(), Some(&chrono_tz::America::New_York), "the most populous first");
        assert!(us.contains(&chrono_tz::America::Los_Angeles));
        let both = of_tags(&["de-AT", "de-DE", "de-at"]);
        assert_eq!(both[0], chrono_tz::Europe::Vienna);
        assert!(both.contains(&chrono_tz::Europe::Berlin));
        assert_eq!(both.iter().filter(|z| **z == chrono_tz::Europe::Vienna).count(), 1);
        assert!(of_tags(&["xx-ZZ", "fr"]).is_empty());
    }
}
