/**
 * Propose — 发起议题 (`pages/topics/propose/propose`): a verified resident proposes a topic for the
 * committee's review, for the whole community, their grid or their building, with up to nine photos.
 * With `?community_id=` a committee member of that community publishes a topic straight into discussion.
 */
const { get } = require('../../../utils/request');
const { askConsent, loadTemplates } = require('../../../utils/consent');
const { api, committeeCommunityIds, CONSENT_KINDS } = require('../../../utils/topics');

const MAX_PHOTOS = 9;

function scopeOptions(me, committeeMode) {
  const options = [{ value: 'community', label: '全社区' }];
  const household = me && me.household;
  if (committeeMode || !household) return options;
  if (household.grid_id) options.push({ value: 'grid', label: `本网格（${household.grid_name || '我所在的网格'}）` });
  if (household.grid_id && household.building) options.push({ value: 'building', label: `本楼栋（${household.building}）` });
  return options;
}

Component({
  data: {
    communityId: 0, // set in committee mode
    me: null,
    notVerified: false,
    title: '',
    body: '',
    scope: 'community',
    scopeOptions: [{ value: 'community', label: '全社区' }],
    photos: [], // [{key, path, id, uploading}]
    submitting: false,
  },

  methods: {
    onLoad(query) {
      loadTemplates().then((templates) => { this.templates = templates; }); // ready before the tap
      this.requestedCommunity = Number(query && query.community_id) || 0;
      return get('/api/v1/me', undefined, { silent: true })
        .then((me) => {
          const committeeMode = !!this.requestedCommunity && committeeCommunityIds(me).indexOf(this.requestedCommunity) !== -1;
          this.setData({
            me,
            communityId: committeeMode ? this.requestedCommunity : 0,
            notVerified: !committeeMode && !me.verified,
            scopeOptions: scopeOptions(me, committeeMode),
          });
          wx.setNavigationBarTitle({ title: committeeMode ? '发布议题' : '发起议题' });
        })
        .catch(() => {}); // the server will say what is wrong on submit
    },

    onTitleChange(e) {
      this.setData({ title: e.detail.value });
    },

    onBodyChange(e) {
      this.setData({ body: e.detail.value });
    },

    onScopeTap(e) {
      this.setData({ scope: e.currentTarget.dataset.value });
    },

    onChoosePhotos() {
      const room = MAX_PHOTOS - this.data.photos.length;
      if (room <= 0) return Promise.resolve();
      return new Promise((resolve) => {
        wx.chooseMedia({
          count: room,
          mediaType: ['image'],
          sourceType: ['album', 'camera'],
          sizeType: ['compressed'],
          success: (res) => resolve(res.tempFiles || []),
          fail: () => resolve([]),
        });
      }).then((files) => {
        const added = files.map((file, i) => ({ key: `${Date.now()}-${i}`, path: file.tempFilePath, id: null, uploading: true }));
        this.setData({ photos: this.data.photos.concat(added) });
        return added.reduce((chain, photo) => chain.then(() => this.uploadPhoto(photo)), Promise.resolve());
      });
    },

    uploadPhoto(photo) {
      return api.uploadPhoto(photo.path)
        .then((uploaded) => this.setData({
          photos: this.data.photos.map((p) => (p.key === photo.key ? Object.assign({}, p, { id: uploaded.id, uploading: false }) : p)),
        }))
        .catch(() => this.setData({ photos: this.data.photos.filter((p) => p.key !== photo.key) }));
    },

    onRemovePhoto(e) {
      const { key } = e.currentTarget.dataset;
      this.setData({ photos: this.data.photos.filter((p) => p.key !== key) });
    },

    /** The request body, or a message saying what to fix. */
    draft() {
      const title = this.data.title.trim();
      const body = this.data.body.trim();
      if (title.length < 2 || title.length > 40) return { error: '标题请填写 2 至 40 个字' };
      if (body.length < 2) return { error: '请写清楚议题的内容' };
      if (this.data.photos.some((p) => p.uploading)) return { error: '照片还在上传，请稍候' };
      const data = { title, body, photo_ids: this.data.photos.map((p) => p.id), grid_ids: [], buildings: [] };
      const household = this.data.me && this.data.me.household;
      if (this.data.scope === 'grid' && household) data.grid_ids = [household.grid_id];
      if (this.data.scope === 'building' && household) data.buildings = [{ grid_id: household.grid_id, building: household.building }];
      if (this.data.communityId) data.community_id = this.data.communityId;
      return { data };
    },

    onSubmit() {
      if (this.data.submitting) return Promise.resolve();
      const { data, error } = this.draft();
      if (error) {
        wx.showToast({ title: error, icon: 'none' });
        return Promise.resolve();
      }
      if (!this.data.communityId) askConsent(this.templates, CONSENT_KINDS.propose); // a proposal waits for review
      this.setData({ submitting: true });
      return api.propose(data)
        .then((topic) => {
          wx.showToast({ title: topic.phase === 'pending_review' ? '已提交，等待社区审核' : '议题已发布', icon: 'none' });
          wx.redirectTo({ url: `/pages/topics/detail/detail?id=${topic.id}` });
        })
        .catch(() => this.setData({ submitting: false })); // keep the form; the request module said why
    },

    goProfile() {
      wx.switchTab({ url: '/pages/profile/profile' });
    },
  },
});
