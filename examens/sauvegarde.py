"""Sauvegarde et restauration d'une session d'examen dans un fichier autonome et vérifiable.

Le contenu se déduit des clés étrangères, sans liste de modèles écrite ici : un modèle ajouté plus tard
(grilles, commissions, PFMP…) suit sans changer ce code.

- « propres » : la session et tout ce qui en dépend, c'est-à-dire ce que sa suppression effacerait ou
  empêcherait (CASCADE, PROTECT, RESTRICT, DO_NOTHING), de proche en proche. Ce qui survit à la session
  (SET_NULL, SET_DEFAULT) n'en fait pas partie. Toujours recréés à la restauration.
- « partagés » : ce que les précédents désignent et qui n'est ni référentiel ni règlement (établissements,
  comptes…). À la restauration, on reprend l'existant de même identité et on ne crée que ce qui manque.
- « références » : le référentiel, le règlement (et ce qui disparaît avec eux), groupes, permissions. Jamais
  copiés : retrouvés par leur identité dans la base cible, qui doit les avoir chargés (mêmes empreintes).
- le journal d'audit de l'année de la session (lié par valeur, pas par clé), et son journal archivé.
- les documents émis de l'année (relevés, procès-verbaux : liés par valeur), octets compris.

L'identité d'un objet est sa clé naturelle (`natural_key()`), sinon son premier champ unique, sinon sa
première contrainte d'unicité (les clés étrangères y sont remplacées par l'identité de leur cible). Un objet
partagé sans identité (ex. un organisme d'accueil de PFMP) est repris s'il est là avec la même clé et les mêmes
valeurs, créé sinon.

Format, version 2 : un fichier gzip de lignes JSON. Ligne 1 : l'en-tête (format, version, session, empreintes,
migrations appliquées, blocs d'objets, identités des objets désignés, identifiant de la clé de signature). Puis
un objet par ligne, tel que le sérialiseur « python » de Django le produit. Dernière ligne :
{"sha256": …, "hmac": …, "objets": n} : l'empreinte SHA-256 des lignes qui précèdent (intégrité : fichier tronqué
ou abîmé) et leur HMAC-SHA256 avec la clé `SAUVEGARDE_CLE` (authenticité : une empreinte se recalcule, une
signature non). Un fichier non signé ou signé avec une autre clé est refusé.

Une signature prouve qui a écrit le fichier, pas que son contenu est sans danger : quoi qu'il contienne, une
restauration ne rend aucun condensat de mot de passe ni aucun droit d'administration (comptes recréés
inutilisables, sans is_staff ni is_superuser ni permission directe), ne déverrouille aucune session (restaurée
verrouillée si le fichier ou le journal de cette base le disent) et n'écrit rien dans le journal authentique :
les lignes de journal du fichier vont dans `JournalArchive`, marquées par le fichier et l'instant.

Longueur : un seul format de fichier, écrit et relu au même endroit, pour que l'écriture et la relecture ne
puissent pas diverger.
"""

import base64
import datetime
import decimal
import gzip
import hashlib
import hmac
import json
import os
import uuid
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.duration import duration_iso_string

from examens.models import DocumentEmis, Journal, JournalArchive, ReglementExamen, Session
from examens.services import journaliser

FORMAT = "agora-sauvegarde-session"
VERSION = 2
LOT = 2000  # objets sérialisés ou insérés à la fois
LOT_RECHERCHE = 50_000  # clés cherchées à la fois

PROPRE, PARTAGE, JOURNAL, REFERENCE = "propre", "partage", "journal", "reference"
# Liés par valeur à l'année, en ajout seul : repris s'ils sont déjà là à l'identique, créés sinon.
DOCUMENT, ARCHIVE = "document", "archive"
PAR_VALEUR = (PARTAGE, JOURNAL, DOCUMENT, ARCHIVE)
# Ce qui empêche ou suit la suppression de la session : l'objet en dépend.
DEPENDANCES = (models.CASCADE, models.DB_CASCADE, models.PROTECT, models.RESTRICT, models.DO_NOTHING)
APPS_REFERENCES = {"referentiel", "contenttypes"}
ENTETE = {"session", "verrouillee", "reglement", "referentiel", "migrations", "blocs", "identites", "cle"}


class SauvegardeInvalide(Exception):
    """Refus motivé, en français, à montrer tel quel ; rien n'a été écrit."""


@dataclass
class Bilan:
    annee: int
    sha256: str
    objets: dict[str, int] = field(default_factory=dict)  # « examens.candidat » → nombre écrit
    reutilises: dict[str, int] = field(default_factory=dict)  # objets partagés déjà présents dans la base
    renumerotes: list[str] = field(default_factory=list)  # modèles dont les clés ont dû changer
    essai: bool = False

    @property
    def comptes_crees(self) -> int:
        return self.objets.get(get_user_model()._meta.label_lower, 0)

    @property
    def total(self) -> int:
        return sum(self.objets.values())


