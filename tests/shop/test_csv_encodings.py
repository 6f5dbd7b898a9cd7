"""CSV files from a Chinese office: whatever Excel saved (UTF-8 with or without a byte order
mark, GBK/GB18030, UTF-16 "Unicode text"; commas, semicolons or tabs) imports without the owner
saying which, the result says what it read, and a file that is none of these changes nothing."""

import codecs
import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from shop import csv_io
from shop.csv_io import GB18030, UTF8, UTF16, UnreadableFile, decode, parse_import
from shop.models import ImportJob, Product, Variant

from ..factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db

COLUMNS = ["slug", "name_zh_hans", "category_zh_hans", "price", "size", "colour", "sku", "stock"]
ROWS = [
    ["linen-shirt", "亚麻衬衫", "衬衫", "189.00", "尺码M", "藏青", "LS-M-NAVY", "4"],
    ["linen-shirt", "亚麻衬衫", "衬衫", "189.00", "尺码L", "藏青", "LS-L-NAVY", "2"],
]


def table(delimiter: str = ",", rows=ROWS) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")  # as Excel writes
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def upload(owner_client, django_capture_on_commit_callbacks):
    """Post the bytes as the owner would, run the queued import, return (response, job)."""

    def post(data: bytes, name: str = "products.csv"):
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(
                reverse("shop_manage:product_import"),
                {"file": SimpleUploadedFile(name, data, "text/csv")},
            )
        return response, ImportJob.objects.order_by("-pk").first()

    return post


