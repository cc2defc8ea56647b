r"""audmodel_rs beside the reference: same repository, same cache, both ways."""

import datetime
import inspect
import os
import signal
import sys
import threading
import time

import pytest

import audmodel
import audmodel_rs


PARAMS = {"model": "cnn10", "data": "emodb", "feature": "melspec", "sampling_rate": 16000}
META = {"data": {"emodb": {"version": "1.2.0"}}, "lr": 1e-3, "when": datetime.date(2024, 2, 29)}
DATE = datetime.date(1985, 11, 18)


def folder(root, tag="1", size=1000):
    path = root / f"model-{tag}"
    (path / "sub").mkdir(parents=True)
    (path / "weights.bin").write_bytes(os.urandom(size))
    (path / "sub" / "config.yaml").write_text(f"tag: {tag}\n")
    return str(path)


def files(root):
    found = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fp:
                found[os.path.relpath(path, root)] = fp.read()
    return found


@pytest.mark.parametrize(
    "params",
    [
        PARAMS,
        {"b": 1, "a": 2},
        {"big": 2**70, "neg": -(2**63), "f": 0.1, "inf": float("inf"), "none": None},
        {"list": [1, "a", [True, False]], "nested": {"x": {"y": []}}},
        {"date": datetime.date(2000, 1, 1), "s": "ümlaut ✓"},
        {},
    ],
)
@pytest.mark.parametrize("subgroup", [None, "audmodel.dummy"])
def test_ids_are_the_references(params, subgroup):
    assert audmodel_rs.uid("torch", params, subgroup=subgroup) == audmodel.uid(
        "torch", params, subgroup=subgroup
    )
    assert audmodel_rs.uid("torch", params, "1.0.0", subgroup=subgroup) == audmodel.uid(
        "torch", params, "1.0.0", subgroup=subgroup
    )
    for private in [False, True]:
        assert audmodel_rs.legacy_uid(
            "torch", params, "1.0.0", subgroup=subgroup, private=private
        ) == audmodel.legacy_uid("torch", params, "1.0.0", subgroup=subgroup, private=private)


@pytest.mark.parametrize("writer, reader", [(audmodel_rs, audmodel), (audmodel, audmodel_rs)])
def test_publish_with_one_and_read_with_the_other(isolated, writer, reader):
    tmp, repos = isolated
    root = folder(tmp)
    repo = repos["rs" if writer is audmodel_rs else "py"][0]
    uid = writer.publish(
        root,
        "torch",
        PARAMS,
        "1.0.0",
        alias="both-ways",
        author="Calvin and Hobbes",
        date=DATE,
        meta=META,
        subgroup="audmodel.dummy",
        repository=repo,
    )
    assert uid == audmodel.uid("torch", PARAMS, "1.0.0", subgroup="audmodel.dummy")
    assert reader.exists(uid)
    assert reader.header(uid) == writer.header(uid)
    assert reader.header(uid)["date"] == DATE
    assert reader.date(uid) == "1985-11-18"
    assert reader.subgroup(uid) == "audmodel.dummy"
    assert reader.parameters(uid) == PARAMS
    assert list(reader.parameters(uid)) == list(PARAMS), "dict order"
    assert reader.meta(uid) == META
    assert reader.resolve_alias("both-ways") == uid
    assert reader.aliases(uid) == ["both-ways"]
    assert reader.versions(uid[:8]) == ["1.0.0"]
    assert reader.latest_version(uid[:8]) == "1.0.0"
    assert reader.url(uid) == writer.url(uid)
    assert reader.url(uid, type="meta") == writer.url(uid, type="meta")
    assert str(reader.repository(uid)) == str(repo)
    assert files(reader.load(uid)) == files(root)
    # The other tool finds the model in the shared cache.
    assert writer.load(uid) == reader.load(uid)

    new = reader.update_meta(uid, {"data": {"emodb": {"split": "train"}}})
    assert new["data"]["emodb"] == {"version": "1.2.0", "split": "train"}
    assert writer.meta(uid) == new
    assert reader.update_meta(uid, {"only": 1}, replace=True) == {"only": 1}
    assert writer.meta(uid) == {"only": 1}


