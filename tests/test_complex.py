"""Complex arguments follow autograd's and JAX's convention (docs/complex.md), in both modes.

For a real loss L of z = x + iy the gradient is dL/dx - i dL/dy; a real
parameter always gets a real gradient (and a real tangent where the value is
real), also where complex constants or intermediates are involved.
"""

import numpy as np
import pytest

from s2sgrad import GradError, check_grad, grad, jvp, vjp


def convention_grad(f, z, eps=1e-6):
    """The gradient the convention asks for, by central differences: dL/dx - i dL/dy for each element of
    ``z`` (for a real ``z``, dL/dx alone), L the real scalar ``f(z)``. Written once: every test compares
    with it."""
    z = np.asarray(z)
    out = np.zeros(z.shape, dtype=z.dtype)
    directions = (1.0, 1j) if np.iscomplexobj(z) else (1.0,)
    for i in np.ndindex(z.shape):
        for direction in directions:
            step = np.zeros_like(z)
            step[i] = eps * direction
            slope = (float(np.real(f(z + step))) - float(np.real(f(z - step)))) / (2 * eps)
            out[i] += slope * np.conj(direction)
    return out


def directional(f, z, v, eps=1e-6):
    """d/dt f(z + t v) at t = 0, by central differences (what a tangent must be)."""
    return (f(z + eps * v) - f(z - eps * v)) / (2 * eps)


rng = np.random.default_rng(19)


def cnormal(*shape):
    return rng.normal(size=shape) + 1j * rng.normal(size=shape)


Z = cnormal(3, 4)
V = cnormal(4)
H = cnormal(3, 3)

# real-valued functions of a complex argument (each returns a real number)
REAL_VALUED = {}      # name -> (function, argument)


def f0(z):
    return np.sum(np.abs(z))


REAL_VALUED["abs"] = (f0, Z)


def f1(z):
    return np.sum(np.abs(z) ** 2)


REAL_VALUED["abs squared"] = (f1, Z)


def f2(z):
    return np.sum(np.sqrt(np.real(z * np.conj(z))))


REAL_VALUED["sqrt of z conj(z)"] = (f2, Z)


def f3(z):
    return np.sum(np.real(z) ** 2 * np.imag(z))


REAL_VALUED["real and imag"] = (f3, Z)


def f4(z):
    return np.sum(np.angle(z) * np.arange(4))


REAL_VALUED["angle"] = (f4, Z)


def f5(z):
    return np.sum(np.angle(z, deg=True))


REAL_VALUED["angle in degrees"] = (f5, V)


def f6(z):
    return np.real(np.sum(np.exp(z) * np.sin(z) / (z + 3)) + np.prod(z))


REAL_VALUED["holomorphic inside"] = (f6, V)


def f7(z):
    return np.sum(np.abs(z * (2 - 1j) + 1j))


REAL_VALUED["times a complex constant"] = (f7, Z)


def f8(z):
    return np.sum(np.abs(z @ np.conj(z).T))


REAL_VALUED["matmul"] = (f8, Z)


def f9(z):
    return np.sum(np.real(np.einsum("ij,kj->ik", z, z)))


REAL_VALUED["einsum"] = (f9, Z)


def f10(z):
    return np.real(np.vdot(z, np.arange(4.0) + 1j)) + np.imag(np.vdot(1j * np.ones(4), z))


REAL_VALUED["vdot"] = (f10, V)


def f11(z):
    return np.linalg.norm(z)


REAL_VALUED["norm"] = (f11, V)


def f12(z):
    return np.linalg.norm(z, 1)


REAL_VALUED["norm 1"] = (f12, V)


def f13(z):
    return np.linalg.norm(z, np.inf)


REAL_VALUED["norm inf"] = (f13, V)


def f14(z):
    return np.linalg.norm(z, 3)


REAL_VALUED["norm 3"] = (f14, V)


def f15(z):
    return np.linalg.norm(z)


REAL_VALUED["norm fro"] = (f15, Z)


def f16(z):
    return np.linalg.norm(z, "nuc")


REAL_VALUED["norm nuc"] = (f16, Z)


