"""Règles d'examen AGOrA (examens/regles.py) : exemples chiffrés de regles-examen.md §7, règles, saisie, fixture.

Aucune base de données, aucun import de Django. Les nombres des exemples sont écrits en entier dans les
assertions (Σ coef × note) pour que l'arithmétique se relise sans calculatrice.
"""

import ast
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from examens import regles
from examens.regles import (
    Decision,
    Dossier,
    Etat,
    Mention,
    NoteFacultative,
    NoteInvalide,
    NoteUnite,
    Regles,
    calculer,
    decision_premier_groupe,
    format_fr,
    mention_pour,
    parser_note,
    tronquer,
)

D = Decimal
F = Fraction

RACINE = Path(__file__).resolve().parents[2]
FIXTURE_REGLEMENT = RACINE / "fixtures/reglement/AGORA-2020.json"
SEED = RACINE.parent / "shared/seed/000_97fdca0b0722b213.txt"

# Unités obligatoires d'AGOrA (arrêté du 18/02/2020, annexe II b ; regles-examen §1.1 et §1.3) :
# (unité, coefficient, professionnelle, groupe de l'épreuve de contrôle). Ordre des exemples du §7.
AGORA = (
    ("U11", "1", False, "scientifique"),
    ("U12", "1", False, "scientifique"),
    ("U2", "4", True, None),
    ("U31", "4", True, None),
    ("U32", "3", True, None),
    ("U33", "1", False, "scientifique"),
    ("U41", "2", False, None),
    ("U42", "2", False, None),
    ("U51", "2.5", False, "francais_hg"),
    ("U52", "2.5", False, "francais_hg"),
    ("U6", "1", False, None),
    ("U7", "1", False, None),
)
CODES = {"ABS": Etat.ABS, "ABJ": Etat.ABJ, "DIS": Etat.DIS, "NV": Etat.NV, "manquante": Etat.MANQUANTE}


def unite(
    code: str, saisie: str, *, origine: str = "", controle: str | None = None, coefficient: str | None = None
) -> NoteUnite:
    """NoteUnite d'AGOrA : « 12 », « 10.125 » (moyenne exacte de CCF), « ABJ », « DIS », « ABS », « NV »…"""
    _, coef, pro, groupe = next(u for u in AGORA if u[0] == code)
    etat = CODES.get(saisie, Etat.NOTE)
    return NoteUnite(
        unite=code,
        coefficient=D(coefficient or coef),
        etat=etat,
        note=D(saisie) if etat is Etat.NOTE else None,
        professionnelle=pro,
        groupe_controle=groupe,
        remplacable=code != "U7",  # pas de remplacement en EPS (D337-92)
        origine=origine,
        note_controle=None if controle is None else D(controle),
    )


def dossier(
    *saisies: str,
    cdo: str | None = None,
    facultatives: tuple[tuple[str, str], ...] = (),
    jury: str = "0",
    controle: dict[str, str] | None = None,
    origines: dict[str, str] | None = None,
    blocages: tuple[str, ...] = (),
) -> Dossier:
    """Dossier à partir des douze saisies dans l'ordre U11 U12 U2 U31 U32 U33 U41 U42 U51 U52 U6 U7."""
    assert len(saisies) == len(AGORA), "douze saisies attendues"
    controle, origines = controle or {}, origines or {}
    return Dossier(
        unites=tuple(
            unite(code, saisie, origine=origines.get(code, ""), controle=controle.get(code))
            for (code, *_), saisie in zip(AGORA, saisies, strict=True)
        ),
        facultatives=tuple(
            NoteFacultative(code, CODES.get(s, Etat.NOTE), None if s in CODES else D(s)) for code, s in facultatives
        ),
        chef_oeuvre=None if cdo is None else D(cdo),
        points_jury=D(jury),
        blocages=blocages,
    )


def arrondi_au_plus_proche(valeur: Fraction) -> Decimal:
    """Ce qu'afficherait un arrondi ROUND_HALF_UP à deux décimales : ce que la décision ne doit PAS utiliser."""
    return (D(valeur.numerator) / D(valeur.denominator)).quantize(D("0.01"), ROUND_HALF_UP)


@cache
def reglement() -> dict[str, Any]:
    return json.loads(FIXTURE_REGLEMENT.read_text(encoding="utf-8"))


# ==================================================================================================
# Exemples chiffrés de regles-examen.md §7 (Σcoef = 25 ; pro = (4·U2 + 4·U31 + 3·U32) / 11)
# ==================================================================================================

EX1 = ("12", "11", "13", "14", "12", "10", "11", "9", "10", "12", "13", "15")
EX4 = ("8", "6", "11", "12", "10", "8", "9", "7", "7", "8", "10", "12")
EX6 = ("9", "8", "9", "10", "9", "9", "9", "9", "9", "9", "10", "10")
# §7.14 : tout à 10 sauf U51, U52 (2,5) et U7 (1) à 9,5 → 250 − 1,25 − 1,25 − 0,5 = 247
EX14 = ("10", "10", "10", "10", "10", "10", "10", "10", "9.5", "9.5", "10", "9.5")

