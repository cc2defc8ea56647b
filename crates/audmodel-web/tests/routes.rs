//! The routes in process, against a registry on a real file system: what
//! each page and JSON route shows, that user-supplied strings stay text,
//! that bad IDs and missing tokens are refused, and that what cannot be
//! read shows as an error where it belongs. The same pages in a real
//! browser, served by the CLI, are tested in `tests/tests/web_browser.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use audmodel_core::{Audmodel, Config, Mapping, PublishOptions, Repository};
use audmodel_web::{ServeOptions, Token, router};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

/// A registry in a temporary folder: repositories `models` and `more`.
struct Registry {
    dir: tempfile::TempDir,
    client: Arc<Audmodel>,
}

impl Registry {
    fn new() -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().join("host");
        let repositories = ["models", "more"].map(|name| {
            std::fs::create_dir_all(host.join(name)).unwrap();
            Repository::new(name, host.to_str().unwrap(), "file-system")
        });
        let model = dir.path().join("model");
        std::fs::create_dir_all(model.join("conf")).unwrap();
        std::fs::write(model.join("weights.bin"), [7u8; 3000]).unwrap();
        std::fs::write(model.join("conf/config.yaml"), "layers: 10\n").unwrap();
        let config = Config::new(dir.path().join("cache"), repositories.to_vec());
        Registry {
            dir,
            client: Arc::new(Audmodel::new(config)),
        }
    }

    fn publish(&self, name: &str, params: &str, version: &str, options: PublishOptions) -> String {
        let params = audmodel_core::yaml::from_str(params).unwrap();
        let params = params.as_map().cloned().unwrap_or_default();
        let model = self.dir.path().join("model");
        self.client
            .publish(&model, name, &params, version, &options)
            .unwrap()
    }

    fn repository(&self, name: &str) -> PathBuf {
        self.dir.path().join("host").join(name)
    }

    async fn get(&self, uri: &str) -> (StatusCode, String) {
        let app = router(Arc::clone(&self.client), ServeOptions::default());
        get_with(app, uri, None).await
    }

    async fn json(&self, uri: &str) -> serde_json::Value {
        let (status, body) = self.get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        serde_json::from_str(&body).unwrap()
    }
}

