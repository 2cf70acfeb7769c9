"""Where content comes from: the bundled folders plus any the user adds.

The installed wheel carries ``assessments/`` and ``modules/`` inside the package
as ``screener/_content``; a source checkout uses the folders at the top of the
repository. ``SCREENER_CONTENT`` (``os.pathsep``-separated) and ``--content-dir``
add folders; an id defined again in a later folder replaces the earlier one, so
a recruiter can customise a bundled assessment without forking the tool.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from screener.errors import ContentError, NotFoundError

if TYPE_CHECKING:  # imported when used: listing the content needs none of them
    from screener.content import Assessment, Module
    from screener.lint import Checked
    from screener.views import ContentViews
    from screener.yamlsource import Problem

_T = TypeVar("_T")

CONTENT_ENV = "SCREENER_CONTENT"
YAML_SUFFIXES = (".yaml", ".yml")
PROGRAMS_DIR = "programs"  # program files (screener.program), never assessments or modules


def bundled_root() -> Path:
    """The folder holding the bundled ``assessments/`` and ``modules/``."""
    package = Path(__file__).resolve().parent
    inside = package / "_content"
    return inside if inside.is_dir() else package.parent


def content_roots(extra: Sequence[Path] = ()) -> list[Path]:
    """Bundled content first, then ``SCREENER_CONTENT``, then ``--content-dir`` folders."""
    roots = [bundled_root()]
    env = os.environ.get(CONTENT_ENV, "")
    roots += [Path(p) for p in env.split(os.pathsep) if p]
    roots += list(extra)
    return roots


def yaml_files(path: Path, *, bundled_layout: bool = False) -> list[Path]:
    """The YAML files under a file or folder, sorted.

    The bundled root is read through its ``assessments/`` and ``modules/`` only,
    so a source checkout's tests and docs are never taken for content. In any
    other folder, files under a ``programs/`` folder are left out: they are
    program files (``screener.program``), checked and loaded there.
    """
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise NotFoundError(f"{path}: no such file or folder")
    subdirs = [path / "assessments", path / "modules"]
    if bundled_layout:
        found = [
            f for d in subdirs if d.is_dir() for f in d.rglob("*") if f.suffix in YAML_SUFFIXES
        ]
    else:
        found = [
            f
            for f in path.rglob("*")
            if f.suffix in YAML_SUFFIXES and PROGRAMS_DIR not in f.relative_to(path).parts[:-1]
        ]
    return sorted(f for f in found if f.is_file())


def check_file(path: Path) -> Checked:
    """Parse, validate and lint one content file (``lint.check_text``), through the
    parsed-content cache when the same bytes were checked before (``cached_check``)."""
    from screener.lint import check_text
    from screener.yamlsource import Problem

    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        checked = check_text("", str(path))
        checked.problems = [Problem(str(path), 1, 1, f"not UTF-8 text ({exc.reason})")]
        return checked
    except OSError as exc:
        checked = check_text("", str(path))
        checked.problems = [Problem(str(path), 1, 1, f"cannot read: {exc.strerror}")]
        return checked
    return cached_check(raw, text, str(path))


#: ``$SCREENER_CACHE``: where checked content is cached (default: the user cache dir);
#: ``off`` (or empty) turns the cache off.
CACHE_ENV = "SCREENER_CACHE"


def _cache_folder() -> Path | None:
    value = os.environ.get(CACHE_ENV)
    if value is not None:
        return None if value.strip() in ("", "off") else Path(value)
    return user_cache_root() / "content"


def user_cache_root() -> Path:
    """``platformdirs.user_cache_path("screener")`` (``userdirs``)."""
    from screener.userdirs import user_path

    return user_path("cache")


_CODE_STAMP: str | None = None


def _code_stamp() -> str:
    """What the checks depend on besides the file: this screener's code (every module's
    size and modification time) and Python's version. Editing a rule changes it."""
    global _CODE_STAMP
    if _CODE_STAMP is None:
        import hashlib

        package = Path(__file__).resolve().parent
        digest = hashlib.sha256(sys.version.encode())
        for module in sorted(package.glob("*.py")):
            found = module.stat()
            digest.update(f"{module.name}\0{found.st_size}\0{found.st_mtime_ns}\0".encode())
        _CODE_STAMP = digest.hexdigest()
    return _CODE_STAMP


def cached_check(raw: bytes, text: str, filename: str) -> Checked:
    """``check_text(text, filename)``, kept in the user cache dir under the SHA-256 of
    the file's bytes, its name and ``_code_stamp``: a file checked before (the bundled
    content, on every command) is read back instead of parsed, validated and linted
    again. Same model, same located problems and warnings: the result is the one
    ``check_text`` gave. An unreadable cache entry is ignored and rewritten."""
    from screener.lint import Checked, check_text

    return cached(raw, filename, Checked, lambda: check_text(text, filename))