class _Encodeur(json.JSONEncoder):
    """Comme DjangoJSONEncoder, mais sans tronquer les microsecondes : la restauration est exacte."""

    def default(self, o):
        if isinstance(o, datetime.date | datetime.time):
            return o.isoformat()
        if isinstance(o, decimal.Decimal | uuid.UUID):
            return str(o)
        if isinstance(o, datetime.timedelta):
            return duration_iso_string(o)
        return super().default(o)


def _json(valeur) -> str:
    return json.dumps(valeur, cls=_Encodeur, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _lots(valeurs: Iterable, taille: int = LOT) -> Iterator[list]:
    valeurs = sorted(valeurs)
    for i in range(0, len(valeurs), taille):
        yield valeurs[i : i + taille]


def _parmi(modele, cles: list) -> RawSQL:
    """Les clés `cles` de `modele`, en un seul paramètre tableau.

    `pk__in=[…]` fabrique un %s par valeur : des milliers de clés coûtent plus cher à mettre en forme qu'à
    chercher. `col IN (SELECT unnest(%s::bigint[]))` n'en a qu'un.
    """
    return RawSQL(f"SELECT unnest(%s::{modele._meta.pk.rel_db_type(connection)}[])", [list(cles)])


def _libelle(modele) -> str:
    return modele._meta.label_lower


def _cle() -> bytes:
    """La clé de signature ; en production, pas de valeur par défaut (voir agora/settings.py)."""
    cle = getattr(settings, "SAUVEGARDE_CLE", "")
    if not cle:
        raise SauvegardeInvalide(
            "SAUVEGARDE_CLE n'est pas définie : elle est obligatoire quand DEBUG est désactivé, et doit être la "
            "même pour sauvegarder et pour restaurer. Rien n'a été fait."
        )
    return cle.encode()


def identifiant_cle(cle: bytes) -> str:
    """Désigne la clé sans la révéler : dit « autre clé » plutôt que « fichier altéré » quand c'est le cas."""
    return hmac.new(cle, b"agora.sauvegarde.identifiant", hashlib.sha256).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------------
# Ce qui appartient à une session
# ---------------------------------------------------------------------------------------------------


def est_reference(modele, _chemin: frozenset = frozenset()) -> bool:
    """Référentiel, règlement et ce qui est supprimé avec eux ; groupes, permissions, types de contenu."""
    if modele._meta.app_label in APPS_REFERENCES or modele in (ReglementExamen, Group, Permission):
        return True
    return any(
        f.many_to_one
        and f.remote_field.on_delete in (models.CASCADE, models.DB_CASCADE)
        and f.related_model not in _chemin | {modele}
        and est_reference(f.related_model, _chemin | {modele})
        for f in modele._meta.concrete_fields
    )


def _cle_vers(champ) -> str:
    """Le lookup qui compare une clé étrangère aux clés primaires de sa cible."""
    return champ.attname if champ.target_field.primary_key else f"{champ.name}__pk"


def _m2m(modele) -> list:
    """Les many-to-many que le sérialiseur écrit (table intermédiaire automatique)."""
    return [f for f in modele._meta.local_many_to_many if f.remote_field.through._meta.auto_created]


def _cibles(modele, pks: set) -> Iterator[tuple[type, set]]:
    """Les objets que ces objets désignent, par clé étrangère ou many-to-many."""
    for f in modele._meta.concrete_fields:
        if f.is_relation and f.related_model is not None:
            cles = set()
            for lot in _lots(pks, LOT_RECHERCHE):
                cles.update(
                    modele._base_manager.filter(pk__in=_parmi(modele, lot))
                    .exclude(**{f"{_cle_vers(f)}__isnull": True})
                    .values_list(_cle_vers(f), flat=True)
                )
            yield f.related_model, cles
    for f in _m2m(modele):
        intermediaire = f.remote_field.through
        source = intermediaire._meta.get_field(f.m2m_field_name()).attname
        cible = intermediaire._meta.get_field(f.m2m_reverse_field_name()).attname
        cles = set()
        for lot in _lots(pks, LOT_RECHERCHE):
            cles.update(
                intermediaire.objects.filter(**{f"{source}__in": _parmi(modele, lot)}).values_list(cible, flat=True)
            )
        yield f.related_model, cles


@dataclass
class Contenu:
    propres: dict[type, set]  # dans l'ordre de découverte : la session d'abord, puis ce qui en dépend
    partages: dict[type, set]
    references: dict[type, set]


def collecter(session: Session) -> Contenu:
    """Parcourt le graphe des clés étrangères à partir de la session (voir la docstring du module).

    On manipule des ensembles de clés et non des instances (comme le ferait `Collector`) : une session de
    25 000 candidats et 300 000 notes tient en mémoire, et la sérialisation se fait ensuite par lots.
    """
    propres: dict[type, set] = {Session: {session.pk}}
    file = deque([(Session, {session.pk})])
    while file:
        parent, pks = file.popleft()
        for rel in parent._meta.related_objects:
            if not (rel.one_to_many or rel.one_to_one) or rel.on_delete not in DEPENDANCES:
                continue
            enfant, champ = rel.related_model, rel.field
            trouves = set()
            for lot in _lots(pks, LOT_RECHERCHE):
                trouves.update(
                    enfant._base_manager.filter(**{f"{_cle_vers(champ)}__in": _parmi(parent, lot)}).values_list(
                        "pk", flat=True
                    )
                )
            nouveaux = trouves - propres.get(enfant, set())
            if nouveaux:
                propres.setdefault(enfant, set()).update(nouveaux)
                file.append((enfant, nouveaux))

    partages: dict[type, set] = {}
    references: dict[type, set] = {}
    file = deque(propres.items())
    while file:
        modele, pks = file.popleft()
        for cible, cles in _cibles(modele, pks):
            cles -= propres.get(cible, set())
            if not cles:
                continue
            if est_reference(cible):
                references.setdefault(cible, set()).update(cles)
                continue
            nouveaux = cles - partages.get(cible, set())
            if nouveaux:
                partages.setdefault(cible, set()).update(nouveaux)
                file.append((cible, nouveaux))
    return Contenu(propres, partages, references)


# ---------------------------------------------------------------------------------------------------
# Identité des objets désignés (partagés et références)
# ---------------------------------------------------------------------------------------------------


def _champs_identite(modele) -> list | None:
    for f in modele._meta.concrete_fields:
        if f.unique and not f.primary_key:
            return [f]
    for contrainte in modele._meta.total_unique_constraints:
        return [modele._meta.get_field(nom) for nom in contrainte.fields]
    for ensemble in modele._meta.unique_together:
        return [modele._meta.get_field(nom) for nom in ensemble]
    return None


def identites(modele, cache: dict) -> dict:
    """{clé primaire: identité (texte JSON) ou None} pour toutes les lignes du modèle, en quelques requêtes."""
    if modele in cache:
        return cache[modele]
    cache[modele] = {}  # garde contre un cycle d'identités
    resultat = {}
    if hasattr(modele, "natural_key"):
        qs = modele._base_manager.all()
        if modele is Permission:
            qs = qs.select_related("content_type")
        resultat = {o.pk: _json(list(o.natural_key())) for o in qs.iterator(chunk_size=LOT)}
    elif champs := _champs_identite(modele):
        for pk, *valeurs in modele._base_manager.values_list("pk", *[f.attname for f in champs]).iterator():
            parties = []
            for f, v in zip(champs, valeurs, strict=True):
                if f.is_relation and v is not None and f.target_field.primary_key:
                    v = identites(f.related_model, cache).get(v)
                    if v is None:
                        break
                parties.append(v)
            else:
                resultat[pk] = _json(parties)
    cache[modele] = resultat
    return resultat


# ---------------------------------------------------------------------------------------------------
# Sauvegarde
# ---------------------------------------------------------------------------------------------------


def _taille_lot(modele) -> int:
    """Des PDF de quelques dizaines de Ko : 2 000 à la fois feraient des centaines de Mo en mémoire."""
    return 50 if any(isinstance(f, models.BinaryField) for f in modele._meta.concrete_fields) else LOT


def _objets(modele, pks: set) -> Iterator[dict]:
    m2m = [f.name for f in _m2m(modele)]
    for lot in _lots(pks, _taille_lot(modele)):
        qs = modele._base_manager.filter(pk__in=_parmi(modele, lot)).order_by("pk")
        if m2m:
            qs = qs.prefetch_related(*m2m)
        for objet in serializers.serialize("python", qs):
            for nom in m2m:
                objet["fields"][nom] = sorted(objet["fields"][nom])
            if issubclass(modele, AbstractBaseUser):
                objet["fields"]["password"] = ""  # jamais de condensat de mot de passe dans un fichier qui circule
            yield objet


def _migrations() -> list[str]:
    return sorted(f"{app}.{nom}" for app, nom in MigrationRecorder(connection).applied_migrations())


def sauvegarder_session(*, annee: int, chemin: Path) -> Bilan:
    """Écrit la session `annee` dans `chemin` (gzip, droits 0600), lue dans un seul instantané de la base."""
    chemin = Path(chemin)
    if chemin.exists():
        raise SauvegardeInvalide(f"{chemin} existe déjà : choisissez un autre nom de fichier.")
    if not chemin.parent.is_dir():
        raise SauvegardeInvalide(f"Le dossier {chemin.parent} n'existe pas.")
    partiel = chemin.with_name(chemin.name + ".partiel")
    instantane = not connection.in_atomic_block
    try:
        with transaction.atomic():
            if instantane:  # toutes les lectures voient la même base, même si l'on saisit des notes pendant ce temps
                with connection.cursor() as curseur:
                    curseur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            bilan = _ecrire(annee, partiel)
        os.replace(partiel, chemin)
    finally:
        partiel.unlink(missing_ok=True)
    journaliser(
        action="sauvegarde.creation",
        session=annee,
        apres={"fichier": chemin.name, "sha256": bilan.sha256, "objets": bilan.total},
        motif="manage.py sauvegarder",
    )
    return bilan


def _ecrire(annee: int, partiel: Path) -> Bilan:
    session = Session.objects.select_related("reglement__referentiel").filter(annee=annee).first()
    if session is None:
        raise SauvegardeInvalide(f"Aucune session {annee} dans cette base : rien à sauvegarder.")
    contenu = collecter(session)
    blocs = [(m, PARTAGE, pks) for m, pks in contenu.partages.items()]
    blocs += [(m, PROPRE, pks) for m, pks in contenu.propres.items()]
    for modele, role in ((DocumentEmis, DOCUMENT), (Journal, JOURNAL), (JournalArchive, ARCHIVE)):
        if pks := set(modele.objects.filter(session_annee=annee).values_list("pk", flat=True)):
            blocs.append((modele, role, pks))
    cle = _cle()

    cache: dict = {}
    table_identites = {}
    for role, groupe in ((REFERENCE, contenu.references), (PARTAGE, contenu.partages)):
        for modele, pks in groupe.items():
            connues = identites(modele, cache)
            if role == REFERENCE and (sans := [pk for pk in pks if connues.get(pk) is None]):
                raise SauvegardeInvalide(
                    f"{_libelle(modele)} {sorted(sans)[:5]} : aucune identité stable (clé naturelle ou champ "
                    "unique) pour le retrouver dans une autre base."
                )
            table_identites[_libelle(modele)] = {
                "role": role,
                "cles": {str(pk): json.loads(connues[pk]) if connues.get(pk) else None for pk in sorted(pks)},
            }
    reglement = session.reglement
    entete = {
        "format": FORMAT,
        "version": VERSION,
        "session": annee,
        "verrouillee": session.verrouillee,
        "cree_le": timezone.now().isoformat(),
        "reglement": {"code": reglement.code, "empreinte": reglement.empreinte},
        "referentiel": {"code": reglement.referentiel.code, "empreinte": reglement.referentiel.empreinte},
        "migrations": _migrations(),
        "blocs": [{"modele": _libelle(m), "role": role, "nombre": len(pks)} for m, role, pks in blocs],
        "identites": table_identites,
        "cle": identifiant_cle(cle),
    }

    empreinte = hashlib.sha256()
    signature = hmac.new(cle, digestmod=hashlib.sha256)
    fd = os.open(partiel, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as brut, gzip.GzipFile(fileobj=brut, mode="wb", compresslevel=6) as fichier:

        def ecrire(valeur) -> None:
            ligne = (_json(valeur) + "\n").encode()
            empreinte.update(ligne)
            signature.update(ligne)
            fichier.write(ligne)

        ecrire(entete)
        for modele, _role, pks in blocs:
            for objet in _objets(modele, pks):
                ecrire(objet)
        total = sum(len(pks) for _m, _r, pks in blocs)
        pied = {"sha256": empreinte.hexdigest(), "hmac": signature.hexdigest(), "objets": total}
        fichier.write((_json(pied) + "\n").encode())
    objets: dict[str, int] = {}
    for modele, _role, pks in blocs:
        objets[_libelle(modele)] = objets.get(_libelle(modele), 0) + len(pks)
    return Bilan(annee=annee, sha256=empreinte.hexdigest(), objets=objets)


# ---------------------------------------------------------------------------------------------------
# Lecture et vérification d'un fichier
# ---------------------------------------------------------------------------------------------------


@dataclass
class _Bloc:
    modele: type
    role: str
    nombre: int
    cles: list = field(default_factory=list)  # clés primaires d'origine, dans l'ordre du fichier
    condenses: dict = field(default_factory=dict)  # partagés, journal : clé → valeurs (déjà présent ?)


@dataclass
class _Lecture:
    entete: dict
    blocs: list[_Bloc]
    sha256: str


def _lignes(chemin: Path) -> Iterator[bytes]:
    try:
        with gzip.open(chemin, "rb") as fichier:
            yield from fichier
    except FileNotFoundError:
        raise SauvegardeInvalide(f"{chemin} : fichier introuvable.") from None
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as e:
        raise SauvegardeInvalide(
            f"{chemin} n'est pas une sauvegarde de session AGOrA lisible (gzip invalide ou tronqué : {e})."
        ) from None


def _parcourir(chemin: Path) -> Iterator[tuple[int, _Bloc, dict] | _Lecture]:
    """Vérifie le fichier en le lisant ; produit (n° de bloc, bloc, objet) pour chaque objet, puis la `_Lecture`."""
    illisible = f"{chemin} n'est pas une sauvegarde de session AGOrA lisible"
    lignes = _lignes(chemin)
    cle = _cle()
    empreinte = hashlib.sha256()
    signature = hmac.new(cle, digestmod=hashlib.sha256)
    try:
        premiere = next(lignes, b"")
        empreinte.update(premiere)
        signature.update(premiere)
        entete = json.loads(premiere)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SauvegardeInvalide(f"{illisible} (en-tête illisible).") from None
    if not isinstance(entete, dict) or entete.get("format") != FORMAT:
        raise SauvegardeInvalide(f"{illisible} (format inconnu).")
    if entete.get("version") != VERSION:
        non_signee = " (fichier non signé, refusé)" if entete.get("version") == 1 else ""
        raise SauvegardeInvalide(
            f"Sauvegarde au format version {entete.get('version')}{non_signee} : cette version de l'application ne "
            f"lit que la version {VERSION}, signée."
        )
    if manquantes := ENTETE - set(entete):
        raise SauvegardeInvalide(f"{illisible} (en-tête incomplet : {', '.join(sorted(manquantes))}).")
    if not hmac.compare_digest(str(entete["cle"]), identifiant_cle(cle)):
        raise SauvegardeInvalide(
            f"{chemin} est signé avec une autre clé que la SAUVEGARDE_CLE de cette installation : refusé, rien n'a "
            "été restauré. Restaurez avec la clé de l'installation qui l'a écrit."
        )
    try:
        blocs = [_Bloc(apps.get_model(b["modele"]), b["role"], int(b["nombre"])) for b in entete["blocs"]]
    except LookupError as e:
        raise SauvegardeInvalide(f"Sauvegarde d'une autre version de l'application : {e}") from None
    except (KeyError, TypeError, ValueError):
        raise SauvegardeInvalide(f"{illisible} (en-tête incomplet).") from None

    attendus = deque((i, b) for i, b in enumerate(blocs) for _ in range(b.nombre))
    pied = None
    for ligne in lignes:
        if pied is not None:
            raise SauvegardeInvalide(f"{illisible} (données après la ligne de contrôle).")
        try:
            objet = json.loads(ligne)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SauvegardeInvalide(f"{illisible} (ligne altérée).") from None
        if isinstance(objet, dict) and "sha256" in objet and "model" not in objet:
            pied = objet
            continue
        empreinte.update(ligne)
        signature.update(ligne)
        if not attendus or not isinstance(objet, dict) or objet.get("model") != _libelle(attendus[0][1].modele):
            raise SauvegardeInvalide(f"{illisible} (contenu différent de l'en-tête).")
        i, bloc = attendus.popleft()
        bloc.cles.append(bloc.modele._meta.pk.to_python(objet["pk"]))
        if bloc.role in PAR_VALEUR:
            bloc.condenses[bloc.cles[-1]] = _json(objet["fields"])
        yield i, bloc, objet
    if pied is None or attendus:
        raise SauvegardeInvalide(f"{illisible} : fichier tronqué (ligne de contrôle absente).")
    if pied["sha256"] != empreinte.hexdigest():
        raise SauvegardeInvalide(
            f"{chemin} : empreinte SHA-256 incorrecte, le fichier a été altéré. Rien n'a été restauré."
        )
    if not isinstance(pied.get("hmac"), str):
        raise SauvegardeInvalide(f"{chemin} n'est pas signé : refusé, rien n'a été restauré.")
    if not hmac.compare_digest(pied["hmac"], signature.hexdigest()):
        raise SauvegardeInvalide(
            f"{chemin} : signature HMAC incorrecte, le fichier a été modifié après sa signature (ou signé avec une "
            "autre clé). Rien n'a été restauré."
        )
    yield _Lecture(entete, blocs, pied["sha256"])


def lire_sauvegarde(chemin: Path) -> _Lecture:
    """Vérifie format, version, intégrité (SHA-256), signature (HMAC) ; relève les clés des blocs ; n'écrit rien."""
    for element in _parcourir(Path(chemin)):
        if isinstance(element, _Lecture):
            return element
    raise AssertionError("inaccessible")


# ---------------------------------------------------------------------------------------------------
# Restauration
# ---------------------------------------------------------------------------------------------------


class _Essai(Exception):
    def __init__(self, bilan: Bilan):
        self.bilan = bilan


def _verifier_base(entete: dict) -> None:
    """La base cible peut-elle recevoir cette session ? Refus en français sinon."""
    from referentiel.models import Referentiel

    manquantes = sorted(set(entete["migrations"]) - set(_migrations()))
    if manquantes:
        raise SauvegardeInvalide(
            "Cette sauvegarde vient d'une version plus récente de l'application (migrations absentes ici : "
            f"{', '.join(manquantes[:5])}{'…' if len(manquantes) > 5 else ''}). Mettez l'application à jour, "
            "lancez « manage.py migrate », puis recommencez."
        )
    for nom, modele in (("référentiel", Referentiel), ("règlement d'examen", ReglementExamen)):
        attendu = entete["referentiel" if modele is Referentiel else "reglement"]
        present = modele.objects.filter(code=attendu["code"]).first()
        if present is None:
            raise SauvegardeInvalide(
                f"Le {nom} {attendu['code']} n'est pas chargé dans cette base : lancez d'abord "
                "« manage.py charger_referentiel »."
            )
        if present.empreinte != attendu["empreinte"]:
            raise SauvegardeInvalide(
                f"Le {nom} {attendu['code']} chargé ici (empreinte {present.empreinte[:12]}…) n'est pas celui de "
                f"la sauvegarde (empreinte {attendu['empreinte'][:12]}…) : chargez la même version des fichiers."
            )
    if Session.objects.filter(annee=entete["session"]).exists():
        raise SauvegardeInvalide(
            f"La session {entete['session']} existe déjà dans cette base : une restauration ne remplace rien. "
            "Restaurez dans une base où cette session n'existe pas."
        )


def _sequence(modele) -> str | None:
    with connection.cursor() as curseur:
        curseur.execute("SELECT pg_get_serial_sequence(%s, %s)", [modele._meta.db_table, modele._meta.pk.column])
        return curseur.fetchone()[0]


def _avancer_sequence(modele) -> None:
    """Place la séquence après la plus grande clé présente, sans jamais la faire reculer."""
    if (sequence := _sequence(modele)) is None:
        return
    q = connection.ops.quote_name
    with connection.cursor() as curseur:
        curseur.execute(
            f"SELECT setval(%s, GREATEST((SELECT COALESCE(MAX({q(modele._meta.pk.column)}), 1) "
            f"FROM {q(modele._meta.db_table)}), (SELECT last_value FROM {sequence})))",
            [sequence],
        )


def _nouvelles_cles(modele, anciennes: list) -> dict:
    """Garde les clés d'origine si aucune n'est prise ; sinon les renumérote toutes depuis la séquence."""
    prises = any(
        modele._base_manager.filter(pk__in=_parmi(modele, lot)).exists() for lot in _lots(anciennes, LOT_RECHERCHE)
    )
    if not prises:
        return {c: c for c in anciennes}
    if (sequence := _sequence(modele)) is None:
        raise SauvegardeInvalide(f"{_libelle(modele)} : clés déjà prises dans cette base et non renumérotables.")
    _avancer_sequence(modele)
    with connection.cursor() as curseur:
        curseur.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, len(anciennes)])
        nouvelles = [ligne[0] for ligne in curseur.fetchall()]
    return dict(zip(anciennes, nouvelles, strict=True))


