"""Sign-in and roles in real headless Chromium: what a viewer and an editor can do.

Local accounts (``ATLAS_AUTH=local``): the sign-in form, a wrong password, the brake, a viewer
without import or save controls, an editor whose saves record the name the history shows.
A trusted proxy (``ATLAS_AUTH=header``): the header's user with the roles file's role; and the
same header sent to the local-accounts app is ignored. An identity provider (``ATLAS_AUTH=oidc``):
Streamlit's ``st.login`` against a stand-in OpenID Connect provider (tests/oidc_stub.py).
"""

from __future__ import annotations

import pytest

from atlas.accounts import add_user
from atlas.i18n import t
from tests import hostile_files as hf
from tests.e2e_support import (
    assert_clean,
    chromium,
    free_port,
    main_text,
    needs_chromium,
    running_app,
    settle,
)
from tests.oidc_stub import oidc_provider, secrets_toml

pytestmark = [pytest.mark.e2e, needs_chromium]

EDITOR_PW = "editor password 1"
VIEWER_PW = "viewer password 1"


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _first_session(browser, url: str) -> None:
    """A fresh server's first session opens the main page (streamlit/streamlit#9624: a first
    session opening another page gets an inert "Page not found" dialog)."""
    page = browser.new_page()
    page.goto(url)
    page.locator("[data-testid='stMain']").wait_for(timeout=90_000)
    settle(page, timeout_ms=120_000)
    page.close()


@pytest.fixture(scope="module")
def local_app(tmp_path_factory, browser):
    d = tmp_path_factory.mktemp("auth_local")
    add_user("zhang", EDITOR_PW, role="editor", path=d / "users.json")
    add_user("li", VIEWER_PW, role="viewer", path=d / "users.json")
    add_user("wang", VIEWER_PW, role="viewer", path=d / "users.json")
    env = {"ATLAS_AUTH": "local", "ATLAS_USERS_FILE": str(d / "users.json")}
    with running_app(d / "user", d / "cache", env=env) as url:
        _first_session(browser, url)
        yield url, d / "user"


@pytest.fixture(scope="module")
def header_app(tmp_path_factory, browser):
    d = tmp_path_factory.mktemp("auth_header")
    (d / "roles.toml").write_text('[roles]\n"boss@bureau.example" = "editor"\n', encoding="utf-8")
    env = {"ATLAS_AUTH": "header", "ATLAS_AUTH_HEADER": "X-Remote-User",
           "ATLAS_ROLES_FILE": str(d / "roles.toml"), "ATLAS_DEFAULT_ROLE": "viewer"}
    with running_app(d / "user", d / "cache", env=env) as url:
        _first_session(browser, url)
        yield url


@pytest.fixture(scope="module")
def oidc_app(tmp_path_factory, browser):
    """The app signing in through a stand-in identity provider; yields (url, provider)."""
    d = tmp_path_factory.mktemp("auth_oidc")
    (d / "roles.toml").write_text('[roles]\n"zhang@bureau.example" = "editor"\n', encoding="utf-8")
    home = d / "home"  # Streamlit reads ~/.streamlit/secrets.toml: the [auth] section
    (home / ".streamlit").mkdir(parents=True)
    port = free_port()
    with oidc_provider() as idp:
        (home / ".streamlit" / "secrets.toml").write_text(secrets_toml(idp, f"http://127.0.0.1:{port}"),
                                                         encoding="utf-8")
        env = {"ATLAS_AUTH": "oidc", "ATLAS_ROLES_FILE": str(d / "roles.toml"), "HOME": str(home)}
        with running_app(d / "user", d / "cache", env=env, port=port) as url:
            _first_session(browser, url)
            yield url, idp


def open_page(browser, url: str, *, headers: dict[str, str] | None = None):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, extra_http_headers=headers or {})
    page = ctx.new_page()
    page.goto(url)
    page.locator("[data-testid='stMain']").wait_for(timeout=90_000)
    page.wait_for_timeout(1000)
    settle(page, timeout_ms=120_000)
    return page


