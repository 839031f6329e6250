//! The fixed order every request goes through:
//! method → size → authentication → region → scope → rate limit → input →
//! (idempotency → transaction { handler, audit }) → response headers.

use serde::Serialize;
use serde::de::DeserializeOwned;
use spin_sdk::http::{Method, Request, Response};
use switchyard_api::{Auth, Endpoint, ErrorCode, Plan, RequestId, Verb, WorkspaceId};
use switchyard_domain::audit::NewEntry;
use switchyard_domain::{input, sha256_hex};

use crate::auth::{self, Caller, Principal};
use crate::db::Db;
use crate::error::ApiError;
use crate::idempotency::{self, Begin};
use crate::rate;
use crate::response::Reply;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

fn verb_matches(verb: Verb, method: &Method) -> bool {
    matches!((verb, method), (Verb::Get, Method::Get) | (Verb::Post, Method::Post))
}

/// What a mutation did: the status and body to answer, and the id it acted on (for the audit log).
#[derive(Debug)]
pub struct Change<O> {
    pub status: u16,
    pub target: Option<String>,
    pub output: O,
    /// The workspace whose log records the change (default: the caller's).
    pub audit_workspace: Option<WorkspaceId>,
    /// Where the output holds a secret shown only once (a JSON pointer): an
    /// idempotent replay must not show it again, so it is never stored.
    pub secret: Option<&'static str>,
}

impl<O> Change<O> {
    pub fn created(target: impl ToString, output: O) -> Self {
        Self { status: 201, target: Some(target.to_string()), output, audit_workspace: None, secret: None }
    }

    pub fn ok(target: impl ToString, output: O) -> Self {
        Self { status: 200, target: Some(target.to_string()), output, audit_workspace: None, secret: None }
    }

    /// Marks the output field at `pointer` (e.g. `/token`) as a once-shown secret.
    pub fn with_secret(mut self, pointer: &'static str) -> Self {
        self.secret = Some(pointer);
        self
    }

    pub fn in_workspace(mut self, workspace: WorkspaceId) -> Self {
        self.audit_workspace = Some(workspace);
        self
    }
}

/// What a handler gets: who is calling, this request's id, the database.
pub struct Ctx {
    pub request_id: RequestId,
    pub caller: Caller,
    pub db: Db,
    /// SHA-256 hex of the raw request body.
    pub body_digest: String,
}

impl Ctx {
    /// The authenticated member (bearer endpoints).
    pub fn principal(&self) -> Result<&Principal, ApiError> {
        self.caller.principal()
    }

    /// Appends an audit entry for this request to `workspace`'s log, inside `tx`
    /// (for handlers that change state outside [`Endpoint::mutate`]).
    pub fn audit_in(
        &self,
        tx: &Db,
        workspace: &WorkspaceId,
        action: &str,
        target: Option<&str>,
    ) -> Result<(), ApiError> {
        crate::audit::append(
            tx,
            NewEntry {
                workspace_id: workspace.to_string(),
                at: crate::clock::now_rfc3339(),
                actor: self.caller.actor(),
                action: action.to_owned(),
                target: target.map(str::to_owned),
                request_id: self.request_id.to_string(),
                input_digest: self.body_digest.clone(),
            },
        )?;
        Ok(())
    }

    /// The caller's workspace (member or harness); every tenant query is scoped by it.
    pub fn workspace_id(&self) -> Result<&WorkspaceId, ApiError> {
        self.caller
            .workspace()
            .map(|w| &w.id)
            .ok_or_else(|| ApiError::internal("a tenant endpoint ran without a workspace"))
    }
}

struct Incoming<'r> {
    req: &'r Request,
    method: &'r Method,
    path: String,
    query: String,
    body: &'r [u8],
    declared_length: Option<usize>,
    authorization: Option<&'r str>,
    idempotency_key: Option<&'r str>,
    client: String,
}

impl<'r> Incoming<'r> {
    fn new(req: &'r Request) -> Self {
        Self {
            req,
            method: req.method(),
            path: req.path().to_owned(),
            query: req.query().to_owned(),
            body: req.body(),
            declared_length: header(req, "content-length").and_then(|l| l.parse().ok()),
            authorization: header(req, "authorization"),
            idempotency_key: header(req, "idempotency-key"),
            client: header(req, "spin-client-addr")
                .map(|a| a.rsplit_once(':').map_or(a, |(ip, _)| ip).to_owned())
                .unwrap_or_else(|| "unknown".to_owned()),
        }
    }
}

