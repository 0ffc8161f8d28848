"""When two printings of one measurement agree. A network trained for hundreds of epochs is a chaotic
function of the last bits of every kernel (Summers & Dinneen 2021): another CPU moves each seed's
result, so a mean over five seeds can move by up to its standard error and a seed near a boundary can
end another way. Where helpers.analysis.stats' rounding cannot hide that, a chapter's table is checked here,
cell by cell, with the tolerance its own printed spread supplies, instead of by nbval's exact text.

Two cells agree when their text is equal or when, read as the same kind of printed value:
- "m ± s": |m1 - m2| <= Z (max s + half a printed step); two sample sds differ by at most SD_RATIO;
  a count of seeds set apart ("(1/5 diverged)") may differ by FLIPS, and then only the count compares.
- "g ×/÷ F": the same on the log scale, with ln F as the spread.
- "label k/n" (k of n seeds end in `label`): at most FLIPS seeds need to have changed their ending.
Any other number must print the same, unless the cell also says how many seeds it rests on and its
majority is not clear (the largest learning rate at which most seeds converge moves with one seed).
"""
from __future__ import annotations

import math
import re

Z = 2.0         # two means over the same n = 5 re-randomised seeds differ by sd*sqrt(2/5): 2 sd ~ 3 sigma
SD_RATIO = 5.0  # ratio of two sample sds with 4 degrees of freedom: beyond 5 about 1% of the time
FLIPS = 2       # seeds (of five) whose ending may change

NUM = r"-?\d+(?:\.\d+)?(?:e-?\d+)?"
SEEDS = r"(?: \((\d+)/(\d+) ([a-z]+)\))?$"  # "(1/5 diverged)": how many seeds are set apart, and why
MEAN_SD = re.compile(rf"^({NUM}) (?:± ({NUM})|\(sd < ({NUM})\)|\(every seed\)){SEEDS}")
GEO = re.compile(rf"^({NUM}) ×/÷ ({NUM}){SEEDS}")
COUNT = re.compile(r"([a-z_]+)? ?(\d+)/(\d+)(?: ([a-z_]+))?")


def _step(text: str) -> float:
    """Half the last printed digit of a number: the rounding it carries."""
    mant, _, exp = text.lower().partition("e")
    decimals = len(mant.partition(".")[2])
    return 0.5 * 10.0 ** (-decimals + (int(exp) if exp else 0))


def _means(a: re.Match, b: re.Match, log: bool = False) -> bool:
    """Two 'm ± s' (or, log=True, two 'g ×/÷ F') printings of one mean over the same seeds."""
    def read(m: re.Match) -> tuple[float, float, float]:
        """mean, spread and the spread's rounding, on the scale the tolerance works on."""
        if log:
            g, factor = float(m[1]), float(m[2])
            return math.log(g), math.log(factor), _step(m[1]) / g
        sd = m[2] or m[3] or "0"                                            # "0 (every seed)"
        return float(m[1]), float(sd), _step(sd)
    (m1, s1, r1), (m2, s2, r2) = read(a), read(b)
    (k1, _, why1), (k2, _, why2) = a.groups()[-3:], b.groups()[-3:]
    if len({why1, why2} - {None}) > 1 or abs(int(k1 or 0) - int(k2 or 0)) > FLIPS:
        return False
    if (k1 or 0) != (k2 or 0):   # other seeds set apart: a mean over other seeds, only the count compares
        return True
    small, large = sorted([(s1, r1), (s2, r2)])
    return (abs(m1 - m2) <= Z * (max(s1, s2) + max(r1, r2))
            and (small[0] + small[1]) * SD_RATIO >= large[0] - large[1])


def _counts(text: str) -> list[tuple[str, int, int]]:
    return [(m[1] or m[4] or "", int(m[2]), int(m[3])) for m in COUNT.finditer(text)]


def _flips_ok(a: str, b: str) -> tuple[bool, bool]:
    """(the seed counts agree, some count has no clear majority)."""
    ca, cb = _counts(a), _counts(b)
    if len(ca) != len(cb):
        return False, False
    ok, unclear = True, False
    for (la, ka, n), (lb, kb, nb) in zip(ca, cb):
        flips = abs(ka - kb) if la == lb else max(0, ka + kb - n)
        ok &= n == nb and flips <= FLIPS
        unclear |= min(ka, kb) <= n - FLIPS
    return ok, unclear


def agree(a: str, b: str) -> bool:
    """Whether two printings of the same table cell are the same measurement (module docstring)."""
    a, b = a.strip(), b.strip()
    if a == b or not (a.strip("-") or b.strip("-")):   # equal, or a text table's rule of dashes
        return True
    for pattern, log in ((MEAN_SD, False), (GEO, True)):
        ma, mb = pattern.match(a), pattern.match(b)
        if ma and mb:
            return _means(ma, mb, log)
    counts_ok, unclear = _flips_ok(a, b)
    if not counts_ok:
        return False
    rest = lambda s: re.sub(NUM, "#", COUNT.sub("k/n", s))
    if not unclear and rest(a) != rest(b):
        return False
    numbers = lambda s: re.findall(NUM, COUNT.sub("", s))
    return unclear or numbers(a) == numbers(b)


def _cells(line: str) -> list[str]:
    """A Markdown row splits at ' | ', a fixed-width text row at two or more spaces."""
    if line.startswith("|"):
        return [c.strip("| ") for c in line.split(" | ")]
    return re.split(r"\s{2,}", line.strip())


def table_disagreements(a: str, b: str) -> list[str]:
    """Cells of two printed tables (Markdown or fixed-width text, same shape) that do not agree."""
    lines_a, lines_b = a.strip().splitlines(), b.strip().splitlines()
    if len(lines_a) != len(lines_b):
        return [f"{len(lines_a)} lines != {len(lines_b)} lines"]
    bad = []
    for la, lb in zip(lines_a, lines_b):
        ca, cb = _cells(la), _cells(lb)
        if len(ca) != len(cb):
            bad.append(f"{la!r} != {lb!r}")
        bad += [f"{ca[0]}: {x!r} != {y!r}" for x, y in zip(ca, cb) if not agree(x, y)]
    return bad
