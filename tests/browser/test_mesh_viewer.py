"""The model of a print in a real browser: upload the brain STL on the case page, see its
thumbnail and the interactive 3D view (WebGL through Chromium's SwiftShader), and the thumbnail
with a message where WebGL is missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect
from tests.support.browser import DATA_MANAGER, sign_in
from tests.support.files import BRAIN_STL
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService

if TYPE_CHECKING:  # only the type: importing a conftest again would run it twice
    from tests.support.browser import LiveServer

REGISTRY = "3dp"
NO_WEBGL = """
HTMLCanvasElement.prototype.getContext = (function (original) {
  return function (kind, ...rest) {
    return /webgl/i.test(kind) ? null : original.call(this, kind, ...rest);
  };
})(HTMLCanvasElement.prototype.getContext);
"""


def _case(server: LiveServer) -> str:
    record = {**records("F0001", 1)[0], "local_case_id": "BRW-MESH-001"}
    saved = CaseService(server.platform, Actor.operator("browser")).create(
        REGISTRY, "F0001", record
    )
    return str(saved.id)


def _upload_brain(page: Page, server: LiveServer, case_id: str) -> None:
    page.goto(server.at(f"/registries/{REGISTRY}/cases/{case_id}"))
    page.locator("#print-1-file").set_input_files(str(BRAIN_STL))
    page.locator("#print-1-upload").click()
    expect(page.locator("#mesh-attached")).to_be_visible()


def _loaded(page: Page, selector: str) -> int:
    """Return the natural width of an image once it has loaded (0 if it failed)."""
    image = page.locator(selector)
    expect(image).to_be_visible()
    page.wait_for_function(
        "s => { const i = document.querySelector(s); return i && i.complete; }", arg=selector
    )
    return int(image.evaluate("i => i.naturalWidth"))


def test_an_uploaded_model_shows_its_thumbnail_and_a_3d_view(
    live_server: LiveServer, page: Page
) -> None:
    case_id = _case(live_server)
    sign_in(page, live_server, DATA_MANAGER)
    _upload_brain(page, live_server, case_id)
    assert _loaded(page, "#print-1-thumbnail") == 256
    expect(page.locator("#print-1-measurement")).to_contain_text("1781.4")
    viewer = page.locator("#print-1-viewer")
    expect(viewer).to_have_attribute("data-viewer", "ready")
    canvas = viewer.locator("canvas")
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box is not None
    assert box["width"] > 0
    assert box["height"] > 0
    # Something was drawn: the centre of the view is not the plain background.
    drawn = canvas.evaluate(
        """c => {
          const copy = document.createElement("canvas");
          copy.width = c.width; copy.height = c.height;
          const g = copy.getContext("2d");
          g.drawImage(c, 0, 0);
          const p = g.getImageData(c.width / 2, c.height / 2, 1, 1).data;
          return [p[0], p[1], p[2]];
        }"""
    )
    assert drawn != [0xF4, 0xF6, 0xF8], f"the model was not drawn: centre pixel {drawn}"
    assert sum(drawn) > 0, "the canvas could not be read back"
    # Turning the model with the mouse keeps the view alive.
    canvas.hover()
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 80, box["y"] + box["height"] / 2)
    page.mouse.up()
    expect(viewer).to_have_attribute("data-viewer", "ready")


def test_without_webgl_the_viewer_shows_the_thumbnail_and_says_why(
    live_server: LiveServer, page: Page
) -> None:
    case_id = _case(live_server)
    sign_in(page, live_server, DATA_MANAGER)
    _upload_brain(page, live_server, case_id)
    page.add_init_script(NO_WEBGL)
    page.reload()
    viewer = page.locator("#print-1-viewer")
    expect(viewer).to_have_attribute("data-viewer", "fallback")
    expect(viewer).to_contain_text("no WebGL")
    assert viewer.locator("canvas").count() == 0
    assert _loaded(page, "#print-1-viewer img.viewer-thumbnail") == 256
    assert _loaded(page, "#print-1-thumbnail") == 256


def test_the_case_list_shows_the_thumbnail(live_server: LiveServer, page: Page) -> None:
    case_id = _case(live_server)
    sign_in(page, live_server, DATA_MANAGER)
    _upload_brain(page, live_server, case_id)
    page.goto(live_server.at(f"/registries/{REGISTRY}/cases"))
    assert _loaded(page, "img.case-thumbnail") == 256