def cached(raw: bytes, filename: str, kind: type[_T], check: Callable[[], _T]) -> _T:
    """``check()``'s result for the file ``filename`` holding ``raw``, kept in the content
    cache (``cached_check``) under the SHA-256 of ``_code_stamp``, the name of ``kind``
    (the record a check gives: ``Checked``, a program's ``CheckedProgram``), the
    file's name and its bytes; a result of another type or file is checked again."""
    found = cache_peek(raw, filename, kind)
    if found is not None:
        return found
    checked = check()
    cache_put(raw, filename, checked)
    return checked


def _cache_entry(raw: bytes, filename: str, kind: type[Any]) -> Path | None:
    import hashlib

    folder = _cache_folder()
    if folder is None:
        return None
    stamp = _code_stamp() if kind.__name__ == "Checked" else f"{_code_stamp()}\0{kind.__name__}"
    key = hashlib.sha256(b"\0".join((stamp.encode(), filename.encode(), raw)))
    return folder / f"{key.hexdigest()}.pickle"


def cache_peek(raw: bytes, filename: str, kind: type[_T]) -> _T | None:
    """What ``cached`` keeps for this file and ``kind``, or None when nothing is kept."""
    import pickle

    entry = _cache_entry(raw, filename, kind)
    if entry is None:
        return None
    try:
        with entry.open("rb") as handle:
            found = pickle.load(handle)
        if isinstance(found, kind) and getattr(found, "filename", None) == filename:
            return found
    except Exception:  # missing, partial or from another version: check again
        pass
    return None


