r"""The API of ``audmodel`` 1.5.3, backed by the Rust crates.

``import audmodel_rs as audmodel`` is all a program of the reference needs:
the functions have the reference's names, parameters, defaults, return
types and exceptions, and share its repositories and caches in both
directions. What differs: every download is checked against its checksum,
a publish is create-only (a published version is never overwritten), and
the work runs in Rust without the GIL.

"""

import datetime
import functools
import hashlib
import os
import typing

from audmodel_rs import _native


@functools.lru_cache(maxsize=None)
def _backend_error_class() -> type:
    # Made on first use: importing audbackend takes longer than a load from
    # the cache.
    try:
        from audbackend import BackendError as base
    except ImportError:  # without the reference's audbackend

        class base(Exception):
            def __init__(self, exception: Exception):
                self.exception = exception
                super().__init__(
                    "An exception was raised by the backend, "
                    "please see stack trace for further information."
                )

    return type(
        "BackendError",
        (base,),
        {
            "__module__": __name__,
            "__doc__": "A repository could not be read or written.\n\n"
            "An ``audbackend.BackendError`` when ``audbackend`` is installed, "
            "so code written for the reference catches it; ``exception`` "
            "holds the cause.",
        },
    )


def __getattr__(name: str):
    if name == "BackendError":
        return _backend_error_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _raises_backend_error(function):
    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except _native.BackendError as error:
            raise _backend_error_class()(RuntimeError(str(error))) from error

    return wrapped


