//! A create-only write whose answer is lost on the way, behind the fault
//! proxy of the test support: the server stored it, or refused it
//! because another publisher's was there, and the client heard nothing
//! (its stall timeout ended the wait) or its connection broke before the
//! answer (the HTTP client then sends the write again, and what it stored
//! refuses the repeat). The publish must read back what was stored.
//!
//! The claim, on SeaweedFS (a store that decides create-only writes): a
//! claim of its own is held and the publish succeeds; another's makes it
//! fail with `exists` having written nothing a tool reads. The header,
//! on SeaweedFS and on Garage (the staged protocol): ours stored means
//! published, and the model loads whole.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use audmodel::backend::{
    Backend, BackendExt, BackendPath, ConditionalWrites, PutMode, S3, TransferSettings,
};
use audmodel::{Audmodel, Config, Mapping, PublishOptions, Registry, Repository};
use audmodel_tests::fault_proxy::{At, Fault, FaultProxy, Rule, When};
use audmodel_tests::garage::garage;
use audmodel_tests::model_files::same_files;
use audmodel_tests::s3_server::S3Server;
use audmodel_tests::seaweed::seaweed;

/// Short, so that a lost answer ends the attempt in moments (but not
/// so short that a busy machine's answers end it).
const STALL_TIMEOUT: Duration = Duration::from_secs(5);
/// Longer than the stall timeout: the answer never reaches the client.
const STALL: Duration = Duration::from_secs(12);
const VERSION: &str = "1.0.0";

fn params() -> Mapping {
    let mut params = Mapping::new();
    params.insert("sampling_rate", 16000i64);
    params
}

/// The stored claim of the test model.
fn claim() -> BackendPath {
    let sid = audmodel::short_id("torch", &params(), None).unwrap();
    BackendPath::new(&format!(
        "/_uid/{sid}/{VERSION}/.{sid}-{VERSION}.header.yaml.claim"
    ))
    .unwrap()
}

fn header() -> BackendPath {
    let sid = audmodel::short_id("torch", &params(), None).unwrap();
    BackendPath::new(&format!(
        "/_uid/{sid}/{VERSION}/{sid}-{VERSION}.header.yaml"
    ))
    .unwrap()
}

/// A client of `bucket` on `server` reached through `host`.
fn client(
    server: &S3Server,
    conditional: ConditionalWrites,
    cache: &Path,
    bucket: &str,
    host: &str,
) -> Audmodel {
    let (access, secret) = (server.access_key.clone(), server.secret_key.clone());
    let mut registry = Registry::default();
    registry.register_observed("s3", move |repo, _| {
        // Said rather than probed, so that a slow first answer cannot
        // choose another protocol.
        let s3 = S3::builder(&repo.host, &repo.name)
            .credentials(&access, &secret)
            .secure(false)
            .conditional_writes(conditional)
            .transfer(repo.transfer);
        Ok(Arc::new(s3.build()?) as Arc<dyn Backend>)
    });
    let transfer = TransferSettings::default().with_stall_timeout(STALL_TIMEOUT);
    let repo = Repository::new(bucket, host, "s3").with_transfer(transfer);
    Audmodel::with_registry(Config::new(cache, vec![repo]), registry)
}

fn model(dir: &Path) -> PathBuf {
    let root = dir.join("model");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("weights.bin"), b"weights of the test model").unwrap();
    root
}

/// The request lines' paths of the test model's claim and header in `bucket`.
struct Keys {
    claim: String,
    header: String,
}

/// Publishes the test model through a proxy with `rules` in front of a
/// fresh bucket on SeaweedFS (which decides create-only writes).
fn publish_through(
    rules: impl FnOnce(&Keys) -> Vec<Rule>,
    during: impl FnOnce(&FaultProxy, &str) + Send,
) -> Option<Outcome> {
    let server = seaweed()?;
    Some(publish_through_to(
        server,
        ConditionalWrites::Yes,
        rules,
        during,
    ))
}

/// Publishes the test model through a proxy with `rules` in front of a
/// fresh bucket on `server`; `during` runs beside the publish, given the
/// proxy and the bucket.
fn publish_through_to(
    server: &S3Server,
    conditional: ConditionalWrites,
    rules: impl FnOnce(&Keys) -> Vec<Rule>,
    during: impl FnOnce(&FaultProxy, &str) + Send,
) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let root = model(dir.path());
    let bucket = server.new_bucket("lost-answer");
    let keys = Keys {
        claim: format!("/{bucket}{}", claim().as_str()),
        header: format!("/{bucket}{}", header().as_str()),
    };
    let proxy = FaultProxy::start(&server.endpoint, rules(&keys), 5);
    let cache = dir.path().join("cache");
    let client = client(server, conditional, &cache, &bucket, &proxy.host());
    let started = Instant::now();
    let published = std::thread::scope(|scope| {
        scope.spawn(|| during(&proxy, &bucket));
        client.publish(
            &root,
            "torch",
            &params(),
            VERSION,
            &PublishOptions::default(),
        )
    });
    let took = started.elapsed();
    eprintln!(
        "publish took {took:?}: {} faults; requests on claim and header: {:#?}",
        proxy.faults(),
        proxy
            .log()
            .iter()
            .filter(|l| l.contains(".header.yaml"))
            .collect::<Vec<_>>()
    );
    Outcome {
        published,
        faults: proxy.faults(),
        root,
        client,
        store: server.backend(&bucket),
        _proxy: proxy,
        _dir: dir,
    }
}

