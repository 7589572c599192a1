from django.db import migrations


def create_limiter_row(apps, schema_editor):
    # Workers lock this row while they count create slots; creating it here
    # keeps two first-time workers from racing to insert it.
    apps.get_model("provisioning", "RateLimitLock").objects.get_or_create(name="linode_create")


class Migration(migrations.Migration):
    dependencies = [("provisioning", "0001_initial")]

    operations = [migrations.RunPython(create_limiter_row, migrations.RunPython.noop)]
