"""Le tuteur atteste et évalue en ligne, sans compte : lien personnel, signature, relances.

Le jeton est celui de Django (`signing.TimestampSigner`, sel propre à cet usage) : il porte l'identifiant du lien et
un aléa, signés avec SECRET_KEY et datés. Il ne se devine ni ne se fabrique ; la base dit s'il vaut encore
(`LienTuteur` : expiré, révoqué, déjà utilisé pour signer). Une signature passe par `services.enregistrer_attestation`
et `services.enregistrer_evaluation` : la conformité, le blocage et le résultat de l'examen changent dans la même
transaction, comme pour une saisie du lycée.
"""

import datetime
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from agora import pdf
from examens import services as examens_services
from pfmp import services
from pfmp.models import Attestation, LienTuteur, Periode, SignatureTuteur

SEL = "pfmp.lien-tuteur"
OperationRefusee = examens_services.OperationRefusee


class LienInvalide(Exception):
    """Lien inutilisable : le message (français) s'affiche tel quel au tuteur, rien n'est écrit."""

    def __init__(self, message: str, statut: int = 410):
        super().__init__(message)
        self.statut = statut


def _signataire() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SEL)


def jeton(lien: LienTuteur) -> str:
    return _signataire().sign(f"{lien.pk}.{lien.nonce}")


def url(lien: LienTuteur, base: str) -> str:
    return base.rstrip("/") + reverse("pfmp:tuteur", args=[jeton(lien)])


def lien_valide(valeur: str, *, verrouiller: bool = False) -> LienTuteur:
    """Le lien désigné par ce jeton, s'il vaut encore ; LienInvalide sinon (avec le message à afficher)."""
    jours = settings.PFMP_LIEN_TUTEUR_JOURS
    try:
        contenu = _signataire().unsign(valeur, max_age=datetime.timedelta(days=jours))
    except signing.SignatureExpired:
        raise LienInvalide(
            "Ce lien a expiré. Demandez au lycée de vous en envoyer un nouveau : l'attestation n'a pas été modifiée."
        ) from None
    except signing.BadSignature:
        raise LienInvalide(
            "Ce lien n'est pas valide : vérifiez qu'il a été copié en entier depuis le courriel reçu.", 404
        ) from None
    pk, _, nonce = contenu.partition(".")
    qs = LienTuteur.objects.select_related(
        "periode__convention__candidat__session__reglement",
        "periode__convention__candidat__etablissement",
        "periode__convention__organisation",
        "periode__convention__tuteur",
    )
    if verrouiller:
        qs = qs.select_for_update(of=("self",))
    lien = qs.filter(pk=int(pk) if pk.isdigit() else 0, nonce=nonce).first()
    if lien is None:
        raise LienInvalide("Ce lien n'existe plus. Demandez au lycée de vous en envoyer un nouveau.", 404)
    if lien.utilise_le:
        raise LienInvalide(
            f"L'attestation a déjà été signée avec ce lien le {timezone.localtime(lien.utilise_le):%d/%m/%Y à %H:%M}. "
            "Un lien ne sert qu'une fois : pour une correction, demandez un nouveau lien au lycée."
        )
    if lien.revoque_le:
        raise LienInvalide("Ce lien a été révoqué par le lycée. Demandez-lui un nouveau lien si nécessaire.")
    if lien.expire_le <= timezone.now():
        raise LienInvalide(
            "Ce lien a expiré. Demandez au lycée de vous en envoyer un nouveau : l'attestation n'a pas été modifiée."
        )
    return lien


# ---------------------------------------------------------------------------------------------------
# Côté lycée : envoyer, révoquer
# ---------------------------------------------------------------------------------------------------


@transaction.atomic
def envoyer_lien(*, periode: Periode, destinataire: str, auteur, base: str, jours: int | None = None) -> LienTuteur:
    """Crée un lien pour cette période et l'envoie au tuteur. Les liens encore ouverts de la période sont révoqués :
    un seul lien vaut à la fois."""
    jours = jours or settings.PFMP_LIEN_TUTEUR_JOURS
    if not 1 <= jours <= settings.PFMP_LIEN_TUTEUR_JOURS:
        raise OperationRefusee(f"Durée de validité : de 1 à {settings.PFMP_LIEN_TUTEUR_JOURS} jours.")
    destinataire = destinataire.strip()
    if not destinataire:
        raise OperationRefusee("Indiquez le courriel du tuteur.")
    candidat = periode.convention.candidat
    maintenant = timezone.now()
    LienTuteur.objects.filter(periode=periode, utilise_le__isnull=True, revoque_le__isnull=True).update(
        revoque_le=maintenant
    )
    tuteur = periode.convention.tuteur
    lien = LienTuteur.objects.create(
        periode=periode,
        destinataire=destinataire,
        nom=str(tuteur) if tuteur else "",
        nonce=secrets.token_hex(16),
        cree_par=auteur,
        expire_le=maintenant + datetime.timedelta(days=jours),
    )
    _envoyer(lien, base, "pfmp/courriels/lien_tuteur.txt", "Attestation de PFMP à signer en ligne")
    examens_services.journaliser(
        action="pfmp.lien_tuteur.envoi",
        auteur=auteur,
        candidat=candidat,
        objet=f"période {periode.pk}",
        apres={"lien": lien.pk, "destinataire": destinataire, "expire_le": lien.expire_le.isoformat()},
    )
    return lien


