//! A browser for a real `slotwise` process: one cookie [`Jar`], plain HTML
//! forms over HTTP, no redirects followed.

use super::jar::Jar;
use super::visitor::{enc, field_value};

/// One visitor of one server.
pub struct Browser {
    agent: ureq::Agent,
    jar: Jar,
    base: String,
}

impl Browser {
    /// A visitor of the server at `base` (`http://127.0.0.1:PORT`).
    pub fn new(base: &str) -> Browser {
        Browser { agent: ureq::AgentBuilder::new().redirects(0).build(), jar: Jar::new(), base: base.to_string() }
    }

    /// Talks to the server at `base` from now on, keeping the cookies (the
    /// same app restarted on another port).
    pub fn rebase(&mut self, base: &str) {
        self.base = base.to_string();
    }

    /// `GET path`: status and body.
    pub fn get(&self, path: &str) -> (u16, String) {
        let response = match self.jar.send(self.agent.get(&format!("{}{path}", self.base))).call() {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("GET {path}: {e}"),
        };
        self.jar.keep_all(&response);
        (response.status(), response.into_string().unwrap_or_default())
    }

    /// GETs `path`, then POSTs `pairs` and the page's token to it.
    pub fn submit(&self, path: &str, pairs: &[(&str, &str)]) -> u16 {
        let (_, page) = self.get(path);
        let token = field_value(&page, "csrf_token").expect("a token");
        let mut form = format!("csrf_token={}", enc(&token));
        for (k, v) in pairs {
            form.push_str(&format!("&{}={}", enc(k), enc(v)));
        }
        let request = self.jar.send(self.agent.post(&format!("{}{path}", self.base)));
        let response = match request.set("Content-Type", "application/x-www-form-urlencoded").send_string(&form) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("POST {path}: {e}"),
        };
        self.jar.keep_all(&response);
        response.status()
    }

    /// POSTs `pairs` and the token of `page` (a body already fetched) to
    /// `path`; `None` when the connection broke (the server went away).
    pub fn post(&self, path: &str, page: &str, pairs: &[(&str, &str)]) -> Option<u16> {
        let token = field_value(page, "csrf_token")?;
        let mut form = format!("csrf_token={}", enc(&token));
        for (k, v) in pairs {
            form.push_str(&format!("&{}={}", enc(k), enc(v)));
        }
        let request = self.jar.send(self.agent.post(&format!("{}{path}", self.base)));
        match request.set("Content-Type", "application/x-www-form-urlencoded").send_string(&form) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => {
                self.jar.keep_all(&r);
                Some(r.status())
            }
            Err(_) => None,
        }
    }
}
