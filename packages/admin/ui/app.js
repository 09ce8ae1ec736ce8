// RocketMQ Console: a single-page dashboard over /api/* (JSON) and /ws/cluster (FlatBuffers
// frames of live rates). Plain ES modules, no build step.
import * as flatbuffers from 'flatbuffers';
import { RatesFrame } from '/ui/fb/rates_generated.js';

const $ = (sel, el = document) => el.querySelector(sel);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const fmt = (n) => (n === null || n === undefined || Number.isNaN(n)) ? '–' : Number(n).toLocaleString('en-US');
const fix = (n, d = 1) => (n === null || n === undefined) ? '–' : Number(n).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const bytes = (n) => { if (n === null || n === undefined) return '–'; const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB']; let i = 0; while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; } return `${n.toFixed(i ? 1 : 0)} ${u[i]}`; };
const when = (ms) => { if (!ms || ms <= 0) return '–'; const d = new Date(ms); return d.toLocaleDateString('en-CA') + ' ' + d.toLocaleTimeString('en-GB'); };
const ago = (ms) => { if (!ms || ms <= 0) return '–'; const s = Math.max(0, (Date.now() - ms) / 1000); if (s < 60) return `${Math.floor(s)}s ago`; if (s < 3600) return `${Math.floor(s / 60)}m ago`; if (s < 86400) return `${Math.floor(s / 3600)}h ago`; return `${Math.floor(s / 86400)}d ago`; };
const localInput = (ms) => { const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000); return d.toISOString().slice(0, 16); };

const state = { session: { admin: false }, token: sessionStorage.getItem('rmq-admin-token') || '', ak: sessionStorage.getItem('rmq-ak') || '', sk: sessionStorage.getItem('rmq-sk') || '', rates: [], lastFrame: null, local: [], timer: null };

async function api(path, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (state.token) headers['X-Admin-Token'] = state.token;
  if (state.ak) { headers['X-Access-Key'] = state.ak; headers['X-Secret-Key'] = state.sk; }
  const r = await fetch(`/console${path}`, body === undefined ? { headers } : { method: 'POST', headers, body: JSON.stringify(body) });
  const data = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) throw new Error(data.error || `HTTP ${r.status}`);
  return data;
}

function toast(msg, bad = false) {
  const t = $('#toast');
  t.textContent = msg; t.className = bad ? 'toast bad' : 'toast'; t.hidden = false;
  clearTimeout(toast.timer); toast.timer = setTimeout(() => { t.hidden = true; }, bad ? 6000 : 3000);
}

function modal(title, html, onMount) {
  $('#modal-title').textContent = title;
  $('#modal-body').innerHTML = html;
  $('#modal').hidden = false;
  if (onMount) onMount($('#modal-body'));
}
const closeModal = () => { $('#modal').hidden = true; $('#modal-body').innerHTML = ''; };
$('#modal-close').onclick = closeModal;
$('#modal').onclick = (e) => { if (e.target.id === 'modal') closeModal(); };

function adminButton(label, attrs = '', cls = 'btn small') {
  const dis = state.session.admin ? '' : ' disabled title="Sign in as admin to change the cluster"';
  return `<button class="${cls}" ${attrs}${dis}>${esc(label)}</button>`;
}

async function act(fn, okMsg) {
  try { const r = await fn(); toast(okMsg); return r; } catch (e) { toast(e.message, true); throw e; }
}

// ---- session --------------------------------------------------------------------------------------

async function refreshSession() {
  try { state.session = await api('/api/session'); } catch { state.session = { admin: false }; }
  const s = $('#session');
  s.textContent = state.session.admin ? 'Admin' : 'Read-only';
  s.className = state.session.admin ? 'badge admin' : 'badge';
  $('#signin').textContent = state.session.admin ? 'Sign out' : 'Sign in';
  $('#served').innerHTML = `Served by ${esc(state.session.servedBy || '?')}<br>Name server ${esc(state.session.namesrvAddr || '?')}`;
}

$('#signin').onclick = () => {
  if (state.session.admin) { state.token = state.ak = state.sk = ''; for (const k of ['rmq-admin-token', 'rmq-ak', 'rmq-sk']) sessionStorage.removeItem(k); refreshSession().then(render); return; }
  const acl = state.session.acl;
  modal('Sign in', `<form class="form" id="f">${acl ? '<label>Access key</label><input name="ak" id="ak" autofocus placeholder="ACL account (admin: true)"><label>Secret key</label><input type="password" name="sk" id="sk">' : ''}<label>Admin token</label><input type="password" name="token" id="token" ${acl ? '' : 'autofocus'} placeholder="adminHttpToken"><div class="full muted">Actions (create, delete, reset, send) need the broker's <code>adminHttpToken</code>${acl ? ', or an ACL account with <code>admin: true</code> (the brokers check it)' : ''}. Without it the console is read-only.</div></form><div class="actions"><button class="btn" id="go">Sign in</button></div>`, (el) => {
    const go = async () => {
      state.token = $('#token', el).value; sessionStorage.setItem('rmq-admin-token', state.token);
      if (acl) { state.ak = $('#ak', el).value; state.sk = $('#sk', el).value; sessionStorage.setItem('rmq-ak', state.ak); sessionStorage.setItem('rmq-sk', state.sk); }
      await refreshSession();
      if (!state.session.admin) { toast(state.session.adminConfigured ? 'wrong admin token' : 'this server has no admin token configured: read-only', true); return; }
      closeModal(); toast('Signed in as admin'); render();
    };
    $('#go', el).onclick = go; $('#f', el).onsubmit = (e) => { e.preventDefault(); go(); };
  });
};