struct Outcome {
    published: Result<String, audmodel::Error>,
    faults: usize,
    root: PathBuf,
    client: Audmodel,
    store: S3,
    /// The client's way to the store, kept for the load.
    _proxy: FaultProxy,
    _dir: tempfile::TempDir,
}

impl Outcome {
    /// The publish succeeded, the model loads whole, and on a store that
    /// decides create-only writes the claim that stays is the
    /// publisher's (it names a writer).
    fn published_and_loads(self) {
        let uid = self
            .published
            .unwrap_or_else(|e| panic!("{}", audmodel::error_chain(&e)));
        assert_eq!(self.faults, 1, "the fault did not strike");
        let folder = self
            .client
            .load(&uid)
            .unwrap_or_else(|e| panic!("{}", audmodel::error_chain(&e)));
        same_files(&self.root, &folder).unwrap();
        if let Ok(held) = self.store.get_bytes(&claim()) {
            let held = String::from_utf8(held).unwrap();
            assert!(held.contains("writer: "), "{held}");
        }
    }
}

/// `fault` on the first answer to the `PUT` of `key`.
fn on_first_put(key: &str, fault: Fault) -> Vec<Rule> {
    vec![Rule::new(When::First(1), vec![fault]).only(&format!("PUT {key} "))]
}

/// On SeaweedFS, `fault` strikes the first answer to the `PUT` of the key
/// `pick` chooses; the model must be published all the same, and load.
fn published_despite(pick: fn(&Keys) -> &String, fault: Fault) {
    let Some(outcome) = publish_through(|keys| on_first_put(pick(keys), fault), |_, _| {}) else {
        return;
    };
    outcome.published_and_loads();
}

#[test]
fn a_claim_whose_answer_times_out_is_ours_when_the_store_holds_ours() {
    published_despite(|keys| &keys.claim, Fault::Stall(At::Answer, STALL));
}

#[test]
fn a_claim_whose_connection_breaks_before_the_answer_is_ours_when_the_store_holds_ours() {
    published_despite(|keys| &keys.claim, Fault::Reset(At::Answer));
}

#[test]
fn a_claim_whose_answer_times_out_is_refused_when_the_store_holds_anothers() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let theirs = format!("header: 0123\nwriter: someone else\nclaimed_unix_ms: {now}\n");
    let Some(outcome) = publish_through(
        |keys| {
            vec![
                // The check before the write is held up (within the
                // stall timeout) while another publisher's claim is
                // stored; then our write's refusal is lost.
                Rule::new(
                    When::First(1),
                    vec![Fault::Stall(At::Fraction(0.0), Duration::from_secs(1))],
                )
                .only(&format!("HEAD {} ", keys.claim)),
                Rule::new(When::First(1), vec![Fault::Stall(At::Answer, STALL)])
                    .only(&format!("PUT {} ", keys.claim)),
            ]
        },
        |proxy, bucket| {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !proxy
                .log()
                .iter()
                .any(|l| l.starts_with("HEAD ") && l.contains(".claim"))
            {
                assert!(Instant::now() < deadline, "no check of the claim");
                std::thread::sleep(Duration::from_millis(5));
            }
            seaweed()
                .unwrap()
                .backend(bucket)
                .put_bytes(theirs.as_bytes(), &claim(), PutMode::Create)
                .unwrap();
        },
    ) else {
        return;
    };
    let err = outcome.published.unwrap_err();
    assert!(
        matches!(err, audmodel::Error::ModelExists { .. }),
        "{}",
        audmodel::error_chain(&err)
    );
    assert_eq!(outcome.faults, 2, "the faults did not strike");
    // Nothing under a name a tool reads, no upload left, the claim theirs.
    let keys: Vec<String> = outcome
        .store
        .list(&BackendPath::root())
        .unwrap()
        .into_iter()
        .map(|p| p.as_str().to_owned())
        .collect();
    assert_eq!(keys, [claim().as_str()], "{keys:#?}");
    assert_eq!(
        outcome.store.get_bytes(&claim()).unwrap(),
        theirs.as_bytes()
    );
    assert!(!outcome.store.exists(&header()).unwrap());
}

/// The header of a model whose claim we hold: the store stored it and
/// the answer was lost. Without reading back, the publish failed and
/// removed the model's files under a header that stayed.
#[test]
fn a_header_whose_answer_times_out_is_ours_when_the_store_holds_ours() {
    published_despite(|keys| &keys.header, Fault::Stall(At::Answer, STALL));
}

#[test]
fn a_header_whose_connection_breaks_before_the_answer_is_ours_when_the_store_holds_ours() {
    published_despite(|keys| &keys.header, Fault::Reset(At::Answer));
}

/// The staged protocol (Garage, which ignores create-only writes) writes
/// its header the same way.
#[test]
fn a_header_whose_answer_times_out_on_garage_is_ours_when_the_store_holds_ours() {
    publish_through_to(
        garage(),
        ConditionalWrites::No,
        |keys| on_first_put(&keys.header, Fault::Stall(At::Answer, STALL)),
        |_, _| {},
    )
    .published_and_loads();
}
