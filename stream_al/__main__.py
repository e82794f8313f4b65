"""`python -m stream_al` runs the command line."""

from stream_al.cli import main

main()
