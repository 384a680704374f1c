#!/usr/bin/env python3
"""A loopback stand-in for SSO-OIDC CreateToken, for checking an installed ssofresh (.ci/check-deb).

Usage: oidc-stub.py REQUEST_LOG
Listens on 127.0.0.1 on a free port, prints the port on stdout and serves until killed. Every
POST /token answers a fresh token; each request (path and JSON body) goes to REQUEST_LOG, one
line each.
"""
import http.server
import json
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(sys.argv[1], "a") as log:
            log.write(json.dumps({"path": self.path, "body": json.loads(body or b"null")}) + "\n")
        if self.path != "/token":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        reply = json.dumps({"accessToken": "aoa-SECRETMARK-access-new", "tokenType": "Bearer",
                            "expiresIn": 3600, "refreshToken": "aor-SECRETMARK-refresh-new"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