def _cles_neuves(modele, nombre: int) -> list:
    if not nombre:
        return []
    _avancer_sequence(modele)
    with connection.cursor() as curseur:
        curseur.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [_sequence(modele), nombre])
        return [ligne[0] for ligne in curseur.fetchall()]


def _correspondances(lecture: _Lecture, bilan: Bilan) -> tuple[dict, dict]:
    """Clé d'origine → clé dans cette base, par modèle ; et, par bloc, les clés à insérer."""
    cache: dict = {}
    correspondance: dict[type, dict] = {}
    a_inserer: dict[int, list] = {}
    manquants = []
    for libelle, table in lecture.entete["identites"].items():
        if table["role"] != REFERENCE:
            continue
        modele = apps.get_model(libelle)
        ici = {identite: pk for pk, identite in identites(modele, cache).items() if identite is not None}
        for cle, identite in table["cles"].items():
            identite = _json(identite)
            if identite in ici:
                correspondance.setdefault(modele, {})[modele._meta.pk.to_python(cle)] = ici[identite]
            else:
                manquants.append(f"{libelle} {identite}")
    if manquants:
        raise SauvegardeInvalide(
            "Référentiel ou règlement incomplet dans cette base ; absents : "
            f"{', '.join(manquants[:5])}{'…' if len(manquants) > 5 else ''}. Lancez « manage.py charger_referentiel »."
        )
    for i, bloc in enumerate(lecture.blocs):
        modele, libelle = bloc.modele, _libelle(bloc.modele)
        if bloc.role in PAR_VALEUR:
            # Déjà là ? Un objet partagé se reconnaît à son identité ; sans identité (et pour le journal, en ajout
            # seul), à sa clé quand toutes ses valeurs sont les mêmes : restaurer dans la base d'origine ne
            # duplique rien, et deux objets différents ne sont jamais confondus.
            table = lecture.entete["identites"].get(libelle, {}).get("cles", {}) if bloc.role == PARTAGE else {}
            ici = {identite: pk for pk, identite in identites(modele, cache).items() if identite} if table else {}
            sans_identite = [c for c in bloc.cles if table.get(str(c)) is None]
            presentes = {o["pk"]: _json(o["fields"]) for o in _objets(modele, sans_identite)}
            a_creer = []
            for cle in bloc.cles:
                identite = table.get(str(cle))
                if identite is not None:
                    cle_ici = ici.get(_json(identite))
                else:
                    cle_ici = cle if presentes.get(cle) == bloc.condenses[cle] else None
                if cle_ici is None:
                    a_creer.append(cle)
                else:
                    correspondance.setdefault(modele, {})[cle] = cle_ici
                    bilan.reutilises[libelle] = bilan.reutilises.get(libelle, 0) + 1
        else:
            a_creer = list(bloc.cles)
        if bloc.role == JOURNAL:
            # Une ligne du fichier absente du journal de cette base devient une entrée archivée : clé neuve.
            neuves = _cles_neuves(JournalArchive, len(a_creer))
            correspondance.setdefault(modele, {}).update(zip(a_creer, neuves, strict=True))
            a_inserer[i] = set(a_creer)
            continue
        nouvelles = _nouvelles_cles(modele, a_creer) if a_creer else {}
        if any(a != n for a, n in nouvelles.items()):
            bilan.renumerotes.append(libelle)
        correspondance.setdefault(modele, {}).update(nouvelles)
        a_inserer[i] = set(a_creer)
    return correspondance, a_inserer


