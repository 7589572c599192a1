"""Region attributes read what the live API sends."""

from linode_api import LinodeClient, Region


def test_region_site_type_from_fake(linode_fake):
    client = LinodeClient(linode_fake.token, linode_fake.api_url)
    region = Region(client, "us-east")
    assert region.site_type == "core"
