// Parses a Mermaid flowchart with mermaid's own (jison) flowchart parser, offline, in Node.
// Only used when the `mermaid` npm package is installed (it is not a devDependency: ~200 MB).
// Mermaid sanitizes labels with DOMPurify, which needs a DOM; a syntax check does not, so the
// sanitizer is replaced by the identity before the parser loads.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(join(process.cwd(), 'package.json'));
// The ES module build: the instance mermaid's own `import 'dompurify'` gets (npm hoists it).
const purifyDir = join(process.cwd(), 'node_modules', 'dompurify');
const purifyEsm = JSON.parse(readFileSync(join(purifyDir, 'package.json'), 'utf8')).exports['.']
  .import.default;
const DOMPurify = (await import(pathToFileURL(join(purifyDir, purifyEsm)).href)).default;
DOMPurify.addHook = () => {};
DOMPurify.removeHook = () => {};
DOMPurify.removeAllHooks = () => {};
DOMPurify.sanitize = (text) => text;

const chunks = join(dirname(require.resolve('mermaid/package.json')), 'dist', 'chunks', 'mermaid.core');
const file = readdirSync(chunks).find((f) => /^flowDiagram-.*\.mjs$/.test(f));
const { diagram } = await import(pathToFileURL(join(chunks, file)).href);
const db = diagram.db;
db.clear?.();
diagram.parser.parser.yy = db;
try {
  diagram.parser.parse(readFileSync(process.argv[2], 'utf8'));
} catch (error) {
  console.error(String(error));
  process.exit(1);
}
console.log(`parsed: ${db.getVertices().size} nodes, ${db.getEdges().length} edges`);
