"""Documents PDF : ce qu'ils impriment, l'émission des relevés et procès-verbaux, les exports par lots.

- Données imprimées : des dictionnaires sérialisables (rendus par agora/pdf.py, éventuellement dans un
  processus fils) lus avec les sélecteurs existants (selectors.fiche_candidat, fonctions de grilles.py).
- Émission : après le verrouillage de la session, un relevé ou un procès-verbal est conservé (DocumentEmis :
  fichier, données, SHA-256) et toujours resservi tel quel ; une correction est une nouvelle version qui
  désigne la précédente. Avant le verrouillage, le document est « provisoire » et n'est pas conservé.
- Exports par lots : un ExportLot découpé en tranches rendues par les workers procrastinate (examens/tasks.py)
  ou par la commande exporter_pdf ; les fichiers sont rangés en base, le ZIP se construit au téléchargement.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Prefetch, Q, Sum
from django.utils import timezone

from agora import pdf
from agora.format import capitales_accentuees, nom_utilisateur
from examens import perimetre as perimetre_acces
from examens import resultats, selectors
from examens.ccf import gabarits, lectures, notation
from examens.models import (
    Candidat,
    Division,
    DocumentEmis,
    EchecExport,
    Etablissement,
    ExportLot,
    FichierExport,
    Grille,
    Jury,
    MembreCommission,
    Resultat,
    Session,
    texte_decimal,
    texte_note,
)
from examens.services import OperationRefusee, deliberation_verrouillee, journaliser

logger = logging.getLogger(__name__)

TAILLE_TRANCHE = 8  # documents par tâche : assez pour amortir la tâche, assez peu pour répartir entre workers
FUSION_MAX_DOCUMENTS = 1000  # au-delà, le PDF unique dépasserait des centaines de Mo : ZIP seulement
PV_SYNCHRONE_MAX = 400  # lignes rendues pendant la requête (~10 pages, 2 s) ; au-delà, par un worker
CONSERVATION_EXPORTS_JOURS = 7


# ---------------------------------------------------------------------------------------------------
# Mise en forme
# ---------------------------------------------------------------------------------------------------


def _date(valeur: datetime.date | None) -> str:
    return valeur.strftime("%d/%m/%Y") if valeur else ""


def _horodatage(valeur: datetime.datetime | None) -> str:
    return timezone.localtime(valeur).strftime("%d/%m/%Y à %H:%M") if valeur else ""


def _nombre(valeur) -> str:
    """Un Decimal exact sans zéros inutiles, virgule décimale : 249.875 → « 249,875 », 2.00 → « 2 »."""
    if valeur is None or valeur == "":
        return ""
    texte = format(Decimal(valeur).normalize(), "f")
    return texte.replace(".", ",")


_nom = nom_utilisateur


def _maintenant() -> str:
    return _horodatage(timezone.now())


# ---------------------------------------------------------------------------------------------------
# Grilles d'évaluation CCF : ce que montre la page de la grille, à plat
# ---------------------------------------------------------------------------------------------------


def grilles_a_rendre(qs):
    """Les relations d'une grille imprimée, en un nombre de requêtes indépendant du nombre de grilles."""
    return qs.select_related(
        "candidat__division",
        "candidat__etablissement",
        "commission__session",
        "commission__etablissement",
        "gabarit",
    ).prefetch_related(
        "evaluations",
        "validations",
        Prefetch("commission__membres_commission", MembreCommission.objects.select_related("utilisateur")),
    )


@dataclass
class _Gabarit:
    lignes: list
    groupes: list
    echelle: notation.Echelle
    bloc: str


def _gabarit(cache: dict, gabarit) -> _Gabarit:
    if gabarit.pk not in cache:
        lignes, groupes = lectures.lignes_affichees(gabarit, {})
        bloc = ""
        if lignes:
            b = lignes[0].competence.bloc  # une requête par gabarit
            bloc = f"{b.code} · {b.intitule}"
        cache[gabarit.pk] = _Gabarit(lignes, groupes, gabarits.echelle_de(gabarit), bloc)
    return cache[gabarit.pk]


def _forme(cache: dict, grille: Grille) -> str:
    if grille.forme != Grille.Forme.PONCTUEL:
        return "CCF"
    commission = grille.commission
    if commission.pk not in cache:
        cache[commission.pk] = lectures.formes_par_statut(commission)
    forme = cache[commission.pk].get(grille.candidat.statut)
    if forme is None:
        return "ponctuel"
    m = forme.modalite
    return f"ponctuel ({m.get_mode_display().lower()}{', ' + m.duree if m.duree else ''})"


