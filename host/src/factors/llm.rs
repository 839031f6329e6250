//! The LLM factor: `fermyon:spin/llm@2.0.0`. Its grant is the component's
//! `ai_models` (as in Spin); the model itself is remote: the runtime config's
//! `[llm_compute]` names an OpenAI-compatible server (`type = "remote_http"`,
//! `url` = the API base such as `http://127.0.0.1:8080/v1`, an optional
//! `auth_token`), as Spin's remote LLM compute does. Embeddings go to
//! `<url>/embeddings`, inferencing to `<url>/chat/completions`. Without
//! `[llm_compute]` every call answers `runtime-error`, so a component can
//! fall back to what it does without a model.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use wasmtime::component::{HasSelf, Linker};

use super::fermyon::spin::llm;
use crate::state::RequestState;

/// What the manifest grants: the model names the component may use.
pub type Grant = Vec<String>;

/// How long one call to the model server may take (under the request deadline).
const CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// Texts embedded per call at most.
const MAX_TEXTS: usize = 256;

/// `[llm_compute]` of the runtime config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompute {
    #[serde(rename = "type")]
    kind: String,
    url: String,
    #[serde(default)]
    auth_token: Option<String>,
    /// Spin's remote compute speaks more than one API; this host speaks the OpenAI one.
    #[serde(default)]
    api_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RawRuntimeConfig {
    #[serde(default)]
    llm_compute: Option<RawCompute>,
}

/// The model server, with its client.
pub struct Compute {
    base: String,
    token: Option<String>,
    client: reqwest::Client,
}

impl std::fmt::Debug for Compute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("Compute").field("base", &self.base).finish_non_exhaustive()
    }
}

/// Reads `[llm_compute]` from a runtime config file (other tables are Spin's and ignored).
pub fn load(text: &str) -> Result<Option<Compute>> {
    let raw: RawRuntimeConfig = toml::from_str(text).context("invalid runtime config")?;
    let Some(c) = raw.llm_compute else { return Ok(None) };
    if c.kind != "remote_http" {
        bail!("[llm_compute] type = {:?}: only \"remote_http\" (an OpenAI-compatible server) is supported", c.kind);
    }
    if let Some(api) = c.api_type.as_deref().filter(|a| *a != "open_ai") {
        bail!("[llm_compute] api_type = {api:?}: only \"open_ai\" is supported");
    }
    let base = c.url.trim_end_matches('/').to_owned();
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        bail!("[llm_compute] url must be an http(s) URL, e.g. http://127.0.0.1:8080/v1");
    }
    let client = reqwest::Client::builder().timeout(CALL_TIMEOUT).build().context("cannot build the LLM client")?;
    Ok(Some(Compute { base, token: c.auth_token.filter(|t| !t.is_empty()), client }))
}

pub fn add_to_linker(linker: &mut Linker<RequestState>) -> wasmtime::Result<()> {
    llm::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
}

#[derive(Deserialize)]
struct EmbeddingsAnswer {
    data: Vec<Embedding>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Embedding {
    embedding: Vec<f32>,
    #[serde(default)]
    index: Option<usize>,
}

#[derive(Deserialize, Default)]
struct Usage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

#[derive(Deserialize)]
struct ChatAnswer {
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChatMessage,
}

#[derive(Deserialize)]
struct ChatMessage {
    #[serde(default)]
    content: Option<String>,
}

impl Compute {
    async fn post<T: serde::de::DeserializeOwned>(&self, path: &str, body: serde_json::Value) -> Result<T, llm::Error> {
        let mut req = self.client.post(format!("{}/{path}", self.base)).json(&body);
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.map_err(|e| llm::Error::RuntimeError(format!("the model server: {e}")))?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            let text: String = text.chars().take(300).collect();
            return Err(llm::Error::RuntimeError(format!("the model server answered {status}: {text}")));
        }
        resp.json().await.map_err(|e| llm::Error::RuntimeError(format!("the model server's answer: {e}")))
    }
}