EXEMPLES_SIMPLES = [
    pytest.param(
        EX1,
        "10",
        12 + 11 + 4 * 13 + 4 * 14 + 3 * 12 + 10 + 2 * 11 + 2 * 9 + D("2.5") * 10 + D("2.5") * 12 + 13 + 15,  # 300
        25,
        F(4 * 13 + 4 * 14 + 3 * 12, 11),  # 144/11 = 13,09…
        Decision.ADMIS,
        Mention.AB,
        "12,00",
        id="§7.1 scolaire : 300/25 = 12 → admis AB",
    ),
    pytest.param(
        EX6,
        None,
        9 + 8 + 4 * 9 + 4 * 10 + 3 * 9 + 9 + 2 * 9 + 2 * 9 + D("2.5") * 9 + D("2.5") * 9 + 10 + 10,  # 230
        25,
        F(4 * 9 + 4 * 10 + 3 * 9, 11),  # 103/11 = 9,36… < 10
        Decision.AJOURNE,
        None,
        "9,20",
        id="§7.6 230/25 = 9,20 mais pro 103/11 < 10 → ajourné sans contrôle",
    ),
    pytest.param(
        ("6", "6", "10", "10", "10", "6", "6", "6", "6", "7", "7", "8.5"),
        None,
        6 + 6 + 4 * 10 + 4 * 10 + 3 * 10 + 6 + 2 * 6 + 2 * 6 + D("2.5") * 6 + D("2.5") * 7 + 7 + D("8.5"),  # 200
        25,
        F(4 * 10 + 4 * 10 + 3 * 10, 11),  # 110/11 = 10 exactement
        Decision.CONTROLE,
        None,
        "8,00",
        id="§7.7 bornes atteintes : 200/25 = 8 et pro 110/11 = 10 → contrôle",
    ),
    pytest.param(
        ("6", "5", "8", "9", "7", "6", "7", "6", "7", "8", "9", "10"),
        None,
        6 + 5 + 4 * 8 + 4 * 9 + 3 * 7 + 6 + 2 * 7 + 2 * 6 + D("2.5") * 7 + D("2.5") * 8 + 9 + 10,  # 188,5
        25,
        F(4 * 8 + 4 * 9 + 3 * 7, 11),  # 89/11
        Decision.AJOURNE,
        None,
        "7,54",
        id="§7.8 188,5/25 = 7,54 < 8 → ajourné",
    ),
    pytest.param(
        ("11", "9", "9.5", "12", "10.5", "10", "DIS", "DIS", "DIS", "DIS", "DIS", "DIS"),
        None,
        11 + 9 + 4 * D("9.5") + 4 * 12 + 3 * D("10.5") + 10,  # 147,5
        25 - (2 + 2 + D("2.5") + D("2.5") + 1 + 1),  # 14
        F(4 * D("9.5") + 4 * 12 + 3 * D("10.5")) / 11,  # 117,5/11
        Decision.ADMIS,
        None,
        "10,53",  # 147,5/14 = 10,5357… : le §7 arrondit à 10,54, l'affichage tronque
        id="§7.9 dispensé de U41 U42 U51 U52 U6 U7 : 147,5/14 → admis",
    ),
    pytest.param(
        EX14,
        "13",
        250 - D("2.5") * D("0.5") - D("2.5") * D("0.5") - 1 * D("0.5") + 2 * (13 - 10),  # 247 + 6 = 253
        25,
        F(4 * 10 + 4 * 10 + 3 * 10, 11),
        Decision.ADMIS,
        None,
        "10,12",
        id="§7.14 chef-d'œuvre 13 : (247 + 2×3)/25 = 10,12 → admis",
    ),
    pytest.param(
        EX14,
        "10",
        250 - D("2.5") * D("0.5") - D("2.5") * D("0.5") - 1 * D("0.5") + 2 * (10 - 10),  # 247
        25,
        F(110, 11),
        Decision.CONTROLE,
        None,
        "9,88",
        id="§7.14 chef-d'œuvre 10 : 247/25 = 9,88, pro 10 → contrôle",
    ),
    pytest.param(
        EX14,
        "7",
        250 - D("2.5") * D("0.5") - D("2.5") * D("0.5") - 1 * D("0.5") + 2 * (7 - 10),  # 247 − 6 = 241
        25,
        F(110, 11),
        Decision.CONTROLE,
        None,
        "9,64",
        id="§7.14 chef-d'œuvre 7 : (247 − 6)/25 = 9,64 → contrôle",
    ),
    pytest.param(
        ("14",) * 12,
        None,
        14 * 25,  # 350
        25,
        F(14),
        Decision.ADMIS,
        Mention.B,
        "14,00",
        id="§7.15 tout à 14 : 350/25 = 14 → mention B",
    ),
    pytest.param(
        ("13.5",) + ("14",) * 11,
        None,
        14 * 25 - 1 * D("0.5"),  # 349,5
        25,
        F(14),
        Decision.ADMIS,
        Mention.AB,
        "13,98",
        id="§7.15 U11 à 13,5 : 349,5/25 = 13,98 → AB seulement",
    ),
]


@pytest.mark.parametrize("saisies, cdo, points, total, moyenne_pro, decision, mention, affichage", EXEMPLES_SIMPLES)
def test_exemples_chiffres_simples(saisies, cdo, points, total, moyenne_pro, decision, mention, affichage):
    r = calculer(dossier(*saisies, cdo=cdo))
    assert r.points == points
    assert r.total_coefficients == total
    assert r.moyenne == F(points) / F(total)
    assert r.moyenne_professionnelle == moyenne_pro
    assert r.decision is decision
    assert r.mention is mention
    assert r.moyenne_affichee == affichage
    assert not r.controle_passe


def test_exemple_01_la_trace_montre_chaque_produit():
    r = calculer(dossier(*EX1, cdo="10"))
    assert r.trace[:4] == ("U11 : 12 × 1 = 12", "U12 : 11 × 1 = 11", "U2 : 13 × 4 = 52", "U31 : 14 × 4 = 56")
    assert "U51 : 10 × 2,5 = 25" in r.trace
    assert "moyenne générale : 300 / 25 = 12" in r.trace
    assert "moyenne 12 ≥ 12 → mention assez bien (D337-86)" in r.trace
    assert r.bonus_chef_oeuvre == 0


def test_exemple_02_facultatives_seuls_les_points_au_dela_de_10_comptent():
    r = calculer(dossier(*EX1, cdo="10", facultatives=(("UF1", "15"), ("UF2", "8"))))
    # bonus = max(0, 15 − 10) + max(0, 8 − 10) = 5 + 0 ; dénominateur inchangé
    assert r.bonus_facultatives == max(0, 15 - 10) + max(0, 8 - 10) == 5
    assert r.points == 300 + 5 == 305
    assert r.total_coefficients == 25
    assert r.moyenne == F(305, 25) == F(61, 5)  # 12,20
    assert (r.decision, r.mention) == (Decision.ADMIS, Mention.AB)


