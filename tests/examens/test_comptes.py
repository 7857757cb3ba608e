"""Comptes, rôles et périmètres administrés dans l'application (issue #17) : services, journal, pages."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse

from agora.roles import ADMINISTRATEUR, ENSEIGNANT, GESTIONNAIRE
from examens import journal_lisible
from examens.comptes import services
from examens.models import Journal
from tests import fabriques

pytestmark = pytest.mark.django_db

MOT_DE_PASSE_SOLIDE = "Ornithorynque-bleu-42"


def _se_connecter(identifiant: str, mot_de_passe: str) -> bool:
    """Par la page de connexion (django-axes exige une requête) : vrai si elle redirige vers l'accueil."""
    reponse = fabriques.Client().post(reverse("login"), {"username": identifiant, "password": mot_de_passe})
    return reponse.status_code == 302


def _creer(comptes, **champs):
    valeurs = {
        "auteur": comptes.administrateur,
        "identifiant": "pmartin",
        "prenom": "Paul",
        "nom": "Martin",
        "email": "paul.martin@example.org",
        "roles_choisis": [ENSEIGNANT],
        "perimetres": {"divisions": [comptes.division_a]},
    }
    valeurs.update(champs)
    return services.creer_compte(**valeurs)


# ------------------------------------------------------------------------------------------- services


def test_creer_un_compte_journalise_son_etat_sans_mot_de_passe(comptes):
    compte = _creer(comptes, mot_de_passe=MOT_DE_PASSE_SOLIDE)
    assert compte.check_password(MOT_DE_PASSE_SOLIDE)
    assert list(compte.divisions_enseignees.all()) == [comptes.division_a]
    assert compte.groups.get().name == ENSEIGNANT
    entree = Journal.objects.get(action="compte.creation")
    assert entree.auteur == "admin" and entree.objet == "pmartin" and entree.avant is None
    assert entree.apres["roles"] == [ENSEIGNANT]
    assert entree.apres["divisions_enseignees"] == ["TAGO1 (Lycée Jean Jaurès, session 2026)"]
    assert entree.apres["actif"] is True
    assert MOT_DE_PASSE_SOLIDE not in str(entree.apres)


def test_sans_mot_de_passe_le_compte_n_en_a_aucun_utilisable(comptes):
    compte = _creer(comptes)
    assert not compte.has_usable_password()


def test_un_identifiant_deja_pris_est_refuse_en_francais_quelle_que_soit_la_casse(comptes):
    with pytest.raises(services.CompteRefuse, match="L'identifiant « PROF » est déjà pris") as e:
        _creer(comptes, identifiant="PROF")
    assert e.value.champ == "identifiant"
    assert not Journal.objects.filter(action="compte.creation").exists()


def test_un_mot_de_passe_faible_est_refuse_par_les_regles_de_django(comptes):
    with pytest.raises(services.CompteRefuse) as e:
        _creer(comptes, mot_de_passe="pmartin2026")
    assert e.value.champ == "mot_de_passe"
    assert "identifiant" in str(e.value)
    assert not User.objects.filter(username="pmartin").exists()


def test_modifier_role_et_perimetre_journalise_avant_apres(comptes):
    compte = _creer(comptes)
    services.modifier_compte(
        auteur=comptes.administrateur,
        compte=compte,
        prenom="Paul",
        nom="Martin",
        email="paul.martin@example.org",
        roles_choisis=[GESTIONNAIRE],
        perimetres={"divisions": [comptes.division_c], "etablissements": [comptes.division_a.etablissement]},
    )
    entree = Journal.objects.get(action="compte.modification")
    assert entree.avant == {
        "roles": [ENSEIGNANT],
        "etablissements_geres": [],
        "divisions_enseignees": ["TAGO1 (Lycée Jean Jaurès, session 2026)"],
    }
    assert entree.apres["roles"] == [GESTIONNAIRE]
    assert set(entree.apres) == {"roles", "etablissements_geres", "divisions_enseignees"}  # seuls les changements
    ligne = journal_lisible.lisibles([entree], None)[0]
    assert ligne.quoi == "Compte modifié : Paul Martin (pmartin)"
    assert "rôle : enseignant → gestionnaire" in ligne.detail
    assert "établissements gérés : + Lycée Jean Jaurès" in ligne.detail
    assert "divisions enseignées : + TAGORA (Lycée Marie Curie, session 2026), − TAGO1" in ligne.detail
    assert ligne.qui == "Admin"


