"""Deux membres (ou deux onglets) sur la même grille : les changements de champs différents s'additionnent, un même
champ changé des deux côtés montre les deux valeurs (issue « The CCF commission at work », point 2)."""

import pytest

from examens.ccf import saisie
from examens.models import EvaluationCompetence
from tests.examens.test_grilles import monde

pytestmark = pytest.mark.django_db


def _champ(m, auteur, champ, valeur, version, origine, cle=""):
    return saisie.enregistrer_champ(
        commission=m.e31,
        candidat=m.candidat,
        situation=1,
        version=version,
        champ=champ,
        valeur=valeur,
        cle=cle,
        auteur=auteur,
        origine=origine,
    )


def test_deux_membres_sur_des_champs_differents_sont_tous_deux_enregistres():
    m = monde()
    ligne1, ligne2 = m.e31.gabarit.lignes.order_by("ordre")[:2]
    premier = _champ(m, m.comptes.enseignant, "niveau", "S", 0, "", cle=str(ligne1.pk))
    assert premier.grille.version == 1
    # Le collègue avait ouvert la grille en version 1 ; le premier membre l'a passée en 2 entre-temps.
    _champ(m, m.comptes.enseignant, "appreciation", "Bon oral", 1, "")
    second = _champ(m, m.collegue, "niveau", "TS", 1, "", cle=str(ligne2.pk))
    assert second.modifie and second.grille.version == 3
    niveaux = dict(EvaluationCompetence.objects.filter(grille=second.grille).values_list("ligne_id", "niveau"))
    assert niveaux == {ligne1.pk: "S", ligne2.pk: "TS"}
    second.grille.refresh_from_db()
    assert second.grille.appreciation == "Bon oral"


def test_le_meme_champ_change_des_deux_cotes_montre_les_deux_valeurs_et_qui():
    m = monde()
    _champ(m, m.comptes.enseignant, "appreciation", "Très bon oral", 0, "")
    with pytest.raises(saisie.ConflitChamp) as conflit:
        _champ(m, m.collegue, "appreciation", "Oral hésitant", 0, "")
    e = conflit.value
    assert (e.votre, e.enregistree, e.par) == ("Oral hésitant", "Très bon oral", "Prof")
    assert str(e).startswith("Prof a changé ce champ à ")
    # Le collègue choisit de garder sa valeur : il renvoie avec la valeur enregistrée comme origine.
    garde = _champ(m, m.collegue, "appreciation", "Oral hésitant", 0, e.enregistree)
    assert garde.grille.appreciation == "Oral hésitant"


def test_le_conflit_avec_son_propre_autre_onglet_le_dit():
    m = monde()
    _champ(m, m.comptes.enseignant, "note_proposee", "14", 0, "")
    with pytest.raises(saisie.ConflitChamp) as conflit:
        _champ(m, m.comptes.enseignant, "note_proposee", "15", 0, "")
    assert conflit.value.par == "vous, dans un autre onglet"
    assert str(conflit.value).startswith("Vous, dans un autre onglet avez changé ce champ")


def test_la_forme_de_la_valeur_d_origine_ne_compte_pas():
    m = monde()
    _champ(m, m.comptes.enseignant, "note_proposee", "12,5", 0, "")
    _champ(m, m.comptes.enseignant, "appreciation", "x", 1, "")
    # « 12.50 » lu par l'autre onglet vaut « 12,5 » enregistré : pas de conflit.
    enr = _champ(m, m.collegue, "note_proposee", "13", 1, "12.50")
    assert enr.modifie and enr.grille.note_proposee == 13
