"""Requêtes de l'ORM compilées une fois par processus, puis exécutées avec d'autres valeurs (issue #23).

Construire et compiler un QuerySet coûte à Django 0,5 à 1,5 ms de processeur par requête (les filtres du
périmètre, les jointures de `select_related`), bien plus que PostgreSQL pour l'exécuter (≈ 0,07 ms pour la
commission d'une grille) : sur l'enregistrement automatique d'une grille, appelé à chaque clic, c'est le plus gros
du temps du serveur. Django n'a pas de cache de compilation, ni aucune bibliothèque bien tenue pour lui.

`RequeteFigee(fabrique)` : `fabrique(*forme, **valeurs)` construit le QuerySet avec les fonctions habituelles (le
périmètre d'`examens.perimetre`, `select_related`, `select_for_update`) ; rien n'est écrit à la main. Au premier
appel, la fabrique est compilée deux fois avec deux jeux de valeurs sentinelles ; la requête n'est gardée que si
le SQL est le même et si les paramètres ne diffèrent qu'aux places des sentinelles (sinon, la requête dépend de
ses valeurs autrement que par ses paramètres : elle est reconstruite à chaque appel, comme avant). La `forme`
(un tri choisi parmi quelques-uns) est une constante de la requête : une compilation par forme. Ensuite chaque
appel remplace les sentinelles par les vraies valeurs et laisse Django construire les objets (`ModelIterable` :
`select_related`, annotations) à partir de ce SQL.

Valeurs acceptées : des entiers, des chaînes, des instants (datetime) et l'utilisateur. L'utilisateur est
remplacé par un compte sentinelle qui a les mêmes permissions : le périmètre ne dépend de l'utilisateur que par
ses permissions (`voit_tout`) et par sa clé ; une compilation est gardée par jeu de permissions. La fabrique ne
doit dépendre de ses valeurs que par les paramètres du SQL (pas de branche sur une valeur).

Requêtes préparées (`REQUETES_PREPAREES`, vrai par défaut). Sous charge, PostgreSQL passait plus de temps à
planifier ces lectures qu'à les exécuter (pg_stat_statements, enregistrement automatique : 0,4 à 0,9 ms de
planification pour 0,01 à 0,2 ms d'exécution pour le candidat, les membres, la commission). Le SQL d'une requête
figée ne change plus : sur chaque connexion, il est préparé une fois (`PREPARE`), puis exécuté (`EXECUTE`, mêmes
valeurs) par le curseur de Django ; PostgreSQL garde un plan générique quand il ne coûte pas plus que les plans
propres aux valeurs (plan_cache_mode « auto »). Tout le reste ne change pas : journal des requêtes, erreurs de
Django, objets construits par `ModelIterable`. Une requête que PostgreSQL ne sait pas préparer (le type d'un
paramètre indécidable) est exécutée comme avant. À mettre à faux derrière un PgBouncer en mode transaction (une
requête préparée vit dans une connexion du serveur, pas dans celle du client).

`REQUETES_FIGEES_VERIFIEES` (réglage, vrai pendant les tests) : chaque appel exécute aussi le QuerySet construit
normalement et vérifie que les objets lus sont les mêmes, champ par champ.
"""

import copy
import datetime
import functools
import inspect
import itertools
import re
from collections.abc import Callable
from typing import Any

import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import get_related_populators
from django.db.models.signals import post_init, pre_init
from django.db.transaction import TransactionManagementError
from psycopg.pq import TransactionStatus

# Dans les bornes du plus petit entier positif de Django (PositiveSmallIntegerField, 0 à 32 767) : hors bornes,
# Django compile un filtre vide ou plein. Une constante de la requête égale à une sentinelle est décelée par la
# double compilation (elle ne change pas avec le second jeu) : la requête n'est alors pas figée.
_SENTINELLES_ENTIERES = (31_013, 29_017)
_INCOMPILABLE = object()
# Les entiers, de Python et typés de psycopg (Int2 pour un SmallIntegerField…) : leur type SQL à PREPARE et leurs
# bornes (un entier de Python est déclaré bigint : au-delà, une comparaison avec une colonne integer serait refusée
# par PostgreSQL, là où une requête non préparée compare sans erreur).
_ENTIERS = {
    "int": ("bigint", 2**63),
    "Int2": ("smallint", 2**15),
    "Int4": ("integer", 2**31),
    "Int8": ("bigint", 2**63),
}
_AUTRES_TYPES_SQL = {"bool": "boolean", "datetime": "timestamptz"}
# Un nom par requête compilée, unique dans le processus (donc dans chacune de ses connexions).
_NUMEROS = itertools.count(1)
_SQL_PREPARE: dict[str, str] = {}  # nom → SQL de Django, pour relire un journal de requêtes (sql_lisible)
_MARQUES = re.compile(r"%s|%%")


