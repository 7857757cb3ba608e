"""La liste « à risque » vérifiée sur les données de démonstration (manage.py charger_demo)."""

import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from demo.donnees_pfmp import charger_demo_pfmp
from examens.models import Blocage, Candidat
from pfmp.models import Convention

# Écrits pour l'option « UE, EEE, AELE » de l'unité de mobilité (la démo et le générateur y placent le Royaume-Uni
# comme contre-exemple) ; la lecture par défaut, « à l'étranger », a ses tests dans test_services et test_regles_pfmp.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("zone_ue")]


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # la démo ne se charge qu'avec DEBUG
    call_command("charger_demo", stdout=None)


def lignes_a_risque(identifiant: str) -> tuple[set[str], str]:
    client = Client()
    client.force_login(User.objects.get(username=identifiant))
    page = client.get("/pfmp/sessions/2026/?etat=a_risque").content.decode()
    return set(re.findall(r'data-testid="ligne-(\w+)"', page)), page


def test_la_liste_a_risque_du_gestionnaire_couvre_ses_divisions_et_suit_les_blocages(demo):
    numeros, page = lignes_a_risque("gestionnaire")
    bloques = set(Blocage.objects.filter(source="pfmp").values_list("candidat__numero", flat=True))
    # La session 2026 est passée : tout candidat non conforme est à risque, et bloqué à la délibération.
    assert numeros == bloques
    assert 0 < len(numeros) < Candidat.objects.filter(session__annee=2026).count()
    candidats = Candidat.objects.filter(numero__in=numeros).select_related("division")
    assert {c.division.nom for c in candidats} == {"TAGO1", "TAGO2", "TAGORA"}
    assert not any(c.statut.startswith("apprenti") for c in candidats)  # formés sous contrat : jamais à risque
    for motif in (
        "attestation non signée par le tuteur",
        "période terminée sans attestation",
        "semaines attestées sur 22 requises : il manque",
        "certificats insuffisants",
    ):
        assert motif in page, motif
    # L'enseignant de TAGO1 voit la même liste, réduite à sa division.
    siens, _ = lignes_a_risque("enseignant")
    assert siens == {c.numero for c in candidats if c.division.nom == "TAGO1"}


def test_la_demo_ouvre_la_mobilite_en_espagne_ou_en_allemagne_pas_au_royaume_uni_et_se_recharge_sans_doublon(demo):
    eligibles = set(Candidat.objects.filter(mobilite_eligible=True).values_list("numero", flat=True))
    ue = set(
        Candidat.objects.filter(pfmp_conventions__organisation__pays__in=["ES", "DE"]).values_list("numero", flat=True)
    )
    royaume_uni = set(
        Candidat.objects.filter(pfmp_conventions__organisation__pays="GB").values_list("numero", flat=True)
    )
    assert eligibles and royaume_uni - ue
    assert eligibles == ue  # toutes leurs attestations sont signées dans la démo
    assert not Candidat.objects.filter(numero__in=royaume_uni - ue, mobilite_eligible=True).exists()
    avant = Convention.objects.count()
    compte = charger_demo_pfmp()
    assert Convention.objects.count() == avant and sum(compte.values()) == Candidat.objects.count()
