// The engine's thread. The WebAssembly classifier and its storage live here, off the main
// thread, so that a long review or a model rebuild never freezes the page. Requests are
// handled one at a time, in the order they arrive.
import init, { fileKind, inspectFile, maxModelBytes, openSession } from './movieclassifier.js';
import { ENGINE, TABS } from './messages.js';

const DATABASE = 'movieclassifier';
const tabs = new BroadcastChannel(TABS.channel);
let session = null;
let queue = init({ module_or_path: new URL('./movieclassifier_bg.wasm', import.meta.url) });

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

// The page's first request is always to open the engine, and its only one to: the model's
// download and the opening begin at once, while the engine compiles and the page loads, and
// the request is answered with them.
const pretrained = fetch(new URL('./pretrained.postcard', import.meta.url)).then(async (response) => {
  if (!response.ok) {
    throw new Error(`the pretrained model could not be downloaded (HTTP ${response.status})`);
  }
  return new Uint8Array(await response.arrayBuffer());
});
const opened = enqueue(async () => {
  session = await openSession(await pretrained, DATABASE);
  return { ...status(), maxModelBytes: maxModelBytes() };
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
  [ENGINE.open]: () => opened,
  [ENGINE.classify]: ({ text }) => session.classify(text),
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
  [ENGINE.fileKind]: ({ name }) => fileKind(name),
  [ENGINE.inspectFile]: ({ format, start }) => inspectFile(format, start),
};

self.onmessage = ({ data: { id, type, ...payload } }) => {
  let replied = false;
  const reply = (result) => {
    if (replied) return;
    replied = true;
    self.postMessage({ id, result });
  };
  enqueue(() => handlers[type](payload, reply)).then(
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