def test_exemple_03_moyenne_9_995_non_admis_malgre_un_affichage_arrondi_a_10():
    r = calculer(dossier("10", "10", "10.125", "10", "10", "10", "10", "10", "9.75", "10", "10", "10"))
    # U2 = (10 + 10,25) / 2 : deux situations de CCF d'égale importance (annexe II c)
    assert (D(10) + D("10.25")) / 2 == D("10.125")
    # 250 + 4 × 0,125 − 2,5 × 0,25 = 250 + 0,5 − 0,625 = 249,875
    assert r.points == 250 + 4 * D("0.125") - D("2.5") * D("0.25") == D("249.875")
    assert r.moyenne == F(D("249.875")) / 25 == F(1999, 200)  # 9,995 exactement
    assert r.moyenne < 10
    assert r.moyenne_affichee == format_fr(r.moyenne) == "9,99"  # troncature
    assert arrondi_au_plus_proche(r.moyenne) == D("10.00")  # ce qu'un arrondi montrerait à tort
    # pro = (4 × 10,125 + 4 × 10 + 3 × 10) / 11 = (40,5 + 40 + 30) / 11 = 110,5 / 11 = 10,045…
    assert r.moyenne_professionnelle == F(D("110.5")) / 11 == F(221, 22)
    assert r.decision is Decision.CONTROLE
    assert r.mention is None
    assert (
        "moyenne 9,995 < 10 et ≥ 8, moyenne professionnelle 10,0454… ≥ 10 → "
        "épreuve de contrôle (D337-78, arrêté du 25/11/2021)"
    ) in r.trace


def test_exemple_04_controle_reussi_admis_sans_mention():
    premier = calculer(dossier(*EX4, cdo="10"))
    # 8 + 6 + 4×11 + 4×12 + 3×10 + 8 + 2×9 + 2×7 + 2,5×7 + 2,5×8 + 10 + 12 = 235,5
    assert premier.points == 8 + 6 + 44 + 48 + 30 + 8 + 18 + 14 + D("17.5") + 20 + 10 + 12 == D("235.5")
    assert premier.moyenne == F(D("235.5")) / 25 == F(471, 50)  # 9,42
    assert premier.moyenne_professionnelle == F(44 + 48 + 30, 11)  # 122/11 = 11,09…
    assert premier.decision is Decision.CONTROLE

    r = calculer(dossier(*EX4, cdo="10", controle={"U12": "12", "U51": "11"}))
    # maths 6 → 12, français 7 → 11 : 235,5 + 1 × (12 − 6) + 2,5 × (11 − 7) = 235,5 + 6 + 10 = 251,5
    assert r.points == D("235.5") + 1 * (12 - 6) + D("2.5") * (11 - 7) == D("251.5")
    assert r.moyenne == F(D("251.5")) / 25 == F(503, 50)  # 10,06
    assert (r.decision, r.mention, r.controle_passe) == (Decision.ADMIS, None, True)
    assert (r.decision_groupe1, r.moyenne_groupe1, r.points_groupe1) == (Decision.CONTROLE, F(471, 50), D("235.5"))
    assert r.unites_controle == ("U12", "U51")
    assert "pas de mention après l'épreuve de contrôle : premier groupe seulement (D337-86) [S]" in r.trace


def test_exemple_05_controle_la_meilleure_note_est_gardee():
    r = calculer(dossier(*EX4, cdo="10", controle={"U12": "4", "U51": "11"}))
    # maths : 4 au contrôle < 6 au premier groupe → 6 gardé ; français 7 → 11
    # 235,5 + 1 × (6 − 6) + 2,5 × (11 − 7) = 245,5
    assert r.points == D("235.5") + 1 * (6 - 6) + D("2.5") * (11 - 7) == D("245.5")
    assert r.moyenne == F(D("245.5")) / 25  # 9,82
    assert r.moyenne_affichee == "9,82"
    assert (r.decision, r.controle_passe) == (Decision.AJOURNE, True)
    assert any(ligne.startswith("contrôle U12 : 6 au premier groupe, 4 au contrôle → 6 retenue") for ligne in r.trace)


def test_exemple_10_absence_justifiee_avec_moyenne_suffisante_admis():
    r = calculer(dossier(*EX1[:9], "ABJ", *EX1[10:], cdo="10"))
    # U52 justifié compte 0 : 300 − 2,5 × 12 = 270
    assert r.points == 300 - D("2.5") * 12 == 270
    assert r.moyenne == F(270, 25)  # 10,80
    assert (r.decision, r.mention, r.unites_a_remplacer) == (Decision.ADMIS, None, ())


def test_exemple_10_absence_justifiee_en_e2_epreuve_de_remplacement():
    r = calculer(dossier("11", "10", "ABJ", "11", "10", "9", "10", "9", "9", "10", "11", "12"))
    # 11 + 10 + 4×0 + 4×11 + 3×10 + 9 + 2×10 + 2×9 + 2,5×9 + 2,5×10 + 11 + 12 = 212,5
    assert r.points == 11 + 10 + 0 + 44 + 30 + 9 + 20 + 18 + D("22.5") + 25 + 11 + 12 == D("212.5")
    assert r.moyenne == F(D("212.5")) / 25 == F(17, 2)  # 8,50
    assert r.moyenne_professionnelle == F(0 + 44 + 30, 11)  # 74/11 = 6,72… : pas de contrôle
    assert r.decision_groupe1 is Decision.AJOURNE
    assert r.decision is Decision.REMPLACEMENT
    assert r.unites_a_remplacer == ("U2",)
    assert any("U2 : absence justifiée et candidat non admis" in ligne for ligne in r.trace)


def test_exemple_11_absence_non_justifiee_non_delivrable_quelle_que_soit_la_moyenne():
    r = calculer(dossier(*EX1[:5], "ABS", *EX1[6:], cdo="10"))
    # moyenne indicative avec 0 en U33 : 300 − 10 = 290 → 11,60
    assert r.points == 300 - 10 == 290
    assert r.moyenne == F(290, 25)
    assert (r.decision, r.mention) == (Decision.NON_DELIVRABLE, None)
    assert any("diplôme non délivrable quelle que soit la moyenne" in ligne for ligne in r.trace)


