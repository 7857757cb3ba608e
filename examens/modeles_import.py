"""Modèles de fichiers d'import à télécharger : un classeur XLSX à listes déroulantes et un CSV vide.

Les valeurs des listes viennent de ce que l'import valide (`examens/imports.py` : statuts, formes, langues,
unités facultatives, durées, groupes) et du règlement de la session (les unités) : jamais d'une seconde copie. Le
classeur rempli se réimporte tel quel (la première feuille est lue, la feuille « Listes » cachée est ignorée).
"""

import gettext
import io
from dataclasses import dataclass, field

import pycountry

from examens import imports
from examens.models import Candidat, Note, Statut

LIGNES_VALIDEES = 5000  # rangées couvertes par les listes déroulantes (un gros lycée tient largement)
FEUILLE_LISTES = "Listes"
FEUILLE_AIDE = "Aide"


@dataclass(frozen=True)
class Liste:
    """Une liste déroulante : `stricte`, Excel refuse toute autre valeur ; sinon, il la propose seulement."""

    valeurs: list[str]
    aide: str
    stricte: bool = True


@dataclass(frozen=True)
class Modele:
    nom: str  # « candidats », « notes »
    colonnes: list[str]
    listes: dict[str, Liste]
    aides: dict[str, str]  # colonnes sans liste : l'indication affichée quand la cellule est choisie
    # La feuille « Aide » : pour une colonne, chaque valeur permise et ce qu'elle veut dire.
    legendes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def _nom_langue(code: str) -> str:
    langue = pycountry.languages.get(alpha_2=code)
    try:
        traduction = gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=["fr"])
    except OSError:
        return langue.name
    return traduction.gettext(langue.name)


def modele_candidats() -> Modele:
    langues = imports.langues()
    facultatives = [
        *imports.FACULTATIVES_SANS_LANGUE,
        "|".join(imports.FACULTATIVES_SANS_LANGUE),
        *(f"LV:{code}" for code in langues),
    ]
    return Modele(
        nom="candidats",
        colonnes=imports.COLONNES_CANDIDATS + imports.COLONNES_CANDIDATS_FACULTATIVES,
        listes={
            "statut": Liste(list(Statut.values), "Statut du candidat : choisir dans la liste."),
            "forme": Liste(list(Candidat.Forme.values), "globale (scolaires, apprentis) ou progressive."),
            "lv1": Liste(langues, "Code ISO 639-1 de la langue vivante 1 (en, es, de…)."),
            "lv2": Liste(langues, "Code ISO 639-1 de la langue vivante 2, différente de la LV1."),
            "facultatives": Liste(
                facultatives,
                "Jusqu'à deux unités séparées par | : LV:<code>, MOBILITE, EPS (ex. LV:it|EPS).",
                stricte=False,
            ),
            "duree_cycle": Liste(list(imports.DUREES_CYCLE), "Durée du cycle en années (3 si vide)."),
        },
        legendes={
            "statut": list(Statut.choices),
            "forme": [
                ("globale", "forme globale : obligatoire pour les scolaires et les apprentis (D337-78)"),
                ("progressive", "forme progressive : possible pour les autres candidats"),
            ],
            "lv1 / lv2": [(code, _nom_langue(code)) for code in langues],
            "facultatives": [
                ("MOBILITE", "unité facultative de mobilité"),
                ("EPS", "unité facultative d'éducation physique et sportive"),
                ("LV:<code>", "langue vivante facultative, différente de LV1 et LV2 (ex. LV:it)"),
                ("A|B", "deux unités facultatives au plus, séparées par | (ex. LV:it|EPS)"),
            ],
            "duree_cycle": [("2", "cycle de deux ans"), ("3", "cycle de trois ans (si vide)")],
        },
        aides={
            "numero_candidat": "1 à 20 lettres ou chiffres.",
            "date_naissance": "JJ/MM/AAAA, par exemple 14/03/2008.",
            "uai": "UAI de l'établissement : 7 chiffres et une lettre (0750001U).",
            "division": "Nom exact de la division (TAGO1) : une faute de frappe en créerait une nouvelle.",
        },
    )


