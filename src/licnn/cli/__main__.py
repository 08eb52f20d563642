import sys

from licnn.cli import main

sys.exit(main())
