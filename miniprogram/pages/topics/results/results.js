/**
 * Results — 投票结果 (`pages/topics/results/results?id=`): counts and percentages, turnout, quorum,
 * outcome, the ballot chain's final hash, the committee's response, and a check of my receipts.
 * While voting is open the counts are live, unless the topic hides them until the close.
 */
const { api, describeResults, describeResponse, receiptsFor, verifyReceipt } = require('../../../utils/topics');

Component({
  data: {
    id: 0,
    loading: true,
    error: '',
    noVote: false,
    title: '',
    options: [],
    view: null,
    response: null,
    receipts: [], // this topic's receipts on this phone, with their check
    checking: '',
  },

  methods: {
    onLoad(query) {
      this.setData({ id: Number(query && query.id) || 0 });
      return this.load();
    },

    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh());
    },

    load() {
      if (!this.data.id) {
        this.setData({ loading: false, error: '未找到该议题' });
        return Promise.resolve();
      }
      this.setData({ loading: true, error: '', noVote: false });
      const topic = api.topic(this.data.id, { silent: true }).then((t) => this.setData({ title: t.title }), () => {});
      const results = api.results(this.data.id, { silent: true })
        .then((r) => this.setData({
          options: r.options,
          view: describeResults(r),
          response: describeResponse(r.response),
          receipts: receiptsFor(this.data.id).map((stored) => Object.assign({ check: null }, stored)),
        }))
        .catch((error) => {
          if (error.reason === 'no_vote') this.setData({ noVote: true });
          else this.setData({ error: error.message || '加载失败' });
        });
      return Promise.all([topic, results]).then(() => this.setData({ loading: false }));
    },

    onCopyHash() {
      wx.setClipboardData({ data: this.data.view.chainHash });
    },

    onCheckReceipt(e) {
      const { receipt } = e.currentTarget.dataset;
      const stored = this.data.receipts.find((r) => r.receipt === receipt);
      if (!stored || this.data.checking) return Promise.resolve();
      this.setData({ checking: receipt });
      return verifyReceipt(stored)
        .then((check) => this.setData({
          receipts: this.data.receipts.map((r) => (r.receipt === receipt ? Object.assign({}, r, { check }) : r)),
        }))
        .catch(() => {}) // 404 receipt_not_found: the request module shows the server's words
        .then(() => this.setData({ checking: '' }));
    },
  },
});
