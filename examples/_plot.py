"""Optional plotting for the examples: a PNG when matplotlib is installed, a note otherwise."""
import os


def save_plot(name, draw):
    """Call draw(plt) and save the figure as examples/<name>.png; return the path or None."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"(matplotlib is not installed: no {name}.png; pip install '.[examples]')")
        return None
    fig = plt.figure(figsize=(7, 4.5))
    draw(plt)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.png")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}")
    return path
