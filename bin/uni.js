#!/usr/bin/env node
// The compiled code lives in dist/ (built by `npm install` through the prepare script).
// `serve` and `mirror` run the registry and so live on the server side; the client and the
// server never import each other, so this file is where the two meet. `uni help serve` is
// asked of the side that knows serve.
const [first, second] = process.argv.slice(2);
const sub = first === 'help' ? second : first;
if (sub === 'serve' || sub === 'mirror') {
  await import('../dist/server/cli/main.js');
} else {
  await import('../dist/client/cli/main.js');
}
