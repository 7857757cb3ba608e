"""Calculs purs des grilles CCF (sans base) : échelle, conversion en note suggérée, arrondis, composition."""

from decimal import Decimal
from fractions import Fraction

import pytest

from examens import services
from examens.ccf import gabarits, notation
from examens.ccf.notation import Echelle, ParametresInvalides, arrondir, suggerer_note

ECHELLE = Echelle.depuis_donnees(
    [
        {"code": "TI", "libelle": "Très insuffisant", "points": 0, "touche": "1"},
        {"code": "I", "libelle": "Insuffisant", "points": 1, "touche": "2"},
        {"code": "S", "libelle": "Satisfaisant", "points": 2, "touche": "3"},
        {"code": "TS", "libelle": "Très satisfaisant", "points": 3, "touche": "4"},
        {"code": "NE", "libelle": "Non évalué", "points": None, "touche": "0"},
    ]
)


@pytest.mark.parametrize(
    "exacte, arrondi, attendu",
    [
        (Fraction(1225, 100), "demi_point", "12.50"),  # la moitié monte
        (Fraction(1224, 100), "demi_point", "12.00"),
        (Fraction(1275, 100), "demi_point", "13.00"),
        (Fraction(40, 3), "demi_point", "13.50"),  # 13,333… → 13,5
        (Fraction(121, 10), "demi_point_superieur", "12.50"),
        (Fraction(12), "demi_point_superieur", "12.00"),
        (Fraction(40, 3), "centieme", "13.33"),
        (Fraction(20, 3), "centieme", "6.67"),
        (Fraction(25, 2), "point", "13.00"),
        (Fraction(20), "demi_point", "20.00"),
        (Fraction(0), "demi_point_superieur", "0.00"),
    ],
)
def test_arrondir(exacte, arrondi, attendu):
    assert arrondir(exacte, arrondi) == Decimal(attendu)


def test_la_note_suggeree_est_20_fois_les_points_obtenus_sur_les_points_possibles():
    # 12 lignes : 4 TS, 6 S, 2 I = 12 + 12 + 2 = 26 points sur 36 → 20 × 26 / 36 = 14,444… → 14,5
    calcul = suggerer_note(["TS"] * 4 + ["S"] * 6 + ["I"] * 2, ECHELLE, "demi_point")
    assert (calcul.obtenus, calcul.possibles, calcul.evaluees) == (26, 36, 12)
    assert calcul.exacte == Fraction(130, 9)
    assert calcul.note == Decimal("14.50")


def test_une_ligne_non_evaluee_sort_des_deux_sommes():
    avec = suggerer_note(["TS", "S", "NE"], ECHELLE, "centieme")
    sans = suggerer_note(["TS", "S"], ECHELLE, "centieme")
    assert avec.note == sans.note == Decimal("16.67")  # 20 × 5 / 6
    assert (avec.non_evaluees, avec.evaluees, avec.a_saisir) == (1, 2, 0)


def test_une_ligne_sans_niveau_reste_a_saisir_et_ne_compte_pas():
    calcul = suggerer_note(["TS", "", "", "TI"], ECHELLE, "demi_point")
    assert (calcul.a_saisir, calcul.evaluees, calcul.note) == (2, 2, Decimal("10.00"))
    assert not calcul.complet


def test_sans_ligne_evaluee_pas_de_note_suggeree():
    calcul = suggerer_note(["NE", "NE", ""], ECHELLE, "demi_point")
    assert calcul.note is None and calcul.exacte is None
    assert notation.expliquer(calcul) == "Aucune compétence évaluée : pas de note suggérée."


def test_tout_tres_insuffisant_vaut_0_et_tout_tres_satisfaisant_20():
    assert suggerer_note(["TI"] * 12, ECHELLE, "demi_point").note == Decimal(0)
    assert suggerer_note(["TS"] * 12, ECHELLE, "demi_point").note == Decimal(20)


