#!/usr/bin/env python3
"""Drives the web console (/console/) in headless Chromium, as a person would.

    console_test.py BASE_URL TOKEN SCREENSHOTS_DIR [--repository shop] [--harness-kind script] [--claim 'src/**']

Signs in by pasting TOKEN, dispatches a lane from the form (after seeing a
field error from the API next to the field), watches it run on the lane page
(output lines from the live event stream), pauses it and sees `paused`,
resumes it and sees `running`, tells its agent to finish with an interrupt
and sees `completed`; issues a token (shown once) and revokes it; verifies the
workspace's own audit export in the browser, then sees tampered exports fail.
A screenshot is saved at each step. Prints `RUN_ID=<lane>` for the caller.
Exits 1 with a message (and a screenshot, the page's text and the browser's
console) on the first failure.

Selenium drives Debian's /usr/bin/chromium through /usr/bin/chromedriver; the
driver path is given explicitly and SE_OFFLINE is set, so Selenium Manager never
downloads anything.
"""

import argparse
import base64
import json
import os
import re
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

os.environ["SE_OFFLINE"] = "true"

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import (  # noqa: E402
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

# A busy 2-core machine runs the host, the harness and Chromium at once: be patient.
WAIT = 60
LANE_WAIT = 150
# The page re-renders as events arrive: an element may go stale between finding and reading it.
IGNORED = (StaleElementReferenceException, NoSuchElementException)


class Failure(Exception):
    pass


class Console:
    def __init__(self, args):
        self.args = args
        self.base = args.base_url.rstrip("/")
        self.shots = args.screenshots
        os.makedirs(self.shots, exist_ok=True)
        self.count = 0
        self.step_name = "start"
        self.profile = tempfile.TemporaryDirectory(prefix="console-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = args.chromium
        for flag in (
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--window-size=1280,800",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={self.profile.name}",
        ):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=args.chromedriver)
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(WAIT * 2)
        self.driver.set_script_timeout(WAIT)

    # -------------------------------------------------------------- helpers

    def step(self, name):
        self.step_name = name
        print(f"--- {name}", flush=True)

    def shot(self, name):
        self.count += 1
        path = os.path.join(self.shots, f"{self.count:02d}-{name}.png")
        try:
            # The whole page, not just the viewport.
            size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
            shot = self.driver.execute_cdp_cmd(
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 6000), "scale": 1},
                },
            )
            with open(path, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        except WebDriverException:
            self.driver.save_screenshot(path)
        print(f"    screenshot {path}", flush=True)

    def wait(self, what, predicate, timeout=WAIT):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.2, ignored_exceptions=IGNORED).until(lambda d: predicate(d))
        except TimeoutException:
            raise Failure(f"timed out after {timeout} s waiting for {what}") from None

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def finds(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def visible(self, css, timeout=WAIT):
        def check(d):
            els = [e for e in d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]
            return els[0] if els else False

        return self.wait(f"`{css}` to be visible", check, timeout)

    def text_of(self, css):
        els = self.finds(css)
        return els[0].text if els else ""

    def wait_text(self, css, needle, timeout=WAIT):
        def check(_):
            text = self.text_of(css)
            return text if needle.lower() in text.lower() else False

        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.2, ignored_exceptions=IGNORED).until(check)
        except TimeoutException:
            raise Failure(
                f"timed out after {timeout} s waiting for `{css}` to contain {needle!r}; it says: {self.text_of(css)!r}"
            ) from None

    def type_into(self, css, text, clear=True):
        el = self.find(css)
        if clear:
            el.clear()
        el.send_keys(text)
        return el

    def click(self, css):
        el = self.visible(css)
        self.wait(f"`{css}` to be enabled", lambda _: el.is_enabled())
        el.click()
        return el

    def go(self, hash_route, heading):
        self.driver.execute_script("location.hash = arguments[0]", hash_route)
        self.wait_text("main h1", heading)

    def lane_state(self):
        els = self.finds("#lane-state [data-state]")
        return els[0].get_attribute("data-state") if els else None

    def wait_lane_state(self, state, timeout=LANE_WAIT):
        try:
            WebDriverWait(self.driver, timeout, poll_frequency=0.2, ignored_exceptions=IGNORED).until(lambda _: self.lane_state() == state)
        except TimeoutException:
            raise Failure(
                f"the lane page never showed `{state}` (it shows {self.lane_state()!r});"
                f" events:\n{self.text_of('#timeline')}\noutput tail:\n{self.text_of('#output')[-800:]}"
            ) from None

    def timeline_has(self, needle, timeout=LANE_WAIT):
        def check(_):
            return any(needle in li.text for li in self.finds("#timeline li[data-type='state']"))

        try:
            WebDriverWait(self.driver, timeout, poll_frequency=0.2, ignored_exceptions=IGNORED).until(check)
        except TimeoutException:
            raise Failure(f"the event stream never showed {needle!r}; events:\n{self.text_of('#timeline')}") from None

    def enabled(self, css):
        return self.find(css).is_enabled()

    def expect(self, condition, message):
        if not condition:
            raise Failure(message)

    def check_accessibility(self, screen):
        """Every visible control has a label, one h1, headings never skip a level, landmarks exist."""
        problems = self.driver.execute_script(
            """
            const out = [];
            for (const el of document.querySelectorAll('input, select, textarea')) {
              if (el.type === 'hidden' || el.closest('[hidden]')) continue;
              const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
              if (!named) out.push(`unlabelled ${el.tagName.toLowerCase()}#${el.id || '?'}[name=${el.name || '?'}]`);
            }
            const hs = [...document.querySelectorAll('main h1, main h2, main h3, main h4')].filter(h => !h.closest('[hidden]'));
            if (document.querySelectorAll('main h1').length !== 1) out.push('not exactly one h1');
            let level = 1;
            for (const h of hs) {
              const l = Number(h.tagName[1]);
              if (l > level + 1) out.push(`heading ${h.tagName} "${h.textContent.trim()}" skips a level`);
              level = l;
            }
            if (!document.querySelector('main')) out.push('no <main>');
            if (!document.querySelector('[aria-live="polite"]')) out.push('no polite live region');
            for (const b of document.querySelectorAll('[onclick], div[role=button], a[role=button]')) out.push(`a non-button control: ${b.outerHTML.slice(0, 80)}`);
            return out;
            """
        )
        if problems:
            raise Failure(f"accessibility problems on {screen}: {problems}")

    def api(self, name, body=None, token=None, method=None, params=""):
        """A direct API call (for the tampered export and to check a revoked token)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.base}/functions/v1/{name}{params}", data=data, method=method or ("POST" if data else "GET")
        )
        req.add_header("authorization", f"Bearer {token or self.args.token}")
        if data:
            req.add_header("content-type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=WAIT) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def browser_errors(self):
        """Script errors and CSP violations the browser reported (failed requests we caused are fine)."""
        try:
            logs = self.driver.get_log("browser")
        except WebDriverException:
            return []
        bad = []
        for entry in logs:
            message = entry.get("message", "")
            if entry.get("level") == "SEVERE" and re.search(
                r"Content Security Policy|Uncaught|SyntaxError|TypeError|ReferenceError", message
            ):
                bad.append(message)
        return bad

    # -------------------------------------------------------------- the walk

    def run(self):
        a = self.args
        d = self.driver

        self.step("sign in")
        d.get(f"{self.base}/console/")
        self.visible("#token")
        self.expect(self.finds("#nav[hidden]"), "the navigation shows before signing in")
        self.check_accessibility("the sign-in page")
        self.shot("sign-in")
        self.type_into("#token", "sl_pat_not_a_real_token")
        self.click("#sign-in-button")
        self.wait_text("#token-error", "UNAUTHORIZED")
        self.expect(self.find("#token").get_attribute("aria-invalid") == "true", "the refused token field is not marked invalid")
        self.expect(d.execute_script("return sessionStorage.length") == 0, "a refused token was kept")
        self.shot("sign-in-refused")
        self.type_into("#token", a.token)
        self.click("#sign-in-button")
        self.wait_text("main h1", "Lanes")
        self.visible("#nav")
        self.expect(
            d.execute_script("return sessionStorage.getItem('switchyard.token')") == a.token,
            "the token is not kept in sessionStorage",
        )
        self.check_accessibility("the lanes page")
        self.shot("lanes")

        self.step("dispatch a lane from the form")
        self.click("#to-dispatch")
        self.wait("focus on the dispatch form", lambda _: d.switch_to.active_element.get_attribute("id") == "dispatch-repository")
        self.type_into("#dispatch-repository", a.repository)
        self.type_into("#dispatch-harness-kind", a.harness_kind)
        self.type_into("#dispatch-brief", "Console test: tick until told to finish.")
        self.type_into("#dispatch-claim", "/etc/passwd")  # absolute: the API refuses it, naming `claim[0]`
        self.type_into("#dispatch-token-budget", "100000")
        self.click("#dispatch-button")
        self.wait_text("#dispatch-claim-error", "VALIDATION_FAILED")
        self.expect("claim" in self.text_of("#dispatch-claim-error"), "the field error does not name the claim")
        self.expect(
            self.find("#dispatch-claim").get_attribute("aria-invalid") == "true", "the claim field is not marked invalid"
        )
        self.shot("dispatch-field-error")
        self.type_into("#dispatch-claim", a.claim)
        self.click("#dispatch-button")
        self.wait(
            "the lane page after dispatching", lambda _: re.match(r"^#/lanes/lane_\w+$", d.execute_script("return location.hash"))
        )
        run_id = d.execute_script("return location.hash").split("/")[-1]
        print(f"RUN_ID={run_id}", flush=True)
        self.wait_text("main h1", run_id)

        self.step("watch it run: output lines arrive over the event stream")
        self.wait_lane_state("running")
        self.wait(
            "three output lines on the lane page",
            lambda _: len([li for li in self.finds("#output li") if li.text.startswith("tick ")]) >= 3,
            LANE_WAIT,
        )
        self.wait_text("#stream-status", "Live")
        self.timeline_has("queued → running")
        self.expect(self.enabled("#pause-button"), "Pause is disabled on a running lane")
        self.expect(not self.enabled("#resume-button"), "Resume is enabled on a running lane")
        self.expect(self.enabled("#cancel-button"), "Cancel is disabled on a running lane")
        self.check_accessibility("the lane page")
        self.shot("lane-running")

        self.step("pause it from the page")
        self.click("#pause-button")
        self.wait_lane_state("paused")
        self.timeline_has("running → paused")  # the state change, as the stream delivered it
        self.wait("Resume to be enabled", lambda _: self.enabled("#resume-button"))
        self.expect(not self.enabled("#pause-button"), "Pause is enabled on a paused lane")
        self.wait_text("#status", "paused")
        self.shot("lane-paused")

        self.step("resume it from the page")
        self.click("#resume-button")
        self.wait_lane_state("running")
        self.timeline_has("paused → running")
        self.wait("Pause to be enabled again", lambda _: self.enabled("#pause-button"))
        ticks = len(self.finds("#output li"))
        self.wait("output to flow again after resuming", lambda _: len(self.finds("#output li")) > ticks + 1, LANE_WAIT)
        self.shot("lane-resumed")

        self.step("interrupt it: the agent finishes, the page shows completed")
        Select(self.find("#interrupt-kind")).select_by_value("note")
        self.type_into("#interrupt-message", "finish now, please")
        self.click("#interrupt-button")
        self.wait_text("#status", "queued for the agent")
        self.wait_text("#timeline", "(note) sent: finish now, please")
        self.wait_lane_state("completed")
        self.timeline_has("running → completed")
        self.wait_text("#timeline", "result: completed, exit 0")
        self.wait_text("#output", "agent: told to finish")
        self.wait_text("#stream-status", "ended")
        self.wait_text("#changed-files", "src/console.txt")
        for button in ("#pause-button", "#resume-button", "#cancel-button", "#interrupt-button"):
            self.expect(not self.enabled(button), f"{button} is enabled on a completed lane")
        self.wait_text("#budget-tokens-text", "of 100,000")
        self.shot("lane-completed")

        self.step("the lane list shows it")
        self.go("#/lanes", "Lanes")
        self.wait(
            "the lane in the list as completed",
            lambda _: self.finds(f"tr[data-run-id='{run_id}'] [data-state='completed']"),
        )
        Select(self.find("#filter-state")).select_by_value("running")
        self.wait("the filtered list without the lane", lambda _: not self.finds(f"tr[data-run-id='{run_id}']"))
        Select(self.find("#filter-state")).select_by_value("")
        self.wait("the unfiltered list", lambda _: self.finds(f"tr[data-run-id='{run_id}']"))
        self.shot("lanes-list")
        d.set_window_size(400, 860)
        self.wait("the narrow layout", lambda _: d.execute_script("return innerWidth") <= 420)
        overflow = d.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        self.expect(overflow <= 1, f"the lanes page scrolls sideways at 400 px ({overflow} px too wide)")
        self.shot("lanes-narrow")
        d.set_window_size(1280, 800)

        self.step("tokens: issue one (shown once), then revoke it")
        self.go("#/tokens", "Tokens")
        self.check_accessibility("the tokens page")
        self.type_into("#token-name", "console-test")
        self.find("#scope-lanes-read").click()
        self.click("#issue-button")
        secret = self.visible("#issued-secret")
        value = secret.get_attribute("value")
        self.expect(value.startswith("sl_pat_"), f"the issued secret looks wrong: {value!r}")
        self.wait_text("#shown-once", "only time")
        self.visible("#copy-secret")
        self.wait_text("#token-list", "console-test")
        self.shot("token-issued")
        status, _ = self.api("lane-list", token=value, params="?limit=1")
        self.expect(status == 200, f"the new token does not work ({status})")
        token_id = self.find("#issued-title code").text
        self.click(f"button[data-token-id='{token_id}']")
        self.visible("#confirm")
        self.shot("token-revoke-confirm")
        self.click("#confirm-yes")
        self.wait_text("#status", f"Revoked {token_id}")
        row = f"tr[data-token-id='{token_id}']"
        # api-token-list shows tokens that still work (a revoked one drops out); without it, the tab's own list marks it.
        self.wait(
            "the revoked token to leave the list or show as revoked",
            lambda _: not self.finds(row) or self.finds(f"{row}[data-state='revoked']"),
        )
        if self.finds("#token-include-inactive") and self.find("#token-include-inactive").is_displayed():
            self.find("#token-include-inactive").click()
            self.wait_text(row, "revoked")
        status, _ = self.api("lane-list", token=value, params="?limit=1")
        self.expect(status == 401, f"the revoked token still works ({status})")
        self.click("#hide-secret")
        self.wait("the secret to be hidden", lambda _: not self.finds("#issued-secret"))
        self.shot("token-revoked")

        self.step("audit: verify the workspace's own export in the browser")
        self.go("#/audit", "Audit")
        self.check_accessibility("the audit page")
        self.click("#fetch-export")
        self.wait("a verification result", lambda _: self.find("#verify-result").get_attribute("data-verified"), LANE_WAIT)
        result = self.text_of("#verify-result")
        self.expect(
            self.find("#verify-result").get_attribute("data-verified") == "true", f"the workspace's export failed: {result}"
        )
        self.expect(re.search(r"Verified: \d+ entries of ws_\w+", result), f"unexpected result: {result}")
        self.expect("signed by kid" in result and "head " in result, f"unexpected result: {result}")
        print(f"    {result}", flush=True)
        self.shot("audit-verified")

        self.step("audit: a tampered export fails (file), naming the line")
        status, export = self.api("audit-export", params="?format=ndjson")
        self.expect(status == 200, f"audit-export answered {status}")
        lines = export.decode().split("\n")
        # Line 3 is the second entry: change who did it.
        entry = json.loads(lines[2])
        entry["actor"] = "tok_someoneelse000000"
        tampered_lines = list(lines)
        tampered_lines[2] = json.dumps(entry, separators=(",", ":"))
        tampered = os.path.join(self.profile.name, "tampered.ndjson")
        with open(tampered, "w") as f:
            f.write("\n".join(tampered_lines))
        self.find("#export-file").send_keys(tampered)
        self.click("#verify-button")
        self.wait("the tampered file to fail", lambda _: self.find("#verify-result").get_attribute("data-verified") == "false")
        result = self.text_of("#verify-result")
        self.expect("line 3 (entry 1)" in result and "altered" in result, f"unexpected failure: {result}")
        print(f"    {result}", flush=True)
        self.shot("audit-tampered-file")

        self.step("audit: a pasted export with a line removed fails")
        removed = lines[:3] + lines[4:]
        d.execute_script(
            "const t = document.getElementById('export-text'); t.value = arguments[0];"
            " t.dispatchEvent(new Event('input', {bubbles: true}));",
            "\n".join(removed),
        )
        self.click("#verify-button")
        self.wait(
            "the pasted export to fail",
            lambda _: "line 4" in self.text_of("#verify-result") and self.find("#verify-result").get_attribute("data-verified") == "false",
        )
        result = self.text_of("#verify-result")
        self.expect("missing" in result, f"unexpected failure: {result}")
        print(f"    {result}", flush=True)
        self.shot("audit-tampered-paste")

        self.step("approvals and inbox")
        self.go("#/approvals", "Approvals and inbox")
        self.wait_text("#approvals", "No requests")
        self.wait_text("#inbox", "No questions")
        self.check_accessibility("the approvals page")
        self.shot("approvals")

        self.step("keyboard: the navigation is reachable with Tab")
        self.go("#/lanes", "Lanes")
        d.execute_script("document.getElementById('skip-link').focus()")
        names = set()
        for _ in range(6):
            ActionChains(d).send_keys(Keys.TAB).perform()
            names.add(d.switch_to.active_element.text)
        self.expect({"Lanes", "Tokens", "Audit", "Sign out"} <= names, f"Tab did not reach the navigation: {sorted(names)}")
        d.execute_script("document.getElementById('skip-link').focus()")
        ActionChains(d).send_keys(Keys.ENTER).perform()
        self.wait("the skip link to move focus to the heading", lambda _: d.switch_to.active_element.tag_name == "h1")
        d.execute_script("document.querySelector('nav a[data-route=tokens]').focus()")
        ActionChains(d).send_keys(Keys.ENTER).perform()
        self.wait_text("main h1", "Tokens")
        self.wait("focus on the new page's heading", lambda _: d.switch_to.active_element.tag_name == "h1")

        self.step("sign out")
        self.click("#sign-out")
        self.visible("#token")
        self.expect(d.execute_script("return sessionStorage.length") == 0, "signing out left the session storage")
        self.shot("signed-out")

        errors = self.browser_errors()
        self.expect(not errors, f"the browser reported script errors or CSP violations: {errors}")
        return run_id

    def fail(self, why):
        print(f"FAILED at step '{self.step_name}': {why}", file=sys.stderr, flush=True)
        try:
            self.shot(f"failure-{re.sub(r'[^a-z0-9]+', '-', self.step_name.lower()).strip('-')}")
            print(f"url: {self.driver.current_url}", file=sys.stderr)
            print("page text:\n" + self.find("body").text[:4000], file=sys.stderr)
            for entry in self.driver.get_log("browser"):
                print(f"browser: {entry.get('level')} {entry.get('message')}", file=sys.stderr)
        except Exception as e:  # the browser itself may be gone
            print(f"(no more detail: {e})", file=sys.stderr)

    def close(self):
        try:
            self.driver.quit()
        finally:
            self.profile.cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base_url")
    parser.add_argument("token")
    parser.add_argument("screenshots")
    parser.add_argument("--repository", default="shop")
    parser.add_argument("--harness-kind", default="script")
    parser.add_argument("--claim", default="src/**")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = parser.parse_args()
    for path in (args.chromium, args.chromedriver):
        if not os.access(path, os.X_OK):
            print(f"FAILED: {path} is missing (install Debian's chromium and chromium-driver)", file=sys.stderr)
            return 2
    started = time.monotonic()
    try:
        console = Console(args)
    except WebDriverException as e:
        print(f"FAILED: Chromium did not start: {e}", file=sys.stderr)
        return 2
    try:
        console.run()
    except Failure as e:
        console.fail(str(e))
        return 1
    except Exception as e:  # noqa: BLE001 - any other error is a failure too, with its trace
        console.fail(f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
        return 1
    finally:
        console.close()
    print(f"console test passed in {time.monotonic() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
