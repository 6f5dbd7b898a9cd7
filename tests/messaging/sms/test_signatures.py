"""The signing algorithms against the examples the providers publish, so the algorithm itself
is checked against the provider's numbers, not only against our own stand-ins."""

import hashlib
import json

from messaging.sms import aliyun, tencent


def test_aliyun_rpc_signature_matches_aliyuns_published_sendsms_example():
    # The worked example of Aliyun's SMS "HTTP协议及签名" page (AccessKeyId testId, secret
    # testSecret), reproduced in many client libraries' tests: GET, Format XML, 2017-07-12.
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun.canonicalized_query(params) == (
        "AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001"
        "&RegionId=cn-hangzhou&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B"
        "%E8%AF%95%E4%B8%93%E7%94%A8&SignatureMethod=HMAC-SHA1"
        "&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0"
        "&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D"
        "&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25"
    )
    assert aliyun.string_to_sign("GET", params).startswith(
        "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
    )
    assert aliyun.rpc_signature("testSecret", "GET", params) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    # The Signature parameter itself never takes part.
    assert aliyun.rpc_signature("testSecret", "GET", {**params, "Signature": "x"}) == (
        "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    )


def test_aliyun_percent_encoding_follows_the_documented_rules():
    # Space is %20 (not +), * is %2A, ~ stays, other reserved and non-ASCII bytes are %XY.
    assert aliyun.percent_encode("a b*c~d") == "a%20b%2Ac~d"
    assert aliyun.percent_encode("-_.~") == "-_.~"
    assert aliyun.percent_encode('+/=&"') == "%2B%2F%3D%26%22"
    assert aliyun.percent_encode("衣") == "%E8%A1%A3"


def test_tencent_tc3_signature_matches_tencents_published_example():
    # "Signature v3" (cloud.tencent.com/document/api/213/30654): CVM DescribeInstances, POST,
    # timestamp 1551113065, SecretKey Gu5t9xGARNpq86cd98joQYCN3EXAMPLE, signed content-type;host.
    payload = (
        b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    )
    assert hashlib.sha256(payload).hexdigest() == (
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    headers = {"Content-Type": "application/json; charset=utf-8", "Host": "cvm.tencentcloudapi.com"}
    canonical = tencent.canonical_request("POST", headers, ["content-type", "host"], payload)
    assert canonical == (
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n"
        "\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    header = tencent.authorization(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        service="cvm",
        timestamp=1551113065,
        method="POST",
        headers=headers,
        signed=["content-type", "host"],
        payload=payload,
    )
    assert header == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
        "SignedHeaders=content-type;host, "
        "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    )


def test_tencent_scope_date_is_the_utc_date_not_the_local_one():
    # 1551113065 is 2019-02-26 00:44 in Beijing but 2019-02-25 in UTC (the document's warning).
    header = tencent.authorization(
        secret_id="id",
        secret_key="key",
        service="sms",
        timestamp=1551113065,
        method="POST",
        headers={"Content-Type": "application/json", "Host": "h"},
        signed=["content-type", "host"],
        payload=json.dumps({}).encode(),
    )
    assert "/2019-02-25/sms/tc3_request" in header
