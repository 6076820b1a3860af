/** VolunteerActivityCard — 志愿活动: title, organiser, when, places left; a tap emits open with the id. */
const { formatRange, parseTime } = require('../../utils/volunteer');

const STATUS_TAGS = {
  draft: { text: '草稿', theme: 'default' },
  cancelled: { text: '已取消', theme: 'danger' },
};

Component({
  properties: {
    activity: { type: Object, value: null }, // an item of GET /api/v1/activities
  },

  data: {
    when: '',
    organiser: '',
    places: '',
    full: false,
    tag: null,
  },

  observers: {
    activity(activity) {
      if (!activity) return;
      const end = parseTime(activity.ends_at);
      const ended = !!end && Date.now() > end.getTime();
      let places = `剩余 ${activity.places_left} 个名额`;
      if (activity.status === 'cancelled') places = activity.cancel_reason ? `取消原因：${activity.cancel_reason}` : '';
      else if (ended) places = '已结束';
      else if (!activity.places_left) places = '名额已满，可报名候补';
      this.setData({
        when: formatRange(activity.starts_at, activity.ends_at),
        organiser: [activity.community_name, activity.team_name].filter(Boolean).join(' · '),
        places,
        full: !activity.places_left,
        tag: STATUS_TAGS[activity.status] || null,
      });
    },
  },

  methods: {
    onTap() {
      this.triggerEvent('open', { id: this.data.activity.id });
    },
  },
});
