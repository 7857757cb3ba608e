"""Propriété (hypothesis) : après toute suite d'écritures par les portes du service, chaque résultat enregistré est
égal au recalcul complet de ses données (`verifier_resultats` ne trouve rien).

Les écritures tirées au hasard passent par toutes les portes : tableau de saisie et jury (textes valides ou non),
import de notes, points du jury, choix du contrôle, options du candidat, blocage PFMP, mobilité. Une écriture
refusée ne doit rien changer ; une écriture acceptée doit laisser les résultats à jour.
"""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from examens import imports, resultats, services
from examens.models import Candidat
from tests import fabriques
from tests.examens.outils import UNITES, csv_bytes

pytestmark = pytest.mark.django_db

TEXTES = st.sampled_from(["0", "7,5", "9,99", "10", "12", "14,25", "16", "20", "ABS", "ABJ", "DIS", "NV", "21", "x"])
UNITES_TOUTES = st.sampled_from([*UNITES, "UF1", "UF2"])
RANG = st.integers(min_value=0, max_value=2)

ECRITURES = st.one_of(
    st.tuples(st.just("saisie"), RANG, UNITES_TOUTES, TEXTES, st.sampled_from([1, 1, 1, 2])),
    st.tuples(st.just("jury"), RANG, UNITES_TOUTES, TEXTES, st.sampled_from([1, 2])),
    st.tuples(st.just("import"), RANG, UNITES_TOUTES, TEXTES, st.sampled_from(["1", "2"])),
    st.tuples(st.just("points"), RANG, st.decimals(min_value=0, max_value=20, places=2)),
    st.tuples(st.just("controle"), RANG, st.sampled_from(["U11", "U12", "U33"]), st.sampled_from(["U51", "U52"])),
    st.tuples(st.just("blocage"), RANG, st.booleans()),
    st.tuples(st.just("mobilite"), RANG, st.booleans()),
)


def _appliquer(ecriture, candidats, auteur) -> None:
    genre, rang, *reste = ecriture
    c = Candidat.objects.select_related("session__reglement").get(pk=candidats[rang].pk)
    try:
        match genre:
            case "saisie" | "jury":
                unite, texte, groupe = reste
                services.saisir_note(
                    candidat=c, unite=unite, texte=texte, groupe=groupe, auteur=auteur, source=genre, motif="essai"
                )
            case "import":
                unite, texte, groupe = reste
                imports.importer_notes(
                    contenu=csv_bytes("numero_candidat;unite;note;groupe", f"{c.numero};{unite};{texte};{groupe}"),
                    nom_fichier="n.csv",
                    annee=c.session.annee,
                    auteur=auteur,
                )
            case "points":
                services.attribuer_points_jury(candidat=c, points=reste[0], motif="essai", auteur=auteur)
            case "controle":
                services.choisir_controle(candidat=c, scientifique=reste[0], francais_hg=reste[1], auteur=auteur)
            case "blocage":
                services.definir_blocage(candidat=c, source="pfmp", motif="pièces manquantes" if reste[0] else None)
            case "mobilite":
                services.definir_mobilite_eligible(candidat=c, eligible=reste[0])
    except (services.OperationRefusee, imports.ImportRefuse):
        pass  # refusée : rien n'a changé, la propriété doit tenir quand même


@pytest.fixture
def petite_session(comptes):
    candidats = [
        fabriques.candidat(division=comptes.division_a, facultative1="EPS"),
        fabriques.candidat(division=comptes.division_a, statut="fpc_prive", forme="progressive"),
        fabriques.candidat(division=comptes.division_a, facultative1="MOBILITE", facultative2="LV:it"),
    ]
    for c in candidats:
        services.ecrire_notes(
            saisies=[services.SaisieNote(candidat=c, unite=u, etat="note", valeur=Decimal(11)) for u in UNITES[:-1]],
            source="test",
        )
    return candidats, comptes.gestionnaire


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ECRITURES, min_size=1, max_size=12))
def test_apres_chaque_ecriture_les_resultats_egalent_le_recalcul(petite_session, ecritures):
    candidats, auteur = petite_session
    session = candidats[0].session
    for ecriture in ecritures:
        _appliquer(ecriture, candidats, auteur)
        a_ecrire, differences = resultats.differences(session)
        assert not a_ecrire, (ecriture, [str(d) for d in differences])