impl Incoming<'_> {
    /// A request header, for auth kinds that read more than `Authorization`.
    fn header(&self, name: &str) -> Option<String> {
        header(self.req, name).map(str::to_owned)
    }
}

fn header<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.header(name).and_then(|v| v.as_str())
}

fn new_request_id() -> RequestId {
    RequestId::from_random(&crate::clock::random_bytes())
}

/// What a handler calls on its [`Endpoint`] (from `switchyard_api::endpoints`):
/// every entry point runs the whole pipeline in the module doc's order.
pub trait Serve {
    /// A read: parse the input, call `f`, answer 200 with its JSON.
    fn read<I, O>(&self, req: Request, f: impl FnOnce(&Ctx, I) -> Result<O, ApiError>) -> Response
    where
        I: DeserializeOwned,
        O: Serialize;

    /// Like [`Serve::read`], for handlers that shape their own reply (SVG, 204, …).
    fn respond<I>(&self, req: Request, f: impl FnOnce(&Ctx, I) -> Result<Reply, ApiError>) -> Response
    where
        I: DeserializeOwned;

    /// A mutation: one transaction holding the change, its audit entry and
    /// (with an `Idempotency-Key`) the stored response.
    fn mutate<I, O>(&self, req: Request, f: impl FnOnce(&Ctx, &Db, I) -> Result<Change<O>, ApiError>) -> Response
    where
        I: DeserializeOwned,
        O: Serialize;

    /// A mutation with slow work (e.g. an outbound call) done in `prepare`,
    /// before the write transaction opens, so writers are not held up by it.
    fn mutate_after<I, P, O>(
        &self,
        req: Request,
        prepare: impl FnOnce(&Ctx, I) -> Result<P, ApiError>,
        f: impl FnOnce(&Ctx, &Db, P) -> Result<Change<O>, ApiError>,
    ) -> Response
    where
        I: DeserializeOwned,
        O: Serialize;

    /// Runs every check of a read (method, auth, scope, rate limit, input) for
    /// a handler that streams its own response (Server-Sent Events, NDJSON).
    /// On refusal, returns the finished error response. `check` runs last,
    /// with the input (e.g. to load the streamed resource).
    fn open_stream<I: DeserializeOwned, T>(
        &self,
        req: &Request,
        check: impl FnOnce(&Ctx, &I) -> Result<T, ApiError>,
    ) -> Result<OpenStream<I, T>, Response>;
}

impl Serve for Endpoint {
    fn read<I, O>(&self, req: Request, f: impl FnOnce(&Ctx, I) -> Result<O, ApiError>) -> Response
    where
        I: DeserializeOwned,
        O: Serialize,
    {
        self.respond(req, |ctx, input| f(ctx, input).map(|out| Reply::json(200, &out)))
    }

    fn respond<I>(&self, req: Request, f: impl FnOnce(&Ctx, I) -> Result<Reply, ApiError>) -> Response
    where
        I: DeserializeOwned,
    {
        self.serve(req, |ctx, incoming| {
            let input = self.parse(incoming)?;
            f(ctx, input)
        })
    }

    fn mutate<I, O>(&self, req: Request, f: impl FnOnce(&Ctx, &Db, I) -> Result<Change<O>, ApiError>) -> Response
    where
        I: DeserializeOwned,
        O: Serialize,
    {
        self.mutate_after(req, |_, input| Ok(input), f)
    }

    fn mutate_after<I, P, O>(
        &self,
        req: Request,
        prepare: impl FnOnce(&Ctx, I) -> Result<P, ApiError>,
        f: impl FnOnce(&Ctx, &Db, P) -> Result<Change<O>, ApiError>,
    ) -> Response
    where
        I: DeserializeOwned,
        O: Serialize,
    {
        self.serve(req, |ctx, incoming| {
            let input: I = self.parse(incoming)?;
            let claim = match incoming.idempotency_key {
                None => None,
                Some(key) => {
                    idempotency::validate_key(key)?;
                    let scope = ctx.caller.workspace().map_or_else(|| "service".to_owned(), |w| w.id.to_string());
                    let digest = sha256_hex(
                        &[incoming.method.to_string().as_bytes(), b" ", incoming.path.as_bytes(), b"\n", incoming.body]
                            .concat(),
                    );
                    match idempotency::begin(&ctx.db, &scope, &ctx.caller.actor(), key, &digest)? {
                        Begin::Replay(reply) => return Ok(reply),
                        Begin::Proceed(claim) => Some(claim),
                    }
                }
            };
            let outcome = prepare(ctx, input).and_then(|prepared| self.commit(ctx, prepared, f, claim.as_ref()));
            if outcome.is_err()
                && let Some(claim) = &claim
            {
                idempotency::release(&ctx.db, claim);
            }
            outcome
        })
    }