// ---- views ----------------------------------------------------------------------------------------

const views = {};

views.cluster = async (el) => {
  const c = await api('/api/cluster');
  const b = c.brokers;
  const sum = (k) => b.reduce((a, x) => a + (x[k] || 0), 0);
  const clusters = [...new Set(b.map((x) => x.cluster))];
  el.innerHTML = `
    <div class="cards">
      <div class="card"><div class="k">Clusters</div><div class="v">${clusters.length}</div><div class="s">${esc(clusters.join(', ') || 'none')}</div></div>
      <div class="card"><div class="k">Brokers</div><div class="v">${b.length}</div><div class="s">${b.filter((x) => x.up).length} up · ${b.filter((x) => x.role === 'SLAVE').length} slaves</div></div>
      <div class="card"><div class="k">Put TPS</div><div class="v" id="c-put">${fix(sum('putTps'))}</div><div class="s">msg/s · all brokers</div></div>
      <div class="card"><div class="k">Get TPS</div><div class="v" id="c-get">${fix(sum('getTps'))}</div><div class="s">msg/s · all brokers</div></div>
      <div class="card"><div class="k">Messages today</div><div class="v">${fmt(sum('putToday'))}</div><div class="s">${fmt(sum('getToday'))} delivered</div></div>
      <div class="card"><div class="k">Name servers</div><div class="v">${c.namesrvAddrs.length}</div><div class="s mono">${esc(c.namesrvAddrs.join(' '))}</div></div>
    </div>
    <div class="panel"><div class="panel-head"><h3>Brokers</h3><span class="muted">${esc(clusters.join(' · '))}</span></div>
    <table><thead><tr><th>Broker</th><th>Status</th><th>Role</th><th>Address</th><th>Version</th><th class="n">Put TPS</th><th class="n">Get TPS</th><th class="n">Today in / out</th><th>Disk</th><th class="n">Commit log</th><th class="n">Repl. lag</th><th>Up for</th></tr></thead>
    <tbody>${b.map((x) => `<tr><td><b>${esc(x.brokerName)}</b></td>
      <td>${x.up ? '<span class="badge up">Up</span>' : `<span class="badge down" title="${esc(x.error || '')}">Down</span>`}</td><td>${x.role === 'MASTER' ? 'Master' : `Slave ${x.brokerId}`}</td><td class="mono">${esc(x.addr)}</td><td>${esc(x.version || '–')}</td>
      <td class="n">${fix(x.putTps)}</td><td class="n">${fix(x.getTps)}</td><td class="n">${fmt(x.putToday)} / ${fmt(x.getToday)}</td>
      <td>${x.diskRatio === null ? '–' : `<div style="display:flex;gap:8px;align-items:center" title="${esc(x.diskCapacity || '')}"><div class="bar"><div style="width:${Math.round(x.diskRatio * 100)}%"></div></div><span class="muted">${Math.round(x.diskRatio * 100)}%</span></div>`}</td>
      <td class="n">${bytes(x.commitLogMaxOffset)}</td><td class="n">${x.replicationLagBytes === null ? '–' : bytes(x.replicationLagBytes)}</td><td>${x.bootTimestamp ? ago(x.bootTimestamp).replace(' ago', '') : '–'}</td></tr>`).join('') || '<tr><td colspan="12" class="empty">No broker registered with the name server</td></tr>'}</tbody></table></div>
    <div class="panel"><div class="panel-head"><h3>Cluster throughput</h3><span class="muted">put and get, messages / s, last 2 minutes</span></div><canvas class="chart" id="ch-cluster"></canvas><div class="legend"><span style="--c:#2f6bff">put</span><span style="--c:#12a36b">get</span></div></div>`;
  drawCluster();
};

views.topics = async (el) => {
  const list = await api('/api/topics');
  const kinds = ['normal', 'retry', 'dlq', 'system'];
  const f = state.topicFilter || { kind: 'normal', text: '' };
  const draw = () => {
    const rows = list.filter((t) => (f.kind === 'all' || t.kind === f.kind) && t.topic.toLowerCase().includes(f.text.toLowerCase()));
    $('#tb', el).innerHTML = rows.map((t) => `<tr><td><a class="link" data-topic="${esc(t.topic)}">${esc(t.topic)}</a></td><td><span class="badge ${t.kind}">${t.kind}</span>${t.order ? ' <span class="badge">ordered</span>' : ''}</td>
      <td class="n">${t.readQueueNums} / ${t.writeQueueNums}</td><td>${permText(t.perm)}</td><td>${esc(t.brokers.join(', '))}</td>
      <td class="n">${fmt(t.messages)}</td><td>${t.lastUpdate ? ago(t.lastUpdate) : '–'}</td>
      <td class="n">${t.kind === 'normal' || t.kind === 'dlq' ? `<button class="btn small ghost" data-browse="${esc(t.topic)}">Messages</button> ` : ''}${t.kind === 'normal' ? adminButton('Send', `data-send="${esc(t.topic)}"`, 'btn small ghost') : ''}</td></tr>`).join('')
      || '<tr><td colspan="8" class="empty">No topic matches</td></tr>';
    $('#count', el).textContent = `${rows.length} of ${list.length}`;
  };
  el.innerHTML = `<div class="panel"><div class="panel-head"><h3>Topics <span class="muted" id="count"></span></h3><div class="tools">
    <div class="seg" id="kinds">${['all', ...kinds].map((k) => `<button data-k="${k}" class="${f.kind === k ? 'on' : ''}">${k === 'dlq' ? 'DLQ' : k[0].toUpperCase() + k.slice(1)}</button>`).join('')}</div>
    <input id="q" placeholder="Filter topics" value="${esc(f.text)}">${adminButton('+ New topic', 'id="new"', 'btn')}</div></div>
    <table><thead><tr><th>Topic</th><th>Type</th><th class="n">Queues R / W</th><th>Perm</th><th>Brokers</th><th class="n">Messages</th><th>Last message</th><th></th></tr></thead><tbody id="tb"></tbody></table></div>`;
  $('#kinds', el).onclick = (e) => { const k = e.target.dataset.k; if (!k) return; f.kind = k; state.topicFilter = f; el.querySelectorAll('#kinds button').forEach((b) => b.classList.toggle('on', b.dataset.k === k)); draw(); };
  $('#q', el).oninput = (e) => { f.text = e.target.value; state.topicFilter = f; draw(); };
  $('#new', el).onclick = () => topicForm();
  el.onclick = (e) => {
    const t = e.target.closest('[data-topic],[data-send],[data-browse]'); if (!t) return;
    if (t.dataset.topic) topicDetail(t.dataset.topic);
    else if (t.dataset.send) sendForm(t.dataset.send);
    else { state.msgQuery = { mode: 'time', topic: t.dataset.browse }; location.hash = '#/messages'; }
  };
  draw();
};

