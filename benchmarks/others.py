"""The array workloads in JAX and PyTorch, timed beside adcompile when those are installed
(optional: nothing in the project requires them)."""
import time


def _best(fn, reps, rounds=3):
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def _workloads(xp, relu):
    """The three shared workloads written against an array library xp."""
    return {
        "logistic_loss": lambda w, X, y: xp.mean(xp.log1p(xp.exp(-y * (X @ w)))),
        "mlp_loss": lambda W1, b1, w2, X, y: xp.mean((relu(X @ W1 + b1) @ w2 - y) ** 2),
        "rosenbrock_vec": lambda x: xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 +
                                           (1.0 - x[:-1]) ** 2),
    }


def jax_timers(cases):
    """{workload name: seconds per call of jax.jit(jax.value_and_grad(f))}, or {}."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return {}
    jax.config.update("jax_enable_x64", True)
    funcs = _workloads(jnp, lambda z: jnp.maximum(z, 0.0))
    out = {}
    for name, func, args, wrt, reps in cases:
        f = funcs.get(func.__name__)
        if f is None:
            continue
        g = jax.jit(jax.value_and_grad(f, argnums=wrt))
        jargs = [jnp.asarray(a) for a in args]
        jax.block_until_ready(g(*jargs))
        out[name] = _best(lambda: jax.block_until_ready(g(*jargs)), reps)
    return out


def torch_timers(cases):
    """{workload name: seconds per call of a PyTorch forward and backward}, or {}."""
    try:
        import torch
    except ImportError:
        return {}
    torch.set_num_threads(1)
    funcs = _workloads(torch, lambda z: torch.clamp(z, min=0.0))
    out = {}
    for name, func, args, wrt, reps in cases:
        f = funcs.get(func.__name__)
        if f is None:
            continue
        targs = [torch.tensor(a, dtype=torch.float64, requires_grad=i in wrt)
                 for i, a in enumerate(args)]

        def step():
            for t in targs:
                t.grad = None
            value = f(*targs)
            value.backward()
            return value
        step()
        out[name] = _best(step, reps)
    return out
