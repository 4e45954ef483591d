"""`make bench`: cold start + one invocation, peak memory, AWS calls, binary and zip size per
function, side by side with a Python 3 + boto3 peer, plus the criterion hot-path results.

Run by the Makefile as `scripts/with-moto.sh .venv/bin/python bench/run.py` after the release
build and `cargo bench`: AWS_ENDPOINT_URL points at a fresh moto server.

How a cold start is measured: this script serves the Lambda Runtime API itself (one
`GET /2018-06-01/runtime/invocation/next` answered with the event, then
`POST .../invocation/<id>/response`). The clock starts right before the process is spawned and
stops when the response arrives; peak RSS is the child's VmHWM (/proc/<pid>/status) read at that
moment, before the POST is acknowledged. moto is reset and the fixtures are recreated before
every run, outside the measured time. API calls are counted by a small proxy in front of moto,
in separate runs (so the proxy adds nothing to the timed runs); those runs also measure the
process's own time, the wall time in which no call was out.
"""

import http.client
import http.server
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
RELEASE = TARGET / os.environ.get("BENCH_PROFILE", "release")
OUT = TARGET / "bench"
RUNS = int(os.environ.get("BENCH_RUNS", "21"))
# Runs per row through the counting proxy: the calls, the round trips, and the process's own time
# (the wall time in which none of its calls is out).
COUNTED_RUNS = int(os.environ.get("BENCH_COUNTED_RUNS", "5"))
MOTO = os.environ["AWS_ENDPOINT_URL"]
ENDPOINT = "prod-ranker"
VARIANT = "AllTraffic"
LOCK_TABLE = "remediation-leases"
TOPIC = "remediation-audit"
MONITORING_BUCKET = "prod-ranker-monitoring"
VIOLATIONS_KEY = (
    "reports/prod-ranker/prod-ranker-data-quality/2026/11/28/13/constraint_violations.json"
)

# The minimum AWS calls each measured invocation needs, and why.
MINIMUM = {
    "scale-on-latency": [
        ("sagemaker DescribeEndpoint", "status check (not InService: no change) and the ARN the tags live on"),
        ("sagemaker ListTags", "read the holds and the baseline"),
        ("application-autoscaling DescribeScalableTargets", "read MinCapacity and MaxCapacity"),
        ("sagemaker AddTags", "record the hold (and baseline) before capacity depends on it"),
        ("application-autoscaling RegisterScalableTarget", "write the new MinCapacity"),
        ("sns Publish", "the audit message"),
    ],
    "prewarm": [
        ("sagemaker DescribeEndpoint", "status check and the ARN the tags live on"),
        ("sagemaker ListTags", "read the holds and the baseline"),
        ("application-autoscaling DescribeScalableTargets", "read MinCapacity and MaxCapacity"),
        ("sagemaker AddTags", "record the event's hold (and baseline)"),
        ("application-autoscaling RegisterScalableTarget", "write the new MinCapacity"),
        ("sns Publish", "the audit message"),
    ],
    "drift-notify": [
        ("s3 GetObject", "read constraint_violations.json from the job's output"),
        ("sns Publish", "the finding"),
    ],
}
MINIMUM["python-peer"] = MINIMUM["scale-on-latency"]

# Calls made beyond the minimum, and why they are kept.
LEASE = (
    "the variant's lease (ARCHITECTURE.md, the hold protocol): one conditional write takes it "
    "before the reads (beside DescribeEndpoint when the event names the variant) and returns the variant's record (what this project last wrote, the last "
    "raise, the alarms' latest transitions), one gives it back with the new record beside the "
    "audit publish; tags have no conditional writes, so without it a restore racing a pre-warm "
    "could lose the pre-warm"
)
TOPIC_CHECK = (
    "once per cold start, not per event: the audit topic is checked before the first event, "
    "so a missing topic stops the function instead of being found after capacity changed"
)
EXTRA = {
    "scale-on-latency": {"dynamodb UpdateItem": LEASE, "sns GetTopicAttributes": TOPIC_CHECK},
    "prewarm": {"dynamodb UpdateItem": LEASE, "sns GetTopicAttributes": TOPIC_CHECK},
    "drift-notify": {"sns GetTopicAttributes": TOPIC_CHECK},
}

