/**
 * Report — 随手拍 / 便民服务申请: choose the category, describe, add photos (uploaded at once), set the
 * place; open cases like it nearby are offered to follow ("我也遇到") before anything is submitted.
 * `?kind=service` asks for a service; `&category=<code>` preselects one.
 */
const { get, post } = require('../../../utils/request');
const {
  DESCRIPTION_MAX, RESIDENT_TEMPLATE_KINDS, validateReport, reportBody, newDraftKey, fieldErrors,
  gcj02ToWgs84, wgs84ToGcj02, distanceText, formatTime,
} = require('../../../utils/cases');
const { askConsent, loadTemplates } = require('../../../utils/consent');

const DETAIL_PAGE = '/pages/cases/detail/detail';

function findCategory(groups, code) {
  for (let i = 0; i < groups.length; i += 1) {
    const child = groups[i].children.find((each) => each.code === code);
    if (child) return Object.assign({ group_name: groups[i].name }, child);
  }
  return null;
}

Component({
  data: {
    kind: 'incident',
    loadState: 'loading', // loading | ready | error
    groups: [],
    category: null,
    description: '',
    descriptionMax: DESCRIPTION_MAX,
    photoIds: [],
    uploading: false,
    failedPhotos: 0,
    location: null, // WGS-84 {lat, lng}
    locationLabel: '',
    locating: false,
    address: '',
    anonymous: false,
    nearby: [],
    followingId: 0,
    submitting: false,
    errors: {},
  },

  methods: {
    onLoad(options = {}) {
      const kind = options.kind === 'service' ? 'service' : 'incident';
      this.draftKey = newDraftKey();
      this.preselect = options.category || '';
      this.templates = {};
      this.nearbyRequest = 0;
      this.setData({ kind });
      wx.setNavigationBarTitle({ title: kind === 'service' ? '便民服务申请' : '随手拍' });
      loadTemplates().then((templates) => { this.templates = templates; });
      if (kind === 'incident') this.locate();
      return this.loadCategories();
    },

    loadCategories() {
      this.setData({ loadState: 'loading' });
      return get('/api/v1/case-categories', { kind: this.data.kind }, { silent: true }).then(
        (groups) => {
          const list = groups.filter((group) => (group.children || []).length);
          this.setData({ groups: list, loadState: 'ready' });
          const chosen = this.preselect && findCategory(list, this.preselect);
          if (chosen) this.selectCategory(chosen);
        },
        () => this.setData({ loadState: 'error' }),
      );
    },

    onCategoryChange(e) {
      this.selectCategory(e.detail.category);
    },

    selectCategory(category) {
      this.setData({
        category,
        anonymous: category.allows_anonymous ? this.data.anonymous : false,
        'errors.category': '',
      });
      if (category.requires_location && !this.data.location) this.locate();
      return this.refreshNearby();
    },

    onDescriptionInput(e) {
      this.setData({ description: e.detail.value, 'errors.description': '' });
    },

    onAddressInput(e) {
      this.setData({ address: e.detail.value });
    },

    onAnonymousChange(e) {
      this.setData({ anonymous: !!e.detail.value });
    },

    onPhotosChange(e) {
      const { ids, uploading, failed } = e.detail;
      this.setData({ photoIds: ids, uploading, failedPhotos: failed, 'errors.photos': '' });
    },

    // --- the place ------------------------------------------------------------------------------------

    locate() {
      if (this.data.locating) return;
      this.setData({ locating: true });
      wx.getLocation({
        type: 'wgs84', // the grid boundaries are WGS-84
        success: (res) => this.setLocation({ lat: res.latitude, lng: res.longitude }, '当前位置'),
        fail: (err) => {
          this.setData({ locating: false });
          if (/auth|deny|denied/i.test((err && err.errMsg) || '')) this.explainLocationPermission();
          else wx.showToast({ title: '定位失败，请在地图上选择位置', icon: 'none' });
        },
      });
    },

    onChooseLocation() {
      const options = {
        success: (res) => {
          if (!this.data.address && res.address) {
            const named = res.name && res.name !== res.address ? `${res.address} ${res.name}` : res.address;
            this.setData({ address: named.slice(0, 200) });
          }
          // The map answers in GCJ-02; the grids are WGS-84.
          this.setLocation(gcj02ToWgs84({ lat: res.latitude, lng: res.longitude }), res.name || res.address || '已选择的位置');
        },
        fail: (err) => {
          if (/auth|deny|denied/i.test((err && err.errMsg) || '')) this.explainLocationPermission();
        },
      };
      if (this.data.location) {
        const shown = wgs84ToGcj02(this.data.location);
        options.latitude = shown.lat;
        options.longitude = shown.lng;
      }
      wx.chooseLocation(options);
    },

    explainLocationPermission() {
      wx.showModal({
        title: '需要位置权限',
        content: '上报事件需要知道事发位置，以便派给所在网格的网格员。请在设置中允许使用位置信息。',
        confirmText: '去设置',
        success: (res) => { if (res.confirm) wx.openSetting(); },
      });
    },

    setLocation(location, label) {
      this.setData({ location, locationLabel: label, locating: false, 'errors.location': '' });
      return this.refreshNearby();
    },

    onClearLocation() {
      this.setData({ location: null, locationLabel: '' });
      return this.refreshNearby(); // also drops an answer still on its way
    },

    // --- nearby cases like this one ---------------------------------------------------------------------

    refreshNearby() {
      const { category, location } = this.data;
      this.nearbyRequest += 1;
      const request = this.nearbyRequest;
      if (!category || !location || !category.dedup_radius_m) {
        this.setData({ nearby: [] });
        return Promise.resolve();
      }
      const query = { category_code: category.code, lat: location.lat, lng: location.lng };
      return get('/api/v1/cases/nearby', query, { silent: true })
        .then((found) => {
          if (request !== this.nearbyRequest) return; // the category or place changed meanwhile
          this.setData({
            nearby: found.map((item) => Object.assign({}, item, {
              distance: distanceText(item.distance_m),
              time: formatTime(item.created_at),
            })),
          });
        }, () => {}); // a courtesy: without it the resident can still submit
    },

    onFollow(e) {
      const id = Number(e.currentTarget.dataset.id);
      const item = this.data.nearby.find((each) => each.id === id);
      if (!item || this.data.followingId) return Promise.resolve();
      if (item.following) {
        wx.navigateTo({ url: `${DETAIL_PAGE}?id=${id}` });
        return Promise.resolve();
      }
      askConsent(this.templates, RESIDENT_TEMPLATE_KINDS); // must run inside the tap
      this.setData({ followingId: id });
      return post(`/api/v1/cases/${id}/follow`)
        .then(() => {
          wx.showToast({ title: '已关注，有进展会通知你', icon: 'none' });
          wx.redirectTo({ url: `${DETAIL_PAGE}?id=${id}` });
        })
        .catch(() => this.setData({ followingId: 0 }));
    },

    // --- submitting ------------------------------------------------------------------------------------

    onSubmit() {
      if (this.data.submitting) return Promise.resolve();
      const form = this.data;
      const problem = validateReport(form);
      if (problem) {
        this.setData({ errors: { [problem.field]: problem.message } });
        wx.showToast({ title: problem.message, icon: 'none' });
        return Promise.resolve();
      }
      askConsent(this.templates, RESIDENT_TEMPLATE_KINDS); // must run inside the tap
      this.setData({ submitting: true, errors: {} });
      // One key per draft: sending the same draft again is recognised by the server as the same case.
      return post('/api/v1/cases', reportBody(form), { header: { 'Idempotency-Key': this.draftKey } })
        .then((created) => {
          wx.redirectTo({ url: `${DETAIL_PAGE}?id=${created.id}&submitted=1` });
        })
        .catch((error) => {
          // Keep everything the resident entered; show what the server refused beside its field.
          this.setData({ submitting: false, errors: fieldErrors(error) });
        });
    },
  },
});
