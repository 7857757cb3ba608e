"""Exports des résultats : une liste de lignes, deux rendus (CSV « ; » UTF-8 avec BOM et virgule décimale, XLSX)."""

import csv
import io

from agora.format import texte_decimal
from agora.securite import neutraliser_formule
from examens import selectors
from examens.models import Note, Resultat, texte_note
from examens.resultats import reglement_de


def resultats(session, candidats) -> tuple[list[str], list[list[str]]]:
    """Une ligne par candidat : identité, notes par unité, points, moyenne (tronquée), décision, mention."""
    unites = [u.code for u in reglement_de(session.reglement).unites]  # l'ordre et la liste du règlement
    entete = [
        "numero_candidat",
        "nom",
        "prenom",
        "uai",
        "division",
        "statut",
        *unites,
        "points",
        "moyenne",
        "moyenne_professionnelle",
        "decision",
        "mention",
    ]
    notes: dict[int, dict[str, str]] = {}
    for candidat_id, unite, groupe, etat, valeur in (
        Note.objects.filter(candidat__in=candidats)
        .order_by("groupe")
        .values_list("candidat_id", "unite", "groupe", "etat", "valeur")
        .iterator(chunk_size=20000)
    ):
        texte = texte_note(etat, valeur)  # « 12,00 », « 12,50 » : comme à l'écran, deux décimales au moins
        # la note de contrôle (groupe 2) s'affiche après celle du premier groupe
        precedent = notes.setdefault(candidat_id, {}).get(unite)
        notes[candidat_id][unite] = f"{precedent} / C {texte}" if groupe == 2 and precedent else texte
    resultats_par_candidat = {r.candidat_id: r for r in Resultat.objects.filter(candidat__in=candidats)}
    lignes = []
    for c in candidats.select_related("etablissement", "division").order_by("numero"):
        r = resultats_par_candidat.get(c.pk)
        lignes.append(
            [
                c.numero,
                c.nom,
                c.prenom,
                c.etablissement.uai,
                c.division.nom if c.division else "",
                c.statut,
                *(notes.get(c.pk, {}).get(u, "") for u in unites),
                texte_decimal(r.points) if r else "",
                texte_decimal(r.moyenne) if r else "",
                texte_decimal(r.moyenne_professionnelle) if r else "",
                selectors.DECISIONS.get(r.decision, r.decision) if r else "",
                r.mention if r else "",
            ]
        )
    return entete, [[neutraliser_formule(str(v)) for v in ligne] for ligne in lignes]


def en_csv(entete: list[str], lignes: list[list[str]]) -> str:
    sortie = io.StringIO()
    ecrivain = csv.writer(sortie, delimiter=";", lineterminator="\r\n")
    ecrivain.writerow(entete)
    ecrivain.writerows(lignes)
    return "\ufeff" + sortie.getvalue()


def en_xlsx(entete: list[str], lignes: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    classeur = Workbook(write_only=True)
    feuille = classeur.create_sheet("Résultats")
    feuille.append(entete)
    for ligne in lignes:
        feuille.append(ligne)  # tout en texte : aucune cellule n'est interprétée comme formule
    sortie = io.BytesIO()
    classeur.save(sortie)
    return sortie.getvalue()