@transaction.atomic
def revoquer_lien(*, lien: LienTuteur, auteur) -> None:
    lien = LienTuteur.objects.select_for_update().get(pk=lien.pk)
    if lien.utilise_le:
        raise OperationRefusee("Ce lien a déjà servi à signer : il ne se révoque plus.")
    if lien.revoque_le:
        return
    lien.revoque_le = timezone.now()
    lien.save(update_fields=["revoque_le"])
    examens_services.journaliser(
        action="pfmp.lien_tuteur.revocation",
        auteur=auteur,
        candidat=lien.periode.convention.candidat,
        objet=f"période {lien.periode_id}",
        apres={"lien": lien.pk},
    )


def _envoyer(lien: LienTuteur, base: str, gabarit: str, sujet: str) -> None:
    periode = lien.periode
    candidat = periode.convention.candidat
    contexte = {
        "lien": lien,
        "url": url(lien, base),
        "periode": periode,
        "candidat": candidat,
        "organisation": periode.convention.organisation,
        "expire_le": timezone.localtime(lien.expire_le),
    }
    send_mail(
        f"{sujet} · {candidat.prenom} {candidat.nom}",
        render_to_string(gabarit, contexte),
        None,
        [lien.destinataire],
    )


# ---------------------------------------------------------------------------------------------------
# Côté tuteur : signer
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Saisie:
    date_debut: datetime.date
    date_fin: datetime.date
    semaines: Decimal
    absences: str
    activites: list
    niveaux: dict[int, str]
    appreciation: str
    nom: str
    qualite: str
    consentement: bool


@transaction.atomic
def signer(*, valeur: str, saisie: Saisie, adresse_ip: str | None, navigateur: str = "") -> Attestation:
    """Le tuteur signe : attestation (nouvelle version si une existait), document de liaison, PDF et son empreinte,
    journal ; la conformité du candidat et son résultat sont recalculés dans la même transaction. Le lien verrouillé
    est revérifié ici : deux envois simultanés ne signent qu'une fois."""
    lien = lien_valide(valeur, verrouiller=True)
    if not saisie.consentement:
        raise OperationRefusee("Cochez la case de consentement pour signer.")
    periode = lien.periode
    candidat = periode.convention.candidat
    maintenant = timezone.now()
    observations = f"Absences : {saisie.absences.strip()}" if saisie.absences.strip() else ""
    signataire = f"{saisie.nom.strip()} ({saisie.qualite.strip()})"
    attestation, _ = services.enregistrer_attestation(
        periode=periode,
        semaines=saisie.semaines,
        signee=True,
        date_debut=saisie.date_debut,
        date_fin=saisie.date_fin,
        date_signature=timezone.localdate(),
        signataire=signataire,
        activites=saisie.activites,
        observations=observations,
        auteur=None,
    )
    services.enregistrer_evaluation(
        periode=periode,
        auteur=None,
        niveaux=saisie.niveaux,
        activites=saisie.activites,
        date_visite=None,
        tuteur=signataire,
        appreciation=saisie.appreciation,
    )
    signature = SignatureTuteur(
        attestation=attestation,
        lien=lien,
        nom=saisie.nom.strip(),
        qualite=saisie.qualite.strip(),
        consentement=True,
        signee_le=maintenant,
        adresse_ip=adresse_ip,
        navigateur=navigateur[:300],
        absences=saisie.absences.strip(),
    )
    rendu = pdf.rendre_attestation_pfmp(attestation, candidat=candidat, signature=signature)
    signature.pdf, signature.sha256 = rendu.contenu, rendu.sha256
    signature.save()
    lien.utilise_le = maintenant
    lien.save(update_fields=["utilise_le"])
    examens_services.journaliser(
        action="pfmp.attestation.signature_tuteur",
        candidat=candidat,
        objet=attestation.numero,
        apres={
            "lien": lien.pk,
            "signataire": signature.nom,
            "qualite": signature.qualite,
            "signee_le": maintenant.isoformat(),
            "adresse_ip": adresse_ip,
            "semaines": str(saisie.semaines),
            "sha256": rendu.sha256,
        },
    )
    return attestation


# ---------------------------------------------------------------------------------------------------
# Relances (tâche périodique : pfmp.tasks)
# ---------------------------------------------------------------------------------------------------


def relancer(*, base: str, aujourd_hui: datetime.date | None = None) -> dict[str, int]:
    """Relance par courriel les tuteurs dont le lien est ouvert : quelques jours avant la fin de la période, puis
    quelques jours après si rien n'est signé. Chaque relance ne part qu'une fois par lien."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    maintenant = timezone.now()
    ouverts = LienTuteur.objects.filter(
        utilise_le__isnull=True, revoque_le__isnull=True, expire_le__gt=maintenant
    ).select_related("periode__convention__candidat", "periode__convention__organisation")
    avant = aujourd_hui + datetime.timedelta(days=settings.PFMP_RELANCE_JOURS_AVANT)
    apres = aujourd_hui - datetime.timedelta(days=settings.PFMP_RELANCE_JOURS_APRES)
    compte = {"avant": 0, "apres": 0}
    for lien in ouverts.filter(relance_avant_le__isnull=True, periode__date_fin__range=(aujourd_hui, avant)):
        _envoyer(lien, base, "pfmp/courriels/relance_avant.txt", "Rappel : attestation de PFMP à signer")
        LienTuteur.objects.filter(pk=lien.pk).update(relance_avant_le=maintenant)
        compte["avant"] += 1
    for lien in ouverts.filter(relance_apres_le__isnull=True, periode__date_fin__lte=apres):
        _envoyer(lien, base, "pfmp/courriels/relance_apres.txt", "Relance : attestation de PFMP non signée")
        LienTuteur.objects.filter(pk=lien.pk).update(relance_apres_le=maintenant)
        compte["apres"] += 1
    return compte
