"""One form per account kind: which fields it asks for and where each is stored.

Secrets (`CREDENTIAL_FIELDS`) are password inputs that never render a value; on edit a blank
secret keeps the stored one. Provider URL overrides (local fakes) are offered only when
settings.CHANNELS_PROVIDER_URL_OVERRIDES is on (development, tests, the demo).
"""

from __future__ import annotations

import json
import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from linkstar.identity import InvalidAddress, normalize_phone

from .models import SuppressionEntry
from .senders import Channel, PushKind, PushTarget
from .senders.amazon import MARKETPLACES
from .senders.push import FCM_TOKEN, generate_vapid_keys, parse_service_account, vapid_public_key

SECURITY_CHOICES = [("starttls", _("STARTTLS")), ("ssl", _("SSL/TLS")), ("none", _("None (local servers only)"))]
MARKETPLACE_CHOICES = sorted(
    ((m.marketplace_id, f"{m.name} ({m.marketplace_id})") for m in MARKETPLACES.values()), key=lambda c: c[1]
)


def _secret(label, help_text=""):
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )


def _phone_or_blank(value: str) -> str:
    if not value:
        return ""
    try:
        return normalize_phone(value)
    except InvalidAddress as exc:
        raise ValidationError(_("Enter the number in international format, e.g. +14155550100.")) from exc


