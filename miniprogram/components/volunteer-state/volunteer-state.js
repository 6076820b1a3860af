/**
 * VolunteerState — the loading, error and empty states of a volunteering list or page, in one place.
 * Shows nothing when there is content; `retry` is emitted from the error state's button.
 */
Component({
  properties: {
    loading: { type: Boolean, value: false },
    error: { type: String, value: '' }, // a readable message; '' when there is none
    empty: { type: Boolean, value: false },
    emptyText: { type: String, value: '暂无内容' },
  },

  methods: {
    onRetry() {
      this.triggerEvent('retry');
    },
  },
});
