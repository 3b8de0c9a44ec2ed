"""The page in a real browser: headless Chromium (Debian's) driven by Playwright, against the app
served in-process with the shipped model. Skips where Chromium or Playwright is missing."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from PIL import Image

from mien.catalogue import DEFAULT_MODEL
from mien.geometry.mesh import CONTOURS
from mien.pipeline import Predictor
from mien.web import create_app
from tests.conftest import FERPLUS_CLASSES
from tests.media import face_grid, moving_face_frames, moving_face_video, write_y4m
from tests.web.server import serving

pytestmark = pytest.mark.browser
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "astronaut.jpg"
CHROMIUM = Path(os.environ.get("MIEN_CHROMIUM", "/usr/bin/chromium"))
QUIET = [  # this machine has no internet: Chromium must not try to reach Google's services
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-gpu", "--disable-quic",
]  # fmt: skip
LABEL = re.compile(r"^(angry|disgust|fear|happy|neutral|sad|surprise) \d+%$")
EXPLAINING = 30_000  # ms: a first explanation loads PyTorch and the model, and maps take seconds


@pytest.fixture(scope="module")
def server_url():
    with serving(create_app(Predictor.default())) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: run scripts/install-browser.sh (or set MIEN_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    camera = write_y4m(tmp_path_factory.mktemp("camera") / "camera.y4m", moving_face_frames(10), fps=30)
    fake_camera = ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={camera}",
                   "--use-fake-ui-for-media-stream"]  # fmt: skip
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=QUIET + fake_camera)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server_url):
    context = browser.new_context(permissions=["camera"])
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(server_url)
    yield page
    context.close()


def test_a_photo_shows_each_face_labelled_and_its_explanations(page):
    from playwright.sync_api import expect

    page.set_input_files("#photo-input", EXAMPLE)
    labels = page.locator("#photo-boxes .face-label")
    expect(labels).to_have_count(1)
    expect(labels.first).to_have_text(LABEL)
    assert labels.first.inner_text().startswith("happy")  # the shipped model on the astronaut's smile
    expect(page.locator(".face-card .bar")).to_have_count(8)  # the default's eight classes, contempt too
    page.locator("#photo-boxes .face-box").first.click()
    maps = page.locator("#explain-maps img")
    expect(maps).to_have_count(3, timeout=EXPLAINING)
    caption = page.locator("#explain-maps figcaption").first
    expect(caption).to_have_text(re.compile(r"^\w+: happy \(\d+%\)$"), timeout=EXPLAINING)


def test_with_many_faces_the_explanation_shows_beside_the_face_clicked(page, tmp_path):
    from playwright.sync_api import expect

    group = tmp_path / "group.jpg"
    Image.fromarray(face_grid(5, 5)).save(group)
    page.set_input_files("#photo-input", group)
    cards = page.locator(".face-card")
    expect(cards).to_have_count(25)
    panel, title = page.locator("#explain-panel"), page.locator("#explain-title")
    maps = page.locator("#explain-maps img")
    cards.nth(22).click()  # far down the list
    expect(title).to_have_text(re.compile(r"^Face 23: why \w+\?$"))
    expect(maps).to_have_count(3, timeout=EXPLAINING)  # the panel at its full size
    expect(panel).to_be_in_viewport(ratio=1)
    expect(cards.nth(22)).to_be_in_viewport()
    page.locator("#photo-boxes .face-box").nth(19).click()  # on the photo: the list brings its card
    expect(title).to_have_text(re.compile(r"^Face 20: "))
    expect(maps).to_have_count(3, timeout=30_000)
    expect(panel).to_be_in_viewport(ratio=1)
    expect(cards.nth(19)).to_be_in_viewport()
    expect(page.locator(".face-card.selected")).to_have_attribute("data-face", "19")


def test_the_model_chosen_on_the_page_answers(page):
    from playwright.sync_api import expect

    page.set_input_files("#photo-input", EXAMPLE)
    expect(page.locator("#photo-summary")).to_contain_text(f"model {DEFAULT_MODEL}")
    options = page.locator("#model-select option")
    expect(options).to_have_count(6)  # the names users type, the default first; not the members
    names = options.evaluate_all("nodes => nodes.map(n => n.value)")
    assert names == [DEFAULT_MODEL, "wild", "ferplus", "fer2013", "fast", "ensemble"]
    page.select_option("#model-select", "fer2013")  # the photo is asked again
    expect(page.locator("#photo-summary")).to_contain_text("model fer2013")
    expect(page.locator("#photo-boxes .face-label")).to_have_count(1)
    expect(page.locator(".face-card .bar")).to_have_count(7)  # FER2013's seven classes, no contempt


def test_bars_and_explanations_follow_the_model_classes(browser, ferplus_model):
    from playwright.sync_api import expect

    with serving(create_app(Predictor.default(ferplus_model))) as url:
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(url)
        expect(page.locator("#model-select")).to_have_value("ferplus")
        page.set_input_files("#photo-input", EXAMPLE)
        expect(page.locator(".face-card .bar")).to_have_count(8)
        page.locator(".face-card").first.click()
        options = page.locator("#explain-target option")
        expect(options).to_have_text(list(FERPLUS_CLASSES))
        page.select_option("#explain-target", "contempt")
        caption = page.locator("#explain-maps figcaption").first
        expect(caption).to_have_text(re.compile(r"^\w+: contempt \(\d+%\)$"), timeout=EXPLAINING)
        context.close()


def test_the_landmarks_switch_draws_the_mesh_and_shows_pose_and_measures(page, tmp_path):
    from playwright.sync_api import expect

    switch = page.locator("#landmarks-switch")
    expect(switch).not_to_be_checked()  # off by default: no mesh is read
    page.set_input_files("#photo-input", EXAMPLE)
    expect(page.locator("#photo-boxes .face-label")).to_have_count(1)
    expect(page.locator(".face-card .geometry")).to_have_count(0)
    switch.check()  # the photo is asked again, with landmarks
    outlines = page.locator("#photo-boxes svg.meshes path")
    expect(outlines).to_have_count(1)
    assert outlines.first.get_attribute("d").count("M") == len(CONTOURS)  # every outline
    box = page.locator("#photo-boxes .face-box").first.bounding_box()
    mesh = outlines.first.bounding_box()  # drawn on the face, at the photo's displayed size
    centre = (mesh["x"] + mesh["width"] / 2, mesh["y"] + mesh["height"] / 2)
    assert box["x"] < centre[0] < box["x"] + box["width"] and box["y"] < centre[1] < box["y"] + box["height"]
    assert 0.8 < mesh["width"] / box["width"] < 1.3
    card = page.locator(".face-card").first
    expect(card.locator(".geometry .pose")).to_have_text(
        re.compile(r"^Pose: yaw [+-]?\d+°, pitch [+-]?\d+°, roll ")
    )
    expect(card.locator(".measures dt")).to_have_count(12)
    expect(card.locator(".measures dt").first).to_have_text("eye openness right")
    with page.expect_response("**/api/predict") as answer:
        switch.uncheck()  # asked again, without landmarks
    assert answer.value.json()["faces"][0]["geometry"] is None
    expect(page.locator(".face-card .bar")).to_have_count(8)  # the new answer's card (the list was emptied)
    expect(page.locator(".face-card .geometry")).to_have_count(0)
    expect(page.locator("#photo-boxes svg")).to_have_count(0)


def test_a_face_without_a_mesh_shows_why(page, tmp_path):
    from playwright.sync_api import expect

    cut_off = tmp_path / "cut_off.jpg"  # the face's left half and forehead gone
    Image.open(EXAMPLE).crop((210, 120, 512, 512)).save(cut_off)
    page.check("#landmarks-switch")
    page.set_input_files("#photo-input", cut_off)
    note = page.locator(".face-card .geometry .note")
    expect(note).to_have_text(re.compile(r"^No mesh: mesh score \d\.\d\d under 0\.5"))
    expect(page.locator("#photo-boxes svg")).to_have_count(0)


def test_a_file_that_is_not_a_photo_gets_the_reason(page, tmp_path):
    from playwright.sync_api import expect

    fake = tmp_path / "holiday.jpg"
    fake.write_text("not a picture")
    page.set_input_files("#photo-input", fake)
    expect(page.locator("#photo-error")).to_have_text("holiday.jpg: not an image (unknown format)")


def test_a_video_comes_back_annotated_with_its_timeline(page, tmp_path):
    from playwright.sync_api import expect

    page.click("button[data-panel=video-panel]")
    page.set_input_files("#video-input", moving_face_video(tmp_path / "clip.mp4", frames=8))
    expect(page.locator("#video-results")).to_be_visible()
    expect(page.locator("#video-tracks li")).to_have_count(1)
    page.wait_for_function("document.getElementById('video-result').readyState >= 1")  # Chromium plays it
    duration = page.evaluate("document.getElementById('video-result').duration")
    assert duration == pytest.approx(0.8, abs=0.15)
    page.wait_for_function("document.getElementById('video-timeline').naturalWidth > 0")


def test_the_camera_shows_labels_over_the_live_picture(page):
    from playwright.sync_api import expect

    page.click("button[data-panel=camera-panel]")
    page.click("#camera-start")
    expect(page.locator("#camera-boxes .face-label").first).to_have_text(LABEL)
    time.sleep(4)  # let the rate settle over its two-second window
    rate = float(page.locator("#camera-fps").get_attribute("data-rate"))
    print(f"live camera: {rate:.1f} frames labelled per second")
    assert rate > 2
    page.click("#camera-stop")
    expect(page.locator("#camera-boxes .face-label")).to_have_count(0)
