//! A fault-injecting HTTP/1.1 proxy in front of moto: throttle, fail, reset or delay chosen
//! AWS operations, forward everything else unchanged.
//!
//! Point an `SdkConfig` at [`FaultProxy::url`] (`remediation::sdk::loader(..).endpoint_url(..)`)
//! and the functions' real clients go through it. The operation of a request is read the way
//! each protocol names it: the `X-Amz-Target` header for awsJson services (SageMaker:
//! `SageMaker.AddTags`, Application Auto Scaling: `AnyScaleFrontendService.RegisterScalableTarget`),
//! the `Action=` form parameter for query services (SNS, CloudWatch), otherwise
//! `<METHOD> <path>` (S3). Each request uses its own connection (the proxy answers with
//! `Connection: close`), which keeps the forwarding trivial and the client's pool honest.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What to do to a matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 400 with the service's throttling error (`ThrottlingException` for awsJson,
    /// `Throttling` for query services).
    Throttle,
    /// An HTTP status (500, 503) with the service's error body.
    Status(u16),
    /// Close the connection with a TCP reset, no response.
    Reset,
    /// Wait, then forward the request (the client may give up first).
    Delay(Duration),
}

#[derive(Debug, Clone)]
struct Rule {
    operation: String,
    fault: Fault,
    /// How many more requests this rule applies to; `None`: every one.
    remaining: Option<u32>,
}

#[derive(Debug, Default)]
struct State {
    rules: Vec<Rule>,
    /// The operation of every request seen, in order, with the fault applied.
    seen: Vec<(String, Option<Fault>)>,
    /// Added to every request before anything else: what real API calls take.
    latency: Option<Duration>,
    /// Requests being answered now.
    in_flight: usize,
    /// The operation of every request that arrived while another was being answered.
    overlapping: Vec<String>,
}

/// One request being answered, from its arrival until its answer is written (or it fails).
struct InFlight<'a>(&'a Mutex<State>);