class RequeteFigee:
    def __init__(self, fabrique: Callable[..., QuerySet]):
        self._fabrique = fabrique
        self._compilees: dict[tuple, Any] = {}

    def __call__(self, *forme, **valeurs) -> list[Model]:
        """`forme` : des constantes qui choisissent la forme de la requête (un tri parmi quelques-uns), passées
        telles quelles à la fabrique, une compilation chacune ; à l'appelant d'en borner le nombre."""
        cle = (forme, _variante(valeurs))
        compilee = self._compilees.get(cle)
        if compilee is None:
            compilee = self._compilees[cle] = self._compiler(forme, valeurs)
        if compilee is _INCOMPILABLE:
            return list(self._fabrique(*forme, **_reelles(valeurs)))
        objets = compilee.executer(valeurs)
        if objets is None:  # une valeur hors des bornes de sa colonne : l'ORM sait répondre « rien » sans erreur
            return list(self._fabrique(*forme, **_reelles(valeurs)))
        if getattr(settings, "REQUETES_FIGEES_VERIFIEES", False):
            self._verifier(compilee, forme, valeurs, objets)
        return objets

    def _verifier(self, compilee, forme: tuple, valeurs: dict, objets: list[Model]) -> None:
        """La même lecture par l'ORM, hors du compte des requêtes (les tests qui comptent les requêtes d'une page
        comptent celles de l'application, pas celles de cette vérification)."""
        journal = connections[compilee.qs.db].queries_log
        avant = len(journal)
        attendus = list(self._fabrique(*forme, **_reelles(valeurs)))
        for _ in range(len(journal) - avant):
            journal.pop()
        if _empreinte(objets) != _empreinte(attendus):
            raise AssertionError(f"Requête figée ≠ ORM : {_empreinte(objets)} au lieu de {_empreinte(attendus)}")

    def _compiler(self, forme: tuple, valeurs: dict):
        jeux = [_sentinelles(valeurs, rang) for rang in (0, 1)]
        compilations = []
        for jeu in jeux:
            qs = self._fabrique(*forme, **jeu)
            if qs._prefetch_related_lookups or qs._iterable_class.__name__ != "ModelIterable":
                raise ValueError("RequeteFigee : des objets, sans prefetch_related (lu à part).")
            compilateur = qs.query.get_compiler(using=qs.db)
            try:
                sql, params = compilateur.as_sql()
            except EmptyResultSet:
                return _INCOMPILABLE
            if compilateur.has_extra_select:
                return _INCOMPILABLE
            compilations.append((qs, compilateur, sql, list(params)))
        (qs, compilateur, sql, params), (_, _, sql_b, params_b) = compilations
        if sql != sql_b or len(params) != len(params_b):
            return _INCOMPILABLE
        places = {}
        a, b = (_valeurs_sql(j) for j in jeux)
        for i, (pa, pb) in enumerate(zip(params, params_b, strict=True)):
            noms_a = [n for n, v in a.items() if _egal(v, pa)]
            if pa == pb and not noms_a:
                continue
            noms = [n for n in noms_a if _egal(b[n], pb)]
            if len(noms) != 1:
                return _INCOMPILABLE
            places[i] = noms[0]
        # Une valeur peut ne pas servir (l'utilisateur qui voit tout) : le SQL est alors le même sans elle.
        return _Compilee(qs, compilateur, sql, params, places)