def sign_in(page, name: str, password: str) -> None:
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_timeout(800)
    settle(page, timeout_ms=120_000)


def sidebar(page) -> str:
    return str(page.locator("[data-testid='stSidebar']").inner_text())


def go(page, title: str) -> str:
    page.locator("[data-testid='stSidebarNav']").get_by_text(title, exact=True).click()
    page.wait_for_timeout(1000)
    settle(page, timeout_ms=180_000)
    return main_text(page)


def test_signing_in_wrong_and_right_and_a_viewer_cannot_import_or_save(local_app, browser):
    url, _ = local_app
    page = open_page(browser, f"{url}/import")  # a page's address shows the sign-in, not the page
    assert page.get_by_role("button", name="登录", exact=True).count() == 1
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    assert page.locator("[data-testid='stFileUploader']").count() == 0
    # Streamlit's own label of the password field's eye button is in the page's language too
    eye = page.locator("[data-testid='stTextInputRootElement'] button[aria-pressed]")
    eye.first.wait_for(timeout=30_000)
    assert eye.first.get_attribute("aria-label") == "显示密码"
    eye.first.click()
    page.wait_for_function("() => document.querySelector("
                           "\"[data-testid='stTextInputRootElement'] button[aria-pressed='true']\")"
                           "?.getAttribute('aria-label') === '隐藏密码'", timeout=30_000)
    eye.first.click()
    sign_in(page, "li", "not the password")
    assert "用户名或密码错误" in main_text(page)
    sign_in(page, "nobody", VIEWER_PW)
    assert "用户名或密码错误" in main_text(page)
    sign_in(page, "li", VIEWER_PW)
    settle(page)  # a page change in the map's first seconds (before its failed-tiles report) holds
    assert "当前用户：li（浏览者）" in sidebar(page)
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "覆盖缺口" in nav and "导入" not in nav  # the import page is not offered at all
    assert page.locator("[data-testid='stFileUploader']").count() == 0
    text = go(page, "覆盖缺口")
    assert "情景" in text and "您是浏览者" in text
    assert page.get_by_role("button", name="保存情景").count() == 0
    assert_clean(page)
    page.context.close()


def test_too_many_failures_lock_the_name(local_app, browser):
    url, _ = local_app
    page = open_page(browser, url)
    for _ in range(5):
        sign_in(page, "wang", "wrong password")
    sign_in(page, "wang", VIEWER_PW)  # even the right password, while locked
    assert "登录失败次数过多" in main_text(page)
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    page.context.close()


def test_an_editor_imports_and_saves_and_the_history_names_the_editor(local_app, browser, tmp_path):
    from atlas.analysis.scenarios import scenario_history
    from atlas.userlayers import list_user_layers

    url, user_dir = local_app
    page = open_page(browser, url)
    sign_in(page, "zhang", EDITOR_PW)
    settle(page)  # a page change in the map's first seconds holds (see test_e2e_pages)
    assert "当前用户：zhang（编辑者）" in sidebar(page)
    go(page, "导入")
    data, _, _ = hf.csv_delimited(n=12, seed=7)
    path = tmp_path / "编辑者清单.csv"
    path.write_bytes(data)
    page.locator("[data-testid='stFileUploader'] input[type=file]").first.set_input_files(str(path))
    page.get_by_text(t("datum_name_wgs84", "zh"), exact=True).first.wait_for(timeout=90_000)
    settle(page, timeout_ms=120_000)
    page.get_by_text(t("datum_name_wgs84", "zh"), exact=True).first.click()
    settle(page, timeout_ms=120_000)
    page.get_by_role("button", name="保存有效行为我的图层").click()
    page.get_by_text("已保存为新图层：v1").wait_for(timeout=180_000)
    settle(page, timeout_ms=180_000)
    (rec,) = list_user_layers(folder=user_dir)
    assert [v["saved_by"] for v in rec["versions"]] == ["zhang"]
    page.get_by_text("保存记录", exact=True).first.click()
    page.wait_for_timeout(800)
    history = page.locator("[data-testid='stExpander']").filter(has_text="保存记录").first
    history.locator("[data-testid='stDataFrame']").wait_for(timeout=30_000)
    assert "zhang" in history.inner_text() or _grid_has(page, history, "zhang")

    go(page, "覆盖缺口")
    box = page.get_by_label("情景名称")
    box.fill("编辑者方案")
    box.press("Enter")
    settle(page, timeout_ms=180_000)
    page.get_by_role("button", name="保存情景").click()
    page.get_by_text("编辑者方案 · v", exact=False).first.wait_for(timeout=180_000)
    (saved,) = scenario_history(folder=user_dir)
    assert saved["saved_by"] == "zhang" and saved["names"] == ["编辑者方案"]
    assert_clean(page)
    page.context.close()


