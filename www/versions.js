// The page's side of versions (see sw.js): registers the service worker, lets it download a
// first visit's files once, and offers a new version when one is installed, never reloading
// on its own.

/**
 * Registers the service worker. On a first visit, resolves once it holds this version and
 * controls the page, so that the engine's downloads come from its copy; on a visit it
 * already serves, without a service worker, or if it fails to install, at once.
 */
export function register(offerUpdate) {
  if (!('serviceWorker' in navigator)) return Promise.resolve();
  const registered = installed(offerUpdate);
  // A page the service worker already serves starts its engine without waiting for this.
  return navigator.serviceWorker.controller ? Promise.resolve() : registered;
}

async function installed(offerUpdate) {
  let registration;
  try {
    registration = await navigator.serviceWorker.register('./sw.js', { updateViaCache: 'none' });
  } catch {
    return; // Without a service worker the page still works, only not offline.
  }
  watch(registration, offerUpdate);
  const installing = registration.installing;
  // Look for a new version now, whatever the browser's own schedule for that.
  if (registration.active) registration.update().catch(() => {});
  if (navigator.serviceWorker.controller || registration.active || !installing) return;
  await new Promise((resolve) => {
    navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true });
    installing.addEventListener('statechange', () => {
      if (installing.state === 'redundant') resolve();
    });
  });
}

/** Calls `offerUpdate(apply)` when a new version is installed and waiting. */
function watch(registration, offerUpdate) {
  let asked = false;
  const offer = (waiting) => {
    if (!navigator.serviceWorker.controller) return;
    offerUpdate(() => {
      asked = true;
      waiting.postMessage(null);
    });
  };
  if (registration.waiting) offer(registration.waiting);
  registration.addEventListener('updatefound', () => {
    const next = registration.installing;
    next?.addEventListener('statechange', () => {
      if (next.state === 'installed') offer(next);
    });
  });
  // The new version took over: here because the visitor asked, or from another tab, whose
  // visitor asked; this tab keeps running what it loaded until its visitor reloads.
  let controlled = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (asked) window.location.reload();
    else if (controlled) offerUpdate(() => window.location.reload());
    controlled = true;
  });
  // A tab left open for days still hears of new versions.
  setInterval(() => registration.update().catch(() => {}), 60 * 60 * 1000);
}
