// The console: hash routes, one screen each, built from the API with the
// token the user pasted. Every node is made with `h()` and text nodes, never
// from HTML strings, so nothing the API returns can become markup.

import * as api from "./api.js";
import { describeFailure, keysFromJwks, verifyExport } from "./verify.js";

const main = document.getElementById("main");
const statusEl = document.getElementById("status");
const nav = document.getElementById("nav");

// ------------------------------------------------------------------ small helpers

/** h("p", {class: "x", onclick: f}, "text", child…) */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "value" && (tag === "textarea" || tag === "input" || tag === "select")) el.value = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  add(el, children);
  return el;
}

function add(el, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

let idCounter = 0;
const uid = (prefix) => `${prefix}-${++idCounter}`;

/** Says something in the polite live region (and shows it). */
let saidAt = 0;
function say(text, kind = "info") {
  saidAt = Date.now();
  statusEl.className = `status ${kind}`;
  statusEl.textContent = "";
  // A fresh text node after a tick, so the same message twice is announced twice.
  setTimeout(() => {
    statusEl.textContent = text;
  }, 30);
}

function describe(error) {
  if (error instanceof api.ApiError) return error.describe();
  return error && error.message ? error.message : String(error);
}

function time(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return h("time", { datetime: iso }, Number.isNaN(d.getTime()) ? iso : d.toLocaleString());
}

const num = (n) => (typeof n === "number" ? n.toLocaleString("en") : "—");
const cents = (n) => (typeof n === "number" ? `$${(n / 100).toFixed(2)}` : "—");

/** A labelled field: {label, hint, input}; the input gets ids, aria-describedby and an error slot. */
function field(label, input, hint) {
  const id = input.id || uid("f");
  input.id = id;
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  input.setAttribute("aria-describedby", [hintId, errorId].filter(Boolean).join(" "));
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    input,
    h("p", { class: "field-error", id: errorId }),
  );
}

/** Clears a form's field errors and its form-level error. */
function clearErrors(form) {
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll(".field-error, .form-error")) el.textContent = "";
}

/**
 * Shows an error envelope on a form: next to the field it names (`claim[0]` → the
 * `claim` input) when there is one, else in the form's error line. Focuses the field.
 */
function showFormError(form, error) {
  const message = describe(error);
  const name = error instanceof api.ApiError && error.field ? error.field.split(/[[.]/)[0] : null;
  const input = name ? form.querySelector(`[name="${CSS.escape(name)}"]`) : null;
  if (input) {
    input.setAttribute("aria-invalid", "true");
    const slot = document.getElementById(`${input.id}-error`);
    if (slot) slot.textContent = message;
    input.focus();
  } else {
    const slot = form.querySelector(".form-error");
    if (slot) slot.textContent = message;
  }
  say(message, "error");
}

/** Disables a form's submit button while `work` runs. */
async function busy(button, work) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

/** The confirmation dialog: resolves true when the person says yes. */
function confirmAction(text, yesLabel) {
  const dialog = document.getElementById("confirm");
  const form = dialog.querySelector("form");
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-yes").textContent = yesLabel;
  return new Promise((resolve) => {
    const onSubmit = (event) => {
      event.preventDefault();
      dialog.close(event.submitter ? event.submitter.value : "no");
    };
    form.addEventListener("submit", onSubmit);
    dialog.addEventListener(
      "close",
      () => {
        form.removeEventListener("submit", onSubmit);
        resolve(dialog.returnValue === "yes");
      },
      { once: true },
    );
    dialog.returnValue = "no";
    dialog.showModal();
  });
}

/** Runs `fn` every `ms` while the screen lives (and the tab is visible). */
function every(ms, signal, fn) {
  let timer = null;
  const tick = async () => {
    if (signal.aborted) return;
    if (!document.hidden) {
      try {
        await fn();
      } catch {
        /* the next tick tries again; fn shows its own errors */
      }
    }
    if (!signal.aborted) timer = setTimeout(tick, ms);
  };
  timer = setTimeout(tick, ms);
  signal.addEventListener("abort", () => clearTimeout(timer));
}

function section(title, ...children) {
  const id = uid("s");
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

/** A table in a scrollable, focusable region (keyboard users can scroll it). */
function table(caption, headers, rows) {
  return h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows),
    ),
  );
}

// ------------------------------------------------------------------ lane states

const STATES = ["queued", "running", "paused", "awaiting_approval", "input_required", "completed", "failed", "cancelled", "merged"];
const ACTIVE = ["queued", "running", "paused", "awaiting_approval", "input_required"];
const ALLOWED = {
  pause: ["running", "awaiting_approval", "input_required"],
  resume: ["paused"],
  cancel: ACTIVE,
  interrupt: ACTIVE,
};

const stateLabel = (s) => String(s || "unknown").replace(/_/g, " ");

function badge(state) {
  return h("span", { class: `badge state-${state}`, "data-state": state }, stateLabel(state));
}

const SCOPES = [
  "lanes:read", "lanes:write", "tools:invoke", "tokens:write", "audit:read", "audit:export",
  "context:read", "context:write", "ci:write", "changelog:write", "policies:write", "approvals:write",
  "budgets:write", "members:write", "integrations:read", "integrations:write", "issues:read", "issues:write", "admin",
];

// ------------------------------------------------------------------ routing

let screen = null; // the AbortController of the screen on view
let signOutReason = null;

function route() {
  if (screen) screen.abort();
  screen = new AbortController();
  const { signal } = screen;
  const signedIn = Boolean(api.token());
  nav.hidden = !signedIn;
  main.replaceChildren();
  // A message from the page before stays only when it was said just now (e.g. "Dispatched …").
  if (Date.now() - saidAt > 3000) statusEl.textContent = "";
  const parts = (location.hash || "").replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const name = signedIn ? parts[0] || "lanes" : "sign-in";
  for (const link of nav.querySelectorAll("a[data-route]")) {
    if (link.dataset.route === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!signedIn) signInScreen(signal);
  else if (name === "lanes" && parts[1]) laneScreen(parts[1], signal);
  else if (name === "lanes") lanesScreen(signal);
  else if (name === "tokens") tokensScreen(signal);
  else if (name === "approvals") approvalsScreen(signal);
  else if (name === "audit") auditScreen(signal);
  else notFoundScreen();
  const heading = main.querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    document.title = `${heading.textContent} · Switchyard console`;
    if (routedOnce) heading.focus();
  }
  routedOnce = true;
}
let routedOnce = false;

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

api.whenUnauthorized((error) => {
  api.clearSession();
  signOutReason = `Signed out: the server refused the token (${error.describe()}).`;
  route();
});

document.getElementById("sign-out").addEventListener("click", () => {
  api.clearSession();
  signOutReason = null;
  say("Signed out. The token is forgotten in this tab.");
  go("#/");
});

document.getElementById("skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  const heading = main.querySelector("h1");
  (heading || main).focus();
});

