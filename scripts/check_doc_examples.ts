/**
 * `deno run -A scripts/check_doc_examples.ts [entry...]`: every symbol that
 * the public entry points export has JSDoc with an `@example`, as JSR's
 * score asks. Entries default to deno.json's exports. Prints the symbols
 * that lack one and exits 1 when there are any.
 *
 * @module
 */

interface DocTag {
  kind: string;
}
interface DocSymbol {
  name: string;
  declarations: { location: { filename: string; line: number }; jsDoc?: { tags?: DocTag[] } }[];
}
interface DocOutput {
  nodes: Record<string, { symbols?: DocSymbol[] }>;
}

const root = new URL("../", import.meta.url);
const exportsMap: Record<string, string> =
  JSON.parse(Deno.readTextFileSync(new URL("deno.json", root))).exports;
const entries = Deno.args.length > 0 ? Deno.args : Object.values(exportsMap);

const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
  args: ["doc", "--json", ...entries],
  cwd: root,
  stdout: "piped",
  stderr: "piped",
}).output();
if (code !== 0) {
  console.error(new TextDecoder().decode(stderr));
  Deno.exit(code);
}
const doc: DocOutput = JSON.parse(new TextDecoder().decode(stdout));

// A re-export (the runtime entry points re-export the shared types) is its
// own symbol without JSDoc; a name counts as documented when any of its
// declarations has an example.
const locations = new Map<string, string>();
const documented = new Set<string>();
for (const { symbols = [] } of Object.values(doc.nodes)) {
  for (const symbol of symbols) {
    const { filename, line } = symbol.declarations[0].location;
    if (!locations.has(symbol.name)) {
      locations.set(symbol.name, `${filename.replace(root.href, "")}:${line}`);
    }
    const hasExample = symbol.declarations.some((declaration) =>
      declaration.jsDoc?.tags?.some((tag) => tag.kind === "example")
    );
    if (hasExample) documented.add(symbol.name);
  }
}
const checked = locations.size;
const missing = [...locations].filter(([name]) => !documented.has(name)).map(([name, at]) =>
  `${name} (${at})`
);
for (const name of missing) console.log(`no @example: ${name}`);
console.log(`${checked - missing.length} of ${checked} exported symbols have an @example`);
Deno.exit(missing.length === 0 ? 0 : 1);