def f17(z):
    return np.linalg.norm(z, 2)


REAL_VALUED["norm 2 of a matrix"] = (f17, Z)


def f18(z):
    return np.sum(np.linalg.norm(z, axis=1) ** 3)


REAL_VALUED["norm along an axis"] = (f18, Z)


def f19(z):
    return np.var(z)


REAL_VALUED["var"] = (f19, Z)


def f20(z):
    return np.sum(np.std(z, axis=0))


REAL_VALUED["std along an axis"] = (f20, Z)


def f21(a):
    return np.sum(np.linalg.eigvalsh(a) * np.array([1.0, 2.0, 4.0]))


REAL_VALUED["eigvalsh"] = (f21, H)


def f22(a):
    return np.sum(np.linalg.eigvalsh(a, UPLO="U") ** 2)


REAL_VALUED["eigvalsh upper"] = (f22, H)


def f23(a):
    return np.sum(np.linalg.eigh(a)[0] * np.array([1.0, -2.0, 3.0]))


REAL_VALUED["eigh eigenvalues"] = (f23, H)


def f24(a):
    return np.sum(np.linalg.svd(a, compute_uv=False) * np.array([3.0, 2.0, 1.0]))


REAL_VALUED["singular values"] = (f24, Z)


def f25(a):
    return np.sum(np.linalg.svd(a, full_matrices=False)[1] ** 2)


REAL_VALUED["svd singular values"] = (f25, Z)


def f26(a):
    return np.linalg.slogdet(a)[1]


REAL_VALUED["slogdet"] = (f26, H)


def f27(a):
    return np.real(np.linalg.slogdet(a)[0] * (1 + 2j))


REAL_VALUED["slogdet sign"] = (f27, H)


def f28(a):
    return np.abs(np.linalg.det(a))


REAL_VALUED["det"] = (f28, H)


def f29(a):
    return np.sum(np.abs(np.linalg.inv(a)))


REAL_VALUED["inv"] = (f29, H)

def attributes(z):
    return np.sum(z.real ** 2 * z.imag + abs(z.conj())) + np.sum((z.T @ z).real)


REAL_VALUED["attributes .real, .imag, .conj(), .T"] = (attributes, Z)

if hasattr(np, "vecdot"):
    def f_vecdot(z):
        return np.sum(np.real(np.vecdot(z, z[::-1] * 1j)))
    REAL_VALUED["vecdot"] = (f_vecdot, Z)
if hasattr(np.linalg, "svdvals"):
    def f_svdvals(a):
        return np.sum(np.linalg.svdvals(a) ** 3)
    REAL_VALUED["svdvals"] = (f_svdvals, Z)


@pytest.mark.parametrize("case", sorted(REAL_VALUED))
def test_reverse_mode_follows_the_convention(case):
    f, z = REAL_VALUED[case]
    np.testing.assert_allclose(grad(f)(z), convention_grad(f, z), rtol=1e-5, atol=1e-6)


# eigenvalues and singular values taken from the full decomposition: forward mode would have to give the
# eigenvectors' tangents too, which a complex matrix does not define (see the last test)
FORWARD_REFUSED = {"eigh eigenvalues", "svd singular values"}


@pytest.mark.parametrize("case", sorted(REAL_VALUED))
def test_forward_mode_gives_the_real_directional_derivative(case):
    f, z = REAL_VALUED[case]
    v = cnormal(*z.shape)
    if case in FORWARD_REFUSED:
        with pytest.raises(GradError, match="phase"):
            jvp(f)(z, v)
        return
    value, tangent = jvp(f)(z, v)
    assert not np.iscomplexobj(tangent), tangent
    np.testing.assert_allclose(tangent, directional(f, z, v), rtol=1e-5, atol=1e-6)
    # the two modes agree: the tangent along v is Re(sum(gradient * v))
    np.testing.assert_allclose(tangent, np.real(np.sum(grad(f)(z) * v)), rtol=1e-6, atol=1e-8)