impl RequestState {
    /// The model server, once the component may use `model`.
    fn compute_for(&self, model: &str) -> Result<&Compute, llm::Error> {
        if !self.component.ai_models.iter().any(|m| m == model) {
            return Err(llm::Error::ModelNotSupported);
        }
        self.app.llm.as_ref().ok_or_else(|| {
            llm::Error::RuntimeError("no language model is configured ([llm_compute] in the runtime config)".into())
        })
    }
}

impl llm::Host for RequestState {
    async fn generate_embeddings(
        &mut self,
        model: String,
        text: Vec<String>,
    ) -> wasmtime::Result<Result<llm::EmbeddingsResult, llm::Error>> {
        let compute = match self.compute_for(&model) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        if text.len() > MAX_TEXTS {
            return Ok(Err(llm::Error::InvalidInput(format!("at most {MAX_TEXTS} texts per call"))));
        }
        if text.is_empty() {
            return Ok(Ok(llm::EmbeddingsResult {
                embeddings: Vec::new(),
                usage: llm::EmbeddingsUsage { prompt_token_count: 0 },
            }));
        }
        let n = text.len();
        let answer: Result<EmbeddingsAnswer, _> =
            compute.post("embeddings", serde_json::json!({"model": model, "input": text})).await;
        Ok(answer.and_then(|a| {
            if a.data.len() != n {
                return Err(llm::Error::RuntimeError(format!("asked for {n} embeddings, got {}", a.data.len())));
            }
            let mut data = a.data;
            data.sort_by_key(|e| e.index.unwrap_or(0));
            Ok(llm::EmbeddingsResult {
                embeddings: data.into_iter().map(|e| e.embedding).collect(),
                usage: llm::EmbeddingsUsage { prompt_token_count: a.usage.unwrap_or_default().prompt_tokens },
            })
        }))
    }

    async fn infer(
        &mut self,
        model: String,
        prompt: String,
        params: Option<llm::InferencingParams>,
    ) -> wasmtime::Result<Result<llm::InferencingResult, llm::Error>> {
        let compute = match self.compute_for(&model) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let mut body = serde_json::json!({"model": model, "messages": [{"role": "user", "content": prompt}]});
        if let Some(p) = params {
            body["max_tokens"] = p.max_tokens.into();
            body["temperature"] = p.temperature.into();
            body["top_p"] = p.top_p.into();
        }
        let answer: Result<ChatAnswer, _> = compute.post("chat/completions", body).await;
        Ok(answer.map(|a| {
            let usage = a.usage.unwrap_or_default();
            llm::InferencingResult {
                text: a.choices.into_iter().next().and_then(|c| c.message.content).unwrap_or_default(),
                usage: llm::InferencingUsage {
                    prompt_token_count: usage.prompt_tokens,
                    generated_token_count: usage.completion_tokens,
                },
            }
        }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn runtime_config() {
        assert!(load("").unwrap().is_none());
        assert!(load("[key_value_store.default]\ntype = \"spin\"\n").unwrap().is_none());
        let c = load("[llm_compute]\ntype = \"remote_http\"\nurl = \"http://127.0.0.1:9/v1/\"\nauth_token = \"t0k\"\n")
            .unwrap()
            .unwrap();
        assert_eq!(c.base, "http://127.0.0.1:9/v1");
        assert!(!format!("{c:?}").contains("t0k"));
        for bad in [
            "[llm_compute]\ntype = \"spin\"\nurl = \"http://x\"\n",
            "[llm_compute]\ntype = \"remote_http\"\nurl = \"ftp://x\"\n",
            "[llm_compute]\ntype = \"remote_http\"\nurl = \"http://x\"\napi_type = \"spin\"\n",
            "[llm_compute]\ntype = \"remote_http\"\n",
        ] {
            assert!(load(bad).is_err(), "{bad}");
        }
    }
}
