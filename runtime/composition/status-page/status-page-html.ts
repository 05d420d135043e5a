/**
 * The status page: one HTML document with its style and script inline (no build step, no
 * framework). The script follows `events` (server-sent events, one JSON StatusSnapshot per
 * message, status-snapshot.ts) and redraws regions → groups → replicas. Every value is set
 * as text (`textContent`), never as markup, so nothing a replica reports can inject any.
 *
 * Hooks for tests and scripts: each replica is `[data-replica]` with `data-role` (leader,
 * follower, candidate, pre-candidate, unreachable) and `data-group`/`data-region`; each
 * group is `[data-group]` with `data-leader`; `#connection` says `live` or `reconnecting`.
 */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>raftns status</title>
<style>
  :root { color-scheme: light dark; --leader: #1a7f37; --bad: #cf222e; --muted: #6e7781; --line: #d0d7de; }
  * { box-sizing: border-box; }
  body { margin: 0; padding: 12px; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; overflow-wrap: anywhere; }
  header { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: baseline; margin-bottom: 8px; }
  h1 { font-size: 18px; margin: 0; }
  #connection { font-size: 12px; padding: 1px 8px; border-radius: 10px; background: var(--bad); color: #fff; }
  #connection[data-state="live"] { background: var(--leader); }
  #problem { color: var(--bad); margin: 4px 0; }
  #problem:empty, #note:empty { display: none; }
  #note { color: var(--muted); margin: 4px 0; }
  section.region { border: 1px solid var(--line); border-radius: 8px; padding: 8px; margin: 8px 0; }
  section.region > h2 { font-size: 16px; margin: 0 0 6px; }
  section.group { border-left: 3px solid var(--line); padding: 0 0 0 8px; margin: 6px 0 10px; }
  section.group[data-leader=""] { border-left-color: var(--bad); }
  section.group > h3 { font-size: 14px; margin: 0 0 6px; font-weight: 600; }
  .zone, .muted { color: var(--muted); font-weight: normal; }
  ul.replicas { list-style: none; margin: 0; padding: 0; display: grid; gap: 6px;
    grid-template-columns: repeat(auto-fill, minmax(min(100%, 140px), 1fr)); }
  li.replica { border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; min-width: 0; }
  li.replica[data-role="leader"] { border: 2px solid var(--leader); }
  li.replica[data-role="unreachable"] { border-color: var(--bad); opacity: 0.75; }
  .name { font-weight: 600; }
  .badge { font-size: 11px; padding: 0 6px; border-radius: 8px; margin-left: 4px; background: var(--line); color: #000; }
  li.replica[data-role="leader"] .badge { background: var(--leader); color: #fff; }
  li.replica[data-role="unreachable"] .badge { background: var(--bad); color: #fff; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 0 8px; margin: 4px 0 0; font-size: 12px; }
  dt { color: var(--muted); }
  dd { margin: 0; font-variant-numeric: tabular-nums; min-width: 0; }
  @media (max-width: 480px) { body { padding: 8px; } section.region { padding: 6px; } }
</style>
</head>
<body>
<header>
  <h1>raftns <span id="cluster" class="muted"></span></h1>
  <span id="connection" data-state="connecting">connecting</span>
  <span id="source" class="muted"></span>
</header>
<p id="problem" role="alert"></p>
<p id="note"></p>
<main id="regions"></main>
<script>
"use strict";
(function () {
  var regionsEl = document.getElementById("regions");
  var connectionEl = document.getElementById("connection");
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function num(value, digits) {
    if (typeof value !== "number" || !isFinite(value)) return "\\u2013";
    return digits === undefined ? String(value) : value.toFixed(digits);
  }
  function field(dl, name, value) {
    dl.appendChild(el("dt", null, name));
    dl.appendChild(el("dd", null, value));
  }
  function replicaCard(region, group, r) {
    var role = r.reachable ? (r.role || "unknown") : "unreachable";
    var li = el("li", { "class": "replica", "data-replica": r.replica, "data-role": role,
      "data-group": group.group, "data-region": region.region });
    var title = el("div");
    title.appendChild(el("span", { "class": "name" }, r.replica));
    title.appendChild(el("span", { "class": "badge" }, role));
    li.appendChild(title);
    var dl = el("dl");
    if (r.reachable) {
      field(dl, "term", num(r.term));
      field(dl, "leader", r.leader || "none");
      field(dl, "commit", num(r.commitIndex));
      field(dl, "applied", num(r.appliedIndex));
      field(dl, "lag", num(r.lag));
      field(dl, "DNS q/s", num(r.qps, 1));
      field(dl, "write ms", num(r.writeLatencyMs, 1));
    } else {
      field(dl, "error", r.error || "no answer");
    }
    li.appendChild(dl);
    return li;
  }
  function draw(snapshot) {
    document.getElementById("cluster").textContent = snapshot.cluster || "";
    document.getElementById("source").textContent = "seen by " + (snapshot.source || "?");
    document.getElementById("problem").textContent = snapshot.error || "";
    document.getElementById("note").textContent = snapshot.note || "";
    var fragment = document.createDocumentFragment();
    (snapshot.regions || []).forEach(function (region) {
      var rs = el("section", { "class": "region", "data-region": region.region });
      rs.appendChild(el("h2", null, "region " + region.region));
      (region.groups || []).forEach(function (group) {
        var gs = el("section", { "class": "group", "data-group": group.group, "data-leader": group.leader || "" });
        var h = el("h3", null, "group " + group.group + " ");
        if (group.zone) h.appendChild(el("span", { "class": "zone" }, group.zone));
        h.appendChild(el("span", { "class": "muted" }, group.leader ? " \\u2014 leader " + group.leader : " \\u2014 no leader"));
        gs.appendChild(h);
        var ul = el("ul", { "class": "replicas" });
        if ((group.replicas || []).length === 0) ul.appendChild(el("li", { "class": "muted" }, "no replicas claimed"));
        (group.replicas || []).forEach(function (r) { ul.appendChild(replicaCard(region, group, r)); });
        gs.appendChild(ul);
        rs.appendChild(gs);
      });
      fragment.appendChild(rs);
    });
    regionsEl.replaceChildren(fragment);
  }
  function setConnection(state) {
    connectionEl.setAttribute("data-state", state);
    connectionEl.textContent = state;
  }
  var source = new EventSource("events");
  source.onopen = function () { setConnection("live"); };
  source.onerror = function () { setConnection("reconnecting"); };
  source.onmessage = function (event) {
    try { draw(JSON.parse(event.data)); setConnection("live"); }
    catch (error) { document.getElementById("problem").textContent = "bad status message: " + error; }
  };
})();
</script>
</body>
</html>
`;
