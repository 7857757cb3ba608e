"""Pages du référentiel, en lecture pour tout utilisateur connecté : pôles, activités, blocs, compétences, recherche."""

import pytest
from django.contrib.auth.models import User
from django.utils.html import escape

from referentiel import selectors
from referentiel.models import Activite, Bloc, Competence, Referentiel
from tests import fabriques
from tests.referentiel.test_donnees import charger, copie_de_la_fixture

pytestmark = pytest.mark.django_db

TVA = "Déterminer les éléments nécessaires à l'élaboration de la déclaration de TVA"


@pytest.fixture
def client_enseignant(client):
    # Un compte sans mot de passe : force_login évite le hachage (0,4 s par compte créé par les fabriques).
    client.force_login(User.objects.create(username="lecteur"))
    return client


@pytest.fixture
def ref():
    return Referentiel.objects.get(code="AGORA-2020")


def en_html(texte: str) -> str:
    """Le texte tel que la page l'écrit : échappé, guillemets liés au mot par une espace insécable."""
    return escape(texte).replace("« ", "«\u00a0").replace(" »", "\u00a0»")


def positions(html: str, textes) -> list[int]:
    return [html.index(en_html(t)) for t in textes]


def rechercher(client, q: str):
    reponse = client.get("/referentiel/recherche/", {"q": q, "version": "AGORA-2020"})
    assert reponse.status_code == 200
    return reponse


def intitules(reponse, genre: str) -> list[str]:
    return [r.intitule for r in reponse.context["resultats"][genre]]


@pytest.mark.parametrize(
    "url",
    [
        "/referentiel/",
        "/referentiel/AGORA-2020/",
        "/referentiel/AGORA-2020/activites/1.1/",
        "/referentiel/AGORA-2020/blocs/",
        "/referentiel/recherche/?q=TVA",
    ],
)
def test_chaque_page_demande_une_connexion(client, url):
    reponse = client.get(url)
    assert reponse.status_code == 302
    assert reponse["Location"].startswith("/connexion/?next=")


@pytest.mark.parametrize("compte", ["enseignant", "gestionnaire", "administrateur"])
def test_chaque_role_lit_le_referentiel(comptes, compte):
    client = comptes.client(getattr(comptes, compte))
    assert client.get("/referentiel/").url == "/referentiel/AGORA-2020/"
    for url in ["/referentiel/AGORA-2020/", "/referentiel/AGORA-2020/activites/3.2/", "/referentiel/AGORA-2020/blocs/"]:
        assert client.get(url).status_code == 200, url


def test_un_utilisateur_sans_role_lit_aussi_le_referentiel(client):
    client.force_login(fabriques.utilisateur("invite", None))
    assert client.get("/referentiel/AGORA-2020/").status_code == 200


def test_la_page_des_poles_liste_les_activites_dans_l_ordre(client_enseignant, ref):
    html = client_enseignant.get("/referentiel/AGORA-2020/").content.decode()
    activites = Activite.objects.filter(pole__referentiel=ref)
    assert html.count('data-testid="pole"') == 3
    assert positions(html, [a.intitule for a in activites]) == sorted(positions(html, [a.intitule for a in activites]))
    for a in activites:
        assert f'href="/referentiel/AGORA-2020/activites/{a.code}/"' in html
    assert "4 tâches · 4 compétences · 8 indicateurs" in html  # 1.1


def test_la_page_d_une_activite_met_cote_a_cote_taches_competences_et_indicateurs(client_enseignant, ref):
    reponse = client_enseignant.get("/referentiel/AGORA-2020/activites/2.2/")
    html = reponse.content.decode()
    activite = Activite.objects.get(pole__referentiel=ref, code="2.2")
    assert en_html(f"2.2 {activite.intitule}") in html
    colonnes = [
        ("taches", [t.intitule for t in activite.taches.all()]),
        ("competences", [c.intitule for c in activite.competences.all()]),
        ("indicateurs", [i.intitule for i in activite.indicateurs.all()]),
    ]
    assert [len(textes) for _, textes in colonnes] == [3, 6, 7]
    debuts = [html.index(f'data-testid="{colonne}"') for colonne, _ in colonnes]
    assert debuts == sorted(debuts)
    for i, (colonne, textes) in enumerate(colonnes):
        fin = debuts[i + 1] if i + 1 < len(debuts) else len(html)
        trouves = positions(html, textes)
        assert all(debuts[i] < p < fin for p in trouves), colonne
        assert trouves == sorted(trouves), colonne
    # Chaque compétence mène à sa page ; le bloc et l'unité qui le certifie sont nommés.
    for c in activite.competences.all():
        assert f'href="/referentiel/AGORA-2020/competences/{c.pk}/"' in html
    assert "Bloc de compétences 2 – " in html
    assert "certifié par l'unité U2" in html