def test_une_modification_sans_changement_n_ecrit_rien_au_journal(comptes):
    compte = _creer(comptes)
    avant = Journal.objects.count()
    services.modifier_compte(
        auteur=comptes.administrateur,
        compte=compte,
        prenom="Paul",
        nom="Martin",
        email="paul.martin@example.org",
        roles_choisis=[ENSEIGNANT],
        perimetres={"divisions": [comptes.division_a], "etablissements": []},
    )
    assert Journal.objects.count() == avant


def test_un_administrateur_ne_retire_pas_son_propre_role(comptes):
    admin = comptes.administrateur
    with pytest.raises(services.CompteRefuse, match="propre rôle d'administrateur"):
        services.modifier_compte(
            auteur=admin, compte=admin, prenom="A", nom="B", email="", roles_choisis=[ENSEIGNANT], perimetres={}
        )
    assert admin.groups.filter(name=ADMINISTRATEUR).exists()


def test_un_administrateur_ne_se_desactive_pas_lui_meme(comptes):
    with pytest.raises(services.CompteRefuse, match="votre propre compte"):
        services.changer_activation(auteur=comptes.administrateur, compte=comptes.administrateur, actif=False)
    comptes.administrateur.refresh_from_db()
    assert comptes.administrateur.is_active
    assert not Journal.objects.filter(action__startswith="compte.").exists()


def test_desactiver_puis_reactiver_est_journalise(comptes):
    services.changer_activation(auteur=comptes.administrateur, compte=comptes.enseignant, actif=False)
    services.changer_activation(auteur=comptes.administrateur, compte=comptes.enseignant, actif=True)
    entrees = list(Journal.objects.filter(objet="prof").order_by("id"))
    assert [(e.action, e.avant, e.apres) for e in entrees] == [
        ("compte.desactivation", {"actif": True}, {"actif": False}),
        ("compte.reactivation", {"actif": False}, {"actif": True}),
    ]


def test_le_lien_part_par_courriel_et_se_journalise_sans_jeton(comptes):
    compte = _creer(comptes, url_lien="http://testserver/")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["paul.martin@example.org"]
    assert "pmartin" in message.body
    lien = re.search(r"http://testserver/comptes/mot-de-passe/\S+/\S+/", message.body).group(0)
    jeton = lien.rstrip("/").rsplit("/", 1)[1]
    entree = Journal.objects.get(action="compte.lien")
    assert entree.apres == {"lien_envoye_a": "paul.martin@example.org"}
    assert jeton not in str(entree.apres)
    assert compte.pk


def test_pas_de_lien_sans_adresse(comptes):
    with pytest.raises(services.CompteRefuse, match="pas d'adresse électronique") as e:
        _creer(comptes, email="", url_lien="http://testserver/")
    assert e.value.champ == "email"
    assert not User.objects.filter(username="pmartin").exists()  # tout ou rien
    assert mail.outbox == []


def test_les_roles_viennent_de_agora_roles_avec_un_libelle_par_defaut(monkeypatch):
    monkeypatch.setattr("agora.roles.ROLES", ("enseignant", "jury_academique"))
    assert services.roles() == ("enseignant", "jury_academique")
    assert services.libelle_role("jury_academique") == "Jury academique"
    assert services.libelle_role("gestionnaire") == "Gestionnaire"


# ------------------------------------------------------------------------------------------- pages


@pytest.mark.parametrize("qui", ["enseignant", "gestionnaire", "gestionnaire_autre"])
def test_les_pages_des_comptes_sont_refusees_aux_non_administrateurs(comptes, qui):
    client = comptes.client(getattr(comptes, qui))
    for chemin in (
        reverse("comptes:liste"),
        reverse("comptes:creer"),
        reverse("comptes:compte", args=[comptes.enseignant.pk]),
        reverse("comptes:modifier", args=[comptes.enseignant.pk]),
    ):
        reponse = client.get(chemin)
        assert reponse.status_code == 403
        assert "Accès refusé" in reponse.content.decode()
    reponse = client.post(reverse("comptes:creer"), {"identifiant": "x", "prenom": "x", "nom": "x"})
    assert reponse.status_code == 403
    reponse = client.post(reverse("comptes:activer", args=[comptes.enseignant.pk]), {"actif": "0"})
    assert reponse.status_code == 403
    comptes.enseignant.refresh_from_db()
    assert comptes.enseignant.is_active


