/**
 * Loads a component or page of this project into miniprogram-simulate.
 *
 * Pages are written with the Component() constructor so they load the same way. npm component paths
 * ("tdesign-miniprogram/tag/tag") resolve in DevTools through miniprogram_npm/; simulate only knows
 * relative and root-absolute paths, so they are mapped to /miniprogram_npm/… here.
 */
const fs = require('fs');
const path = require('path');
const simulate = require('miniprogram-simulate');

const ROOT = path.resolve(__dirname, '../..');
// simulate's official compiler runs wcc once over EVERY .wxml of the project (TDesign's included) and
// reads its output through spawnSync, whose 1 MB default buffer the project has outgrown (ENOBUFS).
const COMPILER_OPTIONS = { maxBuffer: 64 * 1024 * 1024 };

function npmComponentPaths(rel, found = {}, seen = new Set()) {
  if (seen.has(rel)) return found;
  seen.add(rel);
  const json = JSON.parse(fs.readFileSync(path.join(ROOT, `${rel}.json`), 'utf8'));
  for (const [tag, target] of Object.entries(json.usingComponents || {})) {
    if (target.startsWith('/')) npmComponentPaths(target.slice(1), found, seen);
    else if (target.startsWith('.')) npmComponentPaths(path.posix.join(path.posix.dirname(rel), target), found, seen);
    else found[tag] = `/miniprogram_npm/${target}`;
  }
  return found;
}

/** Render `rel` (e.g. 'pages/profile/profile') with `properties`, attached to a parent node. */
function render(rel, properties) {
  // simulate runs each component's JS with require(); jest caches modules per test file, so a fresh
  // module registry is needed for the Component() definitions to register again on every load.
  let id;
  jest.isolateModules(() => {
    id = simulate.load(path.join(ROOT, rel), {
      rootPath: ROOT, usingComponents: npmComponentPaths(rel), compilerOptions: COMPILER_OPTIONS,
    });
  });
  const comp = simulate.render(id, properties);
  comp.attach(document.createElement('parent-wrapper'));
  return comp;
}

function find(comp, selector) {
  const found = comp.querySelector(selector);
  if (!found) throw new Error(`no element matches ${selector}`);
  return found;
}

/** Tap the TDesign button whose host has `selector`: the tap is bound on its inner element. */
function tapButton(comp, selector) {
  find(comp, selector).querySelector('.t-button').dispatchEvent('tap');
}

/**
 * Have the child component at `selector` emit `eventName`, as TDesign re-emits an open-type reply
 * (getphonenumber …). Dispatching on the inner native element instead would reach the page twice:
 * j-component makes every synthetic event composed, WeChat does not.
 */
function emitFrom(comp, selector, eventName, detail) {
  find(comp, selector).instance.triggerEvent(eventName, detail);
}

const flush = () => simulate.sleep(0);

module.exports = { ROOT, render, tapButton, emitFrom, flush, simulate };
