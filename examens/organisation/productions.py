"""Productions écrites des situations d'E2 : dépôt contrôlé, conservation jusqu'à la délibération suivante, purge.

Le type se reconnaît aux premiers octets du fichier (signature PDF, PNG ou JPEG), jamais au nom ni au type
annoncé par le navigateur. La taille est plafonnée (settings.TAILLE_MAX_PRODUCTION, 5 Mo par défaut).
"""

import hashlib

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef

from examens.models import Session
from examens.organisation.models import Passage, ProductionEcrite
from examens.services import OperationRefusee, journaliser

SIGNATURES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
EPREUVES = ("E2",)


def taille_max() -> int:
    return getattr(settings, "TAILLE_MAX_PRODUCTION", 5 * 1024 * 1024)


def type_de(contenu: bytes) -> str | None:
    return next((t for signature, t in SIGNATURES.items() if contenu.startswith(signature)), None)


@transaction.atomic
def deposer(*, passage: Passage, nom: str, contenu: bytes, auteur) -> ProductionEcrite:
    commission = passage.situation.commission
    if commission.gabarit.epreuve not in EPREUVES:
        raise OperationRefusee("Seules les productions écrites des situations d'E2 se déposent ici.")
    if passage.presence in (Passage.Presence.ABSENT_JUSTIFIE, Passage.Presence.ABSENT_NON_JUSTIFIE):
        raise OperationRefusee("Le candidat était absent à cette situation : aucune production à déposer.")
    if not contenu:
        raise OperationRefusee("Le fichier est vide.")
    if len(contenu) > taille_max():
        raise OperationRefusee(f"Fichier trop lourd : {taille_max() // (1024 * 1024)} Mo au plus (PDF ou image).")
    type_mime = type_de(contenu)
    if type_mime is None:
        raise OperationRefusee("Seuls les fichiers PDF, PNG ou JPEG sont acceptés.")
    nom = "".join(c for c in nom if c.isprintable() and c not in '/\\"')[:200] or "production"
    production = ProductionEcrite.objects.create(
        passage=passage,
        nom=nom,
        type_mime=type_mime,
        contenu=contenu,
        taille=len(contenu),
        sha256=hashlib.sha256(contenu).hexdigest(),
        deposee_par=auteur,
    )
    journaliser(
        action="ccf.production.depot",
        auteur=auteur,
        candidat=passage.candidat,
        objet=f"{commission.gabarit.epreuve} situation {passage.situation.numero}"[:100],
        apres={"nom": nom, "taille": len(contenu), "sha256": production.sha256},
    )
    return production


@transaction.atomic
def purger() -> int:
    """Efface les productions d'une session dès que la délibération d'une session suivante est verrouillée.

    Une ligne de journal par production effacée (candidat, nom, empreinte) : on sait ce qui a été détruit et quand.
    """
    suivante_deliberee = Session.objects.filter(
        annee__gt=OuterRef("passage__situation__commission__session__annee"), verrouillee=True
    )
    a_purger = list(
        ProductionEcrite.objects.filter(Exists(suivante_deliberee))
        .select_related("passage__candidat__session", "passage__situation__commission__gabarit")
        .defer("contenu")
    )
    for p in a_purger:
        journaliser(
            action="ccf.production.purge",
            candidat=p.passage.candidat,
            objet=f"{p.passage.situation.commission.gabarit.epreuve} situation {p.passage.situation.numero}"[:100],
            avant={"nom": p.nom, "taille": p.taille, "sha256": p.sha256, "deposee_le": p.deposee_le.isoformat()},
            motif="Conservation jusqu'à la délibération de la session suivante, échue.",
        )
    ProductionEcrite.objects.filter(pk__in=[p.pk for p in a_purger]).delete()
    return len(a_purger)
