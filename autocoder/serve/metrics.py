"""Prometheus metrics, one CollectorRegistry per app (so tests and several apps in one process never
share counters). Labels are route templates, never raw paths or ids (bounded cardinality)."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,  # noqa: F401 - re-exported for the router
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class ServeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("autocoder_http_requests", "HTTP requests by route, method and status",
                                ["route", "method", "status"], registry=r)
        self.latency = Histogram("autocoder_http_request_duration_seconds", "Request latency by route",
                                 ["route", "method"], buckets=LATENCY_BUCKETS, registry=r)
        self.episodes_coded = Counter("autocoder_episodes_coded", "Episodes coded, by path (api or batch)",
                                      ["via"], registry=r)
        self.episodes_failed = Counter("autocoder_episodes_failed", "Batch lines that could not be coded",
                                       registry=r)
        self.reviews = Counter("autocoder_reviews_submitted", "Reviews stored", registry=r)
        self.reviews_rejected = Counter("autocoder_reviews_rejected", "Reviews refused by validation",
                                        registry=r)
        self.model_info = Gauge("autocoder_model_info", "The model being served (value 1)",
                                ["model_version", "config_hash"], registry=r)
        self.model_ready = Gauge("autocoder_model_ready", "1 when a model is loaded", registry=r)
        self.model_reloads = Counter("autocoder_model_reloads", "Model loads that finished", registry=r)

    def set_model(self, model_version: str, config_hash: str) -> None:
        self.model_info.clear()
        self.model_info.labels(model_version=model_version, config_hash=config_hash).set(1)
        self.model_ready.set(1)
        self.model_reloads.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
