"""StackScripts: scripts that run on a Linode's first boot."""

from __future__ import annotations

from datetime import datetime

from linode_api.objects.base import ApiObject, Field, MutableField, Record


class StackScript(ApiObject):
    """A StackScript (GET /linode/stackscripts/{id})."""

    api_path = "/linode/stackscripts/{id}"
    event_entity_type = "stackscript"

    label = MutableField[str]()
    description = MutableField[str]()
    images = MutableField[list[str]]()
    script = MutableField[str]()
    is_public = MutableField[bool]()
    rev_note = MutableField[str]()
    mine = Field[bool]()
    deployments_total = Field[int]()
    deployments_active = Field[int]()
    created = Field[datetime](timestamp=True)
    updated = Field[datetime](timestamp=True)
    username = Field[str]()
    user_gravatar_id = Field[str]()
    user_defined_fields = Field[list[Record]]()