def donnees_grilles(liste: Iterable[Grille]) -> list[dict]:
    """Les données imprimées de chaque grille (liste venue de grilles_a_rendre : requêtes bornées)."""
    gabarits: dict = {}
    formes: dict = {}
    return [
        donnees_grille(
            g,
            gab=_gabarit(gabarits, g.gabarit),
            evaluations={e.ligne_id: e for e in g.evaluations.all()},
            confirmations={v.membre_id: v.date for v in g.validations.all()},
            membres=list(g.commission.membres_commission.all()),
            forme=_forme(formes, g),
        )
        for g in liste
    ]


def gabarit_imprime(gabarit) -> _Gabarit:
    """Lignes, activités, indicateurs et échelle d'un gabarit (pour des grilles construites hors base : bench)."""
    return _gabarit({}, gabarit)


def donnees_grille(
    g: Grille,
    *,
    gab: _Gabarit,
    evaluations: dict,
    confirmations: dict[int, datetime.datetime],
    membres: list[MembreCommission],
    forme: str,
) -> dict:
    """Les données imprimées d'une grille ; tout ce qui vient d'autres tables est passé en argument."""
    calcul = lectures.calcul_de(g, gab.lignes, evaluations)
    membres = [
        {
            "nom": _nom(m.utilisateur),
            "qualite": m.get_qualite_display(),
            "confirmation": _horodatage(confirmations.get(m.utilisateur_id)),
        }
        for m in membres
    ]
    activites = []
    for groupe in gab.groupes:
        activite = groupe[0].ligne.competence.activite
        activites.append(
            {
                "code": activite.code,
                "intitule": activite.intitule,
                # Deux colonnes, coupées ici : la mise en page CSS en colonnes coûte cher à WeasyPrint.
                "indicateurs": _deux_colonnes([i.intitule for i in groupe[0].indicateurs]),
                "lignes": [
                    {
                        "ordre": la.ligne.ordre,
                        "intitule": la.ligne.competence.intitule,
                        "niveau": evaluations[la.ligne.pk].niveau if la.ligne.pk in evaluations else "",
                        "observation": evaluations[la.ligne.pk].observation if la.ligne.pk in evaluations else "",
                    }
                    for la in groupe
                ],
            }
        )
    c = g.candidat
    signatures = [{"titre": m["nom"], "qualite": m["qualite"], "confirmation": m["confirmation"]} for m in membres]
    signatures.append({"titre": "Visa du jury", "qualite": "", "confirmation": ""})
    titre = f"Grille {g.epreuve}" + (f" situation {g.situation}" if g.gabarit.situations > 1 else "")
    return {
        "titre": f"{titre} · {c.nom} {c.prenom}",
        "reference": f"Session {g.commission.session.annee} · candidat n° {c.numero}",
        "pied": f"édité le {_maintenant()}",
        "provisoire": g.etat in (Grille.Etat.BROUILLON, Grille.Etat.VALIDEE),
        "session": g.commission.session.annee,
        "epreuve": g.epreuve,
        "intitule": g.gabarit.intitule,
        "gabarit": f"{g.gabarit.code} v{g.gabarit.version}",
        "source": g.gabarit.source,
        "bloc": gab.bloc,
        "situation": g.situation,
        "situations": g.gabarit.situations,
        "forme": forme,
        "etat": g.etat,
        "etat_libelle": g.get_etat_display(),
        "candidat": {
            "nom": c.nom,
            "prenom": c.prenom,
            "numero": c.numero,
            "naissance": _date(c.date_naissance),
        },
        "etablissement": f"{c.etablissement.nom} ({c.etablissement.uai})",
        "division": c.division.nom if c.division else "",
        "date_situation": _date(g.date_situation),
        "echelle": [
            {"code": n.code, "libelle": n.libelle, "points": _nombre(n.points) if n.evalue else ""}
            for n in gab.echelle.niveaux
        ],
        "colonnes": len(gab.echelle.niveaux) + 2,
        "activites": activites,
        "pieces": [{"libelle": p["libelle"], "presente": bool(g.pieces.get(p["code"]))} for p in g.gabarit.pieces]
        if g.forme == Grille.Forme.CCF or g.gabarit.pieces
        else [],
        "dossier_non_produit": g.dossier_non_produit,
        "justificatifs_manquants": g.justificatifs_manquants,
        "appreciation": g.appreciation,
        "calcul": notation.expliquer(calcul),
        "note_suggeree": texte_note("note", calcul.note) if calcul.note is not None else "",
        "note_retenue": lectures.texte_retenu(g) if g.etat != Grille.Etat.ARRETEE else _note_commission(g),
        "note_jury": texte_note("note", g.note_jury)
        if g.etat == Grille.Etat.ARRETEE and g.note_jury is not None
        else "",
        "justification": g.justification,
        "motif_jury": g.motif_jury,
        "membres": membres,
        "signatures": [signatures[i : i + 2] for i in range(0, len(signatures), 2)],
    }


