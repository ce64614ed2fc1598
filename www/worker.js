// The engine's thread. The WebAssembly classifier and its storage live here, off the main
// thread, so that a long review or a model rebuild never freezes the page. Requests are
// handled one at a time, in the order they arrive.
//
// Two builds of the engine: glance.js, the first verdict alone (under a third of the size),
// and movieclassifier.js, everything. The first answers while the second downloads, for a
// visitor with nothing taught (see src/wasm/glance.rs); the session then takes over.
import initGlance, { openGlance } from './glance.js';
import { ENGINE, TABS } from './messages.js';

const DATABASE = 'movieclassifier';
const tabs = new BroadcastChannel(TABS.channel);
let engine = null;
let session = null;
let queue = Promise.resolve();

function enqueue(task) {
  const result = queue.then(task);
  queue = result.catch(() => {});
  return result;
}

function status() {
  return {
    taught: session.taught(),
    notice: session.notice() ?? null,
    persistent: session.persistent(),
    pickle: session.canExportPickle(),
  };
}

// The page downloads the pretrained model from its first moment and sends it here: asked for
// by this worker, it came two round trips later. The first-verdict engine loads meanwhile.
let modelArrived;
const pretrained = new Promise((resolve, reject) => { modelArrived = { resolve, reject }; });
const glanced = initGlance({ module_or_path: new URL('./glance_bg.wasm', import.meta.url) })
  .then(async () => openGlance(await pretrained, DATABASE));
// The whole engine downloads once the first verdict's files are in, so as not to slow them
// down; the page's first request, `open`, is answered when it has opened.
const opened = glanced.catch(() => {}).then(async () => {
  const bindings = await import('./movieclassifier.js');
  await bindings.default({ module_or_path: new URL('./movieclassifier_bg.wasm', import.meta.url) });
  session = await bindings.openSession(await pretrained, DATABASE);
  engine = bindings;
  (await glanced.catch(() => null))?.free();
  return { ...status(), maxModelBytes: bindings.maxModelBytes() };
});
// Both failures are reported when the page asks.
pretrained.catch(() => {});
opened.catch(() => {});

/** Awaits a change to what is stored, then tells the other tabs. */
async function changing(promise) {
  const result = await promise;
  tabs.postMessage(TABS.changed);
  return result;
}

const handlers = {
  // Before the session opens, the first-verdict engine answers if it can.
  async [ENGINE.classify]({ text }) {
    const early = session ? null : await glanced.catch(() => null);
    if (early && !session) return early.classify(text);
    await opened;
    return session.classify(text);
  },
  async [ENGINE.teach]({ text, positive }) {
    const outcome = await session.teach(text, positive);
    if (outcome.saved) tabs.postMessage(TABS.changed);
    return outcome;
  },
  async [ENGINE.reset]() {
    await session.reset();
    tabs.postMessage(TABS.changed);
    return status();
  },
  [ENGINE.exportModel]: () => session.exportModel(),
  async [ENGINE.importPickles]({ first, second }) {
    await session.importPickles(first, second);
    tabs.postMessage(TABS.changed);
    return status();
  },
  [ENGINE.exportPickle]: () => session.exportPickle(),
  async [ENGINE.importModel]({ bytes }) {
    await session.importModel(bytes);
    tabs.postMessage(TABS.changed);
    return status();
  },
  async [ENGINE.useModel]({ bytes }) {
    await session.useModel(bytes);
    tabs.postMessage(TABS.changed);
    return status();
  },
  [ENGINE.history]: ({ query, limit }) => session.history(query, limit),
  [ENGINE.deleteLesson]: ({ key }) => changing(session.deleteLesson(key)),
  [ENGINE.flipLesson]: ({ key }) => changing(session.flipLesson(key)),
  [ENGINE.exportLabels]: () => session.exportLabels(),
  [ENGINE.importLessons]: ({ texts, labels }) => changing(session.importLessons(texts, Uint8Array.from(labels))),
  [ENGINE.openQueue]: () => session.openQueue(),
  [ENGINE.queueAdd]: ({ texts }) => changing(session.queueAdd(texts)),
  [ENGINE.queueOffer]: () => session.queueOffer(),
  // The next review goes to the page as soon as the answer is learned; the requests after
  // this one wait until the answer is stored.
  async [ENGINE.queueAnswer]({ index, positive }, reply) {
    reply(await session.queueAnswer(index, positive));
    try {
      await session.queueSave();
    } finally {
      tabs.postMessage(TABS.changed);
      if (session.notice()) self.postMessage({ type: ENGINE.changed, result: status() });
    }
  },
  [ENGINE.queueSkip]: ({ index }) => changing(session.queueSkip(index)),
  [ENGINE.queueUndo]: () => changing(session.queueUndo()),
  [ENGINE.queueClear]: () => changing(session.queueClear()),
  [ENGINE.fileKind]: ({ name }) => engine.fileKind(name),
  [ENGINE.inspectFile]: ({ format, start }) => engine.inspectFile(format, start),
};

self.onmessage = ({ data: { id, type, ...payload } }) => {
  if (type === ENGINE.pretrained) {
    if (payload.bytes) modelArrived.resolve(payload.bytes);
    else modelArrived.reject(new Error(payload.error));
    return;
  }
  let replied = false;
  const reply = (result) => {
    if (replied) return;
    replied = true;
    self.postMessage({ id, result });
  };
  // `open` is answered when the session opens, without holding up the requests behind it;
  // every other request but `classify` waits for the session.
  const work = type === ENGINE.open ? opened : enqueue(async () => {
    if (type !== ENGINE.classify) await opened;
    return handlers[type](payload, reply);
  });
  work.then(
    reply,
    (error) => {
      if (replied) return;
      replied = true;
      self.postMessage({ id, error: String(error?.message ?? error) });
    },
  );
};

// Another tab taught, reset or imported: catch up with the stored log, then tell the page.
tabs.onmessage = () => {
  enqueue(async () => {
    if (!session) return;
    await session.sync();
    self.postMessage({ type: ENGINE.changed, result: status() });
  });
};
