/* Vivo owner's panel: small progressive enhancements. No inline scripts anywhere (strict CSP). */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var csrf = document.body.dataset.csrf || "";

    // htmx requests carry the session's CSRF token like forms do.
    document.body.addEventListener("htmx:configRequest", function (e) {
      if (csrf) e.detail.headers["X-CSRF-Token"] = csrf;
    });

    // The sign-in link's page posts its token at once (crawlers that only GET burn nothing).
    var auto = document.querySelector("form[data-autosubmit]");
    if (auto) auto.submit();

    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.dataset.confirm)) e.preventDefault();
      });
    });

    startFeed();
    startQueue();
    startShoutouts();
    drawChart();
    fitPreviews();
    window.addEventListener("resize", fitPreviews);

    // Alert uploads stream with the token as a header, so big files skip the form limit.
    document.querySelectorAll("form[data-upload]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.fetch || !window.FormData) return;
        e.preventDefault();
        var body = new FormData(form);
        body.delete("_csrf");
        fetch(form.action, {
          method: "POST",
          body: body,
          headers: { "X-CSRF-Token": csrf },
          credentials: "same-origin"
        }).then(function (response) {
          if (response.redirected) {
            window.location.href = response.url;
            return;
          }
          return response.text().then(function (html) {
            document.open();
            document.write(html); // the page again, with the problem shown
            document.close();
          });
        });
      });
    });
  });

  // The alerts preview is the real 1920×1080 overlay, scaled to fit its box.
  function fitPreviews() {
    document.querySelectorAll(".preview-frame").forEach(function (frame) {
      var box = frame.parentElement;
      if (box && box.clientWidth) frame.style.transform = "scale(" + box.clientWidth / 1920 + ")";
    });
  }

  function startFeed() {
    var list = document.getElementById("feed");
    if (!list || !window.EventSource) return;
    var state = document.getElementById("live-state");
    var labels = {
      connecting: state ? state.textContent : "",
      live: document.documentElement.lang === "en" ? "live" : (document.documentElement.lang === "pt" ? "ao vivo" : "en vivo"),
      reconnecting: "…"
    };
    var seen = {};
    showEmpty();

    function showEmpty() {
      if (!list.children.length) {
        var li = document.createElement("li");
        li.className = "empty";
        li.textContent = list.dataset.empty || "";
        list.appendChild(li);
      }
    }

    function setState(name) {
      document.body.dataset.feed = name;
      if (state) {
        state.dataset.state = name;
        state.textContent = labels[name] || name;
      }
    }

    function refresh() {
      var stats = document.getElementById("live-stats");
      if (stats && window.htmx) window.htmx.trigger(stats, "panel:refresh");
    }

    var source = new EventSource(list.dataset.events);
    setState("connecting");
    source.addEventListener("open", function () { setState("live"); });
    source.addEventListener("ready", function () { setState("live"); });
    source.addEventListener("error", function () { setState("reconnecting"); });
    source.addEventListener("refresh", refresh);
    source.addEventListener("item", function (e) {
      var item = JSON.parse(e.data);
      if (seen[item.id]) return;
      seen[item.id] = true;
      var empty = list.querySelector(".empty");
      if (empty) empty.remove();
      var li = document.createElement("li");
      li.className = "item k-" + item.kind;
      li.dataset.code = item.code || "";
      var top = document.createElement("div");
      top.className = "row";
      var title = document.createElement("strong");
      title.textContent = item.title;
      var amount = document.createElement("span");
      amount.className = "amount";
      amount.textContent = item.amount || "";
      top.appendChild(title);
      top.appendChild(amount);
      var bottom = document.createElement("div");
      bottom.className = "row muted";
      var detail = document.createElement("span");
      detail.textContent = item.detail || "";
      var meta = document.createElement("span");
      meta.textContent = [item.platform, item.code, item.at].filter(Boolean).join(" · ");
      bottom.appendChild(detail);
      bottom.appendChild(meta);
      li.appendChild(top);
      li.appendChild(bottom);
      list.insertBefore(li, list.firstChild);
      while (list.children.length > 50) list.removeChild(list.lastChild);
      refresh();
    });
  }

  // Moderación: the queue's fragment is fetched again whenever its stream says it changed.
  function startQueue() {
    var box = document.getElementById("held");
    if (!box || !window.EventSource || !box.dataset.events) return;
    var source = new EventSource(box.dataset.events);
    source.addEventListener("ready", function () { document.body.dataset.queue = "live"; });
    source.addEventListener("changed", function () {
      if (window.htmx) window.htmx.trigger(box, "panel:held");
    });
  }

  // Saludos: the list is fetched again whenever a shout-out is paid or done.
  function startShoutouts() {
    var box = document.getElementById("shoutouts");
    if (!box || !window.EventSource || !box.dataset.events) return;
    var source = new EventSource(box.dataset.events);
    source.addEventListener("ready", function () { document.body.dataset.shoutouts = "live"; });
    source.addEventListener("changed", function () {
      if (window.htmx) window.htmx.trigger(box, "panel:shoutouts");
    });
  }

  function drawChart() {
    var box = document.getElementById("sales-chart");
    if (!box || !window.uPlot) return;
    var data = JSON.parse(box.dataset.chart);
    var style = getComputedStyle(document.documentElement);
    var accent = style.getPropertyValue("--accent").trim() || "#7c3aed";
    function size() {
      return { width: Math.max(280, box.clientWidth), height: box.clientWidth < 500 ? 200 : 260 };
    }
    var lang = document.documentElement.lang || "es";
    var span = data.x.length > 1 ? data.x[data.x.length - 1] - data.x[0] : 0;
    var when = new Intl.DateTimeFormat(lang, span > 2 * 86400
      ? { day: "numeric", month: "short" }
      : { hour: "2-digit", minute: "2-digit" });
    var money = new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 });
    var opts = Object.assign(size(), {
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        {
          stroke: "#6b6880", grid: { stroke: "#eceaf3" },
          values: function (u, splits) { return splits.map(function (v) { return when.format(new Date(v * 1000)); }); }
        },
        {
          stroke: "#6b6880", grid: { stroke: "#eceaf3" }, size: 60,
          values: function (u, splits) { return splits.map(function (v) { return money.format(v); }); }
        }
      ],
      series: [
        {},
        { label: data.label, stroke: accent, width: 2, fill: accent + "22", points: { show: false }, paths: window.uPlot.paths.stepped({ align: 1 }) }
      ]
    });
    var plot = new window.uPlot(opts, [data.x, data.y], box);
    window.addEventListener("resize", function () { plot.setSize(size()); });
  }
})();
