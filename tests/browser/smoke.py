"""The browser's smoke test: open a page, click its button, see the title change.

Usage: smoke.py URL SCREENSHOT.png

The page (served by tests/tests/browser_smoke.rs) has the title "before"
and a button with id "go" whose click sets it to "clicked".
"""

import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import driver


def main(url, png):
    with driver.browser() as chrome:
        chrome.get(url)
        assert chrome.title == "before", f"the page's title is {chrome.title!r}"
        size = chrome.get_window_size()
        assert (size["width"], size["height"]) == (driver.WIDTH, driver.HEIGHT), size
        chrome.find_element(By.ID, "go").click()
        WebDriverWait(chrome, 10).until(lambda c: c.title == "clicked")
        driver.screenshot(chrome, png)
        print(f"clicked: the title is {chrome.title!r}; screenshot {png}")


if __name__ == "__main__":
    main(*sys.argv[1:])
