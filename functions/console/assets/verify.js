// Verifies a signed audit export in the browser, trusting nothing but the
// deployment's public key: every entry's hash and its link to the one before
// (the chain), the entry count, the SHA-256 digest of every byte before the
// trailer, and the trailer's Ed25519 signature over
// `switchyard-audit-export-v1:<digest>` (WebCrypto). The bytes are exactly the
// ones docs/AUDIT-FORMAT.md names; the reasons are the reference verifier's
// (shared/domain/src/export.rs), so the CLI and this page fail alike.

export const EXPORT_CONTEXT = "switchyard-audit-export-v1:";
export const GENESIS_HASH = "0".repeat(64);

const encoder = new TextEncoder();

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(text) {
  if (typeof text !== "string" || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function fromBase64url(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

async function sha256Hex(bytes) {
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

/** A key id: the first 16 hex digits of SHA-256 of the 32-byte public key. */
export async function keyId(raw) {
  return (await sha256Hex(raw)).slice(0, 16);
}

/** The Ed25519 keys of a JWKS document, each with the key id computed from its bytes. */
export async function keysFromJwks(jwks) {
  if (!jwks || !Array.isArray(jwks.keys)) throw new Error("a JWKS document has a `keys` array");
  const keys = [];
  for (const jwk of jwks.keys) {
    if (jwk.crv !== "Ed25519") continue;
    const raw = fromBase64url(jwk.x);
    if (!raw || raw.length !== 32) throw new Error(`key ${jwk.kid || "?"}: \`x\` is not a 32-byte key`);
    const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    keys.push({ key, keyId: await keyId(raw), kid: jwk.kid || null });
  }
  return keys;
}

// ------------------------------------------------------------------ line shapes

const isString = (v) => typeof v === "string";
const isUint = (v) => Number.isSafeInteger(v) && v >= 0;

function exactKeys(obj, keys) {
  const have = Object.keys(obj).filter((k) => k !== "type");
  const unknown = have.find((k) => !keys.includes(k));
  if (unknown) return `unknown field \`${unknown}\``;
  const missing = keys.find((k) => !(k in obj));
  if (missing) return `missing field \`${missing}\``;
  return null;
}

/** Reads one line's JSON as a header, entry or trailer; answers {kind, value} or {error}. */
function readLine(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `not a valid export line: ${e.message}` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { error: "not a valid export line: not an object" };
  }
  switch (value.type) {
    case "header": {
      const bad = exactKeys(value, ["version", "workspace_id", "prev_hash", "key_id", "created_at"]);
      if (bad) return { error: `not a valid export line: ${bad}` };
      if (!isUint(value.version) || ![value.workspace_id, value.prev_hash, value.key_id, value.created_at].every(isString)) {
        return { error: "not a valid export line: a header field has the wrong type" };
      }
      return { kind: "header", value };
    }
    case "entry": {
      const fields = ["workspace_id", "seq", "at", "actor", "action", "target", "request_id", "input_digest", "prev_hash", "hash"];
      const missing = fields.find((k) => !(k in value) && k !== "target");
      if (missing) return { error: `not a valid export line: missing field \`${missing}\`` };
      const strings = ["workspace_id", "at", "actor", "action", "request_id", "input_digest", "prev_hash", "hash"];
      if (!isUint(value.seq) || !strings.every((k) => isString(value[k]))) {
        return { error: "not a valid export line: an entry field has the wrong type" };
      }
      if (value.target !== undefined && value.target !== null && !isString(value.target)) {
        return { error: "not a valid export line: `target` is neither a string nor null" };
      }
      return { kind: "entry", value };
    }
    case "trailer": {
      const bad = exactKeys(value, ["count", "digest", "key_id", "signature"]);
      if (bad) return { error: `not a valid export line: ${bad}` };
      if (!isUint(value.count) || ![value.digest, value.key_id, value.signature].every(isString)) {
        return { error: "not a valid export line: a trailer field has the wrong type" };
      }
      return { kind: "trailer", value };
    }
    default:
      return { error: "not a valid export line: `type` is not header, entry or trailer" };
  }
}

/**
 * The bytes an entry's hash covers: compact JSON, keys in this order, strings
 * escaped as JSON requires (JSON.stringify escapes exactly as serde_json does:
 * `"`, `\`, control characters; everything else as UTF-8).
 */
export function canonical(e) {
  return JSON.stringify({
    v: 1,
    workspace_id: e.workspace_id,
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    target: e.target ?? null,
    request_id: e.request_id,
    input_digest: e.input_digest,
    prev_hash: e.prev_hash,
  });
}

/** The NDJSON line an entry, header or trailer of the JSON form stands for. */
function renderLine(type, v) {
  let obj;
  if (type === "header") {
    obj = { type, version: v.version, workspace_id: v.workspace_id, prev_hash: v.prev_hash, key_id: v.key_id, created_at: v.created_at };
  } else if (type === "entry") {
    obj = {
      type,
      workspace_id: v.workspace_id,
      seq: v.seq,
      at: v.at,
      actor: v.actor,
      action: v.action,
      target: v.target ?? null,
      request_id: v.request_id,
      input_digest: v.input_digest,
      prev_hash: v.prev_hash,
      hash: v.hash,
    };
  } else {
    obj = { type, count: v.count, digest: v.digest, key_id: v.key_id, signature: v.signature };
  }
  return `${JSON.stringify(obj)}\n`;
}

/** The JSON form (`format=json`) rendered back to the NDJSON bytes it stands for. */
function documentToNdjson(doc) {
  if (!doc || typeof doc !== "object" || !doc.header || !Array.isArray(doc.entries) || !doc.trailer) {
    return null;
  }
  let text = renderLine("header", doc.header);
  for (const e of doc.entries) text += renderLine("entry", e);
  text += renderLine("trailer", doc.trailer);
  return encoder.encode(text);
}

/** Whether the bytes start with an NDJSON header line (else they are read as the JSON form). */
function looksLikeNdjson(bytes) {
  const nl = bytes.indexOf(0x0a);
  const first = new TextDecoder().decode(nl < 0 ? bytes : bytes.subarray(0, nl));
  try {
    const v = JSON.parse(first);
    return v && v.type === "header";
  } catch {
    return false;
  }
}

/**
 * Verifies an export (NDJSON or the JSON form) given as bytes against `keys`
 * (from keysFromJwks). Answers
 *   {ok: true, count, workspaceId, firstSeq, lastSeq, head, keyId, kid, form}
 *   {ok: false, line, index, reason}   line 1-based; index the 0-based entry, when the line is one
 */
export async function verifyExport(bytes, keys) {
  let form = "ndjson";
  if (!looksLikeNdjson(bytes)) {
    let doc;
    try {
      doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch (e) {
      return { ok: false, line: 1, index: null, reason: `neither an NDJSON export nor a JSON export document: ${e.message}` };
    }
    const rendered = documentToNdjson(doc);
    if (!rendered) {
      return { ok: false, line: 1, index: null, reason: "neither an NDJSON export nor a JSON export document" };
    }
    bytes = rendered;
    form = "json";
  }
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let offset = 0;
  let lineNo = 0;
  let header = null;
  let expectedPrev = "";
  let expectedSeq = null;
  let count = 0;
  let firstSeq = null;
  let lastSeq = null;
  let head = null;
  for (;;) {
    lineNo += 1;
    const fail = (index, reason) => ({ ok: false, line: lineNo, index, reason });
    if (offset >= bytes.length) return fail(null, "the export ends without a trailer (truncated)");
    const nl = bytes.indexOf(0x0a, offset);
    if (nl < 0) return fail(null, "the last line is cut short (truncated)");
    const lineStart = offset;
    const raw = bytes.subarray(offset, nl);
    offset = nl + 1;
    let text;
    try {
      text = decoder.decode(raw);
    } catch {
      return fail(header ? count : null, "not a valid export line: not UTF-8");
    }
    const line = readLine(text);
    if (line.error) return fail(header ? count : null, line.error);
    if (line.kind === "header") {
      if (header) return fail(null, "a second header");
      header = line.value;
      expectedPrev = header.prev_hash;
      continue;
    }
    if (!header) return fail(null, "the export must start with a header line");
    if (line.kind === "entry") {
      const e = line.value;
      const index = count;
      if (e.workspace_id !== header.workspace_id) return fail(index, `entry of another workspace (${e.workspace_id})`);
      if (expectedSeq !== null && e.seq !== expectedSeq) {
        return fail(index, `expected seq ${expectedSeq}, found ${e.seq} (a line is missing or out of order)`);
      }
      if (e.prev_hash !== expectedPrev) {
        return fail(index, "prev_hash does not match the previous entry (a line is missing or out of order)");
      }
      if (e.seq === 1 && e.prev_hash !== GENESIS_HASH) return fail(index, "the first entry must follow the genesis hash");
      if ((await sha256Hex(encoder.encode(canonical(e)))) !== e.hash) {
        return fail(index, "hash does not match the entry's contents (the entry was altered)");
      }
      if (firstSeq === null) firstSeq = e.seq;
      lastSeq = e.seq;
      expectedSeq = e.seq + 1;
      expectedPrev = e.hash;
      head = e.hash;
      count += 1;
      continue;
    }
    // The trailer: the count, the digest of every byte before it, the signature.
    const t = line.value;
    if (t.count !== count) {
      return fail(null, `trailer counts ${t.count} entries, the export has ${count} (lines deleted or added)`);
    }
    const digest = await sha256Hex(bytes.subarray(0, lineStart));
    if (t.digest !== digest) return fail(null, "digest does not match the export's bytes");
    const key = keys.find((k) => k.keyId === t.key_id);
    if (!key) return fail(null, `signed by unknown key \`${t.key_id}\``);
    const signature = fromHex(t.signature);
    const signed =
      t.key_id === header.key_id &&
      signature !== null &&
      signature.length === 64 &&
      (await crypto.subtle.verify({ name: "Ed25519" }, key.key, signature, encoder.encode(EXPORT_CONTEXT + t.digest)));
    if (!signed) return fail(null, "the signature does not verify");
    if (offset < bytes.length) return { ok: false, line: lineNo + 1, index: null, reason: "data after the trailer" };
    return {
      ok: true,
      form,
      count,
      workspaceId: header.workspace_id,
      firstSeq,
      lastSeq,
      head: head ?? header.prev_hash,
      keyId: t.key_id,
      kid: key.kid,
    };
  }
}

/** "line 4 (entry 2): why", as the CLI words it. */
export function describeFailure(result) {
  const where = result.index === null || result.index === undefined ? `line ${result.line}` : `line ${result.line} (entry ${result.index})`;
  return `${where}: ${result.reason}`;
}