def _traduire(objet: dict, modele, correspondance: dict) -> dict:
    """Réécrit la clé de l'objet et celles qu'il désigne pour cette base."""

    def cible(modele_cible, cle):
        try:
            return correspondance[modele_cible][cle]
        except KeyError:
            raise SauvegardeInvalide(
                f"{_libelle(modele)} {objet['pk']} désigne {_libelle(modele_cible)} {cle}, absent de la sauvegarde."
            ) from None

    objet["pk"] = cible(modele, modele._meta.pk.to_python(objet["pk"]))
    for nom, valeur in objet["fields"].items():
        f = modele._meta.get_field(nom)
        if not f.is_relation or valeur is None:
            continue
        cle_cible = f.related_model._meta.pk
        if f.many_to_many:
            objet["fields"][nom] = [cible(f.related_model, cle_cible.to_python(v)) for v in valeur]
        elif f.target_field.primary_key:
            objet["fields"][nom] = cible(f.related_model, cle_cible.to_python(valeur))
    return objet


def _inserer(modele, objets: list) -> None:
    """Un INSERT par lot, valeurs telles quelles, sans signal.

    `bulk_create` recalculerait les dates auto_now / auto_now_add (modifiee_le, date du journal…) : on passe par
    `_insert(raw=True)`, ce que fait `save_base(raw=True)` pour loaddata, mais pour tout un lot à la fois.
    """
    if not objets:
        return
    instances = [o.object for o in objets]
    modele._base_manager._insert(instances, fields=modele._meta.local_concrete_fields, raw=True)
    for f in _m2m(modele):
        intermediaire = f.remote_field.through
        source = intermediaire._meta.get_field(f.m2m_field_name()).attname
        cible = intermediaire._meta.get_field(f.m2m_reverse_field_name()).attname
        intermediaire.objects.bulk_create(
            [
                intermediaire(**{source: o.object.pk, cible: c})
                for o in objets
                for c in (o.m2m_data or {}).get(f.name, [])
            ],
            batch_size=LOT,
        )


