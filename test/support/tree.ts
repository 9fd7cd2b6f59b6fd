/** A fingerprint of a directory tree (relative paths, sizes and modification times), to prove nothing changed. */
import fs from 'node:fs';
import path from 'node:path';

export function treeFingerprint(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const abs = path.join(dir, name);
      const st = fs.statSync(abs);
      if (st.isDirectory()) walk(abs);
      else out.push(`${path.relative(root, abs)} ${st.size} ${st.mtimeMs}`);
    }
  };
  walk(root);
  return out;
}
