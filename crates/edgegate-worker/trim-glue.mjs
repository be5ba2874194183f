// Removes from wasm-bindgen's glue (index.js) the JS classes the `worker`
// crate exports and no edgegate worker uses (Rust streams as JS streams,
// container, minify and R2 range options). build.sh already removed their
// wasm exports; their classes and finalization registries would otherwise
// stay in the bundle, since creating a registry is a side effect a bundler
// keeps. Fails the build if anything still refers to a removed class.
//
// Also removes the import functions the optimised wasm no longer imports
// (wasm-opt dropped the code that called them), and with them the closure
// glue once nothing makes closures: the bundler then drops what only they
// used.
//
//   node trim-glue.mjs index.js index_bg.wasm ClassName...
import { readFileSync, writeFileSync } from "node:fs";

const [file, wasm, ...names] = process.argv.slice(2);
let lines = readFileSync(file, "utf8").split("\n");

// The import object's entries: `        __wbg_x_hash: function(...) {` … a
// line `        }…` at the same depth (`},`, or `}, arguments); },` when
// wrapped for errors); a one-line entry ends where it starts.
const imported = new Set(
  WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasm)))
    .filter((i) => i.module === "./index_bg.js")
    .map((i) => i.name),
);
for (let at = 0; at < lines.length; at++) {
  const entry = /^ {8}(__wbg_\w+|__wbindgen_\w+): function\b/.exec(lines[at]);
  if (!entry || imported.has(entry[1])) continue;
  let end = at;
  if (!lines[at].trimEnd().endsWith("},")) while (!/^ {8}\}/.test(lines[end])) end++;
  lines.splice(at, end - at + 1);
  at--;
}
const kept = lines.join("\n");
const lost = [...imported].filter((name) => !kept.includes(`        ${name}: `));
if (lost.length) throw new Error(`${file} lost imports the wasm still has: ${lost.join(", ")}`);
// The closure destructors' registry is made at load (a side effect a bundler keeps): gone with the last closure.
if (!lines.some((l) => l.includes("makeMutClosure(") && !l.startsWith("function makeMutClosure"))) {
  const registry = lines.findIndex((l) => l.startsWith("const CLOSURE_DTORS = "));
  if (registry >= 0) lines.splice(registry, lines.indexOf("});", registry) - registry + 1);
  const maker = lines.indexOf("function makeMutClosure(arg0, arg1, f) {");
  if (maker >= 0) lines.splice(maker, lines.indexOf("}", maker) - maker + 1);
  const left = lines.filter((l) => /\bCLOSURE_DTORS\b/.test(l));
  if (left.length) throw new Error(`${file} still refers to CLOSURE_DTORS:\n${left.join("\n")}`);
}
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
