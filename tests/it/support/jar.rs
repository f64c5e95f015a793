//! A cookie jar: the cookies a browser keeps between requests to one site,
//! and nothing more (no domains, paths or expiry dates; a `Set-Cookie` with an
//! empty value or `Max-Age=0` removes the cookie).
//!
//! The one jar of every HTTP-speaking helper: the in-process `Visitor`
//! (`visitor.rs`), the real-HTTP browser of `tests/it/instances.rs` and the
//! benchmark's visitors (`examples/bench/http.rs`, which includes this file
//! with `#[path]`, so it depends on nothing else in `tests/it/support`).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Cookies by name; `&self` everywhere, so one visitor can send from many
/// threads or tasks at once.
#[derive(Debug, Default)]
pub struct Jar {
    cookies: Mutex<BTreeMap<String, String>>,
}

impl Jar {
    /// An empty jar.
    pub fn new() -> Jar {
        Jar::default()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, String>> {
        // NOTE: a request that panicked mid-test must not hide the cookies.
        self.cookies.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The raw value of cookie `name`, if set.
    pub fn get(&self, name: &str) -> Option<String> {
        self.lock().get(name).cloned()
    }

    /// Replaces (or with `None` removes) cookie `name`.
    pub fn set(&self, name: &str, value: Option<&str>) {
        let mut cookies = self.lock();
        match value {
            Some(value) => cookies.insert(name.into(), value.into()),
            None => cookies.remove(name),
        };
    }

    /// Every cookie as `(name, raw value)`, by name.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.lock().iter().map(|(name, value)| (name.clone(), value.clone())).collect()
    }

    /// The `Cookie` request header (`a=1; b=2`), or `None` for an empty jar.
    pub fn header(&self) -> Option<String> {
        let cookies = self.lock();
        (!cookies.is_empty())
            .then(|| cookies.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("; "))
    }

    /// Keeps (or removes) what one `Set-Cookie` response header says.
    pub fn keep(&self, set_cookie: &str) {
        let pair = set_cookie.split(';').next().unwrap_or_default();
        if let Some((name, value)) = pair.split_once('=') {
            let removed = set_cookie.contains("Max-Age=0") || value.is_empty();
            self.set(name.trim(), (!removed).then_some(value.trim()));
        }
    }

    /// `request` with this jar's `Cookie` header, if any.
    pub fn send(&self, request: ureq::Request) -> ureq::Request {
        match self.header() {
            Some(cookies) => request.set("Cookie", &cookies),
            None => request,
        }
    }

    /// Keeps every `Set-Cookie` of `response`.
    pub fn keep_all(&self, response: &ureq::Response) {
        for set_cookie in response.all("set-cookie") {
            self.keep(set_cookie);
        }
    }
}