    fn open_stream<I: DeserializeOwned, T>(
        &self,
        req: &Request,
        check: impl FnOnce(&Ctx, &I) -> Result<T, ApiError>,
    ) -> Result<OpenStream<I, T>, Response> {
        let mut envelope = Envelope::new(req);
        let incoming = Incoming::new(req);
        let opened = self.admit(&incoming, &mut envelope).and_then(|ctx| {
            let input = self.parse(&incoming)?;
            let checked = check(&ctx, &input)?;
            Ok((ctx, input, checked))
        });
        match opened {
            Ok((ctx, input, checked)) => Ok(OpenStream { headers: envelope.headers(), ctx, input, checked }),
            Err(e) => Err(envelope.respond(self.name, Err(e))),
        }
    }
}

/// What a protocol projection (the MCP server, A2A) calls to run another
/// endpoint for a caller it has already admitted: that endpoint's scope, its
/// rate-limit family, its input rules and, for a mutation, its transaction and
/// audit entry (under its own name), exactly as a direct call would.
/// Answers the output as JSON, or the error a direct call would have given.
/// The projection's own request already counted as one read, so an invoked
/// read is not charged again; an invoked write counts against the writes.
pub trait Invoke {
    fn invoke_read<I, O>(
        &self,
        ctx: &Ctx,
        args: &[u8],
        f: impl FnOnce(&Ctx, I) -> Result<O, ApiError>,
    ) -> Result<serde_json::Value, ApiError>
    where
        I: DeserializeOwned,
        O: Serialize;

    fn invoke_mutation<I, P, O>(
        &self,
        ctx: &Ctx,
        args: &[u8],
        prepare: impl FnOnce(&Ctx, I) -> Result<P, ApiError>,
        f: impl FnOnce(&Ctx, &Db, P) -> Result<Change<O>, ApiError>,
    ) -> Result<serde_json::Value, ApiError>
    where
        I: DeserializeOwned,
        O: Serialize;
}

impl Invoke for Endpoint {
    fn invoke_read<I, O>(
        &self,
        ctx: &Ctx,
        args: &[u8],
        f: impl FnOnce(&Ctx, I) -> Result<O, ApiError>,
    ) -> Result<serde_json::Value, ApiError>
    where
        I: DeserializeOwned,
        O: Serialize,
    {
        let (ctx, input) = self.admit_call(ctx, args)?;
        let output = f(&ctx, input)?;
        serde_json::to_value(&output).map_err(|e| ApiError::internal(format!("{}: output: {e}", self.name)))
    }

    fn invoke_mutation<I, P, O>(
        &self,
        ctx: &Ctx,
        args: &[u8],
        prepare: impl FnOnce(&Ctx, I) -> Result<P, ApiError>,
        f: impl FnOnce(&Ctx, &Db, P) -> Result<Change<O>, ApiError>,
    ) -> Result<serde_json::Value, ApiError>
    where
        I: DeserializeOwned,
        O: Serialize,
    {
        let (ctx, input) = self.admit_call(ctx, args)?;
        let prepared = prepare(&ctx, input)?;
        let reply = self.commit(&ctx, prepared, f, None)?;
        serde_json::from_slice(&reply.body).map_err(|e| ApiError::internal(format!("{}: output: {e}", self.name)))
    }
}

/// The steps shared by direct requests and invoked calls.
trait Steps {
    fn admit_call<I: DeserializeOwned>(&self, outer: &Ctx, args: &[u8]) -> Result<(Ctx, I), ApiError>;
    fn limit_rate(&self, caller: &Caller) -> (Vec<(String, String)>, Option<ApiError>);
    fn commit<P, O: Serialize>(
        &self,
        ctx: &Ctx,
        prepared: P,
        f: impl FnOnce(&Ctx, &Db, P) -> Result<Change<O>, ApiError>,
        claim: Option<&idempotency::Claim>,
    ) -> Result<Reply, ApiError>;
}

