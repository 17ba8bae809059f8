"""Prints the Authorization header of a v1HMAC-signed GET (no body, no X-GCS headers), for a load generator's fixed
headers. Usage: python sign_request.py KEY_ID SECRET DATE PATH"""
import base64
import hashlib
import hmac
import sys

key_id, secret, date, path = sys.argv[1:5]
string_to_sign = f"GET\n\n{date}\n{path}\n"
mac = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).digest()
print(f"GCS v1HMAC:{key_id}:{base64.b64encode(mac).decode()}")
