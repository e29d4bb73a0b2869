// SPDX-License-Identifier: Apache-2.0
// Render a kustomization the way `kubectl kustomize DIR` does, for the subset of
// kustomize that deploy/kubernetes uses, so the tests can check rendered overlays on a
// machine without kubectl or kustomize (neither is a Debian 12 package in a version
// that reads today's kustomization files). Supported fields, and nothing else (any
// other field is an error, never silently ignored):
//   resources: files (YAML streams) and folders holding a kustomization.yaml
//   patches:   {path | patch, target: {kind, name[, namespace]}}: JSON 6902 operations
//              (add, replace, remove) in YAML or JSON
//   images:    {name, newName?, newTag?, digest?} applied to containers and
//              initContainers of every pod template
// YAML is read as YAML 1.1, as kubectl reads it (0400 is octal 256, yes/no are booleans).
// Output order is resource order (kubectl sorts by kind; order does not matter for
// validation). Usage: node render.mjs DIR [--image NAME=NEWNAME[:TAG]]...
import { readFileSync, statSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";

export async function loadYaml(toolsDir) {
  const url = new URL(`file://${resolve(toolsDir, "node_modules/yaml/dist/index.js")}`);
  const m = await import(url.href);
  return m.default ?? m;
}

const KUSTOMIZE_FIELDS = new Set(["apiVersion", "kind", "resources", "patches", "images"]);

function parseStream(YAML, text, file) {
  const docs = YAML.parseAllDocuments(text, { uniqueKeys: true, version: "1.1" });
  const out = [];
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    const v = d.toJS();
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

function unescapePointer(s) {
  return s.replace(/~1/g, "/").replace(/~0/g, "~");
}

// RFC 6902 add/replace/remove on a JSON value (in place).
export function applyJsonPatch(doc, ops, where) {
  for (const op of ops) {
    if (!["add", "replace", "remove"].includes(op.op))
      throw new Error(`${where}: unsupported patch op '${op.op}'`);
    const parts = op.path.split("/").slice(1).map(unescapePointer);
    if (parts.length === 0) throw new Error(`${where}: patching the whole object`);
    let cur = doc;
    for (const p of parts.slice(0, -1)) {
      const key = Array.isArray(cur) ? Number(p) : p;
      if (cur[key] === undefined || cur[key] === null || typeof cur[key] !== "object")
        throw new Error(`${where}: path ${op.path}: '${p}' does not exist`);
      cur = cur[key];
    }
    const last = parts[parts.length - 1];
    if (Array.isArray(cur)) {
      const i = last === "-" ? cur.length : Number(last);
      if (!Number.isInteger(i) || i < 0 || i > cur.length || (op.op !== "add" && i >= cur.length))
        throw new Error(`${where}: path ${op.path}: index out of range`);
      if (op.op === "add") cur.splice(i, 0, op.value);
      else if (op.op === "replace") cur[i] = op.value;
      else cur.splice(i, 1);
    } else {
      if (op.op !== "add" && !(last in cur))
        throw new Error(`${where}: path ${op.path}: '${last}' does not exist`);
      if (op.op === "remove") delete cur[last];
      else cur[last] = op.value;
    }
  }
}

function podSpecs(obj) {
  const s = obj?.spec;
  if (!s) return [];
  if (obj.kind === "CronJob") return [s.jobTemplate?.spec?.template?.spec].filter(Boolean);
  if (obj.kind === "Pod") return [s];
  return [s.template?.spec].filter(Boolean);
}

export function applyImages(objs, images) {
  for (const obj of objs)
    for (const ps of podSpecs(obj))
      for (const c of [...(ps.containers ?? []), ...(ps.initContainers ?? [])]) {
        const m = /^([^@:]+(?::\d+\/[^@:]+)?)(?::([^@]+))?(?:@(.+))?$/.exec(c.image ?? "");
        if (!m) continue;
        const img = images.find((i) => i.name === m[1]);
        if (!img) continue;
        let ref = img.newName ?? m[1];
        if (img.digest) ref += `@${img.digest}`;
        else if (img.newTag) ref += `:${img.newTag}`;
        else if (m[2]) ref += `:${m[2]}`;
        c.image = ref;
      }
}

function id(o) {
  return `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
}

export function render(YAML, dir, extraImages = []) {
  const kfile = ["kustomization.yaml", "kustomization.yml"].map((f) => join(dir, f)).find(existsSync);
  if (!kfile) throw new Error(`${dir}: no kustomization.yaml`);
  const k = YAML.parse(readFileSync(kfile, "utf8"), { uniqueKeys: true, version: "1.1" }) ?? {};
  for (const key of Object.keys(k))
    if (!KUSTOMIZE_FIELDS.has(key)) throw new Error(`${kfile}: unsupported field '${key}'`);
  const objs = [];
  for (const r of k.resources ?? []) {
    const p = join(dir, r);
    const got = statSync(p).isDirectory()
      ? render(YAML, p)
      : parseStream(YAML, readFileSync(p, "utf8"), p);
    objs.push(...got);
  }
  const seen = new Set();
  for (const o of objs) {
    if (seen.has(id(o))) throw new Error(`${kfile}: ${id(o)} defined twice`);
    seen.add(id(o));
  }
  for (const [i, pt] of (k.patches ?? []).entries()) {
    const where = `${kfile}: patches[${i}]`;
    const t = pt.target;
    if (!t?.kind || !t?.name) throw new Error(`${where}: target needs kind and name`);
    const ops = pt.path
      ? YAML.parse(readFileSync(join(dir, pt.path), "utf8"), { version: "1.1" })
      : YAML.parse(pt.patch ?? "", { version: "1.1" });
    if (!Array.isArray(ops)) throw new Error(`${where}: not a JSON 6902 operation list`);
    const hits = objs.filter(
      (o) =>
        o.kind === t.kind &&
        o.metadata?.name === t.name &&
        (t.namespace === undefined || o.metadata?.namespace === t.namespace)
    );
    if (hits.length === 0) throw new Error(`${where}: no ${t.kind}/${t.name} to patch`);
    for (const o of hits) applyJsonPatch(o, ops, where);
  }
  applyImages(objs, [...(k.images ?? []), ...extraImages]);
  return objs;
}

export function parseImageArg(s) {
  const eq = s.indexOf("=");
  if (eq < 1) throw new Error(`--image ${s}: NAME=NEWNAME[:TAG]`);
  const name = s.slice(0, eq);
  const m = /^(.+?)(?::([^:/@]+))?$/.exec(s.slice(eq + 1));
  return { name, newName: m[1], newTag: m[2] };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const images = [];
  let dir = null;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--image") images.push(parseImageArg(args[++i]));
    else dir = args[i];
  }
  const tools = process.env.TEECTL_DEPLOY_TOOLS ?? new URL(".", import.meta.url).pathname;
  if (!dir) {
    console.error("usage: node render.mjs DIR [--image NAME=NEWNAME[:TAG]]...");
    process.exit(2);
  }
  try {
    const YAML = await loadYaml(tools);
    const objs = render(YAML, dir, images);
    process.stdout.write(objs.map((o) => YAML.stringify(o)).join("---\n"));
  } catch (e) {
    console.error(`render: ${e.message}`);
    process.exit(2);
  }
}
