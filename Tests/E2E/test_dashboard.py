"""Operator dashboard (/admin): a login form with bcrypt users (`admin.users`, hashes from
`gateway hash-password`) and an HttpOnly session cookie; the page, in headless Chromium, shows a
real publish as a card whose figures match /api/streams, a JPEG thumbnail, live charts from
/api/history, and buttons that really disconnect the publisher and sign playback links.

The page's test hooks (`article.stream-card[data-stream]`, `data-field`/`data-value`,
`tr[data-rendition]`, `svg[data-chart][data-points]`, `window.dashboardState`) are described in
Sources/Gateway/HTTP/Resources/admin/dashboard.js and dashboard.html.
"""

import http.client
import json
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from clients import browser
from clients.probe import probe_jpeg
from conftest import GATEWAY_BIN, Gateway, publish_ffmpeg, stop_process, wait_for

USER = "alice"
PASSWORD = "Correct-Horse-7-battery"
SHOTS = Path("/tmp/dashboard-shots")  # copies for a human to look at

# One consistent read of a card: every hooked field, the rendition rows, the charts, the thumbnail.
SNAPSHOT_JS = """
const card = document.querySelector('article.stream-card[data-stream="' + arguments[0] + '"]');
if (!card) return null;
const field = (root, name) => {
  const el = root.querySelector('[data-field="' + name + '"]');
  return el ? {text: el.textContent.trim(), value: el.dataset.value === undefined ? null : el.dataset.value} : null;
};
const out = {fields: {}, renditions: {}, charts: {}, thumbnail: null};
for (const name of ['state', 'input-codec', 'input-size', 'input-fps', 'input-bitrate', 'keyframe-interval',
                    'latency', 'ingest-drops', 'timestamp-jumps', 'viewers', 'signed-link', 'message'])
  out.fields[name] = field(card, name);
for (const tr of card.querySelectorAll('tr[data-rendition]')) {
  const row = {};
  for (const name of ['width', 'height', 'speed', 'bitrate', 'viewers']) row[name] = field(tr, name);
  out.renditions[tr.dataset.rendition] = row;
}
for (const svg of card.querySelectorAll('svg[data-chart]')) out.charts[svg.dataset.chart] = Number(svg.dataset.points || 0);
const img = card.querySelector('img[data-field="thumbnail"]');
if (img) out.thumbnail = {src: img.src, loaded: img.dataset.loaded === '1'};
return out;
"""
STATE_JS = "return window.dashboardState ? JSON.parse(JSON.stringify(window.dashboardState)) : null"
NEXT_FRAMES_JS = ("const done = arguments[arguments.length - 1];"
                  "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));")


# --- Setup ---