async fn get_with(app: axum::Router, uri: &str, bearer: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::get(uri);
    if let Some(token) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn meta(yaml: &str) -> Mapping {
    audmodel_core::yaml::from_str(yaml)
        .unwrap()
        .as_map()
        .cloned()
        .unwrap()
}

fn uids(json: &serde_json::Value) -> Vec<String> {
    json["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["uid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn search_filters_sort_and_pages_narrow_the_list() {
    let r = Registry::new();
    let cnn = |v| {
        let options = PublishOptions::default().subgroup("audio.emotion");
        r.publish("cnn", "{sampling_rate: 16000, arch: cnn10}", v, options)
    };
    let old = cnn("1.0.0");
    let new = cnn("2.0.0");
    let options = PublishOptions::default().subgroup("audio.emotionless");
    let gru = r.publish("gru", "{sampling_rate: 8000}", "1.0.0", options);
    let options = PublishOptions::default()
        .subgroup("text")
        .repository("more");
    let other = r.publish("bert", "{lang: de}", "1.0.0", options);

    let all = r.json("/api/models").await;
    assert_eq!(all["total"], 3, "versions of one model are one row");
    assert_eq!(
        uids(&all),
        [other.as_str(), new.as_str(), gru.as_str()],
        "by name"
    );
    assert_eq!(all["models"][1]["versions"], 2);
    assert_eq!(all["models"][1]["parameters"]["sampling_rate"], 16000);
    assert_eq!(all["models"][0]["repository"], "more");

    let r = &r;
    let found = |query: &'static str| async move { uids(&r.json(query).await) };
    assert_eq!(
        found("/api/models?q=CNN10").await,
        [new.as_str()],
        "a value, any case"
    );
    assert_eq!(found("/api/models?q=emotion").await.len(), 2, "subgroups");
    // A prefix matches below it only at a dot, as `ls --subgroup`.
    assert_eq!(
        found("/api/models?subgroup=audio.emotion").await,
        [new.as_str()]
    );
    assert_eq!(found("/api/models?subgroup=audio").await.len(), 2);
    assert_eq!(
        found("/api/models?param=sampling_rate%3D8000").await,
        [gru.as_str()]
    );
    // Values read as YAML: '16000' is a string, which no model has.
    assert!(
        found("/api/models?param=sampling_rate%3D%2716000%27")
            .await
            .is_empty()
    );
    assert_eq!(
        found("/api/models?sort=versions&order=desc").await[0],
        new,
        "most versions first"
    );
    let (status, page) = r.get("/?q=gru").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("value=\"gru\""),
        "the search stays in the form"
    );
    assert!(!page.contains(&old) && !page.contains(&new));

    for (uri, named) in [
        ("/api/models?sort=size", "size"),
        ("/api/models?page=0", "0"),
        ("/api/models?param=novalue", "novalue"),
    ] {
        let (status, body) = r.get(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(body.contains(named), "{uri}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_list_is_paged_and_links_keep_the_filters() {
    let r = Registry::new();
    for i in 0..53 {
        let options = PublishOptions::default().subgroup("many");
        r.publish("net", &format!("{{seed: {i}}}"), "1.0.0", options);
    }
    let first = r.json("/api/models?subgroup=many").await;
    assert_eq!(first["total"], 53);
    assert_eq!(first["models"].as_array().unwrap().len(), 50);
    let second = r.json("/api/models?subgroup=many&page=2").await;
    assert_eq!(second["models"].as_array().unwrap().len(), 3);
    let (_, page) = r.get("/?subgroup=many").await;
    assert!(
        page.contains("href=\"/?subgroup=many&amp;page=2\""),
        "{page}"
    );
    assert!(page.contains("Page 1 of 2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn model_version_compare_and_alias_pages() {
    let r = Registry::new();
    let publish = |v: &str, accuracy: f64, alias: Option<&str>| {
        let mut options = PublishOptions::default()
            .subgroup("audio")
            .meta(meta(&format!(
                "{{results: {{accuracy: {accuracy}}}, data: emodb}}"
            )));
        if let Some(alias) = alias {
            options = options.alias(alias);
        }
        r.publish("cnn", "{sampling_rate: 16000}", v, options)
    };
    let a = publish("1.0.0", 0.5, None);
    let b = publish("1.1.0", 0.75, Some("best"));
    let sid = &a[..8];
    let other = r.publish("gru", "{}", "3.0.0", PublishOptions::default().alias("gru"));

    let model = r.json(&format!("/api/models/{sid}")).await;
    let versions = model["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    let alone = r.json(&format!("/api/models/{}", &other[..8])).await;
    assert_eq!(alone["versions"].as_array().unwrap().len(), 1, "{alone}");
    assert_eq!(alone["versions"][0]["aliases"], serde_json::json!(["gru"]));
    assert_eq!(versions[1]["aliases"], serde_json::json!(["best"]));
    let archive = r
        .repository("models")
        .join(format!("audio/cnn/{sid}/1.0.0/{a}.zip"));
    let archive = std::fs::metadata(archive).unwrap();
    assert_eq!(versions[0]["archive_size"], archive.len());
    assert_eq!(
        model["meta"]["results"]["accuracy"], 0.75,
        "the latest version's"
    );
    let (_, page) = r.get(&format!("/models/{sid}")).await;
    assert!(
        page.contains(&format!("audmodel.load(&quot;{b}&quot;)")),
        "how to load it"
    );

    let version = r.json("/api/versions/best").await;
    assert_eq!(version["uid"], b);
    assert_eq!(version["header"]["version"], "1.1.0");
    let files: Vec<(&str, u64)> = version["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f["size"].as_u64().unwrap()))
        .collect();
    assert_eq!(files, [("conf/config.yaml", 11), ("weights.bin", 3000)]);
    assert_eq!(version["checksum"].as_str().unwrap().len(), 32);
    assert_eq!(version["meta"]["data"], "emodb");

    let compare = r.json(&format!("/api/compare?uid={a}&uid=best")).await;
    let rows = compare["rows"].as_array().unwrap();
    let row = |key: &str| rows.iter().find(|r| r["key"] == key).unwrap().clone();
    assert_eq!(
        row("meta.results.accuracy")["values"],
        serde_json::json!([0.5, 0.75])
    );
    assert_eq!(row("meta.results.accuracy")["differs"], true);
    assert_eq!(row("meta.data")["differs"], false);
    let (_, page) = r.get(&format!("/compare?uid={a}&uid={b}&diff=1")).await;
    assert!(page.contains("class=\"compare hide-same\""), "{page}");
    assert_eq!(page.matches("<circle").count(), 2, "one point a version");
    let plot = format!("/compare/plot.svg?uid={a}&uid={b}&key=meta.results.accuracy");
    let (status, svg) = r.get(&plot).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(svg.matches("<circle").count(), 2);
    let (status, _) = r.get(&format!("/compare?uid={a}")).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "one model is no comparison"
    );

    let aliases = r.json("/api/aliases").await;
    assert_eq!(
        aliases,
        serde_json::json!([
            {"alias": "best", "uid": b, "repository": "models"},
            {"alias": "gru", "uid": other, "repository": "models"}
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_download_is_the_archive_as_stored() {
    let r = Registry::new();
    let uid = r.publish("cnn", "{}", "1.0.0", PublishOptions::default());
    let stored = r
        .repository("models")
        .join(format!("cnn/{}/1.0.0/{uid}.zip", &uid[..8]));
    let stored = std::fs::read(stored).unwrap();
    let app = router(Arc::clone(&r.client), ServeOptions::default());
    let request = Request::get(format!("/versions/{uid}/archive"))
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/zip");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), stored.as_slice());
    let (status, _) = r.get("/versions/ffffffff-1.0.0/archive").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn user_strings_are_text_and_only_valid_ids_are_asked() {
    let r = Registry::new();
    let hostile = "<script>window.__pwned=1</script>";
    let options = PublishOptions::default().author("<b>mallory</b>").meta(meta(
        "{note: '<script>window.__pwned=1</script>', link: 'javascript:alert(1)', '<k>': {'\"q\"': \"'\"}}",
    ));
    // Names and subgroups are path-safe by construction; parameter values
    // are anything.
    let params = "{p: '<img src=x onerror=alert(1)>'}";
    let uid = r.publish("cnn", params, "1.0.0", options);
    let pages = [
        "/".to_owned(),
        format!("/models/{}", &uid[..8]),
        format!("/versions/{uid}"),
    ];
    for uri in pages {
        let (status, page) = r.get(&uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        for raw in [hostile, "<img", "<b>mallory", "<k>", "href=\"javascript:"] {
            assert!(!page.contains(raw), "{uri} shows {raw} raw: {page}");
        }
    }
    let (_, page) = r.get(&format!("/versions/{uid}")).await;
    assert!(
        page.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;"),
        "shown as text"
    );

    for uri in [
        "/versions/..%2F..%2Fetc%2Fpasswd",
        "/models/not-a-sid",
        "/versions/a%20b",
        "/api/versions/%3Cx%3E",
    ] {
        let (status, _) = r.get(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
    }
    let (status, body) = r.get("/api/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.starts_with("{\"error\""), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_is_required_of_every_request_when_set() {
    let r = Registry::new();
    let options = ServeOptions::default().token(Token::new("s3cret\n").unwrap());
    let app = || router(Arc::clone(&r.client), options.clone());
    for uri in ["/", "/api/models", "/assets/style.css", "/nothing"] {
        let (status, _) = get_with(app(), uri, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
        let (status, _) = get_with(app(), uri, Some("wrong")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    let (status, _) = get_with(app(), "/api/models", Some("s3cret")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn what_cannot_be_read_is_an_error_on_its_row_and_the_rest_is_listed() {
    let r = Registry::new();
    let good = r.publish("cnn", "{}", "1.0.0", PublishOptions::default());
    let options = PublishOptions::default().repository("more");
    let damaged = r.publish("gru", "{}", "1.0.0", options);
    let sid = &damaged[..8];
    let header = format!("_uid/{sid}/1.0.0/{damaged}.header.yaml");
    let header = r.repository("more").join(header);
    assert!(header.exists(), "{}", header.display());
    std::fs::write(&header, "name: [unclosed").unwrap();
    let listing = r.json("/api/models").await;
    assert_eq!(uids(&listing), [good.as_str()]);
    assert_eq!(listing["problems"][0]["uid"], damaged);
    let (status, page) = r.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("model {damaged}")), "{page}");

    // A repository that is gone: its error on the list, the others listed.
    std::fs::rename(r.repository("more"), r.dir.path().join("moved")).unwrap();
    let listing = r.json("/api/models").await;
    assert_eq!(uids(&listing), [good.as_str()]);
    assert_eq!(listing["problems"][0]["repository"], "more");
    let error = listing["problems"][0]["error"].as_str().unwrap();
    assert!(error.contains("does not exist"), "{error}");
    let (status, page) = r.get(&format!("/versions/{damaged}")).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{page}");
    assert!(page.contains("more"), "names the repository: {page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn headers_are_read_once_and_new_models_appear_on_the_next_request() {
    let r = Registry::new();
    let first = r.publish("cnn", "{}", "1.0.0", PublishOptions::default());
    assert_eq!(uids(&r.json("/api/models").await), [first.as_str()]);
    // The header read is kept in the cache, where the reference keeps it ...
    let sid = &first[..8];
    let cached = r
        .dir
        .path()
        .join("cache")
        .join(sid)
        .join("1.0.0.header.yaml");
    assert!(cached.exists());
    // ... so the next listing does not read the repository's copy again.
    let stored = format!("_uid/{sid}/1.0.0/{first}.header.yaml");
    std::fs::write(r.repository("models").join(stored), "damaged: [").unwrap();
    let listing = r.json("/api/models").await;
    assert_eq!(listing["problems"], serde_json::json!([]));
    assert_eq!(uids(&listing), [first.as_str()]);

    let second = r.publish("gru", "{}", "1.0.0", PublishOptions::default());
    let listed = uids(&r.json("/api/models").await);
    assert!(listed.contains(&second), "{listed:?}");
}