const permText = (p) => ({ 2: 'Write', 4: 'Read', 6: 'Read / write', 0: '–' })[p] ?? String(p);

function topicForm(t) {
  modal(t ? `Update ${t.topic}` : 'New topic', `<form class="form" id="f">
    <label>Topic name</label><input name="topic" value="${esc(t?.topic || '')}" ${t ? 'readonly' : ''} required placeholder="OrderEvents">
    <label>Read queues</label><input name="readQueueNums" type="number" min="1" max="1024" value="${t?.readQueueNums || 8}">
    <label>Write queues</label><input name="writeQueueNums" type="number" min="1" max="1024" value="${t?.writeQueueNums || 8}">
    <label>Permission</label><select name="perm"><option value="6">Read / write</option><option value="4">Read only</option><option value="2">Write only</option></select>
    <label>Ordered</label><select name="order"><option value="false">No</option><option value="true">Yes</option></select></form>
    <div class="actions"><button class="btn ghost" id="cancel">Cancel</button><button class="btn" id="save">${t ? 'Update' : 'Create'}</button></div>`, (el) => {
    if (t) { $('[name=perm]', el).value = String(t.perm); $('[name=order]', el).value = String(!!t.order); }
    $('#cancel', el).onclick = closeModal;
    $('#save', el).onclick = async () => {
      const fd = new FormData($('#f', el));
      await act(() => api('/api/topic', { topic: fd.get('topic'), readQueueNums: Number(fd.get('readQueueNums')), writeQueueNums: Number(fd.get('writeQueueNums')), perm: Number(fd.get('perm')), order: fd.get('order') === 'true' }), `Topic ${fd.get('topic')} saved`);
      closeModal(); render();
    };
  });
}

function sendForm(topic) {
  modal(`Send a test message to ${topic}`, `<form class="form" id="f"><label>Tags</label><input name="tags" placeholder="TagA"><label>Keys</label><input name="keys" placeholder="order-1001">
    <label>Count</label><input name="count" type="number" min="1" max="1000" value="1"><label class="full">Body</label><textarea class="full" name="body">{"hello": "rocketmq", "at": "${new Date().toISOString()}"}</textarea></form>
    <div class="actions"><button class="btn ghost" id="cancel">Cancel</button><button class="btn" id="send">Send</button></div>`, (el) => {
    $('#cancel', el).onclick = closeModal;
    $('#send', el).onclick = async () => {
      const fd = new FormData($('#f', el));
      const r = await act(() => api('/api/topic/send', { topic, tags: fd.get('tags'), keys: fd.get('keys'), body: fd.get('body'), count: Number(fd.get('count')) }), 'Sent');
      const last = r.results[r.results.length - 1];
      $('#modal-body').innerHTML = `<div class="kv"><div>Status</div><div class="ok">${esc(last.status)}</div><div>Sent</div><div>${r.results.length} message(s)</div><div>Message id</div><div class="mono">${esc(last.msgId)}</div><div>Offset message id</div><div class="mono">${esc(last.offsetMsgId)}</div><div>Queue</div><div>${esc(last.queue.brokerName)} : ${last.queue.queueId} @ ${last.queueOffset}</div></div><div class="actions"><button class="btn" id="done">Done</button></div>`;
      $('#done').onclick = closeModal;
    };
  });
}