# What each measured function is handed: an event that does real work (writes and publishes).
CASES = [
    ("scale-on-latency", "cloudwatch-alarm-latency-eventbridge.json", "ALARM raise 2 -> 4"),
    ("prewarm", "prewarm-raise.json", "raise 2 -> 10 for an event"),
    ("drift-notify", "sagemaker-processing-job-monitoring-violations.json", "violations -> 1 message"),
]
PEER = ("python-peer", "cloudwatch-alarm-latency-eventbridge.json", "ALARM raise 2 -> 4")
# The same scale-on-latency run with this machine's own trust store (see SSL_CERT_* below).
SYSTEM_CERTS = "scale-on-latency*"
CA_BUNDLE = os.environ.get("BENCH_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
EMPTY_CERT_DIR = OUT / "empty-cert-dir"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vm_hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


# ---------------------------------------------------------------- the Runtime API, one event a run


class Invocation:
    def __init__(self, event):
        self.event = event
        self.request_id = str(uuid.uuid4())
        self.pid = None
        self.served = False
        self.finished = threading.Event()
        self.t_end = None
        self.hwm_kib = None
        self.body = None
        self.error = None


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a stopped function resets its idle poll; that is expected


class RuntimeApi(QuietServer):
    current = None


class RuntimeHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        inv = self.server.current
        if self.path.endswith("/runtime/invocation/next") and inv is not None and not inv.served:
            inv.served = True
            body = json.dumps(inv.event).encode()
            deadline = int((time.time() + 150) * 1000)  # the stack's timeout
            self._reply(
                200,
                body,
                [
                    ("Content-Type", "application/json"),
                    ("Lambda-Runtime-Aws-Request-Id", inv.request_id),
                    ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                    ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench"),
                    ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000"),
                ],
            )
            return
        # The second poll: the instance is idle; the harness stops it.
        if inv is not None:
            inv.finished.wait(30)
        self._reply(503)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        inv = self.server.current
        if inv is not None and not inv.finished.is_set():
            if self.path.endswith(f"/{inv.request_id}/response"):
                inv.t_end = time.perf_counter()
                inv.hwm_kib = vm_hwm_kib(inv.pid)
                inv.body = body
            else:
                inv.t_end = time.perf_counter()
                inv.error = body.decode(errors="replace") or self.path
            inv.finished.set()
        self._reply(202, b"{}", [("Content-Type", "application/json")])


def start_runtime_api():
    server = RuntimeApi(("127.0.0.1", free_port()), RuntimeHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ---------------------------------------------------------------- counting proxy in front of moto


class CountingProxy(QuietServer):
    def __init__(self, upstream):
        super().__init__(("127.0.0.1", free_port()), ProxyHandler)
        parsed = urllib.parse.urlparse(upstream)
        self.upstream = (parsed.hostname, parsed.port)
        self.calls = []
        self.lock = threading.Lock()


def operation(method, path, headers, body):
    """Service and operation of an AWS request, from its signature scope and its protocol."""
    service = "?"
    auth = headers.get("Authorization", "")
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(scope) >= 4:
            service = scope[3]
    service = {"sagemaker": "sagemaker", "application-autoscaling": "application-autoscaling"}.get(
        service, service
    )
    target = headers.get("X-Amz-Target")
    if target:
        return f"{service} {target.rsplit('.', 1)[-1]}"
    if body and b"Action=" in body:
        form = urllib.parse.parse_qs(body.decode(errors="replace"))
        return f"{service} {form.get('Action', ['?'])[0]}"
    if service == "s3":
        verb = {"GET": "GetObject", "PUT": "PutObject", "HEAD": "HeadObject"}.get(method, method)
        return f"s3 {verb}"
    return f"{service} {method} {path}"


class Call:
    """One request the proxy forwarded: its operation; when its first line arrived, when it was
    read whole, when moto answered it, and when the answer was sent back."""

    def __init__(self, op, arrived, started):
        self.op = op
        self.arrived = arrived
        self.started = started
        self.ended = None
        self.replied = None


def round_trips(calls):
    """The longest chain of calls each sent after the one before it was answered: the round
    trips a client waits for one after another. Calls in flight together (side by side) count
    once, even though moto answers them one at a time."""
    done = sorted((c for c in calls if c.ended is not None), key=lambda c: c.started)
    longest = []
    for i, call in enumerate(done):
        before = [longest[j] for j in range(i) if done[j].ended <= call.started]
        longest.append(1 + max(before, default=0))
    return max(longest, default=0)


def waiting_ms(calls):
    """Milliseconds in which at least one call was out, from its first line's arrival at the
    proxy to the answer sent back: the part of the wall time the process spent waiting."""
    spans = sorted((c.arrived, c.replied) for c in calls if c.replied is not None)
    total, reach = 0.0, float("-inf")
    for start, end in spans:
        # Only what this call adds past the end of the ones before it.
        total += max(0.0, end - max(start, reach))
        reach = max(reach, end)
    return total * 1000


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The reply's headers and body are two writes: with Nagle's algorithm the body waits for the
    # client's delayed ACK (40 ms per call), which would stretch every counted run.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def parse_request(self):
        self.arrived = time.perf_counter()
        return super().parse_request()

    def _forward(self):
        started = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        call = Call(operation(self.command, self.path, self.headers, body), self.arrived, started)
        with self.server.lock:
            self.server.calls.append(call)
        conn = http.client.HTTPConnection(*self.server.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        # Answered: before the client can see it, so a call it sends next starts later.
        call.ended = time.perf_counter()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "content-length", "connection"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        call.replied = time.perf_counter()
        conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward


# ---------------------------------------------------------------- fixtures


def reset_and_fixtures(clients):
    urllib.request.urlopen(urllib.request.Request(f"{MOTO}/moto-api/reset", method="POST")).read()
    sm, aas, sns, s3, ddb = clients
    # The per-variant lease table the functions take their lease in (LOCK_TABLE).
    ddb.create_table(
        TableName=LOCK_TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "target", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "target", "KeyType": "HASH"}],
    )
    sm.create_model(
        ModelName=f"{ENDPOINT}-model",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker-execution",
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/ranker:1"},
    )
    sm.create_endpoint_config(
        EndpointConfigName=f"{ENDPOINT}-config",
        ProductionVariants=[
            {
                "VariantName": VARIANT,
                "ModelName": f"{ENDPOINT}-model",
                "InitialInstanceCount": 2,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=f"{ENDPOINT}-config")
    aas.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=f"endpoint/{ENDPOINT}/variant/{VARIANT}",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=2,
        MaxCapacity=20,
    )
    topic = sns.create_topic(Name=TOPIC)["TopicArn"]
    s3.create_bucket(Bucket=MONITORING_BUCKET)
    s3.put_object(
        Bucket=MONITORING_BUCKET,
        Key=VIOLATIONS_KEY,
        Body=(ROOT / "events/fixtures/constraint_violations.json").read_bytes(),
    )
    return topic


def min_capacity(aas):
    target = aas.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[f"endpoint/{ENDPOINT}/variant/{VARIANT}"]
    )["ScalableTargets"][0]
    return target["MinCapacity"]


# ---------------------------------------------------------------- one measured run


def command(name):
    if name == "python-peer":
        return [sys.executable, str(ROOT / "bench/python_peer/bootstrap.py")]
    return [str(RELEASE / name)]


def fresh(event):
    """The event as CloudWatch sends it when the alarm changes state: its transition is now. (The
    sample is days old, and an ALARM older than the hold costs one DescribeAlarms call first.)"""
    state = event.get("detail", {}).get("state") if isinstance(event, dict) else None
    if not isinstance(state, dict) or "timestamp" not in state:
        return event
    event = json.loads(json.dumps(event))
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    event["detail"]["state"]["timestamp"] = now
    return event


def run_once(name, event, api, clients, endpoint_url, system_certs=False):
    event = fresh(event)
    topic = reset_and_fixtures(clients)
    env = {
        k: v
        for k, v in os.environ.items()
        if k.startswith(("AWS_", "PATH", "HOME", "LANG")) and not k.startswith("AWS_LAMBDA")
    }
    env.update(
        AWS_ENDPOINT_URL=endpoint_url,
        AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api.server_address[1]}",
        AWS_LAMBDA_FUNCTION_NAME=name,
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
        ALLOWED_ENDPOINTS=ENDPOINT,
        NOTIFY_TOPIC_ARN=topic,
        LOCK_TABLE=LOCK_TABLE,
        PYTHONDONTWRITEBYTECODE="1",
        # The trust store as on Lambda's provided.al2023 image: one CA bundle file. (Debian's
        # /etc/ssl/certs also holds ~300 hashed links that rustls-native-certs would parse one
        # by one at init, which Lambda does not have; the scale-on-latency* row shows both.)
        SSL_CERT_FILE=CA_BUNDLE,
        SSL_CERT_DIR=str(EMPTY_CERT_DIR),
    )
    if system_certs:
        del env["SSL_CERT_FILE"], env["SSL_CERT_DIR"]
    inv = Invocation(event)
    api.current = inv
    t0 = time.perf_counter()
    child = subprocess.Popen(
        command(name), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, cwd=ROOT,
    )
    inv.pid = child.pid
    done = inv.finished.wait(60)
    child.send_signal(signal.SIGKILL)
    try:
        _, _, usage = os.wait4(child.pid, 0)
        maxrss = usage.ru_maxrss
    except ChildProcessError:  # already reaped
        maxrss = None
    api.current = None
    if not done:
        raise RuntimeError(f"{name}: no response within 60 s")
    if inv.error is not None:
        raise RuntimeError(f"{name}: function error: {inv.error}")
    wall_ms = (inv.t_end - t0) * 1000
    # VmHWM at the response; ru_maxrss (the whole life, in KiB on Linux) as a fallback.
    rss_kib = inv.hwm_kib or maxrss
    return wall_ms, rss_kib, json.loads(inv.body or b"null")


