"""python -m failurelab <verb>: the student's command (see failurelab.cli)."""
import sys

from failurelab.cli import main

sys.exit(main())
