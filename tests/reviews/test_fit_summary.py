"""The fit summary says "most" only for a strict majority, and nothing under the minimum."""

import re

import pytest
from django.utils import translation

from reviews.models import ReviewSummary

from ..factories import ProductFactory, VariantFactory
from .helpers import delivered_order, review

pytestmark = pytest.mark.django_db


def summary(small=0, true=0, large=0):
    return ReviewSummary(fit_small=small, fit_true=true, fit_large=large)


def product_with_fits(*fits):
    product = ProductFactory()
    for n, fit in enumerate(fits):
        variant = VariantFactory(product=product, size=f"S{n}", stock=3)
        review(delivered_order(variant).lines.get(), fit=fit)
    return product


def fit_block(client, product, **headers):
    html = client.get(product.get_absolute_url(), **headers).content.decode()
    match = re.search(r'<div class="fit" id="fit-summary">(.*?)</div>\s*</div>', html, re.S)
    return re.sub(r"\s+", " ", match.group(1)) if match else None


@pytest.mark.parametrize(
    "counts, majority",
    [
        ((2, 1, 0), "small"),  # 3 answers, 2-1: a majority
        ((2, 2, 0), None),  # 4 answers, 2-2: a tie, no majority
        ((1, 1, 1), None),  # a three-way tie
        ((0, 3, 1), "true"),
        ((1, 0, 3), "large"),
        ((3, 3, 1), None),  # 3 of 7 leads but is not more than half
    ],
)
def test_most_only_for_a_strict_majority(counts, majority):
    fit = summary(*counts).fit_summary()
    assert fit["majority"] == majority
    assert fit["total"] == sum(counts)
    assert [s["count"] for s in fit["shares"]] == list(counts)
    assert [s["fit"] for s in fit["shares"]] == ["small", "true", "large"]


def test_nothing_under_the_minimum_number_of_answers(settings):
    assert summary(1, 1).fit_summary() is None  # the reported case: 2 answers
    assert summary(2).fit_summary() is None
    assert summary().fit_summary() is None
    assert summary(2, 1).fit_summary() is not None
    settings.REVIEWS_FIT_MIN_ANSWERS = 5
    assert summary(2, 2).fit_summary() is None
    assert summary(3, 2).fit_summary()["majority"] == "small"
    settings.REVIEWS_FIT_MIN_ANSWERS = 1
    assert summary(1).fit_summary()["majority"] == "small"


def test_the_percentages_follow_the_counts():
    shares = summary(2, 1, 0).fit_summary()["shares"]
    assert [s["percent"] for s in shares] == [67, 33, 0]


def test_two_split_answers_show_no_fit_summary(client):
    product = product_with_fits("true", "small")
    html = client.get(product.get_absolute_url()).content.decode()
    assert 'id="fit-summary"' not in html
    assert "Most buyers" not in html and "50%" not in html


def test_three_answers_two_to_one_say_most(client):
    block = fit_block(client, product_with_fits("small", "small", "true"))
    assert "3 buyers answered" in block
    assert "Runs small: 67% (2 answers)" in block
    assert "True to size: 33% (1 answer)" in block
    assert "Runs large: 0% (0 answers)" in block
    assert "Most buyers would take one size up." in block


def test_four_answers_two_to_two_do_not_say_most(client):
    block = fit_block(client, product_with_fits("small", "small", "true", "true"))
    assert "4 buyers answered" in block
    assert "Runs small: 50% (2 answers)" in block and "True to size: 50% (2 answers)" in block
    assert "Most" not in block
    assert "Buyers are divided on the fit" in block


def test_a_true_to_size_majority_says_so(client):
    block = fit_block(client, product_with_fits("true", "true", "large"))
    assert "Most buyers find it true to size." in block and "size up" not in block


def test_in_chinese_most_only_for_a_majority(client):
    majority = product_with_fits("large", "large", "true")
    tie = product_with_fits("small", "small", "large", "large")
    with translation.override("zh-hans"):
        block = fit_block(client, majority, HTTP_ACCEPT_LANGUAGE="zh-hans")
        tied = fit_block(client, tie, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "大多数买家建议选小一码。" in block and "尺码偏大" in block and "67%" in block
    assert "大多数" not in tied and "50%" in tied and "尺码偏小" in tied
