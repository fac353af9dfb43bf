"""What goes wrong with Cloud Storage, as the emulator's storage API raises it."""

from __future__ import annotations


class StorageError(Exception):
    """A bucket name Cloud Storage would refuse, a malformed ``gs://`` URI, or an answer that is not a success
    (``status`` is then its HTTP status)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ObjectNotFound(StorageError):
    """No such object, or no such bucket: the 404 of the real service."""
