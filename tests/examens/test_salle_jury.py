"""Salle du jury (issue #17, partie 4) : raisons, écarts aux seuils, points du jury, simulateur du contrôle.

Aucune base de données, aucun import de Django. Chaque chiffre du simulateur est rejoué par le moteur : la note
proposée donne l'admission, un centième de moins ne la donne pas. Notes dans l'ordre de regles-examen §7 :
U11 U12 U2 U31 U32 U33 U41 U42 U51 U52 U6 U7 (coefficients 1 1 4 4 3 1 2 2 2,5 2,5 1 1, Σ = 25).
"""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from examens.regles import (
    NBSP,
    Decision,
    Dossier,
    Regles,
    admis_apres_controle,
    calculer,
    ecarts_aux_seuils,
    paires_controle,
    points_jury_pour,
    prochain_seuil,
    raisons,
    simuler_controle,
)
from tests.examens.test_regles import AGORA, unite

D = Decimal
CENTIEME = D("0.01")


def dossier(*saisies: str, **autres) -> Dossier:
    return Dossier(unites=tuple(unite(code, s) for (code, *_), s in zip(AGORA, saisies, strict=True)), **autres)


EXEMPLE_3 = dossier("10", "10", "10.125", "10", "10", "10", "10", "10", "9.75", "10", "10", "10")  # 1999/200
EXEMPLE_4 = dossier("8", "6", "11", "12", "10", "8", "9", "7", "7", "8", "10", "12")  # 235,5/25 = 9,42


def _raisons(d: Dossier) -> tuple[str, ...]:
    """Les raisons, espaces insécables lues comme des espaces (un test les vérifie à part)."""
    return tuple(r.replace(NBSP, " ") for r in raisons(d, calculer(d)))


# ------------------------------------------------------------------------------------------ raisons


def test_raison_absence_non_justifiee_et_blocage_pfmp():
    # Exemple §7.11 : U33 absente, la moyenne indicative (11,60) ne compte pas (D337-81).
    d = dossier("12", "11", "13", "14", "12", "ABS", "11", "9", "10", "12", "13", "15")
    assert _raisons(d) == ("U33 absente (ABS)",)
    bloque = dossier(*["12"] * 12, blocages=("justificatifs PFMP manquants",))
    assert _raisons(bloque) == ("Justificatifs PFMP manquants",)


def test_raison_moyenne_tronquee_9_99_sous_10_et_controle():
    # Exemple §7.3 : 249,875/25 = 9,995 s'écrit 9,99 (tronquée), jamais 10,00 ; pro 110,5/11 = 10,045…
    assert _raisons(EXEMPLE_3) == ("moyenne 9,99 < 10", "moyenne professionnelle 10,04 ≥ 10 : épreuve de contrôle")


def test_raison_espaces_insecables_avant_deux_points_et_autour_des_comparaisons():
    assert raisons(EXEMPLE_3, calculer(EXEMPLE_3))[1] == (
        "moyenne professionnelle 10,04\u00a0≥\u00a010\u00a0: épreuve de contrôle"
    )


def test_raison_ajourne_sous_8_et_ajourne_faute_de_moyenne_professionnelle():
    # Exemple §7.8 : 188,5/25 = 7,54 ; exemple §7.6 : 230/25 = 9,20, pro 103/11 = 9,36
    assert _raisons(dossier("6", "5", "8", "9", "7", "6", "7", "6", "7", "8", "9", "10")) == ("moyenne 7,54 < 8",)
    assert _raisons(dossier("9", "8", "9", "10", "9", "9", "9", "9", "9", "9", "10", "10")) == (
        "moyenne 9,20 < 10",
        "moyenne professionnelle 9,36 < 10 : pas d'épreuve de contrôle",
    )


