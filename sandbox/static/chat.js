// The sandbox chat page: four panes, each talking only to its platform's control API
// (/_sandbox/<platform>/...), and one feed (/_sandbox/feed) of what the bot sent back.
(() => {
  "use strict";

  const PLATFORMS = {
    twitch: { title: "Twitch", sub: "#vivo_stream", who: "ana", roles: { viewer: "viewer", moderator: "moderator", owner: "broadcaster" } },
    youtube: { title: "YouTube", sub: "Chat en vivo", who: "beto", roles: { viewer: "viewer", moderator: "moderator", owner: "owner" } },
    discord: { title: "Discord", sub: "La Tienda de Lu · #general", who: "caro", roles: { viewer: "viewer", moderator: "moderator", owner: "owner" } },
    telegram: { title: "Telegram", sub: "Vivo en vivo", who: "dani", roles: { viewer: "member", moderator: "administrator", owner: "creator" } },
  };
  const BOT_NAMES = { twitch: "vivobot", youtube: "Vivo", discord: "VivoBot", telegram: "Vivo" };
  const panes = {};
  let info = { platforms: {}, links: {} };

  async function post(platform, action, body) {
    const response = await fetch(`/_sandbox/${platform}/${action}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    let data = null;
    try { data = JSON.parse(text); } catch { data = { error: text }; }
    if (!response.ok) throw new Error((data && (data.error || data.message)) || `HTTP ${response.status}`);
    return data;
  }

  // -- drawing text: links open in a new tab, @mentions and Telegram mentions stand out
  function appendRich(parent, text, ranges = []) {
    let at = 0;
    for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
      if (start < at) continue;
      appendPlain(parent, text.slice(at, start));
      const mention = document.createElement("span");
      mention.className = "mention";
      mention.textContent = text.slice(start, end);
      parent.append(mention);
      at = end;
    }
    appendPlain(parent, text.slice(at));
  }

  function appendPlain(parent, text) {
    const pattern = /(https?:\/\/[^\s<>"]+)|(@[\wÀ-ÿ]+)/g;
    let at = 0;
    for (const match of text.matchAll(pattern)) {
      parent.append(text.slice(at, match.index));
      if (match[1]) {
        const url = match[1].replace(/[.,;:!?)]+$/, "");
        const link = document.createElement("a");
        link.href = url;
        link.target = "_blank";
        link.rel = "noopener";
        link.className = "paylink";
        link.textContent = url;
        parent.append(link, match[1].slice(url.length));
      } else {
        const mention = document.createElement("span");
        mention.className = "mention";
        mention.textContent = match[2];
        parent.append(mention);
      }
      at = match.index + match[0].length;
    }
    parent.append(text.slice(at));
  }

  function initials(name) {
    return (name || "?").trim().charAt(0).toUpperCase();
  }

  // -- one pane
  function buildPane(platform) {
    const spec = PLATFORMS[platform];
    const node = document.getElementById("pane").content.firstElementChild.cloneNode(true);
    node.dataset.platform = platform;
    node.querySelector(".pane-name").textContent = spec.title;
    node.querySelector(".pane-sub").textContent = spec.sub;
    node.querySelector(".who").value = spec.who;
    const pane = {
      platform,
      node,
      log: node.querySelector(".log"),
      who: node.querySelector(".who"),
      role: node.querySelector(".role"),
      view: "group",
      telegramMessages: new Map(),
    };
    if (platform === "telegram") addTelegramControls(pane);
    node.querySelector(".say").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = node.querySelector(".say .text");
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      say(pane, text);
    });
    node.querySelector(".who").addEventListener("change", () => applyView(pane));
    document.getElementById("panes").append(node);
    panes[platform] = pane;
    return pane;
  }

  function addTelegramControls(pane) {
    const toolbar = pane.node.querySelector(".toolbar");
    const chat = document.createElement("label");
    chat.innerHTML = 'Chat <select class="chat"><option value="group">Grupo</option><option value="private">Privado con el bot</option></select>';
    const privacy = document.createElement("label");
    privacy.className = "check";
    privacy.innerHTML = '<input type="checkbox" class="privacy"> modo privacidad';
    privacy.title = "Con el modo privacidad el bot solo ve /comandos en el grupo (como un bot nuevo de BotFather)";
    toolbar.append(chat, privacy);
    pane.chat = chat.querySelector("select");
    pane.chat.addEventListener("change", () => { pane.view = pane.chat.value; applyView(pane); });
    pane.privacy = privacy.querySelector("input");
    pane.privacy.addEventListener("change", async () => {
      try {
        await post("telegram", "privacy", { enabled: pane.privacy.checked });
        note(pane, pane.privacy.checked ? "Modo privacidad activado: en el grupo el bot solo ve /comandos." : "Modo privacidad desactivado: el bot lee todo el grupo (también !comandos).");
      } catch (error) { note(pane, `Error: ${error.message}`, "error"); }
    });
  }

  function chatKey(pane, line) {
    if (pane.platform !== "telegram") return "group";
    return line.chat === "private" ? `private:${line.to}` : "group";
  }

  function applyView(pane) {
    if (pane.platform !== "telegram") return;
    const current = pane.view === "private" ? `private:${pane.who.value.trim()}` : "group";
    pane.node.dataset.view = pane.view;
    for (const row of pane.log.children) row.hidden = row.dataset.chat !== current && row.dataset.chat !== "all";
    pane.node.querySelector(".unread")?.remove();
    scroll(pane);
  }

  function scroll(pane) {
    pane.log.scrollTop = pane.log.scrollHeight;
  }

  function addRow(pane, row, chat = "group") {
    row.dataset.chat = chat;
    pane.log.append(row);
    if (pane.platform === "telegram") {
      const current = pane.view === "private" ? `private:${pane.who.value.trim()}` : "group";
      row.hidden = chat !== current && chat !== "all";
      if (row.hidden && chat.startsWith("private:") && chat === `private:${pane.who.value.trim()}`) markUnread(pane);
    }
    scroll(pane);
    return row;
  }

  function markUnread(pane) {
    if (pane.node.querySelector(".unread")) return;
    const badge = document.createElement("span");
    badge.className = "unread";
    badge.textContent = "● nuevo en privado";
    pane.node.querySelector(".toolbar").append(badge);
  }

  function note(pane, text, cls = "") {
    const row = document.createElement("div");
    row.className = `note ${cls}`;
    row.textContent = text;
    return addRow(pane, row, "all");
  }

  function messageRow(pane, { author, bot, role, text, ranges, cls = "" }) {
    const row = document.createElement("div");
    row.className = `msg ${bot ? "bot" : "viewer"} ${cls}`;
    const avatar = document.createElement("span");
    avatar.className = "avatar";
    avatar.textContent = initials(author);
    const bodyNode = document.createElement("div");
    bodyNode.className = "body";
    const head = document.createElement("span");
    head.className = "author";
    head.textContent = author;
    if (bot && pane.platform === "discord") {
      const app = document.createElement("span");
      app.className = "app";
      app.textContent = "APP";
      head.append(app);
    }
    if (role && role !== "viewer") {
      const badge = document.createElement("span");
      badge.className = `badge ${role}`;
      badge.textContent = { moderator: "mod", owner: "dueño" }[role] || role;
      head.prepend(badge);
    }
    const textNode = document.createElement("span");
    textNode.className = "text";
    appendRich(textNode, text, ranges);
    bodyNode.append(head, textNode);
    row.append(avatar, bodyNode);
    return row;
  }

  // -- viewers speak through the control API
  async function say(pane, text) {
    const user = pane.who.value.trim() || PLATFORMS[pane.platform].who;
    const role = pane.role.value;
    const platformRole = PLATFORMS[pane.platform].roles[role];
    const chat = pane.platform === "telegram" && pane.view === "private" ? `private:${user}` : "group";
    addRow(pane, messageRow(pane, { author: user, bot: false, role, text }), chat);
    try {
      if (pane.platform === "discord" && text.startsWith("/")) {
        await discordSlash(pane, user, role, text);
      } else if (pane.platform === "telegram") {
        const result = await post("telegram", "say", { user, text, role: platformRole, chat: pane.view });
        if (!result.delivered) {
          note(pane, "El bot no ve este mensaje: modo privacidad. Usa /comprar, o desactiva «modo privacidad».", "warn");
        }
      } else {
        await post(pane.platform, "say", { user, text, role: platformRole });
      }
    } catch (error) {
      note(pane, `No se pudo enviar: ${error.message}`, "error");
    }
  }

  async function discordSlash(pane, user, role, text) {
    const [name, ...rest] = text.slice(1).split(/\s+/);
    const registered = await (await fetch("/_sandbox/discord/commands")).json();
    const command = Object.values(registered).flat().find((c) => c.name === name);
    if (!command) {
      await post("discord", "say", { user, text, role });
      return;
    }
    const options = {};
    const first = (command.options || []).find((o) => o.type === 3);
    if (first && rest.length) options[first.name] = rest.join(" ");
    await post("discord", "slash", { user, role, command: name, options });
  }

  // -- Telegram's inline buttons: URL buttons to t.me open the bot's chat, others are taps
  function telegramButtons(pane, line) {
    const box = document.createElement("div");
    box.className = "buttons";
    for (const button of line.buttons || []) {
      const node = document.createElement("button");
      node.type = "button";
      node.textContent = button.text + (button.url ? " ↗" : "");
      node.addEventListener("click", () => pressTelegram(pane, line, button));
      box.append(node);
    }
    return box;
  }

  async function pressTelegram(pane, line, button) {
    const user = pane.who.value.trim() || PLATFORMS.telegram.who;
    if (button.url && !/^https:\/\/(t|telegram)\.me\//.test(button.url)) {
      window.open(button.url, "_blank", "noopener");
      return;
    }
    try {
      await post("telegram", "press", { user, chat_id: line.chat_id, message_id: line.message_id, button: button.text });
      if (button.url) {
        // A t.me link opens the private chat with the bot, as Telegram's apps do.
        addRow(pane, messageRow(pane, { author: user, bot: false, text: "/start" }), `private:${user}`);
        pane.view = "private";
        pane.chat.value = "private";
        applyView(pane);
      }
    } catch (error) {
      note(pane, `No se pudo tocar el botón: ${error.message}`, "error");
    }
  }

  // -- Discord's message components: a row of buttons under the bot's message
  function discordButtons(pane, line) {
    const box = document.createElement("div");
    box.className = "buttons discord";
    for (const button of line.buttons || []) {
      const node = document.createElement("button");
      node.type = "button";
      node.textContent = button.text;
      node.addEventListener("click", async () => {
        const user = pane.who.value.trim() || PLATFORMS.discord.who;
        try {
          await post("discord", "press", { user, label: button.text, message_id: button.message_id });
        } catch (error) {
          note(pane, `No se pudo tocar el botón: ${error.message}`, "error");
        }
      });
      box.append(node);
    }
    return box;
  }

  // -- what the bot sent, from the feed
  function showLine(line) {
    const pane = panes[line.platform];
    if (!pane) return;
    const bot = BOT_NAMES[line.platform];
    if (line.kind === "toast") {
      toast(pane, line.text);
      return;
    }
    if (line.platform === "telegram") {
      const key = `${line.chat_id}:${line.message_id}`;
      const ranges = (line.entities || []).filter((e) => e.type === "text_mention" || e.type === "mention").map((e) => [e.offset, e.offset + e.length]);
      if (line.kind === "edit" && pane.telegramMessages.has(key)) {
        const row = pane.telegramMessages.get(key);
        const fresh = messageRow(pane, { author: bot, bot: true, text: line.text, ranges });
        fresh.append(telegramButtons(pane, line));
        fresh.classList.add("edited");
        fresh.dataset.chat = row.dataset.chat;
        fresh.hidden = row.hidden;
        row.replaceWith(fresh);
        pane.telegramMessages.set(key, fresh);
        return;
      }
      const row = messageRow(pane, { author: bot, bot: true, text: line.text, ranges });
      if (line.buttons && line.buttons.length) row.append(telegramButtons(pane, line));
      pane.telegramMessages.set(key, row);
      addRow(pane, row, chatKey(pane, line));
      return;
    }
    let cls = "";
    if (line.kind === "ephemeral") cls = "ephemeral";
    if (line.kind === "private") cls = "dm";
    if (line.dropped) cls = "dropped";
    const row = messageRow(pane, { author: line.sender || bot, bot: true, text: line.text, cls });
    if (line.platform === "discord" && line.buttons && line.buttons.length) {
      row.querySelector(".body").append(discordButtons(pane, line));
    }
    if (line.kind === "ephemeral") {
      const tag = document.createElement("div");
      tag.className = "eph-note";
      tag.textContent = `👁 Solo ${line.to || "tú"} puede ver esto · Descartar mensaje`;
      row.querySelector(".body").append(tag);
    }
    if (line.kind === "private") {
      const tag = document.createElement("div");
      tag.className = "dm-note";
      tag.textContent = `✉ Mensaje directo para ${line.to}`;
      row.querySelector(".body").prepend(tag);
    }
    if (line.dropped) {
      const tag = document.createElement("div");
      tag.className = "dm-note";
      tag.textContent = `No enviado (${line.dropped})`;
      row.querySelector(".body").append(tag);
    }
    addRow(pane, row);
  }

  function toast(pane, text) {
    const node = document.createElement("div");
    node.className = "toast";
    node.textContent = text;
    pane.node.append(node);
    setTimeout(() => node.remove(), 3000);
  }

  function listen() {
    const feed = new EventSource("/_sandbox/feed");
    feed.onopen = () => { document.body.dataset.feed = "live"; };
    feed.onmessage = (event) => showLine(JSON.parse(event.data));
    feed.onerror = () => {
      document.body.dataset.feed = "reconnecting";
      if (feed.readyState === EventSource.CLOSED) setTimeout(listen, 2000);
    };
  }

  async function start() {
    try {
      info = await (await fetch("/_sandbox/chat/info")).json();
    } catch {
      info = { platforms: {}, links: {} };
    }
    for (const platform of Object.keys(PLATFORMS)) {
      const pane = buildPane(platform);
      const state = info.platforms[platform] || { connected: false };
      pane.node.dataset.connected = state.connected ? "true" : "false";
      pane.node.querySelector(".offline").hidden = state.connected;
      pane.node.querySelector(".say button").disabled = !state.connected;
      pane.node.querySelector(".say .text").disabled = !state.connected;
      if (platform === "telegram" && state.connected) {
        pane.privacy.checked = state.privacy;
        pane.node.querySelector(".pane-sub").textContent = `Vivo en vivo · @${state.bot}`;
      }
    }
    const nav = document.getElementById("links");
    for (const [label, url] of Object.entries(info.links || {})) {
      const link = document.createElement("a");
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = `${label} ↗`;
      nav.append(link);
    }
    listen();
  }

  start();
})();
