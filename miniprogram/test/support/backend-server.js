/**
 * Starts the real Flask app for end-to-end tests: `<python> -m backend.testserver --port 0` from the
 * repository root, which prints one JSON line {url, invite_code, …seed data} once it listens.
 * <python> is $LINLI_PYTHON or the repository's .venv. Failing to start is an error, never a skip.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const REPO_ROOT = path.resolve(__dirname, '../../..');
const PYTHON = process.env.LINLI_PYTHON || path.join(REPO_ROOT, '.venv/bin/python');

/**
 * `seeds`: Python `module:function` names the server calls after its base data (e.g.
 * 'tests.cases.e2e_seed:seed'); whatever they return joins the ready line, so tests get ids and codes.
 */
function startBackend({ accessTtl, seeds = [], startTimeoutMs = 30000 } = {}) {
  const args = ['-m', 'backend.testserver', '--port', '0'];
  if (accessTtl) args.push('--access-ttl', String(accessTtl));
  seeds.forEach((seed) => args.push('--seed', seed));
  const command = `${PYTHON} ${args.join(' ')} (cwd ${REPO_ROOT})`;
  if (!fs.existsSync(PYTHON)) {
    return Promise.reject(new Error(`cannot start the backend test server: no Python at ${PYTHON}; `
      + 'create the repository .venv or set LINLI_PYTHON'));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let ready = false;
    const fail = (why) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`backend test server did not start: ${why}\n  command: ${command}\n  stderr:\n${stderr.slice(-3000)}`));
    };
    const timer = setTimeout(() => fail(`no ready line within ${startTimeoutMs} ms`), startTimeoutMs);
    child.on('error', (error) => fail(error.message));
    child.on('exit', (code, signal) => { if (!ready) fail(`exited with ${signal || `code ${code}`}`); });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (ready || !stdout.includes('\n')) return;
      const line = stdout.slice(0, stdout.indexOf('\n')).trim();
      let info;
      try {
        info = JSON.parse(line);
      } catch (e) {
        fail(`first stdout line is not JSON: ${line}`);
        return;
      }
      if (!info.url || !info.invite_code) {
        fail(`ready line lacks url or invite_code: ${line}`);
        return;
      }
      ready = true;
      clearTimeout(timer);
      resolve({
        url: info.url,
        inviteCode: info.invite_code,
        seeded: info, // everything the ready line carried, including what the seeds returned
        stop: () => new Promise((done) => {
          if (child.exitCode !== null || child.signalCode !== null) { done(); return; }
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => { clearTimeout(killer); done(); });
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

module.exports = { startBackend, REPO_ROOT };