class _Compilee:
    def __init__(self, qs: QuerySet, compilateur, sql: str, params: list, places: dict[int, str]):
        self.qs, self.compilateur, self.sql, self.params, self.places = qs, compilateur, sql, params, places
        self.nom = f"agora_figee_{next(_NUMEROS)}"
        self.plan = None  # _Plan, fait à la première lecture sur chaque connexion
        _SQL_PREPARE[self.nom] = sql
        self.preparable = True
        # « %s » de Django → « $1, $2… » de PREPARE, « %% » → « % » (le texte n'est plus interpolé par psycopg).
        rangs = itertools.count(1)
        # Les types des paramètres sont dits à PostgreSQL quand la valeur les dit (_ENTIERS), les autres déduits.
        types = ", ".join(_type_sql(p) for p in params)
        self.preparation = f"PREPARE {self.nom}{f'({types})' if params else ''} AS " + _MARQUES.sub(
            lambda m: f"${next(rangs)}" if m.group() == "%s" else "%", sql
        )
        self.execution = f"EXECUTE {self.nom}" + (f"({', '.join(['%s'] * len(params))})" if params else "")

    def _preparee(self, connexion) -> bool:
        """La requête est-elle préparée dans la connexion de PostgreSQL de ce fil ? Sinon, la prépare : une fois
        par connexion, dans un point de sauvegarde si une transaction est ouverte (un échec ne la gâche pas)."""
        if not self.preparable or not getattr(settings, "REQUETES_PREPAREES", True):
            return False
        connexion.ensure_connection()
        brute = connexion.connection
        # Les noms préparés de cette connexion de PostgreSQL ; une nouvelle connexion repart de rien.
        etat = getattr(connexion, "_agora_preparees", None)
        if etat is None or etat[0] is not brute:
            etat = connexion._agora_preparees = (brute, set())
        if self.nom in etat[1]:
            return True
        if brute.info.transaction_status == TransactionStatus.INERROR:
            return False  # la transaction a déjà échoué : la requête elle-même le dira, par Django
        # Par le curseur de psycopg : ni le journal des requêtes de Django (une page compte les siennes, pas
        # celle-ci, faite une fois par connexion), ni son état de transaction ne sont touchés.
        sauvegarde = not brute.autocommit
        with brute.cursor() as curseur:
            try:
                if sauvegarde:
                    curseur.execute("SAVEPOINT agora_preparation")
                curseur.execute(self.preparation)
            except psycopg.Error:
                if brute.broken or brute.closed:
                    return False  # la connexion est perdue : la requête échouera par Django, qui la refermera
                if sauvegarde:
                    curseur.execute("ROLLBACK TO SAVEPOINT agora_preparation")
                    curseur.execute("RELEASE SAVEPOINT agora_preparation")
                self.preparable = False  # PostgreSQL ne sait pas la préparer : exécutée comme avant
                return False
            if sauvegarde:
                curseur.execute("RELEASE SAVEPOINT agora_preparation")
        etat[1].add(self.nom)
        return True

    def executer(self, valeurs: dict) -> list[Model] | None:
        """Les objets lus ; None si une valeur sort des bornes de l'entier de sa colonne (une année de 12 chiffres
        dans une adresse : PostgreSQL refuserait le paramètre, l'ORM compile un filtre vide)."""
        reelles = _valeurs_sql(valeurs)
        params = list(self.params)
        for i, nom in self.places.items():
            # Le type du paramètre compilé (Int2 de psycopg pour un petit entier…), avec la vraie valeur.
            valeur, compile_ = reelles[nom], params[i]
            entier = _ENTIERS.get(type(compile_).__name__)
            if entier is not None and not -entier[1] <= valeur < entier[1]:
                return None
            if type(valeur) is not type(compile_):
                valeur = type(compile_)(valeur)
            params[i] = valeur
        connexion = connections[self.qs.db]
        if self.qs.query.select_for_update and connexion.get_autocommit():
            # Le contrôle que fait Django en compilant : un verrou hors transaction ne protégerait rien.
            raise TransactionManagementError("select_for_update ne s'emploie que dans une transaction.")
        sql = self.execution if self._preparee(connexion) else self.sql
        # Ce que Django recalcule à chaque lecture et qui ne dépend que du SQL et de la connexion : une fois. Lu dans
        # une variable : un autre fil (une autre connexion) peut remplacer `self.plan` pendant cette lecture.
        plan = self.plan
        if plan is None or plan.connexion is not connexion:
            plan = self.plan = _Plan(connexion, self.qs, self.compilateur)
        # Un récepteur de pre_init ou de post_init branché depuis : la construction de Django, qui l'appelle.
        if not plan.simple or pre_init.receivers or post_init.receivers:
            return self._par_django(connexion, sql, params, plan.convertisseurs)
        # Le curseur de Django : journal des requêtes, erreurs de la base traduites, fermeture.
        with connexion.cursor() as curseur:
            curseur.execute(sql, params)
            lignes = curseur.fetchall()
        return plan.objets(lignes)

    def _par_django(self, connexion, sql: str, params: list, convertisseurs: dict) -> list[Model]:
        """La lecture par ModelIterable, avec ce SQL et ces paramètres, sans recompiler la requête."""
        compilateur = copy.copy(self.compilateur)
        # La connexion du fil qui exécute (les connexions de Django sont propres à chaque fil).
        compilateur.connection = connexion
        compilateur.as_sql = lambda *args, **kwargs: (sql, params)
        compilateur.get_converters = lambda expressions: convertisseurs
        # Ce que ModelIterable lit du QuerySet, sans le cloner (QuerySet._chain copie toute la requête) : une
        # copie de surface, dont la requête (copiée en surface aussi) rend ce compilateur.
        requete = copy.copy(self.qs.query)
        requete.get_compiler = lambda *args, **kwargs: compilateur
        qs = QuerySet.__new__(type(self.qs))
        qs.__dict__.update(self.qs.__dict__)
        qs._query, qs._result_cache = requete, None
        return list(qs._iterable_class(qs))


