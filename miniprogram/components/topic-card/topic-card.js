/**
 * TopicCard — 议题卡片: a topic in a list, with its phase, supports toward the threshold, the voting
 * deadline or the outcome, and an overdue response. A tap emits `open` with {id}.
 */
const { describeTopic } = require('../../utils/topics');

Component({
  properties: {
    topic: { type: Object, value: null }, // a TopicSummary from GET /api/v1/topics
  },

  data: {
    view: null,
  },

  observers: {
    topic(topic) {
      this.setData({ view: topic ? describeTopic(topic) : null });
    },
  },

  methods: {
    onTap() {
      if (this.data.view) this.triggerEvent('open', { id: this.data.view.id });
    },
  },
});
