// The pipeline graph, laid out here (no Graphviz, no library): a layered
// ("Sugiyama") layout, left to right.
// 1. Cycles (a job that gets and puts the same resource) are broken by
//    reversing the edges a depth-first search finds going back.
// 2. Layers by longest path: every node sits one layer right of its
//    furthest predecessor, so edges all point right.
// 3. Edges longer than one layer get a dummy node per layer crossed, so they
//    bend around nodes and take part in ordering.
// 4. Order within layers: a few barycenter sweeps (each node moves to the
//    mean position of its neighbours in the layer before, then after),
//    keeping the order with the fewest crossings.
// 5. Coordinates: layers are columns, nodes evenly spaced and centred.
import { esc, enc } from './util.js';

const W = 170, H = 44, GX = 70, GY = 22;

export function layout(nodes, edges) {
  const ids = nodes.map(n => n.id), index = new Map(ids.map((id, i) => [id, i]));
  const out = ids.map(() => []);
  // a get with `passed` is drawn as the passed edges job -> job (as Concourse does): less clutter
  const es = edges.filter(e => index.has(e.from) && index.has(e.to) && e.from !== e.to && !(e.passed && e.passed.length))
    .map(e => ({ from: index.get(e.from), to: index.get(e.to), e }));
  for (const e of es) out[e.from].push(e);
  // 1. depth-first search from every node (in input order): back edges flip
  const state = ids.map(() => 0);
  const visit = v => {
    state[v] = 1;
    for (const e of out[v]) {
      if (state[e.to] === 1) e.rev = true;
      else if (state[e.to] === 0) visit(e.to);
    }
    state[v] = 2;
  };
  ids.forEach((_, v) => { if (!state[v]) visit(v); });
  const dag = es.map(e => e.rev ? { from: e.to, to: e.from, e: e.e, rev: true } : { from: e.from, to: e.to, e: e.e });
  // 2. longest path (Kahn's order)
  const indeg = ids.map(() => 0), succ = ids.map(() => []);
  for (const d of dag) { indeg[d.to]++; succ[d.from].push(d); }
  const layer = ids.map(() => 0), queue = ids.map((_, i) => i).filter(i => !indeg[i]);
  while (queue.length) {
    const v = queue.shift();
    for (const d of succ[v]) {
      layer[d.to] = Math.max(layer[d.to], layer[v] + 1);
      if (!--indeg[d.to]) queue.push(d.to);
    }
  }
  // a resource only put (never got) sits right of its putter; one only got, left of its getter
  // 3. dummies: vertices are nodes then dummies; each edge becomes a chain
  const L = [...layer], chains = [];
  const adj = ids.map(() => ({ up: [], down: [] }));
  const link = (a, b) => { adj[a].down.push(b); adj[b].up.push(a); };
  for (const d of dag) {
    const chain = [d.from];
    for (let l = L[d.from] + 1; l < L[d.to]; l++) {
      const v = L.length;
      L.push(l); adj.push({ up: [], down: [] });
      chain.push(v);
    }
    chain.push(d.to);
    for (let i = 1; i < chain.length; i++) link(chain[i - 1], chain[i]);
    chains.push({ chain: d.rev ? chain.slice().reverse() : chain, e: d.e });
  }
  const nl = Math.max(0, ...L) + 1, layers = Array.from({ length: nl }, () => []);
  L.forEach((l, v) => layers[l].push(v));
  // 4. barycenter sweeps
  const pos = new Array(L.length);
  const place = () => layers.forEach(ly => ly.forEach((v, i) => { pos[v] = i; }));
  place();
  const crossings = () => {
    let c = 0;
    for (let l = 0; l + 1 < nl; l++) {
      const segs = [];
      for (const v of layers[l]) for (const w of adj[v].down) segs.push([pos[v], pos[w]]);
      for (let i = 0; i < segs.length; i++)
        for (let j = i + 1; j < segs.length; j++)
          if ((segs[i][0] - segs[j][0]) * (segs[i][1] - segs[j][1]) < 0) c++;
    }
    return c;
  };
  const sweep = (ly, dir) => {
    const bc = new Map(ly.map(v => {
      const nb = adj[v][dir];
      return [v, nb.length ? nb.reduce((s, w) => s + pos[w], 0) / nb.length : pos[v]];
    }));
    ly.sort((a, b) => bc.get(a) - bc.get(b) || pos[a] - pos[b]);
    ly.forEach((v, i) => { pos[v] = i; });
  };
  let best = layers.map(ly => ly.slice()), bestC = crossings();
  for (let it = 0; it < 6 && bestC > 0; it++) {
    if (it % 2 === 0) for (let l = 1; l < nl; l++) sweep(layers[l], 'up');
    else for (let l = nl - 2; l >= 0; l--) sweep(layers[l], 'down');
    const c = crossings();
    if (c < bestC) { bestC = c; best = layers.map(ly => ly.slice()); }
  }
  best.forEach((ly, l) => { layers[l] = ly; });
  place();
  // 5. coordinates: a dummy takes a thin slot, a node a full one
  const slot = v => v < ids.length ? H + GY : 14;
  const heights = layers.map(ly => ly.reduce((s, v) => s + slot(v), 0));
  const height = Math.max(H + GY, ...heights);
  const xy = new Array(L.length);
  layers.forEach((ly, l) => {
    let y = (height - heights[l]) / 2 + GY / 2;
    for (const v of ly) { xy[v] = { x: l * (W + GX), y }; y += slot(v); }
  });
  return {
    width: nl * (W + GX) - GX, height,
    nodes: nodes.map((n, i) => ({ n, x: xy[i].x, y: xy[i].y })),
    edges: chains.map(c => ({ e: c.e, pts: c.chain.map(v => v < ids.length
      ? { x: xy[v].x, y: xy[v].y + H / 2, node: true } : { x: xy[v].x + W / 2, y: xy[v].y + 7, dummy: true }) })),
    crossings: bestC,
  };
}

