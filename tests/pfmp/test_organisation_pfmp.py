"""Le planificateur des CCF (examens) évite les PFMP enregistrées dans le module pfmp, sans que examens l'importe."""

import datetime

import pytest

from examens.organisation import services
from examens.organisation.models import Passage
from examens.services import OperationRefusee
from tests.examens.test_grilles import monde
from tests.examens.test_organisation import parametres
from tests.pfmp.outils import periode

pytestmark = pytest.mark.django_db

JEUDI, LUNDI = datetime.date(2026, 3, 12), datetime.date(2026, 3, 16)


def test_une_pfmp_enregistree_eloigne_le_passage_et_refuse_le_deplacement_pendant_la_periode():
    m = monde()
    periode(m.candidat, datetime.date(2026, 3, 9), datetime.date(2026, 3, 13), "1")
    r = services.planifier_division(
        commission=m.e31,
        division=m.comptes.division_a,
        parametres=parametres(jours=[JEUDI, LUNDI]),
        auteur=m.comptes.enseignant,
    )
    assert r.trouve, r.explication
    passage = Passage.objects.select_related("situation").get(candidat=m.candidat)
    assert passage.situation.date == LUNDI
    with pytest.raises(OperationRefusee, match=r"MARTIN Léa en PFMP du 09/03/2026 au 13/03/2026"):
        services.deplacer_passage(
            passage=passage, date=JEUDI, debut=datetime.time(16, 0), salle="B12", auteur=m.comptes.enseignant
        )


def test_une_division_toute_en_pfmp_s_explique():
    m = monde()
    periode(m.candidat, datetime.date(2026, 3, 9), datetime.date(2026, 3, 13), "1")
    r = services.planifier_division(
        commission=m.e31, division=m.comptes.division_a, parametres=parametres(), auteur=m.comptes.enseignant
    )
    assert r.explication.startswith("MARTIN Léa est indisponible toutes les journées proposées (PFMP du 09/03/2026")
    assert not Passage.objects.exists()
