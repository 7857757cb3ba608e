"""Pages des grilles CCF : droits (403/404), enregistrement JSON (200/400/403/409), requêtes bornées."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agora.requetes import sql_lisible
from examens.ccf import circuit, lectures, notation
from examens.models import Commission, Grille, Journal, Note
from tests import fabriques
from tests.examens.test_grilles import ENS, PRO, enseignant, grille_e31_complete, monde, remplir, valider

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _hachage_rapide(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def texte(reponse) -> str:
    """Le HTML de la réponse, entités décodées (l'apostrophe est échappée par les gabarits)."""
    return html.unescape(reponse.content.decode())


def url_grille(m, nom="grille", candidat=None, commission=None, situation=1):
    return reverse(f"examens:{nom}", args=[(commission or m.e31).pk, (candidat or m.candidat).pk, situation])


def poster(client, m, champ, valeur, version=0, cle="", **autres):
    return client.post(
        url_grille(m, "grille-enregistrer", **autres),
        {"version": version, "champ": champ, "valeur": valeur, "cle": cle},
    )


# ---------------------------------------------------------------------------------------------------
# Visibilité et droits
# ---------------------------------------------------------------------------------------------------


def test_un_membre_ouvre_la_grille_modifiable():
    m = monde()
    r = m.comptes.client(m.comptes.enseignant).get(url_grille(m))
    assert r.status_code == 200
    page = texte(r)
    assert 'data-modifiable="1"' in page and 'data-version="0"' in page
    assert "MARTIN" in page and m.candidat.numero in page and "Claire" not in page
    assert "Identifier les caractéristiques de la demande" in page  # une compétence du bloc 1
    assert "Efficacité de la prise de notes" in page  # un indicateur de l'activité 1.1
    assert "Note proposée à ne pas communiquer au candidat" in page


@pytest.mark.parametrize("compte", ["enseignant_autre", "gestionnaire_autre"])
def test_hors_perimetre_la_commission_et_la_grille_repondent_404(compte):
    m = monde()
    client = m.comptes.client(getattr(m.comptes, compte))
    for url in (url_grille(m), reverse("examens:commission", args=[m.e31.pk])):
        assert client.get(url).status_code == 404
    assert poster(client, m, "niveau", "S", cle=str(m.e31.gabarit.lignes.first().pk)).status_code == 404
    assert not Grille.objects.exists()


def test_un_enseignant_de_la_division_hors_commission_ne_voit_pas_la_grille():
    m = monde()
    autre = enseignant("voisin")
    m.comptes.division_a.enseignants.add(autre)
    assert m.comptes.client(autre).get(url_grille(m)).status_code == 404


def test_un_candidat_que_la_commission_n_evalue_pas_repond_404():
    m = monde()
    client = m.comptes.client(m.comptes.enseignant)
    assert client.get(url_grille(m, commission=m.e2)).status_code == 404  # colonne 1 : E2 ponctuel écrit
    assert client.get(url_grille(m, commission=m.e2, candidat=m.stagiaire, situation=3)).status_code == 404
    assert client.get(url_grille(m, candidat=fabriques.candidat(division=m.comptes.division_c))).status_code == 404


def test_le_gestionnaire_voit_la_grille_en_lecture_seule():
    m = monde()
    r = m.comptes.client(m.comptes.gestionnaire).get(url_grille(m))
    assert r.status_code == 200 and 'data-modifiable="0"' in texte(r)
    assert "Seuls les membres de la commission remplissent cette grille." in texte(r)
    r = poster(m.comptes.client(m.comptes.gestionnaire), m, "appreciation", "x")
    assert r.status_code == 403 and "membres de la commission" in r.json()["erreur"]


def test_sans_role_la_page_est_interdite():
    m = monde()
    sans_role = fabriques.utilisateur("sansrole", None)
    assert m.comptes.client(sans_role).get(url_grille(m)).status_code == 403
    assert m.comptes.client(sans_role).get(reverse("examens:commissions")).status_code == 403


def test_l_accueil_enseignant_mene_aux_commissions():
    m = monde()
    page = texte(m.comptes.client(m.comptes.enseignant).get("/"))
    assert reverse("examens:commissions") in page
    assert f"{reverse('examens:commissions')}?division={m.comptes.division_a.pk}" in page


# ---------------------------------------------------------------------------------------------------
# Enregistrement champ par champ
# ---------------------------------------------------------------------------------------------------


def test_chaque_changement_renvoie_la_version_et_la_note_suggeree():
    m = monde()
    client = m.comptes.client(m.comptes.enseignant)
    ligne = m.e31.gabarit.lignes.get(ordre=1)
    r = poster(client, m, "niveau", "S", cle=str(ligne.pk))
    assert r.status_code == 200
    d = r.json()
    assert (d["version"], d["note_suggeree"], d["a_saisir"]) == (1, "", 11)
    assert d["calcul"].startswith("Pas encore de note suggérée — à compléter : activité 1.2 : 1 compétence à évaluer")
    r = poster(client, m, "note_proposee", "15,5", version=1)
    assert r.json()["justification_requise"] is True and r.json()["note_retenue"] == "15,50"


def test_une_version_perimee_repond_409_avec_un_message_clair():
    m = monde()
    remplir(m.e31, m.candidat, m.collegue, ["TS"])
    r = poster(m.comptes.client(m.comptes.enseignant), m, "appreciation", "Mon texte")
    assert r.status_code == 409 and r.json()["conflit"] is True
    assert "Collegue a modifié cette grille" in r.json()["erreur"]
    assert "n'a pas été enregistrée" in r.json()["erreur"]
    assert Grille.objects.get().appreciation == ""


def test_une_saisie_invalide_repond_400_avec_le_champ():
    m = monde()
    r = poster(m.comptes.client(m.comptes.enseignant), m, "note_proposee", "12,555")
    assert r.status_code == 400
    assert r.json() == {
        "erreur": "12,555 : la note ne peut pas avoir plus de deux décimales",
        "champ": "note_proposee",
        "cle": "",
    }
    r = m.comptes.client(m.comptes.enseignant).post(url_grille(m, "grille-enregistrer"), {"champ": "niveau"})
    assert r.status_code == 400 and "Version" in r.json()["erreur"]


def test_une_grille_transmise_n_est_plus_modifiable_par_la_commission():
    m = monde()
    g = valider(m, grille_e31_complete(m))
    g = circuit.transmettre_grille(grille=g, version=g.version, auteur=m.comptes.enseignant)
    client = m.comptes.client(m.comptes.enseignant)
    page = texte(client.get(url_grille(m)))
    assert 'data-modifiable="0"' in page and "transmise au jury : elle n'est plus modifiable" in page
    r = poster(client, m, "appreciation", "trop tard", version=g.version)
    assert r.status_code == 403 and "transmise" in r.json()["erreur"]


def test_seule_la_methode_post_enregistre():
    m = monde()
    assert m.comptes.client(m.comptes.enseignant).get(url_grille(m, "grille-enregistrer")).status_code == 405


# ---------------------------------------------------------------------------------------------------
# Circuit par les formulaires de la page
# ---------------------------------------------------------------------------------------------------


def test_le_circuit_complet_par_les_pages():
    m = monde()
    g = grille_e31_complete(m)
    prof, collegue = m.comptes.client(m.comptes.enseignant), m.comptes.client(m.collegue)
    r = prof.post(url_grille(m, "grille-confirmer"), {"version": g.version}, follow=True)
    assert "Votre confirmation est enregistrée." in texte(r)
    g.refresh_from_db()
    r = collegue.post(url_grille(m, "grille-confirmer"), {"version": g.version - 1}, follow=True)
    assert "a modifié la grille depuis que vous l" in texte(r)
    collegue.post(url_grille(m, "grille-confirmer"), {"version": g.version})
    g.refresh_from_db()
    assert g.etat == "validee"
    prof.post(url_grille(m, "grille-transmettre"), {"version": g.version})
    g.refresh_from_db()
    assert g.etat == "transmise" and Note.objects.get(candidat=m.candidat, unite="U31").origine == "ccf"
    # Le jury (la division des examens, permission « délibérer ») arrête une autre note, motif à l'appui.
    assert prof.post(url_grille(m, "grille-arreter"), {"note": "15", "motif": "x"}).status_code == 403
    gest = m.comptes.client(m.comptes.academie)
    r = gest.post(url_grille(m, "grille-arreter"), {"note": "15,5", "motif": ""}, follow=True)
    assert "le motif est obligatoire" in texte(r)
    gest.post(url_grille(m, "grille-arreter"), {"note": "15,5", "motif": "Harmonisation du jury."})
    note = Note.objects.get(candidat=m.candidat, unite="U31")
    assert (str(note.valeur), note.origine) == ("15.500", "jury")
    page = texte(prof.get(url_grille(m)))
    assert "arrêtée par le jury" in page and "Harmonisation du jury." in page


def test_confirmer_une_grille_incomplete_affiche_les_manques():
    m = monde()
    remplir(m.e31, m.candidat, m.comptes.enseignant, ["S"] * 3)
    r = m.comptes.client(m.comptes.enseignant).post(url_grille(m, "grille-confirmer"), {"version": 3}, follow=True)
    page = texte(r)
    assert "ne peut pas encore être confirmée" in page and "9 compétences sans niveau" in page


def test_un_non_membre_ne_confirme_pas():
    m = monde()
    g = grille_e31_complete(m)
    r = m.comptes.client(m.comptes.gestionnaire).post(url_grille(m, "grille-confirmer"), {"version": g.version})
    assert r.status_code == 403 and "chacun avec son compte" in texte(r)


# ---------------------------------------------------------------------------------------------------
# Commissions
# ---------------------------------------------------------------------------------------------------


def test_le_gestionnaire_compose_une_commission_et_la_composition_est_verifiee():
    m = monde()
    client = m.comptes.client(m.comptes.gestionnaire)
    url = reverse("examens:commission-creer")
    assert client.get(url).status_code == 200
    r = client.post(
        url,
        {
            "epreuve": "E31",
            "divisions": [m.comptes.division_a.pk],
            "enseignants": [m.comptes.enseignant.pk],
            "professionnels": [m.professionnel.pk],
        },
    )
    assert r.status_code == 200 and "E31 : la commission réunit deux enseignants." in texte(r)
    r = client.post(
        url,
        {
            "epreuve": "E32",
            "nom": "B",
            "divisions": [m.comptes.division_a.pk],
            "enseignants": [m.collegue.pk],
            "professionnels": [m.professionnel.pk],
        },
    )
    nouvelle = Commission.objects.get(nom="B")
    assert r.status_code == 302 and r["Location"] == reverse("examens:commission", args=[nouvelle.pk])
    assert {(x.utilisateur.username, x.qualite) for x in nouvelle.membres_commission.all()} == {
        ("collegue", ENS),
        ("rh", PRO),
    }


def test_le_gestionnaire_ne_choisit_que_les_divisions_de_ses_etablissements():
    m = monde()
    r = m.comptes.client(m.comptes.gestionnaire).post(
        reverse("examens:commission-creer"),
        {
            "epreuve": "E31",
            "divisions": [m.comptes.division_c.pk],
            "enseignants": [m.comptes.enseignant.pk, m.collegue.pk],
        },
    )
    assert r.status_code == 200 and "Sélectionnez un choix valide" in texte(r)
    assert not Commission.objects.filter(divisions=m.comptes.division_c).exists()


def test_un_enseignant_ne_compose_pas_de_commission():
    m = monde()
    client = m.comptes.client(m.comptes.enseignant)
    assert client.get(reverse("examens:commission-creer")).status_code == 403
    assert client.get(reverse("examens:commission-modifier", args=[m.e31.pk])).status_code == 403


# ---------------------------------------------------------------------------------------------------
# Requêtes bornées
# ---------------------------------------------------------------------------------------------------


def test_la_vue_de_classe_fait_un_nombre_de_requetes_borne(django_assert_max_num_queries):
    m = monde()
    for i in range(30):
        c = fabriques.candidat(division=m.comptes.division_a, nom=f"NOM{i:02d}")
        if i % 2:
            remplir(m.e31, c, m.comptes.enseignant, ["S"] * (i % 12 + 1))
    client = m.comptes.client(m.comptes.enseignant)
    with django_assert_max_num_queries(15):
        r = client.get(reverse("examens:commission", args=[m.e31.pk]))
    assert r.status_code == 200 and texte(r).count('data-candidat="') == 33
    with django_assert_max_num_queries(12):
        assert client.get(reverse("examens:commissions")).status_code == 200


def test_la_page_de_grille_fait_un_nombre_de_requetes_borne(django_assert_max_num_queries):
    m = monde()
    grille_e31_complete(m, appreciation="Bien.")
    client = m.comptes.client(m.comptes.enseignant)
    with django_assert_max_num_queries(22):  # dont les échéances de saisie de la session (examens/echeances)
        r = client.get(url_grille(m))
    assert r.status_code == 200 and texte(r).count('data-ligne="') == 12


def test_la_page_de_grille_montre_les_derniers_changements_et_tout_l_historique_sur_demande():
    m = monde()
    client = m.comptes.client(m.comptes.enseignant)
    for version in range(25):
        assert poster(client, m, "appreciation", f"Texte {version}", version=version).status_code == 200
    page = texte(client.get(url_grille(m)))
    lignes = re.search(r'data-testid="historique">(.*?)</table>', page, re.S).group(1).count("<tr>") - 1
    assert lignes == 20 and "Historique des modifications (25)" in page
    assert "Les 20 derniers changements sur 25." in page and "Texte 24" in page and "∅" not in page
    page = texte(client.get(url_grille(m) + "?historique=tout"))
    lignes = re.search(r'data-testid="historique">(.*?)</table>', page, re.S).group(1).count("<tr>") - 1
    assert lignes == 25 and "historique-partiel" not in page and "∅" in page  # le tout premier : avant vide


def test_un_enregistrement_fait_un_nombre_de_requetes_borne(django_assert_max_num_queries):
    m = monde()
    g = grille_e31_complete(m)
    client = m.comptes.client(m.comptes.enseignant)
    # dont le verrou du jury de l'établissement et les échéances de saisie de la session (examens/echeances)
    with django_assert_max_num_queries(22):
        r = poster(client, m, "appreciation", "Nouvelle.", version=g.version)
    assert r.status_code == 200


def test_un_enregistrement_d_une_grille_commencee_fait_six_requetes():
    """Issue #23 : session et compte, commission et candidat (une requête), BEGIN, verrou de la grille (sa ligne
    seule, sans jointure) avec ses droits et ses évaluations, les écritures (une requête), COMMIT."""
    m = monde()
    g = grille_e31_complete(m)
    client = m.comptes.client(m.comptes.enseignant)
    assert poster(client, m, "appreciation", "Première.", version=g.version).status_code == 200  # prolonge la session
    with CaptureQueriesContext(connection) as requetes:
        r = poster(client, m, "appreciation", "Seconde.", version=g.version + 1)
    assert r.status_code == 200 and r.json()["version"] == g.version + 2
    sqls = [sql_lisible(q["sql"]) for q in requetes.captured_queries]
    assert len(sqls) == 6, sqls
    assert 'FROM "agora_sessioncompte"' in sqls[0]
    assert 'FROM "examens_commission"' in sqls[1] and 'FROM "examens_candidat"' in sqls[1]
    # BEGIN et COMMIT : un point de sauvegarde dans la transaction de chaque test.
    assert sqls[2].startswith(("BEGIN", "SAVEPOINT")) and sqls[5].startswith(("COMMIT", "RELEASE SAVEPOINT"))
    verrou = sqls[3]
    assert verrou.startswith('SELECT "examens_grille"') and verrou.endswith("FOR UPDATE")
    assert 'FROM "examens_grille" WHERE' in verrou  # aucune jointure (les sous-requêtes en ont)
    assert '"examens_membrecommission"' in verrou and '"examens_evaluationcompetence"' in verrou
    assert sqls[4].startswith("WITH e0 AS (UPDATE")


def test_commission_et_candidat_repond_comme_les_deux_lectures_des_pages():
    """La lecture unique de l'enregistrement automatique a les périmètres de commission_visible et de
    candidat_de_commission : mêmes réponses pour chaque compte, commission et candidat (hors division, statut
    évalué par une autre commission, autre établissement)."""
    m = monde()
    dehors = fabriques.candidat(division=m.comptes.division_c, nom="LOIN")
    comptes = [
        m.comptes.enseignant,
        m.comptes.enseignant_autre,
        m.collegue,
        m.professionnel,
        m.comptes.gestionnaire,
        m.comptes.gestionnaire_autre,
        m.comptes.academie,
        m.comptes.administrateur,
    ]
    vus = set()
    for user in comptes:
        for commission in (m.e31, m.e32, m.e2):
            for candidat in (m.candidat, m.ponctuel, m.stagiaire, dehors):
                c = lectures.commission_visible(user, commission.pk)
                attendu = lectures.candidat_de_commission(c, candidat.pk) if c else None
                lue, lu = lectures.commission_et_candidat(user, commission.pk, candidat.pk)
                assert (lue and lue.pk, lu and lu.pk) == (c and c.pk, attendu and attendu.pk), (user, commission)
                vus.add((c is not None, attendu is not None))
                if lu is not None:
                    assert lue.gabarit == c.gabarit and lue.session.reglement == c.session.reglement
                    assert (lu.numero, lu.nom, lu.statut, lu.etablissement_id, lu.division_id) == (
                        attendu.numero,
                        attendu.nom,
                        attendu.statut,
                        attendu.etablissement_id,
                        attendu.division_id,
                    )
    assert vus == {(False, False), (True, False), (True, True)}  # chaque cas est rencontré
    # Les colonnes que JSON ne rend pas telles quelles (dates, décimaux) sont différées : lues à la demande, justes.
    _, lu = lectures.commission_et_candidat(m.comptes.enseignant, m.e31.pk, m.candidat.pk)
    assert {"date_naissance", "points_jury"} <= lu.get_deferred_fields()
    assert (lu.date_naissance, lu.points_jury) == (m.candidat.date_naissance, m.candidat.points_jury)


def test_le_gestionnaire_modifie_les_membres_d_une_commission():
    m = monde()
    client = m.comptes.client(m.comptes.gestionnaire)
    url = reverse("examens:commission-modifier", args=[m.e32.pk])
    page = texte(client.get(url))
    assert 'name="epreuve"' in page and "disabled" in page
    r = client.post(
        url,
        {"nom": "RH", "divisions": [m.comptes.division_a.pk], "enseignants": [m.comptes.enseignant.pk, m.collegue.pk]},
    )
    assert r.status_code == 302
    m.e32.refresh_from_db()
    assert m.e32.nom == "RH" and set(m.e32.membres.values_list("username", flat=True)) == {"prof", "collegue"}
    j = Journal.objects.filter(action="commission.modification").get()
    assert j.avant["membres"] == ["prof (enseignant)", "rh (professionnel)"]
    assert j.apres["membres"] == ["collegue (enseignant)", "prof (enseignant)"]


def test_la_liste_des_commissions_se_filtre_par_division():
    m = monde()
    client = m.comptes.client(m.collegue)
    page = texte(client.get(reverse("examens:commissions") + f"?division={m.comptes.division_a.pk}"))
    assert len(re.findall(r'href="/examens/grilles/commissions/\d+/"', page)) == 2  # E31 et E2 ; pas E32
    page = texte(client.get(reverse("examens:commissions") + f"?division={m.comptes.division_c.pk}"))
    assert "Vous n'êtes membre d'aucune commission" in page


def test_la_liste_des_commissions_ne_compte_les_grilles_que_de_sa_page(monkeypatch):
    """Issue #23 : les grilles se comptent pour les commissions de la page seulement, pas pour les 1 248 d'une
    session nationale avant d'en garder 50 (aucune requête sur les commissions ne joint leurs grilles)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from examens.ccf import views

    monkeypatch.setattr(views, "COMMISSIONS_PAR_PAGE", 1)
    m = monde()
    remplir(m.e31, m.candidat, m.comptes.enseignant, "S")
    remplir(m.e31, m.stagiaire, m.comptes.enseignant, "S")
    remplir(m.e32, m.candidat, m.comptes.enseignant, "S")
    Grille.objects.filter(commission=m.e31, candidat=m.candidat).update(etat=Grille.Etat.TRANSMISE)
    client = m.comptes.client(m.comptes.gestionnaire)
    comptes = {}
    for numero in (1, 2, 3):  # E2, E31, E32
        with CaptureQueriesContext(connection) as requetes:
            page = client.get(reverse("examens:commissions") + f"?page={numero}").content.decode()
        epreuve = re.search(r'href="/examens/grilles/commissions/\d+/">(E\d+)', page).group(1)
        comptes[epreuve] = re.findall(r'<td class="nombre">(\d+)</td>', page)
        assert not any(
            'FROM "examens_commission"' in sql and "examens_grille" in sql
            for sql in map(sql_lisible, (r["sql"] for r in requetes.captured_queries))
        )
    assert comptes == {"E2": ["0", "0"], "E31": ["2", "1"], "E32": ["1", "0"]}


@pytest.mark.parametrize(
    "donnees",
    [
        {"version": "abc", "champ": "niveau", "valeur": "S"},
        {"version": "-1", "champ": "niveau", "valeur": "S"},
        {"version": "0", "champ": "niveau", "valeur": "S", "cle": "abc"},
        {"version": "0", "champ": "piece", "valeur": "peut-être", "cle": "etat_recapitulatif"},
        {"version": "0", "champ": "date_situation", "valeur": "2026-13-45"},
        {"version": "0", "champ": "note_proposee", "valeur": "1e3"},
        {"version": "0", "champ": "note_proposee", "valeur": "NaN"},
        {"version": "0", "champ": "observation", "valeur": "x" * 2001, "cle": "ligne"},
        {"version": "0", "champ": "niveau", "valeur": "<script>", "cle": "ligne"},
        {"version": "99999999999999999999", "champ": "appreciation", "valeur": "x"},
        {},
    ],
)
def test_une_saisie_absurde_ne_donne_jamais_d_erreur_500(donnees):
    m = monde()
    if donnees.get("cle") == "ligne":
        donnees["cle"] = str(m.e31.gabarit.lignes.first().pk)
    r = m.comptes.client(m.comptes.enseignant).post(url_grille(m, "grille-enregistrer"), donnees)
    assert r.status_code in (400, 409) and r.json()["erreur"]
    assert not Grille.objects.exists()  # tout ou rien : la grille créée pour la saisie refusée est annulée


def test_l_administration_montre_les_grilles_en_lecture_seule():
    m = monde()
    g = valider(m, grille_e31_complete(m))
    client = m.comptes.client(m.comptes.administrateur)
    m.comptes.administrateur.is_staff = True
    m.comptes.administrateur.save()
    for url in (
        reverse("admin:examens_grille_change", args=[g.pk]),
        reverse("admin:examens_grille_changelist"),
        reverse("admin:examens_gabaritgrille_change", args=[g.gabarit_id]),
        reverse("admin:examens_commission_change", args=[m.e31.pk]),
    ):
        r = client.get(url)
        assert r.status_code == 200, url
        assert 'name="_save"' not in texte(r)


def test_les_lignes_de_grille_echappent_echelle_intitules_et_observations_et_suivent_les_droits():
    from decimal import Decimal
    from types import SimpleNamespace

    from examens.templatetags.agora_grille import lignes_de_grille

    niveaux = [
        (notation.Niveau("A", 'Acquis "<b>"', Decimal(2), "1"), "ton-4"),
        (notation.Niveau("NE", "Non évalué", None, "0"), "ton-ne"),
    ]
    activite = SimpleNamespace(pk=3, code="A1", intitule="Suivi <i>clients</i>")
    competence = SimpleNamespace(activite=activite, intitule="Traiter & <u>relancer</u>")
    la = SimpleNamespace(
        ligne=SimpleNamespace(pk=7, ordre=1, competence=competence),
        niveau="A",
        observation="</textarea><script>alert(1)</script>",
        indicateurs=[SimpleNamespace(intitule="Délais <respectés>")],
    )
    html_ = str(lignes_de_grille([[la]], niveaux, True))
    assert html_.count('type="radio"') == 2 and 'id="niveau-7-A"' in html_ and 'data-cle="7"' in html_
    assert (
        'value="A" data-champ="niveau" data-cle="7" data-touche="1" data-libelle="Acquis &quot;&lt;b&gt;&quot;" '
        'autocomplete="off" checked>'
    ) in html_
    assert "&quot;&lt;b&gt;&quot;" in html_ and "<b>" not in html_ and "disabled" not in html_
    assert "Activité A1 · Suivi &lt;i&gt;clients&lt;/i&gt;" in html_ and "Traiter &amp; &lt;u&gt;relancer" in html_
    assert "&lt;/textarea&gt;&lt;script&gt;" in html_ and "<script>" not in html_
    assert "<li>Délais &lt;respectés&gt;</li>" in html_ and 'aria-describedby="indicateurs-3"' in html_
    fige = str(lignes_de_grille([[la]], niveaux, False))
    assert html_.count(" disabled>") == 0 and fige.count(" disabled>") == 3  # deux boutons et l'observation


def test_un_niveau_s_ecrit_avec_la_version_et_la_trace_en_une_requete():
    """L'évaluation (créée puis modifiée), la version de la grille et la ligne d'historique : une seule écriture."""
    m = monde()
    client = m.comptes.client(m.comptes.enseignant)
    ligne = m.e31.gabarit.lignes.get(ordre=1)
    assert poster(client, m, "appreciation", "Début.").status_code == 200  # la grille est créée (version 1)
    for version, niveau in ((1, "S"), (2, "TS")):
        with CaptureQueriesContext(connection) as requetes:
            r = poster(client, m, "niveau", niveau, version=version, cle=str(ligne.pk))
        assert r.status_code == 200 and r.json()["version"] == version + 1
        ecritures = [q["sql"] for q in requetes if re.match(r"(WITH|UPDATE|INSERT|DELETE)", q["sql"])]
        ecritures = [q for q in ecritures if "examens_" in q]  # pas la session de l'utilisateur
        assert len(ecritures) == 1 and "examens_historiquegrille" in ecritures[0], ecritures
    g = Grille.objects.get()
    assert g.version == 3 and g.evaluations.get(ligne=ligne).niveau == "TS"
    traces = list(g.historique.filter(action="niveau").order_by("id").values_list("avant", "apres", "auteur"))
    assert traces == [("", "S", "prof"), ("S", "TS", "prof")]
    assert g.historique.filter(date__isnull=True).count() == 0 and g.modifiee_le is not None


def test_les_evaluations_lues_avec_les_droits_sont_celles_de_la_grille_colonne_par_colonne():
    """droits_et_evaluations rebâtit les évaluations d'une lecture JSON : chaque colonne du modèle, aucune différée
    (une colonne oubliée serait relue une à une) ; droits() donne les mêmes droits sans les bâtir."""
    from examens.ccf import lectures
    from examens.models import EvaluationCompetence

    m = monde()
    g = remplir(m.e31, m.candidat, m.comptes.enseignant, ["S", "TS", "I"])
    g.evaluations.filter(ligne__ordre=2).update(observation="Relances « bien » menées & <notées>")
    lecture = dict(
        session=m.e31.session, etablissement_id=m.candidat.etablissement_id, commission_id=m.e31.pk, grille=g
    )
    d, lues = lectures.droits_et_evaluations(m.comptes.enseignant, **lecture)
    attendues = {e.ligne_id: e for e in EvaluationCompetence.objects.filter(grille=g)}
    assert len(lues) == len(attendues) == 3
    colonnes = [f.attname for f in EvaluationCompetence._meta.concrete_fields]
    for ligne_id, e in lues.items():
        assert not e.get_deferred_fields() and e.grille is g and not e._state.adding
        assert [getattr(e, c) for c in colonnes] == [getattr(attendues[ligne_id], c) for c in colonnes]
    assert {e.observation for e in lues.values()} >= {"Relances « bien » menées & <notées>"}
    assert d.modifier and lectures.droits(m.comptes.enseignant, **lecture) == d


def test_la_legende_gardee_rendue_est_celle_de_l_echelle_de_chaque_gabarit():
    """La légende des niveaux est gardée rendue sous (gabarit, empreinte) : pour E31, E32 et un gabarit à l'échelle
    changée (une autre version, une autre empreinte), la légende est celle que rend le gabarit sans rien garder."""
    from django.core.cache import cache
    from django.test import override_settings

    cache.clear()
    m = monde()
    client = m.comptes.client(m.comptes.enseignant)

    def legende(adresse):
        return re.search(r'<p class="legende small" id="legende">.*?</p>', texte(client.get(adresse)), re.S).group(0)

    def gardee_et_fraiche(adresse):
        gardee = legende(adresse)
        with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}):
            assert legende(adresse) == gardee
        return gardee

    e31 = gardee_et_fraiche(url_grille(m))
    assert "(hors calcul)" in e31 or " pt)" in e31
    avant = gardee_et_fraiche(url_grille(m, commission=m.e32))
    gabarit = m.e32.gabarit
    gabarit.pk, gabarit.version, gabarit.empreinte = None, 99, "autre"
    gabarit.echelle = [dict(n, libelle=n["libelle"] + " revu") for n in gabarit.echelle]
    gabarit.save()
    Commission.objects.filter(pk=m.e32.pk).update(gabarit=gabarit)
    apres = gardee_et_fraiche(url_grille(m, commission=m.e32))
    assert "revu" in apres and "revu" not in avant
    assert "revu" not in gardee_et_fraiche(url_grille(m))


def test_le_code_de_l_unite_d_une_epreuve_est_lu_une_fois_et_est_celui_du_referentiel(django_assert_num_queries):
    from examens.ccf.views import _code_unite
    from referentiel.models import Unite

    m = monde()
    referentiel = m.e31.gabarit.referentiel_id
    attendus = {
        e: Unite.objects.filter(referentiel_id=referentiel, epreuve=e).order_by("ordre", "pk").first().code
        for e in ("E2", "E31", "E32")
    }
    assert attendus == {"E2": "U2", "E31": "U31", "E32": "U32"}
    _code_unite.cache_clear()
    with django_assert_num_queries(3):
        assert {e: _code_unite(referentiel, e) for e in attendus} == attendus
    with django_assert_num_queries(0):
        assert {e: _code_unite(referentiel, e) for e in attendus} == attendus
    with django_assert_num_queries(1):  # un autre référentiel : lu, pas servi depuis celui-ci
        assert _code_unite(referentiel + 10**6, "E31") is None
