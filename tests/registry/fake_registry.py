"""PikoCI's type registry layout (/reg/<kind dir>/NAME.hcl) on loopback,
for the --allow-remote-types tests: every GET is recorded, routes answer
with fixed texts, and one path may be held -- answered only once the test
sets `release` -- to stand for a slow registry without timed sleeps."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Registry:
    def __init__(self, routes, held=None, hold_limit=120):
        """routes: path -> (status, text); other paths get 404. held: a
        path of routes answered only after release (hold_limit is a safety
        net, the tests release it)."""
        self.paths = []
        self.lock = threading.Lock()
        self.asked = threading.Condition(self.lock)   # notified at each ask of held
        self.held = 0
        self.release = threading.Event()
        self.answered = threading.Event()             # held was answered
        reg = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                with reg.lock:
                    reg.paths.append(self.path)
                    if self.path == held:
                        reg.held += 1
                        reg.asked.notify_all()
                if self.path == held:
                    reg.release.wait(hold_limit)
                code, text = routes.get(self.path, (404, "404: Not Found\n"))
                data = text.encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                if self.path == held:
                    reg.answered.set()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = "http://127.0.0.1:%d/reg" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_asked(self, n, timeout):
        """True once the held path was asked for n times."""
        with self.lock:
            return self.asked.wait_for(lambda: self.held >= n, timeout)

    def take(self):
        with self.lock:
            out, self.paths = self.paths, []
        return out

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
