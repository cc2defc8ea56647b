//! A TCP proxy on 127.0.0.1 that puts a bad network between a client and an
//! S3 server: it forwards HTTP/1.1 exchanges and, by a schedule the test
//! sets, resets a connection part way, stalls, truncates an answer or
//! answers `503 SlowDown` / `500 InternalError` itself. It counts the
//! bytes it forwards each way, so a test can measure what a transfer cost.
//!
//! Faults are scheduled **by request**, not by connection: the client
//! pools connections, so one connection carries many requests. Each rule
//! counts the requests it applies to (those whose request line contains
//! its `only` text) and fires on some of them ([`When`]). Each request is
//! sent upstream on a connection of its own; the client's connection stays
//! open across requests unless a fault closes it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where in an exchange a fault strikes. Uploads (request bodies over
/// 64 KiB) are struck in the request, everything else in the answer.
#[derive(Debug, Clone, Copy)]
pub enum At {
    /// After this fraction of the body (0.0 to 1.0).
    Fraction(f64),
    /// At a point drawn from the proxy's seeded generator.
    Random,
    /// Before the first byte of the answer, once the server has handled
    /// the whole request (uploads too): the client hears nothing of what
    /// the server did, as when an answer is lost on the way.
    Answer,
}

/// What the proxy does to a request a rule picked.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Closes both connections there.
    Reset(At),
    /// Forwards nothing for `Duration` there, then goes on.
    Stall(At, Duration),
    /// Forwards the answer's head and half its body, then closes.
    Truncate,
    /// Answers with this status (503 `SlowDown`, else `InternalError`)
    /// instead of forwarding the request.
    Status(u16),
}

/// On which of the requests it applies to a rule fires (0-based count).
#[derive(Debug, Clone, Copy)]
pub enum When {
    /// The first `k`.
    First(usize),
    /// Every `n`-th, starting with the second (`n - 1`, `2n - 1`, …).
    EveryNth(usize),
    /// Each with this chance in percent, from the proxy's seeded generator.
    Random(u32),
    /// Every one.
    Always,
}

/// A fault schedule: which requests, and the faults it cycles through.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Only requests whose request line (`GET /bucket/key?… HTTP/1.1`)
    /// contains this; every request when empty.
    pub only: String,
    /// Only requests of this method (`GET`); every method when empty.
    pub method: String,
    /// Which of those.
    pub when: When,
    /// The faults, used in turn.
    pub faults: Vec<Fault>,
    /// At most this many faults from this rule.
    pub limit: usize,
}

impl Rule {
    /// Fires `when` on every request, cycling through `faults`, unlimited.
    pub fn new(when: When, faults: Vec<Fault>) -> Self {
        Rule {
            only: String::new(),
            method: String::new(),
            when,
            faults,
            limit: usize::MAX,
        }
    }

    /// The same rule for requests whose request line contains `text` only.
    pub fn only(mut self, text: &str) -> Self {
        self.only = text.to_owned();
        self
    }

    /// The same rule for requests of `method` only (`GET`, `PUT`): a
    /// download and the copy that put the object there name one key.
    pub fn method(mut self, method: &str) -> Self {
        self.method = format!("{method} ");
        self
    }

    /// The same rule, firing at most `limit` times.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
}

struct State {
    upstream: SocketAddr,
    rules: Vec<(Rule, AtomicUsize, AtomicUsize)>,
    rng: Mutex<u64>,
    up: AtomicU64,
    down: AtomicU64,
    requests: AtomicUsize,
    faults: AtomicUsize,
    log: Mutex<Vec<String>>,
    stop: AtomicBool,
}

/// A running proxy; stops accepting when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<State>,
}

impl FaultProxy {
    /// Starts a proxy on a free port of 127.0.0.1 in front of `upstream`
    /// (`host:port`), with `rules` (the first that fires wins) and `seed`.
    pub fn start(upstream: &str, rules: Vec<Rule>, seed: u64) -> FaultProxy {
        let upstream = upstream.parse().expect("upstream is host:port");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let state = Arc::new(State {
            upstream,
            rules: rules
                .into_iter()
                .map(|r| (r, AtomicUsize::new(0), AtomicUsize::new(0)))
                .collect(),
            rng: Mutex::new(seed | 1),
            up: AtomicU64::new(0),
            down: AtomicU64::new(0),
            requests: AtomicUsize::new(0),
            faults: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let state = Arc::clone(&shared);
                std::thread::spawn(move || {
                    let _ = serve(&state, client);
                });
            }
        });
        FaultProxy { addr, state }
    }

    /// `127.0.0.1:port`, the host to give the client.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Bytes forwarded from the client to the server (our own answers not counted).
    pub fn bytes_up(&self) -> u64 {
        self.state.up.load(Ordering::SeqCst)
    }

    /// Bytes sent to the client (forwarded answers and our own).
    pub fn bytes_down(&self) -> u64 {
        self.state.down.load(Ordering::SeqCst)
    }

    /// Requests seen.
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// The request line of every request seen, in order.
    pub fn log(&self) -> Vec<String> {
        self.state
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Faults injected.
    pub fn faults(&self) -> usize {
        self.state.faults.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wakes the accept loop
    }
}

