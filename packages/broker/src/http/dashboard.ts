// The dashboard served at "/": one self-contained page (no external assets) that takes live stats
// from /ws once a second and the topic and group tables from /api/* every few seconds.

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>RocketMQ broker</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2330; background: #f4f6fa; }
  body { margin: 0; padding: 16px 24px; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  #sub { color: #5b6475; font-size: 13px; margin-bottom: 16px; }
  #state { display: inline-block; padding: 1px 8px; border-radius: 9px; background: #c33; color: #fff; font-size: 12px; }
  #state.live { background: #2a8a4a; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
  .card { background: #fff; border-radius: 8px; padding: 10px 12px; box-shadow: 0 1px 2px #0002; }
  .card .k { color: #5b6475; font-size: 12px; } .card .v { font-size: 22px; font-variant-numeric: tabular-nums; }
  canvas { width: 100%; height: 120px; background: #fff; border-radius: 8px; margin-top: 12px; box-shadow: 0 1px 2px #0002; }
  table { border-collapse: collapse; width: 100%; background: #fff; margin-top: 8px; font-size: 13px; box-shadow: 0 1px 2px #0002; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e7ee; } th { background: #eef1f6; }
  td.n { text-align: right; font-variant-numeric: tabular-nums; }
  h2 { font-size: 15px; margin: 20px 0 0; }
</style>
</head>
<body>
<h1 id="title">RocketMQ broker</h1>
<div id="sub"><span id="state">offline</span> <span id="ident"></span></div>
<div class="cards" id="cards"></div>
<canvas id="chart" width="1200" height="120"></canvas>
<h2>Topics</h2><table id="topics"><thead><tr><th>Topic</th><th>Read/Write queues</th><th>Perm</th><th class="n">Messages (max offset sum)</th></tr></thead><tbody></tbody></table>
<h2>Consumer groups</h2><table id="groups"><thead><tr><th>Group</th><th class="n">Online clients</th><th>Model</th><th class="n">Diff</th></tr></thead><tbody></tbody></table>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const fmt = (n) => (n === undefined || n === null) ? '-' : Number(n).toLocaleString();
const bytes = (n) => { if (n === undefined) return '-'; const u = ['B','KiB','MiB','GiB','TiB']; let i = 0; while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; } return n.toFixed(i ? 1 : 0) + ' ' + u[i]; };
const text = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
let prev = null; const tps = [];
function card(k, v) { return '<div class="card"><div class="k">' + text(k) + '</div><div class="v">' + text(v) + '</div></div>'; }
function onStats(msg) {
  const s = msg.stats, now = msg.t;
  let putTps = 0, getTps = 0;
  if (prev) { const dt = (now - prev.t) / 1000 || 1; putTps = (s.messagesPutTotal - prev.stats.messagesPutTotal) / dt; getTps = (s.messagesGotTotal - prev.stats.messagesGotTotal) / dt; }
  prev = msg; tps.push(putTps); if (tps.length > 120) tps.shift();
  const lat = s.putLatency && s.putLatency.count ? (s.putLatency.sumMs / s.putLatency.count).toFixed(2) + ' ms' : '-';
  $('cards').innerHTML = card('Put TPS', putTps.toFixed(0)) + card('Get TPS', getTps.toFixed(0)) + card('Messages put', fmt(s.messagesPutTotal))
    + card('Messages got', fmt(s.messagesGotTotal)) + card('Avg put latency', lat) + card('Commit log max offset', bytes(s.commitLogMaxOffset))
    + card('Dispatch behind', bytes(s.dispatchBehindBytes)) + card('Page cache', bytes(s.pageCacheBytes)) + card('Connections', fmt(s.connections));
  draw();
}
function draw() {
  const c = $('chart'), g = c.getContext('2d'); g.clearRect(0, 0, c.width, c.height);
  const max = Math.max(1, ...tps); g.strokeStyle = '#2d6cdf'; g.lineWidth = 2; g.beginPath();
  tps.forEach((v, i) => { const x = (i / 119) * c.width, y = c.height - 8 - (v / max) * (c.height - 24); i ? g.lineTo(x, y) : g.moveTo(x, y); });
  g.stroke(); g.fillStyle = '#5b6475'; g.font = '12px system-ui'; g.fillText('put TPS, last 2 min (max ' + max.toFixed(0) + ')', 8, 14);
}
function connect() {
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
  ws.onopen = () => { $('state').textContent = 'live'; $('state').className = 'live'; };
  ws.onmessage = (e) => { try { onStats(JSON.parse(e.data)); } catch (err) { console.error(err); } };
  ws.onclose = () => { $('state').textContent = 'offline'; $('state').className = ''; setTimeout(connect, 2000); };
}
async function tables() {
  try {
    const [b, t, g] = await Promise.all(['/api/broker', '/api/topics', '/api/groups'].map((u) => fetch(u).then((r) => r.json())));
    $('title').textContent = b.brokerName + ' (' + b.brokerClusterName + ')';
    $('ident').textContent = b.brokerAddr + ' · ' + b.brokerRole + ' · ' + b.version;
    $('topics').tBodies[0].innerHTML = t.map((x) => '<tr><td>' + text(x.topic) + '</td><td>' + x.readQueueNums + '/' + x.writeQueueNums + '</td><td>' + x.perm
      + '</td><td class="n">' + fmt((x.queues || []).reduce((a, q) => a + q.maxOffset, 0)) + '</td></tr>').join('');
    $('groups').tBodies[0].innerHTML = g.map((x) => '<tr><td>' + text(x.group) + '</td><td class="n">' + x.online + '</td><td>' + text(x.messageModel || '-')
      + '</td><td class="n">' + fmt(x.diffTotal) + '</td></tr>').join('');
  } catch (err) { console.error(err); }
}
connect(); tables(); setInterval(tables, 5000);
</script>
</body>
</html>
`;
