/**
 * A child process for the pid-lock tests: `node lock-racer.mjs <pid-lock module URL> <lock file> <dir> <mode> [trials]`.
 *
 * - `race`: prints `ready`; then for each trial t: waits for `<dir>/<t>/go`, tries the lock
 *   `<dir>/<t>/<lock file>` until it has it; inside, creates `<dir>/<t>/inside` exclusively (EEXIST:
 *   two holders, logged as `OVERLAP`), appends its pid to `<dir>/<t>/log`, holds for 1–10 ms, leaves,
 *   releases and prints `done t`.
 * - `die`: takes the lock `<lock file>` and exits without releasing it (a crashed holder).
 * - `hold`: takes the lock `<lock file>`, prints `held`, and keeps it until killed.
 */
import fs from 'node:fs';
import path from 'node:path';

const [moduleUrl, lockPath, dir, mode] = process.argv.slice(2);
const { tryPidLock } = await import(moduleUrl);
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function take(file = lockPath) {
  for (;;) {
    const lock = tryPidLock(file);
    if (lock.acquired) return lock;
    sleep(1 + Math.random() * 2);
  }
}

if (mode === 'die') {
  take();
  process.exit(0);
} else if (mode === 'hold') {
  take();
  process.stdout.write('held\n');
  setInterval(() => undefined, 1000);
} else {
  process.stdout.write('ready\n');
  for (let t = 0; t < Number(process.argv[6]); t++) {
    const at = (name) => path.join(dir, String(t), name);
    while (!fs.existsSync(at('go'))) sleep(0.5);
    const lock = take(at(path.basename(lockPath)));
    let entered = true;
    try {
      fs.closeSync(fs.openSync(at('inside'), 'wx'));
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      entered = false;
      fs.appendFileSync(at('log'), `OVERLAP ${process.pid}\n`);
    }
    if (entered) {
      fs.appendFileSync(at('log'), `${process.pid}\n`);
      sleep(1 + Math.random() * 9);
      fs.unlinkSync(at('inside'));
    }
    lock.release();
    process.stdout.write(`done ${t}\n`);
  }
}
