"""Names in generated code: adjoints named after their primals, never colliding.

The generated function shares one namespace with everything the user wrote
(their parameters and locals, and those of inlined helpers), so every name we
introduce is drawn from a :class:`Namer` that knows all the names taken.
"""

import builtins
import keyword


_BUILTINS = frozenset(dir(builtins))   # (a set: hasattr on a missing name raises and catches, each time)


class Namer:
    """Hands out fresh, readable identifiers that collide with nothing taken."""

    def __init__(self, taken=()):
        self.taken = set(taken) | set(keyword.kwlist)
        self.temps = set()
        self._counters = {}

    def copy(self):
        """An independent namer that knows every name taken so far."""
        new = Namer()
        new.taken = set(self.taken)
        new.temps = set(self.temps)
        new._counters = dict(self._counters)
        return new

    def reserve(self, *names):
        self.taken.update(names)

    def fresh(self, base):
        """``base`` itself if free, else ``base_1``, ``base_2``, ..."""
        base = base or "t"
        if base not in self.taken and base not in _BUILTINS:
            self.taken.add(base)
            return base
        n = self._counters.get(base, 0)
        while True:
            n += 1
            candidate = f"{base}_{n}"
            if candidate not in self.taken:
                self._counters[base] = n
                self.taken.add(candidate)
                return candidate

    def temp(self):
        """A name for an intermediate value created by normalization."""
        n = self._counters.get("#temp", 0)
        while True:
            n += 1
            candidate = f"t{n}"
            if candidate not in self.taken:
                self._counters["#temp"] = n
                self.taken.add(candidate)
                self.temps.add(candidate)
                return candidate

    def temp_like(self, base):
        """A fresh temporary with a meaningful base name (a rule template's local)."""
        new = self.fresh(base)
        self.temps.add(new)
        return new

    def is_temp(self, name):
        """Whether ``name`` is one we introduced (so the cleanup passes may fold it away)."""
        return name in self.temps

    def spoken(self, generated, otherwise):
        """``generated`` as a message names it: the user's name (``y`` for ``y_1``), or ``otherwise`` (words
        such as "its argument") for a temporary, a name the user never wrote (``t3``)."""
        return otherwise if self.is_temp(generated) else user_name(generated)

    def derivative(self, primal, prefix="d"):
        """The name of a primal's adjoint or tangent: ``W`` -> ``dW``.

        The derivative of a temporary is itself a temporary.
        """
        new = self.fresh(prefix + primal)
        if primal in self.temps:
            self.temps.add(new)
        return new


def user_name(generated):
    """``y_1`` (a version normalization made) as the user wrote it: ``y``; for messages."""
    base, _, suffix = generated.rpartition("_")
    return base if base and suffix.isdigit() else generated
