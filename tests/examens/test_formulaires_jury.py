"""Les décisions du jury refusées reviennent sur la fiche avec ce qui a été tapé et l'erreur sous son champ."""

from decimal import Decimal

import pytest

from examens import services
from examens.models import Note
from tests import fabriques
from tests.examens.outils import UNITES

pytestmark = pytest.mark.django_db


def _candidat_note(comptes):
    c = fabriques.candidat(division=comptes.division_a)
    for unite in UNITES:
        Note.objects.create(candidat=c, unite=unite, valeur=Decimal("12"))
    return c


def test_note_du_jury_refusee_garde_l_unite_la_note_et_le_motif(comptes):
    c = _candidat_note(comptes)
    reponse = comptes.client(comptes.academie).post(
        f"/examens/candidats/{c.pk}/jury/note/",
        {"unite": "U31", "note": "25", "motif": "Erreur de report de la copie", "groupe": "1"},
    )
    assert reponse.status_code == 200  # pas de redirection : rien de ce qui a été tapé ne se perd
    page = reponse.content.decode()
    assert '<option value="U31" selected>U31</option>' in page
    assert 'name="note" value="25"' in page
    assert ">Erreur de report de la copie</textarea>" in page
    assert 'id="jury-note-erreur"' in page and "entre 0 et 20" in reponse.context["form_note"].errors["note"][0]
    assert 'aria-describedby="jury-note-erreur"' in page
    assert list(reponse.context["messages"]) == []  # l'erreur est sous le champ, pas en haut de la page
    assert Note.objects.get(candidat=c, unite="U31").valeur == 12


def test_note_du_jury_sans_motif_message_francais_du_serveur_sous_le_motif(comptes):
    c = _candidat_note(comptes)
    reponse = comptes.client(comptes.academie).post(
        f"/examens/candidats/{c.pk}/jury/note/", {"unite": "U2", "note": "14,5", "motif": "", "groupe": "1"}
    )
    page = reponse.content.decode()
    assert "Indiquez le motif : toute décision du jury est motivée." in page
    assert 'name="note" value="14,5"' in page and '<option value="U2" selected>' in page
    # ni « required » ni bulle du navigateur : le formulaire est en novalidate
    formulaire = page.split('data-testid="form-jury-note"', 1)[0].rsplit("<form", 1)[1]
    assert "novalidate" in formulaire
    assert " required" not in page.split('data-testid="form-jury-note"', 1)[1].split("</form>", 1)[0]


def test_note_du_jury_acceptee_reste_une_redirection(comptes):
    c = _candidat_note(comptes)
    reponse = comptes.client(comptes.academie).post(
        f"/examens/candidats/{c.pk}/jury/note/", {"unite": "U2", "note": "14,5", "motif": "copie revue", "groupe": "1"}
    )
    assert reponse.status_code == 302 and reponse["Location"] == f"/examens/candidats/{c.pk}/"
    assert Note.objects.get(candidat=c, unite="U2").valeur == Decimal("14.5")


def test_points_du_jury_refuses_gardent_les_points_et_le_motif(comptes):
    c = _candidat_note(comptes)
    client = comptes.client(comptes.academie)
    reponse = client.post(f"/examens/candidats/{c.pk}/jury/points/", {"points": "deux", "motif": "Livret examiné"})
    page = reponse.content.decode()
    assert reponse.status_code == 200
    assert 'name="points" value="deux"' in page and ">Livret examiné</textarea>" in page
    assert "Saisissez un nombre de points, par exemple 1,5." in page
    reponse = client.post(f"/examens/candidats/{c.pk}/jury/points/", {"points": "1,5", "motif": ""})
    page = reponse.content.decode()
    assert 'name="points" value="1,5"' in page and 'id="points-motif-erreur"' in page
    c.refresh_from_db()
    assert not c.points_jury


def test_note_hors_echelle_et_motif_oublie_sont_signales_ensemble(comptes):
    c = _candidat_note(comptes)
    reponse = comptes.client(comptes.academie).post(
        f"/examens/candidats/{c.pk}/jury/note/", {"unite": "U31", "note": "25", "motif": "", "groupe": "1"}
    )
    erreurs = reponse.context["form_note"].errors
    assert "entre 0 et 20" in erreurs["note"][0] and erreurs["motif"] == [
        "Indiquez le motif : toute décision du jury est motivée."
    ]
    page = reponse.content.decode()
    assert 'id="jury-note-erreur"' in page and 'id="jury-motif-erreur"' in page


def test_choix_du_controle_refuse_reste_sur_la_fiche_avec_l_erreur(comptes):
    c = fabriques.candidat(division=comptes.division_a, controle_scientifique="U11")
    reponse = comptes.client(comptes.academie).post(
        f"/examens/candidats/{c.pk}/controle/", {"controle_scientifique": "U99", "controle_francais_hg": "U51"}
    )
    assert reponse.status_code == 200
    assert "Sélectionnez un choix valide" in reponse.content.decode()
    assert list(reponse.context["messages"]) == []


def test_levee_du_non_valide_sans_motif_reste_sur_son_formulaire(comptes):
    c = fabriques.candidat(division=comptes.division_a, statut="fpc_prive")
    services.ecrire_notes(saisies=[services.SaisieNote(candidat=c, unite="U32", etat="NV", valeur=None)], source="test")
    client = comptes.client(comptes.academie)
    reponse = client.post(f"/examens/candidats/{c.pk}/jury/lever-nv/", {"unite": "U32", "motif": "  "})
    assert reponse.status_code == 200
    page = reponse.content.decode()
    formulaire = page.split('data-testid="form-lever-nv-U32"', 1)[1].split("</form>", 1)[0]
    assert 'aria-invalid="true"' in formulaire and "Indiquez le motif" in formulaire
    assert Note.objects.get(candidat=c, unite="U32").etat == "NV"
    # une unité sans « non valide » n'a pas de formulaire : le refus revient en message
    reponse = client.post(f"/examens/candidats/{c.pk}/jury/lever-nv/", {"unite": "U31", "motif": "x"}, follow=True)
    assert "U31 : aucun « non valide » à lever." in [str(m) for m in reponse.context["messages"]]
