#!/usr/bin/python3
"""Differential test: pk_cron_next against Debian's python3-croniter.

Generates (expression, instant) pairs from a fixed seed: random 5-field
expressions mixing lists, ranges, steps, names and day-of-month/day-of-week
interplay, plus hand-picked tricky ones; random UTC instants over 1900-2399
plus calendar edges. croniter computes the expected next fire time at test
time (nothing is stored), and tests/cron/cron_check.c compares pk_cron on
every pair and prints each disagreement.

Run: /usr/bin/python3 cron_reference.py PATH/TO/cron_check [--seed N] [--exprs N]
(must be Debian's python: the pyenv python3 on PATH has no croniter).

Where croniter's semantics differ from vixie cron (which pk_cron follows),
this script adapts or excludes, explicitly and counted, never silently:

1. Day-of-month/day-of-week. Vixie decides "either day field may match" (OR)
   from the text: OR unless a field *starts with* '*'. croniter decides from
   the expanded sets: OR when neither set is full, and its `day_or` argument
   (default True) turns OR off. So:
   a. a field starting with '*' but not full ("*/2"): vixie ANDs; croniter
      would OR. Adapted: we pass day_or=False, croniter's own switch for AND.
   b. a field not starting with '*' that covers every value ("1-31", "0-6",
      "mon-sun", "1/1"): vixie ORs, so every day matches; croniter collapses
      the field to '*' and uses only the other field. croniter is wrong here
      against vixie; such pairs are EXCLUDED (and counted in the output).
2. croniter evaluates OR as min(next by day-of-month only, next by
   day-of-week only) but raises if either half never fires, e.g.
   "0 0 30 2 1" (no 30 February, yet every Monday in February matches).
   Adapted: on that error we ask croniter for the two halves ourselves and
   take the earliest that exists, exactly croniter's own combination.
3. An expression that never fires: croniter raises CroniterBadDateError after
   max_years_between_matches, which we set to 401 like pk_cron's horizon
   (the Gregorian calendar repeats every 400 years); expected is then -1.
4. croniter's day-of-month step overshoots a month end: on 28 Feb with
   day-of-month "1,30" it adds 30 - 28 = 2 days, lands on 2 March and so
   skips 1 March. Its answer is still a matching time, just not always the
   first. Adapted: when day-of-month holds a value above 28 (the only way to
   overshoot), we also restart croniter at the start of every allowed month
   up to its first answer and take the earliest answer; from a month's
   first minute croniter cannot overshoot before the match in that month.
   Every expected value is still croniter's own output; the count of pairs
   where a restart found an earlier fire is printed.
"""
import argparse
import calendar
import datetime
import random
import subprocess
import sys

try:
    from croniter import croniter, CroniterBadDateError
    from croniter.croniter import CroniterError
except ImportError as exc:
    sys.exit("cron_reference.py: needs python3-croniter; run it with /usr/bin/python3 (%s)"
             % exc)

YEARS = 401
T_MIN = calendar.timegm((1900, 1, 1, 0, 0, 0))
T_MAX = calendar.timegm((2399, 12, 31, 23, 59, 59))

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
# name, lo, hi, names (value -> name), probability of a plain "*"
FIELDS = [
    ("minute", 0, 59, None, 0.2),
    ("hour", 0, 23, None, 0.3),
    ("dom", 1, 31, None, 0.4),
    ("month", 1, 12, lambda v: MONTHS[v - 1], 0.5),
    ("dow", 0, 7, lambda v: DAYS[v % 7], 0.45),
]

