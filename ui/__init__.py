"""Streamlit helpers shared by the pages (caching, language, sidebar). The engine is atlas/."""