def _deux_colonnes(elements: list[str]) -> list[list[str]]:
    if not elements:
        return []
    moitie = (len(elements) + 1) // 2
    return [elements[:moitie], elements[moitie:]]


def _note_commission(g: Grille) -> str:
    if g.justificatifs_manquants:
        return "NV"
    note = g.note_commission if g.note_commission is not None else lectures.note_retenue(g)
    return texte_note("note", note) if note is not None else ""


def nom_fichier_grille(d: dict, avec_dossier: bool = True) -> str:
    situation = f"-s{d['situation']}" if d["situations"] > 1 else ""
    nom = f"grille-{d['epreuve']}{situation}-{d['candidat']['numero']}-{_sur(d['candidat']['nom'])}.pdf"
    return f"{_sur(d['division'] or 'sans-division')}/{nom}" if avec_dossier else nom


def _sur(texte: str) -> str:
    """Un morceau de nom de fichier sans surprise (ni séparateur ni caractère de contrôle)."""
    propre = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in texte.strip())
    return propre.strip("-")[:60] or "sans-nom"


# ---------------------------------------------------------------------------------------------------
# Relevé de notes et procès-verbal
# ---------------------------------------------------------------------------------------------------


def candidats_a_imprimer(qs):
    return qs.select_related("session__reglement", "etablissement", "division")


def donnees_releve(candidat: Candidat, arrete: bool | None = None) -> dict:
    """Ce qu'imprime le relevé : la fiche du candidat (selectors.fiche_candidat) et son résultat. `arrete` : la
    délibération du candidat est verrouillée (lu en base si l'appelant ne le sait pas déjà)."""
    fiche = selectors.fiche_candidat(candidat)
    resultat = Resultat.objects.filter(candidat=candidat).first()
    session = candidat.session
    lignes = []
    for ligne in fiche["lignes"]:
        e = ligne.epreuve
        origine = ""
        if ligne.note:
            origine = ligne.note.get_origine_display()
            if ligne.note.session_origine:
                origine += f" {ligne.note.session_origine}"
        lignes.append(
            {
                "epreuve": f"{e.code} {capitales_accentuees(e.intitule)}"
                + (f" — {ligne.libelle_facultative}" if ligne.libelle_facultative else ""),
                "unite": e.unite.code,
                "coefficient": _nombre(e.coefficient) if e.coefficient is not None else "—",
                "mode": ligne.modalite.get_mode_display() if ligne.modalite else "",
                "note": ligne.note.affichage if ligne.note else "—",
                "controle": ligne.controle.affichage if ligne.controle else "",
                "origine": origine,
            }
        )
    categorie = fiche["categorie"]
    return {
        "titre": f"Relevé de notes · {candidat.nom} {candidat.prenom}",
        "reference": f"Session {session.annee} · candidat n° {candidat.numero}",
        "pied": f"édité le {_maintenant()}",
        "provisoire": not (deliberation_verrouillee(candidat) if arrete is None else arrete),
        "session": session.annee,
        "candidat": {
            "nom": candidat.nom,
            "prenom": candidat.prenom,
            "numero": candidat.numero,
            "naissance": _date(candidat.date_naissance),
            "statut": candidat.get_statut_display(),
            "categorie": categorie.code if categorie else "",
            "division": candidat.division.nom if candidat.division else "",
        },
        "etablissement": f"{candidat.etablissement.nom} ({candidat.etablissement.uai})",
        "lignes": lignes,
        "resultat": {
            "points": texte_decimal(resultat.points),
            "moyenne": texte_decimal(resultat.moyenne),
            "decision": selectors.DECISIONS.get(resultat.decision, resultat.decision),
            "mention": selectors.MENTIONS.get(resultat.mention, ""),
        }
        if resultat
        else None,
        "empreinte_resultats": empreinte_resultats([(candidat.numero, resultat.empreinte if resultat else "")]),
    }


@dataclass(frozen=True)
class PerimetrePV:
    objet: str  # « tous », les UAI triées séparées par des virgules, ou « jury-<id> » (clé du document émis)
    libelle: str
    candidats: object  # QuerySet des candidats du procès-verbal
    jury: Jury | None = None


