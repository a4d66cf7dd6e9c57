"""Observers of builds: tests and benchmarks count how often specs and base maps are made."""

from __future__ import annotations

from collections.abc import Callable

#: Observers called as ``hook(kind, name)`` each time a layer spec or a base map is *built* (not
#: served from a cache). Tests and benchmarks count rebuilds through it.
BUILD_HOOKS: list[Callable[[str, str], None]] = []


def built(kind: str, name: str) -> None:
    """Tell every observer in ``atlas.webmap.BUILD_HOOKS`` that ``kind`` ``name`` was built.

    The list is looked up on the package at each call, so replacing it there (a test's
    ``monkeypatch.setattr(webmap, "BUILD_HOOKS", [...])``) works as well as appending to it.
    """
    import atlas.webmap as pkg

    for hook in list(pkg.BUILD_HOOKS):
        hook(kind, name)