def test_the_documented_example():
    """autograd's and JAX's documented example: the gradient of |z|**2 at 3 + 4j is 6 - 8j."""
    def f(z):
        return np.abs(z) ** 2
    assert np.allclose(grad(f)(np.array(3 + 4j)), 6 - 8j)


def test_every_spelling_of_the_modulus_agrees():
    def modulus(z):
        return np.sum(np.abs(z))

    def from_the_product(z):
        return np.sum(np.sqrt(np.real(z * np.conj(z))))

    def hypot(z):
        return np.sum(np.hypot(np.real(z), np.imag(z)))

    def norm(z):
        return np.linalg.norm(z, axis=1).sum()

    def from_the_parts(z):
        return np.sum(np.sqrt(np.real(z) ** 2 + np.imag(z) ** 2))

    spellings = [modulus, from_the_product, hypot, norm, from_the_parts]
    z = cnormal(5, 1)
    grads = [grad(f)(z) for f in spellings]
    for g in grads[1:]:
        np.testing.assert_allclose(g, grads[0], rtol=1e-12)
    tangents = [jvp(f)(z, z[::-1])[1] for f in spellings]
    np.testing.assert_allclose(tangents, tangents[0], rtol=1e-12)


C = np.array([[1 + 2j, -0.5j], [3.0, 1 - 1j]])

# functions of a real parameter that meet complex constants and intermediates
REAL_PARAMETER = {}


def r0(x):
    return np.real(np.sum(x * (2 + 3j) * np.conj(x * (2 + 3j))))


REAL_PARAMETER["times a complex constant"] = r0


def r1(x):
    return np.sum(np.abs(x + 1j))


REAL_PARAMETER["plus a complex constant"] = r1


def r2(x):
    return np.sum(np.abs(x * (1 + 2j)))


REAL_PARAMETER["abs of a complex product"] = r2


def r3(x):
    return np.sum(np.abs(C @ x) ** 2) + np.real(np.sum(C @ x))


REAL_PARAMETER["a complex matrix"] = r3


def r4(x):
    return np.real(np.sum(np.exp(1j * x) * (2 - 1j)))


REAL_PARAMETER["exponential of i x"] = r4


def r5(x):
    return np.sum(np.abs(np.abs(x * (1 - 1j)) * (3 + 1j) - 1))


REAL_PARAMETER["a real intermediate"] = r5


def r6(x):
    return np.sum(np.abs(np.stack([x, 1j * x]) + C[0]))


REAL_PARAMETER["a complex array built"] = r6


def r7(x):
    return np.sum(np.abs(np.where(x > 0, x, x * 1j) + 0.5j))


REAL_PARAMETER["where"] = r7


def r8(x):
    return np.sum(np.abs(x.astype(complex) * (1 - 2j)))


REAL_PARAMETER["astype"] = r8


def r9(x):
    return np.sum(np.imag(x * (1 + 1j)) ** 2 + np.real(x * (1 - 1j)))


REAL_PARAMETER["real and imag"] = r9


def r10(x):
    return np.real(np.sum(np.dot(x, C))) + np.sum(np.abs(np.dot(C, x)))


REAL_PARAMETER["complex global"] = r10



@pytest.mark.parametrize("case", sorted(REAL_PARAMETER))
def test_a_real_parameter_gets_a_real_gradient(case):
    f = REAL_PARAMETER[case]
    x = np.array([0.7, -1.3])
    g = grad(f)(x)
    assert not np.iscomplexobj(g), g
    np.testing.assert_allclose(g, convention_grad(f, x), rtol=1e-5, atol=1e-7)
    value, tangent = jvp(f)(x, np.array([1.0, 0.5]))
    assert not np.iscomplexobj(tangent), tangent
    np.testing.assert_allclose(tangent, directional(f, x, np.array([1.0, 0.5])), rtol=1e-5, atol=1e-7)


C3 = cnormal(3, 3)


def through_einsum(x):
    return np.sum(np.abs(np.einsum("ij,jk->ik", C3, x)))


def through_tensordot(x):
    return np.sum(np.abs(np.tensordot(x, C3, axes=1)))


