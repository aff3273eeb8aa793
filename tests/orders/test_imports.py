import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from orders import imports, services
from orders.models import Buyer, ImportJob, Order, OrderItem

pytestmark = pytest.mark.django_db

HEADER = ["order-id", "purchase-date", "buyer-email", "buyer-name", "buyer-phone-number", "sku", "product-name",
          "quantity-purchased", "item-price", "currency", "ship-city", "ship-postal-code", "ship-country",
          "tracking-number"]  # fmt: skip
GOOD_1 = ["111-1", "2025-03-01T10:00:00+00:00", "ann@example.test", "Ann Lee", "+1 415 555 2671", "SOCK", "Socks",
          "2", "19.90", "USD", "Austin", "73301", "US", "1Z999"]  # fmt: skip
GOOD_1B = ["111-1", "", "", "", "", "CAP", "Cap", "1", "10.00", "", "", "", "", ""]
BAD_PHONE = ["111-2", "2025-03-02T10:00:00+00:00", "bo@example.test", "Bo", "12", "SOCK", "Socks", "1", "9.95",
             "USD", "Berlin", "10115", "DE", ""]  # fmt: skip
NO_ID = ["", "2025-03-02", "cy@example.test", "Cy", "", "SOCK", "Socks", "1", "9.95", "USD", "", "", "US", ""]
BAD_QTY = ["111-3", "2025-03-03 08:00:00", "di@example.test", "Di", "", "SOCK", "Socks", "many", "9.95", "USD",
           "Paris", "75008", "FR", ""]  # fmt: skip
GOOD_2 = ["111-4", "2025/03/04 09:30", "ed@example.test", "Ed", "06 12 34 56 78", "SOCK", "Socks", "1", "9.95",
          "EUR", "Lyon", "69001", "FR", ""]  # fmt: skip


def csv_bytes(rows, delimiter=",", encoding="utf-8", bom=False) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def run_import(store, content, filename="orders.csv", mapping=None):
    job = services.create_import(store=store, filename=filename, content=content, user=None)
    if mapping is not None:
        services.set_import_mapping(job=job, mapping=mapping)
    services.start_import(job=job)  # eager in tests: runs on commit
    services.run_import(job_id=job.pk)  # (on_commit does not fire inside the test transaction)
    job.refresh_from_db()
    return job


def test_a_file_with_broken_rows_imports_the_good_ones_and_reports_the_bad(store_a):
    content = csv_bytes([HEADER, GOOD_1, GOOD_1B, BAD_PHONE, NO_ID, BAD_QTY, GOOD_2], delimiter="\t")
    job = run_import(store_a, content, filename="amazon-report.txt")
    assert job.status == ImportJob.Status.DONE
    assert (job.created_count, job.error_count) == (2, 3)
    assert job.processed_rows == job.total_rows == 6
    assert set(Order.objects.values_list("external_id", flat=True)) == {"111-1", "111-4"}
    assert OrderItem.objects.filter(order__external_id="111-1").count() == 2
    ann = Order.objects.get(external_id="111-1")
    assert ann.buyer.phone == "+14155552671" and ann.tracking_number == "1Z999"
    assert str(ann.items.get(sku="SOCK").unit_price) == "9.95"  # item-price is for the whole quantity
    assert Order.objects.get(external_id="111-4").buyer.phone == "+33612345678"
    errors = {(e["row"], e["column"]) for e in job.errors}
    assert errors == {(4, "buyer-phone-number"), (5, "order-id"), (6, "quantity-purchased")}
    assert job.content is None  # the file's personal data is not kept after the import


def test_the_error_report_downloads_as_csv(client_a, store_a):
    job = run_import(store_a, csv_bytes([HEADER, BAD_PHONE, GOOD_2]))
    response = client_a.get(f"/orders/import/{job.pk}/errors.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Row", "Column", "Message"]
    assert rows[1][:2] == ["2", "buyer-phone-number"] and "DE" in rows[1][2]


