"""Memory the tape of a generated RNN gradient uses, next to a hand-written BPTT's activations.

    python bench/tape_memory.py [T]

Measured with tracemalloc (NumPy reports its allocations to it): the peak
memory of one gradient call above what the arguments already hold.
"""

import sys
import tracemalloc

import numpy as np

from s2sgrad import grad


def rnn_loss(x, y, Wx, Wh, Wy):
    h = np.zeros((x.shape[1], Wh.shape[0]))
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ Wx + h @ Wh)
    return np.mean((h @ Wy - y) ** 2)


def bptt(x, y, Wx, Wh, Wy):
    """Hand-written backpropagation through time: keeps every hidden state, as it must."""
    hs = [np.zeros((x.shape[1], Wh.shape[0]))]
    for t in range(x.shape[0]):
        hs.append(np.tanh(x[t] @ Wx + hs[-1] @ Wh))
    r = hs[-1] @ Wy - y
    dout = 2 * r / r.size
    dWy = hs[-1].T @ dout
    dh = dout @ Wy.T
    dWx, dWh = np.zeros_like(Wx), np.zeros_like(Wh)
    for t in reversed(range(x.shape[0])):
        da = dh * (1 - hs[t + 1] ** 2)
        dWx += x[t].T @ da
        dWh += hs[t].T @ da
        dh = da @ Wh.T
    return dWx, dWh, dWy


def peak(fn, *args):
    fn(*args)                      # warm up (and compile, for s2sgrad)
    tracemalloc.start()
    fn(*args)
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top


def main(T=1000, batch=32, hidden=64, inputs=16):
    rng = np.random.default_rng(0)
    args = (rng.normal(size=(T, batch, inputs)), rng.normal(size=(batch, 4)),
            0.1 * rng.normal(size=(inputs, hidden)), 0.1 * rng.normal(size=(hidden, hidden)),
            rng.normal(size=(hidden, 4)))
    dloss = grad(rnn_loss, wrt=("Wx", "Wh", "Wy"))
    for a, b in zip(dloss(*args), bptt(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    ours, theirs = peak(dloss, *args), peak(bptt, *args)
    states = T * batch * hidden * 8
    print(f"RNN T={T}, batch {batch}, hidden {hidden}, input {inputs}: the hidden states alone are "
          f"{states / 2**20:.1f} MiB")
    print(f"  s2sgrad gradient peak   {ours / 2**20:8.2f} MiB")
    print(f"  hand-written BPTT peak  {theirs / 2**20:8.2f} MiB   (ratio {ours / theirs:.2f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