impl Steps for Endpoint {
    /// Scope → rate limit → input, for a call on behalf of an admitted
    /// member; the returned context's digest is the call's own arguments'.
    fn admit_call<I: DeserializeOwned>(&self, outer: &Ctx, args: &[u8]) -> Result<(Ctx, I), ApiError> {
        let Auth::Bearer(scope) = self.auth else {
            return Err(ApiError::internal(format!("{} is not a member endpoint", self.name)));
        };
        let principal = outer.principal()?;
        if !scope.granted_by(&principal.scopes) {
            return Err(ApiError::scope_denied(scope));
        }
        if self.family != Some(switchyard_api::RateFamily::Read)
            && let (_, Some(refused)) = self.limit_rate(&outer.caller)
        {
            return Err(refused);
        }
        let input = input::parse_json(args).map_err(|e| ApiError::validation(e.field, e.message))?;
        let ctx = Ctx {
            request_id: outer.request_id.clone(),
            caller: outer.caller.clone(),
            db: Db::open()?,
            body_digest: sha256_hex(args),
        };
        Ok((ctx, input))
    }

    /// The caller's rate-limit decision for this endpoint's family: its
    /// `RateLimit-*` headers, and the refusal when over the limit.
    fn limit_rate(&self, caller: &Caller) -> (Vec<(String, String)>, Option<ApiError>) {
        let Some(family) = self.family else { return (Vec::new(), None) };
        let limited = match caller {
            // One bucket per workspace and caller: a same-named user of another workspace has their own.
            Caller::Member(p) => Some((format!("{}:{}", p.workspace.id, p.actor), p.workspace.plan)),
            Caller::Public { client } => Some((format!("ip:{client}"), Plan::Free)),
            Caller::ServiceRole | Caller::Harness(_) | Caller::Forge { .. } | Caller::SignalSource { .. } => None,
        };
        let Some((key, plan)) = limited else { return (Vec::new(), None) };
        let decision = rate::check(&key, family, plan);
        let refused = (!decision.allowed).then(|| {
            ApiError::new(
                ErrorCode::RateLimited,
                format!(
                    "{} requests per minute allowed for the {} family; retry in {} s",
                    decision.limit,
                    family.as_str(),
                    decision.reset_secs
                ),
            )
        });
        (rate::headers(&decision), refused)
    }

    /// One transaction holding the change, its audit entry and (with a claim) the stored response.
    fn commit<P, O: Serialize>(
        &self,
        ctx: &Ctx,
        prepared: P,
        f: impl FnOnce(&Ctx, &Db, P) -> Result<Change<O>, ApiError>,
        claim: Option<&idempotency::Claim>,
    ) -> Result<Reply, ApiError> {
        ctx.db.transaction(|tx| {
            let change = f(ctx, tx, prepared)?;
            let workspace = match (&change.audit_workspace, ctx.caller.workspace()) {
                (Some(ws), _) => ws.clone(),
                (None, Some(w)) => w.id.clone(),
                (None, None) => {
                    return Err(ApiError::internal("a mutation without a workspace to audit"));
                }
            };
            ctx.audit_in(tx, &workspace, self.name, change.target.as_deref())?;
            let reply = Reply::json(change.status, &change.output);
            if let Some(claim) = claim {
                match change.secret {
                    None => idempotency::complete(tx, claim, reply.status, &reply.content_type, &reply.body)?,
                    Some(pointer) => {
                        let withheld = idempotency::withheld(&ctx.request_id, pointer, &change.output)?;
                        idempotency::complete(tx, claim, 409, "application/json", &withheld)?;
                    }
                }
            }
            Ok(reply)
        })
    }
}

