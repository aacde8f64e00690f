"""A generator of random, valid NumPy functions, for differential testing of s2sgrad.

Every program it writes runs: the generator builds it statement by statement
while *executing* each candidate statement on the program's actual arguments,
and keeps a statement only if it runs, gives finite, moderate floats, and
mutates nothing it should not. Shapes are therefore never guessed: broadcasting
pairs, reductions with ``axis``/``keepdims``, reshapes, products and indexes are
chosen from the values at hand, and a candidate that NumPy rejects is simply
drawn again.

What a program may contain is chosen by ``features``:

``straight``  straight-line code from the rules table: ufuncs, operators with
              constants and broadcasting, reductions, shape functions, products,
              indexing (basic, advanced, boolean masks), methods, reassignment,
              augmented assignment, tuple unpacking, ``np.where``;
``helpers``   calls to generated module-level helper functions (with defaults,
              keywords, and calls between helpers), which s2sgrad inlines;
``globals``   module-level constant arrays read by the function;
``branches``  ``if``/``elif``/``else`` and conditional expressions on values,
              shapes and integer arguments;
``loops``     ``for`` (over ``range``, over an array's rows, ``enumerate``) and
              ``while`` loops with accumulation and overwrites;
``writes``    writes into arrays (``y[i] = ...``, ``y[:, 0] += ...``), also in loops;
``lists``     lists built with ``append`` in loops and joined by ``np.stack``;
``repeats``   writes with integer-array indices that repeat (``y[[1, 0, 1]] = v``,
              ``y[idx] += v`` with an integer-array argument ``idx`` holding repeats,
              ``np.add.at``), and reads ``x[idx]`` with it;
``names``     loops that reuse names: a later loop or an assignment rebinds an
              earlier loop's target or counter, and loops nest, reusing names too;
``global_writes``  module-level buffers the function writes (``BUF[:] = e``) and
              then reads, a ``global`` rebound, and module constants read;
``complex``   complex parameters and complex constants, complex intermediates turned
              real by ``np.real``/``np.imag``/``np.abs``/``np.angle``.

Names are drawn from a pool that collides on purpose with what s2sgrad
generates (``dx``, ``t1``, ``g``, ``ans``, ``unbroadcast``, ``np`` when NumPy is
imported under another alias, builtins, unicode), so every program is also a
name-hygiene test.
"""

import re
import warnings
from dataclasses import dataclass, field

import numpy as np

from fuzz_time_limit import time_limit

STRAIGHT = frozenset({"straight", "helpers", "globals"})
CONTROL = frozenset({"branches", "loops", "writes", "lists"})
# the classes of defect of issue 19: each alone on top of STRAIGHT | CONTROL, or all together in ALL
NEW = frozenset({"repeats", "names", "global_writes", "complex"})
ALL = STRAIGHT | CONTROL | NEW

# Deliberately awkward names: s2sgrad's own (adjoints, temporaries, template names,
# runtime helpers), builtins, unicode. The simple ones come first: shrinking prefers them.
NAME_POOL = ["a", "b", "c", "x", "y", "z", "W", "V", "dx", "dW", "dy", "t1", "t2", "dt1", "g", "ans",
             "grad", "tape", "_stack", "dout", "unbroadcast", "at_extremum", "θ", "δx", "max", "sum",
             "id", "out", "value", "x_1", "dz_1", "d", "np_1", "t", "dθ", "Z", "dZ", "dans", "fn", "list", "reversed", "tuple", "slice", "map", "min", "zip"]
# (never a builtin the generator itself calls: range, len, enumerate, float, abs; assigned anywhere
# in a function, such a name is local everywhere in it)
FUNCTION_NAMES = ["f", "cost", "grad", "loss", "dcost", "g_1"]
HELPER_NAMES = ["h", "helper", "exp", "unbroadcast", "dot", "tanh", "grad_f", "layer", "sum_"]
LOOP_NAMES = ["i", "j", "k", "t1", "n_"]
LIST_NAMES = ["hs", "outs", "_stack", "tape", "rows"]
GLOBAL_NAMES = ["G", "SCALE", "W0", "B"]             # module-level constants
INDEX_NAMES = ["idx", "ids", "index", "pos"]          # integer-array arguments (may repeat)
BUFFER_NAMES = ["BUF", "OUT", "CACHE", "STATE"]       # module-level arrays the function writes

# complex values: made from real ones, transformed, and turned real again
COMPLEX_MAKERS = ["({0} * (0.5+1j))", "({0} + 1j * {1})", "np.exp(1j * {0})", "(1j * {0})", "({0} - 0.25j)",
                  "(2j * {0} + {1})"]
COMPLEX_OPS = ["{0}", "({0} * {0})", "({0} ** 2)", "np.exp({0})", "np.sin({0})", "np.cos({0})", "np.conj({0})",
               "{0}.conj()", "({0} * (0.6-0.8j))", "(({0} + 1j) * {0})", "(np.conjugate({0}) * {0})",
               "np.sum({0})", "np.mean({0})", "{0}.T", "np.cumsum({0})", "({0} * {1})", "({0} + {1})",
               "({0} / (2.0 + {1} ** 2))", "np.square({0})"]
REALIFY = ["np.real({0})", "np.imag({0})", "np.abs({0})", "{0}.real", "{0}.imag", "(np.abs({0}) ** 2)",
           "np.real({0} * np.conj({0}))", "np.angle({0})", "np.abs({0} + 0.5)", "np.real(np.vdot({0}, {0}))"]
COMPLEX_LOSSES = ["np.sum(np.abs({0}) ** 2)", "np.sum(np.real({0}) * np.imag({0}))", "np.sum(np.abs({0}))",
                  "np.real(np.sum({0} * np.conj({0})))", "np.sum(np.real({0}))", "np.sum(np.imag({0}) ** 2)"]

PARAM_SHAPES = [(3,), (2, 3), (), (1, 3), (2, 1), (3, 2), (4,), (2, 3, 4), (4, 1, 3), (1,)]
CONSTANTS = ["2.0", "0.5", "-1.5", "0.0", "1", "3", "1e-3"]

UNARY = ["np.sin({0})", "np.cos({0})", "np.tanh({0})", "np.exp({0})", "np.arctan({0})", "-{0}",
         "{0} ** 2", "np.square({0})", "{0} ** 3", "2.0 * {0}", "{0} * 0.5", "{0} / 4.0", "0.0 * {0}",
         "{0} * 0", "1.0 - {0}", "{0} + 1", "np.negative({0})", "np.positive({0})", "np.abs({0})",
         "abs({0})", "np.fabs({0})", "np.expm1({0})", "np.sinh({0})", "np.cosh({0})", "np.arcsinh({0})",
         "np.sinc({0})", "np.deg2rad({0})", "np.rad2deg({0})", "np.exp2({0})", "np.logaddexp({0}, 0.0)",
         "np.hypot({0}, 1.0)", "np.clip({0}, -0.5, 0.5)", "np.maximum({0}, 0.0)", "np.copy({0})",
         "np.asarray({0})", "{0}.copy()", "np.sign({0}) * {0}", "np.floor({0}) + {0}",
         "np.where({0} > 0, {0}, 0.1 * {0})", "np.arcsin(0.5 * np.tanh({0}))",
         "np.arccos(0.5 * np.tanh({0}))", "np.arctanh(0.5 * np.tanh({0}))", "np.tan(np.tanh({0}))",
         "np.array({0})", "+{0}", "np.radians({0})", "np.degrees({0})", "np.minimum({0}, 0.25)"]
