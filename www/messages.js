// The names of the messages between the page and its workers, and between the engine
// workers of several open tabs: one place for each.
export const ENGINE = Object.freeze({
  // The page's first message, unanswered: the pretrained model's bytes, or why it has none.
  pretrained: 'pretrained',
  open: 'open',
  classify: 'classify',
  teach: 'teach',
  reset: 'reset',
  exportModel: 'exportModel',
  importModel: 'importModel',
  importPickles: 'importPickles',
  exportPickle: 'exportPickle',
  useModel: 'useModel',
  fileKind: 'fileKind',
  inspectFile: 'inspectFile',
  history: 'history',
  deleteLesson: 'deleteLesson',
  flipLesson: 'flipLesson',
  exportLabels: 'exportLabels',
  importLessons: 'importLessons',
  openQueue: 'openQueue',
  queueAdd: 'queueAdd',
  queueOffer: 'queueOffer',
  queueAnswer: 'queueAnswer',
  queueSkip: 'queueSkip',
  queueUndo: 'queueUndo',
  queueClear: 'queueClear',
  // From the worker, unasked: another tab changed what was taught.
  changed: 'changed',
});

// A file job's worker (job.js) reports with these.
export const JOB = Object.freeze({ progress: 'progress', done: 'done', failed: 'failed' });

// The channel the engine workers of all open tabs share, and its one message: the stored
// teaching changed, catch up.
export const TABS = Object.freeze({ channel: 'movieclassifier', changed: 'changed' });