def test_importing_the_same_file_again_changes_nothing(store_a):
    content = csv_bytes([HEADER, GOOD_1, GOOD_1B, GOOD_2])
    run_import(store_a, content)
    snapshot = list(Order.objects.order_by("pk").values_list("pk", "updated_at"))
    events = sum(o.events.count() for o in Order.objects.all())
    second = run_import(store_a, content)
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 2)
    assert list(Order.objects.order_by("pk").values_list("pk", "updated_at")) == snapshot
    assert sum(o.events.count() for o in Order.objects.all()) == events


def test_gb18030_files_from_chinese_excel_are_read(store_a):
    header = ["订单号", "下单时间", "买家姓名", "买家邮箱", "电话", "国家", "城市", "邮编", "商品名称", "SKU",
              "数量", "单价", "币种", "运单号"]  # fmt: skip
    rows = [
        header,
        ["CN-1", "2025/03/01 10:00", "王小明", "wang@example.test", "138 0013 8000", "中国", "深圳", "518000",
         "蓝牙耳机", "BT-1", "1", "199.00", "CNY", "SF123 456"],
        ["CN-2", "2025年03月02日", "Müller", "mueller@example.test", "", "德国", "München", "80331", "保温杯",
         "CUP", "2", "15,50", "EUR", ""],
    ]  # fmt: skip
    content = csv_bytes(rows, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    job = run_import(store_a, content)
    assert job.encoding == "gb18030" and job.error_count == 0, job.errors
    wang = Order.objects.get(external_id="CN-1")
    assert wang.buyer.name == "王小明" and wang.ship_country == "CN" and wang.buyer.phone == "+8613800138000"
    assert wang.items.get().title == "蓝牙耳机" and wang.tracking_number == "SF123456"
    mueller = Order.objects.get(external_id="CN-2")
    assert mueller.ship_country == "DE" and mueller.buyer.city == "München"
    assert str(mueller.items.get().unit_price) == "15.50"


def test_utf8_files_with_a_bom_are_read(store_a):
    job = run_import(store_a, csv_bytes([HEADER, GOOD_1], bom=True))
    assert job.encoding == "utf-8-sig"
    assert job.headers[0] == "order-id"
    assert job.created_count == 1


def test_a_shopify_export_is_guessed_and_grouped_by_order(store_a):
    header = ["Name", "Email", "Financial Status", "Fulfillment Status", "Accepts Marketing", "Currency", "Total",
              "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem sku", "Shipping Name",
              "Shipping Address1", "Shipping City", "Shipping Zip", "Shipping Province", "Shipping Country",
              "Shipping Phone", "Cancelled at", "Id"]  # fmt: skip
    rows = [
        header,
        ["#1001", "sophie@example.test", "paid", "fulfilled", "yes", "EUR", "53.91", "2025-10-07 09:50:26 +0200", "1",
         "Masque", "34.90", "MSK-1", "Sophie G", "13 rue de Berri", "Paris", "'75008", "", "FR", "+33610826417", "",
         "7410991464714"],
        ["#1001", "sophie@example.test", "", "", "", "", "", "2025-10-07 09:50:26 +0200", "2", "Serum", "9.50",
         "SRM-1", "", "", "", "", "", "", "", "", ""],
        ["#1002", "tom@example.test", "refunded", "fulfilled", "no", "USD", "20.00", "2025-10-08 10:00:00 -0400", "1",
         "Soap", "20.00", "SOAP", "Tom B", "1 Elm St", "Albany", "12207", "NY", "US", "", "", "7410991464999"],
    ]  # fmt: skip
    job = services.create_import(store=store_a, filename="orders_export.csv", content=csv_bytes(rows), user=None)
    assert job.mapping["external_id"] == "Id" and job.mapping["number"] == "Name"
    assert job.mapping["marketing_consent"] == "Accepts Marketing" and job.mapping["sku"] == "Lineitem sku"
    services.start_import(job=job)
    services.run_import(job_id=job.pk)
    job.refresh_from_db()
    assert job.error_count == 0, job.errors
    first = Order.objects.get(external_id="7410991464714")
    assert first.number == "#1001" and first.items.count() == 2 and first.ship_postal_code == "75008"
    assert first.buyer.consents.get().status == "granted"
    assert first.placed_at.isoformat() == "2025-10-07T07:50:26+00:00"
    second = Order.objects.get(external_id="7410991464999")
    assert second.refunded and not second.buyer.consents.exists()


def test_an_amazon_report_is_guessed():
    header = ["amazon-order-id", "merchant-order-id", "purchase-date", "order-status", "fulfillment-channel",
              "product-name", "sku", "asin", "quantity", "currency", "item-price", "ship-city", "ship-state",
              "ship-postal-code", "ship-country"]  # fmt: skip
    mapping = imports.guess_mapping(header)
    assert mapping["external_id"] == "amazon-order-id"
    assert mapping["product_id"] == "asin" and mapping["line_price"] == "item-price"
    assert mapping["fulfillment_channel"] == "fulfillment-channel" and mapping["ship_region"] == "ship-state"


def test_xlsx_files_are_imported(store_a):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    import datetime as dt

    row = list(GOOD_1)
    row[1] = dt.datetime(2025, 3, 1, 18, 0)  # a real Excel date cell, read in the merchant's zone
    row[7] = 2
    sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    job = run_import(store_a, out.getvalue(), filename="orders.xlsx")
    assert job.file_format == "xlsx" and job.created_count == 1, job.errors
    order = Order.objects.get()
    assert order.placed_at.isoformat() == "2025-03-01T18:00:00+00:00"  # the test merchant's zone is UTC


def test_unreadable_files_are_refused_with_a_reason(store_a):
    from django.core.exceptions import ValidationError

    for content, name in [(b"", "empty.csv"), (b"PK\x03\x04garbage", "broken.xlsx")]:
        with pytest.raises(ValidationError) as exc:
            services.create_import(store=store_a, filename=name, content=content, user=None)
        assert exc.value.message_dict["file"]


def test_the_upload_page_maps_previews_and_imports_with_progress(client_a, store_a):
    page = client_a.get("/orders/import/")
    assert page.status_code == 200 and b"amazon-order-id" in page.content
    upload = SimpleUploadedFile("report.csv", csv_bytes([HEADER, GOOD_1, BAD_PHONE]), content_type="text/csv")
    response = client_a.post("/orders/import/", {"store": store_a.pk, "file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    detail = client_a.get(response["Location"])
    assert detail.status_code == 200
    assert b"ann@example.test" in detail.content  # preview of the first rows
    assert b"buyer-phone-number" in detail.content and b"Not a valid phone number" in detail.content
    assert b"<script" in detail.content and b"import.js" in detail.content and b"onclick" not in detail.content

    mapping = {t: job.mapping.get(t, "") for t in imports.TARGETS}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda fn, *a, **k: fn())
        response = client_a.post(detail.request["PATH_INFO"], {**mapping, "action": "start"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    progress = client_a.get(f"/orders/import/{job.pk}/progress/").json()
    assert progress["finished"] and progress["percent"] == 100
    assert (progress["created"], progress["errors"]) == (1, 1)
    assert Buyer.objects.filter(email="ann@example.test").exists()
    again = client_a.post(detail.request["PATH_INFO"], {**mapping, "action": "start"})
    assert again.status_code == 302 and Order.objects.count() == 1


def test_the_mapping_needs_an_order_id_column(client_a, store_a):
    upload = SimpleUploadedFile("report.csv", csv_bytes([HEADER, GOOD_1]), content_type="text/csv")
    client_a.post("/orders/import/", {"store": store_a.pk, "file": upload})
    job = ImportJob.objects.get()
    response = client_a.post(f"/orders/import/{job.pk}/", {"buyer_email": "buyer-email", "action": "start"})
    assert response.status_code == 200 and b"order id" in response.content
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED


def test_a_viewer_cannot_import(alice, store_a):
    from accounts.roles import Role
    from tests.conftest import logged_in_client
    from tests.factories.accounts import MembershipFactory

    viewer = MembershipFactory(merchant=alice.merchant, role=Role.VIEWER).user
    assert logged_in_client(viewer).get("/orders/import/").status_code == 403
