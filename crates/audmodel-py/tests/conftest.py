import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    r"""Config of both tools pointed at one repository and one cache in ``tmp_path``."""
    import audmodel
    import audmodel_rs

    host = tmp_path / "host"
    (host / "repo").mkdir(parents=True)
    cache = tmp_path / "cache"
    monkeypatch.setenv("AUDMODEL_CACHE_ROOT", str(cache))
    repos = {
        "rs": [audmodel_rs.Repository("repo", str(host), "file-system")],
        "py": [audmodel.Repository("repo", str(host), "file-system")],
    }
    monkeypatch.setattr(audmodel_rs.config, "REPOSITORIES", repos["rs"])
    monkeypatch.setattr(audmodel.config, "REPOSITORIES", repos["py"])
    return tmp_path, repos
