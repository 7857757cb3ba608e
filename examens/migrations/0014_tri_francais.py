"""Tri à la française : une collation ICU « fr_icu » pour les noms de candidats et d'établissements.

La grappe PostgreSQL est initialisée en C.UTF-8 : sans collation, « ÉTIENNE » se trie après « VINCENT ». La
collation est créée ici (les collations « fr-x-icu » importées par initdb dépendent de l'installation) ; elle est
déterministe, donc l'égalité, les contraintes d'unicité et LIKE (icontains) se comportent comme avant.
"""

from django.db import migrations, models

CREER = "CREATE COLLATION IF NOT EXISTS fr_icu (provider = icu, locale = 'fr-FR')"
SUPPRIMER = "DROP COLLATION IF EXISTS fr_icu"


class Migration(migrations.Migration):
    dependencies = [
        ("examens", "0013_titre_dispense"),
    ]

    operations = [
        migrations.RunSQL(CREER, SUPPRIMER),
        migrations.AlterField(
            model_name="candidat",
            name="nom",
            field=models.CharField(db_collation="fr_icu", max_length=100),
        ),
        migrations.AlterField(
            model_name="candidat",
            name="prenom",
            field=models.CharField(db_collation="fr_icu", max_length=100, verbose_name="prénom"),
        ),
        migrations.AlterField(
            model_name="etablissement",
            name="nom",
            field=models.CharField(db_collation="fr_icu", max_length=200),
        ),
    ]
