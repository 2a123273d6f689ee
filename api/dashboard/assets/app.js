// wugsync dashboard: one page over the JSON API at /api/v1, no build step,
// no dependencies. Every value that comes from the server is rendered as
// text (textContent, or string children through h()); device names come
// from NetBox and may contain anything, so no server data ever reaches an
// HTML parser.
"use strict";

(() => {
  const API = "/api/v1";
  const LOGIN_URL = "/login";
  // A run's progress is worth watching closely; an idle page only needs to
  // notice runs the scheduler or a webhook started.
  const POLL_ACTIVE_MS = 2000;
  const POLL_IDLE_MS = 15000;
  const POLL_ERROR_MS = 5000;
  const RUNS_LIMIT = 20;
  const PAGE_SIZE = 50;
  const EXPORT_STATUSES = ["pending", "exported", "scan_triggered", "scan_completed",
    "skipped", "error", "decommissioned"];

  const state = {
    netboxURL: "",
    connections: [],
    statuses: new Map(),
    runs: [],
    activeRunIds: new Set(),
    focusRunId: null,
    plan: { runId: null, action: "", offset: 0, seq: 0, runActive: false },
    rows: { connectionId: "", status: "", device: "", ip: "", offset: 0, seq: 0 },
  };

  // ---- DOM helpers ------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  // h builds an element. attrs keys are attribute names chosen by this code
  // ("class", "text" and on* are special); children that are not nodes
  // become text nodes, so data passed here is never parsed as HTML.
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = String(value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  const dash = () => h("span", { class: "muted", "aria-label": "none" }, "—");

  const clockFormat = new Intl.DateTimeFormat(undefined, {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });

  // shortTime is the local date and 24-hour minute, always with the date:
  // "14:03" alone is ambiguous on a page left open overnight. The full ISO
  // time is in the title.
  function shortTime(d) {
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  function parseTime(iso) {
    if (!iso) return null;
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? null : d;
  }

  // timeNode shows a time as its date and minute with the relative time
  // beside it ("3 h ago"); refreshAgo keeps the relative part current in
  // rows that are not rebuilt.
  function timeNode(iso) {
    const d = parseTime(iso);
    if (!d) return iso ? h("span", {}, String(iso)) : dash();
    return h("span", { class: "when" },
      h("time", { datetime: d.toISOString(), title: d.toISOString() }, shortTime(d)),
      " ", h("span", { class: "ago", "data-ago": d.toISOString() }, ago(d)));
  }

  function refreshAgo() {
    for (const node of document.querySelectorAll("[data-ago]")) {
      const d = parseTime(node.dataset.ago);
      if (d) node.textContent = ago(d);
    }
  }

  function ago(d) {
    const seconds = Math.round((Date.now() - d.getTime()) / 1000);
    if (seconds < -60) return "in the future";
    if (seconds < 60) return "just now";
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
    return `${Math.floor(seconds / 86400)} d ago`;
  }

  function duration(ms) {
    if (ms < 1000) return "under 1 s";
    const s = Math.floor(ms / 1000);
    if (s < 60) return `${s} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
    return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
  }

  // valueText shows a diff value: strings as they are, everything else as
  // JSON, and absence as a word a person can read.
  function valueText(v) {
    if (v === null || v === undefined || v === "") return "(empty)";
    if (typeof v === "string") return v;
    return JSON.stringify(v);
  }

  function badge(kind, text) {
    return h("span", { class: `badge badge-${kind}` }, text);
  }

  function yesNo(v) {
    return v ? badge("yes", "yes") : badge("no", "no");
  }

  // isWebURL accepts only http and https links (never javascript:).
  function isWebURL(u) {
    if (typeof u !== "string" || u === "") return false;
    try {
      const { protocol } = new URL(u);
      return protocol === "http:" || protocol === "https:";
    } catch (e) {
      return false;
    }
  }

  // externalLink opens another tool (NetBox, the WUG console) in a new tab
  // without handing it this page.
  function externalLink(href, attrs, ...children) {
    return h("a", { ...attrs, href, target: "_blank", rel: "noopener noreferrer" }, ...children);
  }

  // netboxLink is a NetBox object's name, linked to its NetBox page when
  // the server knows NetBox's URL (WUGSYNC_NETBOX_URL).
  function netboxLink(objectId, name, objectType) {
    const text = name || "(unnamed)";
    if (!state.netboxURL || !objectId) return h("span", { class: "name device-name" }, text);
    const kind = objectType === "virtualmachine" ? "virtualization/virtual-machines" : "dcim/devices";
    return externalLink(`${state.netboxURL}/${kind}/${encodeURIComponent(objectId)}/`,
      { class: "name device-name", "data-link": "netbox", title: "Open in NetBox" }, text);
  }

  // wugLink is a WUG device id, linked to its page in the WUG web console
  // (the connection's wug_console_url, {id} standing for the device id; a
  // URL without {id} opens the console's root).
  function wugLink(connectionId, wugId) {
    if (!wugId) return dash();
    const c = state.connections.find((x) => x.id === connectionId);
    const base = c && c.wug_console_url;
    if (!isWebURL(base)) return h("span", { class: "mono" }, String(wugId));
    const perDevice = base.includes("{id}");
    return externalLink(base.split("{id}").join(encodeURIComponent(wugId)), {
      class: "mono", "data-link": "wug",
      title: perDevice ? "Open in the WUG web console" : "Open the WUG web console (its device page needs {id} in the connection's wug_console_url)",
    }, String(wugId));
  }

  // labelCells gives each cell of a row its column's name, which phone-width
  // layouts show beside the value when the table turns into cards.
  const headerCache = new Map();
  function labelCells(tableId, tr) {
    let headers = headerCache.get(tableId);
    if (!headers) {
      headers = [...$(tableId).querySelectorAll("thead th")].map((th) => th.textContent.trim());
      headerCache.set(tableId, headers);
    }
    [...tr.children].forEach((cell, i) => {
      if (headers[i]) cell.dataset.label = headers[i];
    });
    return tr;
  }

  // syncRows makes body show items in order, rebuilding only rows whose
  // signature changed, so polling neither flickers nor takes a keyboard
  // user's focus away.
  function syncRows(body, items) {
    const keep = new Set(items.map((it) => it.id));
    for (const tr of [...body.children]) {
      if (!keep.has(tr.id)) tr.remove();
    }
    items.forEach((it, i) => {
      let tr = document.getElementById(it.id);
      if (tr && tr.parentNode !== body) tr = null;
      if (!tr || tr.dataset.signature !== it.signature) {
        const fresh = it.build();
        fresh.dataset.signature = it.signature;
        if (tr) replaceKeepingFocus(tr, fresh);
        tr = fresh;
      }
      if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null);
    });
  }

  // ---- API --------------------------------------------------------------

  class APIError extends Error {
    constructor(status, body) {
      const err = (body && body.error) || {};
      super(err.message || `The server answered ${status}.`);
      this.status = status;
      this.code = err.code || "";
      this.fields = err.fields || null;
      this.runId = err.run_id || null;
    }
  }

  // api calls the JSON API with the session cookie. Non-GET requests carry
  // the header the API's CSRF guard requires; a 401 means the session ended,
  // so the page goes back to the login.
  async function api(path, { method = "GET", body } = {}) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") init.headers["X-Requested-With"] = "wugsync";
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new APIError(0, { error: { code: "network", message: "The server cannot be reached." } });
    }
    if (res.status === 401) {
      goToLogin();
      throw new APIError(401, { error: { code: "unauthenticated", message: "Your session ended; log in again." } });
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (e) {
        if (res.ok) throw new APIError(res.status, { error: { message: "The server sent a reply that is not JSON." } });
      }
    }
    if (!res.ok) throw new APIError(res.status, data);
    return data;
  }

  // goToLogin leaves for the login page, which sends the person back here,
  // to the same plan, once logged in.
  function goToLogin() {
    const here = window.location.pathname + window.location.search + window.location.hash;
    window.location.assign(`${LOGIN_URL}?next=${encodeURIComponent(here)}`);
  }

  function errorText(e) {
    let text = e && e.message ? e.message : String(e);
    if (e && e.fields && typeof e.fields === "object") {
      // The message often names the field already; add only the others.
      const parts = Object.entries(e.fields)
        .filter(([field]) => !text.includes(field))
        .map(([field, problem]) => `${field}: ${problem}`);
      if (parts.length) text += ` (${parts.join("; ")})`;
    }
    return text;
  }

  // ---- messages ---------------------------------------------------------

  const MAX_MESSAGES = 4;

  // notify shows a message above the page. Errors are announced at once
  // (role=alert) and stay until dismissed; successes fade after a while.
  function notify(kind, text, action) {
    const box = $("messages");
    const msg = h("div", { class: `message message-${kind}`, role: kind === "error" ? "alert" : null });
    msg.append(h("span", { class: "message-text" }, text));
    if (action) {
      msg.append(h("button", {
        type: "button", class: "link",
        onclick: () => { msg.remove(); action.run(); },
      }, action.label));
    }
    msg.append(h("button", {
      type: "button", class: "dismiss", "aria-label": "Dismiss message",
      onclick: () => msg.remove(),
    }, "×"));
    box.prepend(msg);
    while (box.children.length > MAX_MESSAGES) box.lastElementChild.remove();
    if (kind === "ok") setTimeout(() => msg.remove(), 10000);
  }

  function setLive(text, isError) {
    const live = $("live");
    live.textContent = text;
    live.classList.toggle("live-error", Boolean(isError));
  }

  // ---- connections ------------------------------------------------------

  function connectionName(id) {
    const c = state.connections.find((x) => x.id === id);
    return c ? c.name : `#${id}`;
  }

  // loadConfig reads what the server tells the page (NetBox's URL).
  async function loadConfig() {
    try {
      const cfg = await api("config.json");
      state.netboxURL = cfg && isWebURL(cfg.netbox_url) ? cfg.netbox_url.replace(/\/+$/, "") : "";
    } catch (e) {
      state.netboxURL = ""; // names stay plain text
    }
  }

  // loadConnections reads the connections and each one's export status,
  // then renders them together, so a row never shows counts of an older
  // poll than its name. Errors are thrown to the poll loop.
  async function loadConnections() {
    const data = await api(`${API}/connections?limit=500`);
    const connections = (data && data.items) || [];
    const statuses = new Map();
    await Promise.all(connections.map(async (c) => {
      try {
        statuses.set(c.id, await api(`${API}/connections/${c.id}/export-status`));
      } catch (e) {
        statuses.set(c.id, { error: errorText(e) });
      }
    }));
    state.connections = connections;
    state.statuses = statuses;
    fillConnectionSelects();
    renderConnections();
    updateConnectionActivity();
  }

  function fillConnectionSelects() {
    for (const id of ["runs-connection", "rows-connection"]) {
      const select = $(id);
      const current = select.value;
      const wanted = state.connections.map((c) => `${c.id}:${c.name}`).join("\n");
      if (select.dataset.options !== wanted) {
        select.replaceChildren(select.options[0]);
        for (const c of state.connections) {
          select.append(h("option", { value: c.id }, c.name));
        }
        select.dataset.options = wanted;
      }
      select.value = state.connections.some((c) => String(c.id) === current) ? current : "";
    }
  }

  // isNewConnection: nothing was ever exported or planned for it, so the
  // page offers a dry run first.
  function isNewConnection(c, status) {
    if (!status || status.error) return false;
    const runs = status.recent_runs || [];
    return !c.last_export && !status.last_export && !status.active_run && runs.length === 0 &&
      !state.runs.some((r) => r.connection_id === c.id);
  }

  function renderConnections() {
    $("connections-empty").hidden = state.connections.length > 0;
    syncRows($("connections-body"), state.connections.map((c) => {
      const status = state.statuses.get(c.id);
      const fresh = isNewConnection(c, status);
      return {
        id: `connection-${c.id}`,
        signature: JSON.stringify([c, status || null, fresh]),
        build: () => connectionRow(c, status, fresh),
      };
    }));
  }

  function connectionRow(c, status, fresh) {
    const scheme = c.use_ssl ? "https" : "http";
    const dryRun = h("button", {
      type: "button", class: fresh ? "primary" : null, "data-action": "dry-run", "data-connection": c.id,
      "aria-label": `Dry run of ${c.name}`,
      title: "Plan an export without changing WUG",
      onclick: (ev) => startExport(c, true, ev.currentTarget),
    }, "Dry run");
    const exportButton = h("button", {
      type: "button", class: fresh ? "secondary" : null, "data-action": "export", "data-connection": c.id,
      "aria-label": `Export ${c.name}`,
      title: "Export NetBox devices to this WUG server now",
      onclick: (ev) => startExport(c, false, ev.currentTarget, fresh),
    }, "Export");
    const lastExport = status && !status.error && status.last_export !== undefined ? status.last_export : c.last_export;
    return labelCells("connections-table", h("tr", { id: `connection-${c.id}`, "data-connection-id": c.id },
      h("th", { scope: "row" }, h("span", { class: "name" }, c.name),
        h("span", { class: "activity", "data-role": "activity" })),
      h("td", {}, h("span", { class: "mono" }, `${scheme}://${c.host}:${c.port}`),
        c.use_ssl && !c.verify_ssl ? h("span", { class: "hint warn" }, "TLS not verified") : null,
        isWebURL(c.wug_console_url) ? externalLink(c.wug_console_url.split("{id}")[0], {
          class: "hint", "data-link": "console",
        }, "WUG web console") : null),
      h("td", {}, yesNo(c.is_active)),
      h("td", {}, c.enable_netbox_export ? badge("yes", "enabled") : badge("no", "disabled")),
      h("td", { "data-role": "last-export" }, timeNode(lastExport)),
      h("td", { "data-role": "counts" }, countsNode(c, status)),
      h("td", { class: "actions" },
        fresh ? h("p", { class: "first-run", "data-role": "first-run" },
          "New connection: nothing has been written to WUG yet. Start with a dry run to see what an export would do.") : null,
        h("div", { class: "buttons" },
          dryRun, exportButton,
          h("button", {
            type: "button", class: "secondary", "data-action": "test", "data-connection": c.id,
            "aria-label": `Test ${c.name}`,
            title: "Log in to WUG and read its version and device count",
            onclick: (ev) => testConnection(c, ev.currentTarget),
          }, "Test"),
          h("button", {
            type: "button", class: "secondary", "data-action": "rows", "data-connection": c.id,
            "aria-label": `Devices of ${c.name}`,
            onclick: () => showRowsOf(c.id),
          }, "Devices")))));
  }

  function countsNode(c, status) {
    if (!status) return h("span", { class: "muted" }, "loading…");
    if (status.error) return h("span", { class: "error-text" }, `unavailable: ${status.error}`);
    const counts = status.counts || {};
    const list = h("ul", { class: "counts", "aria-label": `Devices of ${c.name} by export status` });
    for (const s of EXPORT_STATUSES) {
      const n = Number(counts[s] || 0);
      if (n > 0) list.append(h("li", {}, badge(s, `${s} ${n}`)));
    }
    return list.children.length ? list : h("span", { class: "muted" }, "no devices yet");
  }

  // updateConnectionActivity marks connections that have a run in progress,
  // in place, so a focused button in the table keeps its focus.
  function updateConnectionActivity() {
    for (const c of state.connections) {
      const row = $(`connection-${c.id}`);
      if (!row) continue;
      const active = state.runs.find((r) => r.connection_id === c.id && isActive(r));
      const cell = row.querySelector('[data-role="activity"]');
      cell.textContent = active ? `run #${active.id} ${active.status}` : "";
    }
  }

  async function startExport(c, dryRun, button, fresh) {
    const first = fresh ? " Nothing has been planned for it yet: a dry run first shows what would change." : "";
    if (!dryRun && !window.confirm(
      `Export NetBox devices to ${c.name} now? Devices will be created and updated in WhatsUp Gold.${first}`)) {
      return;
    }
    button.disabled = true;
    try {
      const res = await api(`${API}/connections/${c.id}/export`, { method: "POST", body: { dry_run: dryRun } });
      const runId = res && res.run_id;
      notify("ok", `${dryRun ? "Dry run" : "Export"} of ${c.name} started as run #${runId}.`,
        runId ? { label: `Show plan of run #${runId}`, run: () => openPlan(runId) } : null);
      state.focusRunId = runId || null;
      pollSoon();
    } catch (e) {
      if (e.status === 409 && e.runId) {
        notify("error", errorText(e), { label: `Show run #${e.runId}`, run: () => focusRun(e.runId) });
        focusRun(e.runId);
      } else {
        notify("error", `${dryRun ? "Dry run" : "Export"} of ${c.name} did not start: ${errorText(e)}`);
      }
    } finally {
      button.disabled = false;
    }
  }

  async function testConnection(c, button) {
    button.disabled = true;
    const label = button.textContent;
    button.textContent = "Testing…";
    try {
      const res = await api(`${API}/connections/${c.id}/test`, { method: "POST" });
      if (res && res.ok) {
        const parts = [];
        if (res.version) parts.push(`WUG version ${res.version}`);
        if (res.device_count !== undefined) parts.push(`${res.device_count} devices`);
        notify("ok", `${c.name}: connection works${parts.length ? ` (${parts.join(", ")})` : ""}.`);
      } else {
        const stage = res && res.stage ? ` at ${res.stage}` : "";
        notify("error", `${c.name}: connection test failed${stage}: ${(res && res.error) || "no reason given"}`);
      }
    } catch (e) {
      notify("error", `${c.name}: connection test failed: ${errorText(e)}`);
    } finally {
      button.textContent = label;
      button.disabled = false;
    }
  }

  // ---- runs -------------------------------------------------------------

  const isActive = (run) => run.status === "queued" || run.status === "running";

  async function refreshRuns() {
    const q = new URLSearchParams({ limit: String(RUNS_LIMIT) });
    const conn = $("runs-connection").value;
    if (conn) q.set("connection_id", conn);
    const data = await api(`${API}/sync-logs?${q}`);
    const runs = (data && data.items) || [];

    const nowActive = new Set(runs.filter(isActive).map((r) => r.id));
    const ended = [...state.activeRunIds].filter((id) => !nowActive.has(id));
    state.activeRunIds = nowActive;
    state.runs = runs;

    renderRuns();
    refreshOpenPlan(runs);
    return { ended: ended.length > 0 };
  }

  function renderRuns() {
    $("runs-empty").hidden = state.runs.length > 0;
    syncRows($("runs-body"), state.runs.map((run) => ({
      id: `run-${run.id}`, signature: JSON.stringify(run), build: () => runRow(run),
    })));
    if (state.focusRunId && $(`run-${state.focusRunId}`)) {
      focusRun(state.focusRunId);
    }
  }

  // replaceKeepingFocus swaps a table row and, when a button in the old row
  // had the keyboard focus, moves it to the same button in the new one:
  // live updates every two seconds must not throw a keyboard user out.
  function replaceKeepingFocus(oldNode, newNode) {
    const focused = document.activeElement;
    const action = oldNode.contains(focused) && focused.dataset ? focused.dataset.action : null;
    oldNode.replaceWith(newNode);
    if (action) {
      const again = newNode.querySelector(`[data-action="${action}"]`);
      if (again) again.focus();
    }
  }

  function runRow(run) {
    const counters = [run.devices_total, run.devices_created, run.devices_updated,
      run.devices_unchanged, run.devices_skipped, run.devices_failed];
    const tr = h("tr", { id: `run-${run.id}`, tabindex: "-1", "data-status": run.status },
      h("th", { scope: "row" }, `#${run.id}`,
        h("span", { class: "hint" }, [run.sync_type, run.trigger, run.dry_run ? "dry run" : ""].filter(Boolean).join(" · "))),
      h("td", {}, run.connection_name || connectionName(run.connection_id)),
      h("td", {}, badge(run.status, run.status)),
      h("td", { class: "progress-cell" }, progressNode(run)),
      ...counters.map((n, i) => h("td", {
        class: `num${i === 5 && n > 0 ? " error-text" : ""}`,
        "data-counter": ["total", "created", "updated", "unchanged", "skipped", "failed"][i],
      }, String(n || 0))),
      h("td", {}, startedNode(run)),
      h("td", { class: "summary" }, summaryNode(run, true)),
      h("td", { class: "actions" },
        h("button", {
          type: "button", class: "secondary", "data-action": "plan",
          "aria-label": `Plan of run ${run.id}`,
          onclick: () => openPlan(run.id),
        }, "Plan")));
    return labelCells("runs-table", tr);
  }

  // The worker ends a summary that has reasons to read with a pointer to
  // the API's plan; the page links to the plan it shows instead.
  const planPointer = /\s*\(see \/api\/v1\/sync-logs\/\d+\/plan( for reasons)?\)/;

  // summaryNode is a run's summary and error, each said once: a failed
  // run's summary repeats its error ("failed: <error>"), so then only the
  // error is shown. withPlanLink adds a link to the run's plan.
  function summaryNode(run, withPlanLink) {
    const err = run.error_message || "";
    let text = run.summary || "";
    const pointer = planPointer.exec(text);
    text = text.replace(planPointer, "");
    if (err && (text === err || text === `${run.status}: ${err}`)) text = "";
    const showErr = err && !text.includes(err);
    const parts = [];
    if (text) parts.push(h("span", { "data-role": "summary-text" }, text));
    if (showErr) parts.push(h("span", { class: "error-text block", "data-role": "run-error" }, err));
    if (withPlanLink && (text || showErr) && (run.planned_at || pointer || run.devices_total > 0)) {
      parts.push(" ", h("a", {
        href: `#plan-${run.id}`, class: "plan-link", "data-link": "plan",
        onclick: (ev) => { ev.preventDefault(); openPlan(run.id); },
      }, pointer && pointer[1] ? "reasons in the plan" : "see the plan"));
    }
    return parts.length ? h("span", {}, ...parts) : dash();
  }

  function progressNode(run) {
    const total = run.batches_total || 0;
    const done = run.batches_done || 0;
    let text;
    if (run.status === "queued") text = "waiting for a worker";
    else if (run.status === "running" && total === 0) text = "planning";
    else if (run.dry_run && run.status === "completed") {
      // A dry run plans its batches and applies none: its work is done.
      text = total > 0 ? `planned, ${total} batch${total > 1 ? "es" : ""} not applied (dry run)` : "planned (dry run)";
      return h("div", { class: "progress" },
        h("progress", { max: 1, value: 1, "aria-label": `Run ${run.id} progress` }), h("span", { class: "hint" }, text));
    } else if (total > 0) text = `${done} / ${total} batches`;
    else text = run.status;
    // Only a run that is planning gets the moving (indeterminate) bar: a
    // queued run has not started, and an ended one is full or empty.
    const attrs = { max: total > 0 ? total : null, value: total > 0 ? done : null, "aria-label": `Run ${run.id} progress` };
    if (total === 0 && run.status !== "running") {
      attrs.max = 1;
      attrs.value = run.status === "completed" ? 1 : 0;
    }
    return h("div", { class: "progress" }, h("progress", attrs), h("span", { class: "hint" }, text));
  }

  function startedNode(run) {
    const started = parseTime(run.started_at);
    if (!started) {
      return h("span", {}, timeNode(run.created_at), h("span", { class: "hint" }, "queued"));
    }
    const ended = parseTime(run.ended_at);
    const took = ended ? `took ${duration(ended - started)}` : `running ${duration(Date.now() - started)}`;
    return h("span", {}, timeNode(run.started_at), h("span", { class: "hint" }, took));
  }

  // focusRun scrolls to a run's row, marks it and gives it the focus; used
  // after starting a run and when the API says one is already running.
  function focusRun(id) {
    const tr = $(`run-${id}`);
    if (!tr) {
      state.focusRunId = id;
      if ($("runs-connection").value) $("runs-connection").value = "";
      pollSoon();
      return;
    }
    state.focusRunId = null;
    for (const old of document.querySelectorAll("#runs-body tr.highlight")) old.classList.remove("highlight");
    tr.classList.add("highlight");
    tr.scrollIntoView({ block: "center" });
    tr.focus({ preventScroll: true });
  }

  // ---- polling ----------------------------------------------------------

  // One poll loop at a time: pollSoon while a poll is in flight asks for
  // another right after it, instead of starting a second loop.
  let pollTimer = null;
  let pollInFlight = false;
  let pollAgain = false;

  function pollSoon(delay = 0) {
    clearTimeout(pollTimer);
    pollTimer = null;
    if (pollInFlight) {
      pollAgain = true;
      return;
    }
    pollTimer = setTimeout(poll, delay);
  }

  async function poll() {
    pollTimer = null;
    if (document.hidden) return; // visibilitychange resumes the loop
    pollInFlight = true;
    let delay;
    try {
      // Every panel is read on every poll, so none contradicts another:
      // a connection created since the page loaded appears with its first
      // run, and the devices fill in while the run exports them.
      await refreshRuns();
      await loadConnections();
      await loadRows({ quiet: true }); // after the connections: rows link with their console URLs
      refreshAgo();
      const active = state.activeRunIds.size;
      setLive(`${active ? `Live: ${active} run${active > 1 ? "s" : ""} in progress. ` : ""}Updated ${clockFormat.format(new Date())}`);
      delay = active ? POLL_ACTIVE_MS : POLL_IDLE_MS;
    } catch (e) {
      setLive(`Updating failed: ${errorText(e)} Retrying…`, true);
      delay = POLL_ERROR_MS;
    } finally {
      pollInFlight = false;
    }
    if (pollAgain) {
      pollAgain = false;
      delay = 0;
    }
    if (pollTimer === null) pollTimer = setTimeout(poll, delay);
  }

  // ---- plan -------------------------------------------------------------

  async function openPlan(runId) {
    runId = Number(runId);
    if (state.plan.runId !== runId) {
      state.plan.runId = runId;
      state.plan.offset = 0;
      state.plan.action = "";
      $("plan-action").value = "";
    }
    $("plan").hidden = false;
    if (window.location.hash !== `#plan-${runId}`) {
      history.replaceState(null, "", `#plan-${runId}`);
    }
    $("plan-title").textContent = `Plan of run #${runId}`;
    await loadPlan();
    $("plan").scrollIntoView({ block: "start" });
    $("plan-title").focus({ preventScroll: true });
  }

  function closePlan() {
    state.plan.runId = null;
    $("plan").hidden = true;
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }

  // refreshOpenPlan reloads the open plan while its run applies batches, so
  // outcomes fill in live, and once more when the run ends.
  function refreshOpenPlan(runs) {
    if (state.plan.runId === null) return;
    const run = runs.find((r) => r.id === state.plan.runId);
    if (!run) return;
    if (isActive(run) || state.plan.runActive) loadPlan();
  }

  async function loadPlan() {
    const p = state.plan;
    if (p.runId === null) return;
    const seq = ++p.seq;
    const q = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(p.offset) });
    if (p.action) q.set("action", p.action);
    let data;
    try {
      data = await api(`${API}/sync-logs/${p.runId}/plan?${q}`);
    } catch (e) {
      if (seq !== p.seq) return;
      $("plan-body").replaceChildren();
      $("plan-run").replaceChildren(h("span", { class: "error-text" }, `Loading the plan failed: ${errorText(e)}`));
      $("plan-pager").replaceChildren();
      return;
    }
    if (seq !== p.seq) return; // a newer request (filter, page) superseded this one
    const run = (data && data.run) || null;
    p.runActive = Boolean(run && isActive(run));
    renderPlanRun(run);
    const items = (data && data.items) || [];
    const body = $("plan-body");
    body.replaceChildren(...items.map((e) => planRow(e, run)));
    $("plan-empty").hidden = items.length > 0;
    renderPager($("plan-pager"), data, (offset) => { p.offset = offset; loadPlan(); });
  }

  function renderPlanRun(run) {
    const box = $("plan-run");
    if (!run) {
      box.replaceChildren();
      return;
    }
    const parts = [
      h("span", {}, run.connection_name || connectionName(run.connection_id)),
      badge(run.status, run.status),
      run.dry_run ? h("span", { class: "hint" }, "dry run: nothing was changed in WUG") : null,
      run.applied_from ? h("span", { class: "hint", "data-role": "applied-from" },
        `applies the plan of dry run #${run.applied_from}` +
        (run.replanned && run.replanned.length ? `; decided again (changed in NetBox since): ${run.replanned.map((id) => `#${id}`).join(", ")}` : "")) : null,
      h("span", { class: "hint" }, `${run.devices_total || 0} devices`),
      run.devices_excluded ? h("span", { class: "hint" }, `${run.devices_excluded} more not exported for their status`) : null,
      run.summary || run.error_message ? h("span", { class: "hint" }, summaryNode(run, false)) : null,
      applyPlanButton(run),
    ];
    box.replaceChildren(...parts.filter(Boolean));
  }

  // applyPlanButton offers to apply a completed dry run's plan. The first
  // click arms it (it says what it will do), the second applies: no
  // browser dialog, and no write to WUG from a stray click.
  function applyPlanButton(run) {
    if (!(run.dry_run && run.status === "completed" && run.sync_type === "export")) return null;
    return h("button", {
      type: "button", class: "primary", "data-action": "apply-plan", "data-run": run.id,
      title: "Write what this plan says to WUG, as a new run (plans at most an hour old)",
      onclick: (ev) => applyPlan(run, ev.currentTarget),
    }, "Apply this plan");
  }

  async function applyPlan(run, button) {
    if (button.dataset.armed !== "1") {
      button.dataset.armed = "1";
      button.textContent = "Confirm: write this plan to WUG";
      return;
    }
    button.disabled = true;
    try {
      const res = await api(`${API}/sync-logs/${run.id}/apply`, { method: "POST", body: {} });
      const runId = res && res.run_id;
      notify("ok", `The plan of dry run #${run.id} is being applied as run #${runId}.`,
        runId ? { label: `Show run #${runId}`, run: () => focusRun(runId) } : null);
      state.focusRunId = runId || null;
      pollSoon();
      if (runId) openPlan(runId);
    } catch (e) {
      if (e.status === 409 && e.runId) {
        notify("error", errorText(e), { label: `Show run #${e.runId}`, run: () => focusRun(e.runId) });
      } else {
        notify("error", `The plan of dry run #${run.id} was not applied: ${errorText(e)}`);
      }
      button.disabled = false;
    }
  }

  function planRow(e, run) {
    let outcome;
    if (e.outcome === "failed") outcome = h("span", {}, badge("failed", "failed"), e.error ? h("span", { class: "error-text block" }, e.error) : null);
    else if (e.outcome) outcome = badge(e.outcome, e.outcome);
    else if (run && run.dry_run) outcome = h("span", { class: "muted" }, "not applied (dry run)");
    else if (run && isActive(run) && e.action !== "unchanged" && e.action !== "skip") outcome = h("span", { class: "muted" }, "pending");
    else outcome = dash();
    const objectId = e.netbox_object_id || e.netbox_device_id;
    return labelCells("plan-table", h("tr", { "data-action-kind": e.action },
      h("th", { scope: "row" }, netboxLink(objectId, e.device_name, e.object_type),
        h("span", { class: "hint" }, `NetBox #${objectId}`)),
      h("td", { class: "mono" }, e.ip_address || dash()),
      h("td", {}, badge(`action-${e.action}`, e.action)),
      h("td", {}, e.reason || dash()),
      h("td", {}, diffNode(e.diff)),
      h("td", { class: "num" }, e.batch ? String(e.batch) : dash()),
      h("td", {}, outcome)));
  }

  function diffNode(diff) {
    if (!Array.isArray(diff) || diff.length === 0) return dash();
    return h("ul", { class: "diff" }, diff.map((d) => h("li", {},
      h("span", { class: "field" }, d.field), " ",
      h("del", {}, valueText(d.old)), h("span", { "aria-hidden": "true" }, " → "),
      h("span", { class: "visually-hidden" }, " becomes "),
      h("ins", {}, valueText(d.new)))));
  }

  // ---- export rows ------------------------------------------------------

  function showRowsOf(connectionId) {
    $("rows-connection").value = String(connectionId);
    readRowFilters();
    loadRows();
    $("rows").scrollIntoView({ block: "start" });
    $("rows-title").focus({ preventScroll: true });
  }

  function readRowFilters() {
    const r = state.rows;
    r.connectionId = $("rows-connection").value;
    r.status = $("rows-status").value;
    r.device = $("rows-device").value.trim();
    r.ip = $("rows-ip").value.trim();
    r.offset = 0;
  }

  // loadRows shows the export rows; quiet (the poll) leaves failures to the
  // poll loop's status line.
  async function loadRows({ quiet = false } = {}) {
    const r = state.rows;
    const seq = ++r.seq;
    const q = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(r.offset) });
    if (r.connectionId) q.set("connection_id", r.connectionId);
    if (r.status) q.set("status", r.status);
    if (r.device) q.set("device", r.device);
    if (r.ip) q.set("ip", r.ip);
    let data;
    try {
      data = await api(`${API}/ip-exports?${q}`);
    } catch (e) {
      if (quiet) throw e;
      if (seq !== r.seq) return;
      $("rows-body").replaceChildren();
      $("rows-empty").hidden = true;
      $("rows-pager").replaceChildren(h("span", { class: "error-text" }, `Loading devices failed: ${errorText(e)}`));
      return;
    }
    if (seq !== r.seq) return;
    const items = (data && data.items) || [];
    const links = [state.netboxURL, state.connections.map((c) => [c.id, c.name, c.wug_console_url])];
    syncRows($("rows-body"), items.map((row) => ({
      id: `export-${row.id}`, signature: JSON.stringify([row, links]), build: () => exportRow(row),
    })));
    $("rows-empty").hidden = items.length > 0;
    renderPager($("rows-pager"), data, (offset) => { r.offset = offset; loadRows(); });
  }

  function exportRow(row) {
    const problem = row.error_message || row.skip_reason;
    const objectId = row.netbox_object_id || row.netbox_device_id;
    return labelCells("rows-table", h("tr", { id: `export-${row.id}` },
      h("th", { scope: "row" }, netboxLink(objectId, row.netbox_device_name, row.object_type),
        h("span", { class: "hint" }, `NetBox #${objectId}`)),
      h("td", { class: "mono" }, row.ip_address || dash()),
      h("td", {}, connectionName(row.connection_id)),
      h("td", {}, badge(row.export_status, row.export_status)),
      h("td", {}, wugLink(row.connection_id, row.wug_device_id), row.adopted ? h("span", { class: "hint" }, "adopted") : null),
      h("td", {}, problem ? h("span", { class: row.error_message ? "error-text" : "" }, problem) : dash()),
      h("td", { class: "num" }, String(row.attempts || 0)),
      h("td", {}, timeNode(row.updated_at)),
      h("td", { class: "actions" },
        h("button", {
          type: "button", class: "secondary", "data-action": "history",
          "aria-label": `History of ${row.netbox_device_name || row.ip_address}`,
          onclick: () => openRow(row.id),
        }, "History"),
        h("button", {
          type: "button", "data-action": "retry",
          "aria-label": `Retry ${row.netbox_device_name || row.ip_address}`,
          onclick: (ev) => retryRow(row, ev.currentTarget),
        }, "Retry"))));
  }

  async function retryRow(row, button) {
    const name = row.netbox_device_name || row.ip_address || `row #${row.id}`;
    button.disabled = true;
    try {
      const res = await api(`${API}/ip-exports/${row.id}/retry`, { method: "POST" });
      const runId = res && res.run_id;
      notify("ok", `Re-export of ${name} queued${runId ? ` as run #${runId}` : ""}.`);
      pollSoon();
      loadRows();
    } catch (e) {
      notify("error", `Retry of ${name} failed: ${errorText(e)}`);
    } finally {
      button.disabled = false;
    }
  }

  // rowDetail splits the reply of GET /ip-exports/{id} into the row and its
  // attempt history. The row's own "attempts" is a count, so the API sends
  // the history as "attempt_history"; a list under "attempts" is read too.
  function rowDetail(reply) {
    const row = reply || {};
    const history = [row.attempt_history, row.attempts].find(Array.isArray) || [];
    const count = typeof row.attempts === "number" ? row.attempts : history.length;
    return { row, history, count };
  }

  async function openRow(id) {
    let reply;
    try {
      reply = await api(`${API}/ip-exports/${id}`);
    } catch (e) {
      notify("error", `Loading the device's history failed: ${errorText(e)}`);
      return;
    }
    const { row, history, count } = rowDetail(reply);
    $("row-dialog-title").textContent = row.netbox_device_name || row.ip_address || `Row #${id}`;
    const objectId = row.netbox_object_id || row.netbox_device_id;
    const facts = [
      ["NetBox device", state.netboxURL
        ? netboxLink(objectId, `#${objectId}`, row.object_type) : `#${objectId}`],
      ["Connection", connectionName(row.connection_id)],
      ["IP address", row.ip_address],
      ["Status", row.export_status],
      ["Reason", row.export_reason],
      ["WUG device", row.wug_device_id
        ? h("span", {}, wugLink(row.connection_id, row.wug_device_id), row.adopted ? " (adopted)" : "") : ""],
      ["WUG group", row.wug_group_id],
      ["Scan", row.wug_scan_id ? `${row.wug_scan_id} ${row.wug_scan_status || ""}` : ""],
      ["Error", row.error_message],
      ["Skip reason", row.skip_reason],
      ["Attempts", String(count)],
      ["Last run", row.last_run_id ? `#${row.last_run_id}` : ""],
    ];
    const times = [["Exported", row.exported_at], ["Scan triggered", row.scan_triggered_at],
      ["Scan completed", row.scan_completed_at], ["Skipped", row.skipped_at], ["Failed", row.error_at],
      ["Decommissioned", row.decommissioned_at], ["First seen", row.created_at], ["Changed", row.updated_at]];
    const dl = $("row-dialog-facts");
    dl.replaceChildren();
    for (const [label, value] of facts) {
      if (!value) continue;
      dl.append(h("div", {}, h("dt", {}, label), h("dd", {}, value)));
    }
    for (const [label, value] of times) {
      if (!value) continue;
      dl.append(h("div", {}, h("dt", {}, label), h("dd", {}, timeNode(value))));
    }
    const sorted = [...history].sort((a, b) => String(b.occurred_at).localeCompare(String(a.occurred_at)));
    $("row-attempts-body").replaceChildren(...sorted.map((a) => labelCells("row-attempts", h("tr", {},
      h("td", {}, timeNode(a.occurred_at)),
      h("td", { class: "mono" }, a.task_type || dash()),
      h("td", { class: "num" }, String(a.attempt ?? "")),
      h("td", { class: "error-text" }, a.error || dash())))));
    $("row-attempts-empty").hidden = sorted.length > 0;
    $("row-dialog-retry").onclick = (ev) => retryRow({ ...row, id }, ev.currentTarget);
    const dialog = $("row-dialog");
    if (!dialog.open) dialog.showModal();
  }

  // ---- paging -----------------------------------------------------------

  function renderPager(nav, data, go) {
    nav.replaceChildren();
    if (!data) return;
    const total = Number(data.total || 0);
    const limit = Number(data.limit || PAGE_SIZE);
    const offset = Number(data.offset || 0);
    const shown = ((data.items && data.items.length) || 0);
    if (total === 0) return;
    nav.append(h("span", { class: "hint" }, `${offset + 1}–${offset + shown} of ${total}`));
    nav.append(h("button", {
      type: "button", class: "secondary", disabled: offset === 0,
      onclick: () => go(Math.max(0, offset - limit)),
    }, "Previous"));
    nav.append(h("button", {
      type: "button", class: "secondary", disabled: offset + shown >= total,
      onclick: () => go(offset + limit),
    }, "Next"));
  }

  // ---- start ------------------------------------------------------------

  async function logout() {
    $("logout").disabled = true;
    try {
      // The server answers with a redirect to the login page; following it
      // here would only fetch HTML the page does not need.
      await fetch("/logout", {
        method: "POST", credentials: "same-origin", redirect: "manual",
        headers: { "X-Requested-With": "wugsync" },
      });
    } catch (e) {
      // Going to the login page is right whatever happened: the session
      // cookie is HttpOnly, so the page cannot do more.
    }
    window.location.assign(LOGIN_URL);
  }

  function openPlanFromHash() {
    const m = /^#plan-(\d+)$/.exec(window.location.hash);
    if (m) openPlan(Number(m[1]));
  }

  function init() {
    $("logout").addEventListener("click", logout);
    $("runs-connection").addEventListener("change", () => pollSoon());
    $("plan-action").addEventListener("change", (ev) => {
      state.plan.action = ev.currentTarget.value;
      state.plan.offset = 0;
      loadPlan();
    });
    $("plan-close").addEventListener("click", closePlan);
    $("rows-filter").addEventListener("submit", (ev) => {
      ev.preventDefault();
      readRowFilters();
      loadRows();
    });
    for (const id of ["rows-connection", "rows-status"]) {
      $(id).addEventListener("change", () => { readRowFilters(); loadRows(); });
    }
    $("row-dialog-close").addEventListener("click", () => $("row-dialog").close());
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) pollSoon();
    });
    window.addEventListener("hashchange", openPlanFromHash);

    // Links need NetBox's URL and the connections' console URLs, so both
    // come before the first rows.
    loadConfig()
      .then(() => loadConnections())
      .catch((e) => notify("error", `Loading connections failed: ${errorText(e)}`))
      .then(() => loadRows())
      .finally(() => pollSoon());
    openPlanFromHash();
  }

  init();
})();
