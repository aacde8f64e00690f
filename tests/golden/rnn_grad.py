def grad_rnn(x, h0, Wx, Wh, Wy, y):
    tape = []
    t3 = None
    h = h0
    t2 = x.shape[0]
    for t in range(t2):
        tape.append(t3)
        t3 = x[t]
        tape.append(h)
        h = np.tanh(t3 @ Wx + h @ Wh)
    dt8 = 2.0 * (h @ Wy - y)
    dh = dt8 @ Wy.T
    dWy = h.T @ dt8
    dWh = np.zeros_like(Wh)
    dWx = np.zeros_like(Wx)
    for t in reversed(range(t2)):
        dt6 = dh * (1 - h ** 2)
        h = tape.pop()
        dh = dt6 @ Wh.T
        dWh += h.T @ dt6
        dWx += t3.T @ dt6
        t3 = tape.pop()
    return dWx, dWh, dWy
