"""The package's own exceptions: library code raises these, only the CLI and TUI print them."""


class PracticumError(Exception):
    """Base class for every error a user can cause or fix."""


class ConfigError(PracticumError):
    """A setting, path or environment variable is wrong."""


class InputError(PracticumError):
    """A file or value given by the user is malformed; the message names the file, line or field."""


class NotFoundError(PracticumError):
    """A scenario, session or run id does not exist."""


class BackendError(PracticumError):
    """A model backend failed: bad spec, unreachable endpoint, or an error reply."""


class ModelMissingError(BackendError):
    """The embedded model package is not installed."""
