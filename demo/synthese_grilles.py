"""Grilles CCF synthétiques pour `generer_donnees` (bancs d'essai, jamais en production).

Pour chaque établissement : deux enseignants et un professionnel (comptes sans mot de passe utilisable), une
commission par sous-épreuve (E2, E31, E32) pour ses divisions, puis une grille par candidat évalué en CCF et par
situation, dans l'état où une session se trouve au printemps : surtout transmises, quelques-unes validées ou en
brouillon, d'autres pas commencées. Une grille transmise porte la note de l'unité déjà générée (la note proposée
s'écarte de la note suggérée par les niveaux, avec une justification, quand il le faut) et cette note passe à
l'origine « CCF » : grilles et délibération restent cohérentes.

Tout s'écrit par lots (`bulk_create`, `COPY` pour le million de lignes d'évaluation) : environ 80 000 grilles pour
25 000 candidats en moins d'une minute.
"""

import datetime
import random
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from agora.roles import ENSEIGNANT, creer_roles
from examens.ccf import gabarits, lectures, notation
from examens.models import (
    Candidat,
    Commission,
    Division,
    Epreuve,
    EvaluationCompetence,
    GabaritGrille,
    Grille,
    HistoriqueGrille,
    MembreCommission,
    Note,
    Session,
    ValidationGrille,
)

APPRECIATIONS = [
    "Candidat impliqué ; dossier complet et soigné.",
    "Démarche méthodique ; vocabulaire professionnel à enrichir.",
    "Bonne maîtrise des outils numériques, argumentation encore fragile.",
    "Travail sérieux et régulier sur l'ensemble des situations.",
    "Des progrès nets depuis la première situation ; à poursuivre.",
]
OBSERVATIONS = ["", "", "", "", "Démarche structurée.", "À consolider.", "Justifications claires.", "Imprécisions."]
# Où en sont les grilles d'une session au moment des délibérations (parts cumulées).
ETATS = ((0.78, Grille.Etat.TRANSMISE), (0.86, Grille.Etat.VALIDEE), (0.95, Grille.Etat.BROUILLON))


@dataclass
class Modele:
    """Ce qu'il faut d'un gabarit pour remplir ses grilles, lu une fois."""

    gabarit: GabaritGrille
    echelle: notation.Echelle
    evalues: list[notation.Niveau]  # du plus bas au plus haut
    non_evalue: str | None
    lignes: list[tuple[int, int]]  # (ligne, rang de son activité dans le bloc)

    @classmethod
    def de(cls, gabarit: GabaritGrille) -> "Modele":
        echelle = gabarits.echelle_de(gabarit)
        lignes = list(gabarit.lignes.order_by("ordre").values_list("pk", "competence__activite_id"))
        rangs = {a: i for i, a in enumerate(dict.fromkeys(a for _, a in lignes))}
        return cls(
            gabarit,
            echelle,
            sorted((n for n in echelle.niveaux if n.evalue), key=lambda n: n.points),
            next((n.code for n in echelle.niveaux if not n.evalue), None),
            [(pk, rangs[a]) for pk, a in lignes],
        )


