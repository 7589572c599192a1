"""Plans, the catalog mirror, servers, their operations and the audit trail."""

from __future__ import annotations

import uuid as uuid_module
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


class State(models.TextChoices):
    """Provisioning state of a server; only provisioning.states changes it."""

    PENDING = "pending", "Pending"
    PROVISIONING = "provisioning", "Provisioning"
    BOOTING = "booting", "Booting"
    RUNNING = "running", "Running"
    SUSPENDED = "suspended", "Suspended"
    TERMINATING = "terminating", "Terminating"
    TERMINATED = "terminated", "Terminated"
    FAILED = "failed", "Failed"


class Standing(models.TextChoices):
    """Billing standing, kept apart from the provisioning state."""

    AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
    CURRENT = "current", "Paid up"
    OVERDUE = "overdue", "Overdue"
    CLOSED = "closed", "Closed"


class Plan(models.Model):
    """A product the operator sells: a Linode type, the regions offered and the software."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    linode_type = models.CharField(max_length=64, help_text="Linode type id, e.g. g6-nanode-1.")
    regions = models.JSONField(default=list, help_text='Region ids offered, e.g. ["us-east"].')
    image = models.CharField(max_length=100, help_text="Image id, e.g. linode/debian12.")
    stackscript_id = models.IntegerField(null=True, blank=True)
    stackscript_data = models.JSONField(default=dict, blank=True)
    user_data = models.TextField(blank=True, help_text="cloud-init user data (plain text).")
    price_monthly = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["price_monthly", "slug"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    def clean(self) -> None:
        """Check the regions list, and the type, regions and image against the catalog mirror."""
        errors: dict[str, list[str]] = {}
        regions = self.regions
        if not isinstance(regions, list) or not regions:
            errors["regions"] = ['Give a non-empty list of region ids, e.g. ["us-east"].']
        elif not all(isinstance(region, str) and region for region in regions):
            errors["regions"] = [f"Every region must be a region id string; got {regions!r}."]
        if CatalogType.objects.exists():  # without a catalog there is nothing to check against
            if not CatalogType.objects.filter(id=self.linode_type, present=True).exists():
                errors.setdefault("linode_type", []).append(
                    f"Linode type {self.linode_type!r} is not in the catalog; "
                    "run `manage.py sync_catalog` or pick a listed type."
                )
            if not CatalogImage.objects.filter(id=self.image, present=True).exists():
                errors.setdefault("image", []).append(
                    f"Image {self.image!r} is not in the catalog; "
                    "run `manage.py sync_catalog` or pick a listed image."
                )
            if "regions" not in errors:
                known = set(
                    CatalogRegion.objects.filter(id__in=regions, present=True).values_list(
                        "id", flat=True
                    )
                )
                missing = [region for region in regions if region not in known]
                if missing:
                    errors["regions"] = [
                        f"Regions not in the catalog: {', '.join(missing)}; "
                        "run `manage.py sync_catalog` or remove them."
                    ]
        if errors:
            raise ValidationError(errors)


class CatalogRegion(models.Model):
    """A Linode region as last seen by the catalog sync."""

    id = models.CharField(max_length=64, primary_key=True)
    label = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=8, blank=True)
    status = models.CharField(max_length=32, blank=True)
    capabilities = models.JSONField(default=list, blank=True)
    present = models.BooleanField(default=True, help_text="Listed by the API in the last sync.")
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.id} ({self.label})" if self.label else self.id


class CatalogType(models.Model):
    """A Linode type (size and price) as last seen by the catalog sync."""

    id = models.CharField(max_length=64, primary_key=True)
    label = models.CharField(max_length=200, blank=True)
    type_class = models.CharField(max_length=32, blank=True)
    vcpus = models.IntegerField(default=0)
    memory_mb = models.IntegerField(default=0)
    disk_mb = models.IntegerField(default=0)
    price_monthly = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    price_hourly = models.DecimalField(max_digits=10, decimal_places=4, default=Decimal("0"))
    region_prices = models.JSONField(default=list, blank=True)
    present = models.BooleanField(default=True, help_text="Listed by the API in the last sync.")
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.id} ({self.label})" if self.label else self.id


class CatalogImage(models.Model):
    """A Linode image as last seen by the catalog sync."""

    id = models.CharField(max_length=100, primary_key=True)
    label = models.CharField(max_length=200, blank=True)
    vendor = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=32, blank=True)
    deprecated = models.BooleanField(default=False)
    is_public = models.BooleanField(default=True)
    capabilities = models.JSONField(default=list, blank=True)
    present = models.BooleanField(default=True, help_text="Listed by the API in the last sync.")
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.id} ({self.label})" if self.label else self.id


class Server(models.Model):
    """The one Linode a customer buys, with its provisioning state and billing standing."""

    uuid = models.UUIDField(default=uuid_module.uuid4, unique=True, editable=False)
    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="server"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="servers")
    region = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    standing = models.CharField(max_length=20, choices=Standing.choices, default=Standing.CURRENT)
    linode_id = models.BigIntegerField(null=True, blank=True, unique=True)
    linode_status = models.CharField(max_length=32, blank=True, help_text="As last seen.")
    ipv4 = models.CharField(max_length=64, blank=True)
    ipv6 = models.CharField(max_length=128, blank=True)
    ssh_key = models.TextField(blank=True)
    root_password_encrypted = models.TextField(blank=True, editable=False)
    progress = models.PositiveSmallIntegerField(default=0)
    failure_reason = models.TextField(blank=True)
    # Reconciliation and tracking passes in a row that did not find the Linode.
    missing_observations = models.PositiveIntegerField(default=0)
    attention = models.TextField(blank=True, help_text="Open problem for the operator.")
    termination_requested_at = models.DateTimeField(null=True, blank=True)
    ready_email_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"server {self.pk} ({self.label}, {self.state})"

    @property
    def label(self) -> str:
        from provisioning.labels import label_for_uuid

        return label_for_uuid(self.uuid)

    @property
    def linode_tag(self) -> str:
        from provisioning.labels import server_tag_for_uuid

        return server_tag_for_uuid(self.uuid)

    @property
    def uses_ssh_key(self) -> bool:
        return bool(self.ssh_key.strip())


class OperationKind(models.TextChoices):
    PROVISION = "provision", "Provision"
    POWER_ON = "power_on", "Power on"
    POWER_OFF = "power_off", "Power off"
    REBOOT = "reboot", "Reboot"
    REBUILD = "rebuild", "Rebuild"
    RESET_PASSWORD = "reset_password", "Reset root password"
    SUSPEND = "suspend", "Suspend"
    RESUME = "resume", "Resume"
    TERMINATE = "terminate", "Terminate"


class OperationStatus(models.TextChoices):
    """Life of an operation: queued -> running -> (waiting ->) succeeded or failed."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"  # a worker has claimed it
    WAITING = "waiting", "Waiting"  # the API accepted it; tracking confirms the outcome
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_OPERATION_STATUSES = (OperationStatus.RUNNING, OperationStatus.WAITING)
OPEN_OPERATION_STATUSES = (OperationStatus.QUEUED, *ACTIVE_OPERATION_STATUSES)


