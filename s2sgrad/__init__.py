"""s2sgrad: source-to-source gradients for Python and NumPy.

Give it a NumPy function; it reads the source, and writes the derivative as
Python source you can read, debug and ship::

    from s2sgrad import grad

    @grad(wrt=("W", "V"))
    def cost(X, Y, W, V):
        ...

    dW, dV = cost(X, Y, W, V)
    print(cost.source)
"""

from .api import clear_cache, grad, value_and_grad, vjp
from .higher import hessian, hvp, jacobian, jvp
from .checks import check_grad
from .dispatch import ArrayDispatchWarning
from .errors import GradError
from .rules import adjoint, defrule, elementwise, nondifferentiable, tangent
from .rules.idioms import idiom

__all__ = ["grad", "clear_cache", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "hvp", "check_grad", "GradError",
           "ArrayDispatchWarning", "defrule", "elementwise", "nondifferentiable", "adjoint", "tangent", "idiom"]
__version__ = "0.1.0"
