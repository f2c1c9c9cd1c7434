/**
 * Runs a command on a real pseudo-terminal (python3's pty module), as a person at a terminal
 * runs it: what a test types is sent when the expected text has appeared, and the transcript
 * is everything the terminal showed, echo included.
 */
import { spawn } from 'node:child_process';

const DRIVER = String.raw`
import json, os, pty, select, sys, time
args, steps, timeout = json.loads(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(args[0], args)
out = b''
deadline = time.time() + timeout
def pump(until):
    global out
    while time.time() < deadline and (until is None or until.encode() not in out):
        r, _, _ = select.select([fd], [], [], 0.1)
        if fd in r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            out += chunk
for wait, send in steps:
    pump(wait)
    os.write(fd, send.encode())
pump(None)
_, status = os.waitpid(pid, 0)
sys.stdout.write(json.dumps({'code': os.waitstatus_to_exitcode(status), 'transcript': out.decode('utf-8', 'replace')}))
`;

export interface PtyRun {
  code: number;
  transcript: string;
}

/** `steps`: [text to wait for, keys to type then]. */
export function runInPty(args: string[], env: NodeJS.ProcessEnv, steps: Array<[string, string]> = [], timeoutSeconds = 60): Promise<PtyRun> {
  const child = spawn('python3', ['-c', DRIVER, JSON.stringify(args), JSON.stringify(steps), String(timeoutSeconds)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`the pty driver failed (${code}): ${stderr}`));
      else resolve(JSON.parse(stdout) as PtyRun);
    }),
  );
}