impl State {
    /// A number from the seeded generator (xorshift64).
    fn random(&self) -> u64 {
        let mut x = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    fn fault_for(&self, request_line: &str) -> Option<Fault> {
        for (rule, seen, fired) in &self.rules {
            if !request_line.contains(&rule.only)
                || !request_line.starts_with(&rule.method)
                || rule.faults.is_empty()
            {
                continue;
            }
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let fires = match rule.when {
                When::First(k) => n < k,
                When::EveryNth(every) => every > 0 && n % every == every - 1,
                When::Random(percent) => self.random() % 100 < u64::from(percent),
                When::Always => true,
            };
            if fires {
                let k = fired.fetch_add(1, Ordering::SeqCst);
                if k < rule.limit {
                    self.faults.fetch_add(1, Ordering::SeqCst);
                    return Some(rule.faults[k % rule.faults.len()]);
                }
            }
        }
        None
    }

    /// The byte of a body of `len` bytes where a fault strikes.
    fn point(&self, at: At, len: u64) -> u64 {
        let fraction = match at {
            At::Fraction(f) => f.clamp(0.0, 1.0),
            At::Random => (self.random() % 1000) as f64 / 1000.0,
            At::Answer => 0.0,
        };
        (len as f64 * fraction) as u64
    }
}

/// A writer that counts, and acts once at a byte position of its stream.
struct Pump<'a> {
    to: &'a mut TcpStream,
    counter: &'a AtomicU64,
    pos: u64,
    /// (position, stall time or `None` for a reset).
    act: Option<(u64, Option<Duration>)>,
}

impl Pump<'_> {
    /// Writes `data`; `false` once a reset struck.
    fn send(&mut self, mut data: &[u8]) -> std::io::Result<bool> {
        if let Some((at, stall)) = self.act {
            let end = self.pos + data.len() as u64;
            if at >= self.pos && at < end.max(self.pos + 1) {
                let (before, after) = data.split_at(((at - self.pos) as usize).min(data.len()));
                self.write(before)?;
                self.act = None;
                match stall {
                    None => return Ok(false),
                    Some(time) => std::thread::sleep(time),
                }
                data = after;
            }
        }
        self.write(data)?;
        Ok(true)
    }

    fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.to.write_all(data)?;
        self.counter.fetch_add(data.len() as u64, Ordering::SeqCst);
        self.pos += data.len() as u64;
        Ok(())
    }
}

/// A message head, its `content-length` and whether its body is chunked.
type Head = (Vec<u8>, Option<u64>, bool);

/// The head of a message (up to the blank line); `None` at the end.
fn read_head(from: &mut impl BufRead) -> std::io::Result<Option<Head>> {
    let (mut head, mut length, mut chunked) = (Vec::new(), None, false);
    loop {
        let mut line = Vec::new();
        if from.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        head.extend_from_slice(&line);
        let text = String::from_utf8_lossy(&line).to_ascii_lowercase();
        if let Some(v) = text.strip_prefix("content-length:") {
            length = v.trim().parse().ok();
        }
        if text.starts_with("transfer-encoding:") && text.contains("chunked") {
            chunked = true;
        }
        if line == b"\r\n" || line == b"\n" {
            return Ok(Some((head, length, chunked)));
        }
    }
}

