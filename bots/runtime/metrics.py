"""What one process counts, for Prometheus to scrape at `/metrics` (docs/metrics.md).

Each `Bot` owns one `Metrics` with its own `CollectorRegistry`, never the library's global
one: a test (or a demo) runs several bots in one interpreter, and each must count only its
own work. Counters are bumped where the work happens (the router, the outboxes, the
webhook, the notification inbox, the reconciler, the connect loop); figures that already
live somewhere — queue depths, orders by status, YouTube's units, the reconciler's lag —
are read when Prometheus asks, by `Readings`, so nothing keeps them in step.

The router counts every command, so its cost is one dict lookup per command: the labelled
children are made once per (command, platform, outcome) and kept.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

#: Seconds. Commands are milliseconds when the database is near; a slow payment API or a
#: remote PostgreSQL shows in the upper buckets.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The counters and histograms of one bot, in one registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        r = self.registry
        self.commands = Counter(
            "vivo_commands",
            "Chat commands handled, by command, platform and outcome.",
            ("command", "platform", "outcome"),
            registry=r,
        )
        self.command_seconds = Histogram(
            "vivo_command_seconds",
            "Time from a command's line to its reply being queued, by command.",
            ("command",),
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.send_waits = Counter(
            "vivo_send_limit_waits",
            "Replies held back to stay within the platform's send limit.",
            ("platform",),
            registry=r,
        )
        self.send_wait_seconds = Counter(
            "vivo_send_limit_wait_seconds",
            "Seconds replies spent held back by the platform's send limit.",
            ("platform",),
            registry=r,
        )
        self.webhooks = Counter(
            "vivo_webhooks",
            "Payment provider webhooks received, by what the bot answered.",
            ("outcome",),
            registry=r,
        )
        self.payments = Counter(
            "vivo_payments",
            "Payment reports recorded, by where they came from and what they did.",
            ("source", "outcome"),
            registry=r,
        )
        self.connect_failures = Counter(
            "vivo_connect_failures",
            "Failed attempts to connect to a chat platform.",
            ("platform",),
            registry=r,
        )
        #: Connections made by the bot's own retry loop after a failed attempt, per
        #: platform; `Readings.reconnects` adds the SDKs' own.
        self.retried: collections.Counter[str] = collections.Counter()
        self._command_children: dict[tuple[str, str, str], Any] = {}
        self._latency_children: dict[str, Any] = {}

    def command(self, name: str, platform: str, outcome: str, seconds: float) -> None:
        """One command handled: `outcome` is `ok`, an error kind or `crashed`."""
        key = (name, platform, outcome)
        counter = self._command_children.get(key)
        if counter is None:
            counter = self._command_children[key] = self.commands.labels(*key)
        counter.inc()
        latency = self._latency_children.get(name)
        if latency is None:
            latency = self._latency_children[name] = self.command_seconds.labels(name)
        latency.observe(seconds)

    def send_wait(self, platform: str) -> Callable[[float], None]:
        """What an outbox calls each time the send limit makes it wait `seconds`."""
        waits = self.send_waits.labels(platform)
        spent = self.send_wait_seconds.labels(platform)

        def waited(seconds: float) -> None:
            waits.inc()
            spent.inc(seconds)

        return waited

    def webhook(self, outcome: str) -> None:
        self.webhooks.labels(outcome).inc()

    def payment(self, source: str, outcome: str) -> None:
        self.payments.labels(source, outcome).inc()

    def watch(self, readings: Readings) -> None:
        """Read `readings` at every scrape."""
        self.registry.register(readings)

    def exposition(self) -> bytes:
        """The text Prometheus scrapes. May query the store: call it off the event loop."""
        return generate_latest(self.registry)


@dataclass(eq=False)  # registered by identity
class Readings(Collector):
    """Figures read at scrape time. Each source is a function, so a process that lacks
    one (no YouTube, no reconciler here) simply leaves it out; a source that fails
    (the database is down) drops its own metrics from that scrape, not the others'."""

    #: Replies queued per platform (the outboxes).
    depths: Callable[[], Mapping[str, int]] = dict
    #: Whether each configured platform is connected.
    connected: Callable[[], Mapping[str, bool]] = dict
    #: Times each platform's connection was lost and made again.
    reconnects: Callable[[], Mapping[str, int]] = dict
    #: Orders per status, from one grouped query.
    orders: Callable[[], Mapping[str, int]] | None = None
    #: YouTube's quota: (units spent today, units left today).
    youtube: Callable[[], tuple[int, int] | None] | None = None
    #: Seconds since the reconciler last asked the provider successfully.
    reconciler_lag: Callable[[], float | None] | None = None

    def collect(self) -> Iterator[Metric]:
        yield from self._gauge(
            "vivo_outbox_depth",
            "Replies waiting in each platform's outbox.",
            "platform",
            lambda: self.depths().items(),
        )
        yield from self._gauge(
            "vivo_platform_connected",
            "1 while the chat platform is connected, 0 otherwise.",
            "platform",
            lambda: ((name, int(up)) for name, up in self.connected().items()),
        )
        try:
            reconnects = list(self.reconnects().items())
        except Exception:
            log.warning("metrics: could not read vivo_reconnects", exc_info=True)
        else:
            family = CounterMetricFamily(
                "vivo_reconnects",
                "Times the connection to a chat platform was lost and made again.",
                labels=("platform",),
            )
            for platform, count in reconnects:
                family.add_metric((platform,), count)
            yield family
        if self.orders is not None:
            orders = self.orders
            yield from self._gauge(
                "vivo_orders", "Orders in the store, by status.", "status", lambda: orders().items()
            )
        if self.youtube is not None:
            quota = self.youtube()
            if quota is not None:
                spent, left = quota
                yield GaugeMetricFamily(
                    "vivo_youtube_quota_units_spent",
                    "YouTube Data API units spent this quota day (midnight Pacific).",
                    value=spent,
                )
                yield GaugeMetricFamily(
                    "vivo_youtube_quota_units_left",
                    "YouTube Data API units left this quota day.",
                    value=left,
                )
        if self.reconciler_lag is not None:
            lag = self.reconciler_lag()
            if lag is not None:
                yield GaugeMetricFamily(
                    "vivo_reconciler_lag_seconds",
                    "Seconds since the reconciler last asked the payment provider successfully.",
                    value=lag,
                )

    def _gauge(
        self, name: str, documentation: str, label: str, values: Callable[[], Iterable[Any]]
    ) -> Iterator[Metric]:
        try:
            rows = list(values())
        except Exception:  # a scrape must not fail because one source did
            log.warning("metrics: could not read %s", name, exc_info=True)
            return
        family = GaugeMetricFamily(name, documentation, labels=(label,))
        for key, value in rows:
            family.add_metric((str(key),), float(value))
        yield family
