/** RoleBadge — 身份标签: a role and its scope, e.g. "网格员 · 锦华苑一网格". */
const { roleLabel } = require('../../utils/format');

const THEMES = {
  grid_worker: 'primary',
  grid_leader: 'primary',
  committee: 'success',
  street_admin: 'warning',
  district_admin: 'warning',
};

Component({
  properties: {
    role: { type: String, value: '' }, // '' is a plain resident
    scopeName: { type: String, value: '' },
  },

  data: {
    label: '居民',
    theme: 'default',
  },

  observers: {
    'role, scopeName': function describe(role, scopeName) {
      const name = roleLabel(role);
      this.setData({
        label: role && scopeName ? `${name} · ${scopeName}` : name,
        theme: THEMES[role] || 'default',
      });
    },
  },
});
