"""Tri à la française des organisations d'accueil (collation « fr_icu », créée par examens 0014)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("examens", "0014_tri_francais"),
        ("pfmp", "0001_periodes_attestations_document_liaison"),
    ]

    operations = [
        migrations.AlterField(
            model_name="organisation",
            name="nom",
            field=models.CharField(db_collation="fr_icu", max_length=200),
        ),
    ]