def _grid_has(page, container, text: str) -> bool:
    """Streamlit's data grid paints cells on a canvas: read them through its accessible table."""
    cells = container.locator("[role='gridcell']")
    return any(text in cells.nth(i).inner_text() for i in range(cells.count()))


def test_a_proxy_named_user_gets_the_roles_file_role(header_app, browser):
    boss = open_page(browser, header_app, headers={"X-Remote-User": "boss@bureau.example"})
    assert "当前用户：boss@bureau.example（编辑者）" in sidebar(boss)
    assert "导入" in boss.locator("[data-testid='stSidebarNav']").inner_text()
    assert boss.get_by_role("button", name="退出登录").count() == 0  # the proxy signs out, not us
    boss.locator("[data-testid='stSidebar']").get_by_text("English", exact=True).click()
    settle(boss)
    go(boss, "Coverage")  # after a page change, navigation and user line stay in English
    assert "Signed in as boss@bureau.example (editor)" in sidebar(boss)
    assert "Import" in boss.locator("[data-testid='stSidebarNav']").inner_text()
    assert "导入" not in sidebar(boss)
    boss.context.close()
    clerk = open_page(browser, header_app, headers={"x-remote-user": "clerk"})
    assert "当前用户：clerk（浏览者）" in sidebar(clerk)
    assert "导入" not in clerk.locator("[data-testid='stSidebarNav']").inner_text()
    clerk.context.close()
    for headers in ({}, {"X-Forwarded-User": "boss@bureau.example"}):  # no header, or another one
        nobody = open_page(browser, header_app, headers=headers)
        assert "未识别到用户" in main_text(nobody)
        assert nobody.locator("[data-testid='stSidebarNav']").count() == 0
        nobody.context.close()


def test_a_user_header_is_ignored_when_sign_in_is_by_local_accounts(local_app, browser):
    url, _ = local_app
    page = open_page(browser, url, headers={"X-Forwarded-User": "zhang", "X-Remote-User": "zhang"})
    assert page.get_by_role("button", name="登录", exact=True).count() == 1
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    assert "zhang" not in sidebar(page)
    page.context.close()


def test_an_identity_provider_user_signs_in_with_the_roles_file_role_and_out(oidc_app, browser):
    url, idp = oidc_app
    for email, role in (("zhang@bureau.example", "编辑者"), ("clerk@bureau.example", "浏览者")):
        idp.user = {"sub": email.split("@")[0], "email": email}
        page = open_page(browser, url)
        assert page.locator("[data-testid='stSidebarNav']").count() == 0
        page.get_by_role("button", name="统一身份认证登录").click()
        page.locator("[data-testid='stSidebarNav']").wait_for(timeout=90_000)
        settle(page, timeout_ms=120_000)
        assert f"当前用户：{email}（{role}）" in sidebar(page).replace("\n", "")
        assert ("导入" in page.locator("[data-testid='stSidebarNav']").inner_text()) == (role == "编辑者")
        page.get_by_role("button", name="退出登录").click()
        page.get_by_role("button", name="统一身份认证登录").wait_for(timeout=90_000)
        assert page.locator("[data-testid='stSidebarNav']").count() == 0
        page.context.close()
    assert idp.token_requests == 2  # each sign-in went through the provider's token endpoint