class _Plan:
    """Les objets d'une lecture figée, construits comme ModelIterable les construit, sans ce qu'il refait à chaque
    lecture : la copie du compilateur et de la requête, les convertisseurs des colonnes (JSON, décimaux…), les
    RelatedPopulator du select_related, puis Model.__init__ pour chaque objet (le signal pre_init, le tour de tous
    les champs). C'était, hors de PostgreSQL, la moitié du coût d'une lecture figée : 0,1 à 0,2 ms par lecture, une
    dizaine de lectures pour une page de grille.

    Chaque objet est celui que fait Model.from_db quand la ligne donne une valeur à chacun de ses champs lus : un
    `_state` (pas à ajouter, sa base, son mode de lecture) et la valeur de chaque colonne sous son attname (un
    champ différé, absent de la ligne, reste absent, comme chez Django). Seulement dans ce cas simple (`simple`) :
    ni récepteur de pre_init ou post_init (vu à chaque lecture), ni from_db propre à un modèle, ni attname à
    descripteur d'écriture (hors celui des clés étrangères, qui sur un objet neuf ne fait qu'écrire la valeur), ni
    colonne composite, ni lecture par pairs (fetch_mode), ni objets liés connus ; sinon Django lit. Les tests
    comparent chaque lecture à celle de l'ORM, champ par champ et état compris (REQUETES_FIGEES_VERIFIEES)."""

    def __init__(self, connexion, qs: QuerySet, compilateur):
        colonnes = [s[0] for s in compilateur.select[0 : compilateur.col_count]]
        self.connexion, self.db, self.fetch_mode = connexion, qs.db, qs._fetch_mode
        self.convertisseurs = compilateur.get_converters(colonnes)
        info = compilateur.klass_info
        self.simple = not (
            qs._known_related_objects
            or self.fetch_mode.track_peers
            or compilateur.has_composite_fields(colonnes)
            or not _construisible(info)
        )
        if not self.simple:
            return
        champs = info["select_fields"]
        debut, fin = champs[0], champs[-1] + 1
        self.racine = (self._fabrique(info["model"]), debut, fin, [c.target.attname for c in colonnes[debut:fin]])
        self.lies = get_related_populators(info, compilateur.select, self.db, self.fetch_mode)
        pile = list(self.lies)
        while pile:  # chaque RelatedPopulator, à toute profondeur, construit ses objets comme la racine
            populateur = pile.pop()
            populateur.from_db = self._fabrique(populateur.model_cls)
            pile.extend(populateur.related_populators)
        self.annotations = list(compilateur.annotation_col_map.items())
        self.conversions = list(self.convertisseurs.items())

    def _fabrique(self, modele):
        db, fetch_mode = self.db, self.fetch_mode

        def from_db(_db, noms, valeurs):
            objet = modele.__new__(modele)
            etat = objet._state = ModelState()
            etat.adding, etat.db, etat.fetch_mode = False, db, fetch_mode
            objet.__dict__.update(zip(noms, valeurs, strict=True))
            return objet

        return from_db

    def objets(self, lignes: list) -> list[Model]:
        construire, debut, fin, noms = self.racine
        if self.conversions:  # SQLCompiler.apply_converters
            connexion = self.connexion
            lignes = list(map(list, lignes))
            for ligne in lignes:
                for rang, (fonctions, expression) in self.conversions:
                    valeur = ligne[rang]
                    for fonction in fonctions:
                        valeur = fonction(valeur, expression, connexion)
                    ligne[rang] = valeur
        objets = []
        for ligne in lignes:
            objet = construire(self.db, noms, ligne[debut:fin])
            for lie in self.lies:
                lie.populate(ligne, objet)
            for nom, rang in self.annotations:
                setattr(objet, nom, ligne[rang])
            objets.append(objet)
        return objets


def _construisible(info: dict) -> bool:
    """Chaque modèle de la lecture (et de son select_related) se construit-il à l'identique sans Model.__init__ ?"""
    modele = info["model"]
    if modele.from_db.__func__ is not Model.from_db.__func__:
        return False
    for champ in modele._meta.concrete_fields:
        descripteur = inspect.getattr_static(modele, champ.attname, None)
        if hasattr(type(descripteur), "__set__") and not isinstance(descripteur, ForeignKeyDeferredAttribute):
            return False
    return all(_construisible(lie) for lie in info.get("related_klass_infos", []))


