// The page at GET /: one static HTML file with its CSS and JS inline, so the
// binary serves it with no build step and no request outside the server. It
// only calls the public API (docs/API.md) with fetch(); the write token is
// typed by the person and kept in localStorage, never embedded here.
// tests/browser/web_page_test.py drives it in headless Chromium through the
// ids and data-* attributes below (#recs[data-version], li.card[data-item],
// button[data-action], #users button[data-user], #search, #suggestions, #token).
#include "serve/http_server.h"

namespace segue {

const std::string& web_page_html() {
  static const std::string page = R"PAGE(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>segue - what to play next</title>
<link rel="icon" href="data:,">
<style>
:root {
  --bg: #f4f5f8; --surface: #ffffff; --text: #1b2130; --muted: #5d6678; --line: #e1e4ea;
  --accent: #5a3fc0; --accent-soft: #ece8fb; --good: #1f8a55; --good-soft: #e3f5eb;
  --bad: #c03a3a; --bad-soft: #fbe9e9; --like: #c2387a; --radius: 12px;
  --shadow: 0 1px 2px rgba(20, 24, 40, .06), 0 2px 8px rgba(20, 24, 40, .05);
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14161c; --surface: #1d2029; --text: #e7e9ef; --muted: #9aa2b4; --line: #2d313d;
    --accent: #a48cf5; --accent-soft: #2b2545; --good: #4cc487; --good-soft: #183226;
    --bad: #f07c7c; --bad-soft: #3a1e22; --like: #f07ab4;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header.top { background: var(--surface); border-bottom: 1px solid var(--line); }
.top-inner { max-width: 1180px; margin: 0 auto; padding: 14px 20px; display: flex; flex-wrap: wrap;
  align-items: baseline; gap: 6px 16px; }
.brand { font-size: 22px; font-weight: 700; letter-spacing: -.02em; margin: 0; }
.brand span { color: var(--accent); }
.tagline { color: var(--muted); margin: 0; flex: 1 1 240px; }
#server-info { color: var(--muted); font-size: 13px; }
main { max-width: 1180px; margin: 0 auto; padding: 20px; display: grid;
  grid-template-columns: minmax(260px, 330px) minmax(0, 1fr); gap: 20px; align-items: start; }
@media (max-width: 780px) {
  /* One column: the pickers, then the list, then the token and the activity. */
  main { grid-template-columns: minmax(0, 1fr); padding: 12px; gap: 0; }
  .side { display: contents; }
  #listener-panel { order: 1; } #taste-panel { order: 2; } .content { order: 3; margin-bottom: 16px; }
  #token-panel { order: 4; } #history-panel { order: 5; }
}
.panel { background: var(--surface); border: 1px solid var(--line); border-radius: var(--radius);
  box-shadow: var(--shadow); padding: 14px 16px; margin-bottom: 16px; }
.panel h2 { font-size: 15px; margin: 0 0 8px; }
.panel.is-active { border-color: var(--accent); box-shadow: 0 0 0 2px var(--accent-soft), var(--shadow); }
.hint { color: var(--muted); font-size: 13px; margin: 6px 0 0; }
label { font-size: 13px; font-weight: 600; display: block; margin-bottom: 4px; }
input[type=text], input[type=search], input[type=password], select {
  font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 8px;
  padding: 7px 10px; width: 100%; min-width: 0; }
input:focus-visible, select:focus-visible, button:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
.row { display: flex; gap: 8px; align-items: center; }
button { font: inherit; cursor: pointer; border-radius: 8px; border: 1px solid var(--line);
  background: var(--surface); color: var(--text); padding: 6px 12px; }
button:hover { border-color: var(--accent); }
button:disabled { opacity: .5; cursor: default; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.user-list { list-style: none; margin: 10px 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 6px;
  max-height: 190px; overflow-y: auto; }
.user-list button { padding: 3px 10px; font-size: 13px; border-radius: 999px; min-width: 2.6em; }
.user-list button[aria-pressed=true] { background: var(--accent); border-color: var(--accent); color: #fff; }
.combo { position: relative; }
#suggestions { list-style: none; margin: 4px 0 0; padding: 4px; position: absolute; left: 0; right: 0; z-index: 5;
  background: var(--surface); border: 1px solid var(--line); border-radius: 8px; box-shadow: var(--shadow); }
#suggestions[hidden] { display: none; }
#suggestions button { display: block; width: 100%; text-align: left; border: 0; border-radius: 6px; padding: 6px 8px; }
#suggestions button:hover, #suggestions button:focus { background: var(--accent-soft); outline: none; }
.chips { list-style: none; padding: 0; margin: 10px 0 0; display: flex; flex-wrap: wrap; gap: 6px; }
.chips li { background: var(--accent-soft); border-radius: 999px; padding: 2px 4px 2px 10px; display: flex;
  align-items: center; gap: 2px; font-size: 13px; }
.chips button { border: 0; background: transparent; padding: 0 6px; font-size: 15px; line-height: 1.2; }
#error { border-color: var(--bad); background: var(--bad-soft); color: var(--text); display: flex; gap: 10px;
  align-items: flex-start; }
#error[hidden] { display: none; }
#error .error-text { flex: 1; overflow-wrap: anywhere; }
#error code { background: var(--surface); border-radius: 4px; padding: 0 4px; }
.list-head { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px; margin-bottom: 10px; }
.list-head h2 { margin: 0; font-size: 18px; flex: 1 1 220px; }
.list-head label { display: inline-flex; gap: 6px; align-items: center; font-weight: 500; margin: 0; }
.list-head select { width: auto; padding: 4px 8px; }
#status { min-height: 1.5em; color: var(--muted); font-size: 13px; margin: 0 0 10px; }
#status.is-change { color: var(--good); font-weight: 600; }
.pill { display: inline-block; font-size: 12px; border-radius: 999px; padding: 1px 8px; background: var(--accent-soft);
  color: var(--accent); font-weight: 600; }
#recs { list-style: none; margin: 0; padding: 0; display: grid; gap: 10px; }
#recs[aria-busy=true] { opacity: .55; transition: opacity .15s; }
.empty { color: var(--muted); text-align: center; padding: 36px 12px; border: 1px dashed var(--line);
  border-radius: var(--radius); }
.card { background: var(--surface); border: 1px solid var(--line); border-radius: var(--radius); box-shadow: var(--shadow);
  padding: 12px 14px; display: grid; grid-template-columns: 2.2em minmax(0, 1fr) auto; gap: 4px 12px; align-items: center; }
.rank { font-size: 20px; font-weight: 700; color: var(--muted); text-align: center; }
.card h3 { margin: 0; font-size: 16px; overflow-wrap: anywhere; }
.artist { color: var(--muted); font-size: 13px; }
.reason { font-size: 13px; margin-top: 2px; }
.because { display: flex; flex-wrap: wrap; gap: 4px 10px; margin-top: 4px; font-size: 12px; color: var(--muted); }
.share { display: inline-flex; align-items: center; gap: 5px; }
.share i { display: inline-block; height: 5px; border-radius: 3px; background: var(--accent); opacity: .7; }
.score { font-size: 12px; color: var(--muted); display: flex; align-items: center; gap: 6px; margin-top: 4px; }
.score b { display: block; height: 4px; border-radius: 2px; background: var(--accent); min-width: 2px; max-width: 120px; }
.actions { display: flex; gap: 6px; }
.actions button { padding: 6px 10px; white-space: nowrap; display: inline-flex; align-items: center; gap: 5px; }
.icon { width: 15px; height: 15px; fill: currentColor; flex: none; }
.actions button[data-action=play]:hover { border-color: var(--good); color: var(--good); }
.actions button[data-action=skip]:hover { border-color: var(--bad); color: var(--bad); }
.actions button[data-action=like]:hover { border-color: var(--like); color: var(--like); }
.badge { font-size: 11px; font-weight: 700; border-radius: 999px; padding: 1px 7px; margin-left: 6px; vertical-align: 2px; }
.badge.new { background: var(--good-soft); color: var(--good); }
.badge.up { background: var(--good-soft); color: var(--good); }
.badge.down { background: var(--bad-soft); color: var(--bad); }
.card.is-new { border-color: var(--good); animation: flash 1.6s ease-out; }
.card.is-pending { opacity: .5; }
@keyframes flash { from { background: var(--good-soft); } to { background: var(--surface); } }
@media (prefers-reduced-motion: reduce) { .card.is-new { animation: none; } }
@media (max-width: 560px) {
  .card { grid-template-columns: 1.8em minmax(0, 1fr); }
  .actions { grid-column: 1 / -1; justify-content: flex-end; }
}
#history { list-style: none; margin: 0; padding: 0; font-size: 13px; }
#history li { display: flex; gap: 8px; align-items: baseline; padding: 3px 0; border-bottom: 1px solid var(--line); }
#history li:last-child { border-bottom: 0; }
.ev { font-size: 11px; font-weight: 700; text-transform: uppercase; border-radius: 4px; padding: 0 5px; min-width: 4.6em;
  text-align: center; background: var(--bg); color: var(--muted); }
.ev.skip { background: var(--bad-soft); color: var(--bad); }
.ev.play { background: var(--good-soft); color: var(--good); }
.ev.like { background: var(--accent-soft); color: var(--like); }
#home-section { margin-top: 22px; }
.shelf { margin: 0 0 16px; }
.shelf h3 { margin: 0 0 6px; font-size: 15px; }
.shelf-cards { list-style: none; margin: 0; padding: 0 0 6px; display: flex; gap: 10px; overflow-x: auto; }
.tile { flex: 0 0 190px; background: var(--surface); border: 1px solid var(--line); border-radius: var(--radius);
  box-shadow: var(--shadow); padding: 10px; display: flex; flex-direction: column; gap: 3px; }
.tile strong { font-size: 14px; overflow-wrap: anywhere; }
.tile .reason { color: var(--muted); font-size: 12px; flex: 1; }
.tile .actions button { padding: 4px 7px; font-size: 12px; }
.tile.is-pending { opacity: .5; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
</style>
</head>
<body>
<header class="top">
  <div class="top-inner">
    <h1 class="brand">segue<span>.</span></h1>
    <p class="tagline">What should this listener hear next? Press play, skip or like and watch the list answer.</p>
    <span id="server-info" aria-live="polite">connecting&hellip;</span>
  </div>
</header>
<main>
  <div class="side">
    <section class="panel" id="listener-panel" aria-labelledby="listener-title">
      <h2 id="listener-title">Pick a listener</h2>
      <form id="user-form" class="row" autocomplete="off">
        <label class="visually-hidden" for="user-id">Listener id</label>
        <input type="text" id="user-id" name="user" placeholder="listener id, e.g. 2" spellcheck="false">
        <button type="submit" id="user-go" class="primary">Show</button>
      </form>
      <ul class="user-list" id="users" aria-label="Listeners"></ul>
      <button type="button" id="users-more" hidden>More listeners</button>
    </section>
    <section class="panel" id="taste-panel" aria-labelledby="taste-title">
      <h2 id="taste-title">&hellip;or start from artists and tracks</h2>
      <div class="combo">
        <label class="visually-hidden" for="search">Search artists and tracks</label>
        <input type="search" id="search" placeholder="type an artist or a track" autocomplete="off" spellcheck="false"
               role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="suggestions">
        <ul id="suggestions" role="listbox" aria-label="Suggestions" hidden></ul>
      </div>
      <ul class="chips" id="seeds" aria-label="Chosen artists and tracks"></ul>
      <p class="hint" id="taste-hint">Pick two or three you like; the list follows them.</p>
    </section>
    <section class="panel" id="token-panel" aria-labelledby="token-title">
      <h2 id="token-title">Write token</h2>
      <form class="row" id="token-form" autocomplete="off">
        <input type="text" name="username" value="segue" autocomplete="username" hidden>
        <label class="visually-hidden" for="token">Bearer token for play, skip and like</label>
        <input type="password" id="token" autocomplete="off" spellcheck="false" placeholder="paste the server's token">
        <button type="button" id="token-show" aria-pressed="false">Show</button>
      </form>
      <p class="hint" id="token-state">Play, skip and like are sent to the server; they need the token from
        <code>--token-file</code>. It stays in this browser (localStorage).</p>
    </section>
    <section class="panel" id="history-panel" aria-labelledby="history-title" hidden>
      <h2 id="history-title">Recent activity</h2>
      <ul id="history"></ul>
    </section>
  </div>
  <div class="content">
    <div class="panel" id="error" role="alert" hidden>
      <div class="error-text"><strong id="error-title">Error</strong> <span id="error-message"></span>
        <span id="error-field"></span></div>
      <button type="button" id="error-close" aria-label="Dismiss the error">&times;</button>
    </div>
    <div class="list-head">
      <h2 id="list-title">Recommendations</h2>
      <label for="explain"><input type="checkbox" id="explain" checked> reasons</label>
      <label for="count">show <select id="count"><option>5</option><option selected>10</option><option>20</option>
        <option>50</option></select></label>
    </div>
    <p id="status" role="status" aria-live="polite"></p>
    <ol id="recs" data-version="0" data-state="empty" aria-labelledby="list-title">
      <li class="empty">Pick a listener, or type a few artists or tracks you like.</li>
    </ol>
    <section id="home-section" aria-labelledby="home-title" hidden>
      <div class="list-head">
        <h2 id="home-title">Home</h2>
        <button type="button" id="home-refresh">New page</button>
      </div>
      <div id="home" data-version="0"></div>
    </section>
  </div>
</main>
<script>
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const el = (tag, props, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("data-") || key.startsWith("aria-") || key === "role") node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  };
  const store = {
    get(key) { try { return localStorage.getItem(key) || ""; } catch (e) { return ""; } },
    set(key, value) { try { localStorage.setItem(key, value); } catch (e) { /* private mode: session only */ } },
  };

  // Feedback typed into the taste panel is posted for this browser's own anonymous listener.
  let anon = store.get("segue.anon");
  if (!anon) {
    anon = "web-" + Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");
    store.set("segue.anon", anon);
  }

  const state = {
    mode: "",          // "user": a listener's list; "taste": a list from chosen artists/tracks
    user: "",
    seeds: [],         // [{item, name}] chosen in the taste panel
    feedback: [],      // [{item, event}] given in the taste panel (sent as history / skipped)
    items: [],         // the cards on screen
    listKey: "",       // whose list is on screen: highlights compare lists of the same listener only
    request: 0,        // newest list request; older answers are dropped
    homeRequest: 0,    // newest home-page request; likewise
  };

  class ApiError extends Error {
    constructor(message, field, status) { super(message); this.field = field; this.status = status; }
  }

  async function api(method, path, body) {
    const headers = { "Accept": "application/json" };
    const token = $("token").value.trim();
    if (token) headers["Authorization"] = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError("cannot reach the server (" + e.message + ")", "", 0);
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!response.ok) {
      const message = data && data.error ? data.error : "HTTP " + response.status + " " + text.slice(0, 200);
      throw new ApiError(message, data && data.field ? data.field : "", response.status);
    }
    return data;
  }

  function showError(error) {
    $("error-title").textContent = error.status ? "Error " + error.status + ":" : "Error:";
    $("error-message").textContent = error.message;
    const field = $("error-field");
    field.textContent = "";
    if (error.field) field.append(" (field ", el("code", { text: error.field }), ")");
    if (error.status === 401) field.append(" Paste the server's token into the Write token field.");
    $("error").hidden = false;
    if (error.status === 401) $("token").focus();
  }
  function clearError() { $("error").hidden = true; }
  $("error-close").addEventListener("click", clearError);

  function setStatus(text, isChange) {
    const status = $("status");
    status.textContent = text;
    status.classList.toggle("is-change", !!isChange);
  }

  // Icons drawn inline: no icon font, and no glyph a system font may lack.
  const ICONS = {
    play: "M8 5v14l11-7z",
    skip: "M5 6l9 6-9 6zM16 6h2.5v12H16z",
    like: "M12 20.5S3.5 15.3 3.5 9.6C3.5 6.8 5.6 4.8 8.1 4.8c1.6 0 3 .8 3.9 2.1.9-1.3 2.3-2.1 3.9-2.1 2.5 0 4.6 2 4.6 4.8 0 5.7-8.5 10.9-8.5 10.9z",
  };
  const SVG_NS = "http://www.w3.org/2000/svg";  // a namespace name, never fetched
  function icon(name) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "icon");
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  function formatScore(score) {
    if (typeof score !== "number" || !isFinite(score)) return String(score);
    return Math.abs(score) >= 100 ? score.toFixed(0) : score.toPrecision(3);
  }

