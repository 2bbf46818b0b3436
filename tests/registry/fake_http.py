"""A recording HTTP server on loopback standing in for the services the
built-in types talk to: Slack and Discord webhooks, the GitHub API (a
GitHub App's JWT is verified with the app's public key before a token is
handed out) and Vault's KV API. Every request is recorded (method, path,
headers, body) so tests assert what was sent, not just that something was.
"""
import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

INSTALL_TOKEN = "ghs_installation_token_0123456789"
VAULT_TOKEN = "vault-root-token"
CHECK_RUN_ID = 4242


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_jwt(token, public_key):
    """The claims of an RS256 JWT whose signature public_key verifies, else None."""
    try:
        head, claims, sig = token.split(".")
        header = json.loads(b64url_decode(head))
        if header != {"alg": "RS256", "typ": "JWT"}:
            return None
        public_key.verify(b64url_decode(sig), (head + "." + claims).encode(),
                          padding.PKCS1v15(), hashes.SHA256())
        return json.loads(b64url_decode(claims))
    except Exception:
        return None


class Fake:
    def __init__(self, public_key=None, vault=None):
        self.public_key = public_key
        self.vault = vault or {}          # path after /v1/ -> JSON answer
        self.requests = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _answer(self, code, obj=None, text=None):
                data = json.dumps(obj).encode() if obj is not None else (text or "").encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json" if obj is not None else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = {"_unparsed": raw.decode(errors="replace")}
                rec = {"method": self.command, "path": self.path,
                       "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                code, obj, text = fake.route(rec)
                with fake.lock:
                    fake.requests.append(rec)
                self._answer(code, obj, text)

            do_GET = do_POST = do_PATCH = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def route(self, rec):
        m, p, h = rec["method"], rec["path"], rec["headers"]
        if p == "/slack" and m == "POST":
            return 200, None, "ok"
        if p == "/discord" and m == "POST":
            return 204, None, ""
        if p == "/broken" and m == "POST":
            return 500, None, "no such webhook"
        if p.startswith("/gh/app/installations/") and p.endswith("/access_tokens") and m == "POST":
            auth = h.get("authorization", "")
            claims = verify_jwt(auth[7:], self.public_key) if auth.startswith("Bearer ") else None
            rec["jwt_claims"] = claims
            now = time.time()
            if not claims or not (claims["iat"] <= now <= claims["exp"]) or claims["exp"] - claims["iat"] > 600:
                return 401, {"message": "A JSON web token could not be decoded"}, None
            return 201, {"token": INSTALL_TOKEN, "expires_at": "2099-01-01T00:00:00Z"}, None
        if p.startswith("/gh/repos/") and "/check-runs" in p:
            if h.get("authorization") != "Bearer " + INSTALL_TOKEN:
                return 401, {"message": "Bad credentials"}, None
            if m == "POST" and p.endswith("/check-runs"):
                return 201, {"id": CHECK_RUN_ID, "status": rec["body"].get("status")}, None
            if m == "PATCH" and p.endswith("/check-runs/%d" % CHECK_RUN_ID):
                return 200, {"id": CHECK_RUN_ID, "status": "completed"}, None
            return 404, {"message": "Not Found"}, None
        if p.startswith("/v1/") and m == "GET":
            if h.get("x-vault-token") != VAULT_TOKEN:
                return 403, {"errors": ["permission denied"]}, None
            if p[4:] in self.vault:
                return 200, self.vault[p[4:]], None
            return 404, {"errors": []}, None
        return 404, None, "not found"

    def take(self):
        with self.lock:
            out, self.requests = self.requests, []
        return out

    def close(self):
        self.server.shutdown()
        self.server.server_close()
