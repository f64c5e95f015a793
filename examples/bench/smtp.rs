//! A tiny SMTP sink on loopback: enough RFC 5321 for lettre's pooled client
//! (no TLS, no AUTH). It keeps only the code of the newest message per
//! recipient, so the flow's visitors can wait for theirs.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

type Codes = Arc<(Mutex<HashMap<String, String>>, Condvar)>;

/// A running sink; it lives as long as the benchmark process.
pub struct Sink {
    pub port: u16,
    codes: Codes,
}

impl Sink {
    /// Binds `127.0.0.1:0` and serves every connection on its own thread.
    pub fn start() -> Result<Sink, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("SMTP sink: {e}"))?;
        let port = listener.local_addr().map_err(|e| format!("SMTP sink: {e}"))?.port();
        let codes: Codes = Arc::default();
        let shared = codes.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let codes = shared.clone();
                thread::spawn(move || {
                    let _ = serve(stream, &codes);
                });
            }
        });
        Ok(Sink { port, codes })
    }

    /// Waits for (and takes) the code sent to `email`.
    pub fn code_for(&self, email: &str, timeout: Duration) -> Option<String> {
        let (lock, arrived) = &*self.codes;
        let deadline = Instant::now() + timeout;
        let mut codes = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(code) = codes.remove(email) {
                return Some(code);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            codes = arrived.wait_timeout(codes, left).unwrap_or_else(|e| e.into_inner()).0;
        }
    }
}

fn serve(stream: TcpStream, codes: &Codes) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    out.write_all(b"220 bench-sink ESMTP\r\n")?;
    let mut recipients = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 bench-sink\r\n",
            "MAIL" => {
                recipients.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                let address = line.split_once('<').and_then(|(_, rest)| rest.split_once('>')).map(|(a, _)| a);
                recipients.push(address.unwrap_or_default().to_ascii_lowercase());
                b"250 OK\r\n"
            }
            "DATA" => {
                out.write_all(b"354 go ahead\r\n")?;
                let message = read_data(&mut lines)?;
                if let Some(code) = code_in(&message) {
                    let (lock, arrived) = &**codes;
                    let mut map = lock.lock().unwrap_or_else(|e| e.into_inner());
                    for to in recipients.drain(..) {
                        map.insert(to, code.clone());
                    }
                    arrived.notify_all();
                }
                b"250 OK queued\r\n"
            }
            "RSET" | "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                out.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => b"502 not implemented\r\n",
        };
        out.write_all(reply)?;
    }
}

/// The message up to the lone `.` line, dot-unstuffed.
fn read_data(lines: &mut impl BufRead) -> std::io::Result<String> {
    let mut message = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 || line == ".\r\n" || line == ".\n" {
            return Ok(message);
        }
        message.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}

/// The code in a message: the only standalone run of six digits in its body
/// (quoted-printable soft breaks undone).
fn code_in(message: &str) -> Option<String> {
    let body = message.split_once("\r\n\r\n").map_or(message, |(_, body)| body).replace("=\r\n", "");
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let alone = start.checked_sub(1).is_none_or(|j| !bytes[j].is_ascii_alphanumeric())
            && bytes.get(i).is_none_or(|b| !b.is_ascii_alphanumeric());
        if i - start == 6 && alone {
            return Some(body[start..i].to_string());
        }
    }
    None
}
