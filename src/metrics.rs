//! Prometheus metrics: requests by route and status, latency, cache hits and
//! misses, render time, database calls, the WebSub outbox.

use std::sync::atomic::{AtomicU64, Ordering};

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};

/// Every metric syndic exports, registered in its own registry.
pub struct Metrics {
    registry: Registry,
    /// Requests by route pattern and status code.
    pub requests: IntCounterVec,
    /// Request latency by route pattern.
    pub latency: HistogramVec,
    /// Cacheable responses answered without querying or rendering.
    pub cache_hits: IntCounter,
    /// Cacheable responses that had to be rendered.
    pub cache_misses: IntCounter,
    /// Time to query and render one response body.
    pub render_seconds: Histogram,
    /// Database calls made while answering requests.
    pub database_calls: IntCounter,
    /// Rounds in which change notifications arrived from PostgreSQL.
    pub change_notifications: IntCounter,
    /// Times the connection listening for change notifications was lost
    /// and made again (the response cache is flushed each time).
    pub change_listener_reconnects: IntCounter,
    /// WebSub pings waiting in the outbox (all nodes'), retries included.
    pub websub_queue_depth: IntGauge,
    /// WebSub ping attempts by outcome: `sent`, `failed` (to be retried),
    /// `given_up`.
    pub websub_pings: IntCounterVec,
    /// Rounds of the WebSub worker finished (whether or not anything was due).
    pub websub_rounds: IntCounter,
    /// Purge requests to caches in front, by outcome.
    pub purges: IntCounterVec,
    pub purge_queue_depth: IntGauge,
    ok: AtomicU64,
    not_modified: AtomicU64,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("syndic".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route and status"),
            &["route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route",
            )
            .buckets(vec![
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
            ]),
            &["route"],
        )?;
        let cache_hits = IntCounter::new(
            "cache_hits_total",
            "Responses served from the response cache",
        )?;
        let cache_misses = IntCounter::new(
            "cache_misses_total",
            "Responses rendered because the cache had none",
        )?;
        let render_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "render_duration_seconds",
                "Time to query and render one response body",
            )
            .buckets(vec![
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
            ]),
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(cache_hits.clone()))?;
        registry.register(Box::new(cache_misses.clone()))?;
        let database_calls = IntCounter::new(
            "database_calls_total",
            "Database calls made while answering requests",
        )?;
        registry.register(Box::new(render_seconds.clone()))?;
        registry.register(Box::new(database_calls.clone()))?;
        let websub_queue_depth = IntGauge::new(
            "websub_queue_depth",
            "WebSub pings waiting to be sent, retries included",
        )?;
        let websub_pings = IntCounterVec::new(
            Opts::new(
                "websub_pings_total",
                "WebSub ping attempts by outcome (sent, failed, given_up)",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(websub_queue_depth.clone()))?;
        let websub_rounds = IntCounter::new(
            "websub_rounds_total",
            "Rounds of the WebSub worker finished",
        )?;
        registry.register(Box::new(websub_rounds.clone()))?;
        let change_notifications = IntCounter::new(
            "change_notifications_total",
            "Times change notifications arrived from PostgreSQL (LISTEN)",
        )?;
        let change_listener_reconnects = IntCounter::new(
            "change_listener_reconnects_total",
            "Times the change listener reconnected",
        )?;
        registry.register(Box::new(change_notifications.clone()))?;
        registry.register(Box::new(change_listener_reconnects.clone()))?;
        registry.register(Box::new(websub_pings.clone()))?;
        let purges = IntCounterVec::new(
            Opts::new(
                "purges_total",
                "Purge requests to caches in front by outcome (sent, failed, given_up)",
            ),
            &["outcome"],
        )?;
        let purge_queue_depth = IntGauge::new(
            "purge_queue_depth",
            "Surrogate keys (and webhook URLs) waiting to be purged, retries included",
        )?;
        registry.register(Box::new(purges.clone()))?;
        registry.register(Box::new(purge_queue_depth.clone()))?;
        // Exported from the start, so that a dashboard sees zeros, not gaps.
        for outcome in ["sent", "failed", "given_up"] {
            websub_pings.with_label_values(&[outcome]);
            purges.with_label_values(&[outcome]);
        }
        Ok(Self {
            registry,
            requests,
            latency,
            cache_hits,
            cache_misses,
            render_seconds,
            database_calls,
            change_notifications,
            change_listener_reconnects,
            websub_queue_depth,
            websub_pings,
            websub_rounds,
            purges,
            purge_queue_depth,
            ok: AtomicU64::new(0),
            not_modified: AtomicU64::new(0),
        })
    }

    /// Counts one finished request.
    pub fn observe_request(&self, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[route, status_label(status)])
            .inc();
        self.latency.with_label_values(&[route]).observe(seconds);
        match status {
            200 => self.ok.fetch_add(1, Ordering::Relaxed),
            304 => self.not_modified.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
    }

    /// The Prometheus text exposition, with the share of `304`s among
    /// conditional-capable answers (`200` and `304`) appended.
    pub fn render(&self) -> String {
        let mut text = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut text);
        let mut text = String::from_utf8(text).unwrap_or_default();
        let ok = self.ok.load(Ordering::Relaxed);
        let not_modified = self.not_modified.load(Ordering::Relaxed);
        let ratio = if ok + not_modified == 0 {
            0.0
        } else {
            not_modified as f64 / (ok + not_modified) as f64
        };
        text.push_str("# HELP syndic_not_modified_ratio Share of 304 among 200 and 304 answers\n");
        text.push_str("# TYPE syndic_not_modified_ratio gauge\n");
        text.push_str(&format!("syndic_not_modified_ratio {ratio}\n"));
        text
    }
}

/// Status codes as static labels, so label values stay few.
fn status_label(status: u16) -> &'static str {
    match status {
        200 => "200",
        201 => "201",
        204 => "204",
        304 => "304",
        400 => "400",
        401 => "401",
        404 => "404",
        405 => "405",
        409 => "409",
        413 => "413",
        415 => "415",
        422 => "422",
        500 => "500",
        503 => "503",
        _ => "other",
    }
}
