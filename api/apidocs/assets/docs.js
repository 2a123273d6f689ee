// wugsync API reference: renders /api/v1/openapi.json. Every value from the
// document is set as text (textContent), never parsed as HTML.
"use strict";

(function () {
  const METHODS = ["get", "post", "put", "patch", "delete"];
  const MAX_DEPTH = 8;
  let doc = null;

  // el builds an element: attrs are properties or attributes, children are
  // nodes or strings (as text).
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  // prose renders a description: `code` spans become <code>, the rest text.
  function prose(text) {
    const p = el("p", { class: "prose" });
    String(text || "").split("`").forEach((part, i) => {
      if (part) p.append(i % 2 ? el("code", { text: part }) : document.createTextNode(part));
    });
    return p;
  }

  function resolve(schema) {
    let seen = 0;
    while (schema && schema.$ref && seen++ < 16) {
      const name = schema.$ref.replace(/^#\/components\/schemas\//, "");
      schema = ((doc.components || {}).schemas || {})[name] || {};
    }
    return schema || {};
  }

  // typeLabel names a schema in a few words: "string", "array of integer",
  // "object", "one of …".
  function typeLabel(raw) {
    const s = resolve(raw);
    let t = s.type || (s.properties ? "object" : "");
    if (t === "array") t = "array of " + typeLabel(s.items || {});
    if (s.oneOf || s.anyOf) t = "one of " + (s.oneOf || s.anyOf).map(typeLabel).join(" | ");
    if (s.format) t += " (" + s.format + ")";
    if (s.nullable) t += ", nullable";
    return t || "any";
  }

  // constraints lists what limits a value: enum, bounds, lengths, default.
  function constraints(s) {
    const out = [];
    if (s.enum) out.push("one of: " + s.enum.map((v) => JSON.stringify(v)).join(", "));
    if (s.minimum !== undefined) out.push("min " + s.minimum);
    if (s.maximum !== undefined) out.push("max " + s.maximum);
    if (s.minLength !== undefined) out.push("min length " + s.minLength);
    if (s.maxLength !== undefined) out.push("max length " + s.maxLength);
    if (s.maxItems !== undefined) out.push("at most " + s.maxItems + " items");
    if (s.pattern) out.push("pattern " + s.pattern);
    if (s.default !== undefined) out.push("default " + JSON.stringify(s.default));
    return out.join("; ");
  }

  // schemaTree renders a schema's fields as nested lists.
  function schemaTree(raw, depth) {
    const s = resolve(raw);
    const list = el("ul", { class: "schema" });
    if (depth > MAX_DEPTH) return list;
    let fields = s.properties;
    let holder = s;
    if (!fields && s.type === "array") {
      holder = resolve(s.items || {});
      fields = holder.properties;
    }
    if (!fields) {
      const extra = holder.additionalProperties;
      if (extra && typeof extra === "object") {
        list.append(el("li", {}, el("span", { class: "field" }, "{name}"), " ", el("span", { class: "type", text: typeLabel(extra) })));
      }
      return list;
    }
    const required = new Set(holder.required || []);
    for (const [name, fieldRaw] of Object.entries(fields)) {
      const f = resolve(fieldRaw);
      const item = el("li", {},
        el("code", { class: "field", text: name }), " ",
        el("span", { class: "type", text: typeLabel(f) }),
        required.has(name) ? el("span", { class: "required", text: " required" }) : null);
      const limits = constraints(f);
      if (limits) item.append(el("span", { class: "muted", text: " — " + limits }));
      if (f.description) item.append(prose(f.description));
      const inner = f.type === "array" ? resolve(f.items || {}) : f;
      if (inner.properties || (inner.additionalProperties && typeof inner.additionalProperties === "object" && inner.additionalProperties.properties)) {
        item.append(schemaTree(f, depth + 1));
      }
      list.append(item);
    }
    return list;
  }

  function body(content, label) {
    const wrap = el("div", { class: "body" });
    for (const [type, media] of Object.entries(content || {})) {
      const s = media.schema || {};
      wrap.append(el("p", { class: "muted" }, label, " ", el("code", { text: type }), ": ", typeLabel(s)));
      const tree = schemaTree(s, 0);
      if (tree.children.length) wrap.append(tree);
    }
    return wrap;
  }

  function parameters(params) {
    if (!params || !params.length) return null;
    const rows = params.map((raw) => {
      const p = resolve(raw);
      const s = resolve(p.schema || {});
      return el("tr", {},
        el("td", {}, el("code", { text: p.name })),
        el("td", { text: p.in }),
        el("td", { text: typeLabel(s) }),
        el("td", { text: p.required ? "yes" : "" }),
        el("td", {}, p.description ? prose(p.description) : null, constraints(s) ? el("span", { class: "muted", text: constraints(s) }) : null));
    });
    return el("table", { class: "params" },
      el("thead", {}, el("tr", {}, ["name", "in", "type", "required", "description"].map((h) => el("th", { text: h })))),
      el("tbody", {}, rows));
  }

  function responses(resps) {
    const list = el("div", { class: "responses" });
    for (const [code, r] of Object.entries(resps || {}).sort()) {
      const kind = code.startsWith("2") ? "ok" : code.startsWith("3") ? "info" : "err";
      const head = el("p", {}, el("span", { class: "status " + kind, text: code }), " ", r.description || "");
      list.append(el("div", { class: "response" }, head, r.content ? body(r.content, "") : null));
    }
    return list;
  }

  // curl is an example call of the operation with the token from the
  // environment.
  function curl(method, path, op) {
    const parts = ["curl -s"];
    if (method !== "get") parts.push("-X " + method.toUpperCase());
    const secured = !op.security || op.security.length !== 0;
    if (secured && !path.startsWith("/api/v1/webhooks")) parts.push("-H \"Authorization: Token $WUGSYNC_API_TOKEN\"");
    if (op.requestBody && (op.requestBody.content || {})["application/json"]) {
      parts.push("-H 'Content-Type: application/json' -d '{}'");
    }
    parts.push(location.origin + path);
    return parts.join(" ");
  }

  function operation(method, path, op) {
    const id = "op-" + (op.operationId || (method + path).replace(/[^A-Za-z0-9]+/g, "-"));
    const section = el("section", { class: "operation", id, "data-search": (method + " " + path + " " + (op.summary || "") + " " + (op.description || "")).toLowerCase() },
      el("h3", {}, el("span", { class: "method " + method, text: method.toUpperCase() }), " ", el("code", { class: "path", text: path })),
      op.summary ? el("p", { class: "summary", text: op.summary }) : null,
      op.description ? prose(op.description) : null,
      op.deprecated ? el("p", { class: "status err", text: "deprecated" }) : null);
    const params = parameters(op.parameters);
    if (params) section.append(el("h4", { text: "Parameters" }), params);
    if (op.requestBody) {
      section.append(el("h4", { text: "Request body" + (op.requestBody.required ? " (required)" : "") }), body(op.requestBody.content, ""));
    }
    section.append(el("h4", { text: "Responses" }), responses(op.responses));
    section.append(el("details", {}, el("summary", { text: "Example" }), el("pre", {}, el("code", { text: curl(method, path, op) }))));
    return section;
  }

  function render() {
    document.title = (doc.info && doc.info.title ? doc.info.title : "API") + " reference";
    document.getElementById("title").textContent = document.title;
    const intro = document.getElementById("intro");
    intro.append(el("p", { class: "muted", text: "OpenAPI " + doc.openapi + ", version " + ((doc.info || {}).version || "?") }));
    if (doc.info && doc.info.description) intro.append(prose(doc.info.description));
    const schemes = (doc.components || {}).securitySchemes || {};
    if (Object.keys(schemes).length) {
      intro.append(el("h2", { text: "Authentication" }), el("ul", {}, Object.entries(schemes).map(([name, s]) =>
        el("li", {}, el("code", { text: name }), ": ", s.type + (s.in ? " in " + s.in : "") + (s.name ? " " + s.name : ""), " — ", prose(s.description || "")))));
    }
    intro.hidden = false;

    // Operations grouped by their first tag, in the document's path order.
    const groups = new Map();
    for (const [path, item] of Object.entries(doc.paths || {})) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const tag = (op.tags && op.tags[0]) || "other";
        if (!groups.has(tag)) groups.set(tag, []);
        groups.get(tag).push([method, path, op]);
      }
    }
    const main = document.getElementById("operations");
    const toc = document.getElementById("toc");
    for (const [tag, ops] of groups) {
      const links = ops.map(([method, path, op]) => {
        const section = operation(method, path, op);
        main.append(section);
        return el("li", { "data-for": section.id }, el("a", { href: "#" + section.id },
          el("span", { class: "method " + method, text: method.toUpperCase() }), " ", path));
      });
      main.insertBefore(el("h2", { class: "tag", id: "tag-" + tag, text: tag }), main.querySelector("#" + CSS.escape(links[0].dataset.for)));
      toc.append(el("h2", { text: tag }), el("ul", {}, links));
    }
    const count = main.querySelectorAll(".operation").length;
    document.getElementById("status").textContent = count + " operations";
  }

  function filter(term) {
    term = term.trim().toLowerCase();
    for (const section of document.querySelectorAll(".operation")) {
      const show = !term || section.dataset.search.includes(term);
      section.hidden = !show;
      const link = document.querySelector('#toc li[data-for="' + section.id + '"]');
      if (link) link.hidden = !show;
    }
  }

  async function load() {
    const status = document.getElementById("status");
    try {
      const res = await fetch("../openapi.json", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (res.status === 401 || res.status === 403) {
        location.assign("/login?next=" + encodeURIComponent(location.pathname));
        return;
      }
      if (!res.ok) throw new Error("HTTP " + res.status);
      doc = await res.json();
    } catch (err) {
      status.textContent = "Could not load the API document (openapi.json): " + err.message;
      status.setAttribute("role", "alert");
      status.className = "alert";
      return;
    }
    render();
    document.getElementById("filter").addEventListener("input", (e) => filter(e.target.value));
    if (location.hash) {
      const target = document.getElementById(location.hash.slice(1));
      if (target) target.scrollIntoView();
    }
  }

  document.addEventListener("DOMContentLoaded", load);
})();