@pytest.fixture(scope="module")
def password_hash():
    done = subprocess.run([GATEWAY_BIN, "hash-password"], input=PASSWORD, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, f"hash-password exit {done.returncode}: {done.stderr}"
    hashed = done.stdout.strip()
    assert hashed.startswith("$2") and len(hashed) == 60, hashed
    return hashed


@pytest.fixture
def gw(tmp_path, password_hash):
    secrets = tmp_path / "secrets.txt"
    secrets.write_text("k1 dashboard-secret-0123456789\n")
    secrets.chmod(0o600)
    config = tmp_path / "gateway.yaml"
    config.write_text(f"admin:\n  users:\n    {USER}: '{password_hash}'\n"
                      f"playback: {{ require_token: false, secret_file: {secrets} }}\n"
                      f"usage: {{ database: {tmp_path / 'usage.sqlite'} }}\n")
    gateway = Gateway(tmp_path, ["--config", str(config), "--profile", "profiles/test-small.yaml"])
    yield gateway
    gateway.stop()


@pytest.fixture
def driver():
    chrome = browser.make_driver()
    yield chrome
    chrome.quit()


@pytest.fixture
def publishers():
    started = []
    yield started
    for proc in started:
        stop_process(proc)


def publish(gw, publishers, name, clip):
    proc = publish_ffmpeg(gw.rtmp_url(name), clip, loop=True)
    publishers.append(proc)
    return proc


# --- HTTP helpers (no redirect following; the session cookie passed by hand) ---

def raw(gw, method, path, body=None, headers=None):
    """(status, headers {lower-case name: value}, body bytes) of one request, redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", gw.http_port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def login_form(gw, password):
    body = urllib.parse.urlencode({"user": USER, "password": password})
    return raw(gw, "POST", "/admin/login", body, {"Content-Type": "application/x-www-form-urlencoded"})


def location_of(headers):
    return urllib.parse.urlsplit(headers.get("location", ""))


def browser_cookie(driver):
    return "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())


def get(url, cookie=None):
    """(status, body) of a GET carrying `cookie`; 4xx/5xx answers too."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def api_stream(gw, cookie, name):
    status, body = get(gw.http_url("/api/streams"), cookie)
    assert status == 200, (status, body[:300])
    return next((s for s in json.loads(body)["streams"] if s["name"] == name), None)


def as_data_value(value):
    """The page's data-value for an API value: "" for null, the decimal text otherwise."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # JavaScript's String(30.0) is "30"
    return str(value)


# --- Browser helpers ---

def sign_in(driver, gw, password=PASSWORD):
    driver.get(gw.http_url("/admin"))
    wait_for(lambda: urllib.parse.urlsplit(driver.current_url).path == "/admin/login", 10, "the login page")
    driver.find_element(By.NAME, "user").send_keys(USER)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, 'form[action="/admin/login"] button[type="submit"]').click()


def open_dashboard(driver, gw):
    sign_in(driver, gw)
    wait_for(lambda: urllib.parse.urlsplit(driver.current_url).path in ("/admin", "/admin/"), 15, "the dashboard")
    wait_for(lambda: (driver.execute_script(STATE_JS) or {}).get("updates", 0) >= 1, 15, "a first /api/streams poll")


def snapshot(driver, name):
    return driver.execute_script(SNAPSHOT_JS, name)


def wait_card(driver, name, predicate, timeout, what):
    return wait_for(lambda: (s := snapshot(driver, name)) and predicate(s) and s, timeout, f"{name}: {what}",
                    interval=0.25)


def click(driver, name, action):
    button = driver.find_element(By.CSS_SELECTOR, f'article.stream-card[data-stream="{name}"] [data-action="{action}"]')
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    wait_for(button.is_enabled, 10, f"{action} enabled")
    button.click()


def accept_confirm(driver):
    def alert():
        try:
            return driver.switch_to.alert
        except NoAlertPresentException:
            return None
    wait_for(alert, 5, "the confirm() dialog").accept()


def viewport(driver, width, height, mobile=False):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
    wait_for(lambda: driver.execute_script("return window.innerWidth") == width, 5, f"a {width} px viewport")
    driver.execute_async_script(NEXT_FRAMES_JS)  # charts redraw at their new width


def screenshot(driver, tmp_path, name):
    path = tmp_path / f"dashboard-{name}.png"
    assert driver.save_screenshot(str(path)), path
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)
    return path


def page_errors(driver):
    # A thumbnail answers 404 until the stream's first one exists: the page expects that.
    return [e for e in browser.console_errors(driver) if "thumbnail.jpg" not in e]


# --- Tests ---

def test_admin_routes_need_a_login(gw, driver, tmp_path):
    status, headers, _ = raw(gw, "GET", "/admin")
    assert status == 303 and location_of(headers).path == "/admin/login", (status, headers)
    status, headers, body = raw(gw, "GET", "/admin/login")
    page = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html"), (status, headers)
    assert 'action="/admin/login"' in page and 'name="user"' in page and 'type="password"' in page, page
    # The login page's own assets load without a session.
    for asset, kind in [("/admin/dashboard.css", "text/css"), ("/admin/dashboard.js", "javascript"),
                        ("/admin/charts.js", "javascript")]:
        status, headers, _ = raw(gw, "GET", asset)
        assert status == 200 and kind in headers.get("content-type", ""), (asset, status, headers)

    assert raw(gw, "POST", "/api/streams/x/end")[0] == 403, "admin writes need credentials"

    status, headers, _ = login_form(gw, "wrong-password")
    where = location_of(headers)
    assert status == 303 and where.path == "/admin/login" and "failed=1" in where.query, (status, headers)
    refused_cookie = headers.get("set-cookie", "").split(";")[0]
    assert raw(gw, "GET", "/admin", headers={"Cookie": refused_cookie})[0] == 303, "a failed login signs nobody in"

    status, headers, _ = login_form(gw, PASSWORD)
    assert status == 303 and location_of(headers).path in ("/admin", "/admin/"), (status, headers)
    cookie_header = headers.get("set-cookie", "")
    assert "httponly" in cookie_header.lower(), cookie_header
    cookie = cookie_header.split(";")[0]
    status, _, body = raw(gw, "GET", "/admin", headers={"Cookie": cookie})
    assert status == 200 and b"/admin/dashboard.js" in body, status
    # A signed-in write needs the CSRF header; with it, the request gets past the admin check.
    assert raw(gw, "POST", "/api/streams/x/end", headers={"Cookie": cookie})[0] == 403
    assert raw(gw, "POST", "/api/streams/x/end", headers={"Cookie": cookie, "X-Ladder-Admin": "1"})[0] != 403

    # The browser's view of a wrong password.
    sign_in(driver, gw, password="wrong-password")
    wait_for(lambda: "failed=1" in driver.current_url, 15, "the failed-login redirect")
    error = wait_for(lambda: (e := driver.find_element(By.ID, "login-error")).is_displayed() and e, 5, "the error")
    assert error.get_attribute("role") == "alert" and error.text == "Wrong user name or password.", error.text
    screenshot(driver, tmp_path, "login-failed")


def test_dashboard_shows_a_live_stream(gw, driver, publishers, clip10, tmp_path):
    publish(gw, publishers, "cam1", clip10)
    # One viewer on the 240p rung (the dashboard's own thumbnails are not viewing).
    wait_for(lambda: raw(gw, "GET", "/live/cam1/240p/index.m3u8")[0] == 200, 30, "the 240p playlist")
    viewer = subprocess.Popen(["ffmpeg", "-nostdin", "-loglevel", "error", "-i",
                               gw.http_url("/live/cam1/240p/index.m3u8"), "-c", "copy", "-f", "null", "-"])
    publishers.append(viewer)
    open_dashboard(driver, gw)
    cookie = browser_cookie(driver)
    card = wait_card(driver, "cam1", lambda s: s["fields"]["state"]["value"] == "live" and s["renditions"], 30,
                     "a live card with renditions")
    state = driver.execute_script(STATE_JS)
    assert "cam1" in state["streams"] and not state["authError"], state

    # The thumbnail: a 320 px wide JPEG (?width=320 of a 16:9 picture).
    card = wait_card(driver, "cam1", lambda s: s["thumbnail"] and s["thumbnail"]["loaded"], 30, "a thumbnail")
    src = card["thumbnail"]["src"]
    assert "thumbnail.jpg" in src and "width=320" in src, src
    status, data = get(src, cookie)
    assert status == 200 and data[:2] == b"\xff\xd8", (status, data[:20])
    picture = probe_jpeg(data, tmp_path)
    assert (picture["codec_name"], picture["width"], picture["height"]) == ("mjpeg", 320, 180), picture

    # The card agrees with /api/streams read at about the same moment (until both show the same poll).
    seen = {}

    def agrees():
        api = api_stream(gw, cookie, "cam1")
        s = snapshot(driver, "cam1")
        seen.update(api=api, card=s)
        if not api or not s or not api.get("input"):
            return False
        f = s["fields"]
        size = f"{api['input']['width']}x{api['input']['height']}"
        widths = {r["name"]: (as_data_value(r["width"]), as_data_value(r["height"])) for r in api["renditions"]}
        shown = {n: (r["width"]["value"], r["height"]["value"]) for n, r in s["renditions"].items()}
        rung_viewers = {r["name"]: as_data_value(r.get("viewers")) for r in api["renditions"]}
        shown_viewers = {n: r["viewers"]["value"] for n, r in s["renditions"].items()}
        return (f["input-size"]["value"] == size and rung_viewers == shown_viewers
                and rung_viewers.get("240p") == "1" and rung_viewers.get("360p") == "0" and f["input-size"]["text"] == size
                and f["viewers"]["value"] == as_data_value(api.get("viewers")) and shown == widths
                and f["input-codec"]["text"] == str(api["input"]["video_codec"]))

    try:
        wait_for(agrees, 20, "the card to match /api/streams", interval=0.5)
    finally:
        print("last comparison:", json.dumps(seen)[:3000])
    api = seen["api"]
    assert api["input"]["width"] == 640 and {r["name"] for r in api["renditions"]} == {"360p", "240p"}, api

    # Measured figures (they move: only their presence and rough size are checked).
    def measured(s):
        f, rows = s["fields"], s["renditions"].values()
        return (f["input-bitrate"]["value"] and float(f["input-bitrate"]["value"]) > 0
                and f["input-fps"]["value"] and abs(float(f["input-fps"]["value"]) - 30) < 1
                and all(r["speed"]["value"] and float(r["speed"]["value"]) > 0 and r["bitrate"]["value"] for r in rows))

    try:
        wait_card(driver, "cam1", measured, 20, "measured bitrates, fps and encoder speeds")
    finally:
        print("card:", json.dumps(snapshot(driver, "cam1"))[:3000])

    # Charts from /api/history (a sample every 5 s).
    charts = wait_card(driver, "cam1", lambda s: all(s["charts"].get(c, 0) >= 2 for c in
                                                      ("input-bitrate", "viewers", "latency", "encoder-speed")),
                       25, "charts with two samples")["charts"]
    assert set(charts) == {"input-bitrate", "viewers", "latency", "encoder-speed"}, charts
    assert driver.execute_script(STATE_JS)["historyUpdates"] >= 1

    viewport(driver, 1280, 900)
    screenshot(driver, tmp_path, "desktop-1280x900")
    viewport(driver, 390, 844, mobile=True)
    screenshot(driver, tmp_path, "phone-390x844")
    widths = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"horizontal overflow on a phone: {widths}"
    assert page_errors(driver) == []


def test_disconnect_button_ends_the_publish(gw, driver, publishers, clip10, tmp_path):
    publisher = publish(gw, publishers, "cam2", clip10)
    open_dashboard(driver, gw)
    cookie = browser_cookie(driver)
    wait_card(driver, "cam2", lambda s: s["fields"]["state"]["value"] == "live", 30, "live")

    click(driver, "cam2", "disconnect")
    accept_confirm(driver)
    # The message region says "Disconnecting the publisher…" until the answer arrives.
    card = wait_card(driver, "cam2", lambda s: (m := s["fields"]["message"]["text"]) and not m.endswith("…"), 15,
                     "the action's result")
    assert "⚠" not in card["fields"]["message"]["text"], card["fields"]["message"]

    wait_for(lambda: publisher.poll() is not None or (api_stream(gw, cookie, "cam2") or {}).get("state") != "live",
             20, "the publish to end")
    def not_live():
        stream = api_stream(gw, cookie, "cam2")
        return {"state": "gone"} if stream is None else stream["state"] != "live" and stream

    api = wait_for(not_live, 20, "/api/streams to show the stream not live")
    assert api["state"] in ("reconnecting", "ended", "gone"), api
    wait_card(driver, "cam2", lambda s: s["fields"]["state"]["value"] != "live", 10, "the card to leave live")
    screenshot(driver, tmp_path, "after-disconnect")
    assert page_errors(driver) == []


def test_copy_signed_link_gives_a_playable_url(gw, driver, publishers, clip10, tmp_path):
    publish(gw, publishers, "cam3", clip10)
    open_dashboard(driver, gw)
    wait_card(driver, "cam3", lambda s: s["fields"]["state"]["value"] == "live", 30, "live")
    ttl = driver.find_element(By.CSS_SELECTOR, 'article.stream-card[data-stream="cam3"] [data-field="ttl"]')
    ttl.clear()
    ttl.send_keys("5")

    click(driver, "cam3", "copy-link")
    card = wait_card(driver, "cam3", lambda s: "/t/" in s["fields"]["signed-link"]["text"], 15, "a signed link")
    url = card["fields"]["signed-link"]["text"]
    assert url.startswith(gw.http_url("/live/cam3/t/")) and url.endswith("/"), url
    assert "⚠" not in card["fields"]["message"]["text"], card["fields"]["message"]
    # The token alone opens it: no cookie.
    status, body = wait_for(lambda: (r := get(url + "master.m3u8"))[0] == 200 and r, 20, "the signed master playlist")
    assert body.startswith(b"#EXTM3U"), body[:100]
    screenshot(driver, tmp_path, "signed-link")
    assert page_errors(driver) == []
