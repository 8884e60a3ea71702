"""Allow `python -m practicum`."""

from practicum.cli import main

if __name__ == "__main__":
    main()
