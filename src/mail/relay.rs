//! SMTP delivery for `smtp://` URLs over sockets with Nagle's algorithm off.
//!
//! NOTE: lettre 0.11 opens its sockets with Nagle's algorithm on and writes a
//! message's closing `\r\n.\r\n` as a second small write. That write then
//! waits for the server to acknowledge the body, which the server delays by
//! ~40 ms (TCP delayed ACK) because it is itself waiting for the end of the
//! message. Traced on the benchmark machine: 41.6 ms between the terminator
//! and the server's `250`, every other exchange about 0.2 ms. That delayed
//! the visitor's `details` and `confirm` answers, and with lettre's pool of
//! ten connections it capped the whole app at about 240 messages a second.
//! (lettre fixed it upstream in PR #1159, not released as of 0.11.23.) So
//! here the TCP connection is ours, with `TCP_NODELAY`, and lettre speaks
//! SMTP on it: EHLO, STARTTLS, AUTH, the message. `smtps://` (TLS from the
//! first byte) stays on lettre's own transport, which cannot take a socket.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::net::TcpStream;

use super::{MailError, SMTP_TIMEOUT};

/// Idle connections older than this are closed rather than reused.
const MAX_IDLE: Duration = Duration::from_secs(60);
/// Idle connections kept for reuse.
const MAX_KEPT: usize = 16;
/// lettre's default port for `smtp://` without TLS, and for STARTTLS.
const SMTP_PORT: u16 = 25;
const SUBMISSION_PORT: u16 = 587;

/// When to upgrade a connection with STARTTLS (`?tls=` in the URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Starttls {
    Never,
    Opportunistic,
    Required,
}

/// An `smtp://` server and the idle connections to it.
pub struct Relay {
    host: String,
    port: u16,
    starttls: Starttls,
    credentials: Option<Credentials>,
    hello: ClientId,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl Relay {
    /// The relay for `smtp_url`, read as lettre reads it (`tls=required` or
    /// `opportunistic`, `user:password@`, a path naming the EHLO domain);
    /// `None` for URLs lettre's transport keeps (`smtps://`), and for any URL
    /// lettre itself refuses.
    pub fn parse(smtp_url: &str) -> Option<Relay> {
        let url = url::Url::parse(smtp_url).ok()?;
        let tls = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        let (starttls, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (Starttls::Never, SMTP_PORT),
            ("smtp", Some("opportunistic")) => (Starttls::Opportunistic, SUBMISSION_PORT),
            ("smtp", Some("required")) => (Starttls::Required, SUBMISSION_PORT),
            _ => return None,
        };
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8().map(|s| s.into_owned());
        let credentials = match url.password() {
            Some(password) => Some(Credentials::new(decode(url.username()).ok()?, decode(password).ok()?)),
            None => None,
        };
        let path = url.path().trim_matches('/');
        let hello = if path.is_empty() { ClientId::default() } else { ClientId::Domain(path.to_string()) };
        Some(Relay {
            host: url.host_str()?.to_string(),
            port: url.port().unwrap_or(default_port),
            starttls,
            credentials,
            hello,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Sends one message, on an idle connection if one still answers.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), MailError> {
        let sent = tokio::time::timeout(SMTP_TIMEOUT, async {
            // NOTE: a NOOP first, as lettre's pool does: the server may have
            // dropped an idle connection.
            let idle = match self.take() {
                Some(mut conn) => conn.test_connected().await.then_some(conn),
                None => None,
            };
            let mut conn = match idle {
                Some(conn) => conn,
                None => self.connect().await?,
            };
            conn.send(envelope, message).await?;
            self.keep(conn);
            Ok(())
        })
        .await;
        sent.unwrap_or(Err(MailError::Timeout(SMTP_TIMEOUT)))
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, MailError> {
        let stream = TcpStream::connect((self.host.as_str(), self.port)).await?;
        stream.set_nodelay(true)?;
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await?;
        match self.starttls {
            Starttls::Opportunistic | Starttls::Required if conn.can_starttls() => {
                conn.starttls(TlsParameters::new(self.host.clone())?, &self.hello).await?;
            }
            Starttls::Required => return Err(MailError::NoStarttls),
            _ => {}
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(conn)
    }

    /// The most recently used idle connection that is not too old.
    fn take(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.retain(|(_, since)| since.elapsed() < MAX_IDLE);
        idle.pop().map(|(conn, _)| conn)
    }

    fn keep(&self, conn: AsyncSmtpConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_KEPT {
            idle.push((conn, Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_as_lettre_reads_them() {
        let plain = Relay::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!((plain.host.as_str(), plain.port, plain.starttls), ("127.0.0.1", 2525, Starttls::Never));
        assert!(plain.credentials.is_none());
        let tls = Relay::parse("smtp://user%40x:p%3Ass@mail.example.test/slotwise.example?tls=required").unwrap();
        assert_eq!((tls.port, tls.starttls), (SUBMISSION_PORT, Starttls::Required));
        assert!(tls.credentials.is_some());
        assert_eq!(tls.hello, ClientId::Domain("slotwise.example".into()));
        assert_eq!(
            Relay::parse("smtp://mail.example.test?tls=opportunistic").unwrap().starttls,
            Starttls::Opportunistic
        );
        assert_eq!(Relay::parse("smtp://mail.example.test").unwrap().port, SMTP_PORT);
        for kept_by_lettre in ["smtps://mail.example.test", "smtp://h?tls=bogus", "http://h", ""] {
            assert!(Relay::parse(kept_by_lettre).is_none(), "{kept_by_lettre}");
        }
    }
}