def test_exemple_12_ancien_candidat_ga_notes_reportees_par_l_annexe_iv():
    correspondance = {c["ga"]: c["agora"] for c in reglement()["correspondance_ga"]}
    notes_ga_2022 = {
        "U31": "13", "U2": "12", "U32": "11", "U34": "10", "U11": "10", "U12": "11",
        "U41": "12", "U42": "10", "U52": "10", "U6": "11", "U7": "13", "U33": "14",
    }  # fmt: skip
    reportees = {correspondance[ga]: note for ga, note in notes_ga_2022.items() if correspondance[ga]}
    assert correspondance["U33"] is None  # GA U33 (projets) 14 : perdue
    assert (reportees["U2"], reportees["U32"], reportees["U33"]) == ("11", "12", "10")  # GA U32, U2, U34
    unites = tuple(
        unite("U51", "9", origine="session 2023")  # 8 en 2022, repassée
        if code == "U51"
        else unite(code, reportees[code], origine="conservée GA 2022")
        for code, *_ in AGORA
    )
    r = calculer(Dossier(unites=unites))
    # 10 + 11 + 4×11 + 4×13 + 3×12 + 10 + 2×12 + 2×10 + 2,5×9 + 2,5×10 + 11 + 13 = 278,5
    assert r.points == 10 + 11 + 44 + 52 + 36 + 10 + 24 + 20 + D("22.5") + 25 + 11 + 13 == D("278.5")
    assert r.moyenne == F(D("278.5")) / 25  # 11,14
    assert (r.decision, r.mention) == (Decision.ADMIS, None)
    assert "U31 : 13 × 4 = 52 (conservée GA 2022)" in r.trace


@pytest.mark.parametrize(
    "u2, points, decision",
    [
        pytest.param("7", D("243.5"), Decision.ADMIS, id="U2 repassée 8 → 7, la dernière note compte : 243,5/24"),
        pytest.param("8", D("247.5"), Decision.ADMIS, id="si le 8 avait été gardé : 247,5/24"),
    ],
)
def test_exemple_13_forme_progressive_eps_dispensee_24_coefficients(u2, points, decision):
    r = calculer(
        dossier(
            "10", "9", u2, "12", "11", "9", "11", "10", "10", "11", "12", "DIS",
            origines={"U2": "repassée en N+1 (D337-79)", "U33": "conservée < 10 (D337-79)"},
        )
    )  # fmt: skip
    # 10 + 9 + 4×U2 + 4×12 + 3×11 + 9 + 2×11 + 2×10 + 2,5×10 + 2,5×11 + 12, U7 dispensée
    assert r.points == 10 + 9 + 4 * D(u2) + 48 + 33 + 9 + 22 + 20 + 25 + D("27.5") + 12 == points
    assert r.total_coefficients == 25 - 1 == 24
    assert r.moyenne == F(points) / 24  # 10,145… ; 10,3125
    assert r.decision is decision
    assert "U7 : dispensée, coefficient 1 retiré des deux sommes (D337-80)" in r.trace


# ==================================================================================================
# Règles, une par une
# ==================================================================================================


def test_unite_dispensee_sort_des_deux_sommes():
    r = calculer(Dossier(unites=(unite("U31", "12"), unite("U6", "DIS"))))
    assert (r.points, r.total_coefficients, r.moyenne) == (48, 4, 12)


def test_absence_justifiee_compte_zero_dans_les_deux_moyennes():
    r = calculer(Dossier(unites=(unite("U2", "ABJ"), unite("U31", "15"), unite("U32", "10"), unite("U7", "10"))))
    # (0 + 60 + 30 + 10) / 12 ; pro (0 + 60 + 30) / 11
    assert r.moyenne == F(0 + 4 * 15 + 3 * 10 + 10, 12)
    assert r.moyenne_professionnelle == F(0 + 4 * 15 + 3 * 10, 11)


@pytest.mark.parametrize(
    "note, bonus", [("15", D(5)), ("10", D(0)), ("8", D(0)), ("20", D(10)), ("10.25", D("0.25")), ("0", D(0))]
)
def test_facultative_ajoute_les_points_au_dela_de_10_sans_changer_le_denominateur(note, bonus):
    r = calculer(dossier(*("10",) * 12, facultatives=(("UF1", note),)))
    assert r.bonus_facultatives == bonus
    assert r.points == 250 + bonus
    assert r.total_coefficients == 25


@pytest.mark.parametrize("etat", ["ABS", "ABJ", "NV", "DIS"])
def test_facultative_sans_note_ne_donne_aucun_point_et_ne_bloque_rien(etat):
    r = calculer(dossier(*EX1, facultatives=(("UF1", etat), ("UF2", "12"))))
    assert r.bonus_facultatives == 2
    assert r.decision is Decision.ADMIS
    assert f"UF1 (facultative) : {etat} → aucun point ajouté" in r.trace


def test_plus_de_facultatives_que_permis_est_une_erreur_de_donnees():
    trois = (("UF1", "12"), ("UF2", "12"), ("UF3", "12"))
    with pytest.raises(ValueError, match="au plus 2"):
        calculer(dossier(*EX1, facultatives=trois))
    with pytest.raises(ValueError, match="au plus 1"):
        calculer(dossier(*EX1, facultatives=trois[:2]), Regles(max_facultatives=1))


def test_facultative_manquante_rend_le_dossier_incomplet():
    r = calculer(dossier(*EX1, facultatives=(("UF1", "manquante"),)))
    assert (r.decision, r.moyenne, r.unites_manquantes) == (Decision.INCOMPLET, None, ("UF1",))


def test_les_points_des_facultatives_comptent_pour_la_mention():
    # 295/25 = 11,80 sans mention ; + max(0, 15 − 10) = 300/25 = 12 → AB (annexe II b, note 2)
    saisies = ("12", "11", "13", "14", "12", "10", "11", "9", "10", "10", "13", "15")
    assert calculer(dossier(*saisies)).mention is None
    assert calculer(dossier(*saisies, facultatives=(("UF1", "15"),))).mention is Mention.AB