def through_kron(x):
    return np.sum(np.abs(np.kron(x, C3)))


def through_solve(x):
    return np.sum(np.abs(np.linalg.solve(x + 3 * np.eye(3), C3)))


def through_concatenate(x):
    return np.sum(np.abs(np.concatenate([x, C3])))


def through_scans(x):
    return np.sum(np.abs(np.cumsum(x * C3, axis=0)) + np.abs(np.prod(x + C3, axis=1))[:, None])


def through_inv_and_det(x):
    return np.sum(np.abs(np.linalg.inv(x + 3j * np.eye(3)))) + np.abs(np.linalg.det(x + C3))


@pytest.mark.parametrize("f", [through_einsum, through_tensordot, through_kron, through_solve, through_concatenate,
                               through_scans, through_inv_and_det])
def test_a_real_matrix_meeting_complex_ones_gets_a_real_gradient(f):
    x = rng.normal(size=(3, 3))
    g = grad(f)(x)
    assert not np.iscomplexobj(g)
    np.testing.assert_allclose(g, convention_grad(f, x), rtol=1e-5, atol=1e-6)
    v = rng.normal(size=(3, 3))
    tangent = jvp(f)(x, v)[1]
    assert not np.iscomplexobj(tangent)
    np.testing.assert_allclose(tangent, directional(f, x, v), rtol=1e-5, atol=1e-6)


