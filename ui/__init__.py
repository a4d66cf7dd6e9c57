"""Streamlit helpers shared by the pages (caching, language, sidebar). The engine is atlas/."""

#: Session key of the "loading…" placeholder a session's first run shows at once (streamlit_app.py);
#: the page's title replaces it (:func:`ui.common.page_title`).
LOADING = "_loading"