def test_l_explication_montre_le_calcul_avec_la_virgule():
    calcul = suggerer_note(["TS"] * 4 + ["S"] * 6 + ["I"] * 2, ECHELLE, "demi_point")
    assert notation.expliquer(calcul) == (
        "12 compétences évaluées : 26 points sur 36 ; 20 × 26 / 36 ≈ 14,444 "
        "→ arrondi au demi-point le plus proche : 14,50"
    )
    exacte = suggerer_note(["TS", "S", "NE", ""], ECHELLE, "demi_point")
    assert notation.expliquer(exacte) == (
        "2 compétences évaluées, 1 non évaluée (hors calcul), 1 à saisir : 5 points sur 6 ; "
        "20 × 5 / 6 ≈ 16,667 → arrondi au demi-point le plus proche : 16,50"
    )


def test_une_autre_echelle_se_charge_comme_donnee():
    """La grille nationale n'a pas été retrouvée : une échelle à 5 niveaux et demi-points remplace la nôtre."""
    echelle = Echelle.depuis_donnees(
        [
            {"code": "0", "libelle": "Non maîtrisé", "points": 0, "touche": "a"},
            {"code": "1", "libelle": "Insuffisamment maîtrisé", "points": "0.5", "touche": "b"},
            {"code": "2", "libelle": "Partiellement maîtrisé", "points": "1.5", "touche": "c"},
            {"code": "3", "libelle": "Maîtrisé", "points": "2.5", "touche": "d"},
            {"code": "4", "libelle": "Bien maîtrisé", "points": 4, "touche": "e"},
        ]
    )
    calcul = suggerer_note(["4", "3", "1"], echelle, "centieme")
    assert calcul.obtenus == Decimal("7.0") and calcul.possibles == 12
    assert calcul.note == Decimal("11.67")  # 20 × 7 / 12


@pytest.mark.parametrize(
    "donnees, message",
    [
        ([], "une liste de niveaux"),
        ([{"code": "A", "libelle": "a", "points": 1, "touche": "1"}], "au moins deux niveaux"),
        (
            [
                {"code": "A", "libelle": "a", "points": 0, "touche": "1"},
                {"code": "A", "libelle": "b", "points": 1, "touche": "2"},
            ],
            "code en double",
        ),
        (
            [
                {"code": "A", "libelle": "a", "points": 0, "touche": "1"},
                {"code": "B", "libelle": "b", "points": 1, "touche": "1"},
            ],
            "touche en double",
        ),
        (
            [
                {"code": "A", "libelle": "a", "points": -1, "touche": "1"},
                {"code": "B", "libelle": "b", "points": 1, "touche": "2"},
            ],
            "positifs ou nuls",
        ),
        (
            [
                {"code": "A", "libelle": "a", "points": "x", "touche": "1"},
                {"code": "B", "libelle": "b", "points": 1, "touche": "2"},
            ],
            "non numériques",
        ),
        (
            [
                {"code": "A", "libelle": "a", "points": 0, "touche": "1"},
                {"code": "B", "libelle": "b", "points": 1, "touche": "2"},
                {"code": "N1", "libelle": "n", "points": None, "touche": "3"},
                {"code": "N2", "libelle": "n", "points": None, "touche": "4"},
            ],
            "un seul niveau « non évalué »",
        ),
    ],
)
def test_une_echelle_incoherente_est_refusee_avec_un_message(donnees, message):
    with pytest.raises(ParametresInvalides) as e:
        Echelle.depuis_donnees(donnees)
    assert any(message in m for m in e.value.args[0])


def test_un_fichier_de_gabarit_incoherent_donne_tous_ses_messages():
    with pytest.raises(ParametresInvalides) as e:
        gabarits.lire_gabarit(
            {
                "code": "X",
                "version": 0,
                "referentiel": "AGORA-2020",
                "epreuve": "E31",
                "intitule": "x",
                "echelle": ECHELLE_DONNEES,
                "conversion": "magique",
                "arrondi": "au_pif",
                "compositions": [["enseignant", "inspecteur"]],
            }
        )
    messages = " ".join(e.value.args[0])
    for attendu in ("version", "conversion : 'magique'", "arrondi : 'au_pif'", "compositions"):
        assert attendu in messages


