#!/usr/bin/env python3
"""A folder project: main.py imports a module from lib/."""
import sys

from lib.stats import summarize


def main():
    numbers = [float(a) for a in sys.argv[1:]] or [3, 1, 4, 1, 5, 9, 2, 6]
    print(summarize(numbers))


if __name__ == "__main__":
    main()
