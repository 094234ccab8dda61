"""python -m failurelab <verb>: the student's command (see failurelab.cli)."""
import os
import sys

from failurelab.cli import main

try:
    sys.exit(main())
except BrokenPipeError:  # `python -m failurelab list | head`: the reader left, which is no error of ours
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's own advice for SIGPIPE
    sys.exit(1)
