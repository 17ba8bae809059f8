"""Prints the Authorization header of a v1HMAC-signed request without X-GCS headers, for a load generator's fixed
headers. Usage: python sign_request.py KEY_ID SECRET DATE PATH [METHOD CONTENT_TYPE] (default: GET, no content
type)."""
import base64
import hashlib
import hmac
import sys

key_id, secret, date, path = sys.argv[1:5]
method = sys.argv[5] if len(sys.argv) > 5 else "GET"
content_type = sys.argv[6] if len(sys.argv) > 6 else ""
string_to_sign = f"{method}\n{content_type}\n{date}\n{path}\n"
mac = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).digest()
print(f"GCS v1HMAC:{key_id}:{base64.b64encode(mac).decode()}")
