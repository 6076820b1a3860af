/**
 * @jest-environment node
 *
 * The project configuration DevTools and the upload check would reject, caught offline:
 * app.json pages and tab bar, every usingComponents entry resolving, and one home for the API URL.
 */
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const readJson = (rel) => JSON.parse(fs.readFileSync(path.join(ROOT, rel), 'utf8'));
const exists = (rel) => fs.existsSync(path.join(ROOT, rel));
const app = readJson('app.json');

function ownFiles(ext, dir = ROOT, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || ['node_modules', 'miniprogram_npm', 'coverage'].includes(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) ownFiles(ext, full, out);
    else if (entry.name.endsWith(ext)) out.push(path.relative(ROOT, full).split(path.sep).join('/'));
  }
  return out;
}

test('every page in app.json has its js, json, wxml and wxss', () => {
  const missing = app.pages.flatMap((page) => ['js', 'json', 'wxml', 'wxss']
    .map((ext) => `${page}.${ext}`).filter((file) => !exists(file)));
  expect(missing).toEqual([]);
});

test('the tab bar has home and profile, with icons that exist', () => {
  const list = app.tabBar.list;
  expect(list.length).toBeGreaterThanOrEqual(2);
  expect(list.length).toBeLessThanOrEqual(5);
  expect(list.map((item) => item.text)).toEqual(expect.arrayContaining(['首页', '我的']));
  for (const item of list) {
    expect(app.pages).toContain(item.pagePath);
    for (const icon of [item.iconPath, item.selectedIconPath].filter(Boolean)) expect(exists(icon)).toBe(true);
  }
});

test('app.json declares location use and the loading options', () => {
  expect(app.permission['scope.userLocation'].desc).toMatch(/[\u4e00-\u9fa5]/);
  expect(app.requiredPrivateInfos).toEqual(['getLocation', 'chooseLocation']);
  expect(app.sitemapLocation).toBe('sitemap.json');
  expect(exists('sitemap.json')).toBe(true);
  expect(app.lazyCodeLoading).toBe('requiredComponents');
});

test('every JSON file parses', () => {
  const broken = ownFiles('.json').filter((file) => {
    try { readJson(file); return false; } catch (e) { return true; }
  });
  expect(broken).toEqual([]);
});

test('every usingComponents entry resolves (run `npm run build:npm` first for TDesign)', () => {
  if (!exists('miniprogram_npm/tdesign-miniprogram')) {
    throw new Error('miniprogram_npm/ is missing: run `npm run build:npm` before `npm test`');
  }
  const unresolved = [];
  for (const file of ownFiles('.json')) {
    const using = readJson(file).usingComponents || {};
    for (const [tag, target] of Object.entries(using)) {
      let base;
      if (target.startsWith('/')) base = target.slice(1);
      else if (target.startsWith('.')) base = path.posix.join(path.posix.dirname(file), target);
      else base = `miniprogram_npm/${target}`;
      if (!['js', 'json', 'wxml'].every((ext) => exists(`${base}.${ext}`))) unresolved.push(`${file}: ${tag} → ${target}`);
    }
  }
  expect(unresolved).toEqual([]);
});

test('the API base URL lives only in config.js', () => {
  const offenders = ownFiles('.js')
    .filter((file) => file !== 'config.js' && !file.startsWith('test/') && !file.startsWith('scripts/'))
    .filter((file) => /https?:\/\/|127\.0\.0\.1|localhost/.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
  expect(offenders).toEqual([]);
  expect(require('../config').apiBase).toBe('http://127.0.0.1:5000');
});
