// The names of the messages between the page and its engine worker, and between the engine
// workers of several open tabs: one place for each.
export const ENGINE = Object.freeze({
  open: 'open',
  classify: 'classify',
  teach: 'teach',
  reset: 'reset',
  exportModel: 'exportModel',
  importModel: 'importModel',
  // From the worker, unasked: another tab changed what was taught.
  changed: 'changed',
});

// The channel the engine workers of all open tabs share, and its one message: the stored
// teaching changed, catch up.
export const TABS = Object.freeze({ channel: 'movieclassifier', changed: 'changed' });
