"""Headless Chromium for the tests of web pages, driven by selenium.

A page test imports this module (``import driver``), which
``audmodel_tests::browser::run_browser_script`` puts on ``PYTHONPATH``::

    import driver

    with driver.browser() as chrome:
        chrome.get(url)
        ...
        driver.screenshot(chrome, "page.png")

The browser is Debian's Chromium (``AUDMODEL_CHROMIUM``, else
``/usr/bin/chromium``) and its driver (``AUDMODEL_CHROMEDRIVER``, else
``/usr/bin/chromedriver``), both passed explicitly so that selenium's
Selenium Manager never looks for (nor downloads) either. Set
``AUDMODEL_CHROMEDRIVER_LOG`` to a file path to keep chromedriver's log.
"""

import os
import shutil
import subprocess
import tempfile

# Selenium Manager is only run when a path is missing, and then must not
# download anything: the network is closed and the binaries are Debian's.
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

WIDTH = 1280
HEIGHT = 900
MAX_SCREENSHOT_HEIGHT = 4000

# Without these, Chromium on a machine without network hangs on the
# connections it tries (updates, sync, QUIC), or fails without a sandbox or
# a large /dev/shm.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)

PAGE_LOAD_TIMEOUT = 60
SCRIPT_TIMEOUT = 30


def chromium_path():
    """The Chromium binary: ``AUDMODEL_CHROMIUM``, else Debian's."""
    return os.environ.get("AUDMODEL_CHROMIUM", "/usr/bin/chromium")


def chromedriver_path():
    """The ChromeDriver binary: ``AUDMODEL_CHROMEDRIVER``, else Debian's."""
    return os.environ.get("AUDMODEL_CHROMEDRIVER", "/usr/bin/chromedriver")


class Browser(webdriver.Chrome):
    """selenium's Chrome webdriver whose profile folder goes on ``quit()``."""

    def __init__(self, profile, **kwargs):
        self._profile = profile
        super().__init__(**kwargs)

    def quit(self):
        try:
            super().quit()
        finally:
            shutil.rmtree(self._profile, ignore_errors=True)


def browser():
    """A headless Chromium whose window is 1280x900, with a fresh profile.

    The page's viewport is smaller by the browser's frame (1280x757 with
    Chromium 156).

    Quit it (or use it in a ``with`` block) to end Chromium and remove the
    profile.
    """
    profile = tempfile.mkdtemp(prefix="audmodel-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium_path()
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={WIDTH},{HEIGHT}")
    options.add_argument(f"--user-data-dir={profile}")
    service = Service(
        executable_path=chromedriver_path(),
        log_output=os.environ.get("AUDMODEL_CHROMEDRIVER_LOG", subprocess.DEVNULL),
    )
    try:
        chrome = Browser(profile, service=service, options=options)
    except BaseException:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    try:
        chrome.set_window_size(WIDTH, HEIGHT)
        chrome.set_page_load_timeout(PAGE_LOAD_TIMEOUT)
        chrome.set_script_timeout(SCRIPT_TIMEOUT)
    except BaseException:
        chrome.quit()
        raise
    return chrome


def screenshot(chrome, path):
    """Saves the whole page as a PNG at ``path``.

    The window is made as tall as the page (``document.body.scrollHeight``,
    at most 4000 px) plus the browser's frame (headless Chromium's window is
    taller than its viewport) for the picture, then given its size back.
    """
    size = chrome.get_window_size()
    page, frame = chrome.execute_script(
        "return [Math.max(document.body ? document.body.scrollHeight : 0,"
        " document.documentElement.scrollHeight),"
        " window.outerHeight - window.innerHeight];"
    )
    height = max(1, min(int(page), MAX_SCREENSHOT_HEIGHT))
    chrome.set_window_size(size["width"], height + max(0, int(frame)))
    try:
        if not chrome.save_screenshot(os.fspath(path)):
            raise RuntimeError(f"cannot save a screenshot to {path}")
    finally:
        chrome.set_window_size(size["width"], size["height"])
