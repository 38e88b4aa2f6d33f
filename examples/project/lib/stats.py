"""Small statistics helpers, standard library only."""
import statistics


def summarize(numbers):
    return (f"n={len(numbers)} mean={statistics.mean(numbers):.2f} "
            f"median={statistics.median(numbers):.2f} max={max(numbers):g}")