def check_effect(name, clients, response):
    """Each run must have done the real work, or its time means nothing."""
    _, aas, _, _, _ = clients
    if name in ("scale-on-latency", "python-peer"):
        assert min_capacity(aas) == 4, f"{name}: MinCapacity not raised: {response}"
    elif name == "prewarm":
        assert min_capacity(aas) == 10, f"{name}: MinCapacity not raised: {response}"
    else:
        assert response and response.get("findings"), f"{name}: nothing published: {response}"


# ---------------------------------------------------------------- sizes and criterion


def sizes(name):
    binary = RELEASE / name
    OUT.mkdir(parents=True, exist_ok=True)
    archive = OUT / f"{name}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("bootstrap", date_time=(2026, 1, 1, 0, 0, 0))
        info.external_attr = 0o100755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, binary.read_bytes())
    stripped = subprocess.run(["file", "-b", str(binary)], capture_output=True, text=True).stdout
    return binary.stat().st_size, archive.stat().st_size, "stripped" in stripped and "not stripped" not in stripped


def criterion_results():
    base = TARGET / "criterion"
    rows = []
    if not base.is_dir():
        return rows
    for estimates in sorted(base.glob("*/*/new/estimates.json")):
        group, bench = estimates.parts[-4], estimates.parts[-3]
        data = json.loads(estimates.read_text())
        rows.append((group, bench, data["median"]["point_estimate"]))
    return rows