def status_page(owner_client, job, language="en") -> str:
    return owner_client.get(
        reverse("shop_manage:import_status", args=[job.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()


def imported() -> list[tuple]:
    return sorted(Variant.objects.values_list("product__name_zh_hans", "size", "colour", "stock"))


EXPECTED = [("亚麻衬衫", "尺码L", "藏青", 2), ("亚麻衬衫", "尺码M", "藏青", 4)]


# ------------------------------------------------------------------------- decode, no database
def test_a_gbk_file_saved_by_excel_reads_as_gb18030():
    data = table().encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the file really is not UTF-8
    text, encoding = decode(data)
    assert encoding == GB18030
    assert "亚麻衬衫" in text and "藏青" in text


def test_utf8_with_and_without_a_byte_order_mark_reads_as_utf8():
    for data in (table().encode("utf-8"), table().encode("utf-8-sig")):
        text, encoding = decode(data)
        assert encoding == UTF8
        assert text.startswith("slug,")  # no mark left on the first column's name


def test_short_utf8_is_not_taken_for_gb18030():
    # "亚麻" in UTF-8 is six bytes that GB18030 also reads, as three other characters.
    data = "亚麻".encode()
    assert data.decode("gb18030") != "亚麻"
    assert decode(data) == ("亚麻", UTF8)


def test_a_character_only_gb18030_has_reads():
    with pytest.raises(UnicodeEncodeError):
        "𠮷".encode("gbk")
    text, encoding = decode(table(rows=[[*ROWS[0][:1], "𠮷衬衫", *ROWS[0][2:]]]).encode("gb18030"))
    assert encoding == GB18030 and "𠮷衬衫" in text


def test_utf16_unicode_text_reads_by_its_byte_order_mark():
    for codec in ("utf-16", "utf-16-le", "utf-16-be"):
        bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(codec, b"")
        text, encoding = decode(bom + table("\t").encode(codec))
        assert encoding == UTF16 and text.startswith("slug\tname_zh_hans")


@pytest.mark.parametrize(
    "data, line, byte",
    [
        # GBK with one half of a character gone: 亚 is B1 C7 and the C7 was lost mid-file.
        (table().encode("gbk").replace("亚".encode("gbk"), b"\xb1", 1), 2, None),
        (table().encode("gbk") + b"\x81", 4, None),  # a lead byte cut off at the end
        (table().encode("gbk").replace(b"4\r\n", b"\xff\r\n", 1), 2, None),
        (b"slug,name\r\n\xff", 2, 12),
    ],
)
def test_bytes_that_are_neither_utf8_nor_gb18030_are_refused_with_where(data, line, byte):
    with pytest.raises(UnicodeDecodeError):
        data.decode("gb18030")  # GB18030 does not read every byte sequence
    with pytest.raises(UnreadableFile) as raised:
        decode(data)
    assert raised.value.line == line
    assert f"up to line {line}," in raised.value.reason
    if byte:
        assert f"byte {byte} (0xFF)" in raised.value.reason


def test_a_broken_utf16_file_is_refused_as_utf16():
    with pytest.raises(UnreadableFile) as raised:
        decode(codecs.BOM_UTF16_LE + "slug\n".encode("utf-16-le") + b"\x00\xd8")  # a lone half
    assert "says it is UTF-16" in raised.value.reason and raised.value.line == 2


def test_the_form_allows_a_character_cut_at_its_4096_byte_look():
    head = ("slug," + "亚" * 2100).encode("gbk")[:4096]  # ends half-way through a character
    with pytest.raises(UnicodeDecodeError):
        head.decode("gb18030")
    assert decode(head, final=False)[1] == GB18030


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_separator_comes_from_the_header_line(delimiter):
    result = parse_import(table(delimiter))
    assert result.errors == [] and result.delimiter == delimiter
    assert [v["sku"] for p in result.products for v in p.variants] == ["LS-M-NAVY", "LS-L-NAVY"]


def test_a_semicolon_file_with_a_decimal_comma_is_refused_not_multiplied():
    rows = [[*ROWS[0][:3], "189,00", *ROWS[0][4:]]]
    result = parse_import(table(";", rows))
    assert result.products == []
    assert "has a comma" in result.errors[0]["reason"]
    # With commas between the columns, "1,890.00" is still a thousands separator.
    quoted = table(",", [[*ROWS[0][:3], "1,890.00", *ROWS[0][4:]]])
    assert parse_import(quoted).products[0].fields["price"] == 1890


def test_a_file_with_another_separator_gets_a_hint():
    result = parse_import(table().replace(",", "|"))
    assert "single column" in result.errors[0]["reason"]


def test_row_reasons_are_one_sentence_in_the_readers_language():
    rows = [[*ROWS[0][:3], "abc", *ROWS[0][4:7], "x"]]
    with translation.override("en"):
        english = parse_import(table(rows=rows)).errors[0]["reason"]
    assert english.count("; ") == 1 and english.endswith(".")
    assert csv_io._sentence(["a", "b"]) == "a; b."


def test_the_row_sentence_ends_are_translatable_strings():
    # Each part is its own catalogue entry: Chinese joins with "；" and ends with "。".
    catalogue = {}

    def pgettext(context, message):
        catalogue[context] = message
        return {"; ": "；", "%(text)s.": "%(text)s。"}[message]

    original = csv_io.pgettext
    csv_io.pgettext = pgettext
    try:
        assert csv_io._sentence(["价格不是金额", "库存不能为负"]) == "价格不是金额；库存不能为负。"
    finally:
        csv_io.pgettext = original
    assert set(catalogue.values()) == {"; ", "%(text)s."}


# -------------------------------------------------------------------- the whole way, with a DB
@pytest.mark.parametrize(
    "data, read_as, separated",
    [
        (table().encode("gbk"), "Read as GBK/GB18030", "commas"),
        (table().encode("utf-8-sig"), "Read as UTF-8", "commas"),
        (table().encode("utf-8"), "Read as UTF-8", "commas"),
        (table(";").encode("gbk"), "Read as GBK/GB18030", "semicolons"),
        (table("\t").encode("utf-16"), "Read as UTF-16", "tabs"),
    ],
    ids=["gbk", "utf8-bom", "utf8", "gbk-semicolons", "unicode-text"],
)
def test_excel_files_import_and_say_what_was_read(owner_client, upload, data, read_as, separated):
    response, job = upload(data)
    assert response.status_code == 302, response.content.decode()[:500]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.errors
    assert imported() == EXPECTED
    page = status_page(owner_client, job)
    assert read_as in page and f"columns separated by {separated}" in page


def test_a_gb18030_only_character_imports(upload):
    rows = [[ROWS[0][0], "𠮷衬衫", *ROWS[0][2:]]]
    _, job = upload(table(rows=rows).encode("gb18030"))
    assert job.status == ImportJob.Status.DONE, job.errors
    assert Product.objects.get().name_zh_hans == "𠮷衬衫"
    assert job.encoding == GB18030


def test_the_result_says_gbk_in_chinese(owner_client, upload):
    _, job = upload(table().encode("gbk"))
    page = status_page(owner_client, job, "zh-hans")
    assert 'id="read-as"' in page
    with translation.override("zh-hans"):
        assert translation.gettext("Read as GBK/GB18030") in page


def test_a_broken_byte_past_the_forms_look_fails_the_job_and_changes_nothing(owner_client, upload):
    product = ProductFactory(slug="linen-shirt", name_zh_hans="旧名字")
    VariantFactory(product=product, size="尺码M", colour="藏青", sku="LS-M-NAVY", stock=9)
    filler = [["linen-shirt", "亚麻衬衫", "衬衫", "189.00", f"码{n}", "藏青", f"F-{n}", "1"]
              for n in range(300)]  # fmt: skip
    data = table(rows=[*ROWS, *filler]).encode("gbk")
    assert len(data) > 4096
    data = data[:-3] + b"\xff" + data[-2:]  # the last row's stock: a broken byte at the end
    response, job = upload(data)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.errors[0]["line"] == 303
    assert "neither UTF-8 nor GBK/GB18030" in job.errors[0]["reason"]
    assert Product.objects.get().name_zh_hans == "旧名字"
    assert Variant.objects.get().stock == 9
    page = status_page(owner_client, job)
    assert "neither UTF-8 nor GBK/GB18030" in page and "Nothing was imported" in page


def test_a_broken_byte_in_the_first_kilobytes_is_refused_by_the_form(owner_client, upload):
    data = table().encode("gbk").replace("亚".encode("gbk"), b"\xb1", 1)
    response, job = upload(data)
    assert response.status_code == 422
    assert job is None and Product.objects.count() == 0
    assert "neither UTF-8 nor GBK/GB18030" in response.content.decode()
    assert "line 2" in response.content.decode()


def test_the_product_export_opens_in_excel_on_a_chinese_pc(owner_client):
    product = ProductFactory(slug="linen-shirt", name_zh_hans="亚麻衬衫")
    VariantFactory(product=product, size="M", colour="藏青", sku="LS-M", stock=3)
    data = owner_client.get(reverse("shop_manage:product_export")).content
    assert data.startswith(codecs.BOM_UTF8 + b"slug,")
    assert "亚麻衬衫".encode() in data and "亚麻衬衫".encode("gbk") not in data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0]["slug"] == "linen-shirt" and rows[0]["colour"] == "藏青"
