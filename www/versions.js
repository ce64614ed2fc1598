// The page's side of versions (see sw.js): registers the service worker, which downloads a
// first visit's files once, and offers a new version when one is installed, never reloading
// on its own.

/** Registers the service worker and watches for new versions; without one, does nothing. */
export async function register(offerUpdate) {
  if (!('serviceWorker' in navigator)) return;
  let registration;
  try {
    registration = await navigator.serviceWorker.register('./sw.js', { updateViaCache: 'none' });
  } catch {
    return; // Without a service worker the page still works, only not offline.
  }
  watch(registration, offerUpdate);
  // Look for a new version now, whatever the browser's own schedule for that.
  if (registration.active) registration.update().catch(() => {});
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
