"""One module per GradBench eval. Each exposes FUNCTIONS: name -> (prepare, compute, post).

prepare(input_json) -> args (NumPy arrays; not timed), compute(*args) -> result (timed),
post(result) -> JSON-able output (not timed).
"""
