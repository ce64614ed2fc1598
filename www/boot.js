// Starts the engine's worker while the page is still being parsed, on visits the service
// worker already serves (a first visit's engine waits for the service worker: see
// versions.js), so that the WebAssembly compiles while the page lays itself out. A classic
// script, because module scripts run only once the whole page is parsed. app.js takes the
// worker over, with any error it met before then.
(() => {
  if (!navigator.serviceWorker?.controller) return;
  const worker = new Worker(new URL('worker.js', document.currentScript.src), { type: 'module' });
  const failures = [];
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    failures.push(event.message || 'its engine could not be loaded');
  });
  window.earlyEngine = { worker, failures };
})();
