import { runProgram } from '../../schemas/cli.js';
import { buildProgram } from './program.js';

await runProgram(buildProgram(), process.argv);
