/** HouseholdCard — 我的家庭: the household address, its grid and whether the member is verified. */
Component({
  properties: {
    household: { type: Object, value: null }, // {id, address, building, grid_code, grid_name} or null
    verified: { type: Boolean, value: false },
  },

  data: {
    address: '',
    gridName: '',
  },

  observers: {
    household(household) {
      if (!household) {
        this.setData({ address: '', gridName: '' });
        return;
      }
      const { address = '', building = '' } = household;
      this.setData({
        // The address may already name the building; don't say it twice.
        address: building && address.indexOf(building) === -1 ? `${address} ${building}` : address,
        gridName: household.grid_name || household.grid_code || '',
      });
    },
  },

  methods: {
    onTap() {
      const { household } = this.data;
      this.triggerEvent('open', { householdId: household ? household.id : null });
    },
  },
});