def _donnees(comptes, **champs):
    donnees = {
        "identifiant": "pmartin",
        "prenom": "Paul",
        "nom": "Martin",
        "email": "paul.martin@example.org",
        "roles": [ENSEIGNANT],
        "divisions": [comptes.division_a.pk],
        "envoyer_lien": "on",
    }
    donnees.update(champs)
    return donnees


def test_creer_un_compte_par_la_page(comptes):
    client = comptes.client(comptes.administrateur)
    reponse = client.post(reverse("comptes:creer"), _donnees(comptes))
    compte = User.objects.get(username="pmartin")
    assert reponse.status_code == 302 and reponse["Location"] == reverse("comptes:compte", args=[compte.pk])
    assert list(compte.divisions_enseignees.all()) == [comptes.division_a]
    assert len(mail.outbox) == 1
    page = client.get(reponse["Location"]).content.decode()
    assert "Compte créé : Paul Martin (pmartin)" in page
    assert "Lien pour choisir le mot de passe envoyé" in page
    assert "TAGO1 (Lycée Jean Jaurès, session 2026)" in page


def test_les_erreurs_sont_a_cote_du_champ_et_la_saisie_est_gardee(comptes):
    client = comptes.client(comptes.administrateur)
    reponse = client.post(
        reverse("comptes:creer"), _donnees(comptes, identifiant="prof", email="", divisions=[comptes.division_c.pk])
    )
    page = reponse.content.decode()
    assert reponse.status_code == 200
    assert "Indiquez l&#x27;adresse à laquelle envoyer le lien." in page
    assert 'value="Paul"' in page
    assert re.search(rf'value="{comptes.division_c.pk}" id="divisions-{comptes.division_c.pk}" checked', page)
    assert "novalidate" in page
    # L'adresse corrigée, l'identifiant pris est signalé à côté de son champ.
    reponse = client.post(reverse("comptes:creer"), _donnees(comptes, identifiant="prof"))
    page = reponse.content.decode()
    assert "L&#x27;identifiant « prof » est déjà pris" in page
    assert re.search(r'id="id_identifiant"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="id_identifiant"', page)
    assert not User.objects.filter(username="pmartin").exists()


def test_un_mot_de_passe_initial_faible_est_signale_sous_son_champ(comptes):
    client = comptes.client(comptes.administrateur)
    reponse = client.post(reverse("comptes:creer"), _donnees(comptes, envoyer_lien="", mot_de_passe="123"))
    page = reponse.content.decode()
    assert "Ce mot de passe est trop court" in page
    assert not User.objects.filter(username="pmartin").exists()


def test_modifier_ne_change_pas_l_identifiant(comptes):
    client = comptes.client(comptes.administrateur)
    reponse = client.post(
        reverse("comptes:modifier", args=[comptes.enseignant.pk]),
        {"identifiant": "autre", "prenom": "Prof", "nom": "Dupont", "roles": [ENSEIGNANT]},
    )
    assert reponse.status_code == 302
    comptes.enseignant.refresh_from_db()
    assert comptes.enseignant.username == "prof" and comptes.enseignant.last_name == "Dupont"
    assert not comptes.enseignant.divisions_enseignees.exists()


def test_l_administrateur_ne_se_retire_pas_son_role_par_la_page(comptes):
    client = comptes.client(comptes.administrateur)
    reponse = client.post(
        reverse("comptes:modifier", args=[comptes.administrateur.pk]),
        {"prenom": "Admin", "nom": "X", "roles": [ENSEIGNANT]},
    )
    assert reponse.status_code == 200
    assert "Vous ne pouvez pas retirer votre propre rôle d&#x27;administrateur." in reponse.content.decode()


def test_desactiver_par_la_page_empeche_la_connexion(comptes):
    client = comptes.client(comptes.administrateur)
    client.post(reverse("comptes:activer", args=[comptes.enseignant.pk]), {"actif": "0"})
    comptes.enseignant.refresh_from_db()
    assert not comptes.enseignant.is_active
    assert not _se_connecter("prof", fabriques.MOT_DE_PASSE)
    reponse = client.post(reverse("comptes:activer", args=[comptes.administrateur.pk]), {"actif": "0"}, follow=True)
    assert "Vous ne pouvez pas désactiver votre propre compte." in reponse.content.decode()