def modele_notes(reglement) -> Modele:
    unites = imports.unites_du_reglement(reglement)
    return Modele(
        nom="notes",
        colonnes=imports.COLONNES_NOTES + imports.COLONNES_NOTES_FACULTATIVES,
        listes={
            "unite": Liste(
                list(unites),
                "Unité AGOrA (pour une note conservée de Gestion-Administration : l'unité GA).",
                stricte=False,
            ),
            "note": Liste(
                list(imports.regles.CODES_SAISIE),
                "Note sur 20 (12 ou 12,5) ou l'un des codes de la liste.",
                stricte=False,
            ),
            "groupe": Liste(list(imports.GROUPES), "1 : premier groupe (si vide) ; 2 : épreuve de contrôle."),
            "specialite_origine": Liste(
                list(imports.SPECIALITES_ORIGINE), "Note conservée seulement : AGORA ou GA, avec session_origine."
            ),
        },
        legendes={
            "unite": [(code, epreuve.intitule) for code, epreuve in unites.items()],
            "note": [("12 ou 12,5", "note sur 20, deux décimales au plus")]
            + [(code, Note.Etat(code).label) for code in imports.regles.CODES_SAISIE],
            "groupe": [("1", "premier groupe (si vide)"), ("2", "épreuve de contrôle")],
            "specialite_origine": [
                ("AGORA", "note conservée d'une session AGOrA antérieure"),
                ("GA", "note conservée de Gestion-Administration (unité GA, reportée selon l'Annexe IV)"),
            ],
        },
        aides={
            "numero_candidat": "Numéro d'un candidat déjà importé.",
            "session_origine": "Note conservée seulement : année de la session d'origine (2024).",
        },
    )


def en_csv(modele: Modele) -> bytes:
    """L'en-tête seul, en UTF-8 avec BOM (Excel le reconnaît) et séparé par des points-virgules."""
    return ("\ufeff" + ";".join(modele.colonnes) + "\r\n").encode("utf-8")


def en_xlsx(modele: Modele) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    classeur = Workbook()
    feuille = classeur.active
    feuille.title = modele.nom.capitalize()
    listes = classeur.create_sheet(FEUILLE_LISTES)
    listes.sheet_state = "hidden"
    feuille.append(modele.colonnes)
    feuille.freeze_panes = "A2"
    obligatoires = set(imports.COLONNES_CANDIDATS + imports.COLONNES_NOTES)
    rang_liste = 0
    for rang, colonne in enumerate(modele.colonnes, start=1):
        lettre = get_column_letter(rang)
        entete = feuille.cell(row=1, column=rang)
        entete.font = Font(bold=colonne in obligatoires)
        entete.fill = PatternFill("solid", fgColor="DDE7F3" if colonne in obligatoires else "F2F2F2")
        feuille.column_dimensions[lettre].width = max(14, len(colonne) + 4)
        # Colonne au format texte : Excel garderait sinon « 0012 » en 12 et réécrirait les dates à sa façon.
        feuille.column_dimensions[lettre].number_format = "@"
        plage = f"{lettre}2:{lettre}{LIGNES_VALIDEES}"
        liste = modele.listes.get(colonne)
        aide = liste.aide if liste else modele.aides.get(colonne, "")
        if aide:
            entete.comment = Comment(aide, "AGOrA Examens")
        if liste is None:
            continue
        rang_liste += 1
        colonne_liste = get_column_letter(rang_liste)
        listes[f"{colonne_liste}1"] = colonne
        for i, valeur in enumerate(liste.valeurs, start=2):
            listes[f"{colonne_liste}{i}"] = valeur
        validation = DataValidation(
            type="list",
            formula1=f"{quote_sheetname(FEUILLE_LISTES)}!${colonne_liste}$2:${colonne_liste}${len(liste.valeurs) + 1}",
            allow_blank=True,
            showErrorMessage=liste.stricte,
            errorStyle="stop",
            errorTitle="Valeur refusée",
            error=f"{colonne} : choisir une valeur de la liste.",
            showInputMessage=True,
            promptTitle=colonne,
            prompt=aide[:255],
        )
        validation.add(plage)
        feuille.add_data_validation(validation)
    if modele.legendes:
        aide = classeur.create_sheet(FEUILLE_AIDE, 1)  # après la feuille à remplir, seule lue par l'import
        aide.append(["colonne", "valeur", "signification"])
        for cellule in aide[1]:
            cellule.font = Font(bold=True)
        for colonne, valeurs in modele.legendes.items():
            for valeur, sens in valeurs:
                aide.append([colonne, valeur, sens])
        aide.column_dimensions["A"].width = 20
        aide.column_dimensions["B"].width = 30
        aide.column_dimensions["C"].width = 90
    tampon = io.BytesIO()
    classeur.save(tampon)
    return tampon.getvalue()
