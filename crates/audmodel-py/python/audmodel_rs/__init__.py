r"""The API of ``audmodel`` 1.5.3, backed by the Rust crates.

``import audmodel_rs as audmodel`` is all a program of the reference needs:
the functions have the reference's names, parameters, defaults, return
types and exceptions, and share its repositories and caches in both
directions. What differs: every download is checked against its checksum,
a publish is create-only (a published version is never overwritten), and
the work runs in Rust without the GIL.

"""

import datetime
import os
import typing

from audmodel_rs import _native
from audmodel_rs._native import BackendError


__all__ = [
    "BackendError",
    "Repository",
    "aliases",
    "author",
    "config",
    "date",
    "default_cache_root",
    "exists",
    "header",
    "latest_version",
    "legacy_uid",
    "load",
    "meta",
    "name",
    "parameters",
    "publish",
    "repository",
    "resolve_alias",
    "set_alias",
    "subgroup",
    "uid",
    "update_meta",
    "url",
    "version",
    "versions",
]


class Repository:
    r"""Repository object: name, host and backend name.

    Examples:
        >>> Repository("data-local", "/data", "file-system")
        Repository('data-local', '/data', 'file-system')

    """

    def __init__(self, name: str, host: str, backend: str):
        self.name = name
        r"""Repository name."""
        self.host = host
        r"""Repository host."""
        self.backend = backend
        r"""Repository backend."""

    def __eq__(self, other) -> bool:  # noqa: D105
        return str(self) == str(other)

    def __hash__(self):  # noqa: D105
        return hash(str(self))

    def __repr__(self):  # noqa: D105
        return f"Repository('{self.name}', '{self.host}', '{self.backend}')"

    def _native(self) -> tuple:
        return (self.name, os.path.expanduser(str(self.host)), self.backend)


def _load_config():
    cache_root, repositories = _native.load_config()
    return cache_root, [Repository(*r) for r in repositories]


class config:
    r"""Configuration values, read from ``~/.config/audmodel.yaml`` on import.

    Assign ``config.CACHE_ROOT`` or ``config.REPOSITORIES`` at run time:
    every call reads them anew. ``AUDMODEL_CACHE_ROOT`` overrides the cache
    root.

    """

    CACHE_ROOT, REPOSITORIES = _load_config()


def default_cache_root() -> str:
    r"""The cache folder: ``AUDMODEL_CACHE_ROOT``, else ``config.CACHE_ROOT``."""
    return os.environ.get("AUDMODEL_CACHE_ROOT") or config.CACHE_ROOT


def _cache(cache_root: typing.Optional[str]) -> str:
    return os.path.abspath(os.path.expanduser(cache_root or default_cache_root()))


def _repositories() -> list:
    return [r._native() for r in config.REPOSITORIES]


def aliases(uid: str, *, cache_root: str = None, verbose: bool = False) -> list:
    r"""The aliases of a model."""
    return _native.aliases(_cache(cache_root), _repositories(), uid)


def author(uid: str, *, cache_root: str = None) -> str:
    r"""The author of a model."""
    return header(uid, cache_root=cache_root)["author"]


def date(uid: str, *, cache_root: str = None) -> str:
    r"""The publication date of a model, as ``YYYY-MM-DD``."""
    return str(header(uid, cache_root=cache_root)["date"])


def exists(uid: str) -> bool:
    r"""Whether a model with this ID exists."""
    return _native.exists(_cache(None), _repositories(), uid)


def header(uid: str, *, cache_root: str = None, verbose: bool = False) -> dict:
    r"""The header of a model: author, date, name, parameters, subgroup, version."""
    return _native.header(_cache(cache_root), _repositories(), uid)


def latest_version(uid: str) -> str:
    r"""The latest version of a model."""
    found = versions(uid)
    if not found:
        raise RuntimeError(f"A model with ID '{uid}' does not exist.")
    return found[-1]


def legacy_uid(
    name: str,
    params: dict,
    version: str,
    *,
    subgroup: str = None,
    private: bool = False,
) -> str:
    r"""The legacy (pre 1.0) UID of a model."""
    return _native.legacy_uid(name, params, version, subgroup, private)


def load(
    uid: str,
    *,
    cache_root: str = None,
    timeout: float = 14400,
    verbose: bool = False,
) -> str:
    r"""Loads a model into the cache and returns its folder."""
    return _native.load(_cache(cache_root), _repositories(), uid, timeout, verbose)


