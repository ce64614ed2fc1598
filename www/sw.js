// Offline support: every file the page needs is cached on install, and each request goes to
// the network first (so a new version shows at once) and to the cache when that fails.
const CACHE = 'movieclassifier';
const FILES = [
  './',
  './index.html',
  './style.css',
  './app.js',
  './worker.js',
  './movieclassifier.js',
  './movieclassifier_bg.wasm',
  './pretrained.postcard',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(async () => (await caches.match(request, { ignoreSearch: true })) ?? Response.error()),
  );
});