TRICKY = [
    "0 0 29 2 *", "0 0 29 2 1", "0 0 29 2 */7", "0 0 29 feb sun", "30 12 28-29 2 *",
    "0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30 2 1", "0 0 31 2 */3", "0 0 31 * *",
    "0 0 31 */2 *", "0 0 31 1/2 *", "0 0 28-31 * *", "59 23 28-31 2 *", "0 0 30,31 * 0",
    "*/7 * * * *", "0 */7 * * *", "0 0 */7 * *", "0 0 * */7 *", "0 0 * * */7",
    "0 0 * * 7", "0 0 * * 0,7", "0 0 * * 6-7", "0 0 * * sat-sun", "0 0 * * 5-0",
    "0 0 * * fri-sun", "1-5/2 * * * *", "0 1-5/2 * * *", "0 0 1-5/2 * *", "0 0 * * 1-5/2",
    "0 0 13 * 5", "0 0 13 * fri", "0 0 */2 * 5", "0 0 13 * */2", "0 0 1-7 * 1",
    "0 0 */1 * 1", "0 0 * * 1/2", "5/15 * * * *", "0 3/5 * * *", "0 0 3/10 * *",
    "0 0 * 2/5 *", "0 0 * * 2/3", "59 23 31 12 *", "0 0 1 1 *", "0 12 * jan-mar mon-fri",
    "30 4 1,15 * 5", "0 0 1 * 1/2", "15 10 * * MON-FRI", "0 9-17/2 * * mOn-FrI",
    "0,15,30,45 * * * *", "59 * * * *", "0 0 1 */3 *", "0 0 15 * *",
    "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly",
]

# Rejected by both (checked: croniter must raise on each, or the list is wrong).
INVALID = [
    "61 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *", "* * * 13 *", "* * * 0 *",
    "* * * * 8", "* * *", "* * * *", "5-1 * * * *", "*/0 * * * *", "* * * jna *",
    "* * * * mno", "x * * * *", "0-60/5 * * * *", "@daly", "* * 1,,2 * *", "*/x * * * *",
    "-5 * * * *", "1-2-3 * * * *",
]


def s_value(rng, field, lo, hi):
    name, _, _, names, _ = field
    v = rng.randint(lo, hi)
    if names and rng.random() < 0.3:
        text = names(v)
        style = rng.randrange(3)
        text = text.upper() if style == 0 else text.capitalize() if style == 1 else text
        return v, text
    return v, str(v)


