/** Home — 首页: greeting, the resident's household and grid, and the entries to each service. */
const { get, isLoggedIn } = require('../../utils/request');
const { greeting } = require('../../utils/format');

const FEATURES = [
  { key: 'cases', text: '随手拍', description: '网格事件', icon: 'camera', url: '/pages/cases/report/report' },
  { key: 'services', text: '便民服务', description: '上门办事', icon: 'service', url: '/pages/cases/service/service' },
  { key: 'topics', text: '协商议事', description: '议题投票', icon: 'chat-bubble-smile', url: '/pages/topics/topics' },
  { key: 'volunteer', text: '志愿服务', description: '报名打卡', icon: 'heart', url: '/pages/volunteer/activities/activities' },
];

Component({
  data: {
    greeting: '',
    loggedIn: false,
    me: null,
    features: FEATURES,
  },

  methods: {
    onShow() {
      const loggedIn = isLoggedIn();
      this.setData({ greeting: greeting(new Date()), loggedIn, me: loggedIn ? this.data.me : null });
      if (loggedIn) this.loadMe();
    },

    loadMe() {
      return get('/api/v1/me', undefined, { silent: true })
        .then((me) => this.setData({ me }))
        .catch(() => {}); // keep what is shown; the profile page reports errors
    },

    onFeatureTap(e) {
      wx.navigateTo({ url: e.currentTarget.dataset.url });
    },

    goProfile() {
      wx.switchTab({ url: '/pages/profile/profile' });
    },
  },
});
