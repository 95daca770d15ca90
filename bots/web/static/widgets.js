// Vivo stream widgets: data from /overlay/widgets/events (Server-Sent Events), redrawn on
// every change. Every text is set with textContent: names and messages are viewers'.
(() => {
  "use strict";
  const params = new URLSearchParams(location.search);
  const body = document.body;
  const widget = body.dataset.widget;
  const LAYOUTS = { recent: ["list", "row"], top: ["list", "podium"], ticker: ["strip"], goal: ["bar", "ring", "sold"], queue: ["corner", "list"] };
  const allowed = LAYOUTS[widget] || ["list"];
  const wanted = params.get(widget === "goal" ? "shape" : "layout") || params.get("layout");
  body.dataset.layout = allowed.includes(wanted) ? wanted : allowed[0];
  body.dataset.theme = ["dark", "light", "neon"].includes(params.get("theme")) ? params.get("theme") : "dark";
  if (params.has("preview")) body.dataset.preview = "true";
  const speed = Math.max(5, Number(params.get("speed")) || 30);
  const root = document.getElementById("widget");

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function empty(data) {
    return el("p", "empty", data.empty);
  }

  function recent(data) {
    const list = el("ol", "events");
    for (const item of data.recent) {
      const li = el("li", `event k-${item.kind}`);
      li.dataset.platform = item.platform;
      const top = el("div", "line");
      top.append(el("span", "name", item.name), el("span", "amount", item.amount));
      li.append(top);
      if (item.detail) li.append(el("div", "detail", item.detail));
      list.append(li);
    }
    return data.recent.length ? list : empty(data);
  }

  function top(data) {
    const box = el("section", "board");
    const head = el("header", "board-head");
    head.append(el("span", "title", data.top.title), el("span", "period", data.top.period));
    box.append(head);
    if (!data.top.rows.length) {
      box.append(empty(data));
      return box;
    }
    const list = el("ol", "rows");
    data.top.rows.forEach((row, i) => {
      const li = el("li", `row rank-${i + 1}`);
      li.dataset.platform = row.platform;
      li.append(el("span", "rank", String(i + 1)), el("span", "name", row.name), el("span", "amount", row.amount));
      list.append(li);
    });
    box.append(list);
    return box;
  }

  function ticker(data) {
    const parts = data.recent.map((item) => [item.headline, item.amount, item.detail].filter(Boolean).join(" · "));
    if (data.top.rows.length) {
      parts.push(`${data.top.title}: ${data.top.rows.map((r) => `${r.name} ${r.amount}`).join(", ")}`);
    }
    const strip = el("div", "strip");
    if (!parts.length) {
      strip.append(empty(data));
      return strip;
    }
    const track = el("div", "track");
    track.style.animationDuration = `${speed}s`;
    for (let copy = 0; copy < 2; copy++) {
      const run = el("span", "run");
      if (copy) run.setAttribute("aria-hidden", "true");
      for (const text of parts) run.append(el("span", "item", text));
      track.append(run);
    }
    strip.append(track);
    return strip;
  }

  const SVG = "http://www.w3.org/2000/svg";

  function ring(percent, label, numbers) {
    const box = el("section", "ring-box");
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 120 120");
    svg.setAttribute("class", "ring");
    const r = 52;
    const length = 2 * Math.PI * r;
    for (const cls of ["ring-track", "ring-fill"]) {
      const circle = document.createElementNS(SVG, "circle");
      circle.setAttribute("cx", "60");
      circle.setAttribute("cy", "60");
      circle.setAttribute("r", String(r));
      circle.setAttribute("class", cls);
      if (cls === "ring-fill") {
        circle.setAttribute("stroke-dasharray", `${(length * percent) / 100} ${length}`);
      }
      svg.append(circle);
    }
    const middle = el("div", "ring-text");
    middle.append(el("b", "percent", `${Math.floor(percent)}%`), el("span", "label", label));
    box.append(svg, middle, el("div", "numbers", numbers));
    return box;
  }

  function bar(percent, label, numbers) {
    const box = el("section", "bar-box");
    const head = el("div", "bar-head");
    head.append(el("span", "label", label), el("span", "numbers", numbers));
    const track = el("div", "track");
    const fill = el("div", "fill");
    fill.style.width = `${percent}%`;
    track.append(fill);
    box.append(head, track);
    return box;
  }

  function goal(data) {
    if (body.dataset.layout === "sold") {
      const sold = data.sold;
      if (!sold) return empty(data);
      const node = bar(sold.percent, sold.name, sold.label);
      node.dataset.sku = sold.sku;
      node.classList.add("sold");
      return node;
    }
    const g = data.goal;
    if (!g) return empty(data);
    const numbers = `${g.progress} / ${g.target}`;
    const node = body.dataset.layout === "ring" ? ring(g.percent, g.label, numbers) : bar(g.percent, g.label, numbers);
    node.classList.toggle("reached", g.percent >= 100);
    node.dataset.kind = g.kind;
    return node;
  }

  function queue(data) {
    const box = el("section", "queue");
    const head = el("header", "queue-head");
    head.append(el("span", "title", data.title), el("span", "count", String(data.queue.total)));
    box.append(head);
    if (!data.queue.items.length) {
      box.append(empty(data));
      return box;
    }
    const list = el("ol", "shoutouts");
    for (const item of data.queue.items) {
      const li = el("li", "shoutout");
      li.dataset.code = item.code;
      li.dataset.platform = item.platform;
      li.append(el("span", "name", item.name));
      if (item.message) li.append(el("span", "message", item.message));
      list.append(li);
    }
    box.append(list);
    if (data.queue.more) box.append(el("p", "more", data.queue.more));
    return box;
  }

  const DRAW = { recent, top, ticker, goal, queue };

  function render(data) {
    root.replaceChildren(DRAW[widget](data));
    body.dataset.updates = String(Number(body.dataset.updates || 0) + 1);
  }

  let backoff = 1000;
  function connect() {
    const query = new URLSearchParams(params);
    query.set("widget", widget);
    const source = new EventSource(`events?${query}`);
    source.onopen = () => {
      body.dataset.connected = "true";
      backoff = 1000;
    };
    source.addEventListener("data", (event) => render(JSON.parse(event.data)));
    source.onerror = () => {
      body.dataset.connected = "false";
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, backoff);
        backoff = Math.min(backoff * 2, 30000);
      }
    };
  }
  connect();
})();
