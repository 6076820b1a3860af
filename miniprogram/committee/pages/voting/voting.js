/**
 * Open voting — 开启投票 (`committee/pages/voting/voting?id=`): the committee sets the ballot (type,
 * options, one vote per person or per household, quorum, pass rule, hidden counts) and its times,
 * then opens it. Everything is fixed from then on, so the form asks for a confirmation first.
 */
const {
  api, confirmAction, openVotingRequest, pickerParts, BALLOT_TYPES, PASS_RULES, VOTE_UNITS,
} = require('../../../utils/topics');

const DEFAULT_DAYS = 7;

function defaultForm(now) {
  const closes = new Date(now.getTime() + DEFAULT_DAYS * 24 * 3600 * 1000);
  closes.setHours(20, 0, 0, 0);
  const opens = pickerParts(now);
  const closing = pickerParts(closes);
  return {
    type: 'yes_no_abstain',
    options: ['', ''],
    maxChoices: 2,
    per: 'person',
    quorumPercent: '0',
    passRule: 'majority_cast',
    hideCounts: false,
    scheduled: false,
    opensDate: opens.date,
    opensTime: opens.time,
    closesDate: closing.date,
    closesTime: closing.time,
  };
}

/** The form with the ballot the topic already has (set when it was created or approved). */
function fromBallot(form, ballot) {
  if (!ballot) return form;
  const options = ballot.type === 'yes_no_abstain' ? form.options : ballot.options.map((o) => o.label);
  return Object.assign({}, form, {
    type: ballot.type,
    options,
    maxChoices: ballot.type === 'multiple' ? ballot.max_choices : Math.min(2, options.length),
    per: ballot.per,
    quorumPercent: String(ballot.quorum_percent || 0),
    passRule: ballot.pass_rule,
    hideCounts: !!ballot.hide_counts_until_close,
  });
}

Component({
  data: {
    id: 0,
    loading: true,
    error: '',
    title: '',
    form: defaultForm(new Date()),
    types: BALLOT_TYPES,
    units: VOTE_UNITS,
    rules: PASS_RULES,
    submitting: false,
  },

  methods: {
    onLoad(query) {
      this.setData({ id: Number(query && query.id) || 0 });
      return this.load();
    },

    load() {
      this.setData({ loading: true, error: '' });
      return api.topic(this.data.id, { silent: true })
        .then((topic) => {
          if (topic.phase !== 'discussion' || (topic.ballot && topic.ballot.fixed)) {
            this.setData({ loading: false, error: '该议题当前不能开启投票' });
            return;
          }
          this.setData({ loading: false, title: topic.title, form: fromBallot(this.data.form, topic.ballot) });
        })
        .catch((error) => this.setData({ loading: false, error: error.message || '加载失败' }));
    },

    set(field, value) {
      this.setData({ [`form.${field}`]: value });
    },

    onPick(e) {
      this.set(e.currentTarget.dataset.field, e.currentTarget.dataset.value);
    },

    onOptionInput(e) {
      const index = Number(e.currentTarget.dataset.index);
      this.set(`options[${index}]`, e.detail.value);
    },

    onAddOption() {
      if (this.data.form.options.length >= 20) return;
      this.set('options', this.data.form.options.concat(''));
    },

    onRemoveOption(e) {
      const index = Number(e.currentTarget.dataset.index);
      const options = this.data.form.options.filter((_, i) => i !== index);
      if (options.length < 2) return;
      this.setData({ 'form.options': options, 'form.maxChoices': Math.min(this.data.form.maxChoices, options.length) });
    },

    onMaxChoicesStep(e) {
      const next = this.data.form.maxChoices + Number(e.currentTarget.dataset.step);
      if (next >= 1 && next <= this.data.form.options.length) this.set('maxChoices', next);
    },

    onQuorumInput(e) {
      this.set('quorumPercent', e.detail.value);
    },

    onHideCountsChange(e) {
      this.set('hideCounts', e.detail.value);
    },

    onScheduledChange(e) {
      this.set('scheduled', e.detail.value);
    },

    onPickerChange(e) {
      this.set(e.currentTarget.dataset.field, e.detail.value);
    },

    onSubmit() {
      if (this.data.submitting) return Promise.resolve();
      const { body, error } = openVotingRequest(this.data.form, new Date());
      if (error) {
        wx.showToast({ title: error, icon: 'none' });
        return Promise.resolve();
      }
      return confirmAction({
        title: '开启投票',
        content: '开启后，投票的选项、时间、法定投票率和通过规则都不能再修改。确定开启吗？',
        confirmText: '开启',
      }).then((confirmed) => {
        if (!confirmed || this.data.submitting) return null;
        this.setData({ submitting: true });
        return api.openVoting(this.data.id, body)
          .then((topic) => {
            wx.showToast({ title: topic.phase === 'voting' ? '投票已开启' : '投票已安排', icon: 'none' });
            wx.navigateBack({ fail: () => wx.redirectTo({ url: `/committee/pages/topic/topic?id=${this.data.id}` }) });
          })
          .catch(() => this.setData({ submitting: false })); // keep the form as it was
      });
    },
  },
});
