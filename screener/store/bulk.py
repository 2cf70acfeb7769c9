"""The column-wise bulk path of the store: a whole scored batch packed into documents.

``Store.save_scored_batch`` takes a ``ScoredBatch`` (one layout, scores as numpy
arrays, answers dictionary-encoded per column, as ``vectorscore.scored_batch``
makes them) and stores it in one write. This module turns the batch into the
documents' packed fields column by column — answers, scores, status letters,
intervals, follow-up answers of every row serialised by a few orjson calls —
instead of from a ``Scorecard`` per row, which cost more than the write itself
at 100k rows. The documents are byte for byte those ``save_attempts`` writes
for the same rows (``tests/test_store.py`` checks it), so reading is the same.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from screener.errors import RecordError
from screener.forked import Forked, Shared, spare_core
from screener.store.records import (
    NAME_MAX,
    STATUS_CODE,
    Layout,
    all_valid_candidate_ids,
    check_candidate_id,
    clean_name,
    shown,
)

if TYPE_CHECKING:  # numpy is imported when a batch is stored: `import screener.store` stays cheap
    import numpy as np
    import numpy.typing as npt

    from screener.scoring import Answer

When = datetime | str | None
Doc = dict[str, Any]

_SENTINEL = -987654321987654321  # stands for null in an integer answer matrix
_INT_LIMIT = 10**15  # integer answers below this never contain the sentinel's digits


@dataclass(frozen=True)
class ScoredBatch:
    """Scored attempts of one layout, column-wise: what ``Store.save_scored_batch`` takes.

    Row ``i`` is candidate ``candidates[i]`` (created with ``names[i]``, or the
    id as the name, and ``contacts[i]``, when new: a person's first row with a
    contact gives theirs). ``answers`` has one dictionary-encoded column
    per layout item: ``(codes, values)`` where ``codes`` holds an integer per
    row (a numpy array or list) and ``values[code]`` is the normalised answer
    (None = unanswered). ``scores`` (n x competencies, NaN = not scored),
    ``status`` (n x competencies, indexes into ``statuses``), ``outcome`` (n,
    indexes into ``outcomes``) and ``overall`` (n, NaN = none) are numpy arrays
    in the layout's competency order, as ``vectorscore.score_points`` gives them.

    Submission keys: ``keys`` gives one per row (None = no key); else, with
    ``key_scope``, each row's key is ``<key_scope>:`` and 32 hex digits of a
    BLAKE2b hash of the layout's assessment, version and form, the candidate id
    and the row's answers as stored, so the same answers of the same person to
    the same form are stored once however often the file is imported.
    """

    layout: Layout
    candidates: Sequence[str]
    answers: Sequence[tuple[Any, Sequence[Answer]]]
    scores: npt.NDArray[np.float64]
    status: npt.NDArray[np.integer[Any]]
    outcome: npt.NDArray[np.integer[Any]]
    overall: npt.NDArray[np.float64]
    reserve_answers: Sequence[tuple[Any, Sequence[Answer]]] | None = None
    low: npt.NDArray[np.float64] | None = None
    high: npt.NDArray[np.float64] | None = None
    near: npt.NDArray[np.bool_] | None = None
    names: Sequence[str | None] | None = None
    contacts: Sequence[str | None] | None = None
    keys: Sequence[str | None] | None = None
    key_scope: str | None = None
    submitted: When = None
    statuses: tuple[str, ...] = ("meets", "below", "incomplete", "borderline")
    outcomes: tuple[str, ...] = ("pass", "coaching", "incomplete")
    #: these rows' answers and keys being packed already (``AnswersAhead``), or None
    ahead: AnswersAhead | None = field(default=None, compare=False, repr=False)

    def check(self) -> int:
        """The number of rows; ``ValueError`` when the parts do not fit the layout or each other."""
        import numpy as np

        n = len(self.candidates)
        width = len(self.layout.competencies)
        problems = []
        if len(self.answers) != len(self.layout.items):
            problems.append(
                f"{len(self.answers)} answer columns for {len(self.layout.items)} items"
            )
        if any(len(codes) != n for codes, _ in self.answers):
            problems.append("an answer column's length differs from the number of rows")
        for name, array, shape in (
            ("scores", self.scores, (n, width)),
            ("status", self.status, (n, width)),
            ("outcome", self.outcome, (n,)),
            ("overall", self.overall, (n,)),
        ):
            if tuple(array.shape) != shape:
                problems.append(f"{name} has shape {tuple(array.shape)}, not {shape}")
        reserve = self.reserve_answers
        if reserve is not None:
            if len(reserve) != len(self.layout.reserve):
                problems.append(
                    f"{len(reserve)} reserve answer columns for "
                    f"{len(self.layout.reserve)} reserve items"
                )
            if any(len(codes) != n for codes, _ in reserve):
                problems.append("a reserve answer column's length differs from the number of rows")
        elif self.layout.reserve:
            problems.append(
                "the layout has reserve items: give reserve_answers (all None if unasked)"
            )
        if (self.low is None) != (self.high is None):
            problems.append("give both low and high, or neither")
        for label, extra in (("low", self.low), ("high", self.high), ("near", self.near)):
            if extra is not None and tuple(extra.shape) != (n, width):
                problems.append(f"{label} has shape {tuple(extra.shape)}, not {(n, width)}")
        if (
            "borderline" in self.statuses
            and self.low is None
            and (np.asarray(self.status) == self.statuses.index("borderline")).any()
        ):
            problems.append("borderline statuses without intervals (low, high)")
        for name, seq in (("names", self.names), ("contacts", self.contacts), ("keys", self.keys)):
            if seq is not None and len(seq) != n:
                problems.append(f"{len(seq)} {name} for {n} rows")
        if any(s not in STATUS_CODE for s in self.statuses):
            problems.append(f"unknown statuses {self.statuses}")
        if problems:
            raise ValueError("scored batch does not fit: " + "; ".join(problems))
        if not all_valid_candidate_ids(self.candidates):
            for cid in dict.fromkeys(self.candidates):
                check_candidate_id(cid)
        if self.names is not None and not _all_valid_names(self.names):
            for cid, given in zip(self.candidates, self.names, strict=True):
                if given and given.strip():
                    try:
                        clean_name(given)
                    except RecordError as exc:
                        raise RecordError(f"candidate {shown(cid)}: {exc}") from None
        return n

    def key_list(self, answers: Sequence[str], *, fork: bool = True) -> Sequence[str | None]:
        """Each row's submission key; ``answers`` are the rows' stored answers (with
        ``"\0"`` and the follow-up answers appended when there are any). ``fork``
        False: never half in a child (``pack_batch`` forked already)."""
        if self.keys is not None:
            return self.keys
        if self.key_scope is None:
            return [None] * len(self.candidates)
        layout = self.layout
        head = _key_head(layout)
        scope = self.key_scope + ":"
        cands = self.candidates
        if len(cands) != len(answers):
            raise ValueError(f"{len(answers)} answer texts for {len(cands)} rows")
        half = len(cands) // 2
        if not fork or half < _FORK_KEYS or not hasattr(os, "fork") or not spare_core():
            return _scoped_keys(scope, head, cands, answers)
        # BLAKE2b of 100k rows is ~0.15 s of the interpreter's time: a forked child
        # hashes the second half on the other core
        theirs = Forked(lambda: _scoped_keys(scope, head, cands[half:], answers[half:]))
        mine = _scoped_keys(scope, head, cands[:half], answers[:half])
        rest = theirs.result()
        if type(rest) is not list or len(rest) != len(cands) - half:  # it failed: do it here
            rest = _scoped_keys(scope, head, cands[half:], answers[half:])
        return mine + rest

    def rows(self, start: int, stop: int) -> ScoredBatch:
        """Rows ``start:stop`` as a batch of their own (a part packed on its own: each
        row's packed fields and key depend on that row alone)."""
        from dataclasses import replace

        def cut(column: Any) -> Any:
            return None if column is None else column[start:stop]

        def columns(
            cols: Sequence[tuple[Any, Sequence[Answer]]] | None,
        ) -> list[tuple[Any, Sequence[Answer]]] | None:
            return None if cols is None else [(codes[start:stop], values) for codes, values in cols]

        return replace(
            self,
            candidates=self.candidates[start:stop],
            answers=columns(self.answers) or [],
            scores=self.scores[start:stop],
            status=self.status[start:stop],
            outcome=self.outcome[start:stop],
            overall=self.overall[start:stop],
            reserve_answers=columns(self.reserve_answers),
            low=cut(self.low),
            high=cut(self.high),
            near=cut(self.near),
            names=cut(self.names),
            contacts=cut(self.contacts),
            keys=cut(self.keys),
            ahead=None,
        )


#: Rows per process above which ``ScoredBatch.key_list`` hashes in two processes.
_FORK_KEYS = 20_000

#: Answer texts (stored answers, follow-up answers) and keys of a batch's rows.
AnswerTexts = tuple[list[str], list[str | None], Sequence[str | None]]


class AnswersAhead:
    """A batch's stored answers, follow-up answers and submission keys, packed by a
    forked child while this process scores the rows (``vectorscore.batch_rows``):
    they do not depend on the scores, and they are most of a batch's packing (the
    keys' hashes above all). ``pack_batch`` takes them for the ``ScoredBatch`` made of
    exactly these parts (the same objects). The rows are packed in ``_ANSWER_PARTS``
    parts (``forked.Shared``): those the child has not started when they are asked
    for are packed here, as are a failed child's."""

    def __init__(
        self,
        layout: Layout,
        candidates: Sequence[str],
        answers: Sequence[tuple[Any, Sequence[Answer]]],
        reserve_answers: Sequence[tuple[Any, Sequence[Answer]]] | None,
        key_scope: str | None,
    ) -> None:
        from functools import partial
        from itertools import pairwise

        self.layout = layout
        self.candidates = candidates
        self.answers = answers
        self.reserve_answers = reserve_answers
        self.key_scope = key_scope
        self._texts: AnswerTexts | None = None
        n = len(candidates)
        cuts = [n * k // _ANSWER_PARTS for k in range(_ANSWER_PARTS + 1)]
        self._spans = list(pairwise(cuts))
        wired = [partial(self._wired, start, stop) for start, stop in self._spans]
        self._work: Shared | None = Shared(wired)

    def _pack(self, start: int, stop: int) -> AnswerTexts:
        """Rows ``start:stop``'s stored answers, follow-up answers and keys."""
        n = stop - start
        answers = _answer_texts(
            self.layout, [(codes[start:stop], values) for codes, values in self.answers], n
        )
        reserve = self.reserve_answers
        extra = _extra_texts(
            None if reserve is None else [(c[start:stop], v) for c, v in reserve], n
        )
        keyed = [a if e is None else f"{a}\0{e}" for a, e in zip(answers, extra, strict=True)]
        scope = self.key_scope
        cands = self.candidates[start:stop]
        keys = [None] * n if scope is None else _layout_keys(self.layout, scope, cands, keyed)
        return answers, extra, keys

    def _wired(self, start: int, stop: int) -> tuple[Any, ...]:
        """(In the child.) ``_pack``'s texts as ``_answers_wire`` sends them."""
        return _answers_wire(self._pack(start, stop))

    def fits(self, batch: ScoredBatch) -> bool:
        """Whether ``batch`` is made of the rows and answers these texts were packed from."""
        return (
            batch.keys is None
            and batch.candidates is self.candidates
            and batch.answers is self.answers
            and batch.reserve_answers is self.reserve_answers
            and batch.key_scope == self.key_scope
            and batch.layout == self.layout
        )

    def texts(self) -> AnswerTexts:
        """Every row's texts (the parts the child has not packed are packed here; kept
        for a second save of the batch)."""
        from functools import partial

        work, self._work = self._work, None
        if work is not None:

            def unwired(index: int, wire: Any) -> AnswerTexts | None:
                start, stop = self._spans[index]
                return _answers_from_wire(wire, stop - start)

            parts = work.results(
                [partial(self._pack, start, stop) for start, stop in self._spans], unwired
            )
            answers: list[str] = []
            extra: list[str | None] = []
            keys: list[str | None] = []
            for part_answers, part_extra, part_keys in parts:
                answers += part_answers
                extra += part_extra
                keys += part_keys
            self._texts = answers, extra, keys
        assert self._texts is not None
        return self._texts

    def stop(self) -> None:
        """Stop the child when its texts are not wanted (the batch is not stored)."""
        work, self._work = self._work, None
        if work is not None:
            work.stop()


#: The parts ``AnswersAhead`` packs a batch's answers in: fewer parts leave this
#: process waiting for the child's last one when its core is the slower of the two.
_ANSWER_PARTS = 8


def answers_ahead(
    layout: Layout,
    candidates: Sequence[str],
    answers: Sequence[tuple[Any, Sequence[Answer]]],
    reserve_answers: Sequence[tuple[Any, Sequence[Answer]]] | None,
    key_scope: str | None,
) -> AnswersAhead | None:
    """Start packing a big batch's answers and keys in a forked child (``AnswersAhead``);
    None when it is not worth a process (a small batch, no idle core)."""
    if len(candidates) < _FORK_PACK or not hasattr(os, "fork") or not spare_core():
        return None
    return AnswersAhead(layout, candidates, answers, reserve_answers, key_scope)


def _answers_wire(texts: AnswerTexts) -> tuple[Any, ...]:
    """``_answer_parts``' texts as a few long texts (see ``_to_wire``)."""
    answers, extra, keys = texts
    return ("\n".join(answers), _joined(extra), _joined_keys(keys))


def _answers_from_wire(wire: Any, n: int) -> AnswerTexts | None:
    """``_answers_wire``'s texts of ``n`` rows back (None: not those of ``n`` rows)."""
    if type(wire) is not tuple or len(wire) != 3 or n == 0:
        return None
    answers, extra, keys = wire[0].split("\n"), _unjoined(wire[1], n), _unjoined_keys(wire[2], n)
    if any(len(column) != n for column in (answers, extra, keys)):
        return None
    return answers, extra, keys


def _key_head(layout: Layout) -> str:
    """What each key of ``layout``'s rows hashes first: its assessment, version, form."""
    return f"{layout.assessment}\0{layout.version}\0{layout.form}\0"


def _layout_keys(
    layout: Layout, key_scope: str, candidates: Sequence[str], answers: Sequence[str]
) -> list[str | None]:
    """``ScoredBatch.key_list``'s scoped keys, in this process."""
    return _scoped_keys(key_scope + ":", _key_head(layout), candidates, answers)


def _scoped_keys(
    scope: str, head: str, candidates: Sequence[str], answers: Sequence[str]
) -> list[str | None]:
    # the hash of ``head`` then each row's text, from a copy of the state after ``head``
    # (a copy is cheaper than hashing the head again: ~25% of the keys' time)
    start = hashlib.blake2b(head.encode(), digest_size=16)
    out: list[str | None] = []
    for cid, text in zip(candidates, answers, strict=True):
        digest = start.copy()
        digest.update(f"{cid}\0{text}".encode())
        out.append(scope + digest.hexdigest())
    return out


def _all_valid_names(names: Sequence[str | None]) -> bool:
    """True when every name is short and printable, so ``clean_name`` cannot refuse it
    (checked in C; a name with tabs or format characters goes to the slow path)."""
    given = [name for name in names if name]
    if not given:
        return True
    return "".join(given).isprintable() and max(map(len, given)) <= NAME_MAX


def _split_rows(text: str, n: int) -> list[str]:
    """orjson's ``[[..],[..]]`` of a matrix without nested lists -> each row's ``[..]``."""
    if n == 0:
        return []
    # each row keeps its brackets: one C pass to mark the cuts, one to cut (a row's
    # text holds numbers and nulls only, never a newline)
    rows = text[1:-1].replace("],[", "]\n[").split("\n")
    if len(rows) != n:  # pragma: no cover - n rows give n texts ("[]" each without columns)
        raise ValueError(f"{len(rows)} row texts for {n} rows")
    return rows


def _row_texts(matrix: npt.NDArray[np.float64], n: int) -> list[str]:
    """Each row of a float matrix as JSON text (NaN -> null), exactly as ``pack`` writes it."""
    import numpy as np

    if n == 0 or matrix.shape[1] == 0:
        return ["[]"] * n
    data = np.ascontiguousarray(matrix, dtype=np.float64)
    return _split_rows(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY).decode(), n)


def _code_texts(batch: ScoredBatch, n: int) -> list[str]:
    """Each row's status letters (``"mmbmi"``), from the status matrix in one pass."""
    import numpy as np

    width = len(batch.layout.competencies)
    if n == 0 or width == 0:
        return [""] * n
    letters = np.frombuffer("".join(STATUS_CODE[s] for s in batch.statuses).encode(), np.uint8)
    return _letter_rows(letters[np.asarray(batch.status, dtype=np.intp)])


def _letter_rows(grid: npt.NDArray[np.uint8]) -> list[str]:
    """Each row of a matrix of ASCII letters as a text: a newline put after each row
    and the whole cut by one split (slicing a long text row by row costs twice as much)."""
    import numpy as np

    n, width = grid.shape
    lines = np.empty((n, width + 1), dtype=np.uint8)
    lines[:, :width] = grid
    lines[:, width] = ord("\n")
    return lines.tobytes()[:-1].decode("ascii").split("\n")


def _answer_texts(
    layout: Layout, columns: Sequence[tuple[Any, Sequence[Answer]]], n: int
) -> list[str]:
    """Each row's answers as stored (``Layout.encode_answers`` then ``pack``), column-wise.

    Each distinct answer of a column is encoded once. When every encoded
    answer is a (small) integer or null — option positions, Likert levels —
    the rows are one integer matrix serialised by a single orjson call, with a
    sentinel for null; otherwise the per-column JSON tokens are joined per row.
    """
    import numpy as np

    if n == 0:
        return []
    if not columns:
        return ["[]"] * n
    encoded: list[list[Any]] = []
    for (_, values), index in zip(columns, layout.option_index, strict=True):
        out: list[Any] = []
        for value in values:
            if index is None or value is None:
                out.append(value)
            else:
                position = index.get(value) if isinstance(value, str) else None
                out.append([value] if position is None else position)
        encoded.append(out)
    small_ints = all(
        v is None or (type(v) is int and abs(v) < _INT_LIMIT) for col in encoded for v in col
    )
    if small_ints:
        matrix = np.empty((n, len(columns)), dtype=np.int64)
        for j, ((codes, _), values) in enumerate(zip(columns, encoded, strict=True)):
            lut = np.array([_SENTINEL if v is None else v for v in values] or [0], dtype=np.int64)
            matrix[:, j] = lut[np.asarray(codes, dtype=np.intp)]
        text = orjson.dumps(matrix, option=orjson.OPT_SERIALIZE_NUMPY).decode()
        return _split_rows(text.replace(str(_SENTINEL), "null"), n)
    tokens: list[list[str]] = []
    for (codes, _), values in zip(columns, encoded, strict=True):
        table = [orjson.dumps(v).decode() for v in values]
        tokens.append(list(map(table.__getitem__, np.asarray(codes).tolist())))
    return [f"[{row}]" for row in map(",".join, zip(*tokens, strict=True))]


def _extra_texts(
    columns: Sequence[tuple[Any, Sequence[Answer]]] | None, n: int
) -> list[str | None]:
    """Each row's follow-up answers as stored (``records.extra_field``): ``[[reserve
    position, answer], ...]`` in reserve order (``columns``: the batch's reserve
    answers), None for a row that answered none."""
    import numpy as np

    out: list[str | None] = [None] * n
    if not columns or n == 0:
        return out
    entries: list[list[list[Any]] | None] = [None] * n
    for position, (codes, values) in enumerate(columns):
        present = [code for code, value in enumerate(values) if value is not None]
        if not present:
            continue
        codes_array = np.asarray(codes, dtype=np.intp)
        for row in np.flatnonzero(np.isin(codes_array, present)).tolist():
            found = entries[row]
            if found is None:
                found = entries[row] = []
            found.append([position, values[int(codes_array[row])]])
    for row, found in enumerate(entries):
        if found is not None:
            out[row] = orjson.dumps(found).decode()
    return out


def _interval_texts(batch: ScoredBatch, n: int) -> list[str | None]:
    """Each row's intervals as stored (flat ``[low, high, ...]``, null where none), None
    for a row with no interval at all."""
    import numpy as np

    if batch.low is None or batch.high is None or n == 0:
        return [None] * n
    width = len(batch.layout.competencies)
    flat = np.empty((n, 2 * width))
    flat[:, 0::2] = batch.low
    flat[:, 1::2] = batch.high
    texts: list[str | None] = list(_row_texts(flat, n))
    for row in np.flatnonzero(np.isnan(batch.low).all(axis=1)).tolist():
        texts[row] = None
    return texts


def _near_texts(batch: ScoredBatch, n: int) -> list[str | None]:
    """Each row's near-cut letters (``"0010"``), None for a row with none near its cut."""
    import numpy as np

    if batch.near is None or n == 0 or not batch.near.any():
        return [None] * n
    letters = np.frombuffer(b"01", np.uint8)[np.asarray(batch.near, dtype=np.intp)]
    near_rows: list[bool] = np.asarray(batch.near, dtype=bool).any(axis=1).tolist()  # type: ignore[assignment]
    return [
        text if near else None for text, near in zip(_letter_rows(letters), near_rows, strict=True)
    ]


@dataclass(frozen=True)
class PackedBatch:
    """Every row's packed document fields (None: the field is left out of that document)."""

    answers: list[str]
    extra: list[str | None]
    scores: list[str]
    codes: list[str]
    intervals: list[str | None]
    near: list[str | None]
    outcomes: list[str]
    overall: list[float]
    keys: Sequence[str | None]

    def slice(self, start: int, stop: int) -> PackedBatch:
        """Rows ``start:stop`` (a segment's consecutive rows: slices, not a list per row)."""
        return PackedBatch(
            answers=self.answers[start:stop],
            extra=self.extra[start:stop],
            scores=self.scores[start:stop],
            codes=self.codes[start:stop],
            intervals=self.intervals[start:stop],
            near=self.near[start:stop],
            outcomes=self.outcomes[start:stop],
            overall=self.overall[start:stop],
            keys=self.keys[start:stop],
        )


@dataclass(frozen=True)
class PartlyPacked:
    """A batch whose answers and keys are packed (``AnswersAhead``) and whose other
    fields are packed part by part (``slice``) where its documents are made: a big
    batch's segments are made by the two processes writing them
    (``archive.SegmentWriting``), so the scores' texts are packed on both cores."""

    batch: ScoredBatch
    texts: AnswerTexts

    @property
    def keys(self) -> Sequence[str | None]:
        return self.texts[2]

    def slice(self, start: int, stop: int) -> PackedBatch:
        """Rows ``start:stop`` packed."""
        answers, extra, keys = self.texts
        texts = (answers[start:stop], extra[start:stop], keys[start:stop])
        return _pack_rows(self.batch.rows(start, stop), stop - start, fork_keys=False, texts=texts)


def pack_keys_first(batch: ScoredBatch, n: int) -> PackedBatch | PartlyPacked:
    """``pack_batch``'s fields, or, when a child packed the answers and keys already
    (``AnswersAhead``), those with the rest left to be packed part by part."""
    ahead = batch.ahead
    if ahead is not None and ahead.fits(batch):
        texts = ahead.texts()
        if len(texts[0]) == n:
            return PartlyPacked(batch, texts)
    return pack_batch(batch, n)


def pack_batch(batch: ScoredBatch, n: int) -> PackedBatch:
    """Serialise every row's fields, column by column (no lock held).

    A big batch (``_FORK_PACK`` rows or more) is packed by two processes when a
    core is idle (``spare_core``): a forked child packs the second half of the
    rows (and hashes their keys) while this process packs the first, and sends
    its columns back pickled. Each row's fields depend on that row alone, so the
    halves joined are what one process makes; a child that fails is made up for
    here.
    """
    ahead = batch.ahead
    if ahead is not None and ahead.fits(batch):
        texts = ahead.texts()
        if len(texts[0]) == n:  # the rest is quick: no fork
            return _pack_rows(batch, n, fork_keys=False, texts=texts)
    # the child's share is smaller: it also pickles its columns, which this process loads
    half = n * _PARENT_SHARE // 100
    if n - half < _FORK_PACK or not hasattr(os, "fork") or not spare_core():
        return _pack_rows(batch, n, fork_keys=True)
    theirs = Forked(lambda: _to_wire(_pack_rows(batch.rows(half, n), n - half, fork_keys=False)))
    try:
        mine = _pack_rows(batch.rows(0, half), half, fork_keys=False)
        rest = _from_wire(theirs.result(), n - half)
    finally:
        theirs.stop()
    if rest is None:  # the child failed: its rows are packed here
        rest = _pack_rows(batch.rows(half, n), n - half, fork_keys=False)
    return PackedBatch(
        answers=mine.answers + rest.answers,
        extra=mine.extra + rest.extra,
        scores=mine.scores + rest.scores,
        codes=mine.codes + rest.codes,
        intervals=mine.intervals + rest.intervals,
        near=mine.near + rest.near,
        outcomes=mine.outcomes + rest.outcomes,
        overall=mine.overall + rest.overall,
        keys=[*mine.keys, *rest.keys],
    )


#: Rows per process above which ``pack_batch`` packs in two processes (a fork of a big
#: heap and the pickled half's columns cost ~30-50 ms; packing 100k rows ~0.3 s).
_FORK_PACK = 20_000

#: The percentage of a batch's rows ``pack_batch`` packs in this process when it forks.
_PARENT_SHARE = 56


def _joined(column: list[str | None]) -> str | None:
    """A column of texts (JSON or letters: no newline) or None, as one text; None when
    every row is None."""
    return "\n".join([text or "" for text in column]) if any(column) else None


def _unjoined(text: str | None, n: int) -> list[str | None]:
    return [None] * n if text is None else [t or None for t in text.split("\n")]


def _joined_keys(keys: Sequence[str | None]) -> str | list[str | None]:
    """Submission keys as one text when none is None, empty or holds a newline (a
    scoped key never does); else the list itself."""
    if all(keys):
        text = "\n".join(keys)  # type: ignore[arg-type]
        if text.count("\n") == len(keys) - 1:
            return text
    return list(keys)


def _unjoined_keys(keys: str | list[str | None], n: int) -> Sequence[str | None]:
    return keys.split("\n") if type(keys) is str and n else keys


def _to_wire(packed: PackedBatch) -> tuple[Any, ...]:
    """A packed part as a few long texts (each column's rows joined by newlines, which
    none of their JSON texts or letters holds; "" for None): pickled and loaded several
    times faster than lists of short strings."""
    return (
        "\n".join(packed.answers),
        _joined(packed.extra),
        "\n".join(packed.scores),
        "\n".join(packed.codes),
        _joined(packed.intervals),
        _joined(packed.near),
        packed.outcomes,
        packed.overall,
        _joined_keys(packed.keys),
    )


def _from_wire(wire: Any, n: int) -> PackedBatch | None:
    """``_to_wire``'s packed part of ``n`` rows back (None: not one of ``n`` rows)."""
    if type(wire) is not tuple or len(wire) != 9 or n == 0:
        return None

    answers, extra, scores, codes, intervals, near, outcomes, overall, keys = wire
    packed = PackedBatch(
        answers=answers.split("\n"),
        extra=_unjoined(extra, n),
        scores=scores.split("\n"),
        codes=codes.split("\n"),
        intervals=_unjoined(intervals, n),
        near=_unjoined(near, n),
        outcomes=outcomes,
        overall=overall,
        keys=_unjoined_keys(keys, n),
    )
    columns = (packed.answers, packed.extra, packed.scores, packed.codes, packed.intervals)
    if any(len(column) != n for column in (*columns, packed.near, outcomes, overall, keys)):
        return None
    return packed


def _pack_rows(
    batch: ScoredBatch, n: int, *, fork_keys: bool, texts: AnswerTexts | None = None
) -> PackedBatch:
    """Every row's fields; ``texts``: the answers' and keys' (``AnswersAhead``) when
    packed already."""
    import numpy as np

    if texts is None:
        answers = _answer_texts(batch.layout, batch.answers, n)
        extra = _extra_texts(batch.reserve_answers, n)
        keyed = [a if e is None else f"{a}\0{e}" for a, e in zip(answers, extra, strict=True)]
        keys = batch.key_list(keyed, fork=fork_keys)
    else:
        answers, extra, keys = texts
    return PackedBatch(
        answers=answers,
        extra=extra,
        scores=_row_texts(batch.scores, n),
        codes=_code_texts(batch, n),
        intervals=_interval_texts(batch, n),
        near=_near_texts(batch, n),
        outcomes=list(map(batch.outcomes.__getitem__, np.asarray(batch.outcome).tolist())),
        overall=np.asarray(batch.overall, dtype=np.float64).tolist(),
        keys=keys,
    )


def documents(
    packed: PackedBatch | PartlyPacked,
    rows: list[int] | None,
    attempt_ids: Sequence[str],
    candidates: Sequence[str],
    layout_id: int,
    submitted: str,
) -> list[Doc]:
    """The attempt documents of ``rows`` (None: every row), in the field order
    ``save_attempts`` writes; absent fields (no overall, key, follow-ups, intervals)
    are left out."""
    if isinstance(packed, PartlyPacked):  # the rows' span packed here, then picked
        if rows is None:
            packed = packed.slice(0, len(packed.keys))
        else:
            low, high = (min(rows), max(rows) + 1) if rows else (0, 0)
            packed, rows = packed.slice(low, high), [row - low for row in rows]
    if rows is not None and rows and rows[-1] - rows[0] == len(rows) - 1:
        first = rows[0]
        if rows == list(range(first, first + len(rows))):  # consecutive rows (a segment's)
            stop = first + len(rows)
            return documents(
                packed.slice(first, stop), None, attempt_ids, candidates, layout_id, submitted
            )

    def pick(column: Sequence[Any]) -> Sequence[Any]:
        return column if rows is None else [column[i] for i in rows]

    answers, extra, scores, codes = (
        pick(packed.answers),
        pick(packed.extra),
        pick(packed.scores),
        pick(packed.codes),
    )
    intervals, near, outcomes, overall, keys = (
        pick(packed.intervals),
        pick(packed.near),
        pick(packed.outcomes),
        pick(packed.overall),
        pick(packed.keys),
    )
    no_overall = any(value != value for value in overall)  # NaN: not all scored
    n = len(answers)
    if (
        not no_overall
        and None not in keys
        and extra.count(None) == intervals.count(None) == near.count(None) == n
    ):
        # no follow-ups, intervals nor near-cut letters (an assessment without a
        # borderline rule): the documents without those fields, made as they are
        # (leaving them out afterwards costs a third more)
        return [
            {
                "id": aid,
                "cand": cid,
                "layout": layout_id,
                "status": "submitted",
                "submitted": submitted,
                "answers": answer,
                "scores": score,
                "codes": code,
                "outcome": outcome,
                "overall": value,
                "key": key,
            }
            for aid, cid, answer, score, code, outcome, value, key in zip(
                attempt_ids,
                candidates,
                answers,
                scores,
                codes,
                outcomes,
                overall,
                keys,
                strict=True,
            )
        ]
    docs: list[Doc] = [
        {
            "id": aid,
            "cand": cid,
            "layout": layout_id,
            "status": "submitted",
            "submitted": submitted,
            "answers": answer,
            "extra": extra_text,
            "scores": score,
            "codes": code,
            "intervals": interval,
            "near": near_text,
            "outcome": outcome,
            "overall": value,
            "key": key,
        }
        for aid, cid, answer, extra_text, score, code, interval, near_text, outcome, value, key in zip(
            attempt_ids,
            candidates,
            answers,
            extra,
            scores,
            codes,
            intervals,
            near,
            outcomes,
            overall,
            keys,
            strict=True,
        )
    ]
    absent = [
        name
        for name, column in (
            ("extra", extra),
            ("intervals", intervals),
            ("near", near),
            ("key", keys),
        )
        if None in column
    ]
    if absent or no_overall:
        for doc in docs:
            if no_overall and doc["overall"] != doc["overall"]:
                del doc["overall"]
            for name in absent:
                if doc[name] is None:
                    del doc[name]
    return docs
