"""RTMPS ingest and HTTPS origin with a self-signed certificate from the gateway config."""

import ssl
import subprocess
import urllib.request

from conftest import publish_ffmpeg, stop_process, wait_for


def test_rtmps_publish_and_https_playback(gateway_factory, clip10, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    config = tmp_path / "tls.yaml"
    config.write_text(f"""
rtmp:
  tls: {{ listen: "127.0.0.1:0", cert: "{cert}", key: "{key}" }}
http:
  tls: {{ listen: "127.0.0.1:0", cert: "{cert}", key: "{key}" }}
""")
    gw = gateway_factory("--config", str(config))
    rtmps_port = int(gw.wait_log(r"RTMPS listening on [\d.]+:(\d+)", 20).group(1))
    https_port = int(gw.wait_log(r"HTTPS listening on [\d.]+:(\d+)", 20).group(1))

    offset = gw.log_offset()
    publisher = publish_ffmpeg(f"rtmps://127.0.0.1:{rtmps_port}/live/secure", clip10)
    try:
        gw.wait_log(r"stream=secure .*publish start", 20, after=offset)
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE
        url = f"https://127.0.0.1:{https_port}/live/secure/master.m3u8"

        def master():
            try:
                with urllib.request.urlopen(url, context=insecure, timeout=5) as response:
                    return response.read().decode()
            except OSError:
                return None

        text = wait_for(master, 30, "the master playlist over HTTPS")
        assert "#EXT-X-STREAM-INF" in text and "360p/index.m3u8" in text
        # The certificate really is the configured one.
        pem = ssl.get_server_certificate(("127.0.0.1", https_port))
        assert ssl.PEM_cert_to_DER_cert(pem) == ssl.PEM_cert_to_DER_cert(cert.read_text())
        probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0",
                                f"https://127.0.0.1:{https_port}/live/secure/360p/index.m3u8"],
                               capture_output=True, text=True, timeout=60)
        assert probe.returncode == 0, probe.stderr
        assert "640,360" in probe.stdout
        # ALPN offers h2 (Apple's advice for LL-HLS) and still http/1.1; both get the playlist.
        for flag, version in (("--http2", "2"), ("--http1.1", "1.1")):
            curl = subprocess.run(["curl", "-sk", flag, "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                                   f"https://127.0.0.1:{https_port}/live/secure/360p/index.m3u8"],
                                  capture_output=True, text=True, timeout=30)
            assert curl.stdout == f"{version} 200", (flag, curl.stdout, curl.stderr)
        assert publisher.wait(60) == 0
    finally:
        stop_process(publisher)