def restaurer_session(*, chemin: Path, essai: bool = False) -> Bilan:
    """Restaure une session dans cette base, tout ou rien. `essai` : tout faire puis tout annuler."""
    chemin = Path(chemin)
    lecture = lire_sauvegarde(chemin)
    entete = lecture.entete
    _verifier_base(entete)
    bilan = Bilan(annee=entete["session"], sha256=lecture.sha256, essai=essai)
    try:
        with transaction.atomic():
            _restaurer(chemin, lecture, bilan)
            if essai:
                raise _Essai(bilan)
    except _Essai:
        pass
    except (DatabaseError, DeserializationError, ValidationError, ValueError) as e:
        raise SauvegardeInvalide(f"Restauration annulée, rien n'a été écrit : {e}") from e
    return bilan


def _restaurer(chemin: Path, lecture: _Lecture, bilan: Bilan) -> None:
    entete = lecture.entete
    modeles = {JournalArchive if b.role == JOURNAL else b.modele for b in lecture.blocs}
    tables = {m._meta.db_table for m in modeles}
    tables |= {f.remote_field.through._meta.db_table for m in modeles for f in _m2m(m)}
    q = connection.ops.quote_name
    with connection.cursor() as curseur:
        # Personne n'écrit dans ces tables pendant la restauration (les lectures continuent).
        curseur.execute(f"LOCK TABLE {', '.join(q(t) for t in sorted(tables))} IN SHARE ROW EXCLUSIVE MODE")
    _verifier_base(entete)  # de nouveau, sous verrou
    correspondance, a_inserer = _correspondances(lecture, bilan)
    session_cle, lot, modele_lot = None, [], None
    verrouillee = bool(entete["verrouillee"]) or _verrouillee_selon_journal(entete["session"])
    archive = {"fichier": chemin.name[:255], "fichier_sha256": lecture.sha256, "restaure_le": timezone.now()}

    def vider():
        if lot:
            _inserer(modele_lot, list(serializers.deserialize("python", lot)))
            bilan.objets[_libelle(modele_lot)] = bilan.objets.get(_libelle(modele_lot), 0) + len(lot)
            lot.clear()

    relue = None
    for element in _parcourir(chemin):  # relu et revérifié : le fichier ne peut pas avoir changé entre-temps
        if isinstance(element, _Lecture):
            relue = element
            break
        i, bloc, objet = element
        if bloc.cles[-1] not in a_inserer[i]:
            continue
        modele = JournalArchive if bloc.role == JOURNAL else bloc.modele
        if modele is not modele_lot:
            vider()
            modele_lot = modele
        if issubclass(bloc.modele, AbstractBaseUser):
            # Quoi que dise le fichier : ni condensat de mot de passe, ni administration, ni permission directe.
            # Le compte revient inutilisable (mot de passe à définir) avec ses seuls groupes (rôles).
            objet["fields"].update(password=make_password(None), is_superuser=False, is_staff=False)
            if "user_permissions" in objet["fields"]:
                objet["fields"]["user_permissions"] = []
        if bloc.role == JOURNAL:
            # Jamais dans le journal authentique : une copie archivée, marquée par le fichier et l'instant.
            cle = correspondance[Journal][bloc.cles[-1]]
            objet = {"model": _libelle(JournalArchive), "pk": cle, "fields": _archive(objet, archive)}
        else:
            objet = _traduire(objet, bloc.modele, correspondance)
        if bloc.modele is Session and bloc.role == PROPRE and objet["fields"]["annee"] == entete["session"]:
            # Un déclencheur refuse toute écriture de note d'une session verrouillée : on la verrouille à la fin.
            verrouillee = verrouillee or bool(objet["fields"]["verrouillee"])
            objet["fields"]["verrouillee"] = False
            session_cle = objet["pk"]
        if bloc.role == DOCUMENT:
            _verifier_document(objet)
        lot.append(objet)
        if len(lot) >= _taille_lot(modele):
            vider()
    vider()
    if relue is None or relue.sha256 != lecture.sha256:
        raise SauvegardeInvalide(f"{chemin} a changé pendant la restauration : rien n'a été restauré.")
    for modele in modeles:
        _avancer_sequence(modele)
    if verrouillee:
        Session.objects.filter(pk=session_cle).update(verrouillee=True)
    journaliser(
        action="sauvegarde.restauration",
        session=entete["session"],
        apres={
            "fichier": chemin.name,
            "sha256": lecture.sha256,
            "cle": entete["cle"],
            "objets": bilan.total,
            "journal_archive": bilan.objets.get(_libelle(JournalArchive), 0),
            "verrouillee": verrouillee,
        },
        motif="manage.py restaurer",
    )