def test_raison_admis_avec_mention_et_apres_controle():
    # Exemple §7.1 : 300/25 = 12 → AB ; exemple §7.4 : 235,5 + 1×6 + 2,5×4 = 251,5 → 10,06 après contrôle
    assert _raisons(dossier("12", "11", "13", "14", "12", "10", "11", "9", "10", "12", "13", "15")) == (
        "moyenne 12,00 ≥ 10",
        "mention assez bien",
    )
    apres = dossier("8", "6", "11", "12", "10", "8", "9", "7", "7", "8", "10", "12")
    unites = tuple(
        u.__class__(**{**u.__dict__, "note_controle": {"U12": D(12), "U51": D(11)}.get(u.unite)}) for u in apres.unites
    )
    apres = Dossier(unites=unites)
    assert _raisons(apres) == (
        "moyenne 9,42 < 10",
        "moyenne professionnelle 11,09 ≥ 10 : épreuve de contrôle",
        "après contrôle (U12, U51) : moyenne 10,06 ≥ 10",
        "pas de mention après l'épreuve de contrôle",
    )


def test_raison_notes_manquantes_et_remplacement():
    manque = dossier("12", "manquante", "13", "manquante", *["12"] * 8)
    assert _raisons(manque) == ("notes manquantes : U12, U31",)
    # Exemple §7.10 : E2 absente justifiée, 212,5/25 = 8,50, pro 74/11 = 6,72… → remplacement de U2
    abj = dossier("11", "10", "ABJ", "11", "10", "9", "10", "9", "9", "10", "11", "12")
    assert calculer(abj).decision is Decision.REMPLACEMENT
    assert _raisons(abj)[-1] == "U2 absente avec justification (ABJ) : épreuve de remplacement"


# ------------------------------------------------------------------------------------------ écarts


def test_ecarts_exacts_aux_cinq_seuils():
    ecarts = ecarts_aux_seuils(Fraction(1999, 200))
    assert [(e.seuil, e.ecart) for e in ecarts] == [
        (D(8), Fraction(399, 200)),  # 9,995 − 8 = 1,995
        (D(10), Fraction(-1, 200)),  # 9,995 − 10 = −0,005 : exact, pas « −0,00 »
        (D(12), Fraction(-401, 200)),
        (D(14), Fraction(-801, 200)),
        (D(16), Fraction(-1201, 200)),
    ]
    assert [e.texte for e in ecarts[:2]] == ["+1,995\u202f/\u202f8", "−0,005\u202f/\u202f10"]
    assert ecarts_aux_seuils(Fraction(58, 5))[0].texte == "+3,60\u202f/\u202f8"  # deux décimales au moins
    assert ecarts_aux_seuils(Fraction(1, 3))[0].texte == "−7,6666…\u202f/\u202f8"  # non décimal : tronqué, « … »
    assert prochain_seuil(Fraction(1999, 200)).seuil == D(10)
    assert prochain_seuil(Fraction(12)).libelle == "mention bien"  # 12 atteint (borne incluse) : suivant 14
    assert prochain_seuil(Fraction(16)) is None


# ------------------------------------------------------------------------------------------ points du jury


def test_points_du_jury_au_centieme_superieur_verifies_par_le_moteur():
    # 10 × 25 − 249,875 = 0,125 → 0,13 au centième supérieur : 250,005/25 ≥ 10 ; 0,12 : 249,995/25 = 9,9998 < 10
    assert points_jury_pour(EXEMPLE_3, D(10)) == D("0.13")
    assert calculer(Dossier(EXEMPLE_3.unites, points_jury=D("0.13"))).decision is Decision.ADMIS
    assert calculer(Dossier(EXEMPLE_3.unites, points_jury=D("0.12"))).decision is Decision.CONTROLE
    # Des points déjà attribués comptent : il n'en manque plus que 0,03.
    assert points_jury_pour(Dossier(EXEMPLE_3.unites, points_jury=D("0.10")), D(10)) == D("0.03")
    assert points_jury_pour(EXEMPLE_3, D(8)) == D(0)
    assert points_jury_pour(dossier(*["12"] * 5, "ABS", *["12"] * 6), D(10)) is None  # rien ne lève l'absence


# ------------------------------------------------------------------------------------------ simulateur


