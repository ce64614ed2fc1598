// A plain static file server for the built site, as any static host would serve it, under
// a path prefix ('/' or '/movieclassifier/'), on a free loopback port. Tests can deploy
// another build, choose the caching headers, and break responses the way networks do.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.postcard': 'application/octet-stream',
  '.json': 'application/json',
};

// What a server that only knows modification times sends: the time each build was deployed,
// the first an hour ago, so that the browser keeps its files fresh for six minutes without
// asking (10% of their age, Chrome's heuristic when no Cache-Control says otherwise).
const AN_HOUR = 3600 * 1000;
const httpDate = (ms) => new Date(Math.floor(ms / 1000) * 1000).toUTCString();

/**
 * A network link shared by every response: `latency` ms before each answer starts, then its
 * bytes at `kbps` kilobits a second, one response after another, as a phone's one radio
 * carries them.
 */
function link({ kbps, latency }) {
  let free = 0;
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  return async (response, body) => {
    await wait(latency);
    for (let at = 0; at < body.length; at += 16384) {
      const chunk = body.subarray(at, at + 16384);
      const start = Math.max(Date.now(), free);
      free = start + (chunk.length * 8) / kbps;
      await wait(free - Date.now());
      response.write(chunk);
    }
    response.end();
  };
}

/**
 * Caching: 'etag' (no-cache with an ETag, as GitHub Pages and nginx revalidate), 'last-modified'
 * (only a Last-Modified date and no Cache-Control, as python's http.server), 'max-age' (cached
 * for ten minutes), 'no-store'. `gzip`: compress what the browser accepts gzip'd, as static
 * hosts do. `throttle`: `{ kbps, latency }`, a slow link (see `link`).
 */
export async function serve(root, prefix = '/', { caching = 'etag', gzip = false, throttle = null } = {}) {
  const state = { root, caching, sabotage: [], requests: [], modified: Date.now() - AN_HOUR };
  const send = throttle ? link(throttle) : (response, body) => response.end(body);
  const server = createServer(async (request, response) => {
    const { pathname } = new URL(request.url, 'http://localhost');
    if (!pathname.startsWith(prefix)) {
      response.writeHead(404).end();
      return;
    }
    let path = normalize(decodeURIComponent(pathname.slice(prefix.length)));
    if (path === '.' || path.endsWith('/')) path = join(path, 'index.html');
    if (path.startsWith('..')) {
      response.writeHead(403).end();
      return;
    }
    const broken = state.sabotage.find(({ pattern }) => pattern.test(path));
    if (broken?.mode === 'hang') {
      state.requests.push({ path, status: 'hung' });
      return; // Never answered: a connection that barely works.
    }
    if (broken?.mode === 'drop') {
      state.requests.push({ path, status: 'dropped' });
      request.socket.destroy();
      return;
    }
    let body;
    try {
      body = await readFile(join(state.root, path));
    } catch {
      state.requests.push({ path, status: 404 });
      response.writeHead(404).end();
      return;
    }
    const headers = { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' };
    const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
    if (state.caching === 'etag') {
      headers['cache-control'] = 'no-cache';
      headers.etag = etag;
      if (request.headers['if-none-match'] === etag) {
        state.requests.push({ path, status: 304 });
        response.writeHead(304, headers).end();
        return;
      }
    } else if (state.caching === 'last-modified') {
      headers['last-modified'] = httpDate(state.modified);
      const since = Date.parse(request.headers['if-modified-since'] ?? '');
      if (since >= Math.floor(state.modified / 1000) * 1000) {
        state.requests.push({ path, status: 304 });
        response.writeHead(304, headers).end();
        return;
      }
    } else if (state.caching === 'max-age') {
      headers['cache-control'] = 'max-age=600';
    } else {
      headers['cache-control'] = 'no-store';
    }
    if (gzip && /\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) {
      body = gzipSync(body, { level: 9 });
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = body.length;
    if (broken?.mode === 'cut') {
      state.requests.push({ path, status: 'cut' });
      response.writeHead(200, headers);
      response.write(body.subarray(0, body.length >> 1), () => request.socket.destroy());
      return;
    }
    const record = { path, status: 200, bytes: body.length };
    state.requests.push(record);
    response.on('finish', () => { record.done = Date.now(); });
    response.writeHead(200, headers);
    send(response, body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}${prefix}`;
  return {
    url,
    /** Every request so far, as { path, status }; an answered one also has the bytes sent
     * and when the last was sent (`bytes`, `done`, ms since the epoch). */
    requests: state.requests,
    /** Serves another build from now on. */
    deploy(dir) {
      state.root = dir;
      state.modified = Date.now();
    },
    /** From now on, responses for paths matching `pattern` are cut half-way ('cut'), their
     * connection closed before any answer ('drop') or never answered ('hang'); `null` mends
     * them. */
    sabotage(pattern, mode) {
      state.sabotage = mode ? [{ pattern, mode }] : [];
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}