async function topicDetail(topic) {
  const d = await api(`/api/topic?topic=${encodeURIComponent(topic)}`);
  const qd = d.route.queueDatas[0] || {};
  modal(`Topic ${topic}`, `<div class="kv"><div>Type</div><div><span class="badge ${d.kind}">${d.kind}</span></div>
    <div>Route</div><div>${d.route.brokerDatas.map((b) => `<b>${esc(b.brokerName)}</b> <span class="mono muted">${esc(Object.entries(b.brokerAddrs).map(([id, a]) => `${id}=${a}`).join(' '))}</span>`).join('<br>')}</div>
    <div>Queues</div><div>${d.route.queueDatas.map((q) => `${esc(q.brokerName)}: ${q.readQueueNums} read / ${q.writeQueueNums} write, ${permText(q.perm)}`).join('<br>')}</div>
    <div>Consumer groups</div><div>${d.consumerGroups.map(esc).join(', ') || '<span class="muted">none</span>'}</div></div>
    <h3 style="margin:18px 0 8px;font-size:14px">Queues</h3>
    <table><thead><tr><th>Broker</th><th class="n">Queue</th><th class="n">Min offset</th><th class="n">Max offset</th><th>Last updated</th></tr></thead><tbody>
    ${d.queues.map((q) => `<tr><td>${esc(q.brokerName)}</td><td class="n">${q.queueId}</td><td class="n">${fmt(q.minOffset)}</td><td class="n">${fmt(q.maxOffset)}</td><td>${when(q.lastUpdateTimestamp)}</td></tr>`).join('')}</tbody></table>
    <div class="actions">${adminButton('Delete topic', 'id="del"', 'btn danger')}${adminButton('Edit', 'id="edit"', 'btn ghost')}${adminButton('Send test message', 'id="send"', 'btn')}</div>`, (el) => {
    const en = (id, fn) => { const b = $(id, el); if (b && !b.disabled) b.onclick = fn; };
    en('#send', () => sendForm(topic));
    en('#edit', () => topicForm({ topic, readQueueNums: qd.readQueueNums, writeQueueNums: qd.writeQueueNums, perm: qd.perm, order: false }));
    en('#del', async () => { if (!confirm(`Delete topic ${topic} from every broker and the name servers?`)) return; await act(() => api('/api/topic/delete', { topic }), `Topic ${topic} deleted`); closeModal(); render(); });
  });
}

views.groups = async (el) => {
  const list = await api('/api/groups');
  const f = state.groupFilter || { text: '', system: false };
  const draw = () => {
    const rows = list.filter((g) => (f.system || !g.system) && g.group.toLowerCase().includes(f.text.toLowerCase()));
    $('#tb', el).innerHTML = rows.map((g) => `<tr><td><a class="link" data-group="${esc(g.group)}">${esc(g.group)}</a></td>
      <td>${g.online > 0 ? `<span class="badge up">${g.online} online</span>` : '<span class="badge">offline</span>'}</td><td>${esc(g.messageModel || '–')}</td><td>${esc(g.consumeType || '–')}</td>
      <td>${esc(g.topics.join(', ') || '–')}</td><td class="n">${fix(g.consumeTps)}</td><td class="n"><span class="lag ${g.diff > 1000 ? 'hot' : ''}">${fmt(g.diff)}</span></td></tr>`).join('')
      || '<tr><td colspan="7" class="empty">No consumer group</td></tr>';
  };
  el.innerHTML = `<div class="panel"><div class="panel-head"><h3>Consumer groups</h3><div class="tools"><label class="muted"><input type="checkbox" id="sys" ${f.system ? 'checked' : ''}> system groups</label>
    <input id="q" placeholder="Filter groups" value="${esc(f.text)}">${adminButton('+ New group', 'id="new"', 'btn')}</div></div>
    <table><thead><tr><th>Group</th><th>Clients</th><th>Model</th><th>Consume type</th><th>Topics</th><th class="n">Consume TPS</th><th class="n">Lag (diff)</th></tr></thead><tbody id="tb"></tbody></table></div>`;
  $('#q', el).oninput = (e) => { f.text = e.target.value; state.groupFilter = f; draw(); };
  $('#sys', el).onchange = (e) => { f.system = e.target.checked; state.groupFilter = f; draw(); };
  $('#new', el).onclick = () => groupForm();
  el.onclick = (e) => { const t = e.target.closest('[data-group]'); if (t) groupDetail(t.dataset.group); };
  draw();
};

function groupForm(g) {
  modal(g ? `Update ${g.groupName}` : 'New consumer group', `<form class="form" id="f"><label>Group name</label><input name="groupName" value="${esc(g?.groupName || '')}" ${g ? 'readonly' : ''}>
    <label>Consume enabled</label><select name="consumeEnable"><option value="true">Yes</option><option value="false">No</option></select>
    <label>Broadcast allowed</label><select name="consumeBroadcastEnable"><option value="true">Yes</option><option value="false">No</option></select>
    <label>Retry max times</label><input name="retryMaxTimes" type="number" min="0" max="64" value="${g?.retryMaxTimes ?? 16}"></form>
    <div class="actions"><button class="btn ghost" id="cancel">Cancel</button><button class="btn" id="save">${g ? 'Update' : 'Create'}</button></div>`, (el) => {
    if (g) { $('[name=consumeEnable]', el).value = String(g.consumeEnable); $('[name=consumeBroadcastEnable]', el).value = String(g.consumeBroadcastEnable); }
    $('#cancel', el).onclick = closeModal;
    $('#save', el).onclick = async () => {
      const fd = new FormData($('#f', el));
      await act(() => api('/api/group', { groupName: fd.get('groupName'), consumeEnable: fd.get('consumeEnable') === 'true', consumeBroadcastEnable: fd.get('consumeBroadcastEnable') === 'true', retryMaxTimes: Number(fd.get('retryMaxTimes')) }), `Group ${fd.get('groupName')} saved`);
      closeModal(); render();
    };
  });
}