def test_a_real_parameter_beside_a_complex_one():
    def f(x, z):
        return np.sum(np.abs(x * z + 1j * x))
    x, z = np.array([0.4, -2.0]), cnormal(2)
    gx, gz = grad(f, wrt=(0, 1))(x, z)
    assert not np.iscomplexobj(gx)
    np.testing.assert_allclose(gx, convention_grad(lambda x: f(x, z), x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gz, convention_grad(lambda z: f(x, z), z), rtol=1e-5, atol=1e-7)


def test_code_for_real_arguments_keeps_the_real_rule():
    def f(x):
        return np.sum(np.abs(x))
    df = grad(f)
    df(np.array([1.0, -2.0]))
    assert "np.sign(x)" in df.source and "conj" not in df.source and "real" not in df.source
    df(np.array([1.0 + 1j, -2.0]))
    assert "np.conj(x)" in df.source


def eigenvectors(a):
    return np.sum(np.abs(np.linalg.eigh(a)[1]))


def singular_vectors(a):
    return np.sum(np.abs(np.linalg.svd(a)[0]))


def cholesky(a):
    return np.sum(np.abs(np.linalg.cholesky(a)))


def qr(a):
    return np.sum(np.abs(np.linalg.qr(a)[1]))


@pytest.mark.parametrize("f", [eigenvectors, singular_vectors, cholesky, qr])
def test_rules_written_for_real_matrices_refuse_complex_ones(f):
    a = H @ np.conj(H).T + 3 * np.eye(3)
    with pytest.raises(GradError, match="complex"):
        grad(f)(a)
    assert grad(f)(np.real(a)).dtype == np.float64       # real ones still differentiate


def test_check_grad_follows_the_convention():
    def loss(z, w):
        return np.sum(np.abs(z * w - 1j)) + np.angle(np.sum(z))
    z, w = cnormal(2, 3), rng.normal(size=3)
    assert check_grad(loss, [z, w], wrt=("z", "w")) < 1e-6
    assert check_grad(loss, [complex(z[0, 0]), w], wrt="z") < 1e-6


def test_a_python_complex_number_as_the_argument():
    def f(z):
        return abs(z) ** 2 + np.real(z * (1 - 2j))
    np.testing.assert_allclose(grad(f)(3 + 4j), convention_grad(f, 3 + 4j), rtol=1e-6)


def sign_of_complex(z):
    return np.real(np.sum(np.sign(z) * (1 + 2j)))


def test_the_sign_of_a_complex_array_is_refused_not_taken_for_constant():
    z = cnormal(3)
    with pytest.raises(GradError, match="z / np.abs"):
        grad(sign_of_complex)(z)
    with pytest.raises(GradError, match="z / np.abs"):
        jvp(sign_of_complex)(z, z)
    assert np.all(grad(sign_of_complex)(np.real(z)) == 0)      # of a real array: piecewise constant


def test_scipy_rules_for_real_matrices_refuse_complex_ones():
    scipy_linalg = pytest.importorskip("scipy.linalg", reason="SciPy (an optional extra) is not installed")

    def triangular(a, b):
        return np.sum(np.abs(scipy_linalg.solve_triangular(a, b, trans="C", lower=True)))

    def triangular_transposed(a, b):
        return np.sum(np.abs(scipy_linalg.solve_triangular(a, b, trans="T", lower=True)))

    def cholesky(a):
        return np.sum(np.abs(scipy_linalg.cholesky(a, lower=True)))

    a = np.tril(H) + 3 * np.eye(3)
    b = cnormal(3)
    with pytest.raises(GradError, match="conjugate transpose"):
        grad(triangular)(a, b)
    with pytest.raises(GradError, match="complex"):
        grad(cholesky)(H @ np.conj(H).T + np.eye(3))
    # the plain transpose of a complex triangular matrix is holomorphic: the real rule serves
    da, db = grad(triangular_transposed, wrt=(0, 1))(a, b)
    np.testing.assert_allclose(db, convention_grad(lambda b: triangular_transposed(a, b), b), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(da, np.tril(convention_grad(lambda a: triangular_transposed(a, b), a)),
                               rtol=1e-5, atol=1e-6)


def rotated_depth(z, n):
    if n == 0:
        return np.sum(np.abs(z))
    return rotated_depth(z * (1 + 0.5j), n - 1)


def through_recursion(z):
    return rotated_depth(z, 2)


@pytest.mark.parametrize("argument", [cnormal(2), np.array([1.0, -2.0])], ids=["complex", "real"])
def test_a_recursive_function_with_complex_values_is_refused(argument):
    """Its derivative is generated once, without the probe that tells which values are complex."""
    with pytest.raises(GradError, match="recursive"):
        grad(through_recursion)(argument)
    with pytest.raises(GradError, match="recursive"):
        jvp(through_recursion)(argument, argument)


def holomorphic(z):
    return np.sum(z ** 2 * np.exp(z))


def test_a_complex_output_has_no_gradient():
    """As in autograd and JAX: which real loss a complex result stands for is the user's to say."""
    z = cnormal(2)
    with pytest.raises(GradError, match="complex"):
        grad(holomorphic)(z)
    # vjp takes it with a cotangent: for a holomorphic function and the cotangent 1, f'(z)
    np.testing.assert_allclose(vjp(holomorphic)(z, 1.0), (2 * z + z ** 2) * np.exp(z), rtol=1e-12)


def _loss_of_real_arrays(X, W):
    return np.sum(np.abs(X @ W) ** 2)


def _loss_making_complex_values(x):
    return np.real(np.sum(x * (1 + 2j)))


def test_code_for_arguments_of_any_shape_refuses_a_complex_argument():
    """That code (written before any call, or out without example arguments) takes its arguments for real: a
    complex one would get the derivative of a real function, so it is refused where the code runs."""
    d = grad(_loss_of_real_arrays, wrt=1)
    real = np.ones((2, 2)), np.arange(4.0).reshape(2, 2)
    np.testing.assert_allclose(d.generic.function(*real)[1], d(*real))
    with pytest.raises(TypeError, match="for real arguments"):
        d.generic.function(np.ones((2, 2)) * (1 + 1j), np.ones((2, 2)))
    with pytest.raises(TypeError, match="for real arguments"):      # inside a container too
        grad(_sum_of_list).generic.function([np.ones(2), np.ones(2) * 1j])


def _sum_of_list(xs):
    return np.sum(xs[0] * xs[1]).real


def test_code_for_arguments_of_any_shape_is_refused_for_a_function_making_complex_values():
    d = grad(_loss_making_complex_values)
    with pytest.raises(GradError, match="makes complex values"):
        d.source
    np.testing.assert_allclose(d(np.ones(2)), [1.0, 1.0])   # from example arguments: real, and right
