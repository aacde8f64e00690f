"""A long differential-fuzzing campaign: many random programs, counted outcomes, shrunk failures.

    python scripts/fuzz_campaign.py --programs 10000                 # straight-line + helpers
    python scripts/fuzz_campaign.py --programs 2000 --features all   # with control flow too
    python scripts/fuzz_campaign.py --replay 1234 --features all     # show one program and its outcome
    python scripts/fuzz_campaign.py --programs 1000 --features complex   # control flow + one new feature
                                    # (repeats, names, global_writes, complex: see fuzz_programs)

Each program is drawn from a seed (the campaign's ``--seed`` plus its number),
run through every oracle of ``tests/fuzz/fuzz_oracles.py``, and counted as
passed, inconclusive (finite differences at a kink), unsupported (a GradError
saying a construct is not supported yet, by construct), or failed. Failures are
grouped by signature (which check, which error); the first of each group is
shrunk (the generator's decision list is cut down while the same failure
persists) and printed, ready to become a regression test in
``tests/fuzz/test_fuzz_regressions.py``. The exit status is 1 if anything failed.
"""

import argparse
import collections
import json
import os
import re
import shutil
import sys
import tempfile
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fuzz"))
sys.path.insert(0, os.path.join(HERE, ".."))    # this checkout's s2sgrad, not whichever one is installed

import fuzz_programs  # noqa: E402
from fuzz_choices import RandomChooser, ReplayChooser, shrink  # noqa: E402
from fuzz_oracles import CHECKS, Failure, GeneratorBug, KnownBug, Unsupported, check_program  # noqa: E402
from fuzz_time_limit import TimeLimitExceeded, time_limit  # noqa: E402

PROGRAM_SECONDS = 60     # generating and checking one program; past that it counts as a failure (a hang)

FEATURES = {"straight": fuzz_programs.STRAIGHT, "control": fuzz_programs.STRAIGHT | fuzz_programs.CONTROL,
            "all": fuzz_programs.ALL}
FEATURES.update((name, FEATURES["control"] | {name}) for name in fuzz_programs.NEW)   # one new class at a time


def outcome(chooser, features, directory, checks, max_statements):
    """(kind, signature, detail, program) for the program the chooser's decisions make."""
    try:
        with time_limit(PROGRAM_SECONDS):     # (the generator's own limits per candidate nest inside)
            program = fuzz_programs.generate(chooser, features, max_statements)
    except TimeLimitExceeded:
        program = fuzz_programs.Program("# (generating the program ran out of time)", "", (), (), 0, (0,),
                                        frozenset(features), record=list(chooser.record))
        return "generator", "generating the program ran out of time", "", program
    try:
        with time_limit(PROGRAM_SECONDS):
            notes = check_program(program, directory, checks)
    except TimeLimitExceeded as exc:
        return "failed", "timeout: checking the program ran out of time (a hang?)", str(exc), program
    except Failure as exc:
        return "failed", f"{exc.check}: {_shape_of_message(str(exc))}", str(exc), program
    except Unsupported as exc:
        return "unsupported", exc.construct, str(exc), program
    except KnownBug as exc:
        return "known", exc.tag, str(exc), program
    except GeneratorBug as exc:
        return "generator", _shape_of_message(str(exc)), str(exc), program
    except Exception as exc:  # a crash inside s2sgrad is a failure too
        where = traceback.extract_tb(exc.__traceback__)[-1]
        place = "generated code" if where.filename.startswith("<s2sgrad") else \
            f"{os.path.basename(where.filename)}:{where.name}"
        signature = f"crash: {type(exc).__name__} in {place}: {_shape_of_message(str(exc))[:60]}"
        return "failed", signature, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}", program
    return ("inconclusive" if notes else "passed"), "; ".join(notes), "", program


def _shape_of_message(text):
    """A failure's message with its numbers and names blurred, to group like failures."""
    first = text.strip().splitlines()[0] if text.strip() else text
    first = re.sub(r"-?\d+(\.\d+)?(e-?\d+)?", "#", first)
    return re.sub(r"'[^']*'", "'…'", first)[:120]


MEMORY_LIMIT = 6 << 30    # bytes: a program that builds huge arrays fails with MemoryError, not the machine


