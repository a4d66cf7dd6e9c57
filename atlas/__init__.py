"""Ningbo Innovation Atlas (宁波科创空间图谱): the engine.

A library with no Streamlit imports: geodata loading and validation, China-datum conversion,
the walking network, service areas, coverage, siting and exports. Pages and scripts call it.
"""

__version__ = "0.1.0"
