"""linode_fake: a local stand-in for the Linode API v4 and its OAuth login service.

Start it with `python -m linode_fake --help`, or in tests with
`linode_fake.testing.run_fake` or the fixtures in `linode_fake.pytest_plugin`.
It imports nothing from `linode_api` or Django.
"""
