from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stylerec_plugin", "0004_style_translations"),
    ]

    operations = [
        migrations.AddField(
            model_name="recommendermodel",
            name="training_choice",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
