"""A vanilla RNN, written as a plain Python loop, trained with s2sgrad's @grad.

The task (generated here): read a sequence of noisy sine samples and predict
the next value of the clean signal. The model is the loop a person writes;
s2sgrad turns it into backpropagation through time, with a reversed loop and a
plain-list tape, and prints that code once.

    python samples/rnn.py
"""

import numpy as np

from s2sgrad import grad


def loss(x, y, Wx, Wh, b, Wy):
    """Mean squared error of the prediction read out from the last hidden state."""
    h = np.zeros((x.shape[1], Wh.shape[0]))
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ Wx + h @ Wh + b)
    prediction = h @ Wy
    return np.mean((prediction - y) ** 2)


def make_task(rng, T=20, batch=64):
    """Noisy windows of sine waves of random phase and frequency; the target is the next clean value."""
    phase = rng.uniform(0, 2 * np.pi, size=batch)
    freq = rng.uniform(0.5, 1.5, size=batch)
    steps = np.arange(T + 1)[:, None] * 0.3
    clean = np.sin(freq * steps + phase)                       # (T + 1) x batch
    x = (clean[:T] + 0.05 * rng.normal(size=(T, batch)))[:, :, None]
    return x, clean[T][:, None]


def main(steps=300, learning_rate=0.1, seed=0):
    rng = np.random.default_rng(seed)
    hidden = 16
    params = [0.3 * rng.normal(size=(1, hidden)), 0.3 * rng.normal(size=(hidden, hidden)),
              np.zeros(hidden), 0.3 * rng.normal(size=(hidden, 1))]
    dloss = grad(loss, wrt=("Wx", "Wh", "b", "Wy"))
    first = None
    for step in range(steps + 1):
        x, y = make_task(rng)
        if step % 50 == 0:
            value = loss(x, y, *params)
            first = value if first is None else first
            print(f"step {step:4d}   loss {value:.4f}")
        grads = dloss(x, y, *params)
        params = [p - learning_rate * g for p, g in zip(params, grads)]
        if step == 0:
            print("\nThe generated gradient (backpropagation through time):\n")
            print(dloss.source)
    print(f"loss fell from {first:.4f} to {value:.4f}")
    return first, value


if __name__ == "__main__":
    main()
