//! The lock-free publish protocol (the one S3 gets) on the in-memory
//! store: every function of the client, and racing publishers, without a
//! server.
#![allow(clippy::unwrap_used)]

use crate::core_scenarios;

use std::collections::BTreeMap;
use std::sync::Arc;

use audmodel::backend::{Backend, Memory};
use audmodel::{Audmodel, Config, ErrorKind, Mapping, Registry, Repository};
use core_scenarios::{model_folder, options, params};

/// A registry whose `memory` repositories are one store per name, shared
/// by every client made with it.
fn registry(names: &[&str]) -> Registry {
    let stores: BTreeMap<String, Memory> = names
        .iter()
        .map(|name| ((*name).to_owned(), Memory::new()))
        .collect();
    let mut registry = Registry::new();
    registry.register("memory", move |repo| {
        let store = stores.get(&repo.name).cloned().unwrap_or_default();
        Ok(Arc::new(store) as Arc<dyn Backend>)
    });
    registry
}

#[test]
fn every_function_on_two_memory_stores() {
    let dir = tempfile::tempdir().unwrap();
    core_scenarios::every_function(
        registry(&["first", "second"]),
        [
            Repository::new("first", "here", "memory"),
            Repository::new("second", "here", "memory"),
        ],
        &dir.path().join("cache"),
        dir.path(),
    );
}

/// Six threads publish one UID with different files and metadata: one is
/// told it won (the others that the model exists or was published in the
/// meantime), and the stored header, archive and metadata are the winner's.
#[test]
fn racing_publishers_leave_the_winners_files() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::new("models", "here", "memory");
    for round in 0..5 {
        let registry = registry(&["models"]);
        let config = Config::new(
            dir.path().join(format!("cache-{round}")),
            vec![repo.clone()],
        );
        let racers = 6;
        let barrier = std::sync::Barrier::new(racers);
        let results: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..racers)
                .map(|i| {
                    let (barrier, config, registry) = (&barrier, &config, &registry);
                    let root = model_folder(&dir.path().join(format!("r{round}")), &i.to_string());
                    scope.spawn(move || {
                        let client = Audmodel::with_registry(config.clone(), registry.clone());
                        let opts = options().meta(Mapping::from([("racer", i)]));
                        barrier.wait();
                        client.publish(&root, "torch", &params(), "1.0.0", &opts)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners: Vec<usize> = (0..racers).filter(|&i| results[i].is_ok()).collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        for err in results.iter().filter_map(|r| r.as_ref().err()) {
            assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
        }
        let w = winners[0];
        let client = Audmodel::with_registry(config, registry);
        let uid = "d4e9c65b-1.0.0";
        assert_eq!(client.meta(uid).unwrap(), Mapping::from([("racer", w)]));
        let loaded = client.load(uid).unwrap();
        assert_eq!(
            std::fs::read_to_string(loaded.join("weights.bin")).unwrap(),
            format!("weights {w}")
        );
    }
}
