#!/usr/bin/python3
"""Differential test: pk_duration_parse against Go's time.ParseDuration.

PikoCI is written in Go and reads durations with time.ParseDuration, so Go
itself is the reference. Generates a fixed-seed mix of valid and broken
duration strings (sequences, decimals, every unit, wrong-case and unknown
units, signs, overflow edges, stray dots and spaces), has Go parse them
(tests/cron/duration_reference.go, run with `go run`, no network), and
duration_check compares pk_duration on each under the differences that
pk_duration.h documents (no negatives, millisecond resolution).

Run: duration_reference.py PATH/TO/duration_check [--seed N] [--count N]
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
UNITS = ["ns", "us", "\u00b5s", "\u03bcs", "ms", "s", "m", "h"]
BAD_UNITS = ["x", "S", "H", "M", "MS", "Ms", "d", "w", "sec", "min", "hr", "mss", "hh", "y"]
EDGES = [
    "0", "+0", "-0", "", "+", "-", ".", "0s", "1s", "1h30m", "2h45m10s", "1.5h", ".5s", "1.s",
    "1000000ns", "999999ns", "1us", "1ms", "2562047h47m16.854775807s",
    "2562047h47m16.854775808s", "9223372036854775807ns", "9223372036854775808ns",
    "2562048h", "2562047h", "153722867m", "153722868m", "9223372036s", "9223372037s",
    "1.00000000000000000000001s", "0.000000000000000000000000000001h", "1.5.3s", "10", "1h30",
    "s", "h1", "1h 30m", " 1s", "1s ", "-1.5h", "+1.5h", "1e3s", "0x10s", "1_000s",
]


def s_number(rng):
    kind = rng.randrange(7)
    if kind == 0:
        return str(rng.randint(0, 9))
    if kind == 1:
        return str(rng.randint(0, 10 ** rng.randint(1, 20)))
    if kind == 2:
        return "%d.%s" % (rng.randint(0, 999), "".join(rng.choice("0123456789")
                                                      for _ in range(rng.randint(1, 12))))
    if kind == 3:
        return "." + str(rng.randint(0, 10 ** rng.randint(1, 25)))
    if kind == 4:
        return "%d." % rng.randint(0, 100)
    if kind == 5:
        return "0" * rng.randint(1, 4) + str(rng.randint(1, 99))
    return str(rng.randint(1, 100000))


def s_duration(rng):
    parts = []
    for _ in range(rng.choice([1, 1, 2, 2, 3, 4])):
        unit = rng.choice(UNITS) if rng.random() < 0.9 else rng.choice(BAD_UNITS + [""])
        num = s_number(rng) if rng.random() < 0.97 else rng.choice(["", ".", ".."])
        parts.append(num + unit)
    text = "".join(parts)
    r = rng.random()
    if r < 0.06:
        text = "-" + text
    elif r < 0.1:
        text = "+" + text
    elif r < 0.12:
        i = rng.randint(0, len(text))
        text = text[:i] + " " + text[i:]
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("duration_check")
    ap.add_argument("--seed", type=int, default=20240612)
    ap.add_argument("--count", type=int, default=4000)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    texts = EDGES + [s_duration(rng) for _ in range(args.count)]
    env = dict(os.environ, GOPROXY="off", GOFLAGS="-mod=mod", GO111MODULE="auto")
    build_dir = os.environ.get("PIKOCI_BUILD_DIR")
    if build_dir and "GOCACHE" not in os.environ:
        env["GOCACHE"] = os.path.join(build_dir, "go-build-cache")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            go = subprocess.run(["go", "run", os.path.join(HERE, "duration_reference.go")],
                                input="\n".join(texts) + "\n", text=True, capture_output=True,
                                env=env, cwd=tmp, timeout=300)
        except FileNotFoundError:
            sys.exit("duration_reference.py: needs Go (apt-get install golang-go)")
    if go.returncode != 0:
        sys.exit("duration_reference.py: go run failed:\n" + go.stderr)
    results = go.stdout.splitlines()
    if len(results) != len(texts):
        sys.exit("duration_reference.py: Go answered %d of %d lines" % (len(results), len(texts)))
    valid = sum(1 for r in results if r != "error")
    print("duration_reference: seed %d, %d strings, Go accepts %d" % (args.seed, len(texts), valid))
    sys.stdout.flush()
    lines = "".join("%s\t%s\n" % (r, t) for r, t in zip(results, texts))
    return subprocess.run([args.duration_check], input=lines, text=True).returncode


if __name__ == "__main__":
    sys.exit(main())