__all__ = [
    "BackendError",
    "Repository",
    "aliases",
    "author",
    "cache_ls",
    "cache_prune",
    "cache_rm",
    "cache_verify",
    "config",
    "date",
    "default_cache_root",
    "exists",
    "gc",
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
    "verify",
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

    def create_backend_interface(self):
        r"""The reference's interface to the repository, from ``audbackend``.

        An ``audbackend.interface.Maven`` around the backend of the
        repository (not yet opened: use it in a ``with`` statement of its
        ``backend``), as the reference's ``Repository.create_backend_interface``
        returns, for programs that read or write a repository's files
        themselves. ``audmodel_rs`` itself does not use it.

        Raises:
            ValueError: if the backend is not one of ``file-system``,
                ``minio`` or ``s3``
            ImportError: if ``audbackend`` is not installed

        """
        if self.backend not in _BACKEND_CLASSES:
            raise ValueError(f"'{self.backend}' is not a registered backend")
        try:
            import audbackend
        except ImportError as error:
            raise ImportError(
                "Repository.create_backend_interface() needs the package "
                "audbackend (pip install audbackend), which audmodel_rs does "
                "not need otherwise"
            ) from error
        backend_class = getattr(audbackend.backend, _BACKEND_CLASSES[self.backend])
        return audbackend.interface.Maven(
            backend_class(self.host, self.name),
            extensions=["header.yaml", "meta.yaml", "alias.yaml"],
        )


# The reference's ``Repository.backend_registry``, by class name: audbackend
# is imported only when an interface is asked for.
_BACKEND_CLASSES = {"file-system": "FileSystem", "minio": "Minio", "s3": "Minio"}


def _load_config():
    cache_root, repositories = _native.load_config()
    return cache_root, [Repository(*r) for r in repositories]


class config:
    r"""Configuration values, read from ``~/.config/audmodel.yaml`` on import.

    Assign ``config.CACHE_ROOT`` or ``config.REPOSITORIES`` at run time:
    every call reads them anew. ``AUDMODEL_CACHE_ROOT`` overrides the cache
    root. A repository with the name, host and backend of an entry of the
    configuration file keeps that entry's settings (``conditional_writes``,
    ``retries``, the timeouts), and the ``AUDMODEL_*`` variables override
    them, as for the CLI. The client built from these is kept for the
    next calls and built anew when they change.

    """

    CACHE_ROOT, REPOSITORIES = _load_config()


@_raises_backend_error
def default_cache_root() -> str:
    r"""The cache folder: ``AUDMODEL_CACHE_ROOT``, else ``config.CACHE_ROOT``."""
    return os.environ.get("AUDMODEL_CACHE_ROOT") or config.CACHE_ROOT


def _cache(cache_root: typing.Optional[str]) -> str:
    return os.path.abspath(os.path.expanduser(cache_root or default_cache_root()))


def _repositories() -> list:
    return [r._native() for r in config.REPOSITORIES]


@_raises_backend_error
def aliases(uid: str, *, cache_root: str = None, verbose: bool = False) -> list:
    r"""The aliases of a model."""
    return _native.aliases(_cache(cache_root), _repositories(), uid)


@_raises_backend_error
def author(uid: str, *, cache_root: str = None) -> str:
    r"""The author of a model."""
    return header(uid, cache_root=cache_root)["author"]


@_raises_backend_error
def date(uid: str, *, cache_root: str = None) -> str:
    r"""The publication date of a model, as ``YYYY-MM-DD``."""
    return str(header(uid, cache_root=cache_root)["date"])


@_raises_backend_error
def exists(uid: str) -> bool:
    r"""Whether a model with this ID exists."""
    return _native.exists(_cache(None), _repositories(), uid)


@_raises_backend_error
def header(uid: str, *, cache_root: str = None, verbose: bool = False) -> dict:
    r"""The header of a model: author, date, name, parameters, subgroup, version."""
    return _native.header(_cache(cache_root), _repositories(), uid)


@_raises_backend_error
def latest_version(uid: str) -> str:
    r"""The latest version of a model."""
    found = versions(uid)
    if not found:
        raise RuntimeError(f"A model with ID '{uid}' does not exist.")
    return found[-1]


@_raises_backend_error
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


@_raises_backend_error
def load(
    uid: str,
    *,
    cache_root: str = None,
    timeout: float = 14400,
    verbose: bool = False,
) -> str:
    r"""Loads a model into the cache and returns its folder."""
    return _native.load(_cache(cache_root), _repositories(), uid, timeout, verbose)


@_raises_backend_error
def meta(uid: str, *, cache_root: str = None, verbose: bool = False) -> dict:
    r"""The metadata of a model."""
    return _native.meta(_cache(cache_root), _repositories(), uid)


@_raises_backend_error
def name(uid: str, *, cache_root: str = None, verbose: bool = False) -> str:
    r"""The name of a model."""
    return header(uid, cache_root=cache_root)["name"]


@_raises_backend_error
def parameters(uid: str, *, cache_root: str = None, verbose: bool = False) -> dict:
    r"""The parameters of a model."""
    return header(uid, cache_root=cache_root)["parameters"]


@_raises_backend_error
def publish(
    root: str,
    name: str,
    params: typing.Dict[str, object],
    version: str,
    *,
    repository: Repository,
    alias: typing.Optional[str] = None,
    author: typing.Optional[str] = None,
    compression: int = 1,
    date: typing.Optional[datetime.date] = None,
    meta: typing.Optional[typing.Dict[str, object]] = None,
    subgroup: typing.Optional[str] = None,
    tmp_root: typing.Optional[str] = None,
    verbose: bool = False,
    min_saving_percent: int = 10,
) -> str:
    r"""Zips the folder ``root`` and publishes it; returns the model's UID.

    ``min_saving_percent`` (not in the reference): at compression levels
    1-9 a file whose first 64 KiB deflate by less than this many percent
    (default 10) is stored, not deflated: trained float weights shrink by
    only about 7 %, so they are stored and the archive is about 7 % larger;
    0 deflates every file, as the reference. ``tmp_root`` is created, as
    the reference does, and stays empty: the archive is packed straight
    into the repository. ``repository`` is required, as in the reference
    (a ``TypeError`` without it); ``None`` is a ``ValueError``.

    """
    if repository is None:
        raise ValueError(
            "You have to provide a repository, "
            "see audmodel.config.REPOSITORIES for an example."
        )
    host = repository._native()[1]
    if not isinstance(compression, int) or not 0 <= compression <= 9:
        raise ValueError(
            f"'compression' has to be between 0 and 9, not {compression}."
        )
    root = os.path.abspath(os.path.expanduser(root))
    if not os.path.isdir(root):
        raise FileNotFoundError(
            2, "No such file or directory", root
        )
    if tmp_root is not None:
        # Programs may rely on the reference creating it.
        os.makedirs(tmp_root, exist_ok=True)
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


@_raises_backend_error
def repository(uid: str, *, cache_root: str = None) -> Repository:
    r"""The repository that holds a model."""
    found = _native.repository(_cache(cache_root), _repositories(), uid)
    for repo in config.REPOSITORIES:
        if repo._native() == found:
            return repo
    return Repository(*found)


@_raises_backend_error
def resolve_alias(alias: str, *, cache_root: str = None, verbose: bool = False) -> str:
    r"""The UID an alias points to."""
    return _native.resolve_alias(_cache(cache_root), _repositories(), alias)


@_raises_backend_error
def set_alias(
    alias: str, uid: str, *, cache_root: str = None, verbose: bool = False
) -> None:
    r"""Points an alias at a model."""
    _native.set_alias(_cache(cache_root), _repositories(), alias, uid)


@_raises_backend_error
def subgroup(uid: str, *, cache_root: str = None, verbose: bool = False) -> str:
    r"""The subgroup of a model."""
    return header(uid, cache_root=cache_root)["subgroup"]


@_raises_backend_error
def uid(name: str, params: dict, version: str = None, *, subgroup: str = None) -> str:
    r"""The short ID, or with ``version`` the UID, of a model."""
    try:
        return _native.uid(name, params, version, subgroup)
    except RuntimeError:
        # Parameters no YAML file can hold still have an ID (which can never
        # be published): the reference's formula over their ``str``.
        ordered = {key: params[key] for key in sorted(params)}
        unique = f"{subgroup or ''}.{name}" + str(ordered)
        sid = hashlib.md5(unique.encode("utf-8")).hexdigest()[-8:]
        return sid if version is None else f"{sid}-{version}"


@_raises_backend_error
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


@_raises_backend_error
def url(
    uid: str, *, type: str = "model", cache_root: str = None, verbose: bool = False
) -> str:
    r"""Where a model's archive, header or metadata lies in its repository."""
    return _native.url(_cache(cache_root), _repositories(), uid, type)


@_raises_backend_error
def version(uid: str, *, cache_root: str = None, verbose: bool = False) -> str:
    r"""The version of a model."""
    return header(uid, cache_root=cache_root)["version"]


@_raises_backend_error
def versions(uid: str, *, cache_root: str = None) -> list:
    r"""Every version of a model, ascending; empty when there is none."""
    return _native.versions(_cache(cache_root), _repositories(), uid)


@_raises_backend_error
def cache_ls(*, cache_root: str = None) -> list:
    r"""Every model in the cache (not in the reference).

    Each a dict: ``uid``, ``name``, ``subgroup``, ``size`` (bytes on disk),
    ``files``, ``last_loaded`` (seconds since the epoch, or ``None``),
    ``state`` (``complete``, ``partial`` or ``no-model``) and ``path``.

    """
    return _native.cache_ls(_cache(cache_root), _repositories())


@_raises_backend_error
def cache_verify(*uids: str, repair: bool = False, cache_root: str = None) -> list:
    r"""Checks cached models against their archive's table of contents.

    Every cached model when no ``uids`` are given; ``repair`` loads the
    damaged ones again. Each result a dict with ``uid``, ``path``, ``files``
    and ``problems`` (empty when the model is whole). Not in the reference.

    """
    return _native.cache_verify(_cache(cache_root), _repositories(), list(uids), repair)


@_raises_backend_error
def cache_rm(*uids: str, cache_root: str = None) -> list:
    r"""Removes models from the cache, under the lock a load takes.

    Returns what was removed (``uid``, ``path``, ``bytes``). Not in the
    reference.

    """
    return _native.cache_rm(_cache(cache_root), _repositories(), list(uids))


@_raises_backend_error
def cache_prune(
    *,
    older_than: float = None,
    max_size: int = None,
    dry_run: bool = False,
    cache_root: str = None,
) -> list:
    r"""Removes models not loaded for ``older_than`` seconds, then the least
    recently loaded until the cache takes at most ``max_size`` bytes.

    Returns what was (or, with ``dry_run``, would be) removed. Not in the
    reference.

    """
    return _native.cache_prune(_cache(cache_root), older_than, max_size, dry_run)


@_raises_backend_error
def gc(
    *,
    repository: str = None,
    older_than: float = None,
    dry_run: bool = False,
) -> list:
    r"""Removes what killed or interrupted publishers left in the repositories.

    Hidden temporary archives, staged and unfinished uploads, the files,
    claims and locks of model versions never published, alias files naming
    no model, empty folders: what changed more than ``older_than`` seconds
    ago (default 3600, the age at which a publish takes over a claim) and
    no publisher holds the lock of, in the repository named ``repository``
    or in every configured one. Returns what was (or, with ``dry_run``,
    would be) removed: dicts with ``repository``, ``path``, ``kind``,
    ``owner`` (the UID or alias it belongs to, or ``None``), ``age``
    (seconds, or ``None``) and ``bytes``. Not in the reference.

    """
    return _native.gc(_cache(None), _repositories(), repository, older_than, dry_run)


@_raises_backend_error
def verify(uid: str) -> dict:
    r"""Checks a published model in its repository: checksum, zip, CRCs, YAML.

    A dict with ``uid``, ``repository`` and ``problems`` (empty when sound).
    Not in the reference.

    """
    return _native.verify(_cache(None), _repositories(), uid)
