/** CaseStatusTag — 工单状态: the status as a coloured tag, plus 已超时 and 督办 when they apply. */
const { statusLabel, statusTheme, ESCALATION_TEXT } = require('../../utils/cases');

Component({
  properties: {
    status: { type: String, value: '' },
    statusText: { type: String, value: '' }, // the server's label, preferred when present
    overdue: { type: Boolean, value: false },
    escalationLevel: { type: Number, value: 0 },
  },

  data: {
    label: '',
    theme: 'default',
    escalation: '',
  },

  observers: {
    'status, statusText, escalationLevel': function describe(status, statusText, escalationLevel) {
      this.setData({
        label: statusLabel(status, statusText),
        theme: statusTheme(status),
        escalation: ESCALATION_TEXT[escalationLevel] || '',
      });
    },
  },
});
