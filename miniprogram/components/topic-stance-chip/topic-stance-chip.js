/**
 * TopicStanceChip — 立场: for / against / neutral (支持 / 反对 / 中立).
 *
 * Editable: three chips, tapping one selects it and tapping it again clears it; emits `change`
 * with {value} (null when cleared). Read-only: only the chosen stance, or nothing.
 */
const { STANCES } = require('../../utils/topics');

Component({
  properties: {
    value: { type: String, value: '' }, // 'for' | 'against' | 'neutral' | '' (none)
    editable: { type: Boolean, value: false },
    disabled: { type: Boolean, value: false },
  },

  data: {
    stances: STANCES,
    label: '',
  },

  observers: {
    value(value) {
      const stance = STANCES.find((s) => s.value === value);
      this.setData({ label: stance ? stance.label : '' });
    },
  },

  methods: {
    onTap(e) {
      if (!this.data.editable || this.data.disabled) return;
      const { value } = e.currentTarget.dataset;
      const next = value === this.data.value ? '' : value;
      this.setData({ value: next });
      this.triggerEvent('change', { value: next || null });
    },
  },
});
