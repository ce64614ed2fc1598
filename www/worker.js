// The engine's thread. The WebAssembly classifier and its storage live here, off the main
// thread, so that a long review or a model rebuild never freezes the page. Requests are
// handled one at a time, in the order they arrive.
import init, { openSession } from './movieclassifier.js';

const DATABASE = 'movieclassifier';
const tabs = new BroadcastChannel('movieclassifier');
let session = null;
let queue = init({ module_or_path: './movieclassifier_bg.wasm' });

function enqueue(task) {
  const result = queue.then(task);
  queue = result.catch(() => {});
  return result;
}

function status() {
  return { taught: session.taught(), notice: session.notice() ?? null, persistent: session.persistent() };
}

// Downloaded once per worker; a restart after another tab's reset or import reuses it.
let pretrained = null;

async function open() {
  if (!pretrained) {
    const response = await fetch('./pretrained.postcard');
    if (!response.ok) {
      throw new Error(`The pretrained model could not be downloaded (HTTP ${response.status}).`);
    }
    pretrained = new Uint8Array(await response.arrayBuffer());
  }
  if (session) session.close();
  session = await openSession(pretrained, DATABASE);
  return status();
}

const handlers = {
  open,
  classify: ({ text }) => session.classify(text),
  async teach({ text, positive }) {
    const outcome = await session.teach(text, positive);
    if (outcome.saved) tabs.postMessage('taught');
    return outcome;
  },
  async reset() {
    await session.reset();
    tabs.postMessage('restart');
    return status();
  },
  exportModel: () => session.exportModel(),
  async importModel({ bytes }) {
    await session.importModel(bytes);
    tabs.postMessage('restart');
    return status();
  },
};

self.onmessage = ({ data: { id, type, ...payload } }) => {
  enqueue(() => handlers[type](payload)).then(
    (result) => self.postMessage({ id, result }),
    (error) => self.postMessage({ id, error: String(error?.message ?? error) }),
  );
};

// Another tab taught or started over: catch up, then tell the page.
tabs.onmessage = ({ data }) => {
  enqueue(async () => {
    if (!session) return;
    if (data === 'taught') await session.sync();
    else await open();
    self.postMessage({ type: 'changed', result: status() });
  });
};
