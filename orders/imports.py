"""CSV / XLSX order files: reading, column guesses, grouping rows into orders, preview and import.

Files are read as UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text") or GB18030
(Chinese Excel's default, a superset of GBK / GB2312); CSV delimiters (comma, tab, semicolon, pipe) are
sniffed, so Amazon's tab-separated order reports open as they are. Rows that share an order id are one
order with one item per row (Shopify and Amazon both export an order this way); a row without an order
id continues the order above it when its order number matches (Shopify fills some columns only on an
order's first line).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .parsing import FieldError, parse_bool, parse_decimal, parse_quantity

MAX_DATA_ROWS = 100_000
PREVIEW_ORDERS = 10


class UnreadableFile(ValueError):
    """The file cannot be read as a table; the message says why (shown to the merchant)."""


# Target fields a column can be mapped to, with their labels (shown in the mapping form).
TARGETS: dict[str, Any] = {
    "external_id": gettext_lazy("Order id"),
    "number": gettext_lazy("Order number shown to the buyer"),
    "placed_at": gettext_lazy("Order date"),
    "currency": gettext_lazy("Currency"),
    "total": gettext_lazy("Order total"),
    "status": gettext_lazy("Order status"),
    "financial_status": gettext_lazy("Payment status (refunded, voided)"),
    "cancelled_at": gettext_lazy("Cancelled at"),
    "fulfillment_channel": gettext_lazy("Fulfilment channel (FBA / FBM)"),
    "carrier": gettext_lazy("Carrier"),
    "tracking_number": gettext_lazy("Tracking number"),
    "shipped_at": gettext_lazy("Shipped at"),
    "delivered_at": gettext_lazy("Delivered at (signed for)"),
    "earliest_delivery_date": gettext_lazy("Earliest delivery date"),
    "latest_delivery_date": gettext_lazy("Latest delivery date"),
    "buyer_external_id": gettext_lazy("Customer id"),
    "buyer_name": gettext_lazy("Buyer name"),
    "buyer_email": gettext_lazy("Buyer email"),
    "buyer_phone": gettext_lazy("Buyer phone"),
    "buyer_language": gettext_lazy("Buyer language"),
    "marketing_consent": gettext_lazy("Accepts email marketing"),
    "ship_name": gettext_lazy("Recipient name"),
    "ship_line1": gettext_lazy("Ship-to address line 1"),
    "ship_line2": gettext_lazy("Ship-to address line 2"),
    "ship_city": gettext_lazy("Ship-to city"),
    "ship_region": gettext_lazy("Ship-to state / province"),
    "ship_postal_code": gettext_lazy("Ship-to postal code"),
    "ship_country": gettext_lazy("Ship-to country"),
    "ship_phone": gettext_lazy("Recipient phone"),
    "sku": gettext_lazy("Item SKU"),
    "product_id": gettext_lazy("Item product id (ASIN)"),
    "item_title": gettext_lazy("Item title"),
    "quantity": gettext_lazy("Item quantity"),
    "unit_price": gettext_lazy("Item unit price"),
    "line_price": gettext_lazy("Item price for the whole quantity"),
    "category": gettext_lazy("Item category"),
}

# Column names recognised per target (compared lower-case without spaces, dashes, underscores or
# punctuation): Amazon order reports (flat file and "All Orders"), Shopify's order export, WooCommerce
# order exports, common Chinese ERP exports, and Linkstar's own field names.
GUESSES: dict[str, list[str]] = {
    "external_id": ["external_id", "amazon-order-id", "order-id", "order_id", "order id", "id", "订单号",
                    "平台订单号", "订单编号", "订单id"],
    "number": ["number", "name", "order number", "order_number", "order #", "order no", "订单显示号"],
    "placed_at": ["placed_at", "purchase-date", "created at", "order date", "order_date", "date", "下单时间",
                  "订单时间", "创建时间"],
    "currency": ["currency", "order_currency", "币种", "货币"],
    "total": ["total", "order total", "order_total", "订单金额", "订单总额", "总金额"],
    "status": ["status", "order-status", "order status", "fulfillment status", "订单状态"],
    "financial_status": ["financial status", "payment status"],
    "cancelled_at": ["cancelled at", "canceled at", "取消时间"],
    "fulfillment_channel": ["fulfillment_channel", "fulfillment-channel", "fulfilment channel", "配送方式"],
    "carrier": ["carrier", "carrier-name", "shipping carrier", "tracking company", "物流方式", "承运商",
                "物流公司", "物流渠道"],
    "tracking_number": ["tracking_number", "tracking-number", "tracking number", "tracking", "跟踪号",
                        "运单号", "物流单号", "追踪号", "快递单号"],
    "shipped_at": ["shipped_at", "shipment-date", "fulfilled at", "shipped at", "ship date", "date shipped",
                   "发货时间"],
    "delivered_at": ["delivered_at", "delivered at", "delivery date", "date delivered", "签收时间", "妥投时间"],
    "earliest_delivery_date": ["earliest_delivery_date", "delivery-start-date", "earliest-delivery-date"],
    "latest_delivery_date": ["latest_delivery_date", "delivery-end-date", "latest-delivery-date"],
    "buyer_external_id": ["customer id", "customer_id", "customer_user", "客户id"],
    "buyer_name": ["buyer-name", "buyer name", "billing name", "customer name", "customer", "billing full name",
                   "买家姓名", "买家", "客户姓名"],
    "buyer_email": ["buyer-email", "buyer email", "email", "billing email", "billing_email", "customer email",
                    "买家邮箱", "邮箱", "电子邮件"],
    "buyer_phone": ["buyer-phone-number", "buyer phone", "phone", "billing phone", "billing_phone",
                    "买家电话", "电话", "联系电话"],
    "buyer_language": ["buyer language", "language", "语言"],
    "marketing_consent": ["accepts marketing", "accepts email marketing", "marketing consent", "接受营销邮件"],
    "ship_name": ["recipient-name", "shipping name", "shipping full name", "收件人", "收货人"],
    "ship_line1": ["ship-address-1", "shipping address1", "shipping_address_1", "shipping address 1",
                   "shipping street", "地址1", "收货地址", "地址"],
    "ship_line2": ["ship-address-2", "shipping address2", "shipping_address_2", "shipping address 2", "地址2"],
    "ship_city": ["ship-city", "shipping city", "shipping_city", "城市"],
    "ship_region": ["ship-state", "shipping province", "shipping province name", "shipping_state",
                    "shipping state", "州/省", "省/州", "州", "省份"],
    "ship_postal_code": ["ship-postal-code", "ship-zip", "shipping zip", "shipping_postcode", "shipping postcode",
                         "邮编", "邮政编码"],
    "ship_country": ["ship-country", "shipping country", "shipping_country", "country", "国家", "国家/地区",
                     "收货国家"],
    "ship_phone": ["ship-phone-number", "shipping phone", "shipping_phone", "收件人电话", "收货人电话"],
    "sku": ["sku", "lineitem sku", "seller sku", "seller-sku", "item sku", "商品sku", "产品sku"],
    "product_id": ["asin", "product-id", "product id", "product_id", "商品id"],
    "item_title": ["product-name", "item-name", "lineitem name", "item name", "product name", "item title",
                   "商品名称", "产品名称", "商品标题"],
    "quantity": ["quantity-purchased", "quantity", "lineitem quantity", "qty", "item quantity", "数量",
                 "购买数量"],
    "unit_price": ["lineitem price", "unit price", "item cost", "unit_price", "单价"],
    "line_price": ["item-price", "item price", "line total", "商品金额"],
    "category": ["category", "product category", "类目", "分类"],
}  # fmt: skip


def fold_header(header: str) -> str:
    value = unicodedata.normalize("NFKC", header or "").strip().lower().lstrip("\ufeff")
    return re.sub(r"[\s\-_#./()（）:：]+", "", value)


_GUESS_INDEX = {fold_header(name): target for target, names in GUESSES.items() for name in names}


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """target -> header, from column names of common exports; the first matching column wins."""
    mapping: dict[str, str] = {}
    for header in headers:
        target = _GUESS_INDEX.get(fold_header(header))
        if target and target not in mapping:
            mapping[target] = header
    if "external_id" not in mapping and "number" in mapping:
        mapping["external_id"] = mapping.pop("number")
    return mapping


# --- reading files -------------------------------------------------------------------------------------


def decode(content: bytes) -> tuple[str, str]:
    """(text, encoding name): UTF-8 (BOM or not), UTF-16 with BOM, else GB18030."""
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16"), "utf-16"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise UnreadableFile(_("The file is neither UTF-8 nor GB18030 text. Save it as CSV UTF-8.")) from None


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]  # data rows, each as long as headers
    encoding: str = ""
    first_line: int = 2  # file line number of rows[0] (the header is line first_line - 1)


def _table(raw_rows: Iterator[list[Any]], encoding: str) -> Table:
    headers: list[str] | None = None
    rows: list[list[Any]] = []
    line = 0
    first_line = 2
    for raw in raw_rows:
        line += 1
        cells = ["" if v is None else v for v in raw]
        if headers is None:
            if not any(str(c).strip() for c in cells):
                continue
            headers = [str(c).strip().lstrip("\ufeff") for c in cells]
            first_line = line + 1
            continue
        if not any(str(c).strip() for c in cells):
            rows.append([""] * len(headers))  # keep line numbers right; empty rows are skipped later
            continue
        if len(rows) >= MAX_DATA_ROWS:
            raise UnreadableFile(
                _("The file has more than %(n)d rows; split it into smaller files.") % {"n": MAX_DATA_ROWS}
            )
        cells = (cells + [""] * len(headers))[: len(headers)]
        rows.append(cells)
    if not headers:
        raise UnreadableFile(_("The file is empty."))
    if len(set(headers)) != len(headers):
        seen: dict[str, int] = {}
        unique = []
        for h in headers:
            seen[h] = seen.get(h, 0) + 1
            unique.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
        headers = unique
    return Table(headers=headers, rows=rows, encoding=encoding, first_line=first_line)


def read_table(content: bytes, filename: str) -> Table:
    """The file as a header row and data rows; raises UnreadableFile with a reason."""
    if filename.lower().endswith((".xlsx", ".xlsm")) or content[:2] == b"PK":
        return _read_xlsx(content)
    text, encoding = decode(content)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _table(reader, encoding)
    except csv.Error as exc:
        raise UnreadableFile(_("The CSV file is malformed: %(error)s") % {"error": exc}) from None


def _read_xlsx(content: bytes) -> Table:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise UnreadableFile(_("This is not an Excel .xlsx file Linkstar can read.")) from None
    try:
        sheet = workbook["Orders"] if "Orders" in workbook.sheetnames else workbook.worksheets[0]
        return _table((list(r) for r in sheet.iter_rows(values_only=True)), "xlsx")
    finally:
        workbook.close()


# --- rows to orders ----------------------------------------------------------------------------------


@dataclass
class OrderGroup:
    """One order assembled from one or more file rows."""

    lines: list[int] = field(default_factory=list)  # file line numbers
    row: dict[str, Any] = field(default_factory=dict)  # the order as upsert_orders reads it
    errors: list[dict[str, str]] = field(default_factory=list)  # {"column", "message"} found while grouping
    item_lines: list[int] = field(default_factory=list)  # file line of each item


ORDER_TARGETS = {
    "number": "number",
    "placed_at": "placed_at",
    "currency": "currency",
    "total": "total",
    "status": "status",
    "fulfillment_channel": "fulfillment_channel",
    "carrier": "carrier",
    "tracking_number": "tracking_number",
    "shipped_at": "shipped_at",
    "delivered_at": "delivered_at",
    "earliest_delivery_date": "earliest_delivery_date",
    "latest_delivery_date": "latest_delivery_date",
}
SHIP_TARGETS = {
    "ship_name": "name",
    "ship_line1": "line1",
    "ship_line2": "line2",
    "ship_city": "city",
    "ship_region": "region",
    "ship_postal_code": "postal_code",
    "ship_country": "country",
}
BUYER_TARGETS = {
    "buyer_external_id": "external_id",
    "buyer_name": "name",
    "buyer_email": "email",
    "buyer_phone": "phone",
    "buyer_language": "language",
}
ITEM_TARGETS = ("sku", "product_id", "item_title", "quantity", "unit_price", "line_price", "category")

# Where a field error of upsert_orders points, as the target whose column to blame.
FIELD_TO_TARGET = {
    **{v: k for k, v in ORDER_TARGETS.items()},
    "external_id": "external_id",
    "cancelled": "cancelled_at",
    "refunded": "financial_status",
    **{f"ship_to.{v}": k for k, v in SHIP_TARGETS.items()},
    **{f"buyer.{v}": k for k, v in BUYER_TARGETS.items()},
    "items.sku": "sku",
    "items.product_id": "product_id",
    "items.title": "item_title",
    "items.quantity": "quantity",
    "items.unit_price": "unit_price",
    "items.category": "category",
}


def _cell(row: list[Any], index: dict[str, int], mapping: dict[str, str], target: str) -> Any:
    header = mapping.get(target)
    if not header or header not in index:
        return ""
    value = row[index[header]]
    return value.strip() if isinstance(value, str) else value


def group_orders(table: Table, mapping: dict[str, str]) -> list[OrderGroup]:
    """The table's rows as orders (see the module docstring for the grouping rule)."""
    index = {h: i for i, h in enumerate(table.headers)}
    if "external_id" not in mapping and "number" in mapping:
        mapping = {**mapping, "external_id": mapping["number"]}
    groups: dict[str, OrderGroup] = {}
    ordered: list[OrderGroup] = []
    previous_key, previous_number = None, None
    for offset, row in enumerate(table.rows):
        line = table.first_line + offset
        if not any(str(c).strip() for c in row):
            continue
        key = str(_cell(row, index, mapping, "external_id") or "").strip()
        number = str(_cell(row, index, mapping, "number") or "").strip()
        if not key and previous_key is not None and number and number == previous_number:
            key = previous_key
        if not key:
            group = OrderGroup(lines=[line])
            column = mapping.get("external_id", "")
            group.errors.append({"column": column, "message": _("This row has no order id.")})
            ordered.append(group)
            previous_key, previous_number = None, None
            continue
        group = groups.get(key)
        if group is None:
            group = groups[key] = OrderGroup(row={"external_id": key, "ship_to": {}, "buyer": {}, "items": []})
            ordered.append(group)
        group.lines.append(line)
        _merge_row(group, row, index, mapping, line)
        previous_key, previous_number = key, number or previous_number
    return ordered


