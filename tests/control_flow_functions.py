"""User functions with loops, branches and containers, written as users write them."""

import numpy as np


def rnn(x, h0, Wx, Wh, Wy, y):
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ Wx + h @ Wh)
    return np.sum((h @ Wy - y) ** 2)


def rnn_hidden_states(x, h0, Wx, Wh):
    h = h0
    hs = []
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ Wx + h @ Wh)
        hs.append(h)
    H = np.stack(hs)
    return np.sum(H ** 2) + np.sum(hs[-1]) + np.sum(sum(hs))


def branch_on_value(x, w):
    s = np.sum(x * w)
    if s > 0:
        out = np.sum(np.sin(x * w))
    elif s > -1:
        out = np.sum(w ** 2) * s
    else:
        out = np.sum(x)
    return out


def return_in_branch(x, w):
    if np.all(x > 0):
        return np.sum(np.log(x) * w)
    y = np.exp(w)
    return np.sum(y * x)


def returns_in_an_elif_chain(x, w, reduction):
    err = (x - w) ** 2
    if reduction == "mean":
        return np.mean(err)
    elif reduction == "sum":
        return np.sum(err)
    elif reduction == "weighted":
        scale = np.exp(w)
        return np.sum(err * scale)
    return np.max(err)


def exits_on_some_paths_of_a_branch(x, k):
    if k == 0:
        s = np.sum(x)
    else:
        if k == 1:
            return np.sum(x ** 2)
        s = np.sum(np.sin(x))
    return s * np.sum(x)


def loop_exits_on_some_paths(x, w):
    acc = 0.0
    for i in range(len(x)):
        if x[i] > 0:
            if w[i] > 0.5:
                break
            acc = acc + w[i]
        acc = acc + x[i] * w[i]
    return acc


def continue_in_a_nested_branch(x, w):
    acc = 0.0
    for i in range(len(x)):
        if x[i] < 0:
            if w[i] > 0:
                continue          # skips the rest of this pass, the statement after the outer if included
            acc = acc - x[i]
        acc = acc + w[i] * x[i]
    return acc


def many_branches_that_may_continue(x, w):
    acc = 0.0
    for i in range(len(x)):
        if x[i] > 0.1:            # (each if below would copy what follows it into two paths)
            if w[i] > 0.1:
                continue
            acc = acc + x[i]
        if x[i] > 0.2:
            if w[i] > 0.2:
                continue
            acc = acc + 2 * x[i]
        if x[i] > 0.3:
            if w[i] > 0.3:
                continue
            acc = acc + 3 * x[i]
        if x[i] > 0.4:
            if w[i] > 0.4:
                continue
            acc = acc + 4 * x[i]
        if x[i] > 0.5:
            if w[i] > 0.5:
                continue
            acc = acc + 5 * x[i]
        if x[i] > 0.6:
            if w[i] > 0.6:
                continue
            acc = acc + 6 * x[i]
        if x[i] > 0.7:
            if w[i] > 0.7:
                continue
            acc = acc + 7 * x[i]
        if x[i] > 0.8:
            if w[i] > 0.8:
                continue
            acc = acc + 8 * x[i]
        acc = acc + w[i] * x[i]
    return acc


def calls_the_chain_with_a_constant(x, w):
    return returns_in_an_elif_chain(x, w, "sum") + returns_in_an_elif_chain(x, w, reduction="weighted")


def branch_on_counter(x, w):
    acc = 0.0
    for i in range(4):
        if i % 2 == 0:
            acc = acc + np.sum(x * w ** i)
        else:
            acc = acc * 0.5
    return acc


def while_data_dependent(x, w):
    acc = x
    steps = 0
    while np.sum(acc) < 10.0:
        acc = acc * w + 1.0
        steps = steps + 1
    return np.sum(acc)


def loop_with_break(x, w):
    acc = 0.0
    for i in range(10):
        acc = acc + np.sum(x * w ** i)
        if acc > 5:
            break
    return acc


def loop_with_continue(x, w):
    acc = 0.0
    for i in range(x.shape[0]):
        if x[i] < 0:
            continue
        acc = acc + x[i] * w[i]
    return acc


def nested_loops(x, w):
    acc = 0.0
    for i in range(3):
        for j in range(2):
            acc = acc + np.sum(np.sin(x * i + w * j) * w)
    return acc


def array_writes(x, w):
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        out[i] = np.sin(x[i] * w[i])
    out[:, 0] += w[:, 1]
    return np.sum(out ** 2)


def loop_over_rows(X, w):
    total = 0.0
    for row in X:
        total = total + np.tanh(row @ w)
    return total


def loop_over_zip_and_enumerate(X, w):
    total = 0.0
    for i, (row, weight) in enumerate(zip(X, w)):
        total = total + weight * np.sum(row ** 2) * (i + 1)
    return total


def dict_parameters(p, x):
    h = np.tanh(x @ p["W"] + p["b"])
    return np.sum(h ** 2)


def _split(x):
    return np.sin(x), np.cos(x)


def tuple_from_helper(x, w):
    s, c = _split(x * w)
    pair = (s, c)
    return np.sum(pair[0] * pair[1])


def power_tower(x, depth):
    if depth == 0:
        return x
    return np.sin(power_tower(x, depth - 1)) * x


def recursion(x, w):
    return np.sum(power_tower(x * w, 3))


def prints_progress(x, w):
    acc = 0.0
    for i in range(3):
        acc = acc + np.sum(np.sin(x * w) * i)
        print("step", i)
    return acc


def make_closure_model(scale):
    def activation(z):
        return np.tanh(scale * z)

    def model(x, w):
        return np.sum(activation(x @ w) ** 2)
    return model


def shape_set_by_a_branch(a):
    if float(np.sum(a)) > 0:
        a = a[..., None]                 # (3,) or (3, 1): what follows has other shapes on each path
    t = np.exp(a[..., 0])
    for i in range(2):
        a = np.log(t) + a
    return np.sum(np.sin(a))


def shape_set_by_a_branch_through_a_list(x, w):
    if float(np.sum(w)) > 0:
        w = np.stack([w, w])             # (3,) or (2, 3): the list, and its stack, differ on each path
    parts = []
    parts.append(np.tanh(w + x))
    return np.mean(np.stack(parts))


def value_of_a_loop_refined_by_another(a):
    for k in range(2):
        y = a * (k + 1.0)                # y exists only if this loop ran
    for k in range(3):
        y = np.sin(y)
    return np.sum(y)


USE_SPECTRUM = False


def conditional_expression_on_a_constant(x):
    # decided when the code is generated: the branch not taken (a function with no rule) is never differentiated
    y = np.abs(np.fft.fft(x)) if USE_SPECTRUM else np.tanh(x)
    return np.sum(y ** 2)