function notFoundScreen() {
  add(main, h("h1", {}, "Not found"), h("p", {}, "This page does not exist. ", h("a", { href: "#/lanes" }, "Go to the lanes.")));
}

// ------------------------------------------------------------------ sign in

function signInScreen() {
  const input = h("input", {
    type: "password",
    name: "token",
    id: "token",
    autocomplete: "off",
    spellcheck: "false",
    autocapitalize: "off",
    placeholder: "sl_pat_…",
  });
  const button = h("button", { type: "submit", id: "sign-in-button" }, "Sign in");
  const form = h(
    "form",
    { id: "sign-in", novalidate: true, class: "card narrow" },
    field("API token", input, "A personal access token (sl_pat_…) or a JWT. It is kept only in this tab and forgotten when you sign out or close the tab."),
    h("p", { class: "form-error", id: "sign-in-error" }),
    h("div", { class: "actions" }, button),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const candidate = input.value.trim();
    if (!candidate) {
      showFormError(form, new api.ApiError(0, { code: "VALIDATION_FAILED", message: "paste a token first", field: "token" }));
      return;
    }
    await busy(button, async () => {
      try {
        await api.checkToken(candidate);
        api.setToken(candidate);
        say("Signed in.");
      } catch (error) {
        if (error instanceof api.ApiError && error.status === 403 && error.code === "SCOPE_DENIED") {
          // A real token without lanes:read: keep it, the pages it may not read will say so.
          api.setToken(candidate);
          say(`Signed in; this token cannot list lanes (${error.describe()}).`, "error");
        } else {
          error.field = "token";
          showFormError(form, error);
          return;
        }
      }
      signOutReason = null;
      go(location.hash && location.hash !== "#/" ? location.hash : "#/lanes");
    });
  });
  add(
    main,
    h("h1", {}, "Sign in"),
    h("p", { class: "lede" }, "Watch and steer your agents' lanes, issue tokens and verify the audit log."),
    signOutReason ? h("p", { class: "notice error", id: "sign-out-reason" }, signOutReason) : null,
    form,
  );
}

// ------------------------------------------------------------------ lanes

function dispatchForm() {
  const inputs = {
    repository: h("input", { type: "text", name: "repository", autocomplete: "off", placeholder: "shop" }),
    harness_kind: h("input", { type: "text", name: "harness_kind", list: "harness-kinds", autocomplete: "off", placeholder: "claude-code" }),
    brief: h("textarea", { name: "brief", rows: "4" }),
    claim: h("textarea", { name: "claim", rows: "2", spellcheck: "false", placeholder: "src/billing/**" }),
    labels: h("input", { type: "text", name: "labels", autocomplete: "off" }),
    token_budget: h("input", { type: "number", name: "token_budget", min: "0", step: "1", inputmode: "numeric" }),
    cost_budget_cents: h("input", { type: "number", name: "cost_budget_cents", min: "0", step: "1", inputmode: "numeric" }),
    max_attempts: h("input", { type: "number", name: "max_attempts", min: "1", max: "10", step: "1", inputmode: "numeric" }),
  };
  for (const [name, el] of Object.entries(inputs)) el.id = `dispatch-${name.replace(/_/g, "-")}`;
  const button = h("button", { type: "submit", id: "dispatch-button" }, "Dispatch");
  const form = h(
    "form",
    { id: "dispatch-form", novalidate: true, class: "card grid" },
    field("Repository", inputs.repository, "A repository name the harness resolves locally."),
    field("Harness kind", inputs.harness_kind, "Which kind of harness runs it."),
    h("datalist", { id: "harness-kinds" }, ["claude-code", "codex", "aider", "script"].map((k) => h("option", { value: k }))),
    h("div", { class: "wide" }, field("Brief", inputs.brief, "What the agent is asked to do.")),
    h("div", { class: "wide" }, field("Claim paths", inputs.claim, "One path glob per line: the files this lane may edit.")),
    field("Labels (optional)", inputs.labels, "Comma-separated; only a harness holding every label runs it."),
    field("Token budget (optional)", inputs.token_budget),
    field("Cost budget in cents (optional)", inputs.cost_budget_cents),
    field("Dispatch attempts (optional)", inputs.max_attempts, "1 to 10; 3 when empty."),
    h("p", { class: "form-error wide", id: "dispatch-error" }),
    h("div", { class: "actions wide" }, button),
  );
  const number = (el) => {
    const text = el.value.trim();
    if (text === "") return undefined;
    const n = Number(text);
    return Number.isFinite(n) ? n : text; // the server names what is wrong with it
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = {
      repository: inputs.repository.value.trim(),
      harness_kind: inputs.harness_kind.value.trim(),
      brief: inputs.brief.value,
      claim: inputs.claim.value.split("\n").map((s) => s.trim()).filter(Boolean),
    };
    const labels = inputs.labels.value.split(",").map((s) => s.trim()).filter(Boolean);
    if (labels.length) body.labels = labels;
    for (const name of ["token_budget", "cost_budget_cents", "max_attempts"]) {
      const value = number(inputs[name]);
      if (value !== undefined) body[name] = value;
    }
    await busy(button, async () => {
      try {
        const lane = await api.post("agent-run", body);
        form.reset();
        say(`Dispatched lane ${lane.run_id}: ${stateLabel(lane.state)}.`, "ok");
        go(`#/lanes/${encodeURIComponent(lane.run_id)}`);
      } catch (error) {
        showFormError(form, error);
      }
    });
  });
  return form;
}