def perimetre_pv(user, session: Session, jury: Jury | None = None) -> PerimetrePV:
    """Le procès-verbal d'un utilisateur porte sur les candidats qu'il voit : la session entière pour un
    administrateur, ses établissements pour un gestionnaire (comme la page du procès-verbal), les candidats
    d'un jury quand `jury` est donné (le jury est déjà vérifié visible par l'appelant)."""
    candidats = (
        Candidat.objects.visibles_par(user).de_session(session) if user else Candidat.objects.de_session(session)
    )
    if jury is not None:
        from examens.jurys.services import candidats_du_jury

        # Relu en base : le verrou et la validation du président ont pu changer depuis que l'appelant l'a lu.
        jury = Jury.objects.select_related("president", "pv_valide_par").get(pk=jury.pk)
        # Tous les candidats du jury, pas seulement ceux que l'auteur voit : le document « jury-<id> » est le PV du
        # jury entier (l'accès au jury est vérifié par l'appelant, `jurys.views.jury_visible`).
        return PerimetrePV(f"jury-{jury.pk}", f"jury {jury.nom}", candidats_du_jury(jury), jury)
    if user is None or user.has_perm("examens.voir_tout"):
        return PerimetrePV("tous", "toute la session", candidats)
    etablissements = list(Etablissement.objects.filter(candidats__in=candidats).distinct().order_by("uai"))
    return PerimetrePV(
        ",".join(e.uai for e in etablissements) or "aucun",
        ", ".join(f"{e.nom} ({e.uai})" for e in etablissements) or "aucun établissement",
        candidats,
    )


def resultats_pv(candidats):
    """Les lignes du procès-verbal, dans l'ordre des numéros (même lecture que la page du procès-verbal)."""
    return (
        Resultat.objects.filter(candidat__in=candidats)
        .order_by("candidat__numero")
        .values_list(
            "candidat__numero",
            "candidat__nom",
            "candidat__prenom",
            "candidat__etablissement__uai",
            "points",
            "moyenne",
            "decision",
            "mention",
            "empreinte",
        )
    )


def empreinte_resultats(paires) -> str:
    """Une empreinte pour les résultats qu'imprime un document : SHA-256 des couples (numéro, empreinte)."""
    return hashlib.sha256("\n".join(f"{numero} {e}" for numero, e in sorted(paires)).encode()).hexdigest()


def donnees_pv(session: Session, perimetre: PerimetrePV) -> dict:
    lignes, totaux, empreintes = [], dict.fromkeys(selectors.DECISIONS, 0), []
    for numero, nom, prenom, uai, points, moyenne, decision, mention, empreinte in resultats_pv(
        perimetre.candidats
    ).iterator(chunk_size=5000):
        totaux[decision] = totaux.get(decision, 0) + 1
        empreintes.append((numero, empreinte))
        lignes.append(
            [
                numero,
                f"{nom} {prenom}",
                uai,
                texte_decimal(points),  # « 233,00 » et « 257,50 » : une colonne alignée, jamais « 233 »
                texte_decimal(moyenne),
                selectors.DECISIONS.get(decision, decision),
                selectors.MENTIONS.get(mention, ""),
            ]
        )
    return {
        "titre": f"Procès-verbal de délibération · session {session.annee}",
        "reference": f"Session {session.annee} · {perimetre.libelle}"[:120],
        "pied": f"édité le {_maintenant()}",
        "provisoire": not (session.verrouillee or (perimetre.jury is not None and perimetre.jury.verrouille)),
        "jury": _donnees_jury(perimetre.jury) if perimetre.jury else None,
        "session": session.annee,
        "perimetre": perimetre.libelle,
        "lignes": lignes,
        "nombre": len(lignes),
        "totaux": [{"libelle": selectors.DECISIONS.get(code, code), "nombre": n} for code, n in totaux.items()],
        "empreinte_resultats": empreinte_resultats(empreintes),
    }


def _donnees_jury(jury: Jury) -> dict:
    """Ce que le procès-verbal d'un jury imprime de lui : sa composition et la validation de son président."""

    nom = nom_utilisateur
    return {
        "nom": jury.nom,
        "president": nom(jury.president) or "à désigner",
        "membres": [nom(m) for m in jury.membres.order_by("last_name", "username")],
        "etablissements": [f"{e.nom} ({e.uai})" for e in jury.etablissements.order_by("nom")],
        "valide_par": nom(jury.pv_valide_par),
        "valide_le": timezone.localtime(jury.pv_valide_le).strftime("%d/%m/%Y à %H h %M") if jury.pv_valide_le else "",
    }


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
    emis_le = _maintenant()
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


# ---------------------------------------------------------------------------------------------------
# Travaux : un document à produire (rendu, ou repris d'un document émis), pour les lots et la commande
# ---------------------------------------------------------------------------------------------------


@dataclass
class Travail:
    rang: int
    nom: str
    type_document: str  # « grille », « releve », « pv »
    donnees: dict | None  # None : document déjà émis, repris tel quel
    emis: DocumentEmis | None = None
    a_emettre: bool = False  # relevé ou PV d'une session verrouillée pas encore émis : le rendu sera conservé
    objet: str = ""
    candidat: Candidat | None = None


