"""Plusieurs écritures de l'ORM envoyées à PostgreSQL en une seule requête (issue #23).

L'enregistrement automatique d'une grille écrit trois lignes à chaque clic : le niveau de la compétence, la
version de la grille, la ligne d'historique. Trois `save()` de Django, ce sont trois allers-retours avec la base,
trois requêtes à analyser pour PostgreSQL et trois passages par le compilateur de Django : sous charge, une bonne
part du processeur de l'enregistrement, et rien d'autre que de l'attente pour l'utilisateur.

`Ecritures` garde le SQL que Django compile pour chaque écriture (`modifier` : celui de `save(update_fields=…)` ;
`creer` : celui de `save()` d'un nouvel objet, valeurs par défaut et `auto_now` compris), puis `executer` les envoie
ensemble, chacune dans une expression de table commune de PostgreSQL (`WITH e0 AS (UPDATE …), e1 AS (INSERT …)
SELECT …`), qui renvoie les clés écrites. Rien n'est écrit à la main : tables, colonnes, conversions des valeurs
(décimaux, JSON, dates) et valeurs par défaut sont celles de Django.

Ce que la requête unique change, et pourquoi c'est sans effet ici : les écritures d'une même requête voient toutes
la base d'avant la requête (aucune ne voit l'effet d'une autre). Elles doivent donc porter sur des lignes
différentes et ne pas dépendre l'une de l'autre ; une clé étrangère vers une ligne créée dans la même requête est
vérifiée à la fin de celle-ci, comme dans une transaction. Comme `save(update_fields=…)`, une modification qui ne
trouve pas sa ligne lève DatabaseError, et la transaction de l'appelant est annulée. Aucun signal n'est envoyé
(aucun modèle d'AGOrA n'en écoute) : à réserver aux écritures simples d'un chemin chaud.
"""

from django.db import DatabaseError, connections
from django.db.models import Model, sql
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND


class Ecritures:
    def __init__(self, using: str = "default"):
        self._using = using
        self._ecritures: list[tuple[str, Model, str, tuple]] = []  # (genre, objet, SQL, paramètres)

    def modifier(self, objet: Model, champs: list[str]) -> None:
        """Comme `objet.save(update_fields=champs)` : ces colonnes seulement (un champ `auto_now` nommé dans
        `champs` prend l'instant présent)."""
        meta = objet._meta
        if objet.pk is None:
            raise ValueError("Une modification porte sur un objet déjà enregistré.")
        champs_ = [f for f in meta.local_concrete_fields if f.name in champs or f.attname in champs]
        if len(champs_) != len(set(champs)):
            raise ValueError(f"Champs inconnus de {meta.label} : {sorted(champs)}.")
        requete = sql.UpdateQuery(type(objet))
        requete.add_update_fields([(f, None, f.pre_save(objet, False)) for f in champs_])
        # Le filtre de save() sur la clé, sans l'analyse du nom « pk » par add_filter (la moitié du coût d'ici).
        requete.where.add(Exact(meta.pk.get_col(requete.get_initial_alias()), objet.pk), AND)
        compilateur = requete.get_compiler(self._using)
        compilateur.returning_fields = [meta.pk]
        texte, parametres = compilateur.as_sql()
        self._ecritures.append(("modifier", objet, texte, tuple(parametres)))

    def creer(self, objet: Model) -> None:
        """Comme `objet.save()` d'un nouvel objet à clé automatique : la clé est posée par `executer`."""
        meta = objet._meta
        if objet.pk is not None or meta.auto_field is None:
            raise ValueError("Une création porte sur un nouvel objet à clé automatique.")
        champs = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
        requete = sql.InsertQuery(type(objet))
        requete.insert_values(champs, [objet])
        compilateur = requete.get_compiler(self._using)
        compilateur.returning_fields = [meta.pk]
        ((texte, parametres),) = compilateur.as_sql()
        self._ecritures.append(("creer", objet, texte, tuple(parametres)))

    def executer(self) -> None:
        """Une requête pour toutes les écritures ; les nouveaux objets reçoivent leur clé. Rien à faire si aucune."""
        if not self._ecritures:
            return
        expressions = ", ".join(f"e{i} AS ({texte})" for i, (_, _, texte, _) in enumerate(self._ecritures))
        colonnes = ", ".join(f"ARRAY(SELECT * FROM e{i})" for i in range(len(self._ecritures)))
        parametres = tuple(p for *_, ps in self._ecritures for p in ps)
        with connections[self._using].cursor() as curseur:
            curseur.execute(f"WITH {expressions} SELECT {colonnes}", parametres)
            cles = curseur.fetchone()
        for (genre, objet, _, _), ecrites in zip(self._ecritures, cles, strict=True):
            if len(ecrites) != 1:
                # Comme save(update_fields=…) sans ligne trouvée : l'erreur annule la transaction de l'appelant.
                raise DatabaseError(f"{genre} {objet._meta.label} : {len(ecrites)} ligne(s) écrite(s) au lieu d'une.")
            if genre == "creer":
                objet.pk = ecrites[0]
                objet._state.adding = False
                objet._state.db = self._using
        self._ecritures.clear()
