// autocoder review page: plain JS, no build step. Talks only to the /v1 API with the key from sessionStorage.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = {
  key: sessionStorage.getItem("autocoder.key") || "",
  reviewer: sessionStorage.getItem("autocoder.reviewer") || "",
  status: "needs_review", limit: 25, offset: 0, total: 0,
  items: [], row: 0,
  episode: null,          // GET /v1/episodes/{id}
  codes: { icd10: [], opcs4: [] },   // [{code, display, title, score, suggested, decision, evidence, warnings}]
  selected: null,         // {system, index}
  hits: [],
};

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

async function api(method, path, body) {
  const headers = { "X-API-Key": state.key };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (!r.ok) {
    let msg = `HTTP ${r.status}`;
    if (data && data.message) msg = data.message;
    else if (data && typeof data.detail === "string") msg = data.detail;
    else if (data && Array.isArray(data.detail)) msg = data.detail.map((d) => `${d.field || (d.loc || []).join(".")}: ${d.msg}`).join("\n");
    if (r.status === 401) { logout(); msg = "Your API key was not accepted: " + msg; }
    const err = new Error(msg); err.status = r.status; throw err;
  }
  return data;
}

function show(view) {
  for (const v of ["login-view", "worklist-view", "episode-view"]) $("#" + v).hidden = v !== view;
  $("#logout").hidden = view === "login-view";
  $("#who").textContent = view === "login-view" ? "" : `reviewer: ${state.reviewer}`;
}

function setStatus(msg, kind = "") {
  const s = $("#status"); s.textContent = msg; s.className = kind;
}

// ------------------------------------------------------------------------------------ login
function logout() {
  sessionStorage.removeItem("autocoder.key");
  state.key = "";
  show("login-view");
}

$("#login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  state.key = $("#api-key").value.trim();
  state.reviewer = $("#reviewer").value.trim();
  sessionStorage.setItem("autocoder.key", state.key);
  sessionStorage.setItem("autocoder.reviewer", state.reviewer);
  await openWorklist();
});
$("#logout").addEventListener("click", logout);

// ------------------------------------------------------------------------------------ worklist
async function openWorklist() {
  show("worklist-view");
  try {
    const q = new URLSearchParams({ status: state.status, limit: state.limit, offset: state.offset });
    const data = await api("GET", `/v1/episodes?${q}`);
    state.items = data.items; state.total = data.total;
    state.row = Math.min(state.row, Math.max(0, state.items.length - 1));
    renderWorklist();
  } catch (e) {
    if (e.status !== 401) alert(e.message);
  }
}

function renderWorklist() {
  const tb = $("#worklist tbody");
  tb.replaceChildren();
  state.items.forEach((it, i) => {
    const tr = el("tr", { tabindex: "0", "data-id": it.id, onclick: () => openEpisode(it.id),
                          onkeydown: (ev) => { if (ev.key === "Enter") { ev.preventDefault(); openEpisode(it.id); } } },
      el("td", { text: it.id }), el("td", { text: it.status }), el("td", { text: it.confidence.toFixed(2) }),
      el("td", { text: it.primary_diagnosis || "-" }), el("td", { text: `${it.n_diagnoses} dx, ${it.n_procedures} proc` }),
      el("td", { text: String(it.n_warnings) }), el("td", { text: it.model_version }));
    if (i === state.row) tr.classList.add("selected");
    tb.append(tr);
  });
  if (!state.items.length) tb.append(el("tr", {}, el("td", { colspan: "7", text: "Nothing to review." })));
  const end = Math.min(state.offset + state.items.length, state.total);
  $("#page-info").textContent = `${state.total ? state.offset + 1 : 0}-${end} of ${state.total}`;
  $("#prev-page").disabled = state.offset === 0;
  $("#next-page").disabled = end >= state.total;
}

function moveRow(delta) {
  if (!state.items.length) return;
  state.row = Math.max(0, Math.min(state.items.length - 1, state.row + delta));
  renderWorklist();
  const tr = $(`#worklist tbody tr:nth-child(${state.row + 1})`);
  if (tr) tr.focus();
}

$("#status-filter").addEventListener("change", (e) => { state.status = e.target.value; state.offset = 0; openWorklist(); });
$("#prev-page").addEventListener("click", () => { state.offset = Math.max(0, state.offset - state.limit); openWorklist(); });
$("#next-page").addEventListener("click", () => { state.offset += state.limit; openWorklist(); });
$("#refresh").addEventListener("click", openWorklist);