def cles_du_lot(*, type_lot: str, session: Session, user=None, division: Division | None = None, epreuve: str = ""):
    """Les clés ordonnées des documents d'un lot : pk des grilles, pk des candidats, ou [0] (procès-verbal)."""
    candidats = Candidat.objects.visibles_par(user) if user else Candidat.objects.all()
    candidats = candidats.de_session(session)
    if division is not None:
        candidats = candidats.filter(division=division)
    if type_lot == ExportLot.Type.GRILLES:
        qs = Grille.objects.filter(candidat__in=candidats)
        if epreuve:
            qs = qs.filter(epreuve=epreuve)
        return list(
            qs.order_by(
                "candidat__division__nom",
                "epreuve",
                "candidat__nom",
                "candidat__prenom",
                "candidat__numero",
                "situation",
            ).values_list("pk", flat=True)
        )
    if type_lot == ExportLot.Type.RELEVES:
        return list(candidats.order_by("division__nom", "nom", "prenom", "numero").values_list("pk", flat=True))
    return [0]


def preparer(*, type_lot: str, session: Session, cles: list[int], debut: int, user=None) -> list[Travail]:
    """Lit en base ce qu'il faut pour produire ces documents (rangs debut, debut + 1…) ; clés disparues ignorées."""
    travaux = []
    if type_lot == ExportLot.Type.GRILLES:
        par_pk = {g.pk: g for g in grilles_a_rendre(Grille.objects.filter(pk__in=cles))}
        presentes = [par_pk[c] for c in cles if c in par_pk]
        donnees = dict(zip([g.pk for g in presentes], donnees_grilles(presentes), strict=True))
        for i, cle in enumerate(cles):
            if cle in donnees:
                d = donnees[cle]
                travaux.append(Travail(debut + i, nom_fichier_grille(d), "grille", d))
        return travaux
    if type_lot == ExportLot.Type.RELEVES:
        par_pk = {c.pk: c for c in candidats_a_imprimer(Candidat.objects.filter(pk__in=cles))}
        # Arrêtés : toute la session verrouillée, ou le jury de leur établissement.
        arretes = set(par_pk) - set(Candidat.objects.filter(pk__in=cles).ouverts().values_list("pk", flat=True))
        emis = {}
        if arretes:
            numeros = [c.numero for c in par_pk.values() if c.pk in arretes]
            for doc in (
                DocumentEmis.objects.filter(
                    type=DocumentEmis.Type.RELEVE, session_annee=session.annee, objet__in=numeros
                )
                .defer("contenu", "donnees")
                .order_by("objet", "version")
            ):
                emis[doc.objet] = doc  # la dernière version l'emporte
        for i, cle in enumerate(cles):
            c = par_pk.get(cle)
            if c is None:
                continue
            nom = f"{_sur(c.division.nom if c.division else 'sans-division')}/releve-{c.numero}-{_sur(c.nom)}.pdf"
            if c.numero in emis:
                travaux.append(Travail(debut + i, nom, "releve", None, emis=emis[c.numero], objet=c.numero))
                continue
            d = donnees_releve(c, arrete=c.pk in arretes)
            if c.pk in arretes:
                d = donnees_a_emettre(DocumentEmis.Type.RELEVE, d)
            travaux.append(Travail(debut + i, nom, "releve", d, a_emettre=c.pk in arretes, objet=c.numero, candidat=c))
        return travaux
    perimetre = perimetre_pv(user, session)
    nom = f"proces-verbal-{session.annee}.pdf"
    if session.verrouillee and (doc := dernier_emis(DocumentEmis.Type.PROCES_VERBAL, session.annee, perimetre.objet)):
        return [Travail(debut, nom, "pv", None, emis=doc, objet=perimetre.objet)]
    d = {**donnees_pv(session, perimetre), "objet": perimetre.objet}
    if session.verrouillee:
        d = donnees_a_emettre(DocumentEmis.Type.PROCES_VERBAL, d)
    return [Travail(debut, nom, "pv", d, a_emettre=session.verrouillee, objet=perimetre.objet)]


def conserver(travail: Travail, rendu: pdf.Rendu, *, session: Session, auteur=None) -> tuple[bytes, int]:
    """Après le rendu d'un travail : émet le document s'il doit l'être ; renvoie le fichier à livrer.

    Si un autre worker l'a émis entre-temps, c'est son fichier qu'on livre (un seul document émis par version).
    """
    if not travail.a_emettre:
        return rendu.contenu, rendu.pages
    document, _ = emettre(
        type_document=travail.type_document,
        session=session,
        objet=travail.objet,
        donnees=travail.donnees,
        auteur=auteur,
        rendu=rendu,
        candidat=travail.candidat,
    )
    return bytes(document.contenu), document.pages


