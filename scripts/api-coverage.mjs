#!/usr/bin/env node
/**
 * How much of mpi4py's public API mpi4ts has.
 *
 * `node scripts/api-coverage.mjs` (`npm run api-coverage`) reads the checked-in
 * list `scripts/mpi4py-api.txt` (one name a line: `Comm.Send`, `MPI.Init`,
 * constants as `MPI.ANY_SOURCE`) and looks each name up in the built `MPI`
 * object of `dist/`: a class member on the class (static), its prototype chain
 * (methods, getters) or an instance of it (fields), a module function or
 * constant on `MPI` itself. It prints covered/total per class, for the module
 * functions, for the constants and overall.
 *
 * Options:
 *   --missing           also list every name that is missing
 *   --json              print the result as JSON (`covered` lists the names found)
 *   --generate <pyi>    write the list from mpi4py's type stubs (`MPI.pyi`):
 *                       every public method and property of every class, every
 *                       module function and constant; handle and Fortran
 *                       interop (`toint`, `fromint`, `py2f`, `f2py`,
 *                       `fromhandle`, `handle`), Python's buffer and pickle
 *                       classes (`buffer`, `memory`, `Pickle`, `pickle`) and
 *                       dunder methods are left out.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const listPath = join(here, 'mpi4py-api.txt');
const EXCLUDED_MEMBERS = new Set(['toint', 'fromint', 'py2f', 'f2py', 'fromhandle', 'handle']);
const EXCLUDED_CLASSES = new Set(['buffer', 'memory', 'Pickle']);
const EXCLUDED_NAMES = new Set(['pickle']);

/** The public names of `MPI.pyi`, in file order. */
export function namesOfStubs(text) {
  const names = [];
  const seen = new Set();
  const add = (name) => {
    if (!seen.has(name)) {
      seen.add(name);
      names.push(name);
    }
  };
  let cls = null;
  for (const line of text.split('\n')) {
    const classMatch = /^class (\w+)/.exec(line);
    if (classMatch) {
      const name = classMatch[1];
      cls = name.startsWith('_') || EXCLUDED_CLASSES.has(name) ? '' : name;
      continue;
    }
    if (/^\S/.test(line)) cls = null;
    if (cls === '') continue;
    if (cls !== null) {
      const member = /^ {4}(?:def (\w+)\(|(\w+)\s*:)/.exec(line);
      if (!member) continue;
      const name = member[1] ?? member[2];
      if (name.startsWith('_') || EXCLUDED_MEMBERS.has(name)) continue;
      add(`${cls}.${name}`);
      continue;
    }
    const fn = /^def (\w+)\(/.exec(line);
    const constant = /^(\w+)\s*:\s*Final\b/.exec(line);
    const name = fn?.[1] ?? constant?.[1];
    if (name === undefined || name.startsWith('_') || EXCLUDED_NAMES.has(name) || EXCLUDED_MEMBERS.has(name)) continue;
    add(`MPI.${name}`);
  }
  return names;
}

/** True when `name` is a constant of the list (upper-case module name). */
function isConstant(name) {
  return /^MPI\.[A-Z0-9_]+$/.test(name);
}

/** Looks up every name in `MPI`; returns `{ groups: Map<group, {covered, missing}> }`. */
export function check(MPI, names) {
  const samples = new Map();
  const sampleOf = (cls) => {
    if (samples.has(cls)) return samples.get(cls);
    let sample;
    for (const key of Object.keys(MPI)) {
      let value;
      try {
        value = MPI[key];
      } catch {
        continue;
      }
      if (value instanceof cls) {
        sample = value;
        break;
      }
    }
    if (sample === undefined) {
      try {
        sample = new cls();
      } catch {
        sample = undefined;
      }
    }
    samples.set(cls, sample);
    return sample;
  };
  const has = (name) => {
    const [owner, member] = name.split('.');
    if (owner === 'MPI') return member in MPI && MPI[member] !== undefined;
    const cls = MPI[owner];
    if (typeof cls !== 'function') return false;
    if (member in cls) return true;
    if (member in cls.prototype) return true;
    const sample = sampleOf(cls);
    return sample !== undefined && sample !== null && member in Object(sample);
  };
  const groups = new Map();
  for (const name of names) {
    const owner = name.split('.')[0];
    const group = owner !== 'MPI' ? owner : isConstant(name) ? 'constants' : 'functions';
    if (!groups.has(group)) groups.set(group, { covered: [], missing: [] });
    groups.get(group)[has(name) ? 'covered' : 'missing'].push(name);
  }
  return groups;
}

function percent(a, b) {
  return b === 0 ? '100%' : `${Math.round((100 * a) / b)}%`;
}

async function main(argv) {
  const generate = argv.indexOf('--generate');
  if (generate >= 0) {
    const pyi = argv[generate + 1];
    if (pyi === undefined) throw new Error('--generate needs the path of MPI.pyi');
    const names = namesOfStubs(readFileSync(pyi, 'utf8'));
    writeFileSync(listPath, names.join('\n') + '\n');
    console.log(`api-coverage: wrote ${names.length} names to ${listPath}`);
    return;
  }
  const names = readFileSync(listPath, 'utf8').split('\n').map((s) => s.trim()).filter((s) => s && !s.startsWith('#'));
  const { MPI } = await import(pathToFileURL(join(here, '..', 'dist', 'index.js')).href);
  const groups = check(MPI, names);
  let methods = 0;
  let methodsCovered = 0;
  let constants = 0;
  let constantsCovered = 0;
  for (const [group, { covered, missing }] of groups) {
    const total = covered.length + missing.length;
    if (group === 'constants') {
      constants += total;
      constantsCovered += covered.length;
    } else {
      methods += total;
      methodsCovered += covered.length;
    }
  }
  if (argv.includes('--json')) {
    const out = {};
    for (const [group, { covered, missing }] of groups) out[group] = { covered, missing };
    console.log(JSON.stringify({ methods: [methodsCovered, methods], constants: [constantsCovered, constants], groups: out }));
    return;
  }
  const width = Math.max(...[...groups.keys()].map((g) => g.length));
  for (const [group, { covered, missing }] of groups) {
    const total = covered.length + missing.length;
    console.log(`${group.padEnd(width)}  ${String(covered.length).padStart(4)} / ${String(total).padEnd(4)} ${percent(covered.length, total)}`);
  }
  console.log(`methods and functions: ${methodsCovered} / ${methods} (${percent(methodsCovered, methods)})`);
  console.log(`constants:             ${constantsCovered} / ${constants} (${percent(constantsCovered, constants)})`);
  console.log(`overall:               ${methodsCovered + constantsCovered} / ${methods + constants} ` +
    `(${percent(methodsCovered + constantsCovered, methods + constants)})`);
  if (argv.includes('--missing')) {
    console.log('\nmissing:');
    for (const [, { missing }] of groups) for (const name of missing) console.log(`  ${name}`);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(() => process.exit(0), (error) => {
    console.error(`api-coverage: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
