"""Les noms se trient à la française (collation ICU « fr_icu ») : les accents ne renvoient plus après Z."""

import pytest
from django.db import connection

from examens.models import Candidat, Etablissement
from pfmp.models import Organisation, choix_pays
from tests import fabriques

pytestmark = pytest.mark.django_db


def test_la_collation_francaise_existe_et_porte_sur_les_noms():
    with connection.cursor() as curseur:
        curseur.execute("SELECT collprovider FROM pg_collation WHERE collname = 'fr_icu'")
        assert curseur.fetchone() == ("i",)
        curseur.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE collation_name = 'fr_icu' "
            "ORDER BY table_name, column_name"
        )
        assert curseur.fetchall() == [
            ("examens_candidat", "nom"),
            ("examens_candidat", "prenom"),
            ("examens_etablissement", "nom"),
            ("pfmp_organisation", "nom"),
        ]


def test_etienne_avant_vincent_dans_la_liste_des_candidats(comptes):
    for nom in ["VINCENT", "ÉTIENNE", "ZOLA", "EVRARD", "ÉMERY", "DUPONT"]:
        fabriques.candidat(division=comptes.division_a, nom=nom)
    assert list(Candidat.objects.order_by("nom").values_list("nom", flat=True)) == [
        "DUPONT", "ÉMERY", "ÉTIENNE", "EVRARD", "VINCENT", "ZOLA",
    ]  # fmt: skip
    page = comptes.client(comptes.gestionnaire).get("/examens/sessions/2026/candidats/?tri=nom").content.decode()
    assert page.index("ÉTIENNE") < page.index("VINCENT") < page.index("ZOLA")
    page = comptes.client(comptes.gestionnaire).get("/examens/sessions/2026/candidats/?tri=-nom").content.decode()
    assert page.index("ZOLA") < page.index("VINCENT") < page.index("ÉTIENNE")


def test_la_recherche_insensible_a_la_casse_marche_toujours(comptes):
    c = fabriques.candidat(division=comptes.division_a, nom="ÉTIENNE", prenom="Zoé")
    assert list(Candidat.objects.filter(nom__icontains="étienne")) == [c]
    assert list(Candidat.objects.filter(prenom__icontains="ZOÉ")) == [c]
    assert list(Candidat.objects.filter(nom="ÉTIENNE")) == [c]  # collation déterministe : égalité octet à octet


def test_etablissements_et_organisations_a_la_francaise():
    for i, nom in enumerate(["Lycée Victor Hugo", "École hôtelière", "Lycée Émile Zola", "Ensemble scolaire"]):
        fabriques.etablissement(str(750100 + i), nom=nom)
    noms = list(Etablissement.objects.values_list("nom", flat=True))
    assert noms.index("École hôtelière") < noms.index("Ensemble scolaire")
    assert noms.index("Lycée Émile Zola") < noms.index("Lycée Victor Hugo")
    for nom in ["Zinc SARL", "Œuvres sociales", "Atelier", "Éditions du Sud"]:
        Organisation.objects.create(nom=nom, pays="ES")
    assert list(Organisation.objects.values_list("nom", flat=True)) == [
        "Atelier", "Éditions du Sud", "Œuvres sociales", "Zinc SARL",
    ]  # fmt: skip


def test_les_pays_se_choisissent_dans_l_ordre_francais():
    noms = [nom for _, nom in choix_pays()]
    assert noms[0] == "France"
    assert noms.index("Bélarus") < noms.index("Burundi")
    assert noms.index("Égypte") < noms.index("Espagne") < noms.index("Estonie")
