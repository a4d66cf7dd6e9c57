"""Sign-in and roles in the app: who the session's user is, the sign-in gate, the role check.

Pages that write call :func:`editor_name` right before the engine's saving function and pass
its result as ``user=`` (the check raises :class:`atlas.errors.PermissionDeniedError` for a
viewer, shown like any atlas error); they hide their import and save controls when
:func:`can_edit` is false, but the check does not depend on that.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import streamlit as st

from atlas import settings
from atlas.auth import (
    ANONYMOUS,
    SharedSignInThrottle,
    SignInThrottle,
    User,
    auth_mode,
    require_editor,
    user_from_headers,
    user_from_oidc,
)
from atlas.errors import AtlasError, AuthenticationError
from atlas.i18n import t
from ui.cards import md_escape
from ui.tables import show_table

#: Session key of a local sign-in, ``(name, password hash)``: set only by the sign-in form (no
#: widget has this key); the account is looked up again at every step (:func:`_local_user`).
_SESSION_KEY = "_atlas_signed_in_user"


@st.cache_resource(show_spinner=False)
def _throttle() -> SignInThrottle:
    """The brute-force brake, shared by every session and every app process of the machine."""
    users = settings.AUTH_USERS_FILE
    return SharedSignInThrottle(users.with_name(users.name + ".failures.sqlite"))


def _user() -> User | None:
    """The session's user in the configured mode (raises on a bad configuration or header)."""
    mode = auth_mode()
    if mode == "off":
        return ANONYMOUS
    if mode == "local":
        return _local_user()
    if mode == "header":
        return user_from_headers(st.context.headers)
    return user_from_oidc(st.user.to_dict())


def _local_user() -> User | None:
    """The signed-in local account, re-read from the accounts file (role changes apply at once)."""
    from atlas.accounts import session_user

    signed = st.session_state.get(_SESSION_KEY)
    if not (isinstance(signed, tuple) and len(signed) == 2):
        return None
    user = session_user(*signed)
    if user is None:  # removed, or the password was changed: the session ends
        st.session_state.pop(_SESSION_KEY, None)
    return user


def current_user() -> User | None:
    """The session's user, or ``None`` (nobody signed in, or sign-in is misconfigured)."""
    try:
        return _user()
    except AtlasError:
        return None


def can_edit() -> bool:
    """Whether the session may import and save (to show or hide those controls)."""
    user = current_user()
    return user is not None and user.can_edit


def editor_name() -> str:
    """The name to record with a save; raises unless the session's user is an editor.

    Call it in the same statement as the saving function::

        save_user_layer(name, sites, user=ui.auth.editor_name())

    Raises
    ------
    atlas.errors.PermissionDeniedError
        For a viewer or nobody.

    """
    return require_editor(current_user())


def viewer_note(lang: str) -> None:
    """Say (once, in place of the hidden controls) that a viewer cannot import or save."""
    st.info(t("auth_viewer_note", lang))


def sign_in_page() -> None:
    """The page every address shows until the session has a user: the sign-in of the mode.

    ``streamlit_app.py`` registers it under each page's address (so a bookmarked page opens
    after signing in), with the navigation hidden; the pages themselves are not registered, so
    none of their code runs for a session without a user.
    """
    from ui import common

    lang = common.language()
    common.page_title(t("app_title", lang))
    try:
        _user()
    except AtlasError as exc:  # a bad setting or header: say so, let nobody in
        st.error(exc.message(lang))
        return
    mode = auth_mode()
    if mode == "local":
        _sign_in_form(lang)
    elif mode == "oidc":
        st.write(t("auth_oidc_intro", lang))
        provider = settings.AUTH_OIDC_PROVIDER
        st.button(t("auth_oidc_button", lang), key="auth_oidc", on_click=st.login,
                  args=(provider,) if provider else ())
    else:
        st.warning(t("auth_no_header", lang))