def generer_donnees(*, session: Session, candidats: list[Candidat], hasard: random.Random, sortie) -> dict:
    debut = time.monotonic()
    if not candidats:
        return {"grilles": 0, "notes_ccf": 0}
    with transaction.atomic():
        actifs = list(gabarits.gabarits_actifs(session.reglement.referentiel).values())
        modeles = {g.pk: Modele.de(g) for g in actifs}
        membres = _jurys(session, candidats)
        commissions = _commissions(session, actifs, membres)
        formes = {g.pk: lectures.formes_par_statut(commissions[g.pk][next(iter(commissions[g.pk]))]) for g in actifs}
        unites = dict(
            Epreuve.objects.filter(reglement_id=session.reglement_id, code__in=[g.epreuve for g in actifs]).values_list(
                "code", "unite__code"
            )
        )
        notes = {
            (c, u): (pk, etat, valeur, origine)
            for pk, c, u, etat, valeur, origine in Note.objects.filter(
                candidat__session=session, unite__in=unites.values(), groupe=1
            ).values_list("pk", "candidat_id", "unite", "etat", "valeur", "origine")
        }
        a_ecrire, notes_ccf = [], []
        for rang, candidat in enumerate(candidats):
            for gabarit in actifs:
                forme = formes[gabarit.pk].get(candidat.statut)
                note = notes.get((candidat.pk, unites[gabarit.epreuve]))
                if forme is None or forme.forme != Grille.Forme.CCF or note is None:
                    continue
                pk_note, etat_note, valeur, origine = note
                if etat_note != Note.Etat.NOTE or origine != Note.Origine.SESSION:
                    continue  # absent, dispensé ou note conservée : pas de grille cette session
                tirage = hasard.random()
                etat = next((e for seuil, e in ETATS if tirage < seuil), None)
                if etat is None:
                    continue  # pas encore commencée
                commission = commissions[gabarit.pk][candidat.etablissement_id]
                # E2 : deux situations de part et d'autre de la note, dont la moyenne est la note de l'unité.
                ecart = Decimal(hasard.choice([0, 0, Decimal("0.5"), 1])) if gabarit.situations > 1 else Decimal(0)
                ecart = min(ecart, valeur, 20 - valeur)
                for situation in range(1, gabarit.situations + 1):
                    cible = valeur + (ecart if situation == 1 else -ecart)
                    a_ecrire.append(
                        _grille(
                            modeles[gabarit.pk], session, commission, membres, candidat, situation, etat, cible, hasard
                        )
                    )
                if etat == Grille.Etat.TRANSMISE:
                    notes_ccf.append(pk_note)
            if rang % 2000 == 0 or rang == len(candidats) - 1:
                barre(sortie, rang + 1, len(candidats), debut, "grilles", fin=rang == len(candidats) - 1)
        crees = Grille.objects.bulk_create(a_ecrire, batch_size=5000)
        _copier_evaluations(crees)
        _copier_historique(crees)
        analyser(Grille, EvaluationCompetence)
        ValidationGrille.objects.bulk_create(
            (
                ValidationGrille(grille=g, membre_id=m.utilisateur_id)
                for g in crees
                if g.etat == Grille.Etat.VALIDEE
                for m in membres[g.commission.etablissement_id][g.gabarit.epreuve]
            ),
            batch_size=5000,
        )
        for i in range(0, len(notes_ccf), 10000):
            Note.objects.filter(pk__in=notes_ccf[i : i + 10000]).update(origine=Note.Origine.CCF)
    sortie.write(f"{len(crees)} grilles CCF, {len(notes_ccf)} notes d'unité transmises par les commissions")
    return {"grilles": len(crees), "notes_ccf": len(notes_ccf)}


def barre(sortie, fait: int, total: int, debut: float, quoi: str, fin: bool = False) -> None:
    """Barre de progression d'une étape de `generer_donnees` (durée depuis `debut`, le début de l'étape) ;
    `fin` passe à la ligne. Sans sortie (appel depuis un test), rien."""
    if sortie is None:
        return
    plein = 30 * fait // max(total, 1)
    sortie.write(
        f"\r{quoi:<12} [{'#' * plein}{'.' * (30 - plein)}] {fait}/{total} {time.monotonic() - debut:5.1f} s",
        ending="\n" if fin else "",
    )
    sortie.flush()


def analyser(*modeles) -> None:
    """ANALYZE des tables qui viennent d'être remplies, dans la transaction même (il en voit les lignes).

    Sans lui, un `--remplacer` part des statistiques prises juste après la suppression de l'ancienne session (tables
    vides) : PostgreSQL choisit des boucles imbriquées sur 25 000 candidats et la lecture PFMP ne finit plus.
    """
    with connection.cursor() as curseur:
        curseur.execute("ANALYZE " + ", ".join(m._meta.db_table for m in modeles))


