"""The newsroom page in a real browser (Debian's Chromium, driven by Playwright) against the real
stack: `wirestream serve` and a worker on the test's own topics and index."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from pipeline import loadgen
from pipeline.ingest.wiretext import parse_wire_text
from pipeline.settings import REPO_ROOT, settings_env
from tests.integration.conftest import documents, wait_until
from tests.integration.test_index_worker import free_port
from tests.integration.workers import WorkerProcess, produce

CHROMIUM = "/usr/bin/chromium"
#: Written by every run, ignored by git: what each view looked like.
SCREENSHOTS = REPO_ROOT / "screenshots"


@pytest.fixture
def page_url(settings, tmp_path):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "serve", "--open", "--port", str(port)],
                              env={**os.environ, **settings_env(settings)}, stdout=(tmp_path / "serve.log").open("wb"),
                              stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: urllib.request.urlopen(url + "/healthz", timeout=2).status == 200, 60, "serve",
                   tolerating=(OSError,))
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


def test_search_narrow_open_subscribe_and_see_an_alert_arrive(settings, es, sample_texts, page_url, browser, tmp_path):
    stories = [parse_wire_text(text, source="voa") for text in sample_texts.values()]
    esper = next(s for s in stories if s.headline.startswith("Esper"))
    with WorkerProcess(settings, tmp_path / "worker.log"):
        produce(settings, [*stories, loadgen.syndicate(esper, "metro-herald")])
        alias = settings.elasticsearch.index_alias
        wait_until(lambda: len(documents(es, alias)) == len(stories) and documents(es, alias)[esper.id]["copies"] == 1,
                   120, "the samples indexed")
        SCREENSHOTS.mkdir(exist_ok=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda message: print("console:", message.text))
        page.on("pageerror", lambda error: print("pageerror:", error))
        page.goto(page_url)

        # Every story; a facet narrows them to its count, and its chip widens them again.
        expect(page.locator("#summary")).to_have_text(f"{len(stories)} matching stories")
        facet = page.locator("[data-facet=places] .facet").first
        place, count = re.fullmatch(r"(.+) \((\d+)\)", facet.inner_text()).groups()
        assert int(count) < len(stories)
        facet.click()
        expect(page.locator("#summary")).to_have_text(f"{count} matching stor{'y' if count == '1' else 'ies'}")
        expect(page.locator("#hits .hit")).to_have_count(int(count))
        expect(page.locator("#filters .chip")).to_have_text([f"{place} ×"])
        page.screenshot(path=SCREENSHOTS / "search.png")
        page.locator("#filters .chip").click()
        expect(page.locator("#summary")).to_have_text(f"{len(stories)} matching stories")

        # By keyboard alone: a typed query gives results with highlights; Tab reaches the first, Enter
        # opens the story view (text, copies, entities, its places on the map), Escape closes it and
        # gives the focus back; Shift+Tab reaches a facet and Enter narrows by it.
        page.locator("#q").focus()
        page.keyboard.type("preemptive action")
        page.keyboard.press("Enter")
        expect(page.locator("#hits .hit").first).to_have_attribute("data-id", esper.id)
        expect(page.locator("#hits mark").first).to_be_visible()
        tab_to(page, "#hits .open-story")
        page.keyboard.press("Enter")
        expect(page.locator("#close-story")).to_be_focused()
        expect(page.locator("#story-headline")).to_have_text(esper.headline)
        expect(page.locator("#story-meta")).to_contain_text("version 1 · 1 copy")
        expect(page.locator("#story-entities")).to_contain_text("Mark Esper")
        expect(page.locator("#story-copies li")).to_have_text([re.compile(r"metro-herald · \w+ \(\d+ %\)")])
        expect(page.locator("#story-versions li")).to_have_count(1)
        located = page.evaluate("fetch('/api/stories/' + encodeURIComponent(%r)).then(r => r.json()).then(s => "
                                "s.entities.filter(e => e.type === 'place' && e.location).length)" % esper.id)
        assert located >= 1
        expect(page.locator("#story-map")).to_have_attribute("data-places", str(located))
        expect(page.locator("#story-map .leaflet-interactive")).to_have_count(located)  # one marker a place
        page.locator("#story").screenshot(path=SCREENSHOTS / "story-map.png")
        page.keyboard.press("Escape")
        expect(page.locator("#story")).to_be_hidden()
        expect(page.locator("#hits .open-story").first).to_be_focused()
        tab_to(page, "#facets .facet", key="Shift+Tab")
        narrowed = re.fullmatch(r".+ \((\d+)\)", page.evaluate("document.activeElement.textContent")).group(1)
        page.keyboard.press("Enter")
        expect(page.locator("#hits .hit")).to_have_count(int(narrowed))
        page.locator("#filters .chip").click()

        # The time from submit to results, as the browser saw it (reported, not asserted).
        timings = []
        for _ in range(20):
            page.evaluate("delete document.body.dataset.lastSearchMs")
            page.press("#q", "Enter")
            page.wait_for_function("document.body.dataset.lastSearchMs !== undefined")
            timings.append(int(page.evaluate("document.body.dataset.lastSearchMs")))
        weight, map_weight = page.evaluate("""() => {
            const files = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
                .filter(e => !e.name.includes('/api/'));
            const size = (list) => list.reduce((sum, e) => sum + e.encodedBodySize, 0);
            return [size(files.filter(e => !e.name.includes('/vendor/'))), size(files.filter(e => e.name.includes('/vendor/')))];
        }""")
        print(f"newsroom page: {weight / 1024:.1f} KB of page, script and style (+{map_weight / 1024:.0f} KB for the map, "
              f"loaded with the first story that has places); submit to results "
              f"{sorted(timings)[len(timings) // 2]} ms median, {sorted(timings)[-2]} ms p95 of {len(timings)} searches")

        # A bad subscription: its one-line error, nothing saved. Then a good one, then an alert arrives live.
        # (The worker saved those of config/alerts.yaml when it started.)
        expect(page.locator("#subscriptions li").first).to_be_visible()
        shipped = page.locator("#subscriptions li").count()
        form = page.locator("#subscribe")
        form.locator("[name=name]").fill("bad-query")
        form.locator("[name=query]").fill("preemptive AND (")
        form.locator("button[type=submit]").click()
        expect(page.locator("#subscribe-error")).to_contain_text("subscription 'bad-query': query:")
        expect(page.locator("#subscriptions li")).to_have_count(shipped)

        form.locator("[name=name]").fill("esper-desk")
        form.locator("[name=query]").fill("")
        form.locator("[name=person]").fill("Esper")  # an alias: saved under the canonical name
        form.locator("button[type=submit]").click()
        expect(page.locator("#subscriptions li[data-name=esper-desk]")).to_have_text("esper-desk person:Mark Esper remove")
        produce(settings, [loadgen.update(esper, "Esper said on Friday the United States would respond to any attack.")])
        alert = page.locator("#alerts li.alert[data-subscription=esper-desk]")
        expect(alert).to_have_count(1, timeout=90_000)
        expect(alert).to_contain_text(esper.headline)
        page.screenshot(path=SCREENSHOTS / "alerts.png")
        page.reload()  # a page opened later still shows the alerts already sent
        expect(alert).to_have_count(1)

        # The alert opens its story, now in two versions: what the second one added. (The alert can come
        # before the index has the new version: the alerts and index agents run side by side.)
        wait_until(lambda: es.search(index=f"{alias}-history", query={"term": {"story_id": esper.id}},
                                     size=0)["hits"]["total"]["value"] == 2, 60, "the second version in the history")
        alert.locator(".open-story").click()
        expect(page.locator("#story-versions li")).to_have_count(2)
        expect(page.locator("#story-versions li").first).to_contain_text("version 2")
        expect(page.locator("#story-versions .added")).to_have_text(
            ["+ Esper said on Friday the United States would respond to any attack."])
        page.locator("#story").screenshot(path=SCREENSHOTS / "story.png")

        # The page at a phone's width still shows the search and the results.
        page.set_viewport_size({"width": 390, "height": 844})
        expect(page.locator("#q")).to_be_visible()
        page.screenshot(path=SCREENSHOTS / "phone.png", full_page=True)


def tab_to(page, selector: str, key: str = "Tab", presses: int = 80) -> None:
    """Press Tab (or `key`) until the focus is on an element matching `selector`."""
    for _ in range(presses):
        page.keyboard.press(key)
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with {key}")
