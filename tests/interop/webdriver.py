"""Shared by the browser tests: a free port, waiting for one to listen, and a minimal client of
chromedriver's W3C WebDriver protocol (plain HTTP and JSON: no Python packages needed).
"""

import base64
import json
import socket
import time
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_for(port, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


class Driver:
    def __init__(self, port, chromium, args):
        self.base = f"http://127.0.0.1:{port}"
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:loggingPrefs": {"browser": "ALL"},
                    "goog:chromeOptions": {
                        "binary": chromium,
                        "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage"] + args,
                    },
                }
            }
        }
        self.sid = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read())["value"]

    def s(self, path):
        return f"/session/{self.sid}{path}"

    def go(self, url):
        self.call("POST", self.s("/url"), {"url": url})

    def title(self):
        return self.call("GET", self.s("/title"))

    def url(self):
        return self.call("GET", self.s("/url"))

    def js(self, script, *args):
        return self.call("POST", self.s("/execute/sync"), {"script": script, "args": list(args)})

    def js_async(self, script):
        return self.call("POST", self.s("/execute/async"), {"script": script, "args": []})

    def key(self, k):
        """Presses and releases a key (WebDriver's code for it), on whatever has the focus."""
        self.call("POST", self.s("/actions"), {"actions": [{
            "type": "key", "id": "keyboard",
            "actions": [{"type": "keyDown", "value": k}, {"type": "keyUp", "value": k}],
        }]})

    def click_canvas(self):
        canvas = self.call("POST", self.s("/element"), {"using": "css selector", "value": "#mailsim"})[ELEMENT]
        self.call("POST", self.s("/actions"), {"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "origin": {ELEMENT: canvas}, "x": 0, "y": 200},
                {"type": "pointerDown", "button": 0}, {"type": "pointerUp", "button": 0},
            ],
        }]})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.call("GET", self.s("/screenshot"))))

    def console(self):
        return self.call("POST", self.s("/se/log"), {"type": "browser"})

    def source(self):
        return self.call("GET", self.s("/source"))

    def find(self, css):
        return self.call("POST", self.s("/element"), {"using": "css selector", "value": css})[ELEMENT]

    def type(self, css, text):
        self.call("POST", self.s(f"/element/{self.find(css)}/value"), {"text": text})

    def click(self, css):
        self.call("POST", self.s(f"/element/{self.find(css)}/click"), {})

    def quit(self):
        self.call("DELETE", self.s(""))


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok  ", what)


