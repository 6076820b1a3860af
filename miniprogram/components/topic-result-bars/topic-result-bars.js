/**
 * TopicResultBars — 投票结果: one bar per option with its count and percentage, the winners marked.
 * While counts are hidden (a topic setting, until the close) only the options are listed.
 */
const { resultRows } = require('../../utils/topics');

Component({
  properties: {
    options: { type: Array, value: [] }, // [{id, label, count, percent, winner?}]
    countsHidden: { type: Boolean, value: false },
  },

  data: {
    rows: [],
  },

  observers: {
    'options, countsHidden': function describe(options, countsHidden) {
      this.setData({ rows: resultRows(options, countsHidden) });
    },
  },
});
