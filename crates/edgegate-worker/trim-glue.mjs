// Removes from wasm-bindgen's glue (index.js) the JS classes the `worker`
// crate exports and no edgegate worker uses (Rust streams as JS streams,
// container, minify and R2 range options). build.sh already removed their
// wasm exports; their classes and finalization registries would otherwise
// stay in the bundle, since creating a registry is a side effect a bundler
// keeps. Fails the build if anything still refers to a removed class.
//
//   node trim-glue.mjs index.js ClassName...
import { readFileSync, writeFileSync } from "node:fs";

const [file, ...names] = process.argv.slice(2);
let lines = readFileSync(file, "utf8").split("\n");
for (const name of names) {
  const start = lines.findIndex((l) => l === `class ${name} {` || l === `export class ${name} {`);
  if (start < 0) continue;
  const end = lines.indexOf("}", start);
  lines.splice(start, end - start + 1);
  lines = lines.filter((l) => !l.startsWith(`if (Symbol.dispose) ${name}.prototype`));
  const registry = lines.findIndex((l) => l.startsWith(`const ${name}Finalization = `));
  if (registry >= 0) lines.splice(registry, lines.indexOf("});", registry) - registry + 1);
  const left = lines.filter((l) => new RegExp(`\\b${name}\\b`).test(l));
  if (left.length) throw new Error(`${file} still refers to ${name}:\n${left.join("\n")}`);
}
writeFileSync(file, lines.join("\n"));
