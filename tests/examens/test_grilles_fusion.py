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


@pytest.mark.django_db(transaction=True)
def test_un_enregistrement_qui_attend_le_verrou_calcule_la_note_avec_ce_qui_vient_d_etre_valide():
    """Deux enregistrements de la même grille au même moment : le second attend le verrou que tient le premier. La
    note suggérée qu'il écrit compte le niveau que le premier vient de valider pendant l'attente (issue #23 : le
    verrou et les évaluations sont lus par la même requête, qui garde l'instantané d'avant l'attente ; la version
    de la grille dans cet instantané, comparée à celle de la ligne verrouillée, dit qu'il faut relire)."""
    import threading
    import time

    from django.db import connection, transaction

    from examens.ccf import lectures
    from examens.models import Grille
    from tests.examens.test_grilles import remplir

    m = monde()
    lignes = list(m.e31.gabarit.lignes.order_by("ordre"))
    grille = remplir(m.e31, m.candidat, m.comptes.enseignant, "S")
    version = grille.version
    verrou_pris, erreurs = threading.Event(), []

    def premier():
        try:
            with transaction.atomic():
                for ligne in lignes[1:]:  # toutes les lignes sauf la première passent à « I » : la note change
                    _champ(
                        m, m.comptes.enseignant, "niveau", "I", version + lignes.index(ligne) - 1, None, str(ligne.pk)
                    )
                verrou_pris.set()
                time.sleep(0.8)  # le second attend le verrou pendant ce temps
        except Exception as e:  # noqa: BLE001 (remontée au fil principal)
            erreurs.append(e)
        finally:
            connection.close()

    fil = threading.Thread(target=premier)
    fil.start()
    assert verrou_pris.wait(10)
    second = _champ(m, m.collegue, "niveau", "TS", version, "S", cle=str(lignes[0].pk))
    fil.join()
    assert not erreurs, erreurs
    assert second.modifie and second.grille.version == version + len(lignes)
    enregistree = Grille.objects.get(pk=grille.pk)
    evaluations = {e.ligne_id: e for e in enregistree.evaluations.all()}
    attendue = lectures.calcul_de(enregistree, lectures.lignes_du_gabarit(enregistree.gabarit), evaluations).note
    assert {e.niveau for e in evaluations.values()} == {"TS", "I"}
    assert enregistree.note_suggeree == attendue == second.calcul.note