def test_simulateur_exemple_4_note_commune_et_note_si_l_autre_a_20():
    paires = {(p.premiere, p.seconde): p for p in simuler_controle(EXEMPLE_4)}
    assert set(paires) == {(a, b) for a in ("U11", "U12", "U33") for b in ("U51", "U52")}
    p = paires["U12", "U51"]
    # Il manque 250 − 235,5 = 14,5 points. Note commune x ≥ 7 : (x − 6) × 1 + (x − 7) × 2,5 = 3,5x − 23,5 ≥ 14,5
    # → x ≥ 10,857… → 10,86 (3,5 × 10,86 − 23,5 = 14,51) ; 10,85 donne 14,475 < 14,5.
    assert p.note_commune == D("10.86")
    # U51 à 20 : 2,5 × 13 = 32,5 ≥ 14,5, l'admission ne dépend plus de U12 (0).
    assert p.note_premiere_si_20 == D(0)
    # U12 à 20 : 14 points ; il en manque 0,5 = 2,5 × (y − 7) → y = 7,20 ; 7,19 donne 0,475.
    assert p.note_seconde_si_20 == D("7.20")
    assert admis_apres_controle(EXEMPLE_4, {"U12": D("10.86"), "U51": D("10.86")})
    assert not admis_apres_controle(EXEMPLE_4, {"U12": D("10.85"), "U51": D("10.85")})


def test_simulateur_vide_hors_controle_et_paire_impossible():
    assert simuler_controle(dossier(*["12"] * 12)) == ()  # admis
    bas = dossier("6", "6", "10", "10", "10", "6", "6", "6", "6", "7", "7", "8.5")  # 200/25 = 8, il manque 50
    paires = {(p.premiere, p.seconde): p for p in simuler_controle(bas)}
    # Exemple §7.7, 8,00 pile. U11 et U51 à 20 : 1 × 14 + 2,5 × 14 = 49 < 50 → aucune note ne suffit
    assert paires["U11", "U51"].note_commune is None
    assert paires["U11", "U51"].note_premiere_si_20 is None


def test_une_unite_dispensee_sort_des_paires():
    d = dossier("8", "6", "11", "12", "10", "8", "9", "7", "DIS", "8", "10", "12")
    assert paires_controle(d) == (("U11", "U52"), ("U12", "U52"), ("U33", "U52"))


notes = st.integers(0, 2000).map(lambda c: D(c) / 100)


@settings(max_examples=40, deadline=None)
@given(st.lists(notes, min_size=12, max_size=12), st.sampled_from([D(0), D("0.5"), D(2)]))
def test_propriete_la_note_proposee_admet_et_un_centieme_de_moins_non(valeurs, points_jury):
    d = Dossier(unites=tuple(unite(code, str(v)) for (code, *_), v in zip(AGORA, valeurs, strict=True)))
    d = Dossier(d.unites, points_jury=points_jury)
    for p in simuler_controle(d):
        a, b = p.premiere, p.seconde
        for note, essai in (
            (p.note_commune, lambda n, a=a, b=b: {a: n, b: n}),
            (p.note_premiere_si_20, lambda n, a=a, b=b: {a: n, b: D(20)}),
            (p.note_seconde_si_20, lambda n, a=a, b=b: {a: D(20), b: n}),
        ):
            if note is None:
                assert not admis_apres_controle(d, essai(D(20)))
                continue
            assert admis_apres_controle(d, essai(note))
            if note > 0:
                assert not admis_apres_controle(d, essai(note - CENTIEME))


@settings(max_examples=60, deadline=None)
@given(st.lists(notes, min_size=12, max_size=12))
def test_propriete_points_du_jury_franchissent_le_seuil_et_un_centieme_de_moins_non(valeurs):
    d = Dossier(unites=tuple(unite(code, str(v)) for (code, *_), v in zip(AGORA, valeurs, strict=True)))
    moyenne = calculer(d).moyenne_groupe1
    prochain = prochain_seuil(moyenne, Regles())
    if prochain is None:
        return
    points = points_jury_pour(d, prochain.seuil)
    assert calculer(Dossier(d.unites, points_jury=points)).moyenne_groupe1 >= Fraction(prochain.seuil)
    assert calculer(Dossier(d.unites, points_jury=points - CENTIEME)).moyenne_groupe1 < Fraction(prochain.seuil)
