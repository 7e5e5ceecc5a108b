"""Real third-party clients (Chromium, GStreamer, VLC, streamlink, ffprobe) driven from the E2E
tests. Each helper bounds its child processes with a deadline and returns a report object
whose fields the tests assert on; none of them decides pass/fail by itself."""