function lanesScreen(signal) {
  const filters = {
    state: h(
      "select",
      { name: "state", id: "filter-state" },
      h("option", { value: "" }, "Any state"),
      STATES.map((s) => h("option", { value: s }, stateLabel(s))),
    ),
    repository: h("input", { type: "text", name: "repository", id: "filter-repository", autocomplete: "off" }),
    label: h("input", { type: "text", name: "label", id: "filter-label", autocomplete: "off" }),
    harness_kind: h("input", { type: "text", name: "harness_kind", id: "filter-harness-kind", autocomplete: "off" }),
  };
  const filterForm = h(
    "form",
    { id: "lane-filters", class: "filters", novalidate: true },
    field("State", filters.state),
    field("Repository", filters.repository),
    field("Label", filters.label),
    field("Harness kind", filters.harness_kind),
    h("p", { class: "form-error" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, "Filter")),
  );
  const updated = h("p", { class: "meta", id: "lanes-updated" }, "Loading…");
  const listArea = h("div", { id: "lane-list" });
  const more = h("button", { type: "button", class: "secondary", id: "lanes-more", hidden: true }, "Show more");
  let shown = 50;
  let nextCursor = null;

  const query = () => {
    const q = {};
    for (const [name, el] of Object.entries(filters)) if (el.value.trim()) q[name] = el.value.trim();
    return q;
  };

  const render = (lanes) => {
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.runId : null;
    if (!lanes.length) {
      listArea.replaceChildren(h("p", { class: "empty" }, "No lanes match. Dispatch one above."));
      return;
    }
    const rows = lanes.map((lane) =>
      h(
        "tr",
        { "data-run-id": lane.run_id },
        h("td", {}, h("a", { href: `#/lanes/${encodeURIComponent(lane.run_id)}`, "data-run-id": lane.run_id }, h("code", {}, lane.run_id))),
        h("td", {}, badge(lane.state)),
        h("td", {}, lane.repository),
        h("td", {}, lane.harness_kind),
        h("td", { class: "brief-cell" }, (lane.brief || "").split("\n")[0].slice(0, 80)),
        h("td", { class: "num" }, `${num(lane.tokens_used)}${lane.token_budget ? ` / ${num(lane.token_budget)}` : ""}`),
        h("td", {}, time(lane.updated_at)),
      ),
    );
    listArea.replaceChildren(table("Lanes, newest first", ["Lane", "State", "Repository", "Harness", "Brief", "Tokens", "Updated"], rows));
    if (focused) listArea.querySelector(`a[data-run-id="${CSS.escape(focused)}"]`)?.focus();
  };

  const load = async () => {
    try {
      const page = await api.get("lane-list", { ...query(), limit: Math.min(shown, 100) });
      if (signal.aborted) return;
      nextCursor = page.next_cursor || null;
      more.hidden = !nextCursor || shown >= 100; // lane-list pages hold at most 100: filter to see older lanes
      render(page.data || []);
      updated.textContent = `Updated ${new Date().toLocaleTimeString()} · refreshes every 4 seconds`;
      filterForm.querySelector(".form-error").textContent = "";
    } catch (error) {
      if (signal.aborted) return;
      if (error.field) showFormError(filterForm, error);
      updated.textContent = `Could not refresh: ${describe(error)}`;
    }
  };

  const toForm = h("button", { type: "button", class: "secondary", id: "to-dispatch" }, "Dispatch a lane…");
  toForm.addEventListener("click", () => {
    const first = document.getElementById("dispatch-repository");
    first.scrollIntoView({ block: "center" });
    first.focus();
  });
  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    clearErrors(filterForm);
    shown = 50;
    load().then(() => say("Lane list filtered."));
  });
  filters.state.addEventListener("change", () => load());
  more.addEventListener("click", () => {
    shown = Math.min(shown + 50, 100);
    load();
  });

  add(
    main,
    h("h1", {}, "Lanes"),
    h("div", { class: "actions" }, toForm),
    section("All lanes", filterForm, updated, listArea, more),
    section("Dispatch a lane", dispatchForm()),
  );
  load();
  every(4000, signal, load);
}

// ------------------------------------------------------------------ one lane

/** One line of text for a lane event (the timeline). */
function describeEvent(ev) {
  const d = ev.data || {};
  switch (ev.type) {
    case "state":
      return `state: ${d.from ? stateLabel(d.from) : "new"} → ${stateLabel(d.to)}${d.reason ? ` (${d.reason})` : ""}`;
    case "result":
      return d.outcome === "completed"
        ? `result: completed, exit ${d.exit_code}${d.summary ? ` — ${d.summary}` : ""}`
        : `result: failed${d.exit_code !== null && d.exit_code !== undefined ? `, exit ${d.exit_code}` : ""} — ${d.error || ""}`;
    case "interrupt":
      return `interrupt #${d.interrupt_id} (${d.kind}) sent: ${d.message}`;
    case "interrupt_delivered":
      return `interrupt #${d.interrupt_id} delivered to the agent`;
    case "file_change":
      return `file ${d.change}: ${d.path}${d.outside_claim ? " (outside the claim)" : ""}`;
    case "tokens":
      return `tokens: +${num(d.used)} (${num(d.tokens_used)} in all), cost ${cents(d.cost_used_cents)}`;
    case "tool_call":
      return `tool call ${d.tool}: ${d.status} in ${num(d.duration_ms)} ms`;
    case "approval_requested":
      return `approval requested (${d.subject}): ${d.reason}`;
    case "approval_decided":
      return `approval ${d.state} by ${d.by}${d.note ? `: ${d.note}` : ""}`;
    case "question_asked":
      return `question: ${d.question}${d.options && d.options.length ? ` [${d.options.join(" / ")}]` : ""}`;
    case "question_settled":
      return `question ${d.state} by ${d.by}`;
    case "policy_warning":
      return `policy warning (${d.rule}): ${d.message || d.subject}`;
    case "mandate_violations":
      return `mandate violations: ${(d.violations || []).length} (${d.blocking} blocking)`;
    case "pull_request":
      return `pull request #${d.number} ${d.state}${d.title ? `: ${d.title}` : ""}`;
    case "push":
      return `pushed ${d.commits} commit(s) to ${d.branch}`;
    case "check":
      return `check ${d.name}: ${d.status}`;
    case "verification":
      return `verification: ${d.verified ? "verified" : "not verified"}`;
    case "checkpoint":
      return `checkpoint ${d.seq}: ${d.files} file(s), +${d.insertions} −${d.deletions}`;
    case "context_given":
      return `context given: ${(d.entry_ids || []).length} entries, ${num(d.tokens)} tokens`;
    case "context_extracted":
      return "context extracted";
    default:
      return `${ev.type}`;
  }
}

function budgetRow(id, label, used, budget, format) {
  const text = budget ? `${format(used)} of ${format(budget)} used (${Math.min(100, Math.round((100 * used) / budget))}%)` : `${format(used)} used (no budget set)`;
  return h(
    "div",
    { class: "budget" },
    h("label", { for: id }, label),
    h("meter", {
      id,
      min: "0",
      max: String(budget || Math.max(used, 1)),
      value: String(used),
      low: budget ? String(budget * 0.75) : false,
      high: budget ? String(budget * 0.9) : false,
      optimum: "0",
      "aria-describedby": `${id}-text`,
    }),
    h("span", { class: "meter-text", id: `${id}-text` }, text),
  );
}

function approvalSummary(action) {
  if (!action || typeof action !== "object") return "";
  switch (action.on) {
    case "dispatch":
      return `dispatch to ${action.harness_kind} in ${action.repository} claiming ${(action.claim || []).join(", ")}`;
    case "tool_call":
      return `tool call ${action.tool}`;
    case "action":
      return `${action.kind}${action.command ? `: ${action.command}` : ""}${action.summary ? ` — ${action.summary}` : ""}`;
    case "completion":
      return `completion with ${(action.violations || []).length} mandate violation(s)`;
    default:
      return action.on || "";
  }
}