// An edge's path: from the right side of its first node to the left side of
// its last, through its dummies, as smooth cubic curves.
function path(pts) {
  const p = pts.map((q, i) => q.node ? { x: q.x + (i === 0 ? W : 0), y: q.y } : q);
  let d = 'M' + p[0].x + ',' + p[0].y;
  for (let i = 1; i < p.length; i++) {
    const a = p[i - 1], b = p[i], mx = (a.x + b.x) / 2;
    d += ' C' + mx + ',' + a.y + ' ' + mx + ',' + b.y + ' ' + b.x + ',' + b.y;
  }
  return d;
}

function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + '\u2026' : s; }

export function svg(g) {
  const lay = layout(g.nodes, g.edges);
  const p = g.pipeline;
  let s = '<svg class="graph" role="img" aria-label="pipeline ' + esc(p) + ' as a graph" viewBox="-6 0 ' +
    (lay.width + 12) + ' ' + lay.height + '" width="' + (lay.width + 12) + '" height="' + lay.height +
    '" xmlns="http://www.w3.org/2000/svg"><defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" ' +
    'markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" class="arrowhead"/></marker></defs>';
  for (const e of lay.edges) {
    const k = e.e.kind, rev = e.pts[0].x > e.pts[e.pts.length - 1].x;
    const cls = 'edge e-' + esc(k) + (e.e.trigger ? ' trigger' : '') + (e.e.passed && e.e.passed.length ? ' gated' : '');
    s += '<path class="' + cls + '" data-from="' + esc(e.e.from) + '" data-to="' + esc(e.e.to) + '" d="' +
      (rev ? path(e.pts.slice().reverse()) : path(e.pts)) + '" marker-end="url(#arrow)"><title>' +
      esc(k + (e.e.resource ? ' ' + e.e.resource : '') + (e.e.trigger ? ' (trigger)' : '') +
          (e.e.passed && e.e.passed.length ? ', passed ' + e.e.passed.join(', ') : '')) + '</title></path>';
  }
  for (const { n, x, y } of lay.nodes) {
    const job = n.kind === 'job';
    const href = job ? '#/p/' + enc(p) + '/j/' + enc(n.name) : '#/p/' + enc(p) + '/r/' + enc(n.name);
    const st = job ? (n.status || 'none') : (n.error ? 'errored' : 'resource');
    const marks = [];
    if (n.paused) marks.push('paused');
    if (n.pinned) marks.push('pinned');
    if (n.waiting) marks.push('approval');
    if (n.running) marks.push('running');
    const cls = 'node ' + (job ? 'job' : 'res') + ' n-' + esc(st) + (n.running ? ' running' : '') +
      (n.paused ? ' paused' : '') + (n.pinned ? ' pinned' : '') + (n.waiting ? ' waiting' : '');
    const shown = marks.filter(m => m !== 'running').map(m => m === 'waiting' || m === 'approval' ? 'approve?' : m);
    const sub = job ? (n.build ? '#' + n.build + ' ' : '') + st.replace(/_/g, ' ') : (n.type || 'resource');
    s += '<a href="' + href + '" class="nodelink" data-node="' + esc(n.id) + '" data-key="' + esc(n.id) + '" data-status="' + esc(st) +
      '" data-running="' + (n.running ? 1 : 0) + '" data-marks="' + esc(marks.join(' ')) + '">' +
      '<title>' + esc((job ? 'job ' : 'resource ') + n.name + ' \u2014 ' + sub + (marks.length ? ' (' + marks.join(', ') + ')' : '')) +
      '</title><g class="' + cls + '" transform="translate(' + x + ',' + y + ')">' +
      '<rect width="' + W + '" height="' + H + '" rx="' + (job ? 4 : 16) + '"/>' +
      '<text x="10" y="18" class="name">' + esc(clip(n.name, 20)) + '</text>' +
      '<text x="10" y="34" class="sub">' + esc(clip(sub, shown.length ? 13 : 24)) + '</text>' +
      (shown.length ? '<text x="' + (W - 8) + '" y="34" class="mark" text-anchor="end">' + esc(shown.join(' ')) + '</text>' : '') +
      '</g></a>';
  }
  return s + '</svg>';
}