def produire(travail: Travail, *, session: Session, auteur=None) -> tuple[bytes, int]:
    """Le fichier d'un travail, rendu dans ce processus (worker) ou repris du document émis."""
    if travail.emis is not None:
        contenu = DocumentEmis.objects.values_list("contenu", flat=True).get(pk=travail.emis.pk)
        return bytes(contenu), travail.emis.pages
    return conserver(
        travail, pdf.rendre_document(travail.type_document, travail.donnees), session=session, auteur=auteur
    )


# ---------------------------------------------------------------------------------------------------
# Exports par lots
# ---------------------------------------------------------------------------------------------------


def epreuves_a_grille(session: Session) -> list[str]:
    return sorted(gabarits.gabarits_actifs(session.reglement.referentiel))


@transaction.atomic
def creer_export(
    *,
    session: Session,
    type_lot: str,
    auteur,
    division: Division | None = None,
    epreuve: str = "",
    fusionner: bool = False,
) -> ExportLot:
    """Crée le lot et met ses tranches dans la file procrastinate (dans la même transaction : tout ou rien)."""
    from examens import tasks  # tâches procrastinate : importées à l'usage (l'application doit être prête)

    if type_lot not in ExportLot.Type.values:
        raise OperationRefusee("Type de documents inconnu.")
    if division is not None and division.session_id != session.pk:
        raise OperationRefusee("Cette division n'appartient pas à la session.")
    if type_lot != ExportLot.Type.GRILLES:
        epreuve = ""
    if epreuve and epreuve not in epreuves_a_grille(session):
        raise OperationRefusee(f"Pas de grille pour l'épreuve {epreuve}.")
    if type_lot == ExportLot.Type.PROCES_VERBAL:
        division = None
    cles = cles_du_lot(type_lot=type_lot, session=session, user=auteur, division=division, epreuve=epreuve)
    if not cles:
        raise OperationRefusee("Aucun document à exporter pour ce choix.")
    if fusionner and len(cles) > FUSION_MAX_DOCUMENTS:
        raise OperationRefusee(
            f"Le PDF unique est limité à {FUSION_MAX_DOCUMENTS} documents ({len(cles)} demandés) : "
            "demandez le ZIP seul, ou un lot plus petit (une division, une épreuve)."
        )
    lot = ExportLot.objects.create(
        session=session,
        type=type_lot,
        division=division,
        epreuve=epreuve,
        fusionner=fusionner and type_lot != ExportLot.Type.PROCES_VERBAL,
        demande_par=auteur,
        cles=cles,
        total=len(cles),
    )
    tasks.differer_lot(lot, cles)
    journaliser(
        action="export.demande",
        auteur=auteur,
        session=session,
        objet=f"export {lot.pk}",
        apres={
            "type": type_lot,
            "documents": len(cles),
            "division": division.nom if division else "",
            "epreuve": epreuve,
        },
    )
    return lot


@transaction.atomic
def relancer_export(*, lot: ExportLot, auteur) -> None:
    """Remet toutes les tranches d'un lot inachevé dans la file ; chacune ne refait que ses documents manquants."""
    from examens import tasks

    tasks.differer_lot(lot, lot.cles)
    journaliser(action="export.relance", auteur=auteur, session=lot.session, objet=f"export {lot.pk}")


def file_du_lot(lot: ExportLot) -> dict[str, int]:
    """Tâches du lot dans la file procrastinate, par état (todo, doing, failed…)."""
    from procrastinate.contrib.django.models import ProcrastinateJob

    return dict(
        ProcrastinateJob.objects.filter(task_name="examens.rendre_tranche", args__lot_id=lot.pk)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )


def tranches(cles: list[int], taille: int = TAILLE_TRANCHE) -> list[tuple[int, list[int]]]:
    return [(i, cles[i : i + taille]) for i in range(0, len(cles), taille)]


