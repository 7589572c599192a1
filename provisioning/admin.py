"""The operator's admin: servers, their audit trail and operations, plans, catalog, job health."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from provisioning import services
from provisioning.models import (
    CatalogImage,
    CatalogRegion,
    CatalogType,
    Finding,
    JobRun,
    Operation,
    Plan,
    Server,
    State,
    Transition,
)
from provisioning.selectors import quiet_jobs


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TransitionInline(ReadOnlyInline):
    model = Transition
    fields = ("created_at", "from_state", "to_state", "actor", "reason", "operation")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    verbose_name_plural = "Audit trail"


class OperationInline(ReadOnlyInline):
    model = Operation
    fields = (
        "id",
        "kind",
        "status",
        "phase",
        "attempts",
        "not_before",
        "linode_id",
        "actor",
        "error",
        "created_at",
        "finished_at",
    )
    readonly_fields = fields
    ordering = ("-id",)


class FindingInline(ReadOnlyInline):
    model = Finding
    fields = ("kind", "detail", "observations", "first_seen_at", "last_seen_at", "resolved_at")
    readonly_fields = fields


def _run_for_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Server],
    verb: str,
    action: Any,
) -> None:
    actor = f"operator:{request.user.pk}"
    done, rejected = 0, []
    for server in queryset:
        try:
            action(server, actor=actor)
        except services.TransitionNotAllowed as exc:
            rejected.append(str(exc))
        else:
            done += 1
    if done:
        modeladmin.message_user(request, f"{verb}: {done} server(s).", messages.SUCCESS)
    for message in rejected:
        modeladmin.message_user(request, message, messages.WARNING)


@admin.action(description="Retry provisioning (failed servers)", permissions=["change"])
def retry_provisioning(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: Any) -> None:
    _run_for_each(
        modeladmin, request, queryset, "Provisioning retried", services.retry_provisioning
    )


# The POST field that the confirmation page adds; without it an action only shows the page.
CONFIRM_FIELD = "confirmed"
CONFIRMATION_TEMPLATE = "admin/provisioning/server/action_confirmation.html"


def _confirm_then_run(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Server],
    *,
    action_name: str,
    title: str,
    warning: str,
    submit_label: str,
    verb: str,
    action: Any,
) -> TemplateResponse | None:
    """Show a confirmation page for the selected servers; run `action` once it is confirmed.

    The page posts the same action and selection back with CONFIRM_FIELD set,
    as Django's own bulk delete does before it deletes anything.
    """
    if request.POST.get(CONFIRM_FIELD) == "yes":
        _run_for_each(modeladmin, request, queryset, verb, action)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.model._meta,
        "servers": list(queryset.select_related("customer").order_by("pk")),
        "warning": warning,
        "submit_label": submit_label,
        "action_name": action_name,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "confirm_field": CONFIRM_FIELD,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, CONFIRMATION_TEMPLATE, context)


def _request_teardown(server: Server, *, actor: str) -> None:
    """Queue a teardown, rejecting a server that is already terminated.

    `request_termination` returns the old operation for a terminated server
    (it is idempotent), which would read as a new teardown in the admin.
    """
    if server.state == State.TERMINATED:
        raise services.TransitionNotAllowed(f"Server {server.pk} is already terminated.")
    services.request_termination(server, actor=actor)


@admin.action(description="Tear down (delete the Linode)", permissions=["change"])
def tear_down(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: Any
) -> TemplateResponse | None:
    return _confirm_then_run(
        modeladmin,
        request,
        queryset,
        action_name="tear_down",
        title="Tear down servers",
        warning=(
            "Tearing down deletes each server's Linode and its disks at Linode. "
            "The customer's data is lost and cannot be recovered."
        ),
        submit_label="Yes, delete these Linodes",
        verb="Teardown requested",
        action=_request_teardown,
    )


@admin.action(description="Suspend (power off and lock)", permissions=["change"])
def suspend(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: Any
) -> TemplateResponse | None:
    return _confirm_then_run(
        modeladmin,
        request,
        queryset,
        action_name="suspend",
        title="Suspend servers",
        warning=(
            "Suspending powers each server's Linode off, and its customer cannot boot it "
            "or reach it until an operator resumes it. Only running servers can be suspended."
        ),
        submit_label="Yes, suspend these servers",
        verb="Suspended",
        action=services.suspend,
    )


@admin.action(description="Resume (unlock and boot)", permissions=["change"])
def resume(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: Any) -> None:
    _run_for_each(modeladmin, request, queryset, "Resumed", services.resume)


@admin.register(Server)
class ServerAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "customer",
        "plan",
        "region",
        "state",
        "standing",
        "progress",
        "linode_id",
        "ipv4",
        "attention_flag",
        "updated_at",
    )
    list_filter = ("state", "standing", "plan", "region")
    list_select_related = ("customer", "plan")
    # Each action needs the change permission: Django offers an action without
    # `permissions` to staff who may only view servers.
    actions = [retry_provisioning, tear_down, suspend, resume]
    inlines = [OperationInline, TransitionInline, FindingInline]
    # Plan, region and SSH key are fixed once the Linode exists (a change would
    # need a resize, a migration or a rebuild); the operator edits standing and attention.
    readonly_fields = (
        "uuid",
        "label",
        "linode_tag",
        "customer",
        "plan",
        "region",
        "ssh_key",
        "state",
        "linode_id",
        "linode_status",
        "ipv4",
        "ipv6",
        "progress",
        "failure_reason",
        "missing_observations",
        "termination_requested_at",
        "ready_email_sent_at",
        "created_at",
        "updated_at",
    )
    fields = (
        "uuid",
        "label",
        "linode_tag",
        "customer",
        "plan",
        "region",
        "state",
        "standing",
        "linode_id",
        "linode_status",
        "ipv4",
        "ipv6",
        "ssh_key",
        "progress",
        "failure_reason",
        "attention",
        "missing_observations",
        "termination_requested_at",
        "ready_email_sent_at",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # servers come from customer orders

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # tear down instead, so the Linode goes too

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Server], search_term: str
    ) -> tuple[QuerySet[Server], bool]:
        # Labels derive from the UUID: "rp-<hex>" finds the server by its UUID.
        from provisioning.labels import uuid_from_label

        server_uuid = uuid_from_label(search_term.strip())
        if server_uuid is not None:
            return queryset.filter(uuid=server_uuid), False
        return super().get_search_results(request, queryset, search_term)

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        # An exact match on the integer linode_id only applies to a numeric term.
        term = request.GET.get("q", "").strip()
        fields = ("customer__email", "ipv4", "ipv6", "uuid")
        return ("=linode_id", *fields) if term.isdigit() else fields

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        for job in quiet_jobs():
            if job.last_succeeded_at is None:
                detail = "has never succeeded"
            else:
                detail = f"last succeeded at {job.last_succeeded_at:%Y-%m-%d %H:%M:%S} UTC"
            self.message_user(
                request,
                f"Periodic job {job.name} is quiet: it {detail}. "
                "Check that the Celery worker and beat are running.",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description="Attention", boolean=False)
    def attention_flag(self, server: Server) -> str:
        return "⚠" if server.attention else ""


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "server",
        "kind",
        "status",
        "phase",
        "attempts",
        "not_before",
        "linode_id",
        "created_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("server__customer__email", "=server__linode_id")
    readonly_fields = [field.name for field in Operation._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Transition)
class TransitionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "server", "from_state", "to_state", "actor", "reason")
    list_filter = ("to_state", "from_state")
    search_fields = ("server__customer__email", "actor", "reason")
    readonly_fields = [field.name for field in Transition._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = (
        "kind",
        "detail",
        "server",
        "linode_id",
        "observations",
        "last_seen_at",
        "resolved_at",
    )
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("detail", "linode_label", "=linode_id")
    actions = ["mark_resolved"]

    @admin.action(description="Mark as resolved", permissions=["change"])
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[Finding]) -> None:
        count = queryset.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
        self.message_user(request, f"Resolved {count} finding(s).", messages.SUCCESS)


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """Health of the periodic jobs; a job that stopped succeeding shows as quiet."""

    list_display = (
        "name",
        "health",
        "last_succeeded_at",
        "last_started_at",
        "last_failed_at",
        "interval_seconds",
        "last_error",
    )
    readonly_fields = [field.name for field in JobRun._meta.fields]

    @admin.display(description="Health")
    def health(self, job: JobRun) -> str:
        if job.is_quiet():
            return format_html('<strong style="color:#ba2121">{}</strong>', "quiet")
        return "ok"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "linode_type", "image", "price_monthly", "active")
    list_filter = ("active",)
    search_fields = ("slug", "name", "linode_type")
    prepopulated_fields = {"slug": ("name",)}


class CatalogAdmin(admin.ModelAdmin):
    list_filter = ("present",)
    search_fields = ("id", "label")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # filled by sync_catalog


@admin.register(CatalogRegion)
class CatalogRegionAdmin(CatalogAdmin):
    list_display = ("id", "label", "country", "status", "present", "synced_at")


@admin.register(CatalogType)
class CatalogTypeAdmin(CatalogAdmin):
    list_display = ("id", "label", "vcpus", "memory_mb", "disk_mb", "price_monthly", "present")


@admin.register(CatalogImage)
class CatalogImageAdmin(CatalogAdmin):
    list_display = ("id", "label", "vendor", "status", "deprecated", "present")