def test_une_activite_ou_une_version_inconnue_repond_404(client_enseignant):
    assert client_enseignant.get("/referentiel/AGORA-2020/activites/9.9/").status_code == 404
    assert client_enseignant.get("/referentiel/AGORA-1999/").status_code == 404
    assert client_enseignant.get("/referentiel/AGORA-1999/blocs/").status_code == 404
    assert client_enseignant.get("/referentiel/recherche/", {"q": "TVA", "version": "AGORA-1999"}).status_code == 404


def test_la_page_des_blocs_donne_unites_competences_et_savoirs(client_enseignant, ref):
    reponse = client_enseignant.get("/referentiel/AGORA-2020/blocs/")
    html = reponse.content.decode()
    blocs = list(Bloc.objects.filter(referentiel=ref))
    assert positions(html, [b.intitule for b in blocs]) == sorted(positions(html, [b.intitule for b in blocs]))
    for b in blocs:
        assert f'id="bloc-{b.code}"' in html
        for c in b.competences.all():
            assert en_html(c.intitule) in html, (b.code, c.intitule)
        for s in b.savoirs.all():
            assert en_html(s.intitule) in html, (b.code, s.intitule)
    assert "<strong>U31</strong> Gestion des relations avec les clients, les usagers et les adhérents" in html
    assert "Savoirs associés (15)" in html  # B2


@pytest.mark.parametrize(
    "code_bloc, unites",
    [("B1", ["U31"]), ("B2", ["U2"]), ("B3", ["U32"]), ("MATHS", ["U12"]), ("FAC-LV", ["UF1", "UF2"])],
)
def test_la_page_d_une_competence_liste_les_unites_qui_la_certifient(client_enseignant, ref, code_bloc, unites):
    for competence in Competence.objects.filter(bloc__referentiel=ref, bloc__code=code_bloc):
        reponse = client_enseignant.get(f"/referentiel/AGORA-2020/competences/{competence.pk}/")
        assert [u.code for u in reponse.context["unites"]] == unites
        html = reponse.content.decode()
        liste = html[html.index('data-testid="unites-competence"') :]
        for u in reponse.context["unites"]:
            assert f"<strong>{u.code}</strong> {escape(u.intitule)}" in liste
            assert f"(épreuve {u.epreuve})" in liste


def test_une_competence_d_une_autre_version_repond_404(client_enseignant, ref, tmp_path):
    charger(copie_de_la_fixture(tmp_path, code="AGORA-TEST"))
    competence = Competence.objects.filter(bloc__referentiel=ref).first()
    assert client_enseignant.get(f"/referentiel/AGORA-2020/competences/{competence.pk}/").status_code == 200
    assert client_enseignant.get(f"/referentiel/AGORA-TEST/competences/{competence.pk}/").status_code == 404


def test_les_guillemets_restent_colles_au_mot(client_enseignant):
    html = client_enseignant.get("/referentiel/AGORA-2020/").content.decode()
    assert "«\u00a0Assistance à la gestion des organisations et de leurs activités\u00a0»" in html
    assert "« " not in html and " »" not in html


# ---------------------------------------------------------------- recherche


def test_la_recherche_trouve_la_competence_sur_la_tva(client_enseignant):
    reponse = rechercher(client_enseignant, "TVA")
    assert intitules(reponse, "competences") == [TVA]
    assert intitules(reponse, "indicateurs") == [
        "Pertinence et exactitude des éléments retenus pour la déclaration de TVA"
    ]
    html = reponse.content.decode()
    assert "Déterminer les éléments nécessaires à l&#x27;élaboration de la déclaration de <mark>TVA</mark>" in html
    competence = reponse.context["resultats"]["competences"][0]
    assert f'href="/referentiel/AGORA-2020/competences/{competence.pk}/"' in html


@pytest.mark.parametrize("q", ["ecrits", "écrits", "ÉCRITS", "Ecrit"])
def test_la_recherche_ignore_accents_casse_et_flexions(client_enseignant, q):
    reponse = rechercher(client_enseignant, q)
    assert "Qualité de la rédaction des écrits commerciaux" in intitules(reponse, "indicateurs")
    assert "Rédiger des écrits professionnels en lien avec l'activité sociale de l'organisation" in intitules(
        reponse, "competences"
    )
    assert "Qualité de la rédaction des <mark>écrits</mark> commerciaux" in reponse.content.decode()


