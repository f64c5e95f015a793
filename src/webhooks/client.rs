//! The webhooks' HTTP client: one POST per attempt, over hyper-util's pooled
//! client with hyper-rustls (ring, Mozilla's roots from webpki-roots), HTTP/1.1.
//! Redirects are not followed (a `3xx` is a failed attempt), and the whole
//! attempt — connecting, TLS, sending, the answer's head — has [`TIMEOUT`].

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE, USER_AGENT};
use hyper::Request;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as Pooled;
use hyper_util::rt::TokioExecutor;

/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// `User-Agent` of every delivery.
pub const AGENT: &str = concat!("Slotwise/", env!("CARGO_PKG_VERSION"));

/// The client (cheap to clone: the connection pool is shared).
#[derive(Clone)]
pub struct Client {
    inner: Pooled<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Client {
    /// A client for `http` and `https` URLs.
    pub fn new() -> Result<Client, String> {
        let provider = rustls::crypto::ring::default_provider();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(provider)
            .map_err(|e| format!("TLS setup: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Client { inner: Pooled::builder(TokioExecutor::new()).build(https) })
    }

    /// POSTs `body` as JSON to `url` with `headers`: `Ok` on a `2xx` within
    /// [`TIMEOUT`], otherwise why not, in one line.
    pub async fn post(&self, url: &str, headers: &[(&'static str, String)], body: Vec<u8>) -> Result<(), String> {
        let mut request = Request::post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, AGENT)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("bad request: {e}"))?;
        for (name, value) in headers {
            let value = HeaderValue::from_str(value).map_err(|e| format!("bad header {name}: {e}"))?;
            request.headers_mut().insert(HeaderName::from_static(name), value);
        }
        let answer = tokio::time::timeout(TIMEOUT, self.inner.request(request)).await;
        let response = match answer {
            Err(_) => return Err(format!("no answer within {} s", TIMEOUT.as_secs())),
            Ok(Err(e)) => return Err(format!("connection failed: {}", chain(&e))),
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        match status.as_u16() {
            200..=299 => Ok(()),
            300..=399 => Err(format!("HTTP {} (redirects are not followed)", status.as_u16())),
            code => Err(format!("HTTP {code}")),
        }
    }
}

/// An error with its sources, `a: b: c`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
