import { runProgram } from '../../protocol/cli.js';
import { buildProgram } from './program.js';

await runProgram(buildProgram(), process.argv);