async function groupDetail(group) {
  const [d, all] = await Promise.all([api(`/api/group?group=${encodeURIComponent(group)}`), api('/api/groups')]);
  const cfg = all.find((g) => g.group === group)?.config;
  const topics = [...new Set(d.queues.map((q) => q.topic).filter((t) => !t.startsWith('%RETRY%')))];
  const conns = d.connection?.connections || [];
  modal(`Consumer group ${group}`, `<div class="cards" style="margin-bottom:16px"><div class="card"><div class="k">Lag</div><div class="v">${fmt(d.diff)}</div></div><div class="card"><div class="k">Consume TPS</div><div class="v">${fix(d.consumeTps)}</div></div><div class="card"><div class="k">Clients</div><div class="v">${conns.length}</div><div class="s">${esc(d.connection?.messageModel || 'offline')}</div></div></div>
    <table><thead><tr><th>Topic</th><th>Broker</th><th class="n">Queue</th><th class="n">Broker offset</th><th class="n">Consumer offset</th><th class="n">Lag</th><th>Client</th><th>Last consumed</th></tr></thead><tbody>
    ${d.queues.map((q) => `<tr><td>${esc(q.topic)}</td><td>${esc(q.brokerName)}</td><td class="n">${q.queueId}</td><td class="n">${fmt(q.brokerOffset)}</td><td class="n">${fmt(q.consumerOffset)}</td><td class="n"><span class="lag ${q.diff > 0 ? 'hot' : ''}">${fmt(q.diff)}</span></td><td class="mono">${esc(q.client || '–')}</td><td>${when(q.lastTimestamp)}</td></tr>`).join('') || '<tr><td colspan="8" class="empty">No offsets yet</td></tr>'}</tbody></table>
    <h3 style="margin:18px 0 8px;font-size:14px">Reset offsets</h3>
    <form class="form" id="rf"><label>Topic</label><select name="topic">${topics.map((t) => `<option>${esc(t)}</option>`).join('')}</select><label>To time</label><input type="datetime-local" name="ts" value="${localInput(Date.now() - 3600_000)}"></form>
    <div class="actions">${adminButton('Delete group', 'id="del"', 'btn danger')}${adminButton('Edit', 'id="edit"', 'btn ghost')}${adminButton('Skip accumulated', 'id="skip"', 'btn ghost')}${adminButton('Reset to time', 'id="reset"', 'btn')}</div>`, (el) => {
    const en = (id, fn) => { const b = $(id, el); if (b && !b.disabled) b.onclick = fn; };
    const topic = () => new FormData($('#rf', el)).get('topic');
    en('#reset', async () => { const ts = new Date(new FormData($('#rf', el)).get('ts')).getTime(); const r = await act(() => api('/api/group/reset', { group, topic: topic(), timestamp: ts }), `Offsets of ${group} reset`); closeModal(); groupDetail(group); return r; });
    en('#skip', async () => { await act(() => api('/api/group/skip', { group, topic: topic() }), `${group} skipped to the end`); closeModal(); groupDetail(group); });
    en('#edit', () => groupForm(cfg || { groupName: group }));
    en('#del', async () => { if (!confirm(`Delete consumer group ${group}?`)) return; await act(() => api('/api/group/delete', { groupName: group }), `Group ${group} deleted`); closeModal(); render(); });
  });
}

views.messages = async (el) => {
  const topics = (await api('/api/topics')).filter((t) => t.kind === 'normal' || t.kind === 'dlq' || t.kind === 'retry');
  const q = state.msgQuery || { mode: 'time', topic: topics.find((t) => t.kind === 'normal')?.topic || '' };
  const modes = { time: 'Topic + time', key: 'Key', id: 'Message id', offset: 'Queue + offset' };
  el.innerHTML = `<div class="panel"><div class="panel-head"><h3>Message query</h3><div class="seg" id="modes">${Object.entries(modes).map(([k, v]) => `<button data-m="${k}" class="${q.mode === k ? 'on' : ''}">${v}</button>`).join('')}</div></div>
    <div class="panel-body"><form class="tools" id="qf"><select name="topic" id="topic">${topics.map((t) => `<option ${t.topic === q.topic ? 'selected' : ''}>${esc(t.topic)}</option>`).join('')}</select><span id="fields"></span><button class="btn" id="search">Search</button></form></div>
    <table><thead><tr><th>Message id</th><th>Tags</th><th>Keys</th><th>Queue</th><th class="n">Offset</th><th>Stored</th><th>Body</th></tr></thead><tbody id="tb"><tr><td colspan="7" class="empty">Choose a query and search</td></tr></tbody></table></div>`;
  const fields = () => {
    const f = { time: `<input type="datetime-local" name="begin" value="${localInput(q.begin || Date.now() - 3600_000)}"> to <input type="datetime-local" name="end" value="${localInput(q.end || Date.now() + 60_000)}">`,
      key: `<input name="key" placeholder="message key" value="${esc(q.key || '')}">`, id: `<input name="msgId" size="36" placeholder="message id or offset message id" value="${esc(q.msgId || '')}">`,
      offset: `<input name="brokerName" placeholder="broker" value="${esc(q.brokerName || 'broker-a')}" size="10"><input name="queueId" type="number" placeholder="queue" value="${q.queueId ?? 0}" style="width:80px"><input name="offset" type="number" placeholder="offset" value="${q.offset ?? 0}" style="width:100px">` }[q.mode];
    $('#fields', el).innerHTML = f;
  };
  const search = async () => {
    const fd = new FormData($('#qf', el)); q.topic = fd.get('topic');
    const p = new URLSearchParams({ topic: q.topic });
    if (q.mode === 'time') { q.begin = new Date(fd.get('begin')).getTime(); q.end = new Date(fd.get('end')).getTime(); p.set('begin', q.begin); p.set('end', q.end); }
    if (q.mode === 'key') { q.key = fd.get('key'); p.set('key', q.key); }
    if (q.mode === 'id') { q.msgId = fd.get('msgId'); p.set('msgId', q.msgId); }
    if (q.mode === 'offset') { q.brokerName = fd.get('brokerName'); q.queueId = fd.get('queueId'); q.offset = fd.get('offset'); p.set('brokerName', q.brokerName); p.set('queueId', q.queueId); p.set('offset', q.offset); }
    state.msgQuery = q;
    $('#tb', el).innerHTML = '<tr><td colspan="7" class="empty">Searching…</td></tr>';
    try {
      const list = await api(`/api/messages?${p}`);
      $('#tb', el).innerHTML = list.map((m) => `<tr><td class="mono"><a class="link" data-msg="${esc(m.offsetMsgId)}" data-topic="${esc(m.topic)}">${esc(m.msgId)}</a></td><td>${esc(m.tags || '–')}</td><td>${esc(m.keys || '–')}</td><td>${esc(m.brokerName)}:${m.queueId}</td><td class="n">${m.queueOffset}</td><td>${when(m.storeTimestamp)}</td><td class="mono">${esc((m.bodyText ?? 'hex:' + m.bodyHex).slice(0, 80))}</td></tr>`).join('')
        || '<tr><td colspan="7" class="empty">No message found</td></tr>';
    } catch (e) { $('#tb', el).innerHTML = `<tr><td colspan="7" class="empty bad">${esc(e.message)}</td></tr>`; }
  };
  $('#modes', el).onclick = (e) => { const m = e.target.dataset.m; if (!m) return; q.mode = m; el.querySelectorAll('#modes button').forEach((b) => b.classList.toggle('on', b.dataset.m === m)); fields(); };
  $('#qf', el).onsubmit = (e) => { e.preventDefault(); search(); };
  el.onclick = (e) => { const t = e.target.closest('[data-msg]'); if (t) messageDetail(t.dataset.topic, t.dataset.msg); };
  fields();
  if (q.topic) search();
};

