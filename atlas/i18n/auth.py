"""Texts of sign-in, roles and who saved what."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "auth_title": ("登录", "Sign in"),
    "auth_intro": ("请使用管理员为您开设的账户登录。",
                   "Sign in with the account your administrator gave you."),
    "auth_name": ("用户名", "User name"),
    "auth_password": ("密码", "Password"),
    "auth_sign_in": ("登录", "Sign in"),
    "auth_sign_out": ("退出登录", "Sign out"),
    "auth_oidc_intro": ("请通过单位统一身份认证登录。",
                        "Sign in through your organisation's identity provider."),
    "auth_oidc_button": ("统一身份认证登录", "Sign in with your organisation"),
    "auth_no_header": ("未识别到用户：请通过单位的访问入口（反向代理）打开本系统。",
                       "No user was recognised: open the atlas through your organisation's entry "
                       "point (its reverse proxy)."),
    "auth_signed_in_as": ("当前用户：{name}（{role}）", "Signed in as {name} ({role})"),
    "auth_role_viewer": ("浏览者", "viewer"),
    "auth_role_editor": ("编辑者", "editor"),
    "auth_viewer_note": ("您是浏览者：可以浏览、分析和导出；导入和保存需由编辑者进行。",
                         "You are a viewer: you may browse, analyse and export; importing and "
                         "saving are for editors."),
    "auth_history": ("保存记录", "Save history"),
    "auth_saved_by": ("保存人", "Saved by"),
    "auth_saved_at": ("保存时间（UTC）", "Saved at (UTC)"),
    "auth_nobody": ("（未登录）", "(no sign-in)"),
    "auth_version": ("版本", "Version"),
    "auth_rows": ("行数", "Rows"),
    "auth_scenarios_in_set": ("所含情景", "Scenarios in the set"),
    "auth_unreadable": ("（无法读取）", "(unreadable)"),
}