def cache_put(raw: bytes, filename: str, value: object) -> None:
    """Keep ``value`` (a record with ``filename``) for this file, under its type's name."""
    import pickle

    entry = _cache_entry(raw, filename, type(value))
    if entry is not None:
        _store(entry, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


# -- program files: which assessment each gates, without the program models ----------------


def program_dirs(extra: Sequence[Path] = ()) -> list[Path]:
    """The ``programs/`` folder of every content root, bundled first."""
    return [root / PROGRAMS_DIR for root in content_roots(extra)]


def program_files(extra: Sequence[Path] = ()) -> list[Path]:
    """Every program file in use: the bundled ones, then each added content root's."""
    return [f for folder in program_dirs(extra) for f in program_yaml_under(folder)]


def program_yaml_under(folder: Path) -> list[Path]:
    """The program files in one ``programs/`` folder (and below), sorted."""
    if not folder.is_dir():
        return []
    return sorted(f for f in folder.rglob("*") if f.suffix in YAML_SUFFIXES and f.is_file())


@dataclass(frozen=True)
class ProgramGate:
    """A program file that checked clean: its id and the assessment it gates (kept in the
    content cache beside its full check by ``screener.program.check_program_file``)."""

    filename: str
    id: str
    gate: str


def program_gates(files: Sequence[Path]) -> list[ProgramGate] | None:
    """The id and gate of each program file, from the content cache; None when a file
    has none kept (never checked as it is now, or with problems): then check the files
    (``screener.program``). A screening of an assessment no program gates learns it
    here without loading the program models (pydantic)."""
    found: list[ProgramGate] = []
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        gate = cache_peek(raw, str(path), ProgramGate)
        if gate is None:
            return None
        found.append(gate)
    return found


def _store(entry: Path, payload: bytes) -> None:
    """Write a cache entry whole (temp file + rename, 0600, folder 0700); failures are
    ignored: the cache only saves time."""
    import contextlib
    import tempfile

    with contextlib.suppress(OSError):
        entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".entry.", suffix=".tmp", dir=entry.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.replace(tmp, entry)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


class Lazy(Mapping[str, _T]):
    """A read-only mapping of content models, each kept pickled until it is first read.

    The content cache keeps a catalog's assessments and modules this way
    (``load_catalog``): reading the catalog back unpickles only the models a command
    looks up, so ``show`` and ``report`` import the content models (pydantic, about
    a third of their start-up) only when they render content, and never for the
    modules and assessments they do not name.
    """

    __slots__ = ("_blobs", "_models")

    def __init__(self, models: Mapping[str, _T]) -> None:
        import pickle

        self._blobs = {
            key: pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
            for key, model in models.items()
        }
        self._models: dict[str, _T] = dict(models)

    @classmethod
    def _unpickled(cls, blobs: dict[str, bytes]) -> Lazy[_T]:
        lazy: Lazy[_T] = cls.__new__(cls)
        lazy._blobs = blobs
        lazy._models = {}
        return lazy

    def __reduce__(self) -> tuple[Any, ...]:
        return (Lazy._unpickled, (self._blobs,))

    def __getitem__(self, key: str) -> _T:
        try:
            return self._models[key]
        except KeyError:
            pass
        import pickle

        model: _T = pickle.loads(self._blobs[key])  # KeyError: not in the catalog
        self._models[key] = model
        return model

    def __contains__(self, key: object) -> bool:
        return key in self._blobs

    def __iter__(self) -> Iterator[str]:
        return iter(self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)

    def __repr__(self) -> str:
        return f"Lazy({sorted(self._blobs)})"


@dataclass
class Catalog:
    """Every assessment and module found, by id, with the file each came from.

    Read back from the content cache, ``assessments`` and ``modules`` are ``Lazy``,
    and ``views`` holds their plain views (``screener.views``), made when the cache
    was written.
    """

    assessments: Mapping[str, Assessment] = field(default_factory=dict)
    modules: Mapping[str, Module] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    views: ContentViews | None = field(default=None, repr=False, compare=False)

    def rendered(self) -> ContentViews:
        """The assessments and modules as rendering reads them (``show``, ``report``):
        their views, which read back from the cache without the content models (so
        without pydantic); made from the models when the catalog was not cached."""
        if self.views is None:
            from screener.views import content_views

            self.views = content_views(self.assessments, self.modules)
        return self.views

    def assessment(self, name: str) -> Assessment:
        """An assessment by id, or by the path of a YAML file (its modules checked
        against ``modules/`` beside it and this catalog's)."""
        if name in self.assessments:
            return self.assessments[name]
        path = Path(name)
        if is_assessment_file(path):
            return assessment_file(path, lambda: self.modules)
        known = ", ".join(sorted(self.assessments)) or "none"
        raise NotFoundError(f"no assessment '{name}' (known: {known})")

    def default_assessment(self) -> Assessment:
        if len(self.assessments) == 1:
            return next(iter(self.assessments.values()))
        known = ", ".join(sorted(self.assessments)) or "none"
        raise NotFoundError(f"name an assessment (known: {known})")

    def module(self, module_id: str) -> Module:
        try:
            return self.modules[module_id]
        except KeyError:
            raise NotFoundError(f"no coaching module '{module_id}'") from None


def is_assessment_file(path: Path) -> bool:
    """Whether an ASSESSMENT argument names a YAML file rather than an id."""
    return path.suffix in YAML_SUFFIXES and path.is_file()


def assessment_file(path: Path, known_modules: Callable[[], Mapping[str, Module]]) -> Assessment:
    """The assessment in a YAML file, its module references checked.

    The modules it names are looked up in a ``modules/`` folder beside it first;
    only when some are not there is ``known_modules`` called (loading the content
    in use costs a few tenths of a second).
    """
    from screener.content import Assessment, Module
    from screener.lint import check_references

    checked = check_file(path)
    if checked.problems or not isinstance(checked.model, Assessment):
        raise ContentError([str(p) for p in checked.problems] or [f"{path}: not an assessment"])
    model = checked.model
    wanted = {m for c in model.competencies for m in c.modules}
    modules: dict[str, Module] = {}
    beside = path.parent / "modules"
    if wanted and beside.is_dir():
        for file in yaml_files(beside):
            module = check_file(file)
            if isinstance(module.model, Module) and not module.problems:
                modules[module.model.id] = module.model
    if not wanted <= modules.keys():
        modules = {**known_modules(), **modules}
    problems = check_references([checked], modules)
    if problems:
        raise ContentError([str(p) for p in problems])
    return model


def load_assessment(ref: str, extra: Sequence[Path] = ()) -> Assessment:
    """An assessment by id, or by the path of a YAML file: what every ASSESSMENT
    argument and ``--assessment`` option means.

    A file whose modules are all beside it is read without loading the rest of
    the content; an id loads the content in use (``load_catalog``).
    """
    path = Path(ref)
    if is_assessment_file(path):
        return assessment_file(path, lambda: load_catalog(extra).modules)
    return load_catalog(extra).assessment(ref)


def content_files(extra: Sequence[Path] = ()) -> list[Path]:
    """Every content file in use: bundled, then ``SCREENER_CONTENT``, then ``--content-dir``."""
    roots = content_roots(extra)
    return [f for n, root in enumerate(roots) for f in yaml_files(root, bundled_layout=n == 0)]


def check_paths(
    paths: Iterable[Path], known: Catalog | None = None
) -> tuple[list[Checked], list[Problem]]:
    """Check files as one set, resolving module ids against them and ``known``."""
    from screener.lint import check_references

    checked = [check_file(f) for p in paths for f in yaml_files(p)]
    problems = [problem for c in checked for problem in c.problems]
    modules = dict(known.modules) if known else {}
    problems += check_references(checked, modules)
    return checked, problems


def load_catalog(extra: Sequence[Path] = ()) -> Catalog:
    """Load every content root; a root with faults makes the catalog refuse to load.

    A catalog that loaded is kept in the content cache (``CACHE_ENV``) as its models
    and their views (``Catalog.rendered``) alone, under ``_content_entry``: loading
    it again reads the content files (for their hash) and one small pickle, not each
    file's check with its marks.
    """
    import pickle

    entry = _content_entry("catalog", extra)
    if entry is not None:
        try:
            with entry.open("rb") as handle:
                found = pickle.load(handle)
            if isinstance(found, Catalog) and not found.problems:
                return found
        except Exception:  # missing, partial or from another version: load again
            pass
    catalog = _load_catalog(extra)
    if entry is not None:
        kept = replace(
            catalog,
            assessments=Lazy(catalog.assessments),
            modules=Lazy(catalog.modules),
            views=catalog.rendered(),
        )
        _store(entry, pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL))
    return catalog