def copier(modele, colonnes: tuple[str, ...], lignes: Iterable[tuple]) -> None:
    """Écrit des lignes par COPY (dix fois plus vite que bulk_create) ; les colonnes sont vérifiées sur le modèle."""
    connues = {f.column for f in modele._meta.concrete_fields}
    if inconnues := set(colonnes) - connues:
        raise ValueError(f"{modele._meta.db_table} : colonnes inconnues {sorted(inconnues)}")
    with connection.cursor() as curseur:
        with curseur.cursor.copy(f"COPY {modele._meta.db_table} ({', '.join(colonnes)}) FROM STDIN") as copie:
            for ligne in lignes:
                copie.write_row(ligne)


def _jurys(session: Session, candidats: list[Candidat]) -> dict[int, dict[str, list[MembreCommission]]]:
    """Établissement → épreuve → membres (non enregistrés) : deux enseignants (E2, E31), enseignant + professionnel
    (E32). Les comptes se retrouvent d'une génération à l'autre ; les enseignants suivent leurs divisions."""
    etablissements = sorted({c.etablissement_id for c in candidats})
    noms = [f"jury-{e}-{q}" for e in etablissements for q in ("ens1", "ens2", "pro")]
    prenoms = {"ens1": "Claire", "ens2": "Karim", "pro": "Sophie"}
    User.objects.bulk_create(
        [
            # Comptes sans mot de passe utilisable : personne ne se connecte avec.
            User(
                username=n,
                first_name=prenoms[n.rsplit("-", 1)[1]],
                last_name=f"JURY {n.split('-')[1]}",
                password=make_password(None),
            )
            for n in noms
        ],
        ignore_conflicts=True,
    )
    comptes = {u.username: u for u in User.objects.filter(username__in=noms)}
    groupe = creer_roles()[ENSEIGNANT]
    groupe.user_set.add(*[u for n, u in comptes.items() if not n.endswith("-pro")])
    lien = Division.enseignants.through
    lien.objects.bulk_create(
        [
            lien(division_id=d, user_id=comptes[f"jury-{e}-{q}"].pk)
            for d, e in Division.objects.filter(session=session).values_list("pk", "etablissement_id")
            if e in set(etablissements)
            for q in ("ens1", "ens2")
        ],
        ignore_conflicts=True,
    )
    jurys = {}
    for e in etablissements:
        ens1, ens2, pro = (comptes[f"jury-{e}-{q}"] for q in ("ens1", "ens2", "pro"))
        enseignant = MembreCommission.Qualite.ENSEIGNANT
        deux = [
            MembreCommission(utilisateur=ens1, qualite=enseignant),
            MembreCommission(utilisateur=ens2, qualite=enseignant),
        ]
        mixte = [
            MembreCommission(utilisateur=ens1, qualite=enseignant),
            MembreCommission(utilisateur=pro, qualite=MembreCommission.Qualite.PROFESSIONNEL),
        ]
        jurys[e] = {"E2": deux, "E31": deux, "E32": mixte}
    return jurys


def _commissions(session: Session, gabarits, membres) -> dict[int, dict[int, Commission]]:
    """Gabarit → établissement → commission de toutes les divisions de l'établissement."""
    divisions = defaultdict(list)
    for pk, e in Division.objects.filter(session=session, etablissement_id__in=membres).values_list(
        "pk", "etablissement_id"
    ):
        divisions[e].append(pk)
    commissions = Commission.objects.bulk_create(
        [
            Commission(session=session, etablissement_id=e, gabarit=g, nom=f"{g.epreuve} synthétique")
            for g in gabarits
            for e in membres
        ]
    )
    Commission.divisions.through.objects.bulk_create(
        [
            Commission.divisions.through(commission_id=c.pk, division_id=d)
            for c in commissions
            for d in divisions[c.etablissement_id]
        ]
    )
    MembreCommission.objects.bulk_create(
        [
            MembreCommission(commission=c, utilisateur=m.utilisateur, qualite=m.qualite)
            for c in commissions
            for m in membres[c.etablissement_id][c.gabarit.epreuve]
        ]
    )
    resultat = defaultdict(dict)
    for c in commissions:
        c.session = session
        resultat[c.gabarit_id][c.etablissement_id] = c
    return resultat


