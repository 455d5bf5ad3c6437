// Builds dist/, the program as it ships: source/cli.tsx and everything it imports, dependencies
// included, bundled by esbuild into ES modules for Node 20. Loading a few large files instead of
// hundreds of small ones is what brings the wizard's first frame close to `node -e 0`. The
// commands cli.tsx imports lazily stay separate chunks, so `--help` and `status` never load Ink.
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = path.join(root, 'dist');

// Bundled CommonJS (ssh2 and its dependencies) calls require, and ssh2's WASM loader reads
// __dirname: an ES module has neither, so every chunk gets its own.
const commonJsGlobals = [
  "import { createRequire as pcwCreateRequire } from 'node:module';",
  "import { dirname as pcwDirname } from 'node:path';",
  "import { fileURLToPath as pcwFileURLToPath } from 'node:url';",
  'const require = pcwCreateRequire(import.meta.url);',
  'const __filename = pcwFileURLToPath(import.meta.url);',
  'const __dirname = pcwDirname(__filename);',
].join('\n');

/** A dependency's file with a piece of its text replaced; the build stops if the text is gone. */
function patchFile(
  name: string,
  file: RegExp,
  from: string,
  to: (filePath: string) => string,
): Plugin {
  return {
    name,
    setup(builder) {
      builder.onLoad({ filter: file }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes(from)) {
          throw new Error(
            `${args.path} no longer has ${JSON.stringify(from)}: look again at ${name}`,
          );
        }
        return { contents: source.replaceAll(from, to(args.path)), loader: 'js' };
      });
    },
  };
}

const patches = [
  // yoga-layout (Ink's layout engine) reads its WASM from a data: URL, with fetch() when there is
  // one: in Node that first loads undici, Node's fetch, about 80 ms of a 500 ms start measured
  // here. Without fetch the same Emscripten loader decodes the URL itself.
  patchFile(
    'yoga-without-fetch',
    /yoga-layout\/dist\/binaries\/yoga-wasm-base64-esm\.js$/,
    '"function"!=typeof fetch',
    () => 'true',
  ),
  // With DEV=true Ink reads its own package.json beside its files, which a bundle does not have:
  // its name and version, all it reads, go in as text.
  patchFile(
    'ink-package-json',
    /ink\/build\/reconciler\.js$/,
    "fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')",
    (reconciler) => {
      const ink = JSON.parse(
        readFileSync(path.join(path.dirname(reconciler), '../package.json'), 'utf8'),
      ) as { name: string; version: string };
      return JSON.stringify(JSON.stringify({ name: ink.name, version: ink.version }));
    },
  ),
];

rmSync(outdir, { recursive: true, force: true });
const { metafile } = await build({
  absWorkingDir: root,
  entryPoints: ['source/cli.tsx'],
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // React and Ink pick their production builds: no development checks at run time.
  define: { 'process.env.NODE_ENV': '"production"' },
  external: [
    // Ink imports it only when DEV=true, and says how to install it when it is missing.
    'react-devtools-core',
    // ssh2's optional native parts, each required inside a try: without them ssh2 uses Node's
    // crypto and its own WASM, as it does wherever they failed to build.
    'cpu-features',
    '*.node',
  ],
  banner: { js: commonJsGlobals },
  plugins: patches,
  legalComments: 'none',
  // Less source to read and compile at every start; names stay, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  metafile: true,
  logLevel: 'warning',
});
chmodSync(path.join(outdir, 'cli.js'), 0o755);
writeFileSync(path.join(outdir, 'third-party-licenses.txt'), licences(metafile));

/** The licence of every package whose code is in the bundle, as their licences ask of copies. */
function licences(meta: Metafile): string {
  const directories = new Set<string>();
  for (const input of Object.keys(meta.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) directories.add(path.join(root, match[1]!));
  }
  const sections = new Map<string, string>();
  for (const directory of directories) {
    const manifest = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license?: string;
    };
    const file = readdirSync(directory).find((name) => /^licen[cs]e/i.test(name));
    const text = file
      ? readFileSync(path.join(directory, file), 'utf8').trim()
      : `${manifest.license ?? 'No licence'} (the package has no licence file)`;
    sections.set(`${manifest.name}@${manifest.version}`, text);
  }
  const sorted = [...sections].sort(([a], [b]) => a.localeCompare(b));
  return [
    'The program in this folder includes code from these packages, under these licences.\n',
    ...sorted.map(([name, text]) => `${'-'.repeat(72)}\n${name}\n\n${text}\n`),
  ].join('\n');
}
