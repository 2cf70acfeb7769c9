"""Print the decision-accuracy figures of docs/psychometrics.md, made by ``screener.evaluate``.

    .venv/bin/python benchmarks/evaluate_curve.py              # six-item curve (n 20000, seed 1)
    .venv/bin/python benchmarks/evaluate_curve.py --bundled    # wblc-screening per competency

The curve: the six-item test competency (tests/data/measure/sixitem.yaml,
``reasoning``: 6 right/wrong items, cut 65, 6 reserve items), true levels
uniform 0.30-1.00, zone 5, today's rule and the follow-up rule at each
confidence x max_extra (and ``recommend`` and ``gap`` for comparison). ``--bundled``: the bundled screening, today's rule
and ``action: recommend`` side by side, per competency, with the wall time of
each ``evaluate`` call. Prints Markdown tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from screener.catalog import check_file, load_catalog
from screener.content import Assessment, Borderline
from screener.evaluate import DecisionFigures, evaluate, evaluation_json

ROOT = Path(__file__).resolve().parent.parent
SIXITEM = ROOT / "tests" / "data" / "measure" / "sixitem.yaml"
CONFIDENCES = (0.6, 0.8, 0.9)
MAX_EXTRAS = (2, 4, 6)


def pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def row(label: str, f: DecisionFigures) -> str:
    return (
        f"| {label} | {pct(f.accuracy)} | {pct(f.misclassified)} | {pct(f.false_gap)} "
        f"| {pct(f.missed_gap)} | {f.mean_items:.2f} | {pct(f.agreement)} | {f.kappa:.3f} |"
    )


HEADER = (
    "| rule | accuracy | misclassified | false gaps | missed gaps | mean items "
    "| A/B agreement | A/B kappa |\n| --- | --- | --- | --- | --- | --- | --- | --- |"
)


def load_six() -> Assessment:
    checked = check_file(SIXITEM)
    assert isinstance(checked.model, Assessment), checked.problems
    return checked.model


def curve(n: int, seed: int) -> None:
    six = load_six()
    print(f"six-item `reasoning`, n {n}, seed {seed}, uniform:0.30:1.00, zone 5\n")
    print(HEADER)
    start = time.perf_counter()
    first = evaluate(six, n=n, seed=seed, rule=Borderline(action="recommend"))
    print(row("today (6 items, no borderline rule)", first.rule("today").competencies[0].figures))
    print(row("recommend, confidence 0.8", first.rule("configured").competencies[0].figures))
    gap = evaluate(six, n=n, seed=seed, rule=Borderline(action="gap"), today=False)
    print(row("gap, confidence 0.8", gap.rule("configured").competencies[0].figures))
    for confidence in CONFIDENCES:
        for max_extra in MAX_EXTRAS:
            rule = Borderline(confidence=confidence, action="follow_up", max_extra=max_extra)
            ev = evaluate(six, n=n, seed=seed, rule=rule, today=False)
            label = f"follow_up, confidence {confidence}, max_extra {max_extra}"
            print(row(label, ev.rule("configured").competencies[0].figures))
    print(f"\n({time.perf_counter() - start:.1f} s)")


def bundled(n: int, seed: int) -> None:
    screening = load_catalog().assessment("wblc-screening")
    start = time.perf_counter()
    alone = evaluate(screening, n=n, seed=seed)
    alone_s = time.perf_counter() - start
    start = time.perf_counter()
    ev = evaluate(screening, n=n, seed=seed, rule=Borderline(action="recommend"))
    both_s = time.perf_counter() - start
    today, recommend = ev.rule("today"), ev.rule("configured")
    # the same candidates whatever else is evaluated
    assert evaluation_json(alone)["rules"][0] == evaluation_json(ev)["rules"][0]
    print(f"wblc-screening form {ev.form} (agreement with {ev.other_form}), n {n}, seed {seed},")
    print(
        f"uniform:0.30:1.00, zone 5; today alone {alone_s:.1f} s, with recommend {both_s:.1f} s\n"
    )
    print(
        "| competency | cut | items | accuracy | false gaps | missed gaps | A/B agreement | kappa "
        "| recommend: false gaps | missed gaps | borderline |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for t, other in zip(today.competencies, recommend.competencies, strict=True):
        f, g = t.figures, other.figures
        print(
            f"| {t.id} | {t.cut:g} | {f.mean_items:g} | {pct(f.accuracy)} | {pct(f.false_gap)} "
            f"| {pct(f.missed_gap)} | {pct(f.agreement)} | {f.kappa:.3f} "
            f"| {pct(g.false_gap)} | {pct(g.missed_gap)} | {pct(g.borderline_rate)} |"
        )
    for name, rule in (("today", today), ("recommend", recommend)):
        c, o = rule.candidates, rule.overall
        print(
            f"\n{name}: pooled accuracy {pct(o.accuracy)}, false gaps {pct(o.false_gap)}, "
            f"missed {pct(o.missed_gap)}; candidates: pass {pct(c.pass_rate)}, "
            f"a needless required gap {pct(c.needless_coaching)}, a missed clear gap "
            f"{pct(c.missed_coaching)}, required modules {c.required_modules:.2f}, "
            f"same outcome on both forms {pct(c.outcome_agreement)} (kappa {c.outcome_kappa:.3f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bundled", action="store_true", help="the bundled screening instead")
    args = parser.parse_args()
    if args.bundled:
        bundled(args.n, args.seed)
    else:
        curve(args.n, args.seed)


if __name__ == "__main__":
    main()
