"""Merchant pages: template list, new template, the editor with its live preview, submit, the starter library."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.mixins import merchant_required, scoped_object_or_404
from accounts.roles import Role, role_allows

from . import selectors, services
from .forms import ContentForm, NewTemplateForm, PreviewForm, TemplateSettingsForm
from .linting import LintInputError, lint
from .models import Channel, MessageTemplate, VersionStatus
from .rendering import RenderError
from .starters import STARTERS


def _form_errors(exc: ValidationError, form) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _content(data: dict) -> services.Content:
    return services.Content(
        subject=data.get("subject") or "",
        body_text=data.get("body_text") or "",
        body_html=data.get("body_html") or "",
        whatsapp_content_sid=data.get("whatsapp_content_sid") or "",
        whatsapp_variables=data.get("whatsapp_variables") or {},
        link=data.get("link") or "",
    )


def _preview(*, channel, marketplace, locale, purpose, subject, body_text, body_html, store_name, link="") -> dict:
    """Lint + sample rendering, shared by the page (first paint) and the JSON endpoint."""
    if channel != Channel.EMAIL:
        body_html = ""
    result = lint(
        channel=channel,
        marketplace=marketplace or None,
        locale=locale,
        purpose=purpose or None,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        brand_names=[store_name],
        link=link if channel == Channel.PUSH else "",
    )
    out = result.as_dict()
    out["segments_detail"] = (
        {
            "encoding": result.segments.encoding,
            "count": result.segments.count,
            "units": result.segments.units,
            "per_segment": result.segments.per_segment,
        }
        if result.segments
        else None
    )
    try:
        rendered = services.render_preview(
            version_or_content=services.Content(
                subject=subject, body_text=body_text, body_html=body_html, link=link if channel == Channel.PUSH else ""
            ),
            channel=channel,
            locale=locale,
            store_name=store_name,
        )
        out["preview"] = {
            "subject": rendered.subject,
            "text": rendered.text,
            "html": rendered.html,
            "link": rendered.link,
            "error": "",
        }
    except RenderError as exc:
        out["preview"] = {"subject": "", "text": "", "html": "", "link": "", "error": str(exc)}
    return out


@merchant_required()
def template_list(request):
    rows = [(t, selectors.template_status(t)) for t in selectors.templates_of(request.merchant)]
    return render(request, "templates_review/list.html", {"rows": rows})


@merchant_required(Role.ADMIN)
def template_new(request):
    form = NewTemplateForm(request.POST or None, initial={"locale": "en", "marketplace": "own_site"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = services.create_template(
                merchant=request.merchant,
                name=data["name"],
                purpose=data["purpose"],
                channel=data["channel"],
                marketplace=data["marketplace"],
                locale=data["locale"],
                content=_content(data),
                user=request.user,
            )
        except ValidationError as exc:
            _form_errors(exc, form)
        else:
            messages.success(request, _("Template created. Check the findings, then submit it for review."))
            return redirect("templates_review:edit", pk=version.template_id)
    return render(request, "templates_review/new.html", {"form": form})


@merchant_required()
def template_edit(request, pk: int):
    template = scoped_object_or_404(request, MessageTemplate, pk=pk)
    can_edit = role_allows(request.membership.role, Role.ADMIN)
    versions = list(selectors.versions_of(template))
    approved = next((v for v in versions if v.status == VersionStatus.APPROVED), None)
    draft = next((v for v in versions if v.status == VersionStatus.DRAFT), None)
    submitted = next((v for v in versions if v.status == VersionStatus.SUBMITTED), None)
    # The reviewer's reason stays visible until a later version is approved.
    rejected = next((v for v in versions if v.status == VersionStatus.REJECTED), None)
    if rejected is not None and approved is not None and approved.number > rejected.number:
        rejected = None
    working = draft or submitted or approved or (versions[0] if versions else None)
    settings_form = TemplateSettingsForm(
        initial={"name": template.name, "purpose": template.purpose, "marketplace": template.marketplace}
    )
    initial = {
        "subject": working.subject if working else "",
        "body_text": working.body_text if working else "",
        "body_html": working.body_html if working else "",
        "whatsapp_content_sid": working.whatsapp_content_sid if working else "",
        "whatsapp_variables": working.whatsapp_variables if working else {},
        "link": working.link if working else "",
    }
    content_form = ContentForm(initial=initial)

    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        action = request.POST.get("action", "save")
        if action == "settings":
            settings_form = TemplateSettingsForm(request.POST)
            if settings_form.is_valid():
                try:
                    services.update_template_settings(template=template, **settings_form.cleaned_data)
                except ValidationError as exc:
                    _form_errors(exc, settings_form)
                else:
                    messages.success(request, _("Settings saved."))
                    return redirect("templates_review:edit", pk=pk)
        else:
            content_form = ContentForm(request.POST)
            if content_form.is_valid():
                try:
                    version = services.save_draft(
                        template=template, content=_content(content_form.cleaned_data), user=request.user
                    )
                    if action == "submit":
                        services.submit_version(version=version, user=request.user)
                        messages.success(request, _("Submitted for review. You will be told when a reviewer decides."))
                    else:
                        messages.success(request, _("Draft saved."))
                except services.SubmissionBlocked:
                    messages.error(
                        request, _("Draft saved, but it cannot be submitted while a blocking finding remains.")
                    )
                except ValidationError as exc:
                    _form_errors(exc, content_form)
                else:
                    return redirect("templates_review:edit", pk=pk)

    values = content_form.data if content_form.is_bound else initial
    first = _preview(
        channel=template.channel,
        marketplace=template.marketplace,
        locale=template.locale,
        purpose=template.purpose,
        subject=values.get("subject") or "",
        body_text=values.get("body_text") or "",
        body_html=values.get("body_html") or "",
        link=values.get("link") or "",
        store_name=request.merchant.name,
    )
    diff = selectors.diff_lines(approved, working) if approved and working and working.pk != approved.pk else []
    return render(
        request,
        "templates_review/edit.html",
        {
            "template": template,
            "versions": versions,
            "approved": approved,
            "draft": draft,
            "submitted": submitted,
            "rejected": rejected,
            "working": working,
            "content_form": content_form,
            "settings_form": settings_form,
            "can_edit": can_edit,
            "first": first,
            "diff": diff,
        },
    )


@require_POST
@merchant_required()
def preview(request):
    """The live preview: lint and render posted text with sample data; reads and writes nothing."""
    form = PreviewForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"detail": _("Invalid input."), "errors": form.errors}, status=400)
    try:
        return JsonResponse(_preview(store_name=request.merchant.name, **form.cleaned_data))
    except LintInputError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)


@merchant_required()
def starter_library(request):
    return render(request, "templates_review/starters.html", {"starters": STARTERS})


@require_POST
@merchant_required(Role.ADMIN)
def starter_copy(request, key: str):
    try:
        version = services.copy_starter(merchant=request.merchant, key=key, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("templates_review:starters")
    messages.success(request, _("Copied into your templates as a draft."))
    return redirect("templates_review:edit", pk=version.template_id)
