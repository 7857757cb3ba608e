"""Session ou jury verrouillé : les formulaires PFMP et de notes s'affichent en lecture seule avec la raison, et
le serveur refuse toujours un envoi, avec le bon message (la PFMP ne parle pas de notes)."""

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from examens import services
from examens.jurys import services as jurys_services
from examens.models import Note
from pfmp.models import Attestation, DossierPfmp, Periode
from tests import fabriques
from tests.pfmp.outils import TERMINALE, organisation, periode
from tests.pfmp.test_vues import donnees_periode

pytestmark = pytest.mark.django_db

SESSION_PFMP = "La délibération de la session 2026 est verrouillée : la saisie des PFMP est fermée"
JURY_PFMP = "La délibération du jury Paris est verrouillée : la saisie des PFMP de ses candidats est fermée"
JURY_NOTES = "La délibération du jury Paris est verrouillée : aucune note de ses candidats ne peut changer"


def verrouiller_session(candidat):
    candidat.session.verrouillee = True
    candidat.session.save(update_fields=["verrouillee"])


def verrouiller_jury(comptes):
    jures = fabriques.jury_de(comptes.division_a.etablissement, comptes.division_a.session)
    jurys_services.verrouiller_jury(jury=jures.jury, auteur=jures.academie)
    return jures


class _Champs(HTMLParser):
    """Relève les champs de saisie qu'un <fieldset disabled> ne désactive pas."""

    def __init__(self):
        super().__init__()
        self.pile: list[bool] = []  # un booléen par <fieldset> ouvert : désactivé ?
        self.actifs: list[str] = []

    def handle_starttag(self, balise, attributs):
        attributs = dict(attributs)
        if balise == "fieldset":
            self.pile.append("disabled" in attributs)
        elif balise in ("input", "select", "textarea", "button") and not any(self.pile):
            if attributs.get("type") != "hidden" and "disabled" not in attributs:
                self.actifs.append(attributs.get("name") or attributs.get("id") or balise)

    def handle_endtag(self, balise):
        if balise == "fieldset" and self.pile:
            self.pile.pop()


def champs_actifs(page: str) -> list[str]:
    """Les champs de saisie actifs dans les formulaires POST de la page (pas la recherche du menu)."""
    lecteur = _Champs()
    for formulaire in re.findall(r'<form method="post".*?</form>', page, flags=re.S):
        if f'action="{reverse("logout")}"' not in formulaire:  # le bouton de déconnexion du menu
            lecteur.feed(formulaire)
    return lecteur.actifs


@pytest.fixture
def c(comptes):
    return fabriques.candidat(division=comptes.division_a)


@pytest.mark.parametrize("verrou", ["session", "jury"])
def test_les_formulaires_pfmp_d_un_dossier_verrouille_sont_en_lecture_seule_avec_la_raison(comptes, c, verrou):
    p = periode(c, *TERMINALE, attestees="8")
    verrouiller_session(c) if verrou == "session" else verrouiller_jury(comptes)
    raison = SESSION_PFMP if verrou == "session" else JURY_PFMP
    client = comptes.client(comptes.gestionnaire)
    for url in (
        f"/pfmp/candidats/{c.pk}/periodes/ajouter/",
        f"/pfmp/candidats/{c.pk}/certificats/ajouter/",
        f"/pfmp/candidats/{c.pk}/voie/",
        f"/pfmp/periodes/{p.pk}/attestation/",
        f"/pfmp/periodes/{p.pk}/convention/",
    ):
        page = client.get(url).content.decode()
        assert raison in page and "Lecture seule" in page, url
        assert "aucune note" not in page, url
        assert "disabled" in page and champs_actifs(page) == [], url  # ni champ ni bouton d'envoi actif
    fiche = client.get(f"/pfmp/candidats/{c.pk}/").content.decode()
    assert raison in fiche and "Ajouter une période" not in fiche and "Ajouter un certificat" not in fiche


@pytest.mark.parametrize("verrou", ["session", "jury"])
def test_un_envoi_sur_un_dossier_pfmp_verrouille_est_refuse_avec_le_bon_message(comptes, c, verrou):
    p = periode(c, *TERMINALE, attestees="8")
    verrouiller_session(c) if verrou == "session" else verrouiller_jury(comptes)
    raison = SESSION_PFMP if verrou == "session" else JURY_PFMP
    client = comptes.client(comptes.gestionnaire)
    reponse = client.post(f"/pfmp/candidats/{c.pk}/periodes/ajouter/", donnees_periode(organisation()))
    assert reponse.status_code == 200 and raison in reponse.context["form"].non_field_errors()[0]
    assert 'value="Bernard"' in reponse.content.decode()  # la saisie reste visible
    reponse = client.post(f"/pfmp/periodes/{p.pk}/attestation/", {"semaines": "2", "signee": ""})
    assert raison in reponse.context["form"].non_field_errors()[0]
    reponse = client.post(f"/pfmp/candidats/{c.pk}/voie/", {"voie": "scolaire"})
    assert raison in reponse.context["form"].non_field_errors()[0]
    assert Periode.objects.count() == 1 and Attestation.objects.count() == 1 and not DossierPfmp.objects.exists()


