"""Local stand-ins for Aliyun's and Tencent Cloud's SMS APIs, on 127.0.0.1.

Each is a small threading HTTP server that checks a request the way the real API does, from the
bytes it received and the secret the test gave it, and answers in the real API's shape: success
with a BizId / SerialNo, or the error code a test chose. The signature checks are written here
again from the providers' documents, on purpose not imported from messaging.sms, so an adapter
that signs wrongly is refused even if its own helpers agree with it.
"""

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit


class StandIn:
    """A server on 127.0.0.1 whose `url` the adapter is pointed at.

    - `requests`: every request received, as dicts (method, path, headers, body, params).
    - `error`: a provider error code to answer with instead of success (None: succeed).
    - `delay`: seconds to wait before answering (longer than the adapter's timeout = a timeout).
    - `raw`: (status, bytes) to answer with as-is, e.g. an HTML 502 from a gateway.
    """

    def __init__(self):
        self.requests: list[dict] = []
        self.error: str | None = None
        self.error_level = "request"
        self.delay = 0.0
        self.raw: tuple[int, bytes] | None = None
        self.accepted = 0
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
                body = self.rfile.read(length)
                record = {
                    "method": "POST",
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
                standin.requests.append(record)
                if standin.delay:
                    time.sleep(standin.delay)
                if standin.raw:
                    status, payload = standin.raw
                else:
                    status, answer = standin.answer(record)
                    payload = json.dumps(answer, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the adapter gave up (its timeout) before the answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, record: dict) -> tuple[int, dict]:
        raise NotImplementedError


# ------------------------------------------------------------------------------------ Aliyun
def aliyun_encode(value: str) -> str:
    # percentEncode as Aliyun's document gives it: URLEncoder.encode, then + -> %20,
    # * -> %2A, %7E -> ~ (i.e. only A-Z a-z 0-9 - _ . ~ stay as they are).
    encoded = quote(value, safe="-_.~*", encoding="utf-8").replace("+", "%20")
    return encoded.replace("*", "%2A").replace("%7E", "~")


class AliyunStandIn(StandIn):
    """dysmsapi SendSms: the RPC signature (HMAC-SHA1, SignatureVersion 1.0) is recomputed from
    the received parameters (query and form body) with `secrets[AccessKeyId]`."""

    def __init__(self, secrets: dict[str, str]):
        super().__init__()
        self.secrets = secrets
        self.nonces: set[str] = set()

    def answer(self, record):
        params = dict(parse_qsl(urlsplit(record["path"]).query, keep_blank_values=True))
        if (
            record["headers"]
            .get("content-type", "")
            .startswith("application/x-www-form-urlencoded")
        ):
            params.update(parse_qsl(record["body"].decode(), keep_blank_values=True))
        record["params"] = params
        request_id = str(uuid.uuid4()).upper()

        def error(code, message, status=200):
            return status, {"Code": code, "Message": message, "RequestId": request_id}

        for name in ("AccessKeyId", "Signature", "SignatureNonce", "Timestamp", "Action"):
            if not params.get(name):
                return error("MissingParameter", f"{name} is mandatory for this action.", 400)
        secret = self.secrets.get(params["AccessKeyId"])
        if secret is None:
            return error("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0":
            return error("IncompleteSignature", "The request signature does not conform.", 400)
        canonical = "&".join(
            f"{aliyun_encode(k)}={aliyun_encode(params[k])}"
            for k in sorted(params)
            if k != "Signature"
        )
        to_sign = "POST&" + aliyun_encode("/") + "&" + aliyun_encode(canonical)
        expected = base64.b64encode(
            hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
        ).decode()
        if not hmac.compare_digest(expected, params["Signature"]):
            return error(
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
                400,
            )
        stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(datetime.now(UTC) - stamp) > timedelta(minutes=15):
            return error(
                "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400
            )
        if params["SignatureNonce"] in self.nonces:
            return error("SignatureNonceUsed", "Specified signature nonce was used already.", 400)
        self.nonces.add(params["SignatureNonce"])
        if params["Action"] != "SendSms" or params.get("Version") != "2017-05-25":
            return error("InvalidAction.NotFound", "Specified api is not found.", 404)
        if self.error:
            return error(self.error, f"stand-in answers {self.error}")
        phone = params.get("PhoneNumbers", "")
        mainland = phone[-11:] if phone.startswith(("86", "+86", "0086")) else phone
        if not (len(mainland) == 11 and mainland.isdigit() and mainland.startswith("1")):
            return error("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        try:
            values = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            values = None
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            return error("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        self.accepted += 1
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "BizId": f"90061974693649{self.accepted:02d}^0",
            "RequestId": request_id,
        }


# ----------------------------------------------------------------------------------- Tencent
def _hmac256(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


class TencentStandIn(StandIn):
    """sms 2021-01-11 SendSms: TC3-HMAC-SHA256 recomputed from the received headers named in
    SignedHeaders and the received body, with `secrets[SecretId]`."""

    def __init__(self, secrets: dict[str, str], sdk_app_id: str = "1400000001"):
        super().__init__()
        self.secrets = secrets
        self.sdk_app_id = sdk_app_id

    def answer(self, record):
        headers, body = record["headers"], record["body"]
        request_id = str(uuid.uuid4())

        def error(code, message):
            return 200, {
                "Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}
            }

        auth = headers.get("authorization", "")
        algorithm, _, rest = auth.partition(" ")
        fields = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
        if algorithm != "TC3-HMAC-SHA256" or not {
            "Credential",
            "SignedHeaders",
            "Signature",
        } <= set(fields):
            return error(
                "AuthFailure.InvalidAuthorization", "Authorization is not TC3-HMAC-SHA256."
            )
        secret_id, date, service, terminator = (fields["Credential"].split("/") + ["", "", ""])[:4]
        secret_key = self.secrets.get(secret_id)
        if secret_key is None:
            return error("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        timestamp = int(headers.get("x-tc-timestamp") or 0)
        if abs(time.time() - timestamp) > 300:
            return error("AuthFailure.SignatureExpire", "Signature expired.")
        signed = fields["SignedHeaders"].split(";")
        if (
            service != "sms"
            or terminator != "tc3_request"
            or not {"content-type", "host"} <= set(signed)
        ):
            return error(
                "AuthFailure.InvalidAuthorization", "Credential scope or SignedHeaders wrong."
            )
        if date != datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d"):
            return error(
                "AuthFailure.SignatureFailure", "Credential date is not the timestamp's UTC date."
            )
        canonical_headers = "".join(
            f"{name}:{headers.get(name, '').strip().lower()}\n" for name in signed
        )
        canonical = "\n".join(
            ["POST", "/", "", canonical_headers, ";".join(signed), hashlib.sha256(body).hexdigest()]
        )
        to_sign = "\n".join(
            [
                "TC3-HMAC-SHA256",
                str(timestamp),
                f"{date}/sms/tc3_request",
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        key = _hmac256(
            _hmac256(_hmac256(("TC3" + secret_key).encode(), date), "sms"), "tc3_request"
        )
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields["Signature"]):
            return error(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. Please check your signature is correct.",
            )
        if headers.get("x-tc-action") != "SendSms" or headers.get("x-tc-version") != "2021-01-11":
            return error("InvalidAction", "The action or version does not exist.")
        if not headers.get("x-tc-region"):
            return error("MissingParameter", "X-TC-Region is missing.")
        try:
            request = json.loads(body)
        except ValueError:
            return error("FailedOperation.JsonParseFail", "Failed to parse the JSON body.")
        record["json"] = request
        if request.get("SmsSdkAppId") != self.sdk_app_id:
            return error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist.")
        params = request.get("TemplateParamSet", [])
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            return error("InvalidParameter", "TemplateParamSet must be a list of strings.")
        if self.error and self.error_level == "request":
            return error(self.error, f"stand-in answers {self.error}")
        statuses = []
        for phone in request.get("PhoneNumberSet", []):
            if self.error:
                code, message, serial = self.error, f"stand-in answers {self.error}", ""
            elif not (phone.startswith("+861") and len(phone) == 14 and phone[1:].isdigit()):
                code, message, serial = (
                    "InvalidParameterValue.IncorrectPhoneNumber",
                    "incorrect number",
                    "",
                )
            else:
                self.accepted += 1
                code, message = "Ok", "send success"
                serial = f"2433:{self.accepted:020d}"
            statuses.append(
                {
                    "SerialNo": serial,
                    "PhoneNumber": phone,
                    "Fee": 1 if code == "Ok" else 0,
                    "SessionContext": request.get("SessionContext", ""),
                    "Code": code,
                    "Message": message,
                    "IsoCode": "CN",
                }
            )
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": request_id}}