@pytest.mark.parametrize(
    "cdo, bonus", [("13", D(6)), ("10", D(0)), ("7", D(-6)), ("0", D(-20)), ("20", D(20)), ("10.5", D(1))]
)
def test_chef_d_oeuvre_ajoute_ou_retranche_deux_fois_l_ecart_a_10(cdo, bonus):
    r = calculer(dossier(*("10",) * 12, cdo=cdo))
    assert r.bonus_chef_oeuvre == 2 * (D(cdo) - 10) == bonus
    assert (r.points, r.total_coefficients) == (250 + bonus, 25)


def test_coefficient_du_chef_d_oeuvre_configurable():
    r = calculer(dossier(*("10",) * 12, cdo="13"), Regles(coefficient_chef_oeuvre=D(1)))
    assert r.bonus_chef_oeuvre == 1 * (13 - 10)


def test_sans_chef_d_oeuvre_aucun_bonus():
    assert calculer(dossier(*("10",) * 12)).bonus_chef_oeuvre == 0


def test_points_du_jury_s_ajoutent_au_total_denominateur_inchange():
    r = calculer(dossier(*EX14, cdo="10", jury="3"))
    # (247 + 3) / 25 = 10 → admis au lieu du contrôle
    assert (r.points, r.total_coefficients, r.moyenne) == (247 + 3, 25, 10)
    assert r.decision is Decision.ADMIS
    assert "points du jury : +3, dénominateur inchangé (D337-88)" in r.trace


def test_points_du_jury_negatifs_refuses():
    with pytest.raises(ValueError, match="jury"):
        dossier(*EX1, jury="-1")


def test_si_toutes_les_unites_professionnelles_sont_dispensees_la_condition_est_remplie():
    r = calculer(dossier("9", "9", "DIS", "DIS", "DIS", "9", "9", "9", "9", "9", "9", "9"))
    assert r.moyenne == 9
    assert r.moyenne_professionnelle is None
    assert r.decision is Decision.CONTROLE


@pytest.mark.parametrize("etat", ["ABS", "NV"])
def test_absence_ou_non_valide_rend_le_diplome_non_delivrable_meme_avec_18_de_moyenne(etat):
    r = calculer(dossier("18", "18", "18", etat, *("18",) * 8))
    assert r.decision is Decision.NON_DELIVRABLE
    assert r.mention is None
    assert r.moyenne == F(18 * 25 - 18 * 4, 25)  # moyenne indicative, U31 compté 0


def test_blocage_exterieur_rend_le_diplome_non_delivrable():
    r = calculer(dossier(*EX1, blocages=("justificatifs PFMP manquants",)))
    assert (r.decision, r.moyenne) == (Decision.NON_DELIVRABLE, 12)
    assert any("blocage : justificatifs PFMP manquants" in ligne for ligne in r.trace)


def test_absence_et_note_manquante_non_delivrable_sans_moyenne():
    r = calculer(dossier("ABS", "manquante", *EX1[2:]))
    assert (r.decision, r.moyenne, r.points) == (Decision.NON_DELIVRABLE, None, None)


def test_note_manquante_rend_le_dossier_incomplet_sans_moyenne():
    r = calculer(dossier(*EX1[:3], "manquante", *EX1[4:]))
    assert r.decision is Decision.INCOMPLET
    assert (r.points, r.moyenne, r.moyenne_professionnelle, r.mention) == (None, None, None, None)
    assert r.unites_manquantes == ("U31",)
    assert r.moyenne_affichee == ""


@pytest.mark.parametrize(
    "moyenne, pro, attendu",
    [
        (F(10), F(0), Decision.ADMIS),
        (F(20), None, Decision.ADMIS),
        (F(1999, 200), F(10), Decision.CONTROLE),  # 9,995
        (F(8), F(10), Decision.CONTROLE),  # deux bornes incluses
        (F(8), None, Decision.CONTROLE),
        (F(799, 100), F(20), Decision.AJOURNE),  # 7,99
        (F(8) - F(1, 10**9), F(20), Decision.AJOURNE),
        (F(9), F(10) - F(1, 10**9), Decision.AJOURNE),
        (F(0), F(0), Decision.AJOURNE),
    ],
)
def test_decision_du_premier_groupe_sur_valeurs_exactes(moyenne, pro, attendu):
    assert decision_premier_groupe(moyenne, pro, Regles())[0] is attendu


def test_sans_epreuve_de_controle_tout_non_admis_est_ajourne():
    r = calculer(dossier(*EX4), Regles(controle_actif=False))
    assert r.decision is Decision.AJOURNE


def test_seuils_de_session_configurables():
    assert calculer(dossier(*EX1), Regles(seuil_admission=D(13), seuil_controle=D(11))).decision is Decision.CONTROLE
    assert calculer(dossier(*EX4), Regles(seuil_professionnel=D(12))).decision is Decision.AJOURNE  # pro 11,09


def test_absence_justifiee_en_eps_pas_de_remplacement():
    r = calculer(dossier(*EX4[:11], "ABJ"))
    # 235,5 − 12 = 223,5 → 8,94 ; pro 11,09 → contrôle, pas de remplacement pour l'EPS (D337-92)
    assert r.points == D("235.5") - 12
    assert (r.decision, r.unites_a_remplacer) == (Decision.CONTROLE, ())
    assert "U7 : pas d'épreuve de remplacement (D337-92), le 0 reste compté" in r.trace


def test_absence_justifiee_et_controle_possible_donne_remplacement():
    r = calculer(dossier(*EX4[:6], "ABJ", *EX4[7:]))
    # 235,5 − 2 × 9 = 217,5 → 8,70, pro 11,09 → contrôle au premier groupe, mais U41 à remplacer
    assert r.decision_groupe1 is Decision.CONTROLE
    assert (r.decision, r.unites_a_remplacer) == (Decision.REMPLACEMENT, ("U41",))