/** A pending request for approval with Approve / Reject (and a note). */
function approvalCard(approval, onDone) {
  const note = h("input", { type: "text", name: "note", autocomplete: "off" });
  const approve = h("button", { type: "button", class: "ok" }, "Approve");
  const reject = h("button", { type: "button", class: "danger" }, "Reject");
  const error = h("p", { class: "form-error" });
  const pending = approval.state === "pending";
  const decide = async (endpoint, verb) => {
    error.textContent = "";
    const body = { run_id: approval.run_id, approval_id: approval.approval_id };
    if (note.value.trim()) body.note = note.value.trim();
    try {
      await api.post(endpoint, body);
      say(`${verb} ${approval.approval_id} for lane ${approval.run_id}.`, "ok");
      onDone();
    } catch (e) {
      error.textContent = describe(e);
      say(describe(e), "error");
    }
  };
  approve.addEventListener("click", () => busy(approve, () => decide("lane-approve", "Approved")));
  reject.addEventListener("click", () => busy(reject, () => decide("lane-reject", "Rejected")));
  return h(
    "li",
    { class: "card item", "data-approval-id": approval.approval_id },
    h("h3", {}, "Approval ", h("code", {}, approval.approval_id), " ", badge(approval.state)),
    h("p", {}, "Lane ", h("a", { href: `#/lanes/${encodeURIComponent(approval.run_id)}` }, h("code", {}, approval.run_id))),
    h("p", {}, h("strong", {}, "Why: "), approval.reason),
    h("p", {}, h("strong", {}, "Waiting: "), approvalSummary(approval.action)),
    h("p", { class: "meta" }, "Requested by ", approval.requested_by, " at ", time(approval.requested_at), pending ? [" · expires ", time(approval.expires_at)] : [" · decided by ", approval.decided_by || "—", " at ", time(approval.decided_at)]),
    pending ? [field("Note to the agent (optional)", note), h("div", { class: "actions" }, approve, reject), error] : approval.note ? h("p", {}, "Note: ", approval.note) : null,
  );
}

/** A question an agent asked, with a way to answer it. */
function inboxCard(item, onDone) {
  const error = h("p", { class: "form-error" });
  const pending = item.state === "pending";
  let answerField;
  let readAnswer;
  if (item.options && item.options.length) {
    const name = uid("answer");
    const radios = item.options.map((option, i) => {
      const id = `${name}-${i}`;
      return h("div", { class: "choice" }, h("input", { type: "radio", name, id, value: option }), h("label", { for: id }, option));
    });
    answerField = h("fieldset", {}, h("legend", {}, "Answer"), radios);
    readAnswer = () => answerField.querySelector("input:checked")?.value || "";
  } else {
    const input = h("textarea", { name: "answer", rows: "2" });
    answerField = field("Answer", input);
    readAnswer = () => input.value.trim();
  }
  const send = h("button", { type: "button" }, "Send answer");
  send.addEventListener("click", () =>
    busy(send, async () => {
      error.textContent = "";
      const answer = readAnswer();
      if (!answer) {
        error.textContent = "Choose or write an answer first.";
        return;
      }
      try {
        await api.post("inbox-resolve", { item_id: item.item_id, answer });
        say(`Answered ${item.item_id}; the agent gets it as an interrupt.`, "ok");
        onDone();
      } catch (e) {
        error.textContent = describe(e);
        say(describe(e), "error");
      }
    }),
  );
  return h(
    "li",
    { class: "card item", "data-item-id": item.item_id },
    h("h3", {}, "Question ", h("code", {}, item.item_id), " ", h("span", { class: `badge priority-${item.priority}` }, item.priority)),
    h("p", { class: "question" }, item.question),
    h("p", {}, "Lane ", h("a", { href: `#/lanes/${encodeURIComponent(item.run_id)}` }, h("code", {}, item.run_id))),
    h("p", { class: "meta" }, "Asked ", time(item.asked_at), " · ", pending ? ["expires ", time(item.expires_at), item.default_answer ? ` (then: ${item.default_answer})` : " (then the lane pauses)"] : [item.state, item.answer ? `: ${item.answer}` : "", item.answered_by ? ` by ${item.answered_by}` : ""]),
    pending ? [answerField, h("div", { class: "actions" }, send), error] : null,
  );
}

