"""Findings: problems reconciliation and tracking leave for the operator."""

from __future__ import annotations

import logging

from django.db.models import F
from django.utils import timezone

from provisioning.models import Finding, Server

logger = logging.getLogger(__name__)


def flag(
    kind: str,
    detail: str,
    *,
    server: Server | None = None,
    linode_id: int | None = None,
    linode_label: str = "",
) -> Finding:
    """Record a finding, or count one more observation of the same open finding."""
    now = timezone.now()
    open_findings = Finding.objects.filter(
        kind=kind, server=server, linode_id=linode_id, resolved_at__isnull=True
    )
    finding = open_findings.first()
    if finding is not None:
        Finding.objects.filter(pk=finding.pk).update(
            observations=F("observations") + 1, last_seen_at=now, detail=detail
        )
        finding.refresh_from_db()
        return finding
    finding = Finding.objects.create(
        kind=kind,
        server=server,
        linode_id=linode_id,
        linode_label=linode_label,
        detail=detail,
        first_seen_at=now,
        last_seen_at=now,
    )
    if server is not None:
        Server.objects.filter(pk=server.pk).update(attention=detail)
    logger.warning(
        "finding %s (%s): %s (server %s, Linode %s)",
        finding.pk,
        kind,
        detail,
        server.pk if server else None,
        linode_id,
    )
    return finding


def resolve(kind: str, *, server: Server | None = None, linode_id: int | None = None) -> int:
    """Close open findings of this kind that no longer hold; return how many closed."""
    return Finding.objects.filter(
        kind=kind, server=server, linode_id=linode_id, resolved_at__isnull=True
    ).update(resolved_at=timezone.now())
