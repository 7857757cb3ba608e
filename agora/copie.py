"""Écriture en masse dans PostgreSQL : insérer ou remplacer des milliers de lignes en un nombre fixe de requêtes.

Outil de la couche du bas (n'importe aucune application) : les notes d'un import national (300 000 lignes) et
les résultats d'une session (25 000) passent par COPY dans une table temporaire de même forme que la table visée,
puis un seul INSERT … ON CONFLICT DO UPDATE ; quelques lignes passent par un INSERT … VALUES direct, la table
temporaire coûtant plus que l'écriture elle-même.
"""

from collections.abc import Sequence

from django.db import connection, transaction

SEUIL_COPY = 500


@transaction.atomic  # la table temporaire vit jusqu'à la fin de la transaction (ON COMMIT DROP)
def inserer_ou_remplacer(
    table: str, colonnes: Sequence[str], lignes: Sequence[Sequence], conflit: str, remplacer: Sequence[str]
) -> None:
    """Insère `lignes` (valeurs dans l'ordre de `colonnes`) ; en conflit sur `conflit` (« (candidat_id) » ou
    « ON CONSTRAINT note_unique »), remplace les colonnes `remplacer` par les nouvelles valeurs."""
    if not lignes:
        return
    liste = ", ".join(colonnes)
    mises_a_jour = ", ".join(f"{c} = EXCLUDED.{c}" for c in remplacer)
    suite = f"ON CONFLICT {conflit} DO UPDATE SET {mises_a_jour}"
    with connection.cursor() as curseur:
        if len(lignes) <= SEUIL_COPY:
            valeurs = ", ".join(["(" + ", ".join(["%s"] * len(colonnes)) + ")"] * len(lignes))
            curseur.execute(
                f"INSERT INTO {table} ({liste}) VALUES {valeurs} {suite}", [x for ligne in lignes for x in ligne]
            )
            return
        temporaire = f"{table}_a_ecrire"
        # Les types des colonnes sont ceux de la table visée : rien à recopier à la main.
        curseur.execute(f"CREATE TEMP TABLE {temporaire} ON COMMIT DROP AS SELECT {liste} FROM {table} WITH NO DATA")
        with curseur.cursor.copy(f"COPY {temporaire} ({liste}) FROM STDIN") as copie:
            for ligne in lignes:
                copie.write_row(ligne)
        curseur.execute(f"INSERT INTO {table} ({liste}) SELECT {liste} FROM {temporaire} {suite}")
        curseur.execute(f"DROP TABLE {temporaire}")