/// The steps every entry point shares.
trait Pipeline {
    fn parse<I: DeserializeOwned>(&self, incoming: &Incoming<'_>) -> Result<I, ApiError>;
    fn serve(&self, req: Request, run: impl FnOnce(&Ctx, &Incoming<'_>) -> Result<Reply, ApiError>) -> Response;
    fn admit(&self, incoming: &Incoming<'_>, envelope: &mut Envelope) -> Result<Ctx, ApiError>;
}

impl Pipeline for Endpoint {
    fn parse<I: DeserializeOwned>(&self, incoming: &Incoming<'_>) -> Result<I, ApiError> {
        let parsed = if matches!(incoming.method, Method::Get) {
            let pairs = url_pairs(&incoming.query)?;
            input::parse_query(pairs.into_iter())
        } else {
            input::parse_json(incoming.body)
        };
        parsed.map_err(|e| ApiError::validation(e.field, e.message))
    }

    fn serve(&self, req: Request, run: impl FnOnce(&Ctx, &Incoming<'_>) -> Result<Reply, ApiError>) -> Response {
        let mut envelope = Envelope::new(&req);
        let incoming = Incoming::new(&req);
        let result = self.admit(&incoming, &mut envelope).and_then(|ctx| run(&ctx, &incoming));
        envelope.respond(self.name, result)
    }

    /// Method → body size → authentication → region → scope → rate limit.
    fn admit(&self, incoming: &Incoming<'_>, envelope: &mut Envelope) -> Result<Ctx, ApiError> {
        if !self.methods.iter().any(|m| verb_matches(*m, incoming.method)) {
            let allow: Vec<&str> = self.methods.iter().map(|m| m.as_str()).collect();
            return Err(ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!("{} is not allowed here; use {}", incoming.method, allow.join(", ")),
            )
            .with_header("allow", allow.join(", ")));
        }
        if incoming.declared_length.unwrap_or(0).max(incoming.body.len()) > MAX_BODY_BYTES {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("request body is larger than {MAX_BODY_BYTES} bytes"),
            ));
        }
        let db = Db::open()?;
        let caller = match self.auth {
            Auth::Public => Caller::Public { client: incoming.client.clone() },
            Auth::ServiceRole => auth::service_role(incoming.authorization)?,
            Auth::Harness => Caller::Harness(auth::harness(incoming.authorization, &db)?),
            Auth::ForgeSignature(provider) => {
                auth::forge(provider, &incoming.query, incoming.body, |name| incoming.header(name), &db)?
            }
            Auth::SignalSignature(provider) => {
                auth::signal_source(provider, &incoming.query, incoming.body, |name| incoming.header(name), &db)?
            }
            Auth::Bearer(scope) => {
                let principal = auth::member(incoming.authorization, &db)?;
                if !scope.granted_by(&principal.scopes) {
                    return Err(ApiError::scope_denied(scope));
                }
                Caller::Member(principal)
            }
        };
        let (headers, refused) = self.limit_rate(&caller);
        envelope.rate_headers = headers;
        if let Some(refused) = refused {
            return Err(refused);
        }
        Ok(Ctx { request_id: envelope.request_id.clone(), caller, db, body_digest: sha256_hex(incoming.body) })
    }
}

/// A stream that passed every check: its context, input and the headers
/// every response carries (`x-request-id`, `x-correlation-id`, `RateLimit-*`).
pub struct OpenStream<I, T> {
    pub ctx: Ctx,
    pub input: I,
    /// What the `check` returned.
    pub checked: T,
    pub headers: Vec<(String, String)>,
}

/// What every response carries, gathered while the request is admitted.
struct Envelope {
    request_id: RequestId,
    correlation: Option<String>,
    problem: bool,
    path: String,
    rate_headers: Vec<(String, String)>,
}

impl Envelope {
    fn new(req: &Request) -> Self {
        Self {
            request_id: new_request_id(),
            correlation: header(req, "x-correlation-id")
                .filter(|c| !c.is_empty() && c.len() <= 200 && c.bytes().all(|b| b.is_ascii_graphic()))
                .map(str::to_owned),
            problem: header(req, "accept").is_some_and(|a| a.contains("application/problem+json")),
            path: req.path().to_owned(),
            rate_headers: Vec::new(),
        }
    }

    fn headers(&self) -> Vec<(String, String)> {
        let mut h = vec![("x-request-id".to_owned(), self.request_id.to_string())];
        if let Some(c) = &self.correlation {
            h.push(("x-correlation-id".to_owned(), c.clone()));
        }
        h.extend(self.rate_headers.iter().cloned());
        h
    }

    fn respond(self, endpoint: &str, result: Result<Reply, ApiError>) -> Response {
        let mut reply = match result {
            Ok(reply) => reply,
            Err(e) => {
                if let Some(cause) = &e.cause {
                    eprintln!("{} {endpoint}: {cause}", self.request_id);
                }
                let (content_type, body) = e.render(self.request_id.as_str(), &self.path, self.problem);
                let mut reply = Reply::bytes(e.status(), content_type, body);
                reply.headers.extend(e.headers.iter().cloned());
                reply
            }
        };
        if !reply.has_header("cache-control") {
            reply.headers.push(("cache-control".into(), "no-store".into()));
        }
        let mut builder = Response::builder();
        builder.status(reply.status).header("content-type", reply.content_type.as_str());
        for (name, value) in self.headers().iter().chain(&reply.headers) {
            builder.header(name.as_str(), value.as_str());
        }
        builder.body(reply.body).build()
    }
}

/// Decodes `a=1&b=x%20y` into pairs; a query that does not decode is refused, not read as empty.
fn url_pairs(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .map_err(|e| ApiError::validation("query", format!("malformed query string: {e}")))
}
