"""Propriétés des règles d'examen (hypothesis) : bornes, monotonie, indépendance vis-à-vis de l'affichage.

Aucune base de données, aucun import de Django.
"""

import dataclasses
import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from examens.regles import (
    Decision,
    Dossier,
    Etat,
    Mention,
    NoteFacultative,
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

# Notes sur 20 à deux décimales (DecimalField(4, 2)), coefficients par demi-points comme U51/U52 (2,5)
notes = st.integers(0, 2000).map(lambda centiemes: D(centiemes).scaleb(-2))
coefficients = st.integers(1, 8).map(lambda demis: D(demis) * D("0.5"))
etats_sans_blocage = st.sampled_from([Etat.NOTE] * 6 + [Etat.DIS, Etat.ABJ])


@st.composite
def unites(draw: st.DrawFn, *, etats: st.SearchStrategy[Etat] = etats_sans_blocage) -> tuple[NoteUnite, ...]:
    """1 à 12 unités obligatoires, dont au moins une notée (sinon aucune moyenne n'existe)."""
    nombre = draw(st.integers(1, 12))
    resultat = []
    for i in range(nombre):
        etat = Etat.NOTE if i == 0 else draw(etats)
        resultat.append(
            NoteUnite(
                unite=f"U{i + 1}",
                coefficient=draw(coefficients),
                etat=etat,
                note=draw(notes) if etat is Etat.NOTE else None,
                professionnelle=draw(st.booleans()),
                remplacable=draw(st.booleans()),
            )
        )
    return tuple(resultat)


@st.composite
def facultatives(draw: st.DrawFn) -> tuple[NoteFacultative, ...]:
    """Zéro, une ou deux unités facultatives, notées ou absentes."""
    resultat = []
    for code in draw(st.lists(st.sampled_from(["UF1", "UF2"]), max_size=2, unique=True)):
        etat = draw(st.sampled_from([Etat.NOTE] * 3 + [Etat.ABS, Etat.ABJ]))
        resultat.append(NoteFacultative(code, etat, draw(notes) if etat is Etat.NOTE else None))
    return tuple(resultat)


RANG = {Decision.AJOURNE: 0, Decision.CONTROLE: 1, Decision.REMPLACEMENT: 1, Decision.ADMIS: 2}
RANG_MENTION = {None: 0, Mention.AB: 1, Mention.B: 2, Mention.TB: 3}


def arrondi_au_plus_proche(valeur: Fraction) -> Decimal:
    """ROUND_HALF_UP à deux décimales, calculé exactement : ce que la décision ne doit jamais utiliser."""
    return D(math.floor(valeur * 100 + F(1, 2))).scaleb(-2)


def relever(liste: tuple[NoteUnite, ...], index: int, hausse: Decimal) -> tuple[NoteUnite, ...]:
    u = liste[index]
    assert u.note is not None
    plus_haute = min(u.note + hausse, D(20))
    remplacee = NoteUnite(u.unite, u.coefficient, Etat.NOTE, plus_haute, u.professionnelle, None, u.remplacable)
    return liste[:index] + (remplacee,) + liste[index + 1 :]


@settings(max_examples=300)
@given(unites())
def test_moyenne_des_seules_unites_obligatoires_entre_0_et_20(liste):
    """Sans facultatives, chef-d'œuvre ni points du jury : moyenne et moyenne pro dans [0, 20]."""
    r = calculer(Dossier(unites=liste))
    assert 0 <= r.moyenne <= 20
    assert r.moyenne_professionnelle is None or 0 <= r.moyenne_professionnelle <= 20


@settings(max_examples=300)
@given(unites(), facultatives())
def test_les_facultatives_ajoutent_entre_0_et_10_points_chacune_au_total(liste, options):
    """bonus = Σ max(0, note − 10) ∈ [0, 10 × nombre de facultatives], ajouté aux points, Σcoef inchangé.

    La moyenne peut donc dépasser 20 (jusqu'à 20 + 20/Σcoef) : seule la partie obligatoire est bornée à 20.
    """
    sans = calculer(Dossier(unites=liste))
    avec = calculer(Dossier(unites=liste, facultatives=options))
    assert 0 <= avec.bonus_facultatives <= 10 * len(options)
    assert avec.total_coefficients == sans.total_coefficients
    assert avec.points == sans.points + avec.bonus_facultatives
    assert avec.moyenne == sans.moyenne + F(avec.bonus_facultatives) / F(avec.total_coefficients)
    assert sans.moyenne <= avec.moyenne <= 20 + F(10 * len(options)) / F(avec.total_coefficients)


@settings(max_examples=300)
@given(unites(), st.data())
def test_la_moyenne_ne_baisse_jamais_quand_une_note_monte(liste, data):
    notees = [i for i, u in enumerate(liste) if u.etat is Etat.NOTE]
    index = data.draw(st.sampled_from(notees))
    hausse = data.draw(notes)
    avant = calculer(Dossier(unites=liste))
    apres = calculer(Dossier(unites=relever(liste, index, hausse)))
    assert apres.moyenne >= avant.moyenne
    if avant.moyenne_professionnelle is not None:
        assert apres.moyenne_professionnelle >= avant.moyenne_professionnelle


@settings(max_examples=300)
@given(unites(), facultatives(), st.none() | notes.filter(lambda n: n <= 20), st.data())
def test_la_decision_est_monotone(liste, options, chef_oeuvre, data):
    """Monter une note ne fait jamais reculer : ADMIS reste ADMIS, la mention ne baisse pas."""
    notees = [i for i, u in enumerate(liste) if u.etat is Etat.NOTE]
    index = data.draw(st.sampled_from(notees))
    hausse = data.draw(notes)
    avant = calculer(Dossier(unites=liste, facultatives=options, chef_oeuvre=chef_oeuvre))
    apres = calculer(Dossier(unites=relever(liste, index, hausse), facultatives=options, chef_oeuvre=chef_oeuvre))
    assert RANG[apres.decision] >= RANG[avant.decision]
    if avant.decision is Decision.ADMIS:
        assert apres.decision is Decision.ADMIS
        assert RANG_MENTION[apres.mention] >= RANG_MENTION[avant.mention]


@st.composite
def juste_sous_un_seuil(
    draw: st.DrawFn, seuil: Decimal, *, unite_pro_a_10: bool = False
) -> tuple[tuple[NoteUnite, ...], Decimal]:
    """Unités dont le total vaut exactement seuil × Σcoef − ε (ε ≥ 0,0001), avec Σcoef ≥ 2.

    La première unité (coefficient 1) absorbe l'écart ; les autres ont des notes tirées autour du seuil.
    Avec ``unite_pro_a_10``, une seule unité est professionnelle, notée 10 : la condition du contrôle
    (moyenne professionnelle ≥ 10) est alors remplie.
    """
    epsilon = draw(st.sampled_from([D("0.01"), D("0.005"), D("0.001"), D("0.0001")]))
    autres = []
    for i in range(draw(st.integers(1, 5))):
        coefficient = draw(st.integers(1, 4).map(lambda demis: D(demis) * D("0.5")))
        note = seuil + D(draw(st.integers(-100, 100))) * D("0.01")
        autres.append(NoteUnite(f"U{i + 2}", coefficient, Etat.NOTE, note, professionnelle=not unite_pro_a_10))
    if unite_pro_a_10:
        autres.append(NoteUnite("UP", D("0.5"), Etat.NOTE, D(10), professionnelle=True))
    total = 1 + sum(u.coefficient for u in autres)
    note_ajustee = seuil * total - epsilon - sum(u.coefficient * u.note for u in autres)
    assume(0 <= note_ajustee <= 20)
    premiere = NoteUnite("U1", D(1), Etat.NOTE, note_ajustee, professionnelle=not unite_pro_a_10)
    return (premiere, *autres), epsilon


@settings(max_examples=300)
@given(juste_sous_un_seuil(D(10)))
def test_juste_sous_10_non_admis_meme_si_l_arrondi_afficherait_10(cas):
    liste, epsilon = cas
    r = calculer(Dossier(unites=liste))
    assert r.points == 10 * r.total_coefficients - epsilon
    assert r.moyenne < 10
    assert r.decision is not Decision.ADMIS
    assert format_fr(r.moyenne) == "9,99"  # la troncature ne montre jamais 10,00 sous 10
    if r.total_coefficients >= 2 and epsilon <= D("0.01"):
        assert arrondi_au_plus_proche(r.moyenne) == D("10.00")  # alors que l'arrondi le ferait


@settings(max_examples=300)
@given(juste_sous_un_seuil(D(8), unite_pro_a_10=True))
def test_juste_sous_8_ajourne_meme_avec_une_moyenne_professionnelle_suffisante(cas):
    liste, _ = cas
    r = calculer(Dossier(unites=liste))
    assert r.moyenne_professionnelle == 10
    assert r.moyenne < 8
    assert r.decision is Decision.AJOURNE
    assert format_fr(r.moyenne) == "7,99"


@settings(max_examples=300)
@given(juste_sous_un_seuil(D(12)))
def test_juste_sous_12_pas_de_mention(cas):
    liste, _ = cas
    r = calculer(Dossier(unites=liste))
    assert r.decision is Decision.ADMIS
    assert r.mention is None
    assert format_fr(r.moyenne) == "11,99"


@settings(max_examples=300)
@given(st.sampled_from([D(8), D(10), D(12), D(14), D(16)]), st.integers(1, 10**6), st.integers(1, 200))
def test_les_seuils_comparent_des_valeurs_exactes(seuil, denominateur, numerateur):
    """Toute moyenne seuil − n/d < seuil échoue au seuil ; le seuil exact le franchit (bornes incluses)."""
    juste_dessous = F(seuil) - F(numerateur, denominateur * 1000)
    assume(juste_dessous >= 0)
    regles = Regles()
    rang_seuil = {D(12): Mention.AB, D(14): Mention.B, D(16): Mention.TB}
    if seuil in rang_seuil:
        assert mention_pour(F(seuil), regles) is rang_seuil[seuil]
        assert mention_pour(juste_dessous, regles) is not rang_seuil[seuil]
    elif seuil == 10:
        assert decision_premier_groupe(F(10), F(0), regles)[0] is Decision.ADMIS
        assert decision_premier_groupe(juste_dessous, F(20), regles)[0] is not Decision.ADMIS
    else:
        assert decision_premier_groupe(F(8), F(10), regles)[0] is Decision.CONTROLE
        assert decision_premier_groupe(juste_dessous, F(20), regles)[0] is Decision.AJOURNE


@settings(max_examples=300)
@given(st.fractions(min_value=0, max_value=40), st.integers(0, 6))
def test_tronquer_encadre_la_valeur(valeur, decimales):
    t = tronquer(valeur, decimales)
    pas = F(1, 10**decimales)
    assert F(t) <= valeur < F(t) + pas
    assert -t.as_tuple().exponent == decimales


@settings(max_examples=300)
@given(notes)
def test_saisie_et_affichage_se_relisent(note):
    assert parser_note(format_fr(note)) == (Etat.NOTE, note)
    assert parser_note(f"{note:f}") == (Etat.NOTE, note)


@settings(max_examples=300)
@given(unites(), st.data())
def test_l_epreuve_de_controle_ne_fait_jamais_baisser_la_moyenne(liste, data):
    """Meilleure des deux notes (arrêté du 25/11/2021) : la moyenne après contrôle ≥ celle du premier groupe."""
    notees = [i for i, u in enumerate(liste) if u.etat in (Etat.NOTE, Etat.ABJ)]
    index = data.draw(st.sampled_from(notees))
    u = liste[index]
    reexaminee = NoteUnite(
        u.unite, u.coefficient, u.etat, u.note, u.professionnelle, "scientifique", u.remplacable,
        note_controle=data.draw(notes),
    )  # fmt: skip
    r = calculer(Dossier(unites=liste[:index] + (reexaminee,) + liste[index + 1 :]))
    if r.controle_passe:
        assert r.moyenne >= r.moyenne_groupe1
        assert r.decision in (Decision.ADMIS, Decision.AJOURNE, Decision.REMPLACEMENT)
        assert r.mention is None
    else:
        assert r.moyenne == r.moyenne_groupe1


def test_arrondi_de_reference_du_test():
    assert arrondi_au_plus_proche(F(1999, 200)) == D("9.995").quantize(D("0.01"), ROUND_HALF_UP) == D("10.00")


@settings(max_examples=300)
@given(unites(), facultatives(), st.none() | notes.filter(lambda n: n <= 20))
def test_sans_trace_le_resultat_est_le_meme(liste, options, chef_oeuvre):
    """La passe complète d'une session calcule sans trace : tout le reste du résultat doit être identique."""
    dossier = Dossier(unites=liste, facultatives=options, chef_oeuvre=chef_oeuvre)
    avec, sans = calculer(dossier), calculer(dossier, avec_trace=False)
    assert sans.trace == () and avec.trace
    assert dataclasses.replace(avec, trace=()) == sans