function laneScreen(runId, signal) {
  const stateEl = h("span", { id: "lane-state" });
  const facts = h("div", { id: "lane-facts" });
  const budgets = h("div", { id: "lane-budgets", class: "budgets" });
  const streamStatus = h("p", { class: "meta", id: "stream-status" }, "Connecting…");
  const output = h("ol", { id: "output", class: "log", role: "log", "aria-label": "Agent output", tabindex: "0" });
  const timeline = h("ol", { id: "timeline", class: "timeline", "aria-label": "Lane events" });
  const files = h("ul", { id: "changed-files", class: "files" });
  const toolCalls = h("div", { id: "tool-calls" });
  const interrupts = h("ul", { id: "pending-interrupts" });
  const pendingList = h("ul", { id: "lane-pending", class: "cards" });
  const controlsError = h("p", { class: "form-error", id: "controls-error" });
  const laneError = h("p", { class: "notice error", id: "lane-error", hidden: true });
  let lane = null;
  let state = null;
  const fileMap = new Map();

  const buttons = {
    pause: h("button", { type: "button", id: "pause-button" }, "Pause"),
    resume: h("button", { type: "button", id: "resume-button" }, "Resume"),
    cancel: h("button", { type: "button", id: "cancel-button", class: "danger" }, "Cancel lane…"),
  };
  const resumeBudget = h("input", { type: "number", name: "token_budget", id: "resume-budget", min: "0", step: "1", inputmode: "numeric" });
  const interruptKind = h("select", { name: "kind", id: "interrupt-kind" }, h("option", { value: "note" }, "Note"), h("option", { value: "redirect" }, "Redirect"));
  const interruptMessage = h("textarea", { name: "message", id: "interrupt-message", rows: "2" });
  const interruptButton = h("button", { type: "submit", id: "interrupt-button" }, "Send interrupt");
  const interruptForm = h(
    "form",
    { id: "interrupt-form", novalidate: true, class: "interrupt" },
    field("Interrupt kind", interruptKind),
    field("Message to the agent", interruptMessage, "Delivered to the agent once, in order, between its steps."),
    h("p", { class: "form-error" }),
    h("div", { class: "actions" }, interruptButton),
  );

  const setState = (next, { announce = false } = {}) => {
    if (!next) return;
    const changed = next !== state;
    state = next;
    stateEl.replaceChildren(badge(next));
    buttons.pause.disabled = !ALLOWED.pause.includes(next);
    buttons.resume.disabled = !ALLOWED.resume.includes(next);
    resumeBudget.disabled = !ALLOWED.resume.includes(next);
    buttons.cancel.disabled = !ALLOWED.cancel.includes(next);
    interruptButton.disabled = !ALLOWED.interrupt.includes(next);
    if (changed && announce) say(`Lane ${runId} is now ${stateLabel(next)}.`);
  };

  const renderBudgets = (tokensUsed, costUsed) => {
    if (!lane) return;
    budgets.replaceChildren(
      budgetRow("budget-tokens", "Tokens", tokensUsed, lane.token_budget, num),
      budgetRow("budget-cost", "Cost", costUsed, lane.cost_budget_cents, cents),
    );
  };

  const renderFacts = () => {
    const row = (term, ...value) => [h("dt", {}, term), h("dd", {}, ...value)];
    const pr = lane.pull_request;
    facts.replaceChildren(
      h(
        "dl",
        { class: "facts" },
        row("Repository", lane.repository),
        row("Harness kind", lane.harness_kind),
        row("Harness", lane.harness_id ? h("code", {}, lane.harness_id) : "none yet"),
        row("Attempt", `${lane.attempt} of ${lane.max_attempts}`),
        row("Claim", (lane.claim || []).map((g, i) => [i ? ", " : "", h("code", {}, g)])),
        lane.labels && lane.labels.length ? row("Labels", lane.labels.join(", ")) : null,
        row("Created", time(lane.created_at)),
        row("Updated", time(lane.updated_at)),
        lane.finished_at ? row("Finished", time(lane.finished_at)) : null,
        lane.exit_code !== null && lane.exit_code !== undefined ? row("Exit code", String(lane.exit_code)) : null,
        lane.pause_reason ? row("Pause reason", lane.pause_reason) : null,
        lane.summary ? row("Summary", lane.summary) : null,
        lane.branch ? row("Branch", h("code", {}, lane.branch)) : null,
        pr ? row("Pull request", /^https?:\/\//.test(pr.url || "") ? h("a", { href: pr.url, rel: "noreferrer noopener" }, `#${pr.number}`) : `#${pr.number}`, ` (${pr.state})`) : null,
        lane.verified !== null && lane.verified !== undefined ? row("Verified", lane.verified ? "yes" : "no") : null,
        (lane.checks || []).length ? row("Checks", lane.checks.map((c, i) => [i ? ", " : "", `${c.name}: ${c.status}`])) : null,
      ),
      h("details", {}, h("summary", {}, "Brief"), h("pre", { class: "brief" }, lane.brief)),
    );
  };

  const renderDetail = () => {
    const calls = lane.tool_calls || [];
    toolCalls.replaceChildren(
      calls.length
        ? table(
            "Tool calls",
            ["Tool", "Status", "Duration", "When", "Output"],
            calls.map((c) =>
              h(
                "tr",
                {},
                h("td", {}, h("code", {}, c.tool)),
                h("td", {}, c.status),
                h("td", { class: "num" }, `${num(c.duration_ms)} ms`),
                h("td", {}, time(c.at)),
                h("td", {}, h("details", {}, h("summary", {}, "Show"), h("pre", {}, JSON.stringify(c.output, null, 2)))),
              ),
            ),
          )
        : h("p", { class: "empty" }, "No tool calls."),
    );
    const pending = lane.pending_interrupts || [];
    interrupts.replaceChildren(
      ...(pending.length
        ? pending.map((i) => h("li", {}, `#${i.id} ${i.kind}: ${i.message} (sent `, time(i.created_at), ")"))
        : [h("li", { class: "empty" }, "None waiting for the harness.")]),
    );
  };

  const refreshLane = async () => {
    try {
      const detail = await api.post("lane-get", { run_id: runId }, { mutation: false });
      if (signal.aborted) return;
      lane = detail;
      renderFacts();
      renderBudgets(lane.tokens_used, lane.cost_used_cents);
      renderDetail();
      if (state === null || !ACTIVE.includes(lane.state)) setState(lane.state);
    } catch (error) {
      if (signal.aborted) return;
      if (!lane) {
        laneError.hidden = false;
        laneError.textContent = `This lane cannot be shown: ${describe(error)}`;
        say(laneError.textContent, "error");
      } else {
        controlsError.textContent = describe(error);
      }
    }
  };
  let refreshTimer = null;
  const refreshSoon = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshLane, 250);
  };

  const refreshPending = async () => {
    try {
      const [inbox, approvals] = await Promise.all([
        api.get("inbox-list", { run_id: runId, resolved: false }),
        api.get("approval-list", { run_id: runId, state: "pending" }),
      ]);
      if (signal.aborted) return;
      const cards = [...(approvals.data || []).map((a) => approvalCard(a, refreshPending)), ...(inbox.data || []).map((i) => inboxCard(i, refreshPending))];
      pendingList.replaceChildren(...(cards.length ? cards : [h("li", { class: "empty" }, "Nothing waits for a decision.")]));
    } catch (error) {
      if (!signal.aborted) pendingList.replaceChildren(h("li", { class: "form-error" }, describe(error)));
    }
  };

  const MAX_LINES = 2000;
  const record = (ev, { live }) => {
    const d = ev.data || {};
    if (ev.type === "output") {
      output.append(h("li", { class: d.stream === "stderr" ? "stderr" : "stdout" }, d.stream === "stderr" ? h("span", { class: "tag" }, "stderr ") : null, d.line));
      while (output.childElementCount > MAX_LINES) output.firstElementChild.remove();
      if (live && output.scrollHeight - output.scrollTop - output.clientHeight < 80) output.scrollTop = output.scrollHeight;
      return;
    }
    timeline.append(h("li", { "data-type": ev.type, "data-event-id": String(ev.id) }, time(ev.at), " ", describeEvent(ev)));
    if (ev.type === "file_change") {
      fileMap.set(d.path, d);
      files.replaceChildren(
        ...[...fileMap.values()].map((f) => h("li", { class: f.outside_claim ? "outside" : "" }, h("code", {}, f.path), ` ${f.change}`, f.outside_claim ? h("strong", {}, " outside the claim") : null)),
      );
    }
    if (ev.type === "tokens" && lane) renderBudgets(d.tokens_used, d.cost_used_cents);
    if (ev.type === "state") setState(d.to, { announce: live });
    if (!live) return;
    if (ev.type === "result") say(`Lane ${runId}: ${describeEvent(ev)}`);
    if (["state", "tool_call", "interrupt", "interrupt_delivered", "result", "file_change"].includes(ev.type)) refreshSoon();
    if (["question_asked", "question_settled", "approval_requested", "approval_decided"].includes(ev.type)) {
      refreshPending();
      if (ev.type === "question_asked" || ev.type === "approval_requested") say(`Lane ${runId}: ${describeEvent(ev)}`);
    }
  };

  // Controls.
  const control = async (button, endpoint, body, verb) => {
    controlsError.textContent = "";
    await busy(button, async () => {
      try {
        const answer = await api.post(endpoint, body);
        say(`${verb}: lane ${runId} is ${stateLabel(answer.state)}.`, "ok");
        setState(answer.state);
        refreshSoon();
      } catch (error) {
        controlsError.textContent = describe(error);
        say(describe(error), "error");
      }
    });
    setState(state); // busy() re-enabled the button: disable it again if the state says so
  };
  buttons.pause.addEventListener("click", () => control(buttons.pause, "agent-pause", { run_id: runId }, "Paused"));
  buttons.resume.addEventListener("click", () => {
    const body = { run_id: runId };
    if (resumeBudget.value.trim()) body.token_budget = Number(resumeBudget.value);
    control(buttons.resume, "agent-resume", body, "Resumed");
  });
  buttons.cancel.addEventListener("click", async () => {
    if (await confirmAction(`Cancel lane ${runId}? Its agent is stopped and its scope claim released. This cannot be undone.`, "Cancel the lane")) {
      control(buttons.cancel, "agent-cancel", { run_id: runId }, "Cancelled");
    }
  });
  interruptForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(interruptForm);
    await busy(interruptButton, async () => {
      try {
        const queued = await api.post("agent-interrupt", { run_id: runId, kind: interruptKind.value, message: interruptMessage.value });
        interruptMessage.value = "";
        say(`Interrupt #${queued.interrupt.id} queued for the agent.`, "ok");
        refreshSoon();
      } catch (error) {
        showFormError(interruptForm, error);
      }
    });
    setState(state);
  });

  add(
    main,
    h("p", { class: "crumbs" }, h("a", { href: "#/lanes" }, "← All lanes")),
    h("h1", {}, "Lane ", h("code", {}, runId)),
    laneError,
    h("p", { class: "lane-state" }, "State: ", stateEl),
    facts,
    section("Budget", budgets),
    section(
      "Controls",
      h(
        "div",
        { class: "controls" },
        buttons.pause,
        h("div", { class: "resume" }, field("Raise the token budget to (optional)", resumeBudget), buttons.resume),
        buttons.cancel,
      ),
      controlsError,
      interruptForm,
    ),
    section("Waiting for a decision", pendingList),
    section("Live output", streamStatus, output),
    section("Events", timeline),
    section("Changed files", files),
    section("Tool calls", toolCalls),
    section("Interrupts not yet delivered", interrupts),
  );
  files.append(h("li", { class: "empty" }, "No files changed yet."));

  (async () => {
    await refreshLane();
    if (signal.aborted || !lane) return;
    refreshPending();
    // The past, from the JSON backfill (quietly); then the live stream from there.
    let since = 0;
    try {
      for (let pages = 0; pages < 50 && !signal.aborted; pages += 1) {
        const page = await api.get("lane-events", { run_id: runId, since, limit: 1000 });
        for (const ev of page.data || []) record(ev, { live: false });
        if (!page.data || page.data.length === 0 || page.next_since === since) break;
        since = page.next_since ?? since;
      }
    } catch (error) {
      if (signal.aborted) return;
      streamStatus.textContent = `Could not read past events: ${describe(error)}`;
    }
    if (signal.aborted) return;
    if (!ACTIVE.includes(state)) {
      streamStatus.textContent = `The lane has ended (${stateLabel(state)}); no more events will come.`;
      return;
    }
    await api.followLaneEvents(runId, {
      since,
      signal,
      onEvent: (ev) => record(ev, { live: true }),
      onEnd: (end) => {
        if (end.state) setState(end.state);
        refreshLane();
        refreshPending();
        say(`Lane ${runId} ended: ${stateLabel(end.state || state)}.`);
      },
      onStatus: (text, kind) => {
        streamStatus.dataset.stream = kind;
        streamStatus.textContent =
          kind === "live" ? "Live: following the event stream." : kind === "ended" ? `The lane has ended (${stateLabel(state)}); the stream is closed.` : text === "reconnecting" ? "Reconnecting to the event stream…" : text;
      },
    });
  })();
  signal.addEventListener("abort", () => clearTimeout(refreshTimer));
}

