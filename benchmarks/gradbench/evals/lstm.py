"""GradBench `lstm` (ADBench's): an l-layer LSTM over a one-hot-ish character sequence.

main_params (2l, 4b): row 2i the layer's weights [forget, ingate, outgate, change], row 2i+1
its biases; extra_params (3, b): input weight, output weight, output bias; state (2l, b):
hidden and cell of each layer; sequence (c, b). The objective is minus the mean log
probability of each next character, with ADBench's log-sum-exp (log(sum exp + 2)).
`jacobian`: the gradient w.r.t. main_params then extra_params, each flattened row by row.
"""
import numpy as np

import adcompile as ad


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def objective(main_params, extra_params, state, sequence):
    l = main_params.shape[0] // 2
    c = sequence.shape[0]
    b = sequence.shape[1]
    hidden = np.zeros((l, b))
    cell = np.zeros((l, b))
    for i in range(l):
        hidden[i] = state[2 * i]
        cell[i] = state[2 * i + 1]
    total = 0.0
    for t in range(c - 1):
        x = sequence[t] * extra_params[0]
        for i in range(l):
            w = main_params[2 * i]
            bias = main_params[2 * i + 1]
            forget = sigmoid(x * w[:b] + bias[:b])
            ingate = sigmoid(hidden[i] * w[b:2 * b] + bias[b:2 * b])
            outgate = sigmoid(x * w[2 * b:3 * b] + bias[2 * b:3 * b])
            change = np.tanh(hidden[i] * w[3 * b:] + bias[3 * b:])
            c_new = cell[i] * forget + ingate * change
            x = outgate * np.tanh(c_new)
            cell[i] = c_new
            hidden[i] = x
        ypred = x * extra_params[1] + extra_params[2]
        lse = np.log(np.sum(np.exp(ypred)) + 2.0)
        total = total + np.sum(sequence[t + 1] * (ypred - lse))
    return -total / ((c - 1) * b)


_grad = ad.grad(objective, wrt=(0, 1))
_primal = ad.compile(objective)   # the same source through adcompile's code generation


def prepare(inp):
    return tuple(np.asarray(inp[k], dtype=np.float64)
                 for k in ("main_params", "extra_params", "state", "sequence"))


def post_jacobian(g):
    return np.concatenate([g[0].ravel(), g[1].ravel()]).tolist()


FUNCTIONS = {
    "objective": (prepare, _primal, float),
    "jacobian": (prepare, _grad, post_jacobian),
}