  // ---- server info ----
  api("GET", "/healthz").then((h) => {
    $("server-info").textContent = h.model + " \u00b7 " + h.items.toLocaleString() + " items \u00b7 " +
      h.users.toLocaleString() + " listeners" + (h.durable_events ? "" : " \u00b7 events not durable");
  }).catch((e) => { $("server-info").textContent = "server not ready"; showError(e); });

  // ---- listeners ----
  const USERS_PAGE = 60;
  let usersOffset = 0;
  async function loadUsers() {
    try {
      const data = await api("GET", "/v1/users?limit=" + USERS_PAGE + "&offset=" + usersOffset);
      for (const u of data.users) {
        const about = "Listener " + u.user + ", " + u.items + " items in training";
        const button = el("button", { type: "button", "data-user": u.user, "aria-pressed": String(u.user === state.user),
          "aria-label": about, title: about, text: u.user });
        $("users").append(el("li", {}, button));
      }
      usersOffset += data.users.length;
      $("users-more").hidden = usersOffset >= data.total;
      $("users").dataset.loaded = String(usersOffset);
    } catch (e) { showError(e); }
  }
  $("users").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-user]");
    if (button) showUser(button.dataset.user);
  });
  $("users-more").addEventListener("click", loadUsers);
  $("user-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = $("user-id").value.trim();
    if (id) showUser(id);
  });

  function setMode(mode) {
    state.mode = mode;
    $("listener-panel").classList.toggle("is-active", mode === "user");
    $("taste-panel").classList.toggle("is-active", mode === "taste");
    $("history-panel").hidden = mode !== "user";
    if (mode !== "user") $("home-section").hidden = true;
  }

  function showUser(id) {
    state.user = id;
    $("user-id").value = id;
    for (const b of $("users").querySelectorAll("button[data-user]"))
      b.setAttribute("aria-pressed", String(b.dataset.user === id));
    setMode("user");
    syncUrl();
    refresh(null);
  }

  // ---- search-as-you-type ----
  let searchTimer = 0, searchSeq = 0;
  const search = $("search"), suggestions = $("suggestions");
  function closeSuggestions() { suggestions.hidden = true; search.setAttribute("aria-expanded", "false"); }
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    const q = search.value.trim();
    if (q.length < 2) { closeSuggestions(); suggestions.textContent = ""; return; }
    searchTimer = setTimeout(async () => {
      const seq = ++searchSeq;
      try {
        const data = await api("GET", "/v1/items?q=" + encodeURIComponent(q) + "&limit=8");
        if (seq !== searchSeq) return;
        suggestions.textContent = "";
        for (const item of data.items)
          suggestions.append(el("li", { role: "option" },
            el("button", { type: "button", class: "suggestion", "data-item": item.item, "data-name": item.name,
              "aria-label": "Add " + item.name, text: item.name })));
        if (!data.items.length) suggestions.append(el("li", { class: "hint", text: "nothing matches \u201c" + q + "\u201d" }));
        suggestions.hidden = false;
        search.setAttribute("aria-expanded", "true");
      } catch (e) { if (seq === searchSeq) showError(e); }
    }, 180);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      const first = suggestions.querySelector("button");
      if (first && !suggestions.hidden) { event.preventDefault(); first.focus(); }
    } else if (event.key === "Enter") {
      event.preventDefault();
      const first = suggestions.querySelector("button");
      if (first && !suggestions.hidden) first.click();
    } else if (event.key === "Escape") closeSuggestions();
  });
  suggestions.addEventListener("keydown", (event) => {
    const buttons = Array.from(suggestions.querySelectorAll("button"));
    const at = buttons.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at + 1 < buttons.length) { event.preventDefault(); buttons[at + 1].focus(); }
    else if (event.key === "ArrowUp") { event.preventDefault(); (at > 0 ? buttons[at - 1] : search).focus(); }
    else if (event.key === "Escape") { closeSuggestions(); search.focus(); }
  });
  suggestions.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-item]");
    if (!button) return;
    addSeed(button.dataset.item, button.dataset.name);
    search.value = "";
    closeSuggestions();
    search.focus();
  });
  document.addEventListener("click", (event) => { if (!event.target.closest(".combo")) closeSuggestions(); });

  function addSeed(item, name) {
    if (!state.seeds.some((s) => s.item === item)) state.seeds.push({ item, name });
    renderSeeds();
    startTaste();
  }
  function renderSeeds() {
    const list = $("seeds");
    list.textContent = "";
    for (const seed of state.seeds)
      list.append(el("li", { "data-item": seed.item }, seed.name,
        el("button", { type: "button", "data-remove": seed.item, "aria-label": "Remove " + seed.name, text: "\u00d7" })));
  }
  $("seeds").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-remove]");
    if (!button) return;
    state.seeds = state.seeds.filter((s) => s.item !== button.dataset.remove);
    renderSeeds();
    startTaste();
  });
  function startTaste() {
    if (!state.seeds.length) {
      state.feedback = [];
      if (state.mode === "taste") { setMode(""); renderEmpty(); }
      return;
    }
    setMode("taste");
    syncUrl();
    refresh(null);
  }

  // ---- the list ----
  function listRequest() {
    const n = Number($("count").value);
    const explain = $("explain").checked;
    if (state.mode === "user")
      return api("GET", "/v1/users/" + encodeURIComponent(state.user) + "/recommendations?n=" + n + "&explain=" + (explain ? 1 : 0));
    // Signals as in the store's default table: like = 4, play = 1; skips are sent as skips and left out.
    const history = state.seeds.map((s) => ({ item: s.item, weight: 1 }));
    for (const f of state.feedback)
      if (f.event !== "skip") history.push({ item: f.item, weight: f.event === "like" ? 4 : 1 });
    const skipped = state.feedback.filter((f) => f.event === "skip").map((f) => f.item);
    return api("POST", "/v1/recommendations", { history, n, skipped, exclude: skipped, explain });
  }

  async function refresh(change) {
    if (!state.mode) return;
    const seq = ++state.request;
    const recs = $("recs");
    recs.setAttribute("aria-busy", "true");
    recs.dataset.state = "loading";
    try {
      const data = await listRequest();
      if (seq !== state.request) return;
      clearError();
      render(data, change);
      if (state.mode === "user") loadHistory();
      loadHome();
    } catch (e) {
      if (seq !== state.request) return;
      recs.dataset.state = "error";
      showError(e);
    } finally {
      if (seq === state.request) recs.removeAttribute("aria-busy");
    }
  }

  function renderEmpty() {
    const recs = $("recs");
    recs.textContent = "";
    recs.append(el("li", { class: "empty", text: "Pick a listener, or type a few artists or tracks you like." }));
    recs.dataset.state = "empty";
    state.items = [];
    state.listKey = "";
    $("list-title").textContent = "Recommendations";
    setStatus("");
  }

  function render(data, change) {
    const recs = $("recs");
    const key = state.mode === "user" ? "user:" + state.user : "taste";
    const compare = change && key === state.listKey;
    const before = new Map(state.items.map((item, rank) => [item.item, rank]));
    const top = data.items.reduce((m, it) => Math.max(m, Math.abs(it.score) || 0), 0) || 1;
    recs.textContent = "";
    let added = [], moved = 0;
    data.items.forEach((item, rank) => {
      const card = el("li", { class: "card", "data-item": item.item, "data-rank": rank + 1 });
      const title = el("h3", { text: item.name || item.item });
      if (compare && !before.has(item.item)) {
        card.classList.add("is-new");
        title.append(el("span", { class: "badge new", text: "new" }));
        added.push(item.name || item.item);
      } else if (compare && before.get(item.item) !== rank) {
        const delta = before.get(item.item) - rank;
        title.append(el("span", { class: "badge " + (delta > 0 ? "up" : "down"),
          text: (delta > 0 ? "\u25b2 " : "\u25bc ") + Math.abs(delta), "aria-label": (delta > 0 ? "up " : "down ") + Math.abs(delta) }));
        ++moved;
      }
      const body = el("div", { class: "body" }, title);
      if (item.artist && item.artist !== item.name) body.append(el("div", { class: "artist", text: item.artist }));
      if (item.reason) body.append(el("div", { class: "reason", text: item.reason }));
      if (item.because && item.because.length > 1) {
        const because = el("div", { class: "because" }, el("span", { text: "also" }));
        for (const part of item.because.slice(1, 4)) {
          const pct = Math.round(part.share * 100);
          because.append(el("span", { class: "share", title: part.name + ": " + pct + "% of this score" },
            el("i", { style: "width:" + Math.max(3, Math.min(40, pct * 3)) + "px" }), part.name + " " + pct + "%"));
        }
        body.append(because);
      }
      body.append(el("div", { class: "score" }, "score " + formatScore(item.score),
        el("b", { style: "width:" + Math.round(120 * Math.max(0, item.score) / top) + "px", "aria-hidden": "true" })));
      const name = item.name || item.item;
      const actions = el("div", { class: "actions" },
        el("button", { type: "button", "data-action": "play", "aria-label": "Play " + name }, icon("play"), "Play"),
        el("button", { type: "button", "data-action": "skip", "aria-label": "Skip " + name }, icon("skip"), "Skip"),
        el("button", { type: "button", "data-action": "like", "aria-label": "Like " + name }, icon("like"), "Like"));
      card.append(el("span", { class: "rank", text: rank + 1, "aria-hidden": "true" }), body, actions);
      recs.append(card);
    });
    if (!data.items.length) recs.append(el("li", { class: "empty", text: "Nothing left to recommend." }));
    state.items = data.items;
    state.listKey = key;
    recs.dataset.state = "ready";
    recs.dataset.version = String(Number(recs.dataset.version) + 1);

    const who = state.mode === "user" ? "Listener " + state.user : "From " + state.seeds.map((s) => s.name).join(", ");
    $("list-title").textContent = who;
    const notes = [];
    if (data.fallback) notes.push("new to the model: the most popular tracks");
    if (data.live_events) notes.push(data.live_events + " live event" + (data.live_events === 1 ? "" : "s"));
    if (data.model) notes.push(data.model + (data.strategy && data.strategy !== "model" ? " (" + data.strategy + ")" : ""));
    if (compare) {
      const verb = { play: "Played", skip: "Skipped", like: "Liked" }[change.event];
      const gone = data.items.some((it) => it.item === change.item) ? "" : ": it left the list";
      let text = verb + " \u201c" + change.name + "\u201d" + gone + ".";
      if (added.length) text += " New: " + added.join(", ") + ".";
      if (moved) text += " " + moved + " moved.";
      setStatus(text, true);
    } else {
      setStatus(notes.join(" \u00b7 "));
    }
  }

  async function loadHistory() {
    const user = state.user;
    try {
      const data = await api("GET", "/v1/users/" + encodeURIComponent(user) + "/history?limit=8");
      if (state.mode !== "user" || state.user !== user) return;
      const list = $("history");
      list.textContent = "";
      for (const e of data.events) {
        const kind = e.source === "training" ? "heard" : e.event;
        list.append(el("li", { "data-event": e.event, "data-item": e.item },
          el("span", { class: "ev " + e.event, text: kind }), e.name || e.item));
      }
      if (!data.events.length) list.append(el("li", { class: "hint", text: "nothing yet" }));
    } catch (e) { /* the list itself already reported what is wrong */ }
  }

  // ---- the home page: shelves picked by the server's policies, cards with reasons ----
  async function loadHome() {
    if (state.mode !== "user") { $("home-section").hidden = true; return; }
    const user = state.user;
    // Only the latest request renders: an older page answering late must not replace a newer one.
    const seq = ++state.homeRequest;
    $("home").dataset.state = "loading";
    try {
      const data = await api("GET", "/v1/users/" + encodeURIComponent(user) + "/home");
      if (seq !== state.homeRequest || state.mode !== "user" || state.user !== user) return;
      renderHome(data);
      $("home").dataset.state = "ready";
    } catch (e) {
      if (seq !== state.homeRequest) return;
      $("home").dataset.state = "error";
      showError(e);
    }
  }

  function renderHome(data) {
    const home = $("home");
    home.textContent = "";
    for (const shelf of data.shelves) {
      const row = el("ul", { class: "shelf-cards", "aria-label": shelf.title });
      for (const card of shelf.cards) {
        const name = card.name || card.item;
        row.append(el("li", { class: "tile", "data-item": card.item, "data-impression": card.impression, "data-name": name },
          el("strong", { text: name }),
          card.artist ? el("span", { class: "artist", text: card.artist }) : null,
          el("span", { class: "reason", text: card.reason }),
          el("div", { class: "actions" },
            el("button", { type: "button", "data-action": "play", "aria-label": "Play " + name }, icon("play")),
            el("button", { type: "button", "data-action": "skip", "aria-label": "Skip " + name }, icon("skip")),
            el("button", { type: "button", "data-action": "like", "aria-label": "Like " + name }, icon("like")))));
      }
      home.append(el("section", { class: "shelf", "data-shelf": shelf.name }, el("h3", { text: shelf.title }), row));
    }
    if (!data.shelves.length) home.append(el("p", { class: "empty", text: "Nothing to show on the home page." }));
    home.dataset.page = data.page;
    home.dataset.version = String(Number(home.dataset.version) + 1);
    $("home-section").hidden = false;
  }

  $("home-refresh").addEventListener("click", () => loadHome());
  $("home").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const tile = button.closest(".tile");
    const change = { event: button.dataset.action, item: tile.dataset.item, name: tile.dataset.name };
    tile.classList.add("is-pending");
    for (const b of tile.querySelectorAll("button")) b.disabled = true;
    try {
      await api("POST", "/v1/events", { events: [{ user: state.user, item: change.item, event: change.event,
        impression: tile.dataset.impression }] });
    } catch (e) {
      tile.classList.remove("is-pending");
      for (const b of tile.querySelectorAll("button")) b.disabled = false;
      showError(e);
      return;
    }
    await refresh(change);
  });

  // ---- play / skip / like ----
  $("recs").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const card = button.closest(".card");
    const item = card.dataset.item;
    const known = state.items.find((it) => it.item === item);
    const change = { event: button.dataset.action, item, name: known ? known.name || item : item };
    const user = state.mode === "user" ? state.user : anon;
    card.classList.add("is-pending");
    for (const b of card.querySelectorAll("button")) b.disabled = true;
    try {
      await api("POST", "/v1/events", { events: [{ user, item, event: change.event }] });
    } catch (e) {
      card.classList.remove("is-pending");
      for (const b of card.querySelectorAll("button")) b.disabled = false;
      showError(e);
      return;
    }
    if (state.mode === "taste") state.feedback.push({ item, event: change.event });
    await refresh(change);
  });

  // ---- options, token, URL ----
  $("explain").addEventListener("change", () => { syncUrl(); refresh(null); });
  $("count").addEventListener("change", () => { syncUrl(); refresh(null); });
  const token = $("token");
  token.value = store.get("segue.token");
  const showTokenState = () => {
    $("token-state").textContent = token.value.trim()
      ? "Saved in this browser. Play, skip and like are sent with it."
      : "Play, skip and like need the server's token (its --token-file). It stays in this browser.";
  };
  $("token-form").addEventListener("submit", (event) => event.preventDefault());
  token.addEventListener("input", () => { store.set("segue.token", token.value.trim()); showTokenState(); });
  showTokenState();
  $("token-show").addEventListener("click", () => {
    const hidden = token.type === "password";
    token.type = hidden ? "text" : "password";
    $("token-show").textContent = hidden ? "Hide" : "Show";
    $("token-show").setAttribute("aria-pressed", String(hidden));
  });

  function syncUrl() {
    const params = new URLSearchParams();
    if (state.mode === "user") params.set("user", state.user);
    if (!$("explain").checked) params.set("explain", "0");
    if ($("count").value !== "10") params.set("n", $("count").value);
    const query = params.toString();
    history.replaceState(null, "", query ? "?" + query : location.pathname);
  }

  // ?user=ID&n=N&explain=0 open a listener directly (links, the screenshot script).
  const params = new URLSearchParams(location.search);
  if (params.get("explain") === "0") $("explain").checked = false;
  if (params.get("n") && Array.from($("count").options).some((o) => o.value === params.get("n")))
    $("count").value = params.get("n");
  loadUsers().then(() => { document.body.dataset.ready = "1"; });
  if (params.get("user")) showUser(params.get("user"));
})();
</script>
</body>
</html>
)PAGE";
  return page;
}

}  // namespace segue