def _sign_in_form(lang: str) -> None:
    from atlas.accounts import authenticate

    st.subheader(t("auth_title", lang))
    st.write(t("auth_intro", lang))
    with st.form("auth_form", clear_on_submit=True):
        name = st.text_input(t("auth_name", lang), key="auth_name", max_chars=64)
        password = st.text_input(t("auth_password", lang), type="password", key="auth_password")
        submitted = st.form_submit_button(t("auth_sign_in", lang))
    if not submitted:
        return
    try:
        user = authenticate(name, password, throttle=_throttle())
    except AuthenticationError as exc:
        time.sleep(settings.AUTH_FAILURE_DELAY_S)
        st.error(exc.message(lang))
        return
    except AtlasError as exc:
        st.error(exc.message(lang))
        return
    st.session_state[_SESSION_KEY] = sign_in_record(user.name)
    st.rerun()


def sign_in_record(name: str) -> tuple[str, str]:
    """What a session keeps of a local sign-in: the name and the account's password hash."""
    from atlas.accounts import load_accounts

    acct = load_accounts().get(name)
    return name, acct.hash if acct is not None else ""  # "" matches no account: not signed in


def sign_out() -> None:
    """Forget the session's user (and sign out of the identity provider in ``oidc`` mode)."""
    st.session_state.pop(_SESSION_KEY, None)
    if auth_mode() == "oidc":
        st.logout()


def sidebar(user: User, lang: str) -> None:
    """Who is signed in and with which role, and a sign-out button (not when sign-in is off)."""
    if user.source == "off":
        return
    role = t(f"auth_role_{user.role}", lang)
    st.sidebar.caption(t("auth_signed_in_as", lang, name=md_escape(user.name), role=role))
    if user.source in ("local", "oidc"):
        st.sidebar.button(t("auth_sign_out", lang), key="auth_sign_out", on_click=sign_out)


def saved_by_label(name: str, lang: str) -> str:
    """A ``saved_by`` value for people: the name, or "(no sign-in)" for saves made without one."""
    return name if name else t("auth_nobody", lang)


def _history(rows: list[dict[str, Any]], extra: dict[str, str], lang: str, *, key: str) -> None:
    """A history table: version, when (UTC), who saved, and ``extra`` columns (key -> header)."""
    table = pd.DataFrame([{"version": r["version"],
                           "created": str(r["created"]).replace("T", " ").rstrip("Z"),
                           "saved_by": saved_by_label(str(r["saved_by"]), lang),
                           **{k: r.get(k) for k in extra}} for r in rows])
    headers = {"version": t("auth_version", lang), "created": t("auth_saved_at", lang),
               "saved_by": t("auth_saved_by", lang), **extra}
    show_table(table, lang, headers=headers, key=key)


def layer_history(rec: dict[str, Any], lang: str) -> None:
    """Every saved version of a user layer (newest first): who saved it and when."""
    rows = [{"version": f"v{v['n']}", "created": v["created"], "saved_by": v.get("saved_by", ""),
             "rows": v["rows"]} for v in reversed(rec["versions"])]
    with st.expander(t("auth_history", lang)):
        _history(rows, {"rows": t("auth_rows", lang)}, lang, key=f"auth_layer_history_{rec['key']}")


def scenario_history(lang: str, *, limit: int = 20) -> None:
    """The newest saves of the scenario set: who saved which scenarios, and when."""
    from atlas.analysis.scenarios import scenario_history as history

    try:
        found = history(limit=limit)
    except AtlasError as exc:
        st.error(exc.message(lang))
        return
    if not found:
        return
    rows = [{**h, "version": f"v{h['version']}",
             "names": "、".join(h["names"]) if h["names"] is not None else t("auth_unreadable", lang)}
            for h in found]
    with st.expander(t("auth_history", lang)):
        _history(rows, {"names": t("auth_scenarios_in_set", lang)}, lang, key="auth_scenario_history")


def save_button(container: Any, label: str, lang: str, *, key: str | None = None) -> bool:
    """A save button for an editor (True when pressed); for anyone else, the viewer's note.

    Hiding the button is only for the eye: the save itself must still pass
    :func:`editor_name`.
    """
    if can_edit():
        return bool(container.button(label, key=key))
    container.caption(t("auth_viewer_note", lang))
    return False