ECHELLE_DONNEES = [
    {"code": "TI", "libelle": "Très insuffisant", "points": 0, "touche": "1"},
    {"code": "TS", "libelle": "Très satisfaisant", "points": 3, "touche": "4"},
]


@pytest.mark.parametrize(
    "qualites, admise",
    [
        (["enseignant", "professionnel"], True),
        (["professionnel", "enseignant"], True),
        (["enseignant", "enseignant"], True),
        (["professionnel", "professionnel"], False),
        (["enseignant"], False),
        (["enseignant", "enseignant", "professionnel"], False),
    ],
)
def test_composition_de_la_commission_e32(qualites, admise):
    e32 = [["enseignant", "professionnel"], ["enseignant", "enseignant"]]
    assert notation.composition_admise(qualites, e32) is admise


def test_la_note_de_e2_est_la_moyenne_exacte_des_deux_situations():
    assert notation.moyenne_situations([Decimal("10"), Decimal("10.25")]) == Decimal("10.125")
    assert notation.moyenne_situations([Decimal("13.5"), Decimal("12")]) == Decimal("12.750")


@pytest.mark.parametrize("texte, attendu", [("12,5", Decimal("12.5")), ("12.75", Decimal("12.75")), ("  ", None)])
def test_lire_note_accepte_la_virgule(texte, attendu):
    assert notation.lire_note(texte) == attendu


@pytest.mark.parametrize("texte", ["21", "-1", "abc", "NV", "12,555"])
def test_lire_note_refuse_ce_qui_n_est_pas_une_note(texte):
    with pytest.raises(services.OperationRefusee):
        notation.lire_note(texte)


def test_un_calcul_exact_s_ecrit_avec_le_signe_egal():
    calcul = suggerer_note(["TS", "S", "S", "I"], ECHELLE, "demi_point")  # 8 points sur 12
    assert notation.expliquer(calcul).endswith(
        "8 points sur 12 ; 20 × 8 / 12 ≈ 13,333 → arrondi au demi-point le plus proche : 13,50"
    )
    calcul = suggerer_note(["TS", "S"], ECHELLE, "centieme")  # 5 sur 6 : 16,666…
    assert notation.expliquer(calcul).endswith("≈ 16,667 → arrondi au centième : 16,67")
    calcul = suggerer_note(["TS", "TS", "S", "I"], ECHELLE, "demi_point")  # 9 sur 12 → 15
    assert notation.expliquer(calcul).endswith("20 × 9 / 12 = 15 → arrondi au demi-point le plus proche : 15,00")


def test_l_echelle_d_un_gabarit_est_relue_seulement_si_ses_donnees_changent():
    """echelle_de garde l'échelle lue par gabarit, mais compare ses données à chaque appel : une échelle modifiée
    (même gabarit) est relue, et refusée si elle est incohérente."""
    from examens.models import GabaritGrille

    donnees = [
        {"code": "A", "libelle": "Acquis", "points": 1, "touche": "a"},
        {"code": "B", "libelle": "Bien", "points": 2, "touche": "b"},
    ]
    gabarit = GabaritGrille(pk=987_654, echelle=donnees)
    premiere = gabarits.echelle_de(gabarit)
    assert gabarits.echelle_de(GabaritGrille(pk=987_654, echelle=[dict(d) for d in donnees])) is premiere
    donnees[1]["points"] = 3  # modifiée sur place : la copie gardée ne l'est pas
    assert gabarits.echelle_de(gabarit).niveaux[1].points == 3
    with pytest.raises(ParametresInvalides):
        gabarits.echelle_de(GabaritGrille(pk=987_654, echelle=donnees[:1]))
