//! The web console, also served at /console/: static pages and scripts built into the component.
//!
//! Everything the console shows comes from this API, called from the browser
//! with the token the user pasted (kept in the tab's `sessionStorage`); the
//! component itself serves only files, so it needs no scope. No build step:
//! the assets are plain HTML, CSS and ES modules, embedded at compile time.

use switchyard_api::NoInput;
use switchyard_edge::prelude::*;

const ENDPOINT: Endpoint = endpoints::CONSOLE;

/// `(path under /console/, content type, bytes)`.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("index.html", "text/html; charset=utf-8", include_bytes!("../assets/index.html")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../assets/app.js")),
    ("api.js", "text/javascript; charset=utf-8", include_bytes!("../assets/api.js")),
    ("verify.js", "text/javascript; charset=utf-8", include_bytes!("../assets/verify.js")),
    ("style.css", "text/css; charset=utf-8", include_bytes!("../assets/style.css")),
];

/// The page's own scripts and this API only: no inline script, no third party.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

#[http_component]
fn handle(req: Request) -> Response {
    let path = req.header("spin-path-info").and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    let canonical = req.path().starts_with("/functions/v1/");
    ENDPOINT.respond(req, |_, _: NoInput| serve(&path, canonical))
}

fn serve(path: &str, canonical: bool) -> Result<Reply, ApiError> {
    // `/functions/v1/console` and `/console` send the browser to `/console/`, so relative asset URLs resolve.
    if canonical || path.is_empty() {
        return Ok(
            Reply::bytes(308, "text/plain; charset=utf-8", b"/console/".to_vec()).header("location", "/console/")
        );
    }
    let name = match path.trim_start_matches('/') {
        "" => "index.html",
        other => other,
    };
    let Some((_, content_type, bytes)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return Err(ApiError::new(switchyard_api::ErrorCode::NotFound, format!("the console has no file `{name}`")));
    };
    Ok(Reply::bytes(200, content_type, bytes.to_vec())
        .header("content-security-policy", CSP)
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .header("cache-control", "no-cache"))
}
