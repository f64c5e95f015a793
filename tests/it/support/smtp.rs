//! The one SMTP sink: a small but real SMTP server on loopback, shared by the
//! integration tests and the benchmark driver (`examples/bench`, which
//! includes this file with `#[path]`, so it depends on nothing else in
//! `tests/it/support`).
//!
//! It listens on `127.0.0.1` (an OS-chosen port), serves each connection on its
//! own thread and speaks enough RFC 5321 for lettre's client: greeting, `EHLO`
//! / `HELO` (no `STARTTLS`, no `AUTH`), `MAIL FROM`, `RCPT TO`, `DATA` (with
//! dot-unstuffing), `RSET`, `NOOP`, `QUIT`. Every accepted message is kept as a
//! [`Received`] until taken or forgotten; waiting for one blocks on a condition
//! variable, not a poll, so the benchmark's visitors get their code at once.
//! [`SmtpServer::set_refuse`] makes it answer `554` to `MAIL FROM`.
//! Dropping the server stops it and closes its connections.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// How often blocked reads wake up to notice that the server was dropped.
const POLL: Duration = Duration::from_millis(100);
/// Longest command line or data line accepted (RFC 5321 allows 1000 octets).
const MAX_LINE: usize = 64 * 1024;

/// One message accepted by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The envelope sender (`MAIL FROM`), without angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), without angle brackets.
    pub to: Vec<String>,
    /// The raw RFC 5322 message, dot-unstuffed, lines ending in CRLF, without
    /// the terminating `.` line.
    pub data: String,
}

impl Received {
    /// Whether `address` is one of the envelope recipients (without regard
    /// to case).
    pub fn is_to(&self, address: &str) -> bool {
        self.to.iter().any(|to| to.eq_ignore_ascii_case(address))
    }
}

#[derive(Default)]
struct Shared {
    messages: Mutex<Vec<Received>>,
    /// Notified whenever a message is added.
    arrived: Condvar,
    connections: AtomicUsize,
    refuse: AtomicBool,
    stop: AtomicBool,
}

impl Shared {
    fn messages(&self) -> MutexGuard<'_, Vec<Received>> {
        // A panicking connection thread must not hide what was received.
        self.messages.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, received: Received) {
        self.messages().push(received);
        self.arrived.notify_all();
    }

    /// Waits until `ready` finds what it wants in the messages (or `timeout`
    /// passes) and returns its last answer.
    fn wait<T>(&self, timeout: Duration, mut ready: impl FnMut(&mut Vec<Received>) -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut messages = self.messages();
        loop {
            if let Some(found) = ready(&mut messages) {
                return Some(found);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            messages = self.arrived.wait_timeout(messages, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }
}

/// A running test SMTP server; stops when dropped.
pub struct SmtpServer {
    port: u16,
    shared: Arc<Shared>,
}

impl SmtpServer {
    /// Binds `127.0.0.1:0` and starts accepting connections; panics if it
    /// cannot (tests).
    pub fn start() -> SmtpServer {
        SmtpServer::try_start().expect("start the test SMTP server")
    }

    /// Like [`SmtpServer::start`], with the error for callers that report it.
    pub fn try_start() -> io::Result<SmtpServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared::default());
        let accept_shared = Arc::clone(&shared);
        thread::Builder::new().name(format!("smtp-sink-{port}")).spawn(move || accept_loop(listener, accept_shared))?;
        Ok(SmtpServer { port, shared })
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:<port>`, for `mail.smtp_url`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// How many connections clients have opened so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// The messages received so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        self.shared.messages().clone()
    }

    /// Waits until at least `count` messages arrived or `timeout` passed, and
    /// returns what arrived (possibly fewer than `count`: assert on it).
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let enough = |messages: &mut Vec<Received>| (messages.len() >= count).then(|| messages.clone());
        self.shared.wait(timeout, enough).unwrap_or_else(|| self.messages())
    }

    /// Waits up to `timeout` for a message to `recipient` (envelope, without
    /// regard to case) and takes the oldest one out of the server.
    pub fn take_to(&self, recipient: &str, timeout: Duration) -> Option<Received> {
        self.shared.wait(timeout, |messages| {
            let at = messages.iter().position(|m| m.is_to(recipient))?;
            Some(messages.remove(at))
        })
    }

    /// Forgets every message to `recipient` received so far.
    pub fn forget_to(&self, recipient: &str) {
        self.shared.messages().retain(|m| !m.is_to(recipient));
    }

    /// When `true`, every `MAIL FROM` is answered `554` and nothing is accepted.
    pub fn set_refuse(&self, refuse: bool) {
        self.shared.refuse.store(refuse, Ordering::SeqCst);
    }

    /// Forgets the messages received so far.
    pub fn clear(&self) {
        self.shared.messages().clear();
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// An `smtp://` URL to a loopback port where nothing listens (for "server
/// down" tests). Another process could grab the port meanwhile, but the OS
/// hands out ephemeral ports in rotation, so that is unlikely.
pub fn free_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a probe port");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    format!("smtp://127.0.0.1:{port}")
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let shared = Arc::clone(&shared);
        let spawned = thread::Builder::new().name("smtp-sink-conn".into()).spawn(move || {
            // The client hanging up mid-session is not the server's problem.
            let _ = Session::new(stream, shared).and_then(|mut session| session.run());
        });
        if spawned.is_err() {
            continue;
        }
    }
}