def test_errors_are_the_references(isolated):
    tmp, repos = isolated
    repo = repos["rs"][0]
    root = folder(tmp)
    uid = audmodel_rs.publish(root, "torch", PARAMS, "1.0.0", repository=repo)
    with pytest.raises(RuntimeError, match="exists already"):
        audmodel_rs.publish(root, "torch", PARAMS, "1.0.0", repository=repo)
    with pytest.raises(RuntimeError, match="does not exist"):
        audmodel_rs.load("00000000-1.0.0")
    with pytest.raises(RuntimeError, match="does not exist"):
        audmodel_rs.resolve_alias("no-such-alias")
    with pytest.raises(RuntimeError, match="does not exist"):
        audmodel_rs.latest_version("00000000")
    assert audmodel_rs.versions("00000000") == []
    assert not audmodel_rs.exists("00000000-1.0.0")
    with pytest.raises(ValueError):
        audmodel_rs.publish(root, "torch", {"p": 1}, "1.0.0", alias="bad/alias", repository=repo)
    with pytest.raises(ValueError, match="compression"):
        audmodel_rs.publish(root, "torch", {"p": 2}, "1.0.0", compression=10, repository=repo)
    with pytest.raises(ValueError, match="subgroup"):
        audmodel_rs.publish(root, "torch", {"p": 3}, "1.0.0", subgroup="_uid", repository=repo)
    with pytest.raises(ValueError, match="'type' has to be one of"):
        audmodel_rs.url(uid, type="archive")
    with pytest.raises(FileNotFoundError):
        audmodel_rs.publish(str(tmp / "missing"), "torch", {"p": 4}, "1.0.0", repository=repo)
    with pytest.raises(RuntimeError, match="Cannot serialize"):
        audmodel_rs.publish(root, "torch", {"p": 5}, "1.0.0", meta={"s": {1, 2}}, repository=repo)
    missing = audmodel_rs.Repository("repo", str(tmp / "nowhere"), "file-system")
    with pytest.raises(audmodel_rs.BackendError, match="An exception was raised by the backend"):
        audmodel_rs.publish(root, "torch", {"p": 6}, "1.0.0", repository=missing)
    # None of the refused publishes left a model behind.
    for p in range(1, 7):
        assert not audmodel.exists(audmodel.uid("torch", {"p": p}, "1.0.0"))


def test_repository_is_the_references():
    a = audmodel_rs.Repository("data-local", "/data", "file-system")
    assert repr(a) == repr(audmodel.Repository("data-local", "/data", "file-system"))
    assert a == audmodel_rs.Repository("data-local", "/data", "file-system")
    assert a != audmodel_rs.Repository("data-local", "/other", "file-system")
    assert (a.name, a.host, a.backend) == ("data-local", "/data", "file-system")


def test_config_is_read_at_every_call(isolated, tmp_path):
    _, repos = isolated
    root = folder(tmp_path, "c")
    uid = audmodel_rs.publish(root, "torch", PARAMS, "1.0.0", repository=repos["rs"][0])
    other = tmp_path / "other-cache"
    audmodel_rs.config.CACHE_ROOT = str(other)
    os.environ.pop("AUDMODEL_CACHE_ROOT")
    assert audmodel_rs.default_cache_root() == str(other)
    assert audmodel_rs.load(uid).startswith(str(other))
    audmodel_rs.config.REPOSITORIES = []
    assert not audmodel_rs.exists(uid)


def test_threads_run_while_a_load_works(isolated):
    tmp, repos = isolated
    uid = audmodel_rs.publish(
        folder(tmp, "t", size=64 << 20), "torch", PARAMS, "1.0.0", repository=repos["rs"][0]
    )
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    results = []
    loaders = [threading.Thread(target=lambda: results.append(audmodel_rs.load(uid))) for _ in range(4)]
    for t in loaders:
        t.start()
    for t in loaders:
        t.join()
    stop.set()
    ticker.join()
    assert len(set(results)) == 1 and len(results) == 4
    # The GIL was free: the ticker kept running through the load.
    assert len(ticks) > 20, len(ticks)