def sql_lisible(sql: str) -> str:
    """Le SQL qu'exécute une ligne du journal des requêtes : « EXECUTE agora_figee_3(…) » → le SQL préparé sous ce
    nom (avec ses « %s »), pour les tests qui lisent le journal et le profil des pages ; tout autre SQL tel quel."""
    if sql.startswith("EXECUTE agora_figee_"):
        return _SQL_PREPARE.get(sql.removeprefix("EXECUTE ").partition("(")[0], sql)
    return sql


def _type_sql(param) -> str:
    """Le type d'un paramètre de PREPARE : celui que sa valeur impose, « unknown » (déduit de la requête) sinon."""
    nom = type(param).__name__
    return _ENTIERS[nom][0] if nom in _ENTIERS else _AUTRES_TYPES_SQL.get(nom, "unknown")


def _est_utilisateur(valeur) -> bool:
    return isinstance(valeur, _modele_utilisateur())


@functools.cache
def _modele_utilisateur():
    return get_user_model()


def _variante(valeurs: dict) -> tuple:
    """La compilation dépend des types des valeurs et des permissions de l'utilisateur, rien d'autre."""
    cle = []
    for nom, valeur in sorted(valeurs.items()):
        if _est_utilisateur(valeur):
            cle.append((nom, "utilisateur", valeur.is_active, frozenset(valeur.get_all_permissions())))
        elif isinstance(valeur, bool) or not isinstance(valeur, int | str | datetime.datetime):
            raise TypeError(f"RequeteFigee : {nom} doit être un entier, une chaîne, un instant ou l'utilisateur.")
        else:
            cle.append((nom, type(valeur).__name__))
    return tuple(cle)


def _sentinelles(valeurs: dict, rang: int) -> dict:
    jeu = {}
    for i, (nom, valeur) in enumerate(sorted(valeurs.items())):
        entier = _SENTINELLES_ENTIERES[rang] - 7 * i
        if _est_utilisateur(valeur):
            jeu[nom] = _compte_pareil(valeur, entier)
        elif isinstance(valeur, int):
            jeu[nom] = entier
        elif isinstance(valeur, datetime.datetime):
            jeu[nom] = datetime.datetime(2101 + rang, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(minutes=i)
        else:
            jeu[nom] = f"\x1fsentinelle-{rang}-{i}"
    return jeu


def _compte_pareil(utilisateur, pk: int):
    """Un compte non enregistré de clé `pk`, avec les permissions de `utilisateur` (lues sans requête)."""
    compte = get_user_model()(pk=pk, is_active=utilisateur.is_active, is_superuser=utilisateur.is_superuser)
    compte._perm_cache = set(utilisateur.get_all_permissions())
    return compte


def _reelles(valeurs: dict) -> dict:
    """Les valeurs telles que la fabrique les reçoit aussi sans compilation : l'utilisateur par un compte pareil."""
    return {n: _compte_pareil(v, v.pk) if _est_utilisateur(v) else v for n, v in valeurs.items()}


def _valeurs_sql(valeurs: dict) -> dict:
    return {n: v.pk if _est_utilisateur(v) else v for n, v in valeurs.items()}


def _egal(valeur, param) -> bool:
    """Le paramètre compilé porte-t-il cette valeur ? psycopg enveloppe certains entiers (Int2 pour un petit
    entier) : même valeur, même famille de type, pas un booléen."""
    if isinstance(valeur, str):
        return isinstance(param, str) and param == valeur
    if isinstance(valeur, datetime.datetime):
        return isinstance(param, datetime.datetime) and param == valeur
    return isinstance(param, int) and not isinstance(param, bool) and param == valeur


def _empreinte(objets: list[Model], vus: frozenset = frozenset()) -> list:
    """Ce qu'une lecture a rendu : chaque objet, ses champs et annotations, et les objets de son select_related.
    Un objet lié qui renvoie à un objet déjà décrit (le résultat joint d'un candidat le connaît) : sa clé seule."""
    return [
        (o._meta.label, o.pk)
        if id(o) in vus
        else (
            o._meta.label,
            (o._state.adding, o._state.db, o._state.fetch_mode),
            {k: v for k, v in o.__dict__.items() if not k.startswith("_")},
            {
                nom: None if lie is None else _empreinte([lie], vus | {id(o)})[0]
                for nom, lie in o._state.fields_cache.items()
            },
        )
        for o in objets
    ]
