"""L'émission des relevés et procès-verbaux.

Après le verrouillage de la session (ou du jury), un relevé ou un procès-verbal est conservé (DocumentEmis : fichier,
données, SHA-256) et toujours resservi tel quel ; une correction est une nouvelle version qui désigne la précédente.
Avant le verrouillage, le document est « provisoire » et n'est pas conservé. L'émission est refusée si les résultats
imprimés ne sont plus ceux de la base (empreinte).
"""

from __future__ import annotations

import hashlib

from django.db import connection, transaction

from agora import pdf
from examens import perimetre as perimetre_acces
from examens import resultats
from examens.documents.impression import (
    candidats_a_imprimer,
    donnees_pv,
    donnees_releve,
    empreinte_resultats,
    maintenant,
    perimetre_pv,
)
from examens.models import (
    Candidat,
    DocumentEmis,
    Etablissement,
    Jury,
    Session,
)
from examens.services import OperationRefusee, journaliser

# ---------------------------------------------------------------------------------------------------
# Émission : instantanés des relevés et procès-verbaux (session verrouillée)
# ---------------------------------------------------------------------------------------------------


def documents_emis(type_document: str, annee: int, objet: str):
    return DocumentEmis.objects.filter(type=type_document, session_annee=annee, objet=objet).defer("contenu")


def dernier_emis(type_document: str, annee: int, objet: str) -> DocumentEmis | None:
    return documents_emis(type_document, annee, objet).order_by("-version").first()


def _sans_entete(donnees: dict) -> dict:
    """Les données comparées d'une version à l'autre : sans la date d'édition ni la référence du document."""
    return {k: v for k, v in donnees.items() if k not in ("document", "pied")}


def _verrouillee_partagee(session: Session) -> bool:
    """L'état de verrouillage lu en base (l'objet peut dater), sous un verrou partagé : un déverrouillage
    (SELECT … FOR UPDATE) attend la fin des émissions en cours, et les émissions ne s'attendent pas entre elles."""
    with connection.cursor() as curseur:
        curseur.execute("SELECT verrouillee FROM examens_session WHERE id = %s FOR SHARE", [session.pk])
        ligne = curseur.fetchone()
    return bool(ligne and ligne[0])


def _jury_verrouille_partage(candidat: Candidat) -> bool:
    """Le jury de ce candidat est-il verrouillé (lu sous un verrou partagé, comme la session) ?"""
    with connection.cursor() as curseur:
        curseur.execute(
            "SELECT 1 FROM examens_jury j JOIN examens_etablissementjury ej ON ej.jury_id = j.id "
            "WHERE ej.session_id = %s AND ej.etablissement_id = %s AND j.verrouille FOR SHARE OF j",
            [candidat.session_id, candidat.etablissement_id],
        )
        return curseur.fetchone() is not None


def _verifier_jury_emettable(jury: Jury) -> None:
    """Le PV d'un jury s'émet quand sa délibération est verrouillée et que son président l'a validé ; la ligne du
    jury est lue sous un verrou partagé (un déverrouillage attend la fin de l'émission)."""
    with connection.cursor() as curseur:
        curseur.execute("SELECT 1 FROM examens_jury WHERE id = %s FOR SHARE", [jury.pk])
    jury = Jury.objects.get(pk=jury.pk)
    if not jury.verrouille:
        raise OperationRefusee(
            f"La délibération du jury {jury.nom} n'est pas verrouillée : le procès-verbal est provisoire "
            "et ne s'émet pas."
        )
    if not jury.pv_valide_le:
        raise OperationRefusee(f"Le président du jury {jury.nom} n'a pas encore validé le procès-verbal.")


