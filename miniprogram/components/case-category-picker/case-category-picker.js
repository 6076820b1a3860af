/**
 * CaseCategoryPicker — 问题类型: the two-level catalogue as large tap targets, the group first, then
 * its categories. Emits `change` with the chosen second-level category (plus its group's name).
 */
Component({
  properties: {
    groups: { type: Array, value: [] }, // GET /api/v1/case-categories: groups with children
    value: { type: String, value: '' }, // the chosen category code
  },

  data: {
    groupIndex: 0,
    children: [],
  },

  observers: {
    'groups, value': function follow(groups, value) {
      const list = groups || [];
      let groupIndex = list.findIndex((group) => (group.children || []).some((child) => child.code === value));
      if (groupIndex === -1) groupIndex = Math.min(this.data.groupIndex, Math.max(list.length - 1, 0));
      this.setData({ groupIndex, children: list.length ? list[groupIndex].children || [] : [] });
    },
  },

  methods: {
    onGroupTap(e) {
      const groupIndex = Number(e.currentTarget.dataset.index);
      this.setData({ groupIndex, children: this.data.groups[groupIndex].children || [] });
    },

    onCategoryTap(e) {
      const { code } = e.currentTarget.dataset;
      const group = this.data.groups[this.data.groupIndex];
      const category = (group.children || []).find((child) => child.code === code);
      if (category) this.triggerEvent('change', { category: Object.assign({ group_name: group.name }, category) });
    },
  },
});
