//! The endpoint's queue, one minute at a time.
//!
//! Within a minute the endpoint is an M/M/c queue: Poisson arrivals at the minute's rate,
//! exponential service times with the configured mean, c = instances in service x concurrent
//! requests per instance; response times follow the M/M/c distribution (Erlang C). Requests
//! that arrive faster than the servers can take them form a backlog (a fluid queue: it grows
//! at arrival rate - service rate and drains at the opposite), carried into the next minutes;
//! a request arriving behind q waiting requests first waits q / (service rate). So a request's
//! response time is its backlog wait plus an M/M/c response time. Stationary M/M/c formulas
//! explode as utilisation nears 1, which a one-minute window never reaches: the in-minute part
//! uses a utilisation of at most [`MAX_UTILISATION`], and everything above 1 is backlog.
//!
//! More servers never make any of this worse: the backlog is smaller at every instant and the
//! M/M/c part is stochastically smaller, so the p99, the late requests and the backlog all
//! fall or stay (the property tests check it).

/// The highest utilisation the in-minute M/M/c part is evaluated at.
pub const MAX_UTILISATION: f64 = 0.95;
/// The backlog wait is evaluated at this many evenly spaced instants of the minute.
const INSTANTS: usize = 20;

/// Erlang C: the probability that an arriving request has to wait, for `servers` servers and
/// offered load `load` = arrival rate x mean service time (in erlangs). 1 when `load >= servers`.
pub fn erlang_c(servers: u32, load: f64) -> f64 {
    let c = f64::from(servers);
    if servers == 0 || load >= c {
        return 1.0;
    }
    if load <= 0.0 {
        return 0.0;
    }
    // Erlang B by its stable recursion, then C from B.
    let mut b = 1.0;
    for k in 1..=servers {
        b = load * b / (f64::from(k) + load * b);
    }
    c * b / (c - load * (1.0 - b))
}

/// A stable M/M/c queue's response time: the wait (0 with probability 1 - C, else exponential
/// with rate c*mu - lambda) plus an exponential service with rate mu.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mmc {
    mu: f64,
    wait: f64,
    theta: f64,
}

impl Mmc {
    pub fn new(servers: u32, arrival_rate: f64, service_s: f64) -> Mmc {
        Mmc {
            mu: 1.0 / service_s,
            wait: erlang_c(servers, arrival_rate * service_s),
            theta: f64::from(servers) / service_s - arrival_rate,
        }
    }

    /// P(response time > x seconds).
    pub fn tail(&self, x: f64) -> f64 {
        let Mmc { mu, wait, theta } = *self;
        if x <= 0.0 {
            return 1.0;
        }
        let service_only = (-mu * x).exp();
        let both = if (theta - mu).abs() < 1e-9 * mu {
            (1.0 + mu * x) * (-mu * x).exp()
        } else {
            (theta * (-mu * x).exp() - mu * (-theta * x).exp()) / (theta - mu)
        };
        ((1.0 - wait) * service_only + wait * both).clamp(0.0, 1.0)
    }

    /// Mean response time (s).
    pub fn mean(&self) -> f64 {
        1.0 / self.mu + self.wait / self.theta
    }

    /// p99 response time (s).
    pub fn p99(&self) -> f64 {
        quantile(|x| self.tail(x), 0.01)
    }
}

