"""Resumen: did the stream sell? Per stream (see commerce.reports for what a stream is)
or per date range: revenue by platform and product, conversion, what expired unpaid, tips,
and sales over time as a chart (uPlot, fed from a JSON island the page's script reads)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from aiohttp import web

from bots.web.panel.core import Routes, page, panel
from bots.web.panel.orders import local_day
from commerce.money import exponent

RANGE_DAYS = 30  # the default date range, and how far back streams are listed


async def show(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    now = datetime.now(UTC)
    q = request.query
    since = local_day(ctx, q.get("desde", ""))
    until = local_day(ctx, q.get("hasta", ""), end=True)
    window_since = since or now - timedelta(days=RANGE_DAYS)
    window_until = until or now + timedelta(minutes=1)
    streams = await ctx.run(
        ctx.store.panel_streams, window_since, window_until, ctx.panel.stream_gap
    )
    chosen = q.get("stream", "")
    stream = None
    if chosen.isdigit() and int(chosen) < len(streams):
        stream = streams[int(chosen)]
    elif not since and not until and streams and chosen != "range":
        stream = streams[0]  # the latest stream, by default
    if stream is not None:
        start = stream.started_at
        # A short stream still gets a readable chart: at least half an hour wide.
        end = max(stream.ended_at + timedelta(seconds=1), start + timedelta(minutes=30))
        chosen = str(streams.index(stream))
    else:
        start, end = window_since, window_until
    report = await ctx.run(ctx.store.panel_summary, start, end, ctx.settings.currency)
    running = 0
    cumulative = []
    for _, minor in report.series:
        running += minor
        cumulative.append(running / (10 ** exponent(report.currency)))
    chart = {
        "x": [int(at.timestamp()) for at, _ in report.series],
        "y": cumulative,  # sales so far at each moment: the stream's curve
        "label": ctx.fmt.t("chart_sales"),
        "currency": report.currency,
    }
    return page(
        request,
        "summary.html",
        {
            "nav": "summary",
            "report": report,
            "streams": streams,
            "stream": stream,
            "chosen": chosen if stream is not None else "range",
            "chart": json.dumps(chart),
            "since": (since or window_since).astimezone(ctx.fmt.zone).date().isoformat(),
            "until": ((until or window_until) - timedelta(seconds=1))
            .astimezone(ctx.fmt.zone)
            .date()
            .isoformat(),
        },
    )


def setup(routes: Routes) -> None:
    routes.add("GET", "/resumen", show, "summary")