def s_item(rng, field):
    name, lo, hi, names, _ = field
    kind = rng.choices(["num", "range", "range_step", "star_step", "start_step"],
                       weights=[4, 3, 2, 2, 1])[0]
    if kind == "num":
        return s_value(rng, field, lo, hi)[1]
    if kind == "star_step":
        span = hi - lo + 1
        step = rng.randint(1, span + 2) if rng.random() < 0.2 else rng.randint(1, max(2, span // 3))
        return "*/%d" % step
    if kind == "start_step":
        a = s_value(rng, field, lo, hi)[1]
        return "%s/%d" % (a, rng.randint(1, max(2, (hi - lo) // 2)))
    a, at = s_value(rng, field, lo, hi)
    b, bt = s_value(rng, field, a, hi)
    if name == "dow" and b == 7 and a > 0 and rng.random() < 0.5:
        bt = rng.choice(["0", "sun", "SUN"])          # "FRI-SUN": the week's end
    text = "%s-%s" % (at, bt)
    if kind == "range_step":
        text += "/%d" % rng.randint(1, max(1, b - a + 1))
    return text


def s_field(rng, field, star_p):
    if rng.random() < star_p:
        return "*"
    return ",".join(s_item(rng, field) for _ in range(rng.choice([1, 1, 1, 2, 2, 3])))


def s_expression(rng):
    parts = [s_field(rng, f, f[4]) for f in FIELDS]
    if rng.random() < 0.15:                 # stress month ends and leap days
        parts[2] = rng.choice(["29", "30", "31", "29-31", "28,31", "30/1"])
        parts[3] = rng.choice(["2", "feb", "2,4", "*", "4,6,9,11", "*/2"])
    sep = lambda: rng.choice([" ", " ", " ", "  ", "\t"])
    return sep().join(parts)


def s_instants(rng):
    out = [rng.randint(T_MIN, T_MAX)]
    y = rng.randint(1900, 2399)
    edges = [
        (y, 12, 31, 23, 59, rng.choice([0, 59])),
        (y, 2, 28, 23, 59, 30),
        (y, 2, calendar.monthrange(y, 2)[1], 23, 59, 59),
        (y, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), 0),
        (2100, 2, 28, rng.randint(0, 23), 59, 59),
    ]
    out.append(calendar.timegm(rng.choice(edges)))
    return out


def s_fields_of(expr):
    return expr.split() if not expr.startswith("@") else None


def s_croniter(expr, after, day_or):
    """croniter's next fire strictly after `after`, or None if it finds none."""
    try:
        return int(croniter(expr, after, day_or=day_or,
                            max_years_between_matches=YEARS).get_next(float))
    except CroniterBadDateError:
        return None


def s_month_starts(after, until):
    """(month, unix time) of each month start in (after, until)."""
    d = datetime.datetime.fromtimestamp(after, datetime.timezone.utc)
    y, m = d.year, d.month
    while True:
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        t = calendar.timegm((y, m, 1, 0, 0, 0))
        if t >= until:
            return
        yield m, t


class Reference:
    def __init__(self):
        self.excluded = 0
        self.fallbacks = 0
        self.restarts = 0
        self.samples = []

    def next_fire(self, expr, after, day_or):
        """croniter's next fire, restarted at month starts (case 4)."""
        first = s_croniter(expr, after, day_or)
        expanded = croniter.expand(expr)[0]
        if first is None or not any(isinstance(v, int) and v > 28 for v in expanded[2]):
            return first
        best = first
        for month, start in s_month_starts(after, first):
            if start >= best:
                break
            if expanded[3] == ["*"] or month in expanded[3]:
                t = s_croniter(expr, start - 1, day_or)
                if t is not None and t < best:
                    best = t
        self.restarts += best != first
        return best

    def expected(self, expr, after):
        """Expected pk_cron_next(expr, after): seconds, -1, 'invalid' or None (excluded)."""
        try:
            expanded, nth = croniter.expand(expr)
        except CroniterError:
            return "invalid"
        fields = s_fields_of(expr)
        dom_text, dow_text = (fields[2], fields[4]) if fields else ("*", "*")
        vixie_or = not dom_text.startswith("*") and not dow_text.startswith("*")
        if vixie_or and (expanded[2] == ["*"] or expanded[4] == ["*"]):
            self.excluded += 1              # case 1b in the module comment
            if len(self.samples) < 3 and expr not in self.samples:
                self.samples.append(expr)
            return None
        t = self.next_fire(expr, after, day_or=vixie_or)
        if t is None and vixie_or:
            # OR never runs dry (every month has every weekday): case 2.
            self.fallbacks += 1
            by_dom = fields[:4] + ["*"]
            by_dow = fields[:2] + ["*", fields[3], fields[4]]
            found = [t for t in (self.next_fire(" ".join(by_dom), after, False),
                                 self.next_fire(" ".join(by_dow), after, False))
                     if t is not None]
            t = min(found) if found else None
        return -1 if t is None else t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cron_check")
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--exprs", type=int, default=1500)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    ref = Reference()
    lines = []

    def add(expr, after, chain=0):
        exp = ref.expected(expr, after)
        if exp is None:
            return
        lines.append("%d\t%s\t%s" % (after, exp, expr))
        # Follow the schedule: from a fire time, the next must be strictly later.
        if chain and isinstance(exp, int) and exp != -1:
            add(expr, exp, chain - 1)

    for expr in INVALID:
        if ref.expected(expr, 0) != "invalid":
            sys.exit("cron_reference.py: croniter accepts %r, listed as invalid" % expr)
        lines.append("0\tinvalid\t%s" % expr)
    for expr in TRICKY:
        for after in s_instants(rng) + s_instants(rng):
            add(expr, after, chain=1)
    for _ in range(args.exprs):
        expr = s_expression(rng)
        a, b = s_instants(rng)
        add(expr, a, chain=1)
        add(expr, b)

    pairs = sum(1 for l in lines if "\tinvalid\t" not in l)
    print("cron_reference: seed %d, %d pairs from croniter (%d invalid expressions), "
          "%d excluded (croniter ignores vixie OR for a full unstarred day field, e.g. %s), "
          "%d OR fallbacks, %d month-end restarts" % (args.seed, pairs, len(INVALID), ref.excluded,
                               ", ".join(repr(s) for s in ref.samples) or "none",
                               ref.fallbacks, ref.restarts))
    if pairs < 2000:
        sys.exit("cron_reference.py: only %d pairs, want at least 2000" % pairs)
    sys.stdout.flush()
    proc = subprocess.run([args.cron_check], input="\n".join(lines) + "\n", text=True)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