// ------------------------------------------------------------------------------------ episode
async function openEpisode(id) {
  try {
    const ep = await api("GET", `/v1/episodes/${encodeURIComponent(id)}`);
    state.episode = ep;
    const res = ep.result;
    // a result-level rule warning is shown on every code it names, as well as above the lists
    const named = (code) => (res.warnings || []).filter((w) => (w.codes || []).includes(code));
    const mk = (s, system) => ({ code: s.code, display: s.display || s.code, title: s.title || "", score: s.score,
      suggested: true, decision: null, evidence: s.evidence || [], warnings: [...(s.warnings || []), ...named(s.code)],
      system });
    state.codes = { icd10: (res.diagnoses || []).map((s) => mk(s, "icd10")),
                    opcs4: (res.procedures || []).map((s) => mk(s, "opcs4")) };
    state.selected = state.codes.icd10.length ? { system: "icd10", index: 0 }
      : (state.codes.opcs4.length ? { system: "opcs4", index: 0 } : null);
    $("#comment").value = "";
    $("#code-search").value = ""; state.hits = []; renderHits();
    setStatus("");
    show("episode-view");
    $("#episode-title").textContent = `Episode ${ep.id}`;
    const e = ep.episode;
    $("#episode-meta").textContent = [e.sex && `sex ${e.sex}`, e.age != null && `age ${e.age}`, e.specialty,
      e.admission_method, `confidence ${res.confidence.toFixed(2)}`, res.needs_review ? "needs review" : "auto-coded",
      `model ${ep.model_version}`].filter(Boolean).join(" · ");
    const rw = $("#result-warnings"); rw.replaceChildren();
    for (const w of res.warnings || []) rw.append(el("div", { class: "warning", text: `${w.rule}: ${w.message}` }));
    const hist = $("#history ul"); hist.replaceChildren();
    for (const h of ep.reviews) {
      hist.append(el("li", { text: `${h.received_at} ${h.reviewer}: dx ${h.record.final_diagnoses.join(", ") || "none"}; proc ${h.record.final_procedures.join(", ") || "none"}` }));
    }
    renderCodes();
    $("#letter").focus();
  } catch (e) {
    alert(e.message);
  }
}

function renderLetter() {
  const text = state.episode.episode.text;
  const sel = state.selected ? state.codes[state.selected.system][state.selected.index] : null;
  // boundaries of every evidence span; each piece knows which codes cover it
  const spans = [];
  for (const sys of ["icd10", "opcs4"]) {
    for (const c of state.codes[sys]) {
      for (const ev of c.evidence) {
        if (ev.start >= 0 && ev.end <= text.length && ev.end > ev.start) spans.push({ start: ev.start, end: ev.end, code: c.code, sys });
      }
    }
  }
  const cuts = new Set([0, text.length]);
  for (const s of spans) { cuts.add(s.start); cuts.add(s.end); }
  const pts = [...cuts].sort((a, b) => a - b);
  const letter = $("#letter");
  letter.replaceChildren();
  for (let i = 0; i + 1 < pts.length; i++) {
    const a = pts[i], b = pts[i + 1];
    const piece = text.slice(a, b);
    const covering = spans.filter((s) => s.start <= a && s.end >= b);
    if (!covering.length) { letter.append(document.createTextNode(piece)); continue; }
    const codes = [...new Set(covering.map((s) => s.code))];
    const m = el("mark", { "data-codes": codes.join(" "), title: codes.join(", ") }, piece);
    if (sel && covering.some((s) => s.code === sel.code && s.sys === sel.system)) m.classList.add("active");
    letter.append(m);
  }
  const active = letter.querySelector("mark.active");
  if (active) active.scrollIntoView({ block: "nearest" });
}