def _grille(modele: Modele, session, commission, membres, candidat, situation, etat, cible, hasard) -> Grille:
    """Une grille dont les niveaux approchent la note `cible` ; transmise, elle porte exactement cette note."""
    gabarit, evalues = modele.gabarit, modele.evalues
    # Les niveaux se répartissent la somme qui donne la note visée (les points croissent d'un par niveau dans
    # l'échelle par défaut), puis quelques échanges +1/−1 entre lignes la varient sans la changer.
    evaluees = [
        ligne
        for ligne, activite in modele.lignes
        if not (gabarit.situations > 1 and modele.non_evalue and activite % gabarit.situations != situation - 1)
    ]
    haut = len(evalues) - 1
    total = round(float(cible) / 20 * haut * len(evaluees))
    base, reste = divmod(total, len(evaluees))
    rangs = [base + (1 if i < reste else 0) for i in range(len(evaluees))]
    hasard.shuffle(rangs)
    for _ in range(len(rangs) // 3):
        a, b = hasard.randrange(len(rangs)), hasard.randrange(len(rangs))
        if a != b and rangs[a] < haut and rangs[b] > 0:
            rangs[a], rangs[b] = rangs[a] + 1, rangs[b] - 1
    choisis = dict(zip(evaluees, (evalues[r].code for r in rangs), strict=True))
    # E2 : chaque situation évalue ses activités, les autres lignes sont « non évalué ».
    niveaux = [(ligne, choisis.get(ligne, modele.non_evalue)) for ligne, _ in modele.lignes]
    if etat == Grille.Etat.BROUILLON:
        remplies = hasard.randint(0, len(niveaux))
        niveaux = [(ligne, code if i < remplies else "") for i, (ligne, code) in enumerate(niveaux)]
    calcul = notation.suggerer_note([code for _, code in niveaux], modele.echelle, gabarit.arrondi)
    grille = Grille(
        commission=commission,
        candidat=candidat,
        gabarit=gabarit,
        epreuve=gabarit.epreuve,
        situation=situation,
        forme=Grille.Forme.CCF,
        etat=etat,
        version=len(niveaux) + 3,
        date_situation=datetime.date(
            session.annee, 1 + (situation - 1) * 2 + hasard.randint(0, 2), hasard.randint(1, 28)
        ),
        appreciation=hasard.choice(APPRECIATIONS) if etat != Grille.Etat.BROUILLON else "",
        pieces={p["code"]: True for p in gabarit.pieces},
        note_suggeree=calcul.note,
        modifiee_par=membres[candidat.etablissement_id][gabarit.epreuve][0].utilisateur,
    )
    if etat != Grille.Etat.BROUILLON and calcul.note != cible:
        grille.note_proposee = cible
        grille.justification = "Prestation orale plus convaincante que ne le laissent voir les seuls niveaux."
    if etat == Grille.Etat.TRANSMISE:
        grille.note_commission = cible
    grille.niveaux = [(ligne, code, hasard.choice(OBSERVATIONS) if code else "") for ligne, code in niveaux]
    return grille


def _copier_evaluations(crees: list[Grille]) -> None:
    copier(
        EvaluationCompetence,
        ("grille_id", "ligne_id", "niveau", "observation"),
        (
            (grille.pk, ligne, code, observation)
            for grille in crees
            for ligne, code, observation in grille.niveaux
            if code
        ),
    )


def _copier_historique(crees: list[Grille]) -> None:
    """Une trace par grille (la génération), comme le ferait le premier enregistrement."""
    maintenant = timezone.now()
    libelles = dict(Grille.Etat.choices)
    copier(
        HistoriqueGrille,
        ("grille_id", "date", "auteur", "auteur_nom", "action", "objet", "avant", "apres", "motif"),
        (
            (g.pk, maintenant, "generation", "Données synthétiques", "etat", "grille", "", libelles[g.etat], "")
            for g in crees
        ),
    )
