"""``python -m eligibility``: the command line without the console script on PATH."""

from eligibility.cli import main

if __name__ == "__main__":
    main()
