"""Propriété (hypothesis) : la passe en entiers d'une session (regles.decider, via resultats.comparees_rapides) donne
exactement les colonnes comparées du chemin exact (regles.calculer, via resultats.calculer_brut), sur des lignes de
la base tirées au hasard ; elle ne cède la place au chemin exact que pour un dossier incohérent.

Aucune base de données : les lignes ont la forme de celles que lit `resultats._lire_tries`.
"""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from examens import regles, resultats

D = Decimal

# (code, coefficient, professionnelle, groupe de contrôle, remplaçable, facultative) : les coefficients de la base
UNITES = (
    ("U11", D("2.00"), False, "scientifique", True, False),
    ("U12", D("1.00"), False, "scientifique", True, False),
    ("U2", D("4.00"), True, None, True, False),
    ("U31", D("4.00"), True, None, True, False),
    ("U32", D("3.00"), True, None, True, False),
    ("U33", D("1.00"), False, "scientifique", True, False),
    ("U41", D("2.00"), False, None, True, False),
    ("U42", D("2.00"), False, None, True, False),
    ("U51", D("2.50"), False, "francais_hg", True, False),
    ("U52", D("2.50"), False, "francais_hg", True, False),
    ("U6", D("1.00"), False, None, True, False),
    ("U7", D("1.00"), False, None, False, False),
    ("UF1", None, False, None, False, True),
    ("UF2", None, False, None, False, True),
)
CODES = [u[0] for u in UNITES]


@st.composite
def reglements(draw: st.DrawFn) -> resultats.Reglement:
    seuil_controle = draw(st.sampled_from([D(8), D("7.5"), D(10)]))
    r = regles.Regles(
        seuil_controle=seuil_controle,
        seuil_professionnel=draw(st.sampled_from([D(10), D("9.99")])),
        max_facultatives=draw(st.integers(1, 2)),
        chef_oeuvre_actif=draw(st.booleans()),
        mention_apres_controle=draw(st.booleans()),
        mention_avec_notes_conservees=draw(st.booleans()),
        controle_actif=draw(st.booleans()),
    )
    unites = tuple(resultats.UniteReglement(c, k, p, g, rem, f, c) for c, k, p, g, rem, f in UNITES)
    obligatoires = [(u.code, u.coefficient, u.professionnelle, u.groupe_controle, u.remplacable) for u in unites]
    bareme = regles.bareme([o for o, u in zip(obligatoires, unites, strict=True) if not u.facultative], r)
    return resultats.Reglement(1, "TEST", "e", unites, r, {}, bareme)


# Le texte de PostgreSQL d'un numeric(5, 3) : « 12.500 » ; parfois hors de [0, 20] (dossier incohérent).
valeurs = st.one_of(
    st.integers(0, 20000).map(lambda m: f"{D(m).scaleb(-3):.3f}"),
    st.sampled_from(["0.000", "9.999", "10.000", "7.995", "20.000"]),
    st.sampled_from(["20.001", "-0.500"]),
)
etats = st.sampled_from(["note"] * 8 + ["ABJ", "ABS", "NV", "DIS", "manquante"])
origines = st.sampled_from(["session", "ccf", "conservee_agora", "conservee_ga"])


@st.composite
def notes(draw: st.DrawFn, pk: int) -> list[tuple]:
    lignes = []
    for code in draw(st.lists(st.sampled_from(CODES), unique=True, min_size=8)):
        etat = draw(etats)
        # une valeur presque toujours avec l'état « note », parfois incohérente
        avec_valeur = (etat == "note") != draw(st.integers(0, 30).map(lambda n: n == 0))
        origine = draw(origines)
        session_origine = 2022 if origine.startswith("conservee") else None
        lignes.append((pk, code, 1, etat, draw(valeurs) if avec_valeur else None, origine, session_origine))
    for code in draw(st.lists(st.sampled_from(["U11", "U12", "U33", "U51", "U52", "U2"]), unique=True, max_size=3)):
        etat = draw(st.sampled_from(["note", "note", "ABS"]))
        lignes.append((pk, code, 2, etat, draw(valeurs) if etat == "note" else None, "session", None))
    return lignes


centiemes = st.integers(0, 2000).map(lambda c: D(c).scaleb(-2))


@st.composite
def candidats(draw: st.DrawFn, pk: int) -> tuple:
    statut = draw(st.sampled_from(["scolaire_public", "apprenti_cfa_habilite", "fpc_prive", "experience_3_ans"]))
    choix = st.sampled_from(["", "", "LV:en", "MOBILITE", "EPS"])
    return (
        pk,
        f"B{pk:08d}",
        1,
        statut,
        draw(st.sampled_from(["globale", "progressive"])),
        draw(choix),
        draw(choix),
        draw(st.none() | centiemes),
        draw(st.sampled_from([D("0.00")] * 3 + [D("0.50"), D("1.25"), D("3.00")])),
        draw(st.sampled_from([None, True, False])),
        draw(st.sampled_from(["", "U11", "U12", "U33"])),
        draw(st.sampled_from(["", "U51", "U52"])),
        draw(st.sampled_from(["", "bac", "bac_pro"])),
    )


def _exact(reglement, candidat, lignes, blocages) -> tuple:
    ligne = resultats.calculer_brut(
        reglement, candidat, resultats.bloc_notes(lignes), blocages, avec_trace=False
    ).ligne()
    return tuple(ligne[i] for i in resultats._INDICES_COMPARES)


@settings(max_examples=300, deadline=None)
@given(reglements(), candidats(7), notes(7), st.lists(st.sampled_from(["PFMP : 2 semaines manquantes"]), max_size=1))
def test_la_passe_en_entiers_donne_les_colonnes_du_chemin_exact(reglement, candidat, lignes, blocages):
    bloc = resultats.bloc_notes(lignes)
    assert resultats._notes_du_bloc(7, bloc) == sorted(lignes, key=lambda n: resultats.bloc_notes([n]))
    rapide = resultats.comparees_rapides(reglement, candidat, bloc, blocages)
    exact = _exact(reglement, candidat, lignes, blocages)
    if rapide is None:
        trace = resultats.calculer_brut(reglement, candidat, bloc, blocages).resultat.trace
        assert trace[0].startswith("Dossier incohérent"), "seul un dossier incohérent passe par le chemin exact"
    else:
        assert rapide == exact


@settings(max_examples=100, deadline=None)
@given(reglements(), candidats(7), st.data())
def test_notes_completes_et_coherentes_jamais_le_chemin_exact(reglement, candidat, data):
    """Un dossier ordinaire (douze notes cohérentes) est toujours tranché en entiers."""
    lignes = [
        (
            7,
            code,
            1,
            "note",
            data.draw(valeurs.filter(lambda v: not v.startswith(("-", "20.0")) or v == "20.000")),
            "session",
            None,
        )
        for code in CODES[:12]
    ]
    candidat = (*candidat[:5], "", "", *candidat[7:])
    rapide = resultats.comparees_rapides(reglement, candidat, resultats.bloc_notes(lignes), [])
    assert rapide is not None and rapide == _exact(reglement, candidat, lignes, [])