/// Reads CRLF- (or LF-) terminated lines from a stream with a short read
/// timeout, so the thread can notice [`Shared::stop`].
struct Session {
    stream: TcpStream,
    shared: Arc<Shared>,
    buffer: Vec<u8>,
}

/// The state of one mail transaction.
#[derive(Default)]
struct Transaction {
    greeted: bool,
    from: Option<String>,
    to: Vec<String>,
}

impl Session {
    fn new(stream: TcpStream, shared: Arc<Shared>) -> io::Result<Session> {
        stream.set_read_timeout(Some(POLL))?;
        stream.set_nodelay(true)?;
        Ok(Session { stream, shared, buffer: Vec::new() })
    }

    fn reply(&mut self, text: &str) -> io::Result<()> {
        self.stream.write_all(text.as_bytes())?;
        self.stream.write_all(b"\r\n")?;
        self.stream.flush()
    }

    /// The next line, terminator included; `None` when the client closed the
    /// connection or the server stopped.
    fn read_line(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            if let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
                return Ok(Some(self.buffer.drain(..=end).collect()));
            }
            if self.buffer.len() > MAX_LINE {
                return Err(io::Error::new(ErrorKind::InvalidData, "line too long"));
            }
            if self.shared.stop.load(Ordering::SeqCst) {
                return Ok(None);
            }
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(None),
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn run(&mut self) -> io::Result<()> {
        let result = self.dialogue();
        let _ = self.stream.shutdown(Shutdown::Both);
        result
    }

    fn dialogue(&mut self) -> io::Result<()> {
        self.reply("220 127.0.0.1 ESMTP slotwise-test-smtp ready")?;
        let mut tx = Transaction::default();
        while let Some(line) = self.read_line()? {
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            let (verb, arg) = match line.split_once(' ') {
                Some((verb, arg)) => (verb.to_ascii_uppercase(), arg.trim()),
                None => (line.to_ascii_uppercase(), ""),
            };
            match verb.as_str() {
                "EHLO" => {
                    tx = Transaction { greeted: true, ..Transaction::default() };
                    let name = if arg.is_empty() { "client" } else { arg };
                    self.reply(&format!("250-127.0.0.1 greets {name}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 HELP"))?;
                }
                "HELO" => {
                    tx = Transaction { greeted: true, ..Transaction::default() };
                    self.reply("250 127.0.0.1")?;
                }
                "MAIL" => {
                    if !tx.greeted {
                        self.reply("503 5.5.1 Say EHLO first")?;
                    } else if tx.from.is_some() {
                        self.reply("503 5.5.1 Nested MAIL command")?;
                    } else if self.shared.refuse.load(Ordering::SeqCst) {
                        self.reply("554 5.7.1 Transaction refused")?;
                    } else {
                        match path(arg, "FROM:") {
                            Some(from) => {
                                tx.from = Some(from);
                                self.reply("250 2.1.0 OK")?;
                            }
                            None => self.reply("501 5.5.4 Syntax: MAIL FROM:<address>")?,
                        }
                    }
                }
                "RCPT" => {
                    if tx.from.is_none() {
                        self.reply("503 5.5.1 Need MAIL before RCPT")?;
                    } else {
                        match path(arg, "TO:") {
                            Some(to) if !to.is_empty() => {
                                tx.to.push(to);
                                self.reply("250 2.1.5 OK")?;
                            }
                            _ => self.reply("501 5.5.4 Syntax: RCPT TO:<address>")?,
                        }
                    }
                }
                "DATA" => {
                    if tx.from.is_none() || tx.to.is_empty() {
                        self.reply("503 5.5.1 Need MAIL and RCPT before DATA")?;
                        continue;
                    }
                    self.reply("354 End data with <CR><LF>.<CR><LF>")?;
                    let Some(data) = self.read_data()? else { return Ok(()) };
                    let received =
                        Received { from: tx.from.take().unwrap_or_default(), to: std::mem::take(&mut tx.to), data };
                    self.shared.push(received);
                    self.reply("250 2.0.0 OK queued")?;
                }
                "RSET" => {
                    tx = Transaction { greeted: tx.greeted, ..Transaction::default() };
                    self.reply("250 2.0.0 OK")?;
                }
                "NOOP" => self.reply("250 2.0.0 OK")?,
                "VRFY" => self.reply("252 2.1.5 Cannot VRFY user")?,
                "QUIT" => {
                    self.reply("221 2.0.0 Bye")?;
                    return Ok(());
                }
                _ => self.reply("500 5.5.2 Command not recognized")?,
            }
        }
        Ok(())
    }

    /// Reads the message after `354` up to the lone `.` line, undoing dot
    /// stuffing; `None` when the connection ended first.
    fn read_data(&mut self) -> io::Result<Option<String>> {
        let mut data = Vec::new();
        loop {
            let Some(line) = self.read_line()? else { return Ok(None) };
            if line == b".\r\n" || line == b".\n" {
                return Ok(Some(String::from_utf8_lossy(&data).into_owned()));
            }
            let line = line.strip_prefix(b".").unwrap_or(&line);
            data.extend_from_slice(line);
        }
    }
}

/// The address in `FROM:<a@b> PARAMS` / `TO:<a@b>` (`prefix` matched without
/// regard to case); the null path `<>` gives an empty string.
fn path(arg: &str, prefix: &str) -> Option<String> {
    let head = arg.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = arg[prefix.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    Some(rest[..end].to_string())
}
