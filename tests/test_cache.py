"""Compiled templates are cached for users under ~/.cache/disclose ($XDG_CACHE_HOME), and the
tests' builds never write there (conftest points $XDG_CACHE_HOME at a directory of the session)."""

import os
import subprocess
import sys

from conftest import CACHE, JINCHENG, ROOT


def _build(tmp_path, env: dict) -> None:
    subprocess.run([sys.executable, "-m", "generator", "build", str(JINCHENG), "-o", str(tmp_path / "out")],
                   env=env, cwd=ROOT, check=True, capture_output=True)


def _home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return home, {"HOME": str(home), "USERPROFILE": str(home)}


def test_a_users_build_caches_its_templates_under_home(tmp_path):
    home, env = _home(tmp_path)
    _build(tmp_path, {**{k: v for k, v in os.environ.items() if k != "XDG_CACHE_HOME"}, **env})
    cached = {path.name.split("-")[0] for path in (home / ".cache" / "disclose").rglob("*") if path.is_file()}
    assert {"code1", "patched"} <= cached


def test_a_build_run_by_the_tests_leaves_home_untouched(tmp_path):
    assert os.environ["XDG_CACHE_HOME"] == str(CACHE)
    home, env = _home(tmp_path)
    _build(tmp_path, {**os.environ, **env})
    assert list(home.iterdir()) == []
    assert list(CACHE.glob("disclose/*/patched-*"))
