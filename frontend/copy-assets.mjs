// Copies what the browser loads from the npm packages into dist/, which the Portal build serves as /lib/.
// Only the ES modules and styles are taken: no bundler, the browser imports them as they are.
import { cpSync, rmSync, mkdirSync } from 'node:fs';

const copies = [
  ['node_modules/@xterm/xterm/lib/xterm.mjs', 'dist/xterm/xterm.mjs'],
  ['node_modules/@xterm/xterm/css/xterm.css', 'dist/xterm/xterm.css'],
  ['node_modules/@xterm/xterm/LICENSE', 'dist/xterm/LICENSE'],
  ['node_modules/@xterm/addon-fit/lib/addon-fit.mjs', 'dist/xterm/addon-fit.mjs'],
  ['node_modules/@novnc/novnc/core', 'dist/novnc/core'],
  ['node_modules/@novnc/novnc/vendor', 'dist/novnc/vendor'],
  ['node_modules/@novnc/novnc/LICENSE.txt', 'dist/novnc/LICENSE.txt'],
];
rmSync('dist', { recursive: true, force: true });
for (const [from, to] of copies) {
  mkdirSync(to.substring(0, to.lastIndexOf('/')), { recursive: true });
  cpSync(from, to, { recursive: true });
}
console.log(`>> frontend assets copied to dist/ (${copies.length} entries)`);