def fmt_ns(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


# ---------------------------------------------------------------- main


def main():
    for name, _, _ in CASES:
        if not (RELEASE / name).exists():
            sys.exit(f"{RELEASE / name} is missing: `make bench` builds it (cargo build --release)")
    EMPTY_CERT_DIR.mkdir(parents=True, exist_ok=True)
    session = boto3.session.Session()
    clients = tuple(
        session.client(s, endpoint_url=MOTO)
        for s in ("sagemaker", "application-autoscaling", "sns", "s3", "dynamodb")
    )
    api = start_runtime_api()
    proxy = CountingProxy(MOTO)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    proxy_url = f"http://127.0.0.1:{proxy.server_address[1]}"

    plan = [(n, n, f, w, False) for n, f, w in CASES + [PEER]]
    plan.insert(1, (SYSTEM_CERTS, "scale-on-latency", CASES[0][1], CASES[0][2], True))
    events = {label: json.loads((ROOT / "events" / file).read_text()) for label, _, file, _, _ in plan}
    # Counted runs per row through the proxy (also a warm-up of the page cache and of moto): the
    # calls of the first, and of each the time the process did not spend waiting on a call.
    calls = {label: None for label, *_ in plan}
    own = {label: [] for label, *_ in plan}
    for _ in range(COUNTED_RUNS):
        for label, name, _, _, system_certs in plan:
            proxy.calls.clear()
            wall, _, response = run_once(name, events[label], api, clients, proxy_url, system_certs)
            check_effect(name, clients, response)
            with proxy.lock:
                made = list(proxy.calls)
            calls[label] = calls[label] or made
            own[label].append(wall - waiting_ms(made))
    # Then the timed runs, round by round (one run of every row per round), so that every row,
    # the Python peer included, is measured under the same conditions of the machine and moto.
    walls = {label: [] for label, *_ in plan}
    rss = {label: [] for label, *_ in plan}
    for _ in range(RUNS):
        for label, name, _, _, system_certs in plan:
            wall, kib, response = run_once(name, events[label], api, clients, MOTO, system_certs)
            check_effect(name, clients, response)
            walls[label].append(wall)
            rss[label].append(kib)
    results = {}
    for label, name, file, what, _ in plan:
        results[label] = dict(
            name=name,
            what=what,
            file=file,
            wall=statistics.median(walls[label]),
            wall_min=min(walls[label]),
            wall_max=max(walls[label]),
            rss=statistics.median(rss[label]) / 1024,
            calls=[c.op for c in calls[label]],
            rounds=round_trips(calls[label]),
            own=statistics.median(own[label]),
        )
    print(f"  measured {len(plan)} rows: {RUNS} rounds", file=sys.stderr)

    lines = []
    out = lines.append
    out(f"Cold start + one invocation against moto (median of {RUNS} runs, one per row per round; wall from process spawn to")
    out("the response at the Runtime API; peak RSS = VmHWM at the response). Trust store: one CA")
    out(f"bundle as on provided.al2023; {SYSTEM_CERTS}: the same with this machine's /etc/ssl/certs")
    out("")
    out("| function | event | wall ms (median) | wall ms (min-max) | peak RSS MiB | AWS calls | minimum | round trips | own ms | calls ms |")
    out("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        out(
            f"| {name} | {r['what']} | {r['wall']:.1f} | {r['wall_min']:.1f}-{r['wall_max']:.1f} "
            f"| {r['rss']:.1f} | {len(r['calls'])} | {len(MINIMUM[r['name']])} | {r['rounds']} "
            f"| {r['own']:.1f} | {r['wall'] - r['own']:.1f} |"
        )
    out("")
    out("Round trips: the longest chain of calls each sent after the one before it was answered,")
    out("at the proxy (the cold start's included). Against moto, which answers one request at a")
    out("time, wall time follows the calls; against AWS, which answers side by side, it follows")
    out(f"the round trips. Own: the median over {COUNTED_RUNS} runs through the proxy of the wall time in which")
    out("no call was out (the process starting, parsing, deciding, signing, and the Runtime API);")
    out("calls: the median wall minus own, the time spent waiting on moto.")
    rust, peer = results["scale-on-latency"], results["python-peer"]
    wall_ratio, rss_ratio = rust["wall"] / peer["wall"], rust["rss"] / peer["rss"]
    out("")
    out("| scale-on-latency / python-peer | ratio | target | met |")
    out("|---|---:|---:|---|")
    out(f"| wall time | {wall_ratio:.3f} | < 0.100 | {'yes' if wall_ratio < 0.1 else 'NO'} |")
    out(f"| peak RSS | {rss_ratio:.3f} | < 0.333 | {'yes' if rss_ratio < 1 / 3 else 'NO'} |")

    out("")
    out("AWS calls per remediation, counted at a proxy in front of moto (required: the minimum)")
    out("")
    out("| function | calls made (in order) | minimum, and why |")
    out("|---|---|---|")
    for name, r in results.items():
        if name == SYSTEM_CERTS:
            continue
        minimum = "; ".join(f"{op}: {why}" for op, why in MINIMUM[name])
        if name == "python-peer":
            minimum = "as scale-on-latency"
        made = ", ".join(r["calls"])
        extra = list(r["calls"])
        missing = []
        for op, _ in MINIMUM[name]:
            if op in extra:
                extra.remove(op)
            else:
                missing.append(op)
        if missing:
            verdict = "differs from the minimum: no " + ", ".join(missing)
        elif not extra:
            verdict = "at the minimum"
        else:
            why = EXTRA.get(name, {})
            # An operation made twice for one reason (the lease: take, give back) says it once.
            ops = sorted(set(extra), key=extra.index)
            verdict = f"+{len(extra)} over the minimum: " + "; ".join(
                f"{op}{' x' + str(extra.count(op)) if extra.count(op) > 1 else ''}, "
                f"{why.get(op, 'not explained')}"
                for op in ops
            )
        out(f"| {name} | {made} ({verdict}) | {minimum} |")

    out("")
    out(f"Release binaries (x86_64-unknown-linux-gnu host build, {RELEASE.name} profile; zip = the binary")
    out("named `bootstrap`, deflated with Python's zipfile)")
    out("")
    out("| function | stripped binary MB (MiB) | zip MB | < 10 MB |")
    out("|---|---:|---:|---|")
    for name, _, _ in CASES:
        size, zsize, stripped = sizes(name)
        flag = "yes" if size < 10_000_000 and stripped else ("NO" if stripped else "NOT STRIPPED")
        out(f"| {name} | {size / 1e6:.2f} ({size / 2**20:.2f}) | {zsize / 1e6:.2f} | {flag} |")

    rows = criterion_results()
    out("")
    out("Hot path (criterion, median time per event: parse + decide, no I/O)")
    out("")
    if rows:
        out("| group | event | median |")
        out("|---|---|---:|")
        for group, bench, ns in rows:
            out(f"| {group} | {bench} | {fmt_ns(ns)} |")
    else:
        out("(no criterion results under target/criterion: run `cargo bench -p bench`)")

    table = "\n".join(lines)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "table.md").write_text(table + "\n")
    print(table)
    api.shutdown()
    proxy.shutdown()


if __name__ == "__main__":
    main()