// ------------------------------------------------------------------ approvals and inbox

function approvalsScreen(signal) {
  const approvalState = h(
    "select",
    { name: "state", id: "approval-state" },
    ["pending", "approved", "rejected", "expired", "withdrawn", ""].map((s) => h("option", { value: s }, s || "any")),
  );
  const inboxResolved = h(
    "select",
    { name: "resolved", id: "inbox-resolved" },
    h("option", { value: "false" }, "waiting for an answer"),
    h("option", { value: "true" }, "settled"),
    h("option", { value: "" }, "all"),
  );
  const approvals = h("ul", { id: "approvals", class: "cards" });
  const inbox = h("ul", { id: "inbox", class: "cards" });
  const loadApprovals = async () => {
    try {
      const page = await api.get("approval-list", { state: approvalState.value });
      if (signal.aborted) return;
      const data = page.data || [];
      approvals.replaceChildren(...(data.length ? data.map((a) => approvalCard(a, loadApprovals)) : [h("li", { class: "empty" }, "No requests for approval.")]));
    } catch (error) {
      if (!signal.aborted) approvals.replaceChildren(h("li", { class: "form-error" }, describe(error)));
    }
  };
  const loadInbox = async () => {
    try {
      const page = await api.get("inbox-list", { resolved: inboxResolved.value });
      if (signal.aborted) return;
      const data = page.data || [];
      inbox.replaceChildren(...(data.length ? data.map((i) => inboxCard(i, loadInbox)) : [h("li", { class: "empty" }, "No questions.")]));
    } catch (error) {
      if (!signal.aborted) inbox.replaceChildren(h("li", { class: "form-error" }, describe(error)));
    }
  };
  approvalState.addEventListener("change", loadApprovals);
  inboxResolved.addEventListener("change", loadInbox);
  const refresh = h("button", { type: "button", class: "secondary", id: "refresh-approvals" }, "Refresh");
  refresh.addEventListener("click", () =>
    busy(refresh, async () => {
      await Promise.all([loadApprovals(), loadInbox()]);
      say("Approvals and inbox refreshed.");
    }),
  );
  add(
    main,
    h("h1", {}, "Approvals and inbox"),
    h("div", { class: "actions" }, refresh),
    section("Requests for approval", h("div", { class: "filters" }, field("Show requests", approvalState)), approvals),
    section("Questions from agents", h("div", { class: "filters" }, field("Show questions", inboxResolved)), inbox),
  );
  loadApprovals();
  loadInbox();
}

// ------------------------------------------------------------------ tokens

const ISSUED_KEY = "switchyard.issued";

function sessionTokens() {
  try {
    return JSON.parse(sessionStorage.getItem(ISSUED_KEY) || "[]");
  } catch {
    return [];
  }
}

function saveSessionTokens(list) {
  sessionStorage.setItem(ISSUED_KEY, JSON.stringify(list));
}

