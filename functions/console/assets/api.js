// The API client: the pasted token (this tab's sessionStorage), JSON calls
// answered with the error envelope, and a lane's event stream read with
// fetch (EventSource cannot send an Authorization header), parsed by the
// HTML standard's event-stream rules and followed across reconnects.

const TOKEN_KEY = "switchyard.token";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function clearSession() {
  sessionStorage.clear();
}

/** A refused or failed call: the envelope's fields, plus the HTTP status. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail.message || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = detail.code || `HTTP_${status}`;
    this.field = detail.field || null;
    this.scope = detail.scope || null;
    this.requestId = detail.request_id || null;
    this.details = detail.details;
  }

  /** One line for people: code, message, field, request id. */
  describe() {
    let text = `${this.code}: ${this.message}`;
    if (this.field) text += ` (field ${this.field})`;
    if (this.scope) text += ` (needs scope ${this.scope})`;
    if (this.requestId) text += ` [request ${this.requestId}]`;
    return text;
  }
}

/** Called with the error when the server refuses the token (401), so the app can sign out. */
let onUnauthorized = () => {};
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

function url(name, params) {
  const path = name.startsWith("/") ? name : `/functions/v1/${name}`;
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    query.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  const q = query.toString();
  return q ? `${path}?${q}` : path;
}

async function errorOf(response) {
  let detail = {};
  try {
    const body = await response.json();
    if (body && typeof body.error === "object") detail = body.error;
    else if (body && body.title) detail = { code: body.code || body.title, message: body.detail || body.title };
  } catch {
    detail = { message: response.statusText || `HTTP ${response.status}` };
  }
  if (!detail.request_id) detail.request_id = response.headers.get("x-request-id");
  return new ApiError(response.status, detail);
}

function headers(extra) {
  const h = new Headers(extra || {});
  const t = token();
  if (t && !h.has("authorization")) h.set("authorization", `Bearer ${t}`);
  return h;
}

async function send(path, init, { quiet401 = false } = {}) {
  let response;
  try {
    response = await fetch(path, { ...init, cache: "no-store", credentials: "omit" });
  } catch (e) {
    throw new ApiError(0, { code: "NETWORK", message: `the server cannot be reached (${e.message})` });
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && !quiet401) onUnauthorized(error);
    throw error;
  }
  return response;
}

/** GET /functions/v1/<name>?params, parsed as JSON. */
export async function get(name, params, options) {
  const response = await send(url(name, params), { method: "GET", headers: headers({ accept: "application/json" }) }, options);
  return response.json();
}

/** POST a JSON body; mutations carry a fresh Idempotency-Key so a retried click is safe. */
export async function post(name, body, options = {}) {
  const h = headers({ "content-type": "application/json", accept: "application/json" });
  if (options.mutation !== false) h.set("idempotency-key", crypto.randomUUID());
  const response = await send(url(name), { method: "POST", headers: h, body: JSON.stringify(body || {}) }, options);
  return response.json();
}

/** GET anything as bytes (an audit export, the JWKS). */
export async function getBytes(path, params, { auth = true } = {}) {
  const h = auth ? headers() : new Headers();
  const response = await send(url(path, params), { method: "GET", headers: h });
  return new Uint8Array(await response.arrayBuffer());
}

/** Checks a token before keeping it: a read every token of a workspace can make. */
export async function checkToken(candidate) {
  const h = new Headers({ authorization: `Bearer ${candidate}`, accept: "application/json" });
  const response = await send(url("lane-list", { limit: 1 }), { method: "GET", headers: h }, { quiet401: true });
  return response.json();
}

// ------------------------------------------------------------------ Server-Sent Events

/**
 * An event-stream parser (https://html.spec.whatwg.org/multipage/server-sent-events.html):
 * feed it decoded text in any chunks; it calls `dispatch({id, event, data})` for each
 * event. Lines end in CRLF, LF or CR; `:` lines are comments; a blank line ends an event.
 */
export class SseParser {
  constructor(dispatch) {
    this.dispatch = dispatch;
    this.buffer = "";
    this.data = [];
    this.event = "";
    this.lastId = null;
    this.retry = null;
    this.pendingCr = false;
  }

  feed(text) {
    let chunk = text;
    // A CR at the very end of the previous chunk may be the first half of a CRLF.
    if (this.pendingCr && chunk.startsWith("\n")) chunk = chunk.slice(1);
    this.pendingCr = false;
    this.buffer += chunk;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      if (match[0] === "\r" && match.index === this.buffer.length - 1) {
        this.pendingCr = true;
      }
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  }

  line(line) {
    if (line === "") {
      if (this.data.length > 0) {
        this.dispatch({ id: this.lastId, event: this.event || "message", data: this.data.join("\n") });
      }
      this.data = [];
      this.event = "";
      return;
    }
    if (line.startsWith(":")) return; // a comment: the server's keep-alive
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        break;
      case "event":
        this.event = value;
        break;
      case "id":
        if (!value.includes("\0")) this.lastId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  }
}

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Follows a lane's events live until `event: end` or until `signal` aborts.
 * The server closes each stream after ~20 s; we reconnect with the last id we saw
 * (`Last-Event-ID`), so nothing is lost or repeated.
 *   onEvent(laneEvent)   each event, parsed (its `id`, `type`, `data`, `at`)
 *   onEnd(data)          the closing `event: end` frame's data ({run_id, state, last_event_id})
 *   onStatus(text, kind) "connected" / "reconnecting" / "ended" / errors, for the page to show
 */
export async function followLaneEvents(runId, { onEvent, onEnd, onStatus, signal, since = 0 }) {
  let lastId = since > 0 ? String(since) : null;
  let failures = 0;
  let retryMs = 1000;
  while (!signal.aborted) {
    const h = headers({ accept: "text/event-stream" });
    if (lastId !== null) h.set("last-event-id", lastId);
    let ended = false;
    try {
      const response = await fetch(url("lane-events", { run_id: runId }), {
        method: "GET",
        headers: h,
        cache: "no-store",
        credentials: "omit",
        signal,
      });
      if (!response.ok) {
        const error = await errorOf(response);
        if (response.status === 401) onUnauthorized(error);
        if (response.status === 401 || response.status === 403 || response.status === 404) {
          onStatus(`stream refused: ${error.describe()}`, "error");
          return;
        }
        throw error;
      }
      failures = 0;
      onStatus("live", "live");
      const parser = new SseParser((frame) => {
        if (frame.event === "end") {
          ended = true;
          let data = {};
          try {
            data = JSON.parse(frame.data);
          } catch {
            /* an end frame without JSON still ends the stream */
          }
          onEnd(data);
          return;
        }
        let event;
        try {
          event = JSON.parse(frame.data);
        } catch {
          return; // not ours to interpret
        }
        if (frame.id !== null) lastId = frame.id;
        onEvent(event);
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done || ended) break;
        parser.feed(value);
        if (ended) break;
      }
      if (parser.retry !== null) retryMs = parser.retry;
      if (ended) {
        reader.cancel().catch(() => {});
        onStatus("ended", "ended");
        return;
      }
      // A bounded stream closed by the server: reconnect where we left off.
      onStatus("reconnecting", "reconnecting");
      await sleep(Math.min(retryMs, 1000), signal);
    } catch (e) {
      if (signal.aborted) return;
      failures += 1;
      const wait = Math.min(15000, 1000 * 2 ** Math.min(failures - 1, 4));
      const why = e instanceof ApiError ? e.describe() : e.message;
      onStatus(`connection lost (${why}); retrying in ${Math.round(wait / 1000)} s`, "reconnecting");
      await sleep(wait, signal);
    }
  }
}