impl<'a> InFlight<'a> {
    fn enter(state: &'a Mutex<State>, operation: &str) -> Self {
        let mut guard = state.lock().unwrap();
        if guard.in_flight > 0 {
            guard.overlapping.push(operation.to_owned());
        }
        guard.in_flight += 1;
        InFlight(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.lock().unwrap().in_flight -= 1;
    }
}

/// The proxy: listens on a loopback port until dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Start a proxy forwarding to `upstream` (`http://127.0.0.1:<port>`).
    pub async fn start(upstream: &str) -> std::io::Result<FaultProxy> {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let state = shared.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let _ = serve(client, &upstream, &state).await;
                });
            }
        });
        Ok(FaultProxy { addr, state, task })
    }

    /// In front of the moto server the tests use (`AWS_ENDPOINT_URL`).
    pub async fn in_front_of_moto() -> std::io::Result<FaultProxy> {
        let upstream = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
        FaultProxy::start(&upstream).await
    }

    /// [`FaultProxy::in_front_of_moto`], and an SDK configuration (default settings) whose
    /// calls go through it.
    pub async fn with_sdk() -> std::io::Result<(FaultProxy, aws_config::SdkConfig)> {
        let proxy = FaultProxy::in_front_of_moto().await?;
        let sdk = remediation::sdk::loader(&remediation::sdk::Settings::default())
            .endpoint_url(proxy.url())
            .load()
            .await;
        Ok((proxy, sdk))
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Apply `fault` to the next `times` requests of `operation` (`None`: to all of them).
    /// `operation` matches the operation name exactly, or as a prefix of `<METHOD> <path>`.
    pub fn inject(&self, operation: &str, fault: Fault, times: Option<u32>) {
        self.state.lock().unwrap().rules.push(Rule {
            operation: operation.to_owned(),
            fault,
            remaining: times,
        });
    }

    /// Make every call `delay` slower, as real AWS calls are (30-100 ms) next to moto's few.
    pub fn slow_every_call(&self, delay: Duration) {
        self.state.lock().unwrap().latency = Some(delay);
    }

    /// Remove every rule: from now on everything is forwarded.
    pub fn clear(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    /// Requests of `operation` seen so far (faulted or not).
    pub fn count(&self, operation: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .seen
            .iter()
            .filter(|(op, _)| op == operation)
            .count()
    }

    /// Every request's operation so far, in order.
    pub fn operations(&self) -> Vec<String> {
        let state = self.state.lock().unwrap();
        state.seen.iter().map(|(op, _)| op.clone()).collect()
    }

    /// The operations of the requests that arrived while another request was still being
    /// answered, in order: what a client made side by side.
    pub fn overlapping(&self) -> Vec<String> {
        self.state.lock().unwrap().overlapping.clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One request head and body as read from the client.
struct Request {
    head: String,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn operation(&self) -> String {
        if let Some(target) = self.header("x-amz-target") {
            return target.rsplit('.').next().unwrap_or(target).to_owned();
        }
        let body = String::from_utf8_lossy(&self.body);
        if let Some(action) = body
            .split('&')
            .find_map(|pair| pair.strip_prefix("Action="))
        {
            return action.to_owned();
        }
        let mut first = self.head.lines().next().unwrap_or("").split(' ');
        let method = first.next().unwrap_or("");
        let path = first.next().unwrap_or("");
        format!("{method} {path}")
    }

    /// awsJson services say which operation in `X-Amz-Target`; query services do not.
    fn is_json(&self) -> bool {
        self.header("x-amz-target").is_some()
    }
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut body = buf[end + 4..].to_vec();
    let mut request = Request {
        head,
        body: Vec::new(),
    };
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    request.body = body;
    Ok(Some(request))
}

fn take_fault(state: &Mutex<State>, operation: &str) -> Option<Fault> {
    let mut state = state.lock().unwrap();
    let method_path = operation.contains(' ');
    let fault = state
        .rules
        .iter_mut()
        .find(|r| {
            r.remaining != Some(0)
                && (r.operation == operation
                    || (method_path && operation.starts_with(r.operation.as_str())))
        })
        .map(|rule| {
            if let Some(n) = rule.remaining.as_mut() {
                *n -= 1;
            }
            rule.fault
        });
    state.seen.push((operation.to_owned(), fault));
    fault
}

async fn serve(mut client: TcpStream, upstream: &str, state: &Mutex<State>) -> std::io::Result<()> {
    let Some(request) = read_request(&mut client).await? else {
        return Ok(());
    };
    let operation = request.operation();
    let _answering = InFlight::enter(state, &operation);
    let latency = state.lock().unwrap().latency;
    if let Some(delay) = latency {
        tokio::time::sleep(delay).await;
    }
    match take_fault(state, &operation) {
        Some(Fault::Reset) => {
            // SO_LINGER 0: closing sends a reset instead of an orderly FIN.
            #[allow(deprecated)]
            let _ = client.set_linger(Some(Duration::ZERO));
            drop(client);
            return Ok(());
        }
        Some(Fault::Throttle) => {
            let response = error_response(&request, 400, "Throttling");
            client.write_all(&response).await?;
            return client.shutdown().await;
        }
        Some(Fault::Status(status)) => {
            let code = if status == 503 {
                "ServiceUnavailable"
            } else {
                "InternalFailure"
            };
            let response = error_response(&request, status, code);
            client.write_all(&response).await?;
            return client.shutdown().await;
        }
        Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }
    let response = forward(&request, upstream).await?;
    client.write_all(&response).await?;
    client.shutdown().await
}

/// Send the request upstream on a fresh connection and return the whole response, with
/// `Connection: close` so the client does not reuse this connection.
async fn forward(request: &Request, upstream: &str) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(upstream).await?;
    let mut head: Vec<&str> = request
        .head
        .lines()
        .filter(|l| {
            !l.split_once(':')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("connection"))
        })
        .collect();
    head.push("Connection: close");
    let mut out = head.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(&request.body);
    stream.write_all(&out).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(response);
    };
    let head = String::from_utf8_lossy(&response[..end]).into_owned();
    let mut lines: Vec<&str> = head
        .lines()
        .filter(|l| {
            !l.split_once(':')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("connection"))
        })
        .collect();
    lines.push("Connection: close");
    let mut rewritten = lines.join("\r\n").into_bytes();
    rewritten.extend_from_slice(&response[end..]);
    Ok(rewritten)
}

/// An error in the service's own format: awsJson (`__type` and `x-amzn-ErrorType`) or the
/// query protocol's XML `ErrorResponse`.
fn error_response(request: &Request, status: u16, code: &str) -> Vec<u8> {
    let reason = match status {
        400 => "Bad Request",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let (code, content_type, body) = if request.is_json() {
        let code = if code == "Throttling" {
            "ThrottlingException"
        } else {
            code
        };
        (
            code,
            "application/x-amz-json-1.1",
            format!(r#"{{"__type":"{code}","message":"injected by the test proxy"}}"#),
        )
    } else {
        let kind = if status < 500 { "Sender" } else { "Receiver" };
        (
            code,
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code>\
                 <Message>injected by the test proxy</Message></Error>\
                 <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
            ),
        )
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nx-amzn-ErrorType: {code}\r\n\
         x-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
