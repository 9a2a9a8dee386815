// The dashboard: reads the node's API and draws it. Everything the network
// sent (SIP messages, URIs) is put on the page as text, never as markup.
"use strict";

const token = new URLSearchParams(location.hash.slice(1)).get("token");
const svgNs = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

async function api(path) {
  const headers = token ? { Authorization: "Bearer " + token } : {};
  const answer = await fetch(path, { headers, cache: "no-store" });
  if (!answer.ok) throw new Error(path + ": " + answer.status);
  return path.startsWith("/metrics") ? answer.text() : answer.json();
}

function svg(name, attributes, parent) {
  const e = document.createElementNS(svgNs, name);
  for (const [k, v] of Object.entries(attributes || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function row(tbody, cells) {
  const tr = document.createElement("tr");
  for (const c of cells) {
    const td = document.createElement("td");
    if (c instanceof Node) td.appendChild(c); else td.textContent = c;
    tr.appendChild(td);
  }
  tbody.appendChild(tr);
}

function showError(e) {
  $("error").hidden = !e;
  $("error").textContent = e ? String(e.message || e) : "";
}

// ------------------------------------------------------------------ ring
// A node sits at the angle of its id's first 32 bits; a key likewise. The
// nodes that store a key are the closest by XOR distance (Kademlia's, which
// OpenDHT uses), up to 8: what a put reaches.
const state = { self: null, nodes: [], key: null, ladder: [], lastSeq: 0, samples: [] };

function angleOf(hex) {
  return (parseInt(hex.slice(0, 8), 16) / 2 ** 32) * 2 * Math.PI - Math.PI / 2;
}

function xorDistance(a, b) {
  let out = "";
  for (let i = 0; i < 40; i += 8)
    out += ((parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16)) >>> 0)
      .toString(16).padStart(8, "0");
  return out;
}

function drawRing() {
  const ring = $("ring");
  ring.replaceChildren();
  svg("circle", { class: "ring-circle", r: 110 }, ring);
  const all = state.self ? [state.self, ...state.nodes.filter((n) => n !== state.self)] : state.nodes;
  let storers = new Set();
  if (state.key) {
    const by = [...all].sort((a, b) => (xorDistance(a, state.key) < xorDistance(b, state.key) ? -1 : 1));
    storers = new Set(by.slice(0, 8));
    const a = angleOf(state.key);
    svg("path", { class: "ring-key", d: `M ${125 * Math.cos(a)} ${125 * Math.sin(a)} l -5 -9 l 10 0 z`,
                  transform: `rotate(${(a * 180) / Math.PI + 90} ${125 * Math.cos(a)} ${125 * Math.sin(a)})` }, ring);
  }
  for (const id of all) {
    const a = angleOf(id);
    const classes = ["ring-node"];
    if (id === state.self) classes.push("self");
    if (storers.has(id)) classes.push("storer");
    const c = svg("circle", { class: classes.join(" "), r: id === state.self ? 7 : 5,
                              cx: 110 * Math.cos(a), cy: 110 * Math.sin(a), "data-id": id }, ring);
    svg("title", {}, c).textContent = id + (id === state.self ? " (this node)" : "");
    const label = svg("text", { class: "ring-label", x: 138 * Math.cos(a) - 12, y: 138 * Math.sin(a) + 3 }, ring);
    label.textContent = id.slice(0, 6);
  }
  $("ring-note").textContent = `${all.length} nodes` +
    (state.key ? `; key ${state.key.slice(0, 10)}…, its ${storers.size} closest nodes outlined` : "");
}

async function refreshNodes() {
  const [status, nodes] = await Promise.all([api("/status"), api("/nodes").catch(() => ({ nodes: [] }))]);
  $("overlay").textContent = status.overlay_id;
  $("identity").textContent = `node ${status.overlay ? status.overlay.node_id.slice(0, 12) + "…" : "(not a peer)"}` +
    ` · ${status.roles.join(", ")} · up ${status.uptime_s} s · SIP ${status.sip.join(" ")}`;
  state.self = status.overlay ? status.overlay.node_id : null;
  state.nodes = nodes.nodes.map((n) => n.id);
  drawRing();
  drawServices(status);
}

$("key-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const aor = $("aor").value.trim();
  if (!aor) return;
  try {
    state.key = (await api("/key?aor=" + encodeURIComponent(aor))).key;
    drawRing();
  } catch (e) { showError(e); }
});

// -------------------------------------------------------------- services
function drawServices(status) {
  const body = $("services").querySelector("tbody");
  body.replaceChildren();
  const ok = (yes, text) => {
    const s = document.createElement("span");
    s.className = yes ? "ok" : "bad";
    s.textContent = text;
    return s;
  };
  if (status.overlay)
    row(body, ["overlay", ok(status.overlay.good_nodes > 0,
      `${status.overlay.good_nodes} good / ${status.overlay.known_nodes} known nodes`)]);
  if (status.proxy_peers) row(body, ["proxy peers", `${status.proxy_peers.known} listed`]);
  if (status.proxy_peer)
    row(body, ["this proxy peer", ok(status.proxy_peer.offering,
      (status.proxy_peer.offering ? "offered" : "not offered") +
      (status.proxy_peer.dns ? (status.proxy_peer.dns.in_zone ? ", in DNS" : ", not in DNS") : ""))]);
  if (status.relays) row(body, ["relays", `${status.relays.known} listed`]);
  for (const s of (status.relay && status.relay.servers) || [])
    row(body, [s.uri, ok(s.healthy, s.healthy ? `up, ${s.rtt_ms} ms` : `down: ${s.last_failure}`)]);
}

// -------------------------------------------------------------- bindings
async function refreshBindings() {
  const body = $("bindings").querySelector("tbody");
  const answer = await api("/bindings").catch(() => ({ bindings: [] }));
  body.replaceChildren();
  for (const b of answer.bindings) row(body, [b.aor, b.contact, b.expires_in + " s"]);
}

// ---------------------------------------------------------------- ladder
// One column per party: this node in the middle of those it talks to.
function firstLine(m) { return m.message.split("\r\n", 1)[0]; }
function labelOf(m) {
  const line = firstLine(m);
  return line.startsWith("SIP/2.0 ") ? line.slice(8) : line.split(" ", 1)[0];
}

async function refreshLadder() {
  const answer = await api("/ladder?since=" + state.lastSeq);
  if (answer.messages.length === 0) return;
  state.lastSeq = answer.last;
  state.ladder.push(...answer.messages);
  state.ladder = state.ladder.slice(-500);
  const calls = [];
  for (const m of state.ladder)
    if (m.call_id && !calls.includes(m.call_id)) calls.push(m.call_id);
  const select = $("calls");
  const chosen = select.value;
  const follow = !chosen || chosen === select.options[0]?.value;
  select.replaceChildren();
  for (const id of calls.reverse()) {
    const first = state.ladder.find((m) => m.call_id === id);
    const o = document.createElement("option");
    o.value = id;
    o.textContent = `${labelOf(first)} · ${id.slice(0, 24)}`;
    select.appendChild(o);
  }
  select.value = follow ? calls[0] : chosen;
  drawLadder();
}
$("calls").addEventListener("change", drawLadder);

function drawLadder() {
  const id = $("calls").value;
  const messages = state.ladder.filter((m) => m.call_id === id);
  const ladder = $("ladder");
  ladder.replaceChildren();
  if (messages.length === 0) return;
  const self = "this node";
  // A party is an address: the connection ("#flow") a message used is not.
  const party = (m) => m.remote.replace(/#\d+$/, "");
  const parties = [];
  for (const m of messages) if (!parties.includes(party(m))) parties.push(party(m));
  parties.splice(Math.min(1, parties.length), 0, self);
  const width = Math.max(480, ladder.clientWidth || 800);
  const step = width / parties.length;
  const x = (p) => step * (parties.indexOf(p) + 0.5);
  const height = 50 + messages.length * 28;
  ladder.setAttribute("viewBox", `0 0 ${width} ${height}`);
  ladder.setAttribute("height", height);
  const defs = svg("defs", {}, ladder);
  const head = svg("marker", { id: "head", markerWidth: 8, markerHeight: 8, refX: 7, refY: 4, orient: "auto" }, defs);
  svg("path", { d: "M0,0 L8,4 L0,8 z", fill: "#4fb3ff" }, head);
  for (const p of parties) {
    svg("line", { class: "lane", x1: x(p), x2: x(p), y1: 28, y2: height }, ladder);
    const t = svg("text", { class: "party" + (p === self ? " self" : ""), x: x(p), y: 16 }, ladder);
    t.textContent = p;
  }
  const t0 = messages[0].at_ms;
  messages.forEach((m, i) => {
    const y = 48 + i * 28;
    const from = m.way === "in" ? party(m) : self;
    const to = m.way === "in" ? self : party(m);
    const label = labelOf(m);
    const g = svg("g", { class: "arrow" + (firstLine(m).startsWith("SIP/") ? " response" : ""),
                         "data-label": label.split(" ")[0], "data-seq": m.seq }, ladder);
    // The whole row of the arrow takes the click, not only its thin line.
    svg("rect", { x: Math.min(x(from), x(to)), y: y - 18, width: Math.abs(x(to) - x(from)),
                  height: 24, fill: "transparent" }, g);
    svg("line", { x1: x(from), x2: x(to), y1: y, y2: y }, g);
    svg("text", { x: (x(from) + x(to)) / 2, y: y - 5 }, g).textContent = label;
    svg("text", { class: "time", x: 4, y: y + 3 }, g).textContent = `+${m.at_ms - t0} ms`;
    g.addEventListener("click", () => {
      $("message").textContent = `${m.way === "in" ? "received from" : "sent to"} ${m.remote}` +
        ` on ${m.local}, ${new Date(m.at_ms).toISOString()}${m.cut ? " (cut)" : ""}\n\n${m.message}`;
    });
  });
}

// ----------------------------------------------------------------- rates
// /metrics every 2 s; each chart shows the last 5 minutes of differences.
function metricSum(text, name, match) {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (line[name.length] !== " " && line[name.length] !== "{")) continue;
    if (match && !line.includes(match)) continue;
    sum += parseFloat(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

function drawChart(canvas, values, now) {
  const c = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  c.clearRect(0, 0, w, h);
  const most = Math.max(1, ...values);
  c.strokeStyle = "#4fb3ff";
  c.lineWidth = 1.5;
  c.beginPath();
  // The newest at the right edge; 150 samples (5 minutes) across.
  values.forEach((v, i) => {
    const px = w - ((values.length - 1 - i) / (150 - 1)) * w, py = h - 4 - (v / most) * (h - 8);
    if (i === 0) c.moveTo(px, py); else c.lineTo(px, py);
  });
  c.stroke();
  now.textContent = values.length ? values[values.length - 1].toFixed(1) : "";
}

async function refreshRates() {
  const text = await api("/metrics");
  const sample = {
    at: Date.now(),
    requests: metricSum(text, "p2psip_sip_requests_received_total"),
    calls: metricSum(text, "p2psip_calls_answered_total"),
    lookupSum: metricSum(text, "p2psip_dht_lookup_seconds_sum"),
    lookupCount: metricSum(text, "p2psip_dht_lookup_seconds_count"),
  };
  state.samples.push(sample);
  state.samples = state.samples.slice(-151);
  const rates = { requests: [], calls: [], lookup: [] };
  for (let i = 1; i < state.samples.length; i++) {
    const a = state.samples[i - 1], b = state.samples[i];
    const dt = (b.at - a.at) / 1000;
    rates.requests.push((b.requests - a.requests) / dt);
    rates.calls.push((b.calls - a.calls) / dt);
    const n = b.lookupCount - a.lookupCount;
    rates.lookup.push(n > 0 ? ((b.lookupSum - a.lookupSum) / n) * 1000 : 0);
  }
  drawChart($("chart-requests"), rates.requests, $("now-requests"));
  drawChart($("chart-calls"), rates.calls, $("now-calls"));
  drawChart($("chart-lookup"), rates.lookup, $("now-lookup"));
}

// ------------------------------------------------------------------ loop
function every(ms, work) {
  const run = async () => {
    try { await work(); showError(null); } catch (e) { showError(e); }
    setTimeout(run, ms);
  };
  run();
}
every(5000, refreshNodes);
every(5000, refreshBindings);
every(1000, refreshLadder);
every(2000, refreshRates);
