"""glass.py selftest: clips with known time codes, rendered by ffmpeg with glass_code.py's filter,
played and decoded by the page (glass_page.py) in headless Chromium, plus the same clip decoded here
in Python; it fails unless every accepted code is right and garbage is rejected.
"""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from glass_code import BOX, BOXES, DATA_BITS, ORIGIN, code_filter, crc8
from glass_page import JS_DIR, PAGE, js, make_driver, static_server, wait_for


def ffmpeg(*a):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *a], check=True)


def selftest(args):
    """Clips with known codes through the page's decoder in Chromium.

    clean-720p    the code as published (x264 veryfast 2.8 Mb/s, 1280x720)
    clean-360p    scaled to 640x360 after the code was drawn, 300 kb/s (harsher than the 800k rung)
    blend         every frame the average of two consecutive coded frames (tblend): each code box
                  that differs is mid-grey, so every frame must be rejected
    noise         strong temporal noise (alls=70) on the coded 720p picture: some frames may be
                  rejected, none may decode to a wrong value
    flip1, flip3  one data box (20), or three boxes (data 5 and 23, CRC 44), drawn inverted: clean
                  levels and markers, so only the CRC can reject them, and it must, every frame
    nocode        testsrc2 without a code: every frame rejected
    """
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="glass-selftest."))
    work.mkdir(parents=True, exist_ok=True)
    try:
        os.symlink(JS_DIR / "hlsjs", work / "hlsjs")
    except FileExistsError:
        pass
    start = int(time.time() * 1000) - 3_600_000
    step, fps, seconds = 33, 30, 4
    frames = fps * seconds
    expected = {(start + step * n) % 2 ** DATA_BITS for n in range(frames + 2)}
    src = ["-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate={fps}", "-t", str(seconds)]
    x264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "60", "-movflags", "+faststart"]
    coded = code_filter(start, step, fps)

    def invert(box):  # one code box drawn inverted: markers and levels stay clean, the CRC must not
        return f"drawbox=x={ORIGIN + BOX * box}:y={ORIGIN}:w={BOX}:h={BOX}:color=invert:t=fill"
    clips = {
        "clean-720p": (coded, ["-b:v", "2800k"], "all"),
        "clean-360p": (coded.replace("setpts=N[v]", "setpts=N,scale=640:360[v]"), ["-b:v", "300k"], "all"),
        "blend": (coded.replace("setpts=N[v]", "setpts=N,tblend=all_mode=average[v]"), ["-b:v", "2800k"], "none"),
        "noise": (coded.replace("setpts=N[v]", "setpts=N,noise=alls=70:allf=t[v]"), ["-b:v", "2800k"], "some"),
        "flip1": (coded.replace("setpts=N[v]", "setpts=N," + invert(20) + "[v]"), ["-b:v", "2800k"], "none"),
        "flip3": (coded.replace("setpts=N[v]", "setpts=N," + ",".join(invert(i) for i in (5, 23, 44)) + "[v]"),
                  ["-b:v", "2800k"], "none"),
        "nocode": ("[0:v]null[v]", ["-b:v", "2800k"], "none"),
    }
    for name, (graph, rate, _) in clips.items():
        ffmpeg(*src, "-filter_complex", graph, "-map", "[v]", *x264, *rate, str(work / f"{name}.mp4"))
    ok = True
    with static_server(work, {"glass.html": PAGE}) as server:
        driver = make_driver()
        try:
            for name, (_, _, expect) in clips.items():
                driver.get(server.url("glass.html") + f"?mode=file&src={name}.mp4")
                wait_for(driver, "return window.glass && (window.glass.ended || window.glass.error)", seconds + 20)
                g = js(driver, "return JSON.parse(JSON.stringify(window.glass))")
                values = [s[1] for s in g["samples"]]
                right = sum(1 for v in values if v in expected)
                wrong = [v for v in values if v not in expected]
                distinct = len(set(values))
                verdict = "ok"
                if g.get("error") or not g.get("ended"):
                    verdict = f"FAIL (playback: error={g.get('error')} ended={g.get('ended')})"
                elif wrong:
                    verdict = f"FAIL ({len(wrong)} wrong codes accepted, e.g. {wrong[:3]})"
                elif expect == "all" and distinct < 0.8 * frames:
                    verdict = f"FAIL (only {distinct} of {frames} codes decoded)"
                elif expect == "none" and values:
                    verdict = f"FAIL ({len(values)} frames accepted, none expected)"
                elif expect == "some" and g["frames"] == 0:
                    verdict = "FAIL (no frames presented)"
                ok &= verdict == "ok"
                print(f"selftest {name:<11} presented={g['frames']:<4} accepted={len(values):<4} right={right:<4} "
                      f"wrong={len(wrong):<3} distinct={distinct:<4} rejects={g['rejectCounts']} -> {verdict}")
        finally:
            driver.quit()
    # The same codes by a plain decoder here (checks the filter, independent of the page).
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(work / "clean-720p.mp4"), "-vf", "format=gray",
                          "-f", "rawvideo", "-"], check=True, capture_output=True).stdout
    w, h = 1280, 720
    got = []
    for f in range(len(raw) // (w * h)):
        row = raw[f * w * h + (ORIGIN + BOX // 2) * w:][:w]
        bits = [1 if row[ORIGIN + BOX * i + BOX // 2] > 128 else 0 for i in range(BOXES)]
        low = int("".join(map(str, bits[2:42])), 2)
        if bits[:2] == [1, 0] and bits[50:] == [0, 1] and crc8(low) == int("".join(map(str, bits[42:50])), 2):
            got.append(low)
    exact = got == [(start + step * n) % 2 ** DATA_BITS for n in range(len(got))]
    ok &= exact and len(got) == frames
    print(f"selftest python-720p frames={len(got)}/{frames} exact-sequence={exact} -> {'ok' if exact and len(got) == frames else 'FAIL'}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("selftest " + ("PASSED" if ok else "FAILED"))
    return 0 if ok else 1
