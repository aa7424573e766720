// jweave live topology page. One classic script, no dependencies, no build step.
// Reads GET /api/topology once, then follows GET /api/events (Server-Sent Events, `event: topology`).
// Runs under Content-Security-Policy: default-src 'self' - no inline code, no eval, no innerHTML of data.
'use strict';
(() => {
  const SVGNS = 'http://www.w3.org/2000/svg';
  const params = new URLSearchParams(location.search);
  // No event (or keepalive event) for STALE_MS: the stream is re-opened; if the re-opened stream brings
  // no event within PROBE_MS either, the page says "stale". ?staleMs= shortens it (tests).
  const STALE_MS = intParam('staleMs', 30000, 200, 3600000);
  const PROBE_MS = Math.min(5000, STALE_MS);
  const REPORT_MAX_AGE_MS = 5000;
  const MAX_FRAGMENTS = 25;
  const MAX_FRAGMENT_CHARS = 4000;

  const $ = (id) => document.getElementById(id);
  const ui = {
    conn: $('conn-state'), connText: $('conn-text'),
    selfName: $('self-name'), counts: $('summary-counts'), dns: $('dns'), generated: $('generated'),
    graph: $('graph'), links: $('links'), hosts: $('hosts'), hostsCount: $('hosts-count'),
    networks: $('networks').tBodies[0], networksCount: $('networks-count'),
    ipam: $('ipam'), ipamRange: $('ipam-range'),
    containers: $('containers').tBodies[0], containersCount: $('containers-count'), containersEmpty: $('containers-empty'),
    fNetwork: $('filter-network'), fHost: $('filter-host'), fText: $('filter-text'), fClear: $('filter-clear'),
    details: $('details'), detailsTitle: $('details-title'), detailsBody: $('details-body'), detailsClose: $('details-close'),
  };

  const state = {
    topo: null,            // the topology last rendered
    pendingText: null,     // the newest event's data, not rendered yet
    frameQueued: false,
    sig: {},               // per-section signature of what is on screen
    rows: new Map(),       // container key -> { tr, sig, c, hay }
    order: [],             // container keys in table order
    filter: { network: '', host: '', text: '' },
    selection: null,       // { kind: 'host'|'link'|'network'|'container'|'pool', key }
    report: null, reportAt: 0, reportPromise: null, reportError: null,
    gotData: false,
  };
  const stats = { renders: 0, lastRenderMs: 0, events: 0, version: null };
  window.jweaveUi = stats; // read by tests and curious operators; not an API

  // ------------------------------------------------------------------ helpers

  function intParam(name, dflt, min, max) {
    const v = parseInt(params.get(name), 10);
    return Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : dflt;
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    setAttrs(e, attrs);
    for (const c of children) if (c != null) e.append(c);
    return e;
  }

  function sv(tag, attrs, ...children) {
    const e = document.createElementNS(SVGNS, tag);
    setAttrs(e, attrs);
    for (const c of children) if (c != null) e.append(c);
    return e;
  }

  function setAttrs(e, attrs) {
    if (!attrs) return;
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === 'class') e.setAttribute('class', v);
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }

  const str = (v) => (v == null ? '' : String(v));
  const arr = (v) => (Array.isArray(v) ? v : []);
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

  function ipKey(ip) {
    const s = str(ip).split('/')[0];
    const p = s.split('.');
    if (p.length === 4 && p.every((x) => /^\d{1,3}$/.test(x))) {
      return ((+p[0] * 256 + +p[1]) * 256 + +p[2]) * 256 + +p[3];
    }
    return Number.MAX_SAFE_INTEGER;
  }

  function containerKey(c) {
    return c.endpointId ? 'ep:' + c.endpointId : 'ip:' + str(c.network) + '|' + str(c.ip);
  }

  function linkKey(l) { return str(l.from) + '-' + str(l.to); }

  function fmtTime(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    return isNaN(d) ? str(iso) : d.toLocaleString();
  }

  function truncate(s, n) { return s.length > n ? s.slice(0, n - 1) + '…' : s; }

  // ------------------------------------------------------------------ connection

  const conn = { es: null, lastEventAt: 0, openedAt: 0, probing: false, probeAt: 0, reopenTimer: 0, backoff: 1000 };

  function setConn(s, text) {
    if (ui.conn.dataset.state !== s) ui.conn.dataset.state = s;
    if (ui.connText.textContent !== text) ui.connText.textContent = text;
    ui.conn.title = s === 'live' ? 'following /api/events'
      : s === 'reconnecting' ? 'the event stream is reconnecting; what is shown may be out of date'
      : 'no news from the router for a while; what is shown may be out of date';
  }

  function openStream() {
    clearTimeout(conn.reopenTimer);
    if (conn.es) conn.es.close();
    const es = new EventSource('/api/events');
    conn.es = es;
    conn.openedAt = Date.now();
    es.addEventListener('open', () => {
      if (es !== conn.es) return;
      conn.openedAt = Date.now();
      conn.backoff = 1000;
      if (!conn.probing) setConn('live', 'live');
    });
    es.addEventListener('topology', (e) => {
      if (es !== conn.es) return;
      activity();
      receive(e.data);
    });
    // Comments (": keepalive") never reach JavaScript; a router that sends `event: keepalive` is heard.
    es.addEventListener('keepalive', () => { if (es === conn.es) activity(); });
    es.addEventListener('error', () => {
      if (es !== conn.es) return;
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. a non-200 answer): re-open ourselves, backing off.
        setConn('stale', 'stale');
        conn.reopenTimer = setTimeout(openStream, conn.backoff);
        conn.backoff = Math.min(conn.backoff * 2, 15000);
      } else {
        setConn('reconnecting', 'reconnecting');
      }
    });
  }

  // A page the browser keeps in its back/forward cache would keep its event stream open, and a browser
  // allows only 6 connections per host and port: after a few navigations the next page load waited tens
  // of seconds for one (docs/benchmarks.md, "Topology page"). Close the stream when the page is hidden
  // that way, and open it again when it is shown.
  window.addEventListener('pagehide', () => {
    clearTimeout(conn.reopenTimer);
    if (conn.es) {
      conn.es.close();
      conn.es = null;
    }
  });
  window.addEventListener('pageshow', (e) => {
    if (e.persisted && !conn.es) openStream();
  });

  function activity() {
    conn.lastEventAt = Date.now();
    conn.probing = false;
    setConn('live', 'live');
  }

  function watchdog() {
    const es = conn.es;
    if (!es) return;
    const now = Date.now();
    if (es.readyState === EventSource.CONNECTING) {
      if (now - Math.max(conn.lastEventAt, conn.openedAt) > STALE_MS) {
        setConn('stale', 'stale');
        openStream();
      }
      return;
    }
    if (es.readyState !== EventSource.OPEN) return;
    const quiet = now - Math.max(conn.lastEventAt, conn.openedAt);
    if (!conn.probing) {
      if (quiet > STALE_MS) {
        // A quiet router and a dead connection look the same from here: ask again (the router sends
        // the topology at once on a new stream).
        conn.probing = true;
        conn.probeAt = now;
        openStream();
      }
    } else if (now - conn.probeAt > PROBE_MS) {
      setConn('stale', 'stale');
      conn.probeAt = now;
      openStream();
    }
  }

  function receive(text) {
    stats.events++;
    state.pendingText = text;
    if (!state.frameQueued) {
      state.frameQueued = true;
      requestAnimationFrame(flush);
    }
  }

  function flush() {
    state.frameQueued = false;
    const text = state.pendingText;
    state.pendingText = null;
    if (text == null) return;
    let topo;
    try {
      topo = JSON.parse(text);
    } catch (err) {
      ui.generated.textContent = 'unreadable topology event';
      return;
    }
    state.gotData = true;
    render(topo);
  }

  async function initialFetch() {
    try {
      const r = await fetch('/api/topology', { headers: { Accept: 'application/json' } });
      if (!r.ok) return;
      const text = await r.text();
      if (!state.gotData && state.pendingText == null) receive(text);
    } catch (_) { /* the event stream will bring it */ }
  }

  // ------------------------------------------------------------------ rendering

  function normalize(t) {
    t = t && typeof t === 'object' ? t : {};
    return {
      version: t.version, generatedAt: t.generatedAt, self: str(t.self),
      hosts: arr(t.hosts).filter((h) => h && h.name != null),
      links: arr(t.links).filter((l) => l && l.from != null && l.to != null),
      networks: arr(t.networks).filter((n) => n && n.name != null),
      containers: arr(t.containers).filter((c) => c && c.ip != null),
      ipam: t.ipam && typeof t.ipam === 'object' ? t.ipam : null,
      dns: t.dns && typeof t.dns === 'object' ? t.dns : null,
    };
  }

  function changed(section, value) {
    const s = JSON.stringify(value);
    if (state.sig[section] === s) return false;
    state.sig[section] = s;
    return true;
  }

  function render(raw) {
    const t0 = performance.now();
    const t = normalize(raw);
    state.topo = t;

    if (changed('header', [t.self, t.hosts.length, t.networks.length, t.containers.length, t.dns])) renderHeader(t);
    ui.generated.textContent = 'v' + str(t.version) + (t.generatedAt ? ' · ' + fmtTime(t.generatedAt) : '');
    if (changed('graph', [t.self, t.hosts, t.links])) renderGraph(t);
    const netsChanged = changed('networks', [t.networks, containerCounts(t)]);
    if (netsChanged) renderNetworks(t);
    if (changed('ipam', t.ipam)) renderIpam(t.ipam);
    const filtersChanged = changed('filters', [t.networks.map((n) => n.name), t.hosts.map((h) => h.name),
      [...new Set(t.containers.map((c) => str(c.network) + '\u0000' + str(c.host)))]]);
    if (filtersChanged) renderFilterOptions(t);
    const rowsChanged = renderContainers(t);
    if (rowsChanged || filtersChanged || netsChanged) applyFilter(); // also marks the active network chip
    markSelection();
    if (state.selection) renderDetails(false);

    document.body.dataset.topologyVersion = str(t.version);
    stats.version = t.version;
    stats.renders++;
    stats.lastRenderMs = Math.round((performance.now() - t0) * 10) / 10;
  }

  function containerCounts(t) {
    const m = {};
    for (const c of t.containers) m[c.network] = (m[c.network] || 0) + 1;
    return m;
  }

  function renderHeader(t) {
    ui.selfName.textContent = t.self ? '· ' + t.self : '';
    document.title = 'jweave topology' + (t.self ? ' · ' + t.self : '');
    ui.counts.textContent = `${t.hosts.length} hosts · ${t.networks.length} networks · ${t.containers.length} containers`;
    if (t.dns) {
      ui.dns.textContent = `${str(t.dns.domain)} · ${str(t.dns.records)} records`;
      ui.dns.dataset.domain = str(t.dns.domain);
      ui.dns.dataset.records = str(t.dns.records);
    } else {
      ui.dns.textContent = 'off';
      delete ui.dns.dataset.domain;
      delete ui.dns.dataset.records;
    }
  }

  // ---- graph: this host in the middle, the others on a circle around it, labels outward.

  function renderGraph(t) {
    const hosts = [...t.hosts].sort((a, b) => collator.compare(str(a.name), str(b.name)));
    const self = hosts.find((h) => h.self === true || h.name === t.self);
    const others = hosts.filter((h) => h !== self);
    const m = others.length;
    const rotated = m > 10;
    const nodeR = m > 30 ? 7 : 10;
    const spacing = rotated ? 24 : 80;
    const linkLabels = t.links.length <= 12 && !rotated;
    const R = Math.max(linkLabels ? 190 : 140, (m * spacing) / (2 * Math.PI));
    ui.hostsCount.textContent = hosts.length ? `(${hosts.length})` : '';

    const pos = new Map();
    if (self) pos.set(self.name, { x: 0, y: 0, a: 0 });
    const start = m === 1 ? 0 : -Math.PI / 2 + (m === 2 ? Math.PI / 2 : 0);
    others.forEach((h, i) => {
      const a = start + (2 * Math.PI * i) / Math.max(1, m);
      pos.set(h.name, { x: R * Math.cos(a), y: R * Math.sin(a), a });
    });

    // The drawing's extent: nodes and (estimated) labels; the viewBox fits it, so few hosts are not tiny.
    const box = { x1: -60, y1: -40, x2: 60, y2: 40 };
    const grow = (x, y) => { box.x1 = Math.min(box.x1, x); box.x2 = Math.max(box.x2, x); box.y1 = Math.min(box.y1, y); box.y2 = Math.max(box.y2, y); };
    const CH = 7.4; // average glyph width at 12px
    if (self) { const w = (truncate(str(self.name), 28).length + 12) * CH / 2; grow(-w, 46); grow(w, 46); }
    for (const h of others) {
      const p = pos.get(h.name);
      const w = truncate(str(h.name), 28).length * CH;
      const cx = Math.cos(p.a), cy = Math.sin(p.a);
      const far = R + nodeR + 8 + w;
      if (rotated) {
        grow(far * cx, far * cy);
        grow(p.x - nodeR, p.y - nodeR); grow(p.x + nodeR, p.y + nodeR);
      } else {
        const d = nodeR + 6;
        const lx = p.x + cx * d, ly = p.y + cy * d;
        if (Math.abs(cx) < 0.3) { grow(lx - w / 2, ly - 16); grow(lx + w / 2, ly + 16); }
        else if (cx > 0) { grow(lx + w, ly - 10); grow(p.x - nodeR, ly + 10); }
        else { grow(lx - w, ly - 10); grow(p.x + nodeR, ly + 10); }
      }
    }
    const pad = 14;
    const minH = Math.max(260, (box.x2 - box.x1) / 1.8);
    if (box.y2 - box.y1 < minH) { const grow2 = (minH - (box.y2 - box.y1)) / 2; box.y1 -= grow2; box.y2 += grow2; }
    ui.graph.setAttribute('viewBox', [box.x1 - pad, box.y1 - pad, box.x2 - box.x1 + 2 * pad, box.y2 - box.y1 + 2 * pad]
      .map((v) => v.toFixed(0)).join(' '));

    const linkNodes = [];
    for (const l of t.links) {
      const p = pos.get(l.from);
      const q = pos.get(l.to);
      if (!p || !q) continue;
      const dp = l.datapath == null ? 'none' : str(l.datapath);
      const st = str(l.state) || 'unknown';
      const g = sv('g', {
        'data-link': linkKey(l), 'data-from': l.from, 'data-to': l.to,
        'data-state': st, 'data-datapath': dp, 'data-encrypted': l.encrypted === true ? 'true' : 'false',
        class: 'link-group',
      });
      const line = { x1: p.x.toFixed(1), y1: p.y.toFixed(1), x2: q.x.toFixed(1), y2: q.y.toFixed(1) };
      if (l.encrypted === true && st === 'connected') g.append(sv('line', { ...line, class: 'link-halo' }));
      g.append(sv('line', { ...line, class: `link dp-${dp} st-${st}` }));
      g.append(sv('line', { ...line, class: 'link-hit' }));
      if (linkLabels) {
        let deg = (Math.atan2(q.y - p.y, q.x - p.x) * 180) / Math.PI;
        if (deg > 90) deg -= 180;
        if (deg <= -90) deg += 180;
        const mx = ((p.x + q.x) / 2).toFixed(1), my = ((p.y + q.y) / 2).toFixed(1);
        const words = [st === 'connected' ? dp : st, l.encrypted === true ? 'encrypted' : null].filter(Boolean);
        g.append(sv('text', { class: `link-label st-${st}`, x: mx, y: my, dy: -6, 'text-anchor': 'middle',
          transform: `rotate(${deg.toFixed(1)} ${mx} ${my})`, text: words.join(' · ') }));
      }
      g.append(sv('title', { text: linkTitle(l, dp, st) }));
      linkNodes.push(g);
    }
    ui.links.replaceChildren(...linkNodes);

    const hostNodes = [];
    for (const h of hosts) {
      const p = pos.get(h.name);
      const isSelf = h === self;
      const st = str(h.state) || 'unknown';
      const r = isSelf ? 14 : nodeR;
      const g = sv('g', {
        class: 'host', 'data-host': h.name, 'data-state': st, 'data-self': isSelf ? 'true' : 'false',
        transform: `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`, tabindex: 0, role: 'button',
        'aria-label': `host ${h.name}, ${st}${isSelf ? ', this host' : ''}`,
      });
      if (isSelf) g.append(sv('circle', { class: 'host-ring', r: r + 6 }));
      g.append(sv('circle', { class: `host-dot st-${st}${isSelf ? ' self' : ''}`, r }));
      const name = truncate(str(h.name), 28);
      let label;
      if (isSelf) {
        label = sv('text', { class: 'host-label self', x: 0, y: r + 22, 'text-anchor': 'middle', text: name + ' (this host)' });
      } else {
        const deg = (p.a * 180) / Math.PI;
        const right = Math.cos(p.a) >= -1e-9;
        const d = r + 6;
        if (rotated) {
          label = sv('text', {
            class: `host-label st-${st}`, x: right ? d : -d, y: 4, 'text-anchor': right ? 'start' : 'end',
            transform: `rotate(${(right ? deg : deg + 180).toFixed(1)})`, text: name,
          });
        } else {
          const cx = Math.cos(p.a), cy = Math.sin(p.a);
          const anchor = Math.abs(cx) < 0.3 ? 'middle' : cx > 0 ? 'start' : 'end';
          label = sv('text', {
            class: `host-label st-${st}`, x: (cx * d).toFixed(1), y: (cy * d + (Math.abs(cx) < 0.3 ? (cy > 0 ? 12 : -4) : 4)).toFixed(1),
            'text-anchor': anchor, text: name,
          });
        }
      }
      g.append(label);
      g.append(sv('title', { text: hostTitle(h, isSelf) }));
      hostNodes.push(g);
    }
    if (!hostNodes.length) hostNodes.push(sv('text', { class: 'graph-empty', x: 0, y: 0, 'text-anchor': 'middle', text: 'no hosts known yet' }));
    ui.hosts.replaceChildren(...hostNodes);
  }

  function linkTitle(l, dp, st) {
    const parts = [`${l.from} → ${l.to}`, st, 'datapath ' + dp];
    if (l.encrypted === true) parts.push('encrypted');
    if (l.rttMs != null) parts.push(`rtt ${l.rttMs} ms`);
    if (l.loss != null) parts.push(`loss ${Math.round(l.loss * 1000) / 10}%`);
    if (l.reason) parts.push(str(l.reason));
    if (l.since) parts.push('since ' + fmtTime(l.since));
    return parts.join(' · ');
  }

  function hostTitle(h, isSelf) {
    const parts = [str(h.name) + (isSelf ? ' (this host)' : ''), str(h.address), str(h.state)];
    if (h.encrypted === true) parts.push('encrypted');
    if (h.since) parts.push('since ' + fmtTime(h.since));
    return parts.filter(Boolean).join(' · ');
  }

  // ---- networks

  function renderNetworks(t) {
    const counts = containerCounts(t);
    const nets = [...t.networks].sort((a, b) => collator.compare(str(a.name), str(b.name)));
    ui.networksCount.textContent = nets.length ? `(${nets.length})` : '';
    const rows = nets.map((n) => {
      const eps = n.endpoints && typeof n.endpoints === 'object' ? n.endpoints : {};
      const chips = Object.keys(eps).sort(collator.compare).map((h) =>
        el('span', { class: 'chip', 'data-host': h, 'data-network': n.name, title: `show the containers of ${n.name} on ${h}`, text: `${h} · ${eps[h]}` }));
      return el('tr', { 'data-network': n.name, 'data-network-id': n.id, title: `${counts[n.name] || 0} containers` },
        el('td', { text: n.name }),
        el('td', { class: 'mono', text: str(n.subnet) }),
        el('td', { class: 'mono', text: str(n.gateway) }),
        el('td', { text: str(n.vni) }),
        el('td', { text: str(n.mtu) }),
        el('td', null, ...chips));
    });
    if (!rows.length) rows.push(el('tr', { class: 'empty' }, el('td', { colspan: 6, class: 'muted', text: 'no networks' })));
    ui.networks.replaceChildren(...rows);
  }

  // ---- ipam

  function renderIpam(ipam) {
    if (!ipam) {
      ui.ipamRange.textContent = '';
      ui.ipam.replaceChildren(el('p', { class: 'muted', text: 'no IPAM data' }));
      return;
    }
    ui.ipamRange.textContent = ipam.autoRange ? `(automatic ${ipam.autoRange}, /${str(ipam.autoPrefix)} each)` : '';
    const pools = arr(ipam.pools).map((p) => {
      const used = Number(p.used) || 0;
      const free = Number(p.free) || 0;
      const total = used + free;
      const pct = total ? (100 * used) / total : 0;
      const bar = el('div', { class: 'bar-used' + (pct >= 95 ? ' full' : pct >= 75 ? ' high' : '') });
      bar.style.width = pct.toFixed(1) + '%';
      return el('div', { class: 'pool', 'data-pool': p.pool, 'data-pool-id': p.poolId, 'data-used': used, 'data-free': free,
        title: `range ${str(p.range || p.pool)}${p.automatic ? ' (automatic)' : ''}` },
        el('div', { class: 'pool-head' },
          el('span', { class: 'mono', text: str(p.pool) + (p.automatic ? ' · auto' : '') }),
          el('span', { text: `${used} used · ${free} free · ${pct < 1 && used > 0 ? '<1' : Math.round(pct)}%` })),
        el('div', { class: 'bar', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': total, 'aria-valuenow': used }, bar));
    });
    if (!pools.length) pools.push(el('p', { class: 'muted', text: 'no pools' }));
    ui.ipam.replaceChildren(...pools);
  }

  // ---- filters

  function renderFilterOptions(t) {
    const nets = new Set(t.networks.map((n) => str(n.name)));
    const hosts = new Set(t.hosts.map((h) => str(h.name)));
    for (const c of t.containers) { nets.add(str(c.network)); hosts.add(str(c.host)); }
    fillSelect(ui.fNetwork, [...nets].filter(Boolean).sort(collator.compare), state.filter.network);
    fillSelect(ui.fHost, [...hosts].filter(Boolean).sort(collator.compare), state.filter.host);
  }

  function fillSelect(sel, values, current) {
    const opts = [el('option', { value: '', text: 'all' })];
    for (const v of values) opts.push(el('option', { value: v, text: v }));
    if (current && !values.includes(current)) opts.push(el('option', { value: current, text: current + ' (gone)' }));
    sel.replaceChildren(...opts);
    sel.value = current;
  }

  function setFilter(f) {
    Object.assign(state.filter, f);
    if (state.topo) renderFilterOptions(state.topo);
    ui.fText.value = state.filter.text;
    applyFilter();
    saveFilterToUrl();
  }

  function applyFilter() {
    const { network, host } = state.filter;
    const text = state.filter.text.trim().toLowerCase();
    let shown = 0;
    for (const key of state.order) {
      const r = state.rows.get(key);
      const ok = (!network || str(r.c.network) === network) && (!host || str(r.c.host) === host) && (!text || r.hay.includes(text));
      if (r.tr.hidden === ok) r.tr.hidden = !ok;
      if (ok) shown++;
    }
    const total = state.order.length;
    ui.containersCount.textContent = shown === total ? `(${total})` : `(${shown} of ${total})`;
    ui.containersEmpty.hidden = shown > 0;
    for (const chip of ui.networks.querySelectorAll('.chip')) {
      chip.classList.toggle('active', chip.dataset.network === network && chip.dataset.host === host);
    }
  }

  function saveFilterToUrl() {
    const p = new URLSearchParams(location.search);
    for (const k of ['network', 'host', 'q']) p.delete(k);
    if (state.filter.network) p.set('network', state.filter.network);
    if (state.filter.host) p.set('host', state.filter.host);
    if (state.filter.text) p.set('q', state.filter.text);
    const qs = p.toString();
    history.replaceState(null, '', location.pathname + (qs ? '?' + qs : '') + location.hash);
  }

  // ---- containers: one row per container, kept across updates; only changed rows are rebuilt.

  function renderContainers(t) {
    const sorted = [...t.containers].sort((a, b) =>
      collator.compare(str(a.network), str(b.network)) || collator.compare(str(a.host), str(b.host))
      || ipKey(a.ip) - ipKey(b.ip) || collator.compare(str(a.ip), str(b.ip)));
    const next = new Map();
    const order = [];
    let dirty = false;
    for (const c of sorted) {
      let key = containerKey(c);
      while (next.has(key)) key += '+';
      const sig = JSON.stringify(c);
      let r = state.rows.get(key);
      if (!r || r.sig !== sig) {
        r = { tr: containerRow(c, key), sig, c, hay: haystack(c) };
        dirty = true;
      }
      next.set(key, r);
      order.push(key);
    }
    if (!dirty && order.length === state.order.length && order.every((k, i) => k === state.order[i])) return false;
    state.rows = next;
    state.order = order;
    ui.containers.replaceChildren(...order.map((k) => next.get(k).tr));
    return true;
  }

  function containerRow(c, key) {
    const names = arr(c.dnsNames).map((n) => el('span', { class: 'dnsname mono', text: str(n) }));
    return el('tr', {
      'data-key': key, 'data-container-ip': str(c.ip), 'data-container': str(c.name), 'data-host': str(c.host),
      'data-network': str(c.network), 'data-endpoint-id': str(c.endpointId), 'data-mac': str(c.mac),
    },
    el('td', c.name ? { text: str(c.name) } : { class: 'muted', text: '—' }),
    el('td', { text: str(c.host) }),
    el('td', { text: str(c.network) }),
    el('td', { class: 'mono', text: str(c.ip) }),
    el('td', { class: 'mono', text: str(c.mac) }),
    el('td', null, ...names));
  }

  function haystack(c) {
    return [c.name, c.host, c.network, c.ip, c.mac, c.endpointId, ...arr(c.dnsNames)].map(str).join(' ').toLowerCase();
  }

  // ------------------------------------------------------------------ selection and details

  function select(kind, key) {
    state.selection = { kind, key };
    ui.details.hidden = false;
    renderDetails(true);
    markSelection();
    ui.detailsClose.focus({ preventScroll: true });
  }

  function closeDetails() {
    if (!state.selection) return;
    state.selection = null;
    ui.details.hidden = true;
    delete ui.details.dataset.kind;
    delete ui.details.dataset.key;
    markSelection();
  }

  function markSelection() {
    for (const e of document.querySelectorAll('.selected')) e.classList.remove('selected');
    const s = state.selection;
    if (!s) return;
    let target = null;
    if (s.kind === 'host') target = ui.hosts.querySelector(`[data-host="${CSS.escape(s.key)}"]`);
    else if (s.kind === 'link') target = ui.links.querySelector(`[data-link="${CSS.escape(s.key)}"]`);
    else if (s.kind === 'network') target = ui.networks.querySelector(`tr[data-network="${CSS.escape(s.key)}"]`);
    else if (s.kind === 'container') target = state.rows.get(s.key)?.tr;
    else if (s.kind === 'pool') target = ui.ipam.querySelector(`[data-pool="${CSS.escape(s.key)}"]`);
    if (target) target.classList.add('selected');
  }

  // What the topology says about the selection: its record, a title, the terms to look for in /report.
  function lookup(s) {
    const t = state.topo || normalize(null);
    switch (s.kind) {
      case 'host': {
        const h = t.hosts.find((x) => x.name === s.key);
        const links = t.links.filter((l) => l.from === s.key || l.to === s.key);
        const n = t.containers.filter((c) => c.host === s.key).length;
        return { title: 'Host ' + s.key, record: h, related: { links, containers: n }, terms: h ? [h.name, h.address] : [s.key], filter: { host: s.key, network: '' } };
      }
      case 'link': {
        const l = t.links.find((x) => linkKey(x) === s.key);
        const peer = l ? (l.from === t.self ? l.to : l.from) : null;
        return { title: 'Link ' + s.key.replace('-', ' → '), record: l, terms: peer ? [peer] : [] };
      }
      case 'network': {
        const n = t.networks.find((x) => x.name === s.key);
        const byHost = {};
        for (const c of t.containers) if (c.network === s.key) byHost[c.host] = (byHost[c.host] || 0) + 1;
        return { title: 'Network ' + s.key, record: n, related: { containersPerHost: byHost }, terms: n ? [n.name, n.id] : [s.key], filter: { network: s.key, host: '' } };
      }
      case 'container': {
        const r = state.rows.get(s.key);
        const c = r ? r.c : null;
        return { title: 'Container ' + (c ? (c.name || c.ip) : ''), record: c, terms: c ? [c.ip, c.endpointId, c.mac] : [] };
      }
      case 'pool': {
        const p = arr(t.ipam && t.ipam.pools).find((x) => x.pool === s.key);
        return { title: 'Pool ' + s.key, record: p, terms: p ? [p.poolId, p.pool] : [s.key] };
      }
      default: return { title: '', record: null, terms: [] };
    }
  }

  function renderDetails(fresh) {
    const s = state.selection;
    const info = lookup(s);
    const sig = JSON.stringify([s, info.record, info.related]);
    if (!fresh && ui.details.dataset.sig === sig) return;
    ui.details.dataset.sig = sig;
    ui.details.dataset.kind = s.kind;
    ui.details.dataset.key = s.key;
    if (info.title || !ui.detailsTitle.textContent) ui.detailsTitle.textContent = info.title || s.key;

    const parts = [];
    if (!info.record) {
      parts.push(el('p', { class: 'gone', text: 'No longer in the topology.' }));
    } else {
      parts.push(el('h3', { text: 'Topology record' }), kvTable(info.record));
    }
    if (info.related) {
      for (const [k, v] of Object.entries(info.related)) {
        if (k === 'links') {
          parts.push(el('h3', { text: `Links (${v.length})` }));
          parts.push(el('ul', { class: 'links-list' }, ...v.map((l) =>
            el('li', { 'data-link': linkKey(l), text: linkTitle(l, l.datapath == null ? 'none' : str(l.datapath), str(l.state)) }))));
        } else if (k === 'containers') {
          parts.push(el('p', { text: `${v} containers on this host.` }));
        } else if (k === 'containersPerHost') {
          const entries = Object.entries(v).sort((a, b) => collator.compare(a[0], b[0]));
          parts.push(el('h3', { text: 'Containers per host' }),
            el('p', { text: entries.length ? entries.map(([h, n]) => `${h}: ${n}`).join(' · ') : 'none' }));
        }
      }
    }
    if (info.filter) {
      parts.push(el('p', null, el('button', { type: 'button', id: 'details-filter', text: 'Show its containers' })));
    }
    const reportBox = el('div', { id: 'details-report' });
    parts.push(el('h3', { text: 'From the router\'s report' }), reportBox);
    ui.detailsBody.replaceChildren(...parts);
    fillReport(reportBox, info, s);
  }

  function kvTable(obj) {
    const rows = Object.entries(obj).map(([k, v]) => {
      let text;
      if (v == null) text = '—';
      else if (typeof v === 'object') text = JSON.stringify(v);
      else text = String(v);
      return el('tr', { 'data-field': k }, el('th', { text: k }), el('td', { class: 'mono', text }));
    });
    return el('table', { class: 'kv' }, el('tbody', null, ...rows));
  }

  function fetchReport(force) {
    const now = Date.now();
    if (state.reportPromise) return state.reportPromise;
    if (!force && state.report && now - state.reportAt < REPORT_MAX_AGE_MS) return Promise.resolve(state.report);
    state.reportPromise = fetch('/report', { headers: { Accept: 'application/json' } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status))))
      .then((j) => { state.report = j; state.reportAt = Date.now(); state.reportError = null; return j; })
      .catch((e) => { state.reportError = String(e.message || e); return null; })
      .finally(() => { state.reportPromise = null; });
    return state.reportPromise;
  }

  function fillReport(box, info, s) {
    box.replaceChildren(el('p', { class: 'muted', text: 'loading /report…' }));
    fetchReport(false).then((report) => {
      if (state.selection !== s || !box.isConnected) return;
      if (!report) {
        box.replaceChildren(el('p', { class: 'muted', text: 'report unavailable' + (state.reportError ? ': ' + state.reportError : '') }));
        return;
      }
      const terms = info.terms.filter((x) => x != null && x !== '').map((x) => String(x).toLowerCase());
      const found = terms.length ? findFragments(report, terms) : [];
      if (!found.length) {
        box.replaceChildren(el('p', { class: 'muted', text: 'nothing in the report mentions it' }));
        return;
      }
      const nodes = [];
      for (const f of found.slice(0, MAX_FRAGMENTS)) {
        nodes.push(el('div', { class: 'frag', 'data-path': f.path },
          el('div', { class: 'frag-path mono', text: f.path || '(report)' }),
          el('pre', { text: JSON.stringify(f.value, null, 2) })));
      }
      if (found.length > MAX_FRAGMENTS) nodes.push(el('p', { class: 'muted', text: `and ${found.length - MAX_FRAGMENTS} more` }));
      box.replaceChildren(...nodes);
    });
  }

  function matches(v, terms) {
    if (typeof v !== 'string' && typeof v !== 'number') return false;
    const s = String(v).toLowerCase();
    return terms.some((term) => s === term || s.startsWith(term + '/'));
  }

  // The outermost objects of the report that name one of the terms in one of their own fields
  // (a string, or an array of strings); objects too large to show whole are searched inside instead,
  // and shown by their plain fields if nothing inside them matches.
  function findFragments(report, terms) {
    const out = [];
    const walk = (v, path) => {
      if (Array.isArray(v)) {
        v.forEach((x, i) => { if (x && typeof x === 'object') walk(x, `${path}[${i}]`); });
        return;
      }
      if (!v || typeof v !== 'object') return;
      const direct = Object.values(v).some((x) => matches(x, terms) || (Array.isArray(x) && x.some((y) => matches(y, terms))));
      if (direct) {
        const text = JSON.stringify(v);
        if (text.length <= MAX_FRAGMENT_CHARS) { out.push({ path, value: v }); return; }
      }
      const before = out.length;
      for (const [k, x] of Object.entries(v)) {
        if (x && typeof x === 'object') walk(x, path ? `${path}.${k}` : k);
      }
      if (direct && out.length === before) {
        const shallow = {};
        for (const [k, x] of Object.entries(v)) if (x == null || typeof x !== 'object') shallow[k] = x;
        out.push({ path, value: shallow });
      }
    };
    walk(report, '');
    return out;
  }

  // ------------------------------------------------------------------ events of the page

  function hostFrom(e) { return e.target.closest('[data-host]'); }

  ui.hosts.addEventListener('click', (e) => { const g = hostFrom(e); if (g) select('host', g.dataset.host); });
  ui.hosts.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    const g = hostFrom(e);
    if (g) { e.preventDefault(); select('host', g.dataset.host); }
  });
  ui.links.addEventListener('click', (e) => { const g = e.target.closest('[data-link]'); if (g) select('link', g.dataset.link); });
  ui.networks.addEventListener('click', (e) => {
    const chip = e.target.closest('.chip');
    if (chip) {
      const same = state.filter.network === chip.dataset.network && state.filter.host === chip.dataset.host;
      setFilter(same ? { network: '', host: '' } : { network: chip.dataset.network, host: chip.dataset.host });
      return;
    }
    const tr = e.target.closest('tr[data-network]');
    if (tr) select('network', tr.dataset.network);
  });
  ui.containers.addEventListener('click', (e) => { const tr = e.target.closest('tr[data-key]'); if (tr) select('container', tr.dataset.key); });
  ui.ipam.addEventListener('click', (e) => { const p = e.target.closest('[data-pool]'); if (p) select('pool', p.dataset.pool); });

  ui.fNetwork.addEventListener('change', () => setFilter({ network: ui.fNetwork.value }));
  ui.fHost.addEventListener('change', () => setFilter({ host: ui.fHost.value }));
  let textTimer = 0;
  ui.fText.addEventListener('input', () => {
    clearTimeout(textTimer);
    textTimer = setTimeout(() => setFilter({ text: ui.fText.value }), 120);
  });
  ui.fClear.addEventListener('click', () => setFilter({ network: '', host: '', text: '' }));

  ui.detailsClose.addEventListener('click', closeDetails);
  ui.detailsBody.addEventListener('click', (e) => {
    if (e.target.id !== 'details-filter' || !state.selection) return;
    const f = lookup(state.selection).filter;
    if (f) setFilter(f);
  });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeDetails(); });

  // ------------------------------------------------------------------ start

  state.filter.network = params.get('network') || '';
  state.filter.host = params.get('host') || '';
  state.filter.text = params.get('q') || '';
  ui.fText.value = state.filter.text;
  setConn('reconnecting', 'connecting');
  openStream();
  initialFetch();
  setInterval(watchdog, Math.max(100, Math.min(1000, Math.floor(STALE_MS / 4))));
})();
