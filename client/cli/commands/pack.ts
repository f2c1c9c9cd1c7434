import type { Command } from 'commander';
import { checkNamePart, normalizeVersion } from '../../../protocol/names.js';
import { userArg } from '../errors.js';
import { printJson, printLines, warn } from './output.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `uni pkg from-binary` and `uni pkg pack`: making packages on the publisher's machine. */
export function registerPackCommands(pkg: Command): void {
  pkg
    .command('from-binary')
    .description('make a package folder from a program and the shared libraries it loads (the program is never run)')
    .argument('<elf>', 'the program: a 64-bit x86_64 or aarch64 ELF file')
    .option('--version <version>', 'the package version (required: the program is not asked)')
    .option('--name <name>', "the package name; default: the program's file name")
    .option('--add <path>', 'also copy this file or folder at its path (repeatable): what the program opens at run time', collect, [])
    .option('-o, --out <dir>', 'the package folder to write; default: ./<name>_<version>/')
    .option('--root <dir>', 'read the program and its libraries inside this folder, a sysroot of another machine')
    .option('--json', 'print the result as JSON')
    .action(async (elf: string, opts: { version?: string; name?: string; add: string[]; out?: string; root?: string; json?: boolean }) => {
      const { fromBinary } = await import('../../pack/from-binary.js');
      const { announce } = await import('../../progress.js');
      announce(process.stderr, `uni: packaging ${elf} with the libraries it loads...`);
      const res = fromBinary({
        program: elf,
        // A missing or blank --version is left to fromBinary, which says that it is required.
        version: opts.version?.trim() ? userArg(normalizeVersion, opts.version) : opts.version,
        name: userArg((n) => checkNamePart(n, 'name'), opts.name),
        add: opts.add,
        out: opts.out,
        root: opts.root,
        cwd: process.cwd(),
        ldLibraryPath: process.env['LD_LIBRARY_PATH'],
      });
      const libraries = res.closure.libraries.map((l) => ({ name: l.name, path: l.path, neededBy: l.neededBy }));
      const missing = res.closure.missing.map((m) => ({ name: m.name, neededBy: m.neededBy }));
      if (opts.json) {
        printJson({ dir: res.dir, manifest: res.manifest, interpreter: res.closure.interpreter?.path ?? null, libraries, missing, files: res.files });
        return;
      }
      // Not fatal: only those modules would fail to load, as they would on this machine.
      for (const m of res.closure.missing) warn(`${m.message}; that module will not load`);
      printLines([
        `wrote ${res.dir} (${res.manifest.Name}@${res.manifest.Version}, ${res.manifest.Arch})`,
        `  program      ${res.manifest.Program}`,
        ...(res.closure.interpreter ? [`  interpreter  ${res.closure.interpreter.path}`] : ['  static: no interpreter, no libraries']),
        ...libraries.map((l) => `  library      ${l.path}`),
        ...(opts.add.length ? [`  added        ${opts.add.join(', ')}`] : []),
        `next: uni pkg pack ${res.dir}`,
      ]);
    });

  pkg
    .command('pack')
    .description('make the reproducible .tar.gz of a package folder (the same folder gives the same bytes)')
    .argument('<dir>', 'the package folder: package.manifest and sysroot/')
    .option('-o, --out <file>', 'the archive to write; default: ./<name>_<version>.tar.gz')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, opts: { out?: string; json?: boolean }) => {
      const { packDirectory } = await import('../../pack/pack.js');
      const { createTaskProgress } = await import('../../progress.js');
      const res = await packDirectory(dir, { out: opts.out, cwd: process.cwd(), progress: (total) => createTaskProgress(process.stderr, 'packing', total) });
      res.manifestNotes.forEach(warn);
      if (opts.json) {
        printJson({ file: res.file, digest: res.digest, size: res.size, name: res.name, version: res.version });
        return;
      }
      printLines([`wrote ${res.file} (${res.name}@${res.version}, ${res.size} bytes)`, `  ${res.digest}`]);
    });
}
