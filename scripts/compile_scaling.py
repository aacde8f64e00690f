"""How compile time grows with the length of the differentiated function.

    python scripts/compile_scaling.py                 # 100, 1000, 5000 statements, the fastest of 3 each
    python scripts/compile_scaling.py 100 300 1000 --repeat 5 --profile

Writes a function of about N statements (a chain of elementwise operations,
broadcasts, reductions and products, every value used later, so nothing is
dead code), and times, separately: parsing and normalization (``grad(f)``'s
program), generating the shape-generic derivative (``grad(f)`` itself) and the
first call (probing shapes, generating and compiling the specialized
derivative). The gradient is checked against a directional finite difference
so that a fast but wrong compiler does not pass. Target: about linear growth,
and under a second for 1,000 statements.
"""

import argparse
import importlib.util
import os
import sys
import tempfile
import time

import numpy as np

from s2sgrad.api import Gradient, program_of

# each line reads the previous value `p` and others; `{k}` is the statement number
STEPS = [
    "v{k} = np.tanh(p * 0.5 + b)",
    "v{k} = p * W[0]",
    "v{k} = np.sin(p) + np.cos(q)",
    "v{k} = p / (1.0 + q ** 2)",
    "v{k} = np.exp(-p ** 2) * q",
    "v{k} = p - np.mean(p, axis=0, keepdims=True)",
    "v{k} = (p @ W.T) @ W * 0.1",
    "v{k} = np.maximum(p, 0.1 * p)",
]


def source_of(n):
    """The module text of a function of ``n`` statements, and that number."""
    body = ["p = x", "q = x"]
    k = 0
    while len(body) < n - 1:
        body.append(STEPS[k % len(STEPS)].format(k=k))
        if k % 5 == 4:
            body.append("q = p")      # a reassignment: versioned names, like user code has
        body.append(f"p = v{k}")
        k += 1
    body.append("return np.sum(p * p) + np.sum(q)")
    text = "import numpy as np\n\n\ndef f(x, W, b):\n" + "".join(f"    {line}\n" for line in body)
    return text, len(body)


def load(n, directory):
    text, statements = source_of(n)
    path = os.path.join(directory, f"scaling_{n}.py")
    with open(path, "w") as handle:
        handle.write(text)
    spec = importlib.util.spec_from_file_location(f"scaling_{n}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f, statements


def measure(n, directory):
    f, statements = load(n, directory)
    rng = np.random.default_rng(0)
    x, W, b = rng.normal(size=(4, 3)) * 0.5, rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3) * 0.5
    t0 = time.perf_counter()
    program_of(f)
    t1 = time.perf_counter()
    g = Gradient(f, ("x", "W", "b"))
    t2 = time.perf_counter()
    grads = g(x, W, b)
    t3 = time.perf_counter()
    # a directional finite difference, so that speed never hides a wrong answer
    v = [rng.normal(size=a.shape) for a in (x, W, b)]
    h = 1e-5
    fd = (f(*[a + h * d for a, d in zip((x, W, b), v)]) - f(*[a - h * d for a, d in zip((x, W, b), v)])) / (2 * h)
    ad = sum(float(np.sum(gr * d)) for gr, d in zip(grads, v))
    ok = abs(fd - ad) <= 1e-5 * (1 + abs(ad))
    lines = g.source.count("\n")
    return statements, t1 - t0, t2 - t1, t3 - t2, lines, ok


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=3,
                        help="compile each size this many times (a fresh function each time) and show the fastest: "
                             "other processes only ever add time; the median is shown too")
    parser.add_argument("--profile", action="store_true", help="print a profile of the largest size")
    args = parser.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    directory = tempfile.mkdtemp(prefix="s2sgrad-scaling-")
    print(f"{'statements':>10} {'parse+normalize':>16} {'generic':>9} {'first call':>11} {'total':>8} "
          f"{'median':>8} {'per stmt':>9} {'out lines':>9}  gradient")
    for n in args.sizes:
        runs = [measure(n, directory) for _ in range(max(1, args.repeat))]
        totals = sorted(sum(run[1:4]) for run in runs)
        statements, parse, generic, first, lines, _ = min(runs, key=lambda run: sum(run[1:4]))
        ok = all(run[5] for run in runs)
        total = parse + generic + first
        print(f"{statements:>10} {parse:>15.3f}s {generic:>8.3f}s {first:>10.3f}s {total:>7.3f}s "
              f"{totals[len(totals) // 2]:>7.3f}s {1e3 * total / statements:>7.2f}ms {lines:>9}  "
              f"{'ok' if ok else 'WRONG'}")
    if args.profile:
        import cProfile
        import pstats
        cProfile.runctx("measure(args.sizes[-1], directory)", globals(), {"args": args, "directory": directory},
                        "/tmp/s2sgrad-scaling.prof")
        pstats.Stats("/tmp/s2sgrad-scaling.prof").sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
