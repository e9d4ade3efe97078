"""privacy.mask: ID numbers with a valid check digit (and old 15-digit ones), mobile numbers."""

from __future__ import annotations

import pytest
from baosong.privacy import find_personal_data, id15_valid, id18_valid, mask
from portal_helpers import BAD_ID18, ID15, ID18, ID18_X, MOBILE


def test_valid_check_digits_are_recognised():
    assert id18_valid(ID18) and id18_valid(ID18_X) and id18_valid(ID18_X.lower())
    assert not id18_valid(BAD_ID18)
    assert id15_valid(ID15)
    assert not id15_valid("110105491331002")  # month 13


@pytest.mark.parametrize("number", [ID18, ID18_X, ID18_X[:-1] + "x", "１１０１０５１９４９１２３１００２Ｘ"])
def test_id18_is_masked_keeping_region_and_last_four(number):
    out = mask(f"身份证号{number}。")
    assert number[6:14] not in out  # the birth date
    assert out.startswith("身份证号") and out.endswith("。")
    assert "********" in out


def test_id18_with_spaces_between_groups():
    spaced = f"{ID18[:6]} {ID18[6:14]} {ID18[14:]}"
    assert mask(spaced) == f"{ID18[:6]} ******** {ID18[14:]}"


def test_wrong_check_digit_is_left_alone():
    text = f"合同编号{BAD_ID18}"
    assert mask(text) == text
    assert find_personal_data(text) == []


def test_old_id_with_a_valid_date_is_masked_and_invalid_date_is_not():
    assert mask(f"旧证{ID15}") == f"旧证{ID15[:6]}******{ID15[-3:]}"
    assert mask("编号110105491331002") == "编号110105491331002"


@pytest.mark.parametrize("text,expected", [
    (f"电话{MOBILE}", "电话138****5678"),
    ("电话138-1234-5678", "电话138-****-5678"),
    ("电话 138 1234 5678", "电话 138 **** 5678"),
    ("+8613812345678", "+86138****5678"),
    ("0086 13812345678", "0086 138****5678"),
])
def test_mobile_numbers(text, expected):
    assert mask(text) == expected
    assert find_personal_data(expected) == []


def test_digits_glued_to_longer_numbers_are_not_personal_data():
    for text in ("订单号213812345678999", "流水号1138123456789", "2026年11月20日12时30分", "金额13800000000000元",
                 "351.828316610925310", "0.13812345678", "13812345678.5", f"1.{ID18}"):
        assert mask(text) == text


def test_find_reports_every_kind():
    found = find_personal_data(f"{ID18} {ID15} {MOBILE} {BAD_ID18}")
    assert found == [ID18, ID15, MOBILE]


def test_non_strings_pass_through():
    assert mask(None) is None  # type: ignore[arg-type]
    assert mask("没有数字") == "没有数字"
