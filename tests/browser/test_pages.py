"""The web pages in Debian's Chromium, driven by Playwright, against the real
server binary on a free port with its own data folder.

Each check is a function; all run in order (later ones use the account the
earlier ones made) and each prints its time. Screenshots of every page at
1280 and 390 pixels wide go to target/screenshots/. Ends with a cargo-style
"test result:" line and exits non-zero if any check failed.
"""

import gzip
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "target" / "screenshots"
PNG = ROOT / "testdata" / "image" / "rose.png"
DOCX = ROOT / "testdata" / "document" / "sample.docx"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# What the probe of this machine kind found Chromium needs here: no sandbox
# as root, and no background connections to a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PASSWORD = "a long enough password"
EMAIL = "ada@example.com"


class Server:
    """fileconv-server on 127.0.0.1:0 with a small free plan (1 MB files) and
    roomy per-IP rates (one browser makes every request here)."""

    def __init__(self, binary):
        self.dir = Path(tempfile.mkdtemp(prefix="fileconv-browser-"))
        config = self.dir / "config.toml"
        config.write_text("workers = 2\n[plans.free]\nmax_file_mb = 1\n[rate_limits]\nupload_per_minute = 600\nother_per_minute = 6000\n")
        self.process = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--data-dir", str(self.dir / "data"), "--config", str(config)],
            stdout=subprocess.PIPE, stderr=open(self.dir / "server.log", "wb"), text=True)
        line = self.process.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        if not match:
            raise RuntimeError(f"the server did not start: {line!r}; log: {(self.dir / 'server.log').read_text()[-2000:]}")
        self.url = match.group(1)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def jpeg_size(data):
    """(width, height) from a JPEG's start-of-frame marker."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    i = 2
    while i < len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    raise AssertionError("no frame header in the JPEG")


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def pdf_text(data):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        return subprocess.run(["pdftotext", f.name, "-"], capture_output=True, text=True, check=True).stdout


def docx_words():
    """Words of the DOCX fixture, read straight from its XML."""
    with zipfile.ZipFile(DOCX) as z:
        xml = z.read("word/document.xml").decode()
    return re.findall(r"<w:t(?: [^>]*)?>([^<]+)</w:t>", xml)


class Run:
    def __init__(self, server, browser):
        self.server = server
        self.browser = browser
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(60_000)
        self.key = None
        self.passed = 0
        self.failed = []

    def check(self, name, function):
        started = time.monotonic()
        try:
            function()
            self.passed += 1
            print(f"test browser::{name} ... ok ({time.monotonic() - started:.1f} s)", flush=True)
        except Exception:  # noqa: BLE001 - every failure is reported the same way
            self.failed.append(name)
            print(f"test browser::{name} ... FAILED ({time.monotonic() - started:.1f} s)\n{traceback.format_exc()}", flush=True)
            try:
                SHOTS.mkdir(parents=True, exist_ok=True)
                self.page.screenshot(path=str(SHOTS / f"failed-{name}.png"), full_page=True)
            except Exception:  # noqa: BLE001
                pass

    def url(self, path):
        return self.server.url + path

    def rows(self):
        return self.page.locator("li.file")

    # ---- the converter ----

    def converter_converts_a_png_and_a_docx(self):
        page = self.page
        page.goto(self.url("/"))
        expect(page.locator("#catalogue-status")).to_contain_text("conversions available")
        page.locator("#file-input").set_input_files([str(PNG), str(DOCX)])
        rows = self.rows()
        expect(rows).to_have_count(2)
        rows.nth(0).locator("select.target").select_option("jpg")
        rows.nth(1).locator("select.target").select_option("pdf")
        page.get_by_role("button", name="Convert all").click()
        for i in range(2):
            expect(rows.nth(i).locator(".status")).to_contain_text("Done", timeout=120_000)
        values = page.eval_on_selector_all("li.file progress", "bars => bars.map(b => b.value)")
        assert values == [100, 100], values
        results = {}
        for i, suffix in enumerate(["jpg", "pdf"]):
            with page.expect_download() as info:
                rows.nth(i).get_by_role("link", name=re.compile("Download")).click()
            download = info.value
            assert download.suggested_filename.endswith("." + suffix), download.suggested_filename
            results[suffix] = Path(download.path()).read_bytes()
        assert jpeg_size(results["jpg"]) == png_size(PNG.read_bytes()), (jpeg_size(results["jpg"]), png_size(PNG.read_bytes()))
        text = " ".join(pdf_text(results["pdf"]).split())
        words = [w for w in " ".join(docx_words()).split() if len(w) > 3][:12]
        missing = [w for w in words if w not in text]
        assert not missing, f"the PDF lacks {missing}: {text[:300]}"
        with page.expect_download() as info:
            page.get_by_role("button", name="Download all as zip").click()
        with zipfile.ZipFile(info.value.path()) as z:
            names = sorted(z.namelist())
            assert len(names) == 2 and names[0].endswith(".jpg") and names[1].endswith(".pdf"), names
            assert z.read(names[0]) == results["jpg"]
        page.get_by_role("button", name="Clear list").click()

    def the_converter_is_keyboard_operable(self):
        page = self.page
        page.goto(self.url("/"))
        expect(page.locator("#catalogue-status")).to_contain_text("conversions available")
        page.locator("body").focus()
        for _ in range(20):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "file-input":
                break
        else:
            raise AssertionError("Tab never reaches the file picker")
        outline = page.eval_on_selector("#drop", "e => getComputedStyle(e).outlineStyle")
        assert outline == "solid", f"the focused picker shows no focus ring ({outline})"
        page.locator("#file-input").set_input_files([str(PNG)])
        row = self.rows().nth(0)
        row.locator("select.target").focus()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Convert"
        page.keyboard.press("Enter")
        expect(row.locator(".status")).to_contain_text("Done", timeout=60_000)
        expect(row.get_by_role("link", name=re.compile("Download"))).to_be_visible()
        page.get_by_role("button", name="Clear list").click()

    def files_can_be_dropped_and_pasted(self):
        page = self.page
        page.goto(self.url("/"))
        expect(page.locator("#catalogue-status")).to_contain_text("conversions available")
        page.evaluate("""() => {
            const file = (name) => new File([new Uint8Array([137, 80, 78, 71])], name, { type: 'image/png' });
            const dropped = new DataTransfer();
            dropped.items.add(file('dropped.png'));
            document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, bubbles: true, cancelable: true }));
            const pasted = new DataTransfer();
            pasted.items.add(file('image.png'));
            document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: pasted, bubbles: true, cancelable: true }));
        }""")
        expect(self.rows()).to_have_count(2)
        expect(self.rows().nth(0).locator(".name")).to_have_text("dropped.png")
        expect(self.rows().nth(1).locator(".name")).to_have_text("image.png")
        page.get_by_role("button", name="Clear list").click()

    def a_file_too_large_is_refused_before_upload(self):
        page = self.page
        page.goto(self.url("/"))
        expect(page.locator("#catalogue-status")).to_contain_text("conversions available")
        asked = []
        page.on("request", lambda r: asked.append(r.url) if "get-upload-url" in r.url or "/storage/" in r.url else None)
        big = PNG.read_bytes() + b"\0" * (1_200_000)
        page.locator("#file-input").set_input_files([{"name": "big.png", "mimeType": "image/png", "buffer": big}])
        status = self.rows().nth(0).locator(".status")
        expect(status).to_contain_text("the free plan takes files up to 1 MB")
        expect(self.rows().nth(0).get_by_role("button", name="Convert")).to_be_disabled()
        assert not asked, asked

    def a_mislabelled_file_gets_the_apis_message(self):
        page = self.page
        page.goto(self.url("/"))
        expect(page.locator("#catalogue-status")).to_contain_text("conversions available")
        page.locator("#file-input").set_input_files([{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": PNG.read_bytes()}])
        row = self.rows().nth(0)
        row.locator("select.target").select_option("png")
        row.get_by_role("button", name="Convert").click()
        expect(row.locator(".status")).to_contain_text("the input is not jpg: it looks like png", timeout=60_000)

    def a_conversion_can_be_cancelled(self):
        page = self.page
        page.goto(self.url("/"))
        expect(page.locator("#catalogue-status")).to_contain_text("conversions available")
        # Hold the upload so that it is still running when cancelled.
        held = []
        page.route("**/storage/**", lambda route: held.append(route))
        page.locator("#file-input").set_input_files([str(PNG)])
        row = self.rows().nth(0)
        row.locator("select.target").select_option("webp")
        row.get_by_role("button", name="Convert").click()
        row.get_by_role("button", name="Cancel").click()
        expect(row.locator(".status")).to_contain_text("Cancelled")
        expect(row.get_by_role("button", name="Convert")).to_be_enabled()
        page.unroute("**/storage/**")
        assert held, "the upload never started"
        for route in held:
            try:
                route.abort()
            except Exception:  # noqa: BLE001 - the page has already dropped it
                pass

    # ---- accounts ----

    def sign_up_create_a_key_and_use_it(self):
        page = self.page
        page.goto(self.url("/signup"))
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign up").click()
        expect(page).to_have_url(self.url("/profile"))
        expect(page.get_by_text(f"Signed in as {EMAIL}")).to_be_visible()
        page.get_by_role("button", name="Sign out").click()
        page.goto(self.url("/signin"))
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#form-error")).to_contain_text("wrong")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(self.url("/profile"))
        page.get_by_label("Label for a new key").fill("browser test")
        page.get_by_role("button", name="Create a key").click()
        self.key = page.locator("#new-key").inner_text().strip()
        assert re.fullmatch(r"coco_[0-9a-f]{48}", self.key), self.key
        before = int(page.locator('[data-usage="api-calls"]').inner_text().split()[0])
        with tempfile.TemporaryDirectory() as folder:
            shutil.copy(PNG, Path(folder) / "photo.png")
            env = dict(os.environ, BASE_URL=self.server.url, API_KEY=self.key)
            subprocess.run(["bash", str(ROOT / "scripts" / "quickstart.sh")], cwd=folder, env=env, check=True, capture_output=True, timeout=120)
            assert jpeg_size((Path(folder) / "output.jpg").read_bytes()) == png_size(PNG.read_bytes())
        page.goto(self.url("/profile"))
        after = int(page.locator('[data-usage="api-calls"]').inner_text().split()[0])
        assert after >= before + 3, (before, after)
        uses = int(page.locator("tr[data-key] td.uses").first.inner_text())
        assert uses >= 3, uses
        expect(page.locator('[data-usage="conversions"]')).to_contain_text("1 of")
        page.get_by_role("button", name=re.compile("Revoke")).click()
        expect(page.get_by_text("is revoked")).to_be_visible()
        request = urllib.request.Request(self.url("/api/files/get-upload-url"), method="POST", data=b'{"fileName":"a.png","fileSize":10}',
                                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"})
        try:
            urllib.request.urlopen(request)
            raise AssertionError("a revoked key was accepted")
        except urllib.error.HTTPError as e:
            assert e.code == 401, e.code

    def signed_in_conversions_count_against_the_account(self):
        page = self.page
        page.goto(self.url("/profile"))
        before = int(page.locator('[data-usage="conversions"]').inner_text().split()[0])
        page.goto(self.url("/"))
        expect(page.locator("#catalogue-status")).to_contain_text("conversions available")
        page.locator("#file-input").set_input_files([str(PNG)])
        row = self.rows().nth(0)
        row.locator("select.target").select_option("gif")
        row.get_by_role("button", name="Convert").click()
        expect(row.locator(".status")).to_contain_text("Done", timeout=120_000)
        page.goto(self.url("/profile"))
        after = int(page.locator('[data-usage="conversions"]').inner_text().split()[0])
        assert after == before + 1, (before, after)

    def forms_without_their_token_are_refused(self):
        response = self.page.request.post(self.url("/profile/keys"), form={"label": "x", "csrf": "0" * 64})
        assert response.status == 403, response.status
        response = self.page.request.post(self.url("/signin"), form={"email": EMAIL, "password": PASSWORD})
        assert response.status == 403, response.status

    # ---- every page ----

    def pages_have_security_headers_and_compression(self):
        for path in ["/", "/formats", "/plans", "/docs", "/signin", "/signup"]:
            response = urllib.request.urlopen(urllib.request.Request(self.url(path), headers={"Accept-Encoding": "gzip"}))
            headers = response.headers
            policy = headers["Content-Security-Policy"]
            assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy, policy
            assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] and headers["X-Frame-Options"] == "DENY", path
            assert headers["Content-Encoding"] == "gzip", (path, headers["Content-Encoding"])
            gzip.decompress(response.read())

    def the_converter_page_weighs_under_100_kb(self):
        html = urllib.request.urlopen(self.url("/")).read()
        total = len(html)
        for asset in re.findall(rb'(?:href|src)="(/assets/[^"]+)"', html):
            total += len(urllib.request.urlopen(self.url(asset.decode())).read())
        print(f"    converter page: {total} bytes of HTML, CSS and JavaScript", flush=True)
        assert total < 100_000, total

    def static_pages_read_without_javascript(self):
        context = self.browser.new_context(java_script_enabled=False)
        page = context.new_page()
        page.goto(self.url("/formats?q=png"))
        expect(page.get_by_role("heading", name=re.compile(r"\(png, image\)"))).to_be_visible()
        assert page.locator("tbody tr").count() > 10
        page.goto(self.url("/plans"))
        expect(page.get_by_role("row", name=re.compile("^pro"))).to_be_visible()
        page.goto(self.url("/docs"))
        expect(page.get_by_text(self.server.url + '"').first).to_be_visible()
        context.close()

    def formats_page_filters_live(self):
        page = self.page
        page.goto(self.url("/formats"))
        total = int(re.search(r"(\d+) conversions shown", page.locator("#shown").inner_text()).group(1))
        page.get_by_label("Search formats").fill("flac")
        expect(page.locator("#shown")).not_to_have_text(f"{total} conversions shown.")
        page.get_by_label("Family").select_option("audio")
        shown = int(re.search(r"(\d+) conversions shown", page.locator("#shown").inner_text()).group(1))
        assert 0 < shown < total, (shown, total)

    def pages_pass_axe_and_are_photographed(self):
        axe = Axe()
        SHOTS.mkdir(parents=True, exist_ok=True)
        serious = []
        for name, path in [("converter", "/"), ("formats", "/formats"), ("plans", "/plans"), ("docs", "/docs"), ("signin", "/signin"),
                           ("signup", "/signup"), ("profile", "/profile")]:
            for width in (1280, 390):
                self.page.set_viewport_size({"width": width, "height": 900})
                self.page.goto(self.url(path))
                if name == "converter":
                    expect(self.page.locator("#catalogue-status")).to_contain_text("conversions available")
                    self.page.locator("#file-input").set_input_files([str(PNG)])
                self.page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=name != "formats")
                overflow = self.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at {width} px"
                results = axe.run(self.page)
                for violation in results.response["violations"]:
                    if violation["impact"] in ("serious", "critical"):
                        serious.append(f"{path} at {width} px: {violation['id']} ({violation['impact']}): {violation['help']} - {[n['target'] for n in violation['nodes']][:3]}")
        self.page.set_viewport_size({"width": 1280, "height": 900})
        assert not serious, "\n".join(serious)
        print(f"    screenshots in {SHOTS.relative_to(ROOT)}/: {', '.join(sorted(p.name for p in SHOTS.glob('*.png')))}", flush=True)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target" / "debug" / "fileconv-server")
    started = time.monotonic()
    shutil.rmtree(SHOTS, ignore_errors=True)
    server = Server(binary)
    run = None
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            run = Run(server, browser)
            for check in [run.pages_have_security_headers_and_compression, run.the_converter_page_weighs_under_100_kb,
                          run.static_pages_read_without_javascript, run.formats_page_filters_live,
                          run.converter_converts_a_png_and_a_docx, run.the_converter_is_keyboard_operable, run.files_can_be_dropped_and_pasted,
                          run.a_file_too_large_is_refused_before_upload,
                          run.a_mislabelled_file_gets_the_apis_message, run.a_conversion_can_be_cancelled,
                          run.sign_up_create_a_key_and_use_it, run.signed_in_conversions_count_against_the_account,
                          run.forms_without_their_token_are_refused, run.pages_pass_axe_and_are_photographed]:
                run.check(check.__name__, check)
            browser.close()
    finally:
        server.stop()
    passed, failed = (run.passed, len(run.failed)) if run else (0, 1)
    status = "ok" if failed == 0 else "FAILED"
    print(f"test result: {status}. {passed} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out; finished in {time.monotonic() - started:.2f}s")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