def _first(target_dict: dict, key: str, value: Any) -> None:
    if value not in ("", None) and target_dict.get(key) in ("", None):
        target_dict[key] = value


def _merge_row(group: OrderGroup, row: list[Any], index: dict[str, int], mapping: dict[str, str], line: int) -> None:
    order = group.row
    cell = lambda target: _cell(row, index, mapping, target)  # noqa: E731
    for target, name in ORDER_TARGETS.items():
        _first(order, name, cell(target))
    for target, name in SHIP_TARGETS.items():
        _first(order["ship_to"], name, cell(target))
    for target, name in BUYER_TARGETS.items():
        _first(order["buyer"], name, cell(target))
    _first(order["buyer"], "phone", cell("ship_phone"))
    if cell("cancelled_at"):
        order["cancelled"] = True
    financial = str(cell("financial_status") or "").strip().lower()
    if financial in ("refunded", "partially_refunded", "partially refunded"):
        order["refunded"] = True
    elif financial == "voided":
        order["cancelled"] = True
    consent = cell("marketing_consent")
    if consent not in ("", None) and "consents" not in order["buyer"]:
        try:
            granted = parse_bool(consent)
        except FieldError:
            granted = False
            group.errors.append({"column": mapping.get("marketing_consent", ""), "message": _("Expected yes or no.")})
        if granted:
            order["buyer"]["consents"] = [
                {"channel": "email", "status": "granted", "lawful_basis": "consent", "source": "import"}
            ]
    if any(cell(t) not in ("", None) for t in ("sku", "product_id", "item_title")):
        item = {
            "sku": cell("sku"),
            "product_id": cell("product_id"),
            "title": cell("item_title"),
            "quantity": cell("quantity"),
            "unit_price": cell("unit_price"),
            "category": cell("category"),
        }
        line_price = cell("line_price")
        if item["unit_price"] in ("", None) and line_price not in ("", None):
            try:
                quantity = parse_quantity(item["quantity"])
            except FieldError:
                quantity = None  # reported against the quantity column when the order is validated
            try:
                total = parse_decimal(line_price)
            except FieldError as exc:
                total = None
                group.errors.append({"column": mapping.get("line_price", ""), "message": str(exc)})
            if total is not None and quantity:
                item["unit_price"] = str((total / Decimal(quantity)).quantize(Decimal("0.01")))
        order["items"].append(item)
        group.item_lines.append(line)


def column_of(field_path: str, mapping: dict[str, str]) -> str:
    """The file column an upsert error points at (`items[2].quantity` -> the quantity column)."""
    key = re.sub(r"\[\d+\]", "", field_path)
    key = re.sub(r"^buyer\.consents.*", "marketing_consent", key)
    target = FIELD_TO_TARGET.get(key, key)
    return mapping.get(target, "")


def line_of(field_path: str, group: OrderGroup) -> int:
    """The file line of an error: an item's own line, else the order's first line."""
    match = re.match(r"items\[(\d+)\]", field_path)
    if match:
        item_index = int(match.group(1))
        if item_index < len(group.item_lines):
            return group.item_lines[item_index]
    return group.lines[0]