def test_absence_justifiee_rattrapee_par_le_controle():
    # U12 absent justifié (0) puis 12 au contrôle : la meilleure note (12) est retenue
    r = calculer(dossier(*EX4[:1], "ABJ", *EX4[2:], controle={"U12": "12", "U51": "11"}))
    # 235,5 − 6 = 229,5 au premier groupe ; + 1 × (12 − 0) + 2,5 × (11 − 7) = 251,5
    assert r.points_groupe1 == D("235.5") - 6
    assert r.points == D("229.5") + 12 + 10 == D("251.5")
    assert (r.decision, r.controle_passe) == (Decision.ADMIS, True)


def test_absence_justifiee_et_controle_echoue_donne_remplacement():
    r = calculer(dossier(*EX4[:6], "ABJ", *EX4[7:], controle={"U12": "6", "U51": "7"}))
    assert r.controle_passe
    assert (r.decision, r.unites_a_remplacer) == (Decision.REMPLACEMENT, ("U41",))


@pytest.mark.parametrize(
    "moyenne, mention",
    [
        (F(1199, 100), None),
        (F(12) - F(1, 10**12), None),
        (F(12), Mention.AB),
        (F(1399, 100), Mention.AB),
        (F(14), Mention.B),
        (F(16) - F(1, 10**12), Mention.B),
        (F(16), Mention.TB),
        (F(20), Mention.TB),
    ],
)
def test_seuils_des_mentions_sur_valeurs_exactes(moyenne, mention):
    assert mention_pour(moyenne, Regles()) is mention


def test_mention_tres_bien():
    r = calculer(dossier(*("16",) * 12))
    assert (r.decision, r.mention) == (Decision.ADMIS, Mention.TB)


# Contrôle : 237/25 = 9,48, pro 132/11 = 12 ; U12 0 → 20 (+20) et U51 0 → 20 (+50) : 307/25 = 12,28
CONTROLE_BRILLANT = ("10", "0", "12", "12", "12", "10", "10", "10", "0", "10", "10", "10")


def test_pas_de_mention_apres_le_controle_par_defaut():
    r = calculer(dossier(*CONTROLE_BRILLANT, controle={"U12": "20", "U51": "20"}))
    assert r.points == 237 + 1 * 20 + D("2.5") * 20 == 307
    assert (r.decision, r.mention) == (Decision.ADMIS, None)


def test_mention_apres_le_controle_si_le_reglement_le_prevoit():
    r = calculer(dossier(*CONTROLE_BRILLANT, controle={"U12": "20", "U51": "20"}), Regles(mention_apres_controle=True))
    assert (r.decision, r.mention) == (Decision.ADMIS, Mention.AB)


@pytest.mark.parametrize("origine", ["conservée GA 2022", "Conservee (D337-78)", "  conservée 2021"])
def test_pas_de_mention_avec_notes_conservees_si_le_reglement_l_exclut(origine):
    d = dossier(*EX1, origines={"U31": origine})
    assert calculer(d).mention is Mention.AB  # lecture par défaut : mention possible [U]
    r = calculer(d, Regles(mention_avec_notes_conservees=False))
    assert (r.decision, r.mention) == (Decision.ADMIS, None)
    assert any("pas de mention : notes conservées (U31)" in ligne for ligne in r.trace)


def test_une_origine_qui_n_est_pas_une_note_conservee_garde_la_mention():
    d = dossier(*EX1, origines={"U31": "session 2023"})
    assert calculer(d, Regles(mention_avec_notes_conservees=False)).mention is Mention.AB


def test_controle_au_plus_une_unite_par_groupe():
    with pytest.raises(ValueError, match="scientifique"):
        calculer(dossier(*EX4, controle={"U11": "12", "U12": "12"}))
    with pytest.raises(ValueError, match="francais_hg"):
        calculer(dossier(*EX4, controle={"U51": "12", "U52": "12"}))


def test_controle_sur_une_unite_hors_groupe_est_une_erreur():
    with pytest.raises(ValueError, match="U41"):
        calculer(dossier(*EX4, controle={"U41": "12"}))


def test_controle_sur_une_unite_dispensee_est_une_erreur():
    with pytest.raises(ValueError, match="U12"):
        calculer(dossier("8", "DIS", *EX4[2:], controle={"U12": "12"}))


def test_controle_une_seule_sous_epreuve():
    r = calculer(dossier(*EX4, controle={"U33": "14"}))
    # 235,5 + 1 × (14 − 8) = 241,5 → 9,66
    assert r.points == D("235.5") + 1 * (14 - 8)
    assert (r.decision, r.controle_passe, r.unites_controle) == (Decision.AJOURNE, True, ("U33",))


@pytest.mark.parametrize("saisies", [EX1, EX6], ids=["admis", "ajourné"])
def test_notes_de_controle_ignorees_si_le_premier_groupe_n_est_pas_controle(saisies):
    sans = calculer(dossier(*saisies))
    assert sans.decision in (Decision.ADMIS, Decision.AJOURNE)
    r = calculer(dossier(*saisies, controle={"U12": "20"}))
    assert (r.decision, r.moyenne, r.controle_passe, r.unites_controle) == (sans.decision, sans.moyenne, False, ())
    assert any(ligne.startswith("notes de contrôle ignorées (U12)") for ligne in r.trace)


def test_controle_attendu_sans_note_de_controle_reste_controle():
    r = calculer(dossier(*EX4))
    assert (r.decision, r.controle_passe, r.mention) == (Decision.CONTROLE, False, None)


# ==================================================================================================
# Données d'entrée
# ==================================================================================================


@pytest.mark.parametrize(
    "arguments, erreur",
    [
        ({"etat": Etat.NOTE}, ValueError),
        ({"etat": Etat.ABS, "note": D(5)}, ValueError),
        ({"etat": Etat.NOTE, "note": D("20.01")}, ValueError),
        ({"etat": Etat.NOTE, "note": D(-1)}, ValueError),
        ({"etat": Etat.NOTE, "note": D("NaN")}, ValueError),
        ({"etat": Etat.NOTE, "note": 12.5}, TypeError),  # jamais de float
        ({"etat": Etat.NOTE, "note": D(12), "coefficient": D(0)}, ValueError),
        ({"etat": Etat.NOTE, "note": D(12), "note_controle": D(21), "groupe_controle": "scientifique"}, ValueError),
        ({"etat": Etat.ABS, "note_controle": D(12), "groupe_controle": "scientifique"}, ValueError),
    ],
)
def test_note_unite_refuse_les_donnees_incoherentes(arguments, erreur):
    with pytest.raises(erreur):
        NoteUnite(**{"unite": "U12", "coefficient": D(1), **arguments})