function codeItem(c, system, index) {
  const list = state.codes[system];
  const primaryIndex = list.findIndex((x) => x.decision !== "rejected");
  const li = el("li", { tabindex: "0", "data-code": c.code, "data-system": system,
                        onclick: () => select(system, index), onfocus: () => { if (!isSelected(system, index)) markSelection(system, index); } });
  if (c.decision) li.classList.add(c.decision);
  if (isSelected(system, index)) li.classList.add("selected");
  const head = el("div", {}, el("span", { class: "code", text: c.display }), " ", c.title);
  if (index === primaryIndex) head.append(el("span", { class: "badge primary", text: "primary" }));
  if (c.score != null) head.append(el("span", { class: "badge", text: `score ${c.score.toFixed(2)}` }));
  head.append(el("span", { class: "badge", text: c.suggested ? "suggested" : "added" }));
  if (c.decision && c.suggested) head.append(el("span", { class: "badge", text: c.decision }));
  li.append(head);
  for (const w of c.warnings) li.append(el("div", { class: "warning", text: `${w.rule}: ${w.message}` }));
  const acts = el("div", { class: "actions" });
  if (c.suggested) {
    acts.append(el("button", { type: "button", class: "accept", "aria-label": `accept ${c.code}`, text: "Accept (a)",
                               onclick: (ev) => { ev.stopPropagation(); decide(system, index, "accepted"); } }));
    acts.append(el("button", { type: "button", class: "reject", "aria-label": `reject ${c.code}`, text: "Reject (r)",
                               onclick: (ev) => { ev.stopPropagation(); decide(system, index, "rejected"); } }));
  } else {
    acts.append(el("button", { type: "button", class: "remove", "aria-label": `remove ${c.code}`, text: "Remove",
                               onclick: (ev) => { ev.stopPropagation(); list.splice(index, 1); state.selected = null; renderCodes(); } }));
  }
  acts.append(el("button", { type: "button", class: "up", "aria-label": `move ${c.code} up`, text: "Up ([)",
                             onclick: (ev) => { ev.stopPropagation(); move(system, index, -1); } }));
  acts.append(el("button", { type: "button", class: "down", "aria-label": `move ${c.code} down`, text: "Down (])",
                             onclick: (ev) => { ev.stopPropagation(); move(system, index, 1); } }));
  li.append(acts);
  return li;
}

function isSelected(system, index) {
  return !!state.selected && state.selected.system === system && state.selected.index === index;
}

function renderCodes() {
  for (const [system, id] of [["icd10", "#dx-list"], ["opcs4", "#proc-list"]]) {
    const ol = $(id);
    ol.replaceChildren(...state.codes[system].map((c, i) => codeItem(c, system, i)));
    if (!state.codes[system].length) ol.append(el("li", { class: "empty", text: "none" }));
  }
  renderLetter();
}

function focusSelected() {
  if (!state.selected) return;
  const li = document.querySelector(`li[data-system="${state.selected.system}"][data-code="${CSS.escape(state.codes[state.selected.system][state.selected.index].code)}"]`);
  if (li) li.focus();
}

function markSelection(system, index) {
  // focus moved by Tab: update the highlight without rebuilding the focused element
  state.selected = { system, index };
  document.querySelectorAll("ol.codes li.selected").forEach((li) => li.classList.remove("selected"));
  const lis = document.querySelectorAll(`ol.codes li[data-system="${system}"]`);
  if (lis[index]) lis[index].classList.add("selected");
  renderLetter();
}

function select(system, index, focus = true) {
  state.selected = { system, index };
  renderCodes();
  if (focus) focusSelected();
}

function flat() {
  return [...state.codes.icd10.map((_, i) => ({ system: "icd10", index: i })),
          ...state.codes.opcs4.map((_, i) => ({ system: "opcs4", index: i }))];
}

function moveSelection(delta) {
  const all = flat();
  if (!all.length) return;
  let pos = all.findIndex((p) => state.selected && p.system === state.selected.system && p.index === state.selected.index);
  pos = pos < 0 ? 0 : Math.max(0, Math.min(all.length - 1, pos + delta));
  select(all[pos].system, all[pos].index);
}

function decide(system, index, decision) {
  const c = state.codes[system][index];
  if (!c || !c.suggested) return;
  c.decision = c.decision === decision ? null : decision;
  state.selected = { system, index };
  renderCodes();
  focusSelected();
}

function move(system, index, delta) {
  const list = state.codes[system];
  const j = index + delta;
  if (j < 0 || j >= list.length) return;
  [list[index], list[j]] = [list[j], list[index]];
  state.selected = { system, index: j };
  renderCodes();
  focusSelected();
}

// ------------------------------------------------------------------------------------ search
let searchTimer = null;
async function runSearch() {
  const q = $("#code-search").value.trim();
  if (!q) { state.hits = []; renderHits(); return; }
  const params = new URLSearchParams({ q, limit: "10" });
  const sys = $("#search-system").value;
  if (sys) params.set("system", sys);
  try {
    const data = await api("GET", `/v1/codes/search?${params}`);
    if ($("#code-search").value.trim() !== q) return;   // a newer query is on its way
    state.hits = data.hits;
    renderHits();
  } catch (e) { setStatus(e.message, "error"); }
}

function renderHits() {
  const ul = $("#search-results");
  ul.replaceChildren(...state.hits.map((h) => el("li", {}, el("button", {
    type: "button", class: "add-hit", "data-code": h.code,
    onclick: () => addCode(h), text: `${h.system === "icd10" ? "ICD-10" : "OPCS-4"} ${h.display} ${h.title}` }))));
}

