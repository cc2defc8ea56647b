"""The pages of `audmodel serve` in headless Chromium.

Run by tests/tests/web_browser.rs, which publishes the registry and starts
two servers (one requiring a token): ``pages.py URL TOKEN_URL TOKEN SHOTS``
with ``AUDMODEL_EXPECT`` holding what was published, as JSON. Each check
prints ``ok: …``; the first that fails raises. Screenshots of the five
pages go into the folder SHOTS.
"""

import hashlib
import io
import json
import os
import sys
import urllib.error
import urllib.request
import zipfile

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import driver

URL, TOKEN_URL, TOKEN, SHOTS = sys.argv[1:5]
EXPECT = json.loads(os.environ["AUDMODEL_EXPECT"])


def ok(what):
    print(f"ok: {what}", flush=True)


def rows(chrome, table_id):
    """The visible body rows of a table."""
    return [
        row
        for row in chrome.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")
        if row.is_displayed()
    ]


def names(chrome):
    return [row.find_elements(By.TAG_NAME, "td")[1].text for row in rows(chrome, "models")]


def submit_filters(chrome, **fields):
    """Types into the filter form's fields and submits it, as a user does."""
    form = chrome.find_element(By.CSS_SELECTOR, "form.filters")
    for name, value in fields.items():
        field = form.find_elements(By.NAME, name)[-1]
        field.clear()
        field.send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(chrome, 10).until(lambda c: "?" in c.current_url)


def check_models(chrome):
    chrome.get(URL)
    assert chrome.title.startswith("Models"), chrome.title
    everything = chrome.find_element(By.CSS_SELECTOR, "p.summary").text
    assert f"of {EXPECT['total']}" in everything, everything
    assert len(rows(chrome, "models")) == 50, "the first page holds 50 rows"
    ok("the models page lists the first 50 of every model")

    chrome.save_screenshot(os.path.join(SHOTS, "models.png"))

    chrome.find_element(By.CSS_SELECTOR, "a[rel=next]").click()
    assert "page=2" in chrome.current_url, chrome.current_url
    assert len(rows(chrome, "models")) == EXPECT["total"] - 50
    ok("paging: the next page holds the rest")

    submit_filters(chrome, q="emotion")
    found = sorted(names(chrome))
    assert found == sorted(EXPECT["search_emotion"]), found
    ok(f"the search narrows the list to {found}")
    # The state is in the URL: a shared link shows the same list.
    shared = chrome.current_url
    chrome.get(URL)
    chrome.get(shared)
    assert sorted(names(chrome)) == found
    ok("a link keeps the search")

    chrome.get(URL)
    submit_filters(chrome, subgroup="audmodel")
    found = sorted(names(chrome))
    assert found == sorted(EXPECT["subgroup_audmodel"]), found
    ok(f"the subgroup filter matches below it: {found}")

    chrome.get(URL)
    submit_filters(chrome, param="layers=12")
    found = names(chrome)
    assert found == ["wav2vec2"], found
    ok("the parameter filter key=value")

    chrome.get(URL + "?subgroup=audeering")
    chrome.find_element(By.CSS_SELECTOR, "a.sort[data-column=name]").click()
    descending = names(chrome)
    assert descending == sorted(descending, reverse=True), descending
    assert "subgroup=audeering" in chrome.current_url
    ok("a column heading sorts, keeping the filter")

    rendered = [row.get_attribute("data-sid") for row in rows(chrome, "models")]
    assert EXPECT["garage_sid"] in rendered, rendered
    ok("models of the Garage repository are listed beside the file system's")


