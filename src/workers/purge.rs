//! Purge requests to the caches in front (SPEC §8): the due outbox rows of
//! one target joined into as few requests as its API allows, each spelled
//! as that cache expects.

use std::collections::BTreeMap;

use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use serde_json::json;

use crate::domain::PurgeTarget;
use crate::store::{ClaimedPing, OutboxKind};

/// One request to one target, and the outbox rows it settles.
#[derive(Debug)]
pub struct PurgeRequest {
    pub target: PurgeTarget,
    pub keys: Vec<String>,
    /// Changed feeds' URLs (webhooks only).
    pub urls: Vec<String>,
    pub rows: Vec<ClaimedPing>,
}

/// The requests for a round's claimed purge rows.
#[derive(Debug, Default)]
pub struct PurgeBatch {
    pub requests: Vec<PurgeRequest>,
    /// Rows for a target no longer configured.
    pub orphans: Vec<ClaimedPing>,
}

/// Groups `rows` by target, and each target's keys into requests of at
/// most its API's limit; the URLs go with a webhook's first request.
pub fn requests(targets: &[PurgeTarget], rows: Vec<ClaimedPing>) -> PurgeBatch {
    let mut by_target: BTreeMap<String, Vec<ClaimedPing>> = BTreeMap::new();
    for row in rows {
        by_target.entry(row.hub.clone()).or_default().push(row);
    }
    let mut batch = PurgeBatch::default();
    for (configured, rows) in by_target {
        let Some(target) = targets.iter().find(|t| t.configured() == configured) else {
            batch.orphans.extend(rows);
            continue;
        };
        let (keys, urls): (Vec<ClaimedPing>, Vec<ClaimedPing>) = rows
            .into_iter()
            .partition(|r| r.kind == OutboxKind::PurgeKey);
        let mut url_rows = Some(urls);
        let chunk = target.keys_per_request();
        let mut keys = keys.into_iter().peekable();
        while keys.peek().is_some() || url_rows.as_ref().is_some_and(|u| !u.is_empty()) {
            let mut rows: Vec<ClaimedPing> = keys.by_ref().take(chunk).collect();
            let urls = url_rows.take().unwrap_or_default();
            let request = PurgeRequest {
                target: target.clone(),
                keys: rows.iter().map(|r| r.topic.clone()).collect(),
                urls: urls.iter().map(|r| r.topic.clone()).collect(),
                rows: {
                    rows.extend(urls);
                    rows
                },
            };
            batch.requests.push(request);
        }
    }
    batch
}

/// Why a cache did not take a purge.
#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error("request failed")]
    Request(#[from] reqwest::Error),
    #[error("the cache answered {0}")]
    Refused(reqwest::StatusCode),
    #[error("the cache answered that the purge failed: {0}")]
    Failed(String),
}

/// Sends one purge; a 2xx answer is success (for Cloudflare, also its
/// `"success": true`).
pub async fn send(client: &reqwest::Client, request: &PurgeRequest) -> Result<(), PurgeError> {
    let built = match &request.target {
        PurgeTarget::Varnish { url, .. } => {
            let purge = reqwest::Method::from_bytes(b"PURGE").unwrap_or(reqwest::Method::POST);
            client
                .request(purge, url)
                .header("xkey-purge", request.keys.join(" "))
        }
        PurgeTarget::Fastly {
            service_id,
            api,
            token,
            ..
        } => client
            .post(format!(
                "{}/service/{service_id}/purge",
                api.trim_end_matches('/')
            ))
            .header("fastly-key", token.expose())
            .header("accept", "application/json")
            .header(CONTENT_TYPE, "application/json")
            .body(json!({ "surrogate_keys": request.keys }).to_string()),
        PurgeTarget::Cloudflare {
            zone_id,
            api,
            token,
            ..
        } => {
            let bearer = HeaderValue::from_str(&format!("Bearer {}", token.expose()));
            let mut builder = client
                .post(format!(
                    "{}/zones/{zone_id}/purge_cache",
                    api.trim_end_matches('/')
                ))
                .header(CONTENT_TYPE, "application/json")
                .body(json!({ "tags": request.keys }).to_string());
            if let Ok(mut bearer) = bearer {
                bearer.set_sensitive(true);
                builder = builder.header(AUTHORIZATION, bearer);
            }
            builder
        }
        PurgeTarget::Webhook { url, .. } => client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .body(json!({ "keys": request.keys, "urls": request.urls }).to_string()),
    };
    let response = built.send().await?;
    let status = response.status();
    if !status.is_success() {
        return Err(PurgeError::Refused(status));
    }
    if matches!(request.target, PurgeTarget::Cloudflare { .. }) {
        let body = json_or_null(response).await;
        if body.get("success") == Some(&serde_json::Value::Bool(false)) {
            return Err(PurgeError::Failed(body["errors"].to_string()));
        }
    }
    Ok(())
}

/// A JSON body, `null` if there is none or it is not JSON.
async fn json_or_null(response: reqwest::Response) -> serde_json::Value {
    match response.bytes().await {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        Err(_) => serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ProviderCredentials;

    fn row(id: i64, kind: OutboxKind, target: &str, subject: &str) -> ClaimedPing {
        ClaimedPing {
            id,
            kind,
            hub: target.to_owned(),
            topic: subject.to_owned(),
            attempts: 0,
        }
    }

    #[test]
    fn a_targets_keys_go_together_within_its_limit() {
        let credentials = ProviderCredentials {
            cloudflare_token: Some(crate::domain::Secret::new("t".into())),
            ..Default::default()
        };
        let targets = [
            PurgeTarget::parse("cloudflare://zone", &credentials).expect("target"),
            PurgeTarget::parse("https://hook.example/purge", &credentials).expect("target"),
        ];
        let mut rows: Vec<ClaimedPing> = (0..45)
            .map(|n| {
                row(
                    n,
                    OutboxKind::PurgeKey,
                    "cloudflare://zone",
                    &format!("k{n}"),
                )
            })
            .collect();
        rows.push(row(
            100,
            OutboxKind::PurgeKey,
            "https://hook.example/purge",
            "site",
        ));
        rows.push(row(
            101,
            OutboxKind::PurgeUrl,
            "https://hook.example/purge",
            "https://f/all.rss",
        ));
        rows.push(row(
            102,
            OutboxKind::PurgeKey,
            "varnish+http://gone:1/",
            "site",
        ));
        let batch = requests(&targets, rows);
        let sizes: Vec<(usize, usize)> = batch
            .requests
            .iter()
            .map(|r| (r.keys.len(), r.urls.len()))
            .collect();
        assert_eq!(
            sizes,
            [(30, 0), (15, 0), (1, 1)],
            "Cloudflare takes 30 tags a call"
        );
        assert_eq!(batch.requests[2].rows.len(), 2);
        assert_eq!(batch.orphans.len(), 1, "a target no longer configured");
    }
}