async function messageDetail(topic, msgId) {
  const d = await api(`/api/message?topic=${encodeURIComponent(topic)}&msgId=${encodeURIComponent(msgId)}`);
  const m = d.message;
  const bodies = { text: m.bodyText ?? '(not UTF-8 text)', json: m.bodyJson === null ? '(not JSON)' : JSON.stringify(m.bodyJson, null, 2), hex: (m.bodyHex.match(/.{1,32}/g) || []).map((l, i) => `${(i * 16).toString(16).padStart(6, '0')}  ${l.replace(/(..)/g, '$1 ')}`).join('\n') };
  modal('Message', `<div class="kv"><div>Topic</div><div>${esc(m.topic)}</div><div>Message id</div><div class="mono">${esc(m.msgId)}</div><div>Offset message id</div><div class="mono">${esc(m.offsetMsgId)}</div>
    <div>Tags / keys</div><div>${esc(m.tags || '–')} / ${esc(m.keys || '–')}</div><div>Queue</div><div>${esc(m.brokerName)} : ${m.queueId} @ offset ${m.queueOffset}</div>
    <div>Born</div><div>${when(m.bornTimestamp)} from ${esc(m.bornHost)}</div><div>Stored</div><div>${when(m.storeTimestamp)} on ${esc(m.storeHost)}</div><div>Size</div><div>${bytes(m.storeSize)} (body ${bytes(m.bodySize)})</div>
    <div>Properties</div><div class="mono">${Object.entries(m.properties).map(([k, v]) => `${esc(k)}=${esc(v)}`).join('<br>')}</div></div>
    <div style="display:flex;justify-content:space-between;align-items:center;margin:16px 0 8px"><b>Body</b><div class="seg" id="bm"><button data-b="text" class="on">Text</button><button data-b="json">JSON</button><button data-b="hex">Hex</button></div></div>
    <pre class="body" id="body">${esc(bodies.text)}</pre>
    ${m.topic.startsWith('%DLQ%') ? `<div class="actions">${adminButton(`Requeue to ${m.properties.RETRY_TOPIC || 'its topic'}`, 'id="requeue"', 'btn')}</div>` : ''}
    <h3 style="margin:18px 0 8px;font-size:14px">Consumer groups</h3>
    <table><thead><tr><th>Group</th><th>Status</th><th class="n">Group offset</th><th></th></tr></thead><tbody>${d.consumption.map((c) => `<tr><td>${esc(c.group)}</td><td>${c.consumed ? '<span class="ok">Consumed</span>' : '<span class="muted">Not yet</span>'}</td><td class="n">${fmt(c.consumerOffset)}</td>
      <td class="n">${c.clients.length ? adminButton('Resend to group', `data-resend="${esc(c.group)}" data-client="${esc(c.clients[0])}"`, 'btn small ghost') : '<span class="muted">offline</span>'}</td></tr>`).join('') || '<tr><td colspan="4" class="empty">No group consumes this topic</td></tr>'}</tbody></table>`, (el) => {
    $('#bm', el).onclick = (e) => { const b = e.target.dataset.b; if (!b) return; $('#body', el).textContent = bodies[b]; el.querySelectorAll('#bm button').forEach((x) => x.classList.toggle('on', x.dataset.b === b)); };
    const rq = $('#requeue', el);
    if (rq && !rq.disabled) rq.onclick = () => act(() => api('/api/message/requeue', { topic: m.topic, msgId: m.offsetMsgId }), 'Sent again to its topic');
    el.querySelectorAll('[data-resend]').forEach((b) => { if (!b.disabled) b.onclick = () => act(() => api('/api/message/resend', { group: b.dataset.resend, clientId: b.dataset.client, msgId: m.offsetMsgId, topic: m.topic }).then((r) => { if (r.consumeResult !== 'CR_SUCCESS') throw new Error(`consumer answered ${r.consumeResult}`); return r; }), `Consumed again by ${b.dataset.resend}`); });
  });
}