def test_ctrl_c_during_publish_raises_and_puts_nothing(isolated):
    tmp, repos = isolated
    root = folder(tmp, "k")
    # Sparse: nothing on disk, but seconds to read and pack, so the signal
    # at 0.3 s lands during the publish however fast the machine (256 MiB
    # of random bytes were once packed before it came).
    with open(os.path.join(root, "weights.bin"), "r+b") as fp:
        fp.truncate(3 << 30)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        audmodel_rs.publish(root, "torch", PARAMS, "1.0.0", compression=9, min_saving_percent=0,
                            repository=repos["rs"][0])
    assert time.monotonic() - started < 10, "KeyboardInterrupt came late"
    timer.join()
    leftovers = [
        name
        for name in files(tmp / "host")
        if not name.endswith(".lock")
    ]
    assert leftovers == []
    assert not audmodel.exists(audmodel.uid("torch", PARAMS, "1.0.0"))


def test_ids_of_parameters_yaml_cannot_hold_are_the_references():
    class Opaque:
        pass

    params = {"object": Opaque(), "a": 1}
    # The repr names the object's address: the same object in both calls.
    assert audmodel_rs.uid("torch", params, "1.0.0") == audmodel.uid("torch", params, "1.0.0")


def test_verbose_shows_progress_on_stderr(isolated, capfd):
    tmp, repos = isolated
    uid = audmodel_rs.publish(
        folder(tmp, "v"), "torch", PARAMS, "1.0.0", verbose=True, repository=repos["rs"][0]
    )
    published = capfd.readouterr()
    assert "Pack" in published.err and "Upload" in published.err, published.err
    assert published.out == ""
    audmodel_rs.load(uid, verbose=True)
    loaded = capfd.readouterr()
    assert "Unpack" in loaded.err, loaded.err
    audmodel_rs.load(uid)
    assert capfd.readouterr().err == "", "not verbose: silent"


def test_cache_care_from_python(isolated):
    tmp, repos = isolated
    uid = audmodel_rs.publish(folder(tmp, "cc"), "torch", PARAMS, "1.0.0", repository=repos["rs"][0])
    path = audmodel.load(uid)  # loaded by the reference
    [listed] = audmodel_rs.cache_ls()
    assert (listed["uid"], listed["state"], listed["files"]) == (uid, "complete", 2)
    assert listed["path"] == path
    [check] = audmodel_rs.cache_verify()
    assert check["problems"] == []
    with open(os.path.join(path, "weights.bin"), "r+b") as fp:
        fp.write(b"\0")
    [check] = audmodel_rs.cache_verify(uid)
    assert len(check["problems"]) == 1 and "weights.bin" in check["problems"][0], check
    audmodel_rs.cache_verify(uid, repair=True)
    assert audmodel_rs.cache_verify(uid)[0]["problems"] == []
    assert audmodel_rs.verify(uid)["problems"] == []
    assert audmodel_rs.cache_prune(max_size=0, dry_run=True)[0]["uid"] == uid
    assert os.path.isdir(path)
    [gone] = audmodel_rs.cache_rm(uid)
    assert gone["uid"] == uid and gone["bytes"] > 0
    assert not os.path.exists(path)
    # The reference loads it again, whole.
    assert files(audmodel.load(uid)) == files(str(tmp / "model-cc"))


def test_gc_from_python(isolated):
    tmp, repos = isolated
    uid = audmodel_rs.publish(folder(tmp, "gc"), "torch", PARAMS, "1.0.0", repository=repos["rs"][0])
    sid = uid.split("-")[0]
    models = tmp / "host" / "repo" / "torch" / sid
    # What publishers killed while packing leave: one two hours ago, one now.
    old, fresh = models / "2.0.0", models / "3.0.0"
    for version in [old, fresh]:
        version.mkdir()
        (version / f".audmodel-tmp-Ab3x9Q-{sid}-{version.name}.zip").write_bytes(b"PK" * 1000)
    then = time.time() - 7200
    for path in [*old.iterdir(), old]:
        os.utime(path, (then, then))
    would = audmodel_rs.gc(dry_run=True)
    assert [(g["kind"], g["owner"]) for g in would] == [
        ("empty folder", None),
        ("cut write", f"{sid}-2.0.0"),
    ], would
    assert would[1]["bytes"] == 2000 and would[1]["age"] > 3600
    assert would[1]["repository"] == "repo"
    assert len(list(old.iterdir())) == 1, "a dry run removed"
    removed = audmodel_rs.gc()
    assert [(g["path"], g["kind"]) for g in removed] == [(g["path"], g["kind"]) for g in would]
    assert not old.exists() and len(list(fresh.iterdir())) == 1, "the fresh one went"
    assert [g["kind"] for g in audmodel_rs.gc(older_than=0)] == ["empty folder", "cut write"]
    assert not fresh.exists()
    # The reference loads the published model, whole.
    assert files(audmodel.load(uid)) == files(str(tmp / "model-gc"))


