/** The home and profile pages rendered in miniprogram-simulate, with the request module mocked. */
const { render, tapButton, emitFrom, flush } = require('./support/simulate');

const mockApi = {
  isLoggedIn: jest.fn(),
  get: jest.fn(),
  post: jest.fn(),
  patch: jest.fn(),
  login: jest.fn(),
  logout: jest.fn(),
};
jest.mock('../utils/request', () => mockApi);

const resident = (overrides = {}) => ({
  id: 1,
  nickname: '张阿姨',
  avatar_url: '',
  phone: '13812345678',
  roles: [],
  household: null,
  verified: false,
  ...overrides,
});
const household = { id: 3, address: '锦华苑 3 栋 501', building: '', grid_code: 'G-0101', grid_name: '锦华苑一网格' };

let toasts;
beforeEach(() => {
  jest.clearAllMocks();
  toasts = [];
  jest.spyOn(wx, 'showToast').mockImplementation((options) => toasts.push(options));
});

async function openProfile(me) {
  mockApi.isLoggedIn.mockReturnValue(!!me);
  mockApi.get.mockResolvedValue(me);
  const page = render('pages/profile/profile');
  page.instance.onShow();
  await flush();
  return page;
}

/** Type into the TDesign input the way the native <input> reports it. */
function typeInviteCode(page, value) {
  page.querySelector('.profile__invite').querySelector('.t-input__control').dispatchEvent('input', { detail: { value } });
}

describe('profile: join a household', () => {
  test('sends the trimmed invite code and shows the verified household', async () => {
    const page = await openProfile(resident());
    expect(page.dom.textContent).toContain('尚未加入家庭');

    mockApi.post.mockResolvedValue(resident({ household, verified: true }));
    typeInviteCode(page, '  HX7K2Q  ');
    await flush();
    expect(page.data.inviteCode).toBe('  HX7K2Q  ');
    tapButton(page, '.profile__join-button');
    await flush();

    expect(mockApi.post).toHaveBeenCalledWith('/api/v1/households/join', { invite_code: 'HX7K2Q' });
    expect(page.data.joining).toBe(false);
    expect(page.data.inviteCode).toBe('');
    const text = page.dom.textContent;
    expect(text).toContain('锦华苑 3 栋 501');
    expect(text).toContain('已认证');
    expect(page.querySelector('.profile__join')).toBeUndefined();
    expect(toasts).toEqual([expect.objectContaining({ title: '已加入家庭' })]);
  });

  test('an empty code asks for one and sends nothing', async () => {
    const page = await openProfile(resident());
    typeInviteCode(page, '   ');
    tapButton(page, '.profile__join-button');
    await flush();
    expect(mockApi.post).not.toHaveBeenCalled();
    expect(toasts).toEqual([{ title: '请输入邀请码', icon: 'none' }]);
  });

  test('a refused code keeps the form and the code for correction', async () => {
    const page = await openProfile(resident());
    const refused = Object.assign(new Error('邀请码无效，请向社区核对'), { status: 404, reason: 'invalid_invite_code' });
    mockApi.post.mockRejectedValue(refused); // the request module shows the server's message itself
    typeInviteCode(page, 'WRONG1');
    tapButton(page, '.profile__join-button');
    await flush();
    expect(page.data.joining).toBe(false);
    expect(page.data.inviteCode).toBe('WRONG1');
    expect(page.dom.textContent).toContain('尚未加入家庭');
    expect(page.querySelector('.profile__join')).toBeDefined();
  });

  test('a second tap while joining sends one request', async () => {
    const page = await openProfile(resident());
    let finish;
    mockApi.post.mockReturnValue(new Promise((resolve) => { finish = resolve; }));
    typeInviteCode(page, 'HX7K2Q');
    tapButton(page, '.profile__join-button');
    tapButton(page, '.profile__join-button');
    await flush();
    expect(page.data.joining).toBe(true);
    finish(resident({ household, verified: true }));
    await flush();
    expect(mockApi.post).toHaveBeenCalledTimes(1);
  });
});

