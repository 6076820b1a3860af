/**
 * TopicBallotOptions — 投票选项: the options of a ballot as radio rows (one choice) or check rows
 * (up to `maxChoices`). Emits `change` with {value: [option ids]}; a tap over the limit says so.
 */
const { toggleChoice } = require('../../utils/topics');

Component({
  properties: {
    options: { type: Array, value: [] }, // [{id, label}]
    maxChoices: { type: Number, value: 1 },
    value: { type: Array, value: [] },
    disabled: { type: Boolean, value: false },
  },

  data: {
    rows: [],
    multiple: false,
  },

  observers: {
    'options, value, maxChoices': function describe(options, value, maxChoices) {
      this.setData({
        multiple: maxChoices > 1,
        rows: (options || []).map((o) => ({ id: o.id, label: o.label, checked: (value || []).indexOf(o.id) !== -1 })),
      });
    },
  },

  methods: {
    onTap(e) {
      if (this.data.disabled) return;
      const id = Number(e.currentTarget.dataset.id);
      const next = toggleChoice(this.data.value || [], id, this.data.maxChoices);
      if (next === null) {
        wx.showToast({ title: `最多可选 ${this.data.maxChoices} 项`, icon: 'none' });
        return;
      }
      this.setData({ value: next });
      this.triggerEvent('change', { value: next });
    },
  },
});
