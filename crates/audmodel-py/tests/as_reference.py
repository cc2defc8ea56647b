r"""A pytest plugin that runs the reference's own test suite against audmodel_rs.

``python -m pytest -p as_reference <audmodel 1.5.3 sdist>/tests`` imports
``audmodel`` as ``audmodel_rs``, so every public-API test of the reference
exercises the Rust module. Some tests use the reference's internals as an
oracle (constants of ``audmodel.core.define``, ``utils.scan_files``,
``utils.short_id``): ``audmodel_rs.core`` is the reference's ``core``
package for them. Tests of the internals themselves, or that monkeypatch
them, test code audmodel_rs does not have: ``INTERNAL`` leaves them out.
"""

import sys

import audmodel as reference
import audmodel.core.api  # noqa: F401  (loads every submodule the tests name)
import audmodel_rs

audmodel_rs.core = reference.core
sys.modules["audmodel"] = audmodel_rs

INTERNAL_FILES = {
    # audmodel.core.backend, .config, .lock and .utils themselves.
    "test_backend.py",
    "test_config.py",
    "test_lock.py",
    "test_utils.py",
}
INTERNAL_TESTS = {
    # Monkeypatch audmodel.core.api or audbackend.interface.Maven.
    "test_publish_concurrent",
    "test_publish_dangling_alias",
    # Repository.register: a backend class of audbackend's, which the Rust
    # stores cannot use.
    "test_repository_register",
    # audmodel.core.utils.is_alias.
    "test_is_alias",
    # Monkeypatch audmodel.core.api to interrupt, fail or record publish's
    # steps (the Rust publish has no such functions; its interrupt and
    # clean-up are tested in tests/test_binding.py and the Rust suite).
    "test_publish_interrupted",
    "test_publish_archive_error",
    "test_publish_sigterm",
    "test_publish_after_interruption",
    "test_publish_order",
}


def pytest_ignore_collect(collection_path, config):
    return collection_path.name in INTERNAL_FILES


def pytest_collection_modifyitems(config, items):
    kept = [item for item in items if item.originalname not in INTERNAL_TESTS]
    left_out = [item for item in items if item.originalname in INTERNAL_TESTS]
    config.hook.pytest_deselected(items=left_out)
    items[:] = kept