describe('profile: session and phone', () => {
  test('logged out shows the login button; logging in loads the profile with roles', async () => {
    const page = await openProfile(null);
    expect(page.dom.textContent).toContain('未登录');
    expect(mockApi.get).not.toHaveBeenCalled();

    mockApi.login.mockResolvedValue({ access_token: 'a', refresh_token: 'r' });
    mockApi.get.mockResolvedValue(resident({
      roles: [{ role: 'grid_worker', scope_type: 'grid', scope_id: 4, scope_code: 'G-0101', scope_name: '锦华苑一网格' }],
    }));
    tapButton(page, '.profile__login');
    await flush();
    expect(mockApi.login).toHaveBeenCalledTimes(1);
    expect(mockApi.get).toHaveBeenCalledWith('/api/v1/me');
    const text = page.dom.textContent;
    expect(text).toContain('张阿姨');
    expect(text).toContain('网格员 · 锦华苑一网格');
    expect(text).toContain('138****5678');
    expect(text).not.toContain('13812345678');
  });

  test('getPhoneNumber sends e.detail.code to /me/phone', async () => {
    const page = await openProfile(resident({ phone: null }));
    expect(page.dom.textContent).toContain('未绑定手机号');
    mockApi.post.mockResolvedValue(resident({ phone: '13900001111' }));
    emitFrom(page, '.profile__phone-button', 'getphonenumber', { code: 'phone-code-1', errMsg: 'getPhoneNumber:ok' });
    await flush();
    expect(mockApi.post.mock.calls).toEqual([['/api/v1/me/phone', { code: 'phone-code-1' }]]);
    expect(page.dom.textContent).toContain('139****1111');
  });

  test('a refused phone authorisation sends nothing', async () => {
    const page = await openProfile(resident({ phone: null }));
    emitFrom(page, '.profile__phone-button', 'getphonenumber', { errMsg: 'getPhoneNumber:fail user deny' });
    await flush();
    expect(mockApi.post).not.toHaveBeenCalled();
    expect(toasts).toEqual([{ title: '未获得手机号授权', icon: 'none' }]);
  });

  test('logging out returns to the logged-out view', async () => {
    const page = await openProfile(resident());
    mockApi.logout.mockResolvedValue();
    tapButton(page, '.profile__logout');
    await flush();
    expect(mockApi.logout).toHaveBeenCalledTimes(1);
    expect(page.data.loggedIn).toBe(false);
    expect(page.dom.textContent).toContain('未登录');
  });
});

describe('profile: the birth date', () => {
  const pad = (n) => (n < 10 ? `0${n}` : String(n));
  const now = new Date();
  const today = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;

  test('unset: 未填写, and the picker offers today back to 120 years ago', async () => {
    const page = await openProfile(resident({ birth_date: null }));
    const row = page.querySelector('.profile__birth-date');
    expect(row.dom.textContent).toContain('未填写');
    expect(page.data.birthDatePicker).toEqual({
      start: `${Number(today.slice(0, 4)) - 120}${today.slice(4)}`, end: today, value: '1980-01-01' });
    expect(page.dom.textContent).toContain('仅自己可见');
  });

  test('picking a date saves it at once and shows it', async () => {
    const page = await openProfile(resident({ birth_date: null }));
    mockApi.patch.mockResolvedValue(resident({ birth_date: '1990-05-17' }));
    page.querySelector('.profile__birth-date').dispatchEvent('change', { detail: { value: '1990-05-17' } });
    await flush();
    expect(mockApi.patch.mock.calls).toEqual([['/api/v1/me', { birth_date: '1990-05-17' }]]);
    expect(page.querySelector('.profile__birth-date').dom.textContent).toContain('1990年5月17日');
    expect(page.data.birthDatePicker.value).toBe('1990-05-17');
    expect(toasts).toEqual([{ title: '出生日期已保存', icon: 'success' }]);
    expect(page.data.savingBirthDate).toBe(false);
  });

  test('the same date again sends nothing; a refusal (toasted by the request module) keeps the old one', async () => {
    const page = await openProfile(resident({ birth_date: '1990-05-17' }));
    await page.instance.onBirthDateChange({ detail: { value: '1990-05-17' } });
    expect(mockApi.patch).not.toHaveBeenCalled();

    mockApi.patch.mockRejectedValue(Object.assign(new Error('出生日期不能晚于今天'), { status: 422, reason: 'validation_error' }));
    await page.instance.onBirthDateChange({ detail: { value: '2999-01-01' } });
    expect(page.data.birthDate).toBe('1990年5月17日');
    expect(page.data.savingBirthDate).toBe(false);
  });
});

describe('home', () => {
  test('greets the resident and shows their grid and household', async () => {
    mockApi.isLoggedIn.mockReturnValue(true);
    mockApi.get.mockResolvedValue(resident({ household, verified: true }));
    const page = render('pages/home/home');
    page.instance.onShow();
    await flush();
    const text = page.dom.textContent;
    expect(text).toMatch(/(早上好|中午好|下午好|晚上好)，张阿姨/);
    expect(text).toContain('锦华苑一网格');
    expect(text).toContain('已认证');
  });

  test('each feature tile opens its page, and every page is declared in app.json', async () => {
    mockApi.isLoggedIn.mockReturnValue(false);
    const page = render('pages/home/home');
    page.instance.onShow();
    await flush();
    expect(page.dom.textContent).toContain('登录后查看你的家庭与网格');
    const tiles = page.querySelectorAll('.home__feature');
    expect(tiles.length).toBe(4);
    const opened = [];
    jest.spyOn(wx, 'navigateTo').mockImplementation((options) => opened.push(options.url));
    for (const tile of tiles) tile.querySelector('.t-grid-item').dispatchEvent('tap');
    await flush();
    expect(opened).toEqual(['/pages/cases/report/report', '/pages/cases/service/service', '/pages/topics/topics',
      '/pages/volunteer/activities/activities']);
    const declared = require('../app.json').pages;
    for (const url of opened) expect(declared).toContain(url.slice(1));
  });
});