# functions defined on positive numbers; {p} is the operand made positive
POSITIVE = ["np.log({p})", "np.sqrt({p})", "1.0 / {p}", "{p} ** 0.5", "{p} ** {0}", "np.power({p}, {0})",
            "np.log2({p})", "np.log10({p})", "np.log1p({p})", "np.reciprocal({p})", "np.cbrt({p})",
            "np.arccosh(1.0 + {p})", "2.0 ** {0}", "np.float_power({p}, {0})", "{p} ** -1", "3 / {p}"]
POSITIVIZERS = ["np.exp({0})", "(1.0 + {0} ** 2)", "np.cosh({0})", "(2.0 + np.sin({0}))",
                "(np.abs({0}) + 0.5)"]
BINARY = ["({0} + {1})", "({0} - {1})", "({0} * {1})", "({0} / {P1})", "np.add({0}, {1})",
          "np.subtract({0}, {1})", "np.multiply({0}, {1})", "np.divide({0}, {P1})", "np.maximum({0}, {1})",
          "np.minimum({0}, {1})", "np.logaddexp({0}, {1})", "np.logaddexp2({0}, {1})", "np.hypot({0}, {1})",
          "np.arctan2({0}, {P1})", "np.where({0} > {1}, {0}, {1})", "({P0} ** {1})", "np.power({P0}, {1})",
          "np.fmax({0}, {1})", "np.fmin({0}, {1})", "np.mod({0}, {P1})", "np.where({1} > 0, {0}, -{0})",
          "np.clip({0}, -0.5, {P1})", "({1} - {0}) / ({P1})"]
REDUCTIONS = ["sum", "mean", "max", "min", "prod", "var", "std", "amax", "amin", "nanmax", "nanmin"]
METHOD_REDUCTIONS = ["sum", "mean", "max", "min", "prod", "var", "std"]


@dataclass
class Program:
    """A generated function: its module source, arguments, and how to differentiate it."""

    source: str
    name: str
    args: tuple
    args2: tuple                  # other values of the same shapes (types, integers)
    wrt: object                   # as passed to grad: an index, a name, or a tuple of them
    wrt_indices: tuple
    features: frozenset
    statements: int = 0
    record: list = field(default=None, repr=False)
    tags: frozenset = frozenset()     # constructs of note in it (see tags_of)
    own_globals: frozenset = frozenset()    # module globals the function itself rebinds (``global``)

    def __str__(self):
        return self.source

    def __repr__(self):
        shapes = ", ".join(type(a).__name__ if not isinstance(a, np.ndarray) else f"array{a.shape}"
                           for a in self.args)
        return f"\n{self.source}\n# {self.name}({shapes}), wrt={self.wrt!r}\n"


class Rejected(Exception):
    """A candidate statement or expression that does not run or gives unusable values."""


class Generator:
    """Builds one program; all decisions come from ``chooser`` (see :mod:`fuzz_choices`)."""

    def __init__(self, chooser, features=STRAIGHT, max_statements=8, depth=2):
        self.c = chooser
        self.features = frozenset(features)
        self.max_statements = max_statements
        self.depth = depth
        self.alias = chooser.pick(["np", "np", "np", "numpy", "onp"])
        self.taken = {self.alias, "numpy"}
        self.helpers = []              # (name, source)
        self.globals = []              # (name, source)
        self.ns = {self.alias: np}     # module namespace of the simulation
        self.helper_depth = 0
        self.used = set()
        self.global_names = set()      # module globals in the simulation: read, never assigned as locals
        self.own_globals = set()       # rebound by the function through a global statement
        self.loop_names = []           # loop targets and counters used so far (reused with "names")
        self.index_param = None        # the integer-array argument ("repeats")
        self.index_values = ()

    # --------------------------------------------------------------- names
    def fresh(self, pool=NAME_POOL):
        n = self.c.integer(0, len(pool) - 1)
        for k in range(len(pool)):
            candidate = pool[(n + k) % len(pool)]
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate
        i = 1
        while f"v{i}" in self.taken:
            i += 1
        self.taken.add(f"v{i}")
        return f"v{i}"

    def np_(self, template):
        """A template spelled with the program's NumPy alias (idempotent: operands already spelled
        with it are left alone, and no variable is named np)."""
        return re.sub(r"(?<![\w.])np\.", self.alias + ".", template) if self.alias != "np" else template

    # ----------------------------------------------------------- the program
    def program(self):
        c = self.c
        seed = c.integer(0, 2 ** 20)
        rng = np.random.default_rng(seed)
        fname = self.fresh(FUNCTION_NAMES)
        nparams = c.integer(1, 4)
        params, values, values2 = [], [], []
        for _ in range(nparams):
            pname = self.fresh()
            shape = c.pick(PARAM_SHAPES)
            kind = c.pick(["array", "float", "float64", "0d"]) if shape == () else "array"
            v, v2 = rng.uniform(-1, 1, shape), rng.uniform(-1, 1, shape)
            if "complex" in self.features and params and c.chance(15):
                v = v + 1j * rng.uniform(-1, 1, shape)
                v2 = v2 + 1j * rng.uniform(-1, 1, shape)
                kind = {"float": "complex", "float64": "complex128"}.get(kind, kind)
            if kind == "float":
                v, v2 = float(v), float(v2)
            elif kind == "float64":
                v, v2 = np.float64(v), np.float64(v2)
            elif kind == "complex":
                v, v2 = complex(v), complex(v2)
            elif kind == "complex128":
                v, v2 = np.complex128(v), np.complex128(v2)
            params.append(pname)
            values.append(v)
            values2.append(v2)
        int_param = None
        if c.chance(25):
            int_param = self.fresh(["n", "m", "k_", "steps"])
            params.append(int_param)
            n = c.integer(1, 3)
            values.append(n)
            values2.append(n if c.chance(70) else n + 1)
        if "repeats" in self.features and c.chance(40):
            self.index_param = self.fresh(INDEX_NAMES)
            k = c.integer(3, 4)                   # three or more of 0 and 1: a repeat
            index = rng.integers(0, 2, k)
            index2 = index if c.chance(40) else rng.integers(0, 3, k)   # another pattern of repeats
            params.append(self.index_param)
            values.append(index)
            values2.append(index2)
            self.index_values = (index, index2)
        if "globals" in self.features and c.chance(30):
            gname = self.fresh(GLOBAL_NAMES)
            shape = c.pick([(3,), (2, 3), (), (1, 3)])
            text = (f"{self.alias}.linspace(-1.0, 1.0, {int(np.prod(shape))}).reshape({shape})" if shape
                    else f"{self.alias}.float64(0.75)")
            self.globals.append((gname, text))
            self.ns[gname] = eval(text, {self.alias: np})
        env = dict(zip(params, values))
        if "global_writes" in self.features:          # module constants are read
            env.update((gname, self.ns[gname]) for gname, _ in self.globals)
            self.global_names.update(gname for gname, _ in self.globals)
        self.arguments = [v for v in values if isinstance(v, np.ndarray)]
        self.int_param = int_param
        self.params = params

        body = Body(self, env, indent=1)
        n_statements = c.integer(1, self.max_statements)
        for _ in range(n_statements):
            body.statement()
        body.finish()

        floats = [i for i, (p, v) in enumerate(zip(params, values)) if p not in (int_param, self.index_param)]
        chosen = [i for i in floats if c.chance(60)] or [floats[c.integer(0, len(floats) - 1)]]
        style = c.pick(["index", "name", "tuple"])
        if len(chosen) == 1 and style != "tuple":
            wrt = chosen[0] if style == "index" else params[chosen[0]]
        else:
            wrt = tuple(params[i] if c.chance(50) else i for i in chosen)

        header = f"import numpy as {self.alias}" if self.alias != "numpy" else "import numpy"
        parts = [header + "\n"]
        if self.globals:
            parts.append("".join(f"{g} = {t}\n" for g, t in self.globals))
        parts += [src for _, src in self.helpers]
        parts.append(f"def {fname}({', '.join(params)}):\n" + "".join(body.lines))
        source = "\n\n".join(parts)
        return Program(source, fname, tuple(values), tuple(values2), wrt, tuple(chosen), self.features,
                       statements=body.count, own_globals=frozenset(self.own_globals))