def meta(uid: str, *, cache_root: str = None, verbose: bool = False) -> dict:
    r"""The metadata of a model."""
    return _native.meta(_cache(cache_root), _repositories(), uid)


def name(uid: str, *, cache_root: str = None, verbose: bool = False) -> str:
    r"""The name of a model."""
    return header(uid, cache_root=cache_root)["name"]


def parameters(uid: str, *, cache_root: str = None, verbose: bool = False) -> dict:
    r"""The parameters of a model."""
    return header(uid, cache_root=cache_root)["parameters"]


def publish(
    root: str,
    name: str,
    params: dict,
    version: str,
    *,
    repository: Repository = None,
    alias: str = None,
    author: str = None,
    compression: int = 1,
    date: datetime.date = None,
    meta: dict = None,
    subgroup: str = None,
    tmp_root: str = None,
    verbose: bool = False,
    min_saving_percent: int = 10,
) -> str:
    r"""Zips the folder ``root`` and publishes it; returns the model's UID.

    ``min_saving_percent`` (not in the reference): at compression levels
    1-9 a file whose sample deflates by less than this many percent is
    stored; 0 deflates every file, as the reference.

    """
    if repository is None:
        raise ValueError(
            "You have to provide a repository, "
            "see audmodel.config.REPOSITORIES for an example."
        )
    host = repository._native()[1]
    if repository.backend == "file-system" and not os.path.isdir(
        os.path.join(os.path.abspath(host), repository.name)
    ):
        # As the reference: a repository it cannot open is the backend's error.
        raise BackendError(
            "An exception was raised by the backend, "
            "please see stack trace for further information.\n"
            f"repository '{repository.name}': the folder "
            f"'{os.path.join(os.path.abspath(host), repository.name)}' does not exist"
        )
    if not isinstance(compression, int) or not 0 <= compression <= 9:
        raise ValueError(
            f"'compression' has to be between 0 and 9, not {compression}."
        )
    root = os.path.abspath(os.path.expanduser(root))
    if not os.path.isdir(root):
        raise FileNotFoundError(
            2, "No such file or directory", root
        )
    args = {
        "root": root,
        "name": name,
        "version": version,
        "repository": repository._native(),
        "params": params,
        "date": date,
        "meta": meta,
        "alias": alias,
        "author": author,
        "compression": compression,
        "min_saving_percent": min_saving_percent,
        "tmp_root": tmp_root,
        "subgroup": subgroup,
    }
    return _native.publish(_cache(None), _repositories(), args, verbose)


def repository(uid: str, *, cache_root: str = None) -> Repository:
    r"""The repository that holds a model."""
    found = _native.repository(_cache(cache_root), _repositories(), uid)
    for repo in config.REPOSITORIES:
        if repo._native() == found:
            return repo
    return Repository(*found)


def resolve_alias(alias: str, *, cache_root: str = None, verbose: bool = False) -> str:
    r"""The UID an alias points to."""
    return _native.resolve_alias(_cache(cache_root), _repositories(), alias)


def set_alias(
    alias: str, uid: str, *, cache_root: str = None, verbose: bool = False
) -> None:
    r"""Points an alias at a model."""
    _native.set_alias(_cache(cache_root), _repositories(), alias, uid)


def subgroup(uid: str, *, cache_root: str = None, verbose: bool = False) -> str:
    r"""The subgroup of a model."""
    return header(uid, cache_root=cache_root)["subgroup"]


def uid(name: str, params: dict, version: str = None, *, subgroup: str = None) -> str:
    r"""The short ID, or with ``version`` the UID, of a model."""
    return _native.uid(name, params, version, subgroup)


def update_meta(
    uid: str,
    meta: dict,
    *,
    replace: bool = False,
    cache_root: str = None,
    verbose: bool = False,
) -> dict:
    r"""Merges (or replaces) a model's metadata and returns the new metadata."""
    return _native.update_meta(_cache(cache_root), _repositories(), uid, meta, replace)


def url(
    uid: str, *, type: str = "model", cache_root: str = None, verbose: bool = False
) -> str:
    r"""Where a model's archive, header or metadata lies in its repository."""
    return _native.url(_cache(cache_root), _repositories(), uid, type)


def version(uid: str, *, cache_root: str = None, verbose: bool = False) -> str:
    r"""The version of a model."""
    return header(uid, cache_root=cache_root)["version"]


def versions(uid: str, *, cache_root: str = None) -> list:
    r"""Every version of a model, ascending; empty when there is none."""
    return _native.versions(_cache(cache_root), _repositories(), uid)
