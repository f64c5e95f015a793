//! A real HTTP receiver of webhooks on a loopback port: it reads each POST
//! (headers, body by `Content-Length`), keeps it, and answers with the next
//! scripted [`Answer`] (`200` once the script is used up). Every answer
//! closes its connection. One thread per connection, so a receiver that
//! hangs on one request still reads the next.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// This status, at once.
    Status(u16),
    /// Nothing: the connection stays open, unanswered, until the receiver
    /// is dropped.
    Hang,
}

/// One request received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `POST /path`.
    pub request_line: String,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: String,
    /// How it was answered.
    pub answer: Answer,
}

impl Received {
    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    script: VecDeque<Answer>,
    received: Vec<Received>,
    closed: bool,
}

/// The receiver; stops accepting when dropped.
pub struct Receiver {
    port: u16,
    state: Arc<(Mutex<State>, Condvar)>,
}

impl Receiver {
    /// A receiver on a free loopback port, answering `200`.
    pub fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let state = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if shared.0.lock().expect("receiver state").closed {
                    return;
                }
                let shared = shared.clone();
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Receiver { port, state }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Answers the next requests with `answers`, in order (then `200`).
    pub fn script(&self, answers: &[Answer]) {
        self.state.0.lock().expect("receiver state").script.extend(answers.iter().copied());
    }

    /// Drops what is left of the script: `200` from now on.
    pub fn clear_script(&self) {
        self.state.0.lock().expect("receiver state").script.clear();
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.0.lock().expect("receiver state").received.clone()
    }

    /// Waits until `n` requests have arrived (or `within` passed); returns
    /// what arrived. For async tests, whose app runs on the same runtime.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let received = self.received();
            if received.len() >= n || Instant::now() >= deadline {
                return received;
            }
            // NOTE: waits for the app's sender task on a real socket.
            rocket::tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// [`Receiver::wait_for`] for tests of real `slotwise` processes.
    pub fn wait_for_blocking(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        let (lock, arrived) = &*self.state;
        let mut state = lock.lock().expect("receiver state");
        while state.received.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            // NOTE: waits for the app's sender on a real socket.
            state = arrived.wait_timeout(state, left).expect("receiver state").0;
        }
        state.received.clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.state.0.lock().expect("receiver state").closed = true;
        self.state.1.notify_all();
        // Unblocks the accept loop so that it sees `closed`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Reads one request from `stream`, records it, answers it.
fn serve(stream: TcpStream, shared: &(Mutex<State>, Condvar)) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let (lock, arrived) = shared;
    let answer = {
        let mut state = lock.lock().expect("receiver state");
        let answer = state.script.pop_front().unwrap_or(Answer::Status(200));
        let body = String::from_utf8_lossy(&body).into_owned();
        state.received.push(Received { request_line: request_line.trim_end().to_string(), headers, body, answer });
        answer
    };
    arrived.notify_all();
    let mut stream = stream;
    match answer {
        Answer::Status(code) => {
            let _ = write!(stream, "HTTP/1.1 {code} Scripted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
        Answer::Hang => {
            let mut state = lock.lock().expect("receiver state");
            while !state.closed {
                state = arrived.wait(state).expect("receiver state");
            }
        }
    }
}