def test_ecrits_et_ecrits_accentue_donnent_les_memes_resultats(client_enseignant):
    sans, avec = rechercher(client_enseignant, "ecrits"), rechercher(client_enseignant, "écrits")
    for genre in ("competences", "indicateurs", "savoirs"):
        assert intitules(sans, genre) == intitules(avec, genre)


def test_tous_les_mots_doivent_figurer(client_enseignant):
    """Régression : filtrer sur ts_rank > 0 gardait les textes qui n'avaient qu'un des mots (rang 1e-20)."""
    assert intitules(rechercher(client_enseignant, "état TVA"), "competences") == []
    assert intitules(rechercher(client_enseignant, "déclaration TVA"), "competences") == [TVA]


def test_un_mot_exclu_est_respecte(client_enseignant):
    resultats = intitules(rechercher(client_enseignant, "enregistrements -trésorerie"), "competences")
    assert not [r for r in resultats if "trésorerie" in r]
    assert "Assurer le suivi des enregistrements liés à la paie à l'aide d'un progiciel dédié ou d'un PGI" in resultats
    assert TVA in intitules(rechercher(client_enseignant, "déclaration TVA -paie"), "competences")


def test_un_savoir_trouve_par_ses_indications_montre_le_passage(client_enseignant):
    reponse = rechercher(client_enseignant, "TVA")
    savoirs = reponse.context["resultats"]["savoirs"]
    assert savoirs
    for s in savoirs:
        assert "TVA" not in s.intitule and "TVA" in s.indications
        assert "<mark>TVA</mark>" in s.indications_extrait
    assert "Indications complémentaires de la famille" in reponse.content.decode()


def test_la_recherche_porte_aussi_sur_les_savoirs_et_les_blocs_generaux(client_enseignant):
    assert "La taxe sur la valeur ajoutée" in intitules(rechercher(client_enseignant, "taxe valeur ajoutee"), "savoirs")
    assert "Proposer, choisir, exécuter une méthode de résolution" in intitules(
        rechercher(client_enseignant, "resolution"), "competences"
    )


def test_la_recherche_sans_mot_ou_sans_resultat(client_enseignant):
    reponse = rechercher(client_enseignant, "")
    assert reponse.context["resultats"] is None
    reponse = rechercher(client_enseignant, "zzzyx")
    assert 'data-testid="aucun-resultat"' in reponse.content.decode()
    # Des mots vides seuls ne trouvent rien, sans erreur.
    assert not any(rechercher(client_enseignant, "le la des").context["resultats"].values())


def test_la_saisie_est_echappee(client_enseignant):
    html = rechercher(client_enseignant, '<script>alert("x")</script>').content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_le_selecteur_classe_par_pertinence_puis_dans_l_ordre_de_l_arrete(ref):
    resultats = selectors.rechercher(ref, "suivi")["competences"]
    rangs = [c.rang for c in resultats]
    assert rangs == sorted(rangs, reverse=True)
    for a, b in zip(resultats, resultats[1:], strict=False):
        if a.rang == b.rang:
            assert (a.bloc.ordre, a.ordre) < (b.bloc.ordre, b.ordre)


RECRUTEMENT = "Suivi administratif du recrutement, de l'intégration et du départ des personnels"


def test_la_recherche_trouve_les_taches_et_surligne_le_mot(client_enseignant):
    """Régression : « recrutement » ne trouvait pas la tâche de l'activité qui le nomme."""
    reponse = rechercher(client_enseignant, "recrutement")
    assert RECRUTEMENT in intitules(reponse, "taches")
    html = reponse.content.decode()
    assert "Suivi administratif du <mark>recrutement</mark>, de l&#x27;intégration" in html
    tache = next(t for t in reponse.context["resultats"]["taches"] if t.intitule == RECRUTEMENT)
    assert f'href="/referentiel/AGORA-2020/activites/{tache.activite.code}/"' in html
    assert 'data-testid="resultats-taches"' in html and "Tâches (" in html
    # les autres genres restent cherchés, chacun surligné
    assert reponse.context["resultats"]["savoirs"] and "<mark>recrutement</mark>" in html.split('id="res-savoirs"')[1]


def test_la_recherche_des_taches_ignore_accents_et_flexions(client_enseignant):
    assert intitules(rechercher(client_enseignant, "RECRUTEMENTS"), "taches") == intitules(
        rechercher(client_enseignant, "recrutement"), "taches"
    )
    assert RECRUTEMENT in intitules(rechercher(client_enseignant, "integration depart"), "taches")