views.connections = async (el) => {
  const pg = state.producerGroup || '';
  const d = await api(`/api/connections?producerGroup=${encodeURIComponent(pg)}`);
  el.innerHTML = `<div class="panel"><div class="panel-head"><h3>Consumers</h3><span class="muted">${d.consumers.length} connection(s)</span></div>
    <table><thead><tr><th>Group</th><th>Client id</th><th>Address</th><th>Language</th><th class="n">Version</th><th>Model</th><th>Type</th></tr></thead><tbody>
    ${d.consumers.map((c) => `<tr><td>${esc(c.group)}</td><td class="mono">${esc(c.clientId)}</td><td class="mono">${esc(c.clientAddr)}</td><td>${esc(c.language)}</td><td class="n">${c.version}</td><td>${esc(c.messageModel)}</td><td>${esc(c.consumeType)}</td></tr>`).join('') || '<tr><td colspan="7" class="empty">No consumer online</td></tr>'}</tbody></table></div>
    <div class="panel"><div class="panel-head"><h3>Producers</h3><form class="tools" id="pf"><input name="g" placeholder="producer group" value="${esc(pg)}"><button class="btn">Look up</button></form></div>
    <table><thead><tr><th>Group</th><th>Client id</th><th>Address</th><th>Language</th><th class="n">Version</th></tr></thead><tbody>
    ${d.producers.map((c) => `<tr><td>${esc(c.group)}</td><td class="mono">${esc(c.clientId)}</td><td class="mono">${esc(c.clientAddr)}</td><td>${esc(c.language)}</td><td class="n">${c.version}</td></tr>`).join('') || `<tr><td colspan="5" class="empty">${pg ? `No producer of ${esc(pg)} online` : 'Producer groups are not listed by the protocol: enter one to see its clients'}</td></tr>`}</tbody></table></div>`;
  $('#pf', el).onsubmit = (e) => { e.preventDefault(); state.producerGroup = new FormData(e.target).get('g'); render(); };
};

const COLORS = ['#2f6bff', '#12a36b', '#e29b0c', '#7b5cff', '#e0464e', '#0aa5c0'];

views.live = async (el) => {
  el.innerHTML = `<div class="cards"><div class="card"><div class="k">Put TPS</div><div class="v" id="l-put">–</div><div class="s">all brokers, last second</div></div>
    <div class="card"><div class="k">Get TPS</div><div class="v" id="l-get">–</div><div class="s">all brokers, last second</div></div>
    <div class="card"><div class="k">Messages put today</div><div class="v" id="l-total">–</div></div><div class="card"><div class="k">Feed</div><div class="v" id="l-feed" style="font-size:16px">connecting…</div><div class="s">FlatBuffers frames over WebSocket</div></div></div>
    <div class="grid2"><div class="panel"><div class="panel-head"><h3>Put TPS per broker</h3><span class="muted">last 2 minutes</span></div><canvas class="chart" id="ch-put"></canvas><div class="legend" id="lg-put"></div></div>
    <div class="panel"><div class="panel-head"><h3>Get TPS per broker</h3><span class="muted">last 2 minutes</span></div><canvas class="chart" id="ch-get"></canvas><div class="legend" id="lg-get"></div></div></div>
    <div class="panel" id="lat-panel" hidden><div class="panel-head"><h3>Put latency (this broker)</h3><span class="muted" id="lat-sum"></span></div><canvas class="chart" id="ch-lat"></canvas></div>`;
  drawLive();
};

function chart(canvas, series, opts = {}) {
  const dpr = window.devicePixelRatio || 1; const w = canvas.clientWidth, h = canvas.clientHeight;
  canvas.width = w * dpr; canvas.height = h * dpr; const g = canvas.getContext('2d'); g.scale(dpr, dpr);
  const pad = { l: 48, r: 14, t: 14, b: 26 };
  const max = Math.max(1, ...series.flatMap((s) => s.values)) * 1.15;
  g.font = '11px system-ui'; g.fillStyle = '#66708a'; g.strokeStyle = '#eef1f6'; g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) { const y = pad.t + ((h - pad.t - pad.b) * i) / 4; g.beginPath(); g.moveTo(pad.l, y); g.lineTo(w - pad.r, y); g.stroke(); g.fillText(fix(max * (1 - i / 4), max < 10 ? 1 : 0), 6, y + 4); }
  if (opts.bars) {
    const n = series[0].values.length, bw = (w - pad.l - pad.r) / n;
    series[0].values.forEach((v, i) => { const bh = (v / max) * (h - pad.t - pad.b); g.fillStyle = '#2f6bff'; g.fillRect(pad.l + i * bw + 3, h - pad.b - bh, bw - 6, bh); g.fillStyle = '#66708a'; g.fillText(opts.labels[i], pad.l + i * bw + 3, h - 8); });
    return;
  }
  const n = 120;
  series.forEach((s, k) => {
    g.strokeStyle = s.color; g.lineWidth = 2; g.beginPath();
    const vs = s.values.slice(-n);
    vs.forEach((v, i) => { const x = pad.l + ((w - pad.l - pad.r) * (i + n - vs.length)) / (n - 1); const y = h - pad.b - (v / max) * (h - pad.t - pad.b); i ? g.lineTo(x, y) : g.moveTo(x, y); });
    g.stroke();
    if (k === 0 && vs.length) { g.fillStyle = s.color + '14'; g.lineTo(w - pad.r, h - pad.b); g.lineTo(pad.l + ((w - pad.l - pad.r) * (n - vs.length)) / (n - 1), h - pad.b); g.fill(); }
  });
  g.fillStyle = '#66708a'; g.fillText('−2 min', pad.l, h - 8); g.fillText('now', w - pad.r - 20, h - 8);
}

