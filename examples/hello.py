#!/usr/bin/env python3
"""Says hello and exits: the smallest prisn Job."""
import os
import sys

name = os.environ.get("GREETING_NAME", "world")
print(f"hello, {name}!")
print(f"python {sys.version.split()[0]}, args: {sys.argv[1:]}")