def test_note_unite_accepte_un_etat_en_texte_et_un_entier():
    u = NoteUnite("U12", 1, "note", 12)
    assert (u.etat, u.note, u.coefficient) == (Etat.NOTE, D(12), D(1))
    assert isinstance(u.note, Decimal)


def test_unite_en_double_refusee():
    with pytest.raises(ValueError, match="U31"):
        Dossier(unites=(unite("U31", "12"), unite("U31", "13")))


def test_toutes_les_unites_dispensees_est_une_erreur():
    with pytest.raises(ValueError, match="dispensées"):
        calculer(Dossier(unites=(unite("U6", "DIS"), unite("U7", "DIS"))))


# ==================================================================================================
# Affichage et saisie
# ==================================================================================================


@pytest.mark.parametrize(
    "valeur, decimales, attendu",
    [
        (F(1999, 200), 2, D("9.99")),
        (D("9.995"), 2, D("9.99")),
        (10, 2, D("10.00")),
        (D("9.999999"), 2, D("9.99")),
        (F(2, 3), 2, D("0.66")),
        (F(2, 3), 4, D("0.6666")),
        (F(-1999, 200), 2, D("-9.99")),  # vers zéro
        (F(-1, 1000), 2, D("0.00")),
        (F(221, 22), 3, D("10.045")),
        (F(1999, 200), 0, D(9)),
    ],
)
def test_tronquer_vers_zero(valeur, decimales, attendu):
    resultat = tronquer(valeur, decimales)
    assert resultat == attendu
    assert str(resultat) == str(attendu)  # nombre de décimales fixe


@pytest.mark.parametrize(
    "valeur, attendu",
    [(F(1999, 200), "9,99"), (10, "10,00"), (F(61, 5), "12,20"), (D("7.54"), "7,54"), (F(0), "0,00")],
)
def test_format_fr_tronque_avec_virgule(valeur, attendu):
    assert format_fr(valeur) == attendu


def test_tronquer_refuse_les_float():
    with pytest.raises(TypeError):
        tronquer(9.995)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "texte, attendu",
    [
        ("12", (Etat.NOTE, D(12))),
        ("12,5", (Etat.NOTE, D("12.5"))),
        ("12.75", (Etat.NOTE, D("12.75"))),
        (" 8 ", (Etat.NOTE, D(8))),
        ("\t15\n", (Etat.NOTE, D(15))),
        ("0", (Etat.NOTE, D(0))),
        ("20", (Etat.NOTE, D(20))),
        ("20,00", (Etat.NOTE, D(20))),
        ("09,5", (Etat.NOTE, D("9.5"))),
        ("ABS", (Etat.ABS, None)),
        ("abj", (Etat.ABJ, None)),
        ("Abj", (Etat.ABJ, None)),
        ("DIS", (Etat.DIS, None)),
        ("NV", (Etat.NV, None)),
        (" nv ", (Etat.NV, None)),
    ],
)
def test_parser_note_accepte(texte, attendu):
    assert parser_note(texte) == attendu


@pytest.mark.parametrize(
    "texte, motif",
    [
        ("", "note vide"),
        ("   ", "note vide"),
        ("20,5", "^20,5 : la note doit être comprise entre 0 et 20$"),
        ("20.01", "entre 0 et 20"),
        ("21", "entre 0 et 20"),
        ("-1", "entre 0 et 20"),
        ("-0,5", "entre 0 et 20"),
        ("12,555", "plus de deux décimales"),
        ("12.125", "plus de deux décimales"),
        ("NaN", "pas un nombre fini"),
        ("nan", "pas un nombre fini"),
        ("inf", "pas un nombre fini"),
        ("-Infinity", "pas un nombre fini"),
        ("1e1", "exponentielle"),
        ("1E1", "exponentielle"),
        ("1,5e-1", "exponentielle"),
        ("+12", "signe"),
        ("12,5,5", "format non reconnu"),
        ("douze", "format non reconnu"),
        ("12 5", "format non reconnu"),
        (",5", "format non reconnu"),
        ("12.", "format non reconnu"),
        ("0x10", "format non reconnu"),
        ("١٢", "format non reconnu"),  # chiffres arabes orientaux, que Decimal accepterait
        ("ABSENT", "format non reconnu"),
    ],
)
def test_parser_note_refuse_avec_un_message_qui_dit_pourquoi(texte, motif):
    with pytest.raises(NoteInvalide, match=motif):
        parser_note(texte)


def test_note_invalide_est_une_value_error():
    assert issubclass(NoteInvalide, ValueError)


# ==================================================================================================
# Hygiène du module : pur Python, aucun float
# ==================================================================================================


def test_le_module_n_importe_pas_django_et_n_utilise_aucun_float():
    arbre = ast.parse(Path(regles.__file__).read_text(encoding="utf-8"))
    imports = [n.module or "" for n in ast.walk(arbre) if isinstance(n, ast.ImportFrom)]
    imports += [a.name for n in ast.walk(arbre) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imports if m.split(".")[0] == "django"]
    assert not [n for n in ast.walk(arbre) if isinstance(n, ast.Constant) and isinstance(n.value, float)]
    assert not [n for n in ast.walk(arbre) if isinstance(n, ast.Name) and n.id == "float"]


# ==================================================================================================
# Fixture du règlement d'examen (fixtures/reglement/AGORA-2020.json)
# ==================================================================================================

MODES = {"ccf", "ponctuel_ecrit", "ponctuel_oral", "ponctuel_pratique", "ponctuel_oral_pratique", "ponctuel"}


def epreuves_avec_unite(*, facultative: bool) -> list[dict[str, Any]]:
    return [e for e in reglement()["epreuves"] if e["unite"] and e["facultative"] is facultative]


