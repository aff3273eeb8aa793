"""SMTP dispatch throughput: our SMTP sender (one connection per batch) against bare smtplib.

Each variant sends the same messages to a local aiosmtpd sink over one connection:
- wire_only: smtplib.sendmail() of pre-rendered bytes (the SMTP conversation alone, for reference);
- bare_smtplib (the ceiling): a bare script, the stdlib's fastest builder (email.mime, compat32)
  making each message with the same parts and header values (worked out beforehand: no signing,
  no checks) and smtplib sending it;
- sender: SmtpSender.send() (Django's SMTP backend; builds each message with its signed unsubscribe
  token, Message-ID on the merchant's domain, our reference header, both parts);
- service: channels.services.send_messages() (adds the suppression check and the SentMessage upsert).
Prints one JSON line. Usage: python bench/channels_smtp.py [N]   (DATABASE_URL: a temporary SQLite
file unless set).
"""

import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkstar.settings")
os.environ.setdefault("LINKSTAR_ENV_FILE", "/dev/null")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gta2V5LTAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=")
TMP = tempfile.mkdtemp(prefix="linkstar-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{TMP}/bench.sqlite3")


def main(n: int) -> dict:
    import smtplib
    from email import policy
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText
    from email.utils import formatdate

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.models import Merchant
    from channels import services
    from channels.fakes.smtp import FakeSmtpServer
    from channels.models import ChannelAccount
    from channels.senders import OutboundMessage
    from channels.senders.email import build_email, email_headers

    merchant, _ = Merchant.objects.get_or_create(slug="bench", defaults={"name": "Bench"})

    def messages():
        return [
            OutboundMessage(
                merchant_id=merchant.pk, message_ref=str(uuid.uuid4()), channel="email",
                to=f"buyer{i}@example.com", subject="How was your order?",
                text_body="Hello, how was your order? " * 20, html_body="<p>Hello, how was your order?</p>" * 20,
            )
            for i in range(n)
        ]  # fmt: skip

    with FakeSmtpServer(keep_messages=False) as sink:
        account = ChannelAccount.objects.create(
            merchant=merchant, kind="smtp", name="bench", from_email="shop@bench.example",
            config={"host": sink.host, "port": sink.port, "security": "none"},
        )  # fmt: skip
        sample = messages()
        rendered = [(m.to, build_email(account, m).message().as_bytes(linesep="\r\n")) for m in sample]
        # The ceiling carries the very same headers (values worked out beforehand, outside the timing).
        same_headers = [email_headers(account, m) for m in sample]

        def wire_only():
            """Pre-rendered bytes: the SMTP conversation alone."""
            client = smtplib.SMTP(sink.host, sink.port)
            for to, data in rendered:
                client.sendmail("shop@bench.example", [to], data)
            client.quit()

        crlf = policy.compat32.clone(linesep="\r\n")

        def bare():
            """The ceiling: what a bare script does, the stdlib building each message, one connection."""
            client = smtplib.SMTP(sink.host, sink.port)
            for m, headers in zip(sample, same_headers, strict=True):
                email = MIMEMultipart("alternative")
                email["From"], email["To"], email["Subject"] = "shop@bench.example", m.to, m.subject
                email["Date"] = formatdate(usegmt=True)
                for name, value in headers.items():
                    email[name] = value
                email.attach(MIMEText(m.text_body, "plain", "utf-8"))
                email.attach(MIMEText(m.html_body, "html", "utf-8"))
                client.sendmail("shop@bench.example", [m.to], email.as_bytes(policy=crlf))
            client.quit()

        def sender():
            with services.get_sender(account) as s:
                for m in sample:
                    assert s.send(m).accepted  # noqa: S101

        def service():
            results = services.send_messages(account=account, messages=messages())
            assert all(r.accepted for r in results)  # noqa: S101

        timings = {}
        for name, run in (("wire_only", wire_only), ("bare_smtplib", bare), ("sender", sender), ("service", service)):
            best = None
            for _ in range(3):
                start = time.perf_counter()
                run()
                elapsed = time.perf_counter() - start
                best = elapsed if best is None else min(best, elapsed)
            timings[name] = n / best
    return {
        "benchmark": "channels_smtp_dispatch",
        "messages": n,
        "wire_only_per_s": round(timings["wire_only"], 1),
        "bare_smtplib_per_s": round(timings["bare_smtplib"], 1),
        "sender_per_s": round(timings["sender"], 1),
        "service_per_s": round(timings["service"], 1),
        "sender_vs_ceiling": round(timings["sender"] / timings["bare_smtplib"], 3),
        "service_vs_ceiling": round(timings["service"] / timings["bare_smtplib"], 3),
        "database": os.environ["DATABASE_URL"].split(":", 1)[0],
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)))
