"""practicum: simulated students, teachers and scenarios for tutoring practice, datasets and tuning."""

from practicum.errors import PracticumError

__version__ = "0.1.0"

__all__ = ["PracticumError", "__version__"]