function drawCluster() {
  const c = $('#ch-cluster');
  if (!c) return;
  chart(c, [
    { color: '#2f6bff', values: state.rates.map((f) => f.brokers.reduce((a, b) => a + b.putTps, 0)) },
    { color: '#12a36b', values: state.rates.map((f) => f.brokers.reduce((a, b) => a + b.getTps, 0)) },
  ]);
}

function drawLive() {
  const f = state.lastFrame;
  if (!$('#l-put')) return;
  $('#l-feed').textContent = state.wsOpen ? 'live' : 'reconnecting…';
  if (!f) return;
  $('#l-put').textContent = fix(f.brokers.reduce((a, b) => a + b.putTps, 0));
  $('#l-get').textContent = fix(f.brokers.reduce((a, b) => a + b.getTps, 0));
  $('#l-total').textContent = fmt(f.brokers.reduce((a, b) => a + b.putTotal, 0));
  for (const kind of ['put', 'get']) {
    const names = [...new Set(state.rates.flatMap((fr) => fr.brokers.map((b) => `${b.brokerName}/${b.brokerId}`)))];
    const series = names.map((n, i) => ({ name: n, color: COLORS[i % COLORS.length], values: state.rates.map((fr) => { const b = fr.brokers.find((x) => `${x.brokerName}/${x.brokerId}` === n); return b ? (kind === 'put' ? b.putTps : b.getTps) : 0; }) }));
    chart($(`#ch-${kind}`), series.length ? series : [{ color: COLORS[0], values: [] }]);
    $(`#lg-${kind}`).innerHTML = series.map((s) => `<span style="--c:${s.color}">${esc(s.name)}</span>`).join('');
  }
  const lat = state.local.at(-1)?.stats?.putLatency;
  if (lat && $('#lat-panel')) {
    $('#lat-panel').hidden = false;
    const labels = lat.boundsMs.map((b) => `≤${b}`).concat(['more']);
    const prev = state.local.length > 1 ? state.local[0].stats.putLatency.counts : lat.counts.map(() => 0);
    const recent = lat.counts.map((c, i) => c - (prev[i] || 0));
    chart($('#ch-lat'), [{ values: recent }], { bars: true, labels });
    $('#lat-sum').textContent = `${fmt(lat.count)} puts since start · avg ${lat.count ? fix(lat.sumMs / lat.count, 2) : '–'} ms · bars: last 2 minutes, ms buckets`;
  }
}

function decodeFrame(buf) {
  const f = RatesFrame.getRootAsRatesFrame(new flatbuffers.ByteBuffer(new Uint8Array(buf)));
  const brokers = [];
  for (let i = 0; i < f.brokersLength(); i++) { const b = f.brokers(i); brokers.push({ cluster: b.cluster(), brokerName: b.brokerName(), brokerId: b.brokerId(), addr: b.addr(), putTps: b.putTps(), getTps: b.getTps(), putTotal: Number(b.putTotal()), getTotal: Number(b.getTotal()), up: b.up() }); }
  return { t: Number(f.t()), brokers };
}

function connectLive() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/cluster`);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => { state.wsOpen = true; $('#live-dot').className = 'dot on'; };
  ws.onmessage = (e) => {
    const f = decodeFrame(e.data); state.lastFrame = f; state.rates.push(f); if (state.rates.length > 120) state.rates.shift();
    window.__rmqFrames = (window.__rmqFrames || 0) + 1;
    if ($('#c-put')) { $('#c-put').textContent = fix(f.brokers.reduce((a, b) => a + b.putTps, 0)); $('#c-get').textContent = fix(f.brokers.reduce((a, b) => a + b.getTps, 0)); }
    drawLive();
    drawCluster();
  };
  ws.onclose = () => { state.wsOpen = false; $('#live-dot').className = 'dot'; setTimeout(connectLive, 2000); };
}

function connectLocal() {
  // Only a broker serves /ws (its own stats, including the put latency histogram).
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  ws.onmessage = (e) => { try { state.local.push(JSON.parse(e.data)); if (state.local.length > 120) state.local.shift(); } catch { /* ignore */ } };
  ws.onerror = () => {};
}

// ---- router ---------------------------------------------------------------------------------------

const TITLES = { cluster: 'Cluster', topics: 'Topics', groups: 'Consumer groups', messages: 'Messages', connections: 'Producers & connections', live: 'Live rates' };

async function render() {
  const view = (location.hash.replace(/^#\//, '') || 'cluster').split('?')[0];
  const name = TITLES[view] ? view : 'cluster';
  document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('active', a.dataset.view === name));
  $('#title').textContent = TITLES[name];
  const el = $('#view');
  el.dataset.view = name;
  try { await views[name](el); } catch (e) { el.innerHTML = `<div class="panel"><div class="empty bad">${esc(e.message)}</div></div>`; }
  document.body.dataset.ready = name;
}

window.addEventListener('hashchange', render);
await refreshSession();
connectLive();
connectLocal();
render();