function tokensScreen(signal) {
  const name = h("input", { type: "text", name: "name", id: "token-name", autocomplete: "off", placeholder: "ci" });
  const scopes = h(
    "fieldset",
    { class: "scopes", id: "token-scopes" },
    h("legend", {}, "Scopes"),
    h("p", { class: "hint" }, "A subset of your own token's scopes."),
    SCOPES.map((s) => {
      const id = `scope-${s.replace(/:/g, "-")}`;
      return h("div", { class: "choice" }, h("input", { type: "checkbox", name: "scopes", id, value: s }), h("label", { for: id }, s));
    }),
    h("p", { class: "field-error", id: "token-scopes-error" }),
  );
  const expiry = h(
    "select",
    { name: "expires_in_seconds", id: "token-expiry" },
    h("option", { value: "" }, "Never"),
    h("option", { value: String(86400) }, "1 day"),
    h("option", { value: String(30 * 86400) }, "30 days"),
    h("option", { value: String(90 * 86400) }, "90 days"),
    h("option", { value: String(365 * 86400) }, "1 year"),
  );
  const issueButton = h("button", { type: "submit", id: "issue-button" }, "Issue token");
  const form = h(
    "form",
    { id: "issue-form", novalidate: true, class: "card" },
    field("Name", name, "What the token is for, e.g. ci or scim-sync."),
    scopes,
    field("Expires", expiry),
    h("p", { class: "form-error" }),
    h("div", { class: "actions" }, issueButton),
  );
  // The scopes fieldset is the field the envelope names `scopes`.
  scopes.id = "token-scopes";
  const issued = h("div", { id: "issued", class: "card secret", hidden: true });
  const listArea = h("div", { id: "token-list" });
  const listNote = h("p", { class: "meta", id: "token-list-note" });

  const inactive = h("input", { type: "checkbox", id: "token-include-inactive", name: "include_inactive" });
  const inactiveField = h("div", { class: "choice", hidden: true }, inactive, h("label", { for: "token-include-inactive" }, "Include revoked and expired tokens"));
  const moreTokens = h("button", { type: "button", class: "secondary", id: "tokens-more", hidden: true }, "Show more");
  let listed = [];
  let nextCursor = null;
  const renderList = (tokens) => {
    if (!tokens.length) {
      listArea.replaceChildren(h("p", { class: "empty" }, "No tokens to show."));
      return;
    }
    const rows = tokens.map((t) => {
      const state = t.state || (t.revoked_at ? "revoked" : t.expires_at && new Date(t.expires_at) < new Date() ? "expired" : "active");
      const revoke = h("button", { type: "button", class: "danger small", "data-token-id": t.id, disabled: state !== "active" }, "Revoke");
      revoke.setAttribute("aria-label", `Revoke ${t.name} (${t.id})`);
      revoke.addEventListener("click", () => revokeToken(t.id, t.name, revoke));
      return h(
        "tr",
        { "data-token-id": t.id, "data-state": state },
        h("td", {}, t.name),
        h("td", {}, h("code", {}, t.id)),
        h("td", {}, (t.scopes || []).join(", ")),
        h("td", {}, time(t.created_at), t.created_by ? [" by ", h("code", {}, t.created_by)] : null),
        h("td", {}, t.last_used_at ? time(t.last_used_at) : "—"),
        h("td", {}, t.expires_at ? time(t.expires_at) : "never"),
        h("td", {}, state === "revoked" && t.revoked_at ? ["revoked ", time(t.revoked_at)] : state),
        h("td", {}, revoke),
      );
    });
    listArea.replaceChildren(table("Tokens", ["Name", "Id", "Scopes", "Created", "Last used", "Expires", "State", "Action"], rows));
  };
  const loadList = async (append = false) => {
    try {
      const page = await api.get("api-token-list", { include_inactive: inactive.checked ? true : undefined, limit: 100, cursor: append ? nextCursor : undefined });
      if (signal.aborted) return;
      const data = page.data || [];
      listed = append ? [...listed, ...data] : data;
      nextCursor = page.next_cursor || null;
      moreTokens.hidden = !nextCursor;
      inactiveField.hidden = false;
      listNote.textContent = inactive.checked ? "Every token of the workspace, newest first." : "The workspace's tokens that still work, newest first.";
      renderList(listed);
    } catch (error) {
      if (signal.aborted) return;
      inactiveField.hidden = true;
      moreTokens.hidden = true;
      // e.g. a token without tokens:write: the tokens issued in this tab are still shown.
      listNote.textContent = `Could not list tokens (${describe(error)}); showing the tokens issued in this tab.`;
      renderList(sessionTokens());
    }
  };
  inactive.addEventListener("change", () => loadList());
  moreTokens.addEventListener("click", () => loadList(true));

  const revokeToken = async (id, label, button) => {
    if (!(await confirmAction(`Revoke ${label ? `${label} (${id})` : id}? It stops working on the very next request, and so does every token minted with it.`, "Revoke"))) {
      return;
    }
    await busy(button, async () => {
      try {
        const revoked = await api.post("api-token-revoke", { token_id: id });
        const also = revoked.also_revoked || [];
        const list = sessionTokens().map((t) => ([revoked.id, ...also].includes(t.id) ? { ...t, revoked_at: revoked.revoked_at } : t));
        saveSessionTokens(list);
        say(`Revoked ${revoked.id}${also.length ? ` and ${also.length} token(s) minted with it` : ""}.`, "ok");
      } catch (error) {
        say(describe(error), "error");
      }
    });
    if (!signal.aborted) loadList();
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = { name: name.value.trim(), scopes: [...scopes.querySelectorAll("input:checked")].map((c) => c.value) };
    if (expiry.value) body.expires_in_seconds = Number(expiry.value);
    await busy(issueButton, async () => {
      try {
        const token = await api.post("api-token-issue", body);
        saveSessionTokens([
          { id: token.id, name: token.name, scopes: token.scopes, created_at: token.created_at, expires_at: token.expires_at || null, revoked_at: null },
          ...sessionTokens(),
        ]);
        showSecret(token);
        form.reset();
        loadList();
      } catch (error) {
        if (error instanceof api.ApiError && error.field && error.field.startsWith("scopes")) {
          scopes.setAttribute("aria-invalid", "true");
          document.getElementById("token-scopes-error").textContent = describe(error);
          scopes.querySelector("input")?.focus();
          say(describe(error), "error");
        } else {
          showFormError(form, error);
        }
      }
    });
  });

  const showSecret = (token) => {
    const secret = h("input", { type: "text", id: "issued-secret", readonly: true, value: token.token, spellcheck: "false", autocomplete: "off" });
    const copy = h("button", { type: "button", id: "copy-secret" }, "Copy");
    const done = h("button", { type: "button", class: "secondary", id: "hide-secret" }, "I have copied it: hide it");
    const copied = h("span", { class: "meta", id: "copy-result" });
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(token.token);
        copied.textContent = "Copied.";
        say("The token is on the clipboard.", "ok");
      } catch {
        secret.select();
        copied.textContent = "Select-all done: press Ctrl+C (⌘C) to copy.";
      }
    });
    done.addEventListener("click", () => {
      issued.hidden = true;
      issued.replaceChildren();
      name.focus();
    });
    issued.replaceChildren(
      h("h3", { id: "issued-title" }, `New token “${token.name}” (`, h("code", {}, token.id), ")"),
      h("p", { class: "warning", id: "shown-once" }, h("strong", {}, "Shown once: "), "this is the only time the secret is shown. Copy it now and keep it somewhere safe; it cannot be shown again."),
      h("p", {}, `Scopes: ${(token.scopes || []).join(", ")}; expires: ${token.expires_at ? new Date(token.expires_at).toLocaleString() : "never"}.`),
      field("Secret", secret),
      h("div", { class: "actions" }, copy, done, copied),
    );
    issued.hidden = false;
    say(`Issued token ${token.name} (${token.id}). Its secret is shown once: copy it now.`, "ok");
    secret.focus();
    secret.select();
  };

  const revokeId = h("input", { type: "text", name: "token_id", id: "revoke-id", autocomplete: "off", placeholder: "tok_…", spellcheck: "false" });
  const revokeButton = h("button", { type: "submit", class: "danger", id: "revoke-by-id" }, "Revoke");
  const revokeForm = h("form", { id: "revoke-form", novalidate: true, class: "card inline" }, field("Token id", revokeId), h("p", { class: "form-error" }), h("div", { class: "actions" }, revokeButton));
  revokeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(revokeForm);
    const id = revokeId.value.trim();
    if (!(await confirmAction(`Revoke ${id || "this token"}? It stops working on the very next request, and so does every token minted with it.`, "Revoke"))) return;
    await busy(revokeButton, async () => {
      try {
        const revoked = await api.post("api-token-revoke", { token_id: id });
        const also = revoked.also_revoked || [];
        saveSessionTokens(sessionTokens().map((t) => ([revoked.id, ...also].includes(t.id) ? { ...t, revoked_at: revoked.revoked_at } : t)));
        revokeId.value = "";
        say(`Revoked ${revoked.id}${also.length ? ` and ${also.length} token(s) minted with it` : ""}.`, "ok");
        loadList();
      } catch (error) {
        showFormError(revokeForm, error);
      }
    });
  });

  add(
    main,
    h("h1", {}, "Tokens"),
    section("Issue a token", form, issued),
    section("Tokens", listNote, inactiveField, listArea, moreTokens),
    section("Revoke a token by id", revokeForm),
  );
  loadList();
}

