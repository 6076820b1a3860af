/** VolunteerStars — 星级: five stars, `level` (0–5) of them filled, e.g. for a 3-star volunteer. */
const { stars } = require('../../utils/volunteer');

Component({
  properties: {
    level: { type: Number, value: 0 },
    size: { type: String, value: '36rpx' },
  },

  data: {
    stars: stars(0),
  },

  observers: {
    level(level) {
      this.setData({ stars: stars(level) });
    },
  },
});
