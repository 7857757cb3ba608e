"""Ce qu'impriment les documents PDF : des dictionnaires sérialisables (rendus par agora/pdf.py, éventuellement dans
un processus fils), lus avec les sélecteurs existants (selectors.fiche_candidat, examens/ccf/lectures.py).

Grilles d'évaluation CCF, relevés de notes, procès-verbal (de la session ou d'un jury) et son périmètre.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from agora.format import capitales_accentuees, date_fr, nom_utilisateur, nombre, texte_decimal
from examens import selectors
from examens.ccf import gabarits, lectures, notation
from examens.models import (
    Candidat,
    Etablissement,
    Grille,
    Jury,
    MembreCommission,
    Resultat,
    Session,
    texte_note,
)
from examens.services import deliberation_verrouillee

# ---------------------------------------------------------------------------------------------------
# Mise en forme
# ---------------------------------------------------------------------------------------------------


def _horodatage(valeur: datetime.datetime | None) -> str:
    return timezone.localtime(valeur).strftime("%d/%m/%Y à %H:%M") if valeur else ""


def maintenant() -> str:
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
            "nom": nom_utilisateur(m.utilisateur),
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
        "pied": f"édité le {maintenant()}",
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
            "naissance": date_fr(c.date_naissance),
        },
        "etablissement": f"{c.etablissement.nom} ({c.etablissement.uai})",
        "division": c.division.nom if c.division else "",
        "date_situation": date_fr(g.date_situation),
        "echelle": [
            {"code": n.code, "libelle": n.libelle, "points": nombre(n.points) if n.evalue else ""}
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
    nom = f"grille-{d['epreuve']}{situation}-{d['candidat']['numero']}-{sans_surprise(d['candidat']['nom'])}.pdf"
    return f"{sans_surprise(d['division'] or 'sans-division')}/{nom}" if avec_dossier else nom


def sans_surprise(texte: str) -> str:
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
                "coefficient": nombre(e.coefficient) if e.coefficient is not None else "—",
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
        "pied": f"édité le {maintenant()}",
        "provisoire": not (deliberation_verrouillee(candidat) if arrete is None else arrete),
        "session": session.annee,
        "candidat": {
            "nom": candidat.nom,
            "prenom": candidat.prenom,
            "numero": candidat.numero,
            "naissance": date_fr(candidat.date_naissance),
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
        "pied": f"édité le {maintenant()}",
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
