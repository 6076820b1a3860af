/**
 * CaseTimeline — 办理进度: every step of a case, newest first, with its time, note and photos.
 * Staff also see why routing chose whom (派单依据).
 */
const { formatTime } = require('../../utils/cases');

function describe(event, staff) {
  const decision = event.decision || null;
  return {
    id: event.id,
    text: event.text,
    time: formatTime(event.created_at),
    note: event.note || '',
    photos: event.photos || [],
    reason: staff && decision && decision.rule && decision.reason ? decision.reason : '',
  };
}

Component({
  properties: {
    events: { type: Array, value: [] }, // the case's timeline, oldest first as the API sends it
    staff: { type: Boolean, value: false },
  },

  data: {
    rows: [],
  },

  observers: {
    'events, staff': function build(events, staff) {
      this.setData({ rows: (events || []).slice().reverse().map((event) => describe(event, staff)) });
    },
  },
});