def traiter_tranche(*, lot_id: int, debut: int, cles: list[int]) -> None:
    """Rend une tranche d'un lot (appelée par un worker). Rejouée après une panne : ne refait que ce qui manque.

    « Ce qui manque » : les rangs qui n'ont ni fichier ni échec enregistré. Un document en échec n'est pas retenté
    (il est déjà compté, et son message est dans la liste des erreurs du lot).
    """
    lot = (
        ExportLot.objects.select_related("session__reglement", "demande_par")
        .defer("cles", "fusion")
        .filter(pk=lot_id)
        .first()
    )
    if lot is None or lot.fini:
        return
    rangs = range(debut, debut + len(cles))
    deja = set(FichierExport.objects.filter(lot_id=lot_id, rang__in=rangs).values_list("rang", flat=True))
    deja |= set(EchecExport.objects.filter(lot_id=lot_id, rang__in=rangs).values_list("rang", flat=True))
    a_faire = [(debut + i, c) for i, c in enumerate(cles) if debut + i not in deja]
    if not a_faire:
        _avancer(lot_id)  # la tranche était faite : le lot a peut-être seulement attendu son dernier compte
        return
    if lot.type == ExportLot.Type.PROCES_VERBAL and lot.demande_par is None:
        # Le périmètre d'un procès-verbal est celui du demandeur : sans lui, on ne l'élargit pas à la session.
        _echouer(lot_id, [(rang, "procès-verbal : le compte qui l'a demandé n'existe plus") for rang, _ in a_faire])
        return
    ExportLot.objects.filter(pk=lot_id, etat=ExportLot.Etat.EN_ATTENTE).update(
        etat=ExportLot.Etat.EN_COURS, debut=timezone.now()
    )
    try:
        travaux = {
            t.rang: t
            for t in preparer(
                type_lot=lot.type,
                session=lot.session,
                cles=[c for _, c in a_faire],
                debut=0,
                user=lot.demande_par,
            )
        }
    except Exception as e:  # lecture impossible : toute la tranche est en échec, le lot se termine quand même
        logger.exception("Export %s : préparation de la tranche %s impossible", lot_id, debut)
        _echouer(lot_id, [(rang, f"document {rang + 1} : {e}") for rang, _ in a_faire])
        return
    for position, (rang, _) in enumerate(a_faire):
        travail = travaux.get(position)
        if travail is None:
            _echouer(lot_id, [(rang, f"document {rang + 1} : supprimé depuis la demande")])
            continue
        try:
            contenu, pages = produire(travail, session=lot.session, auteur=lot.demande_par)
        except Exception as e:
            logger.exception("Export %s : échec du document %s", lot_id, travail.nom)
            _echouer(lot_id, [(rang, f"{travail.nom} : {e}")])
            continue
        with transaction.atomic():
            # Un autre worker a pu rendre le même document (tranche reprise alors que le premier vivait encore) :
            # la contrainte d'unicité (lot, rang) garde un seul fichier.
            FichierExport.objects.bulk_create(
                [
                    FichierExport(
                        lot_id=lot_id,
                        rang=rang,
                        nom=travail.nom,
                        contenu=contenu,
                        pages=pages,
                        sha256=hashlib.sha256(contenu).hexdigest(),
                    )
                ],
                ignore_conflicts=True,
            )
            _avancer(lot_id)


def _echouer(lot_id: int, echecs: list[tuple[int, str]]) -> None:
    with transaction.atomic():
        EchecExport.objects.bulk_create(
            [EchecExport(lot_id=lot_id, rang=rang, message=message[:300]) for rang, message in echecs],
            ignore_conflicts=True,
        )
        _avancer(lot_id)


def abandonner_tranche(*, lot_id: int, debut: int, cles: list[int], motif: str) -> None:
    """Une tranche qui a tué son worker à chaque tentative : ses documents manquants sont notés en échec."""
    rangs = range(debut, debut + len(cles))
    faits = set(FichierExport.objects.filter(lot_id=lot_id, rang__in=rangs).values_list("rang", flat=True))
    _echouer(lot_id, [(rang, f"document {rang + 1} : {motif}") for rang in rangs if rang not in faits])


def abandonner_fusion(*, lot_id: int, motif: str) -> None:
    """L'assemblage a tué son worker à chaque tentative : le lot se termine sans PDF unique (le ZIP reste)."""
    with transaction.atomic():
        lot = ExportLot.objects.select_for_update().defer("cles", "fusion").filter(pk=lot_id).first()
        if lot is None or lot.etat != ExportLot.Etat.ASSEMBLAGE:
            return
        lot.etat, lot.fin = ExportLot.Etat.TERMINE, timezone.now()
        lot.erreurs = [*lot.erreurs, f"PDF unique : {motif}"[:300]]
        lot.save(update_fields=["etat", "fin", "erreurs"])