def _load_catalog(extra: Sequence[Path]) -> Catalog:
    from screener.content import Assessment, Module
    from screener.lint import check_references

    assessments: dict[str, Assessment] = {}
    modules: dict[str, Module] = {}
    catalog = Catalog(assessments, modules)
    for n, root in enumerate(content_roots(extra)):
        checked = [check_file(f) for f in yaml_files(root, bundled_layout=n == 0)]
        for c in checked:
            catalog.problems += c.problems
            if isinstance(c.model, Assessment):
                assessments[c.model.id] = c.model
                catalog.sources[c.model.id] = Path(c.filename)
            elif isinstance(c.model, Module):
                modules[c.model.id] = c.model
                catalog.sources[f"module:{c.model.id}"] = Path(c.filename)
        catalog.problems += check_references(checked, modules)
    if catalog.problems:
        raise ContentError([str(p) for p in catalog.problems])
    return catalog


def _content_entry(kind: str, extra: Sequence[Path]) -> Path | None:
    """Where the content cache keeps ``kind`` ("catalog", a listing) of the content in
    use: under the SHA-256 of ``kind``, screener's code and every content root with
    every file in it (its name and bytes). None when the cache is off, or a root or
    file cannot be read (loading says what is wrong)."""
    import hashlib

    from screener.errors import ScreenerError

    folder = _cache_folder()
    if folder is None:
        return None
    try:
        digest = hashlib.sha256(f"{kind}\0{_code_stamp()}\0".encode())
        for n, root in enumerate(content_roots(extra)):
            digest.update(f"root\0{root}\0".encode())
            for file in yaml_files(root, bundled_layout=n == 0):
                raw = file.read_bytes()
                digest.update(f"{file}\0{len(raw)}\0".encode())
                digest.update(raw)
    except (OSError, ScreenerError):
        return None
    return folder / f"{digest.hexdigest()}.{kind.split(':')[0]}"


def listing(kind: str, extra: Sequence[Path] = ()) -> list[dict[str, object]]:
    """What ``screener assessments`` (``kind`` "assessments") or ``screener modules``
    ("modules") lists: one row of plain values per assessment or module in use.

    Kept in the content cache (``_content_entry``), so listing again reads the
    content files but neither parses them nor builds a content model (nor imports
    pydantic). Content with problems is never kept: ``load_catalog`` raises as it
    always does.
    """
    import pickle

    entry = _content_entry(f"listing:{kind}", extra)
    if entry is None:
        return _rows(load_catalog(extra), kind)
    try:
        with entry.open("rb") as handle:
            found = pickle.load(handle)
        if isinstance(found, list) and all(isinstance(row, dict) for row in found):
            return found
    except Exception:  # missing, partial or from another version: list again
        pass
    rows = _rows(load_catalog(extra), kind)
    _store(entry, pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))
    return rows


def _rows(catalog: Catalog, kind: str) -> list[dict[str, object]]:
    if kind == "assessments":
        return [
            {
                "id": a.id,
                "title": a.title,
                "version": a.version,
                "forms": a.form_names(),
                "competencies": len(a.competencies),
                "items": len(a.items),
                "source": str(catalog.sources[a.id]),
            }
            for a in catalog.assessments.values()
        ]
    return [
        {"id": m.id, "title": m.title, "minutes": m.minutes, "competencies": list(m.competencies)}
        for m in catalog.modules.values()
    ]
