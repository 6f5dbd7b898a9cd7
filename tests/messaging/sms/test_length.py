"""SMS length as Chinese providers bill it: 70 with the 【sign name】, then 67 a part."""

import pytest

from messaging.sms import sms_length
from messaging.sms.length import MAX_CHARS


def test_the_sign_name_and_its_brackets_count():
    # 【织里衣坊】 is 6 characters: 64 more make exactly one message.
    assert sms_length("衣" * 64, "织里衣坊").chars == 70
    assert sms_length("衣" * 64, "织里衣坊").parts == 1
    assert sms_length("衣" * 65, "织里衣坊").parts == 2  # 71: a long SMS, 67 a part


@pytest.mark.parametrize(
    ("chars", "parts"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_parts_are_67_characters_once_longer_than_70(chars, parts):
    assert sms_length("a" * chars).parts == parts


def test_latin_letters_digits_and_spaces_count_one_each_like_chinese():
    assert sms_length("Order 1024 shipped").chars == 18
    assert sms_length("订单已发货").chars == 5


def test_emoji_count_two():
    assert sms_length("👍").chars == 2


def test_empty_is_nothing_to_send_and_the_cap_is_500():
    assert sms_length("").parts == 0
    assert sms_length("a" * MAX_CHARS).allowed
    assert not sms_length("a" * MAX_CHARS, "签名").allowed
    assert sms_length("a" * 10).fits_one and not sms_length("a" * 71).fits_one
