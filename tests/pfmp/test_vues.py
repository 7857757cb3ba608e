"""Pages PFMP : 403 hors rôle, 404 hors périmètre, saisie à la virgule, erreurs à côté du champ, requêtes bornées."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from examens.models import Blocage, Journal
from pfmp.models import AppreciationCompetence, Attestation, Evaluation, Organisation, Periode
from referentiel.models import Activite, Competence
from tests import fabriques
from tests.pfmp.outils import PREMIERE, SECONDE, SIRET, SIRET_2, TERMINALE, J, organisation, periode

pytestmark = pytest.mark.django_db


@pytest.fixture
def c(comptes):
    return fabriques.candidat(division=comptes.division_a)


# ---------------------------------------------------------------------------------------------------
# Périmètre et rôles
# ---------------------------------------------------------------------------------------------------


def urls_du_candidat(candidat, p):
    return [
        f"/pfmp/candidats/{candidat.pk}/",
        f"/pfmp/candidats/{candidat.pk}/periodes/ajouter/",
        f"/pfmp/candidats/{candidat.pk}/document-de-liaison/",
        f"/pfmp/periodes/{p.pk}/attestation/",
        f"/pfmp/periodes/{p.pk}/evaluation/",
        f"/pfmp/periodes/{p.pk}/evaluation/imprimer/",
        f"/pfmp/periodes/{p.pk}/convention/",
    ]


def test_l_enseignant_et_le_gestionnaire_du_candidat_ouvrent_ses_pages_les_autres_ont_404(comptes, c):
    p = periode(c, *TERMINALE, attestees="8")
    attestation = Attestation.objects.get()
    urls = [*urls_du_candidat(c, p), f"/pfmp/attestations/{attestation.pk}/"]
    for user in (comptes.enseignant, comptes.gestionnaire, comptes.administrateur):
        client = comptes.client(user)
        assert [client.get(u).status_code for u in urls] == [200] * len(urls), user
    for user in (comptes.enseignant_autre, comptes.gestionnaire_autre):
        client = comptes.client(user)
        assert [client.get(u).status_code for u in urls] == [404] * len(urls), user


def test_un_compte_sans_role_a_403_et_un_anonyme_va_a_la_connexion(comptes, c):
    sans_role = User.objects.create_user("intrus", password=fabriques.MOT_DE_PASSE)
    client = comptes.client(sans_role)
    for url in ("/pfmp/", "/pfmp/sessions/2026/", f"/pfmp/candidats/{c.pk}/", "/pfmp/organisations/"):
        assert client.get(url).status_code == 403
    reponse = comptes.client(None).get(f"/pfmp/candidats/{c.pk}/")
    assert reponse.status_code == 302 and reponse["Location"].startswith("/connexion/")


def test_l_enseignant_n_a_ni_la_voie_ni_les_certificats_ni_la_synchronisation(comptes, c):
    client = comptes.client(comptes.enseignant)
    assert client.get(f"/pfmp/candidats/{c.pk}/voie/").status_code == 403
    assert client.get(f"/pfmp/candidats/{c.pk}/certificats/ajouter/").status_code == 403
    assert client.post("/pfmp/sessions/2026/synchroniser/").status_code == 403
    assert comptes.client(comptes.gestionnaire).get(f"/pfmp/candidats/{c.pk}/voie/").status_code == 200


def test_le_tableau_ne_montre_que_le_perimetre(comptes, c):
    autre = fabriques.candidat(division=comptes.division_c, nom="AILLEURS")
    pages = {
        u: comptes.client(u).get("/pfmp/sessions/2026/").content.decode()
        for u in (comptes.enseignant, comptes.enseignant_autre, comptes.gestionnaire)
    }
    assert c.numero in pages[comptes.enseignant] and autre.numero not in pages[comptes.enseignant]
    assert autre.numero in pages[comptes.enseignant_autre] and c.numero not in pages[comptes.enseignant_autre]
    assert c.numero in pages[comptes.gestionnaire] and autre.numero not in pages[comptes.gestionnaire]


def test_l_index_mene_a_la_derniere_session_du_perimetre(comptes, c):
    reponse = comptes.client(comptes.enseignant).get("/pfmp/")
    assert reponse.status_code == 302 and reponse["Location"] == "/pfmp/sessions/2026/"
    assert comptes.client(comptes.administrateur).get("/pfmp/sessions/1999/").status_code == 404


# ---------------------------------------------------------------------------------------------------
# Tableau de bord : requêtes bornées, filtre « à risque »
# ---------------------------------------------------------------------------------------------------


def test_le_tableau_fait_le_meme_nombre_de_requetes_pour_3_ou_30_candidats(comptes, django_assert_max_num_queries):
    client = comptes.client(comptes.gestionnaire)
    org = organisation()
    for _ in range(3):
        cand = fabriques.candidat(division=comptes.division_a)
        periode(cand, *SECONDE, org=org, attestees="6")
    # Première page : la session est prolongée (écrite) ; les deux mesures suivantes ne l'écrivent pas.
    assert client.get("/pfmp/sessions/2026/").status_code == 200
    with django_assert_max_num_queries(20) as petit:
        assert client.get("/pfmp/sessions/2026/").status_code == 200
    for i in range(27):
        cand = fabriques.candidat(division=comptes.division_a)
        periode(cand, *SECONDE, org=org, attestees="6")
        periode(cand, *PREMIERE, org=org, attestees="8", signee=i % 2 == 0)
    with django_assert_max_num_queries(len(petit.captured_queries)) as grand:
        assert client.get("/pfmp/sessions/2026/").status_code == 200
    assert len(grand.captured_queries) == len(petit.captured_queries)


def test_la_page_du_candidat_et_le_document_de_liaison_ont_des_requetes_bornees(
    comptes, c, django_assert_max_num_queries
):
    for p in (SECONDE, PREMIERE, TERMINALE):
        periode(c, *p, attestees=p[2])
    client = comptes.client(comptes.enseignant)
    with django_assert_max_num_queries(20):
        assert client.get(f"/pfmp/candidats/{c.pk}/").status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(f"/pfmp/candidats/{c.pk}/document-de-liaison/").status_code == 200


def test_le_filtre_a_risque_liste_les_candidats_a_risque_avec_leurs_motifs(comptes, c):
    conforme = fabriques.candidat(division=comptes.division_a, nom="CONFORME", duree_cycle=2)
    periode(conforme, *PREMIERE, attestees="8")
    periode(conforme, *TERMINALE, attestees="8")
    periode(c, *TERMINALE, attestees="8", signee=False)
    page = comptes.client(comptes.gestionnaire).get("/pfmp/sessions/2026/?etat=a_risque").content.decode()
    assert f'data-testid="ligne-{c.numero}"' in page and f'data-testid="ligne-{conforme.numero}"' not in page
    assert "attestation non signée par le tuteur" in page
    assert "0 semaine attestée sur 22 requises : il manque 22 semaines" in page


def test_un_filtre_invalide_est_ignore_sans_erreur(comptes, c):
    reponse = comptes.client(comptes.gestionnaire).get("/pfmp/sessions/2026/?etat=%3Cscript%3E&division=abc")
    assert reponse.status_code == 200 and c.numero in reponse.content.decode()


# ---------------------------------------------------------------------------------------------------
# Saisies
# ---------------------------------------------------------------------------------------------------


def donnees_periode(org, **surcharges):
    return {
        "organisation": org.pk,
        "date_debut": "2025-11-03",
        "date_fin": "2025-12-26",
        "semaines": "7,5",
        "pays": "",
        "tuteur_nom": "Bernard",
        "tuteur_prenom": "Sophie",
        "tuteur_fonction": "assistante de direction",
        "tuteur_email": "",
        "referent": "",
        "etat_convention": "signee",
        "date_signature": "2025-10-15",
        **surcharges,
    }


def test_l_enseignant_enregistre_une_periode_a_la_virgule_decimale(comptes, c):
    org = organisation()
    reponse = comptes.client(comptes.enseignant).post(
        f"/pfmp/candidats/{c.pk}/periodes/ajouter/", donnees_periode(org, referent=comptes.enseignant.pk)
    )
    assert reponse.status_code == 302 and reponse["Location"] == f"/pfmp/candidats/{c.pk}/"
    p = Periode.objects.select_related("convention__tuteur").get()
    assert (p.semaines, p.annee_cycle, p.convention.etat, str(p.convention.tuteur)) == (
        Decimal("7.5"),
        3,
        "signee",
        "Sophie Bernard",
    )
    assert p.convention.referent == comptes.enseignant
    assert Journal.objects.filter(action="pfmp.periode.creation", auteur="prof").count() == 1


@pytest.mark.parametrize(
    "surcharge, champ, message",
    [
        ({"date_fin": "2025-10-01"}, "date_fin", "La fin précède le début."),
        ({"semaines": "9"}, "semaines", "Au plus 8 semaines civiles entre ces dates."),
        ({"semaines": "abc"}, "semaines", "Nombre de semaines attendu (ex. 4 ou 3,5)."),
        ({"semaines": "3,25"}, "semaines", "Une décimale au plus (ex. 3,5)."),
        ({"date_debut": "32/13/2026"}, "date_debut", "Saisissez une date valide."),
        ({"etat_convention": "signee", "date_signature": ""}, "date_signature", "Indiquez la date de signature"),
        ({"organisation": "999999"}, "organisation", "Sélectionnez un choix valide."),
    ],
)
def test_une_saisie_invalide_revient_avec_l_erreur_a_cote_du_champ_sans_rien_perdre(
    comptes, c, surcharge, champ, message
):
    org = organisation()
    reponse = comptes.client(comptes.gestionnaire).post(
        f"/pfmp/candidats/{c.pk}/periodes/ajouter/", donnees_periode(org, **surcharge)
    )
    assert reponse.status_code == 200
    assert message in str(reponse.context["form"].errors.get(champ))
    page = reponse.content.decode()
    assert 'value="Bernard"' in page  # la saisie est conservée
    assert not Periode.objects.exists()


def test_une_periode_qui_en_chevauche_une_autre_est_refusee_avec_un_message(comptes, c):
    periode(c, *TERMINALE)
    reponse = comptes.client(comptes.gestionnaire).post(
        f"/pfmp/candidats/{c.pk}/periodes/ajouter/", donnees_periode(organisation(SIRET_2, SIRET_2))
    )
    assert reponse.status_code == 200 and "chevauche celle du 03/11/2025 au 26/12/2025" in reponse.content.decode()


def test_saisir_une_attestation_signee_rend_conforme_et_le_dit(comptes):
    cand = fabriques.candidat(division=comptes.division_a, duree_cycle=2)
    periode(cand, *PREMIERE, attestees="8")
    p = periode(cand, *TERMINALE)
    activite = Activite.objects.get(code="1.1")
    client = comptes.client(comptes.enseignant)
    page = client.get(f"/pfmp/periodes/{p.pk}/attestation/").content.decode()
    assert 'value="8"' in page  # semaines prévues proposées, sans « 8,0 »
    reponse = client.post(
        f"/pfmp/periodes/{p.pk}/attestation/",
        {
            "date_debut": "2025-11-03",
            "date_fin": "2025-12-26",
            "semaines": "8",
            "activites": [activite.pk],
            "signataire": "Sophie Bernard",
            "signee": "on",
            "date_signature": "2025-12-26",
            "observations": "",
        },
        follow=True,
    )
    messages = [str(m) for m in reponse.context["messages"]]
    assert messages[0].startswith("Attestation PFMP-")
    assert messages[1] == "Léa DURAND est conforme : 16 semaines de PFMP attestées sur le cycle de 2 ans."
    assert not Blocage.objects.filter(candidat=cand).exists()
    a = Attestation.objects.get(periode=p)
    assert a.activites == [{"code": "1.1", "intitule": activite.intitule}] and a.saisie_par == comptes.enseignant


def test_une_attestation_signee_sans_date_ou_datee_dans_le_futur_est_refusee(comptes, c):
    p = periode(c, *TERMINALE)
    client = comptes.client(comptes.enseignant)
    base = {"date_debut": "2025-11-03", "date_fin": "2025-12-26", "semaines": "8", "signee": "on"}
    reponse = client.post(f"/pfmp/periodes/{p.pk}/attestation/", {**base, "date_signature": ""})
    assert "Indiquez la date de la signature du tuteur." in str(reponse.context["form"].errors["date_signature"])
    reponse = client.post(f"/pfmp/periodes/{p.pk}/attestation/", {**base, "date_signature": "2999-01-01"})
    assert "dans le futur" in str(reponse.context["form"].errors["date_signature"])
    assert not Attestation.objects.exists()


def test_l_attestation_imprimable_montre_l_instantane(comptes, c):
    periode(c, *TERMINALE, attestees="7.5")
    a = Attestation.objects.get()
    Organisation.objects.update(nom="Nom changé après coup")
    page = comptes.client(comptes.gestionnaire).get(f"/pfmp/attestations/{a.pk}/").content.decode()
    assert "Imprimerie Nouvelle" in page and "Nom changé après coup" not in page
    assert "<strong>7,5</strong>" in page and "Signée le 26/12/2025" in page


def test_l_evaluation_du_tuteur_se_saisit_puis_s_imprime(comptes, c):
    p = periode(c, *TERMINALE)
    competences = list(Competence.objects.filter(bloc__type="professionnel").order_by("pk")[:2])
    activite = Activite.objects.get(code="2.1")
    client = comptes.client(comptes.enseignant)
    assert client.get(f"/pfmp/periodes/{p.pk}/evaluation/").status_code == 200
    reponse = client.post(
        f"/pfmp/periodes/{p.pk}/evaluation/",
        {
            "date_visite": "2025-12-18",
            "tuteur": "Sophie Bernard",
            "activites": [activite.pk],
            f"c{competences[0].pk}": "TS",
            f"c{competences[1].pk}": "I",
            "appreciation": "Très bon stage.",
        },
    )
    assert reponse.status_code == 302
    e = Evaluation.objects.get(periode=p)
    assert {a.competence_id: a.niveau for a in AppreciationCompetence.objects.filter(evaluation=e)} == {
        competences[0].pk: "TS",
        competences[1].pk: "I",
    }
    fiche = client.get(f"/pfmp/periodes/{p.pk}/evaluation/imprimer/").content.decode()
    assert "Très bon stage." in fiche and fiche.count("✕") == 3  # une activité, deux compétences
    liaison = client.get(f"/pfmp/candidats/{c.pk}/document-de-liaison/").content.decode()
    assert 'class="text-center niveau-TS">TS<' in liaison


def test_un_niveau_inconnu_est_refuse_sans_erreur_500(comptes, c):
    p = periode(c, *TERMINALE)
    competence = Competence.objects.filter(bloc__type="professionnel").first()
    reponse = comptes.client(comptes.enseignant).post(
        f"/pfmp/periodes/{p.pk}/evaluation/", {f"c{competence.pk}": "EXCELLENT", "date_visite": "pas une date"}
    )
    assert reponse.status_code == 200 and not Evaluation.objects.exists()


def test_organisation_siret_verifie_et_retour_au_formulaire_de_periode(comptes, c):
    client = comptes.client(comptes.enseignant)
    suivant = f"/pfmp/candidats/{c.pk}/periodes/ajouter/"
    base = {"nom": "Cabinet Test", "pays": "FR", "secteur": "prive", "suivant": suivant}
    reponse = client.post("/pfmp/organisations/ajouter/", {**base, "siret": "55210055400014"})
    assert "clé de contrôle (Luhn) incorrecte" in str(reponse.context["form"].errors["siret"])
    reponse = client.post("/pfmp/organisations/ajouter/", {**base, "siret": ""})
    assert "Le SIRET est obligatoire pour une organisation établie en France." in str(reponse.context["form"].errors)
    reponse = client.post("/pfmp/organisations/ajouter/", {**base, "siret": "552 100 554 00013"})
    org = Organisation.objects.get()
    assert reponse["Location"] == f"{suivant}?organisation={org.pk}" and org.siret == SIRET
    assert f'<option value="{org.pk}" selected>' in client.get(reponse["Location"]).content.decode()
    reponse = client.post(
        "/pfmp/organisations/ajouter/", {**base, "siret": "", "pays": "ES", "suivant": "https://ailleurs.example/"}
    )
    assert reponse["Location"] == "/pfmp/organisations/"  # pas de redirection hors du site


def test_le_gestionnaire_declare_le_perfectionnement_et_saisit_un_certificat(comptes):
    cand = fabriques.candidat(division=comptes.division_a, statut="fpc_prive")
    client = comptes.client(comptes.gestionnaire)
    reponse = client.post(f"/pfmp/candidats/{cand.pk}/voie/", {"voie": "fpc_perfectionnement"})
    assert reponse.status_code == 302
    reponse = client.post(
        f"/pfmp/candidats/{cand.pk}/certificats/ajouter/",
        {
            "employeur": "Cabinet Dupuis",
            "siret": "",
            "emploi": "assistant",
            "quotite": "temps_partiel",
            "date_debut": "2024-06-01",
            "date_fin": "2025-05-31",
            "activites": [Activite.objects.get(code="1.2").pk],
        },
        follow=True,
    )
    assert [str(m) for m in reponse.context["messages"]][-1].endswith(
        "est conforme : certificats de travail : six mois à temps plein dans l'année précédant l'examen, ou un an "
        "à temps partiel dans les deux années précédant l'examen."
    )
    assert not Blocage.objects.filter(candidat=cand).exists()


def test_un_positionnement_sous_le_minimum_est_refuse_a_cote_du_champ(comptes, c):
    reponse = comptes.client(comptes.gestionnaire).post(
        f"/pfmp/candidats/{c.pk}/voie/",
        {"voie": "", "semaines_positionnement": "9,5", "date_positionnement": "2025-06-30"},
    )
    assert "Au moins 10 semaines pour cette voie (II.5)." in str(
        reponse.context["form"].errors["semaines_positionnement"]
    )


def test_le_gestionnaire_recalcule_les_blocages_de_la_session(comptes, c):
    reponse = comptes.client(comptes.gestionnaire).post("/pfmp/sessions/2026/synchroniser/", follow=True)
    message = [str(m) for m in reponse.context["messages"]][0]
    assert "0 conforme, 0 en cours, 1 à risque ; 1 candidat corrigé (blocage ou mobilité)." in message
    assert Blocage.objects.filter(candidat=c, source="pfmp").exists()
    reponse = comptes.client(comptes.gestionnaire).post("/pfmp/sessions/2026/synchroniser/", follow=True)
    assert "1 à risque ; rien à corriger." in [str(m) for m in reponse.context["messages"]][0]


def test_chacun_recalcule_les_blocages_de_son_perimetre(comptes, c):
    # Le gestionnaire du lycée 1 ne recalcule pas (lentement, à l'échelle nationale) le lycée 2 ; l'administrateur
    # recalcule toute la session.
    ailleurs = fabriques.candidat(division=comptes.division_c, nom="AILLEURS")
    comptes.client(comptes.gestionnaire).post("/pfmp/sessions/2026/synchroniser/")
    bloques = set(Blocage.objects.filter(source="pfmp").values_list("candidat", flat=True))
    assert bloques == {c.pk}
    reponse = comptes.client(comptes.administrateur).post("/pfmp/sessions/2026/synchroniser/", follow=True)
    assert "0 conforme, 0 en cours, 2 à risque ; 1 candidat corrigé" in [str(m) for m in reponse.context["messages"]][0]
    assert set(Blocage.objects.filter(source="pfmp").values_list("candidat", flat=True)) == {c.pk, ailleurs.pk}


def test_supprimer_une_periode_sans_attestation_mais_pas_avec(comptes, c):
    libre = periode(c, *SECONDE)
    attestee = periode(c, *TERMINALE, attestees="8")
    client = comptes.client(comptes.gestionnaire)
    assert comptes.client(comptes.enseignant).post(f"/pfmp/periodes/{libre.pk}/supprimer/").status_code == 403
    client.post(f"/pfmp/periodes/{libre.pk}/supprimer/")
    reponse = client.post(f"/pfmp/periodes/{attestee.pk}/supprimer/", follow=True)
    assert "ne se supprime pas" in [str(m) for m in reponse.context["messages"]][-1]
    assert list(Periode.objects.values_list("pk", flat=True)) == [attestee.pk]


def test_la_frise_dessine_une_barre_par_periode_sans_style_en_ligne(comptes, c):
    periode(c, *SECONDE, attestees="6")
    periode(c, *TERMINALE, org=organisation(SIRET_2, SIRET_2), attestees="8", signee=False)
    page = comptes.client(comptes.enseignant).get(f"/pfmp/candidats/{c.pk}/").content.decode()
    assert page.count('class="frise-barre frise-attestee"') == 1 and page.count("frise-non-signee") == 1
    assert "style=" not in page and "<style" not in page


def test_la_convention_se_signe(comptes, c):
    p = periode(c, *TERMINALE)
    reponse = comptes.client(comptes.enseignant).post(
        f"/pfmp/periodes/{p.pk}/convention/", {"etat": "signee", "date_signature": "2025-10-20"}
    )
    assert reponse.status_code == 302
    p.convention.refresh_from_db()
    assert (p.convention.etat, p.convention.date_signature) == ("signee", J(2025, 10, 20))


def test_au_dela_du_plafond_l_administrateur_voit_le_resume_national_puis_un_etablissement(comptes, c, monkeypatch):
    from examens import selectors

    monkeypatch.setattr(selectors, "PLAFOND_LIGNES", 1)
    ailleurs = fabriques.candidat(division=comptes.division_c, nom="AILLEURS")
    periode(ailleurs, *PREMIERE, attestees="8")  # écrit l'état d'« ailleurs » ; celui de c manque : calculé à l'instant
    client = comptes.client(comptes.administrateur)
    page = client.get("/pfmp/sessions/2026/").content.decode()
    assert 'data-testid="resume-etablissements"' in page and "Lycée Marie Curie" in page
    assert "2 à risque" in page and "0 conformes" in page
    assert c.numero in page and ailleurs.numero in page  # la première page des candidats
    lycee2 = comptes.division_c.etablissement_id
    page = client.get(f"/pfmp/sessions/2026/?etablissement={lycee2}").content.decode()
    assert ailleurs.numero in page and c.numero not in page
    assert f'name="etablissement" value="{lycee2}"' in page  # le contrôle et les filtres restent sur ce lycée
    reponse = client.post("/pfmp/sessions/2026/synchroniser/", {"etablissement": lycee2})
    assert reponse.url == f"/pfmp/sessions/2026/?etablissement={lycee2}"


def test_le_titre_du_tableau_pfmp_ne_contient_que_du_texte(comptes, c):
    """Le contrôle d'exploitation (un formulaire) s'était glissé dans le bloc du <title>."""
    page = comptes.client(comptes.gestionnaire).get("/pfmp/sessions/2026/").content.decode()
    titre = page[page.index("<title>") : page.index("</title>")]
    assert "<form" not in titre and "Contrôler les blocages" not in titre
    assert page.count("Contrôler les blocages") == 1