def _verrouillee_selon_journal(annee: int) -> bool:
    """Le journal authentique de cette base dit-il la session verrouillée en dernier lieu ?

    Une session verrouillée ici, puis supprimée, revient verrouillée même si un fichier (signé par un détenteur
    de la clé) prétend le contraire : un fichier ne déverrouille rien.
    """
    derniere = (
        Journal.objects.filter(
            session_annee=annee, action__in=["deliberation.verrouillage", "deliberation.deverrouillage"]
        )
        .order_by("-date", "-id")
        .values_list("action", flat=True)
        .first()
    )
    return derniere == "deliberation.verrouillage"


def _archive(objet: dict, marque: dict) -> dict:
    """Les champs d'une entrée archivée : ceux de la ligne de journal du fichier, et d'où elle vient."""
    champs = {f.name: objet["fields"].get(f.name) for f in Journal._meta.concrete_fields if not f.primary_key}
    return {**champs, "id_origine": objet["pk"], **marque}


def _verifier_document(objet: dict) -> None:
    """Un document émis restauré a exactement les octets que désigne son empreinte."""
    champs = objet["fields"]
    try:
        contenu = base64.b64decode(champs["contenu"], validate=True)
    except (TypeError, ValueError):
        contenu = None
    if contenu is None or hashlib.sha256(contenu).hexdigest() != champs["sha256"] or len(contenu) != champs["taille"]:
        raise SauvegardeInvalide(
            f"Document émis {objet['pk']} : son contenu ne correspond pas à son empreinte SHA-256 ou à sa taille. "
            "Rien n'a été restauré."
        )