class AccountForm(forms.Form):
    """Base: a display name. Subclasses add fields and say where they go."""

    CONFIG_FIELDS: tuple[str, ...] = ()
    CREDENTIAL_FIELDS: tuple[str, ...] = ()
    REQUIRED_CREDENTIALS: tuple[str, ...] = ()
    IDENTITY_FIELDS: tuple[str, ...] = ()
    OVERRIDE_FIELDS: tuple[str, ...] = ()

    name = forms.CharField(label=_("Display name"), max_length=100)

    def __init__(self, *args, account=None, **kwargs):
        self.account = account
        if account is not None and "initial" not in kwargs:
            initial = {"name": account.name, **(account.config or {})}
            for field in self.IDENTITY_FIELDS:
                initial[field] = getattr(account, field)
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for field in self.CREDENTIAL_FIELDS:
            if account is not None:
                self.fields[field].help_text = _("Stored encrypted. Leave blank to keep the current value.")
            elif field in self.REQUIRED_CREDENTIALS:
                self.fields[field].required = True
        if not getattr(settings, "CHANNELS_PROVIDER_URL_OVERRIDES", False):
            for field in self.OVERRIDE_FIELDS:
                self.fields.pop(field, None)

    def parts(self) -> dict:
        """The cleaned data split into name, config, credentials and identity for the services."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "config": {
                f: data[f] for f in (*self.CONFIG_FIELDS, *self.OVERRIDE_FIELDS) if data.get(f) not in (None, "")
            },
            "credentials": {f: data.get(f, "") for f in self.CREDENTIAL_FIELDS},
            "identity": {f: data[f] for f in self.IDENTITY_FIELDS if f in data},
        }


class EmailIdentityForm(AccountForm):
    IDENTITY_FIELDS = ("from_email", "from_name", "reply_to")

    from_email = forms.EmailField(
        label=_("From address"), help_text=_("On a domain you have verified with the provider.")
    )
    from_name = forms.CharField(label=_("From name"), max_length=100, required=False)
    reply_to = forms.EmailField(label=_("Reply-to address"), required=False)
    unsubscribe_mailbox = forms.EmailField(
        label=_("Unsubscribe mailbox"),
        required=False,
        help_text=_(
            "The mailto: in List-Unsubscribe. Route it to this account's inbound webhook to act on it automatically."
        ),
    )


class OutboxForm(AccountForm):
    IDENTITY_FIELDS = ("from_email", "from_name")

    from_email = forms.EmailField(label=_("From address (shown in the outbox)"), required=False)
    from_name = forms.CharField(label=_("From name"), max_length=100, required=False)


class SmtpForm(EmailIdentityForm):
    CONFIG_FIELDS = ("host", "port", "security", "unsubscribe_mailbox")
    CREDENTIAL_FIELDS = ("username", "password")

    host = forms.CharField(label=_("SMTP host"), max_length=255)
    port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, initial=587)
    security = forms.ChoiceField(label=_("Security"), choices=SECURITY_CHOICES, initial="starttls")
    username = _secret(_("Username"))
    password = _secret(_("Password"))


class PostmarkForm(EmailIdentityForm):
    CONFIG_FIELDS = ("message_stream", "unsubscribe_mailbox")
    CREDENTIAL_FIELDS = ("server_token", "webhook_secret")
    REQUIRED_CREDENTIALS = ("server_token",)
    OVERRIDE_FIELDS = ("api_url",)

    server_token = _secret(_("Server API token"))
    message_stream = forms.CharField(label=_("Message stream"), max_length=100, required=False, initial="outbound")
    webhook_secret = _secret(
        _("Webhook credentials"),
        _("username:password you put in the webhook URL (https://username:password@…) in Postmark."),
    )
    api_url = forms.URLField(label=_("API URL (development only)"), required=False, assume_scheme="https")

    def clean_webhook_secret(self):
        value = self.cleaned_data.get("webhook_secret", "")
        if value and ":" not in value:
            raise ValidationError(_("Use the form username:password."))
        return value


class MailgunForm(EmailIdentityForm):
    CONFIG_FIELDS = ("sender_domain", "region", "unsubscribe_mailbox")
    CREDENTIAL_FIELDS = ("api_key", "webhook_signing_key")
    REQUIRED_CREDENTIALS = ("api_key",)
    OVERRIDE_FIELDS = ("api_url",)

    api_key = _secret(_("API key"))
    sender_domain = forms.CharField(label=_("Sending domain"), max_length=255, required=False)
    region = forms.ChoiceField(label=_("Region"), choices=[("us", _("US")), ("eu", _("EU"))], initial="us")
    webhook_signing_key = _secret(_("HTTP webhook signing key"), _("From Mailgun's Webhooks page; verifies events."))
    api_url = forms.URLField(label=_("API URL (development only)"), required=False, assume_scheme="https")


class AmazonSesForm(EmailIdentityForm):
    CONFIG_FIELDS = ("region", "configuration_set", "sns_topic_arns", "unsubscribe_mailbox")
    CREDENTIAL_FIELDS = ("access_key_id", "secret_access_key", "webhook_secret")
    REQUIRED_CREDENTIALS = ("access_key_id", "secret_access_key")
    OVERRIDE_FIELDS = ("api_url",)

    access_key_id = _secret(_("Access key ID"))
    secret_access_key = _secret(_("Secret access key"))
    region = forms.RegexField(label=_("Region"), regex=r"^[a-z]{2}(-[a-z]+)+-\d$", initial="us-east-1")
    configuration_set = forms.CharField(label=_("Configuration set"), max_length=64, required=False)
    webhook_secret = _secret(
        _("Webhook credentials"), _("username:password in the SNS subscription URL (https://username:password@…).")
    )
    sns_topic_arns = forms.CharField(
        label=_("SNS topic ARNs"), required=False, help_text=_("Comma-separated; events from other topics are refused.")
    )
    api_url = forms.URLField(label=_("API URL (development only)"), required=False, assume_scheme="https")

    def clean_webhook_secret(self):
        value = self.cleaned_data.get("webhook_secret", "")
        if value and ":" not in value:
            raise ValidationError(_("Use the form username:password."))
        return value

    def clean_sns_topic_arns(self):
        arns = [a.strip() for a in self.cleaned_data.get("sns_topic_arns", "").split(",") if a.strip()]
        for arn in arns:
            if not re.match(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$", arn):
                raise ValidationError(_("%(arn)s is not an SNS topic ARN.") % {"arn": arn})
        return arns

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.account is not None and isinstance(self.initial.get("sns_topic_arns"), list):
            self.initial["sns_topic_arns"] = ", ".join(self.initial["sns_topic_arns"])


class TwilioForm(AccountForm):
    CONFIG_FIELDS = ("account_sid", "help_text")
    CREDENTIAL_FIELDS = ("auth_token",)
    REQUIRED_CREDENTIALS = ("auth_token",)
    OVERRIDE_FIELDS = ("api_url",)
    IDENTITY_FIELDS = ("messaging_service_sid",)
    sender_field = "sms_from"

    account_sid = forms.RegexField(label=_("Account SID"), regex=r"^AC[0-9a-fA-F]{32}$")
    auth_token = _secret(_("Auth token"), _("Also verifies Twilio's signatures on status callbacks."))
    messaging_service_sid = forms.RegexField(
        label=_("Messaging Service SID"), regex=r"^MG[0-9a-fA-F]{32}$", required=False
    )
    help_text = forms.CharField(
        label=_("Reply to HELP"), max_length=300, required=False, help_text=_("Leave blank for the standard text.")
    )
    api_url = forms.URLField(label=_("API URL (development only)"), required=False, assume_scheme="https")

    def clean(self):
        data = super().clean()
        data[self.sender_field] = _phone_or_blank(data.get(self.sender_field, ""))
        if not data.get(self.sender_field) and not data.get("messaging_service_sid"):
            raise ValidationError(_("Give a sender number or a Messaging Service SID."))
        return data


class TwilioSmsForm(TwilioForm):
    IDENTITY_FIELDS = ("sms_from", "messaging_service_sid")

    sms_from = forms.CharField(label=_("Sender number"), max_length=32, required=False)


class TwilioWhatsAppForm(TwilioForm):
    IDENTITY_FIELDS = ("whatsapp_from", "messaging_service_sid")
    CONFIG_FIELDS = ("account_sid", "help_text", "test_content_sid")
    sender_field = "whatsapp_from"

    whatsapp_from = forms.CharField(label=_("WhatsApp sender number"), max_length=32, required=False)
    test_content_sid = forms.RegexField(
        label=_("Content template for test sends"),
        regex=r"^HX[0-9a-fA-F]{32}$",
        required=False,
        help_text=_("An approved template (HX…) with one variable; WhatsApp allows nothing else."),
    )


class AmazonSolicitationsForm(AccountForm):
    CONFIG_FIELDS = ("lwa_app_id",)
    CREDENTIAL_FIELDS = ("lwa_client_secret", "refresh_token")
    REQUIRED_CREDENTIALS = ("lwa_client_secret", "refresh_token")
    OVERRIDE_FIELDS = ("api_url", "token_url")
    IDENTITY_FIELDS = ("amazon_seller_id", "amazon_marketplaces")

    amazon_seller_id = forms.RegexField(label=_("Seller ID"), regex=r"^[A-Z0-9]{8,20}$")
    amazon_marketplaces = forms.MultipleChoiceField(
        label=_("Marketplaces"), choices=MARKETPLACE_CHOICES, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    lwa_app_id = forms.CharField(label=_("LWA client ID"), max_length=200)
    lwa_client_secret = _secret(_("LWA client secret"))
    refresh_token = _secret(_("Refresh token"), _("From authorising the app for this seller."))
    api_url = forms.URLField(label=_("SP-API endpoint (development only)"), required=False, assume_scheme="https")
    token_url = forms.URLField(
        label=_("Login with Amazon token URL (development only)"), required=False, assume_scheme="https"
    )


class AmazonMessagingForm(AmazonSolicitationsForm):
    """The same Amazon app credentials as Solicitations (one app authorisation covers both APIs)."""


class FcmForm(AccountForm):
    CONFIG_FIELDS = ("project_id", "client_email", "test_token")
    CREDENTIAL_FIELDS = ("service_account",)
    REQUIRED_CREDENTIALS = ("service_account",)
    OVERRIDE_FIELDS = ("api_url",)

    service_account = forms.CharField(
        label=_("Service account key (JSON)"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Firebase console → Project settings → Service accounts → Generate new private key."),
    )
    test_token = forms.CharField(
        label=_("Device token for test sends"), max_length=4096, required=False, widget=forms.TextInput()
    )
    api_url = forms.URLField(label=_("FCM API URL (development only)"), required=False, assume_scheme="https")

    def clean_service_account(self):
        value = self.cleaned_data.get("service_account", "")
        if not value:
            return ""
        try:
            info = parse_service_account(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        self.cleaned_data["project_id"] = info["project_id"]
        self.cleaned_data["client_email"] = info["client_email"]
        return json.dumps(info)

    def clean(self):
        data = super().clean()
        if not data.get("service_account") and self.account is not None:
            data["project_id"] = (self.account.config or {}).get("project_id", "")
            data["client_email"] = (self.account.config or {}).get("client_email", "")
        token = data.get("test_token")
        if token and not FCM_TOKEN.match(token):
            self.add_error("test_token", _("Not an FCM registration token."))
        return data


class WebPushForm(AccountForm):
    CONFIG_FIELDS = ("subject", "vapid_public_key", "ttl", "test_subscription")
    CREDENTIAL_FIELDS = ("vapid_private_key",)

    subject = forms.RegexField(
        label=_("Contact (VAPID subject)"),
        regex=r"^(mailto:[^@\s]+@[^@\s]+|https://\S+)$",
        help_text=_("mailto:you@example.com or your site's https address; push services contact you there."),
    )
    vapid_private_key = _secret(
        _("VAPID private key"), _("Base64url, 32 bytes. Leave blank when adding the account to generate a key pair.")
    )
    ttl = forms.IntegerField(
        label=_("Keep undelivered pushes for (seconds)"), min_value=0, max_value=28 * 86400, initial=2 * 86400
    )
    test_subscription = forms.CharField(
        label=_("Browser subscription for test sends (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )

    def clean_test_subscription(self):
        value = self.cleaned_data.get("test_subscription", "")
        if value:
            parse_subscription_json(value)
        return value

    def clean(self):
        data = super().clean()
        private = data.get("vapid_private_key")
        if private:
            try:
                data["vapid_public_key"] = vapid_public_key(private)
            except Exception:  # noqa: BLE001  (py_vapid raises several kinds for an unreadable key)
                self.add_error("vapid_private_key", _("Not a VAPID private key (base64url, 32 bytes)."))
        elif self.account is None:
            data["vapid_private_key"], data["vapid_public_key"] = generate_vapid_keys()
        else:
            data["vapid_public_key"] = (self.account.config or {}).get("vapid_public_key", "")
        return data


def parse_subscription_json(value: str) -> PushTarget:
    """A browser's `PushSubscription.toJSON()` as a push target; ValidationError when it is not one."""
    try:
        data = json.loads(value)
    except ValueError:
        raise ValidationError(_('Paste the subscription as JSON: {"endpoint": …, "keys": {…}}.')) from None
    if not isinstance(data, dict) or not data.get("endpoint") or not isinstance(data.get("keys"), dict):
        raise ValidationError(_('Paste the subscription as JSON: {"endpoint": …, "keys": {…}}.'))
    target = PushTarget.from_subscription_json(data)
    if not (target.p256dh and target.auth):
        raise ValidationError(_("The subscription lacks its keys (p256dh and auth)."))
    return target