def test_signatures_are_the_references():
    r"""Each function takes the reference's parameters: names, kinds, defaults.

    Additions of audmodel_rs (``min_saving_percent``) come last, keyword-only
    with a default, so every call the reference accepts means the same here.

    """
    compared = 0
    for name in dir(audmodel):
        reference = getattr(audmodel, name)
        if name.startswith("_") or not inspect.isfunction(reference):
            continue
        ours = getattr(audmodel_rs, name)

        def parameters(function):
            return [
                (p.name, p.kind, p.default)
                for p in inspect.signature(function).parameters.values()
            ]

        expected, found = parameters(reference), parameters(ours)
        assert found[: len(expected)] == expected, name
        for _, kind, default in found[len(expected) :]:
            assert kind == inspect.Parameter.KEYWORD_ONLY, name
            assert default is not inspect.Parameter.empty, name
        compared += 1
    assert compared > 20


def test_publish_without_repository_is_a_type_error(isolated):
    tmp, _ = isolated
    root = folder(tmp)
    for module in (audmodel_rs, audmodel):
        with pytest.raises(TypeError, match="repository"):
            module.publish(root, "torch", PARAMS, "1.0.0")
        with pytest.raises(ValueError, match="You have to provide a repository"):
            module.publish(root, "torch", PARAMS, "1.0.0", repository=None)


def test_create_backend_interface_is_the_references(isolated):
    tmp, repos = isolated
    repo = repos["rs"][0]
    uid = audmodel_rs.publish(folder(tmp), "torch", PARAMS, "1.0.0", repository=repo)
    interface = repo.create_backend_interface()
    reference = repos["py"][0].create_backend_interface()
    assert type(interface) is type(reference)
    assert type(interface.backend) is type(reference.backend)
    assert not interface.backend.opened
    with interface.backend:
        header = interface.join("/", "_uid", f"{uid[:8]}.header.yaml")
        assert interface.versions(header) == ["1.0.0"]
    for backend in ["minio", "s3"]:
        made = audmodel_rs.Repository("bucket", "localhost:9000", backend)
        expected = audmodel.Repository("bucket", "localhost:9000", backend)
        assert type(made.create_backend_interface().backend) is type(
            expected.create_backend_interface().backend
        )
    with pytest.raises(ValueError, match="'custom' is not a registered backend"):
        audmodel_rs.Repository("repo", "host", "custom").create_backend_interface()


def test_create_backend_interface_without_audbackend(monkeypatch):
    # None in sys.modules makes `import audbackend` fail, as when it is absent.
    monkeypatch.setitem(sys.modules, "audbackend", None)
    repo = audmodel_rs.Repository("repo", "host", "file-system")
    with pytest.raises(ImportError, match="needs the package audbackend"):
        repo.create_backend_interface()


def test_cache_rm_removes_nothing_when_an_id_is_not_cached(isolated):
    tmp, repos = isolated
    uid = audmodel_rs.publish(folder(tmp), "torch", PARAMS, "1.0.0", repository=repos["rs"][0])
    path = audmodel_rs.load(uid)
    absent = f"{uid[:8]}-2.0.0"
    with pytest.raises(RuntimeError, match=f"The model '{absent}' is not in the cache"):
        audmodel_rs.cache_rm(uid, absent)
    assert os.path.isdir(path)
    assert [r["uid"] for r in audmodel_rs.cache_rm(uid, uid[:8])] == [uid]
    assert not os.path.exists(path)