// ------------------------------------------------------------------ audit

const MAX_SHOWN_BYTES = 2 * 1024 * 1024;

function auditScreen(signal) {
  const fileInput = h("input", { type: "file", name: "file", id: "export-file", accept: ".ndjson,.jsonl,.json,.txt,application/x-ndjson,application/json,text/plain" });
  const text = h("textarea", { name: "text", id: "export-text", rows: "10", spellcheck: "false", autocomplete: "off", wrap: "off" });
  const jwksText = h("textarea", { name: "jwks", id: "jwks-text", rows: "4", spellcheck: "false" });
  const verifyButton = h("button", { type: "submit", id: "verify-button" }, "Verify");
  const fetchButton = h("button", { type: "button", id: "fetch-export", class: "secondary" }, "Fetch and verify this workspace's export");
  const result = h("div", { id: "verify-result", class: "result", hidden: true });
  let fetched = null; // bytes of a fetched export too large to show in the text box

  const form = h(
    "form",
    { id: "verify-form", novalidate: true, class: "card" },
    field("Export file (NDJSON or JSON)", fileInput, "A signed export from audit-export or audit-log-export."),
    field("…or paste an export", text),
    h(
      "details",
      {},
      h("summary", {}, "Verify against another key set"),
      field("JWKS document (optional)", jwksText, "By default the deployment's own keys, from /.well-known/jwks.json."),
    ),
    h("p", { class: "form-error" }),
    h("div", { class: "actions" }, verifyButton, fetchButton),
  );

  fileInput.addEventListener("change", () => {
    if (fileInput.files.length) {
      text.value = "";
      fetched = null;
    }
  });
  text.addEventListener("input", () => {
    fileInput.value = "";
    fetched = null;
  });

  const show = (ok, message) => {
    result.hidden = false;
    result.className = `result ${ok ? "ok" : "bad"}`;
    result.dataset.verified = ok ? "true" : "false";
    result.replaceChildren(h("p", {}, h("strong", {}, ok ? "Verified" : "Not verified"), `: ${message}`));
    say(`${ok ? "Verified" : "Not verified"}: ${message}`, ok ? "ok" : "error");
  };

  const keys = async () => {
    const own = jwksText.value.trim();
    const jwks = own ? JSON.parse(own) : JSON.parse(new TextDecoder().decode(await api.getBytes("/.well-known/jwks.json", null, { auth: false })));
    return keysFromJwks(jwks);
  };

  const verify = async (bytes) => {
    let trusted;
    try {
      trusted = await keys();
    } catch (error) {
      show(false, `no keys to verify with: ${describe(error)}`);
      return;
    }
    try {
      const outcome = await verifyExport(bytes, trusted);
      if (signal.aborted) return;
      if (outcome.ok) {
        const range = outcome.count ? ` (seq ${outcome.firstSeq}–${outcome.lastSeq})` : "";
        show(true, `${outcome.count} entries of ${outcome.workspaceId}${range}, head ${outcome.head}, signed by kid ${outcome.keyId}.`);
      } else {
        show(false, `${describeFailure(outcome)}.`);
      }
    } catch (error) {
      show(false, `the check could not run: ${describe(error)}`);
    }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    await busy(verifyButton, async () => {
      let bytes;
      if (fileInput.files.length) {
        bytes = new Uint8Array(await fileInput.files[0].arrayBuffer());
      } else if (fetched) {
        bytes = fetched;
      } else if (text.value.trim()) {
        // Pasted text may lose its final newline; the trailer's own newline is not signed.
        bytes = new TextEncoder().encode(text.value.endsWith("\n") ? text.value : `${text.value}\n`);
      } else {
        showFormError(form, new api.ApiError(0, { code: "VALIDATION_FAILED", message: "choose a file or paste an export first", field: "file" }));
        return;
      }
      await verify(bytes);
    });
  });

  fetchButton.addEventListener("click", () =>
    busy(fetchButton, async () => {
      clearErrors(form);
      let bytes;
      try {
        bytes = await api.getBytes("audit-export", { format: "ndjson" });
      } catch (error) {
        showFormError(form, error);
        return;
      }
      if (signal.aborted) return;
      fileInput.value = "";
      if (bytes.length <= MAX_SHOWN_BYTES) {
        text.value = new TextDecoder().decode(bytes);
        fetched = null;
      } else {
        text.value = "";
        fetched = bytes;
      }
      say(`Fetched the workspace's export (${num(bytes.length)} bytes); verifying…`);
      await verify(bytes);
    }),
  );

  add(
    main,
    h("h1", {}, "Audit"),
    section(
      "Verify an export",
      h(
        "p",
        {},
        "The export is checked here, in your browser: every entry's hash and its link to the entry before it, the entry count, the digest of the whole export and its Ed25519 signature, against the deployment's public keys. Nothing you pick or paste is sent anywhere.",
      ),
      form,
      result,
    ),
  );
}

// ------------------------------------------------------------------ start

window.addEventListener("hashchange", route);
route();
