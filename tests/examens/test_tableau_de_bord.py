"""Le tableau de bord compte les notes manquantes sur les seuls candidats sans moyenne (issue #23) : mêmes nombres
que le décompte de toutes les notes de la session."""

from decimal import Decimal

import pytest

from examens import selectors, services
from examens.models import Candidat, Note, Resultat
from tests import fabriques
from tests.examens.outils import UNITES

pytestmark = pytest.mark.django_db


def _manquantes_par_decompte(session, candidats) -> list[tuple[str, int]]:
    total = candidats.count()
    return [
        (e.unite.code, total - Note.objects.filter(candidat__in=candidats, groupe=1, unite=e.unite.code).count())
        for e in selectors.epreuves_notees(session.reglement)
        if not e.facultative
    ]


def test_les_notes_manquantes_egalent_le_decompte_de_toutes_les_notes(comptes):
    session = fabriques.session()
    # complet ; deux unités manquantes ; une dispense et une absence ; tout manquant
    for i, absentes in enumerate([(), ("U11", "U2"), (), UNITES]):
        c = fabriques.candidat(division=comptes.division_a, nom=f"NOM{i}")
        for unite in UNITES:
            if unite in absentes:
                continue
            etat = {2: {"U7": "DIS", "U6": "ABS"}}.get(i, {}).get(unite, "note")
            Note.objects.create(candidat=c, unite=unite, etat=etat, valeur=Decimal("11") if etat == "note" else None)
    services.deliberer(session=session)
    # un candidat sans résultat enregistré, avec une seule note
    tardif = fabriques.candidat(division=comptes.division_a, nom="TARDIF")
    Note.objects.create(candidat=tardif, unite="U31", valeur=Decimal("9"))
    Resultat.objects.filter(candidat=tardif).delete()
    candidats = Candidat.objects.filter(session=session)
    bord = selectors.tableau_de_bord(session, candidats)
    assert [(e.unite.code, n) for e, n in bord["manquantes"]] == _manquantes_par_decompte(session, candidats)
    assert dict((e.unite.code, n) for e, n in bord["manquantes"])["U11"] == 3
    assert bord["sans_resultat"] == 1