def _verrou(type_document: str, annee: int, objet: str) -> None:
    """Deux émissions simultanées du même document (deux workers, deux onglets) : l'une attend l'autre."""
    cle = int.from_bytes(hashlib.sha256(f"{type_document}|{annee}|{objet}".encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as curseur:
        curseur.execute("SELECT pg_advisory_xact_lock(%s)", [cle])


@transaction.atomic
def emettre(
    *,
    type_document: str,
    session: Session,
    objet: str,
    donnees: dict,
    auteur=None,
    motif: str = "",
    nouvelle_version: bool = False,
    rendu: pdf.Rendu | None = None,
    candidat: Candidat | None = None,
    jury: Jury | None = None,
) -> tuple[DocumentEmis, bool]:
    """Émet (conserve) un relevé ou un procès-verbal d'une session verrouillée ; (document, créé ?).

    Déjà émis : le document existant, sauf nouvelle_version (correction), qui exige un motif et des données
    différentes. `rendu` : un PDF déjà rendu de ces données (processus fils) ; sinon on le rend ici.
    """
    if jury is not None:
        _verifier_jury_emettable(jury)
    elif not _verrouillee_partagee(session) and not (candidat is not None and _jury_verrouille_partage(candidat)):
        raise OperationRefusee(
            f"La délibération de la session {session.annee} n'est pas verrouillée : le document est provisoire "
            "et ne s'émet pas."
        )
    _verrou(type_document, session.annee, objet)
    _verifier_resultats_imprimes(session, type_document, objet, donnees)
    precedent = dernier_emis(type_document, session.annee, objet)
    if precedent and not nouvelle_version:
        return precedent, False
    if nouvelle_version:
        if precedent is None:
            raise OperationRefusee("Aucun document émis à corriger.")
        if not motif.strip():
            raise OperationRefusee("Indiquez le motif de la nouvelle version.")
        if _sans_entete(precedent.donnees) == _sans_entete(donnees):
            raise OperationRefusee(
                f"Les données imprimées n'ont pas changé depuis la version {precedent.version} : "
                "aucune nouvelle version à émettre."
            )
        rendu = None  # l'en-tête (version, remplacement) change : on rend à nouveau
    version = precedent.version + 1 if precedent else 1
    document = DocumentEmis(
        type=type_document, session_annee=session.annee, objet=objet, version=version, precedent=precedent
    )
    entete = donnees.get("document") or {}
    if rendu is None or entete.get("reference") != document.reference:
        # Rendu ici, avec l'en-tête de cette version ; sinon, les données déjà préparées par donnees_a_emettre
        # ont été rendues telles quelles dans un processus fils.
        donnees = _avec_entete(donnees, document.reference, version, precedent.reference if precedent else "")
        rendu = pdf.rendre_document(type_document, donnees)
    document.donnees = donnees
    document.contenu = rendu.contenu
    document.sha256 = rendu.sha256
    document.pages = rendu.pages
    document.taille = len(rendu.contenu)
    document.emis_par = getattr(auteur, "username", "") or ""
    document.motif = motif.strip()
    document.save()
    journaliser(
        action="document.correction" if precedent else "document.emission",
        auteur=auteur,
        session=session,
        candidat=candidat,
        objet=document.reference,
        avant={"sha256": precedent.sha256, "version": precedent.version} if precedent else None,
        apres={"sha256": document.sha256, "pages": document.pages, "version": version},
        motif=motif.strip(),
    )
    return document, True


def _verifier_resultats_imprimes(session: Session, type_document: str, objet: str, donnees: dict) -> None:
    """Refuse d'émettre un document dont les résultats imprimés ne sont plus ceux que donnent les données.

    Les résultats des candidats du document sont recalculés (sans écrire) : l'empreinte des résultats imprimés
    doit être celle du calcul, et aucun résultat enregistré ne doit en différer.
    """
    if type_document == DocumentEmis.Type.RELEVE:
        numeros = [objet]
    else:
        numeros = [ligne[0] for ligne in donnees.get("lignes", [])]
    calcules = resultats.calculer(session, Candidat.objects.filter(session=session, numero__in=numeros))
    a_ecrire, _ = resultats.comparer(calcules)
    calculee = empreinte_resultats((c.candidat.numero, c.empreinte) for c in calcules)
    if a_ecrire or donnees.get("empreinte_resultats") != calculee:
        raise OperationRefusee(
            "Les résultats imprimés ne correspondent plus aux données des candidats (note, option ou blocage changé "
            "depuis leur calcul) : le document n'est pas émis. Recalculez la session puis émettez-le à nouveau."
        )


def _avec_entete(donnees: dict, reference: str, version: int, remplace: str) -> dict:
    emis_le = maintenant()
    return {
        **donnees,
        "provisoire": False,
        "pied": f"{reference} émis le {emis_le}",
        "document": {"reference": reference, "version": version, "emis_le": emis_le, "remplace": remplace},
    }


def donnees_a_emettre(type_document: str, donnees: dict) -> dict:
    """Les données d'une première émission, à rendre dans un processus fils avant d'appeler emettre(rendu=…)."""
    document = DocumentEmis(type=type_document, session_annee=donnees["session"], objet=_objet(type_document, donnees))
    return _avec_entete(donnees, document.reference, 1, "")


def _objet(type_document: str, donnees: dict) -> str:
    return donnees["candidat"]["numero"] if type_document == DocumentEmis.Type.RELEVE else donnees["objet"]


def emettre_releve(*, candidat: Candidat, auteur=None) -> tuple[DocumentEmis, bool]:
    return emettre(
        type_document=DocumentEmis.Type.RELEVE,
        session=candidat.session,
        objet=candidat.numero,
        donnees=donnees_releve(candidat),
        auteur=auteur,
        candidat=candidat,
    )


def emettre_pv(*, session: Session, auteur, jury: Jury | None = None) -> tuple[DocumentEmis, bool]:
    perimetre = perimetre_pv(auteur, session, jury)
    donnees = {**donnees_pv(session, perimetre), "objet": perimetre.objet}
    return emettre(
        type_document=DocumentEmis.Type.PROCES_VERBAL,
        session=session,
        objet=perimetre.objet,
        donnees=donnees,
        auteur=auteur,
        jury=jury,
    )


def corriger(*, document: DocumentEmis, auteur, motif: str) -> DocumentEmis:
    """Nouvelle version d'un document émis, rendue depuis les données actuelles (après une correction)."""
    session = Session.objects.select_related("reglement").get(annee=document.session_annee)
    if document.type == DocumentEmis.Type.RELEVE:
        candidat = candidats_a_imprimer(Candidat.objects.filter(session=session, numero=document.objet)).first()
        if candidat is None:
            raise OperationRefusee("Le candidat de ce relevé n'existe plus : le relevé ne peut pas être corrigé.")
        donnees = donnees_releve(candidat)
    else:
        jury = _jury_du_document(document)
        perimetre = perimetre_pv(auteur, session, jury)
        if perimetre.objet != document.objet:
            raise OperationRefusee("Ce procès-verbal porte sur un autre périmètre que le vôtre.")
        candidat = None
        donnees = {**donnees_pv(session, perimetre), "objet": perimetre.objet}
    nouveau, _ = emettre(
        type_document=document.type,
        session=session,
        objet=document.objet,
        donnees=donnees,
        auteur=auteur,
        motif=motif,
        nouvelle_version=True,
        candidat=candidat,
        jury=None if candidat else _jury_du_document(document),
    )
    return nouveau


def _jury_du_document(document: DocumentEmis) -> Jury | None:
    if document.type == DocumentEmis.Type.PROCES_VERBAL and document.objet.startswith("jury-"):
        return Jury.objects.filter(pk=int(document.objet.removeprefix("jury-"))).first()
    return None


def document_visible(user, document: DocumentEmis) -> bool:
    return user.has_perm("examens.voir_tout") or _visible(user, document)


def _visible(user, document: DocumentEmis) -> bool:
    if document.type == DocumentEmis.Type.RELEVE:
        return (
            Candidat.objects.visibles_par(user)
            .filter(session__annee=document.session_annee, numero=document.objet)
            .exists()
        )
    if jury := _jury_du_document(document):
        return perimetre_acces.jurys_visibles(user).filter(pk=jury.pk).exists()
    uais = set(Etablissement.objects.filter(gestionnaires=user).values_list("uai", flat=True))
    return document.objet not in ("tous", "aucun") and set(document.objet.split(",")) <= uais
