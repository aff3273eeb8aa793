"""The compliance review queue in Django admin.

Reviewers (staff in the "Compliance" group) see submitted versions oldest first with
their age, filters, the rendered preview, the findings and a diff to the last approved
version, and approve or reject them (as list actions and on the change page). Nobody
edits a body here: every field is read-only. Review decisions are read-only for
everyone, superusers included.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from . import selectors, services
from .models import MessageTemplate, ReviewDecision, TemplateVersion, VersionStatus


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DecisionInline(admin.TabularInline):
    model = ReviewDecision
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "actor_email", "reason", "override_reason", "content_hash"]
    readonly_fields = fields
    ordering = ["created_at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StatusFilter(admin.SimpleListFilter):
    """Defaults to the queue (submitted), which is what reviewers open the page for."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("all", _("All")), *VersionStatus.choices]

    def choices(self, changelist):
        value = self.value() or VersionStatus.SUBMITTED
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or VersionStatus.SUBMITTED
        if value == "all":
            return queryset
        return queryset.filter(status=value)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason (the merchant reads it)"), widget=forms.Textarea(attrs={"rows": 4}))


class ApproveForm(forms.Form):
    override_reason = forms.CharField(
        label=_("Override reason (required when the version has blocking findings)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@admin.register(TemplateVersion)
class TemplateVersionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["template_name", "number", "merchant", "channel", "marketplace", "locale", "status", "age"]
    list_filter = [
        StatusFilter,
        ("template__channel", admin.ChoicesFieldListFilter),
        ("template__marketplace", admin.ChoicesFieldListFilter),
        ("template__locale", admin.ChoicesFieldListFilter),
        ("merchant", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["template", "merchant"]
    search_fields = ["template__name", "merchant__name", "subject", "body_text"]
    ordering = ["submitted_at", "id"]
    show_full_result_count = False
    actions = ["approve_selected", "reject_selected"]
    inlines = [DecisionInline]
    readonly_fields = [
        "template",
        "merchant",
        "number",
        "status",
        "age",
        "content_hash",
        "subject",
        "body_text",
        "body_html",
        "whatsapp_content_sid",
        "whatsapp_variables",
        "preview",
        "findings_table",
        "diff",
        "submitted_by",
        "submitted_at",
        "decided_by",
        "decided_at",
        "rejection_reason",
        "override_reason",
        "superseded_by",
        "superseded_at",
    ]
    fieldsets = [
        (None, {"fields": ["template", "merchant", "number", "status", "age", "content_hash"]}),
        (_("Text"), {"fields": ["subject", "body_text", "body_html", "whatsapp_content_sid", "whatsapp_variables"]}),
        (_("Review"), {"fields": ["preview", "findings_table", "diff"]}),
        (
            _("Decision"),
            {
                "fields": [
                    "submitted_by",
                    "submitted_at",
                    "decided_by",
                    "decided_at",
                    "rejection_reason",
                    "override_reason",
                    "superseded_by",
                    "superseded_at",
                ]
            },
        ),
    ]
    change_form_template = "admin/templates_review/templateversion/change_form.html"

    def has_change_permission(self, request, obj=None):
        return False  # bodies are never edited here; approve and reject have their own permissions

    # --- columns ---------------------------------------------------------------
    @admin.display(description=_("template"), ordering="template__name")
    def template_name(self, obj):
        return obj.template.name

    @admin.display(description=_("channel"))
    def channel(self, obj):
        return obj.template.get_channel_display()

    @admin.display(description=_("marketplace"))
    def marketplace(self, obj):
        return obj.template.get_marketplace_display()

    @admin.display(description=_("language"))
    def locale(self, obj):
        return obj.template.locale

    @admin.display(description=_("waiting for"), ordering="submitted_at")
    def age(self, obj):
        if obj.status != VersionStatus.SUBMITTED or obj.submitted_at is None:
            return "—"
        return timesince(obj.submitted_at, timezone.now())

    @admin.display(description=_("preview with sample data"))
    def preview(self, obj):
        try:
            rendered = services.render_preview(
                version_or_content=obj, channel=obj.template.channel, locale=obj.template.locale
            )
        except services.RenderError as exc:
            return format_html('<p class="errornote">{}</p>', str(exc))
        html = ""
        if rendered.html:
            html = format_html(
                '<iframe class="ls-preview-frame" sandbox="" srcdoc="{}" title="HTML preview"></iframe>', rendered.html
            )
        return format_html(
            '<p><strong>{}</strong></p><pre class="ls-preview-text">{}</pre>{}',
            rendered.subject,
            rendered.text,
            html,
        )

    @admin.display(description=_("findings (now)"))
    def findings_table(self, obj):
        result = services.lint_version(obj)
        if not result.findings:
            return _("No findings.")
        rows = []
        for finding in result.findings:
            source = getattr(obj, finding.field, "") if finding.field in ("subject", "body_text", "body_html") else ""
            excerpt = source[finding.start : finding.end] if source else ""
            rows.append(
                format_html(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                    finding.severity,
                    finding.rule,
                    finding.field,
                    excerpt,
                    finding.message,
                )
            )
        segments = ""
        if result.segments:
            segments = format_html(
                "<p>SMS: {} {}, {} {}</p>",
                result.segments.encoding,
                _("encoding"),
                result.segments.count,
                _("segments"),
            )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>{}",
            _("severity"),
            _("rule"),
            _("field"),
            _("text"),
            _("message"),
            format_html("".join(["{}"] * len(rows)), *rows),
            segments,
        )

    @admin.display(description=_("changes since the last approved version"))
    def diff(self, obj):
        previous = selectors.last_approved_before(obj)
        if previous is None:
            return _("No earlier approved version.")
        lines = selectors.diff_lines(previous, obj)
        if not lines:
            return _("Same text as version %(n)s.") % {"n": previous.number}
        css = {"+": "ls-diff-add", "-": "ls-diff-del", "@": "ls-diff-hunk", " ": "ls-diff-same"}
        rendered = [
            format_html('<div class="{}">{}{}</div>', css[kind], kind if kind != "@" else "", line)
            for kind, line in lines
        ]
        return format_html(
            "<p>{}</p><pre>{}</pre>",
            _("Compared with version %(n)s") % {"n": previous.number},
            format_html("".join(["{}"] * len(rendered)), *rendered),
        )

    # --- permissions -----------------------------------------------------------
    def has_approve_permission(self, request):
        return request.user.has_perm("templates_review.approve_templateversion")

    def has_reject_permission(self, request):
        return request.user.has_perm("templates_review.reject_templateversion")

    # --- actions ---------------------------------------------------------------
    @admin.action(description=_("Approve the selected versions"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        approved = 0
        for version in queryset:
            try:
                services.approve_version(version=version, reviewer=request.user)
                approved += 1
            except ValidationError as exc:
                self.message_user(request, f"{version}: {' '.join(exc.messages)}", messages.ERROR)
        if approved:
            self.message_user(request, _("%(n)d version(s) approved.") % {"n": approved}, messages.SUCCESS)

    @admin.action(description=_("Reject the selected versions (asks for a reason)"), permissions=["reject"])
    def reject_selected(self, request, queryset):
        form = RejectForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            rejected = 0
            for version in queryset:
                try:
                    services.reject_version(version=version, reviewer=request.user, reason=form.cleaned_data["reason"])
                    rejected += 1
                except ValidationError as exc:
                    self.message_user(request, f"{version}: {' '.join(exc.messages)}", messages.ERROR)
            if rejected:
                self.message_user(request, _("%(n)d version(s) rejected.") % {"n": rejected}, messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/templates_review/templateversion/reject_selected.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Reject versions"),
                "form": form,
                "versions": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    # --- approve / reject on the change page -------------------------------------
    def get_urls(self):
        return [
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="templates_review_templateversion_decide",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request, pk: int):
        version = get_object_or_404(TemplateVersion, pk=pk)
        if request.method != "POST":
            return redirect(reverse("admin:templates_review_templateversion_change", args=[pk]))
        decision = request.POST.get("decision")
        try:
            if decision == "approve":
                if not self.has_approve_permission(request):
                    raise PermissionDenied
                form = ApproveForm(request.POST)
                form.is_valid()
                services.approve_version(
                    version=version,
                    reviewer=request.user,
                    override_reason=form.cleaned_data.get("override_reason", ""),
                )
                self.message_user(request, _("Version approved."), messages.SUCCESS)
            elif decision == "reject":
                if not self.has_reject_permission(request):
                    raise PermissionDenied
                services.reject_version(version=version, reviewer=request.user, reason=request.POST.get("reason", ""))
                self.message_user(request, _("Version rejected."), messages.SUCCESS)
            else:
                self.message_user(request, _("Choose approve or reject."), messages.ERROR)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return redirect(reverse("admin:templates_review_templateversion_change", args=[pk]))
        return redirect(reverse("admin:templates_review_templateversion_changelist"))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update(
            {
                "can_decide": obj is not None and obj.status == VersionStatus.SUBMITTED,
                "can_approve": self.has_approve_permission(request),
                "can_reject": self.has_reject_permission(request),
                "approve_form": ApproveForm(),
                "reject_form": RejectForm(),
                "decide_url": reverse("admin:templates_review_templateversion_decide", args=[obj.pk]) if obj else "",
            }
        )
        return super().render_change_form(request, context, add, change, form_url, obj)


class VersionInline(admin.TabularInline):
    model = TemplateVersion
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["number", "status", "subject", "submitted_at", "decided_at", "decided_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "merchant", "purpose", "channel", "marketplace", "locale", "updated_at"]
    list_filter = ["channel", "marketplace", "locale", "purpose"]
    list_select_related = ["merchant"]
    search_fields = ["name", "merchant__name"]
    show_full_result_count = False
    readonly_fields = ["merchant", "name", "purpose", "channel", "marketplace", "locale", "created_by", "created_at"]
    fields = readonly_fields
    inlines = [VersionInline]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "template_name", "version_number", "merchant", "actor_email", "reason"]
    list_filter = ["action", ("merchant", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["version__template", "merchant"]
    search_fields = ["actor_email", "reason", "version__template__name"]
    show_full_result_count = False
    fields = ["created_at", "action", "version", "merchant", "actor", "actor_email", "reason", "override_reason"]
    readonly_fields = fields + ["content_hash"]

    @admin.display(description=_("template"))
    def template_name(self, obj):
        return obj.version.template.name

    @admin.display(description=_("version"))
    def version_number(self, obj):
        return obj.version.number

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