class Body:
    """A block of statements being generated, with the simulated values of its names."""

    def __init__(self, gen, env, indent):
        self.g = gen
        self.c = gen.c
        self.env = env              # name -> current value (the simulation)
        self.indent = indent
        self.lines = []
        self.count = 0
        self.in_loop = False
        self.loop_depth = 0
        self.params = set(env)      # a function's parameters: never updated in place (aliasing)

    # ------------------------------------------------------------ helpers
    def floats(self):
        """Names holding float arrays or scalars, usable as operands."""
        return [n for n, v in self.env.items() if _is_float(v)]

    def targets(self):
        """Float names a statement may assign: not module globals (assigned, a name is local everywhere)."""
        return [n for n in self.floats() if n not in self.g.global_names]

    def complexes(self):
        """Names holding complex arrays or scalars."""
        return [n for n, v in self.env.items() if _is_complex(v)]

    def loop_name(self, avoid=()):
        """A loop target or counter: with ``names``, often one an earlier loop used (a reuse)."""
        g = self.g
        reusable = [n for n in g.loop_names if n not in avoid]
        if "names" in g.features and reusable and self.c.chance(50):
            return self.c.pick(reusable)
        name = g.fresh(LOOP_NAMES)
        g.loop_names.append(name)
        return name

    def namespace(self):
        ns = dict(self.g.ns)
        ns.update(self.env)
        return ns

    def emit(self, text):
        pad = "    " * self.indent
        self.lines.extend(pad + line + "\n" for line in text.split("\n"))

    def evaluate(self, src, ns=None):
        with np.errstate(all="raise", under="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                with time_limit():
                    value = eval(src, ns or self.namespace())
            except Exception as exc:
                raise Rejected(src) from exc
        check_value(value)
        return value

    def run(self, text, writes=()):
        """Execute a candidate statement on the simulation; returns the new environment."""
        ns = self.namespace()
        for w in writes:                    # writes must not reach other names' memory
            base = ns[w]
            others = [v for n, v in self.env.items() if n != w] + self.g.arguments
            if not isinstance(base, np.ndarray) or any(
                    isinstance(v, np.ndarray) and np.shares_memory(base, v) for v in others):
                raise Rejected(text)
            ns[w] = base.copy()
        before = {n: ns.get(n) for n in self.env}
        # what the candidate may not change in place: the arguments, and every value but its declared writes
        # (`for t1 in x: ... t1 += 1` changes x's rows), restored if it does
        kept = [(v, v.copy()) for v in {id(v): v for v in list(self.env.values()) + self.g.arguments
                                        if isinstance(v, np.ndarray)}.values()]
        with np.errstate(all="raise", under="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                with time_limit():        # a candidate while loop may never end
                    exec(text, ns)
            except Exception as exc:
                _restore(kept)
                raise Rejected(text) from exc
        if _restore(kept):
            raise Rejected(text)
        env = {}
        for n in list(self.env) + [k for k in ns if k not in self.g.ns and k not in self.env]:
            if n.startswith("__"):
                continue
            v = ns.get(n)
            if n in before and v is before[n]:
                env[n] = v
                continue
            check_value(v)
            env[n] = v
        return env

    def attempt(self, make, tries=8):
        """Call ``make()`` until it produces a statement that runs; False if none did."""
        for _ in range(tries):
            try:
                text, writes = make()
                env = self.run(text, writes)
            except Rejected:
                continue
            self.env = env
            self.emit(text)
            self.count += 1
            return True
        return False

    # ----------------------------------------------------------- expressions
    def operand(self, depth):
        """(source, value) of a float-valued expression."""
        names = self.floats()
        if depth <= 0 or not self.c.chance(45):
            n = names[self.c.integer(0, len(names) - 1)]
            return n, self.env[n]
        src = self.expression(depth - 1)
        return src, self.evaluate(src)

    def constant(self):
        return self.c.pick(CONSTANTS)

    def expression(self, depth=None):
        depth = self.g.depth if depth is None else depth
        kinds = ["unary", "binary", "reduce", "shape", "index", "product", "positive", "const_binary",
                 "method", "where"]
        if "helpers" in self.g.features and self.g.helpers and self.g.helper_depth <= 1:
            kinds.append("call")
        if "branches" in self.g.features:
            kinds.append("ifexp")
        for _ in range(6):
            kind = self.c.pick(kinds)
            try:
                src = getattr(self, "expr_" + kind)(depth)
                self.evaluate(src)
                return src
            except Rejected:
                continue
        n = self.floats()[0]
        return self.g.np_("np.sin({0})").format(n)

    def expr_unary(self, depth):
        a, _ = self.operand(depth)
        return self.g.np_(self.c.pick(UNARY)).format(a)

    def positive(self, a):
        return self.g.np_(self.c.pick(POSITIVIZERS)).format(a)

    def expr_positive(self, depth):
        a, _ = self.operand(depth)
        b, _ = self.operand(depth)
        return self.g.np_(self.c.pick(POSITIVE)).format(b, p=self.positive(a))

    def compatible(self, value):
        shape = np.shape(value)
        out = []
        for n in self.floats():
            try:
                np.broadcast_shapes(shape, np.shape(self.env[n]))
                out.append(n)
            except ValueError:
                pass
        return out

    def expr_binary(self, depth):
        a, va = self.operand(depth)
        partners = self.compatible(va)
        if partners and not self.c.chance(30):
            b = partners[self.c.integer(0, len(partners) - 1)]
        else:
            b, _ = self.operand(depth)
        template = self.g.np_(self.c.pick(BINARY))
        if self.c.chance(50):
            a, b = b, a
        return template.format(a, b, P0=self.positive(a), P1=self.positive(b))

    def expr_const_binary(self, depth):
        a, _ = self.operand(depth)
        k = self.constant()
        op = self.c.pick(["+", "*", "-", "/", "**"])
        if op == "**":
            return f"({self.positive(a)} ** {k})" if self.c.chance(50) else f"({a} ** {self.c.pick(['2', '3', '1', '2.0'])})"
        if op == "/":
            return f"({k} / {self.positive(a)})" if self.c.chance(50) else f"({a} / {self.c.pick(['2.0', '4', '-0.5'])})"
        return f"({k} {op} {a})" if self.c.chance(50) else f"({a} {op} {k})"

    def axis_args(self, ndim, method=False):
        """An axis argument for a reduction of an ``ndim`` array, as source ('' for none)."""
        c = self.c
        choice = c.integer(0, 5)
        if ndim == 0 or choice == 0:
            axis = None
        elif choice <= 3:
            axis = c.integer(-ndim, ndim - 1)
        elif ndim >= 2:
            axes = sorted({c.integer(0, ndim - 1), c.integer(0, ndim - 1)})
            axis = tuple(axes)
        else:
            axis = 0
        keepdims = c.chance(30)
        parts = []
        if axis is not None:
            parts.append(f"{axis}" if c.chance(30) and not keepdims else f"axis={axis}")
        if keepdims:
            parts.append("keepdims=True")
        return ", ".join(parts)

    def expr_reduce(self, depth):
        a, va = self.operand(depth)
        ndim = np.ndim(va)
        c = self.c
        kind = c.pick(["plain", "plain", "norm", "cumsum", "ddof"])
        if kind == "norm":
            ord_ = c.pick(["", ", ord=1", ", 2", ", ord=None", ", ord='fro'"])
            axis = c.pick(["", f", axis={c.integer(0, max(ndim - 1, 0))}"]) if ndim else ""
            keep = ", keepdims=True" if c.chance(20) else ""
            return self.away_from_zero(self.g.np_(f"np.linalg.norm({a}{ord_}{axis}{keep})"))
        if kind == "cumsum":
            axis = f", axis={c.integer(-ndim, ndim - 1)}" if ndim and c.chance(60) else ""
            return self.g.np_(f"np.cumsum({a}{axis})")
        if kind == "ddof":
            fn = c.pick(["var", "std"])
            args = self.axis_args(ndim)
            return self.away_from_zero(self.g.np_(f"np.{fn}({a}, {args + ', ' if args else ''}ddof=1)"))
        fn = c.pick(REDUCTIONS)
        args = self.axis_args(ndim)
        src = self.g.np_(f"np.{fn}({a}{', ' + args if args else ''})")
        return self.away_from_zero(src) if fn in ("std", "var") else src

    def away_from_zero(self, src):
        """A norm or standard deviation of (nearly) zero is where it has no derivative: draw again.

        (The spread of identical rows is zero however they move together, so
        finite differences cannot see that kink.)
        """
        if np.min(np.abs(self.evaluate(src))) < 1e-3:
            raise Rejected(src)
        return src

    def expr_method(self, depth):
        a, va = self.operand(depth)
        if not isinstance(va, np.ndarray):
            raise Rejected(a)
        ndim = va.ndim
        c = self.c
        kind = c.pick(["reduce", "reshape", "T", "transpose", "ravel", "flatten", "squeeze", "clip", "cumsum",
                       "swapaxes", "dot", "astype"])
        if kind == "reduce":
            args = self.axis_args(ndim)
            return f"{_paren(a)}.{c.pick(METHOD_REDUCTIONS)}({args})"
        if kind == "reshape":
            shape = factor_shape(va.size, c)
            packed = ", ".join(map(str, shape)) if shape and c.chance(50) else repr(shape)
            return f"{_paren(a)}.reshape({packed})"
        if kind == "T":
            return f"{_paren(a)}.T"
        if kind == "transpose":
            perm = permutation(ndim, c)
            return f"{_paren(a)}.transpose({', '.join(map(str, perm))})"
        if kind in ("ravel", "flatten", "squeeze", "copy"):
            return f"{_paren(a)}.{kind}()"
        if kind == "clip":
            return f"{_paren(a)}.clip(-0.5, 0.5)"
        if kind == "cumsum":
            return f"{_paren(a)}.cumsum({'axis=' + str(c.integer(0, ndim - 1)) if ndim else ''})"
        if kind == "swapaxes":
            if ndim < 2:
                raise Rejected(a)
            return f"{_paren(a)}.swapaxes(0, {ndim - 1})"
        if kind == "astype":
            return f"{_paren(a)}.astype(float)"
        partners = [n for n in self.floats() if _can_dot(va, self.env[n])]
        if not partners:
            raise Rejected(a)
        return f"{_paren(a)}.dot({c.pick(partners)})"

    def expr_shape(self, depth):
        a, va = self.operand(depth)
        ndim, size, shape = np.ndim(va), np.size(va), np.shape(va)
        c = self.c
        kind = c.pick(["reshape", "transpose", "expand", "ravel", "flip", "broadcast", "stack", "concatenate",
                       "squeeze", "swapaxes", "moveaxis", "atleast", "T", "trace"])
        np_ = self.g.np_
        if kind == "reshape":
            return np_(f"np.reshape({a}, {factor_shape(size, c)!r})")
        if kind == "transpose":
            if c.chance(50) or ndim < 2:
                return np_(f"np.transpose({a})")
            return np_(f"np.transpose({a}, {tuple(permutation(ndim, c))!r})")
        if kind == "expand":
            return np_(f"np.expand_dims({a}, {c.integer(-ndim - 1, ndim)})")
        if kind == "ravel":
            return np_(f"np.ravel({a})")
        if kind == "flip":
            return np_(f"np.flip({a})") if not ndim or c.chance(40) else np_(f"np.flip({a}, {c.integer(0, ndim - 1)})")
        if kind == "broadcast":
            return np_(f"np.broadcast_to({a}, {(c.integer(1, 3),) + shape!r})")
        if kind in ("stack", "concatenate"):
            same = [n for n in self.floats() if np.shape(self.env[n]) == shape]
            b = c.pick(same) if same and c.chance(70) else self.g.np_(f"np.sin({a})")
            items = [a, b] if c.chance(50) else [b, a, b]
            if kind == "stack":
                return np_(f"np.stack([{', '.join(items)}]{', axis=' + str(c.integer(0, ndim)) if c.chance(50) else ''})")
            if ndim == 0:
                raise Rejected(a)
            return np_(f"np.concatenate([{', '.join(items)}]{', axis=' + str(c.integer(0, ndim - 1)) if c.chance(50) else ''})")
        if kind == "squeeze":
            ones = [i for i, n in enumerate(shape) if n == 1]
            if ones and c.chance(50):
                return np_(f"np.squeeze({a}, axis={c.pick(ones)})")
            return np_(f"np.squeeze({a})")
        if kind == "swapaxes":
            if ndim < 2:
                raise Rejected(a)
            return np_(f"np.swapaxes({a}, 0, {c.integer(1, ndim - 1)})")
        if kind == "moveaxis":
            if ndim < 2:
                raise Rejected(a)
            return np_(f"np.moveaxis({a}, 0, -1)")
        if kind == "atleast":
            return np_(f"np.atleast_{c.pick(['1d', '2d'])}({a})")
        if kind == "T":
            return f"{_paren(a)}.T"
        if ndim != 2:
            raise Rejected(a)
        return np_(f"np.trace({a})")

    def expr_index(self, depth):
        a, va = self.operand(depth)
        ndim, shape = np.ndim(va), np.shape(va)
        if ndim == 0:
            raise Rejected(a)
        c = self.c
        n0 = shape[0]
        kinds = ["int", "slice", "newaxis", "column", "ellipsis", "fancy", "mask", "tuple", "reverse", "int_name"]
        if self.g.index_param in self.env:
            kinds.append("index_param")      # a read with repeated indices: every duplicate adds in the adjoint
        kind = c.pick(kinds)
        if kind == "index_param":
            return f"{_paren(a)}[{self.index_argument(n0)}]"
        if kind == "int":
            return f"{_paren(a)}[{c.integer(-n0, n0 - 1)}]"
        if kind == "slice":
            lo, hi = sorted((c.integer(0, n0), c.integer(0, n0)))
            return f"{_paren(a)}[{lo}:{hi if hi > lo else lo + 1}]"
        if kind == "reverse":
            return f"{_paren(a)}[::-1]"
        if kind == "newaxis":
            return f"{_paren(a)}[{c.pick([':, None', 'None', 'None, :', '..., None'])}]"
        if kind == "column":
            if ndim < 2:
                raise Rejected(a)
            return f"{_paren(a)}[:, {c.integer(0, shape[1] - 1)}]"
        if kind == "ellipsis":
            return f"{_paren(a)}[..., {c.integer(0, shape[-1] - 1)}]"
        if kind == "fancy":
            idx = [c.integer(0, n0 - 1) for _ in range(c.integer(1, 4))]
            return f"{_paren(a)}[{idx!r}]"
        if kind == "mask":
            reducer = c.pick(["sum", "mean", "max"])
            return self.g.np_(f"np.{reducer}({_paren(a)}[{a} > {c.pick(['0.0', '-0.5', '0.25'])}])") \
                if np.any(np.asarray(va) > 0.25) else self.g.np_(f"np.sum({_paren(a)}[{a} < 2.0])")
        if kind == "tuple":
            idx = ", ".join(str(c.integer(0, n - 1)) for n in shape[:c.integer(1, ndim)])
            return f"{_paren(a)}[{idx}]"
        ints = [n for n, v in self.env.items() if isinstance(v, int) and not isinstance(v, bool)]
        if ints:
            name_ = c.pick(ints)
            return f"{_paren(a)}[{name_} % {n0}]" if c.chance(50) else f"{_paren(a)}[{name_} - 1]"
        return self.g.np_(f"{_paren(a)}[{self.g.alias}.argmax({a}) % {n0}]") if ndim == 1 else f"{_paren(a)}[0]"

    def expr_product(self, depth):
        a, va = self.operand(depth)
        c = self.c
        partners = [n for n in self.floats() if _can_dot(va, self.env[n])]
        np_ = self.g.np_
        if not partners:
            if np.ndim(va) == 2:
                return f"({_paren(a)} @ {_paren(a)}.T)" if c.chance(50) else f"({_paren(a)}.T @ {_paren(a)})"
            if np.ndim(va) == 1:
                return np_(f"np.outer({a}, {a})") if c.chance(50) else np_(f"np.dot({a}, {a})")
            raise Rejected(a)
        b = c.pick(partners)
        template = c.pick(["({0} @ {1})", "np.dot({0}, {1})", "np.matmul({0}, {1})", "np.outer({0}, {1})"])
        return np_(template).format(a, b)

    def expr_where(self, depth):
        a, va = self.operand(depth)
        partners = self.compatible(va)
        b = self.c.pick(partners) if partners else self.constant()
        cond = self.c.pick(["{0} > {1}", "{0} < 0.2", "{1} >= 0"])
        return self.g.np_("np.where(" + cond.format(a, b) + ", {0}, {1})").format(a, b)

    def expr_call(self, depth):
        hname, nparams, defaults = self.c.pick([(h, n, d) for h, (n, d) in self.g.helper_arity.items()])
        args = [self.c.pick(self.floats()) for _ in range(nparams - defaults)]
        return f"{hname}({', '.join(args)})"

    def expr_ifexp(self, depth):
        a, va = self.operand(depth)
        b = self.expression(max(depth - 1, 0))
        if np.shape(self.evaluate(b)) != np.shape(va):
            raise Rejected(b)
        return f"({a} if {self.condition()} else {b})"

    def int_param(self):
        """The function's integer parameter, where this body can see it (not in a helper's body)."""
        return self.g.int_param is not None and self.g.int_param in self.env

    def condition(self):
        c = self.c
        names = self.floats()
        a = c.pick(names)
        kind = c.integer(0, 4)
        if kind == 0 and self.int_param():
            return f"{self.g.int_param} > {c.integer(1, 3)}"
        if kind == 1 and isinstance(self.env[a], np.ndarray) and self.env[a].ndim:
            return f"{a}.shape[0] > {c.integer(1, 3)}"
        if kind == 2:
            return self.g.np_(f"np.mean({a}) < {c.pick(['0.0', '0.3', '-0.2'])}")
        if kind == 3:
            b = c.pick(names)
            return self.g.np_(f"np.max({a}) > np.min({b})")
        return self.g.np_(f"float(np.sum({a})) > 0")

    # ------------------------------------------------------------ statements
    def statement(self):
        features = self.g.features
        kinds = ["assign", "assign", "assign", "overwrite", "augassign", "unpack", "multi"]
        if "helpers" in features and self.g.helper_depth == 0:
            kinds.append("helper")
        if "branches" in features:
            kinds.append("if")
        if "loops" in features and not self.in_loop:
            kinds += ["for", "while"]
        elif "loops" in features and "names" in features and self.loop_depth < 2:
            kinds.append("for")              # nested loops (reusing names)
        if "repeats" in features:
            kinds.append("repeat_write")
        if "global_writes" in features and self.indent == 1 and not self.g.helper_depth:
            kinds.append("global_write")
        if "complex" in features:
            kinds.append("complex")
        if "writes" in features:
            kinds.append("write")
        if "lists" in features and not self.in_loop:
            kinds.append("list")
        kind = self.c.pick(kinds)
        getattr(self, "stmt_" + kind)()

    def new_name(self):
        return self.g.fresh()

    def stmt_assign(self):
        def make():
            if "names" in self.g.features and self.g.loop_names and self.c.chance(20):
                target = self.c.pick(self.g.loop_names)      # an earlier loop's target, reused
            else:
                target = self.new_name() if not self.in_loop or self.c.chance(30) else self.c.pick(self.targets())
            return f"{target} = {self.expression()}", ()
        self.attempt(make)

    def stmt_overwrite(self):
        def make():
            target = self.c.pick(self.targets())
            src = self.expression()
            if self.in_loop and np.shape(self.evaluate(src)) != np.shape(self.env[target]):
                raise Rejected(src)          # a loop-carried value keeps its shape
            return f"{target} = {src}", ()
        self.attempt(make)

    def stmt_augassign(self):
        def make():
            target = self.c.pick(self.targets())
            op = self.c.pick(["+=", "*=", "-=", "/="])
            if op == "/=":
                operand = self.positive(self.c.pick(self.floats()))
            else:
                operand = self.expression(1)
            value = self.env[target]
            if target in self.params or (isinstance(value, np.ndarray) and not value.flags.writeable):
                raise Rejected(target)   # an in-place update would change the caller's array
            text = f"{target} {op} {operand}"
            return text, (target,) if isinstance(value, np.ndarray) else ()
        self.attempt(make)

    def stmt_unpack(self):
        def make():
            names = self.targets()
            if len(names) >= 2 and self.c.chance(40):
                a, b = self.c.pick(names), self.c.pick(names)
                if a == b or (self.in_loop and np.shape(self.env[a]) != np.shape(self.env[b])):
                    raise Rejected(a)
                return f"{a}, {b} = {b}, {a}", ()
            t1, t2 = self.new_name(), self.new_name()
            return f"{t1}, {t2} = {self.expression(1)}, {self.expression(1)}", ()
        self.attempt(make)

    def stmt_multi(self):
        def make():
            return f"{self.new_name()} = {self.new_name()} = {self.expression(1)}", ()
        self.attempt(make)

    def stmt_helper(self):
        """Define a module-level helper on some of the current values, and call it."""
        g, c = self.g, self.c
        names = self.floats()
        args = [c.pick(names) for _ in range(c.integer(1, 3))]
        hname = g.fresh(HELPER_NAMES)
        params = [g.fresh() for _ in args]
        # the helper's own locals come from the same pool: they collide with the caller's
        g.helper_depth += 1
        child = Body(g, {p: self.env[a] for p, a in zip(params, args)}, indent=1)
        defaults = 0
        if c.chance(30):
            dname = g.fresh()
            child.env[dname] = 0.5
            child.params.add(dname)
            params.append(f"{dname}=0.5")
            defaults = 1
        for _ in range(c.integer(0, 3)):
            child.statement()
        ret = child.expression(1)
        g.helper_depth -= 1
        source = f"def {hname}({', '.join(params)}):\n" + "".join(child.lines) + f"    return {ret}\n"
        try:
            exec(source, g.ns)
        except Exception:
            return
        call_args = list(args)
        if defaults and c.chance(50):
            call_args.append(f"{params[-1].split('=')[0]}={c.pick(names)}")
        elif len(args) >= 2 and c.chance(30):
            call_args[-1] = f"{params[len(args) - 1]}={args[-1]}"
        call = f"{hname}({', '.join(call_args)})"
        target = self.new_name() if c.chance(70) else c.pick(self.targets())
        try:
            env = self.run(f"{target} = {call}")
        except Rejected:
            g.ns.pop(hname, None)
            return
        g.helpers.append((hname, source))
        if not hasattr(g, "helper_arity"):
            g.helper_arity = {}
        g.helper_arity[hname] = (len(params), defaults)
        self.env = env
        self.emit(f"{target} = {call}")
        self.count += 1

    # ----------------------------------------------------- control flow
    def block(self, stmts, loop=False):
        """Generate a nested block on a copy of the environment; returns (lines, body)."""
        child = Body(self.g, dict(self.env), indent=self.indent + 1)
        child.params = self.params
        child.in_loop = self.in_loop or loop
        child.loop_depth = self.loop_depth + bool(loop)
        for _ in range(stmts):
            child.statement()
        if not child.lines:
            child.emit("pass")
        return child

    def compound(self, header, blocks, setup=""):
        """Emit a compound statement if running it on the simulation works."""
        pad = "    " * self.indent
        text = (setup + "\n" if setup else "") + header + "\n"
        for extra_header, child in blocks:
            if extra_header:
                text += extra_header + "\n"
            text += "".join(line[len(pad):] for line in child.lines)
        text = text.rstrip("\n")
        try:
            env = self.run(text)
        except Rejected:
            return False
        # a name first bound inside a loop, or in some branches only, is not read after it
        complete = header.startswith("if") and any(h == "else:" for h, _ in blocks)
        self.env = {n: v for n, v in env.items()
                    if n in self.env or (complete and all(n in ch.env for _, ch in blocks))}
        self.emit(text)
        self.count += 1
        return True

    def stmt_if(self):
        c = self.c
        cond = self.condition()
        body = self.block(c.integer(1, 2))
        blocks = [(None, body)]
        if c.chance(30):
            blocks.append((f"elif {self.condition()}:", self.block(1)))
        if c.chance(60):
            blocks.append(("else:", self.block(c.integer(1, 2))))
        self.compound(f"if {cond}:", blocks)

    def loop_count(self):
        c = self.c
        options = [str(c.integer(1, 3))]
        if self.int_param():
            options.append(self.g.int_param)
        arrays = [n for n in self.floats() if np.ndim(self.env[n]) >= 1 and np.shape(self.env[n])[0] <= 4]
        if arrays:
            a = c.pick(arrays)
            options += [f"len({a})", f"{a}.shape[0]"]
        return c.pick(options)

    def stmt_for(self):
        c, g = self.c, self.g
        var, idx = self.loop_name(), None
        style = c.integer(0, 3)
        rows = [n for n in self.floats() if np.ndim(self.env[n]) >= 1 and np.shape(self.env[n])[0] <= 4]
        if style == 1 and rows:
            a = c.pick(rows)
            header = f"for {var} in {a}:"
            self.env[var] = np.asarray(self.env[a])[0]
        elif style == 2 and rows:
            a = c.pick(rows)
            idx = self.loop_name(avoid=(var,))
            header = f"for {idx}, {var} in enumerate({a}):"
            self.env[var] = np.asarray(self.env[a])[0]
            self.env[idx] = 0
        else:
            header = f"for {var} in range({self.loop_count()}):"
            self.env[var] = 0
        bound = [n for n in (var, idx) if n]
        body = self.block(c.integer(1, 3), loop=True)
        if not self.compound(header, [(None, body)]):
            for n in bound:
                self.env.pop(n, None)

    def stmt_while(self):
        c, g = self.c, self.g
        counter = self.loop_name()
        self.env[counter] = 0
        limit = self.loop_count()
        if c.chance(30):
            a = c.pick(self.floats())
            test = g.np_(f"{counter} < {limit} and np.sum({a}) < 5.0")
        else:
            test = f"{counter} < {limit}"
        body = self.block(c.integer(1, 2), loop=True)
        body.emit(f"{counter} = {counter} + 1" if c.chance(50) else f"{counter} += 1")
        ok = self.compound(f"while {test}:", [(None, body)], setup=f"{counter} = 0")
        if not ok:
            self.env.pop(counter, None)

    def array_and_new_name(self):
        """An array of at least one axis to write a copy of, and a fresh name for the copy; (None, None) if
        there is none."""
        arrays = [n for n in self.floats() if isinstance(self.env[n], np.ndarray) and self.env[n].ndim]
        if not arrays:
            return None, None
        return self.c.pick(arrays), self.g.fresh()

    def stmt_write(self):
        c, g = self.c, self.g
        src, target = self.array_and_new_name()
        if src is None:
            return
        init = c.pick([f"np.zeros_like({src})", f"{src}.copy()", f"np.ones_like({src})", f"np.copy({src})",
                       f"np.zeros({np.shape(self.env[src])!r})"])
        try:
            self.env = self.run(f"{target} = {g.np_(init)}")
        except Rejected:
            return
        self.emit(f"{target} = {g.np_(init)}")
        self.count += 1
        shape = np.shape(self.env[target])

        def make():
            index = c.pick([f"{c.integer(0, shape[0] - 1)}", ":", f"{c.integer(0, shape[0] - 1)}:",
                            "..., 0" if len(shape) >= 1 else "0", ":, 0" if len(shape) >= 2 else "0"])
            part = np.asarray(self.env[target])[eval(f"np.s_[{index}]")]
            candidates = [n for n in self.floats() if _broadcasts_to(self.env[n], np.shape(part))]
            value = c.pick(candidates) if candidates and c.chance(50) else g.np_("np.sum({0})").format(
                self.expression(1))
            value = g.np_(c.pick(["{0}", "np.sin({0})", "2.0 * {0}"])).format(value)
            op = c.pick(["=", "+=", "*="])
            return f"{target}[{index}] {op} {value}", (target,)

        for _ in range(c.integer(1, 2)):
            self.attempt(make)
        if self.in_loop or not ("loops" in g.features and c.chance(40)):
            return
        var = self.loop_name()
        n = min(shape[0], 3)

        def looped():
            value = self.expression(1)
            if not _broadcasts_to(self.evaluate(value), shape[1:]):
                value = g.np_(f"np.mean({value})")
            op = c.pick(["=", "+="])
            return f"for {var} in range({n}):\n    {target}[{var}] {op} {value} * ({var} + 1)", (target,)
        self.attempt(looped)

    def index_argument(self, n):
        """The integer-array argument as an index into ``n`` rows (``% n`` where it may not fit)."""
        name = self.g.index_param
        fits = all(np.max(v) < n for v in self.g.index_values)
        return name if fits else f"{name} % {n}"

    def repeated_index(self, n):
        """Source of an integer-array index into ``n`` rows that holds a repeat."""
        c = self.c
        kinds = ["list", "array"] + (["argument"] if self.g.index_param in self.env else [])
        kind = c.pick(kinds)
        if kind == "argument":
            return self.index_argument(n)
        index = [c.integer(0, n - 1) for _ in range(c.integer(1, 3))]
        index.insert(c.integer(0, len(index)), c.pick(index))
        return repr(index) if kind == "list" else self.g.np_(f"np.array({index!r})")

    def stmt_repeat_write(self):
        """``y[idx] = v``, ``y[idx] += v``, ``np.add.at(y, idx, v)`` where ``idx`` repeats.

        NumPy's ``=`` and ``+=`` keep only the last duplicate's value (``+=`` is
        buffered: it adds once per distinct index); ``np.add.at`` adds every one.
        """
        c, g = self.c, self.g
        src, target = self.array_and_new_name()
        if src is None:
            return
        init = g.np_(c.pick([f"np.zeros_like({src})", f"{src}.copy()", f"np.ones_like({src})"]))
        try:
            self.env = self.run(f"{target} = {init}")
        except Rejected:
            return
        self.emit(f"{target} = {init}")
        self.count += 1
        n = np.shape(self.env[target])[0]

        def make():
            index = self.repeated_index(n)
            try:
                part = np.shape(np.asarray(self.env[target])[eval(index, self.namespace())])
            except Exception as exc:
                raise Rejected(index) from exc
            whole = [v for v in self.floats() if _broadcasts_to(self.env[v], part)]
            rows = [v for v in self.floats() if np.ndim(self.env[v]) >= 1 and np.shape(self.env[v])[0] >= part[0]
                    and _broadcasts_to(np.asarray(self.env[v])[:part[0]], part)]
            kind = c.integer(0, 2)
            if kind == 0 and whole:
                value = c.pick(whole)
            elif kind == 1 and rows:
                value = f"{_paren(c.pick(rows))}[:{part[0]}]"     # one value per position, duplicates differ
            else:
                value = g.np_("np.sum({0})").format(self.expression(1))
            value = g.np_(c.pick(["{0}", "np.sin({0})", "2.0 * {0}"])).format(value)
            op = c.pick(["=", "+=", "-=", "add.at"])
            if op == "add.at":
                return g.np_(f"np.add.at({target}, {index}, {value})"), (target,)
            return f"{target}[{index}] {op} {value}", (target,)

        for _ in range(c.integer(1, 2)):
            self.attempt(make)

    def stmt_global_write(self):
        """Write a module-level buffer (then read it), or rebind a module global through ``global``.

        Only at the function's top level and once per buffer: what the function
        reads of the buffer is then what this call wrote, never a previous
        call's leftovers, so the function stays a function of its arguments.
        """
        c, g = self.c, self.g
        if self.indent != 1 or g.helper_depth or self.in_loop:
            return
        name = g.fresh(BUFFER_NAMES)

        def make():
            value = self.expression(1)
            shape = np.shape(self.evaluate(value))
            style = c.pick(["slice", "ellipsis", "row", "row", "global"])
            if style == "global":
                return f"global {name}\n{name} = {value}", None
            if style == "row" or not shape:
                return f"{name}[1] = {value}", (2,) + shape
            return f"{name}[{':' if style == 'slice' else '...'}] = {value}", shape

        for _ in range(4):
            try:
                text, shape = make()
                if shape is not None:
                    self.env[name] = np.zeros(shape)
                env = self.run(text, (name,) if shape is not None else ())
            except Rejected:
                self.env.pop(name, None)
                continue
            if shape is None:
                g.own_globals.add(name)
            else:
                g.globals.append((name, g.np_(f"np.zeros({shape!r})")))
            g.global_names.add(name)
            self.env = env
            self.emit(text)
            self.count += 1
            return

    def stmt_complex(self):
        """A complex value: from a complex name or a real one and a complex constant, transformed, kept
        complex or turned real (``np.real``, ``np.abs``, ``np.angle``, ...)."""
        c, g = self.c, self.g

        def make():
            zs = self.complexes()
            if zs and c.chance(60):
                z = c.pick(zs)
            else:
                a = c.pick(self.floats())
                z = g.np_(c.pick(COMPLEX_MAKERS)).format(a, c.pick(self.compatible(self.env[a]) or [a]))
            partners = self.compatible(self.evaluate(z)) or [z]
            op = g.np_(c.pick(COMPLEX_OPS)).format(_paren(z), c.pick(partners))
            if c.chance(40):
                return f"{self.new_name()} = {op}", ()
            return f"{self.new_name()} = {g.np_(c.pick(REALIFY)).format(op)}", ()
        self.attempt(make)

    def stmt_list(self):
        c, g = self.c, self.g
        hs = g.fresh(LIST_NAMES)
        var = self.loop_name()
        n = c.integer(1, 3)
        acc = c.pick(self.floats())

        def make():
            value = self.expression(1)
            shape = np.shape(self.evaluate(value))
            update = g.np_(c.pick(["np.tanh({0} + {1})", "{0} * {1}", "{1}"]))
            step = update.format(acc, value)
            if np.shape(self.evaluate(step)) != shape:
                step = value
            join = g.np_(c.pick(["np.stack({0})", "np.stack({0}, axis=-1)", "np.array({0})",
                                 "np.concatenate({0})" if shape else "np.stack({0})"]))
            target = g.fresh()
            text = (f"{hs} = []\nfor {var} in range({n}):\n    {hs}.append({step} * ({var} + 1))\n"
                    f"{target} = {join.format(hs)}")
            return text, ()
        if self.attempt(make):
            self.env.pop(hs, None)

    # ------------------------------------------------------------- the end
    def finish(self):
        """Return a scalar that depends nonlinearly on the last value (and maybe another)."""
        c, g = self.c, self.g
        names = self.floats()
        last = [n for n in self.env if n in names][-1]
        # prefer the most recently assigned name
        for line in reversed(self.lines):
            head = line.strip().split("=")[0].strip()
            if head in names:
                last = head
                break
        # mostly nonlinear (a transposed or misplaced gradient then changes the value), sometimes
        # linear: the seed 1.0 then folds deep into the adjoint code, which exercises the simplifier
        forms = ["np.sum(np.sin({0}))", "np.mean(np.cos({0}) * {0})", "float(np.sum(np.tanh({0})))",
                 "np.sin({0}).sum()", "np.sum({0} ** 2)", "np.sum(np.exp(-{0} ** 2))", "np.sum({0})",
                 "{0}.mean()"]
        if not isinstance(self.env[last], (np.ndarray, np.generic)):   # a Python float has no methods
            forms = [form for form in forms if "}." not in form]
        out = g.np_(c.pick(forms)).format(last)
        if len(names) > 1 and c.chance(40):
            other = c.pick(names)
            out = f"{out} + {g.np_('np.sum(np.sin({0}) * 0.5)').format(other)}"
        if np.ndim(self.env[last]) == 0 and c.chance(20):
            out = last
        complexes = self.complexes()
        if complexes and c.chance(70):       # a real loss of the latest complex value
            out = f"{out} + {g.np_(c.pick(COMPLEX_LOSSES)).format(complexes[-1])}"
        if c.chance(50):
            target = g.fresh(["out", "result", "loss", "value", "dout", "ans"])
            self.emit(f"{target} = {out}")
            self.emit(f"return {target}")
        else:
            self.emit(f"return {out}")


# --------------------------------------------------------------- utilities
def check_value(value):
    """Accept finite, moderate floats (and ints, bools, lists of arrays); reject the rest."""
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return
    if isinstance(value, list):
        for v in value:
            check_value(v)
        return
    if isinstance(value, tuple):
        raise Rejected("tuple")
    arr = np.asarray(value)
    if arr.dtype.kind == "b":
        return
    if arr.dtype.kind not in "fc" or arr.size > 400 or arr.size == 0:
        raise Rejected("not a float array")
    if not np.all(np.isfinite(arr)) or (arr.size and np.max(np.abs(arr)) > 1e4):
        raise Rejected("not finite or too large")


def _is_float(value):
    if isinstance(value, (bool, np.bool_, int, np.integer, list)):
        return False
    if isinstance(value, float):
        return True
    return isinstance(value, (np.ndarray, np.floating)) and value.dtype.kind == "f"


def _restore(kept):
    """Put back the contents of arrays a candidate changed in place; whether it changed any."""
    changed = False
    for array, saved in kept:
        if not np.array_equal(array, saved):
            if array.flags.writeable:
                array[...] = saved
            changed = True
    return changed


def _is_complex(value):
    if isinstance(value, complex):
        return True
    return isinstance(value, (np.ndarray, np.complexfloating)) and value.dtype.kind == "c"


def _paren(src):
    return src if src.isidentifier() else f"({src})"


def _can_dot(a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return False
    try:
        np.dot(np.asarray(a), np.asarray(b))
        return np.ndim(a) <= 2 and np.ndim(b) <= 2
    except ValueError:
        return False


def _broadcasts_to(value, shape):
    try:
        return np.broadcast_shapes(np.shape(value), shape) == tuple(shape)
    except ValueError:
        return False


def factor_shape(size, c):
    """A random shape with ``size`` elements (possibly with a -1)."""
    dims = []
    rest = size
    for p in (2, 3, 2, 5, 7):
        if rest % p == 0 and c.chance(50):
            dims.append(p)
            rest //= p
    dims.append(rest)
    if c.chance(30):
        dims.insert(c.integer(0, len(dims)), 1)
    if c.chance(30):
        dims[c.integer(0, len(dims) - 1)] = -1
    return tuple(dims)


def permutation(n, c):
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        j = c.integer(0, i)
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def generate(chooser, features=STRAIGHT, max_statements=8):
    """One random program (a :class:`Program`), its decisions taken from ``chooser``."""
    program = Generator(chooser, features, max_statements).program()
    program.record = getattr(chooser, "record", None)
    program.tags = tags_of(program.source)
    if any(_is_complex(a) for a in program.args):
        program.tags |= {"complex"}
    return program


def _stored_subscripts(node):
    """The subscripts a statement writes into (``y[i] = v``, ``y[i] += v``)."""
    import ast
    if isinstance(node, ast.Assign):
        return [t for t in node.targets if isinstance(t, ast.Subscript)]
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript):
        return [node.target]
    return []


def _may_repeat(index):
    """Whether an index written into may hold a repeat: a list, an array, an integer-array argument."""
    import ast
    for n in ast.walk(index):
        if isinstance(n, ast.List) or (isinstance(n, ast.Name) and n.id in INDEX_NAMES) or (
                isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "array"):
            return True
    return False


def _reused_loop_names(function):
    """Names a loop binds (a ``for`` target, a ``while`` counter) that some other statement binds too
    (another loop, an assignment); a counter's own ``i = i + 1`` is not a reuse."""
    import ast
    loops, bindings = set(), {}
    inside = set()       # (assignment, name): rebinding a loop's own target in its body (rebind_loop_target)
    for loop in ast.walk(function):
        if isinstance(loop, ast.For):
            targets = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
            inside.update((id(node), name) for stmt in loop.body for node in ast.walk(stmt) for name in targets)
    for node in ast.walk(function):
        if isinstance(node, ast.For):
            for n in ast.walk(node.target):
                if isinstance(n, ast.Name):
                    loops.add(n.id)
                    bindings[n.id] = bindings.get(n.id, 0) + 1
        elif isinstance(node, ast.While) and isinstance(node.test, (ast.Compare, ast.BoolOp)):
            loops.update(n.id for n in ast.walk(node.test) if isinstance(n, ast.Name) and n.id in LOOP_NAMES)
        elif isinstance(node, ast.Assign):
            reads = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
            for target in node.targets:
                for n in ast.walk(target):
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id not in reads \
                            and (id(node), n.id) not in inside:
                        bindings[n.id] = bindings.get(n.id, 0) + 1
    return sorted(n for n in loops if bindings.get(n, 0) >= 2)


def tags_of(source):
    """Constructs in a program that the oracles need to know about (see fuzz_oracles.KNOWN_BUGS)."""
    import ast
    tags = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("array", "asarray") and node.args \
                and isinstance(node.args[0], ast.Name) and node.args[0].id in LIST_NAMES:
            tags.add("array_of_list")
        if isinstance(node, ast.For):
            iterated = node.iter
            if isinstance(iterated, ast.Call) and getattr(iterated.func, "id", None) == "enumerate":
                iterated = iterated.args[0]
            if isinstance(iterated, ast.Name) and any(
                    isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id == iterated.id
                    for stmt in node.body for n in ast.walk(stmt)):
                tags.add("rebind_iterated")
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and any(
                isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id == node.target.id
                for stmt in node.body for n in ast.walk(stmt)):
            tags.add("rebind_loop_target")
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript):
            tags.add("subscript_augassign")
        if isinstance(node, ast.Constant) and isinstance(node.value, complex) or isinstance(node, ast.Attribute) \
                and node.attr in ("real", "imag", "conj", "conjugate", "angle"):
            tags.add("complex")       # (np.real of a real value, z.real, np.conj: the complex rules)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in GLOBAL_NAMES + BUFFER_NAMES:
            tags.add("attribute_of_a_module_global")
        if isinstance(node, ast.Global):
            tags.add("global_write")
        for target in _stored_subscripts(node):
            if isinstance(target.value, ast.Name) and target.value.id in BUFFER_NAMES:
                tags.add("global_write")
            if _may_repeat(target.slice):
                tags.add("repeated_index_write")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "at":
            tags.add("repeated_index_write")
    for function in ast.parse(source).body:
        if isinstance(function, ast.FunctionDef) and _reused_loop_names(function):
            tags.add("reused_loop_name")
    main = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)][-1]
    params = {a.arg for a in main.args.args}
    for node in ast.walk(main):
        if isinstance(node, (ast.If, ast.For, ast.While)) and any(
                isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id in params
                for stmt in node.body + node.orelse for n in ast.walk(stmt)):
            tags.add("conditional_overwrite")
    return frozenset(tags)