def test_fixture_identite_et_sessions():
    r = reglement()
    assert (r["code"], r["referentiel"]) == ("AGORA-2020", "AGORA-2020")
    assert (r["session_debut"], r["session_fin"]) == (2023, None)


def test_fixture_somme_des_coefficients_obligatoires_25_dont_11_professionnels():
    obligatoires = epreuves_avec_unite(facultative=False)
    assert sum(D(e["coefficient"]) for e in obligatoires) == 25
    assert sum(D(e["coefficient"]) for e in obligatoires if e["professionnelle"]) == 11
    assert sorted(e["unite"] for e in obligatoires if e["professionnelle"]) == ["U2", "U31", "U32"]


def test_fixture_concorde_avec_les_unites_des_tests():
    obligatoires = {e["unite"]: e for e in epreuves_avec_unite(facultative=False)}
    assert list(obligatoires) == [u[0] for u in AGORA]
    for code, coef, pro, groupe in AGORA:
        e = obligatoires[code]
        assert (D(e["coefficient"]), e["professionnelle"], e["controle"]) == (D(coef), pro, groupe)
        assert e["remplacable"] is (code != "U7")


def test_fixture_trois_categories_et_statuts_uniques():
    categories = reglement()["categories"]
    assert [c["code"] for c in categories] == ["1", "2", "3"]
    statuts = [s for c in categories for s in c["statuts"]]
    assert len(statuts) == len(set(statuts)) == 10
    assert categories[2]["intitule"] == "Formation professionnelle continue dans un établissement public habilité"


def test_fixture_chaque_unite_obligatoire_a_un_mode_par_categorie():
    codes = {c["code"] for c in reglement()["categories"]}
    for e in epreuves_avec_unite(facultative=False) + epreuves_avec_unite(facultative=True):
        assert set(e["modes"]) == codes, e["code"]
        for mode in e["modes"].values():
            assert mode["mode"] in MODES, e["code"]
            assert isinstance(mode["duree"], str)
        assert e["modes"]["3"]["mode"] == ("ponctuel" if e["facultative"] else "ccf")  # colonne 3 : tout CCF


def test_fixture_lignes_relues_du_tableau():
    modes = {e["code"]: e["modes"] for e in reglement()["epreuves"]}
    assert modes["E11"]["1"] == {"mode": "ponctuel_ecrit", "duree": "2 h 30"}
    assert modes["E12"]["2"] == {"mode": "ponctuel_ecrit", "duree": "1 h"}
    assert modes["E31"]["2"] == {"mode": "ponctuel_oral_pratique", "duree": "45 min"}
    assert modes["E32"]["2"] == {"mode": "ponctuel_oral", "duree": "30 min"}
    assert modes["E33"]["2"]["mode"] == "ponctuel_ecrit" and "remarque" in modes["E33"]["2"]
    assert modes["E41"]["2"]["duree"] == modes["E42"]["2"]["duree"] == "20 min (dont 5 minutes de préparation)"
    assert modes["E7"]["2"] == {"mode": "ponctuel_pratique", "duree": ""}


def test_fixture_coefficient_des_epreuves_egal_a_la_somme_des_sous_epreuves():
    epreuves = reglement()["epreuves"]
    for parent in (e for e in epreuves if e["unite"] is None):
        enfants = [e for e in epreuves if e["parent"] == parent["code"]]
        assert enfants, parent["code"]
        assert D(parent["coefficient"]) == sum(D(e["coefficient"]) for e in enfants), parent["code"]


def test_fixture_facultatives_sans_coefficient_ni_remplacement():
    facultatives = epreuves_avec_unite(facultative=True)
    assert [(e["code"], e["unite"]) for e in facultatives] == [("EF1", "UF1"), ("EF2", "UF2")]
    assert all(e["coefficient"] is None and e["remplacable"] is False for e in facultatives)


def test_fixture_correspondance_gestion_administration():
    correspondance = {c["ga"]: c["agora"] for c in reglement()["correspondance_ga"]}
    assert correspondance == {
        "U11": "U11", "U12": "U12", "U2": "U32", "U31": "U31", "U32": "U2", "U33": None, "U34": "U33",
        "U41": "U41", "U42": "U42", "U51": "U51", "U52": "U52", "U6": "U6", "U7": "U7", "UF": "UF",
    }  # fmt: skip


def test_fixture_regles_identiques_aux_regles_par_defaut():
    donnees = reglement()["regles"]
    assert Regles.depuis_dict(donnees) == Regles()
    assert donnees["validite_notes_conservees_sessions"] == 5
    champs = set(donnees) - {"sources"}
    assert champs <= set(donnees["sources"]) | {"mentions"} | {"seuils_mentions"}
    assert all(re.search(r"\[[CSU]", texte) for texte in donnees["sources"].values())


@pytest.mark.parametrize(
    "cle, valeur", [("seuil_admission", 10.0), ("controle_actif", "false"), ("max_facultatives", "2")]
)
def test_regles_depuis_dict_refuse_les_types_inexacts(cle, valeur):
    with pytest.raises(TypeError):
        Regles.depuis_dict({**reglement()["regles"], cle: valeur})


@pytest.mark.skipif(not SEED.exists(), reason="texte de l'arrêté absent")
def test_fixture_intitules_presents_dans_l_arrete():
    texte = SEED.read_text(encoding="utf-8")
    texte = re.sub(r"</?b>", " ", texte)
    texte = re.sub(r"\s+", " ", texte).casefold()
    intitules = [e["intitule"] for e in reglement()["epreuves"] if not e["facultative"]]
    intitules += [c[cle] for c in reglement()["correspondance_ga"] for cle in ("ga_intitule", "agora_intitule")]
    # dans le texte source, les trois en-têtes « Formation professionnelle continue… » sont coupés après « Formation »
    intitules += [s for c in reglement()["categories"] for s in c["composantes"] if not s.startswith("Formation")]
    absents = [i for i in intitules if i and re.sub(r"\s+", " ", i).casefold() not in texte]
    assert not absents
