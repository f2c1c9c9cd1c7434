/** bin/uni.js sends `uni serve` and `uni mirror ...` here. */
import { runProgram } from '../../protocol/cli.js';
import { buildServerProgram } from './program.js';

await runProgram(buildServerProgram(), process.argv);