function addCode(h) {
  const list = state.codes[h.system];
  const existing = list.findIndex((c) => c.code === h.code);
  if (existing >= 0) {
    const c = list[existing];
    if (c.suggested) c.decision = "accepted";
    select(h.system, existing);
    setStatus(`${h.code} was already in the list`, "");
    return;
  }
  list.push({ code: h.code, display: h.display, title: h.title, score: null, suggested: false, decision: "added",
              evidence: [], warnings: [], system: h.system });
  $("#code-search").value = ""; state.hits = []; renderHits();
  select(h.system, list.length - 1);
  setStatus(`added ${h.code}`, "ok");
}

$("#code-search").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(runSearch, 200); });
$("#search-system").addEventListener("change", runSearch);
$("#code-search").addEventListener("keydown", async (ev) => {
  if (ev.key === "Enter") {
    ev.preventDefault(); ev.stopPropagation();
    clearTimeout(searchTimer); await runSearch();
    if (state.hits.length) addCode(state.hits[0]);
  } else if (ev.key === "Escape") {
    ev.stopPropagation(); $("#code-search").blur(); focusSelected();
  } else if (ev.key === "ArrowDown") {
    const b = $("#search-results button"); if (b) { ev.preventDefault(); b.focus(); }
  }
});

// ------------------------------------------------------------------------------------ submit
function buildReview() {
  const decisions = [];
  const finals = { icd10: [], opcs4: [] };
  for (const sys of ["icd10", "opcs4"]) {
    for (const c of state.codes[sys]) {
      const d = c.suggested ? (c.decision || "accepted") : "added";
      decisions.push({ code: c.code, decision: d });
      if (d !== "rejected") finals[sys].push(c.code);
    }
  }
  return { episode_id: state.episode.id, reviewer: state.reviewer, model_version: state.episode.model_version,
           decided_at: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"), decisions,
           final_diagnoses: finals.icd10, final_procedures: finals.opcs4, comment: $("#comment").value };
}

async function submitReview() {
  const btn = $("#submit-review");
  btn.disabled = true;
  setStatus("submitting...");
  try {
    const r = await api("POST", `/v1/episodes/${encodeURIComponent(state.episode.id)}/reviews`, buildReview());
    setStatus(`review #${r.review_id} saved`, "ok");
    state.offset = 0;
    await openWorklist();
    $("#worklist-title").textContent = `Worklist (review #${r.review_id} of ${r.episode_id} saved)`;
    const tr = $("#worklist tbody tr"); if (tr) tr.focus();
  } catch (e) {
    setStatus(e.message, "error");
  } finally {
    btn.disabled = false;
  }
}
$("#submit-review").addEventListener("click", submitReview);
$("#back").addEventListener("click", openWorklist);

// ------------------------------------------------------------------------------------ keyboard
document.addEventListener("keydown", (ev) => {
  const t = ev.target;
  const typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
  if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (!$("#worklist-view").hidden) {
    if (ev.key === "j" || ev.key === "ArrowDown") { ev.preventDefault(); moveRow(1); }
    else if (ev.key === "k" || ev.key === "ArrowUp") { ev.preventDefault(); moveRow(-1); }
    else if (ev.key === "Enter" && state.items[state.row] && !(t && t.tagName === "TR") && !(t && t.tagName === "BUTTON")) {
      ev.preventDefault(); openEpisode(state.items[state.row].id);
    }
    return;
  }
  if ($("#episode-view").hidden) return;
  const sel = state.selected;
  if (ev.key === "j" || ev.key === "ArrowDown") { ev.preventDefault(); moveSelection(1); }
  else if (ev.key === "k" || ev.key === "ArrowUp") { ev.preventDefault(); moveSelection(-1); }
  else if (ev.key === "a" && sel) { ev.preventDefault(); decide(sel.system, sel.index, "accepted"); }
  else if (ev.key === "r" && sel) { ev.preventDefault(); decide(sel.system, sel.index, "rejected"); }
  else if (ev.key === "[" && sel) { ev.preventDefault(); move(sel.system, sel.index, -1); }
  else if (ev.key === "]" && sel) { ev.preventDefault(); move(sel.system, sel.index, 1); }
  else if (ev.key === "/") { ev.preventDefault(); $("#code-search").focus(); }
  else if (ev.key === "Escape") { ev.preventDefault(); openWorklist(); }
  else if (ev.key === "Enter" && !(t && t.tagName === "BUTTON")) { ev.preventDefault(); submitReview(); }
});

// ------------------------------------------------------------------------------------ start
if (state.key) { $("#reviewer").value = state.reviewer; openWorklist(); } else { show("login-view"); }
