"""Identities the cleanup passes apply once single-use values are substituted (see :mod:`s2sgrad.rewrites`).

Each line reads ``pattern -> replacement`` over its pattern variables.
"""

from ..rewrites import identity

# d/ds logaddexp(b, s) = exp(s - logaddexp(b, s)) = sigmoid(s - b). Where nothing else needs the
# logaddexp, the sigmoid is cheaper (one tanh for a logaddexp and an exp) and cannot overflow.
identity("np.exp(a - np.logaddexp(b, a))", "0.5 * np.tanh(0.5 * (a - b)) + 0.5", over="a, b")
identity("np.exp(a - np.logaddexp(a, b))", "0.5 * np.tanh(0.5 * (a - b)) + 0.5", over="a, b")
