// Replaces the bodies of named wasm functions with `unreachable`, so that
// `wasm-opt` then drops everything only they called: code the compiler
// links but that provably never runs (as `wasm-snip` does; that tool cannot
// read today's wasm). Names come from the name section wasm-bindgen keeps.
// A pattern matching more than one function fails the build (it would stub
// something else too), unless it is marked `every:` (the instances of one
// generic function); one matching none stubs nothing (an app that never
// links the function) — the bench's size gate notices a lost saving.
//
//   node stub-unreachable.mjs file.wasm 'regexp'... 'every:regexp'...
import { readFileSync, writeFileSync } from "node:fs";

const [file, ...patterns] = process.argv.slice(2);
const bytes = readFileSync(file);

function leb(at) {
  let value = 0, shift = 0, byte;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}
function encode(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return Buffer.from(out);
}

// The module's sections, and from them the imported function count, the
// function names and the code section.
const sections = [];
for (let at = 8; at < bytes.length; ) {
  const id = bytes[at];
  const [size, start] = leb(at + 1);
  sections.push({ id, headerAt: at, start, end: start + size });
  at = start + size;
}
let imported = 0;
const names = new Map();
for (const section of sections) {
  if (section.id === 2) {
    let [count, at] = leb(section.start);
    for (let i = 0; i < count; i++) {
      let length;
      [length, at] = leb(at); at += length;
      [length, at] = leb(at); at += length;
      const kind = bytes[at++];
      if (kind === 0) { [, at] = leb(at); imported++; }
      else if (kind === 1) { at++; let flags; [flags, at] = leb(at); [, at] = leb(at); if (flags & 1) [, at] = leb(at); }
      else if (kind === 2) { let flags; [flags, at] = leb(at); [, at] = leb(at); if (flags & 1) [, at] = leb(at); }
      else if (kind === 3) at += 2;
      else if (kind === 4) { at++; [, at] = leb(at); }
      else throw new Error(`unknown import kind ${kind}`);
    }
  }
  if (section.id === 0) {
    let [length, at] = leb(section.start);
    if (bytes.toString("utf8", at, at + length) !== "name") continue;
    at += length;
    while (at < section.end) {
      const sub = bytes[at];
      let size;
      [size, at] = leb(at + 1);
      if (sub === 1) {
        let [count, p] = leb(at);
        for (let i = 0; i < count; i++) {
          let index, nameLength;
          [index, p] = leb(p);
          [nameLength, p] = leb(p);
          names.set(index, bytes.toString("utf8", p, p + nameLength));
          p += nameLength;
        }
      }
      at += size;
    }
  }
}
const code = sections.find((s) => s.id === 10);
if (!code) throw new Error(`${file} has no code`);
// A release profile with `strip = true` leaves no names to find the stubs
// by: the build goes on without them (a slightly larger worker).
if (names.size === 0) {
  console.error(`${file} has no function names (the release profile strips them?): nothing stubbed`);
  process.exit(0);
}

const stubbed = new Set();
for (const given of patterns) {
  const every = given.startsWith("every:");
  const pattern = every ? given.slice("every:".length) : given;
  const matching = [...names].filter(([index, name]) => index >= imported && new RegExp(pattern).test(name));
  if (matching.length > 1 && !every) {
    throw new Error(`/${pattern}/ matches ${matching.length} functions, not one:\n${matching.map(([, n]) => n).join("\n")}`);
  }
  for (const [index] of matching) stubbed.add(index - imported);
}

// The code section again, with those bodies replaced: no locals, `unreachable`, `end`.
const parts = [];
let [count, at] = leb(code.start);
parts.push(encode(count));
for (let i = 0; i < count; i++) {
  const [size, bodyAt] = leb(at);
  if (stubbed.has(i)) parts.push(Buffer.from([3, 0x00, 0x00, 0x0b]));
  else parts.push(bytes.subarray(at, bodyAt + size));
  at = bodyAt + size;
}
const body = Buffer.concat(parts);
const out = Buffer.concat([
  bytes.subarray(0, code.headerAt),
  Buffer.from([10]),
  encode(body.length),
  body,
  bytes.subarray(code.end),
]);
writeFileSync(file, out);
console.error(`stubbed ${stubbed.size} function(s) in ${file}: ${(bytes.length - out.length)} bytes less before optimisation`);
