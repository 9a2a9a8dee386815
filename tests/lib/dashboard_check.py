#!/usr/bin/python3
"""Drives the node's dashboard in headless Chromium (Debian's chromium and
chromium-driver, through python3-selenium), as an operator's browser would.

  dashboard_check.py URL NODES READY_FILE SCREENSHOT [LABELS...]

Loads URL, waits (30 s) until the ring shows NODES nodes, writes READY_FILE
(the test then makes its call), waits (60 s) until the ladder shows an arrow
for each of LABELS (e.g. INVITE 180 200 ACK BYE) for one call, clicks the
INVITE and checks that the message is shown, and saves SCREENSHOT. Exits 1
saying what was missing; the screenshot is saved either way.

The browser is kept off every network but loopback: no sync, no component
updates, no background requests, a fresh profile in a temporary directory.
"""
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def browser(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1100", f"--user-data-dir={profile}", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-default-apps", "--disable-extensions",
                 "--metrics-recording-only", "--no-default-browser-check",
                 "--proxy-server=direct://", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def wait(what, seconds, check):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"after {seconds} s: {what}")


def main(url, nodes, ready, screenshot, labels):
    with tempfile.TemporaryDirectory() as profile:
        driver = browser(profile)
        try:
            driver.get(url)
            ring = lambda: driver.find_elements(By.CSS_SELECTOR, "#ring .ring-node")
            wait(f"the ring does not show {nodes} nodes", 30, lambda: len(ring()) == nodes)
            if len(driver.find_elements(By.CSS_SELECTOR, "#ring .ring-node.self")) != 1:
                raise AssertionError("the ring does not mark this node")
            open(ready, "w").close()

            def ladder():
                shown = [a.get_attribute("data-label")
                         for a in driver.find_elements(By.CSS_SELECTOR, "#ladder .arrow")]
                return shown if all(label in shown for label in labels) else None
            try:
                shown = wait(f"the ladder does not show {' '.join(labels)}", 60, ladder)
            except AssertionError:
                shown = [a.get_attribute("data-label")
                         for a in driver.find_elements(By.CSS_SELECTOR, "#ladder .arrow")]
                raise AssertionError(f"the ladder shows {shown}, not all of {labels}")
            invite = driver.find_element(By.CSS_SELECTOR, '#ladder .arrow[data-label="INVITE"]')
            invite.click()
            text = driver.find_element(By.ID, "message").text
            if "INVITE sip:" not in text or "Call-ID" not in text:
                raise AssertionError(f"clicking the INVITE shows {text[:200]!r}")
            print(f"dashboard: {nodes} nodes on the ring; ladder {' '.join(shown)}")
        finally:
            driver.save_screenshot(screenshot)
            driver.quit()


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    try:
        main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:])
    except AssertionError as e:
        sys.exit(f"dashboard check failed: {e}")