def main(argv=None):
    if argv is None and os.environ.get("PYTHONHASHSEED") != "0":   # fixed set orders: a seed replays its program
        os.execve(sys.executable, [sys.executable, *sys.argv], dict(os.environ, PYTHONHASHSEED="0"))
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):   # not on every platform
        pass
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--features", choices=sorted(FEATURES), default="straight")
    parser.add_argument("--statements", type=int, default=8, help="most statements per program")
    parser.add_argument("--time-limit", type=float, default=None, help="stop after this many seconds")
    parser.add_argument("--checks", default=",".join(CHECKS))
    parser.add_argument("--no-shrink", action="store_true")
    parser.add_argument("--replay", type=int, default=None, help="show the program of this seed and its outcome")
    parser.add_argument("--json", help="write the counts and shrunk failures to this file")
    args = parser.parse_args(argv)
    features = FEATURES[args.features]
    checks = tuple(args.checks.split(","))
    directory = tempfile.mkdtemp(prefix="s2sgrad-fuzz-")
    try:
        if args.replay is not None:
            chooser = RandomChooser(args.replay)
            kind, signature, detail, program = outcome(chooser, features, directory, checks, args.statements)
            if kind in ("failed", "generator") and not args.no_shrink:
                record = shrink(chooser.record, lambda candidate: outcome(
                    ReplayChooser(candidate), features, directory, checks, args.statements)[:2] == (kind, signature))
                kind, signature, detail, program = outcome(ReplayChooser(record), features, directory, checks,
                                                           args.statements)
            print(program.source)
            print(f"# wrt={program.wrt!r}, args {[getattr(a, 'shape', type(a).__name__) for a in program.args]}"
                  f"\n# {kind}: {signature}\n{detail}")
            with np.printoptions(precision=17):
                print(f"# the arguments: {program.args!r}\n# the second point: {program.args2!r}")
            return 0
        return campaign(args, features, checks, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def campaign(args, features, checks, directory):
    counts = collections.Counter()
    groups = collections.OrderedDict()     # (kind, signature) -> [count, first seed, detail, record]
    unsupported = collections.Counter()
    known = collections.Counter()
    first_seed = {}
    inconclusive = collections.Counter()
    start = time.time()
    ran = 0
    for n in range(args.programs):
        if args.time_limit and time.time() - start > args.time_limit:
            break
        seed = args.seed + n
        chooser = RandomChooser(seed)
        kind, signature, detail, program = outcome(chooser, features, directory, checks, args.statements)
        ran += 1
        counts[kind] += 1
        if kind in ("unsupported", "known"):
            (unsupported if kind == "unsupported" else known)[signature] += 1
            first_seed.setdefault((kind, signature), seed)
        elif kind == "inconclusive":
            inconclusive[re.sub(r"\(.*", "", signature)] += 1
        elif kind in ("failed", "generator"):
            key = (kind, signature)
            if key not in groups:
                groups[key] = [0, seed, detail, list(chooser.record)]
                print(f"[{n}] {kind}: {signature}", file=sys.stderr)
            groups[key][0] += 1
        if ran % 500 == 0:
            print(f"{ran} programs, {time.time() - start:.0f}s: {dict(counts)}", file=sys.stderr)
    elapsed = time.time() - start

    print(f"\n{ran} programs ({args.features}) in {elapsed:.0f}s ({ran / max(elapsed, 1e-9):.1f}/s)")
    for kind in ("passed", "inconclusive", "unsupported", "known", "failed", "generator"):
        print(f"  {kind:13s} {counts[kind]}")
    if known:
        print("\nfailures on constructs with a known, reported bug (fuzz_oracles.KNOWN_BUGS):")
        for tag, k in known.most_common():
            print(f"  {k:6d}  {tag} (first: seed {first_seed['known', tag]})")
    if unsupported:
        print("\nnot supported yet (GradError), by construct:")
        for construct, k in unsupported.most_common():
            print(f"  {k:6d}  {construct} (first: seed {first_seed['unsupported', construct]})")
    if inconclusive:
        print("\ninconclusive finite differences:")
        for reason, k in inconclusive.most_common():
            print(f"  {k:6d}  {reason}")
    report = []
    for (kind, signature), (k, seed, detail, record) in groups.items():
        print(f"\n=== {kind} x{k}: {signature} (first: seed {seed})")
        if not args.no_shrink:
            def still_fails(candidate, kind=kind, signature=signature):
                got = outcome(ReplayChooser(candidate), features, directory, checks, args.statements)
                return got[0] == kind and got[1] == signature
            record = shrink(record, still_fails)
        _, _, detail, program = outcome(ReplayChooser(record), features, directory, checks, args.statements)
        print(program.source)
        print(f"# wrt={program.wrt!r}, args shapes {[getattr(a, 'shape', type(a).__name__) for a in program.args]}")
        print(detail.strip())
        report.append({"kind": kind, "signature": signature, "count": k, "seed": seed, "record": record,
                       "source": program.source, "wrt": repr(program.wrt), "detail": detail})
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"programs": ran, "seconds": elapsed, "features": args.features, "counts": counts,
                       "unsupported": unsupported, "known": known, "inconclusive": inconclusive, "failures": report},
                      handle, indent=1)
    return 1 if counts["failed"] or counts["generator"] else 0


if __name__ == "__main__":
    sys.exit(main())