fn serve(state: &State, client: TcpStream) -> std::io::Result<()> {
    let mut to_client = client.try_clone()?;
    let mut from_client = BufReader::new(client);
    while let Some((head, length, _)) = read_head(&mut from_client)? {
        let first = head.iter().position(|&b| b == b'\n').unwrap_or(0);
        let line = String::from_utf8_lossy(&head[..first]).trim().to_owned();
        state.requests.fetch_add(1, Ordering::SeqCst);
        state
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line.clone());
        let length = length.unwrap_or(0);
        let fault = state.fault_for(&line);
        if let Some(Fault::Status(status)) = fault {
            std::io::copy(&mut (&mut from_client).take(length), &mut std::io::sink())?;
            let (code, reason) = match status {
                503 => ("SlowDown", "Slow Down"),
                _ => ("InternalError", "Internal Server Error"),
            };
            let xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code>\
                 <Message>injected by the test proxy</Message></Error>"
            );
            let answer = format!(
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\n\
                 Content-Length: {}\r\n\r\n{xml}",
                xml.len()
            );
            to_client.write_all(answer.as_bytes())?;
            state.down.fetch_add(answer.len() as u64, Ordering::SeqCst);
            continue;
        }
        let act_at = |len: u64| match fault {
            Some(Fault::Reset(at)) => Some((state.point(at, len), None)),
            Some(Fault::Stall(at, time)) => Some((state.point(at, len), Some(time))),
            Some(Fault::Truncate) => Some((len / 2, None)),
            _ => None,
        };
        let at_answer = matches!(
            fault,
            Some(Fault::Reset(At::Answer) | Fault::Stall(At::Answer, _))
        );
        // Uploads are struck while the client sends, the rest in the answer.
        let upload = length > 64 << 10 && !matches!(fault, Some(Fault::Truncate)) && !at_answer;
        let mut upstream = TcpStream::connect(state.upstream)?;
        let mut up = Pump {
            to: &mut upstream,
            counter: &state.up,
            pos: 0,
            act: None,
        };
        up.write(&head)?;
        up.pos = 0;
        if upload {
            up.act = act_at(length);
        }
        let mut buf = vec![0u8; 64 << 10];
        let mut left = length;
        let mut reset = false;
        while left > 0 && !reset {
            let n = from_client.read(&mut buf[..left.min(64 << 10) as usize])?;
            if n == 0 {
                return Ok(());
            }
            left -= n as u64;
            reset = !up.send(&buf[..n])?;
        }
        if reset {
            break;
        }
        let mut from_upstream = BufReader::new(upstream.try_clone()?);
        let Some((head, length, chunked)) = read_head(&mut from_upstream)? else {
            break;
        };
        let no_body = line.starts_with("HEAD ")
            || head.starts_with(b"HTTP/1.1 204")
            || head.starts_with(b"HTTP/1.1 304");
        let mut down = Pump {
            to: &mut to_client,
            counter: &state.down,
            pos: 0,
            act: None,
        };
        if no_body || at_answer {
            // Struck before the head: the answer is nothing but its head,
            // or the strike is meant to hide the whole answer.
            down.act = if upload { None } else { act_at(0) };
            if !down.send(&head)? {
                break;
            }
        } else {
            down.write(&head)?;
            down.pos = 0;
            if !upload {
                down.act = act_at(length.unwrap_or(0));
            }
        }
        let kept = no_body || relay_body(&mut from_upstream, &mut down, length, chunked)?;
        let _ = upstream.shutdown(Shutdown::Both);
        if !kept {
            break;
        }
    }
    let _ = to_client.shutdown(Shutdown::Both);
    Ok(())
}

/// Relays an answer's body by its framing; `false` when the client
/// connection must close (a fault struck, or the body ran to the close).
fn relay_body(
    from: &mut BufReader<TcpStream>,
    down: &mut Pump<'_>,
    length: Option<u64>,
    chunked: bool,
) -> std::io::Result<bool> {
    let mut buf = vec![0u8; 64 << 10];
    if chunked {
        loop {
            let mut size_line = Vec::new();
            from.read_until(b'\n', &mut size_line)?;
            let text = String::from_utf8_lossy(&size_line);
            let digits = text.trim().split(';').next().unwrap_or("0");
            let size = u64::from_str_radix(digits, 16).unwrap_or(0);
            if !down.send(&size_line)? {
                return Ok(false);
            }
            let mut chunk = vec![0; size as usize + 2];
            from.read_exact(&mut chunk)?;
            if !down.send(&chunk)? {
                return Ok(false);
            }
            if size == 0 {
                return Ok(true);
            }
        }
    }
    let mut left = length.unwrap_or(u64::MAX);
    while left > 0 {
        let n = from.read(&mut buf[..left.min(64 << 10) as usize])?;
        if n == 0 {
            return Ok(false);
        }
        left -= n as u64;
        if !down.send(&buf[..n])? {
            return Ok(false);
        }
    }
    Ok(length.is_some())
}
