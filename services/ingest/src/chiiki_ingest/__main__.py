"""``python -m chiiki_ingest``: the command line (see chiiki_ingest.cli)."""

import sys

from chiiki_ingest.cli import main

sys.exit(main())
