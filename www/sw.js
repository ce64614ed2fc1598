// The service worker: it installs each version of the site whole or not at all, serves every
// page load from one version, and lets the page offer the next one when it is ready.
//
// A version is the list of files and SHA-256 hashes that the build writes into MANIFEST
// (scripts/version-site.mjs). Every file but index.html lives under v/<version>/, so a URL
// always names the same bytes and a page can only load the files of its own version. Once a
// version is installed, page loads use no network at all; the browser checks this file for a
// new version in the background on each visit.
const MANIFEST = null; // written by scripts/version-site.mjs
const PREFIX = 'movieclassifier-';
const CACHE = `${PREFIX}${MANIFEST.version}`;
// The page itself: listed as index.html, fetched and kept as the scope's own URL, the one a
// visit loads, so that the copy the first visit just downloaded is only revalidated.
const ENTRY = 'index.html';
const keyOf = (path) => scoped(path === ENTRY ? '' : path);
// A download that gets no answer for this long is given up: the install fails and is tried
// again on the next visit, and a page meanwhile keeps its installed version.
const NETWORK_TIMEOUT_MS = 15000;

const scoped = (path) => new URL(path, self.registration.scope).href;

async function sha256(bytes) {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function fetchWithin(url, init) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), NETWORK_TIMEOUT_MS);
  try {
    return await fetch(url, { ...init, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

/** Puts one file of this version in the cache, whole and with the right bytes, or throws. */
async function installFile(cache, path, hash) {
  const url = keyOf(path);
  const cached = await cache.match(url);
  if (cached && (await sha256(await cached.clone().arrayBuffer())) === hash) return;
  // Revalidated first, so that a copy the page itself just downloaded costs no download; an
  // HTTP cache that answers with other bytes (a server whose Last-Modified did not change)
  // is then bypassed altogether.
  for (const mode of ['no-cache', 'reload']) {
    const response = await fetchWithin(url, { cache: mode });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    const body = await response.arrayBuffer();
    if ((await sha256(body)) === hash) {
      await cache.put(url, new Response(body, { headers: response.headers }));
      return;
    }
  }
  throw new Error(`${path} does not have the bytes of version ${MANIFEST.version}`);
}

// A failed install leaves what it verified in place for the next attempt, and deletes
// nothing: a cache deleted while another install of the same version writes to it would
// leave that install writing into a cache nobody can open any more.
self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const files = Object.entries(MANIFEST.files);
      const cache = await caches.open(CACHE);
      await Promise.all(files.map(([path, hash]) => installFile(cache, path, hash)));
      const stored = await caches.open(CACHE);
      for (const [path] of files) {
        if (!(await stored.match(keyOf(path)))) throw new Error(`${path} was removed while installing`);
      }
    })(),
  );
});

// Which version each page and worker runs, as far as this worker has seen: a page load served
// here runs this version, and a request for v/<version>/... names its own.
const versionOf = new Map();

/**
 * Deletes the caches of versions no open page runs, and of failed installs; nothing while any
 * page's version is unknown or a new version is installing or waiting.
 */
async function deleteUnusedVersions() {
  if (self.registration.installing || self.registration.waiting) return;
  const clients = await self.clients.matchAll({ type: 'all', includeUncontrolled: true });
  const used = new Set([CACHE]);
  for (const client of clients) {
    const version = versionOf.get(client.id);
    if (version === undefined) return;
    used.add(`${PREFIX}${version}`);
  }
  for (const name of await caches.keys()) {
    if (name.startsWith(PREFIX) && !used.has(name)) await caches.delete(name);
  }
}

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      // The cache of the worker before versions existed holds files of no single version.
      await caches.delete('movieclassifier');
      await self.clients.claim();
      await deleteUnusedVersions();
    })(),
  );
});

self.addEventListener('message', (event) => {
  // The page sends one message only, when its visitor asks for the new version: take over.
  if (event.source?.type === 'window') self.skipWaiting();
});

/** This version's copy of `path`, else any installed version's (a page of an older one). */
async function cached(path) {
  const own = await (await caches.open(CACHE)).match(keyOf(path));
  return own ?? caches.match(keyOf(path));
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  url.search = '';
  if (request.method !== 'GET' || !url.href.startsWith(self.registration.scope)) return;
  let path = url.href.slice(self.registration.scope.length);
  let version = path.match(/^v\/([0-9a-f]+)\//)?.[1];
  let client = event.clientId;
  if (request.mode === 'navigate') {
    if (path !== '' && path !== ENTRY) return;
    path = ENTRY;
    version = MANIFEST.version;
    client = event.resultingClientId;
  }
  if (version && client && !versionOf.has(client)) {
    versionOf.set(client, version);
    event.waitUntil(deleteUnusedVersions());
  }
  event.respondWith(cached(path).then((response) => response ?? fetchWithin(request)));
});
