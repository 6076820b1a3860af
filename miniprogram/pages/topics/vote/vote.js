/**
 * Vote — 投票 (`pages/topics/vote/vote?id=`): choose, confirm, and receive the receipt (回执).
 *
 * The ballot is sent at most once from this page: the confirm button is guarded before the request
 * leaves, and a receipt ends the page. The receipt is shown once, copyable, and kept on this phone
 * (the server cannot show it again: it never links a voter to a ballot).
 */
const { api, formatTime, labelOf, saveReceipt, BALLOT_TYPES, REFUSALS, VOTE_UNITS } = require('../../../utils/topics');

const FINAL_REFUSALS = ['already_voted', 'household_already_voted', 'voting_closed', 'voting_not_open', 'not_verified', 'not_eligible'];

Component({
  data: {
    id: 0,
    loading: true,
    error: '',
    title: '',
    options: [],
    maxChoices: 1,
    typeLabel: '',
    unitLabel: '',
    closesText: '',
    refusal: '',
    selected: [],
    chosenLabels: [],
    step: 'choose', // choose → confirm → done
    submitting: false,
    receipt: '',
  },

  methods: {
    onLoad(query) {
      this.setData({ id: Number(query && query.id) || 0 });
      return this.load();
    },

    load() {
      if (!this.data.id) {
        this.setData({ loading: false, error: '未找到该议题' });
        return Promise.resolve();
      }
      this.setData({ loading: true, error: '' });
      return api.topic(this.data.id, { silent: true })
        .then((topic) => {
          const ballot = topic.ballot || { options: [] };
          const viewer = topic.viewer || {};
          this.setData({
            loading: false,
            title: topic.title,
            options: ballot.options.map((o) => ({ id: o.id, label: o.label })),
            maxChoices: ballot.type === 'multiple' ? ballot.max_choices : 1,
            typeLabel: labelOf(BALLOT_TYPES, ballot.type),
            unitLabel: labelOf(VOTE_UNITS, ballot.per),
            closesText: formatTime(ballot.closes_at),
            refusal: viewer.can_vote ? '' : REFUSALS[viewer.vote_refusal] || '当前不能投票',
          });
        })
        .catch((error) => this.setData({ loading: false, error: error.message || '加载失败' }));
    },

    onChange(e) {
      this.setData({ selected: e.detail.value });
    },

    onNext() {
      if (!this.data.selected.length) {
        wx.showToast({ title: '请选择投票选项', icon: 'none' });
        return;
      }
      const chosenLabels = this.data.options.filter((o) => this.data.selected.indexOf(o.id) !== -1).map((o) => o.label);
      this.setData({ step: 'confirm', chosenLabels });
    },

    onBack() {
      if (this.data.submitting) return;
      this.setData({ step: 'choose' });
    },

    onConfirm() {
      // Guard before anything asynchronous: a double tap must not send a second ballot.
      if (this.casting || this.data.receipt || this.data.step !== 'confirm') return Promise.resolve();
      this.casting = true;
      this.setData({ submitting: true });
      const { id, title, selected, chosenLabels } = this.data;
      return api.castBallot(id, selected)
        .then(({ receipt }) => {
          saveReceipt({ topicId: id, title, receipt, choices: chosenLabels });
          this.setData({ receipt, step: 'done', submitting: false });
        })
        .catch((error) => {
          this.casting = false;
          if (FINAL_REFUSALS.indexOf(error.reason) !== -1) {
            let refusal = REFUSALS[error.reason] || error.message;
            if (error.reason === 'already_voted' && this.lostResponse) {
              refusal += '。刚才的投票已被计入，但回执未能送达，无法再次显示';
            }
            this.setData({ refusal, step: 'choose', submitting: false });
            return;
          }
          this.lostResponse = this.lostResponse || !!error.network;
          this.setData({ submitting: false }); // stay on the confirmation: the voter may try again
        });
    },

    onCopy() {
      wx.setClipboardData({ data: this.data.receipt });
    },

    goTopic() {
      wx.navigateBack({ fail: () => wx.redirectTo({ url: `/pages/topics/detail/detail?id=${this.data.id}` }) });
    },

    goReceipts() {
      wx.redirectTo({ url: '/pages/topics/receipts/receipts' });
    },
  },
});