/// The smallest x with tail(x) <= p, by bisection (tail is non-increasing), to 0.1 ms.
fn quantile(tail: impl Fn(f64) -> f64, p: f64) -> f64 {
    let mut hi = 1.0;
    while tail(hi) > p && hi < 1e9 {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    while hi - lo > 1e-4 {
        let mid = 0.5 * (lo + hi);
        if tail(mid) > p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// What one minute looks like at the endpoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Minute {
    /// p99 response time of the requests that arrived in the minute (ms); `None` without any.
    pub p99_ms: Option<f64>,
    /// Mean response time of those requests (ms), what `ModelLatency` would report.
    pub mean_ms: Option<f64>,
    /// Requests of this minute whose response time is above the SLO.
    pub late: f64,
    /// Requests still waiting at the end of the minute.
    pub backlog: f64,
}

/// Serve one minute: `arrivals` new requests, `backlog` waiting from before, `servers`
/// concurrent slots with mean service time `service_s`; late means slower than `slo_s`.
pub fn serve_minute(
    arrivals: f64,
    backlog: f64,
    servers: u32,
    service_s: f64,
    slo_s: f64,
) -> Minute {
    let rate = f64::from(servers) / service_s; // requests per second the servers complete
    let lambda = arrivals / 60.0;
    let growth = lambda - rate; // fluid queue: q(t) = backlog + growth * t
    let end_backlog = (backlog + growth * 60.0).max(0.0);
    if arrivals <= 0.0 {
        return Minute {
            p99_ms: None,
            mean_ms: None,
            late: 0.0,
            backlog: end_backlog,
        };
    }
    let mmc = Mmc::new(servers, lambda.min(MAX_UTILISATION * rate), service_s);
    // Backlog wait of an arrival at each instant (all zero when nothing is queued).
    let mut waits = [0.0; INSTANTS];
    if backlog > 0.0 || growth > 0.0 {
        for (i, w) in waits.iter_mut().enumerate() {
            let t = 60.0 * (i as f64 + 0.5) / INSTANTS as f64;
            *w = (backlog + growth * t).max(0.0) / rate;
        }
    }
    let queued = waits.iter().any(|w| *w > 0.0);
    let tail = |x: f64| {
        if queued {
            waits.iter().map(|w| mmc.tail(x - w)).sum::<f64>() / INSTANTS as f64
        } else {
            mmc.tail(x)
        }
    };
    let mean_wait = waits.iter().sum::<f64>() / INSTANTS as f64;
    Minute {
        p99_ms: Some(quantile(tail, 0.01) * 1000.0),
        mean_ms: Some((mmc.mean() + mean_wait) * 1000.0),
        late: arrivals * tail(slo_s),
        backlog: end_backlog,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn erlang_c_matches_textbook_values() {
        // Closed forms: c=1 -> rho; c=2, A=1 -> 1/3; c=3, A=2 -> 4/9; c=5, A=4 -> 0.5541.
        assert!(close(erlang_c(1, 0.7), 0.7, 1e-12));
        assert!(close(erlang_c(2, 1.0), 1.0 / 3.0, 1e-12));
        assert!(close(erlang_c(3, 2.0), 4.0 / 9.0, 1e-12));
        assert!(close(erlang_c(5, 4.0), 0.554_113, 1e-6));
        // Tables (the closed form with factorials): 10 servers at 8 erlangs -> 0.4092; 100 at
        // 90 -> 0.2169 (large c: the recursion stays accurate where factorials get huge).
        assert!(
            close(erlang_c(10, 8.0), 0.409_18, 1e-4),
            "{}",
            erlang_c(10, 8.0)
        );
        assert!(
            close(erlang_c(100, 90.0), 0.216_94, 1e-4),
            "{}",
            erlang_c(100, 90.0)
        );
        assert_eq!(erlang_c(4, 4.0), 1.0);
        assert_eq!(erlang_c(4, 0.0), 0.0);
    }

    #[test]
    fn mm1_tail_is_exponential_in_the_spare_rate() {
        // M/M/1: response time ~ Exp(mu - lambda); mu = 10/s, lambda = 6/s -> rate 4.
        let q = Mmc::new(1, 6.0, 0.1);
        assert!(close(q.p99(), (100f64).ln() / 4.0, 1e-4), "{}", q.p99());
        assert!(close(q.tail(0.5), (-2.0f64).exp(), 1e-9));
        assert!(close(q.mean(), 0.25, 1e-12));
    }

    #[test]
    fn without_load_the_p99_is_the_service_times() {
        let p99 = Mmc::new(50, 0.001, 0.1).p99();
        assert!(close(p99, 0.1 * (100f64).ln(), 1e-4), "{p99}");
    }

    #[test]
    fn overload_builds_a_backlog_that_drains_later() {
        // 8 slots x 10/s = 80/s = 4800/min; 9000 arrive: 4200 left waiting, every one late.
        let over = serve_minute(9000.0, 0.0, 8, 0.1, 1.0);
        assert!(close(over.backlog, 4200.0, 1e-6));
        assert!(over.p99_ms.unwrap() > 40_000.0, "{over:?}");
        // Next minute at 1000 arrivals: 4200 + 1000 - 4800 = 400 still waiting.
        let next = serve_minute(1000.0, over.backlog, 8, 0.1, 1.0);
        assert!(close(next.backlog, 400.0, 1e-6));
        // The backlog takes 52.5 s to drain: almost every arrival of this minute waits > 1 s.
        assert!(next.late > 0.8 * 1000.0, "{next:?}");
        let drained = serve_minute(1000.0, next.backlog, 8, 0.1, 1.0);
        assert_eq!(drained.backlog, 0.0);
        assert!(drained.late < 1000.0);
    }

    #[test]
    fn a_quiet_minute_matches_the_mmc_queue() {
        let m = serve_minute(1800.0, 0.0, 8, 0.1, 1.0);
        assert_eq!(m.backlog, 0.0);
        let q = Mmc::new(8, 30.0, 0.1);
        assert!(close(m.p99_ms.unwrap(), q.p99() * 1000.0, 1e-6), "{m:?}");
        assert!(close(m.late, 1800.0 * q.tail(1.0), 1e-9));
        assert!(close(m.mean_ms.unwrap(), q.mean() * 1000.0, 1e-9));
    }
}
