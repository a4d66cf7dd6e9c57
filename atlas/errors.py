"""Explicit, bilingual errors.

Every error the atlas raises for bad input carries a Chinese and an English message, so that a
page can show the user's language without parsing text. ``str(err)`` gives both.
"""

from __future__ import annotations


class AtlasError(Exception):
    """Base class of every error the atlas raises on purpose.

    Parameters
    ----------
    zh : str
        The message in Chinese (shown first in the app).
    en : str
        The same message in English.

    """

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en

    def message(self, lang: str = "zh") -> str:
        """Return the message in ``lang`` ("zh" or "en")."""
        return self.en if lang == "en" else self.zh


class ValidationError(AtlasError):
    """Data that does not meet the atlas's schema (bad column, CRS, geometry or value)."""


class CatalogueError(AtlasError):
    """A layer file in ``layers/`` is malformed; the message names the file and the field."""


class DatumError(AtlasError):
    """An unknown or unsupported coordinate datum was asked for."""


class UnknownDistrictError(AtlasError):
    """A district name or code that is not one of Ningbo's county-level divisions."""


class NetworkUnavailableError(AtlasError):
    """No walking network could be had for an area (offline, no local file, nothing cached)."""


class EmptyNetworkError(AtlasError):
    """A walking network was built or loaded but holds no usable edges for the area."""


class EmptyAreaError(EmptyNetworkError):
    """A source holds walkable ways, but none within the area asked for."""


class UploadError(AtlasError):
    """A planner's uploaded file cannot be read (format, encoding, size or columns)."""


class StorageError(AtlasError):
    """Saving user data failed; what was saved before is left untouched."""


class PermissionDeniedError(AtlasError):
    """The signed-in user's role does not allow this (a viewer asked to save or import)."""


class AuthenticationError(AtlasError):
    """Sign-in failed: wrong name or password, or too many failures (locked for a while)."""


class ConfigurationError(AtlasError):
    """A setting or configuration file of the atlas is invalid (e.g. an unknown sign-in mode)."""


class ClusterUnreachableError(AtlasError):
    """A dask scheduler given for a batch cannot be reached or does not answer as one."""