def check_model_and_compare(chrome):
    sid = EXPECT["cnn_sid"]
    chrome.get(f"{URL}models/{sid}")
    versions = rows(chrome, "versions")
    assert len(versions) == len(EXPECT["cnn_uids"]), len(versions)
    listed = [row.find_elements(By.TAG_NAME, "td")[1].text for row in versions]
    assert listed == ["2.0.0", "1.1.0", "1.0.0"], listed
    ok("the model page lists its versions, latest first")
    driver.screenshot(chrome, os.path.join(SHOTS, "model.png"))

    for box in chrome.find_elements(By.CSS_SELECTOR, "#versions input[type=checkbox]"):
        box.click()
    chrome.find_element(By.CSS_SELECTOR, "#versions ~ button[type=submit]").click()
    WebDriverWait(chrome, 10).until(lambda c: "/compare" in c.current_url)
    every = rows(chrome, "compare")
    switch = chrome.find_element(By.ID, "differences-only")
    assert not switch.is_selected()
    switch.click()
    differing = rows(chrome, "compare")
    assert 0 < len(differing) < len(every), (len(differing), len(every))
    for row in differing:
        cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
        assert len(set(cells)) > 1, cells
    assert "diff=1" in chrome.current_url, chrome.current_url
    ok(f"the switch hides equal rows: {len(every)} keys, {len(differing)} differ")

    plots = chrome.find_elements(By.CSS_SELECTOR, "svg.plot")
    keys = sorted(p.get_attribute("data-key") for p in plots)
    assert keys == ["meta.epochs", "meta.results.accuracy", "meta.results.loss"], keys
    for plot in plots:
        points = plot.find_elements(By.CSS_SELECTOR, "circle.point")
        assert len(points) == len(EXPECT["cnn_uids"]), len(points)
    ok("each numeric metadata key is plotted with one point a version")
    driver.screenshot(chrome, os.path.join(SHOTS, "compare.png"))


def check_version_and_download(chrome):
    uid = EXPECT["garage_uid"]
    chrome.get(f"{URL}versions/{uid}")
    cells = chrome.find_elements(By.CSS_SELECTOR, "#archive td")
    checksum = cells[1].text.strip()
    files = {
        row.find_elements(By.TAG_NAME, "td")[0].text
        for row in rows(chrome, "files")
    }
    assert files == {"config.yaml", "weights.csv"}, files
    ok("the version page lists the archive's files")
    link = chrome.find_element(By.CSS_SELECTOR, "a.download").get_attribute("href")
    with urllib.request.urlopen(link) as response:
        archive = response.read()
    assert hashlib.md5(archive).hexdigest() == checksum, checksum
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        assert set(zipped.namelist()) == files
    ok("the download gives the archive's bytes (its MD5 is the shown checksum)")

    chrome.get(f"{URL}versions/emotion-large")
    driver.screenshot(chrome, os.path.join(SHOTS, "version.png"))


def check_hostile(chrome):
    chrome.get(f"{URL}versions/{EXPECT['hostile_uid']}")
    meta = chrome.find_element(By.ID, "meta").text
    assert "<script>window.__pwned=1</script>" in meta, meta
    assert "<img src=x onerror=window.__pwned=3>" in meta, meta
    for link in chrome.find_elements(By.TAG_NAME, "a"):
        assert not (link.get_attribute("href") or "").startswith("javascript:")
    for page in [URL, f"{URL}models/{EXPECT['hostile_uid'][:8]}", f"{URL}versions/{EXPECT['hostile_uid']}"]:
        chrome.get(page)
        pwned = chrome.execute_script("return typeof window.__pwned;")
        assert pwned == "undefined", (page, pwned)
    ok("hostile metadata shows as text and runs nothing")


def check_aliases(chrome):
    chrome.get(f"{URL}aliases")
    found = {
        row.find_elements(By.TAG_NAME, "td")[0].text: row.find_elements(By.TAG_NAME, "td")[1].text
        for row in rows(chrome, "aliases")
    }
    assert found == EXPECT["aliases"], found
    ok("the aliases page names each alias's model")
    driver.screenshot(chrome, os.path.join(SHOTS, "aliases.png"))


def check_token():
    try:
        urllib.request.urlopen(TOKEN_URL)
        raise AssertionError("a request without the token was answered")
    except urllib.error.HTTPError as refused:
        assert refused.code == 401, refused.code
    request = urllib.request.Request(TOKEN_URL, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    ok("a missing token is refused with 401, the token is let in")


def main():
    check_token()
    with driver.browser() as chrome:
        check_models(chrome)
        check_model_and_compare(chrome)
        check_version_and_download(chrome)
        check_hostile(chrome)
        check_aliases(chrome)


if __name__ == "__main__":
    main()
