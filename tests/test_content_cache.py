"""Content loads fast (issue 15): libyaml's composer gives the same parse as PyYAML's,
and the parsed-content cache gives back exactly what checking the file gives."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml

from screener import yamlsource
from screener.catalog import Lazy, cached_check, check_file, content_files, load_catalog
from screener.lint import check_text
from tests.helpers import DATA, ROOT

CONTENT = sorted({*content_files(), *DATA.rglob("*.yaml"), *(ROOT / "programs").glob("*.yaml")})


def _python_parse(text: str, filename: str) -> yamlsource.Parsed:
    saved = yamlsource._FAST_LOADER
    yamlsource._FAST_LOADER = None
    try:
        return yamlsource.parse(text, filename)
    finally:
        yamlsource._FAST_LOADER = saved


@pytest.mark.skipif(getattr(yaml, "CSafeLoader", None) is None, reason="PyYAML without libyaml")
@pytest.mark.parametrize("path", CONTENT, ids=lambda p: str(p.relative_to(ROOT)))
def test_libyaml_parses_every_file_as_pyyaml_does(path: Path) -> None:
    """Values, every line and column mark, YAML 1.1 coercions and problems (syntax
    errors included: those are read again by the Python parser) are the same."""
    text = path.read_text(encoding="utf-8")
    fast = yamlsource.parse(text, str(path))
    slow = _python_parse(text, str(path))
    assert fast.value == slow.value
    assert fast.marks == slow.marks
    assert fast.coerced == slow.coerced
    assert fast.problems == slow.problems


@pytest.mark.parametrize(
    "text",
    [
        "a: 011\nb: 0x10\nc: 1_000\nd: 1:30\ne: No\nf: '011'\n",
        "a: [b\n",
        "a: " + "[" * 3000 + "]" * 3000 + "\n",
        "a: 1\na: 2\n",
        "a: &x {b: 1}\nc:\n  <<: *x\n",
        "id: !!int abc\n",
        "",
        "- x\n- y: [1, 2, {z: null}]\n",
    ],
)
def test_libyaml_and_pyyaml_agree_on_awkward_yaml(text: str) -> None:
    fast = yamlsource.parse(text, "x.yaml")
    slow = _python_parse(text, "x.yaml")
    assert (fast.value, fast.marks, fast.coerced, fast.problems) == (
        slow.value,
        slow.marks,
        slow.coerced,
        slow.problems,
    )


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SCREENER_CACHE", str(folder))
    return folder


@pytest.mark.parametrize(
    "path",
    [*content_files(), *sorted((DATA / "invalid").glob("*.yaml"))],
    ids=lambda p: p.name,
)
def test_a_cached_check_is_the_check(cache: Path, path: Path) -> None:
    want = check_text(path.read_text(encoding="utf-8"), str(path))
    first = check_file(path)  # checked, and stored
    again = check_file(path)  # read back
    for got in (first, again):
        assert got.model == want.model
        assert got.problems == want.problems and got.warnings == want.warnings
        assert got.parsed.marks == want.parsed.marks and got.kind == want.kind
    assert again is not first and len(list(cache.glob("*.pickle"))) == 1


def test_a_changed_file_is_checked_again(cache: Path, tmp_path: Path) -> None:
    source = DATA / "tiny" / "assessments" / "tiny.yaml"
    path = tmp_path / "assessments" / "tiny.yaml"
    path.parent.mkdir()
    path.write_bytes(source.read_bytes())
    assert check_file(path).problems == []
    path.write_text(source.read_text().replace("title:", "title: 1\nxtitle:", 1))
    assert check_file(path).problems  # not the cached clean result
    assert len(list(cache.glob("*.pickle"))) == 2


def test_a_damaged_cache_entry_is_ignored_and_rewritten(cache: Path) -> None:
    path = content_files()[0]
    check_file(path)
    [entry] = cache.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    assert check_file(path).model == check_text(path.read_text(), str(path)).model
    assert isinstance(pickle.loads(entry.read_bytes()), type(check_file(path)))
    entry.write_bytes(pickle.dumps({"something": "else"}))
    assert check_file(path).model is not None


def test_the_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SCREENER_CACHE", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    load_catalog()
    assert not (tmp_path / "xdg").exists()
    raw = content_files()[0].read_bytes()
    assert cached_check(raw, raw.decode(), "x.yaml").filename == "x.yaml"


def test_cache_entries_are_private(cache: Path) -> None:
    load_catalog()
    assert cache.stat().st_mode & 0o777 == 0o700
    assert {p.stat().st_mode & 0o777 for p in cache.iterdir()} == {0o600}


@pytest.mark.parametrize(
    ("xdg", "home"),
    [
        (None, "/home/ada"),
        ("/var/tmp/xdg", "/home/ada"),
        ("", "/home/ada/"),
        ("rel", "/h"),
        (None, "relative"),
        (None, None),
    ],
)
def test_the_cache_and_data_folders_are_where_platformdirs_puts_them(
    monkeypatch: pytest.MonkeyPatch, xdg: str | None, home: str | None
) -> None:
    import platformdirs

    from screener.catalog import user_cache_root
    from screener.userdirs import user_path

    for name, value in (("XDG_CACHE_HOME", xdg), ("XDG_DATA_HOME", xdg), ("HOME", home)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert user_cache_root() == platformdirs.user_cache_path("screener", appauthor=False)
    assert user_path("data") == platformdirs.user_data_path("screener", appauthor=False)


def test_a_catalog_read_back_unpickles_only_what_is_read(cache: Path) -> None:
    """The cached catalog keeps each model pickled until it is read (``catalog.Lazy``):
    the same ids in the same order, the same models, and the rest left alone."""
    fresh = load_catalog()  # loaded, and stored
    again = load_catalog()  # read back
    assert isinstance(again.assessments, Lazy) and isinstance(again.modules, Lazy)
    assert list(again.assessments) == list(fresh.assessments)
    assert list(again.modules) == list(fresh.modules) and len(again.modules) > 1
    assert again.sources == fresh.sources and again.problems == []
    first = next(iter(fresh.modules))
    assert "no-such-module" not in again.modules and again.modules.get("no-such-module") is None
    with pytest.raises(KeyError):
        again.modules["no-such-module"]
    assert again.modules[first] == fresh.modules[first]
    assert again.modules[first] is again.modules[first]  # unpickled once
    assert set(again.modules._models) == {first}  # the others are still pickled
    assert dict(again.modules) == dict(fresh.modules)
    assert dict(again.assessments) == dict(fresh.assessments)
    assert isinstance(pickle.loads(pickle.dumps(again)).modules, Lazy)


def _bundled_and_test_catalogs() -> list[list[Path]]:
    return [[], [DATA / "bfi"], [DATA / "tiny"]]


@pytest.mark.parametrize("extra", _bundled_and_test_catalogs(), ids=["bundled", "bfi", "tiny"])
def test_the_views_say_what_the_models_say(cache: Path, extra: list[Path]) -> None:
    """Every assessment's and module's view (what ``show`` and ``report`` render, read
    back from the cache without pydantic) holds exactly what its model says, in order."""
    fresh = load_catalog(extra)  # loaded, and stored with its views
    again = load_catalog(extra)  # read back
    assert again.views is not None  # kept in the cache, not made again
    for views in (fresh.rendered(), again.rendered()):
        assert list(views.assessments) == list(fresh.assessments)
        assert list(views.modules) == list(fresh.modules)
        for key, model in fresh.assessments.items():
            view = views.assessments[key]
            assert (view.id, view.title, view.version) == (model.id, model.title, model.version)
            assert [(c.id, c.name, c.domain) for c in view.competencies] == [
                (c.id, c.name, c.domain) for c in model.competencies
            ]
            for comp in model.competencies:
                assert view.competency(comp.id).name == model.competency(comp.id).name
            with pytest.raises(KeyError):
                view.competency("no-such-competency")
        for key, module in fresh.modules.items():
            mview = views.modules[key]
            assert (mview.id, mview.title, mview.summary, mview.minutes) == (
                module.id,
                module.title,
                module.summary,
                module.minutes,
            )
            assert list(mview.lessons) == [lesson.id for lesson in module.lessons]
