from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stylerec_plugin", "0005_product_true"),
    ]

    operations = [
        migrations.AddField(
            model_name="recommendermodel",
            name="training_choice",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
