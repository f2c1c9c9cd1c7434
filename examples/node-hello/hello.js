// Runs inside the image as `node hello.js`: prints the greeting from config.json's Env and
// what the runtime sees of its machine.
const os = require('node:os');

console.log(`${process.env.GREETING ?? 'hello'}: node ${process.version} on ${os.type()} ${os.arch()}, ${os.cpus().length} CPU(s)`);
