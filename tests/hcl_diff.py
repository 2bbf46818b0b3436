#!/usr/bin/env python3
"""Differential test of pikoci's C HCL2 parser/evaluator (hcl_dump) against
HashiCorp's Go hcl v2 (hcl2dump, built from tests/hcl_oracle).

Both dumpers share one contract: on a syntax error they print
{"$error":"syntax"} and exit 1; otherwise they print
{"attributes":{...},"blocks":[...]} and exit 0, with {"$error":"eval"} for an
attribute whose evaluation failed. For every corpus file this script runs both
and requires the same accept/reject decision and, on accept, equal documents
(numbers within a small relative tolerance, blocks in order, object keys in
any order).

--oracle-only runs just the Go side and checks the corpus against its naming
convention instead: err_* files must be rejected, every other file accepted,
and eval_* files must contain at least one {"$error":"eval"}.

Only the .hcl files directly in a given directory are read: the corpus keeps
known, by-design divergences (cty's arbitrary-precision numbers, list/tuple
typing) in hcl_corpus/divergent/, to be run by hand.
"""
import argparse
import concurrent.futures
import json
import math
import os
import subprocess
import sys

SYNTAX = {"$error": "syntax"}
EVAL = {"$error": "eval"}
REL_TOL = 1e-9
ABS_TOL = 1e-12


class Run:
    """One dumper run on one file, classified."""

    def __init__(self, argv, timeout):
        self.rc = None
        self.out = ""
        self.err = ""
        self.doc = None
        self.problem = None  # why this run breaks the contract, or None
        try:
            p = subprocess.run(argv, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            self.problem = "timed out after %ss" % timeout
            return
        except OSError as e:
            self.problem = "could not run: %s" % e
            return
        self.rc = p.returncode
        self.out = p.stdout.decode("utf-8", "replace")
        self.err = p.stderr.decode("utf-8", "replace")
        if self.rc not in (0, 1):
            self.problem = "exit status %s" % self.rc
            return
        try:
            self.doc = json.loads(self.out)
        except ValueError as e:
            self.problem = "stdout is not one JSON document (%s): %r" % (e, self.out[:200])
            return
        if self.rc == 1 and self.doc != SYNTAX:
            self.problem = "exit 1 but stdout is not %s" % json.dumps(SYNTAX)
        elif self.rc == 0 and not (isinstance(self.doc, dict) and "attributes" in self.doc
                                   and "blocks" in self.doc):
            self.problem = "exit 0 but stdout is not a body document"

    @property
    def accepted(self):
        return self.problem is None and self.rc == 0

    def first_diag(self):
        for line in self.err.splitlines():
            if line.strip():
                return line.strip()
        return ""


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def numbers_equal(a, b):
    a, b = float(a), float(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def show(v):
    s = json.dumps(v, ensure_ascii=False, sort_keys=True)
    return s if len(s) <= 160 else s[:157] + "..."


def compare(want, got, path, diffs):
    """Appends (path, want, got) for every place the documents differ."""
    if is_number(want) and is_number(got):
        if not numbers_equal(want, got):
            diffs.append((path, want, got))
        return
    if type(want) is not type(got) or EVAL in (want, got):
        if want != got:
            diffs.append((path, want, got))
        return
    if isinstance(want, dict):
        for k in sorted(set(want) | set(got)):
            sub = "%s.%s" % (path, k) if path else k
            if k not in got:
                diffs.append((sub + " (missing in C)", want[k], None))
            elif k not in want:
                diffs.append((sub + " (extra in C)", None, got[k]))
            else:
                compare(want[k], got[k], sub, diffs)
    elif isinstance(want, list):
        if len(want) != len(got):
            diffs.append((path + " (length %d vs %d)" % (len(want), len(got)), want, got))
            return
        for i, (w, g) in enumerate(zip(want, got)):
            compare(w, g, "%s[%d]" % (path, i), diffs)
    elif want != got:
        diffs.append((path, want, got))


def count_eval_errors(v):
    if v == EVAL:
        return 1
    if isinstance(v, dict):
        return sum(count_eval_errors(x) for x in v.values())
    if isinstance(v, list):
        return sum(count_eval_errors(x) for x in v)
    return 0


def corpus_files(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += [os.path.join(p, f) for f in os.listdir(p) if f.endswith(".hcl")]
        else:
            files.append(p)
    return sorted(files)


def check_oracle_only(files, args):
    bad = 0
    for f in files:
        name = os.path.basename(f)
        o = Run([args.oracle, f], args.timeout)
        if o.problem:
            print("BAD    %s: oracle %s\n%s" % (name, o.problem, o.err))
            bad += 1
            continue
        want_reject = name.startswith("err_")
        if o.accepted:
            n = count_eval_errors(o.doc)
            status = "accept (%d eval errors)" % n
            wrong = want_reject or (name.startswith("eval_") and n == 0)
        else:
            status = "reject: " + o.first_diag()
            wrong = not want_reject
        print("%s %s: %s" % ("BAD   " if wrong else "ok    ", name, status))
        if args.verbose and o.accepted:
            print("       " + json.dumps(o.doc, ensure_ascii=False, sort_keys=True))
        bad += wrong
    print("%d files, %d as intended, %d not" % (len(files), len(files) - bad, bad))
    return 1 if bad else 0


def diff_one(f, args):
    """Returns the disagreement lines for one corpus file (empty: agree)."""
    o = Run([args.oracle, f], args.timeout)
    if o.problem:
        return ["the oracle itself failed: %s" % o.problem, o.err]
    c = Run([args.cdump, f], args.timeout)
    lines = []
    if c.problem:
        lines.append("C hcl_dump breaks the contract: %s" % c.problem)
        if c.err:
            lines.append("C stderr (tail): " + c.err[-1500:])
    elif o.accepted != c.accepted:
        if o.accepted:
            lines.append("oracle accepts, C rejects: %s" % c.first_diag())
        else:
            lines.append("oracle rejects (%s), C accepts: %s" % (o.first_diag(), show(c.doc)))
    elif o.accepted:
        diffs = []
        compare(o.doc, c.doc, "", diffs)
        for path, want, got in diffs:
            lines.append("%s: oracle %s, C %s" % (path, show(want), show(got)))
    return lines


def check_differential(files, args):
    disagree = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = pool.map(lambda f: diff_one(f, args), files)
        for f, lines in zip(files, results):
            name = os.path.basename(f)
            if lines:
                disagree += 1
                print("DISAGREE %s" % name)
                for line in lines:
                    print("    " + line)
            elif args.verbose:
                print("agree    %s" % name)
    print("%d files, %d agree, %d disagree" % (len(files), len(files) - disagree, disagree))
    return 1 if disagree else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--oracle", required=True, help="path of the Go hcl2dump")
    ap.add_argument("--cdump", help="path of the C hcl_dump")
    ap.add_argument("--oracle-only", action="store_true",
                    help="run only the oracle and check the corpus naming convention")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per run")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="files compared at once")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("paths", nargs="+", help="corpus directories or .hcl files")
    args = ap.parse_args()
    files = corpus_files(args.paths)
    if not files:
        print("no .hcl files found in %s" % " ".join(args.paths))
        return 2
    if args.oracle_only:
        return check_oracle_only(files, args)
    if not args.cdump:
        ap.error("--cdump is required unless --oracle-only is given")
    return check_differential(files, args)


if __name__ == "__main__":
    sys.exit(main())