class Operation(models.Model):
    """One intent on a server: the outbox row a Celery task carries out.

    Operations of one server run in creation order; a partial unique
    constraint lets at most one of them be running or waiting at a time.
    """

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="operations")
    kind = models.CharField(max_length=20, choices=OperationKind.choices)
    status = models.CharField(
        max_length=20, choices=OperationStatus.choices, default=OperationStatus.QUEUED
    )
    phase = models.CharField(max_length=40, blank=True)
    actor = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    linode_id = models.BigIntegerField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "not_before"])]
        constraints = [
            models.UniqueConstraint(
                fields=["server"],
                condition=Q(status__in=["running", "waiting"]),
                name="one_active_operation_per_server",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"


class Transition(models.Model):
    """Audit trail: one row per state change of a server."""

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)
    actor = models.CharField(max_length=100)
    reason = models.TextField(blank=True)
    operation = models.ForeignKey(
        Operation, null=True, blank=True, on_delete=models.SET_NULL, related_name="transitions"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state} -> {self.to_state} by {self.actor}"


class FindingKind(models.TextChoices):
    ORPHAN = "orphan", "Orphan Linode (no server in the portal)"
    VANISHED = "vanished", "Linode vanished"
    DRIFT = "drift", "Linode differs from the portal"
    ADOPTED = "adopted", "Linode adopted"
    SUSPENSION_REAPPLIED = "suspension_reapplied", "Suspension re-applied"
    STUCK_OPERATION = "stuck_operation", "Operation stuck waiting for the API"


class Finding(models.Model):
    """Something reconciliation or tracking noticed and the operator should look at."""

    kind = models.CharField(max_length=30, choices=FindingKind.choices)
    server = models.ForeignKey(
        Server, null=True, blank=True, on_delete=models.CASCADE, related_name="findings"
    )
    linode_id = models.BigIntegerField(null=True, blank=True)
    linode_label = models.CharField(max_length=64, blank=True)
    detail = models.TextField()
    observations = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.detail}"


class JobRun(models.Model):
    """Health record of one periodic job."""

    name = models.CharField(max_length=100, primary_key=True)
    interval_seconds = models.FloatField(default=60.0)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_succeeded_at = models.DateTimeField(null=True, blank=True)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_summary = models.JSONField(default=dict, blank=True)
    # Set while a run is in progress, so a second run that starts meanwhile skips.
    running_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    # A job counts as quiet when it has not succeeded for this many intervals.
    QUIET_AFTER_INTERVALS = 3

    def is_quiet(self, now: Any = None) -> bool:
        now = now or timezone.now()
        if self.last_succeeded_at is None:
            return True
        age = (now - self.last_succeeded_at).total_seconds()
        return age > self.interval_seconds * self.QUIET_AFTER_INTERVALS


class RateLimitLock(models.Model):
    """One row per limiter; workers lock it while they count and take slots."""

    name = models.CharField(max_length=50, primary_key=True)

    def __str__(self) -> str:
        return self.name


class RateLimitSlot(models.Model):
    """One request a limiter let through, kept for the length of its window."""

    limiter = models.ForeignKey(RateLimitLock, on_delete=models.CASCADE, related_name="slots")
    taken_at = models.DateTimeField(db_index=True)
    operation_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["taken_at"]

    def __str__(self) -> str:
        return f"{self.limiter_id} at {self.taken_at.isoformat()}"