def _avancer(lot_id: int) -> None:
    """Recompte le lot sur ses fichiers et ses échecs ; complet, il se termine ou lance l'assemblage du PDF unique.

    Compter (et non incrémenter) rend l'avancement idempotent : rejouer une tranche, ou deux workers sur la même
    tranche, donnent le même total. Le verrou de ligne sérialise la décision de fin : un seul worker la prend.
    """
    from examens import tasks

    with transaction.atomic():
        lot = ExportLot.objects.select_for_update().defer("cles", "fusion").get(pk=lot_id)
        if lot.fini or lot.etat == ExportLot.Etat.ASSEMBLAGE:
            return
        fichiers = FichierExport.objects.filter(lot_id=lot_id)
        compte = fichiers.aggregate(n=Count("id"), pages=Sum("pages"))
        echecs = EchecExport.objects.filter(lot_id=lot_id).exclude(rang__in=fichiers.values("rang")).order_by("rang")
        messages = list(echecs.values_list("message", flat=True))
        lot.echecs = len(messages)
        lot.faits = min(compte["n"] + lot.echecs, lot.total)
        lot.pages = compte["pages"] or 0
        lot.erreurs = messages[:200]
        champs = ["faits", "pages", "echecs", "erreurs"]
        if lot.faits == lot.total:
            if lot.fusionner and lot.echecs < lot.total:
                lot.etat = ExportLot.Etat.ASSEMBLAGE
                transaction.on_commit(lambda: tasks.differer_fusion(lot_id))
            else:
                lot.etat = ExportLot.Etat.ECHEC if lot.echecs == lot.total else ExportLot.Etat.TERMINE
                lot.fin = timezone.now()
                champs.append("fin")
            champs.append("etat")
        lot.save(update_fields=champs)


def _par_paquets(lot_id: int, taille: int = 25) -> Iterator[tuple[str, bytes]]:
    """Les fichiers d'un lot dans l'ordre, lus par paquets (jamais tout le lot en mémoire)."""
    ids = list(FichierExport.objects.filter(lot_id=lot_id).order_by("rang").values_list("pk", flat=True))
    for i in range(0, len(ids), taille):
        paquet = FichierExport.objects.filter(pk__in=ids[i : i + taille]).order_by("rang").values_list("nom", "contenu")
        for nom, contenu in paquet:
            yield nom, bytes(contenu)


def fusionner_lot(*, lot_id: int) -> None:
    """Assemble le PDF unique d'un lot terminé (pypdf), puis termine le lot."""
    from pypdf import PdfWriter

    lot = ExportLot.objects.defer("cles", "fusion").filter(pk=lot_id).first()
    if lot is None or lot.etat != ExportLot.Etat.ASSEMBLAGE:
        return
    ecrivain = PdfWriter()
    try:
        for _, contenu in _par_paquets(lot_id):
            ecrivain.append(io.BytesIO(contenu))
        sortie = io.BytesIO()
        ecrivain.write(sortie)
    except Exception as e:
        logger.exception("Export %s : assemblage du PDF unique impossible", lot_id)
        ExportLot.objects.filter(pk=lot_id).update(
            etat=ExportLot.Etat.TERMINE, fin=timezone.now(), erreurs=[*lot.erreurs, f"PDF unique : {e}"[:300]]
        )
        return
    ExportLot.objects.filter(pk=lot_id).update(
        fusion=sortie.getvalue(), etat=ExportLot.Etat.TERMINE, fin=timezone.now()
    )


class _Flux(io.RawIOBase):
    """Sortie d'un ZipFile non adressable : ce qui est écrit est rendu morceau par morceau au client."""

    def __init__(self):
        self._morceaux: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self._morceaux.append(bytes(b))
        return len(b)

    def vider(self) -> bytes:
        donnees, self._morceaux = b"".join(self._morceaux), []
        return donnees


def flux_zip(lot: ExportLot) -> Iterator[bytes]:
    """Le ZIP d'un lot, construit à la volée (PDF déjà compressés : stockés tels quels)."""
    flux = _Flux()
    with zipfile.ZipFile(flux, "w", compression=zipfile.ZIP_STORED) as archive:
        horodatage = timezone.localtime(lot.demande_le).timetuple()[:6]
        for nom, contenu in _par_paquets(lot.pk):
            archive.writestr(zipfile.ZipInfo(nom, date_time=horodatage), contenu)
            yield flux.vider()
        if lot.erreurs:
            texte = "Documents non produits :\n" + "\n".join(lot.erreurs) + "\n"
            archive.writestr(zipfile.ZipInfo("ERREURS.txt", date_time=horodatage), texte.encode())
    yield flux.vider()


def lots_visibles(user):
    qs = (
        ExportLot.objects.select_related("session", "division", "demande_par")
        .defer("fusion", "cles")
        .annotate(a_fusion=ExpressionWrapper(Q(fusion__isnull=False), output_field=BooleanField()))
    )
    return qs if user.has_perm("examens.voir_tout") else qs.filter(demande_par=user)


def purger_exports(jours: int = CONSERVATION_EXPORTS_JOURS) -> int:
    """Supprime les lots (et leurs fichiers) demandés il y a plus de `jours` jours ; les documents émis restent."""
    limite = timezone.now() - datetime.timedelta(days=jours)
    nombre, _ = ExportLot.objects.filter(demande_le__lt=limite).delete()
    return nombre