ACCOUNT_FORMS: dict[str, type[AccountForm]] = {
    "outbox": OutboxForm,
    "smtp": SmtpForm,
    "postmark": PostmarkForm,
    "mailgun": MailgunForm,
    "amazon_ses": AmazonSesForm,
    "twilio_sms": TwilioSmsForm,
    "twilio_whatsapp": TwilioWhatsAppForm,
    "amazon_solicitations": AmazonSolicitationsForm,
    "amazon_messaging": AmazonMessagingForm,
    "fcm": FcmForm,
    "web_push": WebPushForm,
}


class TestSendForm(forms.Form):
    to = forms.CharField(label=_("Send to"), max_length=4096)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, required=False)

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.push_target: PushTarget | None = None
        labels = {
            Channel.EMAIL: _("Email address"),
            Channel.SMS: _("Mobile number (+14155550100)"),
            Channel.WHATSAPP: _("WhatsApp number (+14155550100)"),
            Channel.AMAZON: _("Amazon order ID (only checks whether a review request is offered)"),
            Channel.AMAZON_MESSAGING: _("Amazon order ID (only lists the messages Amazon permits for it)"),
        }
        config = account.config or {}
        if account.kind == "fcm":
            self.fields.pop("channel")
            self.fields["to"].label = _("Device registration token")
            self.fields["to"].initial = config.get("test_token", "")
        elif account.kind == "web_push":
            self.fields.pop("channel")
            self.fields["to"].label = _("Browser subscription (JSON from subscription.toJSON())")
            self.fields["to"].widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false"})
            self.fields["to"].initial = config.get("test_subscription", "")
        elif account.channel:
            self.fields.pop("channel")
            self.fields["to"].label = labels[account.channel]
        else:
            self.fields["channel"].choices = [
                (c, label) for c, label in Channel.choices if c in (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP)
            ]
            self.fields["channel"].required = True

    def clean_to(self):
        value = self.cleaned_data["to"].strip()
        if self.account.kind == "fcm":
            if not FCM_TOKEN.match(value):
                raise ValidationError(_("Not an FCM registration token."))
            self.push_target = PushTarget(kind=PushKind.FCM, token=value, subscription_id="test")
        elif self.account.kind == "web_push":
            self.push_target = parse_subscription_json(value)
        return value


SUPPRESSIBLE = (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP)


class SuppressionForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[(c, label) for c, label in Channel.choices if c in SUPPRESSIBLE]
    )
    address = forms.CharField(label=_("Email address or phone number"), max_length=320)
    scope = forms.ChoiceField(label=_("Scope"), choices=SuppressionEntry.Scope.choices, initial="all")


class SuppressionFilterForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices])
    reason = forms.ChoiceField(
        label=_("Reason"), required=False, choices=[("", _("All reasons")), *SuppressionEntry.Reason.choices]
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
