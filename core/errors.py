"""Errors the services raise; every message says what to fix."""


class HubError(Exception):
    """Base class for errors a user can act on."""


class Forbidden(HubError):
    """The actor may not do this."""


class NotFound(HubError):
    """The thing asked for does not exist (or the actor may not know it exists)."""


class ValidationError(HubError):
    """Input was rejected; the message names the field and what to change."""


class Conflict(HubError):
    """Someone else changed the record first, or a unique value is already taken."""


class ConfigError(HubError):
    """The deployment is misconfigured."""