def test_le_service_pfmp_refuse_avec_le_message_de_la_pfmp(comptes, c):
    verrouiller_session(c)
    with pytest.raises(services.OperationRefusee) as refus:
        periode(c, *TERMINALE)
    assert str(refus.value).startswith(SESSION_PFMP) and "note" not in str(refus.value)


def test_le_tableau_de_notes_d_un_jury_verrouille_est_en_lecture_seule_pour_ses_candidats(comptes, c):
    autre = fabriques.candidat(division=comptes.division_c, nom="AUTRE")
    verrouiller_jury(comptes)
    page = comptes.client(comptes.administrateur).get("/examens/sessions/2026/notes/U2/").content.decode()
    assert JURY_NOTES in page and "Lecture seule" in page
    assert re.search(rf'id="note-{c.pk}"[^>]*disabled', page)
    assert not re.search(rf'id="note-{autre.pk}"[^>]*disabled', page)  # l'autre jury reste ouvert
    # Le serveur refuse toujours la cellule, avec la même raison.
    reponse = comptes.client(comptes.administrateur).post(f"/examens/candidats/{c.pk}/notes/U2/", {"note": "12"})
    assert reponse.status_code == 422 and JURY_NOTES in reponse.json()["erreur"]
    assert not Note.objects.filter(candidat=c).exists()


def test_le_tableau_de_notes_d_une_session_verrouillee_le_dit(comptes, c):
    verrouiller_session(c)
    page = comptes.client(comptes.gestionnaire).get("/examens/sessions/2026/notes/U2/").content.decode()
    assert "La délibération de la session 2026 est verrouillée : aucune note ne peut changer" in page
    assert re.search(rf'id="note-{c.pk}"[^>]*disabled', page)


def test_les_formulaires_du_jury_d_un_jury_verrouille_sont_en_lecture_seule_et_l_envoi_refuse(comptes, c):
    services.saisir_note(candidat=c, unite="U2", texte="9", auteur=comptes.administrateur)
    jures = verrouiller_jury(comptes)
    client = comptes.client(jures.academie)
    page = client.get(f"/examens/candidats/{c.pk}/").content.decode()
    assert JURY_NOTES in page and "Lecture seule" in page
    assert "Enregistrer la décision du jury" not in page and 'id="jury-note"' in page
    formulaire = page.split('data-testid="form-jury-note"')[1].split("</form>")[0]
    assert "<fieldset" in formulaire and "disabled" in formulaire
    reponse = client.post(f"/examens/candidats/{c.pk}/jury/note/", {"unite": "U2", "note": "10", "motif": "copie"})
    assert reponse.status_code == 200 and JURY_NOTES in reponse.content.decode()
    assert Note.objects.get(candidat=c, unite="U2").valeur == Decimal("9")


def test_un_jury_deverrouille_rouvre_les_formulaires(comptes, c):
    jures = verrouiller_jury(comptes)
    jurys_services.deverrouiller_jury(jury=jures.jury, auteur=jures.academie, motif="erreur de report")
    page = comptes.client(comptes.gestionnaire).get(f"/pfmp/candidats/{c.pk}/periodes/ajouter/").content.decode()
    assert "Lecture seule" not in page and "Enregistrer la période" in page


def test_la_page_du_tuteur_d_un_dossier_verrouille_est_en_lecture_seule_et_ne_signe_rien(comptes):
    from django.test import Client

    from pfmp.models import LienTuteur
    from tests.pfmp.test_tuteurs import envoyer, formulaire

    c = fabriques.candidat(division=comptes.division_a, duree_cycle=2, nom="MARTIN", prenom="Inès")
    p = periode(c, *TERMINALE, tuteur_nom="Bernard", tuteur_prenom="Sophie", tuteur_email="s.bernard@example.org")
    chemin = envoyer(comptes, p)
    verrouiller_session(c)
    tuteur = Client()
    page = tuteur.get(chemin).content.decode()
    assert SESSION_PFMP in page and "ne peut plus être signée en ligne" in page
    assert champs_actifs(page) == []
    reponse = tuteur.post(chemin, formulaire())
    assert SESSION_PFMP in reponse.context["form"].non_field_errors()[0]
    assert not Attestation.objects.filter(periode=p).exists()
    assert LienTuteur.objects.get(periode=p).utilise_le is None  # le lien reste utilisable après déverrouillage


def test_la_fiche_d_un_candidat_d_un_jury_verrouille_se_montre_sans_se_modifier(comptes, c):
    verrouiller_jury(comptes)
    client = comptes.client(comptes.gestionnaire)
    page = client.get(f"/examens/candidats/{c.pk}/modifier/").content.decode()
    assert JURY_NOTES in page and champs_actifs(page) == []
    donnees = {"numero_candidat": c.numero, "nom": "AUTRE", "prenom": c.prenom, "date_naissance": "14/03/2008"}
    reponse = client.post(f"/examens/candidats/{c.pk}/modifier/", donnees)
    assert JURY_NOTES in reponse.context["form"].non_field_errors()[0]
    c.refresh_from_db()
    assert c.nom == "DURAND"