def test_le_lien_recu_permet_de_choisir_son_mot_de_passe_une_seule_fois(comptes):
    admin = comptes.client(comptes.administrateur)
    admin.post(reverse("comptes:creer"), _donnees(comptes))
    lien = re.search(r"http://testserver(/comptes/mot-de-passe/\S+/)", mail.outbox[0].body).group(1)
    anonyme = fabriques.Client()
    reponse = anonyme.get(lien, follow=True)
    formulaire = reponse.redirect_chain[-1][0]
    reponse = anonyme.post(
        formulaire, {"new_password1": MOT_DE_PASSE_SOLIDE, "new_password2": MOT_DE_PASSE_SOLIDE}, follow=True
    )
    assert "Votre mot de passe est enregistré" in reponse.content.decode()
    assert _se_connecter("pmartin", MOT_DE_PASSE_SOLIDE)
    assert Journal.objects.filter(action="compte.mot_de_passe_choisi", auteur="pmartin").exists()
    reponse = fabriques.Client().get(lien, follow=True)
    assert "Ce lien n'est plus valable" in reponse.content.decode()


def test_definir_un_mot_de_passe_depuis_la_fiche(comptes):
    client = comptes.client(comptes.administrateur)
    chemin = reverse("comptes:mot-de-passe", args=[comptes.enseignant.pk])
    reponse = client.post(chemin, {"mot_de_passe": "prof12345678", "confirmation": "prof12345678"})
    assert reponse.status_code == 200
    assert "contient votre identifiant" in reponse.content.decode()
    reponse = client.post(chemin, {"mot_de_passe": MOT_DE_PASSE_SOLIDE, "confirmation": MOT_DE_PASSE_SOLIDE})
    assert reponse.status_code == 302
    comptes.enseignant.refresh_from_db()
    assert comptes.enseignant.check_password(MOT_DE_PASSE_SOLIDE)
    entree = Journal.objects.get(action="compte.mot_de_passe")
    assert MOT_DE_PASSE_SOLIDE not in str(entree.apres)


def test_la_liste_cherche_filtre_trie_et_resume_le_perimetre(comptes):
    client = comptes.client(comptes.administrateur)
    page = client.get(reverse("comptes:liste")).content.decode()
    assert "TAGO1" in page and "1 établissement géré" in page and "jamais" in page
    page = client.get(reverse("comptes:liste"), {"q": "gest"}).content.decode()
    assert ">gest<" in page and ">gest2<" in page and ">prof<" not in page
    page = client.get(reverse("comptes:liste"), {"role": ENSEIGNANT}).content.decode()
    assert ">prof<" in page and ">gest<" not in page
    services.changer_activation(auteur=comptes.administrateur, compte=comptes.enseignant, actif=False)
    page = client.get(reverse("comptes:liste"), {"actif": "non"}).content.decode()
    assert ">prof<" in page and ">prof2<" not in page
    page = client.get(reverse("comptes:liste"), {"tri": "-identifiant"}).content.decode()
    assert page.index(">prof2<") < page.index(">admin<")
    assert 'aria-sort="descending"' in page
    assert client.get(reverse("comptes:liste"), {"tri": "__class__", "role": "x"}).status_code == 200


def test_le_menu_montre_comptes_aux_seuls_administrateurs(comptes):
    lien = f'href="{reverse("comptes:liste")}"'
    assert lien in comptes.client(comptes.administrateur).get(reverse("accueil")).content.decode()
    assert lien not in comptes.client(comptes.gestionnaire).get(reverse("accueil")).content.decode()


def test_des_valeurs_trop_longues_sont_refusees_a_cote_du_champ(comptes):
    client = comptes.client(comptes.administrateur)
    email = "a" * 250 + "@example.org"
    reponse = client.post(reverse("comptes:creer"), _donnees(comptes, identifiant="x" * 101, email=email))
    page = reponse.content.decode()
    assert reponse.status_code == 200
    assert page.count("Assurez-vous que cette valeur comporte au plus") == 2
    assert not User.objects.filter(email=email).exists()
